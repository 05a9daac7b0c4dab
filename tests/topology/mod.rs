#![allow(dead_code)] // each test binary uses part of it
//! The deployment's topology in a test: every service its own `hamafza serve`
//! process with the environment compose gives it (its own database, peers'
//! URLs, a shared identity), on free loopback ports. Starting, signalling and
//! waiting for those processes is written here once, with the few fixtures
//! the process tests (`faults`, `replicas`, `tracing`) share.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use hamafza_kit::testing::TestDatabase;
use hamafza_proto::certification as certpb;
use hamafza_proto::certification::certification_service_client::CertificationServiceClient;
use hamafza_proto::common::Actor;
use hamafza_proto::courses as cpb;
use hamafza_proto::courses::course_service_client::CourseServiceClient;
use hamafza_proto::courses::session_service_client::SessionServiceClient;
use hamafza_testkit::{fixtures, with_token};
use tonic::transport::Channel;

pub const BINARY: &str = env!("CARGO_BIN_EXE_hamafza");

/// A port nobody listens on right now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub struct Topology {
    pub dir: PathBuf,
    env: BTreeMap<String, String>,
    databases: BTreeMap<&'static str, TestDatabase>,
    children: Vec<(String, Child)>,
}

impl Topology {
    /// Fresh databases for courses, enrolments and certification, migrated and
    /// with the demo catalog, and ports for one process of each service.
    pub async fn new(extra_env: &[(&str, &str)]) -> Self {
        let dir = hamafza_kit::testing::temp_dir("topology");
        let mut databases = BTreeMap::new();
        for service in ["courses", "enrolments", "certification"] {
            databases.insert(service, TestDatabase::create().await);
        }
        let mut env = BTreeMap::new();
        let mut set = |key: &str, value: String| {
            env.insert(key.to_owned(), value);
        };
        set("HAMAFZA_DATA_DIR", dir.display().to_string());
        set("HAMAFZA_AUTH_ALLOW_DEV_ISSUER", "true".to_owned());
        set("HAMAFZA_LOG_FORMAT", "json".to_owned());
        for (service, database) in &databases {
            let upper = service.to_uppercase();
            let port = free_port();
            set(
                &format!("HAMAFZA_{upper}_DATABASE_URL"),
                database.url.clone(),
            );
            set(
                &format!("HAMAFZA_{upper}_ADDR"),
                format!("127.0.0.1:{port}"),
            );
            set(
                &format!("HAMAFZA_{upper}_URL"),
                format!("http://127.0.0.1:{port}"),
            );
        }
        let gateway = free_port();
        set("HAMAFZA_GATEWAY_ADDR", format!("127.0.0.1:{gateway}"));
        set(
            "HAMAFZA_CREDENTIALS_PUBLIC_BASE_URL",
            format!("http://127.0.0.1:{gateway}"),
        );
        for (key, value) in extra_env {
            set(key, (*value).to_owned());
        }
        let topology = Self {
            dir,
            env,
            databases,
            children: Vec::new(),
        };
        let migrate = topology
            .command()
            .args(["migrate", "--demo"])
            .output()
            .unwrap();
        assert!(
            migrate.status.success(),
            "migrate: {}",
            String::from_utf8_lossy(&migrate.stderr)
        );
        topology
    }

    pub fn is_postgres(&self) -> bool {
        self.databases.values().all(TestDatabase::is_postgres)
    }

    /// The address a service was given, e.g. `127.0.0.1:50051`.
    pub fn addr(&self, service: &str) -> String {
        self.env[&format!("HAMAFZA_{}_ADDR", service.to_uppercase())].clone()
    }

    pub fn url(&self, service: &str) -> String {
        format!("http://{}", self.addr(service))
    }

    /// `hamafza` with this topology's environment and nothing inherited that
    /// could change it.
    pub fn command(&self) -> Command {
        let mut command = Command::new(BINARY);
        command
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .envs(&self.env);
        command
    }

