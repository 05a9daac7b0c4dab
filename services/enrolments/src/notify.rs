//! Publishes the notifications of status changes to the notifications
//! service through the kit's leased outbox (`hamafza_kit::outbox`): at least
//! once (Publish is idempotent by event id), in order of the changes, with
//! exponential backoff; safe with several replicas.

use std::sync::Arc;
use std::time::Duration;

use hamafza_kit::auth::ServiceToken;
use hamafza_kit::config::WorkersConfig;
use hamafza_kit::outbox::Policy;
use hamafza_kit::peers::PeerAuth;
use hamafza_kit::shutdown::Shutdown;
use hamafza_proto::notifications::PublishRequest;
use hamafza_proto::notifications::notification_service_client::NotificationServiceClient;
use prost::Message;
use tonic::transport::Channel;

use crate::outbox::LEASE;
use crate::store::Store;

/// How long one publication may take.
const DELIVERY_TIMEOUT: Duration = Duration::from_secs(8);

/// Runs publication rounds until `shutdown`.
pub async fn run(
    store: Store,
    channel: Channel,
    identity: Arc<ServiceToken>,
    workers: WorkersConfig,
    shutdown: Shutdown,
) {
    let client = NotificationServiceClient::with_interceptor(channel, PeerAuth::service(identity));
    let policy = Policy {
        lease: LEASE,
        ..Policy::from_workers(&workers, None)
    };
    hamafza_kit::outbox::run(
        store.notify_outbox(),
        policy,
        move |payload| {
            let mut client = client.clone();
            async move {
                let request = PublishRequest::decode(payload.as_slice())
                    .map_err(|error| format!("undecodable payload: {error}"))?;
                let mut request = tonic::Request::new(request);
                request.set_timeout(DELIVERY_TIMEOUT);
                client
                    .publish(request)
                    .await
                    .map(|_| ())
                    .map_err(|status| format!("{:?}: {}", status.code(), status.message()))
            }
        },
        shutdown,
    )
    .await;
}
