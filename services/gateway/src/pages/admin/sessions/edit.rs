//! `/admin/sessions/{id}`: changing a session, conditional on the etag the
//! form was rendered with and masked to the fields it holds.

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use hamafza_kit::ApiError;
use hamafza_proto::courses as cpb;
use hamafza_proto::enrolments as epb;
use maud::html;

use super::form::{FIELDS, SessionForm};
use super::status::{enrolment_counts, session_actions, session_badge, told_on_cancel};
use super::view::{Lists, form_body, lists};
use super::{get_session, is_fatal};
use crate::AppState;
use crate::pages::admin::{Problems, Showing, admin, flash, frame, posted, see_other};
use crate::pages::forms::first;
use crate::web::{PageError, Viewer};

pub(super) async fn edit_page(
    state: &AppState,
    viewer: &Viewer,
    token: &str,
    csrf: &str,
    session: &cpb::Session,
    shown: Showing<'_, SessionForm>,
    lists: &Lists,
) -> Response {
    let lang = viewer.lang;
    let counts = enrolment_counts(state, token, &session.id).await;
    let count = |s: epb::EnrolmentStatus| counts.get(&s).copied().unwrap_or(0);
    let course = lists.courses.iter().find(|c| c.id == session.course_id);
    let d = course.and_then(|c| c.details.clone()).unwrap_or_default();
    let title = format!("{} — {}", d.code, lang.text(d.title.as_ref()));
    let start = crate::i18n::instant(session.start_time.as_ref());
    let problems = &shown.problems;
    let page = frame(
        viewer,
        &title,
        "",
        html! {
            p {
                (session_badge(lang, session.status()))
                @if let Some(start) = start { " " span.muted { (lang.date_time(start)) } }
                " · " (lang.pick("ثبت‌نام قطعی: ", "Confirmed: ")) (lang.num(count(epb::EnrolmentStatus::Confirmed)))
                " · " (lang.pick("فهرست انتظار: ", "Waitlisted: ")) (lang.num(count(epb::EnrolmentStatus::Waitlisted)))
                " · " (lang.pick("در انتظار تأیید: ", "Awaiting approval: ")) (lang.num(count(epb::EnrolmentStatus::PendingApproval)))
                " · " a href={ "/sessions/" (session.id) } { (lang.pick("صفحهٔ عمومی", "Public page")) }
            }
            (session_actions(lang, csrf, session, told_on_cancel(&counts), problems.get("reason")))
            (form_body(lang, csrf, Some(session), shown.values, problems, shown.notice, lists))
        },
    );
    (shown.status, page).into_response()
}

/// `GET /admin/sessions/{id}`.
pub async fn edit_form(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    Query(done): Query<crate::pages::admin::Done>,
) -> Result<Response, PageError> {
    let lang = viewer.lang;
    let web = admin(&viewer)?;
    let session = get_session(&state, &web.token, lang, &id).await?;
    let lists = lists(&state, &web.token).await;
    let stored = SessionForm::from_session(lang, &session);
    let shown = Showing::first(&stored, flash(lang, &done.done));
    Ok(edit_page(
        &state, &viewer, &web.token, &web.csrf, &session, shown, &lists,
    )
    .await)
}

/// `POST /admin/sessions/{id}`: the update, conditional on the etag the form
/// was rendered with, masked to the fields the form holds.
pub async fn update(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, PageError> {
    let lang = viewer.lang;
    let (web, values) = posted(&viewer, &body)?;
    let form = SessionForm::from_body(&values);
    let lists = lists(&state, &web.token).await;
    let error = match form.details(lang, &lists.people) {
        Ok(details) => {
            let sent = state
                .backends
                .as_caller(&web.token)
                .sessions()
                .update_session(cpb::UpdateSessionRequest {
                    session_id: id.clone(),
                    details: Some(details),
                    etag: first(&values, "etag").to_owned(),
                    update_mask: Some(prost_types::FieldMask {
                        paths: FIELDS.iter().map(|(p, _)| (*p).to_owned()).collect(),
                    }),
                })
                .await;
            match sent {
                Ok(_) => return Ok(see_other(&format!("/admin/sessions/{id}?done=saved"))),
                Err(status) => Err(ApiError::from_status(&status)),
            }
        }
        Err(problems) => Ok(problems),
    };
    let session = get_session(&state, &web.token, lang, &id).await?;
    let stored = SessionForm::from_session(lang, &session);
    let showing = match error {
        Ok(problems) => Showing::problems(&form, problems),
        Err(error) if is_fatal(&error) => return Err(PageError::api(lang, error)),
        Err(error) => Showing::refused(lang, &error, &stored, &form, || {
            Problems::from_error(lang, &error, |path| form.input_of(path))
        }),
    };
    let page = edit_page(
        &state, &viewer, &web.token, &web.csrf, &session, showing, &lists,
    )
    .await;
    Ok(page)
}
