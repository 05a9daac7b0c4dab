//! The certification service: certificates that anyone can verify offline.
//! Each certificate is a signed W3C Verifiable Credential (Open Badges 3.0,
//! VC-JWT with EdDSA); the issuer's public keys are published as a JWKS, and
//! revocation, expiry and supersession are answered by `VerifyCertificate`.

pub mod api;
pub mod courses_client;
pub mod domain;
pub mod keys;
pub mod store;

use std::sync::Arc;

use hamafza_kit::auth::{AuthInterceptor, ServiceToken, TokenVerifier};
use hamafza_kit::config::Config;
use hamafza_kit::grpc::{GrpcServer, ServeError};
use hamafza_kit::shutdown::Shutdown;
use hamafza_proto::certification::certification_service_server::CertificationServiceServer;
use sea_orm::DatabaseConnection;
use tokio::net::TcpListener;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;

pub use api::CertificationApi;
pub use keys::IssuerKeys;
pub use store::{Migrator, Store};

/// A lazily connected channel to the courses service: certification may start first.
pub fn courses_channel(config: &Config) -> Result<Channel, tonic::transport::Error> {
    hamafza_kit::grpc::peer_channel(
        &config.courses.url(),
        std::time::Duration::from_secs(5),
        std::time::Duration::from_secs(15),
    )
}

/// Serves the certification service on `listener` until `shutdown` fires.
#[allow(clippy::too_many_arguments)]
/// `db` must be migrated ([`Migrator`]); the signing key is published first.
pub async fn serve(
    config: &Config,
    db: DatabaseConnection,
    verifier: Arc<TokenVerifier>,
    keys: Arc<IssuerKeys>,
    courses: Channel,
    identity: Arc<ServiceToken>,
    listener: TcpListener,
    shutdown: Shutdown,
) -> Result<(), ServeError> {
    let store = Store::new(db);
    // A key that is not published could sign certificates nobody can verify.
    keys.publish(&store)
        .await
        .map_err(|error| ServeError::Startup(format!("publishing the signing key: {error}")))?;
    let courses = courses_client::CoursesClient::new(courses, identity);
    let api = CertificationApi::new(store, courses, keys, config.credentials.clone());
    let limit = config.grpc.max_message_bytes;
    GrpcServer::new(&config.grpc)
        .add_service(InterceptedService::new(
            CertificationServiceServer::new(api)
                .max_decoding_message_size(limit)
                .max_encoding_message_size(limit),
            AuthInterceptor::new(verifier),
        ))
        .serve(listener, shutdown)
        .await
}
