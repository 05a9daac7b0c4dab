//! Each person's language ("fa" or "en"), chosen in the web app: their
//! emails are written in it first and their inbox shows it by default.

use hamafza_kit::migration::drop_tables;
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

hamafza_kit::migration_name! {
    pub(super) struct Languages = "m20261129_000004_languages";
}

#[async_trait::async_trait]
impl MigrationTrait for Languages {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("languages")
                    .col(string_len("subject", 256).primary_key())
                    .col(string_len("language", 8))
                    .col(timestamp_with_time_zone("updated_at"))
                    .take(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(manager, &["languages"]).await
    }
}
