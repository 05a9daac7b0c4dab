//! Every way a certification request can be refused, and how each reaches a caller.

use hamafza_kit::idempotency::IdempotencyError;
use hamafza_kit::{ApiError, ErrorCode};

/// Errors of the certification rules, storage, keys and calls to courses.
#[derive(Debug, thiserror::Error)]
pub enum CertificationError {
    /// A referenced thing does not exist.
    #[error("{kind} {id} does not exist")]
    NotFound {
        /// What kind of thing.
        kind: &'static str,
        /// Its id.
        id: String,
    },
    /// A completion delivered again names another trainee or course.
    #[error("completion {0} was already certified for another trainee or course")]
    CompletionMismatch(String),
    /// Already revoked.
    #[error("the certificate was already revoked")]
    AlreadyRevoked,
    /// A request id could not be honoured.
    #[error(transparent)]
    Idempotency(#[from] IdempotencyError),
    /// The courses service refused or failed.
    #[error("courses: {}", .0.message())]
    Courses(tonic::Status),
    /// Signing failed.
    #[error("signing: {0}")]
    Signing(String),
    /// Storage failed.
    #[error("database: {0}")]
    Database(#[from] sea_orm::DbErr),
}

impl From<CertificationError> for ApiError {
    fn from(error: CertificationError) -> Self {
        let message = error.to_string();
        match error {
            CertificationError::NotFound { kind, id } => ApiError::not_found(kind, id),
            CertificationError::CompletionMismatch(_) => ApiError::new(
                ErrorCode::FailedPrecondition,
                "COMPLETION_MISMATCH",
                message,
            ),
            CertificationError::AlreadyRevoked => {
                ApiError::new(ErrorCode::FailedPrecondition, "ALREADY_REVOKED", message)
            }
            CertificationError::Idempotency(error) => error.into(),
            CertificationError::Courses(status) => match status.code() {
                tonic::Code::NotFound => ApiError::new(
                    ErrorCode::NotFound,
                    "NOT_FOUND",
                    status.message().to_owned(),
                ),
                tonic::Code::Unavailable
                | tonic::Code::DeadlineExceeded
                | tonic::Code::Cancelled => {
                    ApiError::unavailable("the courses service is unavailable; retry shortly")
                }
                _ => ApiError::from_status(&status),
            },
            CertificationError::Signing(_) => ApiError::internal(anyhow::anyhow!(message)),
            CertificationError::Database(error) => hamafza_kit::db::api_error(error),
        }
    }
}

impl From<hamafza_kit::peers::PeerError> for CertificationError {
    fn from(error: hamafza_kit::peers::PeerError) -> Self {
        match error {
            hamafza_kit::peers::PeerError::NotFound { kind, id } => Self::NotFound { kind, id },
            hamafza_kit::peers::PeerError::Status(status) => Self::Courses(status),
        }
    }
}
