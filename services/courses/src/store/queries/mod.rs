//! Every query the courses service runs. State changes are conditional
//! updates (`… WHERE status = <expected>`) so that two racing callers cannot
//! both succeed, and every write transaction starts with a write so that
//! SQLite takes its write lock first instead of failing on a lock upgrade.

mod courses;
mod events;
mod organizations;
mod people;
mod programs;
mod sessions;
mod votes;

use sea_orm::sea_query::{Expr, Func, SimpleExpr};
use sea_orm::{ColumnTrait, Condition, DatabaseConnection, DbErr, ExprTrait};

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

/// A case-insensitive "contains" on any of `columns`.
fn contains_any<C: ColumnTrait>(columns: &[C], text: &str) -> Condition {
    let escaped = text
        .to_lowercase()
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    let pattern = format!("%{escaped}%");
    columns.iter().fold(Condition::any(), |condition, column| {
        let lowered: SimpleExpr = Func::lower(Expr::col(column.as_column_ref())).into();
        condition.add(lowered.like(sea_orm::sea_query::LikeExpr::new(pattern.clone()).escape('\\')))
    })
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
