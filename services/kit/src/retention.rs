//! Rows that have served their purpose are deleted after a while, so that a
//! service's tables do not grow for as long as it runs: outbox rows
//! delivered, request ids (`idempotency_keys`) old enough that no client
//! retries under them, and whatever else a service names. Records are never
//! among them (history, attendance, certificates stay).
//!
//! Each service runs [`run`] beside its other workers, every
//! `workers.purge_interval_seconds`, with its store's list of [`Purge`]s
//! (`Store::purges`); each
//! deletes in batches of [`BATCH`], one short transaction each, so that on
//! SQLite the one write lock is never held for long.

use std::time::Duration;

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbErr, Statement};
use sea_orm_migration::prelude::{MigrationTrait, SchemaManager};

use crate::shutdown::Shutdown;

/// Most rows one statement deletes.
pub const BATCH: u64 = 500;

/// Rows of one table that go once they are done with.
#[derive(Debug, Clone)]
pub struct Purge {
    /// What the rows are, for the log.
    pub what: &'static str,
    /// The table.
    pub table: &'static str,
    /// The columns that name a row.
    pub key: &'static [&'static str],
    /// The column saying when a row was done with; a row where it is NULL
    /// (an outbox row not yet delivered) is never deleted.
    pub done_at: &'static str,
    /// A further condition on the rows (SQL), or empty.
    pub only: &'static str,
    /// How long after `done_at` a row goes.
    pub after: Duration,
    /// Keep the row done with last, whatever its age (an outbox's "last
    /// delivered" stays answerable).
    pub keep_latest: bool,
}

impl Purge {
    /// The delivered rows of the outbox `table` (the latest one kept).
    pub fn delivered(table: &'static str, after: Duration) -> Self {
        Self {
            what: "delivered outbox rows",
            table,
            key: &["id"],
            done_at: "delivered_at",
            only: "",
            after,
            keep_latest: true,
        }
    }

    /// Request ids (`idempotency_keys`) first seen more than `after` ago: a
    /// retry under one after that runs as a new request.
    pub fn request_ids(after: Duration) -> Self {
        Self {
            what: "request ids",
            table: "idempotency_keys",
            key: &["caller_subject", "request_id"],
            done_at: "created_at",
            only: "",
            after,
            keep_latest: false,
        }
    }

    /// Deletes up to [`BATCH`] of the rows done with before `cutoff`, oldest
    /// first; answers how many went.
    pub async fn batch(
        &self,
        db: &impl ConnectionTrait,
        cutoff: DateTime<Utc>,
    ) -> Result<u64, DbErr> {
        let backend = db.get_database_backend();
        let Self { table, done_at, .. } = self;
        let key = self.key.join(", ");
        let mut condition = format!("{done_at} IS NOT NULL AND {done_at} < $1");
        if !self.only.is_empty() {
            condition.push_str(&format!(" AND ({})", self.only));
        }
        if self.keep_latest {
            condition.push_str(&format!(
                " AND {done_at} < (SELECT MAX({done_at}) FROM {table})"
            ));
        }
        let rows = if self.key.len() == 1 {
            key.clone()
        } else {
            format!("({key})")
        };
        let sql = format!(
            "DELETE FROM {table} WHERE {rows} IN \
             (SELECT {key} FROM {table} WHERE {condition} ORDER BY {done_at} LIMIT {BATCH})"
        );
        let result = db
            .execute_raw(Statement::from_sql_and_values(
                backend,
                sql,
                [cutoff.into()],
            ))
            .await?;
        Ok(result.rows_affected())
    }

    /// Deletes every row done with more than `after` before `now`, a batch
    /// at a time; answers how many went.
    pub async fn all(&self, db: &DatabaseConnection, now: DateTime<Utc>) -> Result<u64, DbErr> {
        let after = chrono::Duration::from_std(self.after).unwrap_or(chrono::Duration::MAX);
        let Some(cutoff) = now.checked_sub_signed(after) else {
            return Ok(0);
        };
        let mut gone = 0;
        loop {
            let deleted = self.batch(db, cutoff).await?;
            gone += deleted;
            if deleted < BATCH {
                return Ok(gone);
            }
            // Let the service's own writes in between two batches.
            tokio::task::yield_now().await;
        }
    }
}

