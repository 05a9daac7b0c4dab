//! The load generator behind BENCHMARKS.md: real gRPC clients against the
//! running services, latencies in HDR histograms, one JSON line per
//! measurement on stdout. `bench/run.sh` drives it; see there for the whole
//! procedure.
//!
//! Closed loop: `--concurrency` callers, each sending its next call when the
//! last is answered. Open loop: `--rate` calls per second on a fixed schedule
//! whatever the answers do, each latency measured from when the call was due
//! (so a stall is charged to every call it delayed: no coordinated omission).

use std::fmt::Write as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::{Parser, Subcommand, ValueEnum};
use hamafza_kit::auth::{DevIssuer, Role, TokenRequest};
use hamafza_kit::config::Config;
use hamafza_proto::certification as certpb;
use hamafza_proto::certification::certification_service_client::CertificationServiceClient;
use hamafza_proto::common::{Actor, LocalizedText, TimeRange};
use hamafza_proto::courses as cpb;
use hamafza_proto::courses::course_service_client::CourseServiceClient;
use hamafza_proto::courses::session_service_client::SessionServiceClient;
use hamafza_proto::enrolments as epb;
use hamafza_proto::enrolments::enrolment_service_client::EnrolmentServiceClient;
use hamafza_proto::enrolments::report_service_client::ReportServiceClient;
use hdrhistogram::Histogram;
use tonic::transport::Channel;

mod certs;
mod echo;
mod raw;

/// Why the admin records the bench's sessions, planned days ahead, now.
pub(crate) const AHEAD_OF_SCHEDULE: &str = "load test: recorded ahead of the schedule";

