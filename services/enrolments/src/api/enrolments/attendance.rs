//! What the session's instructor records: attendance at each meeting and
//! the final assessment.

use hamafza_kit::auth::{Caller, Role};
use hamafza_kit::{ApiError, Violations, time};
use hamafza_proto::enrolments as pb;

use crate::domain::{EnrolmentsError, schedule};

use crate::api::convert::{enrolment_to_wire, parse_id, parse_request_id};
use crate::api::{EnrolmentsApi, person};
use crate::store::queries::{Mark, RequestKey};

/// Most marks in one attendance call.
const MAX_MARKS: usize = 1000;

/// Who records attendance and assesses (the session's instructor, or an
/// admin): the role is checked before the request, the session after.
const ASSESSORS: &[Role] = &[Role::PlatformAdmin, Role::Instructor];

/// Longest override reason, in characters.
const OVERRIDE_REASON_CHARS: usize = 500;

/// Only platform admins may record training ahead of its schedule; checked
/// with the role, before the request is looked at.
fn may_override(caller: &Caller, override_reason: &str) -> Result<(), ApiError> {
    if override_reason.is_empty() || caller.has(Role::PlatformAdmin) {
        Ok(())
    } else {
        Err(ApiError::permission_denied(
            "only a platform admin may record attendance or results before a meeting starts",
        ))
    }
}

/// The override reason, when the schedule refused (`refusal` is the
/// schedule's verdict): `Ok(None)` when no override is needed.
fn overriding(
    refusal: Result<(), EnrolmentsError>,
    override_reason: &str,
) -> Result<Option<&str>, ApiError> {
    match refusal {
        Ok(()) => Ok(None),
        Err(
            EnrolmentsError::MeetingNotStarted { .. } | EnrolmentsError::LastMeetingNotStarted(_),
        ) if !override_reason.is_empty() => Ok(Some(override_reason)),
        Err(error) => Err(error.into()),
    }
}

impl EnrolmentsApi {
    /// Marks trainees present or absent at one meeting of a session.
    pub(super) async fn record_attendance(
        &self,
        caller: &Caller,
        request: pb::RecordAttendanceRequest,
    ) -> Result<pb::RecordAttendanceResponse, ApiError> {
        caller.require_any(ASSESSORS)?;
        may_override(caller, &request.override_reason)?;
        let mut v = Violations::new();
        let request_id = parse_request_id(&mut v, &request.request_id);
        let session_id = parse_id(&mut v, "session_id", &request.session_id);
        let override_reason = v
            .take(
                "override_reason",
                hamafza_kit::text::single_line(&request.override_reason, OVERRIDE_REASON_CHARS),
            )
            .unwrap_or_default();
        if request.marks.is_empty() || request.marks.len() > MAX_MARKS {
            v.add("marks", format!("must hold 1 to {MAX_MARKS} marks"));
        }
        // Too many marks are refused whole, before any is looked at.
        let checked = if request.marks.len() > MAX_MARKS {
            &[][..]
        } else {
            &request.marks[..]
        };
        let mut marks = Vec::with_capacity(checked.len());
        for (i, mark) in checked.iter().enumerate() {
            let id = parse_id(
                &mut v,
                &format!("marks[{i}].enrolment_id"),
                &mark.enrolment_id,
            );
            let present = match pb::AttendanceStatus::try_from(mark.status) {
                Ok(pb::AttendanceStatus::Present) => Some(true),
                Ok(pb::AttendanceStatus::Absent) => Some(false),
                Ok(pb::AttendanceStatus::Unspecified) | Err(_) => {
                    v.add(format!("marks[{i}].status"), "must be present or absent");
                    None
                }
            };
            if let (Some(enrolment_id), Some(present)) = (id, present) {
                if marks.iter().any(|m: &Mark| m.enrolment_id == enrolment_id) {
                    v.add(format!("marks[{i}].enrolment_id"), "is marked twice");
                }
                marks.push(Mark {
                    enrolment_id,
                    present,
                });
            }
        }
        let (request_id, session_id) = v.finish_with(request_id.zip(session_id))?;
        if !self.may_assess(caller, session_id).await? {
            return Err(ApiError::permission_denied(
                "only the session's instructor or a platform admin records attendance",
            ));
        }
        let now = time::now();
        let facts = self.courses.session_facts(session_id).await?;
        let overridden = overriding(
            schedule::meeting_started(&facts.meeting_starts, request.meeting_index, now),
            &override_reason,
        )?;
        let key = RequestKey::new(&caller.subject, &request_id, "RecordAttendance", &request);
        let actor = person(caller);
        let store = &self.store;
        Ok(store
            .idempotent(&key, async |txn| {
                let ids = store
                    .record_attendance_in(
                        txn,
                        &facts,
                        request.meeting_index,
                        &marks,
                        overridden,
                        &actor,
                        now,
                    )
                    .await?;
                let views = store.views(txn, &ids).await?;
                Ok(pb::RecordAttendanceResponse {
                    enrolments: views.into_iter().map(enrolment_to_wire).collect(),
                })
            })
            .await?)
    }

    /// Assesses a trainee: a score out of 100, or a no-show.
    pub(super) async fn complete_enrolment(
        &self,
        caller: &Caller,
        request: pb::CompleteEnrolmentRequest,
    ) -> Result<pb::CompleteEnrolmentResponse, ApiError> {
        caller.require_any(ASSESSORS)?;
        may_override(caller, &request.override_reason)?;
        let mut v = Violations::new();
        let request_id = parse_request_id(&mut v, &request.request_id);
        let id = parse_id(&mut v, "enrolment_id", &request.enrolment_id);
        let override_reason = v
            .take(
                "override_reason",
                hamafza_kit::text::single_line(&request.override_reason, OVERRIDE_REASON_CHARS),
            )
            .unwrap_or_default();
        match (request.score, request.no_show) {
            (Some(score), _) if score > 100 => v.add("score", "must be between 0 and 100"),
            (Some(_), true) => v.add("no_show", "a no-show has no score"),
            (None, false) => v.add("score", "is required unless no_show is set"),
            _ => {}
        }
        let (request_id, id) = v.finish_with(request_id.zip(id))?;
        let row = self
            .store
            .enrolment(id)
            .await?
            .ok_or_else(|| ApiError::not_found("enrolment", id))?;
        if !self.may_assess(caller, row.session_id).await? {
            return Err(ApiError::permission_denied(
                "only the session's instructor or a platform admin assesses trainees",
            ));
        }
        let now = time::now();
        let facts = self.courses.session_facts(row.session_id).await?;
        let overridden = overriding(
            schedule::last_meeting_started(&facts.meeting_starts, now),
            &override_reason,
        )?;
        let key = RequestKey::new(&caller.subject, &request_id, "CompleteEnrolment", &request);
        let actor = person(caller);
        let store = &self.store;
        let response = store
            .idempotent(&key, async |txn| {
                store
                    .complete_in(
                        txn,
                        &facts,
                        id,
                        request.score,
                        request.no_show,
                        overridden,
                        &actor,
                        now,
                    )
                    .await?;
                Ok(pb::CompleteEnrolmentResponse {
                    enrolment: Some(enrolment_to_wire(store.view(txn, id).await?)),
                })
            })
            .await?;
        tracing::info!(enrolment_id = %id, "enrolment assessed");
        Ok(response)
    }
}
