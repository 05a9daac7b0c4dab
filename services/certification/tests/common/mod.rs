//! The three services of one test, each with its own database, over real
//! sockets: courses, enrolments (whose outbox delivers to certification) and
//! certification, which a test may start late, stop, or restart with a new key.

#![allow(
    dead_code,
    unused_imports,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use hamafza_proto::certification as pb;
use hamafza_proto::certification::certification_service_client::CertificationServiceClient;
use hamafza_proto::common::{Actor, TimeRange};
use hamafza_proto::courses as cpb;
use hamafza_proto::enrolments as epb;
use hamafza_proto::enrolments::enrolment_service_client::EnrolmentServiceClient;
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
    pub courses: Channel,
    pub enrolments: Channel,
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
            courses: stack.channel(Svc::Courses),
            enrolments: stack.channel(Svc::Enrolments),
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

    pub fn token(&self, who: Who) -> String {
        self.stack.token(who)
    }

    pub fn request<T>(&self, who: Who, message: T) -> tonic::Request<T> {
        self.stack.request(who, message)
    }

    pub fn certificates(&self) -> CertificationServiceClient<Channel> {
        CertificationServiceClient::new(self.certification.clone())
    }

    pub fn enrolment_client(&self) -> EnrolmentServiceClient<Channel> {
        EnrolmentServiceClient::new(self.enrolments.clone())
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
