//! The SQL of the library: items, their files, downloads and the figures
//! per company.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use hamafza_kit::idempotency::{self, IdempotencyError, RequestKey};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, DatabaseConnection, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect, TransactionTrait,
};
use uuid::Uuid;

use crate::store::entities::{download, file, item};

/// What storage answers.
pub type Result<T> = std::result::Result<T, sea_orm::DbErr>;

/// Where an item stands, as stored.
pub mod state {
    /// Being written.
    pub const DRAFT: &str = "draft";
    /// Waiting for a reviewer.
    pub const SUBMITTED: &str = "submitted";
    /// Visible to every company.
    pub const APPROVED: &str = "approved";
    /// Sent back with a reason.
    pub const RETURNED: &str = "returned";
}

/// Who lists, and what they look for.
#[derive(Debug, Clone, Default)]
pub struct ItemFilter {
    /// The caller's company: its items are visible in any state.
    pub own_organization: String,
    /// Whether the caller reviews (sees every submitted item).
    pub reviewer: bool,
    /// Only this state.
    pub state: Option<&'static str>,
    /// Only this tag (its wire number).
    pub tag: Option<i32>,
    /// Only this company.
    pub organization: Option<String>,
    /// Text to find.
    pub text: String,
    /// Only items listed after this one (its creation time and id), newest
    /// first: the page token's cursor.
    pub after: Option<(DateTime<Utc>, Uuid)>,
    /// Rows to return.
    pub limit: u64,
}

/// The library database.
#[derive(Debug, Clone)]
pub struct Store {
    db: DatabaseConnection,
}

