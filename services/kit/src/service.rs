//! The one shape every service has: [`Service::build`] from the configuration
//! and what the services of a process share ([`Shared`]), then
//! [`Service::serve`] on an already-bound listener until shutdown. `hamafza
//! up`, `hamafza serve <service>` and every test harness start services only
//! this way, so adding a peer or a worker to a service is one edit in it.

use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use sea_orm::DatabaseConnection;
use sea_orm_migration::MigratorTrait;
use tokio::net::TcpListener;

use crate::auth::{DevIssuer, KeyError, ServiceToken, TokenVerifier};
use crate::config::{AuthConfig, Config, ServiceName};
use crate::db;
use crate::grpc::ServeError;
use crate::shutdown::Shutdown;

/// A service of the platform.
pub trait Service: Sized + Send + 'static {
    /// Its name in logs and errors.
    const NAME: &'static str;

    /// Where it listens by default (`HAMAFZA_<NAME>_ADDR`).
    fn addr(config: &Config) -> SocketAddr;

    /// Prepares everything the service needs to serve: its database
    /// (migrated, or checked to be, per [`Shared::migrations`]), its peers'
    /// clients and its workers.
    fn build(config: &Config, shared: &Shared)
    -> impl Future<Output = anyhow::Result<Self>> + Send;

    /// Serves on `listener`, and runs the workers, until `shutdown` fires.
    fn serve(
        self,
        listener: TcpListener,
        shutdown: Shutdown,
    ) -> impl Future<Output = Result<(), ServeError>> + Send;
}

/// What to do with a database's pending migrations when a service is built.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Migrations {
    /// Apply them (`hamafza up`, tests): one process owns the databases.
    Apply,
    /// Refuse to start while any is pending (`hamafza serve`): replicas must
    /// not race to migrate; `hamafza migrate` runs once before them.
    Require,
}

/// What the services of one process share.
#[derive(Clone)]
pub struct Shared {
    /// Verifies callers' tokens; one cache of verified tokens per process.
    pub verifier: Arc<TokenVerifier>,
    /// Whether building applies migrations or requires them applied.
    pub migrations: Migrations,
    identities: Identities,
}

/// Where a service's own identity (its service token) comes from.
#[derive(Clone)]
enum Identities {
    /// The configured token file, or the development issuer in the data dir.
    Configured {
        auth: Box<AuthConfig>,
        data_dir: PathBuf,
    },
    /// Minted by this issuer (tests).
    Minted(Box<DevIssuer>),
}

impl Shared {
    /// The verifier and service identities the configuration describes.
    pub async fn from_config(config: &Config, migrations: Migrations) -> anyhow::Result<Self> {
        let verifier = TokenVerifier::from_config(&config.auth, &config.data_dir)
            .await
            .context("loading the keys that verify tokens")?;
        Ok(Self {
            verifier,
            migrations,
            identities: Identities::Configured {
                auth: Box::new(config.auth.clone()),
                data_dir: config.data_dir.clone(),
            },
        })
    }

    /// Services whose identities `issuer` mints and whose callers `verifier`
    /// checks; databases are migrated when built (tests).
    pub fn with_issuer(verifier: Arc<TokenVerifier>, issuer: DevIssuer) -> Self {
        Self {
            verifier,
            migrations: Migrations::Apply,
            identities: Identities::Minted(Box::new(issuer)),
        }
    }

    /// The identity `service` carries on the calls it makes on its own behalf.
    pub fn identity(&self, service: &str) -> Result<Arc<ServiceToken>, KeyError> {
        Ok(Arc::new(match &self.identities {
            Identities::Configured { auth, data_dir } => {
                ServiceToken::from_config(auth, data_dir, service)?
            }
            Identities::Minted(issuer) => ServiceToken::minted((**issuer).clone(), service),
        }))
    }

    /// Opens `service`'s database, applying or requiring its migrations.
    pub async fn database<M: MigratorTrait>(
        &self,
        config: &Config,
        service: ServiceName,
    ) -> anyhow::Result<DatabaseConnection> {
        let url = config.database_url(service)?;
        let name = service.as_str();
        match self.migrations {
            Migrations::Apply => db::connect_and_migrate::<M>(&url)
                .await
                .with_context(|| format!("preparing the {name} database")),
            Migrations::Require => {
                let db = db::connect(&url)
                    .await
                    .with_context(|| format!("connecting to the {name} database"))?;
                let pending = M::get_pending_migrations(&db).await?;
                if !pending.is_empty() {
                    anyhow::bail!(
                        "the {name} database has {} pending migrations; \
                         run `hamafza migrate` first",
                        pending.len()
                    );
                }
                Ok(db)
            }
        }
    }
}
