//! What a notification is about, and which kinds a person may turn off.

use hamafza_proto::notifications::NotificationKind;

/// Kinds nobody can turn off: a person must know that a request waits for
/// them, what was decided, and that a seat is gone.
pub const REQUIRED: [NotificationKind; 4] = [
    NotificationKind::ApprovalRequested,
    NotificationKind::Approved,
    NotificationKind::Rejected,
    NotificationKind::Cancelled,
];

/// Whether a person may turn `kind` off.
pub fn may_mute(kind: NotificationKind) -> bool {
    kind != NotificationKind::Unspecified && !REQUIRED.contains(&kind)
}

/// Who a notification is for, relative to the enrolment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    /// The trainee.
    Trainee,
    /// The manager (or admin) who enrolled the trainee.
    Enroller,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decisions_and_cancellations_cannot_be_muted() {
        assert!(may_mute(NotificationKind::EnrolmentConfirmed));
        assert!(may_mute(NotificationKind::CompletedPassed));
        assert!(!may_mute(NotificationKind::Cancelled));
        assert!(!may_mute(NotificationKind::Rejected));
        assert!(!may_mute(NotificationKind::Unspecified));
    }
}
