//! Enrolments: who is in which session, approvals, attendance, completion,
//! bulk import from CSV or Excel, export; and the outbox to certification.

use std::collections::HashMap;
use std::path::PathBuf;

use clap::{Args, Subcommand, ValueEnum};
use hamafza_kit::sheet;
use hamafza_proto::common::Actor;
use hamafza_proto::enrolments as pb;

use super::catalog::course_id;
use super::context::{Context, Failure, Outcome, every_page, present};
use super::input::{is_uuid, parse_number, parse_ordinal, split_list};
use super::output::{Document, Encoded, Lang, Output, View, emit, emit_document, enum_name};
use super::sessions::{Sheet, write_sheet};

/// Enrolment states, for filters.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum State {
    /// Waiting for the org manager.
    PendingApproval,
    /// Has a seat.
    Confirmed,
    /// Waiting for a seat.
    Waitlisted,
    /// Refused by the org manager.
    Rejected,
    /// Cancelled.
    Cancelled,
    /// Passed.
    Completed,
    /// Did not pass.
    Failed,
    /// Did not come.
    NoShow,
}

impl State {
    fn wire(self) -> i32 {
        (match self {
            Self::PendingApproval => pb::EnrolmentStatus::PendingApproval,
            Self::Confirmed => pb::EnrolmentStatus::Confirmed,
            Self::Waitlisted => pb::EnrolmentStatus::Waitlisted,
            Self::Rejected => pb::EnrolmentStatus::Rejected,
            Self::Cancelled => pb::EnrolmentStatus::Cancelled,
            Self::Completed => pb::EnrolmentStatus::Completed,
            Self::Failed => pb::EnrolmentStatus::Failed,
            Self::NoShow => pb::EnrolmentStatus::NoShow,
        }) as i32
    }
}

/// Filters of a list or an export.
#[derive(Debug, Args)]
pub struct Filters {
    /// Only this session.
    #[arg(long)]
    session: Option<String>,
    /// Only this course (code or id).
    #[arg(long)]
    course: Option<String>,
    /// Only this trainee (subject).
    #[arg(long)]
    trainee: Option<String>,
    /// Only trainees of this organization.
    #[arg(long)]
    org: Option<String>,
    /// Only these states (repeat).
    #[arg(long, value_enum)]
    status: Vec<State>,
}

