//! Layered configuration: built-in defaults, then an optional TOML file, then
//! `HAMAFZA_*` environment variables (e.g. `HAMAFZA_COURSES_ADDR`,
//! `HAMAFZA_COURSES_DATABASE_URL`, `HAMAFZA_AUTH_JWKS_URL`).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};

/// Environment variable naming the optional TOML configuration file.
pub const CONFIG_FILE_ENV: &str = "HAMAFZA_CONFIG";

/// Sections of [`Config`]; `HAMAFZA_<SECTION>_<KEY>` sets `<section>.<key>`.
const SECTIONS: [&str; 14] = [
    "auth",
    "web",
    "oidc",
    "credentials",
    "workers",
    "grpc",
    "log",
    "council",
    "courses",
    "enrolments",
    "certification",
    "notifications",
    "mail",
    "gateway",
];

/// Everything a Hamafza process can be configured with.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct Config {
    /// Where embedded SQLite databases and development keys live.
    pub data_dir: PathBuf,
    /// Logging.
    pub log: LogConfig,
    /// Token verification.
    pub auth: AuthConfig,
    /// gRPC server limits and shutdown.
    pub grpc: GrpcConfig,
    /// The policy council's approval rule.
    pub council: CouncilConfig,
    /// Background workers (outbox delivery, reconciliation).
    pub workers: WorkersConfig,
    /// The certificates' issuer: signing key, name, public address.
    pub credentials: CredentialsConfig,
    /// The organization's identity provider, for signing in to the web app.
    pub oidc: OidcConfig,
    /// The web app's sessions.
    pub web: WebConfig,
    /// The courses service.
    pub courses: ServiceConfig,
    /// The enrolments service.
    pub enrolments: ServiceConfig,
    /// The certification service.
    pub certification: ServiceConfig,
    /// The notifications service.
    pub notifications: ServiceConfig,
    /// How notifications send email.
    pub mail: MailConfig,
    /// The web gateway.
    pub gateway: ServiceConfig,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            data_dir: PathBuf::from("data"),
            log: LogConfig::default(),
            auth: AuthConfig::default(),
            grpc: GrpcConfig::default(),
            council: CouncilConfig::default(),
            workers: WorkersConfig::default(),
            credentials: CredentialsConfig::default(),
            oidc: OidcConfig::default(),
            web: WebConfig::default(),
            courses: ServiceConfig::on_port(50051),
            enrolments: ServiceConfig::on_port(50052),
            certification: ServiceConfig::on_port(50053),
            notifications: ServiceConfig::on_port(50054),
            mail: MailConfig::default(),
            gateway: ServiceConfig::on_port(8080),
        }
    }
}

/// The services that own a database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServiceName {
    /// The catalog.
    Courses,
    /// Enrolments, seats and completions.
    Enrolments,
    /// Certificates.
    Certification,
    /// The web app's sessions (no business data).
    Gateway,
    /// Notifications, inboxes and email delivery.
    Notifications,
}

impl ServiceName {
    /// The lowercase name, as used in file names and `hamafza serve`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Courses => "courses",
            Self::Enrolments => "enrolments",
            Self::Certification => "certification",
            Self::Gateway => "gateway",
            Self::Notifications => "notifications",
        }
    }
}

impl Config {
    /// Loads defaults, then the TOML file at `file` (or `$HAMAFZA_CONFIG`) if
    /// any, then the environment.
    pub fn load(file: Option<&Path>) -> Result<Self, ConfigError> {
        let file = file
            .map(Path::to_path_buf)
            .or_else(|| std::env::var_os(CONFIG_FILE_ENV).map(PathBuf::from));
        let mut figment = Figment::from(Serialized::defaults(Config::default()));
        if let Some(file) = &file {
            if !file.exists() {
                return Err(ConfigError(format!(
                    "configuration file {} does not exist",
                    file.display()
                )));
            }
            figment = figment.merge(Toml::file(file));
        }
        figment = figment.merge(hamafza_env());
        figment
            .extract()
            .map_err(|error| ConfigError(error.to_string()))
    }

    /// The configuration of a database-owning service.
    pub fn service(&self, name: ServiceName) -> &ServiceConfig {
        match name {
            ServiceName::Courses => &self.courses,
            ServiceName::Enrolments => &self.enrolments,
            ServiceName::Certification => &self.certification,
            ServiceName::Gateway => &self.gateway,
            ServiceName::Notifications => &self.notifications,
        }
    }

