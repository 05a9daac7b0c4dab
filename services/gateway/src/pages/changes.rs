//! A change a person posts from a page: the form's CSRF token checked and the
//! change counted against their allowance before any service is called.

use crate::AppState;
use crate::i18n::Lang;
use crate::sessions::WebSession;
use crate::web::{PageError, Viewer, check_csrf};

/// Counts one change of `web`'s person against their allowance; over it, the
/// page saying how long to wait.
pub fn count_change(state: &AppState, lang: Lang, web: &WebSession) -> Result<(), PageError> {
    state
        .limiter
        .take(&web.caller.subject)
        .map_err(|wait| PageError::TooMany(lang, wait.as_secs()))
}

/// The signed-in person posting a change to what is theirs: the form's
/// `csrf` checked and the change counted.
pub fn own_change<'v>(
    state: &AppState,
    viewer: &'v Viewer,
    csrf: &str,
) -> Result<&'v WebSession, PageError> {
    let web = viewer.require()?;
    check_csrf(viewer, csrf)?;
    count_change(state, viewer.lang, web)?;
    Ok(web)
}
