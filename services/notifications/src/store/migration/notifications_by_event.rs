//! The index that lets Publish count an event's notifications without
//! reading every notification.

use hamafza_kit::migration::index;
use sea_orm_migration::prelude::*;

hamafza_kit::migration_name! {
    /// Notifications by their event: each Publish counts the event's
    /// notifications (its answer), which without this read the whole table,
    /// a cost that grew with every notification ever made.
    pub(super) struct NotificationsByEvent = "m20261130_000005_notifications_by_event";
}

#[async_trait::async_trait]
impl MigrationTrait for NotificationsByEvent {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(index(
                "notifications_by_event",
                "notifications",
                &["event_id"],
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("notifications_by_event")
                    .table("notifications")
                    .to_owned(),
            )
            .await
    }
}
