//! The migration that lets a create call be repeated safely.

use sea_orm_migration::prelude::*;

hamafza_kit::migration_name! {
    /// Client request ids of the calls that create sessions and events
    /// (`hamafza_kit::idempotency`): a repeated call creates nothing more.
    pub(super) struct RequestKeys = "m20261202_000002_request_keys";
}

#[async_trait::async_trait]
impl MigrationTrait for RequestKeys {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        hamafza_kit::idempotency::create_table(manager).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("idempotency_keys").to_owned())
            .await
    }
}
