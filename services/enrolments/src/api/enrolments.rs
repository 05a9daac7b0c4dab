//! `hamafza.enrolments.v1.EnrolmentService`.

use std::pin::Pin;

use futures::Stream;
use hamafza_kit::auth::{Caller, Role};
use hamafza_kit::{ApiError, Violations, page, time};
use hamafza_proto::enrolments as pb;
use hamafza_proto::enrolments::enrolment_service_server::EnrolmentService;
use tokio_stream::wrappers::ReceiverStream;
use tonic::{Request, Response, Status};
use uuid::Uuid;

use super::convert::{
    enrolment_to_wire, parse_id, parse_person, parse_request_id, statuses_from_wire,
};
use super::{EnrolmentsApi, STAFF, manages, person, reply, signed_in, visibility};
use crate::domain::bulk;
use crate::domain::status::{Admission, Cause, EnrolmentStatus, admission};
use crate::domain::{EnrolmentsError, Person, SessionFacts};
use crate::store::queries::{EnrolmentFilter, Mark, RequestKey};

/// Longest reason or comment, in characters.
const REASON_CHARS: usize = 2000;
/// Most marks in one attendance call.
const MAX_MARKS: usize = 1000;
/// Most sessions in one seats call.
const MAX_SESSIONS: usize = 200;

type BulkStream = Pin<Box<dyn Stream<Item = Result<pb::BulkEnrolResponse, Status>> + Send>>;

impl EnrolmentsApi {
    /// Checks everything an enrolment needs that lies outside this service's
    /// transaction: the session is open, its course published, and the
    /// trainee has completed the prerequisites (unless an admin waives them).
    async fn check_enrolment(
        &self,
        facts: &SessionFacts,
        trainee: &Person,
        waive_prerequisites: bool,
    ) -> Result<(), ApiError> {
        facts.check_open(time::now())?;
        if !waive_prerequisites && !facts.course.prerequisites.is_empty() {
            let done = self
                .store
                .completed_courses(&trainee.subject, &facts.course.prerequisites)
                .await?;
            let missing: Vec<_> = facts
                .course
                .prerequisites
                .iter()
                .filter(|id| !done.contains(id))
                .copied()
                .collect();
            if !missing.is_empty() {
                let names = self
                    .courses
                    .course_codes(&missing)
                    .await
                    .unwrap_or_default();
                let names = if names.is_empty() {
                    missing
                        .iter()
                        .map(Uuid::to_string)
                        .collect::<Vec<_>>()
                        .join(", ")
                } else {
                    names.join(", ")
                };
                return Err(EnrolmentsError::MissingPrerequisites(names).into());
            }
        }
        Ok(())
    }

    /// Enrols `trainee` under `key`, returning the stored response.
    async fn enrol_once(
        &self,
        key: &RequestKey,
        facts: &SessionFacts,
        trainee: &Person,
        actor: &Person,
        admission: Admission,
    ) -> Result<pb::EnrolResponse, ApiError> {
        let store = &self.store;
        let response = store
            .idempotent(key, async |txn| {
                let id = store
                    .enrol_in(txn, facts, trainee, actor, admission, time::now())
                    .await?;
                let view = store.view(txn, id).await?;
                Ok(pb::EnrolResponse {
                    enrolment: Some(enrolment_to_wire(view)),
                })
            })
            .await?;
        if let Some(enrolment) = &response.enrolment {
            tracing::info!(enrolment_id = %enrolment.id, session_id = %facts.session_id, status = ?enrolment.status(), "enrolment recorded");
        }
        Ok(response)
    }

    /// Loads an enrolment the caller may act on as trainee, manager or admin.
    async fn enrolment_for_change(
        &self,
        caller: &Caller,
        id: Uuid,
        allow_trainee: bool,
    ) -> Result<crate::store::entities::enrolment::Model, ApiError> {
        let row = self
            .store
            .enrolment(id)
            .await?
            .ok_or_else(|| ApiError::not_found("enrolment", id))?;
        let own = allow_trainee && row.trainee_subject == caller.subject;
        if own || manages(caller, &row.trainee_organization_id) {
            return Ok(row);
        }
        if self.store.is_visible(&visibility(caller), &row).await? {
            Err(ApiError::permission_denied(
                "only the trainee, their organization's manager or a platform admin may change this enrolment",
            ))
        } else {
            Err(ApiError::permission_denied(
                "this enrolment is not yours to change",
            ))
        }
    }

