//! The three services of one test, each with its own database, over real
//! sockets: courses, enrolments (whose outbox delivers to certification) and
//! certification, which a test may start late, stop, or restart with a new key.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use hamafza_kit::auth::{Role, ServiceToken};
use hamafza_kit::config::Config;
use hamafza_kit::shutdown::{Shutdown, ShutdownTrigger};
use hamafza_kit::testing::{TestDatabase, TestIssuer, temp_dir};
use hamafza_proto::certification as pb;
use hamafza_proto::certification::certification_service_client::CertificationServiceClient;
use hamafza_proto::common::{Actor, LocalizedText, TimeRange};
use hamafza_proto::courses as cpb;
use hamafza_proto::enrolments as epb;
use hamafza_proto::enrolments::enrolment_service_client::EnrolmentServiceClient;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tonic::transport::{Channel, Endpoint};

pub type Who = (&'static str, &'static str, &'static [Role]);
pub const ADMIN: Who = ("admin-1", "imidro", &[Role::PlatformAdmin]);
pub const COUNCIL: Who = ("council-a", "msc", &[Role::Council, Role::OrgManager]);
pub const COUNCIL_B: Who = ("council-b", "gegh", &[Role::Council]);
pub const MANAGER_KSC: Who = ("manager-ksc", "ksc", &[Role::OrgManager]);
pub const INSTRUCTOR: Who = ("instructor-1", "imidro", &[Role::Instructor]);
pub const TRAINEE_MSC: Who = ("trainee-msc", "msc", &[Role::Trainee]);
pub const TRAINEE_KSC: Who = ("trainee-ksc", "ksc", &[Role::Trainee]);
pub const SERVICE: Who = ("enrolments", "platform", &[Role::Service]);

pub struct Stack {
    pub issuer: TestIssuer,
    pub config: Config,
    pub courses: Channel,
    pub enrolments: Channel,
    pub certification: Channel,
    pub certification_addr: SocketAddr,
    pub certification_db: TestDatabase,
    certification_task: Option<(ShutdownTrigger, JoinHandle<()>)>,
    triggers: Vec<ShutdownTrigger>,
    _dbs: Vec<TestDatabase>,
    pub key_dir: std::path::PathBuf,
}

impl Drop for Stack {
    fn drop(&mut self) {
        for trigger in &self.triggers {
            trigger.fire();
        }
        if let Some((trigger, _)) = &self.certification_task {
            trigger.fire();
        }
    }
}

async fn connect(url: &str) -> Channel {
    Endpoint::from_shared(url.to_owned())
        .unwrap()
        .connect_timeout(Duration::from_secs(5))
        .connect()
        .await
        .unwrap()
}

/// A free loopback address (bound, read, released).
async fn free_addr() -> SocketAddr {
    TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap()
        .local_addr()
        .unwrap()
}

impl Stack {
    /// The three services; certification runs unless `with_certification` is false.
    pub async fn start(with_certification: bool) -> Self {
        let issuer = TestIssuer::new();
        let mut config = Config::default();
        config.grpc.shutdown_grace_seconds = 1;
        // Bursts of hundreds of callers on a busy 2-core CI machine: correctness
        // is what these tests check; speed is for the benchmarks.
        config.grpc.request_timeout_seconds = 300;
        config.workers.outbox_poll_millis = 50;
        config.workers.outbox_max_backoff_seconds = 1;
        config.credentials.public_base_url = "https://training.example".to_owned();
        let certification_addr = free_addr().await;
        config.certification.url = Some(format!("http://{certification_addr}"));
        let mut triggers = Vec::new();

        let courses_db = TestDatabase::create().await;
        let connection =
            hamafza_kit::db::connect_and_migrate::<hamafza_courses::Migrator>(&courses_db.url)
                .await
                .unwrap();
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let courses_url = format!("http://{}", listener.local_addr().unwrap());
        let (trigger, shutdown) = Shutdown::new();
        triggers.push(trigger);
        let (c, v) = (config.clone(), issuer.verifier());
        tokio::spawn(
            async move { hamafza_courses::serve(&c, connection, v, listener, shutdown).await },
        );
        config.courses.url = Some(courses_url.clone());

        let enrolments_db = TestDatabase::create().await;
        let connection = hamafza_kit::db::connect_and_migrate::<hamafza_enrolments::Migrator>(
            &enrolments_db.url,
        )
        .await
        .unwrap();
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let enrolments_url = format!("http://{}", listener.local_addr().unwrap());
        let (trigger, shutdown) = Shutdown::new();
        triggers.push(trigger);
        let identity = Arc::new(ServiceToken::minted(issuer.issuer().clone(), "enrolments"));
        let peers = hamafza_enrolments::Peers::from_config(&config, identity).unwrap();
        let (c, v) = (config.clone(), issuer.verifier());
        tokio::spawn(async move {
            hamafza_enrolments::serve(&c, connection, v, peers, listener, shutdown).await
        });

        let certification_db = TestDatabase::create().await;
        hamafza_kit::db::connect_and_migrate::<hamafza_certification::Migrator>(
            &certification_db.url,
        )
        .await
        .unwrap();
        let mut stack = Stack {
            courses: connect(&courses_url).await,
            enrolments: connect(&enrolments_url).await,
            certification: Endpoint::from_shared(format!("http://{certification_addr}"))
                .unwrap()
                .connect_lazy(),
            certification_addr,
            certification_db,
            certification_task: None,
            triggers,
            _dbs: vec![courses_db, enrolments_db],
            key_dir: temp_dir("keys"),
            issuer,
            config,
        };
        stack.seed_organizations().await;
        if with_certification {
            stack.start_certification("key-1.pem").await;
        }
        stack
    }

    /// Starts certification on its address, signing with the key file `key`
    /// (created if new) in this stack's key directory.
    pub async fn start_certification(&mut self, key: &str) {
        let connection = hamafza_kit::db::connect(&self.certification_db.url)
            .await
            .unwrap();
        let listener = TcpListener::bind(self.certification_addr).await.unwrap();
        let keys = Arc::new(
            hamafza_certification::IssuerKeys::load_or_create(&self.key_dir.join(key)).unwrap(),
        );
        let (trigger, shutdown) = Shutdown::new();
        let (config, verifier) = (self.config.clone(), self.issuer.verifier());
        let courses = hamafza_certification::courses_channel(&config).unwrap();
        let identity = Arc::new(ServiceToken::minted(
            self.issuer.issuer().clone(),
            "certification",
        ));
        let task = tokio::spawn(async move {
            hamafza_certification::serve(
                &config, connection, verifier, keys, courses, identity, listener, shutdown,
            )
            .await
            .unwrap();
        });
        self.certification_task = Some((trigger, task));
        self.certification = connect(&format!("http://{}", self.certification_addr)).await;
    }

    /// Stops certification and waits until it is down.
    pub async fn stop_certification(&mut self) {
        if let Some((trigger, task)) = self.certification_task.take() {
            trigger.fire();
            tokio::time::timeout(Duration::from_secs(10), task)
                .await
                .unwrap()
                .unwrap();
        }
    }

    pub fn token(&self, who: Who) -> String {
        self.issuer.token(who.0, who.1, who.2)
    }

    pub fn request<T>(&self, who: Who, message: T) -> tonic::Request<T> {
        let mut request = tonic::Request::new(message);
        request.metadata_mut().insert(
            "authorization",
            format!("Bearer {}", self.token(who)).parse().unwrap(),
        );
        request
    }

    pub fn certificates(&self) -> CertificationServiceClient<Channel> {
        CertificationServiceClient::new(self.certification.clone())
    }

    pub fn enrolment_client(&self) -> EnrolmentServiceClient<Channel> {
        EnrolmentServiceClient::new(self.enrolments.clone())
    }

    async fn seed_organizations(&self) {
        let mut organizations =
            hamafza_proto::courses::organization_service_client::OrganizationServiceClient::new(
                self.courses.clone(),
            );
        for (id, fa, en, kind, parent) in [
            (
                "imidro",
                "ایمیدرو",
                "IMIDRO",
                cpb::OrganizationKind::Holding,
                "",
            ),
            (
                "msc",
                "فولاد مبارکه",
                "Mobarakeh Steel",
                cpb::OrganizationKind::Steel,
                "imidro",
            ),
            (
                "ksc",
                "فولاد خوزستان",
                "Khuzestan Steel",
                cpb::OrganizationKind::Steel,
                "imidro",
            ),
            (
                "gegh",
                "گل گهر",
                "Gol-E-Gohar",
                cpb::OrganizationKind::Mining,
                "imidro",
            ),
        ] {
            organizations
                .create_organization(self.request(
                    ADMIN,
                    cpb::CreateOrganizationRequest {
                        organization_id: id.to_owned(),
                        name: Some(text(fa, en)),
                        kind: kind.into(),
                        parent_organization_id: parent.to_owned(),
                    },
                ))
                .await
                .unwrap();
        }
    }

    /// A published course.
    pub async fn course(&self, code: &str, validity_months: Option<u32>) -> cpb::Course {
        let mut courses = hamafza_proto::courses::course_service_client::CourseServiceClient::new(
            self.courses.clone(),
        );
        let details = cpb::CourseDetails {
            code: code.to_owned(),
            title: Some(text("ارتباطات بحران", "Crisis Communication")),
            description: None,
            category: "crisis-communication".to_owned(),
            hours: 16,
            delivery_mode: cpb::DeliveryMode::InPerson.into(),
            passing_score: 70,
            min_attendance_percent: 50,
            certificate_validity_months: validity_months,
            prerequisite_course_ids: vec![],
            requires_manager_approval: false,
        };
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

    /// A published program of the given courses (all required).
    pub async fn program(&self, code: &str, courses: &[&cpb::Course]) -> cpb::Program {
        let mut client = hamafza_proto::courses::course_service_client::CourseServiceClient::new(
            self.courses.clone(),
        );
        let details = cpb::ProgramDetails {
            code: code.to_owned(),
            title: Some(text("برنامه جامع", "Integrated program")),
            description: None,
            courses: courses
                .iter()
                .map(|c| cpb::ProgramCourse {
                    course_id: c.id.clone(),
                    required: true,
                })
                .collect(),
        };
        let program = client
            .create_program(self.request(
                ADMIN,
                cpb::CreateProgramRequest {
                    details: Some(details),
                },
            ))
            .await
            .unwrap()
            .into_inner()
            .program
            .unwrap();
        client
            .submit_program(self.request(
                ADMIN,
                cpb::SubmitProgramRequest {
                    program_id: program.id.clone(),
                },
            ))
            .await
            .unwrap();
        for member in [COUNCIL, COUNCIL_B] {
            client
                .review_program(self.request(
                    member,
                    cpb::ReviewProgramRequest {
                        program_id: program.id.clone(),
                        decision: cpb::VoteDecision::Approve.into(),
                        comment: String::new(),
                    },
                ))
                .await
                .unwrap();
        }
        client
            .publish_program(self.request(
                ADMIN,
                cpb::PublishProgramRequest {
                    program_id: program.id.clone(),
                },
            ))
            .await
            .unwrap()
            .into_inner()
            .program
            .unwrap()
    }

    /// An open session of `course`.
    pub async fn session(&self, course: &cpb::Course) -> cpb::Session {
        let mut sessions =
            hamafza_proto::courses::session_service_client::SessionServiceClient::new(
                self.courses.clone(),
            );
        let details = cpb::SessionDetails {
            meetings: vec![cpb::Meeting {
                start_time: Some(timestamp(48)),
                end_time: Some(timestamp(50)),
                topic: None,
            }],
            venue: Some(text("تهران", "Tehran")),
            online_url: String::new(),
            instructor: Some(Actor {
                subject: INSTRUCTOR.0.to_owned(),
                name: "مدرس".to_owned(),
                organization_id: INSTRUCTOR.1.to_owned(),
            }),
            capacity: 50,
            quotas: vec![],
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

    /// `who` enrols, attends the one meeting and passes; returns the enrolment id.
    pub async fn pass(&self, who: Who, session: &cpb::Session, tag: &str) -> String {
        let mut client = self.enrolment_client();
        let enrolment = client
            .enrol(self.request(
                who,
                epb::EnrolRequest {
                    request_id: format!("{tag}-enrol"),
                    session_id: session.id.clone(),
                    trainee: None,
                    waive_prerequisites: false,
                },
            ))
            .await
            .unwrap()
            .into_inner()
            .enrolment
            .unwrap();
        client
            .record_attendance(self.request(
                INSTRUCTOR,
                epb::RecordAttendanceRequest {
                    request_id: format!("{tag}-attend"),
                    session_id: session.id.clone(),
                    meeting_index: 0,
                    marks: vec![epb::AttendanceMark {
                        enrolment_id: enrolment.id.clone(),
                        status: epb::AttendanceStatus::Present.into(),
                    }],
                },
            ))
            .await
            .unwrap();
        let done = client
            .complete_enrolment(self.request(
                INSTRUCTOR,
                epb::CompleteEnrolmentRequest {
                    request_id: format!("{tag}-complete"),
                    enrolment_id: enrolment.id.clone(),
                    score: Some(88),
                    no_show: false,
                },
            ))
            .await
            .unwrap()
            .into_inner()
            .enrolment
            .unwrap();
        assert_eq!(done.status(), epb::EnrolmentStatus::Completed);
        enrolment.id
    }

    /// The certificates of a completion, as an admin sees them.
    pub async fn certificates_of(&self, completion_id: &str) -> Vec<pb::Certificate> {
        self.certificates()
            .list_certificates(self.request(
                ADMIN,
                pb::ListCertificatesRequest {
                    completion_id: completion_id.to_owned(),
                    ..Default::default()
                },
            ))
            .await
            .map(|r| r.into_inner().certificates)
            .unwrap_or_default()
    }

    pub async fn pending_deliveries(&self) -> u64 {
        self.enrolment_client()
            .get_delivery_status(self.request(ADMIN, epb::GetDeliveryStatusRequest {}))
            .await
            .unwrap()
            .into_inner()
            .pending_count
    }
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

/// Waits for `condition`, polling, for at most `limit`.
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
