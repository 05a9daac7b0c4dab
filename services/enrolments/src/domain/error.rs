//! Every way an enrolment request can be refused, and how each reaches a caller.

use hamafza_kit::{ApiError, ErrorCode};

use super::status::EnrolmentStatus;

/// Errors of the enrolment rules, storage and the calls to courses.
#[derive(Debug, thiserror::Error)]
pub enum EnrolmentsError {
    /// A referenced thing does not exist.
    #[error("{kind} {id} does not exist")]
    NotFound {
        /// What kind of thing.
        kind: &'static str,
        /// Its id.
        id: String,
    },
    /// The session does not take enrolments now.
    #[error("the session is {status}; it takes enrolments only while open")]
    SessionNotOpen {
        /// The session's status in courses.
        status: String,
    },
    /// Outside the enrolment window.
    #[error("enrolment {0}")]
    WindowClosed(&'static str),
    /// The course is not published.
    #[error("the course is not published")]
    CourseNotPublished,
    /// Prerequisites are missing.
    #[error("complete these courses first: {0}")]
    MissingPrerequisites(String),
    /// The trainee already has an open or final enrolment in this session.
    #[error("the trainee is already enrolled in this session ({0})")]
    AlreadyEnrolled(EnrolmentStatus),
    /// The enrolment is not in a status that allows the operation.
    #[error("the enrolment is {actual}, but this needs it to be {expected}")]
    WrongStatus {
        /// Its status now.
        actual: EnrolmentStatus,
        /// What the operation needs.
        expected: &'static str,
    },
    /// A request id could not be honoured (reused, or storage failed).
    #[error(transparent)]
    Idempotency(#[from] hamafza_kit::idempotency::IdempotencyError),
    /// A meeting index beyond the session's meetings.
    #[error("meeting {index} does not exist; the session has {count} meetings (numbered from 0)")]
    NoSuchMeeting {
        /// The index given.
        index: u32,
        /// How many meetings there are.
        count: u32,
    },
    /// Attendance of a meeting that has not started.
    #[error("meeting {index} starts at {starts}; attendance is recorded once it has started")]
    MeetingNotStarted {
        /// The meeting (from 0).
        index: u32,
        /// When it starts.
        starts: chrono::DateTime<chrono::Utc>,
    },
    /// An assessment before the session's last meeting has started.
    #[error("the session's last meeting starts at {0}; trainees are assessed once it has started")]
    LastMeetingNotStarted(chrono::DateTime<chrono::Utc>),
    /// A no-show for a trainee marked present at some meeting.
    #[error(
        "the trainee is marked present at {0} meetings, so is not a no-show; \
         assess them with a score (too little attendance fails them)"
    )]
    AttendedAMeeting(u64),
    /// An attendance mark names an enrolment outside the session's roster.
    #[error("enrolment {0} is not a confirmed enrolment of this session")]
    NotOnRoster(String),
    /// The people directory has the trainee under another organization.
    #[error(
        "the people directory has {subject} under {organization_id}; \
         only that organization's manager or a platform admin can enrol them"
    )]
    PersonInOtherOrganization {
        /// The trainee.
        subject: String,
        /// Their organization in the directory.
        organization_id: String,
    },
    /// The people directory has the trainee as no longer working there.
    #[error("{0} is marked inactive in the people directory")]
    PersonInactive(String),
    /// The courses service refused or failed.
    #[error("courses: {}", .0.message())]
    Courses(tonic::Status),
    /// Storage failed.
    #[error("database: {0}")]
    Database(#[from] sea_orm::DbErr),
}

impl From<EnrolmentsError> for ApiError {
    fn from(error: EnrolmentsError) -> Self {
        let message = error.to_string();
        let precondition =
            |reason| ApiError::new(ErrorCode::FailedPrecondition, reason, message.clone());
        match error {
            EnrolmentsError::NotFound { kind, id } => ApiError::not_found(kind, id),
            EnrolmentsError::SessionNotOpen { .. } => precondition("SESSION_NOT_OPEN"),
            EnrolmentsError::WindowClosed(_) => precondition("ENROLMENT_WINDOW_CLOSED"),
            EnrolmentsError::CourseNotPublished => precondition("COURSE_NOT_PUBLISHED"),
            EnrolmentsError::MissingPrerequisites(_) => precondition("PREREQUISITES_MISSING"),
            EnrolmentsError::AlreadyEnrolled(_) => {
                ApiError::new(ErrorCode::AlreadyExists, "ALREADY_ENROLLED", message)
            }
            EnrolmentsError::WrongStatus { .. } => precondition("WRONG_ENROLMENT_STATUS"),
            EnrolmentsError::Idempotency(error) => error.into(),
            EnrolmentsError::PersonInOtherOrganization { .. } => {
                precondition("PERSON_IN_OTHER_ORGANIZATION")
            }
            EnrolmentsError::PersonInactive(_) => precondition("PERSON_INACTIVE"),
            EnrolmentsError::NoSuchMeeting { .. } => {
                ApiError::invalid_field("meeting_index", message)
            }
            EnrolmentsError::NotOnRoster(_) => ApiError::invalid_field("marks", message),
            EnrolmentsError::MeetingNotStarted { .. } => precondition("MEETING_NOT_STARTED"),
            EnrolmentsError::LastMeetingNotStarted(_) => precondition("LAST_MEETING_NOT_STARTED"),
            EnrolmentsError::AttendedAMeeting(_) => precondition("ATTENDED_A_MEETING"),
            EnrolmentsError::Courses(status) => match status.code() {
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
            EnrolmentsError::Database(error) => hamafza_kit::db::api_error(error),
        }
    }
}

impl From<hamafza_kit::peers::PeerError> for EnrolmentsError {
    fn from(error: hamafza_kit::peers::PeerError) -> Self {
        match error {
            hamafza_kit::peers::PeerError::NotFound { kind, id } => Self::NotFound { kind, id },
            hamafza_kit::peers::PeerError::Status(status) => Self::Courses(status),
        }
    }
}
