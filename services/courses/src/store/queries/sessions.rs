//! Session queries: planning sessions with their seat quotas, moving them
//! through their lifecycle, and reading and listing them.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use hamafza_kit::idempotency::RequestKey;
use sea_orm::sea_query::{Expr, Query};
use sea_orm::{
    ActiveEnum, ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseTransaction,
    DbErr, EntityTrait, ExprTrait, QueryFilter, QueryOrder, QuerySelect, Set, TransactionTrait,
};
use uuid::Uuid;

use super::{Result, Store, not_found, to_i32};
use crate::domain::CoursesError;
use crate::domain::sessions::{Meeting, SessionMove, SessionPlan, SessionStatus};
use crate::domain::workflow::CatalogStatus;
use crate::store::entities::{course, session, session_quota};

/// A session with its seat quotas.
#[derive(Debug, Clone)]
pub struct SessionRecord {
    /// The session row.
    pub session: session::Model,
    /// Per-organization quotas.
    pub quotas: Vec<session_quota::Model>,
    /// The proposal of a hosted session.
    pub hosting: Option<super::HostingRecord>,
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

impl Store {
    /// Creates a session in PLANNED; a hosted one with its proposal. Under
    /// a client's request `key`, once (see [`Store::create_once`]).
    pub async fn create_session(
        &self,
        course_id: Uuid,
        plan: &SessionPlan,
        host: Option<&super::HostProposal>,
        now: DateTime<Utc>,
        key: Option<&RequestKey>,
    ) -> Result<SessionRecord> {
        self.require_quota_organizations(plan).await?;
        let id = self
            .create_once(key, async |txn| {
                insert_session(txn, course_id, plan, host, now).await
            })
            .await?;
        self.session(id)
            .await?
            .ok_or_else(|| not_found("session", id))
    }

    /// Replaces a PLANNED or OPEN session's plan if it is still at
    /// `revision`.
    pub async fn update_session(
        &self,
        id: Uuid,
        plan: &SessionPlan,
        revision: i64,
        now: DateTime<Utc>,
    ) -> Result<SessionRecord> {
        self.require_quota_organizations(plan).await?;
        // Read before the transaction (whose first statement must write, for
        // SQLite's lock); used only if the update finds the same revision.
        let before = session::Entity::find_by_id(id).one(&self.db).await?;
        let txn = self.db.begin().await?;
        let details = session_plan(plan)?;
        let mut update = session::Entity::update_many()
            .filter(session::Column::Id.eq(id))
            .filter(session::Column::Status.is_in(SessionMove::Edit.allowed_from().to_vec()))
            .filter(session::Column::Revision.eq(revision))
            .col_expr(session::Column::UpdatedAt, Expr::value(now))
            .col_expr(
                session::Column::Revision,
                Expr::col(session::Column::Revision).add(1),
            );
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
            return Err(self.explain_session_edit_refusal(id, revision).await);
        }
        session_quota::Entity::delete_many()
            .filter(session_quota::Column::SessionId.eq(id))
            .exec(&txn)
            .await?;
        insert_quotas(&txn, id, plan).await?;
        // People holding a seat hear of moved meetings, once the change is
        // in: the event is written in this transaction.
        let after = session::Entity::find_by_id(id).one(&txn).await?;
        if let (Some(before), Some(after)) = (before, after)
            && before.revision == revision
            && super::notices::moved(&before, &after)
        {
            super::notices::session_moved(&txn, &self.notify_outbox(), &after, now).await?;
        }
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
            .col_expr(session::Column::UpdatedAt, Expr::value(now))
            .col_expr(
                session::Column::Revision,
                Expr::col(session::Column::Revision).add(1),
            );
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
            super::hosting::require_accepted(&txn, &session).await?;
        }
        if movement == SessionMove::Cancel
            && let Some(after) = session::Entity::find_by_id(id).one(&txn).await?
        {
            super::notices::session_cancelled(&txn, &self.notify_outbox(), &after, now).await?;
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

    /// Why a conditional edit at `revision` changed nothing: the session is
    /// gone, past editing, or was changed meanwhile.
    async fn explain_session_edit_refusal(&self, id: Uuid, revision: i64) -> CoursesError {
        match session::Entity::find_by_id(id).one(&self.db).await {
            Ok(Some(row))
                if SessionMove::Edit.allowed_from().contains(&row.status)
                    && row.revision != revision =>
            {
                CoursesError::EtagMismatch {
                    kind: "session",
                    id: id.to_string(),
                }
            }
            Ok(Some(row)) => CoursesError::WrongSessionStatus {
                actual: row.status,
                expected: SessionMove::Edit.expected(),
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

    pub(super) async fn session_records(
        &self,
        rows: Vec<session::Model>,
    ) -> Result<Vec<SessionRecord>> {
        let ids: Vec<Uuid> = rows.iter().map(|row| row.id).collect();
        let mut quotas: HashMap<Uuid, Vec<session_quota::Model>> = HashMap::new();
        let hosted: Vec<Uuid> = rows
            .iter()
            .filter(|row| row.host_organization_id.is_some())
            .map(|row| row.id)
            .collect();
        let mut hostings = self.hostings_of(&hosted).await?;
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
                hosting: hostings.remove(&row.id),
                session: row,
            })
            .collect())
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

/// Writes a new PLANNED session (with its quotas, and a hosted one's
/// proposal) in `txn`; answers its id.
async fn insert_session(
    txn: &DatabaseTransaction,
    course_id: Uuid,
    plan: &SessionPlan,
    host: Option<&super::HostProposal>,
    now: DateTime<Utc>,
) -> Result<Uuid> {
    let id = Uuid::now_v7();
    let row = session::ActiveModel {
        id: Set(id),
        course_id: Set(course_id),
        status: Set(SessionStatus::Planned),
        cancel_reason: Set(String::new()),
        revision: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
        host_organization_id: Set(host.map(|h| h.organization_id.clone())),
        ..session_plan(plan)?
    };
    session::Entity::insert(row)
        .exec_without_returning(txn)
        .await?;
    insert_quotas(txn, id, plan).await?;
    if let Some(host) = host {
        super::hosting::insert_proposal(txn, id, host, now).await?;
    }
    Ok(id)
}
