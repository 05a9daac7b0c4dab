//! Benchmarking: enrolment, completion and training measures per
//! organization over a period.
//!
//! The counts and sums (enrolments made, ended, completed, scores, hours)
//! come from the monthly rollups (see `migration/benchmark_rollups.rs`) for
//! the whole UTC months of the period, and from the rows for the pieces of a
//! month at its ends; the people trained (a distinct count, which months do
//! not add up to) come from the people counted by the months of their first
//! and last completion (see `migration/people_trained_spans.rs`) when the
//! period is whole months, from the people-trained table, one row per person
//! (see `migration/people_trained.rs`), for other periods, or from the rows,
//! through the covering index, when the report is for some courses.

use std::collections::HashMap;

use chrono::{DateTime, Datelike, TimeZone, Utc};
use sea_orm::sea_query::{Alias, Expr, Query, SelectStatement, UnionType};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DatabaseBackend, EntityTrait, ExprTrait, Iterable,
    QueryFilter, QuerySelect, QueryTrait, Statement, TransactionTrait,
};
use uuid::Uuid;

use super::{Result, Store};
use crate::domain::benchmark::Measures;
use crate::domain::status::EnrolmentStatus;
use crate::store::entities::enrolment;
use crate::store::migration::NO_MONTH;

/// One group of ended enrolments: organization, status, count, score sum,
/// scored count, hours sum.
type EndedGroup = (String, EnrolmentStatus, i64, Option<i64>, i64, Option<i64>);

/// A half-open period `[from, until)`; `None` is unbounded.
type Range = (Option<DateTime<Utc>>, Option<DateTime<Utc>>);

const ENDED: [EnrolmentStatus; 3] = [
    EnrolmentStatus::Completed,
    EnrolmentStatus::Failed,
    EnrolmentStatus::NoShow,
];

const COUNTS: [&str; 6] = [
    "created",
    "ended",
    "completed",
    "score_sum",
    "scored",
    "hours",
];

/// The month index (`year * 12 + month - 1`, UTC) of an instant, as the
/// rollups' triggers compute it.
fn month_index(instant: DateTime<Utc>) -> i32 {
    instant.year() * 12 + i32::try_from(instant.month0()).unwrap_or(0)
}

/// The first instant of month `index`.
fn month_start(index: i32) -> Option<DateTime<Utc>> {
    let month = u32::try_from(index.rem_euclid(12)).ok()? + 1;
    Utc.with_ymd_and_hms(index.div_euclid(12), month, 1, 0, 0, 0)
        .single()
}

/// A period cut into whole months, read from the rollups, and the pieces of
/// months at its ends, read from the rows.
#[derive(Debug, PartialEq)]
struct MonthPlan {
    /// `[first, end)` of the whole months (`None`: no whole month; a `None`
    /// bound: unbounded); the undated bucket only over all time.
    months: Option<(Option<i32>, Option<i32>)>,
    /// The pieces of months at the ends.
    edges: Vec<Range>,
}

impl MonthPlan {
    fn new(from: Option<DateTime<Utc>>, until: Option<DateTime<Utc>>) -> Option<Self> {
        let first = match from {
            Some(from) => {
                let month = month_index(from);
                Some(if month_start(month)? == from {
                    month
                } else {
                    month + 1
                })
            }
            None => None,
        };
        let end = until.map(month_index);
        if let (Some(first), Some(end)) = (first, end)
            && first >= end
        {
            return Some(Self {
                months: None,
                edges: vec![(from, until)],
            });
        }
        let mut edges = Vec::new();
        if let (Some(from), Some(first)) = (from, first) {
            let start = month_start(first)?;
            if start != from {
                edges.push((Some(from), Some(start)));
            }
        }
        if let (Some(until), Some(end)) = (until, end) {
            let start = month_start(end)?;
            if start != until {
                edges.push((Some(start), Some(until)));
            }
        }
        Some(Self {
            months: Some((first, end)),
            edges,
        })
    }
}

