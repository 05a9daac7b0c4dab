//! Every way a catalog request can be refused, and how each reaches a caller.

use hamafza_kit::{ApiError, ErrorCode};

use super::sessions::SessionStatus;
use super::workflow::CatalogStatus;

/// Errors of the courses service's rules and storage.
#[derive(Debug, thiserror::Error)]
pub enum CoursesError {
    /// A referenced thing does not exist.
    #[error("{kind} {id} does not exist")]
    NotFound {
        /// What kind of thing.
        kind: &'static str,
        /// Its id as given.
        id: String,
    },
    /// An id or code that must be unique is taken.
    #[error("{kind} {value} already exists")]
    Duplicate {
        /// What kind of thing.
        kind: &'static str,
        /// The taken value.
        value: String,
    },
    /// A program or course is not in the status the operation needs.
    #[error("the {kind} is {actual}, but this needs it to be {expected}")]
    WrongCatalogStatus {
        /// Course or program.
        kind: &'static str,
        /// Its status now.
        actual: CatalogStatus,
        /// What the operation needs.
        expected: &'static str,
    },
    /// A session is not in the status the operation needs.
    #[error("the session is {actual}, but this needs it to be {expected}")]
    WrongSessionStatus {
        /// Its status now.
        actual: SessionStatus,
        /// What the operation needs.
        expected: &'static str,
    },
    /// The council member already voted in this round.
    #[error("you have already voted on this {kind} in review round {round}")]
    AlreadyVoted {
        /// Course or program.
        kind: &'static str,
        /// The round.
        round: u32,
    },
    /// A session cannot open because its course is not published.
    #[error("course {course_id} is {status}; only a published course's session can open")]
    CourseNotPublished {
        /// The course.
        course_id: String,
        /// Its status.
        status: CatalogStatus,
    },
    /// A program cannot be published while some of its courses are not.
    #[error("every course of the program must be published first; not yet: {codes}")]
    ProgramCoursesNotPublished {
        /// The codes of unpublished courses.
        codes: String,
    },
    /// The resource changed since the caller read it (its etag is stale).
    #[error("the {kind} {id} has changed since it was read")]
    EtagMismatch {
        /// What kind of thing.
        kind: &'static str,
        /// Its id.
        id: String,
    },
    /// A course would (transitively) require itself.
    #[error("a course cannot require itself, directly or through its prerequisites")]
    PrerequisiteCycle,
    /// The organization named for a person does not exist.
    #[error("organization {0} does not exist")]
    UnknownOrganization(String),
    /// An org manager wrote a person the directory has under another
    /// organization.
    #[error(
        "the people directory has {subject} under {organization_id}; \
         that company's manager or a platform admin can move them"
    )]
    PersonInOtherOrganization {
        /// The person.
        subject: String,
        /// Where the directory has them.
        organization_id: String,
    },
    /// A hosted session's proposal is not PROPOSED any more.
    #[error("the hosting proposal is already {0}")]
    HostingAlreadyDecided(super::hosting::HostingState),
    /// A hosted session cannot open before its proposal is accepted.
    #[error("the hosting proposal is {0}; only an accepted hosted session can open")]
    HostingNotAccepted(super::hosting::HostingState),
    /// A client request id could not be honoured (reused for another
    /// request, or storage failed).
    #[error(transparent)]
    Idempotency(#[from] hamafza_kit::idempotency::IdempotencyError),
    /// Storage failed.
    #[error("database: {0}")]
    Database(#[from] sea_orm::DbErr),
}

impl From<CoursesError> for ApiError {
    fn from(error: CoursesError) -> Self {
        let message = error.to_string();
        match error {
            CoursesError::NotFound { kind, id } => ApiError::not_found(kind, id),
            CoursesError::Duplicate { .. } => {
                ApiError::new(ErrorCode::AlreadyExists, "ALREADY_EXISTS", message)
            }
            CoursesError::WrongCatalogStatus { .. } => ApiError::new(
                ErrorCode::FailedPrecondition,
                "WRONG_CATALOG_STATUS",
                message,
            ),
            CoursesError::WrongSessionStatus { .. } => ApiError::new(
                ErrorCode::FailedPrecondition,
                "WRONG_SESSION_STATUS",
                message,
            ),
            CoursesError::AlreadyVoted { .. } => {
                ApiError::new(ErrorCode::AlreadyExists, "ALREADY_VOTED", message)
            }
            CoursesError::CourseNotPublished { .. } => ApiError::new(
                ErrorCode::FailedPrecondition,
                "COURSE_NOT_PUBLISHED",
                message,
            ),
            CoursesError::ProgramCoursesNotPublished { .. } => ApiError::new(
                ErrorCode::FailedPrecondition,
                "PROGRAM_COURSES_NOT_PUBLISHED",
                message,
            ),
            CoursesError::EtagMismatch { kind, id } => hamafza_kit::update::etag_mismatch(kind, id),
            CoursesError::PrerequisiteCycle => {
                ApiError::invalid_field("details.prerequisite_course_ids", message)
            }
            CoursesError::UnknownOrganization(_) => ApiError::new(
                ErrorCode::FailedPrecondition,
                "UNKNOWN_ORGANIZATION",
                message,
            ),
            CoursesError::PersonInOtherOrganization { .. } => ApiError::new(
                ErrorCode::FailedPrecondition,
                "PERSON_IN_OTHER_ORGANIZATION",
                message,
            ),
            CoursesError::HostingAlreadyDecided(_) => ApiError::new(
                ErrorCode::FailedPrecondition,
                "HOSTING_ALREADY_DECIDED",
                message,
            ),
            CoursesError::HostingNotAccepted(_) => ApiError::new(
                ErrorCode::FailedPrecondition,
                "HOSTING_NOT_ACCEPTED",
                message,
            ),
            CoursesError::Idempotency(error) => error.into(),
            CoursesError::Database(error) => hamafza_kit::db::api_error(error),
        }
    }
}
