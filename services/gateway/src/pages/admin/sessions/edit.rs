//! Sessions as the back office edits them, at `/admin/sessions/{id}`: the
//! update is conditional on the etag the form was drawn with and masked to
//! the fields it holds.

use hamafza_kit::ApiError;
use hamafza_proto::courses as cpb;
use maud::{Markup, html};

use super::form::{FIELDS, SessionForm};
use super::status::{Counts, session_actions, session_badge};
use super::view::{Lists, form_body, lists};
use crate::AppState;
use crate::backends::AsCaller;
use crate::i18n::Lang;
use crate::pages::admin::editor::{Editor, Refused, mask};
use crate::pages::admin::{Problems, Showing, frame};
use crate::pages::lookup::{person_named, seats_of};
use crate::sessions::WebSession;
use crate::web::{PageError, PageReply, Viewer};
use tonic::Status;

/// Sessions, made at `/admin/sessions/new` and edited at
/// `/admin/sessions/{id}`.
pub struct Sessions;

impl Sessions {
    /// The details the form holds, or the problems the gateway sees in it;
    /// the instructor picked is looked up in the people directory by subject
    /// (a directory that cannot be read is the service's refusal).
    pub(super) async fn details(
        caller: &AsCaller,
        lang: Lang,
        form: &SessionForm,
    ) -> Result<cpb::SessionDetails, Refused> {
        let instructor = if form.instructor.is_empty() {
            None
        } else {
            person_named(caller, &form.instructor).await?
        };
        let people: Vec<cpb::Person> = instructor.into_iter().collect();
        form.details(lang, &people).map_err(Refused::Form)
    }
}

impl Editor for Sessions {
    type Item = cpb::Session;
    type Form = SessionForm;
    type Choices = Lists;

    const BASE: &'static str = "/admin/sessions";

    async fn get(caller: &AsCaller, lang: Lang, id: &str) -> Result<cpb::Session, PageError> {
        caller
            .sessions()
            .get_session(cpb::GetSessionRequest {
                session_id: id.to_owned(),
            })
            .await
            .page(lang)
            .map(|r| r.session.unwrap_or_default())
    }

    /// The courses not retired (and the session's own), the organizations
    /// and the people.
    async fn choices(caller: &AsCaller, editing: Option<&cpb::Session>) -> Result<Lists, Status> {
        lists(caller, editing.map(|s| s.course_id.as_str())).await
    }

    async fn update(
        caller: &AsCaller,
        lang: Lang,
        id: &str,
        etag: String,
        form: &SessionForm,
    ) -> Result<(), Refused> {
        let details = Self::details(caller, lang, form).await?;
        caller
            .sessions()
            .update_session(cpb::UpdateSessionRequest {
                session_id: id.to_owned(),
                details: Some(details),
                etag,
                update_mask: mask(FIELDS.map(|(path, _)| path)),
            })
            .await?;
        Ok(())
    }

    fn problems(lang: Lang, error: &ApiError, form: &SessionForm) -> Problems {
        Problems::from_error(lang, error, |path| form.input_of(path))
    }

    /// With the session's status, its enrolments so far and its next steps.
    async fn edit_page(
        state: &AppState,
        viewer: &Viewer,
        web: &WebSession,
        session: &cpb::Session,
        shown: Showing<'_, SessionForm>,
        lists: &Lists,
    ) -> Markup {
        let lang = viewer.lang;
        let csrf = &web.csrf;
        let seats = seats_of(&state.backends.as_caller(&web.token), [session]).await;
        let counts = seats.get(&session.id).map(Counts::of);
        // "—" when enrolments cannot answer, rather than a wrong 0.
        let count =
            |n: fn(Counts) -> u32| counts.map_or_else(|| "—".to_owned(), |c| lang.num(n(c)));
        let course = lists.courses.iter().find(|c| c.id == session.course_id);
        let d = course.and_then(|c| c.details.clone()).unwrap_or_default();
        let title = format!("{} — {}", d.code, lang.text(d.title.as_ref()));
        let start = crate::i18n::instant(session.start_time.as_ref());
        let problems = &shown.problems;
        frame(
            viewer,
            &title,
            "",
            html! {
                p {
                    (session_badge(lang, session.status()))
                    @if let Some(start) = start { " " span.muted { (lang.date_time(start)) } }
                    " · " (lang.pick("ثبت‌نام قطعی: ", "Confirmed: ")) (count(|c| c.confirmed))
                    " · " (lang.pick("فهرست انتظار: ", "Waitlisted: ")) (count(|c| c.waitlisted))
                    " · " (lang.pick("در انتظار تأیید: ", "Awaiting approval: ")) (count(|c| c.pending))
                    " · " a href={ "/sessions/" (session.id) } { (lang.pick("صفحهٔ عمومی", "Public page")) }
                }
                (session_actions(lang, csrf, session, counts.map(Counts::told_on_cancel), problems.get("reason")))
                (form_body(lang, csrf, Some(session), shown.values, problems, shown.notice, lists))
            },
        )
    }
}
