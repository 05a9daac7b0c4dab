//! Calls cut off by their callers and bursts that outrun the server: a call
//! whose caller hangs up or whose deadline passes mid-transaction never
//! leaves a transaction open on a pooled connection nor a seat counter out of
//! step with the rows, and 640 callers into 50 seats with two quotas each get
//! a definite answer (never CANCELLED or DEADLINE_EXCEEDED from the server).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::HashMap;
use std::time::Duration;

use common::*;
use hamafza_kit::auth::Role;
use hamafza_proto::enrolments as pb;
use hamafza_proto::enrolments::enrolment_service_client::EnrolmentServiceClient;
use sea_orm::{ConnectionTrait, Statement};
use tonic::transport::Channel;

/// Enrols `subject` of `organization` with `request_id` until the answer is
/// definite: RESOURCE_EXHAUSTED and UNAVAILABLE say nothing was done and are
/// retried with the same request id; anything else is returned.
async fn enrol_until_answered(
    mut client: EnrolmentServiceClient<Channel>,
    token: String,
    session_id: String,
    request_id: String,
) -> Result<pb::Enrolment, tonic::Status> {
    let mut pause = Duration::from_millis(20);
    for _ in 0..200 {
        let request = with_token(&token, fixtures::self_enrolment(&session_id, &request_id));
        match client.enrol(request).await {
            Ok(answer) => return Ok(answer.into_inner().enrolment.unwrap()),
            Err(status)
                if matches!(
                    status.code(),
                    tonic::Code::ResourceExhausted | tonic::Code::Unavailable
                ) =>
            {
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(Duration::from_millis(500));
            }
            Err(status) => return Err(status),
        }
    }
    panic!("{request_id}: no definite answer after 200 tries");
}

/// A new connection to the stack's enrolments server: a flood of reset
/// streams makes HTTP/2 close the connection that carried them (a client
/// matter, not the server's answer), so each round of cut-off calls and the
/// asking again have connections of their own.
async fn fresh_client(stack: &Stack) -> EnrolmentServiceClient<Channel> {
    let channel =
        tonic::transport::Endpoint::from_shared(format!("http://{}", stack.enrolments_addr))
            .unwrap()
            .connect()
            .await
            .unwrap();
    EnrolmentServiceClient::new(channel)
}

/// The confirmed rows per organization and in all, from the listing.
async fn confirmed_rows(stack: &Stack, session_id: &str) -> (usize, HashMap<String, usize>) {
    let mut by_org = HashMap::<String, usize>::new();
    let mut total = 0;
    for enrolment in enrolments_in(stack, session_id).await {
        if enrolment.status() == pb::EnrolmentStatus::Confirmed {
            total += 1;
            *by_org
                .entry(enrolment.trainee.unwrap().organization_id)
                .or_default() += 1;
        }
    }
    (total, by_org)
}

