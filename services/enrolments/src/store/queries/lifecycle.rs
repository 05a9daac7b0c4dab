//! The enrolment lifecycle: enrolling, approving, rejecting and cancelling
//! (each inside the caller's transaction), and the history of status changes.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter, QuerySelect, Set, TransactionTrait,
};
use uuid::Uuid;

use super::seats::{
    free_seat, lock_enrolment, promote_next, sync_seats, take_seat, touch_seats, waitlist_time,
};
use super::{Result, Store};
use crate::domain::status::{Admission, Cause, EnrolmentStatus};
use crate::domain::{EnrolmentsError, Person, SessionFacts};
use crate::store::entities::{enrolment, history};

impl Store {
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
