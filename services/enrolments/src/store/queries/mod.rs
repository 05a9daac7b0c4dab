//! Every query the enrolments service runs.
//!
//! Seats are guarded by conditional updates (`taken = taken + 1 WHERE taken <
//! capacity`) in the same transaction as the enrolment row, so no number of
//! concurrent callers or replicas can oversubscribe a session or a quota.
//! A transaction that takes, frees or moves a seat locks the session's seat
//! row before it reads anything a seat depends on, which serializes those of
//! one session on PostgreSQL. On SQLite
//! every write transaction starts with a write (the idempotency key, see
//! `hamafza_kit::idempotency`, or the seat row), which takes the write lock
//! before anything is read.

mod assessment;
mod benchmark;
mod evaluations;
mod hosting;
mod lifecycle;
mod notify_outbox;
mod outbox;
mod seats;
mod views;
mod workers;

use hamafza_kit::db::saturating_i32 as as_i32;
use prost::Message;
use sea_orm::{DatabaseConnection, DatabaseTransaction};

pub use assessment::Mark;
pub use evaluations::{EvaluationFacts, EvaluationScope, EvaluationTally, OrganizationEvaluations};
pub use hamafza_kit::idempotency::{KeyRow, RequestKey};
pub use lifecycle::KeyedAnswer;
pub use outbox::DeliveryStatus;
pub use seats::SeatCounts;
pub use views::{EnrolmentFilter, EnrolmentView, Visibility};

use crate::domain::EnrolmentsError;

type Result<T> = std::result::Result<T, EnrolmentsError>;

/// The enrolments database.
#[derive(Debug, Clone)]
pub struct Store {
    db: DatabaseConnection,
}

fn not_found(kind: &'static str, id: impl ToString) -> EnrolmentsError {
    EnrolmentsError::NotFound {
        kind,
        id: id.to_string(),
    }
}

impl Store {
    /// A store over `db`, which must be migrated.
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }

    /// What enrolments no longer needs (the retention worker's purges): delivered
    /// outbox rows (certificate and notice events) and request ids, after
    /// `workers.retention_days`.
    pub fn purges(
        &self,
        workers: &hamafza_kit::config::WorkersConfig,
    ) -> Vec<hamafza_kit::retention::Purge> {
        use hamafza_kit::retention::Purge;
        let after = workers.retention();
        vec![
            Purge::delivered("outbox", after),
            Purge::delivered("notify_outbox", after),
            Purge::request_ids(after),
        ]
    }

    /// The connection.
    pub fn connection(&self) -> &DatabaseConnection {
        &self.db
    }

    /// Runs `effect` once per request key (see [`hamafza_kit::idempotency`]).
    pub async fn idempotent<R, F>(&self, key: &RequestKey, effect: F) -> Result<R>
    where
        R: Message + Default,
        F: AsyncFnOnce(&DatabaseTransaction) -> Result<R>,
    {
        hamafza_kit::idempotency::once(&self.db, key, effect).await
    }

    /// [`Store::idempotent`] for an effect that may write the key itself
    /// (see [`hamafza_kit::idempotency::once_writing_key`]).
    pub async fn idempotent_writing_key<R, F>(&self, key: &RequestKey, effect: F) -> Result<R>
    where
        R: Message + Default,
        F: AsyncFnOnce(&DatabaseTransaction, &KeyRow<'_>) -> Result<R>,
    {
        hamafza_kit::idempotency::once_writing_key(&self.db, key, effect).await
    }
}
