//! The benchmark's rollups: per organization, course and calendar month (UTC),
//! the enrolments made and the ended ones' counts, scores and hours, kept up
//! to date by triggers on `enrolments` and built from the existing rows.
//!
//! Why triggers: every path that writes an enrolment (the Enrol hot path, the
//! lifecycle changes, bulk imports, the benchmark's SQL seeding) is counted in
//! its own write transaction without a call in each of them, so the rollups
//! cannot drift from the rows. Why deltas: a trigger only appends a row to
//! `benchmark_deltas` (no row shared by concurrent enrolments is updated, so
//! the rollups add no lock to the Enrol path); the report folds the deltas
//! into `benchmark_rollups` and reads both in one statement.

use hamafza_kit::migration::{
    RowTrigger, create_rebuild_function, create_row_triggers, drop_rebuild_function,
    drop_row_triggers, drop_tables, execute_each,
};
use sea_orm::DatabaseBackend;
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

/// The month bucket of an ended enrolment without a completion time: counted
/// over all time only, as the report over the rows does.
pub const NO_MONTH: i32 = i32::MIN;

/// The statuses of an ended enrolment.
const ENDED: &str = "('completed', 'failed', 'no_show')";

/// `year * 12 + month - 1` of a timestamp, in UTC.
fn month_of(backend: DatabaseBackend, timestamp: &str) -> String {
    match backend {
        DatabaseBackend::Postgres => format!(
            "(EXTRACT(YEAR FROM {timestamp} AT TIME ZONE 'UTC')::integer * 12 \
             + EXTRACT(MONTH FROM {timestamp} AT TIME ZONE 'UTC')::integer - 1)"
        ),
        // strftime reads the stored offset and answers in UTC.
        _ => format!(
            "(CAST(strftime('%Y', {timestamp}) AS INTEGER) * 12 \
             + CAST(strftime('%m', {timestamp}) AS INTEGER) - 1)"
        ),
    }
}

/// The month of a nullable timestamp, [`NO_MONTH`] when it is null.
pub(super) fn month_or_none(backend: DatabaseBackend, timestamp: &str) -> String {
    format!(
        "CASE WHEN {timestamp} IS NULL THEN {NO_MONTH} ELSE {} END",
        month_of(backend, timestamp)
    )
}

/// The month an enrolment row `row` ended in (see [`NO_MONTH`]).
fn ended_month(backend: DatabaseBackend, row: &str) -> String {
    month_or_none(backend, &format!("{row}.completed_at"))
}

const COLUMNS: &str =
    "organization_id, course_id, month, created, ended, completed, score_sum, scored, hours";

/// The deltas that add (`sign` 1) or take back (`sign` -1) what enrolment
/// row `row` (`NEW` or `OLD`) counts; `created_when` limits the row's
/// "enrolment made" delta (an update counts it again only when it moves).
fn deltas_of(backend: DatabaseBackend, row: &str, sign: i32, created_when: &str) -> String {
    let month = month_of(backend, &format!("{row}.created_at"));
    let ended = ended_month(backend, row);
    format!(
        "INSERT INTO benchmark_deltas ({COLUMNS}) \
         SELECT {row}.trainee_organization_id, {row}.course_id, {month}, {sign}, 0, 0, 0, 0, 0 \
         WHERE {created_when};\n\
         INSERT INTO benchmark_deltas ({COLUMNS}) \
         SELECT {row}.trainee_organization_id, {row}.course_id, {ended}, 0, {sign}, \
         {sign} * CASE WHEN {row}.status = 'completed' THEN 1 ELSE 0 END, \
         {sign} * COALESCE({row}.score, 0), \
         {sign} * CASE WHEN {row}.score IS NULL THEN 0 ELSE 1 END, \
         {sign} * CASE WHEN {row}.status = 'completed' THEN COALESCE({row}.hours, 0) ELSE 0 END \
         WHERE {row}.status IN {ENDED};\n"
    )
}

/// When an update changes what a row counts.
fn update_matters(backend: DatabaseBackend) -> String {
    let distinct = match backend {
        DatabaseBackend::Postgres => "IS DISTINCT FROM",
        _ => "IS NOT",
    };
    let moved = moved();
    format!(
        "(OLD.status IN {ENDED} OR NEW.status IN {ENDED} OR {moved}) AND \
         (OLD.status {distinct} NEW.status OR OLD.completed_at {distinct} NEW.completed_at \
         OR OLD.score {distinct} NEW.score OR OLD.hours {distinct} NEW.hours OR {moved})"
    )
}

