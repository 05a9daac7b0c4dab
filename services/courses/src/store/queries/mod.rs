//! Every query the courses service runs. State changes are conditional
//! updates (`… WHERE status = <expected>`) so that two racing callers cannot
//! both succeed, and every write transaction starts with a write so that
//! SQLite takes its write lock first instead of failing on a lock upgrade.

mod council;
mod courses;
mod events;
mod organizations;
mod people;
mod programs;
mod sessions;
mod votes;

use sea_orm::{ColumnTrait, Condition, DatabaseConnection, DbErr};

pub use courses::{CourseFilter, CourseRecord};
pub use events::{EventFilter, EventRecord};
pub use organizations::OrganizationFilter;
pub use people::PersonFilter;
pub use programs::{ProgramFilter, ProgramRecord};
pub use sessions::{SessionFilter, SessionRecord, meetings_of};
pub use votes::{Ballot, Subject, Voter};

use crate::domain::CoursesError;

type Result<T> = std::result::Result<T, CoursesError>;

/// The courses database.
#[derive(Debug, Clone)]
pub struct Store {
    db: DatabaseConnection,
}

/// Rows whose stored search key ([`hamafza_kit::text::search_key_of`]) holds
/// the query's key: the same folding of Arabic and Persian letter forms,
/// digits, ZWNJ, spaces and case on both sides, on SQLite and PostgreSQL
/// alike. A query that folds to nothing matches everything.
fn matches_text<C: ColumnTrait>(column: C, text: &str) -> Condition {
    let key = hamafza_kit::text::search_key(text)
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    let mut condition = Condition::all();
    if !key.is_empty() {
        condition = condition
            .add(column.like(sea_orm::sea_query::LikeExpr::new(format!("%{key}%")).escape('\\')));
    }
    condition
}

fn to_i32(value: u32) -> i32 {
    i32::try_from(value).unwrap_or(i32::MAX)
}

impl Store {
    /// A store over `db`, which must be migrated.
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
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
