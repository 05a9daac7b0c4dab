//! The fault suite (issue 12's "Done when"): the deployment's topology as
//! separate `hamafza serve` processes on PostgreSQL, put through dropped
//! database connections, SIGKILLs, a quota burst over two replicas, an open
//! loop at twice the measured capacity and a SIGTERM of the gateway under
//! keep-alive load. Each run prints its figures (`faults: …` lines) and
//! asserts what a user would notice.
//!
//! Ignored by default (it takes minutes); `.ci/run` runs it on PostgreSQL:
//! `HAMAFZA_TEST_DATABASE_URL=postgres://… cargo test --test faults -- --ignored --test-threads=1 --nocapture`.
//! Every load loop is bounded in time and count.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod topology;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use hamafza_kit::auth::{DevIssuer, Role, TokenRequest};
use hamafza_proto::enrolments as epb;
use hamafza_proto::enrolments::enrolment_service_client::EnrolmentServiceClient;
use hamafza_testkit::with_token;
use sea_orm::{ConnectionTrait, Statement};
use tokio::sync::Mutex;
use tonic::transport::Channel;
use topology::{Topology, certificates, channel, open_session, skip_without_postgres};

/// The topology's identity, minting tokens in this process (a process per
/// token would dominate the bursts).
struct Tokens(DevIssuer);

impl Tokens {
    fn of(topology: &Topology) -> Self {
        let config = hamafza_kit::config::Config::default();
        Self(
            DevIssuer::load_or_create(&topology.dir, &config.auth.issuer, &config.auth.audience)
                .unwrap(),
        )
    }

    fn mint(&self, subject: &str, organization: &str, role: Role) -> String {
        self.0
            .mint(&TokenRequest {
                subject: subject.to_owned(),
                organization_id: organization.to_owned(),
                roles: vec![role],
                name: String::new(),
                ttl: Duration::from_secs(3600),
            })
            .unwrap()
    }
}

/// The seat counter and the confirmed rows of a session, read from the
/// enrolments database itself.
async fn seat_counter_and_rows(topology: &Topology, session_id: &str) -> (i64, i64) {
    let db = hamafza_kit::db::connect(&topology.database_url("enrolments"))
        .await
        .unwrap();
    let number = |sql: String| {
        let db = db.clone();
        async move {
            db.query_one_raw(Statement::from_string(db.get_database_backend(), sql))
                .await
                .unwrap()
                .unwrap()
                .try_get::<i64>("", "n")
                .unwrap()
        }
    };
    let counter = number(format!(
        "select cast(taken as bigint) as n from session_seats where session_id = '{session_id}'"
    ))
    .await;
    let rows = number(format!(
        "select count(*) as n from enrolments \
         where session_id = '{session_id}' and status = 'confirmed'"
    ))
    .await;
    (counter, rows)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let at = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[at.min(sorted.len() - 1)]
}

