//! Certificate rules, free of I/O: serials, status and verdicts, the signed
//! credential's shape, and what is issued when.

pub mod credential;
pub mod error;
pub mod issuance;
pub mod serial;
pub mod status;

pub use error::CertificationError;
