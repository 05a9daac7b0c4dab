//! A course submitted for review reaches the council members (the people
//! directory's `council` role) through courses' outbox and a real SMTP
//! server, once each, with a link to the council's page.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use hamafza_proto::courses as cpb;
use hamafza_proto::notifications as npb;
use hamafza_testkit::fixtures::{draft_course, submit_course};
use hamafza_testkit::people::{ADMIN, COUNCIL_A, COUNCIL_B, MANAGER_MSC};
use hamafza_testkit::{free_addr, temp_dir, text};

use common::{SmtpServer, address, inbox, people, received, stack_with_smtp, to};

#[tokio::test]
async fn a_course_waiting_for_the_council_reaches_each_member_once() {
    let dir = temp_dir("smtp");
    let addr = free_addr();
    let smtp = SmtpServer::start(addr, &dir).await;
    let stack = stack_with_smtp(addr).await;
    for (who, fa, en) in [
        (COUNCIL_A, "مهدی کاظمی", "Mahdi Kazemi"),
        (COUNCIL_B, "نرگس موسوی", "Narges Mousavi"),
    ] {
        people(&stack)
            .upsert_person(stack.request(
                ADMIN,
                cpb::UpsertPersonRequest {
                    person: Some(cpb::Person {
                        subject: who.0.to_owned(),
                        name: Some(text(fa, en)),
                        organization_id: who.1.to_owned(),
                        email: address(who),
                        active: true,
                        roles: who.2.iter().map(|r| r.as_str().to_owned()).collect(),
                        ..Default::default()
                    }),
                },
            ))
            .await
            .expect("the directory takes the council member");
    }

    let course = draft_course(&stack, "NTF-9").await;
    submit_course(&stack, ADMIN, &course.id)
        .await
        .expect("the admin submits the course");
    let messages = received(&smtp, 2).await;
    for member in [COUNCIL_A, COUNCIL_B] {
        let mail = to(&messages, &address(member));
        assert_eq!(mail.len(), 1, "{} is told once", member.0);
        assert!(
            mail[0].subject.contains("منتظر بررسی شوراست"),
            "{}",
            mail[0].subject
        );
        assert!(
            mail[0]
                .plain
                .contains("برای بررسی به شورای سیاست‌گذاری فرستاده شد"),
            "{}",
            mail[0].plain
        );
        assert!(mail[0].plain.contains("/council"), "{}", mail[0].plain);
        assert!(mail[0].calendar.is_none());
    }
    assert!(to(&messages, &address(MANAGER_MSC)).is_empty());
    let inbox = inbox(&stack, COUNCIL_B, Default::default()).await;
    assert_eq!(
        inbox.notifications[0].kind(),
        npb::NotificationKind::CouncilReview
    );
    assert_eq!(inbox.notifications[0].link, "/council");
}
