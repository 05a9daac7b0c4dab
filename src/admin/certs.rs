//! Certificates: list (waiting for the outbox when asked), show, issue by
//! hand, revoke, verify by serial, credential or id, and those expiring.

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use clap::{Subcommand, ValueEnum};
use hamafza_proto::certification as pb;
use hamafza_proto::common::Actor;

use super::catalog::{course_id, program_id};
use super::context::{Context, Failure, Outcome, every_page, present};
use super::input::{is_uuid, parse_duration, parse_instant, parse_number, timestamp};
use super::output::{Lang, View, emit, enum_name};

/// Certificate states, for filters.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum State {
    /// Valid.
    Active,
    /// Revoked.
    Revoked,
    /// Past its validity.
    Expired,
    /// Replaced by a newer one.
    Superseded,
}

impl State {
    fn wire(self) -> i32 {
        (match self {
            Self::Active => pb::CertificateStatus::Active,
            Self::Revoked => pb::CertificateStatus::Revoked,
            Self::Expired => pb::CertificateStatus::Expired,
            Self::Superseded => pb::CertificateStatus::Superseded,
        }) as i32
    }
}

/// Certificate verbs.
#[derive(Debug, Subcommand)]
pub enum CertCommand {
    /// List certificates; --wait waits for at least one (the outbox delivers
    /// a completion's certificate asynchronously) and exits 4 when none came.
    #[command(
        after_help = "Example:\n  hamafza admin certs list --trainee trainee-msc-1 --course PR-210 --wait 30s"
    )]
    List {
        /// Only this trainee's (subject).
        #[arg(long)]
        trainee: Option<String>,
        /// Only this organization's.
        #[arg(long)]
        org: Option<String>,
        /// Only this course's (code or id).
        #[arg(long)]
        course: Option<String>,
        /// Only of this completion (the enrolment id).
        #[arg(long)]
        enrolment: Option<String>,
        /// Only the one with this serial, as printed or typed (`hmz 1234…`).
        #[arg(long)]
        serial: Option<String>,
        /// Only these states (repeat).
        #[arg(long, value_enum)]
        status: Vec<State>,
        /// Wait up to this long until at least one matches (`30s`).
        #[arg(long, value_parser = parse_duration)]
        wait: Option<Duration>,
    },
    /// Show one certificate.
    #[command(after_help = "Example:\n  hamafza admin certs show 0193…")]
    Show {
        /// The certificate id.
        certificate: String,
    },
    /// Issue a certificate by hand (a completion recorded elsewhere).
    #[command(
        after_help = "Example:\n  hamafza admin certs issue --trainee trainee-msc-1 --name \"سارا احمدی\" --org msc \\\n    --course PR-101 --completed 1405/08/15 --score 88 --reason \"دوره در سامانهٔ پیشین برگزار شد\""
    )]
    Issue {
        /// The trainee's subject.
        #[arg(long)]
        trainee: String,
        /// The trainee's name.
        #[arg(long)]
        name: String,
        /// The trainee's organization.
        #[arg(long)]
        org: String,
        /// The course (code or id).
        #[arg(long, conflicts_with = "program", required_unless_present = "program")]
        course: Option<String>,
        /// The program (code or id), for a program certificate.
        #[arg(long)]
        program: Option<String>,
        /// When it was completed.
        #[arg(long, value_parser = parse_instant)]
        completed: DateTime<Utc>,
        /// Hours (default: the course's).
        #[arg(long, value_parser = parse_number)]
        hours: Option<u32>,
        /// The score.
        #[arg(long, value_parser = parse_number)]
        score: Option<u32>,
        /// Validity in months (default: the course's).
        #[arg(long, value_parser = parse_number)]
        validity_months: Option<u32>,
        /// Why it is issued by hand.
        #[arg(long)]
        reason: String,
    },
    /// Revoke a certificate.
    #[command(after_help = "Example:\n  hamafza admin certs revoke 0193… --reason \"صدور نادرست\"")]
    Revoke {
        /// The certificate id.
        certificate: String,
        /// Why (shown to whoever verifies it).
        #[arg(long)]
        reason: String,
    },
    /// Verify a certificate by serial (HMZ-…), credential (a VC-JWT) or id;
    /// exit 0 only when it is valid.
    #[command(after_help = "Example:\n  hamafza admin certs verify HMZ-7Q2K-94XD-M3TA")]
    Verify {
        /// A serial, a credential JWT, or a certificate id.
        what: String,
    },
    /// Certificates expiring within some days.
    #[command(after_help = "Example:\n  hamafza admin certs expiring --days 60 --org msc")]
    Expiring {
        /// Within this many days.
        #[arg(long, default_value_t = 30, value_parser = parse_number)]
        days: u32,
        /// Only this organization's.
        #[arg(long)]
        org: Option<String>,
    },
}

