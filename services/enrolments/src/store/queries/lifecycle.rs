//! The enrolment lifecycle: enrolling, approving, rejecting and cancelling
//! (each inside the caller's transaction), and the history of status changes.

use chrono::{DateTime, Utc};
use hamafza_kit::idempotency::{self, KeyRow};
use sea_orm::sea_query::{Alias, Expr, PostgresQueryBuilder, Query, Values};
use sea_orm::{
    ActiveModelTrait, ActiveValue, ColumnTrait, Condition, ConnectionTrait, DatabaseTransaction,
    DbBackend, DbErr, EntityTrait, ExprTrait, Iterable, QueryFilter, QuerySelect, QueryTrait, Set,
    Statement, TransactionTrait,
};
use uuid::Uuid;

use super::notify_outbox;
use super::seats::{
    SessionProbe, free_seat, join_waitlist, lock_enrolment, probe_of, probe_session,
    probe_statement, promote_next, sync_quotas, sync_seats, take_seat, take_seat_statement,
    touch_seats, waitlist_time,
};
use super::{EnrolmentView, Result, Store, as_i32};
use crate::domain::status::{Admission, Cause, EnrolmentStatus};
use crate::domain::{EnrolmentsError, Person, SessionFacts};
use crate::store::entities::notify_outbox as notify_outbox_rows;
use crate::store::entities::{enrolment, history, session_seats};

impl Store {
    /// Enrols `trainee` into the session described by `facts`: confirmed when
    /// a seat (and the organization's quota) allows, waitlisted when not, or
    /// pending approval. Reopens a cancelled or rejected enrolment of the same
    /// trainee and session. Returns the enrolment as it now stands.
    ///
    /// The typical enrolment (a new one, in a session without quotas whose
    /// waitlist has no one a free seat would go to) is answered from what it
    /// wrote. On PostgreSQL it is two statements: the seat row (its lock),
    /// then one statement that checks the session and the trainee and, when
    /// the enrolment is typical, takes the seat and writes enrolment, history,
    /// notice and the caller's idempotency key. On SQLite: the seat row, one
    /// read, and one write per row.
    ///
    /// `key`: for an idempotent call, the caller's key and its answer, written
    /// with the enrolment when it is written in one statement (see
    /// [`hamafza_kit::idempotency::once_writing_key`]).
    #[allow(clippy::too_many_arguments)]
    pub async fn enrol_in(
        &self,
        txn: &DatabaseTransaction,
        facts: &SessionFacts,
        trainee: &Person,
        actor: &Person,
        admission: Admission,
        now: DateTime<Utc>,
        key: Option<&KeyedAnswer<'_>>,
    ) -> Result<EnrolmentView> {
        let seats = sync_seats(txn, facts, now).await?;
        let seat_free = seats.taken < seats.capacity;
        let new = NewEnrolment {
            facts,
            trainee,
            actor,
            now,
        };
        let probe = if facts.quotas.is_empty() && txn.get_database_backend() == DbBackend::Postgres
        {
            match enrol_new(txn, &new, admission, seat_free, Probe::InTheWrite, key).await? {
                Written::Done(view) => return Ok(*view),
                Written::NotTypical(probe) => probe,
            }
        } else {
            probe_session(txn, facts.session_id, &trainee.subject).await?
        };
        let typical = !probe.has_quotas
            && facts.quotas.is_empty()
            && probe.existing.is_none()
            && !(probe.has_waitlist && seat_free);
        if typical {
            let known = Probe::Known {
                has_waitlist: probe.has_waitlist,
            };
            return match enrol_new(txn, &new, admission, seat_free, known, key).await? {
                Written::Done(view) => Ok(*view),
                // Only a write that probes can find the enrolment atypical.
                Written::NotTypical(_) => Err(DbErr::Custom(
                    "an enrolment probed as typical was refused by its write".into(),
                )
                .into()),
            };
        }
        let id = self
            .enrol_reconciling(txn, facts, trainee, actor, admission, now)
            .await?;
        self.view(txn, id).await
    }

