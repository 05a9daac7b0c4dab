//! The migration of company-hosted sessions.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use super::{fk, fk_cascade};
use hamafza_kit::migration::{add_columns, drop_columns, drop_tables, index};

hamafza_kit::migration_name! {
    /// Company-hosted sessions: the host on the session, the proposal and its
    /// decision in `session_hostings`.
    pub(super) struct HostedSessions = "m20261129_000006_hosted_sessions";
}

#[async_trait::async_trait]
impl MigrationTrait for HostedSessions {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        add_columns(
            manager,
            "sessions",
            [string_len_null("host_organization_id", 32)],
        )
        .await?;
        manager
            .create_table(
                Table::create()
                    .table("session_hostings")
                    .col(uuid("session_id").primary_key())
                    .col(string_len("host_organization_id", 32))
                    .col(string_len("state", 16))
                    .col(string_len("proposed_by_subject", 256))
                    .col(string_len("proposed_by_name", 200))
                    .col(timestamp_with_time_zone("proposed_at"))
                    .col(string_len_null("decided_by_subject", 256))
                    .col(string_len_null("decided_by_name", 200))
                    .col(timestamp_with_time_zone_null("decided_at"))
                    .col(text("decline_reason"))
                    .foreign_key(&mut fk_cascade(
                        ("session_hostings", "session_id"),
                        ("sessions", "id"),
                    ))
                    .foreign_key(&mut fk(
                        ("session_hostings", "host_organization_id"),
                        ("organizations", "id"),
                    ))
                    .take(),
            )
            .await?;
        manager
            .create_index(index(
                "session_hostings_by_host",
                "session_hostings",
                &["host_organization_id", "proposed_at"],
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(manager, &["session_hostings"]).await?;
        drop_columns(manager, "sessions", &["host_organization_id"]).await
    }
}
