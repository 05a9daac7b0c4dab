//! Test support for every crate's integration tests: a [`TestStack`] of real
//! services (built and served exactly as `hamafza up` does, through
//! [`Service`]) over real sockets, each with a fresh database (SQLite, or
//! PostgreSQL when `HAMAFZA_TEST_DATABASE_URL` is set); the demo people and
//! their tokens ([`people`]); fixtures as steps ([`fixtures`]); and waiting on
//! a condition with a deadline ([`eventually`]).
//!
//! Test support fails loudly: a test that cannot get its stack should stop.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

pub mod fixtures;
pub mod people;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::Duration;

use hamafza_certification::CertificationService;
use hamafza_courses::CoursesService;
use hamafza_enrolments::EnrolmentsService;
use hamafza_gateway::GatewayService;
use hamafza_kit::config::{Config, ServiceConfig};
use hamafza_kit::grpc::ServeError;
use hamafza_kit::service::{Migrations, Service, Shared};
use hamafza_kit::shutdown::{Shutdown, ShutdownTrigger};
pub use hamafza_kit::testing::{TestDatabase, TestIssuer, temp_dir};
use hamafza_library::LibraryService;
use hamafza_notifications::NotificationsService;
use hamafza_proto::common::LocalizedText;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tonic::transport::{Channel, Endpoint};
use tonic_types::StatusExt;

pub use people::Who;

/// Where nothing listens: the URL of a peer a test does not run.
const NOWHERE: &str = "http://127.0.0.1:9";

/// The services a [`TestStack`] can run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Svc {
    /// The catalog.
    Courses,
    /// Enrolments, seats, completion and the outbox to certification.
    Enrolments,
    /// Certificates.
    Certification,
    /// Inboxes, preferences and email.
    Notifications,
    /// The shared library of PR practice.
    Library,
    /// The web app and JSON API.
    Gateway,
}

impl Svc {
    const ALL: [Svc; 6] = [
        Svc::Courses,
        Svc::Enrolments,
        Svc::Certification,
        Svc::Notifications,
        Svc::Library,
        Svc::Gateway,
    ];

    fn settings(self, config: &mut Config) -> &mut ServiceConfig {
        match self {
            Svc::Courses => &mut config.courses,
            Svc::Enrolments => &mut config.enrolments,
            Svc::Certification => &mut config.certification,
            Svc::Notifications => &mut config.notifications,
            Svc::Library => &mut config.library,
            Svc::Gateway => &mut config.gateway,
        }
    }

    fn settings_of(self, config: &Config) -> &ServiceConfig {
        match self {
            Svc::Courses => &config.courses,
            Svc::Enrolments => &config.enrolments,
            Svc::Certification => &config.certification,
            Svc::Notifications => &config.notifications,
            Svc::Library => &config.library,
            Svc::Gateway => &config.gateway,
        }
    }
}

type Configure = Box<dyn FnOnce(&mut Config) + Send>;

/// What a [`TestStack`] runs; made by [`TestStack::builder`].
pub struct Builder {
    now: Vec<Svc>,
    later: Vec<Svc>,
    addresses: HashMap<Svc, SocketAddr>,
    configure: Vec<Configure>,
    demo_catalog: bool,
    organizations: bool,
}

impl Builder {
    /// Starts `service` with the stack.
    pub fn with(mut self, service: Svc) -> Self {
        self.now.push(service);
        self
    }

    /// Starts courses, enrolments, certification, notifications, the library and the gateway.
    pub fn all(mut self) -> Self {
        self.now = Svc::ALL.to_vec();
        self
    }

    /// Gives `service` its address and database now, and leaves starting it
    /// to the test ([`TestStack::start`]); its peers call it there meanwhile.
    pub fn later(mut self, service: Svc) -> Self {
        self.later.push(service);
        self
    }

    /// Serves `service` at `addr` instead of a port chosen by the system: for
    /// an outside system that must know the address before the stack starts
    /// (an identity provider's registered redirect URI).
    pub fn address(mut self, service: Svc, addr: SocketAddr) -> Self {
        self.addresses.insert(service, addr);
        self
    }

