//! An enrolment waiting for its company's approval is told to the company's
//! PR managers (the directory's `org_manager` role), through a real SMTP
//! server, once each, with a link to the approvals inbox; the roles are the
//! directory's, guarded like the rest of a person.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use hamafza_proto::courses as cpb;
use hamafza_proto::enrolments as epb;
use hamafza_proto::notifications as npb;
use hamafza_testkit::fixtures::{enrolled, enrolment_service, open_session, published_course};
use hamafza_testkit::people::{
    ADMIN, COUNCIL_A, MANAGER_KSC, MANAGER_MSC, TRAINEE_MSC, TRAINEE_MSC_2,
};
use hamafza_testkit::{free_addr, temp_dir, text, violated_fields};

use common::{SmtpServer, address, inbox, mute, people, received, stack_with_smtp, to};

#[tokio::test]
async fn an_approval_request_goes_to_the_companys_pr_managers_once() {
    let dir = temp_dir("smtp");
    let addr = free_addr();
    let smtp = SmtpServer::start(addr, &dir).await;
    let stack = stack_with_smtp(addr).await;
    let course = published_course(&stack, "NTF-6", |d| d.requires_manager_approval = true).await;
    let session = open_session(&stack, &course, |_| {}).await;

    // Sara asks: Mobarakeh Steel's two PR managers are told, nobody else.
    let sara = enrolled(&stack, TRAINEE_MSC, &session.id, "a-1").await;
    assert_eq!(sara.status(), epb::EnrolmentStatus::PendingApproval);
    let messages = received(&smtp, 2).await;
    for manager in [MANAGER_MSC, COUNCIL_A] {
        let mail = to(&messages, &address(manager));
        assert_eq!(mail.len(), 1, "{} is told once", manager.0);
        let mail = &mail[0];
        assert!(
            mail.subject.contains("درخواست تأیید ثبت‌نام سارا احمدی"),
            "{}",
            mail.subject
        );
        assert!(
            mail.plain
                .contains("سارا احمدی برای دورهٔ «ارتباطات بحران» ثبت‌نام کرده و منتظر تأیید شماست."),
            "{}",
            mail.plain
        );
        assert!(
            mail.plain.contains("Sara Ahmadi enrolled in"),
            "English follows: {}",
            mail.plain
        );
        assert!(
            mail.plain.contains("/org/requests"),
            "a link to the approvals inbox: {}",
            mail.plain
        );
        assert!(mail.calendar.is_none(), "no seat yet, no invitation");
    }
    assert!(to(&messages, &address(MANAGER_KSC)).is_empty());
    assert!(to(&messages, &address(TRAINEE_MSC)).is_empty());

    // The manager's inbox shows it; approvals cannot be turned off.
    let inbox = inbox(&stack, MANAGER_MSC, Default::default()).await;
    assert_eq!(inbox.unread_count, 1);
    assert_eq!(
        inbox.notifications[0].kind(),
        npb::NotificationKind::ApprovalRequested
    );
    assert_eq!(inbox.notifications[0].link, "/org/requests");
    let refused = mute(
        &stack,
        MANAGER_MSC,
        &[npb::NotificationKind::ApprovalRequested as i32],
    )
    .await
    .unwrap_err();
    assert_eq!(refused.code(), tonic::Code::InvalidArgument);

    // The decision goes to Sara only; the managers hear nothing more.
    enrolment_service(&stack)
        .approve_enrolment(stack.request(
            MANAGER_MSC,
            epb::ApproveEnrolmentRequest {
                request_id: "a-2".to_owned(),
                enrolment_id: sara.id.clone(),
                comment: String::new(),
            },
        ))
        .await
        .expect("the manager approves");
    let messages = received(&smtp, 3).await;
    assert_eq!(to(&messages, &address(TRAINEE_MSC)).len(), 1);
    assert_eq!(to(&messages, &address(MANAGER_MSC)).len(), 1);
}

#[tokio::test]
async fn the_directory_keeps_roles_and_finds_people_by_them() {
    // No mail is sent here: nothing listens at the relay's address.
    let stack = stack_with_smtp(free_addr()).await;
    let mut client = people(&stack);

    // Listing by role: the company's PR managers, in subject order.
    let managers = client
        .list_people(stack.request(
            ADMIN,
            cpb::ListPeopleRequest {
                organization_id: "msc".to_owned(),
                role: "org_manager".to_owned(),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner();
    let subjects: Vec<_> = managers.people.iter().map(|p| p.subject.as_str()).collect();
    assert_eq!(subjects, [COUNCIL_A.0, MANAGER_MSC.0]);
    assert_eq!(managers.people[0].roles, ["org_manager"]);
    let bad = client
        .list_people(stack.request(
            ADMIN,
            cpb::ListPeopleRequest {
                role: "service".to_owned(),
                ..Default::default()
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(violated_fields(&bad), ["role"]);

    // An org manager gives their people company roles only.
    let person = |roles: &[&str]| cpb::UpsertPersonRequest {
        person: Some(cpb::Person {
            subject: TRAINEE_MSC_2.0.to_owned(),
            name: Some(text("رضا کریمی", "Reza Karimi")),
            organization_id: "msc".to_owned(),
            active: true,
            roles: roles.iter().map(|r| (*r).to_owned()).collect(),
            ..Default::default()
        }),
    };
    let escalation = client
        .upsert_person(stack.request(MANAGER_MSC, person(&["council"])))
        .await
        .unwrap_err();
    assert_eq!(escalation.code(), tonic::Code::PermissionDenied);
    let unknown = client
        .upsert_person(stack.request(MANAGER_MSC, person(&["boss"])))
        .await
        .unwrap_err();
    assert_eq!(violated_fields(&unknown), ["person.roles[0]"]);
    let promoted = client
        .upsert_person(stack.request(MANAGER_MSC, person(&["trainee", "org_manager"])))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        promoted.person.unwrap().roles,
        ["org_manager", "trainee"],
        "in the claim's order, each once"
    );
    // No roles given keeps the stored ones.
    let kept = client
        .upsert_person(stack.request(ADMIN, person(&[])))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(kept.person.unwrap().roles, ["org_manager", "trainee"]);
}
