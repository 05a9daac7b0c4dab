//! Certificates about to expire: at 60 days and again at 14, the trainee
//! and the PR managers of their company hear of it with a link to the
//! course's sessions open for enrolment; through a real SMTP server, once
//! each although two notifications replicas run the scheduled job every
//! second.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use hamafza_proto::certification as cert;
use hamafza_proto::certification::certification_service_client::CertificationServiceClient;
use hamafza_proto::common::Actor;
use hamafza_proto::notifications as npb;
use hamafza_testkit::fixtures::{open_session, published_course};
use hamafza_testkit::people::{
    ADMIN, COUNCIL_A, MANAGER_KSC, MANAGER_MSC, TRAINEE_MSC, TRAINEE_MSC_2, Who,
};
use hamafza_testkit::{Svc, TestStack, free_addr, temp_dir, timestamp};

use common::{SmtpServer, address, inbox, mail_stack, mute, received, to};

const DAY_HOURS: i64 = 24;

/// A certificate of `course` for `who`, valid 12 months from a completion
/// `completed_days_ago` days ago.
async fn certificate(
    stack: &TestStack,
    who: Who,
    course_id: &str,
    completed_days_ago: i64,
) -> cert::Certificate {
    CertificationServiceClient::new(stack.channel(Svc::Certification))
        .issue_manual_certificate(stack.request(
            ADMIN,
            cert::IssueManualCertificateRequest {
                request_id: format!("{}-{completed_days_ago}", who.0),
                trainee: Some(Actor {
                    subject: who.0.to_owned(),
                    name: String::new(),
                    organization_id: who.1.to_owned(),
                }),
                kind: cert::CertificateKind::Course.into(),
                course_id: course_id.to_owned(),
                completion_time: Some(timestamp(-DAY_HOURS * completed_days_ago)),
                validity_months: Some(12),
                reason: "دوره پیش از راه‌اندازی سامانه گذرانده شده است".to_owned(),
                ..Default::default()
            },
        ))
        .await
        .expect("the admin issues the certificate")
        .into_inner()
        .certificate
        .unwrap()
}

#[tokio::test]
async fn expiring_certificates_are_told_once_at_each_threshold_by_two_replicas() {
    let dir = temp_dir("smtp");
    let addr = free_addr();
    let smtp = SmtpServer::start(addr, &dir).await;
    let mut stack = mail_stack(addr, 1000, &[Svc::Certification]).await;
    stack.replica(Svc::Notifications).await;
    let course = published_course(&stack, "NTF-9", |_| {}).await;
    // A session open for enrolment: the way to recertify.
    open_session(&stack, &course, |_| {}).await;

    // Sara's expires in about 40 days (the 60-day notice), Reza's in about
    // 10 (only the 14-day notice).
    let sara = certificate(&stack, TRAINEE_MSC, &course.id, 325).await;
    certificate(&stack, TRAINEE_MSC_2, &course.id, 355).await;

    // Each trainee, and Mobarakeh's two PR managers (Maryam, and Mahdi who
    // also sits on the council) for each: six emails, and several rounds of
    // both replicas send nothing more.
    let messages = received(&smtp, 6).await;
    tokio::time::sleep(std::time::Duration::from_secs(3)).await;
    assert_eq!(smtp.count(), 6, "no notice twice");
    let sara_mail = to(&messages, &address(TRAINEE_MSC));
    assert_eq!(sara_mail.len(), 1, "one notice for Sara");
    let plain = &sara_mail[0].plain;
    assert!(
        sara_mail[0]
            .subject
            .starts_with("اعتبار گواهی‌نامهٔ «ارتباطات بحران» رو به پایان است"),
        "{}",
        sara_mail[0].subject
    );
    assert!(
        plain.contains("اعتبار گواهی‌نامهٔ شما برای دورهٔ «ارتباطات بحران»"),
        "{plain}"
    );
    let valid_until = sara.valid_until.unwrap().seconds;
    let days = (valid_until - timestamp(0).seconds + 86_399) / 86_400;
    assert!((39..=42).contains(&days), "{days}");
    assert!(
        plain.contains(&format!("(in {days} days)")),
        "English follows with the days left: {plain}"
    );
    assert!(
        plain.contains(&format!("/courses/{}", course.id)),
        "a link to the course's sessions: {plain}"
    );
    assert!(plain.contains("نوبت‌های باز این دوره"), "{plain}");
    assert!(sara_mail[0].calendar.is_none(), "no invitation");

    let reza_mail = to(&messages, &address(TRAINEE_MSC_2));
    assert_eq!(reza_mail.len(), 1, "only the 14-day notice for Reza");
    assert!(
        reza_mail[0]
            .plain
            .contains("Your certificate for “Crisis Communication” expires on"),
        "{}",
        reza_mail[0].plain
    );
    let manager_mail = to(&messages, &address(MANAGER_MSC));
    assert_eq!(manager_mail.len(), 2, "the PR manager hears of both");
    assert!(
        manager_mail
            .iter()
            .any(|m| m.plain.contains("اعتبار گواهی‌نامهٔ سارا احمدی")),
        "{:?}",
        manager_mail.iter().map(|m| &m.plain).collect::<Vec<_>>()
    );
    assert_eq!(to(&messages, &address(COUNCIL_A)).len(), 2);
    assert!(
        to(&messages, &address(MANAGER_KSC)).is_empty(),
        "another company's manager hears nothing"
    );

    // In Sara's inbox too, leading to the course page; and it can be
    // turned off.
    let inbox = inbox(&stack, TRAINEE_MSC, Default::default()).await;
    let notice = inbox
        .notifications
        .iter()
        .find(|n| n.kind() == npb::NotificationKind::CertificateExpiring)
        .expect("the notice is in the inbox");
    assert_eq!(notice.link, format!("/courses/{}", course.id));
    mute(
        &stack,
        TRAINEE_MSC,
        &[npb::NotificationKind::CertificateExpiring as i32],
    )
    .await
    .expect("expiry notices are not legally needed");
}
