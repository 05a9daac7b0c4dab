//! Program queries: creating and editing DRAFT programs with their ordered
//! courses, and reading and listing them.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use hamafza_kit::idempotency::RequestKey;
use sea_orm::sea_query::{Expr, Query};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, ExprTrait, QueryFilter,
    QueryOrder, QuerySelect, Set, TransactionTrait,
};
use uuid::Uuid;

use super::{CatalogColumns, Result, Store, Subject, catalog_listing, code_conflict, not_found};
use crate::domain::catalog::ProgramDraft;
use crate::domain::workflow::CatalogStatus;
use crate::store::entities::{council_vote, course, program, program_course};

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
    /// Only programs sent to the council at least once.
    pub reviewed: bool,
}

impl Store {
    /// Creates a program in DRAFT; under a client's request `key`, once (see
    /// [`Store::create_once`]).
    pub async fn create_program(
        &self,
        draft: &ProgramDraft,
        owner: &str,
        created_by: &str,
        now: DateTime<Utc>,
        key: Option<&RequestKey>,
    ) -> Result<ProgramRecord> {
        self.require_organization(owner).await?;
        let course_ids: Vec<Uuid> = draft.courses.iter().map(|(id, _)| *id).collect();
        self.require_courses(&course_ids).await?;
        let id = self
            .create_once(key, async |txn| {
                insert_program(txn, draft, owner, created_by, now).await
            })
            .await?;
        self.program(id)
            .await?
            .ok_or_else(|| not_found("program", id))
    }

    /// Replaces a DRAFT program's details if it is still at `revision`.
    pub async fn update_program(
        &self,
        id: Uuid,
        draft: &ProgramDraft,
        revision: i64,
        now: DateTime<Utc>,
    ) -> Result<ProgramRecord> {
        let course_ids: Vec<Uuid> = draft.courses.iter().map(|(id, _)| *id).collect();
        self.require_courses(&course_ids).await?;
        let txn = self.db.begin().await?;
        let update = program::Entity::update_many()
            .filter(program::Column::Id.eq(id))
            .filter(program::Column::Status.eq(CatalogStatus::Draft))
            .filter(program::Column::Revision.eq(revision))
            .col_expr(program::Column::UpdatedAt, Expr::value(now))
            .col_expr(
                program::Column::Revision,
                Expr::col(program::Column::Revision).add(1),
            )
            .col_expr(program::Column::Code, Expr::value(draft.code.as_str()))
            .col_expr(
                program::Column::SearchKey,
                Expr::value(program_search_key(draft)),
            )
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
                .explain_edit_refusal(Subject::Program, id, revision)
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
        let mut query = catalog_listing::<program::Entity>(
            CatalogColumns {
                id: program::Column::Id,
                status: program::Column::Status,
                owner: program::Column::OwnerOrganizationId,
                search_key: program::Column::SearchKey,
                created_at: program::Column::CreatedAt,
            },
            &filter.statuses,
            filter.owner.as_ref(),
            filter.text.as_ref(),
            (filter.created_from, filter.created_until),
            after,
            limit,
        );
        if let Some(course_id) = filter.course {
            let including = Query::select()
                .column(program_course::Column::ProgramId)
                .from(program_course::Entity)
                .and_where(Expr::col(program_course::Column::CourseId).eq(course_id))
                .take();
            query = query.filter(Expr::col(program::Column::Id).in_subquery(including));
        }
        if filter.reviewed {
            query = query.filter(program::Column::ReviewRound.gt(0));
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

/// What a program is found by: its code and titles.
fn program_search_key(draft: &ProgramDraft) -> String {
    hamafza_kit::text::search_key_of(&[draft.code.as_str(), &draft.title.fa, &draft.title.en])
}

/// Writes a new DRAFT program and its courses; answers its id.
async fn insert_program(
    txn: &DatabaseTransaction,
    draft: &ProgramDraft,
    owner: &str,
    created_by: &str,
    now: DateTime<Utc>,
) -> Result<Uuid> {
    let id = Uuid::now_v7();
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
        revision: Set(1),
        created_by: Set(created_by.to_owned()),
        created_at: Set(now),
        updated_at: Set(now),
        published_at: Set(None),
        search_key: Set(program_search_key(draft)),
    };
    if let Err(error) = program::Entity::insert(row)
        .exec_without_returning(txn)
        .await
    {
        return Err(code_conflict(error, "program", draft.code.as_str()));
    }
    insert_program_courses(txn, id, &draft.courses).await?;
    Ok(id)
}