#[derive(Parser)]
#[command(about = "Hamafza's load generator (bench/run.sh drives it)")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Creates and opens sessions of a published course; prints their ids (JSON).
    Sessions {
        #[arg(long)]
        courses: String,
        #[arg(long, default_value_t = 1)]
        count: u32,
        #[arg(long, default_value_t = 10_000)]
        capacity: u32,
        #[arg(long, default_value = "PR-101")]
        course: String,
    },
    /// Enrols distinct trainees into the sessions, spread evenly.
    Enrol {
        #[arg(long)]
        enrolments: String,
        /// Session ids: a JSON array, as `sessions` prints.
        #[arg(long)]
        sessions: String,
        #[command(flatten)]
        load: Load,
        /// Trainee subjects are `<prefix>-<n>`; use a new prefix per run.
        #[arg(long)]
        prefix: String,
    },
    /// Reads at load.
    Read {
        #[arg(long, value_enum)]
        what: Read,
        /// The service's URL.
        #[arg(long)]
        url: String,
        #[command(flatten)]
        load: Load,
        /// Certificate serials to verify (a JSON array), for `verify`.
        #[arg(long, default_value = "[]")]
        serials: String,
        /// Trainees `bench-<n>` for n below this read their enrolments.
        #[arg(long, default_value_t = 1000)]
        trainees: u64,
    },
    /// Takes `count` trainees through a session to certificates; prints the serials (JSON).
    Certify {
        #[arg(long)]
        enrolments: String,
        #[arg(long)]
        certification: String,
        #[arg(long)]
        session: String,
        #[arg(long, default_value_t = 50)]
        count: u32,
    },
    /// Completes `count` enrolments of a fresh session at `rate` per second;
    /// prints the completion-to-certificate delay and certificates per second.
    CertifyDelay {
        #[arg(long)]
        enrolments: String,
        #[arg(long)]
        certification: String,
        #[arg(long)]
        session: String,
        #[arg(long, default_value_t = 100)]
        count: u32,
        #[arg(long, default_value_t = 10)]
        rate: u32,
        /// Names the measurement (and its trainees and request ids).
        #[arg(long)]
        label: String,
    },
    /// Serves a bare tonic server (health only) on `addr`: the transport's
    /// baseline for `read --what health`.
    EchoServer {
        #[arg(long)]
        addr: std::net::SocketAddr,
    },
    /// Prints a token (for wrk and curl).
    Token {
        #[arg(long)]
        sub: String,
        #[arg(long, default_value = "msc")]
        org: String,
        #[arg(long, default_value = "trainee")]
        role: String,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum Read {
    /// CourseService/ListCourses, a page of 50, as a trainee (the reply
    /// counted, not decoded, as wrk reads HTTP).
    Catalog,
    /// EnrolmentService/ListEnrolments as the trainee: their own.
    MyEnrolments,
    /// EnrolmentService/ListEnrolments as an admin: one organization's first page of 50.
    OrgEnrolments,
    /// CertificationService/VerifyCertificate by serial, no token.
    Verify,
    /// ReportService/GetBenchmark over all time, as an admin.
    Report,
    /// grpc.health.v1.Health/Check, no token: the bare transport against
    /// `echo-server`, a service's server stack against a service.
    Health,
}

#[derive(clap::Args, Clone)]
struct Load {
    /// Closed loop with this many callers.
    #[arg(long, default_value_t = 8)]
    concurrency: usize,
    /// Open loop at this many calls per second instead.
    #[arg(long)]
    rate: Option<u32>,
    #[arg(long, default_value = "10s", value_parser = humantime::parse_duration)]
    duration: Duration,
    /// Names the measurement in the output.
    #[arg(long)]
    label: String,
    /// Open loop: also writes every call as `due_ms,latency_ms,ok` (CSV, in
    /// the order answered) to this file, to see when in the run the slow
    /// calls came.
    #[arg(long)]
    timeline: Option<std::path::PathBuf>,
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(run(cli.command))
}

async fn run(command: Command) -> anyhow::Result<()> {
    let config = Config::load(None)?;
    let issuer = Arc::new(DevIssuer::load_or_create(
        &config.data_dir,
        &config.auth.issuer,
        &config.auth.audience,
    )?);
    let token = |sub: &str, org: &str, role: Role| -> anyhow::Result<String> {
        Ok(issuer.mint(&TokenRequest {
            subject: sub.to_owned(),
            organization_id: org.to_owned(),
            roles: vec![role],
            name: String::new(),
            ttl: Duration::from_secs(3600),
        })?)
    };
    match command {
        Command::CertifyDelay {
            enrolments,
            certification,
            session,
            count,
            rate,
            label,
        } => {
            let admin = token("bench-admin", "imidro", Role::PlatformAdmin)?;
            certs::delay(
                &enrolments,
                &certification,
                &session,
                (count, rate, &label),
                &admin,
                |n| token(&format!("{label}-{n}"), "msc", Role::Trainee),
            )
            .await?;
        }
        Command::EchoServer { addr } => echo::serve(addr).await?,
        Command::Token { sub, org, role } => {
            let role = Role::parse(&role).context("unknown role")?;
            println!("{}", token(&sub, &org, role)?);
        }
        Command::Sessions {
            courses,
            count,
            capacity,
            course,
        } => {
            let admin = token("bench-admin", "imidro", Role::PlatformAdmin)?;
            let ids = sessions(&courses, &admin, count, capacity, &course).await?;
            println!("{}", serde_json::to_string(&ids)?);
        }
        Command::Enrol {
            enrolments,
            sessions,
            load,
            prefix,
        } => {
            let sessions: Vec<String> = serde_json::from_str(&sessions)?;
            anyhow::ensure!(!sessions.is_empty(), "no sessions");
            // Tokens are made before the clock starts: the generator measures
            // the service, not its own signing.
            let expected = load
                .rate
                .map_or(6_000, u64::from)
                .saturating_mul(load.duration.as_secs().max(1))
                .saturating_add(1_000);
            let mut tokens = Vec::new();
            for n in 0..expected {
                tokens.push(token(&format!("{prefix}-{n}"), "msc", Role::Trainee)?);
            }
            let tokens = Arc::new(tokens);
            let channel = connect(&enrolments).await?;
            let call = move |n: u64| {
                let mut client = EnrolmentServiceClient::new(channel.clone());
                let tokens = Arc::clone(&tokens);
                let session = sessions[usize::try_from(n).unwrap_or(0) % sessions.len()].clone();
                async move {
                    let token = tokens
                        .get(usize::try_from(n).unwrap_or(usize::MAX))
                        .ok_or_else(|| tonic::Status::resource_exhausted("out of tokens"))?;
                    client
                        .enrol(authed(
                            token,
                            epb::EnrolRequest {
                                request_id: format!("bench-{n}"),
                                session_id: session,
                                trainee: None,
                                waive_prerequisites: false,
                            },
                        ))
                        .await
                        .map(drop)
                }
            };
            measure(&load, call).await?;
        }
        Command::Read {
            what,
            url,
            load,
            serials,
            trainees,
        } => {
            let channel = connect(&url).await?;
            let admin = Arc::new(token("bench-admin", "imidro", Role::PlatformAdmin)?);
            let serials: Arc<Vec<String>> = Arc::new(serde_json::from_str(&serials)?);
            let trainee_tokens: Arc<Vec<String>> = Arc::new(
                (0..trainees.clamp(1, 2_000))
                    .map(|n| token(&format!("bench-{n}"), "msc", Role::Trainee))
                    .collect::<anyhow::Result<_>>()?,
            );
            if matches!(what, Read::Verify) {
                anyhow::ensure!(!serials.is_empty(), "verify needs --serials");
            }
            let call = move |n: u64| {
                let channel = channel.clone();
                let admin = Arc::clone(&admin);
                let serials = Arc::clone(&serials);
                let trainee_tokens = Arc::clone(&trainee_tokens);
                let index = usize::try_from(n).unwrap_or(0);
                async move {
                    let trainee = &trainee_tokens[index % trainee_tokens.len()];
                    match what {
                        // Counted, not decoded (see `raw`).
                        Read::Catalog => raw::call(
                            channel,
                            "/hamafza.courses.v1.CourseService/ListCourses",
                            authed(
                                trainee,
                                cpb::ListCoursesRequest {
                                    page_size: 50,
                                    ..Default::default()
                                },
                            ),
                        )
                        .await
                        .map(drop),
                        Read::MyEnrolments => EnrolmentServiceClient::new(channel)
                            .list_enrolments(authed(
                                trainee,
                                epb::ListEnrolmentsRequest {
                                    page_size: 50,
                                    ..Default::default()
                                },
                            ))
                            .await
                            .map(drop),
                        Read::OrgEnrolments => EnrolmentServiceClient::new(channel)
                            .list_enrolments(authed(
                                &admin,
                                epb::ListEnrolmentsRequest {
                                    page_size: 50,
                                    organization_id: ORGANIZATIONS[index % ORGANIZATIONS.len()]
                                        .to_owned(),
                                    ..Default::default()
                                },
                            ))
                            .await
                            .map(drop),
                        Read::Verify => CertificationServiceClient::new(channel)
                            .verify_certificate(certpb::VerifyCertificateRequest {
                                credential: Some(
                                    certpb::verify_certificate_request::Credential::Serial(
                                        serials[index % serials.len()].clone(),
                                    ),
                                ),
                            })
                            .await
                            .and_then(|answer| {
                                let verdict = answer.into_inner().verdict();
                                if verdict == certpb::Verdict::Valid {
                                    Ok(())
                                } else {
                                    Err(tonic::Status::internal(format!("verdict {verdict:?}")))
                                }
                            }),
                        Read::Health => echo::check(channel).await,
                        Read::Report => ReportServiceClient::new(channel)
                            .get_benchmark(authed(&admin, epb::GetBenchmarkRequest::default()))
                            .await
                            .map(drop),
                    }
                }
            };
            measure(&load, call).await?;
        }
        Command::Certify {
            enrolments,
            certification,
            session,
            count,
        } => {
            let admin = token("bench-admin", "imidro", Role::PlatformAdmin)?;
            let serials =
                certs::certify(&enrolments, &certification, &session, count, &admin, |n| {
                    token(&format!("bench-certified-{n}"), "msc", Role::Trainee)
                })
                .await?;
            println!("{}", serde_json::to_string(&serials)?);
        }
    }
    Ok(())
}

/// The demo organizations (`hamafza migrate --demo`), which seeding spreads over.
const ORGANIZATIONS: [&str; 6] = ["msc", "ksc", "nisco", "impasco", "gegh", "salco"];

pub(crate) async fn connect(url: &str) -> anyhow::Result<Channel> {
    Channel::from_shared(url.to_owned())?
        .tcp_nodelay(true)
        .connect()
        .await
        .with_context(|| format!("connecting to {url}"))
}

pub(crate) fn authed<T>(token: &str, message: T) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    if let Ok(value) = format!("Bearer {token}").parse() {
        request.metadata_mut().insert("authorization", value);
    }
    request
}

