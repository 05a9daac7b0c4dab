//! A real courses server for each test: its own database (SQLite, or
//! PostgreSQL when `HAMAFZA_TEST_DATABASE_URL` is set), a real listener on
//! `127.0.0.1:0`, real gRPC clients, and tokens from a test issuer.

#![allow(
    dead_code,
    unused_imports,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use hamafza_kit::auth::Role;
use hamafza_kit::config::Config;
use hamafza_proto::common::{Actor, TimeRange};
use hamafza_proto::courses as pb;
use hamafza_proto::courses::course_service_client::CourseServiceClient;
use hamafza_proto::courses::event_service_client::EventServiceClient;
use hamafza_proto::courses::organization_service_client::OrganizationServiceClient;
use hamafza_proto::courses::session_service_client::SessionServiceClient;
pub use hamafza_testkit::people::{ADMIN, COUNCIL_A, COUNCIL_B, INSTRUCTOR, MANAGER_KSC};
pub use hamafza_testkit::{
    Svc, TestIssuer, TestStack, text, timestamp, violated_fields, with_token,
};
use tonic::transport::Channel;

/// The courses service of one test, with the holding and three member
/// companies registered.
pub struct TestServer {
    pub stack: TestStack,
    pub channel: Channel,
}

pub const TRAINEE: (&str, &str, &[Role]) = ("trainee-1", "msc", &[Role::Trainee]);

impl TestServer {
    /// A server with the holding and three member companies registered.
    pub async fn start() -> Self {
        Self::start_with(|_| {}).await
    }

    pub async fn start_with(configure: impl FnOnce(&mut Config) + Send + 'static) -> Self {
        let stack = TestStack::builder()
            .with(Svc::Courses)
            .configure(|config| config.grpc.shutdown_grace_seconds = 2)
            .configure(configure)
            .start()
            .await;
        let channel = stack.channel(Svc::Courses);
        Self { stack, channel }
    }

    pub fn issuer(&self) -> &TestIssuer {
        &self.stack.issuer
    }

    pub fn token(&self, who: (&str, &str, &[Role])) -> String {
        self.stack.issuer.token(who.0, who.1, who.2)
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

    /// Asks the server to stop, without waiting.
    pub fn shutdown(&self) {
        self.stack.signal_stop(Svc::Courses);
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