/// Enrolment verbs.
#[derive(Debug, Subcommand)]
pub enum EnrolmentCommand {
    /// List enrolments.
    #[command(
        after_help = "Example:\n  hamafza admin enrolments list --session 0193… --status confirmed"
    )]
    List {
        #[command(flatten)]
        filters: Filters,
    },
    /// Show one enrolment with its history.
    #[command(after_help = "Example:\n  hamafza admin enrolments show 0193…")]
    Show {
        /// The enrolment id.
        enrolment: String,
    },
    /// Enrol a trainee in a session.
    #[command(
        after_help = "Example:\n  hamafza admin enrolments enrol --session 0193… --trainee trainee-msc-1 --name \"سارا احمدی\" --org msc"
    )]
    Enrol {
        /// The session id.
        #[arg(long)]
        session: String,
        /// The trainee's subject (user id).
        #[arg(long)]
        trainee: String,
        /// The trainee's name.
        #[arg(long)]
        name: String,
        /// The trainee's organization.
        #[arg(long)]
        org: String,
        /// Enrol although prerequisites are missing.
        #[arg(long)]
        waive_prerequisites: bool,
    },
    /// Approve a pending enrolment.
    #[command(
        after_help = "Example:\n  hamafza admin enrolments approve 0193… --comment \"تأیید شد\""
    )]
    Approve {
        /// The enrolment id.
        enrolment: String,
        /// A note.
        #[arg(long)]
        comment: Option<String>,
    },
    /// Reject a pending enrolment.
    #[command(
        after_help = "Example:\n  hamafza admin enrolments reject 0193… --reason \"ظرفیت شرکت تکمیل است\""
    )]
    Reject {
        /// The enrolment id.
        enrolment: String,
        /// Why.
        #[arg(long)]
        reason: String,
    },
    /// Cancel an enrolment (the seat goes to the head of the waitlist).
    #[command(
        after_help = "Example:\n  hamafza admin enrolments cancel 0193… --reason \"ماموریت کاری\""
    )]
    Cancel {
        /// The enrolment id.
        enrolment: String,
        /// Why.
        #[arg(long)]
        reason: String,
    },
    /// Record attendance at one meeting (numbered from 1).
    #[command(
        after_help = "Example:\n  hamafza admin enrolments attend --session 0193… --meeting 1 --present trainee-msc-1,trainee-msc-2 --absent trainee-ksc-1\n\nPeople are named by enrolment id or trainee subject."
    )]
    Attend {
        /// The session id.
        #[arg(long)]
        session: String,
        /// The meeting, numbered from 1.
        #[arg(long, value_parser = parse_ordinal)]
        meeting: u32,
        /// Present: enrolment ids or trainee subjects, comma separated; repeat.
        #[arg(long, value_name = "WHO")]
        present: Vec<String>,
        /// Absent: enrolment ids or trainee subjects, comma separated; repeat.
        #[arg(long, value_name = "WHO")]
        absent: Vec<String>,
        /// Record a meeting that has not started yet, saying why (platform
        /// admins; kept in the enrolments' history).
        #[arg(long, value_name = "REASON")]
        ahead_of_schedule: Option<String>,
    },
    /// Record the outcome: a score, or that the trainee did not come.
    #[command(
        after_help = "Examples:\n  hamafza admin enrolments complete 0193… --score 92\n  hamafza admin enrolments complete 0193… --no-show"
    )]
    Complete {
        /// The enrolment id.
        enrolment: String,
        #[command(flatten)]
        outcome: Assessment,
        /// Assess before the session's last meeting has started, saying why
        /// (platform admins; kept in the enrolment's history).
        #[arg(long, value_name = "REASON")]
        ahead_of_schedule: Option<String>,
    },
    /// Enrol everyone in a CSV or Excel file (columns subject, name,
    /// organization_id); prints what became of each row.
    #[command(
        after_help = "Example:\n  hamafza admin enrolments import people.xlsx --session 0193…"
    )]
    Import {
        /// The file (.csv or .xlsx).
        file: PathBuf,
        /// The session id.
        #[arg(long)]
        session: String,
    },
    /// Write the enrolments the filters select as CSV (stdout or --out) or
    /// .xlsx (`-o xlsx --out FILE`).
    #[command(
        after_help = "Example:\n  hamafza admin enrolments export --org msc --status completed -o xlsx --out msc.xlsx"
    )]
    Export {
        #[command(flatten)]
        filters: Filters,
        /// Write to this file.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
}

/// A score or a no-show, one of them.
#[derive(Debug, Args)]
#[group(required = true, multiple = false)]
pub struct Assessment {
    /// The score (0-100).
    #[arg(long, value_parser = parse_number)]
    score: Option<u32>,
    /// The trainee did not come.
    #[arg(long)]
    no_show: bool,
}

const ENROLMENT_COLUMNS: [(&str, &str); 9] = [
    ("شناسه", "id"),
    ("فراگیر", "trainee"),
    ("نام", "name"),
    ("سازمان", "organization"),
    ("وضعیت", "status"),
    ("جلسه", "session"),
    ("حضور", "attended"),
    ("نمره", "score"),
    ("ثبت", "created"),
];

fn enrolment_cells(lang: Lang, enrolment: &pb::Enrolment) -> Vec<String> {
    let trainee = enrolment.trainee.clone().unwrap_or_default();
    let score = enrolment
        .completion
        .as_ref()
        .and_then(|completion| completion.score)
        .map(|score| lang.number(score))
        .unwrap_or_default();
    vec![
        enrolment.id.clone(),
        trainee.subject,
        trainee.name,
        trainee.organization_id,
        enum_name(enrolment.status().as_str_name(), "ENROLMENT_STATUS_"),
        enrolment.session_id.clone(),
        lang.number(enrolment.meetings_attended),
        score,
        lang.time(&enrolment.create_time),
    ]
}

fn show_enrolment<M: prost::Message>(
    context: &Context,
    message: &M,
    name: &str,
    enrolment: Option<&pb::Enrolment>,
) -> Outcome {
    let enrolment = present(enrolment, "enrolment")?;
    let mut view = View::single(&ENROLMENT_COLUMNS);
    view.row(
        enrolment.id.clone(),
        enrolment_cells(context.lang, enrolment),
    );
    let name = format!("hamafza.enrolments.v1.{name}");
    emit(context.lang, context.output, message, &name, view)
}

