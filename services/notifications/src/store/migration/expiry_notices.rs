//! One row per certificate and threshold (60 or 14 days) warned of: the
//! claim that makes exactly one replica send a certificate's expiry notice.

use hamafza_kit::migration::drop_tables;
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

hamafza_kit::migration_name! {
    pub(super) struct ExpiryNotices = "m20261129_000003_expiry_notices";
}

#[async_trait::async_trait]
impl MigrationTrait for ExpiryNotices {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("expiry_notices")
                    .col(uuid("certificate_id"))
                    .col(integer("threshold_days"))
                    .col(timestamp_with_time_zone("sent_at"))
                    .primary_key(Index::create().col("certificate_id").col("threshold_days"))
                    .take(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(manager, &["expiry_notices"]).await
    }
}
