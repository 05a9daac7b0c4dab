//! The JSON API under `/api/v1`: the trainee's operations of the web app for
//! programs (bearer token), described by an OpenAPI 3 document at
//! `/api/openapi.json` with Swagger UI at `/api/docs`. Errors are JSON with a
//! stable code; gRPC codes map to HTTP statuses in the kit's one table.
//! Nothing a client sends sets a status, trainee or organization: those come
//! from the token and the services.

use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::header;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use hamafza_kit::ApiError;
use hamafza_kit::auth::Caller;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use utoipa::{IntoParams, OpenApi, ToSchema};

use crate::AppState;
use crate::backends::authed;
use crate::i18n::instant;
use hamafza_proto::certification as certpb;
use hamafza_proto::courses as cpb;
use hamafza_proto::enrolments as epb;

/// An error as the API reports it.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// Stable class: `invalid_argument`, `unauthenticated`, `permission_denied`, `not_found`, …
    pub code: String,
    /// Stable reason to branch on, kept from the service that refused:
    /// `SESSION_NOT_OPEN`, `ALREADY_ENROLLED`, `PREREQUISITES_MISSING`,
    /// `ENROLMENT_WINDOW_CLOSED`, `NOT_FOUND`, `INVALID_ARGUMENT`, `UNAVAILABLE`, …
    pub reason: String,
    /// For people (English; a page chooses its own wording from `reason`).
    pub message: String,
    /// The fields that were wrong, for `invalid_argument`.
    pub violations: Vec<Violation>,
}

/// One wrong field.
#[derive(Debug, Serialize, ToSchema)]
pub struct Violation {
    /// The field's path.
    pub field: String,
    /// What is wrong.
    pub description: String,
}

/// An API failure.
#[derive(Debug)]
pub struct ApiFailure(ApiError);

impl From<ApiError> for ApiFailure {
    fn from(error: ApiError) -> Self {
        Self(error)
    }
}

impl From<tonic::Status> for ApiFailure {
    fn from(status: tonic::Status) -> Self {
        Self(ApiError::from_status(&status))
    }
}

impl From<crate::web::PageError> for ApiFailure {
    fn from(error: crate::web::PageError) -> Self {
        Self(error.into_api_error())
    }
}

impl IntoResponse for ApiFailure {
    fn into_response(self) -> Response {
        // The kit's one conversion: status, JSON body, Retry-After, and the
        // internal cause logged, never sent.
        self.0.into_response()
    }
}

type ApiResult<T> = Result<Json<T>, ApiFailure>;

/// The bearer token of an API call, verified.
pub struct Bearer {
    token: String,
    caller: Arc<Caller>,
}

impl FromRequestParts<AppState> for Bearer {
    type Rejection = ApiFailure;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .ok_or_else(|| {
                ApiFailure(ApiError::unauthenticated(
                    "send `Authorization: Bearer <token>`",
                ))
            })?;
        let caller = state.verifier.verify(token).map_err(ApiFailure)?;
        Ok(Self {
            token: token.to_owned(),
            caller,
        })
    }
}

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
}

/// One of the caller's enrolments.
#[derive(Debug, Serialize, ToSchema)]
pub struct EnrolmentView {
    /// Id.
    pub id: String,
    /// The session.
    pub session_id: String,
    /// The course.
    pub course_id: String,
    /// `pending_approval`, `confirmed`, `waitlisted`, `rejected`, `cancelled`, `completed`, `failed` or `no_show`.
    pub status: String,
    /// Place on the waitlist (1 = next); 0 when not waitlisted.
    pub waitlist_position: u32,
    /// Meetings attended.
    pub meetings_attended: u32,
    /// The final score, once assessed.
    pub score: Option<u32>,
}

/// One of the caller's certificates.
#[derive(Debug, Serialize, ToSchema)]
pub struct CertificateView {
    /// Id.
    pub id: String,
    /// Serial, e.g. `HMZ-XXXX-XXXX-XXXX`.
    pub serial: String,
    /// Title in Persian.
    pub title_fa: String,
    /// Title in English.
    pub title_en: String,
    /// `active`, `revoked`, `expired` or `superseded`.
    pub status: String,
    /// Issue date in Solar Hijri.
    pub issue_date_fa: Option<String>,
    /// Issue date, Gregorian.
    pub issue_date_en: Option<String>,
    /// The public verification page.
    pub verification_url: String,
    /// The signed credential (VC-JWT).
    pub credential_jwt: String,
}

