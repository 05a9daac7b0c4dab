//! Which notification a status change causes (notifications decides who
//! hears of it and in which words).

use hamafza_proto::notifications::NotificationKind;

use crate::domain::status::{Cause, EnrolmentStatus};

/// The kind of notification a change to `to` for `cause` makes;
/// `None` for changes nobody is told of (a waitlist that ran out with its
/// session).
pub fn kind_of(to: EnrolmentStatus, cause: Cause) -> Option<NotificationKind> {
    Some(match (cause, to) {
        (Cause::Enrolment, EnrolmentStatus::Confirmed) => NotificationKind::EnrolmentConfirmed,
        (Cause::Enrolment, EnrolmentStatus::Waitlisted) => NotificationKind::EnrolmentWaitlisted,
        (Cause::Enrolment, EnrolmentStatus::PendingApproval) => NotificationKind::ApprovalRequested,
        (Cause::Approval, _) => NotificationKind::Approved,
        (Cause::Rejection, _) => NotificationKind::Rejected,
        (Cause::Cancellation | Cause::SessionCancelled, _) => NotificationKind::Cancelled,
        (Cause::WaitlistPromotion, _) => NotificationKind::PromotedFromWaitlist,
        (Cause::Assessment, EnrolmentStatus::Completed) => NotificationKind::CompletedPassed,
        (Cause::Assessment, EnrolmentStatus::Failed | EnrolmentStatus::NoShow) => {
            NotificationKind::CompletedFailed
        }
        (Cause::Enrolment | Cause::Assessment, _)
        | (Cause::SessionEnded | Cause::AttendanceOverride, _) => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_change_is_told_once_as_what_it_is() {
        use EnrolmentStatus as S;
        assert_eq!(
            kind_of(S::Confirmed, Cause::Enrolment),
            Some(NotificationKind::EnrolmentConfirmed)
        );
        assert_eq!(
            kind_of(S::PendingApproval, Cause::Enrolment),
            Some(NotificationKind::ApprovalRequested)
        );
        assert_eq!(
            kind_of(S::Confirmed, Cause::WaitlistPromotion),
            Some(NotificationKind::PromotedFromWaitlist)
        );
        assert_eq!(
            kind_of(S::NoShow, Cause::Assessment),
            Some(NotificationKind::CompletedFailed)
        );
        assert_eq!(kind_of(S::Cancelled, Cause::SessionEnded), None);
    }
}
