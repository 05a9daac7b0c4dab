//! A session's changes reach everyone holding a seat and the instructor,
//! through a real SMTP server, once each: moved meetings (courses' outbox,
//! an updated REQUEST for the same UIDs with a higher SEQUENCE) and a
//! cancelled session (a CANCEL for the same UIDs).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use hamafza_proto::courses as cpb;
use hamafza_proto::enrolments as epb;
use hamafza_testkit::fixtures::{
    cancel_session, create_session, enrolled, open_session, published_course, session_details,
    session_service,
};
use hamafza_testkit::people::{ADMIN, INSTRUCTOR, TRAINEE_MSC, TRAINEE_MSC_2};
use hamafza_testkit::{free_addr, temp_dir};

use common::{SmtpServer, address, invitation, received, stack_with_smtp, to};

/// (UID, SEQUENCE) pairs' UIDs.
fn uids(events: &[(String, u32)]) -> Vec<String> {
    events.iter().map(|(uid, _)| uid.clone()).collect()
}

#[tokio::test]
async fn moved_meetings_and_a_cancelled_session_reach_seat_holders_and_the_instructor() {
    let dir = temp_dir("smtp");
    let addr = free_addr();
    let smtp = SmtpServer::start(addr, &dir).await;
    let stack = stack_with_smtp(addr).await;
    let course = published_course(&stack, "NTF-7", |_| {}).await;
    let session = open_session(&stack, &course, |details| details.capacity = 1).await;

    // Sara holds the only seat; Reza waits.
    let sara = enrolled(&stack, TRAINEE_MSC, &session.id, "s-1").await;
    assert_eq!(sara.status(), epb::EnrolmentStatus::Confirmed);
    let reza = enrolled(&stack, TRAINEE_MSC_2, &session.id, "s-2").await;
    assert_eq!(reza.status(), epb::EnrolmentStatus::Waitlisted);
    let messages = received(&smtp, 2).await;
    let confirmed = &to(&messages, &address(TRAINEE_MSC))[0];
    let (_, offered) = invitation(confirmed.calendar.as_deref().expect("an invitation"));

    // The first meeting moves an hour later and to another room: Sara and
    // the instructor get the new schedule; Reza, without a seat, nothing.
    let mut details = session.details.clone().unwrap();
    let first = details.meetings[0].start_time.as_mut().unwrap();
    first.seconds += 3600;
    let end = details.meetings[0].end_time.as_mut().unwrap();
    end.seconds += 3600;
    details.venue = Some(hamafza_testkit::text("تهران، سالن ۲", "Tehran, hall 2"));
    session_service(&stack)
        .update_session(stack.request(
            ADMIN,
            cpb::UpdateSessionRequest {
                session_id: session.id.clone(),
                details: Some(details),
                etag: String::new(),
                update_mask: Some(prost_types::FieldMask {
                    paths: vec!["meetings".to_owned(), "venue".to_owned()],
                }),
            },
        ))
        .await
        .expect("the admin moves the first meeting");
    let messages = received(&smtp, 4).await;
    let sara_mail = to(&messages, &address(TRAINEE_MSC));
    assert_eq!(sara_mail.len(), 2);
    let moved = sara_mail
        .iter()
        .find(|m| m.subject.contains("تغییر کرد"))
        .expect("Sara hears of the move");
    assert!(moved.plain.contains("سالن ۲"), "{}", moved.plain);
    assert!(
        moved.plain.contains("The time or place of the meetings"),
        "English follows: {}",
        moved.plain
    );
    let (method, updated) = invitation(moved.calendar.as_deref().expect("an update"));
    assert_eq!(method, "REQUEST");
    assert_eq!(
        uids(&updated),
        uids(&offered),
        "the same entries are updated"
    );
    assert!(updated[0].1 > offered[0].1, "with a higher SEQUENCE");
    let instructor_mail = to(&messages, &address(INSTRUCTOR));
    assert_eq!(instructor_mail.len(), 1, "the instructor is told once");
    assert!(instructor_mail[0].calendar.is_some());
    assert_eq!(
        to(&messages, &address(TRAINEE_MSC_2)).len(),
        1,
        "Reza only his waitlisting"
    );

    // A capacity change moves nobody: no email.
    session_service(&stack)
        .update_session(stack.request(
            ADMIN,
            cpb::UpdateSessionRequest {
                session_id: session.id.clone(),
                details: Some(cpb::SessionDetails {
                    capacity: 1,
                    ..Default::default()
                }),
                etag: String::new(),
                update_mask: Some(prost_types::FieldMask {
                    paths: vec!["capacity".to_owned()],
                }),
            },
        ))
        .await
        .expect("the admin sets the capacity again");

    // The session is cancelled: Sara's meetings are withdrawn, Reza hears
    // his place is gone, the instructor gets one CANCEL.
    cancel_session(&stack, ADMIN, &session.id, "کمبود مدرس")
        .await
        .expect("the admin cancels the session");
    let messages = received(&smtp, 7).await;
    let sara_mail = to(&messages, &address(TRAINEE_MSC));
    let cancel = sara_mail
        .iter()
        .find(|m| m.subject.contains("لغو شد"))
        .expect("Sara hears of the cancellation");
    let (method, withdrawn) = invitation(cancel.calendar.as_deref().expect("a cancellation"));
    assert_eq!(method, "CANCEL");
    assert_eq!(uids(&withdrawn), uids(&offered));
    assert!(withdrawn[0].1 >= updated[0].1);
    assert_eq!(to(&messages, &address(TRAINEE_MSC_2)).len(), 2);
    let instructor_mail = to(&messages, &address(INSTRUCTOR));
    assert_eq!(
        instructor_mail.len(),
        2,
        "one cancellation for the instructor"
    );
    let cancelled = instructor_mail
        .iter()
        .find(|m| m.subject.contains("لغو شد"))
        .expect("the instructor hears of the cancellation");
    assert!(
        cancelled.plain.contains("تدریسش با شماست"),
        "{}",
        cancelled.plain
    );
    let (method, theirs) = invitation(cancelled.calendar.as_deref().expect("a cancellation"));
    assert_eq!(method, "CANCEL");
    assert_eq!(uids(&theirs), uids(&offered));
}

