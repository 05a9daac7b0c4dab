//! Naming what enrolments refer to: their courses and sessions, read in one
//! call each.

use std::collections::HashMap;

use crate::AppState;
use crate::i18n::Lang;
use hamafza_proto::courses as cpb;

/// Courses and sessions by id, read as the person whose `token` this is.
pub async fn catalog_of(
    state: &AppState,
    token: &str,
    mut course_ids: Vec<String>,
    mut session_ids: Vec<String>,
) -> Result<(HashMap<String, cpb::Course>, HashMap<String, cpb::Session>), tonic::Status> {
    let backends = state.backends.as_caller(token);
    course_ids.sort();
    course_ids.dedup();
    session_ids.sort();
    session_ids.dedup();
    let courses = if course_ids.is_empty() {
        HashMap::new()
    } else {
        backends
            .courses()
            .list_courses(cpb::ListCoursesRequest {
                page_size: 200,
                course_ids,
                ..Default::default()
            })
            .await?
            .into_inner()
            .courses
            .into_iter()
            .map(|c| (c.id.clone(), c))
            .collect()
    };
    let sessions = if session_ids.is_empty() {
        HashMap::new()
    } else {
        backends
            .sessions()
            .list_sessions(cpb::ListSessionsRequest {
                page_size: 200,
                session_ids,
                ..Default::default()
            })
            .await?
            .into_inner()
            .sessions
            .into_iter()
            .map(|s| (s.id.clone(), s))
            .collect()
    };
    Ok((courses, sessions))
}

/// The title of a course, by id.
pub fn course_title<'a>(
    lang: Lang,
    courses: &'a HashMap<String, cpb::Course>,
    id: &str,
) -> &'a str {
    courses
        .get(id)
        .and_then(|c| c.details.as_ref())
        .map_or("—", |d| lang.text(d.title.as_ref()))
}

/// Whether `session` takes enrolments now: open, and now within its
/// enrolment window (the services decide; this only spares people a button
/// that would be refused).
pub fn takes_enrolments(session: &hamafza_proto::courses::Session) -> bool {
    let now = chrono::Utc::now();
    let window = session
        .details
        .as_ref()
        .and_then(|d| d.enrolment_window.as_ref());
    session.status() == hamafza_proto::courses::SessionStatus::Open
        && window.is_none_or(|w| {
            crate::i18n::instant(w.start_time.as_ref()).is_none_or(|from| from <= now)
                && crate::i18n::instant(w.end_time.as_ref()).is_none_or(|until| now < until)
        })
}
