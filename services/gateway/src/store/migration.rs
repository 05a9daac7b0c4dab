//! Schema migrations of the gateway's database. Append-only.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

/// Every migration of the gateway's database, in order.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![Box::new(WebSessions), Box::new(CalendarFeeds)]
    }

    fn migration_table_name() -> sea_orm::DynIden {
        "gateway_migrations".into()
    }
}

struct WebSessions;

impl MigrationName for WebSessions {
    fn name(&self) -> &str {
        "m20261129_000001_web_sessions"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for WebSessions {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("web_sessions")
                    // The SHA-256 of the session id, hex: the browser's cookie
                    // alone opens the session, a copy of this table does not.
                    .col(string_len("id_digest", 64).primary_key())
                    .col(text("data"))
                    .col(timestamp_with_time_zone("expires_at"))
                    .take(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("web_sessions_by_expiry")
                    .table("web_sessions")
                    .col("expires_at")
                    .take(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("web_sessions").take())
            .await
    }
}

struct CalendarFeeds;

impl MigrationName for CalendarFeeds {
    fn name(&self) -> &str {
        "m20261129_000002_calendar_feeds"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for CalendarFeeds {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("calendar_feeds")
                    // One secret address per person (the token's `sub`).
                    .col(string_len("subject", 200).primary_key())
                    .col(string_len_uniq("token", 64))
                    // The calendar's name in the app: the person's name.
                    .col(string_len("name", 200))
                    .col(timestamp_with_time_zone("created_at"))
                    .take(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("calendar_feeds").take())
            .await
    }
}
