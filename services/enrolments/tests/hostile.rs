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