    /// The database URL of a service: the configured one (or the content of
    /// the file named by `database_url_file`, e.g. a compose secret holding
    /// the password), or else an embedded SQLite file in the data directory.
    pub fn database_url(&self, name: ServiceName) -> Result<String, ConfigError> {
        let service = self.service(name);
        if let Some(file) = &service.database_url_file {
            return std::fs::read_to_string(file)
                .map(|url| url.trim().to_owned())
                .map_err(|error| ConfigError(format!("reading {}: {error}", file.display())));
        }
        Ok(match &service.database_url {
            Some(url) => url.clone(),
            None => format!(
                "sqlite://{}?mode=rwc",
                self.data_dir
                    .join(format!("{}.db", name.as_str()))
                    .display()
            ),
        })
    }
}

/// Maps `HAMAFZA_COURSES_DATABASE_URL` to `courses.database_url`, and
/// `HAMAFZA_DATA_DIR` to `data_dir`.
fn hamafza_env() -> Env {
    Env::prefixed("HAMAFZA_")
        .ignore(&["CONFIG", "TEST_DATABASE_URL"])
        .map(|key| {
            let key = key.as_str().to_ascii_lowercase();
            for section in SECTIONS {
                if let Some(rest) = key.strip_prefix(section).and_then(|k| k.strip_prefix('_')) {
                    return format!("{section}.{rest}").into();
                }
            }
            key.into()
        })
}

/// A configuration that could not be loaded, with figment's explanation.
#[derive(Debug, thiserror::Error)]
#[error("invalid configuration: {0}")]
pub struct ConfigError(String);

/// Log output.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct LogConfig {
    /// `pretty` for people, `json` for log collectors.
    pub format: LogFormat,
    /// A `tracing` filter, e.g. `info,hamafza_courses=debug`; `RUST_LOG` wins.
    pub filter: String,
}

impl Default for LogConfig {
    fn default() -> Self {
        Self {
            format: LogFormat::Pretty,
            filter: "info,sqlx=warn,sea_orm=warn,h2=warn,tower=warn".to_owned(),
        }
    }
}

/// Log line format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable, coloured when on a terminal.
    Pretty,
    /// One JSON object per line.
    Json,
}

/// How tokens are verified.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct AuthConfig {
    /// Required `iss` claim.
    pub issuer: String,
    /// Required `aud` claim.
    pub audience: String,
    /// A JWKS file holding the issuer's public keys.
    pub jwks_file: Option<PathBuf>,
    /// A JWKS URL (e.g. the identity provider's `jwks_uri`), fetched at start
    /// and re-fetched when a token names an unknown key.
    pub jwks_url: Option<String>,
    /// How many verified tokens to remember, so repeated calls skip the
    /// signature check.
    pub token_cache_capacity: usize,
    /// A file holding the token services use to call each other (kept fresh
    /// by the platform); unset with the development issuer, which mints them.
    pub service_token_file: Option<PathBuf>,
    /// Whether, with no JWKS configured, the development issuer in the data
    /// directory may be trusted. `hamafza up` turns it on; a deployed service
    /// refuses to start without an identity provider unless it is set.
    pub allow_dev_issuer: bool,
}

impl Default for AuthConfig {
    fn default() -> Self {
        Self {
            issuer: "hamafza-dev".to_owned(),
            audience: "hamafza".to_owned(),
            jwks_file: None,
            jwks_url: None,
            token_cache_capacity: 10_000,
            service_token_file: None,
            allow_dev_issuer: false,
        }
    }
}

impl AuthConfig {
    /// Whether no identity provider is configured, so the development issuer
    /// in the data directory is used.
    pub fn uses_dev_issuer(&self) -> bool {
        self.jwks_file.is_none() && self.jwks_url.is_none()
    }
}