impl Store {
    /// A store over `db`, which must be migrated.
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }

    /// The request ids older than `workers.retention_days` (the
    /// retention worker's purge).
    pub fn purges(
        &self,
        workers: &hamafza_kit::config::WorkersConfig,
    ) -> Vec<hamafza_kit::retention::Purge> {
        use hamafza_kit::retention::Purge;
        let after = workers.retention();
        vec![Purge::request_ids(after)]
    }

    /// The connection, for seeding.
    pub fn connection(&self) -> &DatabaseConnection {
        &self.db
    }

    /// Writes a new item.
    pub async fn insert_item(&self, row: item::Model) -> Result<()> {
        item::Entity::insert(item::ActiveModel::from(row))
            .exec_without_returning(&self.db)
            .await
            .map(|_| ())
    }

    /// [`Store::insert_item`] under a client's request `key` (if any), once
    /// ([`idempotency::create_once`]): a repeat, even one racing the first,
    /// writes nothing; answers the id of the item the first call wrote.
    pub async fn insert_item_once(
        &self,
        row: item::Model,
        key: Option<&RequestKey>,
    ) -> std::result::Result<Uuid, IdempotencyError> {
        idempotency::create_once(&self.db, key, async |txn| {
            let id = row.id;
            item::Entity::insert(item::ActiveModel::from(row))
                .exec_without_returning(txn)
                .await?;
            Ok(id)
        })
        .await
    }

    /// The id of the item a `CreateItem` under `key` wrote, if one did.
    pub async fn created_before(
        &self,
        key: Option<&RequestKey>,
    ) -> std::result::Result<Option<Uuid>, IdempotencyError> {
        idempotency::created_before(&self.db, key).await
    }

    /// Writes every column of an existing item, if it is still in one of
    /// `from` (so two reviewers cannot both decide) and still as it was read
    /// (its `updated_at` still `read_at`: so a change made meanwhile, say
    /// the author's edit while a manager submits, is never written over);
    /// whether it was.
    pub async fn save_item(
        &self,
        row: item::Model,
        from: &[&str],
        read_at: DateTime<Utc>,
    ) -> Result<bool> {
        let id = row.id;
        // Every column set (not "unchanged"), the key only in the filter.
        let mut active = item::ActiveModel::from(row).reset_all();
        active.id = sea_orm::ActiveValue::NotSet;
        let updated = item::Entity::update_many()
            .set(active)
            .filter(item::Column::Id.eq(id))
            .filter(item::Column::State.is_in(from.iter().copied()))
            .filter(item::Column::UpdatedAt.eq(read_at))
            .exec(&self.db)
            .await?;
        Ok(updated.rows_affected == 1)
    }

    /// One item.
    pub async fn item(&self, id: Uuid) -> Result<Option<item::Model>> {
        item::Entity::find_by_id(id).one(&self.db).await
    }

    /// Items `filter` lets through, newest first.
    pub async fn items(&self, filter: &ItemFilter) -> Result<Vec<item::Model>> {
        let mut visible = Condition::any()
            .add(item::Column::State.eq(state::APPROVED))
            .add(item::Column::OrganizationId.eq(filter.own_organization.clone()));
        if filter.reviewer {
            visible = visible.add(item::Column::State.eq(state::SUBMITTED));
        }
        let mut query =
            item::Entity::find()
                .filter(visible)
                .filter(hamafza_kit::db::matches_search_key(
                    item::Column::SearchKey,
                    &filter.text,
                ));
        if let Some(state) = filter.state {
            query = query.filter(item::Column::State.eq(state));
        }
        if let Some(tag) = filter.tag {
            query = query.filter(item::Column::Tags.contains(format!(",{tag},")));
        }
        if let Some(organization) = &filter.organization {
            query = query.filter(item::Column::OrganizationId.eq(organization.clone()));
        }
        if let Some((at, id)) = filter.after {
            query = query.filter(
                Condition::any().add(item::Column::CreatedAt.lt(at)).add(
                    Condition::all()
                        .add(item::Column::CreatedAt.eq(at))
                        .add(item::Column::Id.lt(id)),
                ),
            );
        }
        query
            .order_by_desc(item::Column::CreatedAt)
            .order_by_desc(item::Column::Id)
            .limit(filter.limit)
            .all(&self.db)
            .await
    }

    /// The files of `items`, oldest first, with their download counts.
    pub async fn files(&self, items: &[Uuid]) -> Result<Vec<(file::Model, i64)>> {
        if items.is_empty() {
            return Ok(Vec::new());
        }
        let files = file::Entity::find()
            .filter(file::Column::ItemId.is_in(items.iter().copied()))
            .order_by_asc(file::Column::CreatedAt)
            .order_by_asc(file::Column::Id)
            .all(&self.db)
            .await?;
        if files.is_empty() {
            return Ok(Vec::new());
        }
        // By the files' ids, which `downloads_by_file` serves: the log of
        // downloads only grows, and reading all of it per page would too.
        let counts: HashMap<Uuid, i64> = download::Entity::find()
            .select_only()
            .column(download::Column::FileId)
            .column_as(Expr::cust("COUNT(*)"), "n")
            .filter(download::Column::FileId.is_in(files.iter().map(|file| file.id)))
            .group_by(download::Column::FileId)
            .into_tuple::<(Uuid, i64)>()
            .all(&self.db)
            .await?
            .into_iter()
            .collect();
        Ok(files
            .into_iter()
            .map(|file| {
                let count = counts.get(&file.id).copied().unwrap_or(0);
                (file, count)
            })
            .collect())
    }

    /// One file of one item.
    pub async fn file(&self, item: Uuid, id: Uuid) -> Result<Option<file::Model>> {
        file::Entity::find_by_id(id)
            .filter(file::Column::ItemId.eq(item))
            .one(&self.db)
            .await
    }

    /// How many files `item` has.
    pub async fn file_count(&self, item: Uuid) -> Result<usize> {
        Ok(file::Entity::find()
            .filter(file::Column::ItemId.eq(item))
            .all(&self.db)
            .await?
            .len())
    }

    /// Records a file whose bytes are kept, unless the item already has a
    /// file of the same bytes (a repeated upload: a double click, a retry):
    /// that one is answered and `row` is not written. The item's row is
    /// locked first, so two uploads of the same bytes racing each other
    /// write one file.
    pub async fn insert_file(&self, row: file::Model) -> Result<file::Model> {
        let txn = self.db.begin().await?;
        // A write, so that SQLite takes its lock first and PostgreSQL
        // holds the item's row until this commits.
        item::Entity::update_many()
            .col_expr(item::Column::UpdatedAt, Expr::col(item::Column::UpdatedAt))
            .filter(item::Column::Id.eq(row.item_id))
            .exec(&txn)
            .await?;
        let same = file::Entity::find()
            .filter(file::Column::ItemId.eq(row.item_id))
            .filter(file::Column::Sha256.eq(row.sha256.clone()))
            .one(&txn)
            .await?;
        if let Some(same) = same {
            return Ok(same);
        }
        file::Entity::insert(file::ActiveModel::from(row.clone()))
            .exec_without_returning(&txn)
            .await?;
        txn.commit().await?;
        Ok(row)
    }

    /// Forgets a file.
    pub async fn delete_file(&self, id: Uuid) -> Result<()> {
        file::Entity::delete_by_id(id)
            .exec(&self.db)
            .await
            .map(|_| ())
    }

    /// Counts a download of `file` by `subject` of `organization`.
    pub async fn record_download(
        &self,
        file: &file::Model,
        organization: &str,
        subject: &str,
        at: DateTime<Utc>,
    ) -> Result<()> {
        download::Entity::insert(download::ActiveModel {
            id: Set(Uuid::now_v7()),
            file_id: Set(file.id),
            item_id: Set(file.item_id),
            organization_id: Set(organization.to_owned()),
            subject: Set(subject.to_owned()),
            created_at: Set(at),
        })
        .exec_without_returning(&self.db)
        .await
        .map(|_| ())
    }

    /// Per company: approved items it published, downloads by its people.
    pub async fn stats(&self) -> Result<Vec<(String, i64, i64)>> {
        let published: HashMap<String, i64> = item::Entity::find()
            .select_only()
            .column(item::Column::OrganizationId)
            .column_as(Expr::cust("COUNT(*)"), "n")
            .filter(item::Column::State.eq(state::APPROVED))
            .group_by(item::Column::OrganizationId)
            .into_tuple::<(String, i64)>()
            .all(&self.db)
            .await?
            .into_iter()
            .collect();
        let downloads: HashMap<String, i64> = download::Entity::find()
            .select_only()
            .column(download::Column::OrganizationId)
            .column_as(Expr::cust("COUNT(*)"), "n")
            .group_by(download::Column::OrganizationId)
            .into_tuple::<(String, i64)>()
            .all(&self.db)
            .await?
            .into_iter()
            .collect();
        let mut companies: Vec<String> =
            published.keys().chain(downloads.keys()).cloned().collect();
        companies.sort();
        companies.dedup();
        Ok(companies
            .into_iter()
            .map(|company| {
                let items = published.get(&company).copied().unwrap_or(0);
                let fetched = downloads.get(&company).copied().unwrap_or(0);
                (company, items, fetched)
            })
            .collect())
    }

    /// Whether the library has no items yet (the demo seeds then).
    pub async fn is_empty(&self) -> Result<bool> {
        Ok(item::Entity::find()
            .limit(1)
            .all(&self.db)
            .await?
            .is_empty())
    }
}