/// What a verifier learns.
#[derive(Debug, Serialize, ToSchema)]
pub struct VerificationView {
    /// `valid`, `revoked`, `expired`, `superseded`, `unknown` or `invalid_signature`.
    pub verdict: String,
    /// Serial, when known.
    pub serial: String,
    /// The trainee's name.
    pub trainee_name: String,
    /// The course or program title in Persian.
    pub title_fa: String,
    /// … and in English.
    pub title_en: String,
    /// Why it was revoked.
    pub revoke_reason: String,
}

/// An enrolment request.
#[derive(Debug, Deserialize, ToSchema)]
pub struct EnrolBody {
    /// A client request id (1-64 of A-Z a-z 0-9 _ -): a retry with it has no second effect.
    pub request_id: String,
}

/// A cancellation.
#[derive(Debug, Deserialize, ToSchema)]
pub struct CancelBody {
    /// A client request id.
    pub request_id: String,
    /// Why.
    pub reason: String,
}

/// A credential to verify.
#[derive(Debug, Deserialize, ToSchema)]
pub struct CredentialBody {
    /// The VC-JWT.
    pub credential: String,
}

/// Catalog filters.
#[derive(Debug, Default, Deserialize, IntoParams)]
pub struct CourseQuery {
    /// Text in code or title.
    #[serde(default)]
    pub text: String,
    /// Subject area.
    #[serde(default)]
    pub category: String,
}

fn status_name(name: &str, prefix: &str) -> String {
    name.trim_start_matches(prefix).to_ascii_lowercase()
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

fn rfc3339(t: Option<&prost_types::Timestamp>) -> Option<String> {
    instant(t).map(|t| t.to_rfc3339())
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

/// Published courses.
#[utoipa::path(get, path = "/api/v1/courses", params(CourseQuery), responses((status = 200, body = [CourseView])))]
async fn courses(
    State(state): State<AppState>,
    Query(query): Query<CourseQuery>,
) -> ApiResult<Vec<CourseView>> {
    let courses = state
        .backends
        .courses()
        .list_courses(authed(
            &state.backends.public_token(),
            cpb::ListCoursesRequest {
                page_size: 200,
                statuses: vec![cpb::CatalogStatus::Published.into()],
                text: query.text,
                category: query.category,
                ..Default::default()
            },
        ))
        .await?
        .into_inner()
        .courses;
    Ok(Json(courses.into_iter().map(course_view).collect()))
}

async fn seats_left(
    state: &AppState,
    token: &str,
    ids: Vec<String>,
) -> std::collections::HashMap<String, u32> {
    state
        .backends
        .enrolments()
        .batch_get_session_seats(authed(
            token,
            epb::BatchGetSessionSeatsRequest { session_ids: ids },
        ))
        .await
        .map(|r| {
            r.into_inner()
                .sessions
                .into_iter()
                .map(|s| (s.session_id, s.seats_left))
                .collect()
        })
        .unwrap_or_default()
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
        id: session.id,
        course_id: session.course_id,
    }
}

/// Sessions open for enrolment, with the seats left.
#[utoipa::path(get, path = "/api/v1/sessions", responses((status = 200, body = [SessionView])))]
async fn sessions(State(state): State<AppState>) -> ApiResult<Vec<SessionView>> {
    let token = state.backends.public_token();
    let sessions = state
        .backends
        .sessions()
        .list_sessions(authed(
            &token,
            cpb::ListSessionsRequest {
                page_size: 200,
                statuses: vec![cpb::SessionStatus::Open.into()],
                ..Default::default()
            },
        ))
        .await?
        .into_inner()
        .sessions;
    let seats = seats_left(
        &state,
        &token,
        sessions.iter().map(|s| s.id.clone()).collect(),
    )
    .await;
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
#[utoipa::path(get, path = "/api/v1/sessions/{id}", params(("id" = String, Path, description = "Session id")), responses((status = 200, body = SessionView), (status = 404, body = ErrorBody), (status = 503, body = ErrorBody)))]
async fn session(State(state): State<AppState>, Path(id): Path<String>) -> ApiResult<SessionView> {
    let (session, _) =
        crate::pages::session::public_session(&state, crate::i18n::Lang::En, &id).await?;
    let left = seats_left(&state, &state.backends.public_token(), vec![id])
        .await
        .into_values()
        .next();
    Ok(Json(session_view(session, left)))
}

/// Enrols the caller (confirmed, waitlisted or pending approval).
#[utoipa::path(post, path = "/api/v1/sessions/{id}/enrolments", params(("id" = String, Path, description = "Session id")), request_body = EnrolBody,
    responses((status = 200, body = EnrolmentView), (status = 401, body = ErrorBody), (status = 409, body = ErrorBody), (status = 429, body = ErrorBody)),
    security(("bearer" = [])))]
