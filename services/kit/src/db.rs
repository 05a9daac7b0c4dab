//! Database connect and migrate, for embedded SQLite and for PostgreSQL.

use std::path::Path;
use std::time::Duration;

use sea_orm::sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
use sea_orm::{ConnectOptions, Database, DatabaseConnection, DbBackend, DbErr, RuntimeErr, SqlErr};
use sea_orm_migration::MigratorTrait;

/// Connects to `url` (`sqlite://…` or `postgres://…`). SQLite files and their
/// directory are created when missing and run in WAL mode with foreign keys on.
pub async fn connect(url: &str) -> Result<DatabaseConnection, DbErr> {
    let mut options = ConnectOptions::new(url.to_owned());
    options
        .sqlx_logging(false)
        .connect_timeout(Duration::from_secs(10))
        .acquire_timeout(Duration::from_secs(60));
    if url.starts_with("sqlite:") {
        ensure_sqlite_dir(url)?;
        options
            .max_connections(8)
            .min_connections(1)
            .map_sqlx_sqlite_opts(|opts: SqliteConnectOptions| {
                opts.journal_mode(SqliteJournalMode::Wal)
                    .synchronous(SqliteSynchronous::Normal)
                    .busy_timeout(Duration::from_secs(10))
                    .foreign_keys(true)
                    .create_if_missing(true)
            });
    } else {
        options.max_connections(16).min_connections(1);
    }
    Database::connect(options).await
}

/// Connects to `url` and applies every pending migration of `M`.
pub async fn connect_and_migrate<M: MigratorTrait>(url: &str) -> Result<DatabaseConnection, DbErr> {
    let db = connect(url).await?;
    M::up(&db, None).await?;
    Ok(db)
}

/// Whether `error` is a unique-constraint violation: the database refused a
/// second row where one must be unique.
pub fn is_unique_violation(error: &DbErr) -> bool {
    matches!(error.sql_err(), Some(SqlErr::UniqueConstraintViolation(_)))
}

/// Whether `error` is a foreign-key violation.
pub fn is_foreign_key_violation(error: &DbErr) -> bool {
    matches!(
        error.sql_err(),
        Some(SqlErr::ForeignKeyConstraintViolation(_))
    )
}

/// Whether `error` is the database being busy or out of reach for a moment
/// (a pool timeout, a lost connection, SQLite's write lock held past its busy
/// timeout, a PostgreSQL serialization failure or deadlock): retrying later
/// may succeed, so callers hear UNAVAILABLE, not INTERNAL.
pub fn is_transient(error: &DbErr) -> bool {
    if matches!(error, DbErr::ConnectionAcquire(_) | DbErr::Conn(_)) {
        return true;
    }
    if let DbErr::Exec(RuntimeErr::SqlxError(sqlx)) | DbErr::Query(RuntimeErr::SqlxError(sqlx)) =
        error
        && sqlx_is_transient(sqlx)
    {
        return true;
    }
    let text = error.to_string();
    [
        "database is locked",
        "database table is locked",
        "could not serialize access",
        "deadlock detected",
        "pool timed out",
    ]
    .iter()
    .any(|needle| text.contains(needle))
}

/// Whether the driver's error is a lost or refused connection: I/O errors
/// (closed, reset), a pool closed or timed out, a crashed worker, and
/// PostgreSQL's SQLSTATEs for a connection ended by the server (`57P01`
/// admin shutdown — what `pg_terminate_backend` sends —, `57P02` crash
/// shutdown, `57P03` cannot connect now), connection exceptions (`08xxx`),
/// serialization failures (`40001`) and deadlocks (`40P01`).
fn sqlx_is_transient(error: &sea_orm::sqlx::Error) -> bool {
    use sea_orm::sqlx::Error;
    match error {
        Error::Io(_) | Error::PoolClosed | Error::PoolTimedOut | Error::WorkerCrashed => true,
        Error::Database(database) => database.code().is_some_and(|code| {
            matches!(
                code.as_ref(),
                "57P01" | "57P02" | "57P03" | "40001" | "40P01"
            ) || code.starts_with("08")
        }),
        Error::Protocol(message) => message.contains("closed") || message.contains("reset"),
        _ => false,
    }
}

/// The caller-facing error for a database failure: UNAVAILABLE when it is
/// transient, INTERNAL (cause logged, not shown) otherwise.
pub fn api_error(error: DbErr) -> crate::ApiError {
    if is_transient(&error) {
        tracing::warn!(%error, "database busy or unreachable");
        crate::ApiError::unavailable("the database is busy; retry shortly")
    } else {
        crate::ApiError::internal(error)
    }
}

/// Whether the connection is to PostgreSQL (else SQLite).
pub fn is_postgres(db: &DatabaseConnection) -> bool {
    db.get_database_backend() == DbBackend::Postgres
}

fn ensure_sqlite_dir(url: &str) -> Result<(), DbErr> {
    let path = url
        .trim_start_matches("sqlite://")
        .trim_start_matches("sqlite:")
        .split('?')
        .next()
        .unwrap_or_default();
    if path.is_empty() || path == ":memory:" {
        return Ok(());
    }
    if let Some(dir) = Path::new(path)
        .parent()
        .filter(|dir| !dir.as_os_str().is_empty())
    {
        std::fs::create_dir_all(dir)
            .map_err(|error| DbErr::Custom(format!("creating {}: {error}", dir.display())))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn busy_databases_are_unavailable_not_internal() {
        let timeout = DbErr::ConnectionAcquire(sea_orm::error::ConnAcquireErr::Timeout);
        assert!(is_transient(&timeout));
        assert_eq!(api_error(timeout).code(), crate::ErrorCode::Unavailable);
        let other = DbErr::Custom("syntax error".to_owned());
        assert!(!is_transient(&other));
        assert_eq!(api_error(other).code(), crate::ErrorCode::Internal);
    }
}
