//! `hamafza.enrolments.v1.EvaluationService`: trainees rate the course they
//! took; instructors and admins read aggregates that name no one.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use hamafza_kit::auth::{Caller, Role};
use hamafza_kit::{ApiError, ErrorCode, Violations, time};
use hamafza_proto::common::TimeRange;
use hamafza_proto::enrolments as pb;
use hamafza_proto::enrolments::evaluation_service_server::EvaluationService;
use tonic::{Request, Response, Status};
use uuid::Uuid;

use super::convert::parse_id;
use super::{EnrolmentsApi, reply, signed_in};
use crate::domain::evaluation::{
    MAX_COMMENT_CHARS, Scores, editable_until, is_asked, satisfaction,
};
use crate::store::entities::{enrolment, evaluation};
use crate::store::queries::{EvaluationFacts, EvaluationScope, OrganizationEvaluations};

/// Who sees every evaluation result.
const ADMINS: &[Role] = &[Role::PlatformAdmin, Role::Service];

fn evaluation_to_wire(row: &evaluation::Model, edit_days: u32) -> pb::Evaluation {
    let score = |v: i16| u32::try_from(v).unwrap_or(0);
    pb::Evaluation {
        enrolment_id: row.enrolment_id.to_string(),
        scores: Some(pb::EvaluationScores {
            content: score(row.content),
            instructor: score(row.instructor),
            relevance: score(row.relevance),
            organization: score(row.organization),
            overall: score(row.overall),
        }),
        comment: row.comment.clone(),
        submit_time: Some(time::to_timestamp(row.submitted_at)),
        update_time: Some(time::to_timestamp(row.updated_at)),
        editable_until_time: Some(time::to_timestamp(editable_until(
            row.submitted_at,
            edit_days,
        ))),
    }
}

impl EnrolmentsApi {
    /// The caller's own enrolment: NOT_FOUND when it does not exist,
    /// PERMISSION_DENIED when it is someone else's (nobody answers for
    /// another person, not their manager nor an admin).
    async fn own_enrolment(&self, caller: &Caller, id: Uuid) -> Result<enrolment::Model, ApiError> {
        let row = self
            .store
            .enrolment(id)
            .await?
            .ok_or_else(|| ApiError::not_found("enrolment", id))?;
        if row.trainee_subject != caller.subject {
            return Err(ApiError::permission_denied(
                "only the trainee who took the course may evaluate it",
            ));
        }
        Ok(row)
    }

    async fn submit(
        &self,
        caller: &Caller,
        request: pb::SubmitEvaluationRequest,
    ) -> Result<pb::SubmitEvaluationResponse, ApiError> {
        let mut v = Violations::new();
        let id = parse_id(&mut v, "enrolment_id", &request.enrolment_id);
        let given = request.scores.unwrap_or_default();
        let scores = match Scores::new([
            given.content,
            given.instructor,
            given.relevance,
            given.organization,
            given.overall,
        ]) {
            Ok(scores) => Some(scores),
            Err(bad) => {
                for question in bad {
                    v.add(format!("scores.{question}"), "must be 1 to 5");
                }
                None
            }
        };
        let comment = v.take(
            "comment",
            hamafza_kit::text::plain(&request.comment, MAX_COMMENT_CHARS),
        );
        v.finish()?;
        let (Some(id), Some(scores), Some(comment)) = (id, scores, comment) else {
            return Err(ApiError::invalid_field("scores", "are required"));
        };
        let row = self.own_enrolment(caller, id).await?;
        if !is_asked(row.status) {
            return Err(ApiError::new(
                ErrorCode::FailedPrecondition,
                "ENROLMENT_NOT_ASSESSED",
                format!(
                    "the enrolment is {}; a course is evaluated once it was completed \
                     (passed or failed)",
                    row.status
                ),
            ));
        }
        let instructor_subject = self
            .store
            .session_instructor(row.session_id)
            .await?
            .unwrap_or_default();
        let facts = EvaluationFacts {
            enrolment_id: row.id,
            session_id: row.session_id,
            course_id: row.course_id,
            instructor_subject,
            organization_id: row.trainee_organization_id.clone(),
            ended_at: row.completed_at.unwrap_or(row.status_at),
        };
        let now = time::now();
        let edit_days = self.evaluations.edit_days;
        let edit_from = now - Duration::days(i64::from(edit_days));
        match self
            .store
            .save_evaluation(&facts, &scores, &comment, now, edit_from)
            .await?
        {
            Some((saved, created)) => Ok(pb::SubmitEvaluationResponse {
                evaluation: Some(evaluation_to_wire(&saved, edit_days)),
                created,
            }),
            None => {
                let closed = self
                    .store
                    .evaluation(id)
                    .await?
                    .map(|row| editable_until(row.submitted_at, edit_days).to_rfc3339())
                    .unwrap_or_default();
                Err(ApiError::new(
                    ErrorCode::FailedPrecondition,
                    "EVALUATION_CLOSED",
                    format!(
                        "an evaluation can be edited for {edit_days} days after it was first \
                         submitted; this one closed at {closed}"
                    ),
                ))
            }
        }
    }