    /// Whether `caller` teaches the session (or is an admin). The instructor
    /// is read from courses each time, so a reassignment takes effect at once.
    async fn may_assess(&self, caller: &Caller, session_id: Uuid) -> Result<bool, ApiError> {
        if caller.has(Role::PlatformAdmin) {
            return Ok(true);
        }
        if !caller.has(Role::Instructor) {
            return Ok(false);
        }
        let facts = self.courses.session_facts(session_id).await?;
        Ok(facts.instructor_subject == caller.subject)
    }
}

fn reason_field(v: &mut Violations, field: &str, value: &str, required: bool) -> String {
    let reason = v.take(field, hamafza_kit::text::plain(value, REASON_CHARS));
    if required && reason.as_deref() == Some("") {
        v.add(field, "is required");
    }
    reason.unwrap_or_default()
}

#[tonic::async_trait]
impl EnrolmentService for EnrolmentsApi {
    async fn enrol(
        &self,
        request: Request<pb::EnrolRequest>,
    ) -> Result<Response<pb::EnrolResponse>, Status> {
        let caller = signed_in(&request)?;
        let request = request.into_inner();
        reply(
            async {
                let mut v = Violations::new();
                let request_id = parse_request_id(&mut v, &request.request_id);
                let session_id = parse_id(&mut v, "session_id", &request.session_id);
                let named = request.trainee.as_ref().filter(|t| !t.subject.is_empty() && t.subject != caller.subject);
                let trainee = match named {
                    Some(_) => parse_person(&mut v, "trainee", request.trainee.as_ref()),
                    None => Some(person(&caller)),
                };
                v.finish()?;
                let (Some(request_id), Some(session_id), Some(trainee)) = (request_id, session_id, trainee) else {
                    return Err(ApiError::invalid_field("request", "is incomplete"));
                };
                let self_enrolment = named.is_none();
                if self_enrolment {
                    caller.require_any(&[Role::Trainee])?;
                } else if !manages(&caller, &trainee.organization_id) {
                    return Err(ApiError::permission_denied(
                        "only the trainee's organization manager or a platform admin may enrol someone else",
                    ));
                }
                if request.waive_prerequisites && !caller.has(Role::PlatformAdmin) {
                    return Err(ApiError::permission_denied("only platform admins may waive prerequisites"));
                }
                let key = RequestKey::new(&caller.subject, &request_id, "Enrol", &request);
                if let Some(answer) = hamafza_kit::idempotency::stored(self.store.connection(), &key)
                    .await
                    .map_err(EnrolmentsError::from)?
                {
                    return Ok(answer);
                }
                let facts = self.courses.recent_session_facts(session_id).await?;
                self.check_enrolment(&facts, &trainee, request.waive_prerequisites).await?;
                let admission = admission(facts.course.requires_manager_approval, self_enrolment);
                self.enrol_once(&key, &facts, &trainee, &person(&caller), admission).await
            }
            .await,
        )
    }

    async fn approve_enrolment(
        &self,
        request: Request<pb::ApproveEnrolmentRequest>,
    ) -> Result<Response<pb::ApproveEnrolmentResponse>, Status> {
        let caller = signed_in(&request)?;
        let request = request.into_inner();
        reply(
            async {
                let mut v = Violations::new();
                let request_id = parse_request_id(&mut v, &request.request_id);
                let id = parse_id(&mut v, "enrolment_id", &request.enrolment_id);
                let comment = reason_field(&mut v, "comment", &request.comment, false);
                let (request_id, id) = v.finish_with(request_id.zip(id))?;
                let row = self.enrolment_for_change(&caller, id, false).await?;
                if row.trainee_subject == caller.subject && !caller.has(Role::PlatformAdmin) {
                    return Err(ApiError::permission_denied(
                        "a manager does not approve their own enrolment",
                    ));
                }
                let key =
                    RequestKey::new(&caller.subject, &request_id, "ApproveEnrolment", &request);
                let actor = person(&caller);
                let store = &self.store;
                Ok(store
                    .idempotent(&key, async |txn| {
                        store
                            .approve_in(txn, id, &actor, &comment, time::now())
                            .await?;
                        Ok(pb::ApproveEnrolmentResponse {
                            enrolment: Some(enrolment_to_wire(store.view(txn, id).await?)),
                        })
                    })
                    .await?)
            }
            .await,
        )
    }

