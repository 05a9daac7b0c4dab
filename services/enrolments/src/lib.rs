//! The enrolments service: seats that never oversubscribe, waitlists,
//! approvals, attendance, completion, benchmarking, and the outbox that hands
//! passed completions to certification.
//!
//! `api` translates the wire and checks access, `domain` holds the rules,
//! `store` holds the SQL; `outbox` and `reconcile` are its background workers.
//! It learns about sessions and courses only through the courses service's
//! gRPC contract ([`courses_client`]).

pub mod api;
pub mod courses_client;
pub mod domain;
pub mod outbox;
pub mod reconcile;
pub mod store;

use std::sync::Arc;

use hamafza_kit::auth::{AuthInterceptor, ServiceToken, TokenVerifier};
use hamafza_kit::config::Config;
use hamafza_kit::grpc::{GrpcServer, ServeError};
use hamafza_kit::shutdown::Shutdown;
use hamafza_proto::enrolments::enrolment_service_server::EnrolmentServiceServer;
use hamafza_proto::enrolments::report_service_server::ReportServiceServer;
use sea_orm::DatabaseConnection;
use tokio::net::TcpListener;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;

pub use api::EnrolmentsApi;
pub use courses_client::CoursesClient;
pub use store::{Migrator, Store};

/// Where the enrolments service finds the services it calls, and as whom.
pub struct Peers {
    /// The courses service.
    pub courses: Channel,
    /// The certification service (deliveries wait while it is down).
    pub certification: Channel,
    /// This service's identity on those calls.
    pub identity: Arc<ServiceToken>,
}

impl Peers {
    /// Lazily connected channels to the configured courses and certification
    /// services: nothing is dialled until the first call, so either may start
    /// after this one.
    pub fn from_config(
        config: &Config,
        identity: Arc<ServiceToken>,
    ) -> Result<Self, tonic::transport::Error> {
        let lazy = |url: String| {
            hamafza_kit::grpc::peer_channel(
                &url,
                std::time::Duration::from_secs(5),
                std::time::Duration::from_secs(15),
            )
        };
        Ok(Self {
            courses: lazy(config.courses.url())?,
            certification: lazy(config.certification.url())?,
            identity,
        })
    }
}

/// Serves the enrolments service on `listener` and runs its workers until
/// `shutdown` fires. `db` must be migrated ([`Migrator`]).
pub async fn serve(
    config: &Config,
    db: DatabaseConnection,
    verifier: Arc<TokenVerifier>,
    peers: Peers,
    listener: TcpListener,
    shutdown: Shutdown,
) -> Result<(), ServeError> {
    let store = Store::new(db);
    let courses = CoursesClient::new(peers.courses, Arc::clone(&peers.identity));
    let api = EnrolmentsApi::new(store.clone(), courses.clone());
    let dispatcher = tokio::spawn(outbox::run(
        store.clone(),
        peers.certification,
        Arc::clone(&peers.identity),
        config.workers.clone(),
        shutdown.clone(),
    ));
    let reconciler = tokio::spawn(reconcile::run(
        store,
        courses,
        config.workers.clone(),
        shutdown.clone(),
    ));
    let auth = AuthInterceptor::new(verifier);
    let limit = config.grpc.max_message_bytes;
    let served = GrpcServer::new(&config.grpc)
        .add_service(InterceptedService::new(
            EnrolmentServiceServer::new(api.clone())
                .max_decoding_message_size(limit)
                .max_encoding_message_size(limit),
            auth.clone(),
        ))
        .add_service(InterceptedService::new(
            ReportServiceServer::new(api)
                .max_decoding_message_size(limit)
                .max_encoding_message_size(limit),
            auth,
        ))
        .serve(listener, shutdown)
        .await;
    dispatcher.abort();
    reconciler.abort();
    served
}
