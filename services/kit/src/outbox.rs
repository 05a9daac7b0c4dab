//! One leased outbox for every service: rows written in the transaction of
//! the change that causes them, delivered by a worker at least once, with
//! exponential backoff, parked with their last error after a number of
//! failures, and safe with several replicas (each claims rows with a short
//! lease, renewed while it works; PostgreSQL skips rows another replica is
//! claiming).
//!
//! A service names its table and gives a deliver function; the table has the
//! columns of [`columns`]: `id` (UUID key), `payload` (bytes), `created_at`,
//! `attempts`, `next_attempt_at`, `locked_until`, `delivered_at`,
//! `parked_at`, `last_error`, `last_error_at`.

use std::future::Future;
use std::time::Duration;

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, DbErr, FromQueryResult, Statement};
use sea_orm_migration::prelude::{ColumnDef, Table, TableCreateStatement};
use sea_orm_migration::schema::{
    blob, integer, pk_uuid, text, timestamp_with_time_zone, timestamp_with_time_zone_null,
};
use uuid::Uuid;

use crate::config::WorkersConfig;
use crate::shutdown::Shutdown;

/// The columns of an outbox table.
pub fn columns() -> Vec<ColumnDef> {
    vec![
        pk_uuid("id"),
        blob("payload"),
        timestamp_with_time_zone("created_at"),
        integer("attempts"),
        timestamp_with_time_zone("next_attempt_at"),
        timestamp_with_time_zone_null("locked_until"),
        timestamp_with_time_zone_null("delivered_at"),
        timestamp_with_time_zone_null("parked_at"),
        text("last_error"),
        timestamp_with_time_zone_null("last_error_at"),
    ]
}

/// The migration statement that creates the outbox table `name`.
pub fn create_table(name: &'static str) -> TableCreateStatement {
    let mut table = Table::create();
    table.table(name);
    for mut column in columns() {
        table.col(&mut column);
    }
    table.take()
}

/// How a dispatcher works through its outbox.
#[derive(Debug, Clone)]
pub struct Policy {
    /// How often it looks for due rows when the last round was not full.
    pub poll: Duration,
    /// The longest wait between two attempts at one row.
    pub max_backoff: chrono::Duration,
    /// How long a claimed row stays invisible to other dispatchers; renewed
    /// while the row is worked on.
    pub lease: chrono::Duration,
    /// Rows claimed per round.
    pub batch: u64,
    /// Deliveries of one round under way at once. A delivery is a call to
    /// another service, so one after another a round would take the sum of
    /// their latencies and the outbox would drain at a few hundred rows a
    /// second however idle the machine; order was never promised (several
    /// dispatchers deliver at once).
    pub parallel: usize,
    /// Rows given to one delivery (see [`run_batched`]); 1 for [`run`].
    pub per_call: usize,
    /// Failed attempts after which a row is parked; `None` retries forever.
    pub park_after: Option<u32>,
}

impl Policy {
    /// The workers' settings, a ten-second lease, batches of 20, parked
    /// after `park_after` failures.
    pub fn from_workers(workers: &WorkersConfig, park_after: Option<u32>) -> Self {
        Self {
            poll: Duration::from_millis(workers.outbox_poll_millis.max(10)),
            max_backoff: chrono::Duration::seconds(
                i64::try_from(workers.outbox_max_backoff_seconds.max(1)).unwrap_or(60),
            ),
            lease: chrono::Duration::seconds(10),
            batch: 20,
            parallel: 8,
            per_call: 1,
            park_after,
        }
    }

    /// When to try a row again after its `attempts`th failed attempt:
    /// 1, 2, 4 … seconds, at most `max_backoff`.
    pub fn retry_at(&self, attempts: i32, now: DateTime<Utc>) -> DateTime<Utc> {
        let exponent = u32::try_from(attempts.clamp(1, 20) - 1).unwrap_or(0);
        now + chrono::Duration::seconds(1i64 << exponent).min(self.max_backoff)
    }
}

/// A row claimed for delivery.
#[derive(Debug, Clone, FromQueryResult)]
pub struct Claimed {
    /// Its key.
    pub id: Uuid,
    /// What to deliver.
    pub payload: Vec<u8>,
    /// Attempts so far, this one included.
    pub attempts: i32,
    /// Until when this dispatcher holds it.
    pub locked_until: Option<DateTime<Utc>>,
}

