//! The demo's course evaluations: the PR-130 session held five weeks ago
//! (courses' demo makes it), its roster as enrolled then, its results, and
//! the evaluations of five of its six trainees — enough for the instructor's
//! and the admins' results pages to show averages and comments.

use std::time::Duration;

use anyhow::Context;
use hamafza_kit::auth::{Role, TokenRequest};
use hamafza_kit::demo;
use hamafza_kit::ids::Person;
use hamafza_kit::peers::PeerAuth;
use hamafza_proto::courses as cpb;
use hamafza_proto::courses::session_service_client::SessionServiceClient;
use hamafza_proto::enrolments as epb;
use hamafza_proto::enrolments::evaluation_service_client::EvaluationServiceClient;

use super::{Begun, Demo};

/// Who took it: subject, name, company, score, and their evaluation (the
/// five scores and a comment) if they gave one.
type Trainee = (
    &'static str,
    &'static str,
    &'static str,
    u32,
    Option<([u32; 5], &'static str)>,
);

const ROSTER: [Trainee; 6] = [
    (
        "msc-pr-06",
        "نیلوفر جعفری",
        "msc",
        92,
        Some(([5, 5, 4, 4, 5], "مثال‌های بحران واقعی بسیار کاربردی بود.")),
    ),
    (
        "msc-pr-05",
        "مریم نوری",
        "msc",
        84,
        Some(([4, 5, 5, 3, 4], "کاش زمان بیشتری برای تمرین گروهی بود.")),
    ),
    (
        "ksc-pr-04",
        "حسین مرادی",
        "ksc",
        78,
        Some(([4, 4, 5, 4, 4], "")),
    ),
    (
        "gegh-pr-02",
        "الهام رستمی",
        "gegh",
        88,
        Some((
            [5, 4, 4, 5, 5],
            "The media kit templates were worth the course alone.",
        )),
    ),
    (
        "salco-pr-02",
        "کاوه شریفی",
        "salco",
        45,
        Some(([3, 4, 3, 2, 3], "سالن شلوغ بود و صدا خوب نمی‌رسید.")),
    ),
    ("ksc-pr-05", "پریسا صادقی", "ksc", 81, None),
];

/// Records the PR-130 session's roster, results and evaluations.
pub(super) async fn seed(demo: &Demo, begun: &Begun) -> anyhow::Result<()> {
    let (store, courses) = begun;
    let Some(course_id) = demo.course_id("PR-130").await? else {
        return Ok(());
    };
    let Some(session) =
        SessionServiceClient::with_interceptor(demo.courses.clone(), demo.auth("admin")?)
            .list_sessions(cpb::ListSessionsRequest {
                page_size: 10,
                course_id,
                statuses: vec![cpb::SessionStatus::Completed.into()],
                ..Default::default()
            })
            .await?
            .into_inner()
            .sessions
            .into_iter()
            .next()
    else {
        return Ok(());
    };
    let session_id = uuid::Uuid::parse_str(&session.id)?;
    let facts = courses
        .session_facts(session_id)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let first = session
        .start_time
        .as_ref()
        .and_then(hamafza_kit::time::from_timestamp)
        .context("the session's first meeting")?;
    let people: Vec<Person> = ROSTER
        .iter()
        .map(|(subject, name, organization, _, _)| Person {
            subject: (*subject).to_owned(),
            name: (*name).to_owned(),
            organization_id: (*organization).to_owned(),
        })
        .collect();
    let admin = demo::person("admin").context("the demo admin")?;
    let ids = hamafza_enrolments::demo::seed_roster(
        store,
        &facts,
        &people,
        &Person {
            subject: admin.subject.to_owned(),
            name: admin.name_fa.to_owned(),
            organization_id: admin.organization_id.to_owned(),
        },
        first - chrono::Duration::days(5),
    )
    .await
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    let instructor = demo::with_role(Role::Instructor)
        .next()
        .map_or("instructor-rahimi", |p| p.subject);
    let mut enrolments = demo.enrolments(instructor)?;
    let meetings = facts.meeting_count;
    for meeting in 0..meetings {
        enrolments
            .record_attendance(epb::RecordAttendanceRequest {
                request_id: format!("demo-attendance-pr-130-{meeting}"),
                session_id: session.id.clone(),
                meeting_index: meeting,
                marks: ids
                    .iter()
                    .map(|id| epb::AttendanceMark {
                        enrolment_id: id.to_string(),
                        status: epb::AttendanceStatus::Present.into(),
                    })
                    .collect(),
                override_reason: String::new(),
            })
            .await?;
    }
    for (id, (subject, name, organization, score, evaluation)) in ids.iter().zip(ROSTER) {
        enrolments
            .complete_enrolment(epb::CompleteEnrolmentRequest {
                request_id: format!("demo-complete-pr-130-{subject}"),
                enrolment_id: id.to_string(),
                score: Some(score),
                no_show: false,
                override_reason: String::new(),
            })
            .await?;
        let Some((scores, comment)) = evaluation else {
            continue;
        };
        let token = demo.issuer.mint(&TokenRequest {
            subject: subject.to_owned(),
            organization_id: organization.to_owned(),
            roles: vec![Role::Trainee],
            name: name.to_owned(),
            ttl: Duration::from_secs(600),
        })?;
        let [content, instructor, relevance, organization, overall] = scores;
        EvaluationServiceClient::with_interceptor(
            demo.enrolments.clone(),
            PeerAuth::bearer(&token),
        )
        .submit_evaluation(epb::SubmitEvaluationRequest {
            enrolment_id: id.to_string(),
            scores: Some(epb::EvaluationScores {
                content,
                instructor,
                relevance,
                organization,
                overall,
            }),
            comment: comment.to_owned(),
        })
        .await?;
    }
    Ok(())
}
