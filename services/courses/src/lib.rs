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

use hamafza_kit::auth::{AuthInterceptor, TokenVerifier};
use hamafza_kit::config::{Config, GrpcConfig, ServiceName};
use hamafza_kit::grpc::{GrpcServer, ServeError};
use hamafza_kit::service::{Service, Shared};
use hamafza_kit::shutdown::Shutdown;
use hamafza_proto::courses::course_service_server::CourseServiceServer;
use hamafza_proto::courses::event_service_server::EventServiceServer;
use hamafza_proto::courses::organization_service_server::OrganizationServiceServer;
use hamafza_proto::courses::person_service_server::PersonServiceServer;
use hamafza_proto::courses::session_service_server::SessionServiceServer;
use tokio::net::TcpListener;
use tonic::service::interceptor::InterceptedService;

pub use api::CoursesApi;
pub use store::{Migrator, Store};

/// The courses service, ready to serve.
pub struct CoursesService {
    store: Store,
    verifier: Arc<TokenVerifier>,
    grpc: GrpcConfig,
    required_approvals: u32,
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
        Ok(Self {
            store,
            verifier: Arc::clone(&shared.verifier),
            grpc: config.grpc.clone(),
            required_approvals: config.council.required_approvals,
        })
    }

    async fn serve(self, listener: TcpListener, shutdown: Shutdown) -> Result<(), ServeError> {
        let api = CoursesApi::new(self.store, self.required_approvals);
        let auth = AuthInterceptor::new(self.verifier);
        let limit = self.grpc.max_message_bytes;
        GrpcServer::new(&self.grpc)
            .add_service(InterceptedService::new(
                CourseServiceServer::new(api.clone())
                    .max_decoding_message_size(limit)
                    .max_encoding_message_size(limit),
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
            .await
    }
}
