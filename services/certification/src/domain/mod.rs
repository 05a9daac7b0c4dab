//! Certificate rules, free of I/O: serials, status and verdicts, the signed
//! credential's shape.

pub mod credential;
pub mod error;
pub mod serial;
pub mod status;

pub use error::CertificationError;
