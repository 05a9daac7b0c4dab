//! Seats and the waitlist: the per-session seat and quota rows that guard
//! capacity, taking and freeing seats, and promoting from the waitlist.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{
    Alias, Expr, OnConflict, Query, SelectStatement, SimpleExpr, SubQueryStatement, UpdateStatement,
};
use sea_orm::{
    ActiveEnum, ColumnTrait, ConnectionTrait, DatabaseTransaction, DbErr, EntityTrait, ExprTrait,
    PaginatorTrait, QueryFilter, QueryOrder, QueryResult, QuerySelect, Set,
};
use uuid::Uuid;

use super::lifecycle::{record_change, set_status};
use super::{Result, Store, as_i32, not_found};
use crate::domain::status::{Cause, EnrolmentStatus};
use crate::domain::{Person, SessionFacts};
use crate::store::entities::{enrolment, quota_seats, session_seats};

impl Store {
    /// A session's seat row, if anyone has enrolled in it yet.
    pub async fn seats(&self, session_id: Uuid) -> Result<Option<session_seats::Model>> {
        Ok(session_seats::Entity::find_by_id(session_id)
            .one(&self.db)
            .await?)
    }

    /// The seats of several sessions that anyone has enrolled in, in three
    /// statements whatever their number: their seat rows, their quota rows,
    /// and their enrolments counted by status; by session. A session nobody
    /// has enrolled in yet has no seat row and is not in the answer.
    pub async fn seat_counts(&self, sessions: &[Uuid]) -> Result<HashMap<Uuid, SeatCounts>> {
        let rows = session_seats::Entity::find()
            .filter(session_seats::Column::SessionId.is_in(sessions.iter().copied()))
            .all(&self.db);
        let quotas = quota_seats::Entity::find()
            .filter(quota_seats::Column::SessionId.is_in(sessions.iter().copied()))
            .order_by_asc(quota_seats::Column::SessionId)
            .order_by_asc(quota_seats::Column::OrganizationId)
            .all(&self.db);
        let counted = enrolment::Entity::find()
            .select_only()
            .column(enrolment::Column::SessionId)
            .column(enrolment::Column::Status)
            .column_as(Expr::cust("COUNT(*)"), "n")
            .filter(enrolment::Column::SessionId.is_in(sessions.iter().copied()))
            .filter(enrolment::Column::Status.is_in(COUNTED))
            .group_by(enrolment::Column::SessionId)
            .group_by(enrolment::Column::Status)
            .into_tuple::<(Uuid, EnrolmentStatus, i64)>()
            .all(&self.db);
        let (rows, quotas, counted) = tokio::try_join!(rows, quotas, counted)?;
        let mut result: HashMap<Uuid, SeatCounts> = rows
            .into_iter()
            .map(|seats| {
                let counts = SeatCounts {
                    seats,
                    quotas: Vec::new(),
                    waitlisted: 0,
                    pending: 0,
                    assessed: 0,
                };
                (counts.seats.session_id, counts)
            })
            .collect();
        for quota in quotas {
            if let Some(counts) = result.get_mut(&quota.session_id) {
                counts.quotas.push(quota);
            }
        }
        for (session_id, status, n) in counted {
            let Some(counts) = result.get_mut(&session_id) else {
                continue;
            };
            let n = u64::try_from(n).unwrap_or(0);
            match status {
                EnrolmentStatus::Waitlisted => counts.waitlisted += n,
                EnrolmentStatus::PendingApproval => counts.pending += n,
                _ => counts.assessed += n,
            }
        }
        Ok(result)
    }
}

/// The statuses [`Store::seat_counts`] counts: waiting for a seat, waiting
/// for approval, and assessed (whose seats stay held).
const COUNTED: [EnrolmentStatus; 5] = [
    EnrolmentStatus::Waitlisted,
    EnrolmentStatus::PendingApproval,
    EnrolmentStatus::Completed,
    EnrolmentStatus::Failed,
    EnrolmentStatus::NoShow,
];

/// A session's seats as [`Store::seat_counts`] reads them.
#[derive(Debug, Clone)]
pub struct SeatCounts {
    /// The seat row: capacity, and `taken` (every seat held).
    pub seats: session_seats::Model,
    /// Its quota rows, by organization.
    pub quotas: Vec<quota_seats::Model>,
    /// Enrolments waiting for a seat.
    pub waitlisted: u64,
    /// Enrolments waiting for approval.
    pub pending: u64,
    /// Enrolments assessed (completed, failed, no-show), still holding seats.
    pub assessed: u64,
}