async fn list(context: &Context, filters: &Filters) -> Outcome<pb::ListEnrolmentsResponse> {
    let course_id = match &filters.course {
        Some(course) => course_id(context, course).await?,
        None => String::new(),
    };
    let enrolments = every_page(async |page_token| {
        let page = context
            .enrolments()
            .list_enrolments(context.request(pb::ListEnrolmentsRequest {
                page_size: 200,
                page_token,
                session_id: filters.session.clone().unwrap_or_default(),
                course_id: course_id.clone(),
                trainee_subject: filters.trainee.clone().unwrap_or_default(),
                organization_id: filters.org.clone().unwrap_or_default(),
                statuses: filters.status.iter().map(|s| s.wire()).collect(),
                create_time: None,
            }))
            .await?
            .into_inner();
        Ok((page.enrolments, page.next_page_token))
    })
    .await?;
    Ok(pb::ListEnrolmentsResponse {
        enrolments,
        ..Default::default()
    })
}

/// Runs an enrolment verb.
pub async fn run(context: &Context, command: EnrolmentCommand) -> Outcome {
    let mut client = context.enrolments();
    match command {
        EnrolmentCommand::List { filters } => {
            let all = list(context, &filters).await?;
            let mut view = View::list(&ENROLMENT_COLUMNS);
            for enrolment in &all.enrolments {
                view.row(
                    enrolment.id.clone(),
                    enrolment_cells(context.lang, enrolment),
                );
            }
            emit(
                context.lang,
                context.output,
                &all,
                "hamafza.enrolments.v1.ListEnrolmentsResponse",
                view,
            )
        }
        EnrolmentCommand::Show { enrolment } => {
            let request = context.request(pb::GetEnrolmentRequest {
                enrolment_id: enrolment,
            });
            let response = client.get_enrolment(request).await?.into_inner();
            show_enrolment(
                context,
                &response,
                "GetEnrolmentResponse",
                response.enrolment.as_ref(),
            )
        }
        EnrolmentCommand::Enrol {
            session,
            trainee,
            name,
            org,
            waive_prerequisites,
        } => {
            let request = context.request(pb::EnrolRequest {
                request_id: context.request_id(),
                session_id: session,
                trainee: Some(Actor {
                    subject: trainee,
                    name,
                    organization_id: org,
                }),
                waive_prerequisites,
            });
            let response = client.enrol(request).await?.into_inner();
            show_enrolment(
                context,
                &response,
                "EnrolResponse",
                response.enrolment.as_ref(),
            )
        }
        EnrolmentCommand::Approve { enrolment, comment } => {
            let request = context.request(pb::ApproveEnrolmentRequest {
                request_id: context.request_id(),
                enrolment_id: enrolment,
                comment: comment.unwrap_or_default(),
            });
            let response = client.approve_enrolment(request).await?.into_inner();
            show_enrolment(
                context,
                &response,
                "ApproveEnrolmentResponse",
                response.enrolment.as_ref(),
            )
        }
        EnrolmentCommand::Reject { enrolment, reason } => {
            let request = context.request(pb::RejectEnrolmentRequest {
                request_id: context.request_id(),
                enrolment_id: enrolment,
                reason,
            });
            let response = client.reject_enrolment(request).await?.into_inner();
            show_enrolment(
                context,
                &response,
                "RejectEnrolmentResponse",
                response.enrolment.as_ref(),
            )
        }
        EnrolmentCommand::Cancel { enrolment, reason } => {
            let request = context.request(pb::CancelEnrolmentRequest {
                request_id: context.request_id(),
                enrolment_id: enrolment,
                reason,
            });
            let response = client.cancel_enrolment(request).await?.into_inner();
            show_enrolment(
                context,
                &response,
                "CancelEnrolmentResponse",
                response.enrolment.as_ref(),
            )
        }
        EnrolmentCommand::Attend {
            session,
            meeting,
            present,
            absent,
            ahead_of_schedule,
        } => {
            let present = split_list(&present);
            let absent = split_list(&absent);
            if present.is_empty() && absent.is_empty() {
                return Err(Failure::Usage(
                    "name someone with --present or --absent".into(),
                ));
            }
            let by_subject = if present.iter().chain(&absent).any(|who| !is_uuid(who)) {
                let filters = Filters {
                    session: Some(session.clone()),
                    course: None,
                    trainee: None,
                    org: None,
                    status: Vec::new(),
                };
                let enrolments = list(context, &filters).await?.enrolments;
                // The live enrolment of each trainee (a cancelled one may precede it).
                let mut by_subject = HashMap::new();
                for enrolment in enrolments {
                    let live = !matches!(
                        enrolment.status(),
                        pb::EnrolmentStatus::Cancelled | pb::EnrolmentStatus::Rejected
                    );
                    if let Some(trainee) = &enrolment.trainee
                        && (live || !by_subject.contains_key(&trainee.subject))
                    {
                        by_subject.insert(trainee.subject.clone(), enrolment.id.clone());
                    }
                }
                by_subject
            } else {
                HashMap::new()
            };
            let mut marks = Vec::new();
            for (people, status) in [
                (&present, pb::AttendanceStatus::Present),
                (&absent, pb::AttendanceStatus::Absent),
            ] {
                for who in people {
                    let enrolment_id = if is_uuid(who) {
                        who.clone()
                    } else {
                        by_subject.get(who).cloned().ok_or_else(|| {
                            Failure::NotFound(format!("{who} is not enrolled in session {session}"))
                        })?
                    };
                    marks.push(pb::AttendanceMark {
                        enrolment_id,
                        status: status as i32,
                    });
                }
            }
            let response = client
                .record_attendance(context.request(pb::RecordAttendanceRequest {
                    request_id: context.request_id(),
                    session_id: session,
                    meeting_index: meeting - 1,
                    marks,
                    override_reason: ahead_of_schedule.unwrap_or_default(),
                }))
                .await?
                .into_inner();
            let mut view = View::list(&ENROLMENT_COLUMNS);
            for enrolment in &response.enrolments {
                view.row(
                    enrolment.id.clone(),
                    enrolment_cells(context.lang, enrolment),
                );
            }
            emit(
                context.lang,
                context.output,
                &response,
                "hamafza.enrolments.v1.RecordAttendanceResponse",
                view,
            )
        }
        EnrolmentCommand::Complete {
            enrolment,
            outcome,
            ahead_of_schedule,
        } => {
            let request = context.request(pb::CompleteEnrolmentRequest {
                request_id: context.request_id(),
                enrolment_id: enrolment,
                score: outcome.score,
                no_show: outcome.no_show,
                override_reason: ahead_of_schedule.unwrap_or_default(),
            });
            let response = client.complete_enrolment(request).await?.into_inner();
            show_enrolment(
                context,
                &response,
                "CompleteEnrolmentResponse",
                response.enrolment.as_ref(),
            )
        }
        EnrolmentCommand::Import { file, session } => import(context, &file, session).await,
        EnrolmentCommand::Export { filters, out } => {
            let all = list(context, &filters).await?;
            let mut table = sheet::Table::new([
                "enrolment_id",
                "trainee_subject",
                "trainee_name",
                "organization_id",
                "session_id",
                "course_id",
                "status",
                "meetings_attended",
                "score",
                "create_time",
            ]);
            for enrolment in &all.enrolments {
                let trainee = enrolment.trainee.clone().unwrap_or_default();
                table.push([
                    enrolment.id.clone(),
                    trainee.subject,
                    trainee.name,
                    trainee.organization_id,
                    enrolment.session_id.clone(),
                    enrolment.course_id.clone(),
                    enum_name(enrolment.status().as_str_name(), "ENROLMENT_STATUS_"),
                    enrolment.meetings_attended.to_string(),
                    enrolment
                        .completion
                        .as_ref()
                        .and_then(|c| c.score)
                        .map(|s| s.to_string())
                        .unwrap_or_default(),
                    enrolment
                        .create_time
                        .and_then(|t| chrono::DateTime::from_timestamp(t.seconds, 0))
                        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
                        .unwrap_or_default(),
                ]);
            }
            // meetings_attended and score
            table.numbers([7, 8]);
            write_sheet(context, Sheet::Table(&table), out.as_deref())
        }
    }
}