/// gRPC server settings shared by every service.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct GrpcConfig {
    /// Largest message accepted or sent, in bytes.
    pub max_message_bytes: usize,
    /// Longest a graceful shutdown waits for in-flight calls, in seconds.
    pub shutdown_grace_seconds: u64,
    /// Longest one call may wait to start (with `admission_wait_millis`, the
    /// shorter wins). A call that has started is never cut off: it runs to
    /// its end and answers truthfully.
    pub request_timeout_seconds: u64,
    /// Most calls one server runs at once (health checks aside); sized to
    /// the database pool, which bounds the work that can progress anyway.
    pub max_concurrent_calls: usize,
    /// How long a call waits for room before it is refused with
    /// `RESOURCE_EXHAUSTED`, in milliseconds.
    pub admission_wait_millis: u64,
}

impl Default for GrpcConfig {
    fn default() -> Self {
        Self {
            max_message_bytes: 4 * 1024 * 1024,
            shutdown_grace_seconds: 10,
            request_timeout_seconds: 30,
            max_concurrent_calls: 256,
            admission_wait_millis: 500,
        }
    }
}

impl GrpcConfig {
    /// The shutdown grace period.
    pub fn shutdown_grace(&self) -> Duration {
        Duration::from_secs(self.shutdown_grace_seconds)
    }
}

/// The council's approval rule.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct CouncilConfig {
    /// Approvals a submission needs in one round to be approved.
    pub required_approvals: u32,
}

impl Default for CouncilConfig {
    fn default() -> Self {
        Self {
            required_approvals: 2,
        }
    }
}

/// The certificates' issuer.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct CredentialsConfig {
    /// The Ed25519 private key (PKCS#8 PEM) that signs new certificates; a
    /// compose secret in production. Unset with `auth.allow_dev_issuer` means
    /// a development key in the data directory. Swapping the file rotates the
    /// key: keys used before stay published, so old certificates still verify.
    pub signing_key_file: Option<PathBuf>,
    /// The issuer's name in every credential.
    pub issuer_name: String,
    /// Where the public web app answers (the credential's issuer id and the
    /// base of verification links), e.g. `https://training.imidro.example`.
    pub public_base_url: String,
}

impl Default for CredentialsConfig {
    fn default() -> Self {
        Self {
            signing_key_file: None,
            issuer_name: "IMIDRO — Hamafza training program (ایمیدرو — هم‌افزا)".to_owned(),
            public_base_url: "http://127.0.0.1:8080".to_owned(),
        }
    }
}

/// Signing in to the web app through the organization's identity provider
/// (OpenID Connect, authorization code with PKCE).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct OidcConfig {
    /// The provider's issuer URL; unset turns provider sign-in off.
    pub issuer: Option<String>,
    /// The web app's client id at the provider.
    pub client_id: String,
    /// A file holding the client secret (a compose or Kubernetes secret).
    pub client_secret_file: Option<PathBuf>,
}

/// The web app's sessions.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct WebConfig {
    /// How long a browser stays signed in, in seconds.
    pub session_ttl_seconds: u64,
    /// How often expired sessions are deleted, in seconds.
    pub session_purge_seconds: u64,
}

impl Default for WebConfig {
    fn default() -> Self {
        Self {
            session_ttl_seconds: 8 * 3600,
            session_purge_seconds: 300,
        }
    }
}

/// How notifications send email (`HAMAFZA_MAIL_SMTP_URL`, `HAMAFZA_MAIL_FROM`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct MailConfig {
    /// The relay: `smtp://host:1025` (plain, as Mailpit), `smtp://user:pass@host:587?tls=required`
    /// (STARTTLS) or `smtps://user:pass@host` (TLS). Unset keeps messages in
    /// the data directory's development mailbox (`hamafza up`).
    pub smtp_url: Option<String>,
    /// A file holding the relay URL (a secret: it carries the password); wins
    /// over `smtp_url`.
    pub smtp_url_file: Option<PathBuf>,
    /// The sender, e.g. `هم‌افزا <training@imidro.example>`.
    pub from: String,
    /// Failed attempts after which an email is parked with its last error.
    pub max_attempts: u32,
}

impl Default for MailConfig {
    fn default() -> Self {
        Self {
            smtp_url: None,
            smtp_url_file: None,
            from: "هم‌افزا <no-reply@hamafza.localhost>".to_owned(),
            max_attempts: 10,
        }
    }
}