/// Resident memory of a process, in KiB.
fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// Dropped database connections: five rounds of `pg_terminate_backend` on
/// courses' and enrolments' connections under enrol load over gRPC and the
/// gateway's JSON API.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "the fault suite: minutes on PostgreSQL; .ci/run runs it"]
async fn connections_terminated_under_load() {
    if skip_without_postgres("the fault suite runs on") {
        return;
    }
    let mut topology = Topology::new(&[]).await;
    for service in ["courses", "enrolments", "certification", "gateway"] {
        topology.start(service, service, &[]).await;
    }
    let tokens = Arc::new(Tokens::of(&topology));
    let admin = tokens.mint("admin", "imidro", Role::PlatformAdmin);
    let (session_id, _) = open_session(&topology, &admin, 10_000, &[]).await;
    let enrolments = channel(topology.url("enrolments")).await;
    let gateway = topology.url("gateway");
    let http = reqwest::Client::new();
    let stop = Arc::new(AtomicBool::new(false));
    let codes = Arc::new(Mutex::new(BTreeMap::<String, u64>::new()));
    let next = Arc::new(AtomicU64::new(0));
    let mut workers = Vec::new();
    for worker in 0..12 {
        let (stop, codes, next, tokens) =
            (stop.clone(), codes.clone(), next.clone(), tokens.clone());
        let (session_id, gateway, http) = (session_id.clone(), gateway.clone(), http.clone());
        let mut client = EnrolmentServiceClient::new(enrolments.clone());
        workers.push(tokio::spawn(async move {
            // At most 20 s and 5,000 calls per worker.
            let started = Instant::now();
            for _ in 0..5_000 {
                if stop.load(Ordering::SeqCst) || started.elapsed() > Duration::from_secs(20) {
                    break;
                }
                let n = next.fetch_add(1, Ordering::SeqCst);
                let token = tokens.mint(&format!("drop-{n}"), "msc", Role::Trainee);
                let code = if worker % 3 == 0 {
                    let answer = http
                        .post(format!("{gateway}/api/v1/sessions/{session_id}/enrolments"))
                        .bearer_auth(&token)
                        .json(&serde_json::json!({ "request_id": format!("drop-{n}") }))
                        .send()
                        .await;
                    match answer {
                        Ok(answer) => format!("http {}", answer.status().as_u16()),
                        Err(error) => format!("http error {error}"),
                    }
                } else {
                    let request = epb::EnrolRequest {
                        request_id: format!("drop-{n}"),
                        session_id: session_id.clone(),
                        trainee: None,
                        waive_prerequisites: false,
                    };
                    match client.enrol(with_token(&token, request)).await {
                        Ok(_) => "grpc Ok".to_owned(),
                        Err(status) => format!("grpc {:?}", status.code()),
                    }
                };
                *codes.lock().await.entry(code).or_default() += 1;
            }
        }));
    }
    let admin_db = hamafza_kit::db::connect(&topology.database_url("enrolments"))
        .await
        .unwrap();
    let databases: Vec<String> = ["courses", "enrolments"]
        .iter()
        .map(|service| {
            let url = topology.database_url(service);
            url.rsplit('/').next().unwrap().to_owned()
        })
        .collect();
    let mut terminated = 0u64;
    for _ in 0..5 {
        tokio::time::sleep(Duration::from_secs(2)).await;
        let sql = format!(
            "select count(pg_terminate_backend(pid)) as n from pg_stat_activity \
             where datname in ('{}', '{}') and pid <> pg_backend_pid()",
            databases[0], databases[1]
        );
        let row = admin_db
            .query_one_raw(Statement::from_string(admin_db.get_database_backend(), sql))
            .await;
        // The asking connection is one of enrolments' database's: it may be
        // ended by an earlier round, and is then made again.
        if let Ok(Some(row)) = row {
            terminated += row.try_get::<i64>("", "n").unwrap_or(0) as u64;
        }
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    stop.store(true, Ordering::SeqCst);
    for worker in workers {
        worker.await.unwrap();
    }
    let codes = codes.lock().await.clone();
    let total: u64 = codes.values().sum();
    println!("faults: terminate x5: {terminated} connections ended, {total} calls: {codes:?}");
    let internal: u64 = codes
        .iter()
        .filter(|(code, _)| code.contains("Internal") || code.contains("Unknown"))
        .map(|(_, n)| n)
        .sum();
    let server_errors: u64 = codes
        .iter()
        .filter(|(code, _)| code.starts_with("http 5") && code.as_str() != "http 503")
        .map(|(_, n)| n)
        .sum();
    assert!(terminated >= 5, "connections were ended");
    assert_eq!(internal, 0, "no INTERNAL: {codes:?}");
    assert_eq!(server_errors, 0, "no HTTP 5xx but 503: {codes:?}");
    assert!(
        codes.get("grpc Ok").copied().unwrap_or(0) >= 10,
        "the load went on between the rounds: {codes:?}"
    );
    let (counter, rows) = seat_counter_and_rows(&topology, &session_id).await;
    println!("faults: terminate x5: seat counter {counter}, confirmed rows {rows}");
    assert_eq!(counter, rows, "the seat counter equals the confirmed rows");
}

/// SIGKILL of enrolments and certification, 10 times each, while 100
/// completions are sent (retried with the same request id until answered):
/// every passed trainee gets exactly one certificate, within 15 s of the last
/// restart.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "the fault suite: minutes on PostgreSQL; .ci/run runs it"]
async fn sigkills_during_completions_lose_and_double_no_certificate() {
    if skip_without_postgres("the fault suite runs on") {
        return;
    }
    const TRAINEES: usize = 100;
    let mut topology = Topology::new(&[("HAMAFZA_WORKERS_OUTBOX_POLL_MILLIS", "200")]).await;
    for service in ["courses", "certification", "enrolments"] {
        topology.start(service, service, &[]).await;
    }
    let tokens = Tokens::of(&topology);
    let admin = tokens.mint("admin", "imidro", Role::PlatformAdmin);
    let (session_id, course_id) = open_session(&topology, &admin, TRAINEES as u32, &[]).await;
    let enrolments = channel(topology.url("enrolments")).await;
    let mut client = EnrolmentServiceClient::new(enrolments.clone());
    let mut ids = Vec::new();
    for i in 0..TRAINEES {
        let token = tokens.mint(&format!("kill-{i}"), "msc", Role::Trainee);
        let enrolment = client
            .enrol(with_token(
                &token,
                epb::EnrolRequest {
                    request_id: format!("kill-{i}"),
                    session_id: session_id.clone(),
                    trainee: None,
                    waive_prerequisites: false,
                },
            ))
            .await
            .unwrap()
            .into_inner()
            .enrolment
            .unwrap();
        assert_eq!(enrolment.status(), epb::EnrolmentStatus::Confirmed);
        ids.push(enrolment.id);
    }
    for meeting in 0..2u32 {
        client
            .record_attendance(with_token(
                &admin,
                epb::RecordAttendanceRequest {
                    request_id: format!("attendance-{meeting}"),
                    session_id: session_id.clone(),
                    meeting_index: meeting,
                    marks: ids
                        .iter()
                        .map(|id| epb::AttendanceMark {
                            enrolment_id: id.clone(),
                            status: epb::AttendanceStatus::Present.into(),
                        })
                        .collect(),
                    // The session is days away; the admin records it ahead
                    // (this run is about crashes, not the schedule).
                    override_reason: "fault suite: recorded ahead of the meetings".to_owned(),
                },
            ))
            .await
            .unwrap();
    }

    // Completions, each retried with its request id until answered (at most
    // 60 s each), on a lazy channel that reconnects after each restart.
    let lazy = Channel::from_shared(topology.url("enrolments"))
        .unwrap()
        .connect_lazy();
    let mut completions = Vec::new();
    for (i, id) in ids.iter().enumerate() {
        let mut client = EnrolmentServiceClient::new(lazy.clone());
        let (admin, id) = (admin.clone(), id.clone());
        completions.push(tokio::spawn(async move {
            // Spread over the kills.
            tokio::time::sleep(Duration::from_millis(60 * i as u64)).await;
            let started = Instant::now();
            let mut tries = 0u32;
            loop {
                tries += 1;
                let request = epb::CompleteEnrolmentRequest {
                    request_id: format!("complete-{id}"),
                    enrolment_id: id.clone(),
                    score: Some(90),
                    no_show: false,
                    override_reason: "fault suite: assessed ahead of the meetings".to_owned(),
                };
                match client.complete_enrolment(with_token(&admin, request)).await {
                    Ok(answer) => {
                        let status = answer.into_inner().enrolment.unwrap().status();
                        assert_eq!(status, epb::EnrolmentStatus::Completed);
                        return tries;
                    }
                    Err(status) => {
                        assert!(
                            started.elapsed() < Duration::from_secs(60),
                            "completion {id} unanswered for 60 s: {status:?}"
                        );
                        assert_ne!(status.code(), tonic::Code::Internal, "{status:?}");
                        tokio::time::sleep(Duration::from_millis(150)).await;
                    }
                }
            }
        }));
    }
    let mut last_restart = Instant::now();
    for round in 0..10 {
        tokio::time::sleep(Duration::from_millis(300)).await;
        let victim = if round % 2 == 0 {
            "enrolments"
        } else {
            "certification"
        };
        for victim in [
            victim,
            if victim == "enrolments" {
                "certification"
            } else {
                "enrolments"
            },
        ] {
            topology
                .signal(victim, "KILL", Duration::from_secs(10))
                .await;
            topology.start(victim, victim, &[]).await;
            last_restart = Instant::now();
        }
    }
    let mut retries = 0u32;
    for completion in completions {
        retries += completion.await.unwrap() - 1;
    }
    let certification = channel(topology.url("certification")).await;
    let list = || certificates(certification.clone(), &admin, &course_id);
    let all_issued = loop {
        if list().await.len() >= TRAINEES {
            break last_restart.elapsed();
        }
        assert!(
            last_restart.elapsed() < Duration::from_secs(15),
            "only {} of {TRAINEES} certificates 15 s after the last restart",
            list().await.len()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    // Let any duplicate delivery land before counting.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let issued = list().await;
    let subjects: Vec<String> = issued
        .iter()
        .map(|c| c.trainee.as_ref().unwrap().subject.clone())
        .collect();
    let distinct: BTreeSet<&String> = subjects.iter().collect();
    println!(
        "faults: sigkill x20 (10 enrolments, 10 certification): {} certificates for {TRAINEES} \
         completions ({} distinct), {retries} completion retries, all issued {:.1} s after the \
         last restart",
        issued.len(),
        distinct.len(),
        all_issued.as_secs_f64()
    );
    assert_eq!(
        issued.len(),
        TRAINEES,
        "exactly one certificate per completion"
    );
    assert_eq!(distinct.len(), TRAINEES);
}

/// 640 callers into 50 seats with two quotas over two replicas (separate
/// processes): exactly 50 confirmed, the quotas held, and every caller a
/// definite answer.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "the fault suite: minutes on PostgreSQL; .ci/run runs it"]
async fn quota_burst_over_two_replicas() {
    if skip_without_postgres("the fault suite runs on") {
        return;
    }
    let mut topology = Topology::new(&[]).await;
    topology.start("courses", "courses", &[]).await;
    topology.start("enrolments-a", "enrolments", &[]).await;
    let second = topology
        .start_replica("enrolments-b", "enrolments", &[])
        .await;
    let tokens = Tokens::of(&topology);
    let admin = tokens.mint("admin", "imidro", Role::PlatformAdmin);
    let (session_id, _) = open_session(&topology, &admin, 50, &[("msc", 10), ("ksc", 15)]).await;
    let replicas = [
        channel(topology.url("enrolments")).await,
        channel(second).await,
    ];
    let started = Instant::now();
    let mut calls = Vec::new();
    for i in 0..640usize {
        let org = ["msc", "ksc", "imidro"][i % 3];
        let token = tokens.mint(&format!("q640-{i}"), org, Role::Trainee);
        let mut client = EnrolmentServiceClient::new(replicas[i % 2].clone());
        let session_id = session_id.clone();
        calls.push(tokio::spawn(async move {
            let mut pause = Duration::from_millis(20);
            let mut refusals = 0u32;
            for _ in 0..200 {
                let request = epb::EnrolRequest {
                    request_id: format!("q640-{i}"),
                    session_id: session_id.clone(),
                    trainee: None,
                    waive_prerequisites: false,
                };
                match client.enrol(with_token(&token, request)).await {
                    Ok(answer) => return (Ok(answer.into_inner().enrolment.unwrap()), refusals),
                    Err(status)
                        if matches!(
                            status.code(),
                            tonic::Code::ResourceExhausted | tonic::Code::Unavailable
                        ) =>
                    {
                        refusals += 1;
                        tokio::time::sleep(pause).await;
                        pause = (pause * 2).min(Duration::from_millis(500));
                    }
                    Err(status) => return (Err(status), refusals),
                }
            }
            panic!("q640-{i}: no definite answer in 200 tries");
        }));
    }
    let mut statuses = BTreeMap::<String, usize>::new();
    let mut by_org = BTreeMap::<String, usize>::new();
    let mut undefined = Vec::new();
    let mut retries = 0u32;
    for call in calls {
        let (answer, refusals) = call.await.unwrap();
        retries += refusals;
        match answer {
            Ok(enrolment) => {
                if enrolment.status() == epb::EnrolmentStatus::Confirmed {
                    *by_org
                        .entry(enrolment.trainee.clone().unwrap().organization_id)
                        .or_default() += 1;
                }
                *statuses
                    .entry(enrolment.status().as_str_name().to_owned())
                    .or_default() += 1;
            }
            Err(status) => undefined.push(status),
        }
    }
    println!(
        "faults: 640 into 50 (msc 10, ksc 15) over two replicas in {:.1} s: {statuses:?}, \
         confirmed by organization {by_org:?}, {retries} retries after RESOURCE_EXHAUSTED or \
         UNAVAILABLE, {} without a definite answer",
        started.elapsed().as_secs_f64(),
        undefined.len()
    );
    assert!(undefined.is_empty(), "first: {:?}", undefined.first());
    assert_eq!(statuses.get("ENROLMENT_STATUS_CONFIRMED"), Some(&50));
    assert_eq!(statuses.get("ENROLMENT_STATUS_WAITLISTED"), Some(&590));
    assert_eq!(by_org.get("msc"), Some(&10));
    assert_eq!(by_org.get("ksc"), Some(&15));
    let (counter, rows) = seat_counter_and_rows(&topology, &session_id).await;
    assert_eq!((counter, rows), (50, 50));
}

/// Enrols a new (trainee, session) pair per call, spread over the sessions
/// as `bench/run.sh`'s "spread" load is (one session's enrolments queue on its
/// seat row, so one session alone measures that lock, not the service).
#[derive(Clone)]
struct Enroller {
    client: EnrolmentServiceClient<Channel>,
    tokens: Arc<Vec<String>>,
    sessions: Arc<Vec<String>>,
    next: Arc<AtomicU64>,
}

impl Enroller {
    /// How many calls it can make, each a new pair.
    fn pairs(&self) -> u64 {
        (self.tokens.len() * self.sessions.len()) as u64
    }

    fn call(&self) -> impl std::future::Future<Output = (Duration, Option<bool>)> + Send + 'static {
        let n = self.next.fetch_add(1, Ordering::SeqCst) as usize;
        let sessions = self.sessions.len();
        let (trainee, session) = (n / sessions, n % sessions);
        timed_enrol(
            self.client.clone(),
            self.tokens[trainee % self.tokens.len()].clone(),
            self.sessions[session].clone(),
            format!("open-{n}"),
        )
    }
}

/// One enrol call's latency and whether it was accepted (`Some(true)`),
/// refused as overload (`Some(false)`), or failed otherwise (`None`).
async fn timed_enrol(
    mut client: EnrolmentServiceClient<Channel>,
    token: String,
    session_id: String,
    request_id: String,
) -> (Duration, Option<bool>) {
    let started = Instant::now();
    let request = epb::EnrolRequest {
        request_id,
        session_id,
        trainee: None,
        waive_prerequisites: false,
    };
    let answer = client.enrol(with_token(&token, request)).await;
    let kind = match answer {
        Ok(_) => Some(true),
        Err(status) if status.code() == tonic::Code::ResourceExhausted => Some(false),
        Err(_) => None,
    };
    (started.elapsed(), kind)
}

/// Open loop at twice the measured enrol capacity for 30 s: the excess is
/// refused quickly, the accepted calls stay within 10x the unloaded p99, and
/// enrolments' resident memory within 2x idle.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "the fault suite: minutes on PostgreSQL; .ci/run runs it"]
async fn open_loop_at_twice_capacity() {
    if skip_without_postgres("the fault suite runs on") {
        return;
    }
    let mut topology = Topology::new(&[]).await;
    topology.start("courses", "courses", &[]).await;
    // Admission for shedding on this two-core machine: at most 8 calls at once
    // (half the database pool of 16) and 20 ms to wait for room. Measured at
    // twice capacity (accepted p99 against the unloaded p99; goodput):
    // 16 calls / 100 ms 18x, 156/s; 16 / 20 11x, 180/s; 8 / 50 9.5x, 159/s;
    // 8 / 20 6.9x, 167/s; 4 / 50 6.3x, 151/s. The defaults (256, 100 ms) queue
    // bursts instead. Another admission can be tried with
    // HAMAFZA_FAULTS_MAX_CONCURRENT_CALLS and HAMAFZA_FAULTS_ADMISSION_WAIT_MILLIS.
    let setting = |name: &str, default: &str| {
        std::env::var(format!("HAMAFZA_FAULTS_{name}")).unwrap_or_else(|_| default.to_owned())
    };
    let (most_calls, wait) = (
        setting("MAX_CONCURRENT_CALLS", "8"),
        setting("ADMISSION_WAIT_MILLIS", "20"),
    );
    let admission = [
        ("HAMAFZA_GRPC_MAX_CONCURRENT_CALLS", most_calls.clone()),
        ("HAMAFZA_GRPC_ADMISSION_WAIT_MILLIS", wait.clone()),
    ];
    topology.start("enrolments", "enrolments", &admission).await;
    let tokens = Tokens::of(&topology);
    let admin = tokens.mint("admin", "imidro", Role::PlatformAdmin);
    let mut sessions = Vec::new();
    for _ in 0..16 {
        sessions.push(open_session(&topology, &admin, 10_000, &[]).await.0);
    }
    let enroller = Enroller {
        client: EnrolmentServiceClient::new(channel(topology.url("enrolments")).await),
        tokens: Arc::new(
            // 3,000 trainees x 16 sessions: room for twice a capacity of up
            // to ~700 enrolments/s over the 30 s (each pair enrols once).
            (0..3000)
                .map(|n| tokens.mint(&format!("open-{n}"), "msc", Role::Trainee))
                .collect(),
        ),
        sessions: Arc::new(sessions),
        next: Arc::new(AtomicU64::new(0)),
    };
    let pid = topology.pid("enrolments");

    // Unloaded: one caller, 200 calls (the first 20 warm up).
    let mut unloaded = Vec::new();
    for i in 0..220 {
        let (took, kind) = enroller.call().await;
        assert_eq!(kind, Some(true));
        if i >= 20 {
            unloaded.push(took);
        }
    }
    unloaded.sort();
    let unloaded_p99 = percentile(&unloaded, 0.99);
    let idle_rss = rss_kib(pid);

    // Capacity: as many callers as the service admits at once, in a closed
    // loop for 5 s (more would measure refusals and their retries, not the
    // service's rate).
    let served = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let mut callers = Vec::new();
    for _ in 0..most_calls.parse::<usize>().unwrap_or(8) {
        let (served, enroller) = (served.clone(), enroller.clone());
        callers.push(tokio::spawn(async move {
            for _ in 0..10_000 {
                if started.elapsed() > Duration::from_secs(5) {
                    break;
                }
                if enroller.call().await.1 == Some(true) {
                    served.fetch_add(1, Ordering::SeqCst);
                }
            }
        }));
    }
    for caller in callers {
        caller.await.unwrap();
    }
    let capacity = served.load(Ordering::SeqCst) as f64 / started.elapsed().as_secs_f64();
    let left = enroller.pairs() - enroller.next.load(Ordering::SeqCst);
    let rate = (capacity * 2.0).clamp(1.0, left as f64 / 30.0);

    // Open loop: a call due every 1/rate s for 30 s, each timed from when it
    // was due; memory sampled every 250 ms.
    let period = Duration::from_secs_f64(1.0 / rate);
    let total = (rate * 30.0) as u64;
    let peak_rss = Arc::new(AtomicU64::new(idle_rss));
    let sampling = Arc::new(AtomicBool::new(true));
    let sampler = {
        let (peak_rss, sampling) = (peak_rss.clone(), sampling.clone());
        tokio::spawn(async move {
            while sampling.load(Ordering::SeqCst) {
                peak_rss.fetch_max(rss_kib(pid), Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
        })
    };
    let start = tokio::time::Instant::now();
    let mut calls = Vec::with_capacity(total as usize);
    for k in 0..total {
        let due = start + period.mul_f64(k as f64);
        tokio::time::sleep_until(due).await;
        let call = enroller.call();
        calls.push(tokio::spawn(async move {
            let (_, kind) = call.await;
            (due.elapsed(), kind)
        }));
    }
    let mut accepted = Vec::new();
    let mut refused = Vec::new();
    let mut failed = 0;
    for call in calls {
        match call.await.unwrap() {
            (took, Some(true)) => accepted.push(took),
            (took, Some(false)) => refused.push(took),
            (_, None) => failed += 1,
        }
    }
    sampling.store(false, Ordering::SeqCst);
    sampler.await.unwrap();
    accepted.sort();
    refused.sort();
    let accepted_p99 = percentile(&accepted, 0.99);
    let refused_p99 = percentile(&refused, 0.99);
    let peak = peak_rss.load(Ordering::SeqCst);
    println!(
        "faults: open loop (admission {most_calls} calls, {wait} ms wait; 16 sessions): capacity {capacity:.0}/s, offered {rate:.0}/s for 30 s ({total} calls): \
         {} accepted (p50 {:?}, p99 {accepted_p99:?}; unloaded p99 {unloaded_p99:?}), {} refused \
         (p99 {refused_p99:?}), {failed} failed otherwise; RSS idle {} MiB, peak {} MiB",
        accepted.len(),
        percentile(&accepted, 0.5),
        refused.len(),
        idle_rss / 1024,
        peak / 1024
    );
    // Latency targets are figures to read (this machine's load moves them),
    // not timed assertions; what must hold whatever the machine is asserted.
    println!(
        "faults: open loop verdicts: excess refused within 1 s (p99): {}; accepted p99 within \
         10x unloaded p99: {}; RSS within 2x idle: {}",
        refused_p99 < Duration::from_secs(1),
        accepted_p99 <= unloaded_p99 * 10,
        peak <= idle_rss * 2
    );
    assert_eq!(failed, 0, "every call accepted or refused as overload");
    assert!(!refused.is_empty(), "the excess was refused, not queued");
    assert!(
        peak <= idle_rss * 2,
        "RSS {peak} KiB within 2x idle {idle_rss} KiB"
    );
}

/// SIGTERM to the gateway under keep-alive HTTP load: every request sent
/// gets a response.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "the fault suite: minutes on PostgreSQL; .ci/run runs it"]
async fn gateway_sigterm_under_keep_alive_load() {
    if skip_without_postgres("the fault suite runs on") {
        return;
    }
    let mut topology = Topology::new(&[]).await;
    for service in ["courses", "enrolments", "certification", "gateway"] {
        topology.start(service, service, &[]).await;
    }
    let tokens = Tokens::of(&topology);
    let token = tokens.mint("keepalive", "msc", Role::Trainee);
    let gateway = topology.url("gateway");
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(16)
        .build()
        .unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let mut workers = Vec::new();
    for _ in 0..16 {
        let (http, gateway, token, stop) =
            (http.clone(), gateway.clone(), token.clone(), stop.clone());
        workers.push(tokio::spawn(async move {
            let (mut answered, mut unanswered, mut refused) = (0u64, 0u64, 0u64);
            let mut first_error = None;
            let started = Instant::now();
            for _ in 0..20_000 {
                if stop.load(Ordering::SeqCst) || started.elapsed() > Duration::from_secs(30) {
                    break;
                }
                match http
                    .get(format!("{gateway}/api/v1/courses"))
                    .bearer_auth(&token)
                    .send()
                    .await
                {
                    Ok(answer) => {
                        // A draining gateway says `Connection: close` (and
                        // its readiness fails): like a load balancer, this
                        // client then sends it nothing new.
                        let closing = answer
                            .headers()
                            .get("connection")
                            .is_some_and(|value| value == "close");
                        let _ = answer.bytes().await;
                        answered += 1;
                        if closing {
                            break;
                        }
                    }
                    // No connection could be made: the request was never sent.
                    Err(error) if error.is_connect() => {
                        refused += 1;
                        break;
                    }
                    Err(error) => {
                        unanswered += 1;
                        first_error.get_or_insert_with(|| format!("{error:?}"));
                    }
                }
            }
            (answered, unanswered, refused, first_error)
        }));
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    let exit = topology
        .signal("gateway", "TERM", Duration::from_secs(30))
        .await;
    stop.store(true, Ordering::SeqCst);
    let (mut answered, mut unanswered, mut refused) = (0, 0, 0);
    let mut first_error = None;
    for worker in workers {
        let (a, u, r, e) = worker.await.unwrap();
        answered += a;
        unanswered += u;
        refused += r;
        first_error = first_error.or(e);
    }
    println!(
        "faults: gateway SIGTERM under keep-alive load: {answered} answered, {unanswered} \
         without a response, {refused} not sent (no connection after the listener closed); \
         exit {exit}; first error {first_error:?}"
    );
    assert!(exit.success(), "the gateway exits cleanly on SIGTERM");
    assert!(answered > 100, "the load ran");
    assert_eq!(
        unanswered, 0,
        "no request without a response: {first_error:?}"
    );
}