#[tokio::test]
async fn the_instructor_hears_of_a_move_and_a_cancellation_with_nobody_enrolled() {
    let dir = temp_dir("smtp");
    let addr = free_addr();
    let smtp = SmtpServer::start(addr, &dir).await;
    let stack = stack_with_smtp(addr).await;
    let course = published_course(&stack, "NTF-10", |_| {}).await;
    let session = open_session(&stack, &course, |_| {}).await;

    // Nobody enrolled; the first meeting moves an hour later: the
    // instructor gets the new schedule.
    let mut details = session.details.clone().unwrap();
    details.meetings[0].start_time.as_mut().unwrap().seconds += 3600;
    details.meetings[0].end_time.as_mut().unwrap().seconds += 3600;
    session_service(&stack)
        .update_session(stack.request(
            ADMIN,
            cpb::UpdateSessionRequest {
                session_id: session.id.clone(),
                details: Some(details),
                etag: String::new(),
                update_mask: Some(prost_types::FieldMask {
                    paths: vec!["meetings".to_owned()],
                }),
            },
        ))
        .await
        .expect("the admin moves the first meeting");
    let messages = received(&smtp, 1).await;
    let moved = &to(&messages, &address(INSTRUCTOR))[0];
    assert!(moved.subject.contains("تغییر کرد"), "{}", moved.subject);
    let (method, offered) = invitation(moved.calendar.as_deref().expect("an invitation"));
    assert_eq!(method, "REQUEST");

    // Still nobody enrolled; the session is cancelled: the instructor gets
    // one CANCEL of the same entries, with the reason.
    cancel_session(&stack, ADMIN, &session.id, "کمبود مدرس")
        .await
        .expect("the admin cancels the session");
    let messages = received(&smtp, 2).await;
    let instructor_mail = to(&messages, &address(INSTRUCTOR));
    let cancelled = instructor_mail
        .iter()
        .find(|m| m.subject.contains("لغو شد"))
        .expect("the instructor hears of the cancellation");
    assert!(
        cancelled.plain.contains("تدریسش با شماست"),
        "{}",
        cancelled.plain
    );
    assert!(
        cancelled.plain.contains("دلیل: کمبود مدرس"),
        "{}",
        cancelled.plain
    );
    assert!(cancelled.plain.contains("which you teach, was cancelled"));
    let (method, withdrawn) = invitation(cancelled.calendar.as_deref().expect("a cancellation"));
    assert_eq!(method, "CANCEL");
    assert_eq!(uids(&withdrawn), uids(&offered));

    // A planned session (never opened) cancelled: its instructor is told
    // too; nobody else is.
    let planned = create_session(&stack, ADMIN, &course.id, session_details(10, &[]))
        .await
        .expect("plan a session");
    cancel_session(&stack, ADMIN, &planned.id, "تغییر برنامه")
        .await
        .expect("the admin cancels the planned session");
    let messages = received(&smtp, 3).await;
    assert_eq!(to(&messages, &address(INSTRUCTOR)).len(), 3);
}
