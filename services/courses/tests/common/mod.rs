//! A real courses server for each test: its own database (SQLite, or
//! PostgreSQL when `HAMAFZA_TEST_DATABASE_URL` is set), a real listener on
//! `127.0.0.1:0`, real gRPC clients, and tokens from a test issuer.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

use hamafza_kit::auth::Role;
use hamafza_kit::config::Config;
use hamafza_kit::shutdown::{Shutdown, ShutdownTrigger};
use hamafza_kit::testing::{TestDatabase, TestIssuer};
use hamafza_proto::common::{Actor, LocalizedText, TimeRange};
use hamafza_proto::courses as pb;
use hamafza_proto::courses::course_service_client::CourseServiceClient;
use hamafza_proto::courses::event_service_client::EventServiceClient;
use hamafza_proto::courses::organization_service_client::OrganizationServiceClient;
use hamafza_proto::courses::session_service_client::SessionServiceClient;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tonic::transport::Channel;
use tonic_types::StatusExt;

pub struct TestServer {
    pub url: String,
    pub channel: Channel,
    pub issuer: TestIssuer,
    trigger: ShutdownTrigger,
    pub handle: Option<JoinHandle<Result<(), hamafza_kit::grpc::ServeError>>>,
    _db: TestDatabase,
}

pub const ADMIN: (&str, &str, &[Role]) = ("admin-1", "imidro", &[Role::PlatformAdmin]);
pub const COUNCIL_A: (&str, &str, &[Role]) =
    ("council-a", "msc", &[Role::Council, Role::OrgManager]);
pub const COUNCIL_B: (&str, &str, &[Role]) = ("council-b", "gegh", &[Role::Council]);
pub const TRAINEE: (&str, &str, &[Role]) = ("trainee-1", "msc", &[Role::Trainee]);
pub const MANAGER_KSC: (&str, &str, &[Role]) = ("manager-ksc", "ksc", &[Role::OrgManager]);
pub const INSTRUCTOR: (&str, &str, &[Role]) = ("instructor-1", "imidro", &[Role::Instructor]);

impl TestServer {
    /// A server with the holding and three member companies registered.
    pub async fn start() -> Self {
        Self::start_with(|_| {}).await
    }

    pub async fn start_with(configure: impl FnOnce(&mut Config)) -> Self {
        let db = TestDatabase::create().await;
        let connection = hamafza_kit::db::connect_and_migrate::<hamafza_courses::Migrator>(&db.url)
            .await
            .expect("migrate the test database");
        let issuer = TestIssuer::new();
        let mut config = Config::default();
        config.grpc.shutdown_grace_seconds = 2;
        configure(&mut config);
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let (trigger, shutdown) = Shutdown::new();
        let verifier = issuer.verifier();
        let handle = tokio::spawn(async move {
            hamafza_courses::serve(&config, connection, verifier, listener, shutdown).await
        });
        let channel = Channel::from_shared(url.clone())
            .unwrap()
            .connect_timeout(Duration::from_secs(5))
            .connect()
            .await
            .expect("connect to the test server");
        let server = Self {
            url,
            channel,
            issuer,
            trigger,
            handle: Some(handle),
            _db: db,
        };
        for (id, fa, en, kind, parent) in [
            (
                "imidro",
                "ایمیدرو",
                "IMIDRO",
                pb::OrganizationKind::Holding,
                "",
            ),
            (
                "msc",
                "فولاد مبارکه",
                "Mobarakeh Steel",
                pb::OrganizationKind::Steel,
                "imidro",
            ),
            (
                "ksc",
                "فولاد خوزستان",
                "Khuzestan Steel",
                pb::OrganizationKind::Steel,
                "imidro",
            ),
            (
                "gegh",
                "گل گهر",
                "Gol-E-Gohar",
                pb::OrganizationKind::Mining,
                "imidro",
            ),
        ] {
            server
                .organizations()
                .create_organization(server.request(
                    ADMIN,
                    pb::CreateOrganizationRequest {
                        organization_id: id.to_owned(),
                        name: Some(text(fa, en)),
                        kind: kind.into(),
                        parent_organization_id: parent.to_owned(),
                    },
                ))
                .await
                .expect("register an organization");
        }
        server
    }

    pub fn token(&self, who: (&str, &str, &[Role])) -> String {
        self.issuer.token(who.0, who.1, who.2)
    }

