//! The notifications outbox: each status change writes the event to publish
//! in the change's own transaction; the kit's leased outbox delivers it.

use chrono::{DateTime, Utc};
use hamafza_kit::outbox::Outbox;
use hamafza_proto::notifications::{EnrolmentEvent, PublishRequest, publish_request};
use prost::Message;
use sea_orm::{ColumnTrait, DatabaseTransaction, EntityTrait, PaginatorTrait, QueryFilter, Set};
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
    let titles = seats
        .map(|s| (s.course_title_fa, s.course_title_en))
        .unwrap_or_default();
    let change = Change {
        event_id,
        from,
        to,
        cause,
        reason,
        now,
    };
    notify_outbox::Entity::insert(row_of(kind, &change, &row, &titles, waitlist_place))
        .exec_without_returning(txn)
        .await?;
    Ok(())
}

/// One status change, as the notification tells it.
pub(super) struct Change<'a> {
    /// The history row's id, which is the event's.
    pub event_id: Uuid,
    pub from: Option<EnrolmentStatus>,
    pub to: EnrolmentStatus,
    pub cause: Cause,
    pub reason: &'a str,
    pub now: DateTime<Utc>,
}

/// The outbox row of `change` to the enrolment `row` (as it is after the
/// change), or `None` when no one is told of such a change. For a writer that
/// already holds everything the notice says, so that nothing is read back.
pub(super) fn row_for(
    change: &Change<'_>,
    row: &enrolment::Model,
    titles: &(String, String),
    waitlist_place: u64,
) -> Option<notify_outbox::ActiveModel> {
    let kind = notice::kind_of(change.to, change.cause)?;
    Some(row_of(kind, change, row, titles, waitlist_place))
}

fn row_of(
    kind: hamafza_proto::notifications::NotificationKind,
    change: &Change<'_>,
    row: &enrolment::Model,
    (title_fa, title_en): &(String, String),
    waitlist_place: u64,
) -> notify_outbox::ActiveModel {
    let request = PublishRequest {
        event_id: change.event_id.to_string(),
        kind: kind as i32,
        occur_time: Some(hamafza_kit::time::to_timestamp(change.now)),
        event: Some(publish_request::Event::Enrolment(EnrolmentEvent {
            enrolment_id: row.id.to_string(),
            session_id: row.session_id.to_string(),
            course_id: row.course_id.to_string(),
            trainee_subject: row.trainee_subject.clone(),
            trainee_name: row.trainee_name.clone(),
            trainee_organization_id: row.trainee_organization_id.clone(),
            enrolled_by_subject: row.enrolled_by_subject.clone(),
            reason: change.reason.chars().take(500).collect(),
            waitlist_place: u32::try_from(waitlist_place).unwrap_or(u32::MAX),
            course_title_fa: title_fa.clone(),
            course_title_en: title_en.clone(),
            holds_seat: change.to.holds_seat(),
            session_cancelled: change.cause == Cause::SessionCancelled,
            held_seat: change.from.is_some_and(EnrolmentStatus::holds_seat),
        })),
    };
    notify_outbox::ActiveModel {
        id: Set(change.event_id),
        enrolment_id: Set(row.id),
        payload: Set(request.encode_to_vec()),
        created_at: Set(change.now),
        attempts: Set(0),
        next_attempt_at: Set(change.now),
        locked_until: Set(None),
        delivered_at: Set(None),
        last_error: Set(String::new()),
        last_error_at: Set(None),
        parked_at: Set(None),
    }
}

impl Store {
    /// The notifications outbox, delivered by the kit's leased outbox.
    pub fn notify_outbox(&self) -> Outbox {
        Outbox::new(self.db.clone(), "notify_outbox")
    }

    /// How many notifications wait to be published.
    pub async fn pending_notices(&self) -> Result<u64> {
        Ok(notify_outbox::Entity::find()
            .filter(notify_outbox::Column::DeliveredAt.is_null())
            .count(&self.db)
            .await?)
    }
}