impl MailConfig {
    /// The relay URL, read from its file when one is named.
    pub fn relay(&self) -> Result<Option<String>, ConfigError> {
        if let Some(file) = &self.smtp_url_file {
            return std::fs::read_to_string(file)
                .map(|url| Some(url.trim().to_owned()))
                .map_err(|error| ConfigError(format!("reading {}: {error}", file.display())));
        }
        Ok(self.smtp_url.clone().filter(|url| !url.trim().is_empty()))
    }
}

/// Background workers.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct WorkersConfig {
    /// How often the outbox looks for deliveries that are due, in milliseconds.
    pub outbox_poll_millis: u64,
    /// The longest wait between two delivery attempts, in seconds.
    pub outbox_max_backoff_seconds: u64,
    /// How often enrolments checks courses for cancelled sessions, in seconds.
    pub reconcile_interval_seconds: u64,
}

impl Default for WorkersConfig {
    fn default() -> Self {
        Self {
            outbox_poll_millis: 500,
            outbox_max_backoff_seconds: 60,
            reconcile_interval_seconds: 15,
        }
    }
}

/// Where one service listens and keeps its data.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct ServiceConfig {
    /// Listen address (gRPC, or HTTP for the gateway).
    pub addr: SocketAddr,
    /// `postgres://…` or `sqlite://…`; unset means SQLite in the data dir.
    pub database_url: Option<String>,
    /// A file holding the database URL (a secret: it carries the password);
    /// wins over `database_url`.
    pub database_url_file: Option<PathBuf>,
    /// Where other services reach this one (`http://host:port`); unset means
    /// `http://<addr>`.
    pub url: Option<String>,
}

impl ServiceConfig {
    fn on_port(port: u16) -> Self {
        Self {
            addr: SocketAddr::from(([127, 0, 0, 1], port)),
            database_url: None,
            database_url_file: None,
            url: None,
        }
    }

    /// The URL other services use to reach this one.
    pub fn url(&self) -> String {
        self.url
            .clone()
            .unwrap_or_else(|| format!("http://{}", self.addr))
    }
}

impl Default for ServiceConfig {
    fn default() -> Self {
        Self::on_port(0)
    }
}

#[cfg(test)]
// figment's Jail returns its own (large) error type.
#[allow(clippy::result_large_err)]
mod tests {
    use super::*;
    use figment::Jail;

    #[test]
    fn defaults_match_the_architecture() {
        let config = Config::default();
        assert_eq!(config.courses.addr.to_string(), "127.0.0.1:50051");
        assert_eq!(config.enrolments.addr.to_string(), "127.0.0.1:50052");
        assert_eq!(config.certification.addr.to_string(), "127.0.0.1:50053");
        assert_eq!(config.gateway.addr.to_string(), "127.0.0.1:8080");
        assert_eq!(
            config.database_url(ServiceName::Courses).unwrap(),
            "sqlite://data/courses.db?mode=rwc"
        );
    }

    #[test]
    fn file_then_environment_override_defaults() {
        Jail::expect_with(|jail| {
            jail.create_file(
                "hamafza.toml",
                r#"
                data_dir = "/var/lib/hamafza"
                [courses]
                addr = "0.0.0.0:6000"
                [council]
                required_approvals = 5
                "#,
            )?;
            jail.set_env("HAMAFZA_COURSES_ADDR", "0.0.0.0:7000");
            jail.set_env("HAMAFZA_COURSES_DATABASE_URL", "postgres://db/courses");
            jail.set_env("HAMAFZA_AUTH_JWKS_URL", "https://idp/jwks");
            let config =
                Config::load(Some(Path::new("hamafza.toml"))).map_err(|e| e.to_string())?;
            assert_eq!(config.data_dir, PathBuf::from("/var/lib/hamafza"));
            assert_eq!(config.courses.addr.to_string(), "0.0.0.0:7000");
            assert_eq!(config.council.required_approvals, 5);
            assert_eq!(
                config.database_url(ServiceName::Courses).unwrap(),
                "postgres://db/courses"
            );
            assert_eq!(config.auth.jwks_url.as_deref(), Some("https://idp/jwks"));
            Ok(())
        });
    }

    #[test]
    fn a_bad_value_is_a_clear_error() {
        Jail::expect_with(|jail| {
            jail.set_env("HAMAFZA_COURSES_ADDR", "not an address");
            let error = Config::load(None).unwrap_err().to_string();
            assert!(error.contains("addr"), "{error}");
            Ok(())
        });
    }
}
