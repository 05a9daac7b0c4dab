//! Sessions of a course: meetings, venue, instructor, capacity and quotas,
//! the enrolment window; their life (open, close, complete, cancel); rosters.

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Duration;

use chrono::{DateTime, Utc};
use clap::{Args, Subcommand, ValueEnum};
use hamafza_kit::sheet;
use hamafza_proto::common::Actor;
use hamafza_proto::courses as pb;
use hamafza_proto::enrolments as en;

use super::catalog::course_id;
use super::context::{Context, Failure, Outcome, every_page, present};
use super::input::{
    Edit, MeetingArg, from_file, meetings, parse_duration, parse_instant, parse_meeting,
    parse_number, parse_quota, set_range, set_text,
};
use super::output::{Lang, Output, View, emit, enum_name};

/// Session states, for filters.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum SessionState {
    /// Not yet open for enrolment.
    Planned,
    /// Open for enrolment.
    Open,
    /// Enrolment closed.
    Closed,
    /// Held.
    Completed,
    /// Called off.
    Cancelled,
}

impl SessionState {
    fn wire(self) -> i32 {
        (match self {
            Self::Planned => pb::SessionStatus::Planned,
            Self::Open => pb::SessionStatus::Open,
            Self::Closed => pb::SessionStatus::Closed,
            Self::Completed => pb::SessionStatus::Completed,
            Self::Cancelled => pb::SessionStatus::Cancelled,
        }) as i32
    }
}

/// Session verbs.
#[derive(Debug, Subcommand)]
pub enum SessionCommand {
    /// List sessions.
    #[command(after_help = "Example:\n  hamafza admin sessions list --course PR-210 --status open")]
    List {
        /// Only sessions of this course (code or id).
        #[arg(long)]
        course: Option<String>,
        /// Only these states (repeat).
        #[arg(long, value_enum)]
        status: Vec<SessionState>,
        /// Only sessions this instructor teaches (subject).
        #[arg(long)]
        instructor: Option<String>,
    },
    /// Show one session.
    #[command(after_help = "Example:\n  hamafza admin sessions show 0193…")]
    Show {
        /// The session id.
        session: String,
    },
    /// Plan a session of a course.
    #[command(
        after_help = "Examples:\n  hamafza admin sessions create --course PR-210 \\\n    --meeting \"1405/10/20 09:00/13:00\" --meeting \"1405/10/21 09:00/13:00\" \\\n    --venue-fa \"تهران، ساختمان ایمیدرو\" --venue-en \"Tehran, IMIDRO building\" \\\n    --instructor instructor-rahimi --instructor-name \"دکتر مریم رحیمی\" \\\n    --capacity 25 --quota msc=5 --enrol-from 1405/09/01 --enrol-until 1405/10/19\n  hamafza admin sessions create --course PR-210 --meeting 2027-01-10T05:30:00Z --duration 4h --capacity 25"
    )]
    Create {
        /// The course (code or id).
        #[arg(long)]
        course: String,
        #[command(flatten)]
        fields: SessionFields,
    },
    /// Change a session (what is not given stays; --meeting and --quota replace their lists).
    #[command(after_help = "Example:\n  hamafza admin sessions update 0193… --capacity 30")]
    Update {
        /// The session id.
        session: String,
        #[command(flatten)]
        fields: SessionFields,
    },
    /// Open a planned session for enrolment.
    #[command(after_help = "Example:\n  hamafza admin sessions open 0193…")]
    Open {
        /// The session id.
        session: String,
    },
    /// Close enrolment.
    #[command(after_help = "Example:\n  hamafza admin sessions close 0193…")]
    Close {
        /// The session id.
        session: String,
    },
    /// Mark a session held.
    #[command(after_help = "Example:\n  hamafza admin sessions complete 0193…")]
    Complete {
        /// The session id.
        session: String,
    },
    /// Call a session off; its enrolments are cancelled and people told.
    #[command(
        after_help = "Example:\n  hamafza admin sessions cancel 0193… --reason \"مدرس در دسترس نیست\""
    )]
    Cancel {
        /// The session id.
        session: String,
        /// Why (people are told).
        #[arg(long)]
        reason: String,
    },
    /// The roster as CSV (stdout or --out FILE), or .xlsx with `-o xlsx --out FILE`.
    #[command(
        after_help = "Examples:\n  hamafza admin sessions roster 0193… > roster.csv\n  hamafza admin sessions roster 0193… -o xlsx --out roster.xlsx"
    )]
    Roster {
        /// The session id.
        session: String,
        /// Write to this file.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
}

