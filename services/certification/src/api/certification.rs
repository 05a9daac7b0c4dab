//! `hamafza.certification.v1.CertificationService`: authenticates each call
//! and answers it; issuing is `issuance`'s.

use chrono::{DateTime, Utc};
use hamafza_kit::auth::{Caller, Role};
use hamafza_kit::error::parse_id;
use hamafza_kit::idempotency::{self, RequestKey};
use hamafza_kit::{ApiError, Violations, page, time};
use hamafza_proto::certification as pb;
use hamafza_proto::certification::certification_service_server::CertificationService;
use tonic::{Request, Response, Status};
use uuid::Uuid;

use super::convert::{certificate_to_wire, presented, standing_to_wire, unknown, verdict};
use super::{CertificationApi, REASON_CHARS, may_see, reply, signed_in, visibility};
use crate::domain::CertificationError;
use crate::domain::credential;
use crate::domain::serial;
use crate::domain::status::{Kind, Source, Standing};
use crate::store::queries::CertificateFilter;

/// Longest credential accepted for verification, in bytes.
const MAX_CREDENTIAL_BYTES: usize = 16 * 1024;

impl CertificationApi {
    /// A certificate as the wire shows it now.
    pub(super) async fn wire(&self, id: Uuid) -> Result<pb::Certificate, ApiError> {
        let record = self
            .store
            .record(id)
            .await?
            .ok_or_else(|| ApiError::not_found("certificate", id))?;
        Ok(certificate_to_wire(record, time::now()))
    }

    pub(super) async fn visible(
        &self,
        caller: &Caller,
        id: &str,
    ) -> Result<crate::store::queries::CertificateRecord, ApiError> {
        let mut v = Violations::new();
        let id = parse_id(&mut v, "certificate_id", id);
        let id = v.finish_with(id)?;
        let record = self
            .store
            .record(id)
            .await?
            .ok_or_else(|| ApiError::not_found("certificate", id))?;
        let row = &record.certificate;
        if !may_see(
            &visibility(caller),
            &row.trainee_subject,
            &row.organization_id,
        ) {
            return Err(ApiError::permission_denied(
                "this certificate is not yours to see",
            ));
        }
        Ok(record)
    }

    /// Checks a presented credential: signed by one of the issuer's keys, and
    /// the certificate it names still stands.
    async fn verify_jwt(&self, jwt: &str) -> Result<pb::VerifyCertificateResponse, ApiError> {
        let now = time::now();
        let invalid = || pb::VerifyCertificateResponse {
            verdict: pb::Verdict::InvalidSignature.into(),
            check_time: Some(time::to_timestamp(now)),
            ..Default::default()
        };
        let Some(kid) = credential::key_id(jwt) else {
            return Ok(invalid());
        };
        let Some(key) = self.store.key(&kid).await? else {
            return Ok(invalid());
        };
        let Some(claims) = credential::verified_claims(jwt, &key.jwk) else {
            return Ok(invalid());
        };
        let Some(id) = credential::certificate_id(&claims) else {
            return Ok(unknown(now));
        };
        match self.store.record(id).await? {
            Some(record) => {
                let mut answer = verdict(record, now);
                answer.key_id = kid;
                Ok(answer)
            }
            None => Ok(unknown(now)),
        }
    }
}

#[tonic::async_trait]
impl CertificationService for CertificationApi {
    async fn issue_certificate(
        &self,
        request: Request<pb::IssueCertificateRequest>,
    ) -> Result<Response<pb::IssueCertificateResponse>, Status> {
        let caller = signed_in(&request)?;
        let request = request.into_inner();
        reply(self.issue_for_completion(&caller, request).await)
    }

    async fn issue_manual_certificate(
        &self,
        request: Request<pb::IssueManualCertificateRequest>,
    ) -> Result<Response<pb::IssueManualCertificateResponse>, Status> {
        let caller = signed_in(&request)?;
        let request = request.into_inner();
        reply(self.issue_by_hand(&caller, request).await)
    }

    async fn get_certificate(
        &self,
        request: Request<pb::GetCertificateRequest>,
    ) -> Result<Response<pb::GetCertificateResponse>, Status> {
        let caller = signed_in(&request)?;
        let request = request.into_inner();
        reply(
            async {
                let record = self.visible(&caller, &request.certificate_id).await?;
                Ok(pb::GetCertificateResponse {
                    certificate: Some(certificate_to_wire(record, time::now())),
                })
            }
            .await,
        )
    }

