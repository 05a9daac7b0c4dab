//! Sessions in the back office: meetings typed as Jalali dates and Tehran
//! times (no script needed), venue, the instructor from the people directory,
//! capacity, a seat quota per company, the enrolment window; then open,
//! close, or cancel with a reason, seeing first how many are told.

mod edit;
mod form;
mod new;
mod status;
mod view;

use hamafza_kit::ApiError;
use hamafza_proto::courses as cpb;

use crate::AppState;
use crate::i18n::Lang;
use crate::web::{PageError, PageReply};

pub use edit::{edit_form, update};
pub use form::SessionForm;
pub use new::{NewQuery, create, new_form};
pub use status::{act, enrolment_counts, session_actions, session_badge, told_on_cancel};
pub(crate) use view::{Lists, form_at};

/// Whether a refusal is one the form cannot help with (show it as a page).
fn is_fatal(error: &ApiError) -> bool {
    error.violations().is_empty()
        && matches!(
            error.code(),
            hamafza_kit::ErrorCode::Unavailable
                | hamafza_kit::ErrorCode::Unauthenticated
                | hamafza_kit::ErrorCode::PermissionDenied
                | hamafza_kit::ErrorCode::Internal
        )
}

async fn get_session(
    state: &AppState,
    token: &str,
    lang: Lang,
    id: &str,
) -> Result<cpb::Session, PageError> {
    state
        .backends
        .as_caller(token)
        .sessions()
        .get_session(cpb::GetSessionRequest {
            session_id: id.to_owned(),
        })
        .await
        .page(lang)
        .map(|r| r.session.unwrap_or_default())
}
