//! A real courses server and a real enrolments server for each test, each
//! with its own database (SQLite, or PostgreSQL when
//! `HAMAFZA_TEST_DATABASE_URL` is set), talking over real sockets.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;
use std::time::Duration;

use hamafza_kit::auth::{Role, ServiceToken};
use hamafza_kit::config::Config;
use hamafza_kit::shutdown::{Shutdown, ShutdownTrigger};
use hamafza_kit::testing::{TestDatabase, TestIssuer};
use hamafza_proto::common::{Actor, LocalizedText, TimeRange};
use hamafza_proto::courses as cpb;
use hamafza_proto::enrolments as pb;
use hamafza_proto::enrolments::enrolment_service_client::EnrolmentServiceClient;
use hamafza_proto::enrolments::report_service_client::ReportServiceClient;
use tokio::net::TcpListener;
use tonic::transport::{Channel, Endpoint};
use tonic_types::StatusExt;

pub type Who = (&'static str, &'static str, &'static [Role]);
pub const ADMIN: Who = ("admin-1", "imidro", &[Role::PlatformAdmin]);
pub const COUNCIL: Who = ("council-a", "msc", &[Role::Council, Role::OrgManager]);
pub const COUNCIL_B: Who = ("council-b", "gegh", &[Role::Council]);
pub const MANAGER_MSC: Who = ("manager-msc", "msc", &[Role::OrgManager]);
pub const MANAGER_KSC: Who = ("manager-ksc", "ksc", &[Role::OrgManager]);
pub const INSTRUCTOR: Who = ("instructor-1", "imidro", &[Role::Instructor]);
pub const TRAINEE_MSC: Who = ("trainee-msc", "msc", &[Role::Trainee]);
pub const TRAINEE_MSC_2: Who = ("trainee-msc-2", "msc", &[Role::Trainee]);
pub const TRAINEE_KSC: Who = ("trainee-ksc", "ksc", &[Role::Trainee]);

/// The courses and enrolments services of one test.
pub struct Stack {
    pub issuer: TestIssuer,
    pub enrolments_addr: String,
    pub courses_url: String,
    pub courses: Channel,
    pub enrolments: Channel,
    pub enrolments_db: TestDatabase,
    pub config: Config,
    triggers: Vec<ShutdownTrigger>,
    _courses_db: TestDatabase,
}

impl Drop for Stack {
    fn drop(&mut self) {
        for trigger in &self.triggers {
            trigger.fire();
        }
    }
}

async fn channel(url: &str) -> Channel {
    Endpoint::from_shared(url.to_owned())
        .unwrap()
        .connect_timeout(Duration::from_secs(5))
        .connect()
        .await
        .unwrap()
}

impl Stack {
    pub async fn start() -> Self {
        Self::start_with(|_| {}).await
    }

    pub async fn start_with(configure: impl FnOnce(&mut Config)) -> Self {
        let issuer = TestIssuer::new();
        let mut config = Config::default();
        config.grpc.shutdown_grace_seconds = 1;
        // Bursts of hundreds of callers on a busy 2-core CI machine: correctness
        // is what these tests check; speed is for the benchmarks.
        config.grpc.request_timeout_seconds = 300;
        config.workers.outbox_poll_millis = 50;
        config.workers.outbox_max_backoff_seconds = 1;
        config.workers.reconcile_interval_seconds = 1;
        // Nothing listens here until a test starts certification.
        config.certification.url = Some("http://127.0.0.1:9".to_owned());
        configure(&mut config);

        let courses_db = TestDatabase::create().await;
        let connection =
            hamafza_kit::db::connect_and_migrate::<hamafza_courses::Migrator>(&courses_db.url)
                .await
                .unwrap();
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let courses_url = format!("http://{}", listener.local_addr().unwrap());
        let (courses_trigger, shutdown) = Shutdown::new();
        let (courses_config, verifier) = (config.clone(), issuer.verifier());
        tokio::spawn(async move {
            hamafza_courses::serve(&courses_config, connection, verifier, listener, shutdown).await
        });
        config.courses.url = Some(courses_url.clone());

        let enrolments_db = TestDatabase::create().await;
        hamafza_kit::db::connect_and_migrate::<hamafza_enrolments::Migrator>(&enrolments_db.url)
            .await
            .unwrap();
        let mut stack = Stack {
            enrolments_addr: String::new(),
            courses: channel(&courses_url).await,
            courses_url,
            enrolments: Endpoint::from_static("http://127.0.0.1:9").connect_lazy(),
            issuer,
            enrolments_db,
            config,
            triggers: vec![courses_trigger],
            _courses_db: courses_db,
        };
        let (channel, addr) = stack.start_replica().await;
        stack.enrolments = channel;
        stack.enrolments_addr = addr;
        stack.seed_organizations().await;
        stack
    }

    /// Starts another enrolments server on the same database; returns a channel to it.
    pub async fn start_enrolments_replica(&mut self) -> Channel {
        self.start_replica().await.0
    }

    async fn start_replica(&mut self) -> (Channel, String) {
        let connection = hamafza_kit::db::connect(&self.enrolments_db.url)
            .await
            .unwrap();
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let (trigger, shutdown) = Shutdown::new();
        self.triggers.push(trigger);
        let config = self.config.clone();
        let verifier = self.issuer.verifier();
        let identity = Arc::new(ServiceToken::minted(
            self.issuer.issuer().clone(),
            "enrolments",
        ));
        let peers = hamafza_enrolments::Peers::from_config(&config, identity).unwrap();
        tokio::spawn(async move {
            hamafza_enrolments::serve(&config, connection, verifier, peers, listener, shutdown)
                .await
        });
        let addr = url.trim_start_matches("http://").to_owned();
        (channel(&url).await, addr)
    }

    pub fn token(&self, who: Who) -> String {
        self.issuer.token(who.0, who.1, who.2)
    }

    pub fn request<T>(&self, who: Who, message: T) -> tonic::Request<T> {
        with_token(&self.token(who), message)
    }

    pub fn client(&self) -> EnrolmentServiceClient<Channel> {
        EnrolmentServiceClient::new(self.enrolments.clone())
    }

    pub fn reports(&self) -> ReportServiceClient<Channel> {
        ReportServiceClient::new(self.enrolments.clone())
    }

    async fn seed_organizations(&self) {
        let mut organizations =
            hamafza_proto::courses::organization_service_client::OrganizationServiceClient::new(
                self.courses.clone(),
            );
        for (id, kind, parent) in [
            ("imidro", cpb::OrganizationKind::Holding, ""),
            ("msc", cpb::OrganizationKind::Steel, "imidro"),
            ("ksc", cpb::OrganizationKind::Steel, "imidro"),
            ("gegh", cpb::OrganizationKind::Mining, "imidro"),
        ] {
            organizations
                .create_organization(self.request(
                    ADMIN,
                    cpb::CreateOrganizationRequest {
                        organization_id: id.to_owned(),
                        name: Some(text(id, id)),
                        kind: kind.into(),
                        parent_organization_id: parent.to_owned(),
                    },
                ))
                .await
                .unwrap();
        }
    }

    /// A published course taken through the council.
    pub async fn course(
        &self,
        code: &str,
        configure: impl FnOnce(&mut cpb::CourseDetails),
    ) -> cpb::Course {
        let mut courses = hamafza_proto::courses::course_service_client::CourseServiceClient::new(
            self.courses.clone(),
        );
        let mut details = cpb::CourseDetails {
            code: code.to_owned(),
            title: Some(text("ارتباط با رسانه", "Media relations")),
            description: None,
            category: "media-relations".to_owned(),
            hours: 12,
            delivery_mode: cpb::DeliveryMode::InPerson.into(),
            passing_score: 70,
            min_attendance_percent: 50,
            certificate_validity_months: Some(24),
            prerequisite_course_ids: vec![],
            requires_manager_approval: false,
        };
        configure(&mut details);
        let course = courses
            .create_course(self.request(
                ADMIN,
                cpb::CreateCourseRequest {
                    details: Some(details),
                },
            ))
            .await
            .unwrap()
            .into_inner()
            .course
            .unwrap();
        courses
            .submit_course(self.request(
                ADMIN,
                cpb::SubmitCourseRequest {
                    course_id: course.id.clone(),
                },
            ))
            .await
            .unwrap();
        for member in [COUNCIL, COUNCIL_B] {
            courses
                .review_course(self.request(
                    member,
                    cpb::ReviewCourseRequest {
                        course_id: course.id.clone(),
                        decision: cpb::VoteDecision::Approve.into(),
                        comment: String::new(),
                    },
                ))
                .await
                .unwrap();
        }
        courses
            .publish_course(self.request(
                ADMIN,
                cpb::PublishCourseRequest {
                    course_id: course.id.clone(),
                },
            ))
            .await
            .unwrap()
            .into_inner()
            .course
            .unwrap()
    }

    /// An open session of `course` with `capacity` seats and `quotas`.
    pub async fn open_session(
        &self,
        course: &cpb::Course,
        capacity: u32,
        quotas: &[(&str, u32)],
    ) -> cpb::Session {
        let mut sessions =
            hamafza_proto::courses::session_service_client::SessionServiceClient::new(
                self.courses.clone(),
            );
        let details = cpb::SessionDetails {
            meetings: vec![
                cpb::Meeting {
                    start_time: Some(timestamp(48)),
                    end_time: Some(timestamp(50)),
                    topic: None,
                },
                cpb::Meeting {
                    start_time: Some(timestamp(72)),
                    end_time: Some(timestamp(74)),
                    topic: None,
                },
            ],
            venue: Some(text("تهران", "Tehran")),
            online_url: String::new(),
            instructor: Some(Actor {
                subject: INSTRUCTOR.0.to_owned(),
                name: "مدرس".to_owned(),
                organization_id: INSTRUCTOR.1.to_owned(),
            }),
            capacity,
            quotas: quotas
                .iter()
                .map(|(org, seats)| cpb::SeatQuota {
                    organization_id: (*org).to_owned(),
                    seats: *seats,
                })
                .collect(),
            enrolment_window: Some(TimeRange {
                start_time: Some(timestamp(-1)),
                end_time: Some(timestamp(24)),
            }),
        };
        let session = sessions
            .create_session(self.request(
                ADMIN,
                cpb::CreateSessionRequest {
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
            .open_session(self.request(
                ADMIN,
                cpb::OpenSessionRequest {
                    session_id: session.id.clone(),
                },
            ))
            .await
            .unwrap()
            .into_inner()
            .session
            .unwrap()
    }

    pub async fn cancel_session(&self, session_id: &str) {
        let mut sessions =
            hamafza_proto::courses::session_service_client::SessionServiceClient::new(
                self.courses.clone(),
            );
        sessions
            .cancel_session(self.request(
                ADMIN,
                cpb::CancelSessionRequest {
                    session_id: session_id.to_owned(),
                    reason: "لغو شد".to_owned(),
                },
            ))
            .await
            .unwrap();
    }

    /// `who` enrols themself.
    pub async fn enrol_self(
        &self,
        who: Who,
        session_id: &str,
        request_id: &str,
    ) -> Result<pb::Enrolment, tonic::Status> {
        self.client()
            .enrol(self.request(
                who,
                pb::EnrolRequest {
                    request_id: request_id.to_owned(),
                    session_id: session_id.to_owned(),
                    trainee: None,
                    waive_prerequisites: false,
                },
            ))
            .await
            .map(|r| r.into_inner().enrolment.unwrap())
    }

    pub async fn get(&self, who: Who, enrolment_id: &str) -> Result<pb::Enrolment, tonic::Status> {
        self.client()
            .get_enrolment(self.request(
                who,
                pb::GetEnrolmentRequest {
                    enrolment_id: enrolment_id.to_owned(),
                },
            ))
            .await
            .map(|r| r.into_inner().enrolment.unwrap())
    }

    pub async fn seats(&self, session_id: &str) -> pb::SessionSeats {
        self.client()
            .batch_get_session_seats(self.request(
                ADMIN,
                pb::BatchGetSessionSeatsRequest {
                    session_ids: vec![session_id.to_owned()],
                },
            ))
            .await
            .unwrap()
            .into_inner()
            .sessions
            .remove(0)
    }

    /// Every enrolment of a session, as an admin sees them.
    pub async fn all_in(&self, session_id: &str) -> Vec<pb::Enrolment> {
        let mut all = Vec::new();
        let mut token = String::new();
        loop {
            let page = self
                .client()
                .list_enrolments(self.request(
                    ADMIN,
                    pb::ListEnrolmentsRequest {
                        page_size: 200,
                        page_token: token,
                        session_id: session_id.to_owned(),
                        ..Default::default()
                    },
                ))
                .await
                .unwrap()
                .into_inner();
            all.extend(page.enrolments);
            if page.next_page_token.is_empty() {
                return all;
            }
            token = page.next_page_token;
        }
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

pub fn timestamp(offset_hours: i64) -> prost_types::Timestamp {
    let instant = chrono::Utc::now() + chrono::Duration::hours(offset_hours);
    prost_types::Timestamp {
        seconds: instant.timestamp(),
        nanos: 0,
    }
}

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

/// Waits for `condition` to hold, polling, for at most `limit`.
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
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