/// Copies the session's current facts into its seat row (creating it on the
/// first enrolment) and returns the row as written: its `taken` is the
/// current count, since writing the row takes its lock, which serializes
/// every enrolment transaction of the session. Quota rows are
/// [`sync_quotas`]' work.
pub(super) async fn sync_seats(
    txn: &DatabaseTransaction,
    facts: &SessionFacts,
    now: DateTime<Utc>,
) -> Result<session_seats::Model> {
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
        host_organization_id: Set(facts.host_organization_id.clone()),
    };
    let written = session_seats::Entity::insert(row)
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
                    session_seats::Column::HostOrganizationId,
                ])
                .to_owned(),
        )
        .exec_with_returning(txn)
        .await?;
    Ok(written)
}

/// What an enrolment of one trainee needs to know of its session, read in
/// one statement under the seat lock (after [`sync_seats`]).
#[derive(Debug, Clone, Copy)]
pub(super) struct SessionProbe {
    /// The session has quota rows.
    pub has_quotas: bool,
    /// Someone of the session is waitlisted.
    pub has_waitlist: bool,
    /// The trainee's enrolment in the session, if any.
    pub existing: Option<(Uuid, EnrolmentStatus)>,
}

/// Reads [`SessionProbe`] for `trainee` in `session_id`: one round trip on
/// the indexes of quota rows, the waitlist and (session, trainee).
pub(super) async fn probe_session(
    txn: &DatabaseTransaction,
    session_id: Uuid,
    trainee: &str,
) -> Result<SessionProbe> {
    let backend = txn.get_database_backend();
    let row = txn
        .query_one_raw(backend.build(&probe_statement(session_id, trainee)))
        .await?
        .ok_or_else(|| DbErr::RecordNotFound("session probe".to_owned()))?;
    probe_of(&row)
}

/// The query of [`probe_session`]: one row of `has_quotas`, `has_waitlist`,
/// `existing_id` and `existing_status`.
pub(super) fn probe_statement(session_id: Uuid, trainee: &str) -> SelectStatement {
    let quota = Query::select()
        .expr(Expr::val(1))
        .from(quota_seats::Entity)
        .and_where(quota_seats::Column::SessionId.eq(session_id))
        .to_owned();
    let waitlisted = Query::select()
        .expr(Expr::val(1))
        .from(enrolment::Entity)
        .and_where(enrolment::Column::SessionId.eq(session_id))
        .and_where(enrolment::Column::Status.eq(EnrolmentStatus::Waitlisted))
        .to_owned();
    let existing = |column: enrolment::Column| {
        SimpleExpr::SubQuery(
            None,
            Box::<SubQueryStatement>::new(
                Query::select()
                    .column(column)
                    .from(enrolment::Entity)
                    .and_where(enrolment::Column::SessionId.eq(session_id))
                    .and_where(enrolment::Column::TraineeSubject.eq(trainee))
                    .to_owned()
                    .into(),
            ),
        )
    };
    Query::select()
        .expr_as(Expr::exists(quota), Alias::new("has_quotas"))
        .expr_as(Expr::exists(waitlisted), Alias::new("has_waitlist"))
        .expr_as(existing(enrolment::Column::Id), Alias::new("existing_id"))
        .expr_as(
            existing(enrolment::Column::Status),
            Alias::new("existing_status"),
        )
        .to_owned()
}

/// The [`SessionProbe`] in a row of [`probe_statement`]'s columns.
pub(super) fn probe_of(row: &QueryResult) -> Result<SessionProbe> {
    let existing_id: Option<Uuid> = row.try_get("", "existing_id")?;
    let existing_status: Option<String> = row.try_get("", "existing_status")?;
    let existing = match (existing_id, existing_status) {
        (Some(id), Some(status)) => Some((id, EnrolmentStatus::try_from_value(&status)?)),
        _ => None,
    };
    Ok(SessionProbe {
        has_quotas: row.try_get("", "has_quotas")?,
        has_waitlist: row.try_get("", "has_waitlist")?,
        existing,
    })
}