/// Sends a CSV or .xlsx file to BulkEnrol and prints each row's outcome.
async fn import(context: &Context, file: &std::path::Path, session: String) -> Outcome {
    let bytes = std::fs::read(file)
        .map_err(|error| Failure::Usage(format!("cannot read {}: {error}", file.display())))?;
    let is_csv = file
        .extension()
        .is_some_and(|ext| ext.eq_ignore_ascii_case("csv"));
    let csv = if is_csv {
        bytes
    } else {
        let table = sheet::read(&bytes, sheet::Limits::default())
            .map_err(|error| Failure::Usage(format!("{}: {error}", file.display())))?;
        sheet::to_plain_csv(&table)
    };
    let mut stream = context
        .enrolments()
        .bulk_enrol(context.request(pb::BulkEnrolRequest {
            request_id: context.request_id(),
            session_id: session,
            csv,
        }))
        .await?
        .into_inner();
    let lang = context.lang;
    let mut view = View::list(&[
        ("ردیف", "row"),
        ("فراگیر", "subject"),
        ("نتیجه", "outcome"),
        ("ثبت‌نام", "enrolment"),
        ("دلیل", "reason"),
        ("خطا", "error"),
    ]);
    let mut rows = Vec::new();
    let mut failed = 0;
    while let Some(row) = stream.message().await? {
        if row.outcome() == pb::BulkRowOutcome::Error {
            failed += 1;
        }
        view.row(
            row.enrolment_id.clone(),
            vec![
                lang.number(row.row_number),
                row.subject.clone(),
                enum_name(row.outcome().as_str_name(), "BULK_ROW_OUTCOME_"),
                row.enrolment_id.clone(),
                row.error_reason.clone(),
                if row.error_field.is_empty() {
                    row.error_message.clone()
                } else {
                    format!("{}: {}", row.error_field, row.error_message)
                },
            ],
        );
        rows.push(row);
    }
    match context.output {
        Output::Json | Output::Yaml => {
            // One document: a list of every row's BulkEnrolResponse.
            let rows: Vec<&dyn Encoded> = rows.iter().map(|row| row as &dyn Encoded).collect();
            emit_document(
                context.output,
                &Document::List(&rows, "hamafza.enrolments.v1.BulkEnrolResponse"),
            )?;
        }
        output => {
            let summary = pb::BulkEnrolResponse::default();
            emit(
                lang,
                output,
                &summary,
                "hamafza.enrolments.v1.BulkEnrolResponse",
                view,
            )?;
        }
    }
    if failed > 0 {
        return Err(Failure::Other(anyhow::anyhow!(
            "{failed} of {} rows were not enrolled",
            rows.len()
        )));
    }
    Ok(())
}

