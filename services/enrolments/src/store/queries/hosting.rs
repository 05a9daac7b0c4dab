//! Benchmarking company-hosted sessions: per host, the sessions it hosted
//! in which an enrolment ended, and the people of other organizations who
//! completed them.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, Query};
use sea_orm::{ColumnTrait, EntityTrait, ExprTrait, QueryFilter, QuerySelect};
use uuid::Uuid;

use super::{Result, Store};
use crate::domain::status::EnrolmentStatus;
use crate::store::entities::{enrolment, session_seats};

/// What one host did over a period.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Hosted {
    /// Hosted sessions with an enrolment ended in the period.
    pub sessions: u32,
    /// Distinct trainees of other organizations who completed one.
    pub guests_trained: u32,
}

/// An ended enrolment in a hosted session: session, trainee, their
/// organization, status.
type EndedInHosted = (Uuid, String, String, EnrolmentStatus);

impl Store {
    /// Hosting measures per host organization over `[from, until)` of
    /// completion, for `courses` (all when empty).
    pub async fn hosting_benchmark(
        &self,
        from: Option<DateTime<Utc>>,
        until: Option<DateTime<Utc>>,
        courses: &[Uuid],
    ) -> Result<HashMap<String, Hosted>> {
        let hosts: Vec<(Uuid, String)> = session_seats::Entity::find()
            .select_only()
            .column(session_seats::Column::SessionId)
            .column(session_seats::Column::HostOrganizationId)
            .filter(session_seats::Column::HostOrganizationId.is_not_null())
            .into_tuple()
            .all(&self.db)
            .await?;
        if hosts.is_empty() {
            return Ok(HashMap::new());
        }
        let host_of: HashMap<Uuid, String> = hosts.into_iter().collect();
        let query = enrolment::Entity::find()
            .select_only()
            .column(enrolment::Column::SessionId)
            .column(enrolment::Column::TraineeSubject)
            .column(enrolment::Column::TraineeOrganizationId)
            .column(enrolment::Column::Status)
            .filter(enrolment::Column::Status.is_in([
                EnrolmentStatus::Completed,
                EnrolmentStatus::Failed,
                EnrolmentStatus::NoShow,
            ]))
            .filter(
                Expr::col(enrolment::Column::SessionId).in_subquery(
                    Query::select()
                        .column(session_seats::Column::SessionId)
                        .from(session_seats::Entity)
                        .and_where(
                            Expr::col(session_seats::Column::HostOrganizationId).is_not_null(),
                        )
                        .take(),
                ),
            );
        let ended: Vec<EndedInHosted> = query
            .filter(super::benchmark::ended_within(from, until, courses))
            .into_tuple()
            .all(&self.db)
            .await?;
        let mut sessions: HashMap<&str, HashSet<Uuid>> = HashMap::new();
        let mut guests: HashMap<&str, HashSet<&str>> = HashMap::new();
        for (session_id, trainee, organization, status) in &ended {
            let Some(host) = host_of.get(session_id) else {
                continue;
            };
            sessions.entry(host).or_default().insert(*session_id);
            if *status == EnrolmentStatus::Completed && organization != host {
                guests.entry(host).or_default().insert(trainee);
            }
        }
        Ok(sessions
            .into_iter()
            .map(|(host, held)| {
                let guests = guests.get(host).map_or(0, HashSet::len);
                (
                    host.to_owned(),
                    Hosted {
                        sessions: u32::try_from(held.len()).unwrap_or(u32::MAX),
                        guests_trained: u32::try_from(guests).unwrap_or(u32::MAX),
                    },
                )
            })
            .collect())
    }
}
