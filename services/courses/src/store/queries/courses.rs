//! Course queries: creating and editing DRAFT courses with their
//! prerequisites (refusing cycles), and reading and listing them.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use hamafza_kit::idempotency::RequestKey;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, ExprTrait,
    QueryFilter, QuerySelect, Set, TransactionTrait,
};
use uuid::Uuid;

use super::{
    CatalogColumns, Result, Store, Subject, catalog_listing, code_conflict, not_found, to_i32,
};
use crate::domain::CoursesError;
use crate::domain::catalog::CourseDraft;
use crate::domain::workflow::{self, CatalogStatus};
use crate::store::entities::{council_vote, course, course_prerequisite};

/// A course with its prerequisites and the votes of its latest round.
#[derive(Debug, Clone)]
pub struct CourseRecord {
    /// The course row.
    pub course: course::Model,
    /// Prerequisite course ids, in order.
    pub prerequisites: Vec<Uuid>,
    /// Votes of the latest round, oldest first.
    pub votes: Vec<council_vote::Model>,
}

/// Filters of a course listing.
#[derive(Debug, Clone, Default)]
pub struct CourseFilter {
    /// Statuses to include; never empty (the API fills in what the caller may see).
    pub statuses: Vec<CatalogStatus>,
    /// Owner organization.
    pub owner: Option<String>,
    /// Category.
    pub category: Option<String>,
    /// Text in code or titles.
    pub text: Option<String>,
    /// Created at or after.
    pub created_from: Option<DateTime<Utc>>,
    /// Created before.
    pub created_until: Option<DateTime<Utc>>,
    /// Only these ids.
    pub ids: Vec<Uuid>,
    /// Only courses sent to the council at least once.
    pub reviewed: bool,
}

impl Store {
    /// Creates a course in DRAFT; under a client's request `key`, once (see
    /// [`Store::create_once`]).
    pub async fn create_course(
        &self,
        draft: &CourseDraft,
        owner: &str,
        created_by: &str,
        now: DateTime<Utc>,
        key: Option<&RequestKey>,
    ) -> Result<CourseRecord> {
        self.require_organization(owner).await?;
        self.require_courses(&draft.prerequisites).await?;
        let id = self
            .create_once(key, async |txn| {
                insert_course(txn, draft, owner, created_by, now).await
            })
            .await?;
        self.course(id)
            .await?
            .ok_or_else(|| not_found("course", id))
    }

