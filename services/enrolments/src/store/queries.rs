//! Every query the enrolments service runs.
//!
//! Seats are guarded by conditional updates (`taken = taken + 1 WHERE taken <
//! capacity`) in the same transaction as the enrolment row, so no number of
//! concurrent callers or replicas can oversubscribe a session or a quota.
//! Every write transaction starts with a write (the idempotency key, or the
//! session's seat row), which serializes the transactions of one session on
//! PostgreSQL and takes SQLite's write lock before anything is read.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use hamafza_proto::certification::IssueCertificateRequest;
use hamafza_proto::common::{Actor, LocalizedText};
use prost::Message;
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend,
    EntityTrait, ExprTrait, Iterable, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
    QueryTrait, Set, Statement, TransactionTrait,
};
use uuid::Uuid;

pub use hamafza_kit::idempotency::RequestKey;

use super::entities::{
    attendance, enrolment, history, outbox, quota_seats, session_seats, worker_state,
};
use crate::domain::assessment::{self, PassRules};
use crate::domain::benchmark::Measures;
use crate::domain::status::{Admission, Cause, EnrolmentStatus};
use crate::domain::{EnrolmentsError, Person, SessionFacts};

type Result<T> = std::result::Result<T, EnrolmentsError>;

/// One group of ended enrolments: organization, status, count, score sum,
/// scored count, hours sum.
type EndedGroup = (String, EnrolmentStatus, i64, Option<i64>, i64, Option<i64>);

/// The enrolments database.
#[derive(Debug, Clone)]
pub struct Store {
    db: DatabaseConnection,
}

/// An enrolment with everything shown about it.
#[derive(Debug, Clone)]
pub struct EnrolmentView {
    /// The row.
    pub enrolment: enrolment::Model,
    /// Status changes, oldest first.
    pub history: Vec<history::Model>,
    /// Attendance marks by meeting.
    pub attendance: Vec<attendance::Model>,
    /// 1-based place in the waitlist; 0 when not waitlisted.
    pub waitlist_position: u32,
}

/// Who may see which enrolments: the union of the caller's scopes.
#[derive(Debug, Clone, Default)]
pub struct Visibility {
    /// Everything (admins, council, services).
    pub everything: bool,
    /// Enrolments of this trainee.
    pub trainee: Option<String>,
    /// Enrolments of people of this organization.
    pub organization: Option<String>,
    /// Enrolments of sessions taught by this instructor.
    pub instructor: Option<String>,
}

/// Filters of an enrolment listing.
#[derive(Debug, Clone, Default)]
pub struct EnrolmentFilter {
    /// Of this session.
    pub session: Option<Uuid>,
    /// Of this course.
    pub course: Option<Uuid>,
    /// Of this trainee.
    pub trainee: Option<String>,
    /// Of this organization's people.
    pub organization: Option<String>,
    /// In these statuses (empty: all).
    pub statuses: Vec<EnrolmentStatus>,
    /// Created at or after.
    pub created_from: Option<DateTime<Utc>>,
    /// Created before.
    pub created_until: Option<DateTime<Utc>>,
}

/// An attendance mark to record.
#[derive(Debug, Clone, Copy)]
pub struct Mark {
    /// The enrolment.
    pub enrolment_id: Uuid,
    /// Present or absent.
    pub present: bool,
}

/// The state of outbox delivery, for operators.
#[derive(Debug, Clone, Default)]
pub struct DeliveryStatus {
    /// Completions not yet delivered.
    pub pending: u64,
    /// The oldest of them.
    pub oldest_pending: Option<outbox::Model>,
    /// Completions delivered.
    pub delivered: u64,
    /// When the last delivery succeeded.
    pub last_delivery: Option<DateTime<Utc>>,
    /// The most recent failure.
    pub last_error: Option<(String, DateTime<Utc>)>,
}

fn not_found(kind: &'static str, id: impl ToString) -> EnrolmentsError {
    EnrolmentsError::NotFound {
        kind,
        id: id.to_string(),
    }
}

fn as_i32(value: u32) -> i32 {
    i32::try_from(value).unwrap_or(i32::MAX)
}

