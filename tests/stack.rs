//! The `hamafza` binary end to end: `up` starts the stack with demo data on a
//! fresh data directory, `token` signs for it, `healthcheck` reports SERVING,
//! and SIGTERM stops it cleanly.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use hamafza_proto::certification as certpb;
use hamafza_proto::certification::certification_service_client::CertificationServiceClient;
use hamafza_proto::courses::ListCoursesRequest;
use hamafza_proto::courses::course_service_client::CourseServiceClient;
use hamafza_proto::enrolments as epb;
use hamafza_proto::enrolments::enrolment_service_client::EnrolmentServiceClient;
use hamafza_proto::enrolments::evaluation_service_client::EvaluationServiceClient;

const BINARY: &str = env!("CARGO_BIN_EXE_hamafza");

struct Stack {
    child: Child,
    web_addr: String,
    data_dir: std::path::PathBuf,
    courses_addr: String,
    enrolments_addr: String,
    certification_addr: String,
}

impl Stack {
    /// Sends SIGTERM and waits for the exit, at most 20 seconds.
    async fn stop(&mut self) -> std::process::ExitStatus {
        let started = Instant::now();
        let killed = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(killed.success());
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "hamafza did not stop within 20 s of SIGTERM"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for Stack {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = std::fs::remove_dir_all(&self.data_dir);
    }
}

fn hamafza(data_dir: &std::path::Path) -> Command {
    let mut command = Command::new(BINARY);
    command
        .env("HAMAFZA_DATA_DIR", data_dir)
        .env("HAMAFZA_COURSES_ADDR", "127.0.0.1:0")
        .env("HAMAFZA_ENROLMENTS_ADDR", "127.0.0.1:0")
        .env("HAMAFZA_CERTIFICATION_ADDR", "127.0.0.1:0")
        .env("HAMAFZA_NOTIFICATIONS_ADDR", "127.0.0.1:0")
        .env("HAMAFZA_LIBRARY_ADDR", "127.0.0.1:0")
        .env("HAMAFZA_GATEWAY_ADDR", "127.0.0.1:0")
        .env_remove("HAMAFZA_COURSES_DATABASE_URL")
        .env_remove("OTEL_EXPORTER_OTLP_ENDPOINT");
    command
}

/// Starts `hamafza` with no arguments on a fresh data directory and waits
/// for its banner.
fn up() -> Stack {
    up_in(hamafza_kit::testing::temp_dir("stack"))
}

fn up_in(data_dir: std::path::PathBuf) -> Stack {
    let mut child = hamafza(&data_dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (sender, receiver) = std::sync::mpsc::channel::<String>();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = sender.send(line);
        }
    });
    // The banner names the web app (http://) first, then courses (grpc://).
    let address_after = |line: &str, scheme: &str| {
        line.split(scheme)
            .nth(1)
            .and_then(|rest| rest.split_whitespace().next())
            .map(str::to_owned)
    };
    let (mut web_addr, mut courses_addr, mut enrolments_addr, mut certification_addr) =
        (None, None, None, None);
    while certification_addr.is_none() {
        let line = receiver
            .recv_timeout(Duration::from_secs(60))
            .expect("the banner names the addresses");
        if line.contains("web app") {
            web_addr = address_after(&line, "http://");
        } else if line.trim_start().starts_with("courses") {
            courses_addr = address_after(&line, "grpc://");
        } else if line.trim_start().starts_with("enrolments") {
            enrolments_addr = address_after(&line, "grpc://");
        } else if line.trim_start().starts_with("certification") {
            certification_addr = address_after(&line, "grpc://");
        }
    }
    let courses_addr = courses_addr.expect("the banner names courses");
    let web_addr = web_addr.expect("the banner names the web app");
    Stack {
        child,
        data_dir,
        web_addr,
        courses_addr,
        enrolments_addr: enrolments_addr.expect("the banner names enrolments"),
        certification_addr: certification_addr.expect("the banner names certification"),
    }
}

