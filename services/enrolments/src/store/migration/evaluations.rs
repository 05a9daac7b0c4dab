//! The course evaluations table.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use hamafza_kit::migration::{create_indexes, drop_tables};

hamafza_kit::migration_name! {
    /// Course evaluations: one row per evaluated enrolment. The enrolment id is
    /// kept only to allow one evaluation per enrolment and its edits (see
    /// docs/architecture.md); no trainee subject or name is stored here. The
    /// session, course, instructor, organization and end of the enrolment are
    /// copied at the first submission so that results are aggregated without
    /// reading the enrolments.
    pub struct Evaluations = "m20261129_000100_evaluations";
}

#[async_trait::async_trait]
impl MigrationTrait for Evaluations {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("evaluations")
                    .col(pk_uuid("enrolment_id"))
                    .col(uuid("session_id"))
                    .col(uuid("course_id"))
                    .col(string_len("instructor_subject", 200))
                    .col(string_len("organization_id", 32))
                    .col(timestamp_with_time_zone("ended_at"))
                    .col(small_integer("content"))
                    .col(small_integer("instructor"))
                    .col(small_integer("relevance"))
                    .col(small_integer("organization"))
                    .col(small_integer("overall"))
                    .col(text("comment"))
                    .col(timestamp_with_time_zone("submitted_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .foreign_key(
                        ForeignKey::create()
                            .from("evaluations", "enrolment_id")
                            .to("enrolments", "id"),
                    )
                    .take(),
            )
            .await?;
        create_indexes(
            manager,
            "evaluations",
            &[
                ("evaluations_by_session", &["session_id"]),
                ("evaluations_by_course", &["course_id", "ended_at"]),
                (
                    "evaluations_by_instructor",
                    &["instructor_subject", "ended_at"],
                ),
                (
                    "evaluations_by_organization",
                    &["ended_at", "organization_id"],
                ),
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(manager, &["evaluations"]).await
    }
}
