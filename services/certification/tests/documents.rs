//! The certificate as a PDF document: one A4 landscape page with the
//! person's Persian name as text, kept once made, only for those who may see
//! the certificate, and never for a revoked one.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::process::Command;

use common::*;
use hamafza_proto::certification as pb;
use hamafza_proto::common::Actor;

/// Runs a poppler tool on `pdf`; `None` when poppler-utils is not installed
/// (CI installs it and sets `HAMAFZA_REQUIRE_BROWSER`, which makes it needed).
fn poppler(tool: &str, pdf: &[u8], args: &[&str]) -> Option<String> {
    let dir = tempfile_dir();
    let path = dir.join("certificate.pdf");
    std::fs::write(&path, pdf).unwrap();
    let mut command = Command::new(tool);
    command.args(args).arg(&path);
    if tool == "pdftotext" {
        command.arg("-");
    }
    let output = command.output();
    let output = match output {
        Ok(output) => output,
        Err(_) if std::env::var_os("HAMAFZA_REQUIRE_BROWSER").is_none() => {
            eprintln!("{tool} (poppler-utils) is not installed: the PDF's text is not checked");
            return None;
        }
        Err(error) => panic!("{tool} (poppler-utils) is needed here: {error}"),
    };
    assert!(output.status.success(), "{tool} failed: {output:?}");
    Some(String::from_utf8_lossy(&output.stdout).into_owned())
}

/// A fresh directory for one PDF under the system's temporary directory.
fn tempfile_dir() -> std::path::PathBuf {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let dir = std::env::temp_dir().join(format!("hamafza-pdf-{}-{nanos}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

async fn document(
    stack: &Stack,
    who: Who,
    id: &str,
) -> Result<pb::GetCertificateDocumentResponse, tonic::Status> {
    stack
        .certificates()
        .get_certificate_document(stack.request(
            who,
            pb::GetCertificateDocumentRequest {
                certificate_id: id.to_owned(),
            },
        ))
        .await
        .map(|r| r.into_inner())
}

#[tokio::test]
async fn a_certificate_document_is_one_a4_page_with_the_persian_name() {
    let stack = Stack::start(true).await;
    let course = stack.course("PR-504", Some(12)).await;
    let certificate = stack
        .certificates()
        .issue_manual_certificate(stack.request(
            ADMIN,
            pb::IssueManualCertificateRequest {
                request_id: "doc".to_owned(),
                trainee: Some(Actor {
                    subject: TRAINEE_KSC.0.to_owned(),
                    name: "سارا احمدی".to_owned(),
                    organization_id: TRAINEE_KSC.1.to_owned(),
                }),
                kind: pb::CertificateKind::Course.into(),
                course_id: course.id.clone(),
                completion_time: Some(timestamp(-24)),
                score: Some(92),
                reason: "دوره پیش از راه‌اندازی سامانه گذرانده شده است".to_owned(),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .certificate
        .unwrap();

    let first = document(&stack, TRAINEE_KSC, &certificate.id)
        .await
        .unwrap();
    assert!(first.pdf.starts_with(b"%PDF-"));
    assert_eq!(first.file_name, format!("{}.pdf", certificate.serial));
    assert_eq!(first.digest.len(), 64);
    if let Some(info) = poppler("pdfinfo", &first.pdf, &[]) {
        assert!(info.contains("Pages:           1"), "{info}");
        assert!(
            info.contains("841.89 x 595.276 pts (A4)"),
            "A4 landscape: {info}"
        );
    }
    if let Some(text) = poppler("pdftotext", &first.pdf, &["-layout"]) {
        assert!(
            text.contains("سارا احمدی"),
            "the Persian name as text: {text}"
        );
        assert!(text.contains(&certificate.serial), "{text}");
        assert!(text.contains("Certificate of Completion"), "{text}");
    }

    // Kept once made: the same document again, and for the manager too.
    let again = document(&stack, TRAINEE_KSC, &certificate.id)
        .await
        .unwrap();
    assert_eq!(
        (again.digest.as_str(), again.pdf.len()),
        (first.digest.as_str(), first.pdf.len())
    );
    assert!(document(&stack, MANAGER_KSC, &certificate.id).await.is_ok());

    // Only for those who may see the certificate.
    let refused = document(&stack, TRAINEE_MSC, &certificate.id)
        .await
        .unwrap_err();
    assert_eq!(refused.code(), tonic::Code::PermissionDenied);
    let invalid = document(&stack, TRAINEE_KSC, "not-an-id")
        .await
        .unwrap_err();
    assert_eq!(invalid.code(), tonic::Code::InvalidArgument);

    // Never for a revoked certificate.
    stack
        .certificates()
        .revoke_certificate(stack.request(
            ADMIN,
            pb::RevokeCertificateRequest {
                request_id: "r".to_owned(),
                certificate_id: certificate.id.clone(),
                reason: "صدور اشتباه".to_owned(),
            },
        ))
        .await
        .unwrap();
    let revoked = document(&stack, TRAINEE_KSC, &certificate.id)
        .await
        .unwrap_err();
    assert_eq!(revoked.code(), tonic::Code::FailedPrecondition);
    assert!(
        revoked.message().contains("revoked"),
        "{}",
        revoked.message()
    );
}
