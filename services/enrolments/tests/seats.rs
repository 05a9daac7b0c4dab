//! Seats never oversubscribe, and one request id has one effect, under real
//! concurrency from many connections.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::HashSet;

use common::*;
use hamafza_kit::auth::Role;
use hamafza_proto::enrolments as pb;
use hamafza_proto::enrolments::enrolment_service_client::EnrolmentServiceClient;
use tonic::transport::Channel;

/// 500 distinct trainees enrol at once into 50 seats over `channels`.
async fn burst(
    stack: &Stack,
    session_id: &str,
    channels: &[Channel],
) -> Vec<Result<pb::Enrolment, tonic::Status>> {
    let mut tasks = Vec::new();
    for i in 0..500 {
        let token = stack.issuer.token(
            &format!("burst-{i:03}"),
            if i % 2 == 0 { "msc" } else { "ksc" },
            &[Role::Trainee],
        );
        let mut client = EnrolmentServiceClient::new(channels[i % channels.len()].clone());
        let request = with_token(
            &token,
            fixtures::self_enrolment(session_id, &format!("burst-{i}")),
        );
        tasks.push(tokio::spawn(async move {
            client
                .enrol(request)
                .await
                .map(|r| r.into_inner().enrolment.unwrap())
        }));
    }
    let mut results = Vec::new();
    for task in tasks {
        results.push(task.await.unwrap());
    }
    results
}

