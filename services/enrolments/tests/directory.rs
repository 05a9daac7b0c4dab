//! The people directory decides who belongs where: a person the directory
//! has under ksc cannot be enrolled as msc's, singly or in bulk, and an
//! inactive person cannot be enrolled at all. Enrolments reads it through a
//! copy it refreshes every poll, so a change counts from the next poll on.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::Duration;

use common::*;
use futures::StreamExt;
use hamafza_enrolments::courses_client::RECENT_PEOPLE;
use hamafza_kit::ApiError;
use hamafza_proto::common::Actor;
use hamafza_proto::courses as cpb;
use hamafza_proto::courses::person_service_client::PersonServiceClient;
use hamafza_proto::enrolments as pb;

async fn in_directory(stack: &Stack, subject: &str, organization_id: &str, active: bool) {
    PersonServiceClient::new(stack.channel(Svc::Courses))
        .upsert_person(stack.request(
            ADMIN,
            cpb::UpsertPersonRequest {
                person: Some(cpb::Person {
                    subject: subject.to_owned(),
                    name: Some(text("نام", "Name")),
                    organization_id: organization_id.to_owned(),
                    active,
                    ..Default::default()
                }),
            },
        ))
        .await
        .unwrap();
}

fn on_behalf(session_id: &str, request_id: &str, subject: &str, org: &str) -> pb::EnrolRequest {
    pb::EnrolRequest {
        request_id: request_id.to_owned(),
        session_id: session_id.to_owned(),
        trainee: Some(Actor {
            subject: subject.to_owned(),
            name: "نام".to_owned(),
            organization_id: org.to_owned(),
        }),
        waive_prerequisites: false,
    }
}

/// Waits until enrolments refuses to enrol `subject` as `organization_id`'s
/// for `reason`, which it says only once its copy of the directory has the
/// change. Probes with `probe`, a session nobody can enter (see
/// [`probe_session`]), so no probe enrols anyone.
async fn until_refused_for(
    stack: &Stack,
    probe: &str,
    (subject, organization_id): (&str, &str),
    reason: &str,
) {
    let mut attempt = 0;
    // Sooner than the ten seconds a person's entry could be cached before
    // enrolments kept a copy: the copy is what answers.
    let within = RECENT_PEOPLE - Duration::from_secs(2);
    eventually(within, || {
        attempt += 1;
        let request_id = format!("probe-{subject}-{organization_id}-{attempt}");
        let request = on_behalf(probe, &request_id, subject, organization_id);
        async move {
            match enrol(stack, ADMIN, request).await {
                Ok(enrolment) => panic!("the probe enrolled someone: {enrolment:?}"),
                Err(status) => ApiError::from_status(&status).reason() == reason,
            }
        }
    })
    .await;
}

/// An open session of a course whose prerequisite nobody has completed.
async fn probe_session(stack: &Stack) -> String {
    let before = published_course(stack, "PR-901", |_| {}).await;
    let after = published_course(stack, "PR-902", |d| {
        d.prerequisite_course_ids = vec![before.id.clone()];
    })
    .await;
    stack.open_session(&after, 5, &[]).await.id
}

