//! Every query the courses service runs. State changes are conditional
//! updates (`… WHERE status = <expected>`) so that two racing callers cannot
//! both succeed, and every write transaction starts with a write so that
//! SQLite takes its write lock first instead of failing on a lock upgrade.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, Func, Query, SimpleExpr};
use sea_orm::{
    ActiveEnum, ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection,
    DbErr, EntityTrait, ExprTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set,
    TransactionTrait,
};
use uuid::Uuid;

use super::entities::{
    council_vote, course, course_prerequisite, event, event_participant, organization, program,
    program_course, session, session_quota,
};
use crate::domain::CoursesError;
use crate::domain::catalog::{CourseDraft, EventDraft, OrganizationDraft, ProgramDraft};
use crate::domain::sessions::{Meeting, SessionMove, SessionPlan, SessionStatus};
use crate::domain::values::{EventKind, OrganizationId, OrganizationKind};
use crate::domain::workflow::{self, CatalogStatus, RoundOutcome, Transition, VoteDecision};

type Result<T> = std::result::Result<T, CoursesError>;

/// The courses database.
#[derive(Debug, Clone)]
pub struct Store {
    db: DatabaseConnection,
}

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

/// A program with its courses and the votes of its latest round.
#[derive(Debug, Clone)]
pub struct ProgramRecord {
    /// The program row.
    pub program: program::Model,
    /// Its courses, in order.
    pub courses: Vec<program_course::Model>,
    /// Votes of the latest round, oldest first.
    pub votes: Vec<council_vote::Model>,
}

/// A session with its seat quotas.
#[derive(Debug, Clone)]
pub struct SessionRecord {
    /// The session row.
    pub session: session::Model,
    /// Per-organization quotas.
    pub quotas: Vec<session_quota::Model>,
}

/// An event with its participants.
#[derive(Debug, Clone)]
pub struct EventRecord {
    /// The event row.
    pub event: event::Model,
    /// Participating organization ids.
    pub participants: Vec<String>,
}

/// Programs and courses share the council workflow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subject {
    /// A course.
    Course,
    /// A program.
    Program,
}

impl Subject {
    fn table(self) -> &'static str {
        match self {
            Self::Course => "courses",
            Self::Program => "programs",
        }
    }

    /// The name used in votes and messages.
    pub fn kind(self) -> &'static str {
        match self {
            Self::Course => "course",
            Self::Program => "program",
        }
    }
}

/// Who cast a vote.
#[derive(Debug, Clone)]
pub struct Voter {
    /// Token `sub`.
    pub subject: String,
    /// Display name.
    pub name: String,
    /// Organization.
    pub organization_id: String,
}

/// A council member's vote.
#[derive(Debug, Clone)]
pub struct Ballot<'a> {
    /// Who votes.
    pub voter: &'a Voter,
    /// Approve or reject.
    pub decision: VoteDecision,
    /// Why.
    pub comment: &'a str,
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
}

/// Filters of a program listing.
#[derive(Debug, Clone, Default)]
pub struct ProgramFilter {
    /// Statuses to include; never empty.
    pub statuses: Vec<CatalogStatus>,
    /// Owner organization.
    pub owner: Option<String>,
    /// Text in code or titles.
    pub text: Option<String>,
    /// Created at or after.
    pub created_from: Option<DateTime<Utc>>,
    /// Created before.
    pub created_until: Option<DateTime<Utc>>,
    /// Including this course.
    pub course: Option<Uuid>,
}

/// Filters of a session listing.
#[derive(Debug, Clone, Default)]
pub struct SessionFilter {
    /// Statuses to include; never empty.
    pub statuses: Vec<SessionStatus>,
    /// Also include PLANNED sessions taught by this instructor.
    pub also_planned_by: Option<String>,
    /// Of this course.
    pub course: Option<Uuid>,
    /// Starting at or after.
    pub start_from: Option<DateTime<Utc>>,
    /// Starting before.
    pub start_until: Option<DateTime<Utc>>,
    /// With a quota for this organization.
    pub organization: Option<String>,
    /// Taught by this instructor.
    pub instructor: Option<String>,
    /// Changed at or after; orders the listing by change time.
    pub updated_since: Option<DateTime<Utc>>,
    /// Only sessions of published or retired courses.
    pub public_courses_only: bool,
    /// Only these sessions.
    pub ids: Vec<Uuid>,
}

/// Filters of an event listing.
#[derive(Debug, Clone, Default)]
pub struct EventFilter {
    /// Kind.
    pub kind: Option<EventKind>,
    /// Starting at or after.
    pub start_from: Option<DateTime<Utc>>,
    /// Starting before.
    pub start_until: Option<DateTime<Utc>>,
    /// Organizing or taking part.
    pub organization: Option<String>,
    /// Text in titles.
    pub text: Option<String>,
}

/// Filters of an organization listing.
#[derive(Debug, Clone, Default)]
pub struct OrganizationFilter {
    /// Kind.
    pub kind: Option<OrganizationKind>,
    /// Text in id or names.
    pub text: Option<String>,
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

    // ---- organizations ---------------------------------------------------

    /// One organization.
    pub async fn organization(&self, id: &str) -> Result<Option<organization::Model>> {
        Ok(organization::Entity::find_by_id(id.to_owned())
            .one(&self.db)
            .await?)
    }

