//! `/admin/sessions/new`: a new session of a course.

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use hamafza_kit::ApiError;
use hamafza_proto::courses as cpb;
use maud::{Markup, html};
use serde::Deserialize;

use super::form::SessionForm;
use super::is_fatal;
use super::view::{form_body, lists};
use crate::AppState;
use crate::pages::admin::{Problems, admin, field_key, frame, jalali_parts, posted, see_other};
use crate::web::{PageError, Viewer};

/// The course picked in the address of a new session.
#[derive(Debug, Default, Deserialize)]
pub struct NewQuery {
    /// A course id.
    #[serde(default)]
    pub course: String,
}

/// `GET /admin/sessions/new`.
pub async fn new_form(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(query): Query<NewQuery>,
) -> Result<Markup, PageError> {
    let lang = viewer.lang;
    let web = admin(&viewer)?;
    let lists = lists(&state, &web.token).await;
    let values = SessionForm {
        course_id: query.course,
        capacity: lang.num(20),
        // Enrolment may start today; its end is the admin's to choose.
        window_start: (
            jalali_parts(lang, hamafza_kit::time::now()).0,
            lang.num("08:00"),
        ),
        ..SessionForm::default()
    };
    Ok(frame(
        &viewer,
        lang.pick("دورهٔ تازه", "New session"),
        "/admin/sessions/new",
        form_body(
            lang,
            &web.csrf,
            None,
            &values,
            &Problems::default(),
            html! {},
            &lists,
        ),
    ))
}

/// `POST /admin/sessions/new`.
pub async fn create(
    State(state): State<AppState>,
    viewer: Viewer,
    body: Bytes,
) -> Result<Response, PageError> {
    let lang = viewer.lang;
    let (web, values) = posted(&viewer, &body)?;
    let form = SessionForm::from_body(&values);
    let lists = lists(&state, &web.token).await;
    let problems = match form.details(lang, &lists.people) {
        Ok(details) => match state
            .backends
            .as_caller(&web.token)
            .sessions()
            .create_session(cpb::CreateSessionRequest {
                course_id: form.course_id.clone(),
                details: Some(details),
            })
            .await
        {
            Ok(created) => {
                let id = created.into_inner().session.unwrap_or_default().id;
                return Ok(see_other(&format!("/admin/sessions/{id}?done=created")));
            }
            Err(status) => {
                let error = ApiError::from_status(&status);
                if is_fatal(&error) {
                    return Err(PageError::api(lang, error));
                }
                Problems::from_error(lang, &error, |path| {
                    if field_key(path) == "course_id" {
                        Some("course_id".to_owned())
                    } else {
                        form.input_of(path)
                    }
                })
            }
        },
        Err(problems) => problems,
    };
    Ok((
        StatusCode::UNPROCESSABLE_ENTITY,
        frame(
            &viewer,
            lang.pick("دورهٔ تازه", "New session"),
            "/admin/sessions/new",
            form_body(lang, &web.csrf, None, &form, &problems, html! {}, &lists),
        ),
    )
        .into_response())
}
