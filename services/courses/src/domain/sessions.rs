//! A session's lifecycle and the rules of its schedule, seats and enrolment
//! window.

use std::fmt;

use chrono::{DateTime, Utc};
use sea_orm::entity::prelude::StringLen;
use sea_orm::{DeriveActiveEnum, EnumIter};
use serde::{Deserialize, Serialize};

use super::values::{Bilingual, DeliveryMode, OrganizationId};

/// Where a session stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum SessionStatus {
    /// Being prepared.
    #[sea_orm(string_value = "planned")]
    Planned,
    /// Taking enrolments.
    #[sea_orm(string_value = "open")]
    Open,
    /// Enrolment closed; being held.
    #[sea_orm(string_value = "closed")]
    Closed,
    /// Held and finished.
    #[sea_orm(string_value = "completed")]
    Completed,
    /// Called off.
    #[sea_orm(string_value = "cancelled")]
    Cancelled,
}

impl fmt::Display for SessionStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Planned => "planned",
            Self::Open => "open",
            Self::Closed => "closed",
            Self::Completed => "completed",
            Self::Cancelled => "cancelled",
        })
    }
}

/// A move of a session through its lifecycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionMove {
    /// Change the details.
    Edit,
    /// Start taking enrolments.
    Open,
    /// Stop taking enrolments.
    Close,
    /// Mark as held.
    Complete,
    /// Call off.
    Cancel,
}

impl SessionMove {
    /// The statuses the session may be in for this move.
    pub fn allowed_from(self) -> &'static [SessionStatus] {
        match self {
            Self::Edit => &[SessionStatus::Planned, SessionStatus::Open],
            Self::Open => &[SessionStatus::Planned],
            Self::Close => &[SessionStatus::Open],
            Self::Complete => &[SessionStatus::Closed],
            Self::Cancel => &[
                SessionStatus::Planned,
                SessionStatus::Open,
                SessionStatus::Closed,
            ],
        }
    }

    /// The status after the move; `None` for an edit.
    pub fn to(self) -> Option<SessionStatus> {
        match self {
            Self::Edit => None,
            Self::Open => Some(SessionStatus::Open),
            Self::Close => Some(SessionStatus::Closed),
            Self::Complete => Some(SessionStatus::Completed),
            Self::Cancel => Some(SessionStatus::Cancelled),
        }
    }

    /// The allowed statuses, for error messages.
    pub fn expected(self) -> &'static str {
        match self {
            Self::Edit => "planned or open",
            Self::Open => "planned",
            Self::Close => "open",
            Self::Complete => "closed",
            Self::Cancel => "planned, open or closed",
        }
    }
}

/// One meeting of a session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Meeting {
    /// Start.
    pub start: DateTime<Utc>,
    /// End.
    pub end: DateTime<Utc>,
    /// Topic in Persian.
    #[serde(default)]
    pub topic_fa: String,
    /// Topic in English.
    #[serde(default)]
    pub topic_en: String,
}

/// Who teaches a session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Instructor {
    /// Their token `sub`.
    pub subject: String,
    /// Their display name.
    pub name: String,
    /// Their organization (may be empty for an outside instructor).
    pub organization_id: String,
}

/// A validated session plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionPlan {
    /// Meetings in time order, not overlapping.
    pub meetings: Vec<Meeting>,
    /// Venue.
    pub venue: Bilingual,
    /// Online link, if any.
    pub online_url: Option<String>,
    /// Instructor.
    pub instructor: Instructor,
    /// Seats.
    pub capacity: u32,
    /// Per-organization seat caps.
    pub quotas: Vec<(OrganizationId, u32)>,
    /// Enrolment opens.
    pub enrolment_opens: DateTime<Utc>,
    /// Enrolment closes.
    pub enrolment_closes: DateTime<Utc>,
}

/// Most meetings one session may have.
pub const MAX_MEETINGS: usize = 100;
/// Most seats one session may have.
pub const MAX_CAPACITY: u32 = 10_000;

impl SessionPlan {
    /// The start of the first meeting.
    pub fn start(&self) -> Option<DateTime<Utc>> {
        self.meetings.first().map(|m| m.start)
    }

    /// The end of the last meeting.
    pub fn end(&self) -> Option<DateTime<Utc>> {
        self.meetings.iter().map(|m| m.end).max()
    }

