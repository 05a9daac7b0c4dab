//! `hamafza.certification.v1.CertificationService`.

use chrono::{DateTime, Utc};
use hamafza_kit::auth::{Caller, Role};
use hamafza_kit::error::parse_id;
use hamafza_kit::idempotency::{self, RequestKey};
use hamafza_kit::{ApiError, Violations, page, time};
use hamafza_proto::certification as pb;
use hamafza_proto::certification::certification_service_server::CertificationService;
use hamafza_proto::common::Actor;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use sea_orm::Set;
use tonic::{Request, Response, Status};
use uuid::Uuid;

use super::convert::{certificate_to_wire, kind_to_wire, presented, standing_to_wire};
use super::{CertificationApi, may_see, reply, signed_in, visibility};
use crate::domain::CertificationError;
use crate::domain::credential::{self, CredentialFacts};
use crate::domain::serial;
use crate::domain::status::{Kind, Source, Standing, add_months};
use crate::store::entities::certificate;
use crate::store::queries::CertificateFilter;

/// The service principals that deliver completions (a service may make only
/// the calls it exists for).
const ISSUING_SERVICES: &[&str] = &["enrolments"];
/// Longest reason, in characters.
const REASON_CHARS: usize = 2000;
/// Longest credential accepted for verification, in bytes.
const MAX_CREDENTIAL_BYTES: usize = 16 * 1024;

/// Everything a new certificate states.
struct NewCertificate {
    kind: Kind,
    source: Source,
    trainee: (String, String, String),
    organization_name: (String, String),
    course_id: Option<Uuid>,
    program_id: Option<Uuid>,
    title: (String, String),
    hours: u32,
    score: Option<u32>,
    completion_time: DateTime<Utc>,
    validity_months: Option<u32>,
    completion_key: Option<String>,
    session_id: Option<Uuid>,
    manual_reason: String,
    issued_by: (String, String, String),
    basis: Vec<Uuid>,
}

fn parse_trainee(v: &mut Violations, actor: Option<&Actor>) -> Option<(String, String, String)> {
    let Some(actor) = actor else {
        v.add("trainee", "is required");
        return None;
    };
    let subject = v.take(
        "trainee.subject",
        hamafza_kit::text::single_line(&actor.subject, 200),
    );
    let name = v.take(
        "trainee.name",
        hamafza_kit::text::single_line(&actor.name, 200),
    );
    let organization = v.take(
        "trainee.organization_id",
        hamafza_kit::text::single_line(&actor.organization_id, 32),
    );
    // A name is shown when there is one; tokens may carry none.
    for (field, value) in [
        ("trainee.subject", &subject),
        ("trainee.organization_id", &organization),
    ] {
        if value.as_deref() == Some("") {
            v.add(field, "is required");
        }
    }
    Some((subject?, name?, organization?))
}

fn parse_completion_time(
    v: &mut Violations,
    value: Option<&prost_types::Timestamp>,
) -> Option<DateTime<Utc>> {
    let Some(value) = value else {
        v.add("completion_time", "is required");
        return None;
    };
    match time::from_timestamp(value) {
        // An hour of tolerance for clocks that disagree between machines.
        Some(t) if t <= time::now() + chrono::Duration::hours(1) && t.timestamp() > 0 => Some(t),
        _ => {
            v.add("completion_time", "must be a past instant");
            None
        }
    }
}

