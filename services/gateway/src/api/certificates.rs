//! The caller's certificates, and verifying anyone's by serial or by the
//! presented credential.

use axum::Json;
use axum::extract::State;
use hamafza_proto::certification as certpb;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{ApiPath, ApiResult, Bearer, ErrorBody, JsonBody, status_name};
use crate::AppState;
use crate::i18n::instant;
use crate::pages::lookup::every_certificate;

/// One of the caller's certificates.
#[derive(Debug, Serialize, ToSchema)]
pub struct CertificateView {
    /// Id.
    pub id: String,
    /// Serial, e.g. `HMZ-XXXX-XXXX-XXXX`.
    pub serial: String,
    /// Title in Persian.
    pub title_fa: String,
    /// Title in English.
    pub title_en: String,
    /// `active`, `revoked`, `expired` or `superseded`.
    pub status: String,
    /// Issue date in Solar Hijri.
    pub issue_date_fa: Option<String>,
    /// Issue date, Gregorian.
    pub issue_date_en: Option<String>,
    /// The public verification page.
    pub verification_url: String,
    /// The signed credential (VC-JWT).
    pub credential_jwt: String,
}

/// What a verifier learns.
#[derive(Debug, Serialize, ToSchema)]
pub struct VerificationView {
    /// `valid`, `revoked`, `expired`, `superseded`, `unknown` or `invalid_signature`.
    pub verdict: String,
    /// Serial, when known.
    pub serial: String,
    /// The trainee's name.
    pub trainee_name: String,
    /// The course or program title in Persian.
    pub title_fa: String,
    /// … and in English.
    pub title_en: String,
    /// Why it was revoked.
    pub revoke_reason: String,
}

/// A credential to verify.
#[derive(Debug, Deserialize, ToSchema)]
pub struct CredentialBody {
    /// The VC-JWT, in compact form (three base64url parts).
    #[schema(
        max_length = 16384,
        pattern = "^[A-Za-z0-9_-]*\\.[A-Za-z0-9_-]*\\.[A-Za-z0-9_-]*$"
    )]
    pub credential: String,
}

fn certificate_view(c: certpb::Certificate, verification_url: String) -> CertificateView {
    let title = c.title.clone().unwrap_or_default();
    let issued = instant(c.issue_time.as_ref()).map(hamafza_kit::jalali::show);
    CertificateView {
        status: status_name(c.status().as_str_name(), "CERTIFICATE_STATUS_"),
        issue_date_fa: issued.as_ref().map(|d| d.jalali_long.clone()),
        issue_date_en: issued.map(|d| d.gregorian_long),
        title_fa: title.fa,
        title_en: title.en,
        verification_url,
        id: c.id,
        serial: c.serial,
        credential_jwt: c.credential_jwt,
    }
}

/// The caller's certificates (every one, up to 2,000).
#[utoipa::path(
    get,
    path = "/api/v1/me/certificates",
    responses((status = 200, body = [CertificateView]), (status = 401, body = ErrorBody)),
    security(("bearer" = []))
)]
pub(super) async fn my_certificates(
    State(state): State<AppState>,
    bearer: Bearer,
) -> ApiResult<Vec<CertificateView>> {
    let request = certpb::ListCertificatesRequest {
        trainee_subject: bearer.caller.subject.clone(),
        ..Default::default()
    };
    let caller = state.backends.as_caller(&bearer.token);
    let certificates = every_certificate(&caller, request).await?;
    Ok(Json(
        certificates
            .into_iter()
            .map(|c| {
                let url = format!("{}/verify/{}", state.public_base, c.serial);
                certificate_view(c, url)
            })
            .collect(),
    ))
}

/// One certificate the caller may see.
#[utoipa::path(
    get,
    path = "/api/v1/certificates/{id}",
    params(("id" = String, Path, description = "Certificate id")),
    responses(
        (status = 200, body = CertificateView),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)
    ),
    security(("bearer" = []))
)]
pub(super) async fn certificate(
    State(state): State<AppState>,
    bearer: Bearer,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<CertificateView> {
    let shown = state
        .backends
        .as_caller(&bearer.token)
        .certification()
        .get_certificate_presentation(certpb::GetCertificatePresentationRequest {
            certificate_id: id,
        })
        .await?
        .into_inner();
    Ok(Json(certificate_view(
        shown.certificate.unwrap_or_default(),
        shown.verification_url,
    )))
}

fn verification_view(answer: certpb::VerifyCertificateResponse) -> VerificationView {
    let certificate = answer.certificate.clone().unwrap_or_default();
    let title = certificate.title.unwrap_or_default();
    VerificationView {
        verdict: status_name(answer.verdict().as_str_name(), "VERDICT_"),
        serial: certificate.serial,
        trainee_name: certificate.trainee_name,
        title_fa: title.fa,
        title_en: title.en,
        revoke_reason: answer.revoke_reason,
    }
}

/// Verifies a certificate by serial; no token needed.
#[utoipa::path(
    get,
    path = "/api/v1/verify/{serial}",
    params(("serial" = String, Path, description = "Serial, e.g. HMZ-XXXX-XXXX-XXXX")),
    responses((status = 200, body = VerificationView), (status = 400, body = ErrorBody))
)]
pub(super) async fn verify_serial(
    State(state): State<AppState>,
    ApiPath(serial): ApiPath<String>,
) -> ApiResult<VerificationView> {
    let answer = state
        .backends
        .certification()
        .verify_certificate(crate::backends::traced(certpb::VerifyCertificateRequest {
            credential: Some(certpb::verify_certificate_request::Credential::Serial(
                serial,
            )),
        }))
        .await?
        .into_inner();
    Ok(Json(verification_view(answer)))
}

/// Verifies a presented credential (VC-JWT); no token needed.
#[utoipa::path(
    post,
    path = "/api/v1/verify",
    request_body = CredentialBody,
    responses((status = 200, body = VerificationView), (status = 400, body = ErrorBody))
)]
pub(super) async fn verify_credential(
    State(state): State<AppState>,
    JsonBody(body): JsonBody<CredentialBody>,
) -> ApiResult<VerificationView> {
    // The compact form the document describes: three base64url parts.
    let compact = body.credential.len() <= 16_384
        && body.credential.matches('.').count() == 2
        && body
            .credential
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    if !compact {
        return Err(hamafza_kit::ApiError::invalid_field(
            "credential",
            "is not a compact JWT (three base64url parts joined by dots)",
        )
        .into());
    }
    let answer = state
        .backends
        .certification()
        .verify_certificate(crate::backends::traced(certpb::VerifyCertificateRequest {
            credential: Some(
                certpb::verify_certificate_request::Credential::CredentialJwt(body.credential),
            ),
        }))
        .await?
        .into_inner();
    Ok(Json(verification_view(answer)))
}
