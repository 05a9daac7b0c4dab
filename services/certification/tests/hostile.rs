//! Hostile input to certification: the role before the fields, and list
//! filters outside the caller's scope refused.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::*;
use hamafza_proto::certification as pb;

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
