//! The courses service: the catalog of the holding's training program
//! (organizations, programs, courses, sessions, events) and the policy
//! council's approval of programs and courses.
//!
//! `api` translates the wire and checks access, `domain` holds the rules,
//! `store` holds the SQL. [`serve`] is the one entry point, used alike by
//! `hamafza up`, `hamafza serve courses` and the tests.

pub mod api;
pub mod demo;
pub mod domain;
pub mod store;

use std::sync::Arc;

use hamafza_kit::auth::{AuthInterceptor, TokenVerifier};
use hamafza_kit::config::Config;
use hamafza_kit::grpc::{GrpcServer, ServeError};
use hamafza_kit::shutdown::Shutdown;
use hamafza_proto::courses::course_service_server::CourseServiceServer;
use hamafza_proto::courses::event_service_server::EventServiceServer;
use hamafza_proto::courses::organization_service_server::OrganizationServiceServer;
use hamafza_proto::courses::session_service_server::SessionServiceServer;
use sea_orm::DatabaseConnection;
use tokio::net::TcpListener;
use tonic::service::interceptor::InterceptedService;

pub use api::CoursesApi;
pub use store::{Migrator, Store};

/// Serves the courses service on `listener` until `shutdown` fires. `db` must
/// be migrated ([`Migrator`]).
pub async fn serve(
    config: &Config,
    db: DatabaseConnection,
    verifier: Arc<TokenVerifier>,
    listener: TcpListener,
    shutdown: Shutdown,
) -> Result<(), ServeError> {
    let api = CoursesApi::new(Store::new(db), config.council.required_approvals);
    let auth = AuthInterceptor::new(verifier);
    let limit = config.grpc.max_message_bytes;
    GrpcServer::new(&config.grpc)
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
            EventServiceServer::new(api)
                .max_decoding_message_size(limit)
                .max_encoding_message_size(limit),
            auth,
        ))
        .serve(listener, shutdown)
        .await
}
