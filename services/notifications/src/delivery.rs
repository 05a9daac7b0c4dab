//! Sends the pending emails: at least once, with exponential backoff, parked
//! with the last error after `mail.max_attempts` failures (a relay that is
//! down or silent is waited for `mail.retry_hours` first); safe with several
//! replicas (a short lease per email, renewed before each send; PostgreSQL
//! skips rows another replica holds). Counts every outcome in the
//! `notifications.emails` metric.

use std::time::Duration;

use hamafza_kit::config::{MailConfig, WorkersConfig};
use hamafza_kit::shutdown::Shutdown;
use lettre::message::Mailbox;
use opentelemetry::KeyValue;
use opentelemetry::metrics::Counter;

use crate::email::Outbound;
use crate::store::Store;

/// How long a claimed email stays invisible to other workers; renewed before
/// each send, so a dead worker's emails are taken over within seconds.
pub const LEASE: chrono::Duration = chrono::Duration::seconds(30);
/// Emails claimed per round.
const BATCH: u64 = 10;

/// What the worker needs.
#[derive(Debug, Clone)]
pub struct Courier {
    /// The store.
    pub store: Store,
    /// Where emails go.
    pub outbound: Outbound,
    /// The sender.
    pub from: Mailbox,
    /// Polling and backoff.
    pub workers: WorkersConfig,
    /// Attempts before parking.
    pub mail: MailConfig,
}

/// Runs delivery rounds until `shutdown`.
pub async fn run(courier: Courier, shutdown: Shutdown) {
    let poll = Duration::from_millis(courier.workers.outbox_poll_millis.max(10));
    let emails = opentelemetry::global::meter("hamafza")
        .u64_counter("notifications.emails")
        .with_description("Emails by outcome: sent, failed (will retry), parked")
        .build();
    loop {
        let claimed = deliver_due(&courier, &emails).await;
        if shutdown.is_requested() {
            return;
        }
        if claimed < BATCH {
            tokio::select! {
                () = tokio::time::sleep(poll) => {}
                () = shutdown.clone().requested() => return,
            }
        }
    }
}

async fn deliver_due(courier: &Courier, emails: &Counter<u64>) -> u64 {
    let store = &courier.store;
    let claimed = match store
        .claim_due(hamafza_kit::time::now(), BATCH, LEASE)
        .await
    {
        Ok(rows) => rows,
        Err(error) => {
            tracing::warn!(%error, "mail: claiming emails failed");
            return 0;
        }
    };
    let count = u64::try_from(claimed.len()).unwrap_or(0);
    let max_backoff = chrono::Duration::seconds(
        i64::try_from(courier.workers.outbox_max_backoff_seconds.max(1)).unwrap_or(60),
    );
    for row in claimed {
        let renewed = match store
            .renew_lease(
                row.notification_id,
                row.locked_until,
                hamafza_kit::time::now() + LEASE,
            )
            .await
        {
            Ok(Some(until)) => until,
            Ok(None) => continue,
            Err(error) => {
                tracing::warn!(%error, "mail: renewing a lease failed");
                continue;
            }
        };
        let sent = courier
            .outbound
            .send(&courier.from, &row.to_address, &row.message)
            .await;
        let now = hamafza_kit::time::now();
        let recorded = match sent {
            Ok(()) => {
                emails.add(1, &[KeyValue::new("outcome", "sent")]);
                tracing::info!(
                    notification_id = %row.notification_id,
                    attempts = row.attempts,
                    "email sent"
                );
                store.mark_sent(row.notification_id, now).await
            }
            Err(error) => {
                // Parked after max_attempts; but an email the relay could not
                // take for a while is retried for retry_hours first.
                let patience = chrono::Duration::hours(i64::from(courier.mail.retry_hours));
                let waiting = error.is_transient() && now - row.created_at < patience;
                let error = error.to_string();
                let parked = u32::try_from(row.attempts).unwrap_or(0) >= courier.mail.max_attempts
                    && !waiting;
                let retry_at = (!parked).then(|| now + backoff(row.attempts, max_backoff));
                if parked {
                    emails.add(1, &[KeyValue::new("outcome", "parked")]);
                    tracing::error!(
                        notification_id = %row.notification_id,
                        attempts = row.attempts,
                        %error,
                        "email parked after too many failures"
                    );
                } else {
                    emails.add(1, &[KeyValue::new("outcome", "failed")]);
                    tracing::warn!(
                        notification_id = %row.notification_id,
                        attempts = row.attempts,
                        %error,
                        "email not sent; will retry"
                    );
                }
                store
                    .mark_failed(row.notification_id, renewed, &error, retry_at)
                    .await
            }
        };
        if let Err(error) = recorded {
            // The lease runs out and the email is claimed again later.
            tracing::warn!(%error, "mail: recording an attempt failed");
        }
    }
    count
}

/// 1 s, 2 s, 4 s, … up to `max`.
fn backoff(attempts: i32, max: chrono::Duration) -> chrono::Duration {
    let exponent = u32::try_from(attempts.clamp(1, 20) - 1).unwrap_or(0);
    chrono::Duration::seconds(1i64 << exponent).min(max)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let max = chrono::Duration::seconds(60);
        let waits: Vec<i64> = (1..=8).map(|a| backoff(a, max).num_seconds()).collect();
        assert_eq!(waits, [1, 2, 4, 8, 16, 32, 60, 60]);
    }
}