    async fn reject_enrolment(
        &self,
        request: Request<pb::RejectEnrolmentRequest>,
    ) -> Result<Response<pb::RejectEnrolmentResponse>, Status> {
        let caller = signed_in(&request)?;
        let request = request.into_inner();
        reply(
            async {
                let mut v = Violations::new();
                let request_id = parse_request_id(&mut v, &request.request_id);
                let id = parse_id(&mut v, "enrolment_id", &request.enrolment_id);
                let reason = reason_field(&mut v, "reason", &request.reason, true);
                let (request_id, id) = v.finish_with(request_id.zip(id))?;
                self.enrolment_for_change(&caller, id, false).await?;
                let key =
                    RequestKey::new(&caller.subject, &request_id, "RejectEnrolment", &request);
                let actor = person(&caller);
                let store = &self.store;
                Ok(store
                    .idempotent(&key, async |txn| {
                        store
                            .reject_in(txn, id, &actor, &reason, time::now())
                            .await?;
                        Ok(pb::RejectEnrolmentResponse {
                            enrolment: Some(enrolment_to_wire(store.view(txn, id).await?)),
                        })
                    })
                    .await?)
            }
            .await,
        )
    }

    async fn cancel_enrolment(
        &self,
        request: Request<pb::CancelEnrolmentRequest>,
    ) -> Result<Response<pb::CancelEnrolmentResponse>, Status> {
        let caller = signed_in(&request)?;
        let request = request.into_inner();
        reply(
            async {
                let mut v = Violations::new();
                let request_id = parse_request_id(&mut v, &request.request_id);
                let id = parse_id(&mut v, "enrolment_id", &request.enrolment_id);
                let reason = reason_field(&mut v, "reason", &request.reason, true);
                let (request_id, id) = v.finish_with(request_id.zip(id))?;
                self.enrolment_for_change(&caller, id, true).await?;
                let key =
                    RequestKey::new(&caller.subject, &request_id, "CancelEnrolment", &request);
                let actor = person(&caller);
                let store = &self.store;
                Ok(store
                    .idempotent(&key, async |txn| {
                        store
                            .cancel_in(txn, id, &actor, &reason, Cause::Cancellation, time::now())
                            .await?;
                        Ok(pb::CancelEnrolmentResponse {
                            enrolment: Some(enrolment_to_wire(store.view(txn, id).await?)),
                        })
                    })
                    .await?)
            }
            .await,
        )
    }

    async fn get_enrolment(
        &self,
        request: Request<pb::GetEnrolmentRequest>,
    ) -> Result<Response<pb::GetEnrolmentResponse>, Status> {
        let caller = signed_in(&request)?;
        let request = request.into_inner();
        reply(
            async {
                let mut v = Violations::new();
                let id = parse_id(&mut v, "enrolment_id", &request.enrolment_id);
                let id = v.finish_with(id)?;
                let row = self
                    .store
                    .enrolment(id)
                    .await?
                    .ok_or_else(|| ApiError::not_found("enrolment", id))?;
                if !self.store.is_visible(&visibility(&caller), &row).await? {
                    return Err(ApiError::permission_denied(
                        "this enrolment is not yours to see",
                    ));
                }
                let view = self.store.view(self.store.connection(), id).await?;
                Ok(pb::GetEnrolmentResponse {
                    enrolment: Some(enrolment_to_wire(view)),
                })
            }
            .await,
        )
    }

