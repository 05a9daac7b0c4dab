//! Benchmarking the organizations against each other.

use axum::Json;
use axum::extract::State;
use hamafza_proto::enrolments as epb;
use serde::Serialize;
use utoipa::ToSchema;

use super::{ApiResult, Bearer, ErrorBody};
use crate::AppState;

/// One organization's benchmark.
#[derive(Debug, Serialize, ToSchema)]
pub struct BenchmarkRow {
    /// The organization.
    pub organization_id: String,
    /// People who completed at least one course.
    pub people_trained: u32,
    /// Enrolments made.
    pub enrolments: u32,
    /// Completed over ended.
    pub completion_rate: Option<f64>,
    /// Average score.
    pub average_score: Option<f64>,
    /// Training hours per person trained.
    pub training_hours_per_head: Option<f64>,
    /// Certificates earned.
    pub certificates_earned: u32,
    /// Sessions the organization hosted in which an enrolment ended.
    pub hosted_sessions: u32,
    /// People of other organizations who completed a session it hosted.
    pub guests_trained: u32,
}

/// Benchmarking the organizations (org managers, council, admins).
#[utoipa::path(
    get,
    path = "/api/v1/benchmark",
    responses(
        (status = 200, body = [BenchmarkRow]),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody)
    ),
    security(("bearer" = []))
)]
pub(super) async fn benchmark(
    State(state): State<AppState>,
    bearer: Bearer,
) -> ApiResult<Vec<BenchmarkRow>> {
    let report = state
        .backends
        .as_caller(&bearer.token)
        .reports()
        .get_benchmark(epb::GetBenchmarkRequest::default())
        .await?
        .into_inner();
    Ok(Json(
        report
            .organizations
            .into_iter()
            .map(|o| {
                let m = o.measures.unwrap_or_default();
                BenchmarkRow {
                    organization_id: o.organization_id,
                    people_trained: m.people_trained,
                    enrolments: m.enrolments,
                    completion_rate: m.completion_rate,
                    average_score: m.average_score,
                    training_hours_per_head: m.training_hours_per_head,
                    certificates_earned: m.certificates_earned,
                    hosted_sessions: m.hosted_sessions,
                    guests_trained: m.guests_trained,
                }
            })
            .collect(),
    ))
}