    /// The general enrolment, under the seat lock: quota rows brought in line
    /// with the facts, the waitlist promoted into freed seats, an earlier
    /// enrolment of the trainee reopened.
    async fn enrol_reconciling(
        &self,
        txn: &DatabaseTransaction,
        facts: &SessionFacts,
        trainee: &Person,
        actor: &Person,
        admission: Admission,
        now: DateTime<Utc>,
    ) -> Result<Uuid> {
        sync_quotas(txn, facts).await?;
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

    /// Copies a session's instructor and meeting count as courses has them
    /// now into its seat row (which decides whose roster the session's
    /// enrolments are on); nothing when nobody has enrolled yet. Returns
    /// whether the row changed.
    pub async fn follow_session(
        &self,
        session_id: Uuid,
        instructor_subject: &str,
        meeting_count: u32,
    ) -> Result<bool> {
        let changed = session_seats::Entity::update_many()
            .col_expr(
                session_seats::Column::InstructorSubject,
                Expr::value(instructor_subject.to_owned()),
            )
            .col_expr(
                session_seats::Column::MeetingCount,
                Expr::value(as_i32(meeting_count)),
            )
            .filter(session_seats::Column::SessionId.eq(session_id))
            .filter(
                Condition::any()
                    .add(session_seats::Column::InstructorSubject.ne(instructor_subject))
                    .add(session_seats::Column::MeetingCount.ne(as_i32(meeting_count))),
            )
            .exec(&self.db)
            .await?;
        Ok(changed.rows_affected > 0)
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
}

pub(super) async fn set_status(
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
pub(super) async fn record_change(
    txn: &DatabaseTransaction,
    enrolment_id: Uuid,
    from: Option<EnrolmentStatus>,
    to: EnrolmentStatus,
    cause: Cause,
    reason: &str,
    actor: &Person,
    now: DateTime<Utc>,
) -> Result<()> {
    let event_id = Uuid::now_v7();
    history::Entity::insert(history::ActiveModel {
        id: Set(event_id),
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
    // Whoever must hear of it will: the notification commits with the change.
    super::notify_outbox::enqueue(txn, event_id, enrolment_id, from, to, cause, reason, now).await
}

/// The caller's idempotency key and the answer it stores, for an enrolment
/// written in one statement.
pub struct KeyedAnswer<'a> {
    /// The key's row, written with the enrolment.
    pub key: &'a KeyRow<'a>,
    /// The encoded answer to the call, from the enrolment as written.
    pub answer: &'a (dyn Fn(&EnrolmentView) -> Vec<u8> + Sync),
}

/// Who enrols whom into which session, and when.
struct NewEnrolment<'a> {
    facts: &'a SessionFacts,
    trainee: &'a Person,
    actor: &'a Person,
    now: DateTime<Utc>,
}

/// What [`enrol_new`] knows of the session before it writes.
#[derive(Debug, Clone, Copy)]
enum Probe {
    /// It was probed: the enrolment is typical.
    Known { has_waitlist: bool },
    /// Not yet: the write checks (PostgreSQL), and writes nothing unless the
    /// enrolment is typical.
    InTheWrite,
}

/// What [`enrol_new`] did.
enum Written {
    /// The enrolment, as written.
    Done(Box<EnrolmentView>),
    /// Nothing: the enrolment is not typical (the session as the write found it).
    NotTypical(SessionProbe),
}

/// Enrols a trainee with no enrolment in a session without quotas, under the
/// seat lock taken by [`sync_seats`] (so `seat_free` is still true when the
/// seat is taken). Nothing is read back: the answer is what was written.
/// With [`Probe::InTheWrite`] the write checks that the enrolment is typical
/// and, when it is not, writes nothing and answers what it found.
async fn enrol_new(
    txn: &DatabaseTransaction,
    new: &NewEnrolment<'_>,
    admission: Admission,
    seat_free: bool,
    probe: Probe,
    key: Option<&KeyedAnswer<'_>>,
) -> Result<Written> {
    let (facts, trainee, actor, now) = (new.facts, new.trainee, new.actor, new.now);
    let status = match admission {
        Admission::NeedsApproval => EnrolmentStatus::PendingApproval,
        Admission::SeatOrWaitlist if seat_free => EnrolmentStatus::Confirmed,
        Admission::SeatOrWaitlist => EnrolmentStatus::Waitlisted,
    };
    let (waitlisted_at, waitlist_place) = match (status, probe) {
        (EnrolmentStatus::Waitlisted, Probe::Known { has_waitlist: true }) => {
            let (at, place) = join_waitlist(txn, facts.session_id, now).await?;
            (Some(at), place)
        }
        // Checked in the write: no one is waitlisted.
        (EnrolmentStatus::Waitlisted, _) => (Some(now), 1),
        _ => (None, 0),
    };
    let row = enrolment::Model {
        id: Uuid::now_v7(),
        session_id: facts.session_id,
        course_id: facts.course_id,
        trainee_subject: trainee.subject.clone(),
        trainee_name: trainee.name.clone(),
        trainee_organization_id: trainee.organization_id.clone(),
        status,
        enrolled_by_subject: actor.subject.clone(),
        enrolled_by_name: actor.name.clone(),
        enrolled_by_organization_id: actor.organization_id.clone(),
        waitlisted_at,
        score: None,
        attendance_percent: None,
        passing_score: None,
        min_attendance_percent: None,
        hours: None,
        assessor_subject: None,
        assessor_name: None,
        assessor_organization_id: None,
        completed_at: None,
        created_at: now,
        status_at: now,
        updated_at: now,
    };
    let change = history::Model {
        id: Uuid::now_v7(),
        enrolment_id: row.id,
        from_status: None,
        to_status: status,
        cause: Cause::Enrolment,
        reason: String::new(),
        actor_subject: actor.subject.clone(),
        actor_name: actor.name.clone(),
        actor_organization_id: actor.organization_id.clone(),
        changed_at: now,
    };
    let notice = notify_outbox::row_for(
        &notify_outbox::Change {
            event_id: change.id,
            from: None,
            to: status,
            cause: Cause::Enrolment,
            reason: "",
            now,
        },
        &row,
        &(facts.course.title_fa.clone(), facts.course.title_en.clone()),
        waitlist_place,
    );
    let view = EnrolmentView {
        history: vec![change],
        attendance: Vec::new(),
        waitlist_position: u32::try_from(waitlist_place).unwrap_or(u32::MAX),
        enrolment: row,
    };
    let key_row = key.and_then(|key| key.key.row(|| (key.answer)(&view)));
    let write = Write {
        row: &view.enrolment,
        change: &view.history[0],
        notice,
        takes_seat: status == EnrolmentStatus::Confirmed,
        key: key_row,
    };
    let written = match (txn.get_database_backend(), probe) {
        (DbBackend::Postgres, Probe::InTheWrite) => {
            // A pending enrolment does not care who waits when no seat is free.
            let gate = Gate {
                trainee: &trainee.subject,
                waitlist_allowed: status == EnrolmentStatus::PendingApproval && !seat_free,
            };
            write_in_one(txn, write, Some(gate)).await
        }
        (DbBackend::Postgres, Probe::Known { .. }) => write_in_one(txn, write, None).await,
        _ => write_one_by_one(txn, write).await.map(|()| None),
    };
    match written {
        Ok(Some(probe)) => Ok(Written::NotTypical(probe)),
        Ok(None) => {
            if let Some(key) = key {
                key.key.written();
            }
            Ok(Written::Done(Box::new(view)))
        }
        // The trainee's enrolment committed by a concurrent call. (The
        // caller's key committed by a concurrent duplicate stays a database
        // error: `once_writing_key` replays the duplicate's answer.)
        Err(EnrolmentsError::Database(error))
            if hamafza_kit::db::is_unique_violation(&error)
                && !idempotency::is_collision(&error) =>
        {
            Err(EnrolmentsError::AlreadyEnrolled(EnrolmentStatus::Confirmed))
        }
        Err(error) => Err(error),
    }
}

/// The rows of a new enrolment, to write.
struct Write<'a> {
    row: &'a enrolment::Model,
    change: &'a history::Model,
    notice: Option<notify_outbox_rows::ActiveModel>,
    takes_seat: bool,
    key: Option<idempotency::key::ActiveModel>,
}

/// The condition under which [`write_in_one`] writes: the enrolment is
/// typical (no quota rows, no enrolment of the trainee, and no one
/// waitlisted unless `waitlist_allowed`).
struct Gate<'a> {
    trainee: &'a str,
    waitlist_allowed: bool,
}

/// The seat (when one is taken), the enrolment, its history row, its notice
/// and the caller's key as one statement: data-modifying common table
/// expressions, so the whole write is one round trip. With a `gate`, the
/// statement first probes the session ([`probe_statement`]) and writes only
/// when the gate holds; otherwise it returns the probe, having written
/// nothing.
async fn write_in_one(
    txn: &DatabaseTransaction,
    write: Write<'_>,
    gate: Option<Gate<'_>>,
) -> Result<Option<SessionProbe>> {
    let row = write.row;
    let gated = gate.is_some();
    let mut parts: Vec<(&str, (String, Values))> = Vec::with_capacity(7);
    if let Some(gate) = &gate {
        parts.push((
            "probe",
            probe_statement(row.session_id, gate.trainee).build(PostgresQueryBuilder),
        ));
        let waitlist_ok = Expr::col(Alias::new("has_waitlist"))
            .not()
            .or(Expr::val(gate.waitlist_allowed));
        let go = Expr::col(Alias::new("has_quotas"))
            .not()
            .and(Expr::col(Alias::new("existing_id")).is_null())
            .and(waitlist_ok);
        parts.push((
            "gate",
            Query::select()
                .expr_as(go, Alias::new("go"))
                .from(Alias::new("probe"))
                .to_owned()
                .build(PostgresQueryBuilder),
        ));
    }
    if write.takes_seat {
        let mut seat = take_seat_statement(row.session_id);
        if gated {
            seat.and_where(Expr::cust("(SELECT go FROM gate)"));
        }
        seat.returning_col(session_seats::Column::SessionId);
        parts.push(("seat", seat.build(PostgresQueryBuilder)));
    }
    let enrolment = enrolment::ActiveModel::from(row.clone()).reset_all();
    parts.push(("enrolment", insert(enrolment, gated)?));
    let change = history::ActiveModel::from(write.change.clone()).reset_all();
    parts.push(("change", insert(change, gated)?));
    if let Some(notice) = write.notice {
        parts.push(("notice", insert(notice, gated)?));
    }
    if let Some(key) = write.key {
        parts.push(("key", insert(key, gated)?));
    }
    let mut sql = String::from("WITH ");
    let mut values = Vec::new();
    for (at, (name, (part, part_values))) in parts.into_iter().enumerate() {
        if at > 0 {
            sql.push_str(", ");
        }
        sql.push_str(name);
        sql.push_str(" AS (");
        shift_placeholders(&mut sql, &part, values.len());
        sql.push(')');
        values.extend(part_values.0);
    }
    sql.push_str(if write.takes_seat {
        " SELECT (SELECT count(*) FROM seat) AS seats"
    } else {
        " SELECT 1::bigint AS seats"
    });
    sql.push_str(if gated {
        ", (SELECT go FROM gate) AS go, probe.* FROM probe"
    } else {
        ", true AS go"
    });
    let answer = txn
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            sql,
            values,
        ))
        .await?
        .ok_or_else(|| DbErr::RecordNotFound("enrolment write".to_owned()))?;
    if !answer.try_get::<bool>("", "go")? {
        return Ok(Some(probe_of(&answer)?));
    }
    let seats: i64 = answer.try_get("", "seats")?;
    if seats != 1 {
        // The seat lock makes this impossible; should it ever happen, no
        // enrolment is confirmed without its seat.
        return Err(
            DbErr::Custom("the seat taken under the session's lock was gone".into()).into(),
        );
    }
    Ok(None)
}

