//! Schema migrations of the notifications database. Append-only.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

/// Every migration of the notifications database, in order.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![Box::new(InitialSchema)]
    }

    fn migration_table_name() -> sea_orm::DynIden {
        "notifications_migrations".into()
    }
}

struct InitialSchema;

impl MigrationName for InitialSchema {
    fn name(&self) -> &str {
        "m20261129_000001_initial_schema"
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
                    .table("notifications")
                    .col(pk_uuid("id"))
                    .col(string_len_uniq("dedupe_key", 400))
                    .col(uuid("event_id"))
                    .col(string_len("recipient_subject", 256))
                    .col(integer("kind"))
                    .col(text("title_fa"))
                    .col(text("title_en"))
                    .col(text("body_fa"))
                    .col(text("body_en"))
                    .col(text("link"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone_null("read_at"))
                    .take(),
            )
            .await?;
        manager
            .create_index(index(
                "notifications_inbox",
                "notifications",
                &["recipient_subject", "created_at"],
            ))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("deliveries")
                    .col(pk_uuid("notification_id"))
                    .col(string_len("recipient_subject", 256))
                    .col(string_len("to_address", 320))
                    .col(text("subject_line"))
                    .col(blob("message"))
                    .col(text("html"))
                    .col(string_len("state", 16))
                    .col(integer("kind"))
                    .col(integer("attempts"))
                    .col(timestamp_with_time_zone("next_attempt_at"))
                    .col(timestamp_with_time_zone_null("locked_until"))
                    .col(text("last_error"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone_null("sent_at"))
                    .take(),
            )
            .await?;
        manager
            .create_index(index(
                "deliveries_due",
                "deliveries",
                &["state", "next_attempt_at"],
            ))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("muted_kinds")
                    .col(string_len("subject", 256))
                    .col(integer("kind"))
                    .primary_key(Index::create().col("subject").col("kind"))
                    .take(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in ["muted_kinds", "deliveries", "notifications"] {
            manager
                .drop_table(Table::drop().table(table).take())
                .await?;
        }
        Ok(())
    }
}
