//! Layered configuration: built-in defaults, then an optional TOML file, then
//! `HAMAFZA_*` environment variables (e.g. `HAMAFZA_COURSES_ADDR`,
//! `HAMAFZA_COURSES_DATABASE_URL`, `HAMAFZA_AUTH_JWKS_URL`).

use std::path::{Path, PathBuf};

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};

/// Environment variable naming the optional TOML configuration file.
pub const CONFIG_FILE_ENV: &str = "HAMAFZA_CONFIG";

/// Sections of [`Config`]; `HAMAFZA_<SECTION>_<KEY>` sets `<section>.<key>`.
const SECTIONS: [&str; 17] = [
    "auth",
    "evaluations",
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
    // Before "library": `HAMAFZA_LIBRARY_STORE_URL` is `library_store.url`.
    "library_store",
    "library",
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
    /// Course evaluations: the minimum count and the edit window.
    pub evaluations: EvaluationsConfig,
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
    /// The shared library of PR practice.
    pub library: ServiceConfig,
    /// Where the library keeps its files, and their limits.
    pub library_store: LibraryStoreConfig,
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
            evaluations: EvaluationsConfig::default(),
            workers: WorkersConfig::default(),
            credentials: CredentialsConfig::default(),
            oidc: OidcConfig::default(),
            web: WebConfig::default(),
            courses: ServiceConfig::on_port(50051),
            enrolments: ServiceConfig::on_port(50052),
            certification: ServiceConfig::on_port(50053),
            notifications: ServiceConfig::on_port(50054),
            mail: MailConfig::default(),
            library: ServiceConfig::on_port(50055),
            library_store: LibraryStoreConfig::default(),
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
    /// The shared library of PR practice.
    Library,
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
            Self::Library => "library",
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
            ServiceName::Library => &self.library,
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

mod identity;
mod outbound;
mod process;
mod program;

pub use identity::{AuthConfig, OidcConfig, WebConfig};
pub use outbound::{LibraryStoreConfig, MailConfig};
pub use process::{GrpcConfig, LogConfig, LogFormat, ServiceConfig, WorkersConfig};
pub use program::{Bilingual, CouncilConfig, CredentialsConfig, EvaluationsConfig, Signatory};

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
    fn admission_defaults_and_their_environment_overrides() {
        let grpc = GrpcConfig::default();
        assert_eq!(grpc.max_concurrent_calls, 256);
        assert_eq!(grpc.admission_wait_millis, 100);
        Jail::expect_with(|jail| {
            jail.set_env("HAMAFZA_GRPC_MAX_CONCURRENT_CALLS", "3");
            jail.set_env("HAMAFZA_GRPC_ADMISSION_WAIT_MILLIS", "40");
            let config = Config::load(None).map_err(|e| e.to_string())?;
            assert_eq!(config.grpc.max_concurrent_calls, 3);
            assert_eq!(config.grpc.admission_wait_millis, 40);
            Ok(())
        });
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
    fn signatories_come_from_the_file_in_order() {
        Jail::expect_with(|jail| {
            jail.create_file(
                "hamafza.toml",
                r#"
                [[credentials.signatories]]
                name = { fa = "مریم کاظمی", en = "Maryam Kazemi" }
                title = { fa = "معاون آموزش", en = "Deputy for Training" }
                organization = { fa = "ایمیدرو", en = "IMIDRO" }
                [[credentials.signatories]]
                title = { fa = "مدیر روابط عمومی", en = "PR Manager" }
                trainee_organization = true
                [[credentials.signatories_by_course."0193a3a0-0000-7000-8000-000000000001"]]
                title = { fa = "مدرس", en = "Instructor" }
                "#,
            )?;
            let config =
                Config::load(Some(Path::new("hamafza.toml"))).map_err(|e| e.to_string())?;
            let signatories = &config.credentials.signatories;
            assert_eq!(signatories.len(), 2, "the file's list replaces the default");
            assert_eq!(signatories[0].name.en, "Maryam Kazemi");
            assert!(!signatories[0].trainee_organization);
            assert!(signatories[1].name.fa.is_empty() && signatories[1].trainee_organization);
            let by_course = &config.credentials.signatories_by_course;
            assert_eq!(
                by_course["0193a3a0-0000-7000-8000-000000000001"][0]
                    .title
                    .en,
                "Instructor"
            );
            Ok(())
        });
        assert_eq!(Config::default().credentials.signatories.len(), 2);
    }

    #[test]
    fn the_library_store_has_its_own_section() {
        Jail::expect_with(|jail| {
            jail.set_env("HAMAFZA_LIBRARY_ADDR", "0.0.0.0:7055");
            jail.set_env("HAMAFZA_LIBRARY_STORE_URL", "s3://hamafza-library");
            jail.set_env("HAMAFZA_LIBRARY_STORE_MAX_FILE_BYTES", "1024");
            let config = Config::load(None).map_err(|e| e.to_string())?;
            assert_eq!(config.library.addr.to_string(), "0.0.0.0:7055");
            assert_eq!(
                config.library_store.url.as_deref(),
                Some("s3://hamafza-library")
            );
            assert_eq!(config.library_store.max_file_bytes, 1024);
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
