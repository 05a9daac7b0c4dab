//! Enrolling a trainee, one at a time or a CSV of them in bulk, and
//! cancelling an enrolment.

use std::pin::Pin;
use std::sync::Arc;

use futures::Stream;
use hamafza_kit::auth::{Caller, Role};
use hamafza_kit::{ApiError, Violations, time};
use hamafza_proto::enrolments as pb;
use prost::Message;
use tokio_stream::wrappers::ReceiverStream;
use tonic::Status;
use uuid::Uuid;

use super::reason_field;
use crate::api::convert::{enrolment_to_wire, parse_id, parse_person, parse_request_id};
use crate::api::{EnrolmentsApi, manages, person};
use crate::domain::bulk;
use crate::domain::status::{Admission, Cause, admission};
use crate::domain::{EnrolmentsError, Person, SessionFacts};
use crate::store::queries::{EnrolmentView, KeyedAnswer, RequestKey};

/// The answers of a bulk enrolment, one a row, as the rows are done.
pub(super) type BulkStream =
    Pin<Box<dyn Stream<Item = Result<pb::BulkEnrolResponse, Status>> + Send>>;

/// Refusal to enrol someone else without managing them.
const ENROL_OTHERS: &str =
    "only the trainee's organization manager or a platform admin may enrol someone else";
/// Refusal to enrol in bulk.
const BULK_ROLES: &str = "only org managers (for their people) and platform admins enrol in bulk";

impl EnrolmentsApi {
    /// Enrols the caller, or someone of an organization the caller manages.
    pub(super) async fn enrol(
        &self,
        caller: &Caller,
        request: pb::EnrolRequest,
    ) -> Result<pb::EnrolResponse, ApiError> {
        let mut v = Violations::new();
        let request_id = parse_request_id(&mut v, &request.request_id);
        let session_id = parse_id(&mut v, "session_id", &request.session_id);
        let named = request
            .trainee
            .as_ref()
            .filter(|t| !t.subject.is_empty() && t.subject != caller.subject);
        let trainee = match named {
            Some(_) => parse_person(&mut v, "trainee", request.trainee.as_ref()),
            None => Some(person(caller)),
        };
        v.finish()?;
        let (Some(request_id), Some(session_id), Some(trainee)) = (request_id, session_id, trainee)
        else {
            return Err(ApiError::invalid_field("request", "is incomplete"));
        };
        let self_enrolment = named.is_none();
        if self_enrolment {
            caller.require_any(&[Role::Trainee])?;
        } else if !manages(caller, &trainee.organization_id) {
            return Err(ApiError::permission_denied(ENROL_OTHERS));
        }
        if request.waive_prerequisites && !caller.has(Role::PlatformAdmin) {
            return Err(ApiError::permission_denied(
                "only platform admins may waive prerequisites",
            ));
        }
        let key = RequestKey::new(&caller.subject, &request_id, "Enrol", &request);
        // The request id is not looked up first (a round trip every
        // enrolment would pay). A retry of an enrolment that took place is
        // refused by its effect (the trainee is enrolled, or its key
        // collides) and gets the stored answer (`once_writing_key`), after
        // doing the enrolment's work under the session's lock and rolling it
        // back. A retry the world has moved on from (the session closed or
        // gone, courses out of reach) is refused before that, and gets its
        // stored answer here.
        let checked = async {
            let facts = self.courses.recent_session_facts(session_id).await?;
            self.check_enrolment(&facts, &trainee, request.waive_prerequisites)
                .await?;
            Ok::<_, ApiError>(facts)
        };
        let facts = match checked.await {
            Ok(facts) => facts,
            Err(refusal) => {
                return match hamafza_kit::idempotency::stored(self.store.connection(), &key).await {
                    Ok(Some(answer)) => Ok(answer),
                    Err(error @ hamafza_kit::idempotency::IdempotencyError::Reused(_)) => {
                        Err(EnrolmentsError::from(error).into())
                    }
                    Ok(None) | Err(_) => Err(refusal),
                };
            }
        };
        let admission = admission(facts.course.requires_manager_approval, self_enrolment);
        self.enrol_once(&key, &facts, &trainee, &person(caller), admission)
            .await
    }

