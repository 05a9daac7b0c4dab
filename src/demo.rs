//! The demo's first day of activity, so that each role has something to do
//! on first start: requests waiting for the msc and ksc managers, trainees
//! in the instructor's next session, a session that has begun with its
//! first meeting's attendance taken, a session held weeks ago with its
//! results and course evaluations, and certificates due for
//! recertification within the month.
//!
//! Made through the services' own gRPC contracts, as the demo people (tokens
//! of the development issuer), once, right after `hamafza up` seeded the
//! demo catalog: each service keeps its own data and rules.

mod evaluations;

use std::time::Duration;

use anyhow::Context;
use hamafza_kit::auth::{DevIssuer, Role, TokenRequest};
use hamafza_kit::config::Config;
use hamafza_kit::demo;
use hamafza_kit::grpc::PeerChannel;
use hamafza_kit::grpc::{Health, check_health};
use hamafza_kit::ids::Person;
use hamafza_kit::peers::PeerAuth;
use hamafza_proto::certification as certpb;
use hamafza_proto::certification::certification_service_client::CertificationServiceClient;
use hamafza_proto::common::Actor;
use hamafza_proto::courses as cpb;
use hamafza_proto::courses::course_service_client::CourseServiceClient;
use hamafza_proto::courses::session_service_client::SessionServiceClient;
use hamafza_proto::enrolments as epb;
use hamafza_proto::enrolments::enrolment_service_client::EnrolmentServiceClient;

/// Calls as demo people.
struct Demo {
    issuer: DevIssuer,
    courses: PeerChannel,
    enrolments: PeerChannel,
    certification: PeerChannel,
}

impl Demo {
    fn auth(&self, subject: &str) -> anyhow::Result<PeerAuth> {
        let person = demo::person(subject).context("a demo person")?;
        let token = self.issuer.mint(&TokenRequest {
            subject: person.subject.to_owned(),
            organization_id: person.organization_id.to_owned(),
            roles: person.roles.to_vec(),
            name: person.name_fa.to_owned(),
            ttl: Duration::from_secs(600),
        })?;
        Ok(PeerAuth::bearer(&token))
    }

    fn enrolments(
        &self,
        subject: &str,
    ) -> anyhow::Result<
        EnrolmentServiceClient<
            tonic::service::interceptor::InterceptedService<PeerChannel, PeerAuth>,
        >,
    > {
        Ok(EnrolmentServiceClient::with_interceptor(
            self.enrolments.clone(),
            self.auth(subject)?,
        ))
    }

    /// The id of the course `code`, if the demo has it.
    async fn course_id(&self, code: &str) -> anyhow::Result<Option<String>> {
        Ok(
            CourseServiceClient::with_interceptor(self.courses.clone(), self.auth("admin")?)
                .list_courses(cpb::ListCoursesRequest {
                    page_size: 200,
                    text: code.to_owned(),
                    ..Default::default()
                })
                .await?
                .into_inner()
                .courses
                .into_iter()
                .find(|c| c.details.as_ref().is_some_and(|d| d.code == code))
                .map(|c| c.id),
        )
    }

    /// The open session of the course `code`, if the demo has one.
    async fn session_of(&self, code: &str) -> anyhow::Result<Option<cpb::Session>> {
        let Some(course_id) = self.course_id(code).await? else {
            return Ok(None);
        };
        let auth = self.auth("admin")?;
        Ok(
            SessionServiceClient::with_interceptor(self.courses.clone(), auth)
                .list_sessions(cpb::ListSessionsRequest {
                    page_size: 10,
                    course_id,
                    statuses: vec![cpb::SessionStatus::Open.into()],
                    ..Default::default()
                })
                .await?
                .into_inner()
                .sessions
                .into_iter()
                .next(),
        )
    }
}

/// What the enrolments service lends the demo to record a roster made in
/// the past: its store, and its client of courses.
pub type Begun = (hamafza_enrolments::Store, hamafza_enrolments::CoursesClient);

/// Waits for the services, then makes the demo's first day of activity.
pub async fn first_day(config: Config, begun: Option<Begun>) {
    if let Err(error) = run(&config, begun).await {
        tracing::warn!(error = %format!("{error:#}"), "the demo activity was not completed");
    } else {
        tracing::info!(
            "demo activity added: requests to approve, a roster, evaluations, certificates to renew"
        );
    }
}

