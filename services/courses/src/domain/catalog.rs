//! Validated inputs for the catalog: what a caller may create or change.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::values::{
    Bilingual, Category, Code, DeliveryMode, EventKind, OrganizationId, OrganizationKind,
};

/// An organization to register or change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrganizationDraft {
    /// Its id.
    pub id: OrganizationId,
    /// Its name.
    pub name: Bilingual,
    /// Its kind.
    pub kind: OrganizationKind,
    /// The holding it belongs to.
    pub parent: Option<OrganizationId>,
}

/// The editable part of a course.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CourseDraft {
    /// Unique code.
    pub code: Code,
    /// Title.
    pub title: Bilingual,
    /// Description.
    pub description: Bilingual,
    /// Who the course is for (optional).
    pub audience: Bilingual,
    /// Subject area.
    pub category: Category,
    /// Teaching hours, 1-1000.
    pub hours: u32,
    /// How it is delivered.
    pub delivery_mode: DeliveryMode,
    /// Lowest passing score, 0-100.
    pub passing_score: u32,
    /// Smallest share of meetings to attend, 0-100.
    pub min_attendance_percent: u32,
    /// Certificate validity in months; `None` means no expiry.
    pub certificate_validity_months: Option<u32>,
    /// Courses to complete first, in the order given, without repeats.
    pub prerequisites: Vec<Uuid>,
    /// Whether enrolment waits for the org manager.
    pub requires_manager_approval: bool,
}

/// Largest number of teaching hours of one course.
pub const MAX_HOURS: u32 = 1000;
/// Largest certificate validity, in months (50 years).
pub const MAX_VALIDITY_MONTHS: u32 = 600;
/// Most prerequisites of one course.
pub const MAX_PREREQUISITES: usize = 20;
/// Most courses in one program.
pub const MAX_PROGRAM_COURSES: usize = 100;

/// The editable part of a program.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProgramDraft {
    /// Unique code.
    pub code: Code,
    /// Title.
    pub title: Bilingual,
    /// Description.
    pub description: Bilingual,
    /// Courses in order, each with whether it is required.
    pub courses: Vec<(Uuid, bool)>,
}

impl ProgramDraft {
    /// Rules across the course list: size, no repeats, at least one required.
    pub fn check(&self) -> Vec<String> {
        let mut problems = Vec::new();
        if self.courses.is_empty() || self.courses.len() > MAX_PROGRAM_COURSES {
            problems.push(format!("must list 1 to {MAX_PROGRAM_COURSES} courses"));
        }
        let mut seen = std::collections::HashSet::new();
        for (course, _) in &self.courses {
            if !seen.insert(course) {
                problems.push(format!("lists course {course} more than once"));
            }
        }
        if !self.courses.is_empty() && !self.courses.iter().any(|(_, required)| *required) {
            problems.push("must include at least one required course".to_owned());
        }
        problems
    }
}

/// An event of the calendar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventDraft {
    /// Kind.
    pub kind: EventKind,
    /// Title.
    pub title: Bilingual,
    /// Description.
    pub description: Bilingual,
    /// Place.
    pub place: Bilingual,
    /// Start.
    pub starts_at: DateTime<Utc>,
    /// End.
    pub ends_at: DateTime<Utc>,
    /// Organizer.
    pub organizer: OrganizationId,
    /// Participants, without repeats.
    pub participants: Vec<OrganizationId>,
    /// More information.
    pub url: Option<String>,
}
