//! What every Hamafza service shares: layered configuration, telemetry, JWT
//! authentication, the error type and its gRPC/HTTP mapping, database connect
//! and migrate, pagination tokens, and the gRPC server scaffolding (health,
//! reflection, limits, graceful shutdown).

pub mod admission;
pub mod auth;
pub mod config;
pub mod db;
pub mod demo;
pub mod error;
pub mod grpc;
pub mod idempotency;
pub mod ids;
pub mod jalali;
pub mod migration;
pub mod outbox;
pub mod page;
pub mod peers;
pub mod recent;
pub mod replies;
pub mod retention;
pub mod service;
pub mod sheet;
pub mod shutdown;
pub mod telemetry;
pub mod text;
pub mod time;
pub mod update;

#[cfg(any(test, feature = "testing"))]
pub mod testing;

pub use error::{ApiError, ErrorCode, FieldViolation, Violations};