async fn check_burst(
    stack: &Stack,
    session_id: &str,
    results: Vec<Result<pb::Enrolment, tonic::Status>>,
) {
    let errors: Vec<_> = results.iter().filter_map(|r| r.as_ref().err()).collect();
    assert!(
        errors.is_empty(),
        "{} errors, first: {:?}",
        errors.len(),
        errors.first()
    );
    let confirmed = results
        .iter()
        .filter(|r| r.as_ref().unwrap().status() == pb::EnrolmentStatus::Confirmed)
        .count();
    let waitlisted = results
        .iter()
        .filter(|r| r.as_ref().unwrap().status() == pb::EnrolmentStatus::Waitlisted)
        .count();
    assert_eq!((confirmed, waitlisted), (50, 450));
    let stored = enrolments_in(stack, session_id).await;
    let stored_confirmed = stored
        .iter()
        .filter(|e| e.status() == pb::EnrolmentStatus::Confirmed)
        .count();
    assert_eq!(stored.len(), 500);
    assert_eq!(stored_confirmed, 50);
    let seats = seats(stack, session_id).await;
    assert_eq!(
        (
            seats.confirmed_count,
            seats.seats_left,
            seats.waitlisted_count
        ),
        (50, 0, 450),
        "the seat counter equals the confirmed rows"
    );
    // The waitlist is numbered 1..=450 without gaps.
    let positions: HashSet<u32> = stored
        .iter()
        .filter(|e| e.status() == pb::EnrolmentStatus::Waitlisted)
        .map(|e| e.waitlist_position)
        .collect();
    assert_eq!(positions, (1..=450).collect());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn five_hundred_concurrent_enrolments_fill_fifty_seats_exactly() {
    let (stack, session) = Stack::with_session("PR-101", 50, &[]).await;
    let mut channels = vec![stack.enrolments.clone()];
    for _ in 0..7 {
        channels.push(
            tonic::transport::Endpoint::from_shared(format!("http://{}", channel_addr(&stack)))
                .unwrap()
                .connect()
                .await
                .unwrap(),
        );
    }
    let results = burst(&stack, &session.id, &channels).await;
    check_burst(&stack, &session.id, results).await;
}

fn channel_addr(stack: &Stack) -> String {
    // The enrolments server of the stack, reached again over new connections.
    stack.enrolments_addr.clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_replicas_sharing_one_database_never_oversubscribe() {
    let mut stack = Stack::start().await;
    if !stack.database(Svc::Enrolments).is_postgres() {
        // SQLite is one process's embedded database; replicas share PostgreSQL.
        eprintln!("skipped: set HAMAFZA_TEST_DATABASE_URL to run replicas against PostgreSQL");
        return;
    }
    let course = published_course(&stack, "PR-102", |_| {}).await;
    let session = stack.open_session(&course, 50, &[]).await;
    let second = stack.start_enrolments_replica().await;
    let channels = vec![
        stack.enrolments.clone(),
        second.clone(),
        stack.enrolments.clone(),
        second,
    ];
    let results = burst(&stack, &session.id, &channels).await;
    check_burst(&stack, &session.id, results).await;
}

/// The trainee's self-enrolments under one request id, `count` at once, each
/// on its own connection, the `i`-th into `session(i)`: their answers.
async fn at_once<'a>(
    stack: &Stack,
    count: usize,
    session: impl Fn(usize) -> &'a String,
    request_id: &str,
) -> Vec<Result<pb::EnrolResponse, tonic::Status>> {
    let mut tasks = Vec::new();
    for i in 0..count {
        let mut client = stack.client();
        let request = stack.request(
            TRAINEE_MSC,
            fixtures::self_enrolment(session(i), request_id),
        );
        tasks.push(tokio::spawn(async move {
            client.enrol(request).await.map(|r| r.into_inner())
        }));
    }
    let mut answers = Vec::new();
    for task in tasks {
        answers.push(task.await.unwrap());
    }
    answers
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_request_id_sent_fifty_times_enrols_once_with_identical_answers() {
    let stack = Stack::start().await;
    let course = published_course(&stack, "PR-103", |_| {}).await;
    let session = stack.open_session(&course, 10, &[]).await;
    let answers: Vec<_> = at_once(&stack, 50, |_| &session.id, "same-request")
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect();
    assert!(
        answers.windows(2).all(|pair| pair[0] == pair[1]),
        "every answer is the first one"
    );
    assert_eq!(enrolments_in(&stack, &session.id).await.len(), 1);
    assert_eq!(seats(&stack, &session.id).await.confirmed_count, 1);

    // The same id with a different request is refused, and changes nothing.
    let other = stack.open_session(&course, 10, &[]).await;
    let status = enrol_self(&stack, TRAINEE_MSC, &other.id, "same-request")
        .await
        .unwrap_err();
    assert_eq!(status.code(), tonic::Code::FailedPrecondition);
    assert!(enrolments_in(&stack, &other.id).await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_request_id_raced_into_two_sessions_enrols_in_one_only() {
    let stack = Stack::start().await;
    let course = published_course(&stack, "PR-103", |_| {}).await;
    let first = stack.open_session(&course, 10, &[]).await;
    let second = stack.open_session(&course, 10, &[]).await;
    let sessions = [&first.id, &second.id];
    let mut answers = Vec::new();
    for answer in at_once(&stack, 20, |i| sessions[i % 2], "raced-request").await {
        match answer {
            Ok(answer) => answers.push(answer),
            Err(status) => assert_eq!(status.code(), tonic::Code::FailedPrecondition, "{status:?}"),
        }
    }
    // One effect in all: the winner's, answered alike to every request like
    // it, and the request id refused for the other session.
    let enrolled = enrolments_in(&stack, &first.id).await.len()
        + enrolments_in(&stack, &second.id).await.len();
    assert_eq!(enrolled, 1);
    assert!(!answers.is_empty());
    assert!(answers.windows(2).all(|pair| pair[0] == pair[1]));
}

#[tokio::test]
async fn a_retry_after_the_world_moved_on_gets_the_first_answer_and_no_second_effect() {
    let (stack, session) = Stack::with_session("PR-104", 10, &[]).await;
    let first = enrol_self(&stack, TRAINEE_MSC, &session.id, "enrol-once")
        .await
        .unwrap();
    assert_eq!(first.status(), pb::EnrolmentStatus::Confirmed);

    // The trainee cancels; the lost answer's retry does not enrol them again.
    let request = pb::CancelEnrolmentRequest {
        request_id: "cancel-once".to_owned(),
        enrolment_id: first.id.clone(),
        reason: "برنامه کاری".to_owned(),
    };
    stack
        .client()
        .cancel_enrolment(stack.request(TRAINEE_MSC, request))
        .await
        .unwrap();
    let again = enrol_self(&stack, TRAINEE_MSC, &session.id, "enrol-once")
        .await
        .unwrap();
    assert_eq!(again, first);
    let stored = get_enrolment(&stack, TRAINEE_MSC, &first.id).await.unwrap();
    assert_eq!(stored.status(), pb::EnrolmentStatus::Cancelled);
    assert_eq!(seats(&stack, &session.id).await.confirmed_count, 0);

    // The session is cancelled in courses: the retry still gets its answer,
    // and a new request is refused.
    cancel_session(&stack, ADMIN, &session.id, "تعویق")
        .await
        .unwrap();
    // Enrolments reads a session's facts anew once they are this old.
    let recent = hamafza_enrolments::courses_client::RECENT_FACTS;
    tokio::time::sleep(recent + std::time::Duration::from_millis(200)).await;
    let refused = enrol_self(&stack, TRAINEE_MSC_2, &session.id, "another-request")
        .await
        .unwrap_err();
    assert_eq!(
        refused.code(),
        tonic::Code::FailedPrecondition,
        "{refused:?}"
    );
    let again = enrol_self(&stack, TRAINEE_MSC, &session.id, "enrol-once")
        .await
        .unwrap();
    assert_eq!(again, first);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn quotas_hold_under_concurrency() {
    // 30 seats; msc may hold at most 8 of them and ksc 22. Quotas cap and
    // reserve nothing: caps that add up to the capacity make the outcome
    // exact whoever comes first.
    let (stack, session) = Stack::with_session("PR-104", 30, &[("msc", 8), ("ksc", 22)]).await;
    let mut tasks = Vec::new();
    for i in 0..120 {
        let org = if i % 2 == 0 { "msc" } else { "ksc" };
        let token = stack
            .issuer
            .token(&format!("q-{i:03}"), org, &[Role::Trainee]);
        let mut client = stack.client();
        let request = with_token(
            &token,
            fixtures::self_enrolment(&session.id, &format!("q-{i}")),
        );
        tasks.push(tokio::spawn(async move {
            client
                .enrol(request)
                .await
                .unwrap()
                .into_inner()
                .enrolment
                .unwrap()
        }));
    }
    let mut confirmed_by_org = std::collections::HashMap::<String, usize>::new();
    for task in tasks {
        let enrolment = task.await.unwrap();
        if enrolment.status() == pb::EnrolmentStatus::Confirmed {
            *confirmed_by_org
                .entry(enrolment.trainee.unwrap().organization_id)
                .or_default() += 1;
        }
    }
    assert_eq!(
        confirmed_by_org.get("msc"),
        Some(&8),
        "{confirmed_by_org:?}"
    );
    assert_eq!(
        confirmed_by_org.get("ksc"),
        Some(&22),
        "{confirmed_by_org:?}"
    );
    let seats = seats(&stack, &session.id).await;
    assert_eq!(seats.confirmed_count, 30);
    for (organization, quota) in [("msc", 8), ("ksc", 22)] {
        let counter = seats
            .quotas
            .iter()
            .find(|q| q.organization_id == organization)
            .unwrap_or_else(|| panic!("a quota row for {organization}"));
        assert_eq!(counter.confirmed_count, quota, "{organization}");
    }
}
