//! The council workflow shared by programs and courses:
//! DRAFT -> SUBMITTED -> APPROVED -> PUBLISHED -> RETIRED, with a rejection
//! sending a submission back to DRAFT.

use std::fmt;

use sea_orm::entity::prelude::StringLen;
use sea_orm::{DeriveActiveEnum, EnumIter};

/// Where a program or course stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum CatalogStatus {
    /// Editable by the PR office.
    #[sea_orm(string_value = "draft")]
    Draft,
    /// Waiting for council votes.
    #[sea_orm(string_value = "submitted")]
    Submitted,
    /// Approved by the council.
    #[sea_orm(string_value = "approved")]
    Approved,
    /// Offered to trainees.
    #[sea_orm(string_value = "published")]
    Published,
    /// No longer offered.
    #[sea_orm(string_value = "retired")]
    Retired,
}

impl CatalogStatus {
    /// Whether every signed-in caller may see an item in this status; drafts
    /// and submissions are internal to the PR office and the council.
    pub fn is_public(self) -> bool {
        matches!(self, Self::Published | Self::Retired)
    }

    /// The statuses every signed-in caller may see.
    pub const PUBLIC: [CatalogStatus; 2] = [CatalogStatus::Published, CatalogStatus::Retired];
}

impl fmt::Display for CatalogStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Draft => "draft",
            Self::Submitted => "submitted",
            Self::Approved => "approved",
            Self::Published => "published",
            Self::Retired => "retired",
        })
    }
}

/// A move through the workflow made by the PR office.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transition {
    /// Change the details.
    Edit,
    /// Send to the council.
    Submit,
    /// Offer to trainees.
    Publish,
    /// Stop offering.
    Retire,
}

impl Transition {
    /// The status the item must be in for this move.
    pub fn from(self) -> CatalogStatus {
        match self {
            Self::Edit | Self::Submit => CatalogStatus::Draft,
            Self::Publish => CatalogStatus::Approved,
            Self::Retire => CatalogStatus::Published,
        }
    }

    /// The status after the move.
    pub fn to(self) -> CatalogStatus {
        match self {
            Self::Edit => CatalogStatus::Draft,
            Self::Submit => CatalogStatus::Submitted,
            Self::Publish => CatalogStatus::Published,
            Self::Retire => CatalogStatus::Retired,
        }
    }

    /// The required status, for error messages.
    pub fn expected(self) -> &'static str {
        match self.from() {
            CatalogStatus::Draft => "draft",
            CatalogStatus::Submitted => "submitted",
            CatalogStatus::Approved => "approved",
            CatalogStatus::Published => "published",
            CatalogStatus::Retired => "retired",
        }
    }
}

/// A council member's decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(8))")]
pub enum VoteDecision {
    /// Approve.
    #[sea_orm(string_value = "approve")]
    Approve,
    /// Reject, with a comment.
    #[sea_orm(string_value = "reject")]
    Reject,
}

/// What a vote did to its round.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RoundOutcome {
    /// More approvals are needed.
    Pending,
    /// Enough approvals: the item is APPROVED.
    Approved,
    /// A rejection: the item returns to DRAFT.
    Rejected,
}

/// Decides a round after a vote: any rejection sends the item back with its
/// reasons; otherwise it is approved once `approvals` reach `required`.
pub fn tally(latest: VoteDecision, approvals: u32, required: u32) -> RoundOutcome {
    match latest {
        VoteDecision::Reject => RoundOutcome::Rejected,
        VoteDecision::Approve if approvals >= required.max(1) => RoundOutcome::Approved,
        VoteDecision::Approve => RoundOutcome::Pending,
    }
}

/// The status an item takes after a round's outcome.
pub fn status_after(outcome: RoundOutcome) -> CatalogStatus {
    match outcome {
        RoundOutcome::Pending => CatalogStatus::Submitted,
        RoundOutcome::Approved => CatalogStatus::Approved,
        RoundOutcome::Rejected => CatalogStatus::Draft,
    }
}

/// Finds whether following prerequisite edges from `start` reaches `target`:
/// adding `target -> start` would then close a cycle. `edges` returns the
/// direct prerequisites of a course.
pub fn reaches<K: Copy + Eq + std::hash::Hash>(
    start: &[K],
    target: K,
    mut edges: impl FnMut(K) -> Vec<K>,
) -> bool {
    let mut seen = std::collections::HashSet::new();
    let mut stack: Vec<K> = start.to_vec();
    while let Some(node) = stack.pop() {
        if node == target {
            return true;
        }
        if seen.insert(node) {
            stack.extend(edges(node));
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rejection_returns_to_draft_and_approvals_accumulate() {
        assert_eq!(tally(VoteDecision::Approve, 1, 2), RoundOutcome::Pending);
        assert_eq!(tally(VoteDecision::Approve, 2, 2), RoundOutcome::Approved);
        assert_eq!(tally(VoteDecision::Reject, 5, 2), RoundOutcome::Rejected);
        assert_eq!(status_after(RoundOutcome::Rejected), CatalogStatus::Draft);
        // A misconfigured threshold of zero still needs one approval.
        assert_eq!(tally(VoteDecision::Approve, 1, 0), RoundOutcome::Approved);
    }

    #[test]
    fn transitions_follow_the_workflow() {
        assert_eq!(Transition::Submit.from(), CatalogStatus::Draft);
        assert_eq!(Transition::Publish.from(), CatalogStatus::Approved);
        assert_eq!(Transition::Retire.to(), CatalogStatus::Retired);
        assert!(!CatalogStatus::Submitted.is_public());
    }

    #[test]
    fn prerequisite_cycles_are_found() {
        // a -> b -> c
        let edges = |n: char| match n {
            'a' => vec!['b'],
            'b' => vec!['c'],
            _ => vec![],
        };
        assert!(reaches(&['a'], 'c', edges));
        assert!(!reaches(&['c'], 'a', edges));
    }
}
