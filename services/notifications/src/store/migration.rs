//! Schema migrations of the notifications database. Append-only.

use hamafza_kit::migration::{ColumnGroups, drop_tables, index};
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

mod expiry_notices;
mod languages;
mod notifications_by_event;
mod unread_by_recipient;

hamafza_kit::migrator! {
    /// Every migration of the notifications database, in order.
    pub struct Migrator in "notifications_migrations" [
        InitialSchema,
        Reminders,
        expiry_notices::ExpiryNotices,
        languages::Languages,
        notifications_by_event::NotificationsByEvent,
        unread_by_recipient::UnreadByRecipient,
        DeliveriesByAge,
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
                    .table("notifications")
                    .col(pk_uuid("id"))
                    .col(string_len_uniq("dedupe_key", 400))
                    .col(uuid("event_id"))
                    .col(string_len("recipient_subject", 256))
                    .col(integer("kind"))
                    .bilingual("title", text)
                    .bilingual("body", text)
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
        drop_tables(manager, &["muted_kinds", "deliveries", "notifications"]).await
    }
}

hamafza_kit::migration_name! {
    /// One row per session reminded: the claim that makes one replica send it.
    struct Reminders = "m20261129_000002_reminders";
}

#[async_trait::async_trait]
impl MigrationTrait for Reminders {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("reminders")
                    .col(pk_uuid("session_id"))
                    .col(timestamp_with_time_zone("sent_at"))
                    .take(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(manager, &["reminders"]).await
    }
}

hamafza_kit::migration_name! {
    /// The index the purge of sent emails reads by: `deliveries` by state
    /// and age.
    struct DeliveriesByAge = "m20261203_000001_deliveries_by_age";
}

#[async_trait::async_trait]
impl MigrationTrait for DeliveriesByAge {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(index(
                "deliveries_by_age",
                "deliveries",
                &["state", "created_at"],
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("deliveries_by_age")
                    .table("deliveries")
                    .to_owned(),
            )
            .await
    }
}
