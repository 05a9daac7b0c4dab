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

/// Whether `error` is the statement's connection lost: ended by the server
/// (`pg_terminate_backend`, a restart), closed or reset. The pool replaces
/// such a connection, so an operation that is safe to repeat may simply run
/// again ([`retry_on_lost_connection`]). A busy database (pool timeout,
/// lock, serialization failure) is not: repeating at once adds to the load.
pub fn is_connection_lost(error: &DbErr) -> bool {
    if matches!(error, DbErr::Conn(_)) {
        return true;
    }
    match error {
        DbErr::Exec(RuntimeErr::SqlxError(sqlx)) | DbErr::Query(RuntimeErr::SqlxError(sqlx)) => {
            sqlx_is_connection_lost(sqlx)
        }
        _ => false,
    }
}

fn sqlx_is_connection_lost(error: &sea_orm::sqlx::Error) -> bool {
    use sea_orm::sqlx::Error;
    match error {
        Error::Io(_) | Error::WorkerCrashed => true,
        Error::Database(database) => database.code().is_some_and(|code| {
            matches!(code.as_ref(), "57P01" | "57P02" | "57P03") || code.starts_with("08")
        }),
        Error::Protocol(message) => message.contains("closed") || message.contains("reset"),
        _ => false,
    }
}

/// How often [`retry_on_lost_connection`] runs an operation in all.
const ATTEMPTS_ON_LOST_CONNECTION: u32 = 3;

/// Runs `operation`, and again (up to [`ATTEMPTS_ON_LOST_CONNECTION`] in
/// all) while it fails only because its database connection was lost
/// ([`is_connection_lost`]). Only for operations that are safe to repeat:
/// reads, and writes under an idempotency key (a repeat replays the first
/// answer if the first attempt committed). The caller then usually sees
/// nothing of a terminated connection.
pub async fn retry_on_lost_connection<T, F, Fut>(mut operation: F) -> Result<T, crate::ApiError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, crate::ApiError>>,
{
    let mut attempt = 1;
    loop {
        match operation().await {
            Err(error) if attempt < ATTEMPTS_ON_LOST_CONNECTION && lost_connection(&error) => {
                tracing::info!(%error, attempt, "database connection lost; running the call again");
                attempt += 1;
            }
            done => return done,
        }
    }
}

/// Whether `error` came from a lost database connection.
fn lost_connection(error: &crate::ApiError) -> bool {
    error
        .cause()
        .and_then(|cause| cause.downcast_ref::<DbErr>())
        .is_some_and(is_connection_lost)
}

/// The caller-facing error for a database failure: UNAVAILABLE when it is
/// transient, INTERNAL (cause logged, not shown) otherwise. The cause is kept
/// (never sent) so that [`retry_on_lost_connection`] can tell a lost
/// connection.
pub fn api_error(error: DbErr) -> crate::ApiError {
    if is_transient(&error) {
        tracing::warn!(%error, "database busy or unreachable");
        crate::ApiError::unavailable("the database is busy; retry shortly").caused_by(error)
    } else if is_data_exception(&error) {
        // A value the caller sent that the database cannot hold: what each
        // field's own check should have refused, so said in the log too.
        tracing::warn!(%error, "a value the database cannot hold reached it");
        crate::ApiError::new(
            crate::ErrorCode::InvalidArgument,
            "VALUE_NOT_STORABLE",
            "a value given cannot be stored: out of range, too long, or holding a NUL character",
        )
    } else {
        crate::ApiError::internal(error)
    }
}

/// Whether `error` is PostgreSQL refusing a value as data (SQLSTATE class
/// `22`: a number or date out of range, a string too long, a NUL byte in
/// text): the request's fault, not the service's.
pub fn is_data_exception(error: &DbErr) -> bool {
    use sea_orm::sqlx::Error;
    match error {
        DbErr::Exec(RuntimeErr::SqlxError(sqlx)) | DbErr::Query(RuntimeErr::SqlxError(sqlx)) => {
            match sqlx.as_ref() {
                Error::Database(database) => {
                    database.code().is_some_and(|code| code.starts_with("22"))
                }
                _ => false,
            }
        }
        _ => false,
    }
}

/// Rows whose stored search key ([`crate::text::search_key_of`]) holds the
/// query's key: the same folding of Arabic and Persian letter forms, digits,
/// ZWNJ, spaces and case on both sides, on SQLite and PostgreSQL alike. A
/// query that folds to nothing matches everything.
pub fn matches_search_key<C: sea_orm::ColumnTrait>(column: C, text: &str) -> sea_orm::Condition {
    let key = crate::text::search_key(text)
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    let mut condition = sea_orm::Condition::all();
    if !key.is_empty() {
        condition = condition
            .add(column.like(sea_orm::sea_query::LikeExpr::new(format!("%{key}%")).escape('\\')));
    }
    condition
}

/// A count or size from the wire (`u32`) as the `INTEGER` column that stores
/// it, saturating at `i32::MAX` (validation keeps real values far below).
pub fn saturating_i32(value: u32) -> i32 {
    i32::try_from(value).unwrap_or(i32::MAX)
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
