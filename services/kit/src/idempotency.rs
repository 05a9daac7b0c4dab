//! Client request ids: a mutating call carries one, and the same id with the
//! same request returns the original response without a second effect, even
//! when the calls race or the first response was lost; the same id with a
//! different request is refused.
//!
//! Each service keeps its keys in its own `idempotency_keys` table, written in
//! the same transaction as the effect. On PostgreSQL the key is written after
//! the effect, with the response (one statement: the key and its answer, or,
//! with [`once_writing_key`], part of the effect's own last statement): a
//! concurrent duplicate runs its effect too, but its key collides with the
//! first's (a unique index: it waits for the first to commit), so its
//! transaction is rolled back, effect and all, and it replays the stored
//! response; a duplicate whose effect is refused because the first's took
//! place (the trainee is enrolled now) replays it as well. On SQLite the key
//! is written first (a write transaction there must begin with a write), so
//! a duplicate waits on it and replays. A failed effect leaves no key
//! behind, so the client may retry it.

use std::sync::atomic::{AtomicBool, Ordering};

use prost::Message;
use sea_orm::entity::prelude::*;
use sea_orm::{DatabaseConnection, DatabaseTransaction, Set, TransactionTrait};
use sea_orm_migration::prelude::{Index, SchemaManager, Table};
use sea_orm_migration::schema::{blob, string_len, timestamp_with_time_zone};
use sha2::{Digest, Sha256};

/// The stored keys.
pub mod key {
    use sea_orm::entity::prelude::*;

    /// One request id of one caller.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "idempotency_keys")]
    pub struct Model {
        /// The caller's `sub`.
        #[sea_orm(primary_key, auto_increment = false)]
        pub caller_subject: String,
        /// The client's request id.
        #[sea_orm(primary_key, auto_increment = false)]
        pub request_id: String,
        /// SHA-256 of the RPC name and the encoded request.
        pub request_hash: Vec<u8>,
        /// The encoded response.
        pub response: Vec<u8>,
        /// When the request was first seen.
        pub created_at: DateTimeUtc,
    }