const CERT_COLUMNS: [(&str, &str); 9] = [
    ("شناسه", "id"),
    ("شماره", "serial"),
    ("فراگیر", "trainee"),
    ("سازمان", "organization"),
    ("عنوان", "title"),
    ("وضعیت", "status"),
    ("صدور", "issued"),
    ("اعتبار تا", "valid until"),
    ("دلیل ابطال", "revoke reason"),
];

fn cert_row(view: &mut View, lang: Lang, cert: &pb::Certificate) {
    let trainee = cert.trainee.clone().unwrap_or_default();
    view.row(
        cert.id.clone(),
        vec![
            cert.id.clone(),
            cert.serial.clone(),
            if trainee.name.is_empty() {
                trainee.subject
            } else {
                trainee.name
            },
            trainee.organization_id,
            lang.text(&cert.title),
            enum_name(cert.status().as_str_name(), "CERTIFICATE_STATUS_"),
            lang.time(&cert.issue_time),
            lang.time(&cert.valid_until),
            cert.revoke_reason.clone(),
        ],
    );
}

fn show_cert<M: prost::Message>(
    context: &Context,
    message: &M,
    name: &str,
    cert: Option<&pb::Certificate>,
) -> Outcome {
    let cert = present(cert, "certificate")?;
    let mut view = View::single(&CERT_COLUMNS);
    cert_row(&mut view, context.lang, cert);
    let name = format!("hamafza.certification.v1.{name}");
    emit(context.lang, context.output, message, &name, view)
}

