//! A real courses server for each test: its own database (SQLite, or
//! PostgreSQL when `HAMAFZA_TEST_DATABASE_URL` is set), a real listener on
//! `127.0.0.1:0`, real gRPC clients, and tokens from a test issuer.

// Each test binary uses part of its harness.
#![allow(dead_code, unused_imports)]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use hamafza_kit::auth::Role;
use hamafza_kit::config::Config;
use hamafza_proto::courses as pb;
use hamafza_proto::courses::course_service_client::CourseServiceClient;
use hamafza_proto::courses::event_service_client::EventServiceClient;
use hamafza_proto::courses::organization_service_client::OrganizationServiceClient;
use hamafza_proto::courses::session_service_client::SessionServiceClient;
pub use hamafza_testkit::fixtures::{
    self, Answer, cancel_session, course_details, create_course, create_organization,
    create_session, get_course, get_session, open_planned_session, publish_course, review_course,
    submit_course, update_course,
};
pub use hamafza_testkit::people::{ADMIN, COUNCIL_A, COUNCIL_B, INSTRUCTOR, MANAGER_KSC};
pub use hamafza_testkit::{
    Svc, TestIssuer, TestStack, Who, text, timestamp, violated_fields, with_token,
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

    pub fn courses(&self) -> CourseServiceClient<Channel> {
        fixtures::course_service(self)
    }

    pub fn sessions(&self) -> SessionServiceClient<Channel> {
        fixtures::session_service(self)
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

    /// A draft course of [`course_details`], created by the admin.
    pub async fn create_course(&self, code: &str) -> pb::Course {
        fixtures::draft_course(self, code).await
    }

    /// A course of [`course_details`] taken through the council to PUBLISHED.
    pub async fn published_course(&self, code: &str) -> pb::Course {
        fixtures::published_course(self, code, |_| {}).await
    }

    /// `who` lists courses: one page.
    pub async fn list_courses(
        &self,
        who: Who,
        request: pb::ListCoursesRequest,
    ) -> Answer<pb::ListCoursesResponse> {
        let reply = self
            .courses()
            .list_courses(self.request(who, request))
            .await;
        reply.map(tonic::Response::into_inner)
    }
}

impl std::ops::Deref for TestServer {
    type Target = TestStack;

    fn deref(&self) -> &TestStack {
        &self.stack
    }
}

/// The session plan of these tests: [`fixtures::session_details`] with
/// `capacity` seats, msc holding at most two.
pub fn session_details(capacity: u32) -> pb::SessionDetails {
    fixtures::session_details(capacity, &[("msc", 2)])
}