    /// No relations.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// Creates the `idempotency_keys` table; call from a service's migration.
pub async fn create_table(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    manager
        .create_table(
            Table::create()
                .table("idempotency_keys")
                .col(string_len("caller_subject", 200))
                .col(string_len("request_id", 100))
                .col(blob("request_hash"))
                .col(blob("response"))
                .col(timestamp_with_time_zone("created_at"))
                .primary_key(Index::create().col("caller_subject").col("request_id"))
                .take(),
        )
        .await
}

/// A client's request id, scoped to the caller, with a digest of the request.
#[derive(Debug, Clone)]
pub struct RequestKey {
    /// The caller's `sub`.
    pub caller: String,
    /// The client's request id.
    pub request_id: String,
    /// SHA-256 of the RPC name and the encoded request.
    pub digest: Vec<u8>,
}

impl RequestKey {
    /// The key of `request` to `rpc` by `caller`.
    pub fn new(caller: &str, request_id: &str, rpc: &str, request: &impl Message) -> Self {
        let mut hasher = Sha256::new();
        hasher.update(rpc.as_bytes());
        hasher.update([0]);
        hasher.update(request.encode_to_vec());
        Self {
            caller: caller.to_owned(),
            request_id: request_id.to_owned(),
            digest: hasher.finalize().to_vec(),
        }
    }
}

/// Why a request could not be answered from its key.
#[derive(Debug, thiserror::Error)]
pub enum IdempotencyError {
    /// The same request id came with a different request.
    #[error("request_id {0} was already used for a different request; use a new request_id")]
    Reused(String),
    /// Storage failed.
    #[error("database: {0}")]
    Database(#[from] DbErr),
    /// A stored response could not be read back.
    #[error("stored response: {0}")]
    Decode(#[from] prost::DecodeError),
}

impl From<IdempotencyError> for crate::ApiError {
    /// A reused id is the caller's to fix (FAILED_PRECONDITION,
    /// `REQUEST_ID_REUSED`); storage is mapped as everywhere
    /// ([`crate::db::api_error`]); an unreadable stored answer is ours.
    fn from(error: IdempotencyError) -> Self {
        match error {
            IdempotencyError::Reused(_) => crate::ApiError::new(
                crate::ErrorCode::FailedPrecondition,
                "REQUEST_ID_REUSED",
                error.to_string(),
            ),
            IdempotencyError::Database(error) => crate::db::api_error(error),
            error @ IdempotencyError::Decode(_) => crate::ApiError::internal(error),
        }
    }
}

/// Parses a client request id: 1-64 of `A-Z a-z 0-9 _ -`. The error describes
/// the problem for a field violation on `request_id`.
pub fn parse_request_id(value: &str) -> Result<String, &'static str> {
    if value.is_empty() {
        return Err(concat!(
            "is required: every change carries a client request id ",
            "so that a retry has no second effect",
        ));
    }
    let ok = value.len() <= 64
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if ok {
        Ok(value.to_owned())
    } else {
        Err("must be 1-64 characters of A-Z, a-z, 0-9, '_' and '-'")
    }
}

/// The key of a call whose client request id is optional (the calls that
/// create something): `None` without an id; a malformed id is a violation
/// of `request_id` in `v`.
pub fn optional_key(
    v: &mut crate::Violations,
    caller: &str,
    request_id: &str,
    rpc: &str,
    request: &impl Message,
) -> Option<RequestKey> {
    if request_id.is_empty() {
        return None;
    }
    let request_id = v.take("request_id", parse_request_id(request_id))?;
    Some(RequestKey::new(caller, &request_id, rpc, request))
}

/// Runs `effect` once per request key (see the module docs).
pub async fn once<R, E, F>(db: &DatabaseConnection, key: &RequestKey, effect: F) -> Result<R, E>
where
    R: Message + Default,
    E: From<IdempotencyError>,
    F: AsyncFnOnce(&DatabaseTransaction) -> Result<R, E>,
{
    once_writing_key(db, key, async |txn, _| effect(txn).await).await
}

/// Runs `write`, a create that answers the id of what it made, in one
/// transaction; under a client's request `key`, at most once (see
/// [`once`]): a repeat, even one racing the first, writes nothing and
/// answers the first's id.
pub async fn create_once<E, F>(
    db: &DatabaseConnection,
    key: Option<&RequestKey>,
    write: F,
) -> Result<uuid::Uuid, E>
where
    E: From<IdempotencyError>,
    F: AsyncFnOnce(&DatabaseTransaction) -> Result<uuid::Uuid, E>,
{
    let Some(key) = key else {
        let txn = db.begin().await.map_err(|e| E::from(e.into()))?;
        let id = write(&txn).await?;
        txn.commit().await.map_err(|e| E::from(e.into()))?;
        return Ok(id);
    };
    let id: String = once(db, key, async |txn| {
        write(txn).await.map(|id| id.to_string())
    })
    .await?;
    created_id(&id).map_err(E::from)
}

/// The id a [`create_once`] under `key` made, if one did: read before any
/// precondition, so that a repeat is answered even when the world has moved
/// on since.
pub async fn created_before(
    db: &DatabaseConnection,
    key: Option<&RequestKey>,
) -> Result<Option<uuid::Uuid>, IdempotencyError> {
    let Some(key) = key else {
        return Ok(None);
    };
    stored::<String>(db, key)
        .await?
        .map(|id| created_id(&id))
        .transpose()
}

/// A created id as a request key's answer keeps it.
fn created_id(stored: &str) -> Result<uuid::Uuid, IdempotencyError> {
    uuid::Uuid::parse_str(stored).map_err(|error| {
        IdempotencyError::Database(DbErr::Type(format!(
            "a request key's answer is not an id: {error}"
        )))
    })
}

/// The key's row, for an effect that writes it in its own last statement
/// (see [`once_writing_key`]).
#[derive(Debug)]
pub struct KeyRow<'a> {
    key: &'a RequestKey,
    /// Whether the key is still to be written (on SQLite it goes first).
    open: bool,
    taken: AtomicBool,
}

impl KeyRow<'_> {
    /// The key's row with its answer (`response`, encoded: made only when
    /// needed), for the effect to insert in its last write, whose answer must
    /// be the one it returns; `None` when the key is already written
    /// (SQLite). Call [`KeyRow::written`] once the write succeeded.
    pub fn row(&self, response: impl FnOnce() -> Vec<u8>) -> Option<key::ActiveModel> {
        self.open.then(|| row_of(self.key, response()))
    }

    /// The effect wrote the row: `once_writing_key` does not.
    pub fn written(&self) {
        self.taken.store(true, Ordering::Relaxed);
    }
}

