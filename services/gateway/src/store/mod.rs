//! The gateway's own database: signed-in browsers' sessions, behind
//! `tower-sessions`' [`SessionStore`] so every replica sees the same ones and
//! a restart signs no one out; and the people's secret calendar addresses
//! ([`CalendarFeeds`]). It holds no business data.

mod feeds;
mod migration;

use sea_orm::entity::prelude::*;
use sea_orm::sea_query::OnConflict;
use sea_orm::{DatabaseConnection, QuerySelect};
use sha2::{Digest, Sha256};
use tower_sessions_core::session::{Id, Record};
use tower_sessions_core::session_store::{self, ExpiredDeletion, SessionStore};

pub use feeds::{CalendarFeeds, FeedOwner};
pub use migration::Migrator;

/// The sessions table.
pub mod web_session {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "web_sessions")]
    pub struct Model {
        /// SHA-256 of the session id, hex.
        #[sea_orm(primary_key, auto_increment = false)]
        pub id_digest: String,
        /// The session's data, JSON.
        pub data: String,
        pub expires_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// Sessions in the gateway's database (SQLite or PostgreSQL).
#[derive(Debug, Clone)]
pub struct DbSessionStore {
    db: DatabaseConnection,
}

impl DbSessionStore {
    /// A store over `db`, already migrated with [`Migrator`].
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }

    /// What the session `id` holds, expired or not (purged rows are gone):
    /// what signing out still needs of a session that has run out.
    pub async fn data_even_expired(
        &self,
        session_id: &Id,
    ) -> session_store::Result<Option<std::collections::HashMap<String, serde_json::Value>>> {
        let row = web_session::Entity::find_by_id(digest(session_id))
            .one(&self.db)
            .await
            .map_err(backend)?;
        row.map(|row| {
            serde_json::from_str(&row.data).map_err(|e| session_store::Error::Decode(e.to_string()))
        })
        .transpose()
    }

    /// How many sessions the table holds, expired or not (for tests and
    /// metrics).
    pub async fn count(&self) -> Result<u64, DbErr> {
        web_session::Entity::find().count(&self.db).await
    }

    fn row(record: &Record) -> session_store::Result<web_session::ActiveModel> {
        let data = serde_json::to_string(&record.data)
            .map_err(|e| session_store::Error::Encode(e.to_string()))?;
        Ok(web_session::ActiveModel {
            id_digest: sea_orm::Set(digest(&record.id)),
            data: sea_orm::Set(data),
            expires_at: sea_orm::Set(to_chrono(record.expiry_date)),
        })
    }
}

/// The key a session id is stored under.
fn digest(id: &Id) -> String {
    let digest = Sha256::digest(id.0.to_le_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

fn to_chrono(at: time::OffsetDateTime) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::from_timestamp(at.unix_timestamp(), at.nanosecond())
        .unwrap_or(chrono::DateTime::<chrono::Utc>::MIN_UTC)
}

fn backend(error: DbErr) -> session_store::Error {
    session_store::Error::Backend(error.to_string())
}

/// Tries this many fresh ids when one is taken (2^-128 each) before giving up.
const CREATE_TRIES: usize = 3;

#[async_trait::async_trait]
impl SessionStore for DbSessionStore {
    /// Inserts under a fresh id; a taken id is never overwritten.
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        for _ in 0..CREATE_TRIES {
            match web_session::Entity::insert(Self::row(record)?)
                .exec_without_returning(&self.db)
                .await
            {
                Ok(_) => return Ok(()),
                Err(error) if hamafza_kit::db::is_unique_violation(&error) => {
                    record.id = Id::default();
                }
                Err(error) => return Err(backend(error)),
            }
        }
        Err(session_store::Error::Backend(
            "no free session id after several tries".to_owned(),
        ))
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        web_session::Entity::insert(Self::row(record)?)
            .on_conflict(
                OnConflict::column(web_session::Column::IdDigest)
                    .update_columns([web_session::Column::Data, web_session::Column::ExpiresAt])
                    .to_owned(),
            )
            .exec_without_returning(&self.db)
            .await
            .map_err(backend)?;
        Ok(())
    }

    /// The session, unless it has expired (purged or not yet).
    async fn load(&self, session_id: &Id) -> session_store::Result<Option<Record>> {
        let row = web_session::Entity::find_by_id(digest(session_id))
            .filter(web_session::Column::ExpiresAt.gt(hamafza_kit::time::now()))
            .limit(1)
            .one(&self.db)
            .await
            .map_err(backend)?;
        let Some(row) = row else {
            return Ok(None);
        };
        let data = serde_json::from_str(&row.data)
            .map_err(|e| session_store::Error::Decode(e.to_string()))?;
        let expiry_date = time::OffsetDateTime::from_unix_timestamp(row.expires_at.timestamp())
            .map_err(|e| session_store::Error::Decode(e.to_string()))?;
        Ok(Some(Record {
            id: *session_id,
            data,
            expiry_date,
        }))
    }

    async fn delete(&self, session_id: &Id) -> session_store::Result<()> {
        web_session::Entity::delete_by_id(digest(session_id))
            .exec(&self.db)
            .await
            .map_err(backend)?;
        Ok(())
    }
}

#[async_trait::async_trait]
impl ExpiredDeletion for DbSessionStore {
    async fn delete_expired(&self) -> session_store::Result<()> {
        web_session::Entity::delete_many()
            .filter(web_session::Column::ExpiresAt.lte(hamafza_kit::time::now()))
            .exec(&self.db)
            .await
            .map_err(backend)?;
        Ok(())
    }
}