    /// Starts `hamafza serve <service>` as process `name`, with `overrides`
    /// on top of the shared environment, and waits until it is healthy.
    pub async fn start(&mut self, name: &str, service: &str, overrides: &[(&str, String)]) {
        let log = std::fs::File::create(self.log_path(name)).unwrap();
        let mut command = self.command();
        command
            .args(["serve", service])
            .stdout(Stdio::null())
            .stderr(Stdio::from(log));
        let mut addr = self.addr(service);
        for (key, value) in overrides {
            command.env(key, value);
            if key.ends_with("_ADDR") {
                addr.clone_from(value);
            }
        }
        let child = command.spawn().unwrap();
        self.children.push((name.to_owned(), child));
        let http = service == "gateway";
        let started = Instant::now();
        loop {
            let mut check = self.command();
            check.args(["healthcheck", "--addr", &addr]);
            if http {
                check.arg("--http");
            }
            if check.output().unwrap().status.success() {
                return;
            }
            let (_, child) = self.children.last_mut().unwrap();
            if let Some(status) = child.try_wait().unwrap() {
                panic!(
                    "{name} exited while starting ({status}): {}",
                    self.log(name)
                );
            }
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "{name} not healthy after 30 s: {}",
                self.log(name)
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub fn log_path(&self, name: &str) -> PathBuf {
        self.dir.join(format!("{name}.log"))
    }

    pub fn log(&self, name: &str) -> String {
        std::fs::read_to_string(self.log_path(name)).unwrap_or_default()
    }

    /// A token signed by the topology's identity (the development issuer).
    pub fn token(&self, subject: &str, organization: &str, roles: &[&str]) -> String {
        let mut command = self.command();
        command.args([
            "token",
            "--sub",
            subject,
            "--org",
            organization,
            "--ttl",
            "1h",
        ]);
        for role in roles {
            command.args(["--role", role]);
        }
        let output = command.output().unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).unwrap().trim().to_owned()
    }

    /// The database URL of `service` (courses, enrolments, certification).
    pub fn database_url(&self, service: &str) -> String {
        self.databases[service].url.clone()
    }

    /// The process id of process `name`.
    pub fn pid(&self, name: &str) -> u32 {
        self.children
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, child)| child.id())
            .unwrap()
    }

    /// Sends `signal` (e.g. `KILL`, `TERM`) to process `name` and waits up to
    /// `limit` for it to exit; returns how it exited.
    pub async fn signal(&mut self, name: &str, signal: &str, limit: Duration) -> ExitStatus {
        let at = self.children.iter().position(|(n, _)| n == name).unwrap();
        let (name, child) = self.children.remove(at);
        end(&name, child, signal, limit).await
    }

    /// SIGTERMs every process, newest first, and returns how each exited.
    pub async fn stop(&mut self) -> Vec<(String, ExitStatus)> {
        let mut exits = Vec::new();
        while let Some((name, child)) = self.children.pop() {
            let status = end(&name, child, "TERM", Duration::from_secs(30)).await;
            exits.push((name, status));
        }
        exits
    }

    /// Starts a second process of `service` (a replica sharing its database)
    /// on a port of its own, with `overrides`; returns its URL.
    pub async fn start_replica(
        &mut self,
        name: &str,
        service: &str,
        overrides: &[(&str, String)],
    ) -> String {
        let addr = format!("127.0.0.1:{}", free_port());
        let key = format!("HAMAFZA_{}_ADDR", service.to_uppercase());
        let mut all = vec![(key.as_str(), addr.clone())];
        all.extend(overrides.iter().cloned());
        self.start(name, service, &all).await;
        format!("http://{addr}")
    }
}

/// Sends `signal` to `child` and waits up to `limit` for it to exit.
async fn end(name: &str, mut child: Child, signal: &str, limit: Duration) -> ExitStatus {
    let sent = Command::new("kill")
        .args([&format!("-{signal}"), &child.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        assert!(
            started.elapsed() < limit,
            "{name} did not exit within {limit:?} of SIG{signal}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A connected gRPC channel to `url`.
pub async fn channel(url: String) -> Channel {
    Channel::from_shared(url).unwrap().connect().await.unwrap()
}

/// Whether to skip a test that needs PostgreSQL (`HAMAFZA_TEST_DATABASE_URL`)
/// because none is configured; says so, naming `what` needs it.
pub fn skip_without_postgres(what: &str) -> bool {
    if std::env::var(hamafza_kit::testing::TEST_DATABASE_URL_ENV).is_err() {
        eprintln!("skipped: {what} PostgreSQL (HAMAFZA_TEST_DATABASE_URL)");
        return true;
    }
    false
}

/// An open session of the demo course PR-101 taught by the demo instructor,
/// with `capacity` seats and `quotas`; returns its id and its course's id.
pub async fn open_session(
    topology: &Topology,
    admin: &str,
    capacity: u32,
    quotas: &[(&str, u32)],
) -> (String, String) {
    let courses = channel(topology.url("courses")).await;
    let course = CourseServiceClient::new(courses.clone())
        .list_courses(with_token(
            admin,
            cpb::ListCoursesRequest {
                page_size: 100,
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .courses
        .into_iter()
        .find(|c| c.details.as_ref().is_some_and(|d| d.code == "PR-101"))
        .expect("the demo course PR-101");
    let mut sessions = SessionServiceClient::new(courses);
    let details = cpb::SessionDetails {
        instructor: Some(Actor {
            subject: "instructor-rahimi".to_owned(),
            name: "مدرس".to_owned(),
            organization_id: "imidro".to_owned(),
        }),
        ..fixtures::session_details(capacity, quotas)
    };
    let session = sessions
        .create_session(with_token(
            admin,
            cpb::CreateSessionRequest {
                request_id: String::new(),
                course_id: course.id.clone(),
                details: Some(details),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .session
        .unwrap();
    sessions
        .open_session(with_token(
            admin,
            cpb::OpenSessionRequest {
                session_id: session.id.clone(),
            },
        ))
        .await
        .unwrap();
    (session.id, course.id)
}

/// The certificates of a course (up to 200), as `admin` lists them.
pub async fn certificates(
    certification: Channel,
    admin: &str,
    course_id: &str,
) -> Vec<certpb::Certificate> {
    CertificationServiceClient::new(certification)
        .list_certificates(with_token(
            admin,
            certpb::ListCertificatesRequest {
                page_size: 200,
                course_id: course_id.to_owned(),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .certificates
}

impl Drop for Topology {
    fn drop(&mut self) {
        for (_, child) in &mut self.children {
            let _ = child.kill();
            let _ = child.wait();
        }
        if !std::thread::panicking() {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}