#[tokio::test]
async fn the_directory_decides_which_company_a_person_belongs_to() {
    let (stack, session) = Stack::with_session("PR-301", 10, &[]).await;
    in_directory(&stack, "ksc-person", "ksc", true).await;
    in_directory(&stack, "msc-person", "msc", true).await;
    in_directory(&stack, "msc-leaver", "msc", false).await;
    // Once the copy has the last of them, it has all three.
    let probe = probe_session(&stack).await;
    until_refused_for(&stack, &probe, ("msc-leaver", "msc"), "PERSON_INACTIVE").await;

    // The msc manager claims ksc's person as their own: refused, with why.
    let claimed = enrol(
        &stack,
        MANAGER_MSC,
        on_behalf(&session.id, "a", "ksc-person", "msc"),
    )
    .await
    .unwrap_err();
    assert_eq!(claimed.code(), tonic::Code::FailedPrecondition);
    assert_eq!(
        ApiError::from_status(&claimed).reason(),
        "PERSON_IN_OTHER_ORGANIZATION"
    );
    // Not even a platform admin enrols them under the wrong company.
    let admin = enrol(
        &stack,
        ADMIN,
        on_behalf(&session.id, "b", "ksc-person", "msc"),
    )
    .await
    .unwrap_err();
    assert_eq!(
        ApiError::from_status(&admin).reason(),
        "PERSON_IN_OTHER_ORGANIZATION"
    );
    // Their own manager does; the msc manager enrols msc's person.
    enrol(
        &stack,
        MANAGER_KSC,
        on_behalf(&session.id, "c", "ksc-person", "ksc"),
    )
    .await
    .unwrap();
    enrol(
        &stack,
        MANAGER_MSC,
        on_behalf(&session.id, "d", "msc-person", "msc"),
    )
    .await
    .unwrap();
    // Someone who left is not enrolled.
    let leaver = enrol(
        &stack,
        MANAGER_MSC,
        on_behalf(&session.id, "e", "msc-leaver", "msc"),
    )
    .await
    .unwrap_err();
    assert_eq!(ApiError::from_status(&leaver).reason(), "PERSON_INACTIVE");
    // A trainee whose token names another company than the directory's.
    let stale_token = ("ksc-person", "msc", TRAINEE_MSC.2);
    let stale = enrol_self(&stack, stale_token, &session.id, "f")
        .await
        .unwrap_err();
    assert_eq!(
        ApiError::from_status(&stale).reason(),
        "PERSON_IN_OTHER_ORGANIZATION"
    );
    // People the directory does not know yet are enrolled as their token or
    // manager says (they are recorded at their first sign-in).
    enrol_self(&stack, TRAINEE_MSC, &session.id, "g")
        .await
        .unwrap();

    // In bulk, the row naming ksc's person as msc's is refused alone.
    let csv = "subject,name,organization_id\n\
               msc-person-2,رضا,msc\n\
               ksc-person,علی,msc\n";
    let mut rows = Vec::new();
    let mut stream = EnrolmentServiceClient::new(stack.enrolments.clone())
        .bulk_enrol(stack.request(
            MANAGER_MSC,
            pb::BulkEnrolRequest {
                request_id: "bulk".to_owned(),
                session_id: session.id.clone(),
                csv: csv.as_bytes().to_vec(),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    while let Some(row) = stream.next().await {
        rows.push(row.unwrap());
    }
    let outcomes: Vec<_> = rows.iter().map(|r| r.outcome()).collect();
    assert_eq!(
        outcomes,
        [pb::BulkRowOutcome::Enrolled, pb::BulkRowOutcome::Error]
    );
    assert_eq!(rows[1].error_reason, "PERSON_IN_OTHER_ORGANIZATION");
    assert!(
        rows[1].error_message.contains("ksc"),
        "{}",
        rows[1].error_message
    );
    let stored: Vec<String> = enrolments_in(&stack, &session.id)
        .await
        .into_iter()
        .map(|e| e.trainee.unwrap().subject)
        .collect();
    assert_eq!(stored.len(), 4, "{stored:?}");
    assert!(!stored.iter().any(|s| s == "msc-leaver"));
}

use hamafza_proto::enrolments::enrolment_service_client::EnrolmentServiceClient;

#[tokio::test]
async fn a_move_in_the_directory_reaches_enrolments_within_a_poll() {
    let (stack, session) = Stack::with_session("PR-301", 10, &[]).await;
    let probe = probe_session(&stack).await;
    let elsewhere = "PERSON_IN_OTHER_ORGANIZATION";
    in_directory(&stack, "mover", "msc", true).await;
    until_refused_for(&stack, &probe, ("mover", "ksc"), elsewhere).await;
    // They move to ksc: enrolments follows without being asked.
    in_directory(&stack, "mover", "ksc", true).await;
    until_refused_for(&stack, &probe, ("mover", "msc"), elsewhere).await;
    let enrolment = enrol(
        &stack,
        MANAGER_KSC,
        on_behalf(&session.id, "moved", "mover", "ksc"),
    )
    .await
    .unwrap();
    assert_eq!(enrolment.trainee.unwrap().organization_id, "ksc");
    // They leave: nobody enrols them any more.
    in_directory(&stack, "mover", "ksc", false).await;
    until_refused_for(&stack, &probe, ("mover", "ksc"), "PERSON_INACTIVE").await;
}