    /// The ids among `ids` that name no organization.
    pub async fn missing_organizations(&self, ids: &[&str]) -> Result<Vec<String>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let found: Vec<String> = organization::Entity::find()
            .select_only()
            .column(organization::Column::Id)
            .filter(organization::Column::Id.is_in(ids.iter().map(|id| (*id).to_owned())))
            .into_tuple()
            .all(&self.db)
            .await?;
        Ok(ids
            .iter()
            .filter(|id| !found.iter().any(|f| f == *id))
            .map(|id| (*id).to_owned())
            .collect())
    }

    /// Organizations by id, after `after`.
    pub async fn list_organizations(
        &self,
        filter: &OrganizationFilter,
        after: Option<String>,
        limit: u64,
    ) -> Result<Vec<organization::Model>> {
        let mut query = organization::Entity::find()
            .order_by_asc(organization::Column::Id)
            .limit(limit);
        if let Some(after) = after {
            query = query.filter(organization::Column::Id.gt(after));
        }
        if let Some(kind) = filter.kind {
            query = query.filter(organization::Column::Kind.eq(kind));
        }
        if let Some(text) = &filter.text {
            query = query.filter(contains_any(
                &[
                    organization::Column::Id,
                    organization::Column::NameFa,
                    organization::Column::NameEn,
                ],
                text,
            ));
        }
        Ok(query.all(&self.db).await?)
    }

    /// Registers an organization.
    pub async fn create_organization(
        &self,
        draft: &OrganizationDraft,
        now: DateTime<Utc>,
    ) -> Result<organization::Model> {
        if let Some(parent) = &draft.parent {
            self.require_organization(parent.as_str()).await?;
        }
        let row = organization::ActiveModel {
            id: Set(draft.id.as_str().to_owned()),
            name_fa: Set(draft.name.fa.clone()),
            name_en: Set(draft.name.en.clone()),
            kind: Set(draft.kind),
            parent_id: Set(draft.parent.as_ref().map(|p| p.as_str().to_owned())),
            created_at: Set(now),
        };
        match organization::Entity::insert(row)
            .exec_with_returning(&self.db)
            .await
        {
            Ok(model) => Ok(model),
            Err(error) if hamafza_kit::db::is_unique_violation(&error) => {
                Err(CoursesError::Duplicate {
                    kind: "organization",
                    value: draft.id.to_string(),
                })
            }
            Err(error) => Err(error.into()),
        }
    }

    /// Changes an organization's name, kind and parent.
    pub async fn update_organization(
        &self,
        draft: &OrganizationDraft,
    ) -> Result<organization::Model> {
        if let Some(parent) = &draft.parent {
            self.require_organization(parent.as_str()).await?;
        }
        let existing = self
            .organization(draft.id.as_str())
            .await?
            .ok_or_else(|| not_found("organization", draft.id.as_str()))?;
        let mut row: organization::ActiveModel = existing.into();
        row.name_fa = Set(draft.name.fa.clone());
        row.name_en = Set(draft.name.en.clone());
        row.kind = Set(draft.kind);
        row.parent_id = Set(draft.parent.as_ref().map(|p| p.as_str().to_owned()));
        Ok(row.update(&self.db).await?)
    }

    async fn require_organization(&self, id: &str) -> Result<()> {
        match self.organization(id).await? {
            Some(_) => Ok(()),
            None => Err(not_found("organization", id)),
        }
    }

    // ---- courses -----------------------------------------------------------

    /// Creates a course in DRAFT.
    pub async fn create_course(
        &self,
        draft: &CourseDraft,
        owner: &str,
        created_by: &str,
        now: DateTime<Utc>,
    ) -> Result<CourseRecord> {
        self.require_organization(owner).await?;
        self.require_courses(&draft.prerequisites).await?;
        let id = Uuid::now_v7();
        let txn = self.db.begin().await?;
        let row = course::ActiveModel {
            id: Set(id),
            status: Set(CatalogStatus::Draft),
            owner_organization_id: Set(owner.to_owned()),
            review_round: Set(0),
            created_by: Set(created_by.to_owned()),
            created_at: Set(now),
            updated_at: Set(now),
            published_at: Set(None),
            ..course_details(draft)
        };
        if let Err(error) = course::Entity::insert(row)
            .exec_without_returning(&txn)
            .await
        {
            return Err(code_conflict(error, "course", draft.code.as_str()));
        }
        insert_prerequisites(&txn, id, &draft.prerequisites).await?;
        txn.commit().await?;
        self.course(id)
            .await?
            .ok_or_else(|| not_found("course", id))
    }

    /// Replaces a DRAFT course's details.
    pub async fn update_course(
        &self,
        id: Uuid,
        draft: &CourseDraft,
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
            .col_expr(course::Column::UpdatedAt, Expr::value(now));
        for column in [
            course::Column::Code,
            course::Column::TitleFa,
            course::Column::TitleEn,
            course::Column::DescriptionFa,
            course::Column::DescriptionEn,
            course::Column::Category,
            course::Column::Hours,
            course::Column::DeliveryMode,
            course::Column::PassingScore,
            course::Column::MinAttendancePercent,
            course::Column::CertificateValidityMonths,
            course::Column::RequiresManagerApproval,
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
                .explain_catalog_refusal(Subject::Course, id, Transition::Edit)
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

    async fn require_courses(&self, ids: &[Uuid]) -> Result<()> {
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
        let mut query = course::Entity::find()
            .filter(course::Column::Status.is_in(filter.statuses.clone()))
            .order_by_asc(course::Column::Id)
            .limit(limit);
        if let Some(after) = after {
            query = query.filter(course::Column::Id.gt(after));
        }
        if let Some(owner) = &filter.owner {
            query = query.filter(course::Column::OwnerOrganizationId.eq(owner.clone()));
        }
        if let Some(category) = &filter.category {
            query = query.filter(course::Column::Category.eq(category.clone()));
        }
        if let Some(text) = &filter.text {
            query = query.filter(contains_any(
                &[
                    course::Column::Code,
                    course::Column::TitleFa,
                    course::Column::TitleEn,
                ],
                text,
            ));
        }
        if let Some(from) = filter.created_from {
            query = query.filter(course::Column::CreatedAt.gte(from));
        }
        if let Some(until) = filter.created_until {
            query = query.filter(course::Column::CreatedAt.lt(until));
        }
        if !filter.ids.is_empty() {
            query = query.filter(course::Column::Id.is_in(filter.ids.clone()));
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

    // ---- programs ----------------------------------------------------------

    /// Creates a program in DRAFT.
    pub async fn create_program(
        &self,
        draft: &ProgramDraft,
        owner: &str,
        created_by: &str,
        now: DateTime<Utc>,
    ) -> Result<ProgramRecord> {
        self.require_organization(owner).await?;
        let course_ids: Vec<Uuid> = draft.courses.iter().map(|(id, _)| *id).collect();
        self.require_courses(&course_ids).await?;
        let id = Uuid::now_v7();
        let txn = self.db.begin().await?;
        let row = program::ActiveModel {
            id: Set(id),
            code: Set(draft.code.as_str().to_owned()),
            title_fa: Set(draft.title.fa.clone()),
            title_en: Set(draft.title.en.clone()),
            description_fa: Set(draft.description.fa.clone()),
            description_en: Set(draft.description.en.clone()),
            status: Set(CatalogStatus::Draft),
            owner_organization_id: Set(owner.to_owned()),
            review_round: Set(0),
            created_by: Set(created_by.to_owned()),
            created_at: Set(now),
            updated_at: Set(now),
            published_at: Set(None),
        };
        if let Err(error) = program::Entity::insert(row)
            .exec_without_returning(&txn)
            .await
        {
            return Err(code_conflict(error, "program", draft.code.as_str()));
        }
        insert_program_courses(&txn, id, &draft.courses).await?;
        txn.commit().await?;
        self.program(id)
            .await?
            .ok_or_else(|| not_found("program", id))
    }

    /// Replaces a DRAFT program's details.
    pub async fn update_program(
        &self,
        id: Uuid,
        draft: &ProgramDraft,
        now: DateTime<Utc>,
    ) -> Result<ProgramRecord> {
        let course_ids: Vec<Uuid> = draft.courses.iter().map(|(id, _)| *id).collect();
        self.require_courses(&course_ids).await?;
        let txn = self.db.begin().await?;
        let update = program::Entity::update_many()
            .filter(program::Column::Id.eq(id))
            .filter(program::Column::Status.eq(CatalogStatus::Draft))
            .col_expr(program::Column::UpdatedAt, Expr::value(now))
            .col_expr(program::Column::Code, Expr::value(draft.code.as_str()))
            .col_expr(
                program::Column::TitleFa,
                Expr::value(draft.title.fa.clone()),
            )
            .col_expr(
                program::Column::TitleEn,
                Expr::value(draft.title.en.clone()),
            )
            .col_expr(
                program::Column::DescriptionFa,
                Expr::value(draft.description.fa.clone()),
            )
            .col_expr(
                program::Column::DescriptionEn,
                Expr::value(draft.description.en.clone()),
            );
        let updated = match update.exec(&txn).await {
            Ok(result) => result.rows_affected,
            Err(error) => return Err(code_conflict(error, "program", draft.code.as_str())),
        };
        if updated == 0 {
            drop(txn);
            return Err(self
                .explain_catalog_refusal(Subject::Program, id, Transition::Edit)
                .await);
        }
        program_course::Entity::delete_many()
            .filter(program_course::Column::ProgramId.eq(id))
            .exec(&txn)
            .await?;
        insert_program_courses(&txn, id, &draft.courses).await?;
        txn.commit().await?;
        self.program(id)
            .await?
            .ok_or_else(|| not_found("program", id))
    }

    /// One program.
    pub async fn program(&self, id: Uuid) -> Result<Option<ProgramRecord>> {
        let Some(row) = program::Entity::find_by_id(id).one(&self.db).await? else {
            return Ok(None);
        };
        Ok(self.program_records(vec![row]).await?.pop())
    }

    /// Programs by id (creation order), after `after`.
    pub async fn list_programs(
        &self,
        filter: &ProgramFilter,
        after: Option<Uuid>,
        limit: u64,
    ) -> Result<Vec<ProgramRecord>> {
        let mut query = program::Entity::find()
            .filter(program::Column::Status.is_in(filter.statuses.clone()))
            .order_by_asc(program::Column::Id)
            .limit(limit);
        if let Some(after) = after {
            query = query.filter(program::Column::Id.gt(after));
        }
        if let Some(owner) = &filter.owner {
            query = query.filter(program::Column::OwnerOrganizationId.eq(owner.clone()));
        }
        if let Some(text) = &filter.text {
            query = query.filter(contains_any(
                &[
                    program::Column::Code,
                    program::Column::TitleFa,
                    program::Column::TitleEn,
                ],
                text,
            ));
        }
        if let Some(from) = filter.created_from {
            query = query.filter(program::Column::CreatedAt.gte(from));
        }
        if let Some(until) = filter.created_until {
            query = query.filter(program::Column::CreatedAt.lt(until));
        }
        if let Some(course_id) = filter.course {
            let including = Query::select()
                .column(program_course::Column::ProgramId)
                .from(program_course::Entity)
                .and_where(Expr::col(program_course::Column::CourseId).eq(course_id))
                .take();
            query = query.filter(Expr::col(program::Column::Id).in_subquery(including));
        }
        let rows = query.all(&self.db).await?;
        self.program_records(rows).await
    }

    async fn program_records(&self, rows: Vec<program::Model>) -> Result<Vec<ProgramRecord>> {
        let ids: Vec<Uuid> = rows.iter().map(|row| row.id).collect();
        let mut courses: HashMap<Uuid, Vec<program_course::Model>> = HashMap::new();
        if !ids.is_empty() {
            for item in program_course::Entity::find()
                .filter(program_course::Column::ProgramId.is_in(ids.clone()))
                .order_by_asc(program_course::Column::Position)
                .all(&self.db)
                .await?
            {
                courses.entry(item.program_id).or_default().push(item);
            }
        }
        let rounds: Vec<(Uuid, i32)> = rows.iter().map(|row| (row.id, row.review_round)).collect();
        let mut votes = self.current_votes(Subject::Program, &rounds).await?;
        Ok(rows
            .into_iter()
            .map(|row| ProgramRecord {
                courses: courses.remove(&row.id).unwrap_or_default(),
                votes: votes.remove(&row.id).unwrap_or_default(),
                program: row,
            })
            .collect())
    }

    /// The codes of a program's courses that are not published.
    pub async fn unpublished_program_courses(&self, program_id: Uuid) -> Result<Vec<String>> {
        let course_ids: Vec<Uuid> = program_course::Entity::find()
            .select_only()
            .column(program_course::Column::CourseId)
            .filter(program_course::Column::ProgramId.eq(program_id))
            .into_tuple()
            .all(&self.db)
            .await?;
        if course_ids.is_empty() {
            return Ok(Vec::new());
        }
        Ok(course::Entity::find()
            .select_only()
            .column(course::Column::Code)
            .filter(course::Column::Id.is_in(course_ids))
            .filter(course::Column::Status.ne(CatalogStatus::Published))
            .into_tuple()
            .all(&self.db)
            .await?)
    }

    // ---- council workflow (programs and courses) ---------------------------

    /// Moves a program or course through the workflow. Submitting opens a new
    /// review round; publishing stamps the publication time.
    pub async fn transition(
        &self,
        subject: Subject,
        id: Uuid,
        transition: Transition,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let table = subject.table();
        let mut update = sea_orm::sea_query::Query::update();
        update
            .table(table)
            .value("status", transition.to().to_value())
            .value("updated_at", now)
            .and_where(Expr::col("id").eq(id))
            .and_where(Expr::col("status").eq(transition.from().to_value()));
        if transition == Transition::Submit {
            update.value("review_round", Expr::col("review_round").add(1));
        }
        if transition == Transition::Publish {
            update.value("published_at", now);
        }
        let result = self.db.execute(&update).await?;
        if result.rows_affected() == 0 {
            return Err(self.explain_catalog_refusal(subject, id, transition).await);
        }
        Ok(())
    }

    /// Records a council vote and settles the round. The subject's row is
    /// written first, which serializes concurrent voters on it, so the count of
    /// approvals that decides the round includes every earlier vote.
    pub async fn vote(
        &self,
        subject: Subject,
        id: Uuid,
        ballot: &Ballot<'_>,
        required_approvals: u32,
        now: DateTime<Utc>,
    ) -> Result<RoundOutcome> {
        let table = subject.table();
        let txn = self.db.begin().await?;
        let mut touch = sea_orm::sea_query::Query::update();
        touch
            .table(table)
            .value("updated_at", now)
            .and_where(Expr::col("id").eq(id))
            .and_where(Expr::col("status").eq(CatalogStatus::Submitted.to_value()));
        let touched = txn.execute(&touch).await?.rows_affected();
        if touched == 0 {
            drop(txn);
            return Err(self.explain_vote_refusal(subject, id).await);
        }
        let round = self.round_of(&txn, subject, id).await?;
        let vote = council_vote::ActiveModel {
            id: Set(Uuid::now_v7()),
            subject_kind: Set(subject.kind().to_owned()),
            subject_id: Set(id),
            round: Set(round),
            voter_subject: Set(ballot.voter.subject.clone()),
            voter_name: Set(ballot.voter.name.clone()),
            voter_organization_id: Set(ballot.voter.organization_id.clone()),
            decision: Set(ballot.decision),
            comment: Set(ballot.comment.to_owned()),
            voted_at: Set(now),
        };
        if let Err(error) = council_vote::Entity::insert(vote)
            .exec_without_returning(&txn)
            .await
        {
            return Err(if hamafza_kit::db::is_unique_violation(&error) {
                CoursesError::AlreadyVoted {
                    kind: subject.kind(),
                    round: u32::try_from(round).unwrap_or(0),
                }
            } else {
                error.into()
            });
        }
        let approvals = council_vote::Entity::find()
            .filter(council_vote::Column::SubjectKind.eq(subject.kind()))
            .filter(council_vote::Column::SubjectId.eq(id))
            .filter(council_vote::Column::Round.eq(round))
            .filter(council_vote::Column::Decision.eq(VoteDecision::Approve))
            .count(&txn)
            .await?;
        let outcome = workflow::tally(
            ballot.decision,
            u32::try_from(approvals).unwrap_or(u32::MAX),
            required_approvals,
        );
        if outcome != RoundOutcome::Pending {
            let mut settle = sea_orm::sea_query::Query::update();
            settle
                .table(table)
                .value("status", workflow::status_after(outcome).to_value())
                .and_where(Expr::col("id").eq(id));
            txn.execute(&settle).await?;
        }
        txn.commit().await?;
        Ok(outcome)
    }

    /// Every vote on a program or course, oldest first.
    pub async fn votes(&self, subject: Subject, id: Uuid) -> Result<Vec<council_vote::Model>> {
        Ok(council_vote::Entity::find()
            .filter(council_vote::Column::SubjectKind.eq(subject.kind()))
            .filter(council_vote::Column::SubjectId.eq(id))
            .order_by_asc(council_vote::Column::Round)
            .order_by_asc(council_vote::Column::VotedAt)
            .order_by_asc(council_vote::Column::Id)
            .all(&self.db)
            .await?)
    }

    async fn round_of(&self, db: &impl ConnectionTrait, subject: Subject, id: Uuid) -> Result<i32> {
        let round = match subject {
            Subject::Course => course::Entity::find_by_id(id)
                .one(db)
                .await?
                .map(|row| row.review_round),
            Subject::Program => program::Entity::find_by_id(id)
                .one(db)
                .await?
                .map(|row| row.review_round),
        };
        round.ok_or_else(|| not_found(subject.kind(), id))
    }

    async fn status_of(&self, subject: Subject, id: Uuid) -> Result<Option<CatalogStatus>> {
        Ok(match subject {
            Subject::Course => course::Entity::find_by_id(id)
                .one(&self.db)
                .await?
                .map(|row| row.status),
            Subject::Program => program::Entity::find_by_id(id)
                .one(&self.db)
                .await?
                .map(|row| row.status),
        })
    }

    /// Why a conditional workflow update changed nothing.
    async fn explain_catalog_refusal(
        &self,
        subject: Subject,
        id: Uuid,
        transition: Transition,
    ) -> CoursesError {
        match self.status_of(subject, id).await {
            Ok(Some(actual)) => CoursesError::WrongCatalogStatus {
                kind: subject.kind(),
                actual,
                expected: transition.expected(),
            },
            Ok(None) => not_found(subject.kind(), id),
            Err(error) => error,
        }
    }

    async fn explain_vote_refusal(&self, subject: Subject, id: Uuid) -> CoursesError {
        match self.status_of(subject, id).await {
            Ok(Some(actual)) => CoursesError::WrongCatalogStatus {
                kind: subject.kind(),
                actual,
                expected: "submitted",
            },
            Ok(None) => not_found(subject.kind(), id),
            Err(error) => error,
        }
    }

    async fn current_votes(
        &self,
        subject: Subject,
        rounds: &[(Uuid, i32)],
    ) -> Result<HashMap<Uuid, Vec<council_vote::Model>>> {
        let mut by_subject: HashMap<Uuid, Vec<council_vote::Model>> = HashMap::new();
        let ids: Vec<Uuid> = rounds
            .iter()
            .filter(|(_, round)| *round > 0)
            .map(|(id, _)| *id)
            .collect();
        if ids.is_empty() {
            return Ok(by_subject);
        }
        let current: HashMap<Uuid, i32> = rounds.iter().copied().collect();
        for vote in council_vote::Entity::find()
            .filter(council_vote::Column::SubjectKind.eq(subject.kind()))
            .filter(council_vote::Column::SubjectId.is_in(ids))
            .order_by_asc(council_vote::Column::VotedAt)
            .order_by_asc(council_vote::Column::Id)
            .all(&self.db)
            .await?
        {
            if current.get(&vote.subject_id) == Some(&vote.round) {
                by_subject.entry(vote.subject_id).or_default().push(vote);
            }
        }
        Ok(by_subject)
    }

    // ---- sessions ------------------------------------------------------------

    /// Creates a session in PLANNED.
    pub async fn create_session(
        &self,
        course_id: Uuid,
        plan: &SessionPlan,
        now: DateTime<Utc>,
    ) -> Result<SessionRecord> {
        self.require_quota_organizations(plan).await?;
        let id = Uuid::now_v7();
        let txn = self.db.begin().await?;
        let row = session::ActiveModel {
            id: Set(id),
            course_id: Set(course_id),
            status: Set(SessionStatus::Planned),
            cancel_reason: Set(String::new()),
            created_at: Set(now),
            updated_at: Set(now),
            ..session_plan(plan)?
        };
        session::Entity::insert(row)
            .exec_without_returning(&txn)
            .await?;
        insert_quotas(&txn, id, plan).await?;
        txn.commit().await?;
        self.session(id)
            .await?
            .ok_or_else(|| not_found("session", id))
    }

    /// Replaces a PLANNED or OPEN session's plan.
    pub async fn update_session(
        &self,
        id: Uuid,
        plan: &SessionPlan,
        now: DateTime<Utc>,
    ) -> Result<SessionRecord> {
        self.require_quota_organizations(plan).await?;
        let txn = self.db.begin().await?;
        let details = session_plan(plan)?;
        let mut update = session::Entity::update_many()
            .filter(session::Column::Id.eq(id))
            .filter(session::Column::Status.is_in(SessionMove::Edit.allowed_from().to_vec()))
            .col_expr(session::Column::UpdatedAt, Expr::value(now));
        for column in [
            session::Column::Meetings,
            session::Column::VenueFa,
            session::Column::VenueEn,
            session::Column::OnlineUrl,
            session::Column::InstructorSubject,
            session::Column::InstructorName,
            session::Column::InstructorOrganizationId,
            session::Column::Capacity,
            session::Column::EnrolmentOpensAt,
            session::Column::EnrolmentClosesAt,
            session::Column::StartsAt,
            session::Column::EndsAt,
        ] {
            if let Some(value) = details.get(column).into_value() {
                update = update.col_expr(column, Expr::value(value));
            }
        }
        if update.exec(&txn).await?.rows_affected == 0 {
            drop(txn);
            return Err(self.explain_session_refusal(id, SessionMove::Edit).await);
        }
        session_quota::Entity::delete_many()
            .filter(session_quota::Column::SessionId.eq(id))
            .exec(&txn)
            .await?;
        insert_quotas(&txn, id, plan).await?;
        txn.commit().await?;
        self.session(id)
            .await?
            .ok_or_else(|| not_found("session", id))
    }

    /// Moves a session through its lifecycle. Opening requires the course to
    /// be published, checked inside the same transaction.
    pub async fn move_session(
        &self,
        id: Uuid,
        movement: SessionMove,
        reason: &str,
        now: DateTime<Utc>,
    ) -> Result<SessionRecord> {
        let Some(to) = movement.to() else {
            return Err(self.explain_session_refusal(id, movement).await);
        };
        let txn = self.db.begin().await?;
        let mut update = session::Entity::update_many()
            .filter(session::Column::Id.eq(id))
            .filter(session::Column::Status.is_in(movement.allowed_from().to_vec()))
            .col_expr(session::Column::Status, Expr::value(to.to_value()))
            .col_expr(session::Column::UpdatedAt, Expr::value(now));
        if movement == SessionMove::Cancel {
            update = update.col_expr(
                session::Column::CancelReason,
                Expr::value(reason.to_owned()),
            );
        }
        if update.exec(&txn).await?.rows_affected == 0 {
            drop(txn);
            return Err(self.explain_session_refusal(id, movement).await);
        }
        if movement == SessionMove::Open {
            let session = session::Entity::find_by_id(id)
                .one(&txn)
                .await?
                .ok_or_else(|| not_found("session", id))?;
            // On PostgreSQL the course row is share-locked until commit, so a
            // concurrent RetireCourse waits instead of slipping in between.
            let mut course = course::Entity::find_by_id(session.course_id);
            if hamafza_kit::db::is_postgres(&self.db) {
                course = course.lock_shared();
            }
            let course = course
                .one(&txn)
                .await?
                .ok_or_else(|| not_found("course", session.course_id))?;
            if course.status != CatalogStatus::Published {
                // Dropping the transaction rolls the status change back.
                return Err(CoursesError::CourseNotPublished {
                    course_id: course.id.to_string(),
                    status: course.status,
                });
            }
        }
        txn.commit().await?;
        self.session(id)
            .await?
            .ok_or_else(|| not_found("session", id))
    }

    async fn explain_session_refusal(&self, id: Uuid, movement: SessionMove) -> CoursesError {
        match session::Entity::find_by_id(id).one(&self.db).await {
            Ok(Some(row)) => CoursesError::WrongSessionStatus {
                actual: row.status,
                expected: movement.expected(),
            },
            Ok(None) => not_found("session", id),
            Err(error) => error.into(),
        }
    }

    async fn require_quota_organizations(&self, plan: &SessionPlan) -> Result<()> {
        let ids: Vec<&str> = plan.quotas.iter().map(|(org, _)| org.as_str()).collect();
        match self.missing_organizations(&ids).await?.into_iter().next() {
            Some(missing) => Err(not_found("organization", missing)),
            None => Ok(()),
        }
    }

    /// One session.
    pub async fn session(&self, id: Uuid) -> Result<Option<SessionRecord>> {
        let Some(row) = session::Entity::find_by_id(id).one(&self.db).await? else {
            return Ok(None);
        };
        Ok(self.session_records(vec![row]).await?.pop())
    }

    /// Sessions by start time, after the `(start, id)` cursor.
    pub async fn list_sessions(
        &self,
        filter: &SessionFilter,
        after: Option<(DateTime<Utc>, Uuid)>,
        limit: u64,
    ) -> Result<Vec<SessionRecord>> {
        let mut visible =
            Condition::any().add(session::Column::Status.is_in(filter.statuses.clone()));
        if let Some(instructor) = &filter.also_planned_by {
            visible = visible.add(
                Condition::all()
                    .add(session::Column::Status.eq(SessionStatus::Planned))
                    .add(session::Column::InstructorSubject.eq(instructor.clone())),
            );
        }
        // A poller following changes reads in change order; everyone else in
        // start order. The cursor holds the ordering instant and the id.
        let order = if filter.updated_since.is_some() {
            session::Column::UpdatedAt
        } else {
            session::Column::StartsAt
        };
        let mut query = session::Entity::find()
            .filter(visible)
            .order_by_asc(order)
            .order_by_asc(session::Column::Id)
            .limit(limit);
        if let Some((instant, id)) = after {
            query = query.filter(
                Condition::any().add(order.gt(instant)).add(
                    Condition::all()
                        .add(order.eq(instant))
                        .add(session::Column::Id.gt(id)),
                ),
            );
        }
        if filter.public_courses_only {
            query =
                query.filter(
                    Expr::col(session::Column::CourseId).in_subquery(
                        Query::select()
                            .column(course::Column::Id)
                            .from(course::Entity)
                            .and_where(Expr::col(course::Column::Status).is_in(
                                CatalogStatus::PUBLIC.iter().map(|status| status.to_value()),
                            ))
                            .take(),
                    ),
                );
        }
        if !filter.ids.is_empty() {
            query = query.filter(session::Column::Id.is_in(filter.ids.clone()));
        }
        if let Some(course_id) = filter.course {
            query = query.filter(session::Column::CourseId.eq(course_id));
        }
        if let Some(from) = filter.start_from {
            query = query.filter(session::Column::StartsAt.gte(from));
        }
        if let Some(until) = filter.start_until {
            query = query.filter(session::Column::StartsAt.lt(until));
        }
        if let Some(instructor) = &filter.instructor {
            query = query.filter(session::Column::InstructorSubject.eq(instructor.clone()));
        }
        if let Some(since) = filter.updated_since {
            query = query.filter(session::Column::UpdatedAt.gte(since));
        }
        if let Some(organization) = &filter.organization {
            query = query.filter(
                Expr::col(session::Column::Id).in_subquery(
                    Query::select()
                        .column(session_quota::Column::SessionId)
                        .from(session_quota::Entity)
                        .and_where(
                            Expr::col(session_quota::Column::OrganizationId)
                                .eq(organization.clone()),
                        )
                        .take(),
                ),
            );
        }
        let rows = query.all(&self.db).await?;
        self.session_records(rows).await
    }

    async fn session_records(&self, rows: Vec<session::Model>) -> Result<Vec<SessionRecord>> {
        let ids: Vec<Uuid> = rows.iter().map(|row| row.id).collect();
        let mut quotas: HashMap<Uuid, Vec<session_quota::Model>> = HashMap::new();
        if !ids.is_empty() {
            for quota in session_quota::Entity::find()
                .filter(session_quota::Column::SessionId.is_in(ids))
                .order_by_asc(session_quota::Column::OrganizationId)
                .all(&self.db)
                .await?
            {
                quotas.entry(quota.session_id).or_default().push(quota);
            }
        }
        Ok(rows
            .into_iter()
            .map(|row| SessionRecord {
                quotas: quotas.remove(&row.id).unwrap_or_default(),
                session: row,
            })
            .collect())
    }

    // ---- events --------------------------------------------------------------

    /// Adds an event.
    pub async fn create_event(
        &self,
        draft: &EventDraft,
        now: DateTime<Utc>,
    ) -> Result<EventRecord> {
        self.require_event_organizations(draft).await?;
        let id = Uuid::now_v7();
        let txn = self.db.begin().await?;
        let row = event::ActiveModel {
            id: Set(id),
            created_at: Set(now),
            updated_at: Set(now),
            ..event_details(draft)
        };
        event::Entity::insert(row)
            .exec_without_returning(&txn)
            .await?;
        insert_participants(&txn, id, &draft.participants).await?;
        txn.commit().await?;
        self.event(id).await?.ok_or_else(|| not_found("event", id))
    }

    /// Replaces an event's details.
    pub async fn update_event(
        &self,
        id: Uuid,
        draft: &EventDraft,
        now: DateTime<Utc>,
    ) -> Result<EventRecord> {
        self.require_event_organizations(draft).await?;
        let txn = self.db.begin().await?;
        let details = event_details(draft);
        let mut update = event::Entity::update_many()
            .filter(event::Column::Id.eq(id))
            .col_expr(event::Column::UpdatedAt, Expr::value(now));
        for column in [
            event::Column::Kind,
            event::Column::TitleFa,
            event::Column::TitleEn,
            event::Column::DescriptionFa,
            event::Column::DescriptionEn,
            event::Column::PlaceFa,
            event::Column::PlaceEn,
            event::Column::OrganizerOrganizationId,
            event::Column::Url,
            event::Column::StartsAt,
            event::Column::EndsAt,
        ] {
            if let Some(value) = details.get(column).into_value() {
                update = update.col_expr(column, Expr::value(value));
            }
        }
        if update.exec(&txn).await?.rows_affected == 0 {
            return Err(not_found("event", id));
        }
        event_participant::Entity::delete_many()
            .filter(event_participant::Column::EventId.eq(id))
            .exec(&txn)
            .await?;
        insert_participants(&txn, id, &draft.participants).await?;
        txn.commit().await?;
        self.event(id).await?.ok_or_else(|| not_found("event", id))
    }

    /// Removes an event and its participations.
    pub async fn delete_event(&self, id: Uuid) -> Result<()> {
        let txn = self.db.begin().await?;
        event_participant::Entity::delete_many()
            .filter(event_participant::Column::EventId.eq(id))
            .exec(&txn)
            .await?;
        if event::Entity::delete_by_id(id)
            .exec(&txn)
            .await?
            .rows_affected
            == 0
        {
            return Err(not_found("event", id));
        }
        txn.commit().await?;
        Ok(())
    }

    /// Adds or removes one organization among an event's participants.
    pub async fn set_participation(
        &self,
        id: Uuid,
        organization: &OrganizationId,
        participating: bool,
        now: DateTime<Utc>,
    ) -> Result<EventRecord> {
        self.require_organization(organization.as_str()).await?;
        let txn = self.db.begin().await?;
        let touched = event::Entity::update_many()
            .filter(event::Column::Id.eq(id))
            .col_expr(event::Column::UpdatedAt, Expr::value(now))
            .exec(&txn)
            .await?
            .rows_affected;
        if touched == 0 {
            return Err(not_found("event", id));
        }
        let existing =
            event_participant::Entity::find_by_id((id, organization.as_str().to_owned()))
                .one(&txn)
                .await?;
        match (participating, existing) {
            (true, None) => {
                event_participant::Entity::insert(event_participant::ActiveModel {
                    event_id: Set(id),
                    organization_id: Set(organization.as_str().to_owned()),
                })
                .exec_without_returning(&txn)
                .await?;
            }
            (false, Some(_)) => {
                event_participant::Entity::delete_by_id((id, organization.as_str().to_owned()))
                    .exec(&txn)
                    .await?;
            }
            (true, Some(_)) | (false, None) => {}
        }
        txn.commit().await?;
        self.event(id).await?.ok_or_else(|| not_found("event", id))
    }

    async fn require_event_organizations(&self, draft: &EventDraft) -> Result<()> {
        let mut ids: Vec<&str> = draft
            .participants
            .iter()
            .map(OrganizationId::as_str)
            .collect();
        ids.push(draft.organizer.as_str());
        match self.missing_organizations(&ids).await?.into_iter().next() {
            Some(missing) => Err(not_found("organization", missing)),
            None => Ok(()),
        }
    }

    /// One event.
    pub async fn event(&self, id: Uuid) -> Result<Option<EventRecord>> {
        let Some(row) = event::Entity::find_by_id(id).one(&self.db).await? else {
            return Ok(None);
        };
        Ok(self.event_records(vec![row]).await?.pop())
    }

    /// Events by start time, after the `(start, id)` cursor.
    pub async fn list_events(
        &self,
        filter: &EventFilter,
        after: Option<(DateTime<Utc>, Uuid)>,
        limit: u64,
    ) -> Result<Vec<EventRecord>> {
        let mut query = event::Entity::find()
            .order_by_asc(event::Column::StartsAt)
            .order_by_asc(event::Column::Id)
            .limit(limit);
        if let Some((start, id)) = after {
            query = query.filter(
                Condition::any().add(event::Column::StartsAt.gt(start)).add(
                    Condition::all()
                        .add(event::Column::StartsAt.eq(start))
                        .add(event::Column::Id.gt(id)),
                ),
            );
        }
        if let Some(kind) = filter.kind {
            query = query.filter(event::Column::Kind.eq(kind));
        }
        if let Some(from) = filter.start_from {
            query = query.filter(event::Column::StartsAt.gte(from));
        }
        if let Some(until) = filter.start_until {
            query = query.filter(event::Column::StartsAt.lt(until));
        }
        if let Some(text) = &filter.text {
            query = query.filter(contains_any(
                &[event::Column::TitleFa, event::Column::TitleEn],
                text,
            ));
        }
        if let Some(organization) = &filter.organization {
            let participating = Query::select()
                .column(event_participant::Column::EventId)
                .from(event_participant::Entity)
                .and_where(
                    Expr::col(event_participant::Column::OrganizationId).eq(organization.clone()),
                )
                .take();
            query = query.filter(
                Condition::any()
                    .add(event::Column::OrganizerOrganizationId.eq(organization.clone()))
                    .add(Expr::col(event::Column::Id).in_subquery(participating)),
            );
        }
        let rows = query.all(&self.db).await?;
        self.event_records(rows).await
    }

    async fn event_records(&self, rows: Vec<event::Model>) -> Result<Vec<EventRecord>> {
        let ids: Vec<Uuid> = rows.iter().map(|row| row.id).collect();
        let mut participants: HashMap<Uuid, Vec<String>> = HashMap::new();
        if !ids.is_empty() {
            for row in event_participant::Entity::find()
                .filter(event_participant::Column::EventId.is_in(ids))
                .order_by_asc(event_participant::Column::OrganizationId)
                .all(&self.db)
                .await?
            {
                participants
                    .entry(row.event_id)
                    .or_default()
                    .push(row.organization_id);
            }
        }
        Ok(rows
            .into_iter()
            .map(|row| EventRecord {
                participants: participants.remove(&row.id).unwrap_or_default(),
                event: row,
            })
            .collect())
    }

    /// Whether the database holds any organization (demo data is seeded only
    /// into an empty database).
    pub async fn is_empty(&self) -> Result<bool> {
        Ok(organization::Entity::find().count(&self.db).await? == 0)
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

fn course_details(draft: &CourseDraft) -> course::ActiveModel {
    course::ActiveModel {
        code: Set(draft.code.as_str().to_owned()),
        title_fa: Set(draft.title.fa.clone()),
        title_en: Set(draft.title.en.clone()),
        description_fa: Set(draft.description.fa.clone()),
        description_en: Set(draft.description.en.clone()),
        category: Set(draft.category.as_str().to_owned()),
        hours: Set(to_i32(draft.hours)),
        delivery_mode: Set(draft.delivery_mode),
        passing_score: Set(to_i32(draft.passing_score)),
        min_attendance_percent: Set(to_i32(draft.min_attendance_percent)),
        certificate_validity_months: Set(draft.certificate_validity_months.map(to_i32)),
        requires_manager_approval: Set(draft.requires_manager_approval),
        ..Default::default()
    }
}

fn session_plan(plan: &SessionPlan) -> Result<session::ActiveModel> {
    let meetings = serde_json::to_value(&plan.meetings).map_err(|error| {
        CoursesError::Database(DbErr::Custom(format!("encoding meetings: {error}")))
    })?;
    let starts_at = plan.start().ok_or_else(|| {
        CoursesError::Database(DbErr::Custom("a session without meetings".to_owned()))
    })?;
    let ends_at = plan.end().unwrap_or(starts_at);
    Ok(session::ActiveModel {
        meetings: Set(meetings),
        venue_fa: Set(plan.venue.fa.clone()),
        venue_en: Set(plan.venue.en.clone()),
        online_url: Set(plan.online_url.clone().unwrap_or_default()),
        instructor_subject: Set(plan.instructor.subject.clone()),
        instructor_name: Set(plan.instructor.name.clone()),
        instructor_organization_id: Set(plan.instructor.organization_id.clone()),
        capacity: Set(to_i32(plan.capacity)),
        enrolment_opens_at: Set(plan.enrolment_opens),
        enrolment_closes_at: Set(plan.enrolment_closes),
        starts_at: Set(starts_at),
        ends_at: Set(ends_at),
        ..Default::default()
    })
}

/// The meetings stored with a session.
pub fn meetings_of(row: &session::Model) -> Vec<Meeting> {
    serde_json::from_value(row.meetings.clone()).unwrap_or_default()
}

fn event_details(draft: &EventDraft) -> event::ActiveModel {
    event::ActiveModel {
        kind: Set(draft.kind),
        title_fa: Set(draft.title.fa.clone()),
        title_en: Set(draft.title.en.clone()),
        description_fa: Set(draft.description.fa.clone()),
        description_en: Set(draft.description.en.clone()),
        place_fa: Set(draft.place.fa.clone()),
        place_en: Set(draft.place.en.clone()),
        organizer_organization_id: Set(draft.organizer.as_str().to_owned()),
        url: Set(draft.url.clone().unwrap_or_default()),
        starts_at: Set(draft.starts_at),
        ends_at: Set(draft.ends_at),
        ..Default::default()
    }
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

async fn insert_program_courses(
    db: &impl ConnectionTrait,
    program_id: Uuid,
    courses: &[(Uuid, bool)],
) -> Result<()> {
    if courses.is_empty() {
        return Ok(());
    }
    let rows = courses
        .iter()
        .enumerate()
        .map(
            |(position, (course_id, required))| program_course::ActiveModel {
                program_id: Set(program_id),
                course_id: Set(*course_id),
                position: Set(i32::try_from(position).unwrap_or(i32::MAX)),
                required: Set(*required),
            },
        );
    program_course::Entity::insert_many(rows)
        .exec_without_returning(db)
        .await?;
    Ok(())
}

async fn insert_quotas(
    db: &impl ConnectionTrait,
    session_id: Uuid,
    plan: &SessionPlan,
) -> Result<()> {
    if plan.quotas.is_empty() {
        return Ok(());
    }
    let rows = plan
        .quotas
        .iter()
        .map(|(organization, seats)| session_quota::ActiveModel {
            session_id: Set(session_id),
            organization_id: Set(organization.as_str().to_owned()),
            seats: Set(to_i32(*seats)),
        });
    session_quota::Entity::insert_many(rows)
        .exec_without_returning(db)
        .await?;
    Ok(())
}

async fn insert_participants(
    db: &impl ConnectionTrait,
    event_id: Uuid,
    participants: &[OrganizationId],
) -> Result<()> {
    if participants.is_empty() {
        return Ok(());
    }
    let rows = participants
        .iter()
        .map(|organization| event_participant::ActiveModel {
            event_id: Set(event_id),
            organization_id: Set(organization.as_str().to_owned()),
        });
    event_participant::Entity::insert_many(rows)
        .exec_without_returning(db)
        .await?;
    Ok(())
}
