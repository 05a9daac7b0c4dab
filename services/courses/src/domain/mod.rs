//! The catalog's rules, free of I/O: validated values, the council workflow,
//! the session lifecycle, and the errors these rules raise.

pub mod catalog;
pub mod error;
pub mod hosting;
pub mod people;
pub mod sessions;
pub mod values;
pub mod workflow;

pub use error::CoursesError;
