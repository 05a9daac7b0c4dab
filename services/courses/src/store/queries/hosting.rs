//! Company-hosted session queries: the proposal stored with its session,
//! the admins' decision, the proposals listed per host, and the hosting of
//! sessions read with them.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveEnum, ColumnTrait, Condition, ConnectionTrait, EntityTrait, ExprTrait, QueryFilter,
    QueryOrder, QuerySelect, Set, TransactionTrait,
};
use uuid::Uuid;

use super::{Result, SessionRecord, Store, not_found};
use crate::domain::CoursesError;
use crate::domain::hosting::{HostingDecision, HostingState};
use crate::store::entities::{organization, session, session_hosting};

/// Who proposes a hosted session, and for which company.
#[derive(Debug, Clone)]
pub struct HostProposal {
    /// The host organization.
    pub organization_id: String,
    /// The proposer's `sub`.
    pub subject: String,
    /// The proposer's name.
    pub name: String,
}

/// A hosted session's proposal with its host's names.
#[derive(Debug, Clone)]
pub struct HostingRecord {
    /// The proposal row.
    pub hosting: session_hosting::Model,
    /// The host's name in Persian.
    pub name_fa: String,
    /// The host's name in English.
    pub name_en: String,
}

/// Filters of a listing of hosted sessions.
#[derive(Debug, Clone, Default)]
pub struct HostingFilter {
    /// Hosted by this organization.
    pub host: Option<String>,
    /// In one of these states; all when empty.
    pub states: Vec<HostingState>,
}

