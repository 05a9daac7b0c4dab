//! The JSON API under `/api/v1`: the trainee's operations of the web app for
//! programs (bearer token), described by an OpenAPI 3 document at
//! `/api/openapi.json` with Swagger UI at `/api/docs`. Errors are JSON with a
//! stable code; gRPC codes map to HTTP statuses in the kit's one table.
//! Nothing a client sends sets a status, trainee or organization: those come
//! from the token and the services.
//!
//! Handlers live with their concept: [`catalog`] (courses, programs,
//! sessions, events), [`enrolments`], [`certificates`] (and verifying them),
//! [`benchmark`]. This module holds what they share: the error body, the
//! bearer token, the document and the router.

mod benchmark;
mod catalog;
mod certificates;
mod enrolments;
pub mod public;

use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use hamafza_kit::ApiError;
use hamafza_kit::auth::Caller;
use serde::Serialize;
use std::sync::Arc;
use utoipa::{OpenApi, ToSchema};

use crate::AppState;
use crate::i18n::instant;

pub use benchmark::BenchmarkRow;
pub use catalog::{CourseQuery, CourseView, EventView, ProgramView, SessionView};
pub use certificates::{CertificateView, CredentialBody, VerificationView};
pub use enrolments::{CancelBody, EnrolBody, EnrolmentView};
// The handlers with their `utoipa` path items, named in `ApiDoc` without a
// module: utoipa would make a module prefix the operation's tag.
use benchmark::*;
use catalog::*;
use certificates::*;
use enrolments::*;

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

/// A JSON request body whose every refusal is the API's JSON error (never
/// axum's plain text): no `Content-Type: application/json` is 415 with reason
/// `UNSUPPORTED_MEDIA_TYPE`; JSON that is malformed, of the wrong shape or
/// missing a field is 400 `INVALID_ARGUMENT` with a violation on `body`.
pub struct JsonBody<T>(pub T);

impl<T, S> axum::extract::FromRequest<S> for JsonBody<T>
where
    T: serde::de::DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = Response;

    async fn from_request(request: axum::extract::Request, state: &S) -> Result<Self, Response> {
        use axum::extract::rejection::JsonRejection;
        match Json::<T>::from_request(request, state).await {
            Ok(Json(value)) => Ok(Self(value)),
            Err(JsonRejection::MissingJsonContentType(_)) => {
                let body = ApiError::new(
                    hamafza_kit::ErrorCode::InvalidArgument,
                    "UNSUPPORTED_MEDIA_TYPE",
                    "send the body as JSON, with `Content-Type: application/json`",
                )
                .into_http_body();
                Err((axum::http::StatusCode::UNSUPPORTED_MEDIA_TYPE, Json(body)).into_response())
            }
            Err(rejection) => Err(ApiFailure(ApiError::invalid_field(
                "body",
                rejection.body_text(),
            ))
            .into_response()),
        }
    }
}

/// A path parameter whose refusal (not UTF-8, say) is the API's JSON error
/// on `path`, never axum's plain text.
pub struct ApiPath<T>(pub T);

impl<T, S> axum::extract::FromRequestParts<S> for ApiPath<T>
where
    T: serde::de::DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = ApiFailure;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<Self, ApiFailure> {
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(value)) => Ok(Self(value)),
            Err(rejection) => Err(ApiFailure(ApiError::invalid_field(
                "path",
                rejection.body_text(),
            ))),
        }
    }
}

/// A query string whose refusal (a field given twice, say) is the API's JSON
/// error on `query`, never axum's plain text.
pub struct ApiQuery<T>(pub T);

impl<T, S> axum::extract::FromRequestParts<S> for ApiQuery<T>
where
    T: serde::de::DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiFailure;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<Self, ApiFailure> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(value)) => Ok(Self(value)),
            Err(rejection) => Err(ApiFailure(ApiError::invalid_field(
                "query",
                rejection.body_text(),
            ))),
        }
    }
}

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

fn status_name(name: &str, prefix: &str) -> String {
    name.trim_start_matches(prefix).to_ascii_lowercase()
}

