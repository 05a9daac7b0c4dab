//! The one error type every service returns to its callers, with stable codes
//! mapped to gRPC status codes and HTTP statuses in a single table.

use std::borrow::Cow;
use std::fmt;

use tonic_types::{ErrorDetails, StatusExt};

/// The domain in `google.rpc.ErrorInfo` details.
const ERROR_DOMAIN: &str = "hamafza";

/// Stable error classes. Each has exactly one gRPC code and one HTTP status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    /// The request is malformed; field violations say where.
    InvalidArgument,
    /// No valid credentials were presented.
    Unauthenticated,
    /// The caller is known but may not do this.
    PermissionDenied,
    /// The named thing does not exist (or the caller may not know it does).
    NotFound,
    /// The thing to create exists already.
    AlreadyExists,
    /// The request is valid but the state of the system forbids it now.
    FailedPrecondition,
    /// A concurrent change won; retrying may succeed.
    Aborted,
    /// A quota or rate limit was hit.
    ResourceExhausted,
    /// A dependency is down; retrying later may succeed.
    Unavailable,
    /// A bug or an unexpected failure; details are logged, not returned.
    Internal,
}

impl ErrorCode {
    /// The stable lowercase name, as used in JSON error bodies.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::InvalidArgument => "invalid_argument",
            Self::Unauthenticated => "unauthenticated",
            Self::PermissionDenied => "permission_denied",
            Self::NotFound => "not_found",
            Self::AlreadyExists => "already_exists",
            Self::FailedPrecondition => "failed_precondition",
            Self::Aborted => "aborted",
            Self::ResourceExhausted => "resource_exhausted",
            Self::Unavailable => "unavailable",
            Self::Internal => "internal",
        }
    }

    /// The gRPC status code.
    pub const fn grpc(self) -> tonic::Code {
        match self {
            Self::InvalidArgument => tonic::Code::InvalidArgument,
            Self::Unauthenticated => tonic::Code::Unauthenticated,
            Self::PermissionDenied => tonic::Code::PermissionDenied,
            Self::NotFound => tonic::Code::NotFound,
            Self::AlreadyExists => tonic::Code::AlreadyExists,
            Self::FailedPrecondition => tonic::Code::FailedPrecondition,
            Self::Aborted => tonic::Code::Aborted,
            Self::ResourceExhausted => tonic::Code::ResourceExhausted,
            Self::Unavailable => tonic::Code::Unavailable,
            Self::Internal => tonic::Code::Internal,
        }
    }

    /// The HTTP status.
    pub const fn http_status(self) -> u16 {
        match self {
            Self::InvalidArgument => 400,
            Self::Unauthenticated => 401,
            Self::PermissionDenied => 403,
            Self::NotFound => 404,
            Self::AlreadyExists | Self::Aborted => 409,
            Self::FailedPrecondition => 422,
            Self::ResourceExhausted => 429,
            Self::Unavailable => 503,
            Self::Internal => 500,
        }
    }

    /// The class of a gRPC status code received from another service, so a
    /// caller can pass a downstream refusal on faithfully.
    pub const fn from_grpc(code: tonic::Code) -> Self {
        match code {
            tonic::Code::InvalidArgument | tonic::Code::OutOfRange => Self::InvalidArgument,
            tonic::Code::Unauthenticated => Self::Unauthenticated,
            tonic::Code::PermissionDenied => Self::PermissionDenied,
            tonic::Code::NotFound => Self::NotFound,
            tonic::Code::AlreadyExists => Self::AlreadyExists,
            tonic::Code::FailedPrecondition => Self::FailedPrecondition,
            tonic::Code::Aborted => Self::Aborted,
            tonic::Code::ResourceExhausted => Self::ResourceExhausted,
            tonic::Code::Unavailable | tonic::Code::DeadlineExceeded | tonic::Code::Cancelled => {
                Self::Unavailable
            }
            tonic::Code::Ok
            | tonic::Code::Unknown
            | tonic::Code::Unimplemented
            | tonic::Code::Internal
            | tonic::Code::DataLoss => Self::Internal,
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One invalid field of a request: its path (e.g. `details.title.fa`) and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldViolation {
    /// Dotted path of the field in the request message.
    pub field: String,
    /// What is wrong with it, for a human.
    pub description: String,
}

/// An error as a caller sees it.
///
/// `reason` is a stable UPPER_SNAKE identifier (e.g. `COURSE_NOT_DRAFT`) sent as
/// `google.rpc.ErrorInfo` so clients can branch on it without parsing text.
/// Internal errors keep their cause for the log and show only a generic message.
#[derive(Debug)]
pub struct ApiError {
    code: ErrorCode,
    reason: Cow<'static, str>,
    message: String,
    violations: Vec<FieldViolation>,
    cause: Option<anyhow::Error>,
}

impl ApiError {
    /// An error of class `code` with a stable `reason` and a human message.
    pub fn new(code: ErrorCode, reason: &'static str, message: impl Into<String>) -> Self {
        Self {
            code,
            reason: Cow::Borrowed(reason),
            message: message.into(),
            violations: Vec::new(),
            cause: None,
        }
    }

    /// The same error under another stable `reason` (e.g. one a service sent
    /// in a message rather than a status); an empty one changes nothing.
    pub fn with_reason(mut self, reason: impl Into<String>) -> Self {
        let reason = reason.into();
        if !reason.is_empty() {
            self.reason = Cow::Owned(reason);
        }
        self
    }

    /// An `INVALID_ARGUMENT` error listing the bad fields: the first
    /// [`MAX_VIOLATIONS`], then one saying how many more, so that a request
    /// with a million bad elements gets a small answer (standard gRPC
    /// clients refuse trailers over 16 KiB).
    pub fn invalid(violations: Vec<FieldViolation>) -> Self {
        let more = violations.len().saturating_sub(MAX_VIOLATIONS);
        Self::invalid_and_more(violations, more)
    }

    /// [`ApiError::invalid`] for the first violations of a list `more` longer.
    fn invalid_and_more(mut violations: Vec<FieldViolation>, more: usize) -> Self {
        violations.truncate(MAX_VIOLATIONS);
        if more > 0 {
            violations.push(more_violations(more));
        }
        for violation in &mut violations {
            truncate_chars(&mut violation.field, 200);
            truncate_chars(&mut violation.description, 300);
        }
        let problems: Vec<String> = violations
            .iter()
            .take(5)
            .map(|v| format!("{} {}", v.field, v.description))
            .collect();
        let mut message = format!("invalid request: {}", problems.join("; "));
        if violations.len() > 5 {
            message.push_str(&format!("; and {} more", violations.len() - 5));
        }
        Self {
            code: ErrorCode::InvalidArgument,
            reason: Cow::Borrowed("INVALID_ARGUMENT"),
            message,
            violations,
            cause: None,
        }
    }

    /// An `INVALID_ARGUMENT` error about one field.
    pub fn invalid_field(field: impl Into<String>, description: impl Into<String>) -> Self {
        Self::invalid(vec![FieldViolation {
            field: field.into(),
            description: description.into(),
        }])
    }

    /// `UNAUTHENTICATED`, with why the credentials were refused.
    pub fn unauthenticated(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Unauthenticated, "UNAUTHENTICATED", message)
    }

    /// `PERMISSION_DENIED`, with what the caller lacks.
    pub fn permission_denied(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::PermissionDenied, "PERMISSION_DENIED", message)
    }

    /// `NOT_FOUND` for a `kind` of thing (e.g. "course") with this id.
    pub fn not_found(kind: &str, id: impl fmt::Display) -> Self {
        Self::new(
            ErrorCode::NotFound,
            "NOT_FOUND",
            format!("{kind} {id} does not exist"),
        )
    }

    /// `UNAVAILABLE`: a dependency could not be reached.
    pub fn unavailable(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Unavailable, "UNAVAILABLE", message)
    }

    /// The same error keeping `cause` (never sent): what went wrong below,
    /// for [`ApiError::cause`] (e.g. whether a database connection was lost).
    pub fn caused_by(mut self, cause: impl Into<anyhow::Error>) -> Self {
        self.cause = Some(cause.into());
        self
    }

    /// What went wrong below, when it is known (never sent).
    pub fn cause(&self) -> Option<&anyhow::Error> {
        self.cause.as_ref()
    }

    /// `INTERNAL`: keeps `cause` for the log; the caller sees a generic message.
    pub fn internal(cause: impl Into<anyhow::Error>) -> Self {
        Self {
            code: ErrorCode::Internal,
            reason: Cow::Borrowed("INTERNAL"),
            message: "internal error".to_owned(),
            violations: Vec::new(),
            cause: Some(cause.into()),
        }
    }

    /// The error class.
    pub fn code(&self) -> ErrorCode {
        self.code
    }

    /// The stable reason identifier.
    pub fn reason(&self) -> &str {
        &self.reason
    }

    /// The message shown to the caller.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The invalid fields, for `INVALID_ARGUMENT`.
    pub fn violations(&self) -> &[FieldViolation] {
        &self.violations
    }

    /// Turns a status received from another service into an error of the same
    /// class, keeping its stable reason (`google.rpc.ErrorInfo`), message and
    /// field violations, so a refusal reads the same after every hop. A
    /// status without our reason (a transport failure, another system) is
    /// `DOWNSTREAM`, or `UNAVAILABLE` for an unreachable peer.
    pub fn from_status(status: &tonic::Status) -> Self {
        let code = ErrorCode::from_grpc(status.code());
        if code == ErrorCode::Internal {
            return Self::internal(anyhow::anyhow!(
                "downstream {:?}: {}",
                status.code(),
                status.message()
            ));
        }
        let details = status.get_error_details();
        let violations = details
            .bad_request()
            .map(|bad| {
                bad.field_violations
                    .iter()
                    .map(|v| FieldViolation {
                        field: v.field.clone(),
                        description: v.description.clone(),
                    })
                    .collect()
            })
            .unwrap_or_default();
        let reason = match details.error_info() {
            Some(info) if info.domain == ERROR_DOMAIN && is_reason(&info.reason) => {
                Cow::Owned(info.reason.clone())
            }
            _ if code == ErrorCode::Unavailable => Cow::Borrowed("UNAVAILABLE"),
            _ => Cow::Borrowed("DOWNSTREAM"),
        };
        Self {
            code,
            reason,
            message: status.message().to_owned(),
            violations,
            cause: None,
        }
    }

    /// Logs an internal error with its whole cause chain. Other classes are the
    /// caller's business and are not logged as errors.
    fn log_if_internal(&self) {
        if self.code == ErrorCode::Internal
            && let Some(cause) = &self.cause
        {
            tracing::error!(error = format!("{cause:#}"), "internal error");
        }
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.cause {
            Some(cause) => write!(f, "{}: {cause:#}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for ApiError {}

impl From<ApiError> for tonic::Status {
    fn from(error: ApiError) -> Self {
        error.log_if_internal();
        let mut details = ErrorDetails::new();
        if !error.violations.is_empty() {
            details.set_bad_request(
                error
                    .violations
                    .iter()
                    .map(|v| {
                        tonic_types::FieldViolation::new(v.field.clone(), v.description.clone())
                    })
                    .collect::<Vec<_>>(),
            );
        }
        details.set_error_info(
            error.reason.as_ref(),
            ERROR_DOMAIN,
            std::collections::HashMap::<String, String>::new(),
        );
        tonic::Status::with_error_details(error.code.grpc(), error.message, details)
    }
}

/// Whether `reason` has the form of a stable reason (`UPPER_SNAKE`, at most
/// 63 characters), so nothing else a peer sends passes on as one.
fn is_reason(reason: &str) -> bool {
    !reason.is_empty()
        && reason.len() <= 63
        && reason
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
}

/// An error as a JSON API reports it: `{"code","reason","message","violations"}`.
#[derive(Debug, Clone, serde::Serialize)]
pub struct HttpErrorBody {
    /// The stable class (`not_found`, `failed_precondition`, …).
    pub code: &'static str,
    /// The stable reason (`SESSION_NOT_OPEN`, …), for clients to branch on.
    pub reason: String,
    /// For people; generic for internal errors.
    pub message: String,
    /// The fields that were wrong, for `invalid_argument`.
    pub violations: Vec<HttpViolation>,
}

/// One wrong field in an [`HttpErrorBody`].
#[derive(Debug, Clone, serde::Serialize)]
pub struct HttpViolation {
    /// The field's path.
    pub field: String,
    /// What is wrong.
    pub description: String,
}

impl ApiError {
    /// The HTTP status of this error's class.
    pub fn http_status(&self) -> axum::http::StatusCode {
        axum::http::StatusCode::from_u16(self.code.http_status())
            .unwrap_or(axum::http::StatusCode::INTERNAL_SERVER_ERROR)
    }

    /// The JSON body an HTTP API answers with; logs an internal error's
    /// cause (never sent).
    pub fn into_http_body(self) -> HttpErrorBody {
        self.log_if_internal();
        HttpErrorBody {
            code: self.code.as_str(),
            reason: self.reason.into_owned(),
            message: self.message,
            violations: self
                .violations
                .into_iter()
                .map(|v| HttpViolation {
                    field: v.field,
                    description: v.description,
                })
                .collect(),
        }
    }
}

/// The one place an error becomes an HTTP response: the class's status, the
/// JSON body, `Retry-After` when retrying later may help.
impl axum::response::IntoResponse for ApiError {
    fn into_response(self) -> axum::response::Response {
        use axum::http::{HeaderValue, header};
        let status = self.http_status();
        let retry = matches!(
            self.code,
            ErrorCode::Unavailable | ErrorCode::ResourceExhausted
        );
        let body = serde_json::to_vec(&self.into_http_body()).unwrap_or_default();
        let mut response = (status, body).into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        if retry {
            headers.insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        }
        response
    }
}

/// Parses a required id field, recording a violation when it is missing or
/// not a UUID.
pub fn parse_id(violations: &mut Violations, field: &str, value: &str) -> Option<uuid::Uuid> {
    if value.is_empty() {
        violations.add(field, "is required");
        return None;
    }
    violations.take(
        field,
        uuid::Uuid::parse_str(value).map_err(|_| "is not a valid id"),
    )
}

/// Most field violations one answer lists; the rest are counted.
pub const MAX_VIOLATIONS: usize = 20;

fn more_violations(count: usize) -> FieldViolation {
    FieldViolation {
        field: "request".to_owned(),
        description: format!("and {count} more problems"),
    }
}

/// Cuts `text` to at most `max` characters.
fn truncate_chars(text: &mut String, max: usize) {
    if let Some((at, _)) = text.char_indices().nth(max) {
        text.truncate(at);
        text.push('…');
    }
}

/// Collects field violations while validating a request, so that one reply
/// names every bad field instead of the first one only — up to
/// [`MAX_VIOLATIONS`]; past that they are only counted, so checking a huge
/// bad list costs little.
#[derive(Debug, Default)]
pub struct Violations(Vec<FieldViolation>, usize);

impl Violations {
    /// No violations yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records that `field` is invalid.
    pub fn add(&mut self, field: impl Into<String>, description: impl Into<String>) {
        if self.0.len() >= MAX_VIOLATIONS {
            self.1 += 1;
            return;
        }
        self.0.push(FieldViolation {
            field: field.into(),
            description: description.into(),
        });
    }

    /// Whether nothing was recorded.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Takes the `Ok` value, or records the error against `field`.
    pub fn take<T>(
        &mut self,
        field: impl Into<String>,
        result: Result<T, impl fmt::Display>,
    ) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(error) => {
                self.add(field, error.to_string());
                None
            }
        }
    }

    /// `Ok` when nothing was recorded, else one `INVALID_ARGUMENT` error.
    pub fn finish(self) -> Result<(), ApiError> {
        let Self(violations, more) = self;
        if violations.is_empty() {
            return Ok(());
        }
        Err(ApiError::invalid_and_more(violations, more))
    }

    /// Like [`Violations::finish`], yielding `value` when valid.
    pub fn finish_with<T>(self, value: Option<T>) -> Result<T, ApiError> {
        match (self.finish(), value) {
            (Ok(()), Some(value)) => Ok(value),
            (Err(error), _) => Err(error),
            // A missing value always has a violation recorded with it; this arm
            // only guards against a validator that forgot to record one.
            (Ok(()), None) => Err(ApiError::invalid_field("request", "is incomplete")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_maps_to_one_grpc_code_and_back() {
        let codes = [
            ErrorCode::InvalidArgument,
            ErrorCode::Unauthenticated,
            ErrorCode::PermissionDenied,
            ErrorCode::NotFound,
            ErrorCode::AlreadyExists,
            ErrorCode::FailedPrecondition,
            ErrorCode::Aborted,
            ErrorCode::ResourceExhausted,
            ErrorCode::Unavailable,
            ErrorCode::Internal,
        ];
        for code in codes {
            assert_eq!(ErrorCode::from_grpc(code.grpc()), code, "{code}");
            assert!((400..600).contains(&code.http_status()));
        }
    }

    #[test]
    fn invalid_argument_carries_field_violations() {
        let mut violations = Violations::new();
        violations.add("details.code", "must not be empty");
        violations.add("details.hours", "must be between 1 and 1000");
        let status: tonic::Status = violations.finish().unwrap_err().into();
        assert_eq!(status.code(), tonic::Code::InvalidArgument);
        let details = status.get_error_details();
        let fields: Vec<_> = details
            .bad_request()
            .unwrap()
            .field_violations
            .iter()
            .map(|v| v.field.as_str())
            .collect();
        assert_eq!(fields, ["details.code", "details.hours"]);
        assert_eq!(details.error_info().unwrap().reason, "INVALID_ARGUMENT");
    }

    #[test]
    fn a_flood_of_bad_fields_gets_a_small_answer() {
        let mut violations = Violations::new();
        for i in 0..1_000_000 {
            violations.add(format!("statuses[{i}]"), "is not a status");
        }
        let status: tonic::Status = violations.finish().unwrap_err().into();
        let details = status.get_error_details();
        let listed = &details.bad_request().unwrap().field_violations;
        assert_eq!(listed.len(), MAX_VIOLATIONS + 1);
        assert_eq!(
            listed[MAX_VIOLATIONS].description,
            "and 999980 more problems"
        );
        assert!(status.message().len() < 1_000, "{}", status.message());
        assert!(
            status.details().len() < 8 * 1024,
            "{}",
            status.details().len()
        );
    }

    #[test]
    fn internal_errors_hide_their_cause() {
        let status: tonic::Status = ApiError::internal(anyhow::anyhow!("disk on fire")).into();
        assert_eq!(status.code(), tonic::Code::Internal);
        assert_eq!(status.message(), "internal error");
    }

    #[test]
    fn downstream_statuses_keep_their_class_and_fields() {
        let original: tonic::Status = ApiError::invalid_field("course_id", "bad").into();
        let relayed = ApiError::from_status(&original);
        assert_eq!(relayed.code(), ErrorCode::InvalidArgument);
        assert_eq!(relayed.violations()[0].field, "course_id");
        assert_eq!(relayed.reason(), "INVALID_ARGUMENT");
    }

    #[test]
    fn a_refusal_keeps_its_reason_across_hops() {
        let refused: tonic::Status = ApiError::new(
            ErrorCode::FailedPrecondition,
            "SESSION_NOT_OPEN",
            "the session is closed",
        )
        .into();
        // enrolments -> gateway: the same reason, class and message.
        let relayed = ApiError::from_status(&refused);
        assert_eq!(relayed.reason(), "SESSION_NOT_OPEN");
        assert_eq!(relayed.code(), ErrorCode::FailedPrecondition);
        // And once more, as a service relays what it was told.
        let again = ApiError::from_status(&tonic::Status::from(relayed));
        assert_eq!(again.reason(), "SESSION_NOT_OPEN");
        let body = again.into_http_body();
        assert_eq!(
            (body.code, body.reason.as_str()),
            ("failed_precondition", "SESSION_NOT_OPEN")
        );
    }

    #[test]
    fn statuses_without_our_reason_are_downstream_or_unavailable() {
        let relayed = ApiError::from_status(&tonic::Status::unavailable("connection refused"));
        assert_eq!(
            (relayed.code(), relayed.reason()),
            (ErrorCode::Unavailable, "UNAVAILABLE")
        );
        let relayed = ApiError::from_status(&tonic::Status::not_found("gone"));
        assert_eq!(relayed.reason(), "DOWNSTREAM");
        let mut details = ErrorDetails::new();
        details.set_error_info(
            "not a reason; <script>",
            ERROR_DOMAIN,
            std::collections::HashMap::<String, String>::new(),
        );
        let odd = tonic::Status::with_error_details(tonic::Code::NotFound, "x", details);
        assert_eq!(ApiError::from_status(&odd).reason(), "DOWNSTREAM");
    }
}
