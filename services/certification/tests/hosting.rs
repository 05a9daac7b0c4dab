//! Company-hosted sessions end to end: Khuzestan Steel's manager proposes a
//! session taught by one of its own people, the holding's admin accepts it,
//! trainees of two other companies pass, and the benchmark and the
//! certificate show the host; a declined proposal never opens.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::*;
use hamafza_kit::auth::Role;
use hamafza_proto::certification as pb;
use hamafza_proto::courses as cpb;
use hamafza_proto::courses::person_service_client::PersonServiceClient;
use hamafza_proto::enrolments as epb;
use hamafza_proto::enrolments::report_service_client::ReportServiceClient;
use hamafza_testkit::fixtures::Answer;
use hamafza_testkit::people::{MANAGER_MSC, TRAINEE_MSC_2};
use hamafza_testkit::violated_fields;
use tonic::Code;

/// Khuzestan Steel's PR expert who teaches its hosted session.
const KSC_INSTRUCTOR: Who = ("ksc-pr-expert", "ksc", &[Role::Instructor]);
/// A trainee of Gol-E-Gohar.
const TRAINEE_GEGH: Who = ("trainee-gegh", "gegh", &[Role::Trainee]);

/// Puts Khuzestan Steel's PR expert in the people directory, as its manager.
async fn ksc_instructor_in_directory(stack: &Stack) {
    PersonServiceClient::new(stack.channel(Svc::Courses))
        .upsert_person(stack.request(
            MANAGER_KSC,
            cpb::UpsertPersonRequest {
                person: Some(cpb::Person {
                    subject: KSC_INSTRUCTOR.0.to_owned(),
                    name: Some(text("سارا کریمی", "Sara Karimi")),
                    organization_id: "ksc".to_owned(),
                    email: "sara.karimi@ksc.example".to_owned(),
                    job_title: "کارشناس ارشد روابط عمومی".to_owned(),
                    active: true,
                    ..Default::default()
                }),
            },
        ))
        .await
        .expect("the manager adds their PR expert");
}

/// Session details taught by `instructor` (of `organization`), at Ahvaz.
fn hosted_details(instructor: Who) -> cpb::SessionDetails {
    let mut details = fixtures::session_details(30, &[]);
    details.meetings.truncate(1);
    details.venue = Some(text("اهواز، فولاد خوزستان", "Ahvaz, Khuzestan Steel"));
    details.instructor = Some(hamafza_proto::common::Actor {
        subject: instructor.0.to_owned(),
        name: "سارا کریمی".to_owned(),
        organization_id: instructor.1.to_owned(),
    });
    details
}

async fn propose(
    stack: &Stack,
    who: Who,
    course: &cpb::Course,
    host: &str,
    details: cpb::SessionDetails,
) -> Answer<cpb::Session> {
    fixtures::session_service(stack)
        .propose_hosted_session(stack.request(
            who,
            cpb::ProposeHostedSessionRequest {
                request_id: String::new(),
                course_id: course.id.clone(),
                host_organization_id: host.to_owned(),
                details: Some(details),
            },
        ))
        .await
        .map(|r| r.into_inner().session.unwrap())
}

async fn hosted(stack: &Stack, who: Who, host: &str) -> Answer<Vec<cpb::Session>> {
    fixtures::session_service(stack)
        .list_hosted_sessions(stack.request(
            who,
            cpb::ListHostedSessionsRequest {
                host_organization_id: host.to_owned(),
                ..Default::default()
            },
        ))
        .await
        .map(|r| r.into_inner().sessions)
}