    /// Adds each organization's evaluation measures (and the total's) to a
    /// benchmark of `[from, until)` over `courses` (all when empty), in
    /// which `asked` enrolments of each organization were asked to evaluate.
    pub(super) async fn add_evaluation_measures(
        &self,
        report: &mut pb::GetBenchmarkResponse,
        from: Option<DateTime<Utc>>,
        until: Option<DateTime<Utc>>,
        courses: &[Uuid],
        asked: &HashMap<String, u32>,
    ) -> Result<(), ApiError> {
        let minimum = self.evaluations.min_answers;
        let mut by_org = self
            .store
            .evaluation_benchmark(from, until, courses)
            .await?;
        for (organization, n) in asked {
            by_org.entry(organization.clone()).or_default().asked = *n;
        }
        let fill = |measures: &mut pb::BenchmarkMeasures, e: OrganizationEvaluations| {
            let (satisfaction, rate) = satisfaction(e.answers, e.overall_sum, e.asked, minimum);
            measures.evaluations = e.answers;
            measures.satisfaction = satisfaction;
            measures.evaluation_response_rate = rate;
        };
        let mut total = OrganizationEvaluations::default();
        for row in &mut report.organizations {
            let e = by_org
                .get(&row.organization_id)
                .copied()
                .unwrap_or_default();
            total.answers += e.answers;
            total.overall_sum += e.overall_sum;
            total.asked += e.asked;
            fill(row.measures.get_or_insert_default(), e);
        }
        fill(report.total.get_or_insert_default(), total);
        report.evaluation_minimum_answers = minimum;
        Ok(())
    }

    async fn my_evaluation(
        &self,
        caller: &Caller,
        request: pb::GetMyEvaluationRequest,
    ) -> Result<pb::GetMyEvaluationResponse, ApiError> {
        let mut v = Violations::new();
        let id = parse_id(&mut v, "enrolment_id", &request.enrolment_id);
        let id = v.finish_with(id)?;
        let row = self.own_enrolment(caller, id).await?;
        let edit_days = self.evaluations.edit_days;
        let evaluation = self.store.evaluation(id).await?;
        let open = evaluation
            .as_ref()
            .is_none_or(|e| time::now() < editable_until(e.submitted_at, edit_days));
        Ok(pb::GetMyEvaluationResponse {
            can_submit: is_asked(row.status) && open,
            evaluation: evaluation.map(|e| evaluation_to_wire(&e, edit_days)),
        })
    }

