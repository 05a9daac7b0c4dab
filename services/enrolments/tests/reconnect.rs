//! Dropped database connections during reads (issue 12): a read is safe to
//! repeat, so the service runs it again on a fresh connection and the caller
//! sees an answer, not UNAVAILABLE. PostgreSQL only (`pg_terminate_backend`);
//! on SQLite the test says it was skipped.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use common::*;
use hamafza_proto::enrolments as epb;
use sea_orm::{ConnectionTrait, Statement};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reads_answer_through_terminated_database_connections() {
    let (stack, session) = Stack::with_session("RC-101", 100, &[]).await;
    let database = stack.database(Svc::Enrolments);
    if !database.is_postgres() {
        eprintln!("skipped: pg_terminate_backend needs PostgreSQL (HAMAFZA_TEST_DATABASE_URL)");
        return;
    }
    let enrolment = enrolled(&stack, TRAINEE_MSC, &session.id, "rc-1").await;
    let stop = Arc::new(AtomicBool::new(false));
    let mut readers = Vec::new();
    for reader in 0..6u32 {
        let stop = Arc::clone(&stop);
        let mut client = fixtures::enrolment_service(&stack);
        let token = stack.token(if reader % 2 == 0 { TRAINEE_MSC } else { ADMIN });
        let (enrolment_id, session_id) = (enrolment.id.clone(), session.id.clone());
        readers.push(tokio::spawn(async move {
            let mut codes = BTreeMap::<String, u64>::new();
            // Bounded: at most 15 s and 20,000 calls per reader.
            let started = Instant::now();
            for n in 0..20_000u32 {
                if stop.load(Ordering::SeqCst) || started.elapsed() > Duration::from_secs(15) {
                    break;
                }
                let answer = match n % 3 {
                    0 => client
                        .list_enrolments(with_token(
                            &token,
                            epb::ListEnrolmentsRequest {
                                page_size: 50,
                                ..Default::default()
                            },
                        ))
                        .await
                        .map(drop),
                    1 => client
                        .get_enrolment(with_token(
                            &token,
                            epb::GetEnrolmentRequest {
                                enrolment_id: enrolment_id.clone(),
                            },
                        ))
                        .await
                        .map(drop),
                    _ => client
                        .batch_get_session_seats(with_token(
                            &token,
                            epb::BatchGetSessionSeatsRequest {
                                session_ids: vec![session_id.clone()],
                            },
                        ))
                        .await
                        .map(drop),
                };
                let code = answer.map_or_else(|status| status.code(), |()| tonic::Code::Ok);
                *codes.entry(format!("{code:?}")).or_default() += 1;
            }
            codes
        }));
    }
    // Five rounds: every connection of the service's database ended.
    let admin = hamafza_kit::db::connect(&database.url).await.unwrap();
    let mut terminated = 0i64;
    for _ in 0..5 {
        tokio::time::sleep(Duration::from_millis(700)).await;
        let row = admin
            .query_one_raw(Statement::from_string(
                admin.get_database_backend(),
                "select count(pg_terminate_backend(pid)) as n from pg_stat_activity \
                 where datname = current_database() and pid <> pg_backend_pid()",
            ))
            .await
            .unwrap()
            .unwrap();
        terminated += row.try_get::<i64>("", "n").unwrap();
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    stop.store(true, Ordering::SeqCst);
    let mut codes = BTreeMap::<String, u64>::new();
    for reader in readers {
        for (code, n) in reader.await.unwrap() {
            *codes.entry(code).or_default() += n;
        }
    }
    println!("reconnect: {terminated} connections ended under reads: {codes:?}");
    assert!(terminated >= 5, "connections were ended: {terminated}");
    assert!(codes.get("Ok").copied().unwrap_or(0) >= 100, "{codes:?}");
    assert_eq!(
        codes.keys().collect::<Vec<_>>(),
        ["Ok"],
        "every read answered: {codes:?}"
    );
}
