//! Schema migrations of the library database. Append-only.

use hamafza_kit::migration::{ColumnGroups, create_indexes, drop_tables, index};
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

hamafza_kit::migrator! {
    /// Every migration of the library database, in order.
    pub struct Migrator in "library_migrations" [
        InitialSchema,
        RequestKeys,
        hamafza_kit::retention::RequestIdsByAge,
    ]
}

hamafza_kit::migration_name! {
    struct InitialSchema = "m20261129_000001_initial_schema";
}

#[async_trait::async_trait]
impl MigrationTrait for InitialSchema {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("items")
                    .col(pk_uuid("id"))
                    .col(integer("kind"))
                    .bilingual("title", text)
                    .bilingual("summary", text)
                    .col(string_len("tags", 64))
                    .col(string_len("organization_id", 64))
                    .col(string_len("author_subject", 256))
                    .col(text("author_name"))
                    .col(uuid_null("course_id"))
                    .col(uuid_null("event_id"))
                    .col(string_len("state", 16))
                    .col(text("return_reason"))
                    .col(text("search_key"))
                    .audit_times()
                    .col(timestamp_with_time_zone_null("approved_at"))
                    .col(string_len("reviewed_by", 256))
                    .take(),
            )
            .await?;
        create_indexes(
            manager,
            "items",
            &[
                ("items_by_state", &["state", "created_at"]),
                ("items_by_company", &["organization_id", "created_at"]),
            ],
        )
        .await?;
        manager
            .create_table(
                Table::create()
                    .table("item_files")
                    .col(pk_uuid("id"))
                    .col(uuid("item_id"))
                    .col(text("name"))
                    .col(string_len("content_type", 128))
                    .col(big_integer("size_bytes"))
                    .col(string_len("sha256", 64))
                    .col(timestamp_with_time_zone("created_at"))
                    .take(),
            )
            .await?;
        manager
            .create_index(index("item_files_by_item", "item_files", &["item_id"]))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("downloads")
                    .col(pk_uuid("id"))
                    .col(uuid("file_id"))
                    .col(uuid("item_id"))
                    .col(string_len("organization_id", 64))
                    .col(string_len("subject", 256))
                    .col(timestamp_with_time_zone("created_at"))
                    .take(),
            )
            .await?;
        create_indexes(
            manager,
            "downloads",
            &[
                ("downloads_by_file", &["file_id"]),
                ("downloads_by_company", &["organization_id"]),
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(manager, &["downloads", "item_files", "items"]).await
    }
}

hamafza_kit::migration_name! {
    /// Client request ids of `CreateItem` (`hamafza_kit::idempotency`): a
    /// repeated call creates nothing more.
    struct RequestKeys = "m20261202_000001_request_keys";
}

#[async_trait::async_trait]
impl MigrationTrait for RequestKeys {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        hamafza_kit::idempotency::create_table(manager).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(manager, &["idempotency_keys"]).await
    }
}