/// Runs a certificate verb.
pub async fn run(context: &Context, command: CertCommand) -> Outcome {
    let mut client = context.certification();
    match command {
        CertCommand::List {
            trainee,
            org,
            course,
            enrolment,
            serial,
            status,
            wait,
        } => {
            let course_id = match course {
                Some(course) => course_id(context, &course).await?,
                None => String::new(),
            };
            let request = pb::ListCertificatesRequest {
                page_size: 200,
                trainee_subject: trainee.unwrap_or_default(),
                organization_id: org.unwrap_or_default(),
                course_id,
                completion_id: enrolment.unwrap_or_default(),
                serial: serial.unwrap_or_default(),
                statuses: status.iter().map(|s| s.wire()).collect(),
                ..Default::default()
            };
            let deadline = wait.map(|wait| Instant::now() + wait);
            let all = loop {
                let certificates = every_page(async |page_token| {
                    let page = client
                        .list_certificates(context.request(pb::ListCertificatesRequest {
                            page_token,
                            ..request.clone()
                        }))
                        .await?
                        .into_inner();
                    Ok((page.certificates, page.next_page_token))
                })
                .await?;
                let all = pb::ListCertificatesResponse {
                    certificates,
                    ..Default::default()
                };
                match deadline {
                    Some(deadline) if all.certificates.is_empty() => {
                        if Instant::now() >= deadline {
                            return Err(Failure::NotFound(
                                "no certificate matched within the --wait".into(),
                            ));
                        }
                        tokio::time::sleep(Duration::from_millis(200)).await;
                    }
                    _ => break all,
                }
            };
            let mut view = View::list(&CERT_COLUMNS);
            for cert in &all.certificates {
                cert_row(&mut view, context.lang, cert);
            }
            emit(
                context.lang,
                context.output,
                &all,
                "hamafza.certification.v1.ListCertificatesResponse",
                view,
            )
        }
        CertCommand::Show { certificate } => {
            let request = context.request(pb::GetCertificateRequest {
                certificate_id: certificate,
            });
            let response = client.get_certificate(request).await?.into_inner();
            show_cert(
                context,
                &response,
                "GetCertificateResponse",
                response.certificate.as_ref(),
            )
        }
        CertCommand::Issue {
            trainee,
            name,
            org,
            course,
            program,
            completed,
            hours,
            score,
            validity_months,
            reason,
        } => {
            let (kind, course_id, program_id) = match (&course, &program) {
                (Some(course), _) => (
                    pb::CertificateKind::Course,
                    course_id(context, course).await?,
                    String::new(),
                ),
                (None, Some(program)) => (
                    pb::CertificateKind::Program,
                    String::new(),
                    program_id(context, program).await?,
                ),
                (None, None) => (pb::CertificateKind::Program, String::new(), String::new()),
            };
            let request = context.request(pb::IssueManualCertificateRequest {
                request_id: context.request_id(),
                trainee: Some(Actor {
                    subject: trainee,
                    name,
                    organization_id: org,
                }),
                kind: kind as i32,
                course_id,
                program_id,
                completion_time: Some(timestamp(completed)),
                hours,
                score,
                validity_months,
                reason,
            });
            let response = client.issue_manual_certificate(request).await?.into_inner();
            show_cert(
                context,
                &response,
                "IssueManualCertificateResponse",
                response.certificate.as_ref(),
            )
        }
        CertCommand::Revoke {
            certificate,
            reason,
        } => {
            let request = context.request(pb::RevokeCertificateRequest {
                request_id: context.request_id(),
                certificate_id: certificate,
                reason,
            });
            let response = client.revoke_certificate(request).await?.into_inner();
            show_cert(
                context,
                &response,
                "RevokeCertificateResponse",
                response.certificate.as_ref(),
            )
        }
        CertCommand::Verify { what } => {
            let credential = if is_uuid(&what) {
                let cert = client
                    .get_certificate(context.request(pb::GetCertificateRequest {
                        certificate_id: what,
                    }))
                    .await?
                    .into_inner()
                    .certificate;
                pb::verify_certificate_request::Credential::Serial(
                    present(cert, "certificate")?.serial,
                )
            } else if what.matches('.').count() == 2 {
                pb::verify_certificate_request::Credential::CredentialJwt(what)
            } else {
                pb::verify_certificate_request::Credential::Serial(what)
            };
            let response = client
                .verify_certificate(context.request(pb::VerifyCertificateRequest {
                    credential: Some(credential),
                }))
                .await?
                .into_inner();
            let lang = context.lang;
            let verified = response.certificate.clone().unwrap_or_default();
            let mut view = View::single(&[
                ("نتیجه", "verdict"),
                ("شماره", "serial"),
                ("فراگیر", "trainee"),
                ("سازمان", "organization"),
                ("عنوان", "title"),
                ("ساعت", "hours"),
                ("صدور", "issued"),
                ("اعتبار تا", "valid until"),
                ("دلیل ابطال", "revoke reason"),
            ]);
            view.row(
                verified.serial.clone(),
                vec![
                    enum_name(response.verdict().as_str_name(), "VERDICT_"),
                    verified.serial.clone(),
                    verified.trainee_name.clone(),
                    lang.text(&verified.organization_name),
                    lang.text(&verified.title),
                    lang.number(verified.hours),
                    lang.time(&verified.issue_time),
                    lang.time(&verified.valid_until),
                    response.revoke_reason.clone(),
                ],
            );
            emit(
                lang,
                context.output,
                &response,
                "hamafza.certification.v1.VerifyCertificateResponse",
                view,
            )?;
            if response.verdict() == pb::Verdict::Valid {
                Ok(())
            } else {
                Err(Failure::Verdict(enum_name(
                    response.verdict().as_str_name(),
                    "VERDICT_",
                )))
            }
        }
        CertCommand::Expiring { days, org } => {
            let certificates = every_page(async |page_token| {
                let page = client
                    .list_expiring_certificates(context.request(
                        pb::ListExpiringCertificatesRequest {
                            page_size: 200,
                            page_token,
                            within_days: days,
                            organization_id: org.clone().unwrap_or_default(),
                        },
                    ))
                    .await?
                    .into_inner();
                Ok((page.certificates, page.next_page_token))
            })
            .await?;
            let all = pb::ListExpiringCertificatesResponse {
                certificates,
                ..Default::default()
            };
            let mut view = View::list(&CERT_COLUMNS);
            for cert in &all.certificates {
                cert_row(&mut view, context.lang, cert);
            }
            emit(
                context.lang,
                context.output,
                &all,
                "hamafza.certification.v1.ListExpiringCertificatesResponse",
                view,
            )
        }
    }
}
