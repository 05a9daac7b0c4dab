//! Reminders the day before: a scheduled job that looks for sessions to be
//! held (open, or closed to enrolment) whose first meeting is less than a
//! day away and tells the trainees
//! holding a seat and the instructor. With several replicas each session's
//! reminder is claimed by exactly one: a unique row (`reminders`) written in
//! the transaction that records the notifications, so the replica that
//! loses the race records nothing.

use std::time::Duration;

use hamafza_kit::ids::CourseId;
use hamafza_kit::shutdown::Shutdown;
use hamafza_kit::{ApiError, time};
use hamafza_proto::common::TimeRange;
use hamafza_proto::courses as cpb;
use hamafza_proto::notifications::NotificationKind;
use uuid::Uuid;

use crate::api::NotificationsApi;
use crate::publish::{Occasion, People, instructor_of, with_schedule};
use crate::store::queries::Claim;
use crate::wording::Facts;

/// How far ahead a first meeting is reminded of.
const AHEAD: chrono::Duration = chrono::Duration::hours(24);

/// Runs reminder and certificate expiry rounds every `interval` until
/// `shutdown`.
pub async fn run(api: NotificationsApi, interval: Duration, shutdown: Shutdown) {
    loop {
        match api.remind_due().await {
            Ok(0) => {}
            Ok(sent) => tracing::info!(sessions = sent, "reminders recorded"),
            Err(error) => tracing::warn!(%error, "reminders: a round failed"),
        }
        match api.warn_expiring().await {
            Ok(0) => {}
            Ok(sent) => tracing::info!(certificates = sent, "expiry notices recorded"),
            Err(error) => tracing::warn!(%error, "expiry notices: a round failed"),
        }
        tokio::select! {
            () = tokio::time::sleep(interval) => {}
            () = shutdown.clone().requested() => return,
        }
    }
}

impl NotificationsApi {
    /// One round: every session to be held (open, or closed to enrolment)
    /// starting within [`AHEAD`] not yet reminded. Returns how many sessions
    /// this replica reminded.
    pub async fn remind_due(&self) -> Result<u64, ApiError> {
        let now = time::now();
        let request = cpb::ListSessionsRequest {
            statuses: vec![
                cpb::SessionStatus::Open as i32,
                cpb::SessionStatus::Closed as i32,
            ],
            start_time: Some(TimeRange {
                start_time: Some(time::to_timestamp(now)),
                end_time: Some(time::to_timestamp(now + AHEAD)),
            }),
            ..Default::default()
        };
        let mut reminded = 0;
        for session in self.courses.sessions(request, 10).await? {
            let Ok(session_id) = Uuid::parse_str(&session.id) else {
                continue;
            };
            if self
                .store
                .reminded(session_id)
                .await
                .map_err(hamafza_kit::db::api_error)?
            {
                continue;
            }
            if self.remind(session_id, session, now).await? {
                reminded += 1;
            }
        }
        Ok(reminded)
    }

    async fn remind(
        &self,
        session_id: Uuid,
        session: cpb::Session,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<bool, ApiError> {
        let occasion = Occasion {
            event_id: Uuid::now_v7(),
            kind: NotificationKind::SessionReminder,
            occurred: now,
            session_id,
        };
        let mut facts = Facts::default();
        if let Ok(course_id) = Uuid::parse_str(&session.course_id) {
            let course = self.courses.course(CourseId(course_id)).await?;
            if let Some(title) = course.details.and_then(|details| details.title) {
                facts.course_fa = title.fa;
                facts.course_en = title.en;
            }
        }
        let instructor = instructor_of(session.details.as_ref());
        with_schedule(&mut facts, session.details);
        let key = |subject: &str| format!("reminder:{session_id}:{subject}");
        let recipients = self.session_people(session_id, instructor, key).await?;
        let claim = Claim::Reminder {
            session_id,
            at: now,
        };
        self.record_once(claim, &occasion, recipients, &facts, &mut People::default())
            .await
    }
}
