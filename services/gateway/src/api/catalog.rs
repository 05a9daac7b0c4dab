//! The catalog anyone may browse: published courses and programs, sessions
//! open for enrolment with the seats left, and the year's events.

use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use hamafza_proto::courses as cpb;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{ApiFailure, ApiPath, ApiQuery, ApiResult, ErrorBody, rfc3339, status_name};
use crate::AppState;
use crate::i18n::instant;
use crate::pages::lookup::{every_page, every_session};
use hamafza_kit::ApiError;

/// A published course.
#[derive(Debug, Serialize, ToSchema)]
pub struct CourseView {
    /// Id.
    pub id: String,
    /// Code, e.g. `PR-101`.
    pub code: String,
    /// Title in Persian.
    pub title_fa: String,
    /// Title in English.
    pub title_en: String,
    /// Subject area.
    pub category: String,
    /// Teaching hours.
    pub hours: u32,
    /// Whether enrolment waits for the org manager.
    pub requires_manager_approval: bool,
}

/// An open session.
#[derive(Debug, Serialize, ToSchema)]
pub struct SessionView {
    /// Id.
    pub id: String,
    /// The course.
    pub course_id: String,
    /// `open`, `closed`, `completed` or `cancelled`.
    pub status: String,
    /// Start (RFC 3339).
    pub start_time: Option<String>,
    /// End (RFC 3339).
    pub end_time: Option<String>,
    /// Start as a Solar Hijri date.
    pub start_date_fa: Option<String>,
    /// Venue in Persian.
    pub venue_fa: String,
    /// Seats in all.
    pub capacity: u32,
    /// Seats left now.
    pub seats_left: Option<u32>,
    /// Whether it takes enrolments now (open, within its enrolment window).
    pub enrolment_open: bool,
}

/// A published program.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProgramView {
    /// Id.
    pub id: String,
    /// Code.
    pub code: String,
    /// Title in Persian.
    pub title_fa: String,
    /// Title in English.
    pub title_en: String,
    /// Required courses, in order.
    pub required_course_ids: Vec<String>,
    /// Elective courses, in order.
    pub elective_course_ids: Vec<String>,
}

/// An event of the year's calendar.
#[derive(Debug, Serialize, ToSchema)]
pub struct EventView {
    /// Id.
    pub id: String,
    /// `exhibition`, `conference`, `seminar` or `other`.
    pub kind: String,
    /// Title in Persian.
    pub title_fa: String,
    /// Title in English.
    pub title_en: String,
    /// Start (RFC 3339).
    pub start_time: Option<String>,
    /// End (RFC 3339).
    pub end_time: Option<String>,
    /// Where, in Persian.
    pub place_fa: String,
    /// Organizations taking part.
    pub participating_organization_ids: Vec<String>,
}

/// Catalog filters.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CourseQuery {
    /// Text in code or title (at most 100 characters, one line; Persian and
    /// Arabic letter forms, digits, ZWNJ and spacing are compared loosely).
    #[serde(default)]
    #[param(max_length = 100)]
    pub text: String,
    /// Subject area, e.g. `media-relations`.
    #[serde(default)]
    #[param(max_length = 40, pattern = "^[a-z0-9-]*$")]
    pub category: String,
}

/// Search text without what no one types on purpose: control characters,
/// marks of direction and invisible formatting; only joiners and spaces left
/// means no text.
fn searchable(text: &str) -> String {
    let kept: String = text
        .chars()
        .filter(|c| {
            !c.is_control()
                && !matches!(
                    c,
                    '\u{200B}' | '\u{2060}' | '\u{FEFF}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'
                )
        })
        .collect();
    if kept
        .chars()
        .all(|c| c.is_whitespace() || ('\u{200C}'..='\u{200F}').contains(&c))
    {
        String::new()
    } else {
        kept.trim().to_owned()
    }
}