impl Store {
    /// A store over `db`, which must be migrated.
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }

    /// The connection.
    pub fn connection(&self) -> &DatabaseConnection {
        &self.db
    }

    /// Runs `effect` once per request key (see [`hamafza_kit::idempotency`]).
    pub async fn idempotent<R, F>(&self, key: &RequestKey, effect: F) -> Result<R>
    where
        R: Message + Default,
        F: AsyncFnOnce(&DatabaseTransaction) -> Result<R>,
    {
        hamafza_kit::idempotency::once(&self.db, key, effect).await
    }

    // ---- reads ---------------------------------------------------------------

    /// The courses among `course_ids` that `trainee` has completed.
    pub async fn completed_courses(&self, trainee: &str, course_ids: &[Uuid]) -> Result<Vec<Uuid>> {
        if course_ids.is_empty() {
            return Ok(Vec::new());
        }
        Ok(enrolment::Entity::find()
            .select_only()
            .column(enrolment::Column::CourseId)
            .filter(enrolment::Column::TraineeSubject.eq(trainee))
            .filter(enrolment::Column::Status.eq(EnrolmentStatus::Completed))
            .filter(enrolment::Column::CourseId.is_in(course_ids.to_vec()))
            .distinct()
            .into_tuple()
            .all(&self.db)
            .await?)
    }

    /// One enrolment row.
    pub async fn enrolment(&self, id: Uuid) -> Result<Option<enrolment::Model>> {
        Ok(enrolment::Entity::find_by_id(id).one(&self.db).await?)
    }

    /// A session's seat row, if anyone has enrolled in it yet.
    pub async fn seats(&self, session_id: Uuid) -> Result<Option<session_seats::Model>> {
        Ok(session_seats::Entity::find_by_id(session_id)
            .one(&self.db)
            .await?)
    }

    /// Seat rows and quota rows of several sessions, with waitlist and
    /// pending counts.
    pub async fn seat_counts(
        &self,
        sessions: &[Uuid],
    ) -> Result<Vec<(session_seats::Model, Vec<quota_seats::Model>, u64, u64)>> {
        let rows = session_seats::Entity::find()
            .filter(session_seats::Column::SessionId.is_in(sessions.to_vec()))
            .all(&self.db)
            .await?;
        let mut result = Vec::with_capacity(rows.len());
        for row in rows {
            let quotas = quota_seats::Entity::find()
                .filter(quota_seats::Column::SessionId.eq(row.session_id))
                .order_by_asc(quota_seats::Column::OrganizationId)
                .all(&self.db)
                .await?;
            let count = |status: EnrolmentStatus| {
                enrolment::Entity::find()
                    .filter(enrolment::Column::SessionId.eq(row.session_id))
                    .filter(enrolment::Column::Status.eq(status))
                    .count(&self.db)
            };
            let waitlisted = count(EnrolmentStatus::Waitlisted).await?;
            let pending = count(EnrolmentStatus::PendingApproval).await?;
            result.push((row, quotas, waitlisted, pending));
        }
        Ok(result)
    }

    /// Enrolments with their history, attendance and waitlist places, in the
    /// order of `ids`.
    pub async fn views(
        &self,
        db: &impl ConnectionTrait,
        ids: &[Uuid],
    ) -> Result<Vec<EnrolmentView>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let rows = enrolment::Entity::find()
            .filter(enrolment::Column::Id.is_in(ids.to_vec()))
            .all(db)
            .await?;
        let mut histories: HashMap<Uuid, Vec<history::Model>> = HashMap::new();
        for change in history::Entity::find()
            .filter(history::Column::EnrolmentId.is_in(ids.to_vec()))
            .order_by_asc(history::Column::ChangedAt)
            .order_by_asc(history::Column::Id)
            .all(db)
            .await?
        {
            histories
                .entry(change.enrolment_id)
                .or_default()
                .push(change);
        }
        let mut marks: HashMap<Uuid, Vec<attendance::Model>> = HashMap::new();
        for mark in attendance::Entity::find()
            .filter(attendance::Column::EnrolmentId.is_in(ids.to_vec()))
            .order_by_asc(attendance::Column::MeetingIndex)
            .all(db)
            .await?
        {
            marks.entry(mark.enrolment_id).or_default().push(mark);
        }
        let mut by_id: HashMap<Uuid, enrolment::Model> =
            rows.into_iter().map(|row| (row.id, row)).collect();
        let mut views = Vec::with_capacity(ids.len());
        for id in ids {
            let Some(row) = by_id.remove(id) else {
                continue;
            };
            let waitlist_position = match (row.status, row.waitlisted_at) {
                (EnrolmentStatus::Waitlisted, Some(at)) => {
                    let ahead = enrolment::Entity::find()
                        .filter(enrolment::Column::SessionId.eq(row.session_id))
                        .filter(enrolment::Column::Status.eq(EnrolmentStatus::Waitlisted))
                        .filter(
                            Condition::any()
                                .add(enrolment::Column::WaitlistedAt.lt(at))
                                .add(
                                    Condition::all()
                                        .add(enrolment::Column::WaitlistedAt.eq(at))
                                        .add(enrolment::Column::Id.lt(row.id)),
                                ),
                        )
                        .count(db)
                        .await?;
                    u32::try_from(ahead + 1).unwrap_or(u32::MAX)
                }
                _ => 0,
            };
            views.push(EnrolmentView {
                history: histories.remove(id).unwrap_or_default(),
                attendance: marks.remove(id).unwrap_or_default(),
                waitlist_position,
                enrolment: row,
            });
        }
        Ok(views)
    }

    /// One enrolment with everything shown about it.
    pub async fn view(&self, db: &impl ConnectionTrait, id: Uuid) -> Result<EnrolmentView> {
        self.views(db, &[id])
            .await?
            .pop()
            .ok_or_else(|| not_found("enrolment", id))
    }

    /// Whether `visibility` covers `row`.
    pub async fn is_visible(
        &self,
        visibility: &Visibility,
        row: &enrolment::Model,
    ) -> Result<bool> {
        if visibility.everything
            || visibility.trainee.as_deref() == Some(row.trainee_subject.as_str())
            || visibility.organization.as_deref() == Some(row.trainee_organization_id.as_str())
        {
            return Ok(true);
        }
        if let Some(instructor) = &visibility.instructor {
            return Ok(self
                .seats(row.session_id)
                .await?
                .is_some_and(|seats| &seats.instructor_subject == instructor));
        }
        Ok(false)
    }

    /// Enrolments in creation order after `after`, within `visibility`.
    pub async fn list(
        &self,
        visibility: &Visibility,
        filter: &EnrolmentFilter,
        after: Option<Uuid>,
        limit: u64,
    ) -> Result<Vec<EnrolmentView>> {
        let mut query = enrolment::Entity::find()
            .select_only()
            .column(enrolment::Column::Id)
            .order_by_asc(enrolment::Column::Id)
            .limit(limit);
        if !visibility.everything {
            let mut scope = Condition::any();
            if let Some(trainee) = &visibility.trainee {
                scope = scope.add(enrolment::Column::TraineeSubject.eq(trainee.clone()));
            }
            if let Some(organization) = &visibility.organization {
                scope =
                    scope.add(enrolment::Column::TraineeOrganizationId.eq(organization.clone()));
            }
            if let Some(instructor) = &visibility.instructor {
                let taught: Vec<Uuid> = session_seats::Entity::find()
                    .select_only()
                    .column(session_seats::Column::SessionId)
                    .filter(session_seats::Column::InstructorSubject.eq(instructor.clone()))
                    .into_tuple()
                    .all(&self.db)
                    .await?;
                scope = scope.add(enrolment::Column::SessionId.is_in(taught));
            }
            query = query.filter(scope);
        }
        if let Some(after) = after {
            query = query.filter(enrolment::Column::Id.gt(after));
        }
        if let Some(session) = filter.session {
            query = query.filter(enrolment::Column::SessionId.eq(session));
        }
        if let Some(course) = filter.course {
            query = query.filter(enrolment::Column::CourseId.eq(course));
        }
        if let Some(trainee) = &filter.trainee {
            query = query.filter(enrolment::Column::TraineeSubject.eq(trainee.clone()));
        }
        if let Some(organization) = &filter.organization {
            query = query.filter(enrolment::Column::TraineeOrganizationId.eq(organization.clone()));
        }
        if !filter.statuses.is_empty() {
            query = query.filter(enrolment::Column::Status.is_in(filter.statuses.clone()));
        }
        if let Some(from) = filter.created_from {
            query = query.filter(enrolment::Column::CreatedAt.gte(from));
        }
        if let Some(until) = filter.created_until {
            query = query.filter(enrolment::Column::CreatedAt.lt(until));
        }
        let ids: Vec<Uuid> = query.into_tuple().all(&self.db).await?;
        self.views(&self.db, &ids).await
    }

    /// A session's enrolments for the roster, by trainee organization and name.
    pub async fn roster(
        &self,
        session_id: Uuid,
        statuses: &[EnrolmentStatus],
        organization: Option<&str>,
    ) -> Result<Vec<EnrolmentView>> {
        let mut query = enrolment::Entity::find()
            .select_only()
            .column(enrolment::Column::Id)
            .filter(enrolment::Column::SessionId.eq(session_id))
            .order_by_asc(enrolment::Column::TraineeOrganizationId)
            .order_by_asc(enrolment::Column::TraineeName)
            .order_by_asc(enrolment::Column::Id);
        if !statuses.is_empty() {
            query = query.filter(enrolment::Column::Status.is_in(statuses.to_vec()));
        }
        if let Some(organization) = organization {
            query = query.filter(enrolment::Column::TraineeOrganizationId.eq(organization));
        }
        let ids: Vec<Uuid> = query.into_tuple().all(&self.db).await?;
        self.views(&self.db, &ids).await
    }

    // ---- writes (each inside the caller's transaction) -----------------------

    /// Enrols `trainee` into the session described by `facts`: confirmed when
    /// a seat (and the organization's quota) allows, waitlisted when not, or
    /// pending approval. Reopens a cancelled or rejected enrolment of the same
    /// trainee and session.
    pub async fn enrol_in(
        &self,
        txn: &DatabaseTransaction,
        facts: &SessionFacts,
        trainee: &Person,
        actor: &Person,
        admission: Admission,
        now: DateTime<Utc>,
    ) -> Result<Uuid> {
        sync_seats(txn, facts, now).await?;
        // A capacity raised in courses frees seats: the waitlist goes first.
        while promote_next(txn, facts.session_id, actor, now)
            .await?
            .is_some()
        {}
        let existing = enrolment::Entity::find()
            .filter(enrolment::Column::SessionId.eq(facts.session_id))
            .filter(enrolment::Column::TraineeSubject.eq(trainee.subject.clone()))
            .one(txn)
            .await?;
        if let Some(existing) = &existing
            && (existing.status.is_active() || existing.status.is_final())
        {
            return Err(EnrolmentsError::AlreadyEnrolled(existing.status));
        }
        let status = match admission {
            Admission::NeedsApproval => EnrolmentStatus::PendingApproval,
            Admission::SeatOrWaitlist => {
                if take_seat(txn, facts.session_id, &trainee.organization_id).await? {
                    EnrolmentStatus::Confirmed
                } else {
                    EnrolmentStatus::Waitlisted
                }
            }
        };
        let waitlisted_at = match status {
            EnrolmentStatus::Waitlisted => Some(waitlist_time(txn, facts.session_id, now).await?),
            _ => None,
        };
        let (id, from) = match existing {
            Some(existing) => {
                enrolment::Entity::update_many()
                    .col_expr(enrolment::Column::Status, Expr::value(status))
                    .col_expr(enrolment::Column::WaitlistedAt, Expr::value(waitlisted_at))
                    .col_expr(
                        enrolment::Column::TraineeName,
                        Expr::value(trainee.name.clone()),
                    )
                    .col_expr(
                        enrolment::Column::TraineeOrganizationId,
                        Expr::value(trainee.organization_id.clone()),
                    )
                    .col_expr(
                        enrolment::Column::EnrolledBySubject,
                        Expr::value(actor.subject.clone()),
                    )
                    .col_expr(
                        enrolment::Column::EnrolledByName,
                        Expr::value(actor.name.clone()),
                    )
                    .col_expr(
                        enrolment::Column::EnrolledByOrganizationId,
                        Expr::value(actor.organization_id.clone()),
                    )
                    .col_expr(enrolment::Column::StatusAt, Expr::value(now))
                    .col_expr(enrolment::Column::UpdatedAt, Expr::value(now))
                    .filter(enrolment::Column::Id.eq(existing.id))
                    .exec(txn)
                    .await?;
                (existing.id, Some(existing.status))
            }
            None => {
                let id = Uuid::now_v7();
                let row = enrolment::ActiveModel {
                    id: Set(id),
                    session_id: Set(facts.session_id),
                    course_id: Set(facts.course_id),
                    trainee_subject: Set(trainee.subject.clone()),
                    trainee_name: Set(trainee.name.clone()),
                    trainee_organization_id: Set(trainee.organization_id.clone()),
                    status: Set(status),
                    enrolled_by_subject: Set(actor.subject.clone()),
                    enrolled_by_name: Set(actor.name.clone()),
                    enrolled_by_organization_id: Set(actor.organization_id.clone()),
                    waitlisted_at: Set(waitlisted_at),
                    score: Set(None),
                    attendance_percent: Set(None),
                    passing_score: Set(None),
                    min_attendance_percent: Set(None),
                    hours: Set(None),
                    assessor_subject: Set(None),
                    assessor_name: Set(None),
                    assessor_organization_id: Set(None),
                    completed_at: Set(None),
                    created_at: Set(now),
                    status_at: Set(now),
                    updated_at: Set(now),
                };
                if let Err(error) = enrolment::Entity::insert(row)
                    .exec_without_returning(txn)
                    .await
                {
                    return Err(if hamafza_kit::db::is_unique_violation(&error) {
                        EnrolmentsError::AlreadyEnrolled(EnrolmentStatus::Confirmed)
                    } else {
                        error.into()
                    });
                }
                (id, None)
            }
        };
        record_change(txn, id, from, status, Cause::Enrolment, "", actor, now).await?;
        Ok(id)
    }

    /// Approves a pending enrolment: a seat if there is one, else the waitlist.
    pub async fn approve_in(
        &self,
        txn: &DatabaseTransaction,
        id: Uuid,
        actor: &Person,
        comment: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let row = lock_enrolment(txn, id, now).await?;
        if row.status != EnrolmentStatus::PendingApproval {
            return Err(EnrolmentsError::WrongStatus {
                actual: row.status,
                expected: "pending approval",
            });
        }
        let status = if take_seat(txn, row.session_id, &row.trainee_organization_id).await? {
            EnrolmentStatus::Confirmed
        } else {
            EnrolmentStatus::Waitlisted
        };
        let waitlisted_at = match status {
            EnrolmentStatus::Waitlisted => Some(waitlist_time(txn, row.session_id, now).await?),
            _ => None,
        };
        set_status(txn, &row, status, waitlisted_at, now).await?;
        record_change(
            txn,
            id,
            Some(row.status),
            status,
            Cause::Approval,
            comment,
            actor,
            now,
        )
        .await
    }

    /// Rejects a pending enrolment with a reason.
    pub async fn reject_in(
        &self,
        txn: &DatabaseTransaction,
        id: Uuid,
        actor: &Person,
        reason: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let row = lock_enrolment(txn, id, now).await?;
        if row.status != EnrolmentStatus::PendingApproval {
            return Err(EnrolmentsError::WrongStatus {
                actual: row.status,
                expected: "pending approval",
            });
        }
        set_status(txn, &row, EnrolmentStatus::Rejected, None, now).await?;
        record_change(
            txn,
            id,
            Some(row.status),
            EnrolmentStatus::Rejected,
            Cause::Rejection,
            reason,
            actor,
            now,
        )
        .await
    }

    /// Cancels an open enrolment. A freed seat goes to the first waitlisted
    /// trainee whose organization's quota allows it, in the same transaction.
    /// Returns the promoted enrolment, if any.
    pub async fn cancel_in(
        &self,
        txn: &DatabaseTransaction,
        id: Uuid,
        actor: &Person,
        reason: &str,
        cause: Cause,
        now: DateTime<Utc>,
    ) -> Result<Option<Uuid>> {
        let row = lock_enrolment(txn, id, now).await?;
        if !row.status.can_cancel() {
            return Err(EnrolmentsError::WrongStatus {
                actual: row.status,
                expected: "pending approval, confirmed or waitlisted",
            });
        }
        set_status(txn, &row, EnrolmentStatus::Cancelled, None, now).await?;
        record_change(
            txn,
            id,
            Some(row.status),
            EnrolmentStatus::Cancelled,
            cause,
            reason,
            actor,
            now,
        )
        .await?;
        if !row.status.holds_seat() {
            return Ok(None);
        }
        free_seat(txn, row.session_id, &row.trainee_organization_id).await?;
        if cause == Cause::SessionCancelled {
            return Ok(None);
        }
        promote_next(txn, row.session_id, actor, now).await
    }

    /// Records attendance of one meeting for enrolments of one session.
    pub async fn record_attendance_in(
        &self,
        txn: &DatabaseTransaction,
        session_id: Uuid,
        meeting_index: u32,
        marks: &[Mark],
        actor: &Person,
        now: DateTime<Utc>,
    ) -> Result<Vec<Uuid>> {
        let seats = touch_seats(txn, session_id, now)
            .await?
            .ok_or_else(|| not_found("session roster", session_id))?;
        let count = u32::try_from(seats.meeting_count).unwrap_or(0);
        if meeting_index >= count {
            return Err(EnrolmentsError::NoSuchMeeting {
                index: meeting_index,
                count,
            });
        }
        let ids: Vec<Uuid> = marks.iter().map(|mark| mark.enrolment_id).collect();
        let rows = enrolment::Entity::find()
            .filter(enrolment::Column::Id.is_in(ids.clone()))
            .all(txn)
            .await?;
        for mark in marks {
            let on_roster = rows.iter().any(|row| {
                row.id == mark.enrolment_id
                    && row.session_id == session_id
                    && row.status == EnrolmentStatus::Confirmed
            });
            if !on_roster {
                return Err(EnrolmentsError::NotOnRoster(mark.enrolment_id.to_string()));
            }
            let record = attendance::ActiveModel {
                enrolment_id: Set(mark.enrolment_id),
                meeting_index: Set(as_i32(meeting_index)),
                present: Set(mark.present),
                recorder_subject: Set(actor.subject.clone()),
                recorder_name: Set(actor.name.clone()),
                recorder_organization_id: Set(actor.organization_id.clone()),
                recorded_at: Set(now),
            };
            attendance::Entity::insert(record)
                .on_conflict(
                    OnConflict::columns([
                        attendance::Column::EnrolmentId,
                        attendance::Column::MeetingIndex,
                    ])
                    .update_columns([
                        attendance::Column::Present,
                        attendance::Column::RecorderSubject,
                        attendance::Column::RecorderName,
                        attendance::Column::RecorderOrganizationId,
                        attendance::Column::RecordedAt,
                    ])
                    .to_owned(),
                )
                .exec_without_returning(txn)
                .await?;
        }
        Ok(ids)
    }

    /// Assesses a confirmed enrolment: completed, failed or no-show, by the
    /// course's rules as copied at enrolment. A completion writes its outbox
    /// row in the same transaction.
    pub async fn complete_in(
        &self,
        txn: &DatabaseTransaction,
        id: Uuid,
        score: Option<u32>,
        no_show: bool,
        actor: &Person,
        now: DateTime<Utc>,
    ) -> Result<EnrolmentStatus> {
        let row = lock_enrolment(txn, id, now).await?;
        if row.status != EnrolmentStatus::Confirmed {
            return Err(EnrolmentsError::WrongStatus {
                actual: row.status,
                expected: "confirmed",
            });
        }
        let seats = session_seats::Entity::find_by_id(row.session_id)
            .one(txn)
            .await?
            .ok_or_else(|| not_found("session roster", row.session_id))?;
        let attended = attendance::Entity::find()
            .filter(attendance::Column::EnrolmentId.eq(id))
            .filter(attendance::Column::Present.eq(true))
            .count(txn)
            .await?;
        let rules = PassRules {
            passing_score: u32::try_from(seats.passing_score).unwrap_or(100),
            min_attendance_percent: u32::try_from(seats.min_attendance_percent).unwrap_or(100),
        };
        let outcome = assessment::assess(
            score,
            no_show,
            u32::try_from(attended).unwrap_or(u32::MAX),
            u32::try_from(seats.meeting_count).unwrap_or(0),
            rules,
        );
        enrolment::Entity::update_many()
            .col_expr(enrolment::Column::Status, Expr::value(outcome.status))
            .col_expr(enrolment::Column::Score, Expr::value(score.map(as_i32)))
            .col_expr(
                enrolment::Column::AttendancePercent,
                Expr::value(as_i32(outcome.attendance_percent)),
            )
            .col_expr(
                enrolment::Column::PassingScore,
                Expr::value(seats.passing_score),
            )
            .col_expr(
                enrolment::Column::MinAttendancePercent,
                Expr::value(seats.min_attendance_percent),
            )
            .col_expr(enrolment::Column::Hours, Expr::value(seats.hours))
            .col_expr(
                enrolment::Column::AssessorSubject,
                Expr::value(actor.subject.clone()),
            )
            .col_expr(
                enrolment::Column::AssessorName,
                Expr::value(actor.name.clone()),
            )
            .col_expr(
                enrolment::Column::AssessorOrganizationId,
                Expr::value(actor.organization_id.clone()),
            )
            .col_expr(enrolment::Column::CompletedAt, Expr::value(now))
            .col_expr(enrolment::Column::StatusAt, Expr::value(now))
            .filter(enrolment::Column::Id.eq(id))
            .exec(txn)
            .await?;
        record_change(
            txn,
            id,
            Some(row.status),
            outcome.status,
            Cause::Assessment,
            "",
            actor,
            now,
        )
        .await?;
        if outcome.status == EnrolmentStatus::Completed {
            let payload = IssueCertificateRequest {
                completion_id: id.to_string(),
                trainee: Some(Actor {
                    subject: row.trainee_subject.clone(),
                    name: row.trainee_name.clone(),
                    organization_id: row.trainee_organization_id.clone(),
                }),
                course_id: row.course_id.to_string(),
                session_id: row.session_id.to_string(),
                score: score.unwrap_or(0),
                hours: u32::try_from(seats.hours).unwrap_or(0),
                completion_time: Some(hamafza_kit::time::to_timestamp(now)),
                course_title: Some(LocalizedText {
                    fa: seats.course_title_fa.clone(),
                    en: seats.course_title_en.clone(),
                }),
                validity_months: seats
                    .certificate_validity_months
                    .and_then(|m| u32::try_from(m).ok()),
            };
            outbox::Entity::insert(outbox::ActiveModel {
                id: Set(Uuid::now_v7()),
                enrolment_id: Set(id),
                payload: Set(payload.encode_to_vec()),
                created_at: Set(now),
                attempts: Set(0),
                next_attempt_at: Set(now),
                locked_until: Set(None),
                delivered_at: Set(None),
                last_error: Set(String::new()),
                last_error_at: Set(None),
            })
            .exec_without_returning(txn)
            .await?;
        }
        Ok(outcome.status)
    }

    /// Cancels every open enrolment of a session cancelled in courses.
    pub async fn cancel_session_enrolments(
        &self,
        session_id: Uuid,
        reason: &str,
        actor: &Person,
        now: DateTime<Utc>,
    ) -> Result<usize> {
        let open: Vec<Uuid> = enrolment::Entity::find()
            .select_only()
            .column(enrolment::Column::Id)
            .filter(enrolment::Column::SessionId.eq(session_id))
            .filter(enrolment::Column::Status.is_in([
                EnrolmentStatus::PendingApproval,
                EnrolmentStatus::Confirmed,
                EnrolmentStatus::Waitlisted,
            ]))
            .into_tuple()
            .all(&self.db)
            .await?;
        let mut cancelled = 0;
        for id in open {
            let txn = self.db.begin().await?;
            // Write first: SQLite takes its lock before anything is read.
            touch_seats(&txn, session_id, now).await?;
            match self
                .cancel_in(&txn, id, actor, reason, Cause::SessionCancelled, now)
                .await
            {
                Ok(_) => {
                    txn.commit().await?;
                    cancelled += 1;
                }
                // Someone else changed it meanwhile; nothing left to cancel.
                Err(EnrolmentsError::WrongStatus { .. }) => {}
                Err(error) => return Err(error),
            }
        }
        Ok(cancelled)
    }

    // ---- outbox ----------------------------------------------------------------

    /// Claims up to `limit` due deliveries for `lease`: each claimed row is
    /// invisible to other dispatchers until the lease ends. On PostgreSQL rows
    /// another replica is claiming are skipped (`FOR UPDATE SKIP LOCKED`).
    pub async fn claim_due(
        &self,
        now: DateTime<Utc>,
        limit: u64,
        lease: Duration,
    ) -> Result<Vec<outbox::Model>> {
        let backend = self.db.get_database_backend();
        let until = now + lease;
        let sql = match backend {
            DbBackend::Postgres => format!(
                "UPDATE outbox SET locked_until = $1, attempts = attempts + 1 WHERE id IN (\
                 SELECT id FROM outbox WHERE delivered_at IS NULL AND next_attempt_at <= $2 \
                 AND (locked_until IS NULL OR locked_until < $2) ORDER BY created_at LIMIT {limit} \
                 FOR UPDATE SKIP LOCKED) RETURNING *"
            ),
            _ => format!(
                "UPDATE outbox SET locked_until = $1, attempts = attempts + 1 WHERE id IN (\
                 SELECT id FROM outbox WHERE delivered_at IS NULL AND next_attempt_at <= $2 \
                 AND (locked_until IS NULL OR locked_until < $2) ORDER BY created_at LIMIT {limit}) RETURNING *"
            ),
        };
        let statement = Statement::from_sql_and_values(backend, sql, [until.into(), now.into()]);
        Ok(outbox::Entity::find()
            .from_raw_sql(statement)
            .all(&self.db)
            .await?)
    }

    /// Marks a delivery done.
    pub async fn mark_delivered(&self, id: Uuid, now: DateTime<Utc>) -> Result<()> {
        outbox::Entity::update_many()
            .col_expr(outbox::Column::DeliveredAt, Expr::value(now))
            .col_expr(
                outbox::Column::LockedUntil,
                Expr::value(Option::<DateTime<Utc>>::None),
            )
            .filter(outbox::Column::Id.eq(id))
            .exec(&self.db)
            .await?;
        Ok(())
    }

    /// Records a failed delivery and when to try again, unless the row was
    /// delivered or claimed again meanwhile (its lease, `claimed_until`, ran
    /// out and another dispatcher owns it now).
    pub async fn mark_failed(
        &self,
        id: Uuid,
        claimed_until: Option<DateTime<Utc>>,
        error: &str,
        retry_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let mut update = outbox::Entity::update_many()
            .col_expr(
                outbox::Column::LastError,
                Expr::value(error.chars().take(1000).collect::<String>()),
            )
            .col_expr(outbox::Column::LastErrorAt, Expr::value(now))
            .col_expr(outbox::Column::NextAttemptAt, Expr::value(retry_at))
            .col_expr(
                outbox::Column::LockedUntil,
                Expr::value(Option::<DateTime<Utc>>::None),
            )
            .filter(outbox::Column::Id.eq(id))
            .filter(outbox::Column::DeliveredAt.is_null());
        if let Some(until) = claimed_until {
            update = update.filter(outbox::Column::LockedUntil.eq(until));
        }
        update.exec(&self.db).await?;
        Ok(())
    }

    /// How delivery stands.
    pub async fn delivery_status(&self) -> Result<DeliveryStatus> {
        let pending = outbox::Entity::find().filter(outbox::Column::DeliveredAt.is_null());
        let pending_count = pending.clone().count(&self.db).await?;
        let oldest_pending = pending
            .order_by_asc(outbox::Column::CreatedAt)
            .one(&self.db)
            .await?;
        let delivered = outbox::Entity::find().filter(outbox::Column::DeliveredAt.is_not_null());
        let delivered_count = delivered.clone().count(&self.db).await?;
        let last_delivery = delivered
            .order_by_desc(outbox::Column::DeliveredAt)
            .one(&self.db)
            .await?
            .and_then(|row| row.delivered_at);
        let last_error = outbox::Entity::find()
            .filter(outbox::Column::LastErrorAt.is_not_null())
            .order_by_desc(outbox::Column::LastErrorAt)
            .one(&self.db)
            .await?
            .and_then(|row| row.last_error_at.map(|at| (row.last_error, at)));
        Ok(DeliveryStatus {
            pending: pending_count,
            oldest_pending,
            delivered: delivered_count,
            last_delivery,
            last_error,
        })
    }

    // ---- workers' state ----------------------------------------------------------

    /// A worker's saved value.
    pub async fn worker_value(&self, name: &str) -> Result<Option<String>> {
        Ok(worker_state::Entity::find_by_id(name.to_owned())
            .one(&self.db)
            .await?
            .map(|row| row.value))
    }

    /// Saves a worker's value.
    pub async fn set_worker_value(&self, name: &str, value: &str) -> Result<()> {
        worker_state::Entity::insert(worker_state::ActiveModel {
            name: Set(name.to_owned()),
            value: Set(value.to_owned()),
        })
        .on_conflict(
            OnConflict::column(worker_state::Column::Name)
                .update_column(worker_state::Column::Value)
                .to_owned(),
        )
        .exec_without_returning(&self.db)
        .await?;
        Ok(())
    }

    // ---- benchmarking ---------------------------------------------------------------

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