#[tokio::test]
async fn a_company_hosts_a_session_and_trains_other_companies() {
    let stack = Stack::start(true).await;
    let course = stack.course("PR-701", None).await;
    ksc_instructor_in_directory(&stack).await;

    // Only Khuzestan Steel's manager proposes for Khuzestan Steel.
    for who in [MANAGER_MSC, TRAINEE_KSC, ADMIN] {
        let refused = propose(&stack, who, &course, "ksc", hosted_details(KSC_INSTRUCTOR))
            .await
            .unwrap_err();
        assert_eq!(refused.code(), Code::PermissionDenied, "{}", who.0);
    }
    // The instructor must be one of the host's people.
    let outsider = propose(
        &stack,
        MANAGER_KSC,
        &course,
        "ksc",
        hosted_details(INSTRUCTOR),
    )
    .await
    .unwrap_err();
    assert_eq!(violated_fields(&outsider), ["details.instructor.subject"]);

    let proposed = propose(&stack, MANAGER_KSC, &course, "ksc", {
        let mut details = hosted_details(KSC_INSTRUCTOR);
        fixtures::under_way(&mut details);
        details
    })
    .await
    .unwrap();
    assert_eq!(proposed.host_organization_id, "ksc");
    let hosting = proposed.hosting.clone().unwrap();
    assert_eq!(hosting.state(), cpb::HostingState::Proposed);
    assert_eq!(hosting.proposed_by.unwrap().subject, MANAGER_KSC.0);
    assert_eq!(hosting.host_organization_name.unwrap().fa, "فولاد خوزستان");
    assert_eq!(proposed.status(), cpb::SessionStatus::Planned);

    // Not open before the admins accept; the manager sees it, another
    // company's manager does not.
    let early = fixtures::open_planned_session(&stack, ADMIN, &proposed.id)
        .await
        .unwrap_err();
    assert_eq!(early.code(), Code::FailedPrecondition);
    let own = hosted(&stack, MANAGER_KSC, "").await.unwrap();
    assert_eq!(own.len(), 1);
    assert_eq!(
        hosted(&stack, MANAGER_MSC, "ksc").await.unwrap_err().code(),
        Code::PermissionDenied
    );
    assert!(hosted(&stack, MANAGER_MSC, "").await.unwrap().is_empty());

    // A trainee cannot accept; the admin does, and opens it.
    let accept = |who: Who| {
        let request = stack.request(
            who,
            cpb::AcceptHostedSessionRequest {
                session_id: proposed.id.clone(),
            },
        );
        let mut client = fixtures::session_service(&stack);
        async move { client.accept_hosted_session(request).await }
    };
    assert_eq!(
        accept(TRAINEE_MSC).await.unwrap_err().code(),
        Code::PermissionDenied
    );
    let accepted = accept(ADMIN).await.unwrap().into_inner().session.unwrap();
    let decision = accepted.hosting.unwrap();
    assert_eq!(decision.state(), cpb::HostingState::Accepted);
    assert_eq!(decision.decided_by.unwrap().subject, ADMIN.0);
    assert_eq!(
        accept(ADMIN).await.unwrap_err().code(),
        Code::FailedPrecondition,
        "decided once"
    );
    let session = fixtures::open_planned_session(&stack, ADMIN, &proposed.id)
        .await
        .unwrap();
    assert_eq!(
        hosted(&stack, ADMIN, "ksc").await.unwrap()[0]
            .hosting
            .as_ref()
            .unwrap()
            .state(),
        cpb::HostingState::Accepted
    );

    // Trainees of two other companies (and one of the host) pass.
    let mut completions = Vec::new();
    for (who, tag) in [
        (TRAINEE_MSC, "msc"),
        (TRAINEE_GEGH, "gegh"),
        (TRAINEE_KSC, "ksc"),
    ] {
        let enrolment = fixtures::enrolled(&stack, who, &session.id, &format!("{tag}-enrol")).await;
        let done =
            fixtures::attend_and_complete_ahead(&stack, &session, &enrolment.id, Some(90), tag)
                .await;
        assert_eq!(done.status(), epb::EnrolmentStatus::Completed);
        completions.push(enrolment.id);
    }
    // One who fails is not counted as trained.
    let failing = fixtures::enrolled(&stack, TRAINEE_MSC_2, &session.id, "msc2-enrol").await;
    fixtures::attend_and_complete_ahead(&stack, &session, &failing.id, Some(10), "msc2").await;

    let benchmark = ReportServiceClient::new(stack.channel(Svc::Enrolments))
        .get_benchmark(stack.request(COUNCIL, epb::GetBenchmarkRequest::default()))
        .await
        .unwrap()
        .into_inner();
    let of = |org: &str| {
        benchmark
            .organizations
            .iter()
            .find(|o| o.organization_id == org)
            .and_then(|o| o.measures)
            .unwrap()
    };
    assert_eq!(of("ksc").hosted_sessions, 1);
    assert_eq!(of("ksc").guests_trained, 2, "msc and gegh, not ksc's own");
    assert_eq!(of("msc").hosted_sessions, 0);
    assert_eq!(of("msc").guests_trained, 0);
    assert_eq!(benchmark.total.unwrap().guests_trained, 2);

    // The certificate names the host.
    let completion = completions[0].clone();
    eventually(std::time::Duration::from_secs(20), || {
        let stack = &stack;
        let completion = completion.clone();
        async move { !stack.certificates_of(&completion).await.is_empty() }
    })
    .await;
    let certificate = stack.certificates_of(&completion).await.remove(0);
    let shown = stack
        .certificates()
        .get_certificate_presentation(stack.request(
            TRAINEE_MSC,
            pb::GetCertificatePresentationRequest {
                certificate_id: certificate.id,
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(shown.host_organization_id, "ksc");
    assert_eq!(shown.host_organization_name.unwrap().en, "Khuzestan Steel");
}

#[tokio::test]
async fn a_declined_proposal_never_opens() {
    let stack = Stack::start(false).await;
    let course = stack.course("PR-702", None).await;
    ksc_instructor_in_directory(&stack).await;
    let proposed = propose(
        &stack,
        MANAGER_KSC,
        &course,
        "ksc",
        hosted_details(KSC_INSTRUCTOR),
    )
    .await
    .unwrap();
    let decline = |reason: &str| {
        let request = stack.request(
            ADMIN,
            cpb::DeclineHostedSessionRequest {
                session_id: proposed.id.clone(),
                reason: reason.to_owned(),
            },
        );
        let mut client = fixtures::session_service(&stack);
        async move { client.decline_hosted_session(request).await }
    };
    assert_eq!(
        violated_fields(&decline("  ").await.unwrap_err()),
        ["reason"]
    );
    let declined = decline("the venue is booked that week")
        .await
        .unwrap()
        .into_inner()
        .session
        .unwrap();
    let hosting = declined.hosting.unwrap();
    assert_eq!(hosting.state(), cpb::HostingState::Declined);
    assert_eq!(hosting.decline_reason, "the venue is booked that week");

    let refused = fixtures::open_planned_session(&stack, ADMIN, &proposed.id)
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::FailedPrecondition);
    assert!(
        refused.message().contains("declined"),
        "{}",
        refused.message()
    );
    // Still planned: trainees never see it.
    assert_eq!(
        fixtures::get_session(&stack, TRAINEE_MSC, &proposed.id)
            .await
            .unwrap_err()
            .code(),
        Code::NotFound
    );
    let queue = fixtures::session_service(&stack)
        .list_hosted_sessions(stack.request(
            ADMIN,
            cpb::ListHostedSessionsRequest {
                states: vec![cpb::HostingState::Proposed.into()],
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert!(queue.sessions.is_empty(), "nothing left to decide");
}