/// When an update moves a row to another organization, course or month made.
fn moved() -> &'static str {
    "(OLD.trainee_organization_id <> NEW.trainee_organization_id \
     OR OLD.course_id <> NEW.course_id OR OLD.created_at <> NEW.created_at)"
}

/// The statements that build the rollups from the enrolments alone.
pub fn rebuild_statements(backend: DatabaseBackend) -> Vec<String> {
    let month = month_of(backend, "e.created_at");
    let ended = ended_month(backend, "e");
    vec![
        "DELETE FROM benchmark_deltas".to_owned(),
        "DELETE FROM benchmark_rollups".to_owned(),
        format!(
            "INSERT INTO benchmark_rollups ({COLUMNS}) \
             SELECT organization_id, course_id, month, SUM(created), SUM(ended), SUM(completed), \
             SUM(score_sum), SUM(scored), SUM(hours) FROM ( \
               SELECT e.trainee_organization_id AS organization_id, e.course_id AS course_id, \
               {month} AS month, 1 AS created, 0 AS ended, 0 AS completed, 0 AS score_sum, \
               0 AS scored, 0 AS hours FROM enrolments e \
               UNION ALL \
               SELECT e.trainee_organization_id, e.course_id, {ended}, 0, 1, \
               CASE WHEN e.status = 'completed' THEN 1 ELSE 0 END, COALESCE(e.score, 0), \
               CASE WHEN e.score IS NULL THEN 0 ELSE 1 END, \
               CASE WHEN e.status = 'completed' THEN COALESCE(e.hours, 0) ELSE 0 END \
               FROM enrolments e WHERE e.status IN {ENDED} \
             ) AS counted GROUP BY organization_id, course_id, month"
        ),
    ]
}

hamafza_kit::migration_name! {
    /// The rollup tables, their triggers, and the rollups of the rows already there.
    pub struct BenchmarkRollups = "m20261129_000200_benchmark_rollups";
}

#[async_trait::async_trait]
impl MigrationTrait for BenchmarkRollups {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let counts = |table: &mut TableCreateStatement| {
            table
                .col(string_len("organization_id", 32))
                .col(uuid("course_id"))
                .col(integer("month"))
                .col(big_integer("created"))
                .col(big_integer("ended"))
                .col(big_integer("completed"))
                .col(big_integer("score_sum"))
                .col(big_integer("scored"))
                .col(big_integer("hours"));
        };
        let mut rollups = Table::create().table("benchmark_rollups").take();
        counts(&mut rollups);
        rollups.primary_key(
            Index::create()
                .col("organization_id")
                .col("course_id")
                .col("month"),
        );
        manager.create_table(rollups).await?;
        let mut deltas = Table::create().table("benchmark_deltas").take();
        deltas.col(big_integer("id").auto_increment().primary_key());
        counts(&mut deltas);
        manager.create_table(deltas).await?;

        let backend = manager.get_database_backend();
        let update = format!(
            "{}{}",
            deltas_of(backend, "OLD", -1, moved()),
            deltas_of(backend, "NEW", 1, moved())
        );
        let trigger = |op: &'static str, when: Option<String>, body: String| RowTrigger {
            name: format!("benchmark_count_{}", op.to_lowercase()),
            op,
            when,
            body,
        };
        create_row_triggers(
            manager,
            "enrolments",
            &[
                trigger("INSERT", None, deltas_of(backend, "NEW", 1, "TRUE")),
                trigger("UPDATE", Some(update_matters(backend)), update),
                trigger("DELETE", None, deltas_of(backend, "OLD", -1, "TRUE")),
            ],
        )
        .await?;
        // It holds writers of enrolments off while it runs: a row committed
        // between its statements would be counted twice (its delta kept, and
        // the row itself).
        create_rebuild_function(
            manager,
            "benchmark_rollups_rebuild",
            "enrolments",
            &rebuild_statements(backend),
        )
        .await?;
        // And now, from the rows already there.
        execute_each(manager, &rebuild_statements(backend)).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_row_triggers(
            manager,
            "enrolments",
            &[
                "benchmark_count_insert",
                "benchmark_count_update",
                "benchmark_count_delete",
            ],
        )
        .await?;
        drop_rebuild_function(manager, "benchmark_rollups_rebuild").await?;
        drop_tables(manager, &["benchmark_deltas", "benchmark_rollups"]).await
    }
}