impl CertificationApi {
    /// Signs and stores a certificate; a repeated completion gets the stored one.
    async fn issue(
        &self,
        db: &impl sea_orm::ConnectionTrait,
        new: NewCertificate,
    ) -> Result<(certificate::Model, bool), CertificationError> {
        let id = Uuid::now_v7();
        let serial = serial::generate()
            .map_err(|e| CertificationError::Signing(format!("no randomness: {e}")))?;
        let issue_time = time::now();
        let valid_until = new
            .validity_months
            .map(|months| add_months(new.completion_time, months));
        let verification_url = self.verification_url(&serial);
        let achievement_id = match (new.course_id, new.program_id) {
            (Some(course), _) => format!("urn:hamafza:course:{course}"),
            (None, Some(program)) => format!("urn:hamafza:program:{program}"),
            (None, None) => "urn:hamafza:achievement".to_owned(),
        };
        let issuer_id = self
            .credentials
            .public_base_url
            .trim_end_matches('/')
            .to_owned();
        let claims = credential::claims(&CredentialFacts {
            id,
            serial: &serial,
            issuer_id: &issuer_id,
            issuer_name: &self.credentials.issuer_name,
            trainee_subject: &new.trainee.0,
            trainee_name: &new.trainee.1,
            organization_id: &new.trainee.2,
            achievement_id,
            achievement_kind: match new.kind {
                Kind::Course => "course",
                Kind::Program => "program",
            },
            title_fa: &new.title.0,
            title_en: &new.title.1,
            hours: new.hours,
            score: new.score,
            completion_time: new.completion_time,
            issue_time,
            valid_until,
            verification_url: &verification_url,
        });
        let signing = self.keys.signing();
        let jwt = signing
            .sign_with_type(&claims, credential::JWT_TYPE)
            .map_err(|e| CertificationError::Signing(e.to_string()))?;
        let as_i32 = |v: u32| i32::try_from(v).unwrap_or(i32::MAX);
        let row = certificate::ActiveModel {
            id: Set(id),
            serial: Set(serial),
            kind: Set(new.kind),
            source: Set(new.source),
            trainee_subject: Set(new.trainee.0),
            trainee_name: Set(new.trainee.1),
            organization_id: Set(new.trainee.2),
            organization_name_fa: Set(new.organization_name.0),
            organization_name_en: Set(new.organization_name.1),
            course_id: Set(new.course_id),
            program_id: Set(new.program_id),
            title_fa: Set(new.title.0),
            title_en: Set(new.title.1),
            hours: Set(as_i32(new.hours)),
            score: Set(new.score.map(as_i32)),
            completion_time: Set(new.completion_time),
            issue_time: Set(issue_time),
            valid_until: Set(valid_until),
            completion_key: Set(new.completion_key),
            session_id: Set(new.session_id),
            revoked_at: Set(None),
            revoke_reason: Set(String::new()),
            revoked_by_subject: Set(String::new()),
            revoked_by_name: Set(String::new()),
            credential_jwt: Set(jwt),
            key_id: Set(signing.kid().to_owned()),
            manual_reason: Set(new.manual_reason),
            issued_by_subject: Set(new.issued_by.0),
            issued_by_name: Set(new.issued_by.1),
            issued_by_organization_id: Set(new.issued_by.2),
            basis: Set(serde_json::json!(
                new.basis.iter().map(Uuid::to_string).collect::<Vec<_>>()
            )),
        };
        let (stored, newly) = self.store.insert(db, row).await?;
        if newly {
            tracing::info!(certificate_id = %stored.id, serial = %stored.serial, kind = ?stored.kind, "certificate issued");
        }
        Ok((stored, newly))
    }

    /// Issues the program certificates a trainee's course certificate for
    /// `course` completes: every required course of a published program
    /// holds an active certificate. Returns the ones issued now.
    async fn complete_programs(
        &self,
        trainee: &(String, String, String),
        organization_name: &(String, String),
        course: Uuid,
    ) -> Result<Vec<pb::Certificate>, ApiError> {
        let mut issued = Vec::new();
        let now = time::now();
        for program in self.courses.programs_with(course).await? {
            if program.required.is_empty() {
                continue;
            }
            let key = format!("program:{}:{}", program.id, trainee.0);
            if self.store.by_completion(&key).await?.is_some() {
                continue;
            }
            let held = self
                .store
                .course_certificates(&trainee.0, &program.required)
                .await?;
            let mut basis = Vec::new();
            for required in &program.required {
                let best = held.iter().find(|c| {
                    c.course_id == Some(*required) && c.valid_until.is_none_or(|until| until > now)
                });
                match best {
                    Some(certificate) => basis.push(certificate.clone()),
                    None => break,
                }
            }
            if basis.len() != program.required.len() {
                continue;
            }
            let hours = basis
                .iter()
                .map(|c| u32::try_from(c.hours).unwrap_or(0))
                .sum();
            let completion_time = basis.iter().map(|c| c.completion_time).max().unwrap_or(now);
            let (stored, newly) = self
                .issue(
                    self.store.connection(),
                    NewCertificate {
                        kind: Kind::Program,
                        source: Source::Program,
                        trainee: trainee.clone(),
                        organization_name: organization_name.clone(),
                        course_id: None,
                        program_id: Some(program.id),
                        title: (program.title_fa.clone(), program.title_en.clone()),
                        hours,
                        score: None,
                        completion_time,
                        validity_months: None,
                        completion_key: Some(key),
                        session_id: None,
                        manual_reason: String::new(),
                        issued_by: (
                            "certification".to_owned(),
                            "Hamafza".to_owned(),
                            String::new(),
                        ),
                        basis: basis.iter().map(|c| c.id).collect(),
                    },
                )
                .await?;
            if newly {
                issued.push(self.wire(stored.id).await?);
            }
        }
        Ok(issued)
    }

