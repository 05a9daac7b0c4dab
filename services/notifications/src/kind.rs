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

/// The language a person reads first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Language {
    /// Persian, with an English part after it in emails.
    #[default]
    Fa,
    /// English, with the Persian after it in emails.
    En,
}

impl Language {
    /// `"fa"` or `"en"`; anything else is no language.
    pub fn parse(code: &str) -> Option<Self> {
        match code {
            "fa" => Some(Self::Fa),
            "en" => Some(Self::En),
            _ => None,
        }
    }

    /// Its code.
    pub fn code(self) -> &'static str {
        match self {
            Self::Fa => "fa",
            Self::En => "en",
        }
    }
}

/// Who a notification is for, relative to the enrolment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    /// The trainee.
    Trainee,
    /// The manager (or admin) who enrolled the trainee.
    Enroller,
    /// A PR manager of the trainee's company, who decides their requests.
    Manager,
    /// The session's instructor.
    Instructor,
    /// A member of the policy council.
    Council,
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
