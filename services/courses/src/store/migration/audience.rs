//! The migration of who a course is for.

use hamafza_kit::migration::{add_columns, drop_columns};
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

hamafza_kit::migration_name! {
    /// Who a course is for, in both languages (empty when it does not say).
    pub(super) struct CourseAudience = "m20261129_000009_course_audience";
}

/// The audience's columns, Persian then English.
const AUDIENCE: [&str; 2] = ["audience_fa", "audience_en"];

#[async_trait::async_trait]
impl MigrationTrait for CourseAudience {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        add_columns(
            manager,
            "courses",
            AUDIENCE.map(|column| text(column).default("").take()),
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_columns(manager, "courses", &AUDIENCE).await
    }
}
