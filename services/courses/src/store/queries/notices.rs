//! The notifications outbox of courses: a change people must hear of (a
//! session's meetings or venue moved, a session cancelled) writes its event to publish in
//! the change's own transaction; the kit's leased outbox delivers it to the
//! notifications service.

use chrono::{DateTime, Utc};
use hamafza_kit::outbox::Outbox;
use hamafza_proto::notifications::{
    CatalogEvent, NotificationKind, PublishRequest, SessionEvent, publish_request,
};
use prost::Message;
use sea_orm::{DatabaseTransaction, EntityTrait};
use uuid::Uuid;

use super::{Result, Store};
use crate::domain::sessions::SessionStatus;
use crate::store::entities::{course, session};

/// The outbox's table.
pub const NOTIFY_OUTBOX: &str = "notify_outbox";

impl Store {
    /// The notifications outbox.
    pub fn notify_outbox(&self) -> Outbox {
        Outbox::new(self.db.clone(), NOTIFY_OUTBOX)
    }
}

/// Whether people must hear of the change from `before` to `after`: a
/// planned or open session whose meetings or venue changed (the instructor
/// of a planned one, besides anyone holding a seat in an open one).
pub fn moved(before: &session::Model, after: &session::Model) -> bool {
    matches!(before.status, SessionStatus::Planned | SessionStatus::Open)
        && (before.meetings != after.meetings
            || before.venue_fa != after.venue_fa
            || before.venue_en != after.venue_en)
}

/// Writes the notification of a session's move, inside its transaction.
pub(super) async fn session_moved(
    txn: &DatabaseTransaction,
    outbox: &Outbox,
    after: &session::Model,
    now: DateTime<Utc>,
) -> Result<()> {
    session_notice(
        txn,
        outbox,
        after,
        NotificationKind::SessionChanged,
        String::new(),
        now,
    )
    .await
}

/// Writes the notification of a session's cancellation, inside its
/// transaction: its instructor hears of it whether or not anyone was
/// enrolled.
pub(super) async fn session_cancelled(
    txn: &DatabaseTransaction,
    outbox: &Outbox,
    after: &session::Model,
    now: DateTime<Utc>,
) -> Result<()> {
    let reason = after.cancel_reason.chars().take(500).collect();
    session_notice(txn, outbox, after, NotificationKind::Cancelled, reason, now).await
}

/// One session event of `kind` into the outbox, with the course's titles.
async fn session_notice(
    txn: &DatabaseTransaction,
    outbox: &Outbox,
    after: &session::Model,
    kind: NotificationKind,
    reason: String,
    now: DateTime<Utc>,
) -> Result<()> {
    let course = course::Entity::find_by_id(after.course_id).one(txn).await?;
    let event_id = Uuid::now_v7();
    let request = PublishRequest {
        event_id: event_id.to_string(),
        kind: kind as i32,
        occur_time: Some(hamafza_kit::time::to_timestamp(now)),
        event: Some(publish_request::Event::Session(SessionEvent {
            session_id: after.id.to_string(),
            course_id: after.course_id.to_string(),
            course_title_fa: course
                .as_ref()
                .map(|c| c.title_fa.clone())
                .unwrap_or_default(),
            course_title_en: course.map(|c| c.title_en).unwrap_or_default(),
            revision: after.revision,
            reason,
        })),
    };
    outbox
        .enqueue(txn, event_id, request.encode_to_vec(), now)
        .await?;
    Ok(())
}

/// Writes the notification of a course or program submitted for review,
/// inside its transaction.
pub(super) async fn submitted(
    txn: &DatabaseTransaction,
    outbox: &Outbox,
    event: CatalogEvent,
    now: DateTime<Utc>,
) -> Result<()> {
    let event_id = Uuid::now_v7();
    let request = PublishRequest {
        event_id: event_id.to_string(),
        kind: NotificationKind::CouncilReview as i32,
        occur_time: Some(hamafza_kit::time::to_timestamp(now)),
        event: Some(publish_request::Event::Catalog(event)),
    };
    outbox
        .enqueue(txn, event_id, request.encode_to_vec(), now)
        .await?;
    Ok(())
}
