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

#[tokio::test]
async fn a_creation_time_range_outside_the_calendar_or_backwards_is_refused_by_field() {
    let stack = Stack::start().await;
    let at = |seconds: i64| Some(prost_types::Timestamp { seconds, nanos: 0 });
    let ask = |start, end| {
        let request = pb::ListEnrolmentsRequest {
            create_time: Some(hamafza_proto::common::TimeRange {
                start_time: start,
                end_time: end,
            }),
            ..Default::default()
        };
        let mut client = stack.client();
        let request = stack.request(ADMIN, request);
        async move { client.list_enrolments(request).await }
    };
    // About the year -99,000 (PostgreSQL cannot hold it), beyond any
    // instant, and an end before the start.
    for (start, end, field) in [
        (at(-3_200_000_000_000), None, "create_time.start_time"),
        (None, at(i64::MAX), "create_time.end_time"),
        (at(1_800_000_000), at(1_700_000_000), "create_time.end_time"),
    ] {
        let status = ask(start, end).await.unwrap_err();
        assert_eq!(violated_fields(&status), [field], "{status:?}");
    }
    ask(at(1_700_000_000), at(1_800_000_000)).await.unwrap();
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

/// The role is checked before the request: a trainee sending an empty
/// request to a staff call hears PERMISSION_DENIED, not a list of fields.
#[tokio::test]
async fn staff_calls_check_the_role_before_the_fields() {
    let stack = Stack::start().await;
    let mut client = stack.client();
    let denied = |result: Result<(), tonic::Status>, call: &str| {
        let status = result.unwrap_err();
        assert_eq!(
            status.code(),
            tonic::Code::PermissionDenied,
            "{call}: {status:?}"
        );
    };
    denied(
        client
            .approve_enrolment(stack.request(TRAINEE_MSC, pb::ApproveEnrolmentRequest::default()))
            .await
            .map(|_| ()),
        "ApproveEnrolment",
    );
    denied(
        client
            .reject_enrolment(stack.request(TRAINEE_MSC, pb::RejectEnrolmentRequest::default()))
            .await
            .map(|_| ()),
        "RejectEnrolment",
    );
    denied(
        client
            .record_attendance(stack.request(TRAINEE_MSC, pb::RecordAttendanceRequest::default()))
            .await
            .map(|_| ()),
        "RecordAttendance",
    );
    denied(
        client
            .complete_enrolment(stack.request(TRAINEE_MSC, pb::CompleteEnrolmentRequest::default()))
            .await
            .map(|_| ()),
        "CompleteEnrolment",
    );
    denied(
        client
            .bulk_enrol(stack.request(TRAINEE_MSC, pb::BulkEnrolRequest::default()))
            .await
            .map(|_| ()),
        "BulkEnrol",
    );
    denied(
        client
            .export_roster(stack.request(TRAINEE_MSC, pb::ExportRosterRequest::default()))
            .await
            .map(|_| ()),
        "ExportRoster",
    );
    // Those who hold the role still hear about their fields.
    let status = client
        .approve_enrolment(stack.request(MANAGER_MSC, pb::ApproveEnrolmentRequest::default()))
        .await
        .unwrap_err();
    assert_eq!(status.code(), tonic::Code::InvalidArgument);
}

/// A filter naming what the caller may never see is refused, as the
/// contract says, instead of answering an empty page.
#[tokio::test]
async fn list_filters_outside_the_callers_scope_are_refused() {
    let stack = Stack::start().await;
    let mut client = stack.client();
    let list = |who, organization: &str, trainee: &str| {
        stack.request(
            who,
            pb::ListEnrolmentsRequest {
                organization_id: organization.to_owned(),
                trainee_subject: trainee.to_owned(),
                ..Default::default()
            },
        )
    };
    let status = client
        .list_enrolments(list(MANAGER_MSC, "ksc", ""))
        .await
        .unwrap_err();
    assert_eq!(status.code(), tonic::Code::PermissionDenied);
    let status = client
        .list_enrolments(list(TRAINEE_MSC, "", "trainee-ksc"))
        .await
        .unwrap_err();
    assert_eq!(status.code(), tonic::Code::PermissionDenied);
    // In scope: their own organization, their own enrolments; staff anything.
    client
        .list_enrolments(list(MANAGER_MSC, "msc", ""))
        .await
        .unwrap();
    client
        .list_enrolments(list(TRAINEE_MSC, "", "trainee-msc"))
        .await
        .unwrap();
    client
        .list_enrolments(list(ADMIN, "ksc", "trainee-ksc"))
        .await
        .unwrap();
}
