//! Schema migrations of the enrolments database. Append-only.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

/// Every migration of the enrolments database, in order.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(InitialSchema),
            Box::new(BenchmarkIndex),
            Box::new(NotifyOutbox),
        ]
    }

    fn migration_table_name() -> sea_orm::DynIden {
        "enrolments_migrations".into()
    }
}

struct InitialSchema;

impl MigrationName for InitialSchema {
    fn name(&self) -> &str {
        "m20261126_000001_initial_schema"
    }
}

fn index(name: &'static str, table: &'static str, cols: &[&'static str]) -> IndexCreateStatement {
    let mut index = Index::create().name(name).table(table).take();
    for col in cols {
        index.col(*col);
    }
    index
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
                    .col(string_len("course_title_fa", 200))
                    .col(string_len("course_title_en", 200))
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
                    .col(string_len("trainee_subject", 200))
                    .col(string_len("trainee_name", 200))
                    .col(string_len("trainee_organization_id", 32))
                    .col(string_len("status", 20))
                    .col(string_len("enrolled_by_subject", 200))
                    .col(string_len("enrolled_by_name", 200))
                    .col(string_len("enrolled_by_organization_id", 32))
                    .col(timestamp_with_time_zone_null("waitlisted_at"))
                    .col(integer_null("score"))
                    .col(integer_null("attendance_percent"))
                    .col(integer_null("passing_score"))
                    .col(integer_null("min_attendance_percent"))
                    .col(integer_null("hours"))
                    .col(string_len_null("assessor_subject", 200))
                    .col(string_len_null("assessor_name", 200))
                    .col(string_len_null("assessor_organization_id", 32))
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
        manager
            .create_index(index(
                "enrolments_waitlist",
                "enrolments",
                &["session_id", "status", "waitlisted_at"],
            ))
            .await?;
        manager
            .create_index(index(
                "enrolments_by_trainee",
                "enrolments",
                &["trainee_subject", "course_id"],
            ))
            .await?;
        manager
            .create_index(index(
                "enrolments_by_organization",
                "enrolments",
                &["trainee_organization_id", "id"],
            ))
            .await?;
        manager
            .create_index(index(
                "enrolments_by_created",
                "enrolments",
                &["created_at"],
            ))
            .await?;
        manager
            .create_index(index(
                "enrolments_by_completed",
                "enrolments",
                &["completed_at"],
            ))
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
                    .col(string_len("actor_subject", 200))
                    .col(string_len("actor_name", 200))
                    .col(string_len("actor_organization_id", 32))
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
                    .col(string_len("recorder_subject", 200))
                    .col(string_len("recorder_name", 200))
                    .col(string_len("recorder_organization_id", 32))
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
            .create_table(
                Table::create()
                    .table("outbox")
                    .col(pk_uuid("id"))
                    .col(uuid_uniq("enrolment_id"))
                    .col(blob("payload"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(integer("attempts"))
                    .col(timestamp_with_time_zone("next_attempt_at"))
                    .col(timestamp_with_time_zone_null("locked_until"))
                    .col(timestamp_with_time_zone_null("delivered_at"))
                    .col(text("last_error"))
                    .col(timestamp_with_time_zone_null("last_error_at"))
                    .take(),
            )
            .await?;
        manager
            .create_index(index(
                "outbox_due",
                "outbox",
                &["delivered_at", "next_attempt_at"],
            ))
            .await?;

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
        for table in [
            "worker_state",
            "outbox",
            "idempotency_keys",
            "attendance",
            "enrolment_history",
            "enrolments",
            "quota_seats",
            "session_seats",
        ] {
            manager
                .drop_table(Table::drop().table(table).take())
                .await?;
        }
        Ok(())
    }
}

/// The benchmarking report reads ended enrolments by status and organization,
/// counting distinct trainees and summing scores and hours: this index holds
/// all of it (in order), so PostgreSQL answers from the index alone.
struct BenchmarkIndex;

impl MigrationName for BenchmarkIndex {
    fn name(&self) -> &str {
        "m20261126_000002_benchmark_index"
    }
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

/// The second outbox: status changes to publish to notifications.
struct NotifyOutbox;

impl MigrationName for NotifyOutbox {
    fn name(&self) -> &str {
        "m20261129_000001_notify_outbox"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for NotifyOutbox {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("notify_outbox")
                    .col(pk_uuid("id"))
                    .col(uuid("enrolment_id"))
                    .col(blob("payload"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(integer("attempts"))
                    .col(timestamp_with_time_zone("next_attempt_at"))
                    .col(timestamp_with_time_zone_null("locked_until"))
                    .col(timestamp_with_time_zone_null("delivered_at"))
                    .col(text("last_error"))
                    .col(timestamp_with_time_zone_null("last_error_at"))
                    .take(),
            )
            .await?;
        manager
            .create_index(index(
                "notify_outbox_due",
                "notify_outbox",
                &["delivered_at", "next_attempt_at"],
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("notify_outbox").take())
            .await
    }
}
