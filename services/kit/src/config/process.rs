//! How a process runs: its log, its gRPC server's limits, its background
//! workers, and where each service listens and keeps its data.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};

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
    /// Most calls one server runs at once (health checks aside). Default
    /// 256 ([`DEFAULT_MAX_CONCURRENT_CALLS`]): a bound on memory under
    /// overload, high enough that a burst of a few hundred callers (two
    /// enrolments replicas taking 160 at once) is queued, not refused.
    /// Lower it (e.g. to 2–4 × the database pool) where shedding early
    /// matters more than answering bursts; the fault suite runs with 16.
    pub max_concurrent_calls: usize,
    /// How long a call waits for room before it is refused with
    /// `RESOURCE_EXHAUSTED`, in milliseconds. Default 100
    /// ([`DEFAULT_ADMISSION_WAIT_MILLIS`]): a place frees within a
    /// transaction's time, so a longer wait only turns overload into latency
    /// for the calls that are accepted.
    pub admission_wait_millis: u64,
}

/// The default in-flight limit of one server.
pub const DEFAULT_MAX_CONCURRENT_CALLS: usize = 256;

/// The default admission wait, in milliseconds.
pub const DEFAULT_ADMISSION_WAIT_MILLIS: u64 = 100;

impl Default for GrpcConfig {
    fn default() -> Self {
        Self {
            max_message_bytes: 4 * 1024 * 1024,
            shutdown_grace_seconds: 10,
            request_timeout_seconds: 30,
            max_concurrent_calls: DEFAULT_MAX_CONCURRENT_CALLS,
            admission_wait_millis: DEFAULT_ADMISSION_WAIT_MILLIS,
        }
    }
}

impl GrpcConfig {
    /// The shutdown grace period.
    pub fn shutdown_grace(&self) -> Duration {
        Duration::from_secs(self.shutdown_grace_seconds)
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
    /// How often enrolments reads the people directory's changes into its
    /// copy, in milliseconds: a person added or changed in the directory is
    /// enrolled as the directory says within this.
    pub directory_poll_millis: u64,
    /// How often notifications looks for sessions starting within a day, to
    /// remind their trainees and instructor, in seconds.
    pub reminder_interval_seconds: u64,
    /// How often each service deletes the rows it no longer needs
    /// (delivered outbox rows, old request ids, sent emails), in seconds.
    pub purge_interval_seconds: u64,
    /// How long those rows are kept, in days: a delivered event, a request id
    /// a client may still retry under, a sent email.
    pub retention_days: u64,
}

impl WorkersConfig {
    /// How often rows no longer needed are deleted.
    pub fn purge_every(&self) -> Duration {
        Duration::from_secs(self.purge_interval_seconds.max(1))
    }

    /// How long rows no longer needed are kept (at least a day).
    pub fn retention(&self) -> Duration {
        Duration::from_secs(self.retention_days.max(1).saturating_mul(86_400))
    }
}

impl Default for WorkersConfig {
    fn default() -> Self {
        Self {
            outbox_poll_millis: 500,
            outbox_max_backoff_seconds: 60,
            reconcile_interval_seconds: 15,
            directory_poll_millis: 2_000,
            reminder_interval_seconds: 300,
            purge_interval_seconds: 3_600,
            retention_days: 30,
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
    pub(super) fn on_port(port: u16) -> Self {
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