    /// Replaces a DRAFT course's details if it is still at `revision`.
    pub async fn update_course(
        &self,
        id: Uuid,
        draft: &CourseDraft,
        revision: i64,
        now: DateTime<Utc>,
    ) -> Result<CourseRecord> {
        self.require_courses(&draft.prerequisites).await?;
        if draft.prerequisites.contains(&id) {
            return Err(CoursesError::PrerequisiteCycle);
        }
        let txn = self.db.begin().await?;
        let details = course_details(draft);
        let mut update = course::Entity::update_many()
            .filter(course::Column::Id.eq(id))
            .filter(course::Column::Status.eq(CatalogStatus::Draft))
            .filter(course::Column::Revision.eq(revision))
            .col_expr(course::Column::UpdatedAt, Expr::value(now))
            .col_expr(
                course::Column::Revision,
                Expr::col(course::Column::Revision).add(1),
            );
        for column in [
            course::Column::Code,
            course::Column::TitleFa,
            course::Column::TitleEn,
            course::Column::DescriptionFa,
            course::Column::DescriptionEn,
            course::Column::AudienceFa,
            course::Column::AudienceEn,
            course::Column::Category,
            course::Column::Hours,
            course::Column::DeliveryMode,
            course::Column::PassingScore,
            course::Column::MinAttendancePercent,
            course::Column::CertificateValidityMonths,
            course::Column::RequiresManagerApproval,
            course::Column::SearchKey,
        ] {
            if let Some(value) = details.get(column).into_value() {
                update = update.col_expr(column, Expr::value(value));
            }
        }
        let updated = match update.exec(&txn).await {
            Ok(result) => result.rows_affected,
            Err(error) => return Err(code_conflict(error, "course", draft.code.as_str())),
        };
        if updated == 0 {
            drop(txn);
            return Err(self
                .explain_edit_refusal(Subject::Course, id, revision)
                .await);
        }
        // A prerequisite that (transitively) requires this course would make
        // both impossible to take. Two concurrent edits could each close half
        // of a cycle, so on PostgreSQL they take turns on one advisory lock
        // (SQLite's single writer already serializes them).
        if hamafza_kit::db::is_postgres(&self.db) {
            txn.execute_unprepared("SELECT pg_advisory_xact_lock(7100001)")
                .await?;
        }
        let mut graph: HashMap<Uuid, Vec<Uuid>> = HashMap::new();
        for edge in course_prerequisite::Entity::find().all(&txn).await? {
            if edge.course_id != id {
                graph
                    .entry(edge.course_id)
                    .or_default()
                    .push(edge.prerequisite_id);
            }
        }
        if workflow::reaches(&draft.prerequisites, id, |node| {
            graph.get(&node).cloned().unwrap_or_default()
        }) {
            return Err(CoursesError::PrerequisiteCycle);
        }
        course_prerequisite::Entity::delete_many()
            .filter(course_prerequisite::Column::CourseId.eq(id))
            .exec(&txn)
            .await?;
        insert_prerequisites(&txn, id, &draft.prerequisites).await?;
        txn.commit().await?;
        self.course(id)
            .await?
            .ok_or_else(|| not_found("course", id))
    }

    pub(super) async fn require_courses(&self, ids: &[Uuid]) -> Result<()> {
        if ids.is_empty() {
            return Ok(());
        }
        let found: Vec<Uuid> = course::Entity::find()
            .select_only()
            .column(course::Column::Id)
            .filter(course::Column::Id.is_in(ids.to_vec()))
            .into_tuple()
            .all(&self.db)
            .await?;
        match ids.iter().find(|id| !found.contains(id)) {
            Some(missing) => Err(not_found("course", missing)),
            None => Ok(()),
        }
    }

    /// One course.
    pub async fn course(&self, id: Uuid) -> Result<Option<CourseRecord>> {
        let Some(row) = course::Entity::find_by_id(id).one(&self.db).await? else {
            return Ok(None);
        };
        Ok(self.course_records(vec![row]).await?.pop())
    }

    /// Courses by id (creation order), after `after`.
    pub async fn list_courses(
        &self,
        filter: &CourseFilter,
        after: Option<Uuid>,
        limit: u64,
    ) -> Result<Vec<CourseRecord>> {
        let mut query = catalog_listing::<course::Entity>(
            CatalogColumns {
                id: course::Column::Id,
                status: course::Column::Status,
                owner: course::Column::OwnerOrganizationId,
                search_key: course::Column::SearchKey,
                created_at: course::Column::CreatedAt,
            },
            &filter.statuses,
            filter.owner.as_ref(),
            filter.text.as_ref(),
            (filter.created_from, filter.created_until),
            after,
            limit,
        );
        if let Some(category) = &filter.category {
            query = query.filter(course::Column::Category.eq(category.clone()));
        }
        if !filter.ids.is_empty() {
            query = query.filter(course::Column::Id.is_in(filter.ids.clone()));
        }
        if filter.reviewed {
            query = query.filter(course::Column::ReviewRound.gt(0));
        }
        let rows = query.all(&self.db).await?;
        self.course_records(rows).await
    }

