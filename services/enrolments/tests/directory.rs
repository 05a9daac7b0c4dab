//! The people directory decides who belongs where: a person the directory
//! has under ksc cannot be enrolled as msc's, singly or in bulk, and an
//! inactive person cannot be enrolled at all.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::*;
use futures::StreamExt;
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

#[tokio::test]
async fn the_directory_decides_which_company_a_person_belongs_to() {
    let (stack, session) = Stack::with_session("PR-301", 10, &[]).await;
    in_directory(&stack, "ksc-person", "ksc", true).await;
    in_directory(&stack, "msc-person", "msc", true).await;
    in_directory(&stack, "msc-leaver", "msc", false).await;

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
