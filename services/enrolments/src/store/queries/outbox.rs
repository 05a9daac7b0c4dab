//! The certificate outbox (claimed, renewed and marked by the kit's leased
//! outbox) and how delivery stands.

use chrono::{DateTime, Utc};
use hamafza_kit::outbox::Outbox;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder};

use super::{Result, Store};
use crate::store::entities::outbox;

/// The state of outbox delivery, for operators.
#[derive(Debug, Clone, Default)]
pub struct DeliveryStatus {
    /// Completions not yet delivered.
    pub pending: u64,
    /// The oldest of them.
    pub oldest_pending: Option<outbox::Model>,
    /// Completions delivered.
    pub delivered: u64,
    /// When the last delivery succeeded.
    pub last_delivery: Option<DateTime<Utc>>,
    /// The most recent failure.
    pub last_error: Option<(String, DateTime<Utc>)>,
}

impl Store {
    /// The certificate outbox, delivered by the kit's leased outbox.
    pub fn outbox(&self) -> Outbox {
        Outbox::new(self.db.clone(), "outbox")
    }

    /// How delivery stands.
    pub async fn delivery_status(&self) -> Result<DeliveryStatus> {
        let pending = outbox::Entity::find().filter(outbox::Column::DeliveredAt.is_null());
        let pending_count = pending.clone().count(&self.db).await?;
        let oldest_pending = pending
            .order_by_asc(outbox::Column::CreatedAt)
            .one(&self.db)
            .await?;
        let delivered = outbox::Entity::find().filter(outbox::Column::DeliveredAt.is_not_null());
        let delivered_count = delivered.clone().count(&self.db).await?;
        let last_delivery = delivered
            .order_by_desc(outbox::Column::DeliveredAt)
            .one(&self.db)
            .await?
            .and_then(|row| row.delivered_at);
        let last_error = outbox::Entity::find()
            .filter(outbox::Column::LastErrorAt.is_not_null())
            .order_by_desc(outbox::Column::LastErrorAt)
            .one(&self.db)
            .await?
            .and_then(|row| row.last_error_at.map(|at| (row.last_error, at)));
        Ok(DeliveryStatus {
            pending: pending_count,
            oldest_pending,
            delivered: delivered_count,
            last_delivery,
            last_error,
        })
    }
}
