//! The certificate outbox: claiming due deliveries under a lease, marking
//! them delivered or failed, and how delivery stands.

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, DbBackend, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, Statement,
};
use uuid::Uuid;

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
    /// Claims up to `limit` due deliveries for `lease`: each claimed row is
    /// invisible to other dispatchers until the lease ends. On PostgreSQL rows
    /// another replica is claiming are skipped (`FOR UPDATE SKIP LOCKED`).
    pub async fn claim_due(
        &self,
        now: DateTime<Utc>,
        limit: u64,
        lease: Duration,
    ) -> Result<Vec<outbox::Model>> {
        let backend = self.db.get_database_backend();
        let until = now + lease;
        let sql = match backend {
            DbBackend::Postgres => format!(
                "UPDATE outbox SET locked_until = $1, attempts = attempts + 1 WHERE id IN (\
                 SELECT id FROM outbox WHERE delivered_at IS NULL AND next_attempt_at <= $2 \
                 AND (locked_until IS NULL OR locked_until < $2) ORDER BY created_at LIMIT {limit} \
                 FOR UPDATE SKIP LOCKED) RETURNING *"
            ),
            _ => format!(
                "UPDATE outbox SET locked_until = $1, attempts = attempts + 1 WHERE id IN (\
                 SELECT id FROM outbox WHERE delivered_at IS NULL AND next_attempt_at <= $2 \
                 AND (locked_until IS NULL OR locked_until < $2) ORDER BY created_at \
                 LIMIT {limit}) RETURNING *"
            ),
        };
        let statement = Statement::from_sql_and_values(backend, sql, [until.into(), now.into()]);
        Ok(outbox::Entity::find()
            .from_raw_sql(statement)
            .all(&self.db)
            .await?)
    }

    /// Extends this dispatcher's lease on a row to `until`, if it still holds
    /// it (`claimed_until` unchanged): the new end, or `None` when the row was
    /// delivered or taken over meanwhile.
    pub async fn renew_lease(
        &self,
        id: Uuid,
        claimed_until: Option<DateTime<Utc>>,
        until: DateTime<Utc>,
    ) -> Result<Option<DateTime<Utc>>> {
        let Some(claimed_until) = claimed_until else {
            return Ok(None);
        };
        let renewed = outbox::Entity::update_many()
            .col_expr(outbox::Column::LockedUntil, Expr::value(until))
            .filter(outbox::Column::Id.eq(id))
            .filter(outbox::Column::DeliveredAt.is_null())
            .filter(outbox::Column::LockedUntil.eq(claimed_until))
            .exec(&self.db)
            .await?;
        Ok((renewed.rows_affected == 1).then_some(until))
    }

    /// Marks a delivery done.
    pub async fn mark_delivered(&self, id: Uuid, now: DateTime<Utc>) -> Result<()> {
        outbox::Entity::update_many()
            .col_expr(outbox::Column::DeliveredAt, Expr::value(now))
            .col_expr(
                outbox::Column::LockedUntil,
                Expr::value(Option::<DateTime<Utc>>::None),
            )
            .filter(outbox::Column::Id.eq(id))
            .exec(&self.db)
            .await?;
        Ok(())
    }

    /// Records a failed delivery and when to try again, unless the row was
    /// delivered or claimed again meanwhile (its lease, `claimed_until`, ran
    /// out and another dispatcher owns it now).
    pub async fn mark_failed(
        &self,
        id: Uuid,
        claimed_until: Option<DateTime<Utc>>,
        error: &str,
        retry_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let mut update = outbox::Entity::update_many()
            .col_expr(
                outbox::Column::LastError,
                Expr::value(error.chars().take(1000).collect::<String>()),
            )
            .col_expr(outbox::Column::LastErrorAt, Expr::value(now))
            .col_expr(outbox::Column::NextAttemptAt, Expr::value(retry_at))
            .col_expr(
                outbox::Column::LockedUntil,
                Expr::value(Option::<DateTime<Utc>>::None),
            )
            .filter(outbox::Column::Id.eq(id))
            .filter(outbox::Column::DeliveredAt.is_null());
        if let Some(until) = claimed_until {
            update = update.filter(outbox::Column::LockedUntil.eq(until));
        }
        update.exec(&self.db).await?;
        Ok(())
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