    async fn wire(&self, id: Uuid) -> Result<pb::Certificate, ApiError> {
        let record = self
            .store
            .record(id)
            .await?
            .ok_or_else(|| ApiError::not_found("certificate", id))?;
        Ok(certificate_to_wire(record, time::now()))
    }

    async fn visible(
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
        let Ok(header) = jsonwebtoken::decode_header(jwt) else {
            return Ok(invalid());
        };
        let Some(kid) = header.kid.clone() else {
            return Ok(invalid());
        };
        let Some(key) = self.store.key(&kid).await? else {
            return Ok(invalid());
        };
        let Ok(jwk) = serde_json::from_str::<jsonwebtoken::jwk::Jwk>(&key.jwk) else {
            return Ok(invalid());
        };
        let Ok(decoding) = DecodingKey::from_jwk(&jwk) else {
            return Ok(invalid());
        };
        let mut validation = Validation::new(Algorithm::EdDSA);
        validation.validate_exp = false;
        validation.validate_aud = false;
        validation.required_spec_claims.clear();
        let Ok(data) = jsonwebtoken::decode::<serde_json::Value>(jwt, &decoding, &validation)
        else {
            return Ok(invalid());
        };
        let Some(id) = credential::certificate_id(&data.claims) else {
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

fn unknown(now: DateTime<Utc>) -> pb::VerifyCertificateResponse {
    pb::VerifyCertificateResponse {
        verdict: pb::Verdict::Unknown.into(),
        check_time: Some(time::to_timestamp(now)),
        ..Default::default()
    }
}

/// What a verifier is told about a certificate: its standing and the public
/// facts, never the trainee's subject id or score.
fn verdict(
    record: crate::store::queries::CertificateRecord,
    now: DateTime<Utc>,
) -> pb::VerifyCertificateResponse {
    let standing = record.standing(now);
    let superseded_by_serial = record
        .superseded_by
        .as_ref()
        .map(|(_, serial)| serial.clone())
        .unwrap_or_default();
    let row = record.certificate;
    pb::VerifyCertificateResponse {
        verdict: match standing {
            Standing::Active => pb::Verdict::Valid,
            Standing::Revoked => pb::Verdict::Revoked,
            Standing::Expired => pb::Verdict::Expired,
            Standing::Superseded => pb::Verdict::Superseded,
        }
        .into(),
        certificate: Some(pb::VerifiedCertificate {
            serial: row.serial,
            kind: kind_to_wire(row.kind).into(),
            trainee_name: row.trainee_name,
            organization_id: row.organization_id,
            organization_name: Some(hamafza_proto::common::LocalizedText {
                fa: row.organization_name_fa,
                en: row.organization_name_en,
            }),
            title: Some(hamafza_proto::common::LocalizedText {
                fa: row.title_fa,
                en: row.title_en,
            }),
            hours: u32::try_from(row.hours).unwrap_or(0),
            completion_time: Some(time::to_timestamp(row.completion_time)),
            issue_time: Some(time::to_timestamp(row.issue_time)),
            valid_until: row.valid_until.map(time::to_timestamp),
        }),
        revoke_reason: row.revoke_reason,
        revoke_time: row.revoked_at.map(time::to_timestamp),
        superseded_by_serial,
        key_id: row.key_id,
        check_time: Some(time::to_timestamp(now)),
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
        reply(
            async {
                caller.require_any(&[Role::Service])?;
                if !ISSUING_SERVICES.contains(&caller.subject.as_str()) {
                    return Err(ApiError::permission_denied(
                        "only the enrolments service issues certificates for completions",
                    ));
                }
                let mut v = Violations::new();
                let completion = parse_id(&mut v, "completion_id", &request.completion_id);
                let trainee = parse_trainee(&mut v, request.trainee.as_ref());
                let course = parse_id(&mut v, "course_id", &request.course_id);
                let session = if request.session_id.is_empty() {
                    None
                } else {
                    parse_id(&mut v, "session_id", &request.session_id)
                };
                if request.score > 100 {
                    v.add("score", "must be between 0 and 100");
                }
                if !(1..=1000).contains(&request.hours) {
                    v.add("hours", "must be between 1 and 1000");
                }
                if request
                    .validity_months
                    .is_some_and(|m| !(1..=600).contains(&m))
                {
                    v.add("validity_months", "must be between 1 and 600, or unset");
                }
                let completion_time =
                    parse_completion_time(&mut v, request.completion_time.as_ref());
                let title = request.course_title.clone().unwrap_or_default();
                let title_fa = v.take(
                    "course_title.fa",
                    hamafza_kit::text::single_line(&title.fa, 200),
                );
                let title_en = v.take(
                    "course_title.en",
                    hamafza_kit::text::single_line(&title.en, 200),
                );
                v.finish()?;
                let (
                    Some(completion),
                    Some(trainee),
                    Some(course),
                    Some(completion_time),
                    Some(title_fa),
                    Some(title_en),
                ) = (
                    completion,
                    trainee,
                    course,
                    completion_time,
                    title_fa,
                    title_en,
                )
                else {
                    return Err(ApiError::invalid_field("request", "is incomplete"));
                };
                let key = completion.to_string();
                let organization_name = self.courses.organization_name(&trainee.2).await?;
                let (stored, newly_issued) = match self.store.by_completion(&key).await? {
                    Some(existing) => (existing, false),
                    None => {
                        self.issue(
                            self.store.connection(),
                            NewCertificate {
                                kind: Kind::Course,
                                source: Source::Completion,
                                trainee: trainee.clone(),
                                organization_name: organization_name.clone(),
                                course_id: Some(course),
                                program_id: None,
                                title: (title_fa, title_en),
                                hours: request.hours,
                                score: Some(request.score),
                                completion_time,
                                validity_months: request.validity_months,
                                completion_key: Some(key.clone()),
                                session_id: session,
                                manual_reason: String::new(),
                                issued_by: (
                                    caller.subject.clone(),
                                    caller.name.clone(),
                                    caller.organization_id.clone(),
                                ),
                                basis: Vec::new(),
                            },
                        )
                        .await?
                    }
                };
                if stored.trainee_subject != trainee.0 || stored.course_id != Some(course) {
                    return Err(CertificationError::CompletionMismatch(key).into());
                }
                let program_certificates = self
                    .complete_programs(&trainee, &organization_name, course)
                    .await?;
                Ok(pb::IssueCertificateResponse {
                    certificate: Some(self.wire(stored.id).await?),
                    newly_issued,
                    program_certificates,
                })
            }
            .await,
        )
    }

    async fn issue_manual_certificate(
        &self,
        request: Request<pb::IssueManualCertificateRequest>,
    ) -> Result<Response<pb::IssueManualCertificateResponse>, Status> {
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
                let trainee = parse_trainee(&mut v, request.trainee.as_ref());
                let kind = match pb::CertificateKind::try_from(request.kind) {
                    Ok(pb::CertificateKind::Course) => Some(Kind::Course),
                    Ok(pb::CertificateKind::Program) => Some(Kind::Program),
                    Ok(pb::CertificateKind::Unspecified) | Err(_) => {
                        v.add("kind", "must be course or program");
                        None
                    }
                };
                let course = match kind {
                    Some(Kind::Course) => parse_id(&mut v, "course_id", &request.course_id),
                    _ => None,
                };
                let program = match kind {
                    Some(Kind::Program) => parse_id(&mut v, "program_id", &request.program_id),
                    _ => None,
                };
                let completion_time =
                    parse_completion_time(&mut v, request.completion_time.as_ref());
                if request.hours.is_some_and(|h| !(1..=10_000).contains(&h)) {
                    v.add("hours", "must be between 1 and 10000");
                }
                if request.score.is_some_and(|s| s > 100) {
                    v.add("score", "must be between 0 and 100");
                }
                if request
                    .validity_months
                    .is_some_and(|m| !(1..=600).contains(&m))
                {
                    v.add("validity_months", "must be between 1 and 600, or unset");
                }
                let reason = v.take(
                    "reason",
                    hamafza_kit::text::plain(&request.reason, REASON_CHARS),
                );
                if reason.as_deref() == Some("") {
                    v.add("reason", "is required: say why it is issued by hand");
                }
                v.finish()?;
                let (
                    Some(request_id),
                    Some(trainee),
                    Some(kind),
                    Some(completion_time),
                    Some(reason),
                ) = (request_id, trainee, kind, completion_time, reason)
                else {
                    return Err(ApiError::invalid_field("request", "is incomplete"));
                };
                let organization_name = self.courses.organization_name(&trainee.2).await?;
                let (title, hours, validity) = match (course, program) {
                    (Some(course), _) => {
                        let details = self.courses.course(course).await?;
                        let title = details.title.unwrap_or_default();
                        (
                            (title.fa, title.en),
                            request.hours.unwrap_or(details.hours),
                            request
                                .validity_months
                                .or(details.certificate_validity_months),
                        )
                    }
                    (None, Some(program)) => {
                        let facts = self.courses.program(program).await?;
                        let Some(hours) = request.hours else {
                            return Err(ApiError::invalid_field(
                                "hours",
                                "is required for a program certificate",
                            ));
                        };
                        (
                            (facts.title_fa, facts.title_en),
                            hours,
                            request.validity_months,
                        )
                    }
                    (None, None) => {
                        return Err(ApiError::invalid_field("course_id", "is required"));
                    }
                };
                let key = RequestKey::new(
                    &caller.subject,
                    &request_id,
                    "IssueManualCertificate",
                    &request,
                );
                let response = idempotency::once(
                    self.store.connection(),
                    &key,
                    async |txn| -> Result<pb::IssueManualCertificateResponse, CertificationError> {
                        let (stored, _) = self
                            .issue(
                                txn,
                                NewCertificate {
                                    kind,
                                    source: Source::Manual,
                                    trainee: trainee.clone(),
                                    organization_name: organization_name.clone(),
                                    course_id: course,
                                    program_id: program,
                                    title,
                                    hours,
                                    score: request.score,
                                    completion_time,
                                    validity_months: validity,
                                    completion_key: None,
                                    session_id: None,
                                    manual_reason: reason.clone(),
                                    issued_by: (
                                        caller.subject.clone(),
                                        caller.name.clone(),
                                        caller.organization_id.clone(),
                                    ),
                                    basis: Vec::new(),
                                },
                            )
                            .await?;
                        // A new certificate has no successor yet.
                        let record = crate::store::queries::CertificateRecord {
                            certificate: stored,
                            superseded_by: None,
                        };
                        Ok(pb::IssueManualCertificateResponse {
                            certificate: Some(certificate_to_wire(record, time::now())),
                            program_certificates: Vec::new(),
                        })
                    },
                )
                .await?;
                let mut response = response;
                if let (Some(course), true) = (course, response.program_certificates.is_empty()) {
                    response.program_certificates = self
                        .complete_programs(&trainee, &organization_name, course)
                        .await?;
                }
                Ok(response)
            }
            .await,
        )
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
                let range = request.issue_time.unwrap_or_default();
                v.finish()?;
                let size = size.unwrap_or(page::DEFAULT_PAGE_SIZE);
                let filter = CertificateFilter {
                    trainee: Some(request.trainee_subject.clone()).filter(|s| !s.is_empty()),
                    organization: Some(request.organization_id.clone()).filter(|s| !s.is_empty()),
                    kind,
                    course,
                    program,
                    completion_key: completion.map(|id| id.to_string()),
                    issued_from: range.start_time.as_ref().and_then(time::from_timestamp),
                    issued_until: range.end_time.as_ref().and_then(time::from_timestamp),
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
                let organization = if caller.has(Role::PlatformAdmin) {
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
                let qr = qrcode::QrCode::new(url.as_bytes())
                    .map_err(|e| ApiError::internal(anyhow::anyhow!("QR code: {e}")))?;
                let svg = qr
                    .render::<qrcode::render::svg::Color<'_>>()
                    .min_dimensions(200, 200)
                    .quiet_zone(true)
                    .build();
                let row = &record.certificate;
                let (issue, completion, until) =
                    (row.issue_time, row.completion_time, row.valid_until);
                Ok(pb::GetCertificatePresentationResponse {
                    issue_date: Some(presented(issue)),
                    completion_date: Some(presented(completion)),
                    valid_until_date: until.map(presented),
                    verification_url: url,
                    qr_code_svg: svg,
                    certificate: Some(certificate_to_wire(record, time::now())),
                })
            }
            .await,
        )
    }
}
