//! The certification database: entities, migrations and queries.

mod documents;
pub mod entities;
pub mod migration;
pub mod queries;

pub use migration::Migrator;
pub use queries::Store;