fn course_view(course: cpb::Course) -> CourseView {
    let details = course.details.unwrap_or_default();
    let title = details.title.unwrap_or_default();
    CourseView {
        id: course.id,
        code: details.code,
        title_fa: title.fa,
        title_en: title.en,
        category: details.category,
        hours: details.hours,
        requires_manager_approval: details.requires_manager_approval,
    }
}

/// Published courses (every one, up to 2,000).
#[utoipa::path(
    get,
    path = "/api/v1/courses",
    params(CourseQuery),
    responses(
        (status = 200, body = [CourseView], description = "The published courses; \
            `Cache-Control: public, max-age=…` and a strong `ETag`"),
        (status = 304, description = "`If-None-Match` named the current `ETag`")
    )
)]
pub(super) async fn courses(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiQuery(query): ApiQuery<CourseQuery>,
) -> Result<Response, ApiFailure> {
    // The category exactly as documented (a slug of at most 40, nothing
    // around it: `category=+` is a space, not "all"); the text forgiving: what
    // a search box cannot mean (control and invisible characters) is dropped
    // rather than refused.
    let category = query.category.as_str();
    if category.chars().count() > 40
        || !category
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    {
        return Err(ApiError::invalid_field(
            "category",
            "must be at most 40 lowercase letters, digits or '-'",
        )
        .into());
    }
    let text = searchable(&query.text);
    if query.text.chars().count() > 100 {
        return Err(ApiError::invalid_field("text", "must be at most 100 characters").into());
    }
    // Everyone gets the same answer: the public listing, kept for a while.
    let key = format!("courses/{category}/{text}");
    let read = async {
        let caller = state.backends.as_caller(&state.backends.public_token());
        let courses = every_page(|page_token| {
            let request = cpb::ListCoursesRequest {
                page_size: 200,
                page_token,
                statuses: vec![cpb::CatalogStatus::Published.into()],
                text: text.clone(),
                category: category.to_owned(),
                public_view: true,
                ..Default::default()
            };
            let caller = &caller;
            async move {
                let reply = caller.courses().list_courses(request).await?.into_inner();
                Ok((reply.courses, reply.next_page_token))
            }
        })
        .await
        .map_err(|status| ApiError::from_status(&status))?;
        Ok(courses.into_iter().map(course_view).collect::<Vec<_>>())
    };
    Ok(state.public.get_or_read(key, read).await?.respond(&headers))
}

/// The seats left of `sessions`, by id (none when enrolments cannot answer).
async fn seats_left<'a>(
    state: &AppState,
    token: &str,
    sessions: impl IntoIterator<Item = &'a cpb::Session>,
) -> std::collections::HashMap<String, u32> {
    let caller = state.backends.as_caller(token);
    crate::pages::lookup::seats_of(&caller, sessions)
        .await
        .into_iter()
        .map(|(id, seats)| (id, seats.seats_left))
        .collect()
}

fn session_view(session: cpb::Session, seats: Option<u32>) -> SessionView {
    let details = session.details.clone().unwrap_or_default();
    SessionView {
        status: status_name(session.status().as_str_name(), "SESSION_STATUS_"),
        start_date_fa: instant(session.start_time.as_ref())
            .map(|t| hamafza_kit::jalali::show(t).jalali_long),
        start_time: rfc3339(session.start_time.as_ref()),
        end_time: rfc3339(session.end_time.as_ref()),
        venue_fa: details.venue.map(|v| v.fa).unwrap_or_default(),
        capacity: details.capacity,
        seats_left: seats,
        enrolment_open: crate::pages::lookup::takes_enrolments(&session),
        id: session.id,
        course_id: session.course_id,
    }
}

/// Sessions open for enrolment, with the seats left (every one, up to 2,000).
#[utoipa::path(
    get,
    path = "/api/v1/sessions",
    responses((status = 200, body = [SessionView]))
)]
pub(super) async fn sessions(State(state): State<AppState>) -> ApiResult<Vec<SessionView>> {
    let token = state.backends.public_token();
    let request = cpb::ListSessionsRequest {
        statuses: vec![cpb::SessionStatus::Open.into()],
        ..Default::default()
    };
    let sessions = every_session(&state.backends.as_caller(&token), request).await?;
    let seats = seats_left(&state, &token, &sessions).await;
    Ok(Json(
        sessions
            .into_iter()
            .map(|s| {
                let left = seats.get(&s.id).copied();
                session_view(s, left)
            })
            .collect(),
    ))
}

