//! The reminder the day before the first meeting: to the trainees holding a
//! seat and the instructor, through a real SMTP server, once each although
//! two notifications replicas run the scheduled job every second.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use hamafza_proto::courses as cpb;
use hamafza_proto::enrolments as epb;
use hamafza_proto::notifications as npb;
use hamafza_testkit::fixtures::{enrolled, open_session, published_course, session_service};
use hamafza_testkit::people::{ADMIN, INSTRUCTOR, TRAINEE_MSC, TRAINEE_MSC_2};
use hamafza_testkit::{Svc, TestStack, eventually, free_addr, temp_dir};

use common::{SmtpServer, address, inbox, mute, received, stack_with_smtp, to};

const HOUR: i64 = 3600;

#[tokio::test]
async fn two_replicas_remind_each_seat_holder_and_the_instructor_once() {
    let dir = temp_dir("smtp");
    let addr = free_addr();
    let smtp = SmtpServer::start(addr, &dir).await;
    let mut stack = stack_with_smtp(addr).await;
    stack.replica(Svc::Notifications).await;
    let course = published_course(&stack, "NTF-8", |_| {}).await;
    // A session two days off is not reminded yet.
    let later = open_session(&stack, &course, |_| {}).await;
    // The first meeting in 20 hours: enrolment closes in 10.
    let soon = open_session(&stack, &course, |details| {
        details.capacity = 1;
        let first = &mut details.meetings[0];
        first.start_time.as_mut().unwrap().seconds -= 28 * HOUR;
        first.end_time.as_mut().unwrap().seconds -= 28 * HOUR;
        let window = details.enrolment_window.as_mut().unwrap();
        window.end_time.as_mut().unwrap().seconds -= 14 * HOUR;
    })
    .await;

    // Sara holds the seat, Reza waits; in the later session Reza holds one.
    let sara = enrolled(&stack, TRAINEE_MSC, &soon.id, "m-1").await;
    assert_eq!(sara.status(), epb::EnrolmentStatus::Confirmed);
    let reza = enrolled(&stack, TRAINEE_MSC_2, &soon.id, "m-2").await;
    assert_eq!(reza.status(), epb::EnrolmentStatus::Waitlisted);
    enrolled(&stack, TRAINEE_MSC_2, &later.id, "m-3").await;

    // Three enrolment emails, then one reminder each for Sara and the
    // instructor; several rounds of both replicas send nothing more.
    let messages = received(&smtp, 5).await;
    tokio::time::sleep(std::time::Duration::from_secs(3)).await;
    assert_eq!(smtp.count(), 5, "no reminder twice");
    let reminder = |who| {
        to(&messages, &address(who))
            .into_iter()
            .filter(|m| m.subject.contains("یادآوری"))
            .collect::<Vec<_>>()
    };
    let sara_reminder = reminder(TRAINEE_MSC);
    assert_eq!(sara_reminder.len(), 1);
    assert!(
        sara_reminder[0]
            .plain
            .contains("نخستین جلسهٔ دورهٔ «ارتباطات بحران» کمتر از یک روز دیگر"),
        "{}",
        sara_reminder[0].plain
    );
    assert!(sara_reminder[0].plain.contains("جلسه‌ها (به وقت تهران)"));
    assert!(sara_reminder[0].plain.contains("is less than a day away"));
    assert_eq!(reminder(INSTRUCTOR).len(), 1);
    assert!(reminder(TRAINEE_MSC_2).is_empty(), "no seat, no reminder");

    // The reminder is in Sara's inbox too, and one can turn reminders off.
    let inbox = inbox(&stack, TRAINEE_MSC, Default::default()).await;
    assert_eq!(
        inbox.notifications[0].kind(),
        npb::NotificationKind::SessionReminder
    );
    mute(
        &stack,
        TRAINEE_MSC,
        &[npb::NotificationKind::SessionReminder as i32],
    )
    .await
    .expect("reminders are not legally needed");
}

#[tokio::test]
async fn a_session_closed_to_enrolment_is_reminded_too() {
    let dir = temp_dir("smtp");
    let addr = free_addr();
    let smtp = SmtpServer::start(addr, &dir).await;
    // Reminder rounds an hour apart: the one at start finds nothing, and
    // the next comes from a replica started once the session is closed.
    let mut stack = TestStack::builder()
        .with(Svc::Courses)
        .with(Svc::Enrolments)
        .with(Svc::Notifications)
        .configure(move |config| {
            config.mail.smtp_url = Some(format!("smtp://{addr}"));
            config.workers.reminder_interval_seconds = 3600;
        })
        .start()
        .await;
    common::directory(&stack).await;
    let course = published_course(&stack, "NTF-9", |_| {}).await;
    // The first meeting in 20 hours; Sara takes a seat; enrolment closes.
    let session = open_session(&stack, &course, |details| {
        let first = &mut details.meetings[0];
        first.start_time.as_mut().unwrap().seconds -= 28 * HOUR;
        first.end_time.as_mut().unwrap().seconds -= 28 * HOUR;
        let window = details.enrolment_window.as_mut().unwrap();
        window.end_time.as_mut().unwrap().seconds -= 14 * HOUR;
    })
    .await;
    enrolled(&stack, TRAINEE_MSC, &session.id, "c-1").await;
    session_service(&stack)
        .close_session(stack.request(
            ADMIN,
            cpb::CloseSessionRequest {
                session_id: session.id.clone(),
            },
        ))
        .await
        .unwrap();
    stack.replica(Svc::Notifications).await;
    let reminded = |who| {
        to(&smtp.messages(), &address(who))
            .into_iter()
            .filter(|m| m.subject.contains("یادآوری"))
            .count()
    };
    eventually(std::time::Duration::from_secs(30), || async {
        reminded(TRAINEE_MSC) == 1 && reminded(INSTRUCTOR) == 1
    })
    .await;
}
