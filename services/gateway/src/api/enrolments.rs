//! The caller's enrolments: enrolling in a session, cancelling, listing.
//! Changes are rate-limited per caller.

use axum::Json;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use hamafza_kit::ApiError;
use hamafza_proto::enrolments as epb;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{ApiFailure, ApiPath, ApiResult, Bearer, ErrorBody, JsonBody, status_name};
use crate::AppState;
use crate::pages::lookup::every_enrolment;

/// One of the caller's enrolments.
#[derive(Debug, Serialize, ToSchema)]
pub struct EnrolmentView {
    /// Id.
    pub id: String,
    /// The session.
    pub session_id: String,
    /// The course.
    pub course_id: String,
    // One `doc` string rather than two `///` lines, so that the schema's
    // description stays one line.
    #[doc = " `pending_approval`, `confirmed`, `waitlisted`, `rejected`, `cancelled`, `completed`, \
             `failed` or `no_show`."]
    pub status: String,
    /// Place on the waitlist (1 = next); 0 when not waitlisted.
    pub waitlist_position: u32,
    /// Meetings attended.
    pub meetings_attended: u32,
    /// The final score, once assessed.
    pub score: Option<u32>,
}

/// An enrolment request.
#[derive(Debug, Deserialize, ToSchema)]
pub struct EnrolBody {
    /// A client request id (1-64 of A-Z a-z 0-9 _ -): a retry with it has no second effect.
    #[schema(pattern = "^[A-Za-z0-9_-]{1,64}$", min_length = 1, max_length = 64)]
    pub request_id: String,
}

/// A cancellation.
#[derive(Debug, Deserialize, ToSchema)]
pub struct CancelBody {
    /// A client request id (1-64 of A-Z a-z 0-9 _ -).
    #[schema(pattern = "^[A-Za-z0-9_-]{1,64}$", min_length = 1, max_length = 64)]
    pub request_id: String,
    /// Why: 1-500 characters beginning with a visible one, without control
    /// characters (but tab and newline) or invisible formatting.
    #[schema(
        min_length = 1,
        max_length = 500,
        pattern = "^[^\\s\\u200c-\\u200f\\x00-\\x08\\x0b-\\x1f\\x7f-\\x9f\\u200b\\u2060\\ufeff\\u202a-\\u202e\\u2066-\\u2069][^\\x00-\\x08\\x0b-\\x1f\\x7f-\\x9f\\u200b\\u2060\\ufeff\\u202a-\\u202e\\u2066-\\u2069]*$"
    )]
    pub reason: String,
}

fn enrolment_view(e: epb::Enrolment) -> EnrolmentView {
    EnrolmentView {
        status: status_name(e.status().as_str_name(), "ENROLMENT_STATUS_"),
        id: e.id,
        session_id: e.session_id,
        course_id: e.course_id,
        waitlist_position: e.waitlist_position,
        meetings_attended: e.meetings_attended,
        score: e.completion.and_then(|c| c.score),
    }
}

/// Enrols the caller (confirmed, waitlisted or pending approval).
#[utoipa::path(
    post,
    path = "/api/v1/sessions/{id}/enrolments",
    params(("id" = String, Path, description = "Session id")),
    request_body = EnrolBody,
    responses(
        (status = 200, body = EnrolmentView),
        (status = 401, body = ErrorBody),
        (status = 409, body = ErrorBody),
        (status = 429, body = ErrorBody)
    ),
    security(("bearer" = []))
)]
pub(super) async fn enrol(
    State(state): State<AppState>,
    bearer: Bearer,
    ApiPath(id): ApiPath<String>,
    JsonBody(body): JsonBody<EnrolBody>,
) -> Result<Response, ApiFailure> {
    if let Err(wait) = state.limiter.take(&bearer.caller.subject) {
        return Ok(too_many(wait.as_secs()));
    }
    let enrolment = state
        .backends
        .as_caller(&bearer.token)
        .enrolments()
        .enrol(epb::EnrolRequest {
            request_id: body.request_id,
            session_id: id,
            trainee: None,
            waive_prerequisites: false,
        })
        .await?
        .into_inner()
        .enrolment
        .unwrap_or_default();
    Ok(Json(enrolment_view(enrolment)).into_response())
}

/// Cancels one of the caller's enrolments.
#[utoipa::path(
    post,
    path = "/api/v1/enrolments/{id}/cancel",
    params(("id" = String, Path, description = "Enrolment id")),
    request_body = CancelBody,
    responses(
        (status = 200, body = EnrolmentView),
        (status = 403, body = ErrorBody),
        (status = 429, body = ErrorBody)
    ),
    security(("bearer" = []))
)]
pub(super) async fn cancel(
    State(state): State<AppState>,
    bearer: Bearer,
    ApiPath(id): ApiPath<String>,
    JsonBody(body): JsonBody<CancelBody>,
) -> Result<Response, ApiFailure> {
    if let Err(problem) = check_reason(&body.reason) {
        return Err(ApiError::invalid_field("reason", problem).into());
    }
    if let Err(wait) = state.limiter.take(&bearer.caller.subject) {
        return Ok(too_many(wait.as_secs()));
    }
    let enrolment = state
        .backends
        .as_caller(&bearer.token)
        .enrolments()
        .cancel_enrolment(epb::CancelEnrolmentRequest {
            request_id: body.request_id,
            enrolment_id: id,
            reason: body.reason,
        })
        .await?
        .into_inner()
        .enrolment
        .unwrap_or_default();
    Ok(Json(enrolment_view(enrolment)).into_response())
}

/// A reason as the document describes it: 1-500 characters, the first a
/// visible one, no control character (but tab and newline), no invisible
/// formatting or mark of direction.
fn check_reason(reason: &str) -> Result<(), &'static str> {
    let hidden = |c: char| {
        (c.is_control() && c != '\t' && c != '\n')
            || matches!(c, '\u{200B}' | '\u{2060}' | '\u{FEFF}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
    };
    match reason.chars().next() {
        None => Err("is required"),
        Some(first)
            if first.is_whitespace()
                || ('\u{200C}'..='\u{200F}').contains(&first)
                || hidden(first) =>
        {
            Err("must begin with a visible character")
        }
        _ if reason.chars().count() > 500 => Err("must be at most 500 characters"),
        _ if reason.chars().any(hidden) => {
            Err("must not contain control, direction or invisible formatting characters")
        }
        _ => Ok(()),
    }
}

fn too_many(seconds: u64) -> Response {
    let mut response = ApiFailure(ApiError::new(
        hamafza_kit::ErrorCode::ResourceExhausted,
        "RATE_LIMITED",
        "too many changes; retry after the given seconds",
    ))
    .into_response();
    if let Ok(value) = seconds.max(1).to_string().parse() {
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
    response
}

/// The caller's enrolments (every one, up to 2,000).
#[utoipa::path(
    get,
    path = "/api/v1/me/enrolments",
    responses((status = 200, body = [EnrolmentView]), (status = 401, body = ErrorBody)),
    security(("bearer" = []))
)]
pub(super) async fn my_enrolments(
    State(state): State<AppState>,
    bearer: Bearer,
) -> ApiResult<Vec<EnrolmentView>> {
    let request = epb::ListEnrolmentsRequest {
        trainee_subject: bearer.caller.subject.clone(),
        ..Default::default()
    };
    let enrolments = every_enrolment(&state.backends.as_caller(&bearer.token), request).await?;
    Ok(Json(enrolments.into_iter().map(enrolment_view).collect()))
}