    async fn list_certificates(
        &self,
        request: Request<pb::ListCertificatesRequest>,
    ) -> Result<Response<pb::ListCertificatesResponse>, Status> {
        let caller = signed_in(&request)?;
        let request = request.into_inner();
        reply(
            async {
                let mut v = Violations::new();
                let size = v.take("page_size", page::size(request.page_size));
                let after = v.take("page_token", page::decode::<Uuid>(&request.page_token));
                let optional = |v: &mut Violations, field: &str, value: &str| {
                    if value.is_empty() {
                        None
                    } else {
                        parse_id(v, field, value)
                    }
                };
                let course = optional(&mut v, "course_id", &request.course_id);
                let program = optional(&mut v, "program_id", &request.program_id);
                let completion = optional(&mut v, "completion_id", &request.completion_id);
                let kind = match pb::CertificateKind::try_from(request.kind) {
                    Ok(pb::CertificateKind::Course) => Some(Kind::Course),
                    Ok(pb::CertificateKind::Program) => Some(Kind::Program),
                    Ok(pb::CertificateKind::Unspecified) => None,
                    Err(_) => {
                        v.add("kind", "is not a certificate kind");
                        None
                    }
                };
                let mut statuses = Vec::new();
                for status in &request.statuses {
                    match pb::CertificateStatus::try_from(*status) {
                        Ok(pb::CertificateStatus::Unspecified) | Err(_) => {
                            v.add("statuses", format!("{status} is not a certificate status"))
                        }
                        Ok(status) => statuses.push(status),
                    }
                }
                let source = match pb::CertificateSource::try_from(request.source) {
                    Ok(pb::CertificateSource::Unspecified) => None,
                    Ok(pb::CertificateSource::Completion) => Some(Source::Completion),
                    Ok(pb::CertificateSource::Manual) => Some(Source::Manual),
                    Ok(pb::CertificateSource::Program) => Some(Source::Program),
                    Err(_) => {
                        v.add("source", "is not a certificate source");
                        None
                    }
                };
                let serial = if request.serial.is_empty() {
                    None
                } else {
                    let serial = serial::normalize(&request.serial);
                    if serial.is_none() {
                        v.add("serial", "is not a certificate serial (HMZ-XXXX-XXXX-XXXX)");
                    }
                    serial
                };
                let range = request.issue_time.unwrap_or_default();
                let mut instant = |field: &str, value: Option<&prost_types::Timestamp>| {
                    value.and_then(|t| v.take(field, time::from_caller(t)))
                };
                let issued_from = instant("issue_time.start_time", range.start_time.as_ref());
                let issued_until = instant("issue_time.end_time", range.end_time.as_ref());
                if let (Some(from), Some(until)) = (issued_from, issued_until)
                    && until <= from
                {
                    v.add("issue_time.end_time", "must be after issue_time.start_time");
                }
                v.finish()?;
                filters_in_scope(&caller, &request.trainee_subject, &request.organization_id)?;
                let size = size.unwrap_or(page::DEFAULT_PAGE_SIZE);
                let filter = CertificateFilter {
                    trainee: Some(request.trainee_subject.clone()).filter(|s| !s.is_empty()),
                    organization: Some(request.organization_id.clone()).filter(|s| !s.is_empty()),
                    kind,
                    course,
                    program,
                    completion_key: completion.map(|id| id.to_string()),
                    serial,
                    issued_from,
                    issued_until,
                };
                let mut records = self
                    .store
                    .list(&visibility(&caller), &filter, after.flatten(), size + 1)
                    .await?;
                let next_page_token =
                    page::finish(&mut records, size, |record| record.certificate.id);
                let now = time::now();
                // Standing and source are filtered on the page: a page may hold
                // fewer than page_size certificates; follow next_page_token.
                let certificates = records
                    .into_iter()
                    .filter(|record| {
                        statuses.is_empty()
                            || statuses.contains(&standing_to_wire(record.standing(now)))
                    })
                    .filter(|record| source.is_none_or(|s| record.certificate.source == s))
                    .map(|record| certificate_to_wire(record, now))
                    .collect();
                Ok(pb::ListCertificatesResponse {
                    certificates,
                    next_page_token,
                })
            }
            .await,
        )
    }

