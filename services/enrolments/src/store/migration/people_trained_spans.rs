//! The people trained counted by span: per organization, the number of people
//! whose first completion fell in one calendar month (UTC) and whose last in
//! another, kept by triggers on `people_trained` and built from its rows.
//!
//! Why: the report over all time, or since or until the start of a month,
//! counted the people-trained rows themselves (one per person: 100k rows at
//! a million enrolments), the one read of the report that still grew with
//! history. From the spans it reads at most organizations × months² rows:
//! - all time: every span;
//! - since month F: the spans whose last month is F or later;
//! - until month U: those whose first month is before U;
//! - whole months [F, U): those whose first month is inside, and those whose
//!   first is before F and whose last is inside; the people whose
//!   completions straddle the period (first before it, last after it) are
//!   looked up one by one, as before (see `store/queries/benchmark.rs`).
//!
//! Like the monthly rollups, a trigger only appends a delta (the span a
//! person left, the span they joined), so concurrent completions share no
//! counter row; the report folds the deltas and reads both in one statement.

use hamafza_kit::migration::{
    RowTrigger, create_rebuild_function, create_row_triggers, drop_rebuild_function,
    drop_row_triggers, drop_tables, execute_each,
};
use sea_orm::DatabaseBackend;
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use super::benchmark_rollups::month_or_none;
use super::people_trained;

const COLUMNS: &str = "organization_id, first_month, last_month, people";

/// The delta that adds (`sign` 1) or takes back (`sign` -1) the person of
/// people-trained row `row` (`NEW` or `OLD`) to or from their span.
fn delta_of(backend: DatabaseBackend, row: &str, sign: i32) -> String {
    format!(
        "INSERT INTO people_trained_span_deltas ({COLUMNS}) VALUES ({row}.organization_id, {}, {}, {sign});\n",
        month_or_none(backend, &format!("{row}.first_completed_at")),
        month_or_none(backend, &format!("{row}.last_completed_at")),
    )
}

/// When an update moves a person to another span.
fn update_matters(backend: DatabaseBackend) -> String {
    let month = |row: &str, column: &str| month_or_none(backend, &format!("{row}.{column}"));
    format!(
        "OLD.organization_id <> NEW.organization_id OR {} <> {} OR {} <> {}",
        month("OLD", "first_completed_at"),
        month("NEW", "first_completed_at"),
        month("OLD", "last_completed_at"),
        month("NEW", "last_completed_at"),
    )
}

/// The statements that build the spans from the people-trained rows.
pub fn rebuild_statements(backend: DatabaseBackend) -> Vec<String> {
    vec![
        "DELETE FROM people_trained_span_deltas".to_owned(),
        "DELETE FROM people_trained_spans".to_owned(),
        format!(
            "INSERT INTO people_trained_spans ({COLUMNS}) \
             SELECT organization_id, first_month, last_month, COUNT(*) FROM ( \
               SELECT p.organization_id AS organization_id, {} AS first_month, \
               {} AS last_month FROM people_trained p \
             ) AS spanned GROUP BY organization_id, first_month, last_month",
            month_or_none(backend, "p.first_completed_at"),
            month_or_none(backend, "p.last_completed_at"),
        ),
    ]
}

/// What `people_trained_rebuild()` runs: the people trained from the
/// enrolments, then their spans (the deltas its statements append are
/// dropped by the spans' own rebuild).
fn rebuild_all(backend: DatabaseBackend) -> Vec<String> {
    let mut statements = people_trained::rebuild_statements();
    statements.extend(rebuild_statements(backend));
    statements
}

/// Makes `people_trained_rebuild()` (PostgreSQL) run `statements`.
async fn replace_rebuild_function(
    manager: &SchemaManager<'_>,
    statements: &[String],
) -> Result<(), DbErr> {
    drop_rebuild_function(manager, "people_trained_rebuild").await?;
    create_rebuild_function(manager, "people_trained_rebuild", "enrolments", statements).await
}

hamafza_kit::migration_name! {
    /// The spans of the people trained, their triggers, and their rows from the people already there.
    pub struct PeopleTrainedSpans = "m20261130_000200_people_trained_spans";
}

#[async_trait::async_trait]
impl MigrationTrait for PeopleTrainedSpans {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let span = |table: &mut TableCreateStatement| {
            table
                .col(string_len("organization_id", 32))
                .col(integer("first_month"))
                .col(integer("last_month"))
                .col(big_integer("people"));
        };
        let mut spans = Table::create().table("people_trained_spans").take();
        span(&mut spans);
        spans.primary_key(
            Index::create()
                .col("organization_id")
                .col("first_month")
                .col("last_month"),
        );
        manager.create_table(spans).await?;
        let mut deltas = Table::create().table("people_trained_span_deltas").take();
        deltas.col(big_integer("id").auto_increment().primary_key());
        span(&mut deltas);
        manager.create_table(deltas).await?;

        let backend = manager.get_database_backend();
        let trigger = |op: &'static str, when: Option<String>, body: String| RowTrigger {
            name: format!("people_trained_span_{}", op.to_lowercase()),
            op,
            when,
            body,
        };
        create_row_triggers(
            manager,
            "people_trained",
            &[
                trigger("INSERT", None, delta_of(backend, "NEW", 1)),
                trigger(
                    "UPDATE",
                    Some(update_matters(backend)),
                    format!(
                        "{}{}",
                        delta_of(backend, "OLD", -1),
                        delta_of(backend, "NEW", 1)
                    ),
                ),
                trigger("DELETE", None, delta_of(backend, "OLD", -1)),
            ],
        )
        .await?;
        // The bulk loads' rebuild now makes the spans too.
        replace_rebuild_function(manager, &rebuild_all(backend)).await?;
        // And now, from the people already there.
        execute_each(manager, &rebuild_statements(backend)).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_row_triggers(
            manager,
            "people_trained",
            &[
                "people_trained_span_insert",
                "people_trained_span_update",
                "people_trained_span_delete",
            ],
        )
        .await?;
        replace_rebuild_function(manager, &people_trained::rebuild_statements()).await?;
        drop_tables(
            manager,
            &["people_trained_span_deltas", "people_trained_spans"],
        )
        .await
    }
}
