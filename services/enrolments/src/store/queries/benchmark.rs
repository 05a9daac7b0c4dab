//! Benchmarking: enrolment, completion and training measures per
//! organization over a period.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, ExprTrait, Iterable, QueryFilter,
    QuerySelect, QueryTrait,
};
use uuid::Uuid;

use super::{Result, Store};
use crate::domain::benchmark::Measures;
use crate::domain::status::EnrolmentStatus;
use crate::store::entities::enrolment;

/// One group of ended enrolments: organization, status, count, score sum,
/// scored count, hours sum.
type EndedGroup = (String, EnrolmentStatus, i64, Option<i64>, i64, Option<i64>);

impl Store {
    /// Measures per organization over `[from, until)`, for `courses` (all when empty).
    pub async fn benchmark(
        &self,
        from: Option<DateTime<Utc>>,
        until: Option<DateTime<Utc>>,
        courses: &[Uuid],
    ) -> Result<HashMap<String, Measures>> {
        let mut measures: HashMap<String, Measures> = HashMap::new();
        let scope = |column: enrolment::Column| {
            let mut condition = Condition::all();
            if let Some(from) = from {
                condition = condition.add(column.gte(from));
            }
            if let Some(until) = until {
                condition = condition.add(column.lt(until));
            }
            if !courses.is_empty() {
                condition = condition.add(enrolment::Column::CourseId.is_in(courses.to_vec()));
            }
            condition
        };
        const ENDED: [EnrolmentStatus; 3] = [
            EnrolmentStatus::Completed,
            EnrolmentStatus::Failed,
            EnrolmentStatus::NoShow,
        ];
        // Three independent reads, each answered from an index on
        // PostgreSQL (COUNT(*), not COUNT(id): the id is not in the index),
        // run side by side on the pool. Over all time, the
        // enrolments made are the ended ones (counted anyway) plus those not
        // ended: a read of the smaller part instead of the whole table.
        let all_time = from.is_none() && until.is_none();
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
        // People trained: distinct trainees with a completion, counted over
        // a DISTINCT subquery (a plain count(DISTINCT …) sorts every group).
        let trained = {
            let people = enrolment::Entity::find()
                .select_only()
                .column(enrolment::Column::TraineeOrganizationId)
                .column(enrolment::Column::TraineeSubject)
                .distinct()
                .filter(scope(enrolment::Column::CompletedAt))
                .filter(enrolment::Column::Status.eq(EnrolmentStatus::Completed))
                .into_query();
            let query = sea_orm::sea_query::Query::select()
                .column(enrolment::Column::TraineeOrganizationId)
                .expr_as(Expr::cust("COUNT(*)"), "n")
                .from_subquery(people, "trained")
                .group_by_col(enrolment::Column::TraineeOrganizationId)
                .to_owned();
            let statement = self.db.get_database_backend().build(&query);
            async move {
                let rows = self.db.query_all_raw(statement).await?;
                rows.iter()
                    .map(|row| {
                        Ok((
                            row.try_get::<String>("", "trainee_organization_id")?,
                            row.try_get::<i64>("", "n")?,
                        ))
                    })
                    .collect::<std::result::Result<Vec<_>, sea_orm::DbErr>>()
            }
        };
        let (created, ended, trained) = tokio::try_join!(created, ended, trained)?;
        for (organization, n) in created {
            measures.entry(organization).or_default().enrolments =
                u32::try_from(n).unwrap_or(u32::MAX);
        }
        for (organization, status, n, score_sum, scored, hours) in ended {
            let entry = measures.entry(organization).or_default();
            let n = u32::try_from(n).unwrap_or(u32::MAX);
            if all_time {
                entry.enrolments += n;
            }
            entry.ended += n;
            entry.score_sum += u64::try_from(score_sum.unwrap_or(0)).unwrap_or(0);
            entry.scored += u32::try_from(scored).unwrap_or(0);
            if status == EnrolmentStatus::Completed {
                entry.completed += n;
                entry.training_hours += u64::try_from(hours.unwrap_or(0)).unwrap_or(0);
            }
        }
        for (organization, people) in trained {
            measures.entry(organization).or_default().people_trained =
                u32::try_from(people).unwrap_or(u32::MAX);
        }
        Ok(measures)
    }
}
