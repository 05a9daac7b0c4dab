//! Issuing certificates: for a completion delivered by enrolments, by hand,
//! and for the programs a course certificate completes. The rules of what is
//! issued are `domain::issuance`'s; the row is the store's.

use chrono::{DateTime, Utc};
use hamafza_kit::auth::{Caller, Role};
use hamafza_kit::error::parse_id;
use hamafza_kit::idempotency::{self, RequestKey};
use hamafza_kit::ids::Person;
use hamafza_kit::{ApiError, Violations, time};
use hamafza_proto::certification as pb;
use hamafza_proto::common::Actor;
use uuid::Uuid;

use super::convert::certificate_to_wire;
use super::{CertificationApi, REASON_CHARS};
use crate::domain::CertificationError;
use crate::domain::credential;
use crate::domain::issuance::{self, HeldCertificate, Issued, NewCertificate};
use crate::domain::serial;
use crate::domain::status::{Kind, Source};
use crate::store::entities::certificate;

/// The service principals that deliver completions (a service may make only
/// the calls it exists for).
const ISSUING_SERVICES: &[&str] = &["enrolments"];

fn parse_trainee(v: &mut Violations, actor: Option<&Actor>) -> Option<Person> {
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
    Some(Person {
        subject: subject?,
        name: name?,
        organization_id: organization?,
    })
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
    /// `IssueCertificate`: certifies a completion the enrolments service
    /// delivers (once), then issues the program certificates it completes.
    pub(super) async fn issue_for_completion(
        &self,
        caller: &Caller,
        request: pb::IssueCertificateRequest,
    ) -> Result<pb::IssueCertificateResponse, ApiError> {
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
        let completion_time = parse_completion_time(&mut v, request.completion_time.as_ref());
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
        let organization_name = self
            .courses
            .organization_name(&trainee.organization_id)
            .await?;
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
                        issued_by: Person {
                            subject: caller.subject.clone(),
                            name: caller.name.clone(),
                            organization_id: caller.organization_id.clone(),
                        },
                        basis: Vec::new(),
                    },
                )
                .await?
            }
        };
        if stored.trainee_subject != trainee.subject || stored.course_id != Some(course) {
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

    /// `IssueManualCertificate`: a certificate an admin issues by hand.
    pub(super) async fn issue_by_hand(
        &self,
        caller: &Caller,
        request: pb::IssueManualCertificateRequest,
    ) -> Result<pb::IssueManualCertificateResponse, ApiError> {
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
        let completion_time = parse_completion_time(&mut v, request.completion_time.as_ref());
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
        let (Some(request_id), Some(trainee), Some(kind), Some(completion_time), Some(reason)) =
            (request_id, trainee, kind, completion_time, reason)
        else {
            return Err(ApiError::invalid_field("request", "is incomplete"));
        };
        let organization_name = self
            .courses
            .organization_name(&trainee.organization_id)
            .await?;
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
                            issued_by: Person {
                                subject: caller.subject.clone(),
                                name: caller.name.clone(),
                                organization_id: caller.organization_id.clone(),
                            },
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

    /// Signs and stores a certificate; a repeated completion gets the stored one.
    async fn issue(
        &self,
        db: &impl sea_orm::ConnectionTrait,
        new: NewCertificate,
    ) -> Result<(certificate::Model, bool), CertificationError> {
        let id = Uuid::now_v7();
        let serial = serial::generate()
            .map_err(|e| CertificationError::Signing(format!("no randomness: {e}")))?;
        let issued = Issued {
            id,
            serial,
            issue_time: time::now(),
            valid_until: new.valid_until(),
        };
        let verification_url = self.verification_url(&issued.serial);
        let issuer_id = self
            .credentials
            .public_base_url
            .trim_end_matches('/')
            .to_owned();
        let claims = credential::claims(&new.credential_facts(
            &issued,
            &issuer_id,
            &self.credentials.issuer_name,
            &verification_url,
        ));
        let signing = self.keys.signing();
        let jwt = signing
            .sign_with_type(&claims, credential::JWT_TYPE)
            .map_err(|e| CertificationError::Signing(e.to_string()))?;
        let (stored, newly) = self
            .store
            .insert_issued(db, new, issued, jwt, signing.kid().to_owned())
            .await?;
        if newly {
            tracing::info!(
                certificate_id = %stored.id,
                serial = %stored.serial,
                kind = ?stored.kind,
                "certificate issued"
            );
        }
        Ok((stored, newly))
    }

    /// Issues the program certificates a trainee's course certificate for
    /// `course` completes: every required course of a published program
    /// holds an active certificate. Returns the ones issued now.
    async fn complete_programs(
        &self,
        trainee: &Person,
        organization_name: &(String, String),
        course: Uuid,
    ) -> Result<Vec<pb::Certificate>, ApiError> {
        let mut issued = Vec::new();
        let now = time::now();
        for program in self.courses.programs_with(course).await? {
            if program.required.is_empty() {
                continue;
            }
            // One standing program certificate at a time, however issued
            // (automatically, or by hand); a revoked or lapsed one is earned
            // again.
            if self
                .store
                .holds_program_certificate(&trainee.subject, program.id, now)
                .await?
            {
                continue;
            }
            let held: Vec<HeldCertificate> = self
                .store
                .course_certificates(&trainee.subject, &program.required)
                .await?
                .iter()
                .map(HeldCertificate::from)
                .collect();
            let Some(completion) = issuance::program_completion(&program.required, &held, now)
            else {
                continue;
            };
            let key =
                issuance::program_completion_key(program.id, &trainee.subject, &completion.basis);
            let (stored, newly) = self
                .issue(
                    self.store.connection(),
                    NewCertificate::for_program(
                        trainee.clone(),
                        organization_name.clone(),
                        program.id,
                        (program.title_fa.clone(), program.title_en.clone()),
                        completion,
                        key,
                    ),
                )
                .await?;
            if newly {
                issued.push(self.wire(stored.id).await?);
            }
        }
        Ok(issued)
    }
}