/// The INSERT of `model`; when `gated`, as `INSERT … SELECT … FROM gate
/// WHERE go`, so that it writes only when the gate holds.
fn insert<A: ActiveModelTrait>(model: A, gated: bool) -> Result<(String, Values)> {
    if !gated {
        return Ok(<A::Entity as EntityTrait>::insert(model)
            .into_query()
            .build(PostgresQueryBuilder));
    }
    let mut columns = Vec::new();
    let mut values = Vec::new();
    for column in <<A::Entity as EntityTrait>::Column as Iterable>::iter() {
        if let ActiveValue::Set(value) | ActiveValue::Unchanged(value) = model.get(column) {
            columns.push(column);
            values.push(column.save_as(Expr::val(value)));
        }
    }
    let select = Query::select()
        .exprs(values)
        .from(Alias::new("gate"))
        .and_where(Expr::col(Alias::new("go")))
        .to_owned();
    let mut statement = Query::insert();
    statement
        .into_table(A::Entity::default())
        .columns(columns)
        .select_from(select)
        .map_err(|error| DbErr::Custom(error.to_string()))?;
    Ok(statement.build(PostgresQueryBuilder))
}

/// [`write_in_one`] (ungated) as separate statements, for databases without
/// data-modifying common table expressions (SQLite).
async fn write_one_by_one(txn: &DatabaseTransaction, write: Write<'_>) -> Result<()> {
    let row = write.row;
    if write.takes_seat {
        let backend = txn.get_database_backend();
        let taken = txn
            .execute_raw(backend.build(&take_seat_statement(row.session_id)))
            .await?
            .rows_affected();
        if taken != 1 {
            return Err(
                DbErr::Custom("the seat taken under the session's lock was gone".into()).into(),
            );
        }
    }
    enrolment::Entity::insert(enrolment::ActiveModel::from(row.clone()).reset_all())
        .exec_without_returning(txn)
        .await?;
    history::Entity::insert(history::ActiveModel::from(write.change.clone()).reset_all())
        .exec_without_returning(txn)
        .await?;
    if let Some(notice) = write.notice {
        notify_outbox_rows::Entity::insert(notice)
            .exec_without_returning(txn)
            .await?;
    }
    if let Some(key) = write.key {
        idempotency::key::Entity::insert(key)
            .exec_without_returning(txn)
            .await?;
    }
    Ok(())
}

/// Appends `part` to `sql` with its `$n` placeholders moved up by `offset`,
/// so that statements built apart can share one list of values. The built
/// SQL holds no values (they are all parameters), so every `$` followed by
/// digits is a placeholder.
fn shift_placeholders(sql: &mut String, part: &str, offset: usize) {
    let mut chars = part.char_indices().peekable();
    while let Some((_, c)) = chars.next() {
        sql.push(c);
        if c != '$' {
            continue;
        }
        let mut number = 0usize;
        let mut digits = 0;
        while let Some(&(_, d)) = chars.peek() {
            let Some(digit) = d.to_digit(10) else { break };
            number = number * 10 + digit as usize;
            digits += 1;
            chars.next();
        }
        if digits > 0 {
            sql.push_str(&(number + offset).to_string());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::shift_placeholders;

    #[test]
    fn placeholders_move_up_by_the_values_before_them() {
        let mut sql = String::from("WITH a AS (");
        shift_placeholders(&mut sql, r#"UPDATE "t" SET "x" = $1 WHERE "y" = $12"#, 3);
        assert_eq!(sql, r#"WITH a AS (UPDATE "t" SET "x" = $4 WHERE "y" = $15"#);
    }
}
