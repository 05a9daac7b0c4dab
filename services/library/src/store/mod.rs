//! The library database: entities, migrations and queries.

pub mod entities;
pub mod migration;
pub mod queries;

pub use migration::Migrator;
pub use queries::Store;
