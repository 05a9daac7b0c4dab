//! Publishes the notifications of status changes to the notifications
//! service through the kit's leased outbox (`hamafza_kit::outbox`): at least
//! once (publishing is idempotent by event id), with exponential backoff;
//! safe with several replicas.

use std::sync::Arc;
use std::time::Duration;

use hamafza_kit::auth::ServiceToken;
use hamafza_kit::config::WorkersConfig;
use hamafza_kit::grpc::PeerChannel;
use hamafza_kit::outbox::{Batch, Policy, failure};
use hamafza_kit::peers::PeerAuth;
use hamafza_kit::shutdown::Shutdown;
use hamafza_proto::notifications::notification_service_client::NotificationServiceClient;
use hamafza_proto::notifications::{PublishEventsRequest, PublishRequest};
use prost::Message;
use tonic::service::interceptor::InterceptedService;

use crate::outbox::LEASE;
use crate::store::Store;

/// Notifications, called with the service's identity.
type Client = NotificationServiceClient<InterceptedService<PeerChannel, PeerAuth>>;

/// How long one publication may take.
const DELIVERY_TIMEOUT: Duration = Duration::from_secs(8);
/// Events given to one PublishEvents call.
const PER_CALL: usize = 20;
/// Publish calls under way at once when a PublishEvents call failed.
const ONE_BY_ONE_AT_ONCE: usize = 4;
/// PublishEvents calls of a round under way at once. One: the calls of a
/// round (and the reads and writes they cause in notifications and courses)
/// follow one another instead of taking both cores from Enrol at once. On
/// two cores this cut Enrol's p99 at 8 callers from 22–28 to 18–19 ms,
/// while a burst's notices take about twice as long (all of a 10 s run at
/// 1,500 enrolments/s delivered 5.5 s after it instead of 2.7 s).
const CALLS_AT_ONCE: usize = 1;

/// Runs publication rounds until `shutdown`: the events of a round go to
/// notifications `PER_CALL` at a time (PublishEvents), so that it reads the
/// sessions and people they name once for them all.
pub async fn run(
    store: Store,
    channel: PeerChannel,
    identity: Arc<ServiceToken>,
    workers: WorkersConfig,
    shutdown: Shutdown,
) {
    let client = NotificationServiceClient::with_interceptor(channel, PeerAuth::service(identity));
    let policy = Policy {
        lease: LEASE,
        batch: 80,
        per_call: PER_CALL,
        parallel: CALLS_AT_ONCE,
        ..Policy::from_workers(&workers, None)
    };
    hamafza_kit::outbox::run_batched(
        store.notify_outbox(),
        policy,
        move |payloads| publish(client.clone(), payloads),
        shutdown,
    )
    .await;
}

/// Publishes the events of `payloads`: an outcome for each, in their order.
async fn publish(mut client: Client, payloads: Vec<Vec<u8>>) -> Batch {
    let mut events = Vec::with_capacity(payloads.len());
    let mut undecodable = Vec::new();
    for (i, payload) in payloads.iter().enumerate() {
        match PublishRequest::decode(payload.as_slice()) {
            Ok(event) => events.push(event),
            Err(error) => undecodable.push((i, format!("undecodable payload: {error}"))),
        }
    }
    let mut outcomes = if events.is_empty() {
        Vec::new()
    } else {
        let mut request = tonic::Request::new(PublishEventsRequest {
            events: events.clone(),
        });
        request.set_timeout(DELIVERY_TIMEOUT);
        match client.publish_events(request).await {
            Ok(response) => {
                let outcomes = response.into_inner().outcomes;
                if outcomes.len() != events.len() {
                    return Err(format!(
                        "notifications answered {} outcomes for {} events",
                        outcomes.len(),
                        events.len()
                    ));
                }
                events
                    .iter()
                    .zip(outcomes)
                    .map(|(event, outcome)| {
                        if outcome.event_id != event.event_id {
                            Err(format!(
                                "notifications answered for event {} in place of {}",
                                outcome.event_id, event.event_id
                            ))
                        } else if outcome.error_code.is_empty() {
                            Ok(())
                        } else {
                            Err(format!("{}: {}", outcome.error_code, outcome.error_message))
                        }
                    })
                    .collect()
            }
            // A notifications older than PublishEvents (during an upgrade),
            // or a call that failed as a whole (one slow event past the
            // deadline must not hold the others back): one Publish an event.
            Err(status) => {
                tracing::debug!(code = ?status.code(), "PublishEvents failed; publishing one by one");
                one_by_one(&client, events).await
            }
        }
    };
    for (i, error) in undecodable {
        outcomes.insert(i.min(outcomes.len()), Err(error));
    }
    Ok(outcomes)
}

/// Publishes `events` one call each, a few side by side.
async fn one_by_one(client: &Client, events: Vec<PublishRequest>) -> Vec<Result<(), String>> {
    use futures::StreamExt as _;
    futures::stream::iter(events.into_iter().map(|event| {
        let mut client = client.clone();
        async move {
            let mut request = tonic::Request::new(event);
            request.set_timeout(DELIVERY_TIMEOUT);
            client
                .publish(request)
                .await
                .map(|_| ())
                .map_err(|status| failure(&status))
        }
    }))
    .buffered(ONE_BY_ONE_AT_ONCE)
    .collect()
    .await
}
