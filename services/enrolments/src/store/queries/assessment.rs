//! Attendance and assessment: recording attendance marks, and assessing an
//! enrolment, which queues its certificate in the outbox on completion.

use chrono::{DateTime, Utc};
use hamafza_proto::certification::IssueCertificateRequest;
use hamafza_proto::common::{Actor, LocalizedText};
use prost::Message;
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{ColumnTrait, DatabaseTransaction, EntityTrait, PaginatorTrait, QueryFilter, Set};
use uuid::Uuid;

use super::lifecycle::record_change;
use super::seats::{lock_enrolment, refresh_seats};
use super::{Result, Store, as_i32, not_found};
use crate::domain::assessment::{self, PassRules};
use crate::domain::status::{Cause, EnrolmentStatus};
use crate::domain::{EnrolmentsError, Person, SessionFacts};
use crate::store::entities::{attendance, enrolment, outbox};

/// An attendance mark to record.
#[derive(Debug, Clone, Copy)]
pub struct Mark {
    /// The enrolment.
    pub enrolment_id: Uuid,
    /// Present or absent.
    pub present: bool,
}

impl Store {
    /// Records attendance of one meeting for enrolments of one session;
    /// `overridden` is an admin's reason for recording a meeting that has
    /// not started, kept in each marked enrolment's history.
    #[allow(clippy::too_many_arguments)]
    pub async fn record_attendance_in(
        &self,
        txn: &DatabaseTransaction,
        facts: &SessionFacts,
        meeting_index: u32,
        marks: &[Mark],
        overridden: Option<&str>,
        actor: &Person,
        now: DateTime<Utc>,
    ) -> Result<Vec<Uuid>> {
        let session_id = facts.session_id;
        let seats = refresh_seats(txn, facts, now)
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
            if let Some(reason) = overridden {
                record_change(
                    txn,
                    mark.enrolment_id,
                    Some(EnrolmentStatus::Confirmed),
                    EnrolmentStatus::Confirmed,
                    Cause::AttendanceOverride,
                    &format!("meeting {}: {reason}", u64::from(meeting_index) + 1),
                    actor,
                    now,
                )
                .await?;
            }
        }
        Ok(ids)
    }

    /// Assesses a confirmed enrolment: completed, failed or no-show, by the
    /// course's rules as courses has them now. A completion writes its outbox
    /// row in the same transaction. A trainee marked present at any meeting
    /// is not a no-show. `overridden` is an admin's reason for assessing
    /// before the last meeting's start, kept in the history.
    #[allow(clippy::too_many_arguments)]
    pub async fn complete_in(
        &self,
        txn: &DatabaseTransaction,
        facts: &SessionFacts,
        id: Uuid,
        score: Option<u32>,
        no_show: bool,
        overridden: Option<&str>,
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
        if row.session_id != facts.session_id {
            return Err(not_found("enrolment of the session", id));
        }
        let seats = refresh_seats(txn, facts, now)
            .await?
            .ok_or_else(|| not_found("session roster", row.session_id))?;
        let attended = attendance::Entity::find()
            .filter(attendance::Column::EnrolmentId.eq(id))
            .filter(attendance::Column::Present.eq(true))
            .count(txn)
            .await?;
        if no_show {
            assessment::check_no_show(attended)?;
        }
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
            overridden.unwrap_or_default(),
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
                parked_at: Set(None),
            })
            .exec_without_returning(txn)
            .await?;
        }
        Ok(outcome.status)
    }
}
