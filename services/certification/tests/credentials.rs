//! Credentials anyone can verify: an independent verifier (serde_json,
//! base64 and ed25519-dalek against the published JWKS, no project code on
//! the path) accepts genuine credentials and rejects forgeries, before and
//! after a key rotation; verdicts for revoked, expired, superseded and unknown.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use common::*;
use ed25519_dalek::{Signature, Verifier, VerifyingKey};
use hamafza_proto::certification as pb;
use hamafza_proto::certification::verify_certificate_request::Credential;
use hamafza_proto::common::Actor;

/// Verifies a compact JWS with a JWKS, knowing nothing of Hamafza.
fn independent_verify(jwt: &str, jwks_json: &str) -> Result<serde_json::Value, String> {
    let parts: Vec<&str> = jwt.split('.').collect();
    let [header, payload, signature] = parts.as_slice() else {
        return Err("not a JWS".into());
    };
    let header: serde_json::Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(header).map_err(|e| e.to_string())?)
            .map_err(|e| e.to_string())?;
    if header["alg"] != "EdDSA" {
        return Err("unexpected alg".into());
    }
    let kid = header["kid"].as_str().ok_or("no kid")?;
    let jwks: serde_json::Value = serde_json::from_str(jwks_json).map_err(|e| e.to_string())?;
    let key = jwks["keys"]
        .as_array()
        .ok_or("no keys")?
        .iter()
        .find(|k| k["kid"] == kid)
        .ok_or("unknown kid")?;
    if key["kty"] != "OKP" || key["crv"] != "Ed25519" {
        return Err("not an Ed25519 key".into());
    }
    let x: [u8; 32] = URL_SAFE_NO_PAD
        .decode(key["x"].as_str().ok_or("no x")?)
        .map_err(|e| e.to_string())?
        .try_into()
        .map_err(|_| "bad key length")?;
    let verifying = VerifyingKey::from_bytes(&x).map_err(|e| e.to_string())?;
    let signature: [u8; 64] = URL_SAFE_NO_PAD
        .decode(signature)
        .map_err(|e| e.to_string())?
        .try_into()
        .map_err(|_| "bad signature length")?;
    verifying
        .verify(
            format!("{}.{}", parts[0], parts[1]).as_bytes(),
            &Signature::from_bytes(&signature),
        )
        .map_err(|_| "signature does not verify".to_string())?;
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).map_err(|e| e.to_string())?)
        .map_err(|e| e.to_string())
}

async fn jwks(stack: &Stack) -> pb::GetIssuerKeysResponse {
    // Public: no token.
    stack
        .certificates()
        .get_issuer_keys(pb::GetIssuerKeysRequest {})
        .await
        .unwrap()
        .into_inner()
}

