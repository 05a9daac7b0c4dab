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

    /// A program as the admin reads it.
    pub async fn admin_program(&self, program_id: &str) -> pb::Program {
        let request = pb::GetProgramRequest {
            program_id: program_id.to_owned(),
        };
        let mut client = self.courses();
        let reply = client.get_program(self.request(ADMIN, request)).await;
        reply.unwrap().into_inner().program.unwrap()
    }

    /// An event as the admin reads it.
    pub async fn admin_event(&self, event_id: &str) -> pb::Event {
        let request = pb::GetEventRequest {
            event_id: event_id.to_owned(),
        };
        let mut client = self.events();
        let reply = client.get_event(self.request(ADMIN, request)).await;
        reply.unwrap().into_inner().event.unwrap()
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

/// A store whose one organization, `old`, was written by the schema as it
/// stood after `migrations` (with no parent), before the store migrated to
/// the latest: a row a deployed database kept from before a change. The
/// database lives as long as the first half of the answer.
pub async fn store_with_old_organization(
    migrations: u32,
    (fa, en): (&str, &str),
    kind: &str,
) -> (hamafza_kit::testing::TestDatabase, hamafza_courses::Store) {
    use hamafza_courses::{Migrator, Store};
    use sea_orm::ConnectionTrait;
    use sea_orm::sea_query::Query;
    use sea_orm_migration::MigratorTrait;

    let database = hamafza_kit::testing::TestDatabase::create().await;
    let db = sea_orm::Database::connect(&database.url).await.unwrap();
    Migrator::up(&db, Some(migrations)).await.unwrap();
    let insert = Query::insert()
        .into_table("organizations")
        .columns([
            "id",
            "name_fa",
            "name_en",
            "kind",
            "parent_id",
            "created_at",
        ])
        .values_panic([
            "old".into(),
            fa.into(),
            en.into(),
            kind.into(),
            Option::<String>::None.into(),
            chrono::Utc::now().into(),
        ])
        .to_owned();
    db.execute(&insert).await.unwrap();
    Migrator::up(&db, None).await.unwrap();
    (database, Store::new(db))
}
