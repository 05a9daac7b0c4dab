//! Delivers passed completions to certification: at least once, with
//! exponential backoff, safe with several replicas (each claims rows with a
//! lease; PostgreSQL skips rows another replica holds).

use std::sync::Arc;
use std::time::Duration;

use hamafza_kit::auth::ServiceToken;
use hamafza_kit::config::WorkersConfig;
use hamafza_kit::peers::PeerAuth;
use hamafza_kit::shutdown::Shutdown;
use hamafza_proto::certification::IssueCertificateRequest;
use hamafza_proto::certification::certification_service_client::CertificationServiceClient;
use prost::Message;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;

use crate::store::Store;

/// How long a claimed row stays invisible to other dispatchers. Short, and
/// renewed before each row's call, so the rows of a dispatcher that died
/// (a killed process) are taken over by another within seconds.
pub const LEASE: chrono::Duration = chrono::Duration::seconds(10);
/// How long one delivery call may take: well inside the lease renewed for it.
const DELIVERY_TIMEOUT: Duration = Duration::from_secs(8);
/// Rows claimed per round.
const BATCH: u64 = 10;

type Client = CertificationServiceClient<InterceptedService<Channel, PeerAuth>>;

/// Runs delivery rounds until `shutdown`.
pub async fn run(
    store: Store,
    channel: Channel,
    identity: Arc<ServiceToken>,
    workers: WorkersConfig,
    shutdown: Shutdown,
) {
    let client = CertificationServiceClient::with_interceptor(channel, PeerAuth::service(identity));
    let poll = Duration::from_millis(workers.outbox_poll_millis.max(10));
    let max_backoff = chrono::Duration::seconds(
        i64::try_from(workers.outbox_max_backoff_seconds.max(1)).unwrap_or(60),
    );
    loop {
        let delivered = deliver_due(&store, &client, max_backoff).await;
        if shutdown.is_requested() {
            return;
        }
        // A full batch means more may be waiting: go again at once.
        if delivered < BATCH {
            tokio::select! {
                () = tokio::time::sleep(poll) => {}
                () = shutdown.clone().requested() => return,
            }
        }
    }
}

/// One round: claims what is due and tries to deliver each. Returns how many
/// rows were claimed.
async fn deliver_due(store: &Store, client: &Client, max_backoff: chrono::Duration) -> u64 {
    let now = hamafza_kit::time::now();
    let claimed = match store.claim_due(now, BATCH, LEASE).await {
        Ok(rows) => rows,
        Err(error) => {
            tracing::warn!(%error, "outbox: claiming deliveries failed");
            return 0;
        }
    };
    let count = u64::try_from(claimed.len()).unwrap_or(0);
    for row in claimed {
        // The lease was taken for the whole batch; renew it for this row's
        // call, or leave the row if another dispatcher took it meanwhile.
        let renewed = match store
            .renew_lease(row.id, row.locked_until, hamafza_kit::time::now() + LEASE)
            .await
        {
            Ok(Some(until)) => until,
            Ok(None) => continue,
            Err(error) => {
                tracing::warn!(%error, "outbox: renewing a lease failed");
                continue;
            }
        };
        let outcome = match IssueCertificateRequest::decode(row.payload.as_slice()) {
            Ok(request) => {
                let mut request = tonic::Request::new(request);
                request.set_timeout(DELIVERY_TIMEOUT);
                client
                    .clone()
                    .issue_certificate(request)
                    .await
                    .map(|_| ())
                    .map_err(|status| format!("{:?}: {}", status.code(), status.message()))
            }
            Err(error) => Err(format!("undecodable payload: {error}")),
        };
        let now = hamafza_kit::time::now();
        let result = match outcome {
            Ok(()) => {
                tracing::info!(
                    enrolment_id = %row.enrolment_id,
                    attempts = row.attempts,
                    "completion delivered to certification"
                );
                store.mark_delivered(row.id, now).await
            }
            Err(error) => {
                let retry_at = now + backoff(row.attempts, max_backoff);
                tracing::warn!(
                    enrolment_id = %row.enrolment_id,
                    attempts = row.attempts,
                    %error,
                    %retry_at,
                    "completion delivery failed; will retry"
                );
                store
                    .mark_failed(row.id, Some(renewed), &error, retry_at, now)
                    .await
            }
        };
        if let Err(error) = result {
            // The lease runs out and the row is claimed again later.
            tracing::warn!(%error, "outbox: recording a delivery attempt failed");
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