/// What one measurement found.
struct Outcome {
    latencies: Histogram<u64>,
    errors: u64,
    first_error: Option<String>,
}

impl Outcome {
    fn new() -> anyhow::Result<Self> {
        Ok(Self {
            latencies: Histogram::new_with_bounds(1, 120_000_000, 3)?,
            errors: 0,
            first_error: None,
        })
    }

    fn record(&mut self, elapsed: Duration, result: Result<(), tonic::Status>) {
        let micros = u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX);
        let _ = self.latencies.record(micros.clamp(1, 120_000_000));
        if let Err(status) = result {
            self.errors += 1;
            self.first_error
                .get_or_insert_with(|| format!("{:?}: {}", status.code(), status.message()));
        }
    }

    fn merge(&mut self, other: Self) {
        let _ = self.latencies.add(&other.latencies);
        self.errors += other.errors;
        if self.first_error.is_none() {
            self.first_error = other.first_error;
        }
    }
}

/// Runs `call(n)` for n = 0, 1, … closed or open loop and prints the figures.
async fn measure<F, Fut>(load: &Load, call: F) -> anyhow::Result<()>
where
    F: Fn(u64) -> Fut + Clone + Send + Sync + 'static,
    Fut: std::future::Future<Output = Result<(), tonic::Status>> + Send + 'static,
{
    let next = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let deadline = started + load.duration;
    anyhow::ensure!(
        load.timeline.is_none() || load.rate.is_some(),
        "--timeline goes with --rate (an open loop)"
    );
    let mut outcome = Outcome::new()?;
    let mut timeline = load
        .timeline
        .as_ref()
        .map(|_| String::from("due_ms,latency_ms,ok\n"));
    match load.rate {
        None => {
            let mut callers = tokio::task::JoinSet::new();
            for _ in 0..load.concurrency.max(1) {
                let (call, next) = (call.clone(), Arc::clone(&next));
                callers.spawn(async move {
                    let mut mine = Outcome::new()?;
                    while Instant::now() < deadline {
                        let n = next.fetch_add(1, Ordering::Relaxed);
                        let sent = Instant::now();
                        let result = call(n).await;
                        mine.record(sent.elapsed(), result);
                    }
                    anyhow::Ok(mine)
                });
            }
            while let Some(done) = callers.join_next().await {
                outcome.merge(done??);
            }
        }
        Some(rate) => {
            let interval = Duration::from_secs_f64(1.0 / f64::from(rate.max(1)));
            let (sender, mut receiver) = tokio::sync::mpsc::unbounded_channel();
            let mut n: u32 = 0;
            loop {
                let due = started + interval * n;
                if due >= deadline {
                    break;
                }
                tokio::time::sleep_until(due.into()).await;
                let (call, sender) = (call.clone(), sender.clone());
                let index = u64::from(n);
                tokio::spawn(async move {
                    let result = call(index).await;
                    let _ = sender.send((due, due.elapsed(), result));
                });
                n += 1;
            }
            drop(sender);
            while let Some((due, elapsed, result)) = receiver.recv().await {
                if let Some(timeline) = &mut timeline {
                    let _ = writeln!(
                        timeline,
                        "{:.3},{:.3},{}",
                        (due - started).as_secs_f64() * 1000.0,
                        elapsed.as_secs_f64() * 1000.0,
                        u8::from(result.is_ok()),
                    );
                }
                outcome.record(elapsed, result);
            }
        }
    }
    let seconds = started.elapsed().as_secs_f64();
    if let (Some(path), Some(timeline)) = (&load.timeline, timeline) {
        std::fs::write(path, timeline).with_context(|| format!("writing {}", path.display()))?;
    }
    let count = outcome.latencies.len();
    let ms = |q: f64| outcome.latencies.value_at_quantile(q) as f64 / 1000.0;
    let line = serde_json::json!({
        "label": load.label,
        "mode": match load.rate {
            Some(rate) => format!("open loop {rate}/s"),
            None => format!("closed loop x{}", load.concurrency),
        },
        "requests": count,
        "errors": outcome.errors,
        "first_error": outcome.first_error,
        "seconds": (seconds * 100.0).round() / 100.0,
        "throughput": ((count as f64 / seconds) * 10.0).round() / 10.0,
        "p50_ms": ms(0.5),
        "p99_ms": ms(0.99),
        "p999_ms": ms(0.999),
        "max_ms": outcome.latencies.max() as f64 / 1000.0,
    });
    println!("{line}");
    Ok(())
}