/// A session's fields.
#[derive(Debug, Args)]
pub struct SessionFields {
    /// A SessionDetails in protobuf JSON or YAML; the flags given change it.
    #[arg(long, value_name = "FILE")]
    from_file: Option<PathBuf>,
    /// A meeting: `START/END`, `START/HH:MM`, or START with --duration; repeat.
    #[arg(long = "meeting", value_name = "START[/END]", value_parser = parse_meeting)]
    meetings: Vec<MeetingArg>,
    /// How long each meeting given without an END lasts (`3h`, `90m`).
    #[arg(long, value_parser = parse_duration)]
    duration: Option<Duration>,
    /// The venue in Persian.
    #[arg(long)]
    venue_fa: Option<String>,
    /// The venue in English.
    #[arg(long)]
    venue_en: Option<String>,
    /// The online meeting link.
    #[arg(long)]
    online_url: Option<String>,
    /// The instructor's subject (user id).
    #[arg(long)]
    instructor: Option<String>,
    /// The instructor's name.
    #[arg(long)]
    instructor_name: Option<String>,
    /// The instructor's organization.
    #[arg(long)]
    instructor_org: Option<String>,
    /// Seats.
    #[arg(long, value_parser = parse_number)]
    capacity: Option<u32>,
    /// Seats kept for an organization, `ORG=SEATS`; repeat; replaces the list.
    #[arg(long = "quota", value_name = "ORG=SEATS", value_parser = parse_quota)]
    quotas: Vec<(String, u32)>,
    /// When enrolment opens.
    #[arg(long, value_name = "WHEN", value_parser = parse_instant)]
    enrol_from: Option<DateTime<Utc>>,
    /// When enrolment closes (no later than the last meeting's end).
    #[arg(long, value_name = "WHEN", value_parser = parse_instant)]
    enrol_until: Option<DateTime<Utc>>,
}

fn apply_session_fields(details: &mut pb::SessionDetails, fields: &SessionFields) -> Outcome {
    if !fields.meetings.is_empty() {
        details.meetings = meetings(&fields.meetings, fields.duration)?;
    } else if fields.duration.is_some() {
        return Err(Failure::Usage("--duration goes with --meeting".into()));
    }
    set_text(&mut details.venue, &fields.venue_fa, &fields.venue_en);
    if let Some(url) = &fields.online_url {
        details.online_url.clone_from(url);
    }
    if fields.instructor.is_some()
        || fields.instructor_name.is_some()
        || fields.instructor_org.is_some()
    {
        let instructor = details.instructor.get_or_insert_with(Actor::default);
        if let Some(subject) = &fields.instructor {
            instructor.subject.clone_from(subject);
        }
        if let Some(name) = &fields.instructor_name {
            instructor.name.clone_from(name);
        }
        if let Some(org) = &fields.instructor_org {
            instructor.organization_id.clone_from(org);
        }
    }
    if let Some(capacity) = fields.capacity {
        details.capacity = capacity;
    }
    if !fields.quotas.is_empty() {
        details.quotas = fields
            .quotas
            .iter()
            .map(|(org, seats)| pb::SeatQuota {
                organization_id: org.clone(),
                seats: *seats,
            })
            .collect();
    }
    set_range(
        &mut details.enrolment_window,
        fields.enrol_from,
        fields.enrol_until,
    );
    Ok(())
}

const SESSION_COLUMNS: [(&str, &str); 9] = [
    ("شناسه", "id"),
    ("دوره", "course"),
    ("وضعیت", "status"),
    ("شروع", "start"),
    ("پایان", "end"),
    ("جلسه‌ها", "meetings"),
    ("ظرفیت", "capacity"),
    ("سهمیه‌ها", "quotas"),
    ("مدرس", "instructor"),
];

/// The codes of the courses of `sessions`, for people (one call).
async fn course_codes(
    context: &Context,
    sessions: &[pb::Session],
) -> Outcome<HashMap<String, String>> {
    let mut ids: Vec<String> = sessions.iter().map(|s| s.course_id.clone()).collect();
    ids.sort();
    ids.dedup();
    if ids.is_empty() || matches!(context.output, Output::Json | Output::Yaml | Output::Id) {
        return Ok(HashMap::new());
    }
    let mut codes = HashMap::new();
    for chunk in ids.chunks(100) {
        let courses = context
            .catalog()
            .list_courses(context.request(pb::ListCoursesRequest {
                page_size: 200,
                course_ids: chunk.to_vec(),
                ..Default::default()
            }))
            .await?
            .into_inner()
            .courses;
        for course in courses {
            if let Some(details) = course.details {
                codes.insert(course.id, details.code);
            }
        }
    }
    Ok(codes)
}

