//! The courses database: entities, migrations and the queries the API runs.

pub mod entities;
pub mod migration;
pub mod queries;

pub use migration::Migrator;
pub use queries::Store;
