//! Delivers passed completions to certification through the kit's leased
//! outbox (`hamafza_kit::outbox`): at least once, with exponential backoff,
//! safe with several replicas. IssueCertificate is idempotent by
//! completion, so a retried delivery issues nothing twice.

use std::sync::Arc;
use std::time::Duration;

use hamafza_kit::auth::ServiceToken;
use hamafza_kit::config::WorkersConfig;
use hamafza_kit::grpc::PeerChannel;
use hamafza_kit::outbox::Policy;
use hamafza_kit::peers::PeerAuth;
use hamafza_kit::shutdown::Shutdown;
use hamafza_proto::certification::IssueCertificateRequest;
use hamafza_proto::certification::certification_service_client::CertificationServiceClient;
use prost::Message;

use crate::store::Store;

/// How long a claimed row stays invisible to other dispatchers. Short, and
/// renewed while the row is worked on, so the rows of a dispatcher that died
/// (a killed process) are taken over by another within seconds.
pub const LEASE: chrono::Duration = chrono::Duration::seconds(10);
/// How long one delivery call may take.
const DELIVERY_TIMEOUT: Duration = Duration::from_secs(8);

/// The dispatcher's policy: a certificate is never given up on (no parking;
/// operators see the pending count and the last error).
pub fn policy(workers: &WorkersConfig) -> Policy {
    Policy {
        lease: LEASE,
        batch: 10,
        ..Policy::from_workers(workers, None)
    }
}

/// Runs delivery rounds until `shutdown`.
pub async fn run(
    store: Store,
    channel: PeerChannel,
    identity: Arc<ServiceToken>,
    workers: WorkersConfig,
    shutdown: Shutdown,
) {
    let client = CertificationServiceClient::with_interceptor(channel, PeerAuth::service(identity));
    hamafza_kit::outbox::run(
        store.outbox(),
        policy(&workers),
        move |payload| {
            let mut client = client.clone();
            async move {
                let request = IssueCertificateRequest::decode(payload.as_slice())
                    .map_err(|error| format!("undecodable payload: {error}"))?;
                let completion = request.completion_id.clone();
                let mut request = tonic::Request::new(request);
                request.set_timeout(DELIVERY_TIMEOUT);
                client
                    .issue_certificate(request)
                    .await
                    .map_err(|status| hamafza_kit::outbox::failure(&status))?;
                tracing::info!(completion_id = %completion, "completion delivered to certification");
                Ok(())
            }
        },
        shutdown,
    )
    .await;
}