fn session_row(
    view: &mut View,
    lang: Lang,
    session: &pb::Session,
    codes: &HashMap<String, String>,
) {
    let details = session.details.clone().unwrap_or_default();
    let quotas: Vec<String> = details
        .quotas
        .iter()
        .map(|quota| format!("{}={}", quota.organization_id, lang.number(quota.seats)))
        .collect();
    let instructor = details
        .instructor
        .map(|i| if i.name.is_empty() { i.subject } else { i.name })
        .unwrap_or_default();
    view.row(
        session.id.clone(),
        vec![
            session.id.clone(),
            codes
                .get(&session.course_id)
                .cloned()
                .unwrap_or_else(|| session.course_id.clone()),
            enum_name(session.status().as_str_name(), "SESSION_STATUS_"),
            lang.time(&session.start_time),
            lang.time(&session.end_time),
            lang.number(details.meetings.len()),
            lang.number(details.capacity),
            quotas.join(" "),
            instructor,
        ],
    );
}

async fn show_session<M: prost::Message>(
    context: &Context,
    message: &M,
    name: &str,
    session: Option<&pb::Session>,
) -> Outcome {
    let session = present(session, "session")?;
    let codes = course_codes(context, std::slice::from_ref(session)).await?;
    let mut view = View::single(&SESSION_COLUMNS);
    session_row(&mut view, context.lang, session, &codes);
    let name = format!("hamafza.courses.v1.{name}");
    emit(context.lang, context.output, message, &name, view)
}

/// Runs a session verb.
pub async fn run(context: &Context, command: SessionCommand) -> Outcome {
    let mut client = context.sessions();
    match command {
        SessionCommand::List {
            course,
            status,
            instructor,
        } => {
            let course_id = match course {
                Some(course) => course_id(context, &course).await?,
                None => String::new(),
            };
            let sessions = every_page(async |page_token| {
                let page = client
                    .list_sessions(context.request(pb::ListSessionsRequest {
                        page_size: 200,
                        page_token,
                        course_id: course_id.clone(),
                        statuses: status.iter().map(|s| s.wire()).collect(),
                        instructor_subject: instructor.clone().unwrap_or_default(),
                        ..Default::default()
                    }))
                    .await?
                    .into_inner();
                Ok((page.sessions, page.next_page_token))
            })
            .await?;
            let all = pb::ListSessionsResponse {
                sessions,
                ..Default::default()
            };
            let codes = course_codes(context, &all.sessions).await?;
            let mut view = View::list(&SESSION_COLUMNS);
            for session in &all.sessions {
                session_row(&mut view, context.lang, session, &codes);
            }
            emit(
                context.lang,
                context.output,
                &all,
                "hamafza.courses.v1.ListSessionsResponse",
                view,
            )
        }
        SessionCommand::Show { session } => {
            let request = context.request(pb::GetSessionRequest {
                session_id: session,
            });
            let response = client.get_session(request).await?.into_inner();
            show_session(
                context,
                &response,
                "GetSessionResponse",
                response.session.as_ref(),
            )
            .await
        }
        SessionCommand::Create { course, fields } => {
            let course_id = course_id(context, &course).await?;
            let mut details = match &fields.from_file {
                Some(file) => from_file(file, "hamafza.courses.v1.SessionDetails")?,
                None => pb::SessionDetails::default(),
            };
            apply_session_fields(&mut details, &fields)?;
            let request = context.request(pb::CreateSessionRequest {
                course_id,
                details: Some(details),
                request_id: context.request_id(),
            });
            let response = client.create_session(request).await?.into_inner();
            show_session(
                context,
                &response,
                "CreateSessionResponse",
                response.session.as_ref(),
            )
            .await
        }
        SessionCommand::Update { session, fields } => {
            let response = update_session(context, session, &fields).await?;
            show_session(
                context,
                &response,
                "UpdateSessionResponse",
                response.session.as_ref(),
            )
            .await
        }
        SessionCommand::Open { session } => {
            let request = context.request(pb::OpenSessionRequest {
                session_id: session,
            });
            let response = client.open_session(request).await?.into_inner();
            show_session(
                context,
                &response,
                "OpenSessionResponse",
                response.session.as_ref(),
            )
            .await
        }
        SessionCommand::Close { session } => {
            let request = context.request(pb::CloseSessionRequest {
                session_id: session,
            });
            let response = client.close_session(request).await?.into_inner();
            show_session(
                context,
                &response,
                "CloseSessionResponse",
                response.session.as_ref(),
            )
            .await
        }
        SessionCommand::Complete { session } => {
            let request = context.request(pb::CompleteSessionRequest {
                session_id: session,
            });
            let response = client.complete_session(request).await?.into_inner();
            show_session(
                context,
                &response,
                "CompleteSessionResponse",
                response.session.as_ref(),
            )
            .await
        }
        SessionCommand::Cancel { session, reason } => {
            let request = context.request(pb::CancelSessionRequest {
                session_id: session,
                reason,
            });
            let response = client.cancel_session(request).await?.into_inner();
            show_session(
                context,
                &response,
                "CancelSessionResponse",
                response.session.as_ref(),
            )
            .await
        }
        SessionCommand::Roster { session, out } => {
            let response = context
                .enrolments()
                .export_roster(context.request(en::ExportRosterRequest {
                    session_id: session,
                    statuses: Vec::new(),
                }))
                .await?
                .into_inner();
            write_sheet(context, Sheet::Csv(&response.csv), out.as_deref())
        }
    }
}

