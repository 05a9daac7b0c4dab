//! The enrolments service: seats that never oversubscribe, waitlists,
//! approvals, attendance, completion, course evaluations, benchmarking, and
//! the outbox that hands passed completions to certification.
//!
//! `api` translates the wire and checks access, `domain` holds the rules,
//! `store` holds the SQL; `outbox`, `reconcile` and `directory` (its copy of
//! the people directory) are its background workers.
//! It learns about sessions and courses only through the courses service's
//! gRPC contract ([`courses_client`]).

pub mod api;
pub mod courses_client;
pub mod demo;
pub mod directory;
pub mod domain;
pub mod notify;
pub mod outbox;
pub mod reconcile;
pub mod rollups;
pub mod store;

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use hamafza_kit::auth::{AuthInterceptor, ServiceToken, TokenVerifier};
use hamafza_kit::config::{Config, EvaluationsConfig, GrpcConfig, ServiceName, WorkersConfig};
use hamafza_kit::grpc::{GrpcServer, PeerChannel, ServeError, peer};
use hamafza_kit::service::{Service, Shared};
use hamafza_kit::shutdown::Shutdown;
use hamafza_proto::enrolments::enrolment_service_server::EnrolmentServiceServer;
use hamafza_proto::enrolments::evaluation_service_server::EvaluationServiceServer;
use hamafza_proto::enrolments::report_service_server::ReportServiceServer;
use tokio::net::TcpListener;
use tonic::service::interceptor::InterceptedService;

pub use api::EnrolmentsApi;
pub use courses_client::CoursesClient;
pub use store::{Migrator, Store};

/// The enrolments service, ready to serve: its store, its peers (courses for
/// session facts, certification for deliveries, notifications for what
/// people are told) and its workers' settings.
pub struct EnrolmentsService {
    store: Store,
    verifier: Arc<TokenVerifier>,
    courses: CoursesClient,
    certification: PeerChannel,
    notifications: PeerChannel,
    identity: Arc<ServiceToken>,
    grpc: GrpcConfig,
    workers: WorkersConfig,
    evaluations: EvaluationsConfig,
}

impl EnrolmentsService {
    /// The store, for seeding demo data.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The client of courses, calling as this service.
    pub fn courses(&self) -> &CoursesClient {
        &self.courses
    }
}

impl Service for EnrolmentsService {
    const NAME: &'static str = "enrolments";

    fn addr(config: &Config) -> std::net::SocketAddr {
        config.enrolments.addr
    }

    /// Peers are connected lazily: nothing is dialled until the first call,
    /// so courses and certification may start after this service.
    async fn build(config: &Config, shared: &Shared) -> anyhow::Result<Self> {
        let db = shared
            .database::<Migrator>(config, ServiceName::Enrolments)
            .await?;
        let identity = shared
            .identity(Self::NAME)
            .context("the enrolments service's own identity")?;
        let courses = peer("courses", &config.courses.url())?;
        let certification = peer("certification", &config.certification.url())?;
        let notifications = peer("notifications", &config.notifications.url())?;
        Ok(Self {
            store: Store::new(db),
            verifier: Arc::clone(&shared.verifier),
            courses: CoursesClient::new(courses, Arc::clone(&identity)),
            certification,
            notifications,
            identity,
            grpc: config.grpc.clone(),
            workers: config.workers.clone(),
            evaluations: config.evaluations.clone(),
        })
    }

    async fn serve(self, listener: TcpListener, shutdown: Shutdown) -> Result<(), ServeError> {
        let api = EnrolmentsApi::new(self.store.clone(), self.courses.clone())
            .with_evaluations(self.evaluations);
        let dispatcher = tokio::spawn(outbox::run(
            self.store.clone(),
            self.certification,
            Arc::clone(&self.identity),
            self.workers.clone(),
            shutdown.clone(),
        ));
        let notifier = tokio::spawn(notify::run(
            self.store.clone(),
            self.notifications,
            self.identity,
            self.workers.clone(),
            shutdown.clone(),
        ));
        let directory = tokio::spawn(self.courses.clone().follow_directory(
            Duration::from_millis(self.workers.directory_poll_millis),
            shutdown.clone(),
        ));
        let rollups = tokio::spawn(rollups::run(self.store.clone(), shutdown.clone()));
        let purge = tokio::spawn(hamafza_kit::retention::run(
            self.store.connection().clone(),
            self.store.purges(&self.workers),
            self.workers.purge_every(),
            shutdown.clone(),
        ));
        let reconciler = tokio::spawn(reconcile::run(
            self.store,
            self.courses,
            self.workers,
            shutdown.clone(),
        ));
        let auth = AuthInterceptor::new(self.verifier);
        let limit = self.grpc.max_message_bytes;
        let served = GrpcServer::new(&self.grpc)
            .add_service(InterceptedService::new(
                EnrolmentServiceServer::new(api.clone())
                    .max_decoding_message_size(limit)
                    .max_encoding_message_size(limit),
                auth.clone(),
            ))
            .add_service(InterceptedService::new(
                EvaluationServiceServer::new(api.clone())
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
        notifier.abort();
        reconciler.abort();
        directory.abort();
        rollups.abort();
        purge.abort();
        served
    }
}
