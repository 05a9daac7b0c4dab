//! The certification service: certificates that anyone can verify offline.
//! Each certificate is a signed W3C Verifiable Credential (Open Badges 3.0,
//! VC-JWT with EdDSA); the issuer's public keys are published as a JWKS, and
//! revocation, expiry and supersession are answered by `VerifyCertificate`.

pub mod api;
pub mod courses_client;
pub mod document;
pub mod domain;
pub mod keys;
pub mod store;

use std::sync::Arc;

use anyhow::Context;
use hamafza_kit::auth::{AuthInterceptor, TokenVerifier};
use hamafza_kit::config::{Config, CredentialsConfig, GrpcConfig, ServiceName};
use hamafza_kit::grpc::{GrpcServer, ServeError, peer};
use hamafza_kit::service::{Service, Shared};
use hamafza_kit::shutdown::Shutdown;
use hamafza_proto::certification::certification_service_server::CertificationServiceServer;
use tokio::net::TcpListener;
use tonic::service::interceptor::InterceptedService;

pub use api::CertificationApi;
pub use courses_client::CoursesClient;
pub use keys::IssuerKeys;
pub use store::{Migrator, Store};

/// The certification service, ready to serve: its store, its signing key
/// (published before the first call), and courses for course facts.
pub struct CertificationService {
    store: Store,
    verifier: Arc<TokenVerifier>,
    keys: Arc<IssuerKeys>,
    courses: CoursesClient,
    grpc: GrpcConfig,
    credentials: CredentialsConfig,
    workers: hamafza_kit::config::WorkersConfig,
}

impl Service for CertificationService {
    const NAME: &'static str = "certification";

    fn addr(config: &Config) -> std::net::SocketAddr {
        config.certification.addr
    }

    async fn build(config: &Config, shared: &Shared) -> anyhow::Result<Self> {
        let db = shared
            .database::<Migrator>(config, ServiceName::Certification)
            .await?;
        let store = Store::new(db);
        let keys = Arc::new(IssuerKeys::from_config(config).context("the signing key")?);
        // A key that is not published could sign certificates nobody can verify.
        keys.publish(&store)
            .await
            .map_err(|error| anyhow::anyhow!("publishing the signing key: {error}"))?;
        let identity = shared
            .identity(Self::NAME)
            .context("the certification service's own identity")?;
        // Lazily connected: certification may start before courses.
        let courses = CoursesClient::new(peer("courses", &config.courses.url())?, identity);
        Ok(Self {
            store,
            verifier: Arc::clone(&shared.verifier),
            keys,
            courses,
            grpc: config.grpc.clone(),
            credentials: config.credentials.clone(),
            workers: config.workers.clone(),
        })
    }

    async fn serve(self, listener: TcpListener, shutdown: Shutdown) -> Result<(), ServeError> {
        let purge = tokio::spawn(hamafza_kit::retention::run(
            self.store.connection().clone(),
            self.store.purges(&self.workers),
            self.workers.purge_every(),
            shutdown.clone(),
        ));
        let api = CertificationApi::new(self.store, self.courses, self.keys, self.credentials);
        let limit = self.grpc.max_message_bytes;
        let served = GrpcServer::new(&self.grpc)
            .add_service(InterceptedService::new(
                CertificationServiceServer::new(api)
                    .max_decoding_message_size(limit)
                    .max_encoding_message_size(limit),
                AuthInterceptor::new(self.verifier),
            ))
            .serve(listener, shutdown)
            .await;
        purge.abort();
        served
    }
}