    async fn list_enrolments(
        &self,
        request: Request<pb::ListEnrolmentsRequest>,
    ) -> Result<Response<pb::ListEnrolmentsResponse>, Status> {
        let caller = signed_in(&request)?;
        let request = request.into_inner();
        reply(
            async {
                let mut v = Violations::new();
                let size = v.take("page_size", page::size(request.page_size));
                let after = v.take("page_token", page::decode::<Uuid>(&request.page_token));
                let optional_id = |v: &mut Violations, field: &str, value: &str| {
                    if value.is_empty() {
                        None
                    } else {
                        parse_id(v, field, value)
                    }
                };
                let session = optional_id(&mut v, "session_id", &request.session_id);
                let course = optional_id(&mut v, "course_id", &request.course_id);
                let trainee = v
                    .take(
                        "trainee_subject",
                        hamafza_kit::text::single_line(&request.trainee_subject, 200),
                    )
                    .filter(|s| !s.is_empty());
                let organization = if request.organization_id.is_empty() {
                    None
                } else {
                    v.take(
                        "organization_id",
                        super::convert::parse_organization(&request.organization_id),
                    )
                };
                let statuses = statuses_from_wire(&mut v, "statuses", &request.statuses);
                let range = request.create_time.unwrap_or_default();
                let mut instant = |field: &str, value: Option<&prost_types::Timestamp>| {
                    let parsed = value.map(time::from_timestamp);
                    if parsed == Some(None) {
                        v.add(field, "is not a valid instant");
                    }
                    parsed.flatten()
                };
                let created_from = instant("create_time.start_time", range.start_time.as_ref());
                let created_until = instant("create_time.end_time", range.end_time.as_ref());
                v.finish()?;
                let size = size.unwrap_or(page::DEFAULT_PAGE_SIZE);
                let filter = EnrolmentFilter {
                    session,
                    course,
                    trainee,
                    organization,
                    statuses,
                    created_from,
                    created_until,
                };
                let mut views = self
                    .store
                    .list(&visibility(&caller), &filter, after.flatten(), size + 1)
                    .await?;
                let next_page_token = page::finish(&mut views, size, |view| view.enrolment.id);
                Ok(pb::ListEnrolmentsResponse {
                    enrolments: views.into_iter().map(enrolment_to_wire).collect(),
                    next_page_token,
                })
            }
            .await,
        )
    }

    async fn batch_get_session_seats(
        &self,
        request: Request<pb::BatchGetSessionSeatsRequest>,
    ) -> Result<Response<pb::BatchGetSessionSeatsResponse>, Status> {
        let caller = signed_in(&request)?;
        let request = request.into_inner();
        reply(
            async {
                let mut v = Violations::new();
                if request.session_ids.len() > MAX_SESSIONS {
                    v.add(
                        "session_ids",
                        format!("may list at most {MAX_SESSIONS} ids"),
                    );
                }
                let ids: Vec<Uuid> = request
                    .session_ids
                    .iter()
                    .enumerate()
                    .filter_map(|(i, id)| parse_id(&mut v, &format!("session_ids[{i}]"), id))
                    .collect();
                v.finish()?;
                let counted = self.store.seat_counts(&ids).await?;
                let mut sessions = Vec::with_capacity(ids.len());
                for id in &ids {
                    let Some((seats, quotas, waitlisted, pending)) =
                        counted.iter().find(|(s, ..)| s.session_id == *id)
                    else {
                        // Nobody has enrolled yet: every seat is free.
                        let facts = self.courses.session_facts(*id).await?;
                        let own_quota = facts
                            .quotas
                            .iter()
                            .find(|(org, _)| *org == caller.organization_id)
                            .map(|(_, q)| *q);
                        sessions.push(pb::SessionSeats {
                            session_id: id.to_string(),
                            capacity: facts.capacity,
                            confirmed_count: 0,
                            seats_left: facts.capacity,
                            seats_left_for_caller_organization: own_quota
                                .unwrap_or(facts.capacity)
                                .min(facts.capacity),
                            waitlisted_count: 0,
                            pending_approval_count: 0,
                            quotas: facts
                                .quotas
                                .iter()
                                .map(|(org, quota)| pb::OrganizationSeats {
                                    organization_id: org.clone(),
                                    quota: *quota,
                                    confirmed_count: 0,
                                })
                                .collect(),
                        });
                        continue;
                    };
                    let capacity = u32::try_from(seats.capacity).unwrap_or(0);
                    let taken = u32::try_from(seats.taken).unwrap_or(0);
                    let left = capacity.saturating_sub(taken);
                    let own = quotas
                        .iter()
                        .find(|q| q.organization_id == caller.organization_id);
                    let own_left = own.map_or(left, |q| {
                        left.min(
                            u32::try_from(q.quota)
                                .unwrap_or(0)
                                .saturating_sub(u32::try_from(q.taken).unwrap_or(0)),
                        )
                    });
                    sessions.push(pb::SessionSeats {
                        session_id: id.to_string(),
                        capacity,
                        confirmed_count: taken,
                        seats_left: left,
                        seats_left_for_caller_organization: own_left,
                        waitlisted_count: u32::try_from(*waitlisted).unwrap_or(u32::MAX),
                        pending_approval_count: u32::try_from(*pending).unwrap_or(u32::MAX),
                        quotas: quotas
                            .iter()
                            .map(|q| pb::OrganizationSeats {
                                organization_id: q.organization_id.clone(),
                                quota: u32::try_from(q.quota).unwrap_or(0),
                                confirmed_count: u32::try_from(q.taken).unwrap_or(0),
                            })
                            .collect(),
                    });
                }
                Ok(pb::BatchGetSessionSeatsResponse { sessions })
            }
            .await,
        )
    }