/// [`once`] for an effect that can write the key itself, in the same
/// statement as its own last write ([`KeyRow::row`]): one round trip fewer
/// on PostgreSQL. A duplicate's key collides there as it does in `once`
/// (a unique violation, which the effect reports as its refusal); its
/// answer is then replayed.
pub async fn once_writing_key<R, E, F>(
    db: &DatabaseConnection,
    key: &RequestKey,
    effect: F,
) -> Result<R, E>
where
    R: Message + Default,
    E: From<IdempotencyError>,
    F: AsyncFnOnce(&DatabaseTransaction, &KeyRow<'_>) -> Result<R, E>,
{
    // On SQLite a write transaction must begin with a write (it takes the
    // write lock before anything is read: a transaction that read first
    // could not write after another's commit), so the key goes first there
    // and gets its answer at the end.
    let key_first = !crate::db::is_postgres(db);
    let txn = db.begin().await.map_err(|e| E::from(e.into()))?;
    if key_first && let Err(error) = claim(&txn, key, Vec::new()).await {
        drop(txn);
        return collided(db, key, error).await;
    }
    let row = KeyRow {
        key,
        open: !key_first,
        taken: AtomicBool::new(false),
    };
    let response = match effect(&txn, &row).await {
        Ok(response) => response,
        Err(refusal) => {
            drop(txn);
            // A duplicate that committed while this one ran (what refused
            // this one, say: the trainee is enrolled now, or the key the
            // effect wrote collided) has the answer.
            return match stored(db, key).await {
                Ok(Some(answer)) => Ok(answer),
                Ok(None) => Err(refusal),
                Err(error @ IdempotencyError::Reused(_)) => Err(E::from(error)),
                Err(_) => Err(refusal),
            };
        }
    };
    let answered = if key_first {
        key::Entity::update_many()
            .col_expr(
                key::Column::Response,
                sea_orm::sea_query::Expr::value(response.encode_to_vec()),
            )
            .filter(key::Column::CallerSubject.eq(key.caller.clone()))
            .filter(key::Column::RequestId.eq(key.request_id.clone()))
            .exec(&txn)
            .await
            .map(|_| ())
    } else if row.taken.load(Ordering::Relaxed) {
        Ok(())
    } else {
        claim(&txn, key, response.encode_to_vec()).await
    };
    if let Err(error) = answered {
        // Rolls this effect back: the first one stands.
        drop(txn);
        return collided(db, key, error).await;
    }
    txn.commit().await.map_err(|e| E::from(e.into()))?;
    Ok(response)
}

/// Whether `error` is a key colliding with one already stored (a concurrent
/// duplicate's, or another request's under the same id), as an effect that
/// writes the key itself ([`KeyRow::row`]) may see it.
pub fn is_collision(error: &DbErr) -> bool {
    crate::db::is_unique_violation(error) && error.to_string().contains("idempotency_keys")
}

/// After the key's write failed: another request's key is there (a
/// duplicate's: its answer; another request's under the same id: refused),
/// or the write itself failed.
async fn collided<R, E>(db: &DatabaseConnection, key: &RequestKey, error: DbErr) -> Result<R, E>
where
    R: Message + Default,
    E: From<IdempotencyError>,
{
    if crate::db::is_unique_violation(&error) {
        return replay(db, key).await.map_err(E::from);
    }
    Err(E::from(error.into()))
}

/// Writes the key (with its answer, or none yet).
async fn claim(
    txn: &DatabaseTransaction,
    key: &RequestKey,
    response: Vec<u8>,
) -> Result<(), DbErr> {
    key::Entity::insert(row_of(key, response))
        .exec_without_returning(txn)
        .await
        .map(|_| ())
}

fn row_of(key: &RequestKey, response: Vec<u8>) -> key::ActiveModel {
    key::ActiveModel {
        caller_subject: Set(key.caller.clone()),
        request_id: Set(key.request_id.clone()),
        request_hash: Set(key.digest.clone()),
        response: Set(response),
        created_at: Set(crate::time::now()),
    }
}

/// The stored response of a request seen before, if any: checked before any
/// outside precondition (or after one refused the call), so that a retry of a
/// call whose answer was lost gets that answer even when the world has moved
/// on (the session closed, say).
pub async fn stored<R: Message + Default>(
    db: &DatabaseConnection,
    key: &RequestKey,
) -> Result<Option<R>, IdempotencyError> {
    let exists = key::Entity::find_by_id((key.caller.clone(), key.request_id.clone()))
        .one(db)
        .await?
        .is_some();
    if !exists {
        return Ok(None);
    }
    replay(db, key).await.map(Some)
}

async fn replay<R: Message + Default>(
    db: &DatabaseConnection,
    key: &RequestKey,
) -> Result<R, IdempotencyError> {
    let stored = key::Entity::find_by_id((key.caller.clone(), key.request_id.clone()))
        .one(db)
        .await?
        .ok_or_else(|| DbErr::RecordNotFound(format!("request {}", key.request_id)))?;
    if stored.request_hash != key.digest {
        return Err(IdempotencyError::Reused(key.request_id.clone()));
    }
    Ok(R::decode(stored.response.as_slice())?)
}
