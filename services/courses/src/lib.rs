//! The courses service: the catalog of the holding's training program
//! (organizations, programs, courses, sessions, events) and the policy
//! council's approval of programs and courses.
//!
//! `api` translates the wire and checks access, `domain` holds the rules,
//! `store` holds the SQL. [`CoursesService`] is the one entry point
//! ([`Service::build`] then [`Service::serve`]), used alike by `hamafza up`,
//! `hamafza serve courses` and the tests.

pub mod api;
pub mod demo;
pub mod domain;
pub mod store;

use std::sync::Arc;

use anyhow::Context;
use hamafza_kit::auth::{AuthInterceptor, TokenVerifier};
use hamafza_kit::config::{Config, GrpcConfig, ServiceName};
use hamafza_kit::grpc::{GrpcServer, PeerChannel, ServeError, peer};
use hamafza_kit::outbox::{Outbox, Policy};
use hamafza_kit::peers::PeerAuth;
use hamafza_kit::replies::ReplyCache;
use hamafza_kit::service::{Service, Shared};
use hamafza_kit::shutdown::Shutdown;
use hamafza_proto::courses::course_service_server::CourseServiceServer;
use hamafza_proto::courses::event_service_server::EventServiceServer;
use hamafza_proto::courses::organization_service_server::OrganizationServiceServer;
use hamafza_proto::courses::person_service_server::PersonServiceServer;
use hamafza_proto::courses::session_service_server::SessionServiceServer;
use hamafza_proto::notifications::PublishRequest;
use hamafza_proto::notifications::notification_service_client::NotificationServiceClient;
use prost::Message;
use tokio::net::TcpListener;
use tonic::service::interceptor::InterceptedService;

pub use api::CoursesApi;
pub use store::{Migrator, Store};

/// The courses service, ready to serve.
pub struct CoursesService {
    store: Store,
    verifier: Arc<TokenVerifier>,
    notifier: Notifier,
    grpc: GrpcConfig,
    required_approvals: u32,
    workers: hamafza_kit::config::WorkersConfig,
}

impl CoursesService {
    /// Its store, e.g. to seed the demo catalog before serving.
    pub fn store(&self) -> &Store {
        &self.store
    }
}

impl Service for CoursesService {
    const NAME: &'static str = "courses";

    fn addr(config: &Config) -> std::net::SocketAddr {
        config.courses.addr
    }

    async fn build(config: &Config, shared: &Shared) -> anyhow::Result<Self> {
        let db = shared
            .database::<Migrator>(config, ServiceName::Courses)
            .await?;
        let store = Store::new(db);
        let filled = store.fill_search_keys().await?;
        if filled > 0 {
            tracing::info!(
                rows = filled,
                "search keys given to rows stored before them"
            );
        }
        let identity = shared
            .identity(Self::NAME)
            .context("the courses service's own identity")?;
        let notifier = Notifier {
            // Lazily connected: courses may start before notifications.
            client: NotificationServiceClient::with_interceptor(
                peer("notifications", &config.notifications.url())?,
                PeerAuth::service(identity),
            ),
            policy: Policy::from_workers(&config.workers, None),
        };
        Ok(Self {
            store,
            notifier,
            verifier: Arc::clone(&shared.verifier),
            grpc: config.grpc.clone(),
            required_approvals: config.council.required_approvals,
            workers: config.workers.clone(),
        })
    }

    async fn serve(self, listener: TcpListener, shutdown: Shutdown) -> Result<(), ServeError> {
        let notifier = tokio::spawn(
            self.notifier
                .run(self.store.notify_outbox(), shutdown.clone()),
        );
        let purge = tokio::spawn(hamafza_kit::retention::run(
            self.store.connection().clone(),
            self.store.purges(&self.workers),
            self.workers.purge_every(),
            shutdown.clone(),
        ));
        let api = CoursesApi::new(self.store, self.required_approvals);
        let auth = AuthInterceptor::new(self.verifier);
        let limit = self.grpc.max_message_bytes;
        let served = GrpcServer::new(&self.grpc)
            .add_service(InterceptedService::new(
                ReplyCache::new(
                    CourseServiceServer::new(api.clone())
                        .max_decoding_message_size(limit)
                        .max_encoding_message_size(limit),
                    api::PUBLIC_READS,
                    api::reads_public_catalog,
                    api::PUBLIC_LISTING_AGE,
                ),
                auth.clone(),
            ))
            .add_service(InterceptedService::new(
                SessionServiceServer::new(api.clone())
                    .max_decoding_message_size(limit)
                    .max_encoding_message_size(limit),
                auth.clone(),
            ))
            .add_service(InterceptedService::new(
                OrganizationServiceServer::new(api.clone())
                    .max_decoding_message_size(limit)
                    .max_encoding_message_size(limit),
                auth.clone(),
            ))
            .add_service(InterceptedService::new(
                EventServiceServer::new(api.clone())
                    .max_decoding_message_size(limit)
                    .max_encoding_message_size(limit),
                auth.clone(),
            ))
            .add_service(InterceptedService::new(
                PersonServiceServer::new(api)
                    .max_decoding_message_size(limit)
                    .max_encoding_message_size(limit),
                auth,
            ))
            .serve(listener, shutdown)
            .await;
        notifier.abort();
        purge.abort();
        served
    }
}

/// Publishes the outbox's events to the notifications service: at least
/// once (Publish is idempotent by event id), with the kit's leases and
/// backoff.
struct Notifier {
    client: NotificationServiceClient<InterceptedService<PeerChannel, PeerAuth>>,
    policy: Policy,
}

impl Notifier {
    async fn run(self, outbox: Outbox, shutdown: Shutdown) {
        let client = self.client;
        hamafza_kit::outbox::run(
            outbox,
            self.policy,
            move |payload| {
                let mut client = client.clone();
                async move {
                    let request = PublishRequest::decode(payload.as_slice())
                        .map_err(|error| format!("undecodable payload: {error}"))?;
                    let mut request = tonic::Request::new(request);
                    request.set_timeout(std::time::Duration::from_secs(8));
                    client
                        .publish(request)
                        .await
                        .map(|_| ())
                        .map_err(|status| hamafza_kit::outbox::failure(&status))
                }
            },
            shutdown,
        )
        .await;
    }
}