async fn manual(
    stack: &Stack,
    course: &hamafza_proto::courses::Course,
    who: Who,
    request_id: &str,
    completed_days_ago: i64,
    validity: Option<u32>,
) -> pb::Certificate {
    stack
        .certificates()
        .issue_manual_certificate(stack.request(
            ADMIN,
            pb::IssueManualCertificateRequest {
                request_id: request_id.to_owned(),
                trainee: Some(Actor {
                    subject: who.0.to_owned(),
                    name: "سارا احمدی".to_owned(),
                    organization_id: who.1.to_owned(),
                }),
                kind: pb::CertificateKind::Course.into(),
                course_id: course.id.clone(),
                program_id: String::new(),
                completion_time: Some(timestamp(-24 * completed_days_ago)),
                hours: None,
                score: Some(80),
                validity_months: validity,
                reason: "دوره پیش از راه‌اندازی سامانه گذرانده شده است".to_owned(),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .certificate
        .unwrap()
}

/// Anyone (no token) asks whether a credential is genuine and current.
async fn verify(
    stack: &Stack,
    credential: Credential,
) -> Result<pb::VerifyCertificateResponse, tonic::Status> {
    let request = pb::VerifyCertificateRequest {
        credential: Some(credential),
    };
    let reply = stack.certificates().verify_certificate(request).await;
    reply.map(tonic::Response::into_inner)
}

async fn verify_serial(stack: &Stack, serial: &str) -> pb::VerifyCertificateResponse {
    verify(stack, Credential::Serial(serial.to_owned()))
        .await
        .unwrap()
}

async fn verify_jwt(stack: &Stack, jwt: &str) -> pb::VerifyCertificateResponse {
    verify(stack, Credential::CredentialJwt(jwt.to_owned()))
        .await
        .unwrap()
}

#[tokio::test]
async fn an_independent_verifier_accepts_genuine_credentials_across_a_key_rotation() {
    let mut stack = Stack::start(true).await;
    let course = stack.course("PR-501", Some(24)).await;
    let old = manual(&stack, &course, TRAINEE_MSC, "m1", 10, None).await;
    let keys = jwks(&stack).await;
    let claims = independent_verify(&old.credential_jwt, &keys.jwks_json)
        .expect("a genuine credential verifies");
    assert_eq!(
        claims["type"],
        serde_json::json!(["VerifiableCredential", "OpenBadgeCredential"])
    );
    assert_eq!(claims["credentialSubject"]["name"], "سارا احمدی");
    assert_eq!(claims["jti"], format!("urn:uuid:{}", old.id));
    let header: serde_json::Value = serde_json::from_slice(
        &URL_SAFE_NO_PAD
            .decode(old.credential_jwt.split('.').next().unwrap())
            .unwrap(),
    )
    .unwrap();
    assert_eq!(
        (header["typ"].as_str(), header["kid"].as_str()),
        (Some("vc+jwt"), Some(keys.signing_key_id.as_str()))
    );

    // Tampered: a changed name breaks the signature, for the independent
    // verifier and for VerifyCertificate alike.
    let mut parts: Vec<String> = old.credential_jwt.split('.').map(str::to_owned).collect();
    let mut forged = claims.clone();
    forged["credentialSubject"]["name"] = serde_json::json!("Mallory");
    parts[1] = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&forged).unwrap());
    let tampered = parts.join(".");
    assert!(independent_verify(&tampered, &keys.jwks_json).is_err());
    assert_eq!(
        verify_jwt(&stack, &tampered).await.verdict(),
        pb::Verdict::InvalidSignature
    );

    // Signed by another key under the same kid: rejected.
    let stranger = hamafza_kit::auth::SigningKeyFile::load_or_create(
        &hamafza_kit::testing::temp_dir("stranger").join("k.pem"),
    )
    .unwrap();
    let stranger_jwt = stranger.sign_with_type(&claims, "vc+jwt").unwrap();
    let mut parts: Vec<String> = stranger_jwt.split('.').map(str::to_owned).collect();
    parts[0] = old.credential_jwt.split('.').next().unwrap().to_owned();
    let impostor = parts.join(".");
    assert!(independent_verify(&impostor, &keys.jwks_json).is_err());
    assert!(
        independent_verify(&stranger_jwt, &keys.jwks_json).is_err(),
        "its own kid is not published"
    );
    assert_eq!(
        verify_jwt(&stack, &impostor).await.verdict(),
        pb::Verdict::InvalidSignature
    );
    assert_eq!(
        verify_jwt(&stack, &stranger_jwt).await.verdict(),
        pb::Verdict::InvalidSignature
    );
    // A header naming a key no issuer would (a NUL byte, which PostgreSQL
    // cannot even compare) is a verdict too, never an error.
    for kid in ["\u{0}", "", &"k".repeat(101), "a b"] {
        let header = serde_json::json!({"alg": "EdDSA", "typ": "vc+jwt", "kid": kid});
        let mut parts: Vec<String> = old.credential_jwt.split('.').map(str::to_owned).collect();
        parts[0] = URL_SAFE_NO_PAD.encode(header.to_string());
        assert_eq!(
            verify_jwt(&stack, &parts.join(".")).await.verdict(),
            pb::Verdict::InvalidSignature,
            "{kid:?}"
        );
    }
    assert_eq!(
        verify_jwt(&stack, &old.credential_jwt).await.verdict(),
        pb::Verdict::Valid
    );

    // Rotate: certification restarts with a new key; new credentials use it,
    // and both old and new verify against the published keys.
    stack.stop_certification().await;
    stack.start_certification("key-2.pem").await;
    let new = manual(&stack, &course, TRAINEE_KSC, "m2", 1, None).await;
    let rotated = jwks(&stack).await;
    assert_ne!(rotated.signing_key_id, keys.signing_key_id);
    assert_eq!(new.key_id, rotated.signing_key_id);
    independent_verify(&old.credential_jwt, &rotated.jwks_json)
        .expect("old credentials still verify");
    independent_verify(&new.credential_jwt, &rotated.jwks_json).expect("new credentials verify");
    assert_eq!(
        verify_jwt(&stack, &old.credential_jwt).await.verdict(),
        pb::Verdict::Valid
    );
    assert_eq!(
        verify_jwt(&stack, &new.credential_jwt).await.verdict(),
        pb::Verdict::Valid
    );
}

#[tokio::test]
async fn verdicts_for_revoked_expired_superseded_and_unknown() {
    let stack = Stack::start(true).await;
    let course = stack.course("PR-502", Some(1)).await;
    // Completed 100 days ago with one month of validity: expired.
    let expired = manual(&stack, &course, TRAINEE_KSC, "e", 100, None).await;
    assert_eq!(
        verify_serial(&stack, &expired.serial).await.verdict(),
        pb::Verdict::Expired
    );
    // An older and a newer completion of the same course: the older is superseded.
    let older = manual(&stack, &course, TRAINEE_MSC, "o", 20, Some(24)).await;
    let newer = manual(&stack, &course, TRAINEE_MSC, "n", 2, Some(24)).await;
    let answer = verify_serial(&stack, &older.serial).await;
    assert_eq!(
        (answer.verdict(), answer.superseded_by_serial.as_str()),
        (pb::Verdict::Superseded, newer.serial.as_str())
    );
    let answer = verify_serial(&stack, &newer.serial.to_lowercase()).await;
    assert_eq!(
        answer.verdict(),
        pb::Verdict::Valid,
        "serials are read leniently"
    );
    assert_eq!(answer.certificate.unwrap().trainee_name, "سارا احمدی");

    // Revoked: the verdict changes at once and carries the reason.
    let revoke = pb::RevokeCertificateRequest {
        request_id: "r".to_owned(),
        certificate_id: newer.id.clone(),
        reason: "صدور اشتباه".to_owned(),
    };
    let revoking = |who, request| {
        let mut certificates = stack.certificates();
        let request = stack.request(who, request);
        async move {
            let reply = certificates.revoke_certificate(request).await;
            reply.map(|r| r.into_inner().certificate.unwrap())
        }
    };
    let status = revoking(MANAGER_KSC, revoke.clone()).await.unwrap_err();
    assert_eq!(status.code(), tonic::Code::PermissionDenied);
    let revoked = revoking(ADMIN, revoke.clone()).await.unwrap();
    assert_eq!(revoked.status(), pb::CertificateStatus::Revoked);
    let answer = verify_serial(&stack, &newer.serial).await;
    assert_eq!(
        (answer.verdict(), answer.revoke_reason.as_str()),
        (pb::Verdict::Revoked, "صدور اشتباه")
    );
    assert!(answer.revoke_time.is_some());
    assert_eq!(
        verify_jwt(&stack, &newer.credential_jwt).await.verdict(),
        pb::Verdict::Revoked
    );
    // The same revocation request again is the same answer; another is refused.
    revoking(ADMIN, revoke.clone()).await.unwrap();
    let another = pb::RevokeCertificateRequest {
        request_id: "r2".to_owned(),
        reason: "دوباره".to_owned(),
        ..revoke
    };
    let status = revoking(ADMIN, another).await.unwrap_err();
    assert_eq!(status.code(), tonic::Code::FailedPrecondition);
    // With the newer one revoked, the older one stands again.
    assert_eq!(
        verify_serial(&stack, &older.serial).await.verdict(),
        pb::Verdict::Valid
    );

    // Unknown and malformed.
    assert_eq!(
        verify_serial(&stack, "HMZ-0000-0000-0000").await.verdict(),
        pb::Verdict::Unknown
    );
    let status = verify(&stack, Credential::Serial("nonsense".to_owned()))
        .await
        .unwrap_err();
    assert_eq!(status.code(), tonic::Code::InvalidArgument);
    assert_eq!(
        verify_jwt(&stack, "eyJhbGciOiJub25lIn0.e30.")
            .await
            .verdict(),
        pb::Verdict::InvalidSignature
    );
}

#[tokio::test]
async fn expiring_certificates_and_presentation() {
    let stack = Stack::start(true).await;
    let course = stack.course("PR-503", Some(1)).await;
    // Completed 20 days ago, valid one month: expires within 30 days.
    let soon = manual(&stack, &course, TRAINEE_KSC, "s", 20, None).await;
    manual(&stack, &course, TRAINEE_MSC, "l", 1, Some(24)).await;
    let expiring = |who, organization: &str| {
        let mut client = stack.certificates();
        let request = stack.request(
            who,
            pb::ListExpiringCertificatesRequest {
                within_days: 30,
                organization_id: organization.to_owned(),
                ..Default::default()
            },
        );
        async move { client.list_expiring_certificates(request).await }
    };
    let all = expiring(ADMIN, "").await.unwrap().into_inner().certificates;
    assert_eq!(
        all.iter().map(|c| c.id.as_str()).collect::<Vec<_>>(),
        [soon.id.as_str()]
    );
    assert_eq!(
        expiring(MANAGER_KSC, "")
            .await
            .unwrap()
            .into_inner()
            .certificates
            .len(),
        1
    );
    assert_eq!(
        expiring(MANAGER_KSC, "msc").await.unwrap_err().code(),
        tonic::Code::PermissionDenied
    );
    assert_eq!(
        expiring(TRAINEE_KSC, "").await.unwrap_err().code(),
        tonic::Code::PermissionDenied
    );

    let shown = stack
        .certificates()
        .get_certificate_presentation(stack.request(
            TRAINEE_KSC,
            pb::GetCertificatePresentationRequest {
                certificate_id: soon.id.clone(),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    let issue = shown.issue_date.unwrap();
    assert!(
        issue
            .jalali_short
            .chars()
            .all(|c| ('۰'..='۹').contains(&c) || c == '/'),
        "{}",
        issue.jalali_short
    );
    assert!(issue.jalali_long.contains("۱۴۰"), "{}", issue.jalali_long);
    assert!(shown.valid_until_date.is_some());
    assert_eq!(
        shown.verification_url,
        format!("https://training.example/verify/{}", soon.serial)
    );
    assert!(
        shown.qr_code_svg.contains("<svg"),
        "{}",
        &shown.qr_code_svg[..60.min(shown.qr_code_svg.len())]
    );
}

#[tokio::test]
async fn a_certificate_is_listed_by_its_serial_as_typed_within_the_callers_scope() {
    let stack = Stack::start(true).await;
    let course = stack.course("PR-503", Some(24)).await;
    let wanted = manual(&stack, &course, TRAINEE_MSC, "w", 5, None).await;
    let other = manual(&stack, &course, TRAINEE_KSC, "x", 5, None).await;
    assert_ne!(wanted.serial, other.serial);
    let by_serial = |who, serial: String| {
        let mut certificates = stack.certificates();
        let request = stack.request(
            who,
            pb::ListCertificatesRequest {
                serial,
                ..Default::default()
            },
        );
        async move {
            let reply = certificates.list_certificates(request).await;
            reply.map(|r| {
                let ids: Vec<String> = r
                    .into_inner()
                    .certificates
                    .into_iter()
                    .map(|c| c.id)
                    .collect();
                ids
            })
        }
    };
    // As typed: lower case, dashes left out, spaces in.
    let typed = format!(" {} ", wanted.serial.to_lowercase().replace('-', " "));
    assert_eq!(
        by_serial(ADMIN, typed.clone()).await.unwrap(),
        [wanted.id.as_str()]
    );
    assert_eq!(
        by_serial(ADMIN, other.serial.clone()).await.unwrap(),
        [other.id.as_str()]
    );
    // A company's manager finds their own company's certificate by its
    // serial, and not another company's.
    assert_eq!(
        by_serial(MANAGER_KSC, other.serial.to_lowercase())
            .await
            .unwrap(),
        [other.id.as_str()]
    );
    assert!(by_serial(MANAGER_KSC, typed).await.unwrap().is_empty());
    assert!(
        by_serial(ADMIN, "HMZ-0000-0000-0000".to_owned())
            .await
            .unwrap()
            .is_empty()
    );
    let status = by_serial(ADMIN, "HMZ-12".to_owned()).await.unwrap_err();
    assert_eq!(hamafza_testkit::violated_fields(&status), ["serial"]);
}

#[tokio::test]
async fn certificates_are_listed_newest_issue_first_a_page_at_a_time() {
    let stack = Stack::start(true).await;
    let course = stack.course("PR-504", Some(24)).await;
    let mut issued = Vec::new();
    for (n, who) in [TRAINEE_MSC, TRAINEE_KSC, TRAINEE_MSC]
        .into_iter()
        .enumerate()
    {
        issued.push(
            manual(&stack, &course, who, &format!("n{n}"), 5, None)
                .await
                .id,
        );
    }
    issued.reverse();
    let mut listed = Vec::new();
    let mut page_token = String::new();
    let mut pages = 0;
    loop {
        let request = stack.request(
            ADMIN,
            pb::ListCertificatesRequest {
                page_size: 2,
                page_token,
                course_id: course.id.clone(),
                ..Default::default()
            },
        );
        let reply = stack
            .certificates()
            .list_certificates(request)
            .await
            .unwrap()
            .into_inner();
        listed.extend(reply.certificates.into_iter().map(|c| c.id));
        pages += 1;
        if reply.next_page_token.is_empty() {
            break;
        }
        page_token = reply.next_page_token;
    }
    assert_eq!(listed, issued, "newest first, each once");
    assert_eq!(pages, 2);
}
