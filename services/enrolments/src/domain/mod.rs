//! The enrolment rules, free of I/O: statuses and their moves, assessment,
//! CSV rows, request ids, and benchmark rankings.

pub mod assessment;
pub mod benchmark;
pub mod bulk;
pub mod error;
pub mod evaluation;
pub mod notice;
pub mod schedule;
pub mod status;

pub use error::EnrolmentsError;

use chrono::{DateTime, Utc};
use uuid::Uuid;

pub use hamafza_kit::ids::Person;

/// What enrolments needs to know about a session and its course, read from
/// the courses service at the time of the request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionFacts {
    /// The session.
    pub session_id: Uuid,
    /// Its course.
    pub course_id: Uuid,
    /// Whether the session is open for enrolment (and its status name if not).
    pub status: Result<(), String>,
    /// Enrolment opens.
    pub window_opens: DateTime<Utc>,
    /// Enrolment closes.
    pub window_closes: DateTime<Utc>,
    /// Seats.
    pub capacity: u32,
    /// Per-organization caps.
    pub quotas: Vec<(String, u32)>,
    /// How many meetings.
    pub meeting_count: u32,
    /// When each meeting starts, in order.
    pub meeting_starts: Vec<DateTime<Utc>>,
    /// Who teaches it.
    pub instructor_subject: String,
    /// The member company hosting it, if one does.
    pub host_organization_id: Option<String>,
    /// The course.
    pub course: CourseFacts,
}

/// What enrolments needs to know about a course.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CourseFacts {
    /// Whether it is published.
    pub published: bool,
    /// Courses to complete first.
    pub prerequisites: Vec<Uuid>,
    /// Whether self-enrolment waits for the org manager.
    pub requires_manager_approval: bool,
    /// Title in Persian.
    pub title_fa: String,
    /// Title in English.
    pub title_en: String,
    /// Teaching hours.
    pub hours: u32,
    /// Passing score.
    pub passing_score: u32,
    /// Minimum attendance percent.
    pub min_attendance_percent: u32,
    /// Certificate validity in months.
    pub certificate_validity_months: Option<u32>,
}

impl SessionFacts {
    /// Checks that the session takes enrolments at `now`.
    pub fn check_open(&self, now: DateTime<Utc>) -> Result<(), EnrolmentsError> {
        if let Err(status) = &self.status {
            return Err(EnrolmentsError::SessionNotOpen {
                status: status.clone(),
            });
        }
        if !self.course.published {
            return Err(EnrolmentsError::CourseNotPublished);
        }
        if now < self.window_opens {
            return Err(EnrolmentsError::WindowClosed("has not opened yet"));
        }
        if now >= self.window_closes {
            return Err(EnrolmentsError::WindowClosed("has closed"));
        }
        Ok(())
    }
}