    async fn record_attendance(
        &self,
        request: Request<pb::RecordAttendanceRequest>,
    ) -> Result<Response<pb::RecordAttendanceResponse>, Status> {
        let caller = signed_in(&request)?;
        let request = request.into_inner();
        reply(
            async {
                let mut v = Violations::new();
                let request_id = parse_request_id(&mut v, &request.request_id);
                let session_id = parse_id(&mut v, "session_id", &request.session_id);
                if request.marks.is_empty() || request.marks.len() > MAX_MARKS {
                    v.add("marks", format!("must hold 1 to {MAX_MARKS} marks"));
                }
                let mut marks = Vec::with_capacity(request.marks.len());
                for (i, mark) in request.marks.iter().enumerate() {
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
                if !self.may_assess(&caller, session_id).await? {
                    return Err(ApiError::permission_denied(
                        "only the session's instructor or a platform admin records attendance",
                    ));
                }
                let key =
                    RequestKey::new(&caller.subject, &request_id, "RecordAttendance", &request);
                let actor = person(&caller);
                let store = &self.store;
                Ok(store
                    .idempotent(&key, async |txn| {
                        let ids = store
                            .record_attendance_in(
                                txn,
                                session_id,
                                request.meeting_index,
                                &marks,
                                &actor,
                                time::now(),
                            )
                            .await?;
                        let views = store.views(txn, &ids).await?;
                        Ok(pb::RecordAttendanceResponse {
                            enrolments: views.into_iter().map(enrolment_to_wire).collect(),
                        })
                    })
                    .await?)
            }
            .await,
        )
    }

    async fn complete_enrolment(
        &self,
        request: Request<pb::CompleteEnrolmentRequest>,
    ) -> Result<Response<pb::CompleteEnrolmentResponse>, Status> {
        let caller = signed_in(&request)?;
        let request = request.into_inner();
        reply(
            async {
                let mut v = Violations::new();
                let request_id = parse_request_id(&mut v, &request.request_id);
                let id = parse_id(&mut v, "enrolment_id", &request.enrolment_id);
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
                if !self.may_assess(&caller, row.session_id).await? {
                    return Err(ApiError::permission_denied(
                        "only the session's instructor or a platform admin assesses trainees",
                    ));
                }
                let key =
                    RequestKey::new(&caller.subject, &request_id, "CompleteEnrolment", &request);
                let actor = person(&caller);
                let store = &self.store;
                let response = store
                    .idempotent(&key, async |txn| {
                        store
                            .complete_in(
                                txn,
                                id,
                                request.score,
                                request.no_show,
                                &actor,
                                time::now(),
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
            .await,
        )
    }

    type BulkEnrolStream = BulkStream;

    async fn bulk_enrol(
        &self,
        request: Request<pb::BulkEnrolRequest>,
    ) -> Result<Response<Self::BulkEnrolStream>, Status> {
        let caller = signed_in(&request)?;
        let request = request.into_inner();
        let mut v = Violations::new();
        let request_id = parse_request_id(&mut v, &request.request_id);
        let session_id = parse_id(&mut v, "session_id", &request.session_id);
        let csv = match std::str::from_utf8(&request.csv) {
            Ok(csv) => Some(csv),
            Err(_) => {
                v.add("csv", "must be UTF-8 text");
                None
            }
        };
        let rows = csv.and_then(|csv| v.take("csv", bulk::parse(csv)));
        let (request_id, session_id, rows) = match (v.finish(), request_id, session_id, rows) {
            (Ok(()), Some(r), Some(s), Some(rows)) => (r, s, rows),
            (Err(error), ..) => return Err(error.into()),
            _ => return Err(ApiError::invalid_field("request", "is incomplete").into()),
        };
        if !caller.has_any(&[Role::PlatformAdmin, Role::OrgManager]) {
            return Err(ApiError::permission_denied(
                "only org managers (for their people) and platform admins enrol in bulk",
            )
            .into());
        }
        let facts = self
            .courses
            .session_facts(session_id)
            .await
            .map_err(ApiError::from)?;
        facts.check_open(time::now()).map_err(ApiError::from)?;
        let (sender, receiver) = tokio::sync::mpsc::channel(16);
        let api = self.clone();
        tokio::spawn(async move {
            let actor = person(&caller);
            for (row_number, row) in rows {
                let result = match row {
                    Err(problem) => Err(ApiError::invalid_field(
                        "csv",
                        format!("row {row_number}: {problem}"),
                    )),
                    Ok(row) => {
                        let trainee = Person {
                            subject: row.subject,
                            name: row.name,
                            organization_id: row.organization_id,
                        };
                        api.bulk_row(&caller, &actor, &request_id, row_number, &facts, &trainee)
                            .await
                    }
                };
                let response = match result {
                    Ok((subject, response)) => {
                        let enrolment = response.enrolment.unwrap_or_default();
                        let outcome = if enrolment.status() == pb::EnrolmentStatus::Waitlisted {
                            pb::BulkRowOutcome::Waitlisted
                        } else {
                            pb::BulkRowOutcome::Enrolled
                        };
                        pb::BulkEnrolResponse {
                            row_number,
                            subject,
                            outcome: outcome.into(),
                            enrolment_id: enrolment.id,
                            error_code: 0,
                            error_message: String::new(),
                        }
                    }
                    Err(error) => {
                        let status = Status::from(error);
                        pb::BulkEnrolResponse {
                            row_number,
                            subject: String::new(),
                            outcome: pb::BulkRowOutcome::Error.into(),
                            enrolment_id: String::new(),
                            error_code: status.code() as i32,
                            error_message: status.message().to_owned(),
                        }
                    }
                };
                if sender.send(Ok(response)).await.is_err() {
                    // The client went away; rows already done stay done.
                    return;
                }
            }
        });
        Ok(Response::new(
            Box::pin(ReceiverStream::new(receiver)) as BulkStream
        ))
    }

    async fn export_roster(
        &self,
        request: Request<pb::ExportRosterRequest>,
    ) -> Result<Response<pb::ExportRosterResponse>, Status> {
        let caller = signed_in(&request)?;
        let request = request.into_inner();
        reply(
            async {
                let mut v = Violations::new();
                let session_id = parse_id(&mut v, "session_id", &request.session_id);
                let statuses = statuses_from_wire(&mut v, "statuses", &request.statuses);
                let session_id = v.finish_with(session_id)?;
                let organization =
                    if caller.has_any(STAFF) || self.may_assess(&caller, session_id).await? {
                        None
                    } else if caller.has(Role::OrgManager) {
                        Some(caller.organization_id.clone())
                    } else {
                        return Err(ApiError::permission_denied(
                            "rosters are for staff, the session's instructor and org managers",
                        ));
                    };
                let meetings = self
                    .store
                    .seats(session_id)
                    .await?
                    .map_or(0, |s| u32::try_from(s.meeting_count).unwrap_or(0));
                let views = self
                    .store
                    .roster(session_id, &statuses, organization.as_deref())
                    .await?;
                let meeting_columns: Vec<String> =
                    (1..=meetings).map(|m| format!("meeting_{m}")).collect();
                let mut header = vec![
                    "enrolment_id",
                    "trainee_subject",
                    "trainee_name",
                    "organization_id",
                    "status",
                    "waitlist_position",
                ];
                header.extend(meeting_columns.iter().map(String::as_str));
                header.extend(["score", "attendance_percent"]);
                let row_count = views.len();
                let rows = views.iter().map(|view| {
                    let row = &view.enrolment;
                    let mut cells = vec![
                        row.id.to_string(),
                        row.trainee_subject.clone(),
                        row.trainee_name.clone(),
                        row.trainee_organization_id.clone(),
                        status_name(row.status).to_owned(),
                        if view.waitlist_position > 0 {
                            view.waitlist_position.to_string()
                        } else {
                            String::new()
                        },
                    ];
                    cells.extend((0..meetings).map(|meeting| {
                        let mark = view
                            .attendance
                            .iter()
                            .find(|m| u32::try_from(m.meeting_index).ok() == Some(meeting));
                        match mark {
                            Some(m) if m.present => "present",
                            Some(_) => "absent",
                            None => "",
                        }
                        .to_owned()
                    }));
                    cells.push(row.score.map(|s| s.to_string()).unwrap_or_default());
                    cells.push(
                        row.attendance_percent
                            .map(|p| p.to_string())
                            .unwrap_or_default(),
                    );
                    cells
                });
                let csv = bulk::write(&header, rows).map_err(|error| {
                    ApiError::internal(anyhow::anyhow!("writing the roster: {error}"))
                })?;
                Ok(pb::ExportRosterResponse {
                    csv,
                    filename: format!("roster-{session_id}.csv"),
                    row_count: u32::try_from(row_count).unwrap_or(u32::MAX),
                })
            }
            .await,
        )
    }

    async fn get_delivery_status(
        &self,
        request: Request<pb::GetDeliveryStatusRequest>,
    ) -> Result<Response<pb::GetDeliveryStatusResponse>, Status> {
        let caller = signed_in(&request)?;
        reply(
            async {
                caller.require_any(&[Role::PlatformAdmin, Role::Service])?;
                let status = self.store.delivery_status().await?;
                let now = time::now();
                let oldest = status.oldest_pending.as_ref();
                Ok(pb::GetDeliveryStatusResponse {
                    pending_count: status.pending,
                    oldest_pending_create_time: oldest
                        .map(|row| time::to_timestamp(row.created_at)),
                    oldest_pending_age: oldest.map(|row| {
                        let age = (now - row.created_at).max(chrono::Duration::zero());
                        prost_types::Duration {
                            seconds: age.num_seconds(),
                            nanos: 0,
                        }
                    }),
                    oldest_pending_attempts: oldest
                        .map_or(0, |row| u32::try_from(row.attempts).unwrap_or(0)),
                    delivered_count: status.delivered,
                    last_delivery_time: status.last_delivery.map(time::to_timestamp),
                    last_error: status
                        .last_error
                        .as_ref()
                        .map(|(e, _)| e.clone())
                        .unwrap_or_default(),
                    last_error_time: status.last_error.map(|(_, at)| time::to_timestamp(at)),
                })
            }
            .await,
        )
    }
}

impl EnrolmentsApi {
    /// One row of a bulk enrolment, idempotent per request id and row.
    async fn bulk_row(
        &self,
        caller: &Caller,
        actor: &Person,
        request_id: &str,
        row_number: u32,
        facts: &SessionFacts,
        trainee: &Person,
    ) -> Result<(String, pb::EnrolResponse), ApiError> {
        let mut v = Violations::new();
        v.take(
            "organization_id",
            super::convert::parse_organization(&trainee.organization_id),
        );
        v.take(
            "subject",
            hamafza_kit::text::single_line(&trainee.subject, 200),
        );
        v.take("name", hamafza_kit::text::single_line(&trainee.name, 200));
        v.finish()?;
        if !manages(caller, &trainee.organization_id) {
            return Err(ApiError::permission_denied(format!(
                "row {row_number}: {} is not of your organization",
                trainee.subject
            )));
        }
        let row_key = pb::BulkEnrolResponse {
            row_number,
            subject: trainee.subject.clone(),
            enrolment_id: format!(
                "{}|{}|{}",
                facts.session_id, trainee.name, trainee.organization_id
            ),
            ..Default::default()
        };
        let key = RequestKey::new(
            &caller.subject,
            &format!("{request_id}#{row_number}"),
            "BulkEnrolRow",
            &row_key,
        );
        if let Some(answer) = hamafza_kit::idempotency::stored(self.store.connection(), &key)
            .await
            .map_err(EnrolmentsError::from)?
        {
            return Ok((trainee.subject.clone(), answer));
        }
        self.check_enrolment(facts, trainee, false).await?;
        let response = self
            .enrol_once(&key, facts, trainee, actor, Admission::SeatOrWaitlist)
            .await?;
        Ok((trainee.subject.clone(), response))
    }
}

fn status_name(status: EnrolmentStatus) -> &'static str {
    match status {
        EnrolmentStatus::PendingApproval => "pending_approval",
        EnrolmentStatus::Confirmed => "confirmed",
        EnrolmentStatus::Waitlisted => "waitlisted",
        EnrolmentStatus::Rejected => "rejected",
        EnrolmentStatus::Cancelled => "cancelled",
        EnrolmentStatus::Completed => "completed",
        EnrolmentStatus::Failed => "failed",
        EnrolmentStatus::NoShow => "no_show",
    }
}