/// One outbox table in one database.
#[derive(Debug, Clone)]
pub struct Outbox {
    db: DatabaseConnection,
    table: &'static str,
}

impl Outbox {
    /// The outbox kept in `table` of `db`.
    pub fn new(db: DatabaseConnection, table: &'static str) -> Self {
        Self { db, table }
    }

    /// Writes a row to deliver, inside the caller's transaction (or on its
    /// own connection).
    pub async fn enqueue<C: ConnectionTrait>(
        &self,
        conn: &C,
        id: Uuid,
        payload: Vec<u8>,
        now: DateTime<Utc>,
    ) -> Result<(), DbErr> {
        let sql = format!(
            "INSERT INTO {} (id, payload, created_at, attempts, next_attempt_at, last_error) \
             VALUES ($1, $2, $3, 0, $3, '')",
            self.table
        );
        conn.execute_raw(Statement::from_sql_and_values(
            conn.get_database_backend(),
            sql,
            [id.into(), payload.into(), now.into()],
        ))
        .await?;
        Ok(())
    }

    /// Claims up to `limit` due rows for `lease`, oldest first.
    pub async fn claim(
        &self,
        now: DateTime<Utc>,
        limit: u64,
        lease: chrono::Duration,
    ) -> Result<Vec<Claimed>, DbErr> {
        let backend = self.db.get_database_backend();
        let skip_locked = match backend {
            DbBackend::Postgres => " FOR UPDATE SKIP LOCKED",
            _ => "",
        };
        let table = self.table;
        let sql = format!(
            "UPDATE {table} SET locked_until = $1, attempts = attempts + 1 WHERE id IN (\
             SELECT id FROM {table} WHERE delivered_at IS NULL AND parked_at IS NULL \
             AND next_attempt_at <= $2 AND (locked_until IS NULL OR locked_until < $2) \
             ORDER BY created_at, id LIMIT {limit}{skip_locked}) \
             RETURNING id, payload, attempts, locked_until"
        );
        let statement =
            Statement::from_sql_and_values(backend, sql, [(now + lease).into(), now.into()]);
        Claimed::find_by_statement(statement).all(&self.db).await
    }

