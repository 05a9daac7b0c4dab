//! `/admin/sessions/new`: a new session of a course.

use hamafza_kit::ApiError;
use hamafza_proto::courses as cpb;
use maud::Markup;
use serde::Deserialize;

use super::edit::Sessions;
use super::form::SessionForm;
use super::view::{Lists, form_body};
use crate::backends::AsCaller;
use crate::i18n::Lang;
use crate::pages::admin::editor::{Creator, Refused};
use crate::pages::admin::{Problems, Showing, field_key, frame, jalali_parts, new_request_id};
use crate::web::Viewer;

/// The course picked in the address of a new session.
#[derive(Debug, Default, Deserialize)]
pub struct NewQuery {
    /// A course id.
    #[serde(default)]
    pub course: String,
}

impl Creator for Sessions {
    type NewQuery = NewQuery;

    fn blank(lang: Lang, query: NewQuery) -> SessionForm {
        SessionForm {
            course_id: query.course,
            capacity: lang.num(20),
            // Enrolment may start today; its end is the admin's to choose.
            window_start: (
                jalali_parts(lang, hamafza_kit::time::now()).0,
                lang.num("08:00"),
            ),
            request_id: new_request_id(),
            ..SessionForm::default()
        }
    }

    async fn create(caller: &AsCaller, lang: Lang, form: &SessionForm) -> Result<String, Refused> {
        let details = Self::details(caller, lang, form).await?;
        let created = caller
            .sessions()
            .create_session(cpb::CreateSessionRequest {
                course_id: form.course_id.clone(),
                details: Some(details),
                request_id: form.request_id.clone(),
            })
            .await?;
        Ok(created.into_inner().session.unwrap_or_default().id)
    }

    /// A course the service names is beside the course's picker.
    fn create_problems(lang: Lang, error: &ApiError, form: &SessionForm) -> Problems {
        Problems::from_error(lang, error, |path| {
            if field_key(path) == "course_id" {
                Some("course_id".to_owned())
            } else {
                form.input_of(path)
            }
        })
    }

    fn new_page(
        viewer: &Viewer,
        csrf: &str,
        shown: Showing<'_, SessionForm>,
        lists: &Lists,
    ) -> Markup {
        let lang = viewer.lang;
        frame(
            viewer,
            lang.pick("دورهٔ تازه", "New session"),
            "/admin/sessions/new",
            form_body(
                lang,
                csrf,
                None,
                shown.values,
                &shown.problems,
                shown.notice,
                lists,
            ),
        )
    }
}
