//! Hostile input: what a caller who means harm (or a broken client) sends
//! gets a small, exact refusal, and the server is unharmed.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::*;
use hamafza_proto::enrolments as pb;
use tonic_types::StatusExt;

#[tokio::test]
async fn a_flood_of_bad_list_elements_gets_a_small_invalid_argument() {
    let stack = Stack::start().await;
    // About 1 MB of bad statuses.
    let statuses = vec![9_999; 250_000];
    let status = stack
        .client()
        .list_enrolments(stack.request(
            ADMIN,
            pb::ListEnrolmentsRequest {
                statuses,
                ..Default::default()
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(status.code(), tonic::Code::InvalidArgument, "{status:?}");
    let violations = status
        .get_error_details()
        .bad_request()
        .unwrap()
        .field_violations
        .clone();
    assert!(violations.len() <= 21, "{} violations", violations.len());
    assert!(
        violations
            .last()
            .unwrap()
            .description
            .contains("more problems"),
        "{violations:?}"
    );
    assert!(status.message().len() < 1_000);
    // Standard gRPC clients refuse trailers over 16 KiB.
    assert!(status.details().len() < 16 * 1024);
    // Still serving.
    stack
        .client()
        .list_enrolments(stack.request(ADMIN, pb::ListEnrolmentsRequest::default()))
        .await
        .unwrap();
}

/// PostgreSQL ends the service's connections under load (as
/// `pg_terminate_backend` or a failover does): callers hear UNAVAILABLE or
/// succeed, never INTERNAL.
#[tokio::test]
async fn connections_terminated_under_load_are_unavailable_not_internal() {
    use sea_orm::ConnectionTrait;
    let stack = Stack::start().await;
    let database = stack.database(Svc::Enrolments);
    if !database.is_postgres() {
        eprintln!("skipped: needs PostgreSQL (set HAMAFZA_TEST_DATABASE_URL)");
        return;
    }
    let name = database
        .url
        .rsplit('/')
        .next()
        .unwrap()
        .split('?')
        .next()
        .unwrap()
        .to_owned();
    let admin_url = std::env::var(hamafza_kit::testing::TEST_DATABASE_URL_ENV).unwrap();
    let admin = sea_orm::Database::connect(&admin_url).await.unwrap();
    let terminate = format!(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
         WHERE datname = '{name}' AND pid <> pg_backend_pid()"
    );
    let mut codes = std::collections::HashMap::new();
    for _round in 0..5 {
        let calls = (0..40).map(|_| {
            let mut client = stack.client();
            let request = stack.request(ADMIN, pb::ListEnrolmentsRequest::default());
            async move { client.list_enrolments(request).await.map(|_| ()) }
        });
        let killer = async {
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
            admin.execute_unprepared(&terminate).await.unwrap();
        };
        let (answers, ()) = tokio::join!(futures::future::join_all(calls), killer);
        for answer in answers {
            let code = answer.err().map_or(tonic::Code::Ok, |status| status.code());
            *codes.entry(code).or_insert(0) += 1;
        }
    }
    assert!(
        !codes.contains_key(&tonic::Code::Internal) && !codes.contains_key(&tonic::Code::Unknown),
        "{codes:?}"
    );
    // And it recovers at once.
    stack
        .client()
        .list_enrolments(stack.request(ADMIN, pb::ListEnrolmentsRequest::default()))
        .await
        .unwrap();
    eprintln!("answers under terminated connections: {codes:?}");
}
