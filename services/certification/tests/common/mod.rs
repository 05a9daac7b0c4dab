//! The three services of one test, each with its own database, over real
//! sockets: courses, enrolments (whose outbox delivers to certification) and
//! certification, which a test may start late, stop, or restart with a new key.

// Each test binary uses part of its harness.
#![allow(dead_code, unused_imports)]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use hamafza_proto::certification as pb;
use hamafza_proto::certification::certification_service_client::CertificationServiceClient;
use hamafza_proto::courses as cpb;
use hamafza_proto::enrolments as epb;
pub use hamafza_testkit::fixtures::{self, pass};
pub use hamafza_testkit::people::{
    ADMIN, COUNCIL_A as COUNCIL, COUNCIL_B, INSTRUCTOR, MANAGER_KSC, SERVICE, TRAINEE_KSC,
    TRAINEE_MSC,
};
pub use hamafza_testkit::{Svc, TestStack, Who, eventually, text, timestamp, with_token};
use tonic::transport::Channel;

/// The three services of one test: courses, enrolments (whose outbox
/// delivers to certification) and certification, which a test may start
/// late, stop, or restart with a new key.
pub struct Stack {
    pub stack: TestStack,
    pub certification: Channel,
    pub key_dir: std::path::PathBuf,
}

impl Stack {
    /// The three services; certification runs unless `with_certification` is false.
    pub async fn start(with_certification: bool) -> Self {
        let stack = TestStack::builder()
            .with(Svc::Courses)
            .with(Svc::Enrolments)
            .later(Svc::Certification)
            .configure(|config| {
                config.credentials.public_base_url = "https://training.example".to_owned();
            })
            .start()
            .await;
        let mut stack = Stack {
            certification: stack.channel(Svc::Certification),
            key_dir: hamafza_testkit::temp_dir("keys"),
            stack,
        };
        if with_certification {
            stack.start_certification("key-1.pem").await;
        }
        stack
    }

    /// Starts certification on its address, signing with the key file `key`
    /// (created if new) in this stack's key directory.
    pub async fn start_certification(&mut self, key: &str) {
        let path = self.key_dir.join(key);
        hamafza_certification::IssuerKeys::load_or_create(&path).unwrap();
        self.stack.config.credentials.signing_key_file = Some(path);
        self.stack.start(Svc::Certification).await;
    }

    /// Stops certification and waits until it is down.
    pub async fn stop_certification(&mut self) {
        self.stack.stop(Svc::Certification).await;
    }

    pub fn certificates(&self) -> CertificationServiceClient<Channel> {
        CertificationServiceClient::new(self.certification.clone())
    }

    /// A published course of 16 hours whose certificates are valid for
    /// `validity_months` (None: for good).
    pub async fn course(&self, code: &str, validity_months: Option<u32>) -> cpb::Course {
        fixtures::published_course(self, code, |details| {
            details.hours = 16;
            details.certificate_validity_months = validity_months;
        })
        .await
    }

    /// An open session of `course`: one meeting, 50 seats, no quotas.
    pub async fn session(&self, course: &cpb::Course) -> cpb::Session {
        fixtures::open_session(self, course, |details| {
            details.meetings.truncate(1);
            fixtures::under_way(details);
        })
        .await
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
        fixtures::enrolment_service(self)
            .get_delivery_status(self.request(ADMIN, epb::GetDeliveryStatusRequest {}))
            .await
            .unwrap()
            .into_inner()
            .pending_count
    }
}

impl std::ops::Deref for Stack {
    type Target = TestStack;

    fn deref(&self) -> &TestStack {
        &self.stack
    }
}
