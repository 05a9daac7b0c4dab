//! The index that lets the unread count read only what is unread.

use hamafza_kit::migration::index;
use sea_orm_migration::prelude::*;

hamafza_kit::migration_name! {
    /// A person's notifications by whether they are read: every signed-in
    /// page counts the unread ones, which with only `(recipient, created)`
    /// read every notification the person ever had (a manager gets one per
    /// change of each trainee they enrolled).
    pub(super) struct UnreadByRecipient = "m20261202_000001_unread_by_recipient";
}

#[async_trait::async_trait]
impl MigrationTrait for UnreadByRecipient {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(index(
                "notifications_unread_by_recipient",
                "notifications",
                &["recipient_subject", "read_at"],
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("notifications_unread_by_recipient")
                    .table("notifications")
                    .to_owned(),
            )
            .await
    }
}