    /// Changes the configuration every service is built with (after the
    /// test defaults: short shutdown grace, fast workers).
    pub fn configure(mut self, configure: impl FnOnce(&mut Config) + Send + 'static) -> Self {
        self.configure.push(Box::new(configure));
        self
    }

    /// Courses starts with the demo catalog of `hamafza up` instead of the
    /// four test organizations.
    pub fn demo_catalog(mut self) -> Self {
        self.demo_catalog = true;
        self
    }

    /// Courses starts empty: not even the four test organizations.
    pub fn empty(mut self) -> Self {
        self.organizations = false;
        self
    }

    /// Binds every listener, creates the databases, then builds and serves
    /// the services in dependency order.
    pub async fn start(self) -> TestStack {
        let issuer = TestIssuer::new();
        // The development issuer in the data directory is the test issuer:
        // services verify its tokens and mint their own identities with it.
        let mut config = Config {
            data_dir: issuer.dir.clone(),
            ..Config::default()
        };
        config.auth.allow_dev_issuer = true;
        config.grpc.shutdown_grace_seconds = 1;
        // Bursts of hundreds of callers on a busy 2-core CI machine:
        // correctness is what tests check; speed is for the benchmarks.
        config.grpc.request_timeout_seconds = 300;
        // Bursts here test correctness under races; admission (refusing the
        // excess) has tests of its own.
        config.grpc.max_concurrent_calls = 100_000;
        config.workers.outbox_poll_millis = 50;
        config.workers.outbox_max_backoff_seconds = 1;
        config.workers.reconcile_interval_seconds = 1;
        config.workers.directory_poll_millis = 100;
        config.workers.reminder_interval_seconds = 1;
        for configure in self.configure {
            configure(&mut config);
        }

        let mut listeners = HashMap::new();
        let mut databases = HashMap::new();
        for service in Svc::ALL {
            let chosen = self.now.contains(&service) || self.later.contains(&service);
            let settings = service.settings(&mut config);
            if !chosen {
                settings.url.get_or_insert_with(|| NOWHERE.to_owned());
                continue;
            }
            let wanted = self
                .addresses
                .get(&service)
                .copied()
                .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 0)));
            let listener = TcpListener::bind(wanted).await.unwrap();
            let addr = listener.local_addr().unwrap();
            settings.addr = addr;
            settings.url = Some(format!("http://{addr}"));
            let database = TestDatabase::create().await;
            settings.database_url = Some(database.url.clone());
            databases.insert(service, database);
            // A service started later binds its address again then.
            if self.now.contains(&service) {
                listeners.insert(service, listener);
            }
        }
        if config.credentials.public_base_url == Config::default().credentials.public_base_url
            && let Some(gateway) = &config.gateway.url
        {
            config.credentials.public_base_url = gateway.clone();
        }

        let shared = Shared::from_config(&config, Migrations::Apply)
            .await
            .expect("the test issuer's keys");
        let mut stack = TestStack {
            issuer,
            config,
            shared,
            databases,
            running: HashMap::new(),
            replicas: Vec::new(),
        };
        for service in Svc::ALL {
            if let Some(listener) = listeners.remove(&service) {
                let (trigger, task) = stack.spawn(service, listener, self.demo_catalog).await;
                stack.running.insert(service, (trigger, task));
            }
        }
        if self.now.contains(&Svc::Courses) && !self.demo_catalog && self.organizations {
            fixtures::register_organizations(&stack).await;
        }
        stack
    }
}

/// Real services of one test; stopped when dropped.
pub struct TestStack {
    /// Mints the test people's tokens; the services trust it.
    pub issuer: TestIssuer,
    /// The configuration every service was built with (addresses, URLs and
    /// databases filled in).
    pub config: Config,
    shared: Shared,
    databases: HashMap<Svc, TestDatabase>,
    running: HashMap<Svc, Running>,
    replicas: Vec<Running>,
}

type Running = (ShutdownTrigger, JoinHandle<Result<(), ServeError>>);

impl Drop for TestStack {
    fn drop(&mut self) {
        for (trigger, _) in self.running.values().chain(&self.replicas) {
            trigger.fire();
        }
    }
}

impl TestStack {
    /// Chooses what runs.
    pub fn builder() -> Builder {
        Builder {
            now: Vec::new(),
            later: Vec::new(),
            addresses: HashMap::new(),
            configure: Vec::new(),
            demo_catalog: false,
            organizations: true,
        }
    }

