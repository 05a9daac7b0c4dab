//! What the services send out to: the SMTP relay for mail and the object
//! store for the library's files.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::ConfigError;

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
    /// Failed attempts after which an email the relay refused for good (a
    /// permanent 5xx, an address that is not one) is parked with its last
    /// error.
    pub max_attempts: u32,
    /// How long an email the relay could not take for a while (unreachable,
    /// silent, a temporary 4xx) is retried before it is parked, in hours,
    /// however many attempts that takes: an outage of the relay loses no
    /// mail. 0 parks it after `max_attempts` as any other.
    pub retry_hours: u32,
}

impl Default for MailConfig {
    fn default() -> Self {
        Self {
            smtp_url: None,
            smtp_url_file: None,
            from: "هم‌افزا <no-reply@hamafza.localhost>".to_owned(),
            max_attempts: 10,
            retry_hours: 48,
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

/// Where the library keeps its files (`HAMAFZA_LIBRARY_STORE_URL`, …) and
/// their limits.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct LibraryStoreConfig {
    /// `file:///var/lib/hamafza/library` (a directory) or `s3://bucket` (an
    /// S3-compatible store: MinIO, Ceph, AWS). Unset means the directory
    /// `library/` in the data directory.
    pub url: Option<String>,
    /// The S3 endpoint, e.g. `http://minio:9000`; unset means AWS.
    pub endpoint: Option<String>,
    /// The S3 region (`us-east-1` for MinIO).
    pub region: String,
    /// The S3 access key id.
    pub access_key_id: Option<String>,
    /// The S3 secret access key.
    pub secret_access_key: Option<String>,
    /// A file holding the secret access key (a secret); wins over
    /// `secret_access_key`.
    pub secret_access_key_file: Option<PathBuf>,
    /// Largest file accepted, in bytes (20 MiB by default).
    pub max_file_bytes: usize,
}

impl Default for LibraryStoreConfig {
    fn default() -> Self {
        Self {
            url: None,
            endpoint: None,
            region: "us-east-1".to_owned(),
            access_key_id: None,
            secret_access_key: None,
            secret_access_key_file: None,
            max_file_bytes: 20 * 1024 * 1024,
        }
    }
}

impl LibraryStoreConfig {
    /// The secret access key, read from its file when one is named.
    pub fn secret(&self) -> Result<Option<String>, ConfigError> {
        if let Some(file) = &self.secret_access_key_file {
            return std::fs::read_to_string(file)
                .map(|key| Some(key.trim().to_owned()))
                .map_err(|error| ConfigError(format!("reading {}: {error}", file.display())));
        }
        Ok(self.secret_access_key.clone())
    }
}