    /// Checks the rules that span fields, given the course's delivery mode.
    /// Returns `(field, problem)` pairs.
    pub fn check(&self, delivery: DeliveryMode) -> Vec<(&'static str, String)> {
        let mut problems = Vec::new();
        if self.meetings.is_empty() {
            problems.push(("details.meetings", "needs at least one meeting".to_owned()));
        }
        if self.meetings.len() > MAX_MEETINGS {
            problems.push((
                "details.meetings",
                format!("may have at most {MAX_MEETINGS} meetings"),
            ));
        }
        for (i, meeting) in self.meetings.iter().enumerate() {
            if meeting.end <= meeting.start {
                problems.push((
                    "details.meetings",
                    format!("meeting {} ends before it starts", i + 1),
                ));
            }
        }
        for (i, pair) in self.meetings.windows(2).enumerate() {
            if pair[1].start < pair[0].end {
                problems.push((
                    "details.meetings",
                    format!(
                        concat!(
                            "meeting {} starts before meeting {} ends ",
                            "(meetings must be in time order and not overlap)"
                        ),
                        i + 2,
                        i + 1
                    ),
                ));
            }
        }
        if !(1..=MAX_CAPACITY).contains(&self.capacity) {
            problems.push((
                "details.capacity",
                format!("must be between 1 and {MAX_CAPACITY}"),
            ));
        }
        let mut seen = std::collections::HashSet::new();
        let mut quota_total: u64 = 0;
        for (organization, seats) in &self.quotas {
            if !seen.insert(organization) {
                problems.push((
                    "details.quotas",
                    format!("{organization} has more than one quota"),
                ));
            }
            if *seats == 0 {
                problems.push((
                    "details.quotas",
                    format!("the quota of {organization} must be at least 1 seat"),
                ));
            }
            quota_total += u64::from(*seats);
        }
        if quota_total > u64::from(self.capacity) {
            problems.push((
                "details.quotas",
                format!(
                    "add up to {quota_total} seats, more than the capacity of {}",
                    self.capacity
                ),
            ));
        }
        if self.enrolment_closes <= self.enrolment_opens {
            problems.push((
                "details.enrolment_window",
                "must close after it opens".to_owned(),
            ));
        }
        // Late enrolment is common: a trainee may join a session under way,
        // so the window may run until the session ends, not beyond.
        if let Some(end) = self.end()
            && self.enrolment_closes > end
        {
            problems.push((
                "details.enrolment_window.end_time",
                "must be no later than the last meeting's end".to_owned(),
            ));
        }
        let needs_venue = matches!(delivery, DeliveryMode::InPerson | DeliveryMode::Blended);
        let needs_link = matches!(delivery, DeliveryMode::Online | DeliveryMode::Blended);
        if needs_venue && self.venue.fa.is_empty() {
            problems.push((
                "details.venue.fa",
                "is required for a course held in person".to_owned(),
            ));
        }
        if needs_link && self.online_url.is_none() {
            problems.push((
                "details.online_url",
                "is required for a course held online".to_owned(),
            ));
        }
        problems
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(hour: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 1, hour, 0, 0).unwrap()
    }

    fn plan() -> SessionPlan {
        SessionPlan {
            meetings: vec![
                Meeting {
                    start: at(8),
                    end: at(10),
                    topic_fa: String::new(),
                    topic_en: String::new(),
                },
                Meeting {
                    start: at(11),
                    end: at(13),
                    topic_fa: String::new(),
                    topic_en: String::new(),
                },
            ],
            venue: Bilingual {
                fa: "تهران".to_owned(),
                en: "Tehran".to_owned(),
            },
            online_url: None,
            instructor: Instructor {
                subject: "i-1".to_owned(),
                name: "x".to_owned(),
                organization_id: "imidro".to_owned(),
            },
            capacity: 20,
            quotas: vec![(OrganizationId::parse("msc").unwrap(), 5)],
            enrolment_opens: at(1),
            enrolment_closes: at(7),
        }
    }

    #[test]
    fn a_good_plan_passes() {
        assert!(plan().check(DeliveryMode::InPerson).is_empty());
        assert_eq!(plan().start(), Some(at(8)));
        assert_eq!(plan().end(), Some(at(13)));
    }

    #[test]
    fn overlaps_quotas_windows_and_links_are_caught() {
        let mut bad = plan();
        bad.meetings[1].start = at(9);
        bad.quotas.push((OrganizationId::parse("ksc").unwrap(), 16));
        bad.enrolment_closes = at(14);
        let fields: Vec<_> = bad
            .check(DeliveryMode::Online)
            .into_iter()
            .map(|(f, _)| f)
            .collect();
        assert!(fields.contains(&"details.meetings"));
        assert!(fields.contains(&"details.quotas"));
        assert!(fields.contains(&"details.enrolment_window.end_time"));
        assert!(fields.contains(&"details.online_url"));
    }

    #[test]
    fn moves() {
        assert!(
            SessionMove::Open
                .allowed_from()
                .contains(&SessionStatus::Planned)
        );
        assert!(
            !SessionMove::Cancel
                .allowed_from()
                .contains(&SessionStatus::Completed)
        );
    }
}