async fn enrol(
    State(state): State<AppState>,
    bearer: Bearer,
    Path(id): Path<String>,
    Json(body): Json<EnrolBody>,
) -> Result<Response, ApiFailure> {
    if let Err(wait) = state.limiter.take(&bearer.caller.subject) {
        return Ok(too_many(wait.as_secs()));
    }
    let enrolment = state
        .backends
        .enrolments()
        .enrol(authed(
            &bearer.token,
            epb::EnrolRequest {
                request_id: body.request_id,
                session_id: id,
                trainee: None,
                waive_prerequisites: false,
            },
        ))
        .await?
        .into_inner()
        .enrolment
        .unwrap_or_default();
    Ok(Json(enrolment_view(enrolment)).into_response())
}

/// Cancels one of the caller's enrolments.
#[utoipa::path(post, path = "/api/v1/enrolments/{id}/cancel", params(("id" = String, Path, description = "Enrolment id")), request_body = CancelBody,
    responses((status = 200, body = EnrolmentView), (status = 403, body = ErrorBody), (status = 429, body = ErrorBody)), security(("bearer" = [])))]
async fn cancel(
    State(state): State<AppState>,
    bearer: Bearer,
    Path(id): Path<String>,
    Json(body): Json<CancelBody>,
) -> Result<Response, ApiFailure> {
    if let Err(wait) = state.limiter.take(&bearer.caller.subject) {
        return Ok(too_many(wait.as_secs()));
    }
    let enrolment = state
        .backends
        .enrolments()
        .cancel_enrolment(authed(
            &bearer.token,
            epb::CancelEnrolmentRequest {
                request_id: body.request_id,
                enrolment_id: id,
                reason: body.reason,
            },
        ))
        .await?
        .into_inner()
        .enrolment
        .unwrap_or_default();
    Ok(Json(enrolment_view(enrolment)).into_response())
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

/// The caller's enrolments.
#[utoipa::path(get, path = "/api/v1/me/enrolments", responses((status = 200, body = [EnrolmentView]), (status = 401, body = ErrorBody)), security(("bearer" = [])))]
async fn my_enrolments(
    State(state): State<AppState>,
    bearer: Bearer,
) -> ApiResult<Vec<EnrolmentView>> {
    let enrolments = state
        .backends
        .enrolments()
        .list_enrolments(authed(
            &bearer.token,
            epb::ListEnrolmentsRequest {
                page_size: 200,
                trainee_subject: bearer.caller.subject.clone(),
                ..Default::default()
            },
        ))
        .await?
        .into_inner()
        .enrolments;
    Ok(Json(enrolments.into_iter().map(enrolment_view).collect()))
}

fn certificate_view(c: certpb::Certificate, verification_url: String) -> CertificateView {
    let title = c.title.clone().unwrap_or_default();
    let issued = instant(c.issue_time.as_ref()).map(hamafza_kit::jalali::show);
    CertificateView {
        status: status_name(c.status().as_str_name(), "CERTIFICATE_STATUS_"),
        issue_date_fa: issued.as_ref().map(|d| d.jalali_long.clone()),
        issue_date_en: issued.map(|d| d.gregorian_long),
        title_fa: title.fa,
        title_en: title.en,
        verification_url,
        id: c.id,
        serial: c.serial,
        credential_jwt: c.credential_jwt,
    }
}

/// The caller's certificates.
#[utoipa::path(get, path = "/api/v1/me/certificates", responses((status = 200, body = [CertificateView]), (status = 401, body = ErrorBody)), security(("bearer" = [])))]
async fn my_certificates(
    State(state): State<AppState>,
    bearer: Bearer,
) -> ApiResult<Vec<CertificateView>> {
    let certificates = state
        .backends
        .certification()
        .list_certificates(authed(
            &bearer.token,
            certpb::ListCertificatesRequest {
                page_size: 200,
                trainee_subject: bearer.caller.subject.clone(),
                ..Default::default()
            },
        ))
        .await?
        .into_inner()
        .certificates;
    Ok(Json(
        certificates
            .into_iter()
            .map(|c| {
                let url = format!("{}/verify/{}", state.public_base, c.serial);
                certificate_view(c, url)
            })
            .collect(),
    ))
}

/// One certificate the caller may see.
#[utoipa::path(get, path = "/api/v1/certificates/{id}", params(("id" = String, Path, description = "Certificate id")),
    responses((status = 200, body = CertificateView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
async fn certificate(
    State(state): State<AppState>,
    bearer: Bearer,
    Path(id): Path<String>,
) -> ApiResult<CertificateView> {
    let shown = state
        .backends
        .certification()
        .get_certificate_presentation(authed(
            &bearer.token,
            certpb::GetCertificatePresentationRequest { certificate_id: id },
        ))
        .await?
        .into_inner();
    Ok(Json(certificate_view(
        shown.certificate.unwrap_or_default(),
        shown.verification_url,
    )))
}

fn verification_view(answer: certpb::VerifyCertificateResponse) -> VerificationView {
    let certificate = answer.certificate.clone().unwrap_or_default();
    let title = certificate.title.unwrap_or_default();
    VerificationView {
        verdict: status_name(answer.verdict().as_str_name(), "VERDICT_"),
        serial: certificate.serial,
        trainee_name: certificate.trainee_name,
        title_fa: title.fa,
        title_en: title.en,
        revoke_reason: answer.revoke_reason,
    }
}

/// Verifies a certificate by serial; no token needed.
#[utoipa::path(get, path = "/api/v1/verify/{serial}", params(("serial" = String, Path, description = "Serial, e.g. HMZ-XXXX-XXXX-XXXX")),
    responses((status = 200, body = VerificationView), (status = 400, body = ErrorBody)))]
async fn verify_serial(
    State(state): State<AppState>,
    Path(serial): Path<String>,
) -> ApiResult<VerificationView> {
    let answer = state
        .backends
        .certification()
        .verify_certificate(crate::backends::traced(certpb::VerifyCertificateRequest {
            credential: Some(certpb::verify_certificate_request::Credential::Serial(
                serial,
            )),
        }))
        .await?
        .into_inner();
    Ok(Json(verification_view(answer)))
}

/// Verifies a presented credential (VC-JWT); no token needed.
#[utoipa::path(post, path = "/api/v1/verify", request_body = CredentialBody, responses((status = 200, body = VerificationView), (status = 400, body = ErrorBody)))]
async fn verify_credential(
    State(state): State<AppState>,
    Json(body): Json<CredentialBody>,
) -> ApiResult<VerificationView> {
    let answer = state
        .backends
        .certification()
        .verify_certificate(crate::backends::traced(certpb::VerifyCertificateRequest {
            credential: Some(
                certpb::verify_certificate_request::Credential::CredentialJwt(body.credential),
            ),
        }))
        .await?
        .into_inner();
    Ok(Json(verification_view(answer)))
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

/// One organization's benchmark.
#[derive(Debug, Serialize, ToSchema)]
pub struct BenchmarkRow {
    /// The organization.
    pub organization_id: String,
    /// People who completed at least one course.
    pub people_trained: u32,
    /// Enrolments made.
    pub enrolments: u32,
    /// Completed over ended.
    pub completion_rate: Option<f64>,
    /// Average score.
    pub average_score: Option<f64>,
    /// Training hours per person trained.
    pub training_hours_per_head: Option<f64>,
    /// Certificates earned.
    pub certificates_earned: u32,
}

/// Published programs.
#[utoipa::path(get, path = "/api/v1/programs", responses((status = 200, body = [ProgramView])))]
async fn programs(State(state): State<AppState>) -> ApiResult<Vec<ProgramView>> {
    let programs = state
        .backends
        .courses()
        .list_programs(authed(
            &state.backends.public_token(),
            cpb::ListProgramsRequest {
                page_size: 200,
                statuses: vec![cpb::CatalogStatus::Published.into()],
                ..Default::default()
            },
        ))
        .await?
        .into_inner()
        .programs;
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

/// The year's events, from a month ago on.
#[utoipa::path(get, path = "/api/v1/events", responses((status = 200, body = [EventView])))]
async fn events(State(state): State<AppState>) -> ApiResult<Vec<EventView>> {
    let from = chrono::Utc::now() - chrono::Duration::days(30);
    let events = state
        .backends
        .events()
        .list_events(authed(
            &state.backends.public_token(),
            cpb::ListEventsRequest {
                page_size: 200,
                start_time: Some(hamafza_proto::common::TimeRange {
                    start_time: Some(hamafza_kit::time::to_timestamp(from)),
                    end_time: None,
                }),
                ..Default::default()
            },
        ))
        .await?
        .into_inner()
        .events;
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

/// Benchmarking the organizations (org managers, council, admins).
#[utoipa::path(get, path = "/api/v1/benchmark", responses((status = 200, body = [BenchmarkRow]), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)), security(("bearer" = [])))]
async fn benchmark(State(state): State<AppState>, bearer: Bearer) -> ApiResult<Vec<BenchmarkRow>> {
    let report = state
        .backends
        .reports()
        .get_benchmark(authed(&bearer.token, epb::GetBenchmarkRequest::default()))
        .await?
        .into_inner();
    Ok(Json(
        report
            .organizations
            .into_iter()
            .map(|o| {
                let m = o.measures.unwrap_or_default();
                BenchmarkRow {
                    organization_id: o.organization_id,
                    people_trained: m.people_trained,
                    enrolments: m.enrolments,
                    completion_rate: m.completion_rate,
                    average_score: m.average_score,
                    training_hours_per_head: m.training_hours_per_head,
                    certificates_earned: m.certificates_earned,
                }
            })
            .collect(),
    ))
}

#[derive(OpenApi)]
#[openapi(
    info(title = "Hamafza API", description = "The trainee's operations of the Hamafza web app. Send `Authorization: Bearer <token>` where marked."),
    paths(courses, programs, sessions, session, enrol, cancel, my_enrolments, my_certificates, certificate, verify_serial, verify_credential, events, benchmark),
    components(schemas(ErrorBody, Violation, CourseView, ProgramView, SessionView, EnrolmentView, CertificateView, VerificationView, EventView, BenchmarkRow, EnrolBody, CancelBody, CredentialBody)),
    modifiers(&BearerScheme)
)]
struct ApiDoc;

struct BearerScheme;

impl utoipa::Modify for BearerScheme {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        if let Some(components) = openapi.components.as_mut() {
            components.add_security_scheme(
                "bearer",
                SecurityScheme::Http(
                    HttpBuilder::new()
                        .scheme(HttpAuthScheme::Bearer)
                        .bearer_format("JWT")
                        .build(),
                ),
            );
        }
    }
}

/// The OpenAPI document.
pub fn openapi() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}

/// The API's routes, the document and the Swagger UI.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/courses", get(courses))
        .route("/api/v1/programs", get(programs))
        .route("/api/v1/events", get(events))
        .route("/api/v1/benchmark", get(benchmark))
        .route("/api/v1/sessions", get(sessions))
        .route("/api/v1/sessions/{id}", get(session))
        .route("/api/v1/sessions/{id}/enrolments", post(enrol))
        .route("/api/v1/enrolments/{id}/cancel", post(cancel))
        .route("/api/v1/me/enrolments", get(my_enrolments))
        .route("/api/v1/me/certificates", get(my_certificates))
        .route("/api/v1/certificates/{id}", get(certificate))
        .route("/api/v1/verify/{serial}", get(verify_serial))
        .route("/api/v1/verify", post(verify_credential))
        .merge(utoipa_swagger_ui::SwaggerUi::new("/api/docs").url("/api/openapi.json", openapi()))
}