/// Copies the session's current facts into its seat row (creating it on the
/// first enrolment) and its quota rows. The seat row is written first, which
/// serializes every enrolment transaction of the session.
async fn sync_seats(
    txn: &DatabaseTransaction,
    facts: &SessionFacts,
    now: DateTime<Utc>,
) -> Result<()> {
    let course = &facts.course;
    let row = session_seats::ActiveModel {
        session_id: Set(facts.session_id),
        course_id: Set(facts.course_id),
        capacity: Set(as_i32(facts.capacity)),
        taken: Set(0),
        meeting_count: Set(as_i32(facts.meeting_count)),
        instructor_subject: Set(facts.instructor_subject.clone()),
        course_title_fa: Set(course.title_fa.clone()),
        course_title_en: Set(course.title_en.clone()),
        hours: Set(as_i32(course.hours)),
        passing_score: Set(as_i32(course.passing_score)),
        min_attendance_percent: Set(as_i32(course.min_attendance_percent)),
        certificate_validity_months: Set(course.certificate_validity_months.map(as_i32)),
        updated_at: Set(now),
    };
    session_seats::Entity::insert(row)
        .on_conflict(
            OnConflict::column(session_seats::Column::SessionId)
                .update_columns([
                    session_seats::Column::Capacity,
                    session_seats::Column::MeetingCount,
                    session_seats::Column::InstructorSubject,
                    session_seats::Column::CourseTitleFa,
                    session_seats::Column::CourseTitleEn,
                    session_seats::Column::Hours,
                    session_seats::Column::PassingScore,
                    session_seats::Column::MinAttendancePercent,
                    session_seats::Column::CertificateValidityMonths,
                    session_seats::Column::UpdatedAt,
                ])
                .to_owned(),
        )
        .exec_without_returning(txn)
        .await?;
    let quota_orgs: Vec<String> = facts.quotas.iter().map(|(org, _)| org.clone()).collect();
    quota_seats::Entity::delete_many()
        .filter(quota_seats::Column::SessionId.eq(facts.session_id))
        .filter(quota_seats::Column::OrganizationId.is_not_in(quota_orgs))
        .exec(txn)
        .await?;
    for (organization, quota) in &facts.quotas {
        // A quota set after people of the organization already hold seats
        // starts from them, so that it caps what they hold from now on.
        let held = enrolment::Entity::find()
            .filter(enrolment::Column::SessionId.eq(facts.session_id))
            .filter(enrolment::Column::TraineeOrganizationId.eq(organization.clone()))
            .filter(enrolment::Column::Status.eq(EnrolmentStatus::Confirmed))
            .count(txn)
            .await?;
        quota_seats::Entity::insert(quota_seats::ActiveModel {
            session_id: Set(facts.session_id),
            organization_id: Set(organization.clone()),
            quota: Set(as_i32(*quota)),
            taken: Set(i32::try_from(held).unwrap_or(i32::MAX)),
        })
        .on_conflict(
            OnConflict::columns([
                quota_seats::Column::SessionId,
                quota_seats::Column::OrganizationId,
            ])
            .update_column(quota_seats::Column::Quota)
            .to_owned(),
        )
        .exec_without_returning(txn)
        .await?;
    }
    Ok(())
}