/// One session anyone may see.
#[utoipa::path(
    get,
    path = "/api/v1/sessions/{id}",
    params(("id" = String, Path, description = "Session id")),
    responses(
        (status = 200, body = SessionView),
        (status = 404, body = ErrorBody),
        (status = 503, body = ErrorBody)
    )
)]
pub(super) async fn session(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<SessionView> {
    let (session, _) =
        crate::pages::session::public_session(&state, crate::i18n::Lang::En, &id).await?;
    let left = seats_left(&state, &state.backends.public_token(), [&session])
        .await
        .into_values()
        .next();
    Ok(Json(session_view(session, left)))
}

/// Published programs (every one, up to 2,000).
#[utoipa::path(
    get,
    path = "/api/v1/programs",
    responses((status = 200, body = [ProgramView]))
)]
pub(super) async fn programs(State(state): State<AppState>) -> ApiResult<Vec<ProgramView>> {
    let caller = state.backends.as_caller(&state.backends.public_token());
    let programs = every_page(|page_token| {
        let request = cpb::ListProgramsRequest {
            page_size: 200,
            page_token,
            statuses: vec![cpb::CatalogStatus::Published.into()],
            ..Default::default()
        };
        let caller = &caller;
        async move {
            let reply = caller.courses().list_programs(request).await?.into_inner();
            Ok((reply.programs, reply.next_page_token))
        }
    })
    .await?;
    Ok(Json(
        programs
            .into_iter()
            .map(|program| {
                let details = program.details.unwrap_or_default();
                let title = details.title.unwrap_or_default();
                let (required, elective): (Vec<_>, Vec<_>) =
                    details.courses.into_iter().partition(|c| c.required);
                ProgramView {
                    id: program.id,
                    code: details.code,
                    title_fa: title.fa,
                    title_en: title.en,
                    required_course_ids: required.into_iter().map(|c| c.course_id).collect(),
                    elective_course_ids: elective.into_iter().map(|c| c.course_id).collect(),
                }
            })
            .collect(),
    ))
}

/// The events from a month ago on (every one, up to 2,000).
#[utoipa::path(
    get,
    path = "/api/v1/events",
    responses((status = 200, body = [EventView]))
)]
pub(super) async fn events(State(state): State<AppState>) -> ApiResult<Vec<EventView>> {
    let from = chrono::Utc::now() - chrono::Duration::days(30);
    let caller = state.backends.as_caller(&state.backends.public_token());
    let events = every_page(|page_token| {
        let request = cpb::ListEventsRequest {
            page_size: 200,
            page_token,
            start_time: Some(hamafza_proto::common::TimeRange {
                start_time: Some(hamafza_kit::time::to_timestamp(from)),
                end_time: None,
            }),
            ..Default::default()
        };
        let caller = &caller;
        async move {
            let reply = caller.events().list_events(request).await?.into_inner();
            Ok((reply.events, reply.next_page_token))
        }
    })
    .await?;
    Ok(Json(
        events
            .into_iter()
            .map(|event| {
                let details = event.details.unwrap_or_default();
                let title = details.title.clone().unwrap_or_default();
                EventView {
                    kind: status_name(details.kind().as_str_name(), "EVENT_KIND_"),
                    id: event.id,
                    title_fa: title.fa,
                    title_en: title.en,
                    start_time: rfc3339(details.start_time.as_ref()),
                    end_time: rfc3339(details.end_time.as_ref()),
                    place_fa: details.place.map(|p| p.fa).unwrap_or_default(),
                    participating_organization_ids: details.participating_organization_ids,
                }
            })
            .collect(),
    ))
}
