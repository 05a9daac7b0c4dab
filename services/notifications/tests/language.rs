//! A person's language, kept by notifications: chosen with
//! UpdateMyPreferences, read back with GetMyPreferences, and used for
//! their emails (English first for an English reader, Persian with its
//! English part otherwise) and, by default, their inbox; through a real
//! SMTP server.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use hamafza_proto::enrolments as epb;
use hamafza_proto::notifications as npb;
use hamafza_testkit::fixtures::{enrolled, open_session, published_course};
use hamafza_testkit::people::{TRAINEE_MSC, TRAINEE_MSC_2};
use hamafza_testkit::{free_addr, temp_dir, violated_fields};

use common::{SmtpServer, address, mute, notifications, received, stack_with_smtp, to};

#[tokio::test]
async fn an_english_reader_gets_english_first_and_the_choice_is_kept() {
    let dir = temp_dir("smtp");
    let addr = free_addr();
    let smtp = SmtpServer::start(addr, &dir).await;
    let stack = stack_with_smtp(addr).await;
    let client = notifications(&stack);

    // No language chosen yet (Persian then).
    let preferences = client
        .clone()
        .get_my_preferences(stack.request(TRAINEE_MSC, npb::GetMyPreferencesRequest {}))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(preferences.language, "");

    // A language that is neither is refused, naming the field; nothing
    // changes.
    let refused = client
        .clone()
        .update_my_preferences(stack.request(
            TRAINEE_MSC,
            npb::UpdateMyPreferencesRequest {
                language: "de".to_owned(),
                only_language: true,
                ..Default::default()
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), tonic::Code::InvalidArgument);
    assert_eq!(violated_fields(&refused), ["language"]);

    // Sara turns reminders off, then switches to English alone: the muted
    // kinds stay.
    mute(
        &stack,
        TRAINEE_MSC,
        &[npb::NotificationKind::SessionReminder as i32],
    )
    .await
    .unwrap();
    let switched = client
        .clone()
        .update_my_preferences(stack.request(
            TRAINEE_MSC,
            npb::UpdateMyPreferencesRequest {
                language: "en".to_owned(),
                only_language: true,
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(switched.language, "en");
    assert_eq!(
        switched.muted_kinds,
        [npb::NotificationKind::SessionReminder as i32]
    );
    let preferences = client
        .clone()
        .get_my_preferences(stack.request(TRAINEE_MSC, npb::GetMyPreferencesRequest {}))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(preferences.language, "en");
    assert_eq!(
        preferences.muted_kinds,
        [npb::NotificationKind::SessionReminder as i32]
    );

    // Sara (English) and Reza (Persian) enrol.
    let course = published_course(&stack, "NTF-11", |_| {}).await;
    let session = open_session(&stack, &course, |_| {}).await;
    let sara = enrolled(&stack, TRAINEE_MSC, &session.id, "l-1").await;
    assert_eq!(sara.status(), epb::EnrolmentStatus::Confirmed);
    enrolled(&stack, TRAINEE_MSC_2, &session.id, "l-2").await;
    let messages = received(&smtp, 2).await;

    let english = &to(&messages, &address(TRAINEE_MSC))[0];
    assert!(
        english
            .subject
            .starts_with("Enrolment in “Crisis Communication” confirmed | "),
        "{}",
        english.subject
    );
    assert!(
        english.plain.starts_with("Dear Sara Ahmadi,"),
        "{}",
        english.plain
    );
    let persian_at = english
        .plain
        .find("سارا احمدی عزیز")
        .expect("Persian after");
    assert!(persian_at > english.plain.find("Open in Hamafza").unwrap());
    assert!(english.calendar.is_some(), "the invitation goes as before");

    let persian = &to(&messages, &address(TRAINEE_MSC_2))[0];
    assert!(
        persian
            .subject
            .starts_with("ثبت‌نام در «ارتباطات بحران» قطعی شد | "),
        "{}",
        persian.subject
    );
    assert!(
        persian.plain.starts_with("رضا کریمی عزیز، سلام."),
        "{}",
        persian.plain
    );

    // The inbox speaks Sara's language unless asked for another.
    let inbox = |who, language: &str| {
        let request = npb::ListMyNotificationsRequest {
            language: language.to_owned(),
            ..Default::default()
        };
        let mut client = client.clone();
        let request = stack.request(who, request);
        async move {
            client
                .list_my_notifications(request)
                .await
                .unwrap()
                .into_inner()
                .notifications
        }
    };
    assert_eq!(
        inbox(TRAINEE_MSC, "").await[0].title,
        "Enrolment in “Crisis Communication” confirmed"
    );
    assert_eq!(
        inbox(TRAINEE_MSC, "fa").await[0].title,
        "ثبت‌نام در «ارتباطات بحران» قطعی شد"
    );
    assert_eq!(
        inbox(TRAINEE_MSC_2, "").await[0].title,
        "ثبت‌نام در «ارتباطات بحران» قطعی شد"
    );
}