/// Writes the session's seat row (taking its lock) and returns it.
async fn touch_seats(
    txn: &DatabaseTransaction,
    session_id: Uuid,
    now: DateTime<Utc>,
) -> Result<Option<session_seats::Model>> {
    session_seats::Entity::update_many()
        .col_expr(session_seats::Column::UpdatedAt, Expr::value(now))
        .filter(session_seats::Column::SessionId.eq(session_id))
        .exec(txn)
        .await?;
    Ok(session_seats::Entity::find_by_id(session_id)
        .one(txn)
        .await?)
}

/// Locks the enrolment's session (see [`touch_seats`]) and returns the
/// enrolment as it is inside this transaction.
async fn lock_enrolment(
    txn: &DatabaseTransaction,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<enrolment::Model> {
    // Which session, read before the lock; a session never changes.
    let session_id: Option<Uuid> = enrolment::Entity::find_by_id(id)
        .select_only()
        .column(enrolment::Column::SessionId)
        .into_tuple()
        .one(txn)
        .await?;
    let session_id = session_id.ok_or_else(|| not_found("enrolment", id))?;
    touch_seats(txn, session_id, now).await?;
    enrolment::Entity::find_by_id(id)
        .one(txn)
        .await?
        .ok_or_else(|| not_found("enrolment", id))
}

/// Takes one seat of the session and, when the organization has a quota, one
/// of its quota: both conditional updates succeed, or neither counts.
async fn take_seat(
    txn: &DatabaseTransaction,
    session_id: Uuid,
    organization: &str,
) -> Result<bool> {
    let seat = session_seats::Entity::update_many()
        .col_expr(
            session_seats::Column::Taken,
            Expr::col(session_seats::Column::Taken).add(1),
        )
        .filter(session_seats::Column::SessionId.eq(session_id))
        .filter(
            Expr::col(session_seats::Column::Taken).lt(Expr::col(session_seats::Column::Capacity)),
        )
        .exec(txn)
        .await?
        .rows_affected;
    if seat == 0 {
        return Ok(false);
    }
    let has_quota = quota_seats::Entity::find_by_id((session_id, organization.to_owned()))
        .one(txn)
        .await?
        .is_some();
    if !has_quota {
        return Ok(true);
    }
    let quota = quota_seats::Entity::update_many()
        .col_expr(
            quota_seats::Column::Taken,
            Expr::col(quota_seats::Column::Taken).add(1),
        )
        .filter(quota_seats::Column::SessionId.eq(session_id))
        .filter(quota_seats::Column::OrganizationId.eq(organization))
        .filter(Expr::col(quota_seats::Column::Taken).lt(Expr::col(quota_seats::Column::Quota)))
        .exec(txn)
        .await?
        .rows_affected;
    if quota == 0 {
        // The organization is at its quota: give the session seat back.
        session_seats::Entity::update_many()
            .col_expr(
                session_seats::Column::Taken,
                Expr::col(session_seats::Column::Taken).sub(1),
            )
            .filter(session_seats::Column::SessionId.eq(session_id))
            .exec(txn)
            .await?;
        return Ok(false);
    }
    Ok(true)
}

/// Gives back a seat and the organization's quota seat.
async fn free_seat(txn: &DatabaseTransaction, session_id: Uuid, organization: &str) -> Result<()> {
    session_seats::Entity::update_many()
        .col_expr(
            session_seats::Column::Taken,
            Expr::col(session_seats::Column::Taken).sub(1),
        )
        .filter(session_seats::Column::SessionId.eq(session_id))
        .filter(session_seats::Column::Taken.gt(0))
        .exec(txn)
        .await?;
    quota_seats::Entity::update_many()
        .col_expr(
            quota_seats::Column::Taken,
            Expr::col(quota_seats::Column::Taken).sub(1),
        )
        .filter(quota_seats::Column::SessionId.eq(session_id))
        .filter(quota_seats::Column::OrganizationId.eq(organization))
        .filter(quota_seats::Column::Taken.gt(0))
        .exec(txn)
        .await?;
    Ok(())
}

/// Gives a freed seat to the first waitlisted enrolment whose organization's
/// quota allows it.
async fn promote_next(
    txn: &DatabaseTransaction,
    session_id: Uuid,
    actor: &Person,
    now: DateTime<Utc>,
) -> Result<Option<Uuid>> {
    let free = session_seats::Entity::find_by_id(session_id)
        .one(txn)
        .await?
        .is_some_and(|seats| seats.taken < seats.capacity);
    if !free {
        return Ok(None);
    }
    let waiting = enrolment::Entity::find()
        .filter(enrolment::Column::SessionId.eq(session_id))
        .filter(enrolment::Column::Status.eq(EnrolmentStatus::Waitlisted))
        .order_by_asc(enrolment::Column::WaitlistedAt)
        .order_by_asc(enrolment::Column::Id)
        .all(txn)
        .await?;
    for candidate in waiting {
        if take_seat(txn, session_id, &candidate.trainee_organization_id).await? {
            set_status(txn, &candidate, EnrolmentStatus::Confirmed, None, now).await?;
            record_change(
                txn,
                candidate.id,
                Some(EnrolmentStatus::Waitlisted),
                EnrolmentStatus::Confirmed,
                Cause::WaitlistPromotion,
                "",
                actor,
                now,
            )
            .await?;
            tracing::info!(enrolment_id = %candidate.id, %session_id, "promoted from the waitlist");
            return Ok(Some(candidate.id));
        }
    }
    Ok(None)
}

/// When an enrolment joins the session's waitlist: `now`, or just after the
/// last one already on it. Enrolments of a session are serialized on its seat
/// row, so the waitlist's order is the order they were admitted in, and the
/// place reported to each caller stays true, whatever the clocks of the
/// replicas (or a transaction's wait for the lock) say.
async fn waitlist_time(
    txn: &DatabaseTransaction,
    session_id: Uuid,
    now: DateTime<Utc>,
) -> Result<DateTime<Utc>> {
    let last = enrolment::Entity::find()
        .filter(enrolment::Column::SessionId.eq(session_id))
        .filter(enrolment::Column::Status.eq(EnrolmentStatus::Waitlisted))
        .order_by_desc(enrolment::Column::WaitlistedAt)
        .one(txn)
        .await?
        .and_then(|row| row.waitlisted_at);
    Ok(match last {
        Some(last) if last >= now => last + chrono::Duration::microseconds(1),
        _ => now,
    })
}

async fn set_status(
    txn: &DatabaseTransaction,
    row: &enrolment::Model,
    status: EnrolmentStatus,
    waitlisted_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<()> {
    enrolment::Entity::update_many()
        .col_expr(enrolment::Column::Status, Expr::value(status))
        .col_expr(enrolment::Column::WaitlistedAt, Expr::value(waitlisted_at))
        .col_expr(enrolment::Column::StatusAt, Expr::value(now))
        .col_expr(enrolment::Column::UpdatedAt, Expr::value(now))
        .filter(enrolment::Column::Id.eq(row.id))
        .exec(txn)
        .await?;
    Ok(())
}

#[allow(clippy::too_many_arguments)]
async fn record_change(
    txn: &DatabaseTransaction,
    enrolment_id: Uuid,
    from: Option<EnrolmentStatus>,
    to: EnrolmentStatus,
    cause: Cause,
    reason: &str,
    actor: &Person,
    now: DateTime<Utc>,
) -> Result<()> {
    history::Entity::insert(history::ActiveModel {
        id: Set(Uuid::now_v7()),
        enrolment_id: Set(enrolment_id),
        from_status: Set(from),
        to_status: Set(to),
        cause: Set(cause),
        reason: Set(reason.to_owned()),
        actor_subject: Set(actor.subject.clone()),
        actor_name: Set(actor.name.clone()),
        actor_organization_id: Set(actor.organization_id.clone()),
        changed_at: Set(now),
    })
    .exec_without_returning(txn)
    .await?;
    Ok(())
}
