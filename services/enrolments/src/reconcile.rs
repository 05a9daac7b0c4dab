//! Follows the sessions' changes in courses: the enrolments of a cancelled
//! session are cancelled here too, and a session's seat row takes its new
//! instructor (whose roster its enrolments are on) and meeting count. Polls
//! `ListSessions(updated_since)` and remembers how far it read; rereads a
//! margin before that point, since changes can commit out of order, and
//! doing either twice is harmless. A change stamped long before it committed
//! (a transaction that waited on a lock) or by a replica whose clock lags
//! can still fall behind that margin, so every hour a round reads every
//! session again, as the people-directory follower does.

use std::time::Duration;

use hamafza_kit::config::WorkersConfig;
use hamafza_kit::shutdown::Shutdown;

use crate::courses_client::CoursesClient;
use crate::domain::Person;
use crate::store::Store;

/// The cursor's name, from when only cancellations were followed.
const CURSOR: &str = "sessions_cancelled_since";
/// How far before the last change seen each poll starts again.
const OVERLAP: chrono::Duration = chrono::Duration::seconds(60);
/// How often a round reads every session, whatever the cursor says.
const FULL_EVERY: Duration = Duration::from_secs(3600);

/// Runs reconciliation rounds until `shutdown`.
pub async fn run(store: Store, courses: CoursesClient, workers: WorkersConfig, shutdown: Shutdown) {
    let interval = Duration::from_secs(workers.reconcile_interval_seconds.max(1));
    let mut last_full: Option<std::time::Instant> = None;
    loop {
        let full = last_full.is_none_or(|at| at.elapsed() >= FULL_EVERY);
        match reconcile_round(&store, &courses, full).await {
            Ok(_) if full => last_full = Some(std::time::Instant::now()),
            Ok(_) => {}
            Err(error) => {
                tracing::warn!(%error, "reconciling changed sessions failed; will retry");
            }
        }
        tokio::select! {
            () = tokio::time::sleep(interval) => {}
            () = shutdown.clone().requested() => return,
        }
    }
}

/// One round: from the cursor, or (`full`) over every session; returns how
/// many enrolments it cancelled.
pub async fn reconcile_round(
    store: &Store,
    courses: &CoursesClient,
    full: bool,
) -> Result<usize, crate::domain::EnrolmentsError> {
    let since = store
        .worker_value(CURSOR)
        .await?
        .and_then(|value| chrono::DateTime::parse_from_rfc3339(&value).ok())
        .map_or(chrono::DateTime::<chrono::Utc>::UNIX_EPOCH, |t| t.to_utc());
    let from = if full {
        chrono::DateTime::<chrono::Utc>::UNIX_EPOCH
    } else {
        (since - OVERLAP).max(chrono::DateTime::<chrono::Utc>::UNIX_EPOCH)
    };
    let changes = courses.changed_sessions(from, 50).await?;
    let system = Person {
        subject: "enrolments".to_owned(),
        name: "Hamafza".to_owned(),
        organization_id: String::new(),
    };
    let mut cancelled = 0;
    let mut seen = since;
    for change in changes {
        let followed = store
            .follow_session(
                change.session_id,
                &change.instructor_subject,
                change.meeting_count,
            )
            .await?;
        if followed {
            tracing::info!(
                session_id = %change.session_id,
                "session changed in courses; its instructor and meetings are followed"
            );
        }
        if change.cancelled {
            let reason = if change.reason.is_empty() {
                "the session was cancelled".to_owned()
            } else {
                change.reason.clone()
            };
            let n = store
                .cancel_session_enrolments(
                    change.session_id,
                    &reason,
                    &system,
                    hamafza_kit::time::now(),
                )
                .await?;
            if n > 0 {
                tracing::info!(
                    session_id = %change.session_id,
                    enrolments = n,
                    "session cancelled in courses; its enrolments are cancelled"
                );
            }
            cancelled += n;
        }
        seen = seen.max(change.update_time);
    }
    store.set_worker_value(CURSOR, &seen.to_rfc3339()).await?;
    Ok(cancelled)
}
