//! A real courses server and a real enrolments server for each test, each
//! with its own database (SQLite, or PostgreSQL when
//! `HAMAFZA_TEST_DATABASE_URL` is set), talking over real sockets.

#![allow(
    dead_code,
    unused_imports,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use std::time::Duration;

use hamafza_kit::auth::Role;
use hamafza_kit::config::Config;
use hamafza_proto::common::{Actor, TimeRange};
use hamafza_proto::courses as cpb;
use hamafza_proto::enrolments as pb;
use hamafza_proto::enrolments::enrolment_service_client::EnrolmentServiceClient;
use hamafza_proto::enrolments::report_service_client::ReportServiceClient;
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
    pub courses: Channel,
    pub enrolments: Channel,
    pub enrolments_addr: String,
}

impl std::ops::Deref for Stack {
    type Target = TestStack;

    fn deref(&self) -> &TestStack {
        &self.stack
    }
}

impl Stack {
    pub async fn start() -> Self {
        Self::start_with(|_| {}).await
    }

    pub async fn start_with(configure: impl FnOnce(&mut Config) + Send + 'static) -> Self {
        let stack = TestStack::builder()
            .with(Svc::Courses)
            .with(Svc::Enrolments)
            .configure(configure)
            .start()
            .await;
        Stack {
            courses: stack.channel(Svc::Courses),
            enrolments: stack.channel(Svc::Enrolments),
            enrolments_addr: stack.addr(Svc::Enrolments).to_string(),
            stack,
        }
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
