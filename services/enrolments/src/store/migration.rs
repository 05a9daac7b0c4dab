//! Schema migrations of the enrolments database. Append-only.

use hamafza_kit::migration::{
    ColumnGroups, add_column_to_each, add_columns, create_indexes, drop_column_from_each,
    drop_columns, drop_tables, index, outbox_due_index,
};
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

mod benchmark_rollups;
mod evaluations;
mod people_trained;
mod people_trained_spans;

pub use benchmark_rollups::NO_MONTH;

hamafza_kit::migrator! {
    /// Every migration of the enrolments database, in order.
    pub struct Migrator in "enrolments_migrations" [
        InitialSchema,
        BenchmarkIndex,
        NotifyOutbox,
        HostedSessions,
        evaluations::Evaluations,
        OutboxParking,
        benchmark_rollups::BenchmarkRollups,
        people_trained::PeopleTrained,
        people_trained_spans::PeopleTrainedSpans,
        hamafza_kit::retention::RequestIdsByAge,
    ]
}

hamafza_kit::migration_name! {
    struct InitialSchema = "m20261126_000001_initial_schema";
}

/// An outbox as it was first made, before rows could be parked (see
/// [`OutboxParking`]): a row per change of the enrolment `enrolment_id`.
fn outbox_before_parking(name: &'static str, enrolment_id: ColumnDef) -> TableCreateStatement {
    Table::create()
        .table(name)
        .col(pk_uuid("id"))
        .col(enrolment_id)
        .col(blob("payload"))
        .col(timestamp_with_time_zone("created_at"))
        .col(integer("attempts"))
        .col(timestamp_with_time_zone("next_attempt_at"))
        .col(timestamp_with_time_zone_null("locked_until"))
        .col(timestamp_with_time_zone_null("delivered_at"))
        .col(text("last_error"))
        .col(timestamp_with_time_zone_null("last_error_at"))
        .take()
}