/// Runs `purges` every `every` (`workers.purge_interval_seconds`; the first
/// time after one period) until `shutdown`; a failed purge is logged and
/// tried again the next time.
pub async fn run(db: DatabaseConnection, purges: Vec<Purge>, every: Duration, shutdown: Shutdown) {
    loop {
        tokio::select! {
            () = tokio::time::sleep(every) => {}
            () = shutdown.clone().requested() => return,
        }
        for purge in &purges {
            match purge.all(&db, Utc::now()).await {
                Ok(0) => {}
                Ok(gone) => {
                    tracing::info!(
                        table = purge.table,
                        gone,
                        "deleted {} no longer needed",
                        purge.what
                    );
                }
                Err(error) => {
                    tracing::warn!(table = purge.table, %error, "deleting {} failed; will retry", purge.what);
                }
            }
        }
    }
}

crate::migration_name! {
    /// The index the purge of request ids reads by: `idempotency_keys` by
    /// `created_at` (each service with request ids appends it).
    pub struct RequestIdsByAge = "m20261203_000001_request_ids_by_age";
}

#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for RequestIdsByAge {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(crate::migration::index(
                "idempotency_keys_by_age",
                "idempotency_keys",
                &["created_at"],
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                sea_orm_migration::prelude::Index::drop()
                    .name("idempotency_keys_by_age")
                    .table("idempotency_keys")
                    .to_owned(),
            )
            .await
    }
}

#[cfg(test)]
mod tests {
    use sea_orm::{ActiveModelTrait, Database, EntityTrait, PaginatorTrait, Set};
    use sea_orm_migration::SchemaManager;
    use uuid::Uuid;

    use super::*;
    use crate::idempotency::key;
    use crate::outbox::Outbox;

    const DAY: Duration = Duration::from_secs(86_400);

    #[tokio::test]
    async fn what_is_done_with_goes_after_its_time_and_nothing_else() {
        let database = crate::testing::TestDatabase::create().await;
        let db = Database::connect(&database.url).await.unwrap();
        let manager = SchemaManager::new(&db);
        manager
            .create_table(crate::outbox::create_table("outbox"))
            .await
            .unwrap();
        crate::idempotency::create_table(&manager).await.unwrap();
        RequestIdsByAge.up(&manager).await.unwrap();
        let now = Utc::now();
        let ago = |days: i64| now - chrono::Duration::days(days);

        // An outbox: delivered 40, 35 and 31 days ago, one pending for 90.
        let outbox = Outbox::new(db.clone(), "outbox");
        let mut ids = Vec::new();
        for (created, delivered) in [(41, Some(40)), (36, Some(35)), (90, None), (32, Some(31))] {
            let id = Uuid::now_v7();
            outbox
                .enqueue(&db, id, vec![1], ago(created))
                .await
                .unwrap();
            if let Some(delivered) = delivered {
                outbox.delivered(&[id], ago(delivered)).await.unwrap();
            }
            ids.push(id);
        }
        let delivered = Purge::delivered("outbox", 30 * DAY);
        // All three delivered are past their time; the last of them stays,
        // and the pending one, however old, is never touched.
        assert_eq!(delivered.all(&db, now).await.unwrap(), 2);
        let left: Vec<(Uuid, bool)> = db
            .query_all_raw(Statement::from_string(
                db.get_database_backend(),
                "SELECT id, delivered_at IS NOT NULL AS delivered FROM outbox ORDER BY created_at",
            ))
            .await
            .unwrap()
            .iter()
            .map(|row| {
                (
                    row.try_get::<Uuid>("", "id").unwrap(),
                    row.try_get::<bool>("", "delivered").unwrap(),
                )
            })
            .collect();
        assert_eq!(left, vec![(ids[2], false), (ids[3], true)]);
        assert_eq!(delivered.all(&db, now).await.unwrap(), 0);

        // Request ids: more than a batch of old ones, and a young one.
        for n in 0..(BATCH + 3) {
            key::ActiveModel {
                caller_subject: Set("trainee-1".to_owned()),
                request_id: Set(format!("old-{n}")),
                request_hash: Set(vec![0]),
                response: Set(vec![]),
                created_at: Set(ago(31)),
            }
            .insert(&db)
            .await
            .unwrap();
        }
        key::ActiveModel {
            caller_subject: Set("trainee-1".to_owned()),
            request_id: Set("young".to_owned()),
            request_hash: Set(vec![0]),
            response: Set(vec![]),
            created_at: Set(ago(29)),
        }
        .insert(&db)
        .await
        .unwrap();
        let ids_purge = Purge::request_ids(30 * DAY);
        assert_eq!(ids_purge.all(&db, now).await.unwrap(), BATCH + 3);
        let kept = key::Entity::find().all(&db).await.unwrap();
        assert_eq!(kept.len(), 1);
        assert_eq!(kept[0].request_id, "young");
        assert_eq!(key::Entity::find().count(&db).await.unwrap(), 1);
    }
}