/// Outbox verbs.
#[derive(Debug, Subcommand)]
pub enum OutboxCommand {
    /// Deliveries from enrolments to certification: pending, delivered, the last error.
    #[command(after_help = "Example:\n  hamafza admin outbox status")]
    Status,
}

/// Runs an outbox verb.
pub async fn outbox(context: &Context, command: OutboxCommand) -> Outcome {
    match command {
        OutboxCommand::Status => {
            let response = context
                .enrolments()
                .get_delivery_status(context.request(pb::GetDeliveryStatusRequest {}))
                .await?
                .into_inner();
            let lang = context.lang;
            let mut view = View::single(&[
                ("در انتظار", "pending"),
                ("قدیمی‌ترین", "oldest pending"),
                ("تلاش‌ها", "attempts"),
                ("تحویل‌شدهٔ اخیر", "delivered lately"),
                ("آخرین تحویل", "last delivery"),
                ("آخرین خطا", "last error"),
                ("زمان خطا", "error time"),
            ]);
            view.row(
                String::new(),
                vec![
                    lang.number(response.pending_count),
                    lang.time(&response.oldest_pending_create_time),
                    lang.number(response.oldest_pending_attempts),
                    lang.number(response.delivered_count),
                    lang.time(&response.last_delivery_time),
                    response.last_error.clone(),
                    lang.time(&response.last_error_time),
                ],
            );
            emit(
                lang,
                context.output,
                &response,
                "hamafza.enrolments.v1.GetDeliveryStatusResponse",
                view,
            )
        }
    }
}