    /// Cancels an enrolment for its trainee, their manager or an admin.
    pub(super) async fn cancel_enrolment(
        &self,
        caller: &Caller,
        request: pb::CancelEnrolmentRequest,
    ) -> Result<pb::CancelEnrolmentResponse, ApiError> {
        let mut v = Violations::new();
        let request_id = parse_request_id(&mut v, &request.request_id);
        let id = parse_id(&mut v, "enrolment_id", &request.enrolment_id);
        let reason = reason_field(&mut v, "reason", &request.reason, true);
        let (request_id, id) = v.finish_with(request_id.zip(id))?;
        self.enrolment_for_change(caller, id, true).await?;
        let key = RequestKey::new(&caller.subject, &request_id, "CancelEnrolment", &request);
        let actor = person(caller);
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

    /// Checks a CSV of trainees and the session, then enrols the rows one by
    /// one in a task of their own, streaming an answer for each row.
    pub(super) async fn bulk_enrol(
        &self,
        caller: Arc<Caller>,
        request: pb::BulkEnrolRequest,
    ) -> Result<BulkStream, ApiError> {
        if !caller.has_any(&[Role::PlatformAdmin, Role::OrgManager]) {
            return Err(ApiError::permission_denied(BULK_ROLES));
        }
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
            (Err(error), ..) => return Err(error),
            _ => return Err(ApiError::invalid_field("request", "is incomplete")),
        };
        let facts = self.courses.session_facts(session_id).await?;
        facts.check_open(time::now())?;
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
                let response = bulk_answer(row_number, result);
                if sender.send(Ok(response)).await.is_err() {
                    // The client went away; rows already done stay done.
                    return;
                }
            }
        });
        Ok(Box::pin(ReceiverStream::new(receiver)) as BulkStream)
    }

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
        if let Some(known) = self
            .courses
            .recent_directory_entry(&trainee.subject)
            .await?
        {
            if known.organization_id != trainee.organization_id {
                return Err(EnrolmentsError::PersonInOtherOrganization {
                    subject: trainee.subject.clone(),
                    organization_id: known.organization_id,
                }
                .into());
            }
            if !known.active {
                return Err(EnrolmentsError::PersonInactive(trainee.subject.clone()).into());
            }
        }
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
        let answer = |view: EnrolmentView| pb::EnrolResponse {
            enrolment: Some(enrolment_to_wire(view)),
        };
        let encoded = |view: &EnrolmentView| answer(view.clone()).encode_to_vec();
        let response = store
            .idempotent_writing_key(key, async |txn, key| {
                let keyed = KeyedAnswer {
                    key,
                    answer: &encoded,
                };
                let now = time::now();
                let view = store
                    .enrol_in(txn, facts, trainee, actor, admission, now, Some(&keyed))
                    .await?;
                Ok(answer(view))
            })
            .await?;
        if let Some(enrolment) = &response.enrolment {
            let (enrolment_id, session_id) = (&enrolment.id, facts.session_id);
            let status = enrolment.status();
            tracing::info!(%enrolment_id, %session_id, ?status, "enrolment recorded");
        }
        Ok(response)
    }

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
            crate::api::convert::parse_organization(&trainee.organization_id),
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

/// The streamed answer for one row of a bulk enrolment: what became of the
/// trainee, or why the row was refused.
fn bulk_answer(
    row_number: u32,
    result: Result<(String, pb::EnrolResponse), ApiError>,
) -> pb::BulkEnrolResponse {
    match result {
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
                ..Default::default()
            }
        }
        Err(error) => {
            let error_reason = error.reason().to_owned();
            let error_field = error
                .violations()
                .first()
                .map(|violation| violation.field.clone())
                .unwrap_or_default();
            let status = Status::from(error);
            pb::BulkEnrolResponse {
                row_number,
                subject: String::new(),
                outcome: pb::BulkRowOutcome::Error.into(),
                enrolment_id: String::new(),
                error_code: status.code() as i32,
                error_message: status.message().to_owned(),
                error_reason,
                error_field,
            }
        }
    }
}