/// Stores a new session's proposal in the session's transaction.
pub(super) async fn insert_proposal(
    db: &impl ConnectionTrait,
    session_id: Uuid,
    proposal: &HostProposal,
    now: DateTime<Utc>,
) -> Result<()> {
    session_hosting::Entity::insert(session_hosting::ActiveModel {
        session_id: Set(session_id),
        host_organization_id: Set(proposal.organization_id.clone()),
        state: Set(HostingState::Proposed),
        proposed_by_subject: Set(proposal.subject.clone()),
        proposed_by_name: Set(proposal.name.clone()),
        proposed_at: Set(now),
        decided_by_subject: Set(None),
        decided_by_name: Set(None),
        decided_at: Set(None),
        decline_reason: Set(String::new()),
    })
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// Refuses to open a hosted session whose proposal is not accepted (read in
/// the opening transaction).
pub(super) async fn require_accepted(
    db: &impl ConnectionTrait,
    row: &session::Model,
) -> Result<()> {
    if row.host_organization_id.is_none() {
        return Ok(());
    }
    let state = session_hosting::Entity::find_by_id(row.id)
        .one(db)
        .await?
        .map_or(HostingState::Proposed, |hosting| hosting.state);
    if state == HostingState::Accepted {
        Ok(())
    } else {
        Err(CoursesError::HostingNotAccepted(state))
    }
}

impl Store {
    /// Accepts or declines a PROPOSED hosted session, by `subject` (`name`).
    pub async fn decide_hosting(
        &self,
        session_id: Uuid,
        decision: &HostingDecision,
        (subject, name): (&str, &str),
        now: DateTime<Utc>,
    ) -> Result<SessionRecord> {
        let txn = self.db.begin().await?;
        let decided = session_hosting::Entity::update_many()
            .filter(session_hosting::Column::SessionId.eq(session_id))
            .filter(session_hosting::Column::State.eq(HostingState::Proposed))
            .col_expr(
                session_hosting::Column::State,
                Expr::value(decision.state().to_value()),
            )
            .col_expr(
                session_hosting::Column::DecidedBySubject,
                Expr::value(subject.to_owned()),
            )
            .col_expr(
                session_hosting::Column::DecidedByName,
                Expr::value(name.to_owned()),
            )
            .col_expr(session_hosting::Column::DecidedAt, Expr::value(now))
            .col_expr(
                session_hosting::Column::DeclineReason,
                Expr::value(decision.reason().to_owned()),
            )
            .exec(&txn)
            .await?;
        if decided.rows_affected == 0 {
            drop(txn);
            return Err(
                match session_hosting::Entity::find_by_id(session_id)
                    .one(&self.db)
                    .await?
                {
                    Some(row) => CoursesError::HostingAlreadyDecided(row.state),
                    None => not_found("hosted session", session_id),
                },
            );
        }
        // The decision is part of the session: its etag and change time move.
        session::Entity::update_many()
            .filter(session::Column::Id.eq(session_id))
            .col_expr(session::Column::UpdatedAt, Expr::value(now))
            .col_expr(
                session::Column::Revision,
                Expr::col(session::Column::Revision).add(1),
            )
            .exec(&txn)
            .await?;
        txn.commit().await?;
        self.session(session_id)
            .await?
            .ok_or_else(|| not_found("session", session_id))
    }

    /// Hosted sessions, newest proposal first, after the `(proposed, id)`
    /// cursor.
    pub async fn list_hosted_sessions(
        &self,
        filter: &HostingFilter,
        after: Option<(DateTime<Utc>, Uuid)>,
        limit: u64,
    ) -> Result<Vec<SessionRecord>> {
        let mut query = session_hosting::Entity::find()
            .order_by_desc(session_hosting::Column::ProposedAt)
            .order_by_desc(session_hosting::Column::SessionId)
            .limit(limit);
        if let Some(host) = &filter.host {
            query = query.filter(session_hosting::Column::HostOrganizationId.eq(host.clone()));
        }
        if !filter.states.is_empty() {
            query = query.filter(session_hosting::Column::State.is_in(filter.states.clone()));
        }
        if let Some((instant, id)) = after {
            query = query.filter(
                Condition::any()
                    .add(session_hosting::Column::ProposedAt.lt(instant))
                    .add(
                        Condition::all()
                            .add(session_hosting::Column::ProposedAt.eq(instant))
                            .add(session_hosting::Column::SessionId.lt(id)),
                    ),
            );
        }
        let ids: Vec<Uuid> = query
            .all(&self.db)
            .await?
            .into_iter()
            .map(|row| row.session_id)
            .collect();
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let rows = session::Entity::find()
            .filter(session::Column::Id.is_in(ids.clone()))
            .all(&self.db)
            .await?;
        let mut records: HashMap<Uuid, SessionRecord> = self
            .session_records(rows)
            .await?
            .into_iter()
            .map(|record| (record.session.id, record))
            .collect();
        Ok(ids.iter().filter_map(|id| records.remove(id)).collect())
    }

    /// The proposals of those of `ids` that are hosted, with their hosts'
    /// names.
    pub(super) async fn hostings_of(&self, ids: &[Uuid]) -> Result<HashMap<Uuid, HostingRecord>> {
        if ids.is_empty() {
            return Ok(HashMap::new());
        }
        let hostings = session_hosting::Entity::find()
            .filter(session_hosting::Column::SessionId.is_in(ids.to_vec()))
            .all(&self.db)
            .await?;
        if hostings.is_empty() {
            return Ok(HashMap::new());
        }
        let mut hosts: Vec<String> = hostings
            .iter()
            .map(|h| h.host_organization_id.clone())
            .collect();
        hosts.sort_unstable();
        hosts.dedup();
        let names: HashMap<String, (String, String)> = organization::Entity::find()
            .filter(organization::Column::Id.is_in(hosts))
            .all(&self.db)
            .await?
            .into_iter()
            .map(|org| (org.id, (org.name_fa, org.name_en)))
            .collect();
        Ok(hostings
            .into_iter()
            .map(|hosting| {
                let (name_fa, name_en) = names
                    .get(&hosting.host_organization_id)
                    .cloned()
                    .unwrap_or_default();
                (
                    hosting.session_id,
                    HostingRecord {
                        hosting,
                        name_fa,
                        name_en,
                    },
                )
            })
            .collect())
    }
}
