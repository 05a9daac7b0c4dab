//! `hamafza admin …`: the platform admins' typed command line over the
//! services' gRPC contracts (the same typed clients the services use), with
//! friendly input (Jalali or ISO dates, codes for ids), tables in Persian or
//! English, and the canonical protobuf JSON for scripts.

mod catalog;
mod certs;
mod context;
mod enrolments;
mod events;
mod input;
mod output;
mod people;
mod sessions;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Subcommand};
use hamafza_kit::config::Config;

pub use context::{Context, Failure};
pub use output::{Lang, Output};

/// Exit codes, documented in `hamafza admin --help`.
pub const EXIT_CODES: &str = "\
Exit codes:
  0  done
  1  anything else (an internal error of a service, a file that cannot be read,
     rows of an import not enrolled, a certificate that `certs verify` finds not valid)
  2  usage: a bad flag or value (nothing was sent)
  3  auth: no token, an invalid one (UNAUTHENTICATED) or not allowed (PERMISSION_DENIED)
  4  not found (NOT_FOUND, or a code that names nothing)
  5  unavailable: a service cannot be reached or did not answer in time (UNAVAILABLE, DEADLINE_EXCEEDED)
  6  conflict: ALREADY_EXISTS, ABORTED or FAILED_PRECONDITION (e.g. a course not in the state the change needs)

Errors print the service's stable reason (google.rpc.ErrorInfo) and every field
violation as `field: description`.

Dates: Jalali `1405/10/20 09:00` or ISO `2027-01-10 09:00` are Tehran time (+03:30);
RFC 3339 (`2027-01-10T05:30:00Z`) is taken as written. Persian digits are accepted.";

/// `hamafza admin`: where to call, as whom, how to print, and what to do.
#[derive(Debug, Args)]
pub struct AdminArgs {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub resource: Resource,
}

/// Flags every admin command takes.
#[derive(Debug, Args)]
pub struct Global {
    /// The courses service (default: its address in the configuration, as `hamafza up` binds it).
    #[arg(long, global = true, env = "HAMAFZA_COURSES_URL", value_name = "URL")]
    pub courses: Option<String>,
    /// The enrolments service.
    #[arg(
        long,
        global = true,
        env = "HAMAFZA_ENROLMENTS_URL",
        value_name = "URL"
    )]
    pub enrolments: Option<String>,
    /// The certification service.
    #[arg(
        long,
        global = true,
        env = "HAMAFZA_CERTIFICATION_URL",
        value_name = "URL"
    )]
    pub certification: Option<String>,
    /// The bearer token to call with (e.g. from `hamafza token`); on a shared
    /// machine prefer HAMAFZA_TOKEN or --token-file, which other users'
    /// process lists do not show.
    #[arg(
        long,
        global = true,
        env = "HAMAFZA_TOKEN",
        hide_env_values = true,
        value_name = "JWT"
    )]
    pub token: Option<String>,
    /// A file holding the bearer token (wins over --token).
    #[arg(long, global = true, value_name = "FILE")]
    pub token_file: Option<PathBuf>,
    /// Language of tables: `fa` (Persian digits, Jalali dates) or `en`;
    /// default `fa` unless LANG starts with `en`.
    #[arg(long, global = true, value_enum)]
    pub lang: Option<Lang>,
    /// Output: a table, the canonical protobuf JSON or YAML of the response
    /// (as `buf curl` prints it), CSV (lists), only the id(s), or an .xlsx
    /// file (rosters and exports).
    #[arg(short = 'o', long = "output", global = true, value_enum, default_value_t = Output::Table)]
    pub output: Output,
    /// Print only the id(s), one a line (same as `-o id`).
    #[arg(short = 'q', long, global = true)]
    pub quiet: bool,
    /// The request id of a change (1-64 of A-Z a-z 0-9 _ -); repeat a failed
    /// command with the id it printed and it takes effect at most once.
    /// Generated (UUID v7) when not given.
    #[arg(long, global = true, value_name = "ID")]
    pub request_id: Option<String>,
    /// How long one call may take.
    #[arg(long, global = true, default_value = "30s", value_parser = humantime::parse_duration)]
    pub timeout: Duration,
}

/// The resources.
#[derive(Debug, Subcommand)]
pub enum Resource {
    /// Organizations (the holding and its companies).
    #[command(subcommand)]
    Orgs(catalog::OrgCommand),
    /// The people directory: who belongs to which organization.
    #[command(subcommand)]
    People(people::PersonCommand),
    /// Programs: the year's set of courses, approved by the council.
    #[command(subcommand)]
    Programs(catalog::ProgramCommand),
    /// Courses: create, submit to the council, review, publish, retire.
    #[command(subcommand)]
    Courses(catalog::CourseCommand),
    /// Sessions of a course: meetings, venue, instructor, seats and quotas.
    #[command(subcommand)]
    Sessions(sessions::SessionCommand),
    /// Events: exhibitions, conferences, seminars.
    #[command(subcommand)]
    Events(events::EventCommand),
    /// Enrolments: enrol, approve, attendance, completion, import, export.
    #[command(subcommand)]
    Enrolments(enrolments::EnrolmentCommand),
    /// Certificates: list, issue by hand, revoke, verify, expiring.
    #[command(subcommand)]
    Certs(certs::CertCommand),
    /// The outbox from enrolments to certification.
    #[command(subcommand)]
    Outbox(enrolments::OutboxCommand),
    /// What waits for the council: courses and programs in review, with
    /// their votes; `council votes`: a member's votes.
    #[command(
        after_help = "Examples:\n  hamafza admin council\n  hamafza admin council votes --voter council-msc"
    )]
    Council(catalog::CouncilArgs),
}

/// Runs one admin command; the exit code says how it went.
pub async fn run(args: AdminArgs, config: &Config) -> ExitCode {
    let outcome = match Context::new(&args.global, config) {
        Ok(context) => dispatch(&context, args.resource).await,
        Err(failure) => Err(failure),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => failure.report(),
    }
}

async fn dispatch(context: &Context, resource: Resource) -> Result<(), Failure> {
    match resource {
        Resource::Orgs(command) => catalog::orgs(context, command).await,
        Resource::People(command) => people::run(context, command).await,
        Resource::Programs(command) => catalog::programs(context, command).await,
        Resource::Courses(command) => catalog::courses(context, command).await,
        Resource::Sessions(command) => sessions::run(context, command).await,
        Resource::Events(command) => events::run(context, command).await,
        Resource::Enrolments(command) => enrolments::run(context, command).await,
        Resource::Certs(command) => certs::run(context, command).await,
        Resource::Outbox(command) => enrolments::outbox(context, command).await,
        Resource::Council(args) => catalog::council(context, args).await,
    }
}
