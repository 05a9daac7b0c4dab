//! A real courses server and a real enrolments server for each test, each
//! with its own database (SQLite, or PostgreSQL when
//! `HAMAFZA_TEST_DATABASE_URL` is set), talking over real sockets.

// Each test binary uses part of its harness.
#![allow(dead_code, unused_imports)]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use hamafza_kit::config::Config;
use hamafza_proto::courses as cpb;
use hamafza_proto::enrolments::enrolment_service_client::EnrolmentServiceClient;
use hamafza_proto::enrolments::report_service_client::ReportServiceClient;
pub use hamafza_testkit::fixtures::{
    self, Answer, cancel_session, complete_enrolment, enrol, enrol_self, enrolled, enrolments_in,
    get_enrolment, published_course, record_attendance, seats,
};
pub use hamafza_testkit::people::{
    ADMIN, COUNCIL_A as COUNCIL, COUNCIL_B, INSTRUCTOR, MANAGER_KSC, MANAGER_MSC, TRAINEE_KSC,
    TRAINEE_MSC, TRAINEE_MSC_2,
};
pub use hamafza_testkit::{
    Svc, TestStack, Who, eventually, text, timestamp, violated_fields, with_token,
};
use tonic::transport::Channel;

/// The courses and enrolments services of one test (certification is not
/// running: deliveries wait).
pub struct Stack {
    pub stack: TestStack,
    pub enrolments: Channel,
    pub enrolments_addr: String,
}

impl Stack {
    pub async fn start() -> Self {
        let stack = TestStack::builder()
            .with(Svc::Courses)
            .with(Svc::Enrolments)
            .start()
            .await;
        Stack {
            enrolments: stack.channel(Svc::Enrolments),
            enrolments_addr: stack.addr(Svc::Enrolments).to_string(),
            stack,
        }
    }

    /// A stack with one published course `code` (of [`fixtures::course_details`])
    /// and an open session of it with `capacity` seats and `quotas`.
    pub async fn with_session(
        code: &str,
        capacity: u32,
        quotas: &[(&str, u32)],
    ) -> (Self, cpb::Session) {
        let stack = Self::start().await;
        let course = published_course(&stack, code, |_| {}).await;
        let session = stack.open_session(&course, capacity, quotas).await;
        (stack, session)
    }

    /// A stack as [`with_session`](Self::with_session) makes, the session
    /// under way (its meetings begun: attendance and results can be
    /// recorded, see [`fixtures::under_way`]).
    pub async fn with_session_under_way(code: &str, capacity: u32) -> (Self, cpb::Session) {
        let stack = Self::start().await;
        let course = published_course(&stack, code, |_| {}).await;
        let session = stack.open_session_under_way(&course, capacity).await;
        (stack, session)
    }

    /// An open session of `course` with `capacity` seats, under way.
    pub async fn open_session_under_way(
        &self,
        course: &cpb::Course,
        capacity: u32,
    ) -> cpb::Session {
        fixtures::open_session(self, course, |details| {
            details.capacity = capacity;
            fixtures::under_way(details);
        })
        .await
    }

    /// Starts another enrolments server on the same database; returns a channel to it.
    pub async fn start_enrolments_replica(&mut self) -> Channel {
        self.stack.replica(Svc::Enrolments).await
    }

    pub fn client(&self) -> EnrolmentServiceClient<Channel> {
        EnrolmentServiceClient::new(self.enrolments.clone())
    }

    pub fn reports(&self) -> ReportServiceClient<Channel> {
        ReportServiceClient::new(self.enrolments.clone())
    }

    /// An open session of `course` with `capacity` seats and `quotas`
    /// (organization, seats).
    pub async fn open_session(
        &self,
        course: &cpb::Course,
        capacity: u32,
        quotas: &[(&str, u32)],
    ) -> cpb::Session {
        fixtures::open_session(self, course, |details| {
            details.capacity = capacity;
            details.quotas = fixtures::quotas(quotas);
        })
        .await
    }
}

impl std::ops::Deref for Stack {
    type Target = TestStack;

    fn deref(&self) -> &TestStack {
        &self.stack
    }
}