    /// The base URL of `service` (`http://127.0.0.1:port`).
    pub fn url(&self, service: Svc) -> String {
        service
            .settings_of(&self.config)
            .url
            .clone()
            .unwrap_or_else(|| NOWHERE.to_owned())
    }

    /// The address `service` listens on.
    pub fn addr(&self, service: Svc) -> SocketAddr {
        service.settings_of(&self.config).addr
    }

    /// A channel to `service`, connected at the first call.
    pub fn channel(&self, service: Svc) -> Channel {
        lazy_channel(&self.url(service))
    }

    /// The database of `service`.
    pub fn database(&self, service: Svc) -> &TestDatabase {
        self.databases
            .get(&service)
            .unwrap_or_else(|| panic!("{service:?} has no database in this stack"))
    }

    /// Starts `service` (one given to [`Builder::later`], or one stopped) on
    /// its address, with the stack's configuration as it is now.
    pub async fn start(&mut self, service: Svc) {
        let listener = TcpListener::bind(self.addr(service)).await.unwrap();
        let running = self.spawn(service, listener, false).await;
        if let Some((trigger, _)) = self.running.insert(service, running) {
            trigger.fire();
        }
    }

    /// Asks `service` to stop, without waiting.
    pub fn signal_stop(&self, service: Svc) {
        if let Some((trigger, _)) = self.running.get(&service) {
            trigger.fire();
        }
    }

    /// Stops `service` and waits until it is down.
    pub async fn stop(&mut self, service: Svc) {
        if let Some((trigger, task)) = self.running.remove(&service) {
            trigger.fire();
            tokio::time::timeout(Duration::from_secs(10), task)
                .await
                .expect("the service stops within 10 s")
                .expect("the service task ends without panicking")
                .expect("the service stops cleanly");
        }
    }

    /// Starts another replica of `service` on the same database and a new
    /// port; it stops with the stack. Returns a channel to it.
    pub async fn replica(&mut self, service: Svc) -> Channel {
        let url = self.replica_url(service).await;
        lazy_channel(&url)
    }

    /// Starts another replica of `service` as [`replica`](Self::replica)
    /// does; returns its base URL (`http://127.0.0.1:port`).
    pub async fn replica_url(&mut self, service: Svc) -> String {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let replica = self.spawn(service, listener, false).await;
        self.replicas.push(replica);
        url
    }

    async fn spawn(&self, service: Svc, listener: TcpListener, demo_catalog: bool) -> Running {
        let (trigger, shutdown) = Shutdown::new();
        let task = match service {
            Svc::Courses => {
                let courses = build::<CoursesService>(&self.config, &self.shared).await;
                if demo_catalog {
                    hamafza_courses::demo::seed(
                        courses.store(),
                        self.config.council.required_approvals,
                        hamafza_kit::time::now(),
                    )
                    .await
                    .expect("seed the demo catalog");
                }
                serve(courses, listener, shutdown)
            }
            Svc::Enrolments => serve(
                build::<EnrolmentsService>(&self.config, &self.shared).await,
                listener,
                shutdown,
            ),
            Svc::Certification => serve(
                build::<CertificationService>(&self.config, &self.shared).await,
                listener,
                shutdown,
            ),
            Svc::Notifications => serve(
                build::<NotificationsService>(&self.config, &self.shared).await,
                listener,
                shutdown,
            ),
            Svc::Library => serve(
                build::<LibraryService>(&self.config, &self.shared).await,
                listener,
                shutdown,
            ),
            Svc::Gateway => serve(
                build::<GatewayService>(&self.config, &self.shared).await,
                listener,
                shutdown,
            ),
        };
        (trigger, task)
    }

    /// A token for `who`, signed by the test issuer.
    pub fn token(&self, who: Who) -> String {
        self.issuer.token(who.0, who.1, who.2)
    }

    /// `message` as `who` sends it.
    pub fn request<T>(&self, who: Who, message: T) -> tonic::Request<T> {
        with_token(&self.token(who), message)
    }
}