    async fn course_records(&self, rows: Vec<course::Model>) -> Result<Vec<CourseRecord>> {
        let ids: Vec<Uuid> = rows.iter().map(|row| row.id).collect();
        let mut prerequisites: HashMap<Uuid, Vec<course_prerequisite::Model>> = HashMap::new();
        if !ids.is_empty() {
            for edge in course_prerequisite::Entity::find()
                .filter(course_prerequisite::Column::CourseId.is_in(ids.clone()))
                .all(&self.db)
                .await?
            {
                prerequisites.entry(edge.course_id).or_default().push(edge);
            }
        }
        let rounds: Vec<(Uuid, i32)> = rows.iter().map(|row| (row.id, row.review_round)).collect();
        let mut votes = self.current_votes(Subject::Course, &rounds).await?;
        Ok(rows
            .into_iter()
            .map(|row| {
                let mut edges = prerequisites.remove(&row.id).unwrap_or_default();
                edges.sort_by_key(|edge| edge.position);
                CourseRecord {
                    votes: votes.remove(&row.id).unwrap_or_default(),
                    prerequisites: edges.into_iter().map(|edge| edge.prerequisite_id).collect(),
                    course: row,
                }
            })
            .collect())
    }
}

fn course_details(draft: &CourseDraft) -> course::ActiveModel {
    course::ActiveModel {
        code: Set(draft.code.as_str().to_owned()),
        title_fa: Set(draft.title.fa.clone()),
        title_en: Set(draft.title.en.clone()),
        description_fa: Set(draft.description.fa.clone()),
        description_en: Set(draft.description.en.clone()),
        audience_fa: Set(draft.audience.fa.clone()),
        audience_en: Set(draft.audience.en.clone()),
        category: Set(draft.category.as_str().to_owned()),
        hours: Set(to_i32(draft.hours)),
        delivery_mode: Set(draft.delivery_mode),
        passing_score: Set(to_i32(draft.passing_score)),
        min_attendance_percent: Set(to_i32(draft.min_attendance_percent)),
        certificate_validity_months: Set(draft.certificate_validity_months.map(to_i32)),
        requires_manager_approval: Set(draft.requires_manager_approval),
        search_key: Set(course_search_key(draft)),
        ..Default::default()
    }
}

/// What a course is found by: its code and titles.
fn course_search_key(draft: &CourseDraft) -> String {
    hamafza_kit::text::search_key_of(&[draft.code.as_str(), &draft.title.fa, &draft.title.en])
}

async fn insert_prerequisites(
    db: &impl ConnectionTrait,
    course_id: Uuid,
    prerequisites: &[Uuid],
) -> Result<()> {
    if prerequisites.is_empty() {
        return Ok(());
    }
    let rows = prerequisites
        .iter()
        .enumerate()
        .map(
            |(position, prerequisite)| course_prerequisite::ActiveModel {
                course_id: Set(course_id),
                prerequisite_id: Set(*prerequisite),
                position: Set(i32::try_from(position).unwrap_or(i32::MAX)),
            },
        );
    course_prerequisite::Entity::insert_many(rows)
        .exec_without_returning(db)
        .await?;
    Ok(())
}

/// Writes a new DRAFT course and its prerequisites; answers its id.
async fn insert_course(
    txn: &DatabaseTransaction,
    draft: &CourseDraft,
    owner: &str,
    created_by: &str,
    now: DateTime<Utc>,
) -> Result<Uuid> {
    let id = Uuid::now_v7();
    let row = course::ActiveModel {
        id: Set(id),
        status: Set(CatalogStatus::Draft),
        owner_organization_id: Set(owner.to_owned()),
        review_round: Set(0),
        revision: Set(1),
        created_by: Set(created_by.to_owned()),
        created_at: Set(now),
        updated_at: Set(now),
        published_at: Set(None),
        ..course_details(draft)
    };
    if let Err(error) = course::Entity::insert(row)
        .exec_without_returning(txn)
        .await
    {
        return Err(code_conflict(error, "course", draft.code.as_str()));
    }
    insert_prerequisites(txn, id, &draft.prerequisites).await?;
    Ok(id)
}