/// Brings the session's quota rows in line with its facts, under the seat
/// lock. A session without quotas costs one indexed read; otherwise only what
/// changed is written, and the confirmed enrolments of an organization are
/// counted only when its quota is new.
pub(super) async fn sync_quotas(txn: &DatabaseTransaction, facts: &SessionFacts) -> Result<()> {
    let stored = quota_seats::Entity::find()
        .filter(quota_seats::Column::SessionId.eq(facts.session_id))
        .all(txn)
        .await?;
    if stored.is_empty() && facts.quotas.is_empty() {
        return Ok(());
    }
    let gone: Vec<String> = stored
        .iter()
        .filter(|row| {
            !facts
                .quotas
                .iter()
                .any(|(org, _)| *org == row.organization_id)
        })
        .map(|row| row.organization_id.clone())
        .collect();
    if !gone.is_empty() {
        quota_seats::Entity::delete_many()
            .filter(quota_seats::Column::SessionId.eq(facts.session_id))
            .filter(quota_seats::Column::OrganizationId.is_in(gone))
            .exec(txn)
            .await?;
    }
    for (organization, quota) in &facts.quotas {
        let quota = as_i32(*quota);
        match stored
            .iter()
            .find(|row| row.organization_id == *organization)
        {
            Some(row) if row.quota == quota => {}
            Some(_) => {
                quota_seats::Entity::update_many()
                    .col_expr(quota_seats::Column::Quota, Expr::value(quota))
                    .filter(quota_seats::Column::SessionId.eq(facts.session_id))
                    .filter(quota_seats::Column::OrganizationId.eq(organization.clone()))
                    .exec(txn)
                    .await?;
            }
            None => {
                // A quota set after people of the organization already hold
                // seats starts from them, so that it caps what they hold from
                // now on.
                let held = enrolment::Entity::find()
                    .filter(enrolment::Column::SessionId.eq(facts.session_id))
                    .filter(enrolment::Column::Status.eq(EnrolmentStatus::Confirmed))
                    .filter(enrolment::Column::TraineeOrganizationId.eq(organization.clone()))
                    .count(txn)
                    .await?;
                quota_seats::Entity::insert(quota_seats::ActiveModel {
                    session_id: Set(facts.session_id),
                    organization_id: Set(organization.clone()),
                    quota: Set(quota),
                    taken: Set(i32::try_from(held).unwrap_or(i32::MAX)),
                })
                .exec_without_returning(txn)
                .await?;
            }
        }
    }
    Ok(())
}

/// Copies what courses says now of the session (`facts`: its meetings, its
/// instructor, its host, its course's rules and titles) into its seat row,
/// taking the row's lock as [`touch_seats`] does, and returns the row as
/// written; `None` when nobody has enrolled yet (no row). The capacity stays
/// as the enrolments' own writes keep it. Attendance and assessment call this
/// so that they count the meetings the session has now, not those it had at
/// its last enrolment, and so that the roster and the evaluations follow a
/// new instructor.
pub(super) async fn refresh_seats(
    txn: &DatabaseTransaction,
    facts: &SessionFacts,
    now: DateTime<Utc>,
) -> Result<Option<session_seats::Model>> {
    let course = &facts.course;
    session_seats::Entity::update_many()
        .col_expr(
            session_seats::Column::MeetingCount,
            Expr::value(as_i32(facts.meeting_count)),
        )
        .col_expr(
            session_seats::Column::InstructorSubject,
            Expr::value(facts.instructor_subject.clone()),
        )
        .col_expr(
            session_seats::Column::HostOrganizationId,
            Expr::value(facts.host_organization_id.clone()),
        )
        .col_expr(
            session_seats::Column::CourseTitleFa,
            Expr::value(course.title_fa.clone()),
        )
        .col_expr(
            session_seats::Column::CourseTitleEn,
            Expr::value(course.title_en.clone()),
        )
        .col_expr(
            session_seats::Column::Hours,
            Expr::value(as_i32(course.hours)),
        )
        .col_expr(
            session_seats::Column::PassingScore,
            Expr::value(as_i32(course.passing_score)),
        )
        .col_expr(
            session_seats::Column::MinAttendancePercent,
            Expr::value(as_i32(course.min_attendance_percent)),
        )
        .col_expr(
            session_seats::Column::CertificateValidityMonths,
            Expr::value(course.certificate_validity_months.map(as_i32)),
        )
        .col_expr(session_seats::Column::UpdatedAt, Expr::value(now))
        .filter(session_seats::Column::SessionId.eq(facts.session_id))
        .exec(txn)
        .await?;
    Ok(session_seats::Entity::find_by_id(facts.session_id)
        .one(txn)
        .await?)
}