fn rfc3339(t: Option<&prost_types::Timestamp>) -> Option<String> {
    instant(t).map(|t| t.to_rfc3339())
}

/// The API's one-line description in the document.
const DESCRIPTION: &str = concat!(
    "The trainee's operations of the Hamafza web app. ",
    "Send `Authorization: Bearer <token>` where marked."
);

#[derive(OpenApi)]
#[openapi(
    info(title = "Hamafza API", description = DESCRIPTION),
    paths(
        courses,
        programs,
        sessions,
        session,
        enrol,
        cancel,
        my_enrolments,
        my_certificates,
        certificate,
        verify_serial,
        verify_credential,
        events,
        benchmark
    ),
    components(schemas(
        ErrorBody,
        Violation,
        CourseView,
        ProgramView,
        SessionView,
        EnrolmentView,
        CertificateView,
        VerificationView,
        EventView,
        BenchmarkRow,
        EnrolBody,
        CancelBody,
        CredentialBody
    )),
    modifiers(&BearerScheme, &ErrorAnswers)
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

/// Documents on every operation the error answers the server can give (all
/// `ErrorBody`, each with its stable `reason`), and the constraints the
/// server enforces on path parameters: what a generated client or a
/// property-based tester (Schemathesis) must expect.
struct ErrorAnswers;

impl utoipa::Modify for ErrorAnswers {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::{
            ContentBuilder, Ref, RefOr, ResponseBuilder, schema::ObjectBuilder, schema::Type,
        };
        let error = |description: &str| {
            RefOr::T(
                ResponseBuilder::new()
                    .description(description)
                    .content(
                        "application/json",
                        ContentBuilder::new()
                            .schema(Some(Ref::from_schema_name("ErrorBody")))
                            .build(),
                    )
                    .build(),
            )
        };
        for (path, item) in openapi.paths.paths.iter_mut() {
            let names_a_thing = path.contains('{');
            for (post, operation) in [(false, item.get.as_mut()), (true, item.post.as_mut())] {
                let Some(operation) = operation else {
                    continue;
                };
                let secured = operation.security.as_ref().is_some_and(|s| !s.is_empty());
                let mut answers: Vec<(&str, &str)> =
                    vec![("400", "invalid request: `violations` name the fields")];
                if secured {
                    answers.push(("401", "no valid bearer token"));
                    answers.push(("403", "the caller may not do this (`reason` says why)"));
                }
                if names_a_thing {
                    answers.push(("404", "no such thing"));
                }
                if post {
                    answers.push(("409", "already done, or a concurrent change won"));
                    answers.push(("415", "the body is not `application/json`"));
                    answers.push(("422", "refused in the current state (`reason` says why)"));
                }
                answers.push(("429", "too many requests; see `Retry-After`"));
                answers.push(("503", "a service is unavailable; see `Retry-After`"));
                for (code, description) in answers {
                    operation
                        .responses
                        .responses
                        .entry(code.to_owned())
                        .or_insert_with(|| error(description));
                }
                for parameter in operation.parameters.iter_mut().flatten() {
                    let RefOr::T(parameter) = parameter else {
                        continue;
                    };
                    let constraint = match parameter.name.as_str() {
                        "id" => ObjectBuilder::new().schema_type(Type::String).format(Some(
                            utoipa::openapi::SchemaFormat::Custom("uuid".to_owned()),
                        )),
                        "serial" => ObjectBuilder::new()
                            .schema_type(Type::String)
                            .pattern(Some(SERIAL_PATTERN)),
                        _ => continue,
                    };
                    parameter.schema = Some(constraint.build().into());
                }
            }
        }
    }
}

/// A certificate serial as the API accepts it: `HMZ-XXXX-XXXX-XXXX` in
/// Crockford base 32 (any case; I, L and O read as 1, 1 and 0; no U).
const SERIAL_PATTERN: &str =
    "^[Hh][Mm][Zz]-[0-9A-TV-Za-tv-z]{4}-[0-9A-TV-Za-tv-z]{4}-[0-9A-TV-Za-tv-z]{4}$";

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
