//! Completions become certificates: end to end over real gRPC, exactly once
//! however often a completion is delivered, and all of them after
//! certification was down.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::{Duration, Instant};

use common::*;
use hamafza_proto::certification as pb;
use hamafza_proto::common::Actor;

#[tokio::test]
async fn a_passed_completion_yields_its_certificate_within_two_seconds() {
    let stack = Stack::start(true).await;
    let course = stack.course("PR-401", Some(24)).await;
    let session = stack.session(&course).await;
    let completion = pass(&stack, TRAINEE_MSC, &session, "a").await;
    let started = Instant::now();
    eventually(Duration::from_secs(2), || async {
        !stack.certificates_of(&completion).await.is_empty()
    })
    .await;
    eprintln!(
        "certificate issued {:?} after the completion",
        started.elapsed()
    );
    let certificate = stack.certificates_of(&completion).await.remove(0);
    assert_eq!(certificate.status(), pb::CertificateStatus::Active);
    assert_eq!(certificate.trainee.as_ref().unwrap().subject, TRAINEE_MSC.0);
    assert_eq!(
        certificate.organization_name.as_ref().unwrap().fa,
        "فولاد مبارکه"
    );
    assert_eq!((certificate.hours, certificate.score), (16, Some(88)));
    assert!(certificate.valid_until.is_some());
    assert!(certificate.serial.starts_with("HMZ-"));
    // The trainee sees it; another trainee does not.
    let listed = |who| {
        let mut certificates = stack.certificates();
        let request = stack.request(who, pb::ListCertificatesRequest::default());
        async move {
            let reply = certificates.list_certificates(request).await;
            reply.unwrap().into_inner().certificates
        }
    };
    assert_eq!(listed(TRAINEE_MSC).await.len(), 1);
    assert!(listed(TRAINEE_KSC).await.is_empty());
    let status = stack
        .certificates()
        .get_certificate(stack.request(
            MANAGER_KSC,
            pb::GetCertificateRequest {
                certificate_id: certificate.id.clone(),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(status.code(), tonic::Code::PermissionDenied);
    eventually(Duration::from_secs(5), || async {
        stack.pending_deliveries().await == 0
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_same_completion_delivered_twenty_times_is_one_certificate() {
    let stack = Stack::start(true).await;
    let course = stack.course("PR-402", None).await;
    let request = pb::IssueCertificateRequest {
        completion_id: "0193a3a0-0000-7000-8000-00000000abcd".to_owned(),
        trainee: Some(Actor {
            subject: TRAINEE_KSC.0.to_owned(),
            name: "علی رضایی".to_owned(),
            organization_id: "ksc".to_owned(),
        }),
        course_id: course.id.clone(),
        session_id: String::new(),
        score: 75,
        hours: 16,
        completion_time: Some(timestamp(-1)),
        course_title: Some(text("ارتباطات بحران", "Crisis Communication")),
        validity_months: None,
    };
    let mut tasks = Vec::new();
    for _ in 0..20 {
        let mut client = stack.certificates();
        let request = stack.request(SERVICE, request.clone());
        tasks.push(tokio::spawn(async move {
            client
                .issue_certificate(request)
                .await
                .unwrap()
                .into_inner()
        }));
    }
    let mut responses = Vec::new();
    for task in tasks {
        responses.push(task.await.unwrap());
    }
    assert_eq!(responses.iter().filter(|r| r.newly_issued).count(), 1);
    let ids: std::collections::HashSet<_> = responses
        .iter()
        .map(|r| r.certificate.as_ref().unwrap().id.clone())
        .collect();
    assert_eq!(ids.len(), 1);
    assert_eq!(stack.certificates_of(&request.completion_id).await.len(), 1);

    // The same completion for someone else is refused; only services may issue.
    let mut other = request.clone();
    other.trainee.as_mut().unwrap().subject = "someone-else".to_owned();
    let refused = [
        (SERVICE, other, tonic::Code::FailedPrecondition),
        (ADMIN, request, tonic::Code::PermissionDenied),
    ];
    for (who, request, code) in refused {
        let status = stack
            .certificates()
            .issue_certificate(stack.request(who, request))
            .await
            .unwrap_err();
        assert_eq!(status.code(), code, "{}", who.0);
    }
}

#[tokio::test]
async fn completions_made_while_certification_is_down_are_all_certified_once() {
    let mut stack = Stack::start(false).await;
    let course = stack.course("PR-403", Some(12)).await;
    let session = stack.session(&course).await;
    let first = pass(&stack, TRAINEE_MSC, &session, "a").await;
    let second = pass(&stack, TRAINEE_KSC, &session, "b").await;
    // Certification is unreachable: both wait in the outbox, retried with backoff.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(stack.pending_deliveries().await, 2);
    stack.start_certification("key-1.pem").await;
    eventually(Duration::from_secs(10), || async {
        stack.pending_deliveries().await == 0
    })
    .await;
    assert_eq!(stack.certificates_of(&first).await.len(), 1);
    assert_eq!(stack.certificates_of(&second).await.len(), 1);

    // A crash after issuing but before the outbox heard back redelivers; the
    // redelivery has no second effect. (Simulated by delivering again.)
    let again = pb::IssueCertificateRequest {
        completion_id: first.clone(),
        trainee: Some(Actor {
            subject: TRAINEE_MSC.0.to_owned(),
            name: String::new(),
            organization_id: "msc".to_owned(),
        }),
        course_id: course.id.clone(),
        session_id: session.id.clone(),
        score: 88,
        hours: 16,
        completion_time: Some(timestamp(0)),
        course_title: Some(text("ارتباطات بحران", "Crisis Communication")),
        validity_months: Some(12),
    };
    // An empty trainee name is accepted (tokens may carry none); the
    // redelivery is a no-op.
    let response = stack
        .certificates()
        .issue_certificate(stack.request(SERVICE, again))
        .await
        .unwrap()
        .into_inner();
    assert!(!response.newly_issued);
    assert_eq!(stack.certificates_of(&first).await.len(), 1);
}

#[tokio::test]
async fn completing_every_required_course_earns_the_program_certificate() {
    let stack = Stack::start(true).await;
    let first = stack.course("PR-404", None).await;
    let second = stack.course("PR-405", Some(24)).await;
    let program = fixtures::published_program(&stack, "PRP-1", &[&first, &second]).await;
    let first_session = stack.session(&first).await;
    let second_session = stack.session(&second).await;
    let a = pass(&stack, TRAINEE_MSC, &first_session, "a").await;
    eventually(Duration::from_secs(5), || async {
        !stack.certificates_of(&a).await.is_empty()
    })
    .await;
    let program_certificates = || async {
        stack
            .certificates()
            .list_certificates(stack.request(
                TRAINEE_MSC,
                pb::ListCertificatesRequest {
                    program_id: program.id.clone(),
                    ..Default::default()
                },
            ))
            .await
            .unwrap()
            .into_inner()
            .certificates
    };
    assert!(
        program_certificates().await.is_empty(),
        "one required course is not the program"
    );
    pass(&stack, TRAINEE_MSC, &second_session, "b").await;
    eventually(Duration::from_secs(5), || async {
        program_certificates().await.len() == 1
    })
    .await;
    let certificate = program_certificates().await.remove(0);
    assert_eq!(certificate.kind(), pb::CertificateKind::Program);
    assert_eq!(certificate.hours, 32);
    assert_eq!(certificate.basis_certificate_ids.len(), 2);

    // Revoked, then earned again on a new course certificate: a new program
    // certificate (the first one's completion no longer blocks it).
    stack
        .certificates()
        .revoke_certificate(stack.request(
            ADMIN,
            pb::RevokeCertificateRequest {
                request_id: "r-1".to_owned(),
                certificate_id: certificate.id.clone(),
                reason: "صادرشده به اشتباه".to_owned(),
            },
        ))
        .await
        .unwrap();
    let again = stack.session(&second).await;
    pass(&stack, TRAINEE_MSC, &again, "c").await;
    eventually(Duration::from_secs(5), || async {
        program_certificates().await.len() == 2
    })
    .await;
    let standing: Vec<_> = program_certificates()
        .await
        .into_iter()
        .filter(|c| c.status() == pb::CertificateStatus::Active)
        .collect();
    assert_eq!(standing.len(), 1, "one standing program certificate");
    assert_ne!(standing[0].id, certificate.id);

    // Someone holding a program certificate issued by hand gets no second
    // one when their courses complete the program.
    stack
        .certificates()
        .issue_manual_certificate(stack.request(
            ADMIN,
            pb::IssueManualCertificateRequest {
                request_id: "m-1".to_owned(),
                trainee: Some(Actor {
                    subject: TRAINEE_KSC.0.to_owned(),
                    name: "نازنین عباسی".to_owned(),
                    organization_id: TRAINEE_KSC.1.to_owned(),
                }),
                kind: pb::CertificateKind::Program.into(),
                program_id: program.id.clone(),
                completion_time: Some(hamafza_testkit::timestamp(-24 * 30)),
                hours: Some(32),
                reason: "گذرانده پیش از سامانه".to_owned(),
                ..Default::default()
            },
        ))
        .await
        .unwrap();
    let b = pass(&stack, TRAINEE_KSC, &first_session, "d").await;
    let c = pass(&stack, TRAINEE_KSC, &second_session, "e").await;
    eventually(Duration::from_secs(5), || async {
        !stack.certificates_of(&b).await.is_empty() && !stack.certificates_of(&c).await.is_empty()
    })
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let theirs = stack
        .certificates()
        .list_certificates(stack.request(
            ADMIN,
            pb::ListCertificatesRequest {
                program_id: program.id.clone(),
                trainee_subject: TRAINEE_KSC.0.to_owned(),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .certificates;
    assert_eq!(theirs.len(), 1, "the one issued by hand, no second");
}
