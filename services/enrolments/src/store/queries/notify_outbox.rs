//! The notifications outbox: each status change writes the event to publish
//! in the change's own transaction; the dispatcher claims due rows under a
//! lease (PostgreSQL skips rows another replica holds) and marks them.

use chrono::{DateTime, Duration, Utc};
use hamafza_proto::notifications::{EnrolmentEvent, PublishRequest, publish_request};
use prost::Message;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, DatabaseTransaction, DbBackend, EntityTrait, PaginatorTrait, QueryFilter, Set,
    Statement,
};
use uuid::Uuid;

use super::{Result, Store};
use crate::domain::notice;
use crate::domain::status::{Cause, EnrolmentStatus};
use crate::store::entities::{enrolment, notify_outbox, session_seats};

/// Writes the notification of a status change (the history row `event_id`)
/// into the outbox, inside the change's transaction.
#[allow(clippy::too_many_arguments)]
pub(super) async fn enqueue(
    txn: &DatabaseTransaction,
    event_id: Uuid,
    enrolment_id: Uuid,
    from: Option<EnrolmentStatus>,
    to: EnrolmentStatus,
    cause: Cause,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    let Some(kind) = notice::kind_of(to, cause) else {
        return Ok(());
    };
    let Some(row) = enrolment::Entity::find_by_id(enrolment_id).one(txn).await? else {
        return Ok(());
    };
    let seats = session_seats::Entity::find_by_id(row.session_id)
        .one(txn)
        .await?;
    let waitlist_place = match (to, row.waitlisted_at) {
        (EnrolmentStatus::Waitlisted, Some(at)) => {
            enrolment::Entity::find()
                .filter(enrolment::Column::SessionId.eq(row.session_id))
                .filter(enrolment::Column::Status.eq(EnrolmentStatus::Waitlisted))
                .filter(enrolment::Column::WaitlistedAt.lte(at))
                .count(txn)
                .await?
        }
        _ => 0,
    };
    let request = PublishRequest {
        event_id: event_id.to_string(),
        kind: kind as i32,
        occur_time: Some(hamafza_kit::time::to_timestamp(now)),
        event: Some(publish_request::Event::Enrolment(EnrolmentEvent {
            enrolment_id: row.id.to_string(),
            session_id: row.session_id.to_string(),
            course_id: row.course_id.to_string(),
            trainee_subject: row.trainee_subject.clone(),
            trainee_name: row.trainee_name.clone(),
            trainee_organization_id: row.trainee_organization_id.clone(),
            enrolled_by_subject: row.enrolled_by_subject.clone(),
            reason: reason.chars().take(500).collect(),
            waitlist_place: u32::try_from(waitlist_place).unwrap_or(u32::MAX),
            course_title_fa: seats
                .as_ref()
                .map(|s| s.course_title_fa.clone())
                .unwrap_or_default(),
            course_title_en: seats
                .as_ref()
                .map(|s| s.course_title_en.clone())
                .unwrap_or_default(),
            holds_seat: to.holds_seat(),
            session_cancelled: cause == Cause::SessionCancelled,
            held_seat: from.is_some_and(EnrolmentStatus::holds_seat),
        })),
    };
    notify_outbox::Entity::insert(notify_outbox::ActiveModel {
        id: Set(event_id),
        enrolment_id: Set(enrolment_id),
        payload: Set(request.encode_to_vec()),
        created_at: Set(now),
        attempts: Set(0),
        next_attempt_at: Set(now),
        locked_until: Set(None),
        delivered_at: Set(None),
        last_error: Set(String::new()),
        last_error_at: Set(None),
    })
    .exec_without_returning(txn)
    .await?;
    Ok(())
}

impl Store {
    /// Claims up to `limit` due notifications for `lease` (see
    /// [`Store::claim_due`], the same for certification).
    pub async fn claim_due_notices(
        &self,
        now: DateTime<Utc>,
        limit: u64,
        lease: Duration,
    ) -> Result<Vec<notify_outbox::Model>> {
        let backend = self.db.get_database_backend();
        let skip_locked = match backend {
            DbBackend::Postgres => " FOR UPDATE SKIP LOCKED",
            _ => "",
        };
        let sql = format!(
            "UPDATE notify_outbox SET locked_until = $1, attempts = attempts + 1 WHERE id IN (\
             SELECT id FROM notify_outbox WHERE delivered_at IS NULL AND next_attempt_at <= $2 \
             AND (locked_until IS NULL OR locked_until < $2) ORDER BY created_at, id \
             LIMIT {limit}{skip_locked}) RETURNING *"
        );
        let until = now + lease;
        let statement = Statement::from_sql_and_values(backend, sql, [until.into(), now.into()]);
        Ok(notify_outbox::Entity::find()
            .from_raw_sql(statement)
            .all(&self.db)
            .await?)
    }

    /// Extends this dispatcher's lease on a row if it still holds it.
    pub async fn renew_notice_lease(
        &self,
        id: Uuid,
        claimed_until: Option<DateTime<Utc>>,
        until: DateTime<Utc>,
    ) -> Result<Option<DateTime<Utc>>> {
        let Some(claimed_until) = claimed_until else {
            return Ok(None);
        };
        let renewed = notify_outbox::Entity::update_many()
            .col_expr(notify_outbox::Column::LockedUntil, Expr::value(until))
            .filter(notify_outbox::Column::Id.eq(id))
            .filter(notify_outbox::Column::DeliveredAt.is_null())
            .filter(notify_outbox::Column::LockedUntil.eq(claimed_until))
            .exec(&self.db)
            .await?;
        Ok((renewed.rows_affected == 1).then_some(until))
    }

    /// Marks a notification published.
    pub async fn mark_notice_delivered(&self, id: Uuid, now: DateTime<Utc>) -> Result<()> {
        notify_outbox::Entity::update_many()
            .col_expr(notify_outbox::Column::DeliveredAt, Expr::value(now))
            .col_expr(
                notify_outbox::Column::LockedUntil,
                Expr::value(Option::<DateTime<Utc>>::None),
            )
            .filter(notify_outbox::Column::Id.eq(id))
            .exec(&self.db)
            .await?;
        Ok(())
    }

    /// Records a failed publication and when to try again, unless another
    /// dispatcher owns the row now.
    pub async fn mark_notice_failed(
        &self,
        id: Uuid,
        claimed_until: DateTime<Utc>,
        error: &str,
        retry_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<()> {
        notify_outbox::Entity::update_many()
            .col_expr(
                notify_outbox::Column::LastError,
                Expr::value(error.chars().take(1000).collect::<String>()),
            )
            .col_expr(notify_outbox::Column::LastErrorAt, Expr::value(now))
            .col_expr(notify_outbox::Column::NextAttemptAt, Expr::value(retry_at))
            .col_expr(
                notify_outbox::Column::LockedUntil,
                Expr::value(Option::<DateTime<Utc>>::None),
            )
            .filter(notify_outbox::Column::Id.eq(id))
            .filter(notify_outbox::Column::DeliveredAt.is_null())
            .filter(notify_outbox::Column::LockedUntil.eq(claimed_until))
            .exec(&self.db)
            .await?;
        Ok(())
    }

    /// How many notifications wait to be published.
    pub async fn pending_notices(&self) -> Result<u64> {
        Ok(notify_outbox::Entity::find()
            .filter(notify_outbox::Column::DeliveredAt.is_null())
            .count(&self.db)
            .await?)
    }
}