#[async_trait::async_trait]
impl MigrationTrait for InitialSchema {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("session_seats")
                    .col(pk_uuid("session_id"))
                    .col(uuid("course_id"))
                    .col(integer("capacity"))
                    .col(integer("taken"))
                    .col(integer("meeting_count"))
                    .col(string_len("instructor_subject", 200))
                    .bilingual("course_title", |name| string_len(name, 200))
                    .col(integer("hours"))
                    .col(integer("passing_score"))
                    .col(integer("min_attendance_percent"))
                    .col(integer_null("certificate_validity_months"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .take(),
            )
            .await?;
        manager
            .create_index(index(
                "session_seats_by_instructor",
                "session_seats",
                &["instructor_subject"],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("quota_seats")
                    .col(uuid("session_id"))
                    .col(string_len("organization_id", 32))
                    .col(integer("quota"))
                    .col(integer("taken"))
                    .primary_key(Index::create().col("session_id").col("organization_id"))
                    .take(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("enrolments")
                    .col(pk_uuid("id"))
                    .col(uuid("session_id"))
                    .col(uuid("course_id"))
                    .person("trainee")
                    .col(string_len("status", 20))
                    .person("enrolled_by")
                    .col(timestamp_with_time_zone_null("waitlisted_at"))
                    .col(integer_null("score"))
                    .col(integer_null("attendance_percent"))
                    .col(integer_null("passing_score"))
                    .col(integer_null("min_attendance_percent"))
                    .col(integer_null("hours"))
                    .person_null("assessor")
                    .col(timestamp_with_time_zone_null("completed_at"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("status_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .take(),
            )
            .await?;
        // One enrolment per trainee and session, whatever the concurrency.
        manager
            .create_index(
                index(
                    "enrolments_one_per_trainee_and_session",
                    "enrolments",
                    &["session_id", "trainee_subject"],
                )
                .unique()
                .take(),
            )
            .await?;
        create_indexes(
            manager,
            "enrolments",
            &[
                (
                    "enrolments_waitlist",
                    &["session_id", "status", "waitlisted_at"],
                ),
                ("enrolments_by_trainee", &["trainee_subject", "course_id"]),
                (
                    "enrolments_by_organization",
                    &["trainee_organization_id", "id"],
                ),
                ("enrolments_by_created", &["created_at"]),
                ("enrolments_by_completed", &["completed_at"]),
            ],
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table("enrolment_history")
                    .col(pk_uuid("id"))
                    .col(uuid("enrolment_id"))
                    .col(string_len_null("from_status", 20))
                    .col(string_len("to_status", 20))
                    .col(string_len("cause", 24))
                    .col(text("reason"))
                    .person("actor")
                    .col(timestamp_with_time_zone("changed_at"))
                    .foreign_key(
                        ForeignKey::create()
                            .from("enrolment_history", "enrolment_id")
                            .to("enrolments", "id"),
                    )
                    .take(),
            )
            .await?;
        manager
            .create_index(index(
                "enrolment_history_by_enrolment",
                "enrolment_history",
                &["enrolment_id", "changed_at"],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("attendance")
                    .col(uuid("enrolment_id"))
                    .col(integer("meeting_index"))
                    .col(boolean("present"))
                    .person("recorder")
                    .col(timestamp_with_time_zone("recorded_at"))
                    .primary_key(Index::create().col("enrolment_id").col("meeting_index"))
                    .foreign_key(
                        ForeignKey::create()
                            .from("attendance", "enrolment_id")
                            .to("enrolments", "id"),
                    )
                    .take(),
            )
            .await?;

        hamafza_kit::idempotency::create_table(manager).await?;

        manager
            .create_table(outbox_before_parking("outbox", uuid_uniq("enrolment_id")))
            .await?;
        manager.create_index(outbox_due_index("outbox")).await?;

        manager
            .create_table(
                Table::create()
                    .table("worker_state")
                    .col(string_len("name", 64).primary_key())
                    .col(text("value"))
                    .take(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(
            manager,
            &[
                "worker_state",
                "outbox",
                "idempotency_keys",
                "attendance",
                "enrolment_history",
                "enrolments",
                "quota_seats",
                "session_seats",
            ],
        )
        .await
    }
}

hamafza_kit::migration_name! {
    /// The benchmarking report reads ended enrolments by status and organization,
    /// counting distinct trainees and summing scores and hours: this index holds
    /// all of it (in order), so PostgreSQL answers from the index alone.
    struct BenchmarkIndex = "m20261126_000002_benchmark_index";
}

#[async_trait::async_trait]
impl MigrationTrait for BenchmarkIndex {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(index(
                "enrolments_ended",
                "enrolments",
                &[
                    "status",
                    "trainee_organization_id",
                    "trainee_subject",
                    "completed_at",
                    "score",
                    "hours",
                ],
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("enrolments_ended")
                    .table("enrolments")
                    .to_owned(),
            )
            .await
    }
}

hamafza_kit::migration_name! {
    /// The second outbox: status changes to publish to notifications.
    struct NotifyOutbox = "m20261129_000001_notify_outbox";
}

#[async_trait::async_trait]
impl MigrationTrait for NotifyOutbox {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(outbox_before_parking("notify_outbox", uuid("enrolment_id")))
            .await?;
        manager
            .create_index(outbox_due_index("notify_outbox"))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(manager, &["notify_outbox"]).await
    }
}

hamafza_kit::migration_name! {
    /// The member company hosting a session, copied from courses with the rest
    /// of its facts (for the benchmark's hosting measures).
    struct HostedSessions = "m20261129_000002_hosted_sessions";
}

#[async_trait::async_trait]
impl MigrationTrait for HostedSessions {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        add_columns(
            manager,
            "session_seats",
            [string_len_null("host_organization_id", 32)],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_columns(manager, "session_seats", &["host_organization_id"]).await
    }
}

hamafza_kit::migration_name! {
    /// Both outboxes take the kit's leased-outbox shape: a row can be parked.
    struct OutboxParking = "m20261129_000002_outbox_parking";
}

#[async_trait::async_trait]
impl MigrationTrait for OutboxParking {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        add_column_to_each(
            manager,
            &["outbox", "notify_outbox"],
            timestamp_with_time_zone_null("parked_at"),
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_column_from_each(manager, &["outbox", "notify_outbox"], "parked_at").await
    }
}
