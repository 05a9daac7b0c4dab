//! `hamafza.enrolments.v1.ReportService`: benchmarking the organizations.

use hamafza_kit::auth::Role;
use hamafza_kit::{ApiError, Violations, time};
use hamafza_proto::common::TimeRange;
use hamafza_proto::enrolments as pb;
use hamafza_proto::enrolments::report_service_server::ReportService;
use tonic::{Request, Response, Status};

use super::convert::parse_id;
use super::{EnrolmentsApi, reply, signed_in};
use crate::domain::benchmark::{Measures, rank};

fn measures_to_wire(m: &Measures) -> pb::BenchmarkMeasures {
    pb::BenchmarkMeasures {
        people_trained: m.people_trained,
        enrolments: m.enrolments,
        ended: m.ended,
        completed: m.completed,
        completion_rate: m.completion_rate(),
        average_score: m.average_score(),
        training_hours: m.training_hours,
        training_hours_per_head: m.hours_per_head(),
        // Every passed completion earns exactly one course certificate.
        certificates_earned: m.completed,
        hosted_sessions: m.hosted_sessions,
        guests_trained: m.guests_trained,
        // Evaluation measures: filled in by `add_evaluation_measures`.
        ..Default::default()
    }
}

#[tonic::async_trait]
impl ReportService for EnrolmentsApi {
    async fn get_benchmark(
        &self,
        request: Request<pb::GetBenchmarkRequest>,
    ) -> Result<Response<pb::GetBenchmarkResponse>, Status> {
        let caller = signed_in(&request)?;
        let request = request.into_inner();
        reply(
            async {
                caller.require_any(&[
                    Role::PlatformAdmin,
                    Role::Council,
                    Role::OrgManager,
                    Role::Service,
                ])?;
                let mut v = Violations::new();
                let period = request.period.unwrap_or_default();
                let from = period.start_time.as_ref().map(|t| (t, "period.start_time"));
                let until = period.end_time.as_ref().map(|t| (t, "period.end_time"));
                let mut instant = |value: Option<(&prost_types::Timestamp, &str)>| {
                    value.and_then(|(t, field)| v.take(field, time::from_caller(t)))
                };
                let from = instant(from);
                let until = instant(until);
                if let (Some(from), Some(until)) = (from, until)
                    && until <= from
                {
                    v.add("period.end_time", "must be after start_time");
                }
                if !request.course_id.is_empty() && !request.program_id.is_empty() {
                    v.add("program_id", "give a course or a program, not both");
                }
                let course = if request.course_id.is_empty() {
                    None
                } else {
                    parse_id(&mut v, "course_id", &request.course_id)
                };
                let program = if request.program_id.is_empty() {
                    None
                } else {
                    parse_id(&mut v, "program_id", &request.program_id)
                };
                v.finish()?;
                let courses = match (course, program) {
                    (Some(course), _) => vec![course],
                    (None, Some(program)) => {
                        let courses = self.courses.program_courses(program).await?;
                        if courses.is_empty() {
                            return Err(ApiError::not_found("program", program));
                        }
                        courses
                    }
                    (None, None) => Vec::new(),
                };
                let mut by_org = self.store.benchmark(from, until, &courses).await?;
                for (host, hosted) in self.store.hosting_benchmark(from, until, &courses).await? {
                    let entry = by_org.entry(host).or_default();
                    entry.hosted_sessions = hosted.sessions;
                    entry.guests_trained = hosted.guests_trained;
                }
                for organization in self.courses.organization_ids().await? {
                    by_org.entry(organization).or_default();
                }
                let mut organizations: Vec<(String, Measures)> = by_org.into_iter().collect();
                organizations.sort_by(|a, b| a.0.cmp(&b.0));
                let mut total = Measures::default();
                for (_, measures) in &organizations {
                    total.add(measures);
                }
                let measure = |pick: fn(&Measures) -> Option<f64>| -> Vec<(String, Option<f64>)> {
                    organizations
                        .iter()
                        .map(|(org, m)| (org.clone(), pick(m)))
                        .collect()
                };
                let rankings = [
                    (
                        pb::BenchmarkMeasure::PeopleTrained,
                        measure(|m| Some(f64::from(m.people_trained))),
                    ),
                    (
                        pb::BenchmarkMeasure::Enrolments,
                        measure(|m| Some(f64::from(m.enrolments))),
                    ),
                    (
                        pb::BenchmarkMeasure::CompletionRate,
                        measure(Measures::completion_rate),
                    ),
                    (
                        pb::BenchmarkMeasure::AverageScore,
                        measure(Measures::average_score),
                    ),
                    (
                        pb::BenchmarkMeasure::TrainingHoursPerHead,
                        measure(Measures::hours_per_head),
                    ),
                    (
                        pb::BenchmarkMeasure::CertificatesEarned,
                        measure(|m| Some(f64::from(m.completed))),
                    ),
                ]
                .into_iter()
                .map(|(which, values)| pb::MeasureRanking {
                    measure: which.into(),
                    entries: rank(&values)
                        .into_iter()
                        .map(|(organization_id, rank, value)| pb::RankedOrganization {
                            organization_id,
                            rank,
                            value,
                        })
                        .collect(),
                })
                .collect();
                let mut response = pb::GetBenchmarkResponse {
                    period: Some(TimeRange {
                        start_time: from.map(time::to_timestamp),
                        end_time: until.map(time::to_timestamp),
                    }),
                    organizations: organizations
                        .iter()
                        .map(|(organization_id, m)| pb::OrganizationBenchmark {
                            organization_id: organization_id.clone(),
                            measures: Some(measures_to_wire(m)),
                        })
                        .collect(),
                    total: Some(measures_to_wire(&total)),
                    rankings,
                    compute_time: Some(time::to_timestamp(time::now())),
                    ..Default::default()
                };
                let asked = organizations
                    .iter()
                    .map(|(organization, m)| (organization.clone(), m.asked()))
                    .collect();
                self.add_evaluation_measures(&mut response, from, until, &courses, &asked)
                    .await?;
                Ok(response)
            }
            .await,
        )
    }
}
