//! Enrolment statuses and why they change.

use std::fmt;

use sea_orm::entity::prelude::StringLen;
use sea_orm::{DeriveActiveEnum, EnumIter};

/// Where an enrolment stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(20))")]
pub enum EnrolmentStatus {
    /// Waiting for the org manager.
    #[sea_orm(string_value = "pending_approval")]
    PendingApproval,
    /// Holds a seat.
    #[sea_orm(string_value = "confirmed")]
    Confirmed,
    /// Waiting for a seat.
    #[sea_orm(string_value = "waitlisted")]
    Waitlisted,
    /// Refused by the org manager.
    #[sea_orm(string_value = "rejected")]
    Rejected,
    /// Withdrawn, or the session was cancelled.
    #[sea_orm(string_value = "cancelled")]
    Cancelled,
    /// Passed.
    #[sea_orm(string_value = "completed")]
    Completed,
    /// Took part, did not pass.
    #[sea_orm(string_value = "failed")]
    Failed,
    /// Held a seat, did not come.
    #[sea_orm(string_value = "no_show")]
    NoShow,
}

impl EnrolmentStatus {
    /// Whether the enrolment is still open (it blocks a second one for the
    /// same trainee and session).
    pub fn is_active(self) -> bool {
        matches!(
            self,
            Self::PendingApproval | Self::Confirmed | Self::Waitlisted
        )
    }

    /// Whether the enrolment is final (assessed).
    pub fn is_final(self) -> bool {
        matches!(self, Self::Completed | Self::Failed | Self::NoShow)
    }

    /// Whether it may be cancelled.
    pub fn can_cancel(self) -> bool {
        self.is_active()
    }

    /// Whether it holds one of the session's seats.
    pub fn holds_seat(self) -> bool {
        matches!(self, Self::Confirmed)
    }
}

impl fmt::Display for EnrolmentStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::PendingApproval => "pending approval",
            Self::Confirmed => "confirmed",
            Self::Waitlisted => "waitlisted",
            Self::Rejected => "rejected",
            Self::Cancelled => "cancelled",
            Self::Completed => "completed",
            Self::Failed => "failed",
            Self::NoShow => "a no-show",
        })
    }
}

/// Why a status changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(24))")]
pub enum Cause {
    /// A new enrolment (or a re-enrolment).
    #[sea_orm(string_value = "enrolment")]
    Enrolment,
    /// The manager approved.
    #[sea_orm(string_value = "approval")]
    Approval,
    /// The manager rejected.
    #[sea_orm(string_value = "rejection")]
    Rejection,
    /// Someone cancelled.
    #[sea_orm(string_value = "cancellation")]
    Cancellation,
    /// A freed seat went to the head of the waitlist.
    #[sea_orm(string_value = "waitlist_promotion")]
    WaitlistPromotion,
    /// The session was cancelled in courses.
    #[sea_orm(string_value = "session_cancelled")]
    SessionCancelled,
    /// The session ended before a seat or approval came.
    #[sea_orm(string_value = "session_ended")]
    SessionEnded,
    /// Score and attendance were recorded.
    #[sea_orm(string_value = "assessment")]
    Assessment,
    /// An admin recorded attendance of a meeting that had not started.
    #[sea_orm(string_value = "attendance_override")]
    AttendanceOverride,
}

/// What an enrolment attempt leads to, before seats are counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    /// Wait for the org manager.
    NeedsApproval,
    /// Take a seat if there is one, else wait for one.
    SeatOrWaitlist,
}

/// Only trainees enrolling themselves wait for approval: a manager or admin
/// enrolling someone has approved it by doing so.
pub fn admission(course_needs_approval: bool, self_enrolment: bool) -> Admission {
    if course_needs_approval && self_enrolment {
        Admission::NeedsApproval
    } else {
        Admission::SeatOrWaitlist
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_self_enrolment_waits_for_approval() {
        assert_eq!(admission(true, true), Admission::NeedsApproval);
        assert_eq!(admission(true, false), Admission::SeatOrWaitlist);
        assert_eq!(admission(false, true), Admission::SeatOrWaitlist);
    }

    #[test]
    fn statuses() {
        assert!(EnrolmentStatus::Waitlisted.can_cancel());
        assert!(!EnrolmentStatus::Completed.can_cancel());
        assert!(EnrolmentStatus::Confirmed.holds_seat());
        assert!(!EnrolmentStatus::Waitlisted.holds_seat());
    }
}
