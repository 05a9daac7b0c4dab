//! Every query the courses service runs. State changes are conditional
//! updates (`… WHERE status = <expected>`) so that two racing callers cannot
//! both succeed, and every write transaction starts with a write so that
//! SQLite takes its write lock first instead of failing on a lock upgrade.

mod council;
mod courses;
mod events;
mod hosting;
mod notices;
mod organizations;
mod people;
mod programs;
mod sessions;
mod votes;

use chrono::{DateTime, Utc};
use hamafza_kit::db::saturating_i32 as to_i32;
use hamafza_kit::idempotency::{self, RequestKey};
use sea_orm::{
    ColumnTrait, Condition, DatabaseConnection, DatabaseTransaction, DbErr, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect, Select,
};
use uuid::Uuid;

pub use courses::{CourseFilter, CourseRecord};
pub use events::{EventFilter, EventRecord};
pub use hosting::{HostProposal, HostingFilter, HostingRecord};
pub use notices::{NOTIFY_OUTBOX, moved};
pub use organizations::OrganizationFilter;
pub use people::PersonFilter;
pub use programs::{ProgramFilter, ProgramRecord};
pub use sessions::{SessionFilter, SessionRecord, meetings_of};
pub use votes::{Ballot, MemberVote, Subject, VotedItem, Voter};

use crate::domain::CoursesError;
use crate::domain::workflow::CatalogStatus;

type Result<T> = std::result::Result<T, CoursesError>;

/// The courses database.
#[derive(Debug, Clone)]
pub struct Store {
    db: DatabaseConnection,
}

impl Store {
    /// The id a create call under `key` made before, if it did
    /// ([`idempotency::created_before`]).
    pub async fn created_before(&self, key: Option<&RequestKey>) -> Result<Option<Uuid>> {
        Ok(idempotency::created_before(&self.db, key).await?)
    }

    /// Runs `write` in one transaction and answers the id it created; under
    /// a client's request `key`, at most once ([`idempotency::create_once`]).
    async fn create_once(
        &self,
        key: Option<&RequestKey>,
        write: impl AsyncFnOnce(&DatabaseTransaction) -> Result<Uuid>,
    ) -> Result<Uuid> {
        idempotency::create_once(&self.db, key, write).await
    }
}

/// Rows whose stored search key holds the query's key (see
/// [`hamafza_kit::db::matches_search_key`]).
fn matches_text<C: ColumnTrait>(column: C, text: &str) -> Condition {
    hamafza_kit::db::matches_search_key(column, text)
}

/// The columns courses and programs are listed by alike.
struct CatalogColumns<C> {
    id: C,
    status: C,
    owner: C,
    search_key: C,
    created_at: C,
}

/// A page of catalog entries (courses or programs, with `columns`) in id
/// order after `after`: those in `statuses`, and of `owner`, matching
/// `text` and created within `created` where those are given.
fn catalog_listing<E: EntityTrait>(
    columns: CatalogColumns<E::Column>,
    statuses: &[CatalogStatus],
    owner: Option<&String>,
    text: Option<&String>,
    (created_from, created_until): (Option<DateTime<Utc>>, Option<DateTime<Utc>>),
    after: Option<Uuid>,
    limit: u64,
) -> Select<E> {
    let mut query = E::find()
        .filter(columns.status.is_in(statuses.to_vec()))
        .order_by_asc(columns.id)
        .limit(limit);
    if let Some(after) = after {
        query = query.filter(columns.id.gt(after));
    }
    if let Some(owner) = owner {
        query = query.filter(columns.owner.eq(owner.clone()));
    }
    if let Some(text) = text {
        query = query.filter(matches_text(columns.search_key, text));
    }
    if let Some(from) = created_from {
        query = query.filter(columns.created_at.gte(from));
    }
    if let Some(until) = created_until {
        query = query.filter(columns.created_at.lt(until));
    }
    query
}

impl Store {
    /// A store over `db`, which must be migrated.
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }

    /// What courses no longer needs (the retention worker's purges): delivered
    /// notices and request ids, after `workers.retention_days`.
    pub fn purges(
        &self,
        workers: &hamafza_kit::config::WorkersConfig,
    ) -> Vec<hamafza_kit::retention::Purge> {
        use hamafza_kit::retention::Purge;
        let after = workers.retention();
        vec![
            Purge::delivered("notify_outbox", after),
            Purge::request_ids(after),
        ]
    }

    /// The connection, for health checks and seeding.
    pub fn connection(&self) -> &DatabaseConnection {
        &self.db
    }
}

fn not_found(kind: &'static str, id: impl ToString) -> CoursesError {
    CoursesError::NotFound {
        kind,
        id: id.to_string(),
    }
}

/// A failed insert or update of a course or program: a taken code, or else a
/// database error.
fn code_conflict(error: DbErr, kind: &'static str, code: &str) -> CoursesError {
    if hamafza_kit::db::is_unique_violation(&error) {
        CoursesError::Duplicate {
            kind: if kind == "course" {
                "course code"
            } else {
                "program code"
            },
            value: code.to_owned(),
        }
    } else {
        error.into()
    }
}

impl Store {
    /// Gives rows stored before search keys existed (or by an older version)
    /// theirs; a no-op once every row has one. Run at start-up: it writes no
    /// revision (nothing a caller sees has changed).
    pub async fn fill_search_keys(&self) -> Result<u64> {
        use crate::store::entities::{course, event, organization, program};
        use hamafza_kit::text::search_key_of;
        use sea_orm::sea_query::Expr;
        use sea_orm::{EntityTrait, QueryFilter};
        let mut filled = 0;
        for row in course::Entity::find()
            .filter(course::Column::SearchKey.eq(""))
            .all(&self.db)
            .await?
        {
            let key = search_key_of(&[&row.code, &row.title_fa, &row.title_en]);
            filled += course::Entity::update_many()
                .col_expr(course::Column::SearchKey, Expr::value(key))
                .filter(course::Column::Id.eq(row.id))
                .exec(&self.db)
                .await?
                .rows_affected;
        }
        for row in program::Entity::find()
            .filter(program::Column::SearchKey.eq(""))
            .all(&self.db)
            .await?
        {
            let key = search_key_of(&[&row.code, &row.title_fa, &row.title_en]);
            filled += program::Entity::update_many()
                .col_expr(program::Column::SearchKey, Expr::value(key))
                .filter(program::Column::Id.eq(row.id))
                .exec(&self.db)
                .await?
                .rows_affected;
        }
        for row in event::Entity::find()
            .filter(event::Column::SearchKey.eq(""))
            .all(&self.db)
            .await?
        {
            let key = search_key_of(&[&row.title_fa, &row.title_en, &row.place_fa, &row.place_en]);
            filled += event::Entity::update_many()
                .col_expr(event::Column::SearchKey, Expr::value(key))
                .filter(event::Column::Id.eq(row.id))
                .exec(&self.db)
                .await?
                .rows_affected;
        }
        for row in organization::Entity::find()
            .filter(organization::Column::SearchKey.eq(""))
            .all(&self.db)
            .await?
        {
            let key = search_key_of(&[&row.id, &row.name_fa, &row.name_en]);
            filled += organization::Entity::update_many()
                .col_expr(organization::Column::SearchKey, Expr::value(key))
                .filter(organization::Column::Id.eq(row.id))
                .exec(&self.db)
                .await?
                .rows_affected;
        }
        Ok(filled)
    }
}