/// Writes the session's seat row (taking its lock) and returns it.
pub(super) async fn touch_seats(
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
pub(super) async fn lock_enrolment(
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
pub(super) async fn take_seat(
    txn: &DatabaseTransaction,
    session_id: Uuid,
    organization: &str,
) -> Result<bool> {
    let backend = txn.get_database_backend();
    let seat = txn
        .execute_raw(backend.build(&take_seat_statement(session_id)))
        .await?
        .rows_affected();
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

/// Takes one seat of the session if one is free (the seat guard).
pub(super) fn take_seat_statement(session_id: Uuid) -> UpdateStatement {
    Query::update()
        .table(session_seats::Entity)
        .value(
            session_seats::Column::Taken,
            Expr::col(session_seats::Column::Taken).add(1),
        )
        .and_where(session_seats::Column::SessionId.eq(session_id))
        .and_where(
            Expr::col(session_seats::Column::Taken).lt(Expr::col(session_seats::Column::Capacity)),
        )
        .to_owned()
}

/// Gives back a seat and the organization's quota seat.
pub(super) async fn free_seat(
    txn: &DatabaseTransaction,
    session_id: Uuid,
    organization: &str,
) -> Result<()> {
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
pub(super) async fn promote_next(
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
    // The first waitlisted enrolment whose organization has room under its
    // quota (or no quota): one read on the waitlist index, however long the
    // waitlist and however many of it wait on a full quota.
    let quota_full = Query::select()
        .expr(Expr::val(1))
        .from(quota_seats::Entity)
        .and_where(
            Expr::col((quota_seats::Entity, quota_seats::Column::SessionId))
                .equals((enrolment::Entity, enrolment::Column::SessionId)),
        )
        .and_where(
            Expr::col((quota_seats::Entity, quota_seats::Column::OrganizationId))
                .equals((enrolment::Entity, enrolment::Column::TraineeOrganizationId)),
        )
        .and_where(
            Expr::col((quota_seats::Entity, quota_seats::Column::Taken))
                .gte(Expr::col((quota_seats::Entity, quota_seats::Column::Quota))),
        )
        .to_owned();
    let candidate = enrolment::Entity::find()
        .filter(enrolment::Column::SessionId.eq(session_id))
        .filter(enrolment::Column::Status.eq(EnrolmentStatus::Waitlisted))
        .filter(Expr::exists(quota_full).not())
        .order_by_asc(enrolment::Column::WaitlistedAt)
        .order_by_asc(enrolment::Column::Id)
        .one(txn)
        .await?;
    let Some(candidate) = candidate else {
        return Ok(None);
    };
    if !take_seat(txn, session_id, &candidate.trainee_organization_id).await? {
        return Ok(None);
    }
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
    Ok(Some(candidate.id))
}

/// When an enrolment joins the session's waitlist: `now`, or just after the
/// last one already on it. Enrolments of a session are serialized on its seat
/// row, so the waitlist's order is the order they were admitted in, and the
/// place reported to each caller stays true, whatever the clocks of the
/// replicas (or a transaction's wait for the lock) say.
pub(super) async fn waitlist_time(
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

/// [`waitlist_time`] for a trainee joining the end of the waitlist, and
/// their 1-based place on it, from one read: they come after everyone on it.
pub(super) async fn join_waitlist(
    txn: &DatabaseTransaction,
    session_id: Uuid,
    now: DateTime<Utc>,
) -> Result<(DateTime<Utc>, u64)> {
    let (last, count): (Option<DateTime<Utc>>, i64) = enrolment::Entity::find()
        .select_only()
        .column_as(enrolment::Column::WaitlistedAt.max(), "last")
        .column_as(enrolment::Column::Id.count(), "count")
        .filter(enrolment::Column::SessionId.eq(session_id))
        .filter(enrolment::Column::Status.eq(EnrolmentStatus::Waitlisted))
        .into_tuple()
        .one(txn)
        .await?
        .unwrap_or((None, 0));
    let at = match last {
        Some(last) if last >= now => last + chrono::Duration::microseconds(1),
        _ => now,
    };
    Ok((at, u64::try_from(count).unwrap_or(0) + 1))
}