async fn build<S: Service>(config: &Config, shared: &Shared) -> S {
    S::build(config, shared)
        .await
        .unwrap_or_else(|error| panic!("building {}: {error:#}", S::NAME))
}

fn serve<S: Service>(
    service: S,
    listener: TcpListener,
    shutdown: Shutdown,
) -> JoinHandle<Result<(), ServeError>> {
    tokio::spawn(service.serve(listener, shutdown))
}

/// A loopback address free a moment ago (bound, read, released), for a
/// system that must be told an address before it is served.
pub fn free_addr() -> SocketAddr {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free loopback port")
}

/// A channel to `url`, connected at the first call.
pub fn lazy_channel(url: &str) -> Channel {
    Endpoint::from_shared(url.to_owned())
        .unwrap()
        .connect_timeout(Duration::from_secs(5))
        .connect_lazy()
}

/// `message` with `token` as its bearer credentials.
pub fn with_token<T>(token: &str, message: T) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    request
        .metadata_mut()
        .insert("authorization", format!("Bearer {token}").parse().unwrap());
    request
}

/// Bilingual text.
pub fn text(fa: &str, en: &str) -> LocalizedText {
    LocalizedText {
        fa: fa.to_owned(),
        en: en.to_owned(),
    }
}

/// Now plus `offset_hours`, whole seconds.
pub fn timestamp(offset_hours: i64) -> prost_types::Timestamp {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    prost_types::Timestamp {
        seconds: now + offset_hours * 3600,
        nanos: 0,
    }
}

/// The fields named by an `INVALID_ARGUMENT` status.
pub fn violated_fields(status: &tonic::Status) -> Vec<String> {
    assert_eq!(status.code(), tonic::Code::InvalidArgument, "{status:?}");
    status
        .get_error_details()
        .bad_request()
        .map(|bad| {
            bad.field_violations
                .iter()
                .map(|v| v.field.clone())
                .collect()
        })
        .unwrap_or_default()
}

/// Waits until `condition` holds, failing the test after `limit`.
pub async fn eventually<F, Fut>(limit: Duration, mut condition: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + limit;
    while !condition().await {
        assert!(
            tokio::time::Instant::now() < deadline,
            "condition not met within {limit:?}"
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// Sends `body` as it is (no protobuf encoding) to the gRPC method `path`
/// (`/package.Service/Method`) with `token`; returns the status it answers.
/// For tests of what a server does with bytes that are not a valid message.
pub async fn raw_call(
    channel: Channel,
    path: &'static str,
    body: Vec<u8>,
    token: &str,
) -> tonic::Status {
    let mut grpc = tonic::client::Grpc::new(channel);
    grpc.ready().await.expect("the server is ready");
    let request = with_token(token, body);
    match grpc
        .unary(
            request,
            tonic::codegen::http::uri::PathAndQuery::from_static(path),
            RawCodec,
        )
        .await
    {
        Ok(_) => tonic::Status::ok("answered"),
        Err(status) => status,
    }
}

/// A codec that sends and receives bytes as they are.
#[derive(Debug, Clone, Copy, Default)]
struct RawCodec;

impl tonic::codec::Codec for RawCodec {
    type Encode = Vec<u8>;
    type Decode = Vec<u8>;
    type Encoder = RawCodec;
    type Decoder = RawCodec;

    fn encoder(&mut self) -> RawCodec {
        RawCodec
    }

    fn decoder(&mut self) -> RawCodec {
        RawCodec
    }
}

impl tonic::codec::Encoder for RawCodec {
    type Item = Vec<u8>;
    type Error = tonic::Status;

    fn encode(
        &mut self,
        item: Vec<u8>,
        dst: &mut tonic::codec::EncodeBuf<'_>,
    ) -> Result<(), tonic::Status> {
        bytes::BufMut::put_slice(dst, &item);
        Ok(())
    }
}

impl tonic::codec::Decoder for RawCodec {
    type Item = Vec<u8>;
    type Error = tonic::Status;

    fn decode(
        &mut self,
        src: &mut tonic::codec::DecodeBuf<'_>,
    ) -> Result<Option<Vec<u8>>, tonic::Status> {
        let bytes = bytes::Buf::chunk(src).to_vec();
        bytes::Buf::advance(src, bytes.len());
        Ok(Some(bytes))
    }
}
