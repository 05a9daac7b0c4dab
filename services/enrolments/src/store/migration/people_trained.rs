//! The people trained: one row per organization and trainee with a completed
//! enrolment, with their first and last completion, kept by triggers on
//! `enrolments` and built from the existing rows.
//!
//! The benchmark counts distinct people, which the monthly rollups cannot add
//! up; counting them from the enrolment rows read every completion of the
//! period (about 600k rows at a million enrolments). From this table the
//! report reads at most one row per person: over all time every row, since a
//! date those whose last completion is on or after it, until a date those
//! whose first is before it; for a bounded period those with a first or last
//! completion inside it, and the few whose completions straddle it are
//! looked up in the rows (see `store/queries/benchmark.rs`).
//!
//! How the triggers keep it: a completion merges its time into the person's
//! row (an upsert, so concurrent completions of one person meet on that row's
//! lock and both count); a completion taken back (another status, another
//! time, another organization, a deleted row) has the person's row computed
//! again from their remaining completions.

use hamafza_kit::migration::{
    RowTrigger, create_rebuild_function, create_row_triggers, drop_rebuild_function,
    drop_row_triggers, drop_tables, execute_each,
};
use sea_orm::DatabaseBackend;
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

const COLUMNS: &str = "organization_id, trainee_subject, first_completed_at, last_completed_at";

/// Merges the completion of enrolment row `row` into its person's row.
fn merge(row: &str) -> String {
    format!(
        "INSERT INTO people_trained ({COLUMNS}) \
         SELECT {row}.trainee_organization_id, {row}.trainee_subject, \
         {row}.completed_at, {row}.completed_at \
         WHERE {row}.status = 'completed' \
         ON CONFLICT (organization_id, trainee_subject) DO UPDATE SET \
         first_completed_at = CASE WHEN people_trained.first_completed_at IS NULL \
           OR excluded.first_completed_at < people_trained.first_completed_at \
           THEN excluded.first_completed_at ELSE people_trained.first_completed_at END, \
         last_completed_at = CASE WHEN people_trained.last_completed_at IS NULL \
           OR excluded.last_completed_at > people_trained.last_completed_at \
           THEN excluded.last_completed_at ELSE people_trained.last_completed_at END;\n"
    )
}

/// Computes the row of the person of enrolment row `row` again from their
/// completed enrolments (none left: no row).
fn recompute(row: &str) -> String {
    format!(
        "DELETE FROM people_trained WHERE organization_id = {row}.trainee_organization_id \
         AND trainee_subject = {row}.trainee_subject;\n\
         INSERT INTO people_trained ({COLUMNS}) \
         SELECT e.trainee_organization_id, e.trainee_subject, \
         MIN(e.completed_at), MAX(e.completed_at) FROM enrolments e \
         WHERE e.status = 'completed' AND e.trainee_organization_id = {row}.trainee_organization_id \
         AND e.trainee_subject = {row}.trainee_subject \
         GROUP BY e.trainee_organization_id, e.trainee_subject \
         ON CONFLICT (organization_id, trainee_subject) DO UPDATE SET \
         first_completed_at = excluded.first_completed_at, \
         last_completed_at = excluded.last_completed_at;\n"
    )
}

/// When an update changes what a row says about its person's completions.
fn update_matters(backend: DatabaseBackend) -> String {
    let distinct = match backend {
        DatabaseBackend::Postgres => "IS DISTINCT FROM",
        _ => "IS NOT",
    };
    format!(
        "(OLD.status = 'completed' OR NEW.status = 'completed') AND \
         (OLD.status {distinct} NEW.status OR OLD.completed_at {distinct} NEW.completed_at \
         OR OLD.trainee_organization_id <> NEW.trainee_organization_id \
         OR OLD.trainee_subject <> NEW.trainee_subject)"
    )
}

/// The statements that build the table from the enrolments alone.
pub fn rebuild_statements() -> Vec<String> {
    vec![
        "DELETE FROM people_trained".to_owned(),
        format!(
            "INSERT INTO people_trained ({COLUMNS}) \
             SELECT trainee_organization_id, trainee_subject, MIN(completed_at), \
             MAX(completed_at) FROM enrolments WHERE status = 'completed' \
             GROUP BY trainee_organization_id, trainee_subject"
        ),
    ]
}

hamafza_kit::migration_name! {
    /// The people-trained table, its triggers, and its rows from the enrolments already there.
    pub struct PeopleTrained = "m20261130_000100_people_trained";
}

#[async_trait::async_trait]
impl MigrationTrait for PeopleTrained {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("people_trained")
                    .col(string_len("organization_id", 32))
                    .col(string_len("trainee_subject", 200))
                    .col(timestamp_with_time_zone_null("first_completed_at"))
                    .col(timestamp_with_time_zone_null("last_completed_at"))
                    .primary_key(
                        Index::create()
                            .col("organization_id")
                            .col("trainee_subject"),
                    )
                    .take(),
            )
            .await?;

        let backend = manager.get_database_backend();
        let update = format!(
            "{}{}",
            // Only when the old row was a completion is there anything to take back.
            match backend {
                DatabaseBackend::Postgres => format!(
                    "IF OLD.status = 'completed' THEN\n{}END IF;\n",
                    recompute("OLD")
                ),
                // SQLite's trigger bodies have no IF: the recompute of a
                // person without a completion taken back is the same row.
                _ => recompute("OLD"),
            },
            merge("NEW")
        );
        let trigger = |op: &'static str, when: &str, body: String| RowTrigger {
            name: format!("people_trained_{}", op.to_lowercase()),
            op,
            when: Some(when.to_owned()),
            body,
        };
        create_row_triggers(
            manager,
            "enrolments",
            &[
                trigger("INSERT", "NEW.status = 'completed'", merge("NEW")),
                trigger("UPDATE", &update_matters(backend), update),
                trigger("DELETE", "OLD.status = 'completed'", recompute("OLD")),
            ],
        )
        .await?;
        create_rebuild_function(
            manager,
            "people_trained_rebuild",
            "enrolments",
            &rebuild_statements(),
        )
        .await?;
        // And now, from the rows already there.
        execute_each(manager, &rebuild_statements()).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_row_triggers(
            manager,
            "enrolments",
            &[
                "people_trained_insert",
                "people_trained_update",
                "people_trained_delete",
            ],
        )
        .await?;
        drop_rebuild_function(manager, "people_trained_rebuild").await?;
        drop_tables(manager, &["people_trained"]).await
    }
}