    /// Extends this dispatcher's hold on `ids` (claimed together, so held
    /// until the same `held`) to `until` if it still holds every one of them;
    /// the new hold, or `None` when it lost any.
    pub async fn renew(
        &self,
        ids: &[Uuid],
        held: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<Option<DateTime<Utc>>, DbErr> {
        let backend = self.db.get_database_backend();
        let sql = format!(
            "UPDATE {} SET locked_until = $1 WHERE locked_until = $2 AND delivered_at IS NULL \
             AND id IN ({})",
            self.table,
            placeholders(3, ids.len())
        );
        let values = [until.into(), held.into()]
            .into_iter()
            .chain(ids.iter().map(|id| (*id).into()));
        let renewed = self
            .db
            .execute_raw(Statement::from_sql_and_values(backend, sql, values))
            .await?
            .rows_affected();
        if renewed == u64::try_from(ids.len()).unwrap_or(u64::MAX) {
            return Ok(Some(until));
        }
        if renewed > 0 {
            // Another dispatcher took some: the rest, still held, are let go
            // at once rather than left locked with nobody working on them.
            let sql = format!(
                "UPDATE {} SET locked_until = NULL WHERE locked_until = $1 \
                 AND delivered_at IS NULL AND id IN ({})",
                self.table,
                placeholders(2, ids.len())
            );
            let values = std::iter::once(until.into()).chain(ids.iter().map(|id| (*id).into()));
            self.db
                .execute_raw(Statement::from_sql_and_values(backend, sql, values))
                .await?;
        }
        Ok(None)
    }

    /// Marks rows delivered, in one statement.
    pub async fn delivered(&self, ids: &[Uuid], now: DateTime<Utc>) -> Result<(), DbErr> {
        if ids.is_empty() {
            return Ok(());
        }
        let backend = self.db.get_database_backend();
        let sql = format!(
            "UPDATE {} SET delivered_at = $1, locked_until = NULL WHERE id IN ({})",
            self.table,
            placeholders(2, ids.len())
        );
        let values = std::iter::once(now.into()).chain(ids.iter().map(|id| (*id).into()));
        self.db
            .execute_raw(Statement::from_sql_and_values(backend, sql, values))
            .await?;
        Ok(())
    }

    /// Records a failed attempt, unless another dispatcher holds the row
    /// now: tried again at `retry_at`, or parked when `park`.
    pub async fn failed(
        &self,
        id: Uuid,
        held: DateTime<Utc>,
        error: &str,
        retry_at: DateTime<Utc>,
        park: bool,
        now: DateTime<Utc>,
    ) -> Result<(), DbErr> {
        let sql = format!(
            "UPDATE {} SET last_error = $1, last_error_at = $2, next_attempt_at = $3, \
             parked_at = $4, locked_until = NULL \
             WHERE id = $5 AND delivered_at IS NULL AND locked_until = $6",
            self.table
        );
        let error: String = error.chars().take(1000).collect();
        let parked: Option<DateTime<Utc>> = park.then_some(now);
        self.db
            .execute_raw(Statement::from_sql_and_values(
                self.db.get_database_backend(),
                sql,
                [
                    error.into(),
                    now.into(),
                    retry_at.into(),
                    parked.into(),
                    id.into(),
                    held.into(),
                ],
            ))
            .await?;
        Ok(())
    }

    /// How many rows wait to be delivered (parked ones aside).
    pub async fn pending(&self) -> Result<u64, DbErr> {
        self.count("delivered_at IS NULL AND parked_at IS NULL")
            .await
    }

    /// How many rows are parked.
    pub async fn parked(&self) -> Result<u64, DbErr> {
        self.count("delivered_at IS NULL AND parked_at IS NOT NULL")
            .await
    }

    async fn count(&self, filter: &str) -> Result<u64, DbErr> {
        #[derive(FromQueryResult)]
        struct Count {
            n: i64,
        }
        let sql = format!("SELECT COUNT(*) AS n FROM {} WHERE {filter}", self.table);
        let counted =
            Count::find_by_statement(Statement::from_string(self.db.get_database_backend(), sql))
                .one(&self.db)
                .await?;
        Ok(counted.map_or(0, |c| u64::try_from(c.n).unwrap_or(0)))
    }
}

/// `count` numbered parameters from `$first`, for an `IN (…)` list.
fn placeholders(first: usize, count: usize) -> String {
    (first..first + count)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A failed call to another service as an outbox row records it: the
/// gRPC code's canonical name (`UNAVAILABLE`, as a batched delivery's
/// outcomes name it) and the message.
pub fn failure(status: &tonic::Status) -> String {
    format!(
        "{}: {}",
        crate::grpc::code_name(status.code()),
        status.message()
    )
}

/// Runs delivery rounds over `outbox` until `shutdown`: each due row's
/// payload goes to `deliver`, whose `Err` is the attempt's error.
pub async fn run<F, Fut>(outbox: Outbox, policy: Policy, deliver: F, shutdown: Shutdown)
where
    F: Fn(Vec<u8>) -> Fut,
    Fut: Future<Output = Result<(), String>>,
{
    let policy = Policy {
        per_call: 1,
        ..policy
    };
    run_batched(outbox, policy, one_by_one(&deliver), shutdown).await;
}

/// Runs delivery rounds over `outbox` until `shutdown`, giving `deliver` the
/// payloads of up to `policy.per_call` rows at once: its `Ok` holds one
/// outcome per payload, in their order; its `Err` fails them all.
pub async fn run_batched<F, Fut>(outbox: Outbox, policy: Policy, deliver: F, shutdown: Shutdown)
where
    F: Fn(Vec<Vec<u8>>) -> Fut,
    Fut: Future<Output = Batch>,
{
    loop {
        let claimed = round(&outbox, &policy, &deliver).await;
        if shutdown.is_requested() {
            return;
        }
        // A full batch means more may be waiting: go again at once.
        if claimed < policy.batch {
            tokio::select! {
                () = tokio::time::sleep(policy.poll) => {}
                () = shutdown.clone().requested() => return,
            }
        }
    }
}

/// What a batched delivery answers: an outcome per payload, or one error
/// for them all.
pub type Batch = Result<Vec<Result<(), String>>, String>;

/// The deliveries of a batch of payloads, one by one, side by side.
type OneByOne<Fut> =
    futures::future::Map<futures::future::JoinAll<Fut>, fn(Vec<Result<(), String>>) -> Batch>;

/// A delivery of one payload as a delivery of a batch.
fn one_by_one<F, Fut>(deliver: &F) -> impl Fn(Vec<Vec<u8>>) -> OneByOne<Fut>
where
    F: Fn(Vec<u8>) -> Fut,
    Fut: Future<Output = Result<(), String>>,
{
    use futures::FutureExt as _;
    move |payloads| {
        futures::future::join_all(payloads.into_iter().map(deliver))
            .map(Ok as fn(Vec<Result<(), String>>) -> Batch)
    }
}

/// One round: claims what is due and gives it to `deliver`,
/// `policy.per_call` rows a call and up to `policy.parallel` calls at once,
/// then marks the delivered ones in one statement (a crash before it
/// delivers them again: every delivery is idempotent). Returns how many rows
/// were claimed.
pub async fn round<F, Fut>(outbox: &Outbox, policy: &Policy, deliver: &F) -> u64
where
    F: Fn(Vec<Vec<u8>>) -> Fut,
    Fut: Future<Output = Batch>,
{
    use futures::StreamExt as _;
    let table = outbox.table;
    let claimed = match outbox
        .claim(crate::time::now(), policy.batch, policy.lease)
        .await
    {
        Ok(rows) => rows,
        Err(error) => {
            tracing::warn!(table, %error, "outbox: claiming rows failed");
            return 0;
        }
    };
    let count = u64::try_from(claimed.len()).unwrap_or(0);
    let mut delivered = Vec::with_capacity(claimed.len());
    // A call's rows are held until the same instant (rows claimed together
    // are), so that one statement renews them all.
    let per_call = policy.per_call.max(1);
    let mut calls: Vec<(DateTime<Utc>, Vec<Claimed>)> = Vec::new();
    for row in claimed {
        let Some(held) = row.locked_until else {
            continue;
        };
        match calls.last_mut() {
            Some((call_held, rows)) if *call_held == held && rows.len() < per_call => {
                rows.push(row);
            }
            _ => calls.push((held, vec![row])),
        }
    }
    let calls = calls.into_iter().map(|(held, rows)| {
        let ids: Vec<Uuid> = rows.iter().map(|row| row.id).collect();
        let payloads = rows.iter().map(|row| row.payload.clone()).collect();
        let delivery = deliver(payloads);
        async move {
            let outcome = attempt(outbox, policy, &ids, held, delivery).await;
            (rows, outcome)
        }
    });
    let mut tries = futures::stream::iter(calls).buffer_unordered(policy.parallel.max(1));
    while let Some((rows, outcome)) = tries.next().await {
        let Some((outcome, held)) = outcome else {
            let ids: Vec<Uuid> = rows.iter().map(|row| row.id).collect();
            tracing::warn!(
                table,
                ?ids,
                "outbox: lost the lease on rows; another dispatcher has them"
            );
            continue;
        };
        let outcomes = match outcome {
            Ok(outcomes) if outcomes.len() == rows.len() => outcomes,
            Ok(outcomes) => {
                let error = format!(
                    "the delivery answered {} outcomes for {} rows",
                    outcomes.len(),
                    rows.len()
                );
                vec![Err(error); rows.len()]
            }
            Err(error) => vec![Err(error); rows.len()],
        };
        for (row, outcome) in rows.iter().zip(outcomes) {
            match outcome {
                Ok(()) => delivered.push(row.id),
                Err(error) => failed(outbox, policy, row, held, &error).await,
            }
        }
    }
    mark_delivered(outbox, &delivered, crate::time::now()).await;
    count
}

/// Records a failed attempt at `row`: tried again later, or parked.
async fn failed(outbox: &Outbox, policy: &Policy, row: &Claimed, held: DateTime<Utc>, error: &str) {
    let (id, attempts) = (row.id, row.attempts);
    let now = crate::time::now();
    let park = policy
        .park_after
        .is_some_and(|n| i64::from(attempts) >= i64::from(n));
    let retry_at = policy.retry_at(attempts, now);
    tracing::warn!(
        table = outbox.table,
        %id,
        attempts,
        %error,
        %retry_at,
        park,
        "outbox: delivery failed"
    );
    if let Err(error) = outbox.failed(id, held, error, retry_at, park, now).await {
        tracing::warn!(table = outbox.table, %error, "outbox: recording an attempt failed");
    }
}

/// Marks `delivered` rows delivered; a failure is logged (the rows are
/// delivered again later, idempotently).
async fn mark_delivered(outbox: &Outbox, delivered: &[Uuid], now: DateTime<Utc>) {
    if let Err(error) = outbox.delivered(delivered, now).await {
        tracing::warn!(table = outbox.table, %error, "outbox: recording deliveries failed");
    }
}

/// Runs one delivery while renewing its rows' lease every third of it;
/// `None` when the lease on any was lost (the delivery is dropped), else the
/// outcome and the hold it ended with.
async fn attempt<Fut: Future>(
    outbox: &Outbox,
    policy: &Policy,
    ids: &[Uuid],
    mut held: DateTime<Utc>,
    delivery: Fut,
) -> Option<(Fut::Output, DateTime<Utc>)> {
    let every = (policy.lease / 3)
        .to_std()
        .unwrap_or(Duration::from_secs(3))
        .max(Duration::from_millis(100));
    // The claim has just taken the lease: the first renewal is due a third
    // of it later (an interval's first tick would come at once).
    let mut beat = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
    beat.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tokio::pin!(delivery);
    loop {
        tokio::select! {
            outcome = &mut delivery => return Some((outcome, held)),
            _ = beat.tick() => {
                let until = crate::time::now() + policy.lease;
                match outbox.renew(ids, held, until).await {
                    Ok(Some(renewed)) => held = renewed,
                    Ok(None) => return None,
                    Err(error) => {
                        tracing::warn!(table = outbox.table, %error, "outbox: renewing a lease failed");
                        return None;
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An outbox table in a new SQLite database, and the database's folder.
    async fn test_outbox() -> (std::path::PathBuf, Outbox) {
        let dir = std::env::temp_dir().join(format!("hamafza-outbox-{}", Uuid::now_v7()));
        std::fs::create_dir_all(&dir).expect("a directory");
        let url = format!("sqlite://{}?mode=rwc", dir.join("outbox.db").display());
        let db = crate::db::connect(&url).await.expect("a database");
        let table = create_table("test_outbox");
        db.execute_raw(db.get_database_backend().build(&table))
            .await
            .expect("the outbox table");
        let outbox = Outbox::new(db, "test_outbox");
        (dir, outbox)
    }

    #[test]
    fn a_failed_call_is_recorded_with_its_codes_canonical_name() {
        let failed = |code, message| failure(&tonic::Status::new(code, message));
        assert_eq!(
            failed(tonic::Code::Unavailable, "tcp connect error"),
            "UNAVAILABLE: tcp connect error"
        );
        assert_eq!(
            failed(tonic::Code::DeadlineExceeded, "late"),
            "DEADLINE_EXCEEDED: late"
        );
        assert_eq!(failed(tonic::Code::Ok, ""), "OK: ");
    }

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let policy = Policy::from_workers(&WorkersConfig::default(), Some(5));
        let now = crate::time::now();
        let waits: Vec<i64> = (1..=8)
            .map(|a| (policy.retry_at(a, now) - now).num_seconds())
            .collect();
        assert_eq!(waits, [1, 2, 4, 8, 16, 32, 60, 60]);
    }

    /// Each delivery waits until `together` deliveries have started, for at
    /// most two seconds.
    fn waiting_for(
        together: usize,
    ) -> impl Fn(Vec<u8>) -> futures::future::BoxFuture<'static, Result<(), String>> {
        let started = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        move |_payload| {
            let started = std::sync::Arc::clone(&started);
            Box::pin(async move {
                use std::sync::atomic::Ordering;
                started.fetch_add(1, Ordering::SeqCst);
                let all_started = async {
                    while started.load(Ordering::SeqCst) < together {
                        tokio::time::sleep(Duration::from_millis(5)).await;
                    }
                };
                tokio::time::timeout(Duration::from_secs(2), all_started)
                    .await
                    .map_err(|_| "the others never started".to_owned())
            })
        }
    }

    #[tokio::test]
    async fn a_round_delivers_its_rows_side_by_side() {
        let (dir, outbox) = test_outbox().await;
        let enqueue = async |count: u8| {
            for n in 0..count {
                outbox
                    .enqueue(&outbox.db, Uuid::now_v7(), vec![n], crate::time::now())
                    .await
                    .expect("a row");
            }
        };
        let policy = |parallel| Policy {
            parallel,
            ..Policy::from_workers(&WorkersConfig::default(), None)
        };

        // Four rows, each delivered only once all four have started: done
        // in one round, all of them.
        enqueue(4).await;
        assert_eq!(
            round(&outbox, &policy(4), &one_by_one(&waiting_for(4))).await,
            4
        );
        assert_eq!(outbox.pending().await.expect("pending"), 0);

        // One at a time, the first waits in vain for the second (its failure
        // is recorded for a later attempt), and the second then goes through.
        enqueue(2).await;
        assert_eq!(
            round(&outbox, &policy(1), &one_by_one(&waiting_for(2))).await,
            2
        );
        assert_eq!(outbox.pending().await.expect("pending"), 1);
        let _ = std::fs::remove_dir_all(dir);
    }

    #[tokio::test]
    async fn a_call_that_lost_some_of_its_rows_lets_the_rest_go() {
        let (dir, outbox) = test_outbox().await;
        for n in 0..2u8 {
            outbox
                .enqueue(&outbox.db, Uuid::now_v7(), vec![n], crate::time::now())
                .await
                .expect("a row");
        }
        let now = crate::time::now();
        let lease = chrono::Duration::seconds(10);
        let claimed = outbox.claim(now, 10, lease).await.expect("a claim");
        let ids: Vec<Uuid> = claimed.iter().map(|row| row.id).collect();
        let held = claimed[0].locked_until.expect("held");

        // Held still, both are renewed together.
        let until = held + chrono::Duration::seconds(3);
        assert_eq!(
            outbox.renew(&ids, held, until).await.expect("renewed"),
            Some(until)
        );

        // Another dispatcher takes the first (its lease ran out meanwhile):
        // the call has lost, and the second is let go at once, not left
        // locked with nobody working on it.
        outbox
            .db
            .execute_raw(Statement::from_sql_and_values(
                outbox.db.get_database_backend(),
                "UPDATE test_outbox SET locked_until = $1 WHERE id = $2",
                [(until + lease).into(), ids[0].into()],
            ))
            .await
            .expect("taken");
        let later = until + chrono::Duration::seconds(3);
        assert_eq!(
            outbox.renew(&ids, until, later).await.expect("not renewed"),
            None
        );
        let free = outbox.claim(now, 10, lease).await.expect("a claim");
        assert_eq!(free.iter().map(|row| row.id).collect::<Vec<_>>(), [ids[1]]);
        let _ = std::fs::remove_dir_all(dir);
    }

    #[tokio::test]
    async fn a_batched_round_settles_each_row_by_its_own_outcome() {
        let (dir, outbox) = test_outbox().await;
        for n in 0..5u8 {
            outbox
                .enqueue(&outbox.db, Uuid::now_v7(), vec![n], crate::time::now())
                .await
                .expect("a row");
        }
        let policy = Policy {
            per_call: 2,
            parallel: 3,
            ..Policy::from_workers(&WorkersConfig::default(), None)
        };
        // Calls of two rows at most; the row of payload 3 is refused.
        let calls = std::sync::Mutex::new(Vec::new());
        let deliver = |payloads: Vec<Vec<u8>>| {
            calls.lock().expect("calls").push(payloads.len());
            let outcomes = payloads
                .iter()
                .map(|p| {
                    if p == &[3] {
                        Err("refused".to_owned())
                    } else {
                        Ok(())
                    }
                })
                .collect();
            futures::future::ready(Ok(outcomes))
        };
        assert_eq!(round(&outbox, &policy, &deliver).await, 5);
        let mut sizes = calls.lock().expect("calls").clone();
        sizes.sort_unstable();
        assert_eq!(sizes, [1, 2, 2]);
        assert_eq!(outbox.pending().await.expect("pending"), 1);

        // A delivery that answers the wrong number of outcomes fails them
        // all (the refused row is due again after its backoff).
        outbox
            .enqueue(&outbox.db, Uuid::now_v7(), vec![9], crate::time::now())
            .await
            .expect("a row");
        let short = |_payloads: Vec<Vec<u8>>| futures::future::ready(Ok(Vec::new()));
        assert_eq!(round(&outbox, &policy, &short).await, 1);
        assert_eq!(outbox.pending().await.expect("pending"), 2);
        let later = crate::time::now() + chrono::Duration::seconds(5);
        let due = outbox
            .claim(later, 10, policy.lease)
            .await
            .expect("a claim");
        let mut payloads: Vec<Vec<u8>> = due.into_iter().map(|row| row.payload).collect();
        payloads.sort();
        assert_eq!(payloads, [vec![3], vec![9]]);
        let _ = std::fs::remove_dir_all(dir);
    }
}
