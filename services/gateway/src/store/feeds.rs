//! Calendar feeds a calendar app subscribes to without a browser session:
//! one secret address per person, which they can reset at any time (the old
//! address then answers 404).
//!
//! The token is kept as is, not hashed, so the calendar page can show the
//! address again: it opens one person's training calendar read-only, the way
//! the secret iCal addresses of common calendar services do.

use sea_orm::entity::prelude::*;
use sea_orm::sea_query::OnConflict;
use sea_orm::{DatabaseConnection, QuerySelect};

/// The feeds table.
pub mod calendar_feed {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "calendar_feeds")]
    pub struct Model {
        /// The person (the token's `sub`).
        #[sea_orm(primary_key, auto_increment = false)]
        pub subject: String,
        /// The secret in the address.
        #[sea_orm(unique)]
        pub token: String,
        /// The calendar's name in the app.
        pub name: String,
        pub created_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// Whose calendar a feed address opens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedOwner {
    /// The person's `sub`.
    pub subject: String,
    /// Their name, for the calendar's title.
    pub name: String,
}

/// The secret calendar addresses, in the gateway's database.
#[derive(Debug, Clone)]
pub struct CalendarFeeds {
    db: DatabaseConnection,
}

impl CalendarFeeds {
    /// Feeds in `db`, already migrated with [`super::Migrator`].
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }

    /// The person's current secret, if they made one.
    pub async fn token(&self, subject: &str) -> Result<Option<String>, DbErr> {
        Ok(calendar_feed::Entity::find_by_id(subject.to_owned())
            .one(&self.db)
            .await?
            .map(|row| row.token))
    }

    /// Makes a new secret for the person, replacing any earlier one.
    pub async fn reset(&self, subject: &str, name: &str) -> Result<String, DbErr> {
        let token = crate::sessions::random_token();
        let row = calendar_feed::ActiveModel {
            subject: sea_orm::Set(subject.to_owned()),
            token: sea_orm::Set(token.clone()),
            name: sea_orm::Set(name.chars().take(200).collect()),
            created_at: sea_orm::Set(hamafza_kit::time::now()),
        };
        calendar_feed::Entity::insert(row)
            .on_conflict(
                OnConflict::column(calendar_feed::Column::Subject)
                    .update_columns([
                        calendar_feed::Column::Token,
                        calendar_feed::Column::Name,
                        calendar_feed::Column::CreatedAt,
                    ])
                    .to_owned(),
            )
            .exec_without_returning(&self.db)
            .await?;
        Ok(token)
    }

    /// Whose feed `token` opens; `None` for an unknown or reset one.
    pub async fn owner(&self, token: &str) -> Result<Option<FeedOwner>, DbErr> {
        Ok(calendar_feed::Entity::find()
            .filter(calendar_feed::Column::Token.eq(token))
            .limit(1)
            .one(&self.db)
            .await?
            .map(|row| FeedOwner {
                subject: row.subject,
                name: row.name,
            }))
    }
}
