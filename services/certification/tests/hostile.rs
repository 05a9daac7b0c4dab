//! Hostile input to certification: the role before the fields, and list
//! filters outside the caller's scope refused.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::*;
use hamafza_proto::certification as pb;
use hamafza_testkit::violated_fields;

#[tokio::test]
async fn roles_first_and_filters_within_scope() {
    let stack = Stack::start(true).await;
    let mut certificates = stack.certificates();
    let status = certificates
        .list_expiring_certificates(
            stack.request(TRAINEE_MSC, pb::ListExpiringCertificatesRequest::default()),
        )
        .await
        .unwrap_err();
    assert_eq!(status.code(), tonic::Code::PermissionDenied, "{status:?}");

    let list = |who, trainee: &str, organization: &str| {
        stack.request(
            who,
            pb::ListCertificatesRequest {
                trainee_subject: trainee.to_owned(),
                organization_id: organization.to_owned(),
                ..Default::default()
            },
        )
    };
    let status = certificates
        .list_certificates(list(TRAINEE_MSC, "trainee-ksc", ""))
        .await
        .unwrap_err();
    assert_eq!(status.code(), tonic::Code::PermissionDenied);
    let status = certificates
        .list_certificates(list(MANAGER_KSC, "", "msc"))
        .await
        .unwrap_err();
    assert_eq!(status.code(), tonic::Code::PermissionDenied);
    certificates
        .list_certificates(list(TRAINEE_MSC, "trainee-msc", ""))
        .await
        .unwrap();
    certificates
        .list_certificates(list(MANAGER_KSC, "", "ksc"))
        .await
        .unwrap();
    certificates
        .list_certificates(list(ADMIN, "trainee-ksc", "ksc"))
        .await
        .unwrap();
}

#[tokio::test]
async fn an_issue_time_range_outside_the_calendar_or_backwards_is_refused_by_field() {
    let stack = Stack::start(true).await;
    let at = |seconds: i64| Some(prost_types::Timestamp { seconds, nanos: 0 });
    let ask = |start, end| {
        let request = pb::ListCertificatesRequest {
            issue_time: Some(hamafza_proto::common::TimeRange {
                start_time: start,
                end_time: end,
            }),
            ..Default::default()
        };
        let mut certificates = stack.certificates();
        let request = stack.request(ADMIN, request);
        async move { certificates.list_certificates(request).await }
    };
    // Not an instant at all (it was dropped: every certificate listed),
    // about the year -99,000 (PostgreSQL cannot hold it), and backwards.
    for (start, end, field) in [
        (at(i64::MAX), None, "issue_time.start_time"),
        (None, at(-3_200_000_000_000), "issue_time.end_time"),
        (at(1_800_000_000), at(1_700_000_000), "issue_time.end_time"),
    ] {
        let status = ask(start, end).await.unwrap_err();
        assert_eq!(violated_fields(&status), [field], "{status:?}");
    }
    ask(at(1_700_000_000), at(1_800_000_000)).await.unwrap();
}

#[tokio::test]
async fn values_the_database_cannot_hold_are_refused_not_internal() {
    use base64::Engine;
    let stack = Stack::start(true).await;
    let forged = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(serde_json::json!(["-99000-01-01T00:00:00Z", uuid::Uuid::now_v7()]).to_string());
    let requests = [
        // A NUL byte in a text filter (PostgreSQL refuses it in text).
        pb::ListCertificatesRequest {
            trainee_subject: "trainee-\u{0}".to_owned(),
            ..Default::default()
        },
        pb::ListCertificatesRequest {
            organization_id: "ms\u{0}c".to_owned(),
            ..Default::default()
        },
    ];
    for request in requests {
        let answer = stack
            .certificates()
            .list_certificates(stack.request(ADMIN, request))
            .await;
        // SQLite holds such text and finds nothing; PostgreSQL cannot.
        if let Err(status) = answer {
            assert_eq!(status.code(), tonic::Code::InvalidArgument, "{status:?}");
        }
    }
    // A page token made by hand, of a year no database holds.
    let answer = stack
        .certificates()
        .list_expiring_certificates(stack.request(
            ADMIN,
            pb::ListExpiringCertificatesRequest {
                page_token: forged,
                ..Default::default()
            },
        ))
        .await;
    if let Err(status) = answer {
        assert_eq!(status.code(), tonic::Code::InvalidArgument, "{status:?}");
    }
}