async fn run(config: &Config, begun: Option<Begun>) -> anyhow::Result<()> {
    let urls = [
        config.courses.url(),
        config.enrolments.url(),
        config.certification.url(),
    ];
    for url in &urls {
        let mut ready = false;
        for _ in 0..100 {
            if matches!(
                check_health(url, "", Duration::from_secs(1)).await,
                Ok(Health::Serving)
            ) {
                ready = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        anyhow::ensure!(ready, "{url} did not start serving");
    }
    let channel = |name: &'static str, url: &str| {
        hamafza_kit::grpc::peer_channel(name, url, Duration::from_secs(3), Duration::from_secs(10))
    };
    let demo = Demo {
        issuer: DevIssuer::load_or_create(
            &config.data_dir,
            &config.auth.issuer,
            &config.auth.audience,
        )?,
        courses: channel("courses", &urls[0])?,
        enrolments: channel("enrolments", &urls[1])?,
        certification: channel("certification", &urls[2])?,
    };

    // Requests waiting for the msc and ksc managers: a course that needs
    // manager approval, trainees enrolling themselves.
    if let Some(session) = demo.session_of("PR-160").await? {
        for trainee in ["trainee-msc-1", "trainee-ksc-1"] {
            demo.enrolments(trainee)?
                .enrol(epb::EnrolRequest {
                    request_id: format!("demo-request-{trainee}"),
                    session_id: session.id.clone(),
                    trainee: None,
                    waive_prerequisites: false,
                })
                .await?;
        }
    }

    // The instructor's next session has people on its roster.
    if let Some(session) = demo.session_of("PR-140").await? {
        for (by, subject, name, organization) in [
            ("trainee-gegh-1", "trainee-gegh-1", "", ""),
            ("council-msc", "msc-pr-02", "رضا محمدی", "msc"),
            ("council-msc", "msc-pr-03", "فاطمه کریمی", "msc"),
            ("manager-ksc", "ksc-pr-02", "نازنین عباسی", "ksc"),
        ] {
            let trainee = (by != subject).then(|| Actor {
                subject: subject.to_owned(),
                name: name.to_owned(),
                organization_id: organization.to_owned(),
            });
            demo.enrolments(by)?
                .enrol(epb::EnrolRequest {
                    request_id: format!("demo-roster-{subject}"),
                    session_id: session.id.clone(),
                    trainee,
                    waive_prerequisites: false,
                })
                .await?;
        }
    }

    // The session that has begun (PR-150, first meeting yesterday): its
    // roster as enrolled while the window was open, and the first meeting's
    // attendance, one absent.
    if let (Some(session), Some((store, courses))) =
        (demo.session_of("PR-150").await?, begun.as_ref())
    {
        let session_id = uuid::Uuid::parse_str(&session.id)?;
        let facts = courses
            .session_facts(session_id)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        let first = session
            .start_time
            .as_ref()
            .and_then(hamafza_kit::time::from_timestamp)
            .context("the session's first meeting")?;
        let person = |subject: &str, name: &str, organization: &str| Person {
            subject: subject.to_owned(),
            name: name.to_owned(),
            organization_id: organization.to_owned(),
        };
        let admin = demo::person("admin").context("the demo admin")?;
        let ids = hamafza_enrolments::demo::seed_roster(
            store,
            &facts,
            &[
                person("trainee-msc-1", "سارا احمدی", "msc"),
                person("msc-pr-04", "امیر یوسفی", "msc"),
                person("ksc-pr-03", "محمد قاسمی", "ksc"),
                person("trainee-gegh-1", "زهرا حسینی", "gegh"),
            ],
            &person(admin.subject, admin.name_fa, admin.organization_id),
            first - chrono::Duration::days(5),
        )
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
        let instructor = demo::with_role(Role::Instructor)
            .next()
            .map_or("instructor-rahimi", |p| p.subject);
        let marks = ids
            .iter()
            .enumerate()
            .map(|(i, id)| epb::AttendanceMark {
                enrolment_id: id.to_string(),
                status: if i == 2 {
                    epb::AttendanceStatus::Absent
                } else {
                    epb::AttendanceStatus::Present
                }
                .into(),
            })
            .collect();
        demo.enrolments(instructor)?
            .record_attendance(epb::RecordAttendanceRequest {
                request_id: "demo-attendance-pr-150-0".to_owned(),
                session_id: session.id.clone(),
                meeting_index: 0,
                marks,
                // The first meeting was yesterday: no override needed.
                override_reason: String::new(),
            })
            .await?;
    }

    // A session held five weeks ago, its results and its evaluations.
    if let Some(begun) = &begun {
        evaluations::seed(&demo, begun).await?;
    }

    // Certificates due for recertification within the month: issued by hand
    // for training completed 24 months (the course's validity) ago, less
    // 12 and 25 days.
    if let Some(course_id) = demo.course_id("PR-130").await? {
        let mut certification = CertificationServiceClient::with_interceptor(
            demo.certification.clone(),
            demo.auth("admin")?,
        );
        for (subject, days_left) in [("trainee-msc-1", 12), ("trainee-ksc-1", 25)] {
            let person = demo::person(subject).context("a demo trainee")?;
            let completed = chrono::Utc::now()
                .checked_sub_months(chrono::Months::new(24))
                .context("a date two years ago")?
                + chrono::Duration::days(days_left);
            certification
                .issue_manual_certificate(certpb::IssueManualCertificateRequest {
                    request_id: format!("demo-certificate-{subject}"),
                    trainee: Some(Actor {
                        subject: person.subject.to_owned(),
                        name: person.name_fa.to_owned(),
                        organization_id: person.organization_id.to_owned(),
                    }),
                    kind: certpb::CertificateKind::Course.into(),
                    course_id: course_id.clone(),
                    completion_time: Some(hamafza_kit::time::to_timestamp(completed)),
                    validity_months: Some(24),
                    reason: "دورهٔ پیش از راه‌اندازی سامانه (داده‌های نمایشی)".to_owned(),
                    ..Default::default()
                })
                .await?;
        }
    }
    Ok(())
}
