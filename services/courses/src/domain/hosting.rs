//! Company-hosted sessions: a member company offers a session of a
//! published course at its venue with its own instructor; the holding's
//! admins accept or decline the proposal, and only an accepted one opens.

use std::fmt;

use sea_orm::entity::prelude::StringLen;
use sea_orm::{DeriveActiveEnum, EnumIter};

/// Where a hosting proposal stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum HostingState {
    /// Awaiting the admins.
    #[sea_orm(string_value = "proposed")]
    Proposed,
    /// Accepted: the session may open.
    #[sea_orm(string_value = "accepted")]
    Accepted,
    /// Declined: the session never opens.
    #[sea_orm(string_value = "declined")]
    Declined,
}

impl fmt::Display for HostingState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Proposed => "proposed",
            Self::Accepted => "accepted",
            Self::Declined => "declined",
        })
    }
}

/// An admin's decision on a proposal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HostingDecision {
    /// Accept it.
    Accept,
    /// Decline it, saying why.
    Decline(String),
}

impl HostingDecision {
    /// The state the proposal moves to.
    pub fn state(&self) -> HostingState {
        match self {
            Self::Accept => HostingState::Accepted,
            Self::Decline(_) => HostingState::Declined,
        }
    }

    /// The reason stored with it (empty when accepted).
    pub fn reason(&self) -> &str {
        match self {
            Self::Accept => "",
            Self::Decline(reason) => reason,
        }
    }
}