/// The enrolments database's connections (other than the asker's) that sit
/// in an open transaction doing nothing: on a quiet service, a transaction
/// left behind by a cancelled call.
async fn idle_in_transaction(stack: &Stack) -> Option<i64> {
    let database = stack.database(Svc::Enrolments);
    if !database.is_postgres() {
        return None;
    }
    let db = hamafza_kit::db::connect(&database.url).await.unwrap();
    let row = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            "select count(*) as n from pg_stat_activity \
             where datname = current_database() and pid <> pg_backend_pid() \
             and state like 'idle in transaction%'",
        ))
        .await
        .unwrap()
        .unwrap();
    Some(row.try_get::<i64>("", "n").unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn calls_cut_off_mid_transaction_leave_no_transaction_open() {
    // Quotas cap and reserve nothing; with caps that add up to the capacity
    // and more callers than seats in each company, every cap fills exactly.
    let (stack, session) = Stack::with_session("PR-105", 20, &[("msc", 6), ("ksc", 14)]).await;
    let callers: Vec<(String, String)> = (0..120)
        .map(|i| {
            let org = if i % 3 == 0 { "msc" } else { "ksc" };
            let token = stack
                .issuer
                .token(&format!("cut-{i:03}"), org, &[Role::Trainee]);
            (format!("cut-{i}"), token)
        })
        .collect();
    // Three rounds: each call is cut off after 1-12 ms, half by its
    // grpc-timeout (the server's deadline), half by the client dropping the
    // call (a reset stream), while the transactions are under way.
    for round in 0..3u64 {
        let round_client = fresh_client(&stack).await;
        let mut calls = Vec::new();
        for (i, (request_id, token)) in callers.iter().enumerate() {
            let mut client = round_client.clone();
            let mut request = with_token(token, fixtures::self_enrolment(&session.id, request_id));
            let cut = Duration::from_millis(1 + (i as u64 * 7 + round * 5) % 12);
            let by_deadline = (i + round as usize).is_multiple_of(2);
            if by_deadline {
                request.set_timeout(cut);
            }
            calls.push(tokio::spawn(async move {
                let _ = tokio::time::timeout(cut, client.enrol(request)).await;
            }));
        }
        for call in calls {
            call.await.unwrap();
        }
    }
    // Every caller now asks again with its request id, without a deadline:
    // each gets one definite answer, stored once.
    let client = fresh_client(&stack).await;
    let mut answers = Vec::new();
    for (request_id, token) in &callers {
        answers.push(tokio::spawn(enrol_until_answered(
            client.clone(),
            token.clone(),
            session.id.clone(),
            request_id.clone(),
        )));
    }
    let mut confirmed = 0;
    for answer in answers {
        let enrolment = answer.await.unwrap().expect("a definite answer");
        if enrolment.status() == pb::EnrolmentStatus::Confirmed {
            confirmed += 1;
        }
    }
    assert_eq!(confirmed, 20, "20 seats, all taken once");
    let (rows, by_org) = confirmed_rows(&stack, &session.id).await;
    let seats = seats(&stack, &session.id).await;
    assert_eq!(rows, 20);
    assert_eq!(
        seats.confirmed_count, 20,
        "the seat counter equals the rows"
    );
    for (organization, quota) in [("msc", 6), ("ksc", 14)] {
        let counter = seats
            .quotas
            .iter()
            .find(|q| q.organization_id == organization)
            .unwrap_or_else(|| panic!("a quota row for {organization}"));
        assert_eq!(counter.confirmed_count, quota, "{organization}: {by_org:?}");
        assert_eq!(
            by_org.get(organization),
            Some(&(quota as usize)),
            "the quota counter of {organization} equals the rows"
        );
    }
    assert_eq!(enrolments_in(&stack, &session.id).await.len(), 120);

    // No pooled connection holds a transaction that a cut-off call left open.
    if idle_in_transaction(&stack).await.is_some() {
        eventually(Duration::from_secs(10), || async {
            idle_in_transaction(&stack).await == Some(0)
        })
        .await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn six_hundred_forty_callers_with_two_quotas_all_get_definite_answers() {
    // 50 seats; msc may hold 10 and ksc 15; the rest are imidro's.
    let (mut stack, session) = Stack::with_session("PR-106", 50, &[("msc", 10), ("ksc", 15)]).await;
    let mut channels = vec![stack.enrolments.clone()];
    if stack.database(Svc::Enrolments).is_postgres() {
        // Replicas share PostgreSQL; SQLite is one process's database.
        channels.push(stack.start_enrolments_replica().await);
    }
    let mut calls = Vec::new();
    for i in 0..640 {
        let org = ["msc", "ksc", "imidro"][i % 3];
        let token = stack
            .issuer
            .token(&format!("q640-{i:03}"), org, &[Role::Trainee]);
        let client = EnrolmentServiceClient::new(channels[i % channels.len()].clone());
        calls.push(tokio::spawn(enrol_until_answered(
            client,
            token,
            session.id.clone(),
            format!("q640-{i}"),
        )));
    }
    let mut statuses = HashMap::<String, usize>::new();
    let mut refused = Vec::new();
    for call in calls {
        match call.await.unwrap() {
            Ok(enrolment) => {
                *statuses
                    .entry(enrolment.status().as_str_name().to_owned())
                    .or_default() += 1;
            }
            Err(status) => refused.push(status),
        }
    }
    assert!(
        refused.is_empty(),
        "{} callers got no definite answer, first: {:?}",
        refused.len(),
        refused.first()
    );
    assert_eq!(statuses.get("ENROLMENT_STATUS_CONFIRMED"), Some(&50));
    assert_eq!(statuses.get("ENROLMENT_STATUS_WAITLISTED"), Some(&590));
    let (rows, by_org) = confirmed_rows(&stack, &session.id).await;
    assert_eq!(rows, 50);
    assert_eq!(by_org.get("msc"), Some(&10), "{by_org:?}");
    assert_eq!(by_org.get("ksc"), Some(&15), "{by_org:?}");
    assert_eq!(by_org.get("imidro"), Some(&25), "{by_org:?}");
    let seats = seats(&stack, &session.id).await;
    assert_eq!((seats.confirmed_count, seats.seats_left), (50, 0));
    assert_eq!(seats.waitlisted_count, 590);
}
