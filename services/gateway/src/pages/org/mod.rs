//! «روابط عمومی شرکت من»: a company PR manager's work — the approvals inbox,
//! the company's people and their transcripts, enrolling colleagues (one by
//! one or from a CSV / Excel file), the company's certificates and events.
//! Every check is the services': these pages call them with the manager's
//! own token, so a manager sees and changes their own company only.

pub mod certificates;
pub mod enrol;
pub mod people;
pub mod requests;

pub use crate::pages::lookup::{
    catalog_of, course_title, every_page, every_page_or_cut, every_session,
};

use std::collections::HashMap;

use axum::http::header;
use axum::response::{IntoResponse, Response};
use hamafza_kit::auth::Role;
use hamafza_kit::sheet::{Format, Table};
use maud::{Markup, html};

pub use crate::pages::forms::{first, form_values};

use crate::AppState;
use crate::i18n::Lang;
use crate::pages::changes::count_change;
use crate::sessions::WebSession;
use crate::web::{PageError, Viewer, check_csrf};
use hamafza_proto::courses as cpb;

/// The signed-in org manager, or a page saying this is for managers.
pub fn manager(viewer: &Viewer) -> Result<&WebSession, PageError> {
    let web = viewer.require()?;
    if web.caller.has(Role::OrgManager) {
        Ok(web)
    } else {
        Err(PageError::api(
            viewer.lang,
            hamafza_kit::ApiError::permission_denied("for organizations' PR managers"),
        ))
    }
}

/// A form a manager posts to change something: the manager and the posted
/// values, once the form's CSRF token is checked and the change counted.
pub fn posted_change<'v>(
    state: &AppState,
    viewer: &'v Viewer,
    body: &[u8],
) -> Result<(&'v WebSession, HashMap<String, Vec<String>>), PageError> {
    let web = manager(viewer)?;
    let form = form_values(body);
    check_csrf(viewer, first(&form, "csrf"))?;
    count_change(state, viewer.lang, web)?;
    Ok((web, form))
}

/// The tabs of the section, `current` marked.
pub fn tabs(lang: Lang, current: &str) -> Markup {
    let items = [
        ("/org", "درخواست‌های تأیید", "Approvals"),
        ("/org/people", "کارکنان", "People"),
        ("/org/enrol", "ثبت‌نام همکاران", "Enrol colleagues"),
        ("/org/import", "ثبت‌نام با فایل", "Enrol from a file"),
        ("/org/certificates", "گواهی‌ها", "Certificates"),
        ("/org/events", "رویدادها", "Events"),
        ("/org/hosting", "میزبانی دوره", "Hosting a session"),
    ];
    html! {
        nav.tabs aria-label=(lang.pick("بخش‌ها", "Sections")) {
            @for (href, fa, en) in items {
                @if href == current {
                    a.current href=(href) aria-current="page" { (lang.pick(fa, en)) }
                } @else {
                    a href=(href) { (lang.pick(fa, en)) }
                }
            }
        }
    }
}

/// The section's heading: the company's name and the tabs.
pub async fn heading(state: &AppState, web: &WebSession, lang: Lang, current: &str) -> Markup {
    let name = state
        .backends
        .as_caller(&web.token)
        .organizations()
        .get_organization(cpb::GetOrganizationRequest {
            organization_id: web.caller.organization_id.clone(),
        })
        .await
        .ok()
        .and_then(|r| r.into_inner().organization)
        .map(|o| lang.text(o.name.as_ref()).to_owned())
        .unwrap_or_else(|| web.caller.organization_id.clone());
    html! {
        p.muted { (lang.pick("روابط عمومی شرکت من", "My company's PR")) " — " (name) }
        (tabs(lang, current))
    }
}

/// A list as a download in `format`, named `name` (without extension).
pub fn download(table: &Table, format: Format, lang: Lang, name: &str) -> Response {
    match hamafza_kit::sheet::write(table, format, lang == Lang::Fa) {
        Ok(bytes) => (
            [
                (header::CONTENT_TYPE, format.content_type().to_owned()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"{name}.{}\"", format.extension()),
                ),
                (header::CACHE_CONTROL, "no-store".to_owned()),
            ],
            bytes,
        )
            .into_response(),
        Err(error) => PageError::api(lang, hamafza_kit::ApiError::internal(error)).into_response(),
    }
}

/// Links to download a list as CSV and Excel; `query` is the page's filters.
/// Ends a download that holds only the first `most` rows of a longer list
/// with a row that says so (what reads it is a person, in Excel).
pub fn say_cut(table: &mut Table, lang: Lang, most: usize) {
    let most = lang.num(most);
    table.push([match lang {
        Lang::Fa => format!("فهرست بلندتر است؛ تنها {most} ردیف نخست در این فایل آمده است."),
        Lang::En => format!("The list is longer; only its first {most} rows are in this file."),
    }]);
}

pub fn download_links(lang: Lang, path: &str, query: &str) -> Markup {
    let sep = if query.is_empty() { "" } else { "&" };
    html! {
        p.downloads {
            (lang.pick("دریافت فهرست: ", "Download: "))
            a href={ (path) "?" (query) (sep) "format=xlsx" } { "Excel (.xlsx)" }
            " · "
            a href={ (path) "?" (query) (sep) "format=csv" } { "CSV" }
        }
    }
}

/// The sessions a manager can enrol people into now (open, their enrolment
/// window open), soonest first, with their course titles.
pub async fn open_sessions(
    state: &AppState,
    token: &str,
    lang: Lang,
) -> Result<Vec<(cpb::Session, String)>, PageError> {
    let backends = state.backends.as_caller(token);
    let request = cpb::ListSessionsRequest {
        statuses: vec![cpb::SessionStatus::Open.into()],
        ..Default::default()
    };
    let mut sessions = every_session(&backends, request)
        .await
        .map_err(|status| PageError::status(lang, status))?;
    sessions.retain(crate::pages::lookup::takes_enrolments);
    let (courses, _) = catalog_of(
        state,
        token,
        sessions.iter().map(|s| s.course_id.clone()).collect(),
        Vec::new(),
    )
    .await
    .unwrap_or_default();
    let mut named: Vec<(cpb::Session, String)> = sessions
        .into_iter()
        .map(|s| {
            let title = course_title(lang, &courses, &s.course_id).to_owned();
            (s, title)
        })
        .collect();
    named.sort_by_key(|(s, _)| s.start_time.as_ref().map(|t| t.seconds));
    Ok(named)
}

/// The name of a session for a select: course title and first meeting.
pub fn session_label(lang: Lang, session: &cpb::Session, title: &str) -> String {
    match crate::i18n::instant(session.start_time.as_ref()) {
        Some(start) => format!("{title} — {}", lang.date(start)),
        None => title.to_owned(),
    }
}

/// A request id for one item of a form that acts on many: the form's own id
/// and the item, hashed, so resubmitting the form repeats no effect.
pub fn item_request_id(form_request_id: &str, item: &str) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(format!("{form_request_id}\u{1f}{item}").as_bytes());
    digest[..16].iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cut_download_ends_with_a_row_saying_so_in_the_readers_language() {
        for (lang, words) in [
            (Lang::Fa, "فهرست بلندتر است؛ تنها ۵۰۰۰ ردیف نخست"),
            (Lang::En, "The list is longer; only its first 5000 rows"),
        ] {
            let mut table = Table::new(["a", "b"]);
            table.push(["1", "2"]);
            say_cut(&mut table, lang, 5_000);
            assert_eq!(table.rows.len(), 2);
            assert!(table.rows[1][0].starts_with(words), "{:?}", table.rows[1]);
        }
    }
}