#[tokio::test]
async fn up_serves_the_demo_catalog_and_stops_on_sigterm() {
    let mut stack = up();
    let health = hamafza(&stack.data_dir)
        .args(["healthcheck", "--addr", &stack.courses_addr])
        .output()
        .unwrap();
    assert!(
        health.status.success(),
        "{}",
        String::from_utf8_lossy(&health.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&health.stdout).trim(), "SERVING");
    let web = hamafza(&stack.data_dir)
        .args(["healthcheck", "--http", "--addr", &stack.web_addr])
        .output()
        .unwrap();
    assert!(
        web.status.success(),
        "the web app answers /healthz: {}",
        String::from_utf8_lossy(&web.stderr)
    );

    let token = hamafza(&stack.data_dir)
        .args([
            "token",
            "--sub",
            "trainee-msc-1",
            "--org",
            "msc",
            "--role",
            "trainee",
            "--ttl",
            "10m",
        ])
        .output()
        .unwrap();
    assert!(
        token.status.success(),
        "{}",
        String::from_utf8_lossy(&token.stderr)
    );
    let token = String::from_utf8(token.stdout).unwrap().trim().to_owned();

    let mut client = CourseServiceClient::connect(format!("http://{}", stack.courses_addr))
        .await
        .unwrap();
    let mut request = tonic::Request::new(ListCoursesRequest {
        page_size: 100,
        ..Default::default()
    });
    request
        .metadata_mut()
        .insert("authorization", format!("Bearer {token}").parse().unwrap());
    let courses = client
        .list_courses(request)
        .await
        .unwrap()
        .into_inner()
        .courses;
    let codes: Vec<String> = courses
        .into_iter()
        .map(|c| c.details.unwrap().code)
        .collect();
    assert!(codes.contains(&"PR-101".to_owned()), "{codes:?}");
    assert!(
        !codes.contains(&"PR-180".to_owned()),
        "the submitted demo course is not shown to trainees"
    );

    // The demo's first day: requests for the msc and ksc managers, a roster
    // with attendance, a session held weeks ago with its results and
    // evaluations, certificates to renew within the month.
    let admin = hamafza(&stack.data_dir)
        .args([
            "token",
            "--sub",
            "admin",
            "--org",
            "imidro",
            "--role",
            "platform_admin",
        ])
        .output()
        .unwrap();
    let admin = String::from_utf8(admin.stdout).unwrap().trim().to_owned();
    fn authed<T>(token: &str, message: T) -> tonic::Request<T> {
        let mut request = tonic::Request::new(message);
        request
            .metadata_mut()
            .insert("authorization", format!("Bearer {token}").parse().unwrap());
        request
    }
    let mut enrolments =
        EnrolmentServiceClient::connect(format!("http://{}", stack.enrolments_addr))
            .await
            .unwrap();
    let mut certification =
        CertificationServiceClient::connect(format!("http://{}", stack.certification_addr))
            .await
            .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let all = enrolments
            .list_enrolments(authed(
                &admin,
                epb::ListEnrolmentsRequest {
                    page_size: 100,
                    ..Default::default()
                },
            ))
            .await
            .unwrap()
            .into_inner()
            .enrolments;
        let expiring = certification
            .list_expiring_certificates(authed(
                &admin,
                certpb::ListExpiringCertificatesRequest {
                    within_days: 30,
                    ..Default::default()
                },
            ))
            .await
            .unwrap()
            .into_inner()
            .certificates;
        let pending: Vec<String> = all
            .iter()
            .filter(|e| e.status() == epb::EnrolmentStatus::PendingApproval)
            .map(|e| e.trainee.clone().unwrap().organization_id)
            .collect();
        let attended = all.iter().filter(|e| !e.attendance.is_empty()).count();
        // Four in the session under way, six in the one held weeks ago.
        if pending.len() == 2 && attended == 4 + 6 && expiring.len() == 2 {
            assert!(pending.contains(&"msc".to_owned()) && pending.contains(&"ksc".to_owned()));
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the demo activity: pending {pending:?}, attended {attended}, expiring {}",
            expiring.len()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    // The held session's evaluations show: five answers of six asked.
    let held = {
        let all = enrolments
            .list_enrolments(authed(
                &admin,
                epb::ListEnrolmentsRequest {
                    page_size: 100,
                    ..Default::default()
                },
            ))
            .await
            .unwrap()
            .into_inner()
            .enrolments;
        all.into_iter()
            .find(|e| e.status() == epb::EnrolmentStatus::Failed)
            .expect("the held session has a result that failed")
            .session_id
    };
    let results = EvaluationServiceClient::connect(format!("http://{}", stack.enrolments_addr))
        .await
        .unwrap()
        .get_evaluation_results(authed(
            &admin,
            epb::GetEvaluationResultsRequest {
                session_id: held,
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!((results.answers, results.asked), (5, 6));
    assert!(!results.too_few_answers && results.averages.is_some());

    let status = stack.stop().await;
    assert!(status.success(), "clean exit on SIGTERM: {status:?}");
}

#[tokio::test]
async fn a_restart_keeps_the_data_and_seeds_nothing_twice() {
    let mut first = up();
    // The demo library: three items, each with its PDF in the data directory.
    assert_eq!(library_files(&first.data_dir), 3);
    assert!(first.stop().await.success());
    let data_dir = std::mem::take(&mut first.data_dir);
    drop(first);
    let migrate = hamafza(&data_dir).arg("migrate").output().unwrap();
    assert!(
        migrate.status.success(),
        "{}",
        String::from_utf8_lossy(&migrate.stderr)
    );
    // The second start finds the demo data and serves it again.
    let mut second = up_in(data_dir);
    let health = hamafza(&second.data_dir)
        .args(["healthcheck", "--addr", &second.courses_addr])
        .output()
        .unwrap();
    assert!(health.status.success());
    assert_eq!(
        library_files(&second.data_dir),
        3,
        "the library is seeded once"
    );
    assert!(second.stop().await.success());
}

/// The files the library keeps under `data_dir` (`library/items/<item>/<file>`).
fn library_files(data_dir: &std::path::Path) -> usize {
    std::fs::read_dir(data_dir.join("library/items"))
        .into_iter()
        .flatten()
        .flatten()
        .map(|item| std::fs::read_dir(item.path()).map_or(0, |files| files.count()))
        .sum()
}

#[test]
fn token_refuses_an_unknown_role() {
    let data_dir = hamafza_kit::testing::temp_dir("token");
    let output = hamafza(&data_dir)
        .args(["token", "--sub", "x", "--org", "msc", "--role", "emperor"])
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("unknown role"));
    let _ = std::fs::remove_dir_all(data_dir);
}
