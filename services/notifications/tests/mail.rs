//! Notifications end to end over real sockets: enrolments' outbox publishes
//! each status change, notifications writes the Persian email and sends it
//! through a real SMTP server (aiosmtpd, run by the test into a Maildir),
//! and keeps the in-app inbox.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::BTreeMap;
use std::time::Duration;

use hamafza_proto::enrolments as epb;
use hamafza_proto::notifications as npb;
use hamafza_testkit::fixtures::{
    enrol, enrolled, enrolment_service, open_session, published_course,
};
use hamafza_testkit::people::{
    ADMIN, INSTRUCTOR, MANAGER_MSC, SERVICE, TRAINEE_MSC, TRAINEE_MSC_2,
};
use hamafza_testkit::{Svc, eventually, free_addr, temp_dir, violated_fields};

use common::{
    SmtpServer, address, inbox, invitation, mail_stack, mail_stack_retrying, mute, notifications,
    received, stack_with_smtp, to,
};

#[tokio::test]
async fn each_event_sends_the_right_email_to_the_right_people_once() {
    let dir = temp_dir("smtp");
    let addr = free_addr();
    let smtp = SmtpServer::start(addr, &dir).await;
    let stack = stack_with_smtp(addr).await;
    let course = published_course(&stack, "NTF-1", |_| {}).await;
    let session = open_session(&stack, &course, |details| details.capacity = 1).await;

    // Sara takes the only seat: one email, with the meetings on her calendar.
    let sara = enrolled(&stack, TRAINEE_MSC, &session.id, "n-1").await;
    assert_eq!(sara.status(), epb::EnrolmentStatus::Confirmed);
    let messages = received(&smtp, 1).await;
    let confirmed = &messages[0];
    assert!(
        confirmed.to.contains("trainee-msc@msc.example"),
        "{}",
        confirmed.to
    );
    assert!(
        confirmed
            .subject
            .contains("ثبت‌نام در «ارتباطات بحران» قطعی شد"),
        "{}",
        confirmed.subject
    );
    assert!(
        confirmed.plain.contains("سارا احمدی عزیز"),
        "{}",
        confirmed.plain
    );
    assert!(
        confirmed.plain.contains("جلسه‌ها (به وقت تهران)"),
        "{}",
        confirmed.plain
    );
    assert!(
        confirmed.plain.contains("Dear Sara Ahmadi"),
        "English follows: {}",
        confirmed.plain
    );
    let (method, offered) = invitation(confirmed.calendar.as_deref().expect("an invitation"));
    assert_eq!(method, "REQUEST");
    assert_eq!(offered.len(), 2, "one VEVENT per meeting");

    // The manager enrols Reza: no seat, so the waitlist; both are told.
    let reza = enrol(
        &stack,
        MANAGER_MSC,
        epb::EnrolRequest {
            request_id: "n-2".to_owned(),
            session_id: session.id.clone(),
            trainee: Some(hamafza_proto::common::Actor {
                subject: TRAINEE_MSC_2.0.to_owned(),
                name: "رضا کریمی".to_owned(),
                organization_id: "msc".to_owned(),
            }),
            waive_prerequisites: false,
        },
    )
    .await
    .expect("the manager enrols Reza");
    assert_eq!(reza.status(), epb::EnrolmentStatus::Waitlisted);
    let messages = received(&smtp, 3).await;
    let reza_mail = to(&messages, "trainee-msc-2@msc.example");
    assert_eq!(reza_mail.len(), 1);
    assert!(
        reza_mail[0].plain.contains("نفر ۱ هستید"),
        "{}",
        reza_mail[0].plain
    );
    assert!(reza_mail[0].calendar.is_none(), "no seat, no invitation");
    let manager_mail = to(&messages, "manager-msc@msc.example");
    assert_eq!(manager_mail.len(), 1);
    assert!(
        manager_mail[0]
            .plain
            .contains("رضا کریمی در فهرست انتظار، نفر ۱ است"),
        "{}",
        manager_mail[0].plain
    );

    // Sara cancels: her meetings are withdrawn (same UIDs, higher SEQUENCE);
    // the instructor hears of it (their own meetings stay); Reza gets the
    // seat and the invitation; the manager hears of it.
    enrolment_service(&stack)
        .cancel_enrolment(stack.request(
            TRAINEE_MSC,
            epb::CancelEnrolmentRequest {
                request_id: "n-3".to_owned(),
                enrolment_id: sara.id.clone(),
                reason: "مأموریت کاری".to_owned(),
            },
        ))
        .await
        .expect("Sara cancels");
    let messages = received(&smtp, 7).await;
    let instructor_mail = to(&messages, &address(INSTRUCTOR));
    assert_eq!(instructor_mail.len(), 1, "the instructor is told once");
    assert!(
        instructor_mail[0]
            .plain
            .contains("ثبت‌نام سارا احمدی در دورهٔ «ارتباطات بحران» لغو شد."),
        "{}",
        instructor_mail[0].plain
    );
    assert!(
        instructor_mail[0].calendar.is_none(),
        "one trainee's cancellation leaves the instructor's meetings"
    );
    let sara_mail = to(&messages, "trainee-msc@msc.example");
    assert_eq!(sara_mail.len(), 2);
    let cancel = sara_mail
        .iter()
        .find(|m| m.subject.contains("لغو"))
        .expect("the cancellation");
    assert!(
        cancel.plain.contains("دلیل: مأموریت کاری"),
        "{}",
        cancel.plain
    );
    let (method, withdrawn) = invitation(cancel.calendar.as_deref().expect("a cancellation"));
    assert_eq!(method, "CANCEL");
    let uids = |events: &[(String, u32)]| {
        events
            .iter()
            .map(|(uid, _)| uid.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        uids(&withdrawn),
        uids(&offered),
        "the same entries are withdrawn"
    );
    assert!(withdrawn[0].1 > offered[0].1, "with a higher SEQUENCE");
    let reza_mail = to(&messages, "trainee-msc-2@msc.example");
    let promoted = reza_mail
        .iter()
        .find(|m| m.calendar.is_some())
        .expect("Reza's invitation");
    assert!(promoted.subject.contains("صندلی"), "{}", promoted.subject);
    let (method, reza_events) = invitation(promoted.calendar.as_deref().unwrap());
    assert_eq!(method, "REQUEST");
    assert_eq!(
        uids(&reza_events),
        uids(&offered),
        "one session's meetings have one UID each"
    );
    assert_eq!(to(&messages, "manager-msc@msc.example").len(), 2);
    let ids: std::collections::BTreeSet<_> =
        messages.iter().map(|m| m.message_id.clone()).collect();
    assert_eq!(ids.len(), 7, "seven different emails");

    // The in-app inbox: Sara has two, unread, newest first, in Persian or English.
    let inbox = inbox(&stack, TRAINEE_MSC, Default::default()).await;
    assert_eq!(inbox.unread_count, 2);
    assert_eq!(
        inbox.notifications[0].kind(),
        npb::NotificationKind::Cancelled
    );
    assert_eq!(
        inbox.notifications[1].kind(),
        npb::NotificationKind::EnrolmentConfirmed
    );
    assert!(inbox.notifications[1].title.contains("قطعی شد"));
    let english = common::inbox(
        &stack,
        TRAINEE_MSC,
        npb::ListMyNotificationsRequest {
            language: "en".to_owned(),
            ..Default::default()
        },
    )
    .await;
    assert_eq!(
        english.notifications[1].title,
        "Enrolment in “Crisis Communication” confirmed"
    );
    let read = notifications(&stack)
        .mark_read(stack.request(
            TRAINEE_MSC,
            npb::MarkReadRequest {
                ids: vec![inbox.notifications[0].id.clone()],
                all: false,
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(read.unread_count, 1);
    // Someone else's notification is not theirs to mark.
    let other = notifications(&stack)
        .mark_read(stack.request(
            TRAINEE_MSC_2,
            npb::MarkReadRequest {
                ids: vec![inbox.notifications[1].id.clone()],
                all: false,
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(other.unread_count, 2, "Reza's own two stay unread");
    let still = common::inbox(
        &stack,
        TRAINEE_MSC,
        npb::ListMyNotificationsRequest {
            unread_only: true,
            ..Default::default()
        },
    )
    .await;
    assert_eq!(still.notifications.len(), 1);

    // Operators see every email sent.
    let deliveries = notifications(&stack)
        .list_deliveries(stack.request(ADMIN, npb::ListDeliveriesRequest::default()))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        (
            deliveries.sent_count,
            deliveries.pending_count,
            deliveries.parked_count
        ),
        (7, 0, 0)
    );
}

#[tokio::test]
async fn publish_is_idempotent_checked_and_respects_preferences() {
    let dir = temp_dir("smtp");
    let addr = free_addr();
    let smtp = SmtpServer::start(addr, &dir).await;
    let stack = stack_with_smtp(addr).await;
    let course = published_course(&stack, "NTF-2", |_| {}).await;
    let session = open_session(&stack, &course, |_| {}).await;
    let mut client = notifications(&stack);

    // Reza turns confirmations off; cancellations cannot be.
    let refused = mute(
        &stack,
        TRAINEE_MSC_2,
        &[npb::NotificationKind::Cancelled as i32, 99],
    )
    .await
    .unwrap_err();
    assert_eq!(refused.code(), tonic::Code::InvalidArgument);
    assert_eq!(
        violated_fields(&refused),
        ["muted_kinds[0]", "muted_kinds[1]"]
    );
    mute(
        &stack,
        TRAINEE_MSC_2,
        &[npb::NotificationKind::EnrolmentConfirmed as i32],
    )
    .await
    .unwrap();
    let preferences = client
        .get_my_preferences(stack.request(TRAINEE_MSC_2, npb::GetMyPreferencesRequest {}))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        preferences.muted_kinds,
        [npb::NotificationKind::EnrolmentConfirmed as i32]
    );
    assert!(
        preferences
            .required_kinds
            .contains(&(npb::NotificationKind::Cancelled as i32))
    );

    enrolled(&stack, TRAINEE_MSC_2, &session.id, "p-1").await;
    let sara = enrolled(&stack, TRAINEE_MSC, &session.id, "p-2").await;
    let messages = received(&smtp, 1).await;
    assert!(
        messages[0].to.contains("trainee-msc@msc.example"),
        "only Sara is told: {}",
        messages[0].to
    );

    // The same event published again (a retried delivery) sends nothing more.
    let event = npb::PublishRequest {
        event_id: uuid::Uuid::now_v7().to_string(),
        kind: npb::NotificationKind::CompletedFailed as i32,
        occur_time: None,
        event: Some(npb::publish_request::Event::Enrolment(
            npb::EnrolmentEvent {
                enrolment_id: sara.id.clone(),
                session_id: session.id.clone(),
                course_id: course.id.clone(),
                trainee_subject: TRAINEE_MSC.0.to_owned(),
                course_title_fa: "ارتباطات بحران".to_owned(),
                ..Default::default()
            },
        )),
    };
    for _ in 0..3 {
        let published = client
            .publish(stack.request(SERVICE, event.clone()))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(published.notification_count, 1);
    }
    let messages = received(&smtp, 2).await;
    assert_eq!(to(&messages, "trainee-msc@msc.example").len(), 2);

    // Only services publish, and what they publish is checked.
    let denied = client
        .publish(stack.request(TRAINEE_MSC, event.clone()))
        .await
        .unwrap_err();
    assert_eq!(denied.code(), tonic::Code::PermissionDenied);
    let invalid = client
        .publish(stack.request(
            SERVICE,
            npb::PublishRequest {
                event_id: "nope".to_owned(),
                ..Default::default()
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(invalid.code(), tonic::Code::InvalidArgument);
    assert_eq!(violated_fields(&invalid), ["event_id", "kind", "enrolment"]);
    let page = client
        .list_my_notifications(stack.request(
            TRAINEE_MSC,
            npb::ListMyNotificationsRequest {
                page_size: 1000,
                ..Default::default()
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(page.code(), tonic::Code::InvalidArgument);
    let operators_only = client
        .list_deliveries(stack.request(TRAINEE_MSC, npb::ListDeliveriesRequest::default()))
        .await
        .unwrap_err();
    assert_eq!(operators_only.code(), tonic::Code::PermissionDenied);
}

#[tokio::test]
async fn many_events_are_published_in_one_call_each_with_its_own_outcome() {
    let dir = temp_dir("smtp");
    let addr = free_addr();
    let smtp = SmtpServer::start(addr, &dir).await;
    let stack = stack_with_smtp(addr).await;
    let course = published_course(&stack, "NTF-9", |_| {}).await;
    let session = open_session(&stack, &course, |_| {}).await;
    let mut client = notifications(&stack);
    let failed = |trainee: &str, enrolled_by: &str, session_id: &str| npb::PublishRequest {
        event_id: uuid::Uuid::now_v7().to_string(),
        kind: npb::NotificationKind::CompletedFailed as i32,
        occur_time: None,
        event: Some(npb::publish_request::Event::Enrolment(
            npb::EnrolmentEvent {
                enrolment_id: uuid::Uuid::now_v7().to_string(),
                session_id: session_id.to_owned(),
                course_id: course.id.clone(),
                trainee_subject: trainee.to_owned(),
                enrolled_by_subject: enrolled_by.to_owned(),
                course_title_fa: "ارتباطات بحران".to_owned(),
                course_title_en: "Crisis Communication".to_owned(),
                ..Default::default()
            },
        )),
    };
    let sara = failed(TRAINEE_MSC.0, "", &session.id);
    let reza = failed(TRAINEE_MSC_2.0, MANAGER_MSC.0, &session.id);
    let refused = npb::PublishRequest {
        event_id: "nope".to_owned(),
        ..sara.clone()
    };
    // A session deleted since: told without its meetings.
    let gone = failed(TRAINEE_MSC.0, "", &uuid::Uuid::now_v7().to_string());
    let events = vec![
        sara.clone(),
        reza.clone(),
        refused,
        sara.clone(),
        gone.clone(),
    ];
    let outcomes = client
        .publish_events(stack.request(SERVICE, npb::PublishEventsRequest { events }))
        .await
        .unwrap()
        .into_inner()
        .outcomes;
    let seen: Vec<(&str, u32, &str)> = outcomes
        .iter()
        .map(|o| {
            (
                o.event_id.as_str(),
                o.notification_count,
                o.error_code.as_str(),
            )
        })
        .collect();
    assert_eq!(
        seen,
        [
            (sara.event_id.as_str(), 1, ""),
            (reza.event_id.as_str(), 2, ""),
            ("nope", 0, "INVALID_ARGUMENT"),
            (sara.event_id.as_str(), 1, ""),
            (gone.event_id.as_str(), 1, ""),
        ]
    );
    assert!(
        outcomes[2].error_message.contains("event_id"),
        "{}",
        outcomes[2].error_message
    );

    // Sara twice (the repeated event once), Reza and his manager once:
    // named as the directory has them.
    let messages = received(&smtp, 4).await;
    assert_eq!(to(&messages, &address(TRAINEE_MSC)).len(), 2);
    let reza_mail = to(&messages, &address(TRAINEE_MSC_2));
    assert_eq!(reza_mail.len(), 1);
    assert!(
        reza_mail[0].plain.contains("Dear Reza Karimi"),
        "{}",
        reza_mail[0].plain
    );
    let manager_mail = to(&messages, &address(MANAGER_MSC));
    assert_eq!(manager_mail.len(), 1);
    assert!(
        manager_mail[0].plain.contains("مریم مدیری"),
        "{}",
        manager_mail[0].plain
    );

    // Published again, the same events make nothing new.
    let again = client
        .publish_events(stack.request(
            SERVICE,
            npb::PublishEventsRequest {
                events: vec![sara, reza],
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .outcomes;
    let counts: Vec<u32> = again.iter().map(|o| o.notification_count).collect();
    assert_eq!(counts, [1, 2]);
    received(&smtp, 4).await;

    // One to a hundred events, from services only.
    for events in [Vec::new(), vec![gone.clone(); 101]] {
        let refused = client
            .publish_events(stack.request(SERVICE, npb::PublishEventsRequest { events }))
            .await
            .unwrap_err();
        assert_eq!(refused.code(), tonic::Code::InvalidArgument);
        assert_eq!(violated_fields(&refused), ["events"]);
    }
    let denied = client
        .publish_events(stack.request(
            TRAINEE_MSC,
            npb::PublishEventsRequest { events: vec![gone] },
        ))
        .await
        .unwrap_err();
    assert_eq!(denied.code(), tonic::Code::PermissionDenied);
}

#[tokio::test]
async fn with_the_mail_server_down_nothing_is_lost_and_nothing_sent_twice() {
    let dir = temp_dir("smtp");
    // Nothing listens here yet.
    let addr = free_addr();
    let stack = stack_with_smtp(addr).await;
    let course = published_course(&stack, "NTF-3", |_| {}).await;
    let session = open_session(&stack, &course, |_| {}).await;
    enrolled(&stack, TRAINEE_MSC, &session.id, "d-1").await;
    enrolled(&stack, TRAINEE_MSC_2, &session.id, "d-2").await;

    // The attempts fail and are kept, with the error, for operators.
    let mut client = notifications(&stack);
    eventually(Duration::from_secs(30), || {
        let mut client = client.clone();
        let request = stack.request(ADMIN, npb::ListDeliveriesRequest::default());
        async move {
            let listed = client.list_deliveries(request).await.unwrap().into_inner();
            listed.pending_count == 2
                && listed
                    .deliveries
                    .iter()
                    .all(|d| d.attempts >= 2 && !d.last_error.is_empty())
        }
    })
    .await;

    // The server comes up: each email arrives, once.
    let smtp = SmtpServer::start(addr, &dir).await;
    let messages = received(&smtp, 2).await;
    let by_recipient = by_recipient(&messages);
    assert_eq!(by_recipient.len(), 2, "{by_recipient:?}");
    let listed = client
        .list_deliveries(stack.request(ADMIN, npb::ListDeliveriesRequest::default()))
        .await
        .unwrap()
        .into_inner();
    assert_eq!((listed.sent_count, listed.pending_count), (2, 0));
}

#[tokio::test]
async fn with_courses_down_the_notices_wait_and_none_is_lost() {
    let dir = temp_dir("smtp");
    let addr = free_addr();
    let smtp = SmtpServer::start(addr, &dir).await;
    let mut stack = stack_with_smtp(addr).await;
    let course = published_course(&stack, "NTF-6", |_| {}).await;
    let session = open_session(&stack, &course, |_| {}).await;

    // Two enrolments whose notices wait in enrolments' outbox, then courses
    // (the directory and the sessions' plans) goes down and notifications
    // comes up: each attempt at the notices fails and is kept for later.
    stack.stop(Svc::Notifications).await;
    enrolled(&stack, TRAINEE_MSC, &session.id, "c-1").await;
    enrolled(&stack, TRAINEE_MSC_2, &session.id, "c-2").await;
    stack.stop(Svc::Courses).await;
    let outbox = hamafza_kit::db::connect(&stack.database(Svc::Enrolments).url)
        .await
        .unwrap();
    let attempts = async || -> Vec<(i32, String)> {
        use sea_orm::{ConnectionTrait as _, Statement};
        let rows = outbox
            .query_all_raw(Statement::from_string(
                outbox.get_database_backend(),
                "SELECT attempts, last_error FROM notify_outbox \
                 WHERE delivered_at IS NULL AND parked_at IS NULL ORDER BY id",
            ))
            .await
            .unwrap();
        rows.iter()
            .map(|row| {
                let attempts: i32 = row.try_get("", "attempts").unwrap();
                let error: String = row.try_get("", "last_error").unwrap();
                (attempts, error)
            })
            .collect()
    };
    stack.start(Svc::Notifications).await;
    let before = attempts().await;
    assert_eq!(before.len(), 2, "both notices wait: {before:?}");
    eventually(Duration::from_secs(60), || async {
        let now = attempts().await;
        now.len() == 2
            && now.iter().zip(&before).all(|((n, error), (b, _))| {
                // Tried at least twice since notifications listens: a row's
                // attempts count up when it is claimed, so these attempts
                // reached notifications, which answered that it could not
                // read courses (an outcome of UNAVAILABLE; had it recorded
                // the event, or answered otherwise, this never holds).
                *n >= b + 2 && error.starts_with("UNAVAILABLE: courses could not be reached: ")
            })
    })
    .await;
    assert_eq!(smtp.count(), 0);
    let deliveries = notifications(&stack)
        .list_deliveries(stack.request(ADMIN, npb::ListDeliveriesRequest::default()))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        (deliveries.sent_count, deliveries.pending_count),
        (0, 0),
        "nothing was recorded half-way"
    );

    // Courses is back: each notice is mailed, once.
    stack.start(Svc::Courses).await;
    let messages = received(&smtp, 2).await;
    let by_recipient = by_recipient(&messages);
    assert_eq!(by_recipient.len(), 2, "{by_recipient:?}");
    eventually(Duration::from_secs(30), || async {
        attempts().await.is_empty()
    })
    .await;
}

#[tokio::test]
async fn an_email_that_keeps_failing_is_parked_with_its_error() {
    let addr = free_addr();
    // No relay, and no patience for one: parked after two attempts.
    let stack = mail_stack_retrying(addr, 2, 0, &[]).await;
    let course = published_course(&stack, "NTF-4", |_| {}).await;
    let session = open_session(&stack, &course, |_| {}).await;
    enrolled(&stack, TRAINEE_MSC, &session.id, "k-1").await;
    let mut client = notifications(&stack);
    eventually(Duration::from_secs(30), || {
        let mut client = client.clone();
        let request = stack.request(ADMIN, npb::ListDeliveriesRequest::default());
        async move {
            client
                .list_deliveries(request)
                .await
                .unwrap()
                .into_inner()
                .parked_count
                == 1
        }
    })
    .await;
    let parked = client
        .list_deliveries(stack.request(
            ADMIN,
            npb::ListDeliveriesRequest {
                states: vec![npb::DeliveryState::Parked as i32],
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(parked.deliveries.len(), 1);
    assert_eq!(parked.deliveries[0].attempts, 2);
    assert!(!parked.deliveries[0].last_error.is_empty());
}

/// The one delivery there is, as the admin lists it.
async fn only_delivery(stack: &hamafza_testkit::TestStack) -> Option<npb::Delivery> {
    let reply = notifications(stack)
        .list_deliveries(stack.request(ADMIN, npb::ListDeliveriesRequest::default()))
        .await
        .unwrap()
        .into_inner();
    reply.deliveries.into_iter().next()
}

#[tokio::test]
async fn a_relay_down_for_longer_than_the_attempts_loses_no_email() {
    let dir = temp_dir("smtp");
    let addr = free_addr();
    // Two attempts before parking, but a relay that is down is waited for.
    let stack = mail_stack(addr, 2, &[]).await;
    let course = published_course(&stack, "NTF-5", |_| {}).await;
    let session = open_session(&stack, &course, |_| {}).await;
    enrolled(&stack, TRAINEE_MSC, &session.id, "o-1").await;
    eventually(Duration::from_secs(30), || async {
        only_delivery(&stack).await.is_some_and(|d| d.attempts >= 4)
    })
    .await;
    let waiting = only_delivery(&stack).await.unwrap();
    assert_eq!(waiting.state(), npb::DeliveryState::Pending, "{waiting:?}");
    assert!(!waiting.last_error.is_empty());
    // The relay comes back: the email goes.
    let smtp = SmtpServer::start(addr, &dir).await;
    let messages = received(&smtp, 1).await;
    assert_eq!(to(&messages, &address(TRAINEE_MSC)).len(), 1);
}

#[tokio::test]
async fn a_relay_that_never_answers_holds_an_email_for_twenty_seconds_not_forever() {
    // A relay that takes the connection and never says a word.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = silent.local_addr().unwrap();
    let held = std::thread::spawn(move || {
        let mut connections = Vec::new();
        for connection in silent.incoming().take(3) {
            connections.push(connection);
        }
        std::thread::sleep(Duration::from_secs(120));
    });
    let stack = mail_stack(addr, 10, &[]).await;
    let course = published_course(&stack, "NTF-6", |_| {}).await;
    let session = open_session(&stack, &course, |_| {}).await;
    enrolled(&stack, TRAINEE_MSC, &session.id, "s-1").await;
    eventually(Duration::from_secs(60), || async {
        only_delivery(&stack)
            .await
            .is_some_and(|d| d.last_error.contains("did not answer"))
    })
    .await;
    let waiting = only_delivery(&stack).await.unwrap();
    assert_eq!(
        waiting.state(),
        npb::DeliveryState::Pending,
        "retried later"
    );
    drop(held);
}

#[tokio::test]
async fn two_replicas_of_each_send_every_email_once() {
    let dir = temp_dir("smtp");
    let addr = free_addr();
    let smtp = SmtpServer::start(addr, &dir).await;
    let mut stack = stack_with_smtp(addr).await;
    stack.replica(Svc::Enrolments).await;
    stack.replica(Svc::Notifications).await;
    let course = published_course(&stack, "NTF-5", |_| {}).await;
    let sessions = [
        open_session(&stack, &course, |_| {}).await,
        open_session(&stack, &course, |_| {}).await,
        open_session(&stack, &course, |_| {}).await,
    ];
    for (i, session) in sessions.iter().enumerate() {
        enrolled(&stack, TRAINEE_MSC, &session.id, &format!("r-a-{i}")).await;
        enrolled(&stack, TRAINEE_MSC_2, &session.id, &format!("r-b-{i}")).await;
    }
    let messages = received(&smtp, 6).await;
    let ids: std::collections::BTreeSet<_> =
        messages.iter().map(|m| m.message_id.clone()).collect();
    assert_eq!(ids.len(), 6, "each email once");
}

/// How many of `messages` went to each recipient.
fn by_recipient(messages: &[common::Received]) -> BTreeMap<String, usize> {
    let mut counted = BTreeMap::new();
    for message in messages {
        *counted.entry(message.to.clone()).or_default() += 1;
    }
    counted
}
