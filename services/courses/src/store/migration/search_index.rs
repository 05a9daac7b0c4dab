//! The migration that keeps contains-search fast on PostgreSQL.

use sea_orm::{ConnectionTrait, DbBackend};
use sea_orm_migration::prelude::*;

/// The tables searched by their folded `search_key` (`LIKE '%key%'`).
pub(crate) const SEARCHED_TABLES: [&str; 5] =
    ["organizations", "courses", "programs", "events", "people"];

hamafza_kit::migration_name! {
    /// A trigram (GIN, `pg_trgm`) index on every `search_key`, so a search that
    /// matches inside the key reads the index instead of every row. PostgreSQL
    /// only: SQLite has no trigram index and keeps its plain scan, fast enough at
    /// the size a SQLite deployment has.
    pub(super) struct SearchKeyTrigrams = "m20261129_000008_search_key_trigrams";
}

/// The name of the trigram index on `table`'s search key.
pub(crate) fn trigram_index(table: &str) -> String {
    format!("{table}_search_key_trgm")
}

#[async_trait::async_trait]
impl MigrationTrait for SearchKeyTrigrams {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != DbBackend::Postgres {
            return Ok(());
        }
        let db = manager.get_connection();
        // pg_trgm is a trusted extension (PostgreSQL 13+): the database's
        // owner may create it without being a superuser.
        db.execute_unprepared("CREATE EXTENSION IF NOT EXISTS pg_trgm")
            .await?;
        for table in SEARCHED_TABLES {
            db.execute_unprepared(&format!(
                "CREATE INDEX IF NOT EXISTS {} ON {table} USING gin (search_key gin_trgm_ops)",
                trigram_index(table)
            ))
            .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != DbBackend::Postgres {
            return Ok(());
        }
        let db = manager.get_connection();
        for table in SEARCHED_TABLES {
            db.execute_unprepared(&format!("DROP INDEX IF EXISTS {}", trigram_index(table)))
                .await?;
        }
        Ok(())
    }
}