/// A table to write as a file: the server's CSV as it came, or rows made here.
pub enum Sheet<'a> {
    /// CSV bytes (a roster from ExportRoster).
    Csv(&'a [u8]),
    /// A table.
    Table(&'a sheet::Table),
}

/// Writes `table` as CSV, or as an .xlsx workbook with `-o xlsx` (right to
/// left in Persian), to `out` or stdout (CSV only).
pub fn write_sheet(context: &Context, table: Sheet<'_>, out: Option<&std::path::Path>) -> Outcome {
    use std::io::Write;
    let bytes = match (context.output, table) {
        (Output::Xlsx, Sheet::Csv(csv)) => {
            let limits = sheet::Limits {
                max_bytes: 256 * 1024 * 1024,
                max_rows: 1_000_000,
            };
            let mut table =
                sheet::read(csv, limits).map_err(|error| Failure::Other(error.into()))?;
            // The CSV's guard against formulas is not needed in a workbook's
            // string cells, where its apostrophe would show.
            for cell in table.rows.iter_mut().flatten() {
                *cell = hamafza_kit::text::spreadsheet_plain(cell).to_owned();
            }
            sheet::to_xlsx(&table, context.lang == Lang::Fa)
                .map_err(|error| Failure::Other(error.into()))?
        }
        (Output::Xlsx, Sheet::Table(table)) => sheet::to_xlsx(table, context.lang == Lang::Fa)
            .map_err(|error| Failure::Other(error.into()))?,
        (Output::Table | Output::Csv, Sheet::Csv(csv)) => csv.to_vec(),
        (Output::Table | Output::Csv, Sheet::Table(table)) => sheet::to_csv(table),
        (Output::Json | Output::Yaml | Output::Id, _) => {
            return Err(Failure::Usage(
                "this writes CSV or xlsx (-o csv|xlsx)".into(),
            ));
        }
    };
    match out {
        Some(path) => {
            std::fs::write(path, &bytes)?;
            eprintln!("wrote {}", path.display());
        }
        None if context.output == Output::Xlsx => {
            return Err(Failure::Usage("-o xlsx needs --out FILE".into()));
        }
        None => std::io::stdout().lock().write_all(&bytes)?,
    }
    Ok(())
}

/// Read, change what `fields` give, write back the whole details with the
/// etag read (see [`Edit`]).
async fn update_session(
    context: &Context,
    session_id: String,
    fields: &SessionFields,
) -> Outcome<pb::UpdateSessionResponse> {
    let mut client = context.sessions();
    let session = present(
        client
            .get_session(context.request(pb::GetSessionRequest {
                session_id: session_id.clone(),
            }))
            .await?
            .into_inner()
            .session,
        "session",
    )?;
    let file = fields.from_file.as_deref();
    let mut edit = Edit::begin(session.details, file, "hamafza.courses.v1.SessionDetails")?;
    apply_session_fields(&mut edit.details, fields)?;
    let (details, update_mask) = edit.finish()?;
    Ok(client
        .update_session(context.request(pb::UpdateSessionRequest {
            session_id,
            details: Some(details),
            etag: session.etag,
            update_mask,
        }))
        .await?
        .into_inner())
}
