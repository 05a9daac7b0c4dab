//! The enrolments service.

pub mod domain;
pub mod store;