    async fn verify_certificate(
        &self,
        request: Request<pb::VerifyCertificateRequest>,
    ) -> Result<Response<pb::VerifyCertificateResponse>, Status> {
        let request = request.into_inner();
        reply(
            async {
                match request.credential {
                    Some(pb::verify_certificate_request::Credential::Serial(serial)) => {
                        let Some(serial) = serial::normalize(&serial) else {
                            return Err(ApiError::invalid_field(
                                "serial",
                                "is not a certificate serial (HMZ-XXXX-XXXX-XXXX)",
                            ));
                        };
                        let now = time::now();
                        match self.store.record_by_serial(&serial).await? {
                            Some(record) => Ok(verdict(record, now)),
                            None => Ok(unknown(now)),
                        }
                    }
                    Some(pb::verify_certificate_request::Credential::CredentialJwt(jwt)) => {
                        let jwt = jwt.trim();
                        if jwt.is_empty()
                            || jwt.len() > MAX_CREDENTIAL_BYTES
                            || jwt.split('.').count() != 3
                        {
                            return Err(ApiError::invalid_field(
                                "credential_jwt",
                                "is not a compact JWT",
                            ));
                        }
                        self.verify_jwt(jwt).await
                    }
                    None => Err(ApiError::invalid_field(
                        "credential",
                        "give a serial or a credential_jwt",
                    )),
                }
            }
            .await,
        )
    }

    async fn revoke_certificate(
        &self,
        request: Request<pb::RevokeCertificateRequest>,
    ) -> Result<Response<pb::RevokeCertificateResponse>, Status> {
        let caller = signed_in(&request)?;
        let request = request.into_inner();
        reply(
            async {
                caller.require_any(&[Role::PlatformAdmin])?;
                let mut v = Violations::new();
                let request_id = v.take(
                    "request_id",
                    idempotency::parse_request_id(&request.request_id),
                );
                let id = parse_id(&mut v, "certificate_id", &request.certificate_id);
                let reason = v.take(
                    "reason",
                    hamafza_kit::text::plain(&request.reason, REASON_CHARS),
                );
                if reason.as_deref() == Some("") {
                    v.add("reason", "is required: verifiers are told why");
                }
                v.finish()?;
                let (Some(request_id), Some(id), Some(reason)) = (request_id, id, reason) else {
                    return Err(ApiError::invalid_field("request", "is incomplete"));
                };
                let key =
                    RequestKey::new(&caller.subject, &request_id, "RevokeCertificate", &request);
                let store = &self.store;
                // The key records that the revocation happened; the answer is
                // the certificate as it stands when asked.
                idempotency::once(
                    store.connection(),
                    &key,
                    async |txn| -> Result<pb::RevokeCertificateResponse, CertificationError> {
                        store
                            .revoke(
                                txn,
                                id,
                                &reason,
                                (&caller.subject, &caller.name),
                                time::now(),
                            )
                            .await?;
                        Ok(pb::RevokeCertificateResponse::default())
                    },
                )
                .await?;
                tracing::info!(certificate_id = %id, by = %caller.subject, "certificate revoked");
                Ok(pb::RevokeCertificateResponse {
                    certificate: Some(self.wire(id).await?),
                })
            }
            .await,
        )
    }

    async fn list_expiring_certificates(
        &self,
        request: Request<pb::ListExpiringCertificatesRequest>,
    ) -> Result<Response<pb::ListExpiringCertificatesResponse>, Status> {
        let caller = signed_in(&request)?;
        let request = request.into_inner();
        reply(
            async {
                caller.require_any(&[Role::PlatformAdmin, Role::OrgManager, Role::Service])?;
                let mut v = Violations::new();
                let size = v.take("page_size", page::size(request.page_size));
                let after = v.take(
                    "page_token",
                    page::decode::<(DateTime<Utc>, Uuid)>(&request.page_token),
                );
                if !(1..=3650).contains(&request.within_days) {
                    v.add("within_days", "must be between 1 and 3650");
                }
                v.finish()?;
                // Services (the notifications' expiry notices) see every
                // organization, as admins do.
                let organization = if caller.has_any(&[Role::PlatformAdmin, Role::Service]) {
                    Some(request.organization_id.clone()).filter(|o| !o.is_empty())
                } else if caller.has(Role::OrgManager) {
                    if !request.organization_id.is_empty()
                        && request.organization_id != caller.organization_id
                    {
                        return Err(ApiError::permission_denied(
                            "org managers see their own organization's certificates",
                        ));
                    }
                    Some(caller.organization_id.clone())
                } else {
                    return Err(ApiError::permission_denied(
                        "expiring certificates are for platform admins and org managers",
                    ));
                };
                let size = size.unwrap_or(page::DEFAULT_PAGE_SIZE);
                let now = time::now();
                let until = now + chrono::Duration::days(i64::from(request.within_days));
                let mut records = self
                    .store
                    .expiring(
                        now,
                        until,
                        organization.as_deref(),
                        after.flatten(),
                        size + 1,
                    )
                    .await?;
                let next_page_token = page::finish(&mut records, size, |record| {
                    (
                        record.certificate.valid_until.unwrap_or(now),
                        record.certificate.id,
                    )
                });
                let certificates = records
                    .into_iter()
                    .filter(|record| record.standing(now) == Standing::Active)
                    .map(|record| certificate_to_wire(record, now))
                    .collect();
                Ok(pb::ListExpiringCertificatesResponse {
                    certificates,
                    next_page_token,
                })
            }
            .await,
        )
    }