/// Counts and sums per organization (people trained left at zero).
type Counts = HashMap<String, Measures>;

fn add_counts(into: &mut Counts, counts: Counts) {
    for (organization, m) in counts {
        let entry = into.entry(organization).or_default();
        entry.enrolments += m.enrolments;
        entry.ended += m.ended;
        entry.completed += m.completed;
        entry.score_sum += m.score_sum;
        entry.scored += m.scored;
        entry.training_hours += m.training_hours;
    }
}

fn to_u32(n: i64) -> u32 {
    u32::try_from(Ord::max(n, 0)).unwrap_or(u32::MAX)
}

fn to_u64(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

impl Store {
    /// Measures per organization over `[from, until)`, for `courses` (all
    /// when empty): created enrolments by when they were made, ended ones by
    /// when they ended.
    pub async fn benchmark(
        &self,
        from: Option<DateTime<Utc>>,
        until: Option<DateTime<Utc>>,
        courses: &[Uuid],
    ) -> Result<HashMap<String, Measures>> {
        let Some(plan) = MonthPlan::new(from, until) else {
            return self.benchmark_from_rows(from, until, courses).await;
        };
        self.fold_benchmark_deltas().await?;
        let rolled = async {
            match plan.months {
                Some(months) => self.rollup_counts(months, courses).await,
                None => Ok(Counts::new()),
            }
        };
        let edges = async {
            if plan.edges.is_empty() {
                Ok(Counts::new())
            } else {
                self.row_counts(&plan.edges, courses).await
            }
        };
        let trained = self.people_trained(from, until, courses, &plan);
        let no_shows = self.no_shows(from, until, courses);
        let (mut measures, edges, trained, no_shows) =
            tokio::try_join!(rolled, edges, trained, no_shows)?;
        add_counts(&mut measures, edges);
        for (organization, people) in trained {
            measures.entry(organization).or_default().people_trained = people;
        }
        for (organization, n) in no_shows {
            measures.entry(organization).or_default().no_shows = n;
        }
        Ok(measures)
    }

    /// The same measures as [`Store::benchmark`], computed from the
    /// enrolment rows alone (the reference the rollups must answer like;
    /// a read of every enrolment in the period).
    pub async fn benchmark_from_rows(
        &self,
        from: Option<DateTime<Utc>>,
        until: Option<DateTime<Utc>>,
        courses: &[Uuid],
    ) -> Result<HashMap<String, Measures>> {
        let period = [(from, until)];
        let (mut measures, trained) = tokio::try_join!(
            self.row_counts(&period, courses),
            self.people_trained_from_rows(from, until, courses)
        )?;
        for (organization, people) in trained {
            measures.entry(organization).or_default().people_trained = people;
        }
        Ok(measures)
    }

    /// Moves the deltas the triggers appended into the rollups and the
    /// people-trained spans. Concurrent folds (replicas) take disjoint
    /// deltas: PostgreSQL deletes each row once, SQLite has one writer.
    pub async fn fold_benchmark_deltas(&self) -> Result<()> {
        tokio::try_join!(
            self.fold(
                "benchmark_deltas",
                "benchmark_rollups",
                &["organization_id", "course_id", "month"],
                &COUNTS,
            ),
            self.fold(
                "people_trained_span_deltas",
                "people_trained_spans",
                &["organization_id", "first_month", "last_month"],
                &["people"],
            ),
        )?;
        Ok(())
    }

    /// Adds the rows of `deltas` to `into` (its key `keys`, its sums
    /// `counts`) and deletes them.
    async fn fold(&self, deltas: &str, into: &str, keys: &[&str], counts: &[&str]) -> Result<()> {
        let keys = keys.join(", ");
        let sums = counts
            .iter()
            .map(|c| format!("SUM({c})"))
            .collect::<Vec<_>>()
            .join(", ");
        let add = counts
            .iter()
            .map(|c| format!("{c} = {into}.{c} + excluded.{c}"))
            .collect::<Vec<_>>()
            .join(", ");
        let columns = format!("{keys}, {}", counts.join(", "));
        let upsert = |source: &str| {
            format!(
                "INSERT INTO {into} ({columns}) \
                 SELECT {keys}, {sums} FROM {source} \
                 GROUP BY {keys} ORDER BY {keys} \
                 ON CONFLICT ({keys}) DO UPDATE SET {add}"
            )
        };
        match self.db.get_database_backend() {
            DatabaseBackend::Postgres => {
                self.db
                    .execute_unprepared(&format!(
                        "WITH moved AS (DELETE FROM {deltas} RETURNING {columns}) {}",
                        upsert("moved")
                    ))
                    .await?;
            }
            backend => {
                // Nothing to fold is the common case between writes: a
                // report then takes no write lock (SQLite has one for the
                // whole database, and enrolments wait behind it).
                let pending = self
                    .db
                    .query_one_raw(Statement::from_string(
                        backend,
                        format!("SELECT 1 AS pending FROM {deltas} LIMIT 1"),
                    ))
                    .await?;
                if pending.is_none() {
                    return Ok(());
                }
                // The insert takes SQLite's write lock first: no delta is
                // appended between it and the delete.
                let tx = self.db.begin().await?;
                tx.execute_unprepared(&upsert(deltas)).await?;
                tx.execute_unprepared(&format!("DELETE FROM {deltas}"))
                    .await?;
                tx.commit().await?;
            }
        }
        Ok(())
    }

    /// Counts and sums over whole months `[first, end)`, from the rollups
    /// and the deltas not folded yet, read in one statement (one snapshot,
    /// whatever a concurrent fold moves).
    async fn rollup_counts(
        &self,
        (first, end): (Option<i32>, Option<i32>),
        courses: &[Uuid],
    ) -> Result<Counts> {
        let part = |table: &str| -> SelectStatement {
            let mut select = Query::select();
            select
                .from(Alias::new(table))
                .column(Alias::new("organization_id"));
            for count in COUNTS {
                select.column(Alias::new(count));
            }
            let month = || Expr::col(Alias::new("month"));
            if first.is_some() || end.is_some() {
                select.and_where(month().gt(NO_MONTH));
            }
            if let Some(first) = first {
                select.and_where(month().gte(first));
            }
            if let Some(end) = end {
                select.and_where(month().lt(end));
            }
            if !courses.is_empty() {
                select.and_where(Expr::col(Alias::new("course_id")).is_in(courses.iter().copied()));
            }
            select
        };
        let mut both = part("benchmark_rollups");
        both.union(UnionType::All, part("benchmark_deltas"));
        let mut query = Query::select();
        query
            .column(Alias::new("organization_id"))
            .from_subquery(both, Alias::new("counted"))
            .group_by_col(Alias::new("organization_id"));
        for count in COUNTS {
            query.expr_as(
                Expr::cust(format!("CAST(SUM({count}) AS bigint)")),
                Alias::new(count),
            );
        }
        let statement = self.db.get_database_backend().build(&query);
        let mut counts = Counts::new();
        for row in self.db.query_all_raw(statement).await? {
            let get = |column: &str| row.try_get::<Option<i64>>("", column);
            let organization: String = row.try_get("", "organization_id")?;
            let entry = counts.entry(organization).or_default();
            entry.enrolments = to_u32(get("created")?.unwrap_or(0));
            entry.ended = to_u32(get("ended")?.unwrap_or(0));
            entry.completed = to_u32(get("completed")?.unwrap_or(0));
            entry.score_sum = to_u64(get("score_sum")?.unwrap_or(0));
            entry.scored = to_u32(get("scored")?.unwrap_or(0));
            entry.training_hours = to_u64(get("hours")?.unwrap_or(0));
        }
        // A month whose enrolments all moved away leaves zero rows behind.
        counts.retain(|_, m| *m != Measures::default());
        Ok(counts)
    }

    /// Counts and sums over the union of `ranges`, from the rows.
    async fn row_counts(&self, ranges: &[Range], courses: &[Uuid]) -> Result<Counts> {
        let scope = |column: enrolment::Column| {
            let mut any = Condition::any();
            for (from, until) in ranges {
                let mut range = Condition::all();
                if let Some(from) = from {
                    range = range.add(column.gte(*from));
                }
                if let Some(until) = until {
                    range = range.add(column.lt(*until));
                }
                any = any.add(range);
            }
            let mut condition = Condition::all();
            if ranges
                .iter()
                .any(|(from, until)| from.is_some() || until.is_some())
            {
                condition = condition.add(any);
            }
            if !courses.is_empty() {
                condition = condition.add(enrolment::Column::CourseId.is_in(courses.to_vec()));
            }
            condition
        };
        // Two independent reads, each answered from an index on
        // PostgreSQL (COUNT(*), not COUNT(id): the id is not in the index),
        // run side by side on the pool. Over all time, the
        // enrolments made are the ended ones (counted anyway) plus those not
        // ended: a read of the smaller part instead of the whole table.
        let all_time = ranges
            .iter()
            .any(|(from, until)| from.is_none() && until.is_none());
        let mut created = enrolment::Entity::find()
            .select_only()
            .column(enrolment::Column::TraineeOrganizationId)
            .column_as(Expr::cust("COUNT(*)"), "n")
            .filter(scope(enrolment::Column::CreatedAt));
        if all_time {
            created = created.filter(
                enrolment::Column::Status
                    .is_in(EnrolmentStatus::iter().filter(|status| !ENDED.contains(status))),
            );
        }
        let created = created
            .group_by(enrolment::Column::TraineeOrganizationId)
            .into_tuple::<(String, i64)>()
            .all(&self.db);
        let ended = enrolment::Entity::find()
            .select_only()
            .column(enrolment::Column::TraineeOrganizationId)
            .column(enrolment::Column::Status)
            .column_as(Expr::cust("COUNT(*)"), "n")
            .column_as(
                Expr::col(enrolment::Column::Score).sum().cast_as("bigint"),
                "score_sum",
            )
            .column_as(enrolment::Column::Score.count(), "scored")
            .column_as(
                Expr::col(enrolment::Column::Hours).sum().cast_as("bigint"),
                "hours",
            )
            .filter(scope(enrolment::Column::CompletedAt))
            .filter(enrolment::Column::Status.is_in(ENDED))
            .group_by(enrolment::Column::TraineeOrganizationId)
            .group_by(enrolment::Column::Status)
            .into_tuple::<EndedGroup>()
            .all(&self.db);
        let (created, ended) = tokio::try_join!(created, ended)?;
        let mut measures = Counts::new();
        for (organization, n) in created {
            measures.entry(organization).or_default().enrolments = to_u32(n);
        }
        for (organization, status, n, score_sum, scored, hours) in ended {
            let entry = measures.entry(organization).or_default();
            let n = to_u32(n);
            if all_time {
                entry.enrolments += n;
            }
            entry.ended += n;
            entry.score_sum += to_u64(score_sum.unwrap_or(0));
            entry.scored += to_u32(scored);
            if status == EnrolmentStatus::Completed {
                entry.completed += n;
                entry.training_hours += to_u64(hours.unwrap_or(0));
            }
            if status == EnrolmentStatus::NoShow {
                entry.no_shows += n;
            }
        }
        Ok(measures)
    }

    /// The distinct trainees per organization with a completion in
    /// `[from, until)`, for `courses`: from the people-trained spans (see
    /// `migration/people_trained_spans.rs`) when every course counts and the
    /// period is whole months, from the people-trained table (see
    /// `migration/people_trained.rs`) for other periods, else from the rows.
    async fn people_trained(
        &self,
        from: Option<DateTime<Utc>>,
        until: Option<DateTime<Utc>>,
        courses: &[Uuid],
        plan: &MonthPlan,
    ) -> Result<Vec<(String, u32)>> {
        if !courses.is_empty() {
            return self.people_trained_from_rows(from, until, courses).await;
        }
        if let (Some(months), true) = (plan.months, plan.edges.is_empty()) {
            return self.people_trained_from_spans(months, from, until).await;
        }
        let mut binder = Binder::new(self.db.get_database_backend());
        let condition = match (from, until) {
            (None, None) => "TRUE".to_owned(),
            (Some(from), None) => format!("p.last_completed_at >= {}", binder.bind(from)),
            (None, Some(until)) => format!("p.first_completed_at < {}", binder.bind(until)),
            (Some(from), Some(until)) => {
                // A first or a last completion inside the period, or one of
                // the rows between them (the person's completions straddle it).
                let (f1, u1, f2, u2) = (
                    binder.bind(from),
                    binder.bind(until),
                    binder.bind(from),
                    binder.bind(until),
                );
                format!(
                    "(p.first_completed_at >= {f1} AND p.first_completed_at < {u1}) \
                     OR (p.last_completed_at >= {f2} AND p.last_completed_at < {u2}) \
                     OR ({})",
                    binder.straddling(from, until)
                )
            }
        };
        self.count_people(binder, &condition).await
    }

    /// The people trained over whole months `[first, end)` (`from` and
    /// `until` their first instants), from the spans, the deltas not folded
    /// yet and, for a bounded period, the people whose completions straddle
    /// it (from their rows), read in one statement.
    async fn people_trained_from_spans(
        &self,
        (first, end): (Option<i32>, Option<i32>),
        from: Option<DateTime<Utc>>,
        until: Option<DateTime<Utc>>,
    ) -> Result<Vec<(String, u32)>> {
        let backend = self.db.get_database_backend();
        let condition = match (first, end) {
            (None, None) => "TRUE".to_owned(),
            (Some(first), None) => format!("last_month >= {first}"),
            (None, Some(end)) => format!("first_month > {NO_MONTH} AND first_month < {end}"),
            // A first completion inside, or the first before and the last inside.
            (Some(first), Some(end)) => format!(
                "(first_month >= {first} AND first_month < {end}) \
                 OR (first_month < {first} AND last_month >= {first} AND last_month < {end})"
            ),
        };
        // The straddlers in the same statement: one snapshot, so a person
        // whose completion commits meanwhile is counted once.
        let mut binder = Binder::new(backend);
        let straddling = match (from, until) {
            (Some(from), Some(until)) => format!(
                " UNION ALL SELECT p.organization_id, 1 FROM people_trained p WHERE {}",
                binder.straddling(from, until)
            ),
            _ => String::new(),
        };
        let statement = Statement::from_sql_and_values(
            backend,
            format!(
                "SELECT organization_id AS trainee_organization_id, \
                 CAST(SUM(people) AS bigint) AS n FROM ( \
                   SELECT organization_id, people FROM ( \
                     SELECT organization_id, first_month, last_month, people \
                     FROM people_trained_spans \
                     UNION ALL SELECT organization_id, first_month, last_month, people \
                     FROM people_trained_span_deltas \
                   ) AS spans WHERE {condition}{straddling} \
                 ) AS counted GROUP BY organization_id"
            ),
            binder.values,
        );
        let people = organization_counts(self.db.query_all_raw(statement).await?)?;
        // An organization whose people all moved away leaves zero spans behind.
        Ok(people.into_iter().filter(|(_, n)| *n > 0).collect())
    }

    /// The people-trained rows under `condition` (on `p`), counted per
    /// organization.
    async fn count_people(&self, binder: Binder, condition: &str) -> Result<Vec<(String, u32)>> {
        let statement = Statement::from_sql_and_values(
            binder.backend,
            format!(
                "SELECT p.organization_id AS trainee_organization_id, COUNT(*) AS n \
                 FROM people_trained p WHERE {condition} GROUP BY p.organization_id"
            ),
            binder.values,
        );
        organization_counts(self.db.query_all_raw(statement).await?)
    }

    /// The no-shows per organization that ended in `[from, until)`, for
    /// `courses`: a range of the covering index `enrolments_ended` (status
    /// first), as long as the no-shows and not every ended enrolment.
    async fn no_shows(
        &self,
        from: Option<DateTime<Utc>>,
        until: Option<DateTime<Utc>>,
        courses: &[Uuid],
    ) -> Result<Vec<(String, u32)>> {
        let counts = enrolment::Entity::find()
            .select_only()
            .column(enrolment::Column::TraineeOrganizationId)
            .column_as(Expr::cust("COUNT(*)"), "n")
            .filter(enrolment::Column::Status.eq(EnrolmentStatus::NoShow))
            .filter(ended_within(from, until, courses))
            .group_by(enrolment::Column::TraineeOrganizationId)
            .into_tuple::<(String, i64)>()
            .all(&self.db)
            .await?;
        Ok(counts
            .into_iter()
            .map(|(organization, n)| (organization, to_u32(n)))
            .collect())
    }

    /// [`Store::people_trained`] from the enrolment rows alone, counted
    /// over a DISTINCT subquery (a plain count(DISTINCT …) sorts every group).
    async fn people_trained_from_rows(
        &self,
        from: Option<DateTime<Utc>>,
        until: Option<DateTime<Utc>>,
        courses: &[Uuid],
    ) -> Result<Vec<(String, u32)>> {
        let people = enrolment::Entity::find()
            .select_only()
            .column(enrolment::Column::TraineeOrganizationId)
            .column(enrolment::Column::TraineeSubject)
            .distinct()
            .filter(enrolment::Column::Status.eq(EnrolmentStatus::Completed))
            .filter(ended_within(from, until, courses));
        let query = Query::select()
            .column(enrolment::Column::TraineeOrganizationId)
            .expr_as(Expr::cust("COUNT(*)"), "n")
            .from_subquery(people.into_query(), "trained")
            .group_by_col(enrolment::Column::TraineeOrganizationId)
            .to_owned();
        let statement = self.db.get_database_backend().build(&query);
        organization_counts(self.db.query_all_raw(statement).await?)
    }
}

/// The values of a statement written by hand, and their placeholders.
struct Binder {
    backend: DatabaseBackend,
    values: Vec<sea_orm::Value>,
}

impl Binder {
    fn new(backend: DatabaseBackend) -> Self {
        Self {
            backend,
            values: Vec::new(),
        }
    }

    /// Binds `instant`; its placeholder.
    fn bind(&mut self, instant: DateTime<Utc>) -> String {
        self.values.push(instant.into());
        match self.backend {
            DatabaseBackend::Postgres => format!("${}", self.values.len()),
            _ => "?".to_owned(),
        }
    }

    /// The people-trained rows `p` whose first completion is before `from`,
    /// whose last is on or after `until`, and who completed something in
    /// between.
    fn straddling(&mut self, from: DateTime<Utc>, until: DateTime<Utc>) -> String {
        let (f1, u1, f2, u2) = (
            self.bind(from),
            self.bind(until),
            self.bind(from),
            self.bind(until),
        );
        format!(
            "p.first_completed_at < {f1} AND p.last_completed_at >= {u1} \
             AND EXISTS (SELECT 1 FROM enrolments e \
               WHERE e.status = 'completed' \
               AND e.trainee_organization_id = p.organization_id \
               AND e.trainee_subject = p.trainee_subject \
               AND e.completed_at >= {f2} AND e.completed_at < {u2})"
        )
    }
}

/// Enrolments that ended in `[from, until)` (by their completion time; `None`
/// is unbounded) in `courses` (all when empty).
pub(super) fn ended_within(
    from: Option<DateTime<Utc>>,
    until: Option<DateTime<Utc>>,
    courses: &[Uuid],
) -> Condition {
    let mut condition = Condition::all();
    if let Some(from) = from {
        condition = condition.add(enrolment::Column::CompletedAt.gte(from));
    }
    if let Some(until) = until {
        condition = condition.add(enrolment::Column::CompletedAt.lt(until));
    }
    if !courses.is_empty() {
        condition = condition.add(enrolment::Column::CourseId.is_in(courses.to_vec()));
    }
    condition
}

/// Rows of `trainee_organization_id` and a count `n`.
fn organization_counts(rows: Vec<sea_orm::QueryResult>) -> Result<Vec<(String, u32)>> {
    Ok(rows
        .iter()
        .map(|row| {
            Ok((
                row.try_get::<String>("", "trainee_organization_id")?,
                to_u32(row.try_get::<i64>("", "n")?),
            ))
        })
        .collect::<std::result::Result<Vec<_>, sea_orm::DbErr>>()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(y: i32, m: u32, d: u32, h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, h, 0, 0)
            .single()
            .unwrap_or_default()
    }

    #[test]
    fn month_indexes_round_trip() {
        for instant in [at(1970, 1, 1, 0), at(2026, 12, 31, 23), at(2200, 3, 1, 0)] {
            let index = month_index(instant);
            let start = month_start(index).unwrap_or_default();
            assert_eq!(
                (start.year(), start.month(), start.day()),
                (instant.year(), instant.month(), 1)
            );
        }
    }

    #[test]
    fn all_time_is_every_month_and_no_edge() {
        let plan = MonthPlan::new(None, None);
        assert_eq!(
            plan,
            Some(MonthPlan {
                months: Some((None, None)),
                edges: vec![]
            })
        );
    }

    #[test]
    fn whole_months_read_no_row() {
        let plan = MonthPlan::new(Some(at(2026, 3, 1, 0)), Some(at(2026, 6, 1, 0)));
        let (first, end) = (
            month_index(at(2026, 3, 1, 0)),
            month_index(at(2026, 6, 1, 0)),
        );
        assert_eq!(
            plan,
            Some(MonthPlan {
                months: Some((Some(first), Some(end))),
                edges: vec![]
            })
        );
    }

    #[test]
    fn a_jalali_quarter_reads_the_pieces_at_its_ends() {
        // 1405/01/01 00:00 Tehran is 2026-03-20 20:30 UTC.
        let from = Utc.with_ymd_and_hms(2026, 3, 20, 20, 30, 0).single();
        let until = Utc.with_ymd_and_hms(2026, 6, 21, 20, 30, 0).single();
        let plan = MonthPlan::new(from, until);
        let april = month_index(at(2026, 4, 1, 0));
        let june = month_index(at(2026, 6, 1, 0));
        assert_eq!(
            plan,
            Some(MonthPlan {
                months: Some((Some(april), Some(june))),
                edges: vec![
                    (from, Some(at(2026, 4, 1, 0))),
                    (Some(at(2026, 6, 1, 0)), until)
                ],
            })
        );
    }

    #[test]
    fn a_period_within_a_month_is_read_from_the_rows() {
        let (from, until) = (Some(at(2026, 5, 2, 0)), Some(at(2026, 5, 30, 0)));
        assert_eq!(
            MonthPlan::new(from, until),
            Some(MonthPlan {
                months: None,
                edges: vec![(from, until)]
            })
        );
        let (from, until) = (Some(at(2026, 5, 2, 0)), Some(at(2026, 6, 1, 0)));
        assert_eq!(
            MonthPlan::new(from, until),
            Some(MonthPlan {
                months: None,
                edges: vec![(from, until)]
            })
        );
    }

    #[test]
    fn open_ends_keep_one_edge() {
        let from = Some(at(2026, 5, 2, 0));
        assert_eq!(
            MonthPlan::new(from, None),
            Some(MonthPlan {
                months: Some((Some(month_index(at(2026, 6, 1, 0))), None)),
                edges: vec![(from, Some(at(2026, 6, 1, 0)))],
            })
        );
    }
}