fn timestamp(offset_hours: i64) -> prost_types::Timestamp {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    prost_types::Timestamp {
        seconds: i64::try_from(now).unwrap_or(0) + offset_hours * 3600,
        nanos: 0,
    }
}

async fn sessions(
    url: &str,
    admin: &str,
    count: u32,
    capacity: u32,
    code: &str,
) -> anyhow::Result<Vec<String>> {
    let channel = connect(url).await?;
    let course = CourseServiceClient::new(channel.clone())
        .list_courses(authed(
            admin,
            cpb::ListCoursesRequest {
                page_size: 100,
                ..Default::default()
            },
        ))
        .await?
        .into_inner()
        .courses
        .into_iter()
        .find(|c| c.details.as_ref().is_some_and(|d| d.code == code))
        .with_context(|| format!("no course {code} (run `hamafza migrate --demo`)"))?;
    let mut client = SessionServiceClient::new(channel);
    let mut ids = Vec::new();
    for _ in 0..count {
        let meeting = |from: i64| cpb::Meeting {
            start_time: Some(timestamp(from)),
            end_time: Some(timestamp(from + 2)),
            topic: None,
        };
        let session = client
            .create_session(authed(
                admin,
                cpb::CreateSessionRequest {
                    request_id: String::new(),
                    course_id: course.id.clone(),
                    details: Some(cpb::SessionDetails {
                        meetings: vec![meeting(48), meeting(72)],
                        venue: Some(LocalizedText {
                            fa: "تهران".to_owned(),
                            en: "Tehran".to_owned(),
                        }),
                        online_url: String::new(),
                        instructor: Some(Actor {
                            subject: "instructor-rahimi".to_owned(),
                            name: "مدرس".to_owned(),
                            organization_id: "imidro".to_owned(),
                        }),
                        capacity,
                        quotas: Vec::new(),
                        enrolment_window: Some(TimeRange {
                            start_time: Some(timestamp(-1)),
                            end_time: Some(timestamp(24)),
                        }),
                    }),
                },
            ))
            .await?
            .into_inner()
            .session
            .context("no session in the answer")?;
        client
            .open_session(authed(
                admin,
                cpb::OpenSessionRequest {
                    session_id: session.id.clone(),
                },
            ))
            .await?;
        ids.push(session.id);
    }
    Ok(ids)
}