    /// A request carrying `who`'s bearer token.
    pub fn request<T>(&self, who: (&str, &str, &[Role]), message: T) -> tonic::Request<T> {
        with_token(&self.token(who), message)
    }

    pub fn courses(&self) -> CourseServiceClient<Channel> {
        CourseServiceClient::new(self.channel.clone())
    }

    pub fn sessions(&self) -> SessionServiceClient<Channel> {
        SessionServiceClient::new(self.channel.clone())
    }

    pub fn organizations(&self) -> OrganizationServiceClient<Channel> {
        OrganizationServiceClient::new(self.channel.clone())
    }

    pub fn events(&self) -> EventServiceClient<Channel> {
        EventServiceClient::new(self.channel.clone())
    }

    pub fn shutdown(&self) {
        self.trigger.fire();
    }

    /// Creates a draft course as the admin.
    pub async fn create_course(&self, code: &str) -> pb::Course {
        self.courses()
            .create_course(self.request(
                ADMIN,
                pb::CreateCourseRequest {
                    details: Some(course_details(code)),
                },
            ))
            .await
            .expect("create a course")
            .into_inner()
            .course
            .unwrap()
    }

    /// Creates a course and takes it through the council to PUBLISHED.
    pub async fn published_course(&self, code: &str) -> pb::Course {
        let course = self.create_course(code).await;
        let mut client = self.courses();
        client
            .submit_course(self.request(
                ADMIN,
                pb::SubmitCourseRequest {
                    course_id: course.id.clone(),
                },
            ))
            .await
            .unwrap();
        for member in [COUNCIL_A, COUNCIL_B] {
            client
                .review_course(self.request(
                    member,
                    pb::ReviewCourseRequest {
                        course_id: course.id.clone(),
                        decision: pb::VoteDecision::Approve.into(),
                        comment: String::new(),
                    },
                ))
                .await
                .unwrap();
        }
        client
            .publish_course(self.request(
                ADMIN,
                pb::PublishCourseRequest {
                    course_id: course.id.clone(),
                },
            ))
            .await
            .unwrap()
            .into_inner()
            .course
            .unwrap()
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.trigger.fire();
    }
}

pub fn with_token<T>(token: &str, message: T) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    request
        .metadata_mut()
        .insert("authorization", format!("Bearer {token}").parse().unwrap());
    request
}

pub fn text(fa: &str, en: &str) -> LocalizedText {
    LocalizedText {
        fa: fa.to_owned(),
        en: en.to_owned(),
    }
}

pub fn course_details(code: &str) -> pb::CourseDetails {
    pb::CourseDetails {
        code: code.to_owned(),
        title: Some(text("ارتباطات بحران", "Crisis Communication")),
        description: Some(text("", "")),
        category: "crisis-communication".to_owned(),
        hours: 12,
        delivery_mode: pb::DeliveryMode::InPerson.into(),
        passing_score: 70,
        min_attendance_percent: 75,
        certificate_validity_months: Some(24),
        prerequisite_course_ids: vec![],
        requires_manager_approval: false,
    }
}

pub fn timestamp(offset_hours: i64) -> prost_types::Timestamp {
    let instant = chrono::Utc::now() + chrono::Duration::hours(offset_hours);
    prost_types::Timestamp {
        seconds: instant.timestamp(),
        nanos: 0,
    }
}

pub fn session_details(capacity: u32) -> pb::SessionDetails {
    pb::SessionDetails {
        meetings: vec![
            pb::Meeting {
                start_time: Some(timestamp(48)),
                end_time: Some(timestamp(52)),
                topic: None,
            },
            pb::Meeting {
                start_time: Some(timestamp(72)),
                end_time: Some(timestamp(76)),
                topic: None,
            },
        ],
        venue: Some(text("تهران", "Tehran")),
        online_url: String::new(),
        instructor: Some(Actor {
            subject: INSTRUCTOR.0.to_owned(),
            name: "مریم رحیمی".to_owned(),
            organization_id: INSTRUCTOR.1.to_owned(),
        }),
        capacity,
        quotas: vec![pb::SeatQuota {
            organization_id: "msc".to_owned(),
            seats: 2,
        }],
        enrolment_window: Some(TimeRange {
            start_time: Some(timestamp(-1)),
            end_time: Some(timestamp(24)),
        }),
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