    async fn get_issuer_keys(
        &self,
        _request: Request<pb::GetIssuerKeysRequest>,
    ) -> Result<Response<pb::GetIssuerKeysResponse>, Status> {
        reply(
            async {
                let jwks = crate::keys::published(&self.store).await?;
                let jwks_json = serde_json::to_string(&jwks).map_err(ApiError::internal)?;
                Ok(pb::GetIssuerKeysResponse {
                    jwks_json,
                    signing_key_id: self.keys.signing().kid().to_owned(),
                })
            }
            .await,
        )
    }

    async fn get_certificate_document(
        &self,
        request: Request<pb::GetCertificateDocumentRequest>,
    ) -> Result<Response<pb::GetCertificateDocumentResponse>, Status> {
        let caller = signed_in(&request)?;
        let request = request.into_inner();
        reply(self.document(&caller, &request.certificate_id).await)
    }

    async fn get_certificate_presentation(
        &self,
        request: Request<pb::GetCertificatePresentationRequest>,
    ) -> Result<Response<pb::GetCertificatePresentationResponse>, Status> {
        let caller = signed_in(&request)?;
        let request = request.into_inner();
        reply(
            async {
                let record = self.visible(&caller, &request.certificate_id).await?;
                let url = self.verification_url(&record.certificate.serial);
                let svg = qr_code(&url)?;
                let row = &record.certificate;
                let (issue, completion, until) =
                    (row.issue_time, row.completion_time, row.valid_until);
                let host = match row.session_id {
                    Some(session) => self.courses.session_host(session).await?,
                    None => None,
                };
                let (host_organization_id, host_organization_name) = match host {
                    Some((id, hosting)) => (id, hosting.host_organization_name),
                    None => (String::new(), None),
                };
                Ok(pb::GetCertificatePresentationResponse {
                    issue_date: Some(presented(issue)),
                    completion_date: Some(presented(completion)),
                    valid_until_date: until.map(presented),
                    verification_url: url,
                    qr_code_svg: svg,
                    host_organization_id,
                    host_organization_name,
                    certificate: Some(certificate_to_wire(record, time::now())),
                })
            }
            .await,
        )
    }
}

/// A QR code of `url` as a standalone SVG document.
pub(super) fn qr_code(url: &str) -> Result<String, ApiError> {
    let qr = qrcode::QrCode::new(url.as_bytes())
        .map_err(|e| ApiError::internal(anyhow::anyhow!("QR code: {e}")))?;
    Ok(qr
        .render::<qrcode::render::svg::Color<'_>>()
        .min_dimensions(200, 200)
        .quiet_zone(true)
        .build())
}

/// Refuses a list filter naming what the caller may never see (as the
/// contract says), instead of answering an empty page.
fn filters_in_scope(caller: &Caller, trainee: &str, organization: &str) -> Result<(), ApiError> {
    let visibility = visibility(caller);
    if visibility.everything {
        return Ok(());
    }
    if !organization.is_empty()
        && visibility.organization.as_deref() != Some(organization)
        && organization != caller.organization_id
    {
        return Err(ApiError::permission_denied(
            "you may list only your own organization's certificates",
        ));
    }
    if !trainee.is_empty()
        && visibility.trainee.as_deref() != Some(trainee)
        && visibility.organization.is_none()
    {
        return Err(ApiError::permission_denied(
            "you may list only your own certificates",
        ));
    }
    Ok(())
}
