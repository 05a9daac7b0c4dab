//! The library service: the member companies' shared PR practice — case
//! studies, campaign reports, media kits, exhibition post-mortems and session
//! materials — drafted by a company, approved by the council or an admin,
//! then visible to every member company, with files in an object store.
//!
//! `api` checks calls, `domain` holds who sees and edits what, `files` the
//! object store and what a file may be, `store` the SQL, `demo` the demo
//! items. Organizations, courses and events stay with courses: an item
//! carries their ids, and membership is asked of courses over its contract.

pub mod api;
pub mod demo;
pub mod domain;
pub mod files;
pub mod store;

use std::sync::Arc;

use anyhow::Context;
use hamafza_kit::auth::{AuthInterceptor, TokenVerifier};
use hamafza_kit::config::{Config, GrpcConfig, ServiceName};
use hamafza_kit::grpc::{GrpcServer, ServeError, peer};
use hamafza_kit::peers::CoursesClient;
use hamafza_kit::service::{Service, Shared};
use hamafza_kit::shutdown::Shutdown;
use hamafza_proto::library::library_service_server::LibraryServiceServer;
use tokio::net::TcpListener;
use tonic::service::interceptor::InterceptedService;

pub use api::LibraryApi;
pub use files::Files;
pub use store::{Migrator, Store};

/// Room for the other fields of an upload beyond the file itself, so a file
/// a little over the limit is refused by the handler with its reason.
const UPLOAD_SLACK: usize = 1024 * 1024;

/// The library service, ready to serve: its store, its files, and courses
/// for membership.
pub struct LibraryService {
    store: Store,
    files: Files,
    verifier: Arc<TokenVerifier>,
    courses: CoursesClient,
    max_file_bytes: usize,
    grpc: GrpcConfig,
    workers: hamafza_kit::config::WorkersConfig,
}

impl LibraryService {
    /// The store.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Where the files are kept.
    pub fn files(&self) -> &Files {
        &self.files
    }
}

impl Service for LibraryService {
    const NAME: &'static str = "library";

    fn addr(config: &Config) -> std::net::SocketAddr {
        config.library.addr
    }

    async fn build(config: &Config, shared: &Shared) -> anyhow::Result<Self> {
        let db = shared
            .database::<Migrator>(config, ServiceName::Library)
            .await?;
        let identity = shared
            .identity(Self::NAME)
            .context("the library service's own identity")?;
        let courses = CoursesClient::as_service(peer("courses", &config.courses.url())?, identity);
        let files = Files::from_config(config)?;
        tracing::info!(store = %files.describe, "library: where files are kept");
        Ok(Self {
            store: Store::new(db),
            files,
            verifier: Arc::clone(&shared.verifier),
            courses,
            max_file_bytes: config.library_store.max_file_bytes,
            grpc: config.grpc.clone(),
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
        let api = LibraryApi::new(self.store, self.files, self.courses, self.max_file_bytes);
        let limit = self.grpc.max_message_bytes;
        let upload = limit.max(self.max_file_bytes.saturating_add(UPLOAD_SLACK));
        let served = GrpcServer::new(&self.grpc)
            .add_service(InterceptedService::new(
                LibraryServiceServer::new(api)
                    .max_decoding_message_size(upload)
                    .max_encoding_message_size(limit),
                AuthInterceptor::new(self.verifier),
            ))
            .serve(listener, shutdown)
            .await;
        purge.abort();
        served
    }
}
