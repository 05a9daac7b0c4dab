//! Publishes the notifications of status changes to the notifications
//! service: at least once (Publish is idempotent by event id), in order of
//! the changes, with exponential backoff; safe with several replicas (each
//! claims rows with a lease; PostgreSQL skips rows another replica holds).

use std::sync::Arc;
use std::time::Duration;

use hamafza_kit::auth::ServiceToken;
use hamafza_kit::config::WorkersConfig;
use hamafza_kit::peers::PeerAuth;
use hamafza_kit::shutdown::Shutdown;
use hamafza_proto::notifications::PublishRequest;
use hamafza_proto::notifications::notification_service_client::NotificationServiceClient;
use prost::Message;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;

use crate::outbox::LEASE;
use crate::store::Store;

/// How long one publication may take: well inside the lease renewed for it.
const DELIVERY_TIMEOUT: Duration = Duration::from_secs(8);
/// Rows claimed per round.
const BATCH: u64 = 20;

type Client = NotificationServiceClient<InterceptedService<Channel, PeerAuth>>;

/// Runs publication rounds until `shutdown`.
pub async fn run(
    store: Store,
    channel: Channel,
    identity: Arc<ServiceToken>,
    workers: WorkersConfig,
    shutdown: Shutdown,
) {
    let client = NotificationServiceClient::with_interceptor(channel, PeerAuth::service(identity));
    let poll = Duration::from_millis(workers.outbox_poll_millis.max(10));
    let max_backoff = chrono::Duration::seconds(
        i64::try_from(workers.outbox_max_backoff_seconds.max(1)).unwrap_or(60),
    );
    loop {
        let claimed = publish_due(&store, &client, max_backoff).await;
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

async fn publish_due(store: &Store, client: &Client, max_backoff: chrono::Duration) -> u64 {
    let claimed = match store
        .claim_due_notices(hamafza_kit::time::now(), BATCH, LEASE)
        .await
    {
        Ok(rows) => rows,
        Err(error) => {
            tracing::warn!(%error, "notify: claiming notifications failed");
            return 0;
        }
    };
    let count = u64::try_from(claimed.len()).unwrap_or(0);
    for row in claimed {
        let renewed = match store
            .renew_notice_lease(row.id, row.locked_until, hamafza_kit::time::now() + LEASE)
            .await
        {
            Ok(Some(until)) => until,
            Ok(None) => continue,
            Err(error) => {
                tracing::warn!(%error, "notify: renewing a lease failed");
                continue;
            }
        };
        let outcome = match PublishRequest::decode(row.payload.as_slice()) {
            Ok(request) => {
                let mut request = tonic::Request::new(request);
                request.set_timeout(DELIVERY_TIMEOUT);
                client
                    .clone()
                    .publish(request)
                    .await
                    .map(|_| ())
                    .map_err(|status| format!("{:?}: {}", status.code(), status.message()))
            }
            Err(error) => Err(format!("undecodable payload: {error}")),
        };
        let now = hamafza_kit::time::now();
        let result = match outcome {
            Ok(()) => store.mark_notice_delivered(row.id, now).await,
            Err(error) => {
                let exponent = u32::try_from(row.attempts.clamp(1, 20) - 1).unwrap_or(0);
                let retry_at = now + chrono::Duration::seconds(1i64 << exponent).min(max_backoff);
                tracing::warn!(
                    enrolment_id = %row.enrolment_id,
                    attempts = row.attempts,
                    %error,
                    %retry_at,
                    "notification not published; will retry"
                );
                store
                    .mark_notice_failed(row.id, renewed, &error, retry_at, now)
                    .await
            }
        };
        if let Err(error) = result {
            tracing::warn!(%error, "notify: recording an attempt failed");
        }
    }
    count
}