    async fn results(
        &self,
        caller: &Caller,
        request: pb::GetEvaluationResultsRequest,
    ) -> Result<pb::GetEvaluationResultsResponse, ApiError> {
        let mut v = Violations::new();
        let period = request.period.unwrap_or_default();
        let from = period
            .start_time
            .as_ref()
            .and_then(|t| v.take("period.start_time", time::from_caller(t)));
        let until = period
            .end_time
            .as_ref()
            .and_then(|t| v.take("period.end_time", time::from_caller(t)));
        if let (Some(from), Some(until)) = (from, until)
            && until <= from
        {
            v.add("period.end_time", "must be after start_time");
        }
        let given = [
            !request.session_id.is_empty(),
            !request.course_id.is_empty(),
            !request.instructor_subject.is_empty(),
        ]
        .iter()
        .filter(|g| **g)
        .count();
        if given != 1 {
            v.add(
                "session_id",
                "give exactly one of session_id, course_id and instructor_subject",
            );
        }
        let scope = if !request.session_id.is_empty() {
            parse_id(&mut v, "session_id", &request.session_id).map(EvaluationScope::Session)
        } else if !request.course_id.is_empty() {
            parse_id(&mut v, "course_id", &request.course_id).map(EvaluationScope::Course)
        } else {
            Some(EvaluationScope::Instructor(
                request.instructor_subject.clone(),
            ))
        };
        let scope = v.finish_with(scope)?;
        let allowed = caller.has_any(ADMINS)
            || match &scope {
                EvaluationScope::Session(session) => {
                    caller.has(Role::Council)
                        || (caller.has(Role::Instructor)
                            && self
                                .courses
                                .session_facts(*session)
                                .await?
                                .instructor_subject
                                == caller.subject)
                }
                EvaluationScope::Course(_) => false,
                EvaluationScope::Instructor(subject) => {
                    caller.has(Role::Instructor) && *subject == caller.subject
                }
            };
        if !allowed {
            return Err(ApiError::permission_denied(
                "a session's evaluations are for its instructor, council members and admins; \
                 a course's for admins; an instructor's for admins and that instructor",
            ));
        }
        // A session's results cover all its evaluations, whenever it ended.
        let (from, until) = match scope {
            EvaluationScope::Session(_) => (None, None),
            _ => (from, until),
        };
        let found = self.store.evaluation_tally(&scope, from, until).await?;
        let minimum = self.evaluations.min_answers;
        let averages = found.tally.averages(minimum);
        let shown = averages.is_some();
        Ok(pb::GetEvaluationResultsResponse {
            answers: found.tally.answers,
            asked: found.asked,
            minimum_answers: minimum,
            too_few_answers: !shown,
            averages: averages.map(|[content, instructor, relevance, organization, overall]| {
                pb::EvaluationAverages {
                    content,
                    instructor,
                    relevance,
                    organization,
                    overall,
                }
            }),
            comments: if shown { found.comments } else { Vec::new() },
            overall_distribution: if shown {
                found.tally.overall.to_vec()
            } else {
                Vec::new()
            },
            period: Some(TimeRange {
                start_time: from.map(time::to_timestamp),
                end_time: until.map(time::to_timestamp),
            }),
        })
    }
}

#[tonic::async_trait]
impl EvaluationService for EnrolmentsApi {
    async fn submit_evaluation(
        &self,
        request: Request<pb::SubmitEvaluationRequest>,
    ) -> Result<Response<pb::SubmitEvaluationResponse>, Status> {
        let caller = signed_in(&request)?;
        reply(self.submit(&caller, request.into_inner()).await)
    }

    async fn get_my_evaluation(
        &self,
        request: Request<pb::GetMyEvaluationRequest>,
    ) -> Result<Response<pb::GetMyEvaluationResponse>, Status> {
        let caller = signed_in(&request)?;
        reply(self.my_evaluation(&caller, request.into_inner()).await)
    }

    async fn get_evaluation_results(
        &self,
        request: Request<pb::GetEvaluationResultsRequest>,
    ) -> Result<Response<pb::GetEvaluationResultsResponse>, Status> {
        let caller = signed_in(&request)?;
        reply(self.results(&caller, request.into_inner()).await)
    }
}
