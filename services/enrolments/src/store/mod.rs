//! The enrolments database: entities, migrations and the queries the API and
//! workers run.

pub mod entities;
pub mod migration;
pub mod queries;

pub use migration::Migrator;
pub use queries::Store;
