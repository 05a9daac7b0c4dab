//! The whole stack of one test, in process over real sockets: courses (with
//! the demo data), enrolments, certification and the gateway, each with its
//! own database; and a browser-like HTTP client with a cookie jar.

// Each test binary uses part of its harness.
#![allow(dead_code, unused_imports)]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

use hamafza_kit::config::Config;
pub use hamafza_testkit::fixtures;
pub use hamafza_testkit::people::ADMIN;
pub use hamafza_testkit::{Svc, TestStack, eventually, temp_dir};

/// The whole stack of one test, courses with the demo catalog.
pub struct Stack {
    pub stack: TestStack,
    pub base: String,
}

impl Stack {
    pub async fn start() -> Self {
        Self::start_with(|_| {}).await
    }

    /// A stack whose configuration `configure` changes first.
    pub async fn start_with(configure: impl FnOnce(&mut Config) + Send + 'static) -> Self {
        Self::start_from(TestStack::builder().configure(configure)).await
    }

    /// The whole stack with the demo catalog, from `builder`'s settings.
    pub async fn start_from(builder: hamafza_testkit::Builder) -> Self {
        let stack = builder.all().demo_catalog().start().await;
        let stack = Stack {
            base: stack.url(Svc::Gateway),
            stack,
        };
        // Ready when the gateway says the services answer.
        let client = reqwest::Client::new();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        loop {
            if let Ok(response) = client.get(format!("{}/readyz", stack.base)).send().await
                && response.status().is_success()
            {
                break;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "the stack did not become ready"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        stack
    }

    /// A browser: a cookie jar and no automatic redirects.
    pub fn browser(&self) -> Browser {
        Browser {
            client: reqwest::Client::builder()
                .cookie_store(true)
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            base: self.base.clone(),
        }
    }
}

impl std::ops::Deref for Stack {
    type Target = TestStack;

    fn deref(&self) -> &TestStack {
        &self.stack
    }
}

pub struct Browser {
    pub client: reqwest::Client,
    pub base: String,
}

impl Browser {
    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(format!("{}{path}", self.base))
            .header("accept", "text/html")
            .send()
            .await
            .unwrap()
    }

    pub async fn text(&self, path: &str) -> (reqwest::StatusCode, String) {
        let response = self.get(path).await;
        (response.status(), response.text().await.unwrap())
    }

    pub async fn post(&self, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
        self.client
            .post(format!("{}{path}", self.base))
            .form(form)
            .send()
            .await
            .unwrap()
    }

    /// Signs in as a demo person through the development sign-in page.
    pub async fn sign_in(&self, subject: &str) {
        let (_, page) = self.text("/signin").await;
        let csrf = hidden(&page, "csrf");
        let response = self
            .post("/signin/dev", &[("csrf", &csrf), ("subject", subject)])
            .await;
        assert_eq!(
            response.status(),
            reqwest::StatusCode::SEE_OTHER,
            "{}",
            response.text().await.unwrap()
        );
    }
}

/// The value of the first hidden input named `name` in `page`.
pub fn hidden(page: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let missing = format!("no hidden {name} in the page");
    quoted(page, &marker, marker.len(), &missing)
}

/// The first link in `page` whose href starts with `prefix`.
pub fn link(page: &str, prefix: &str) -> String {
    let missing = format!("no link to {prefix}");
    quoted(page, &format!("href=\"{prefix}"), "href=\"".len(), &missing)
}

/// The first form action in `page` that starts with `prefix`.
pub fn action(page: &str, prefix: &str) -> String {
    let missing = format!("no form posting to {prefix}");
    quoted(
        page,
        &format!("action=\"{prefix}"),
        "action=\"".len(),
        &missing,
    )
}

/// The quoted text that starts `skip` bytes into the first `marker` in
/// `page`, up to the closing quote; fails the test with `missing` if there
/// is no `marker`.
fn quoted(page: &str, marker: &str, skip: usize, missing: &str) -> String {
    let start = page.find(marker).unwrap_or_else(|| panic!("{missing}")) + skip;
    page[start..].split('"').next().unwrap().to_owned()
}

/// The demo instructor.
pub const RAHIMI: hamafza_testkit::Who = (
    "instructor-rahimi",
    "imidro",
    &[hamafza_kit::auth::Role::Instructor],
);

use hamafza_proto::courses as cpb;
use hamafza_testkit::Who;

/// The demo's open PR-101 session taught by instructor-rahimi, days away:
/// two meetings, no prerequisites, no manager's approval.
pub async fn rahimi_demo_session(stack: &Stack) -> cpb::Session {
    fixtures::session_service(stack)
        .list_sessions(stack.request(
            RAHIMI,
            cpb::ListSessionsRequest {
                instructor_subject: RAHIMI.0.to_owned(),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .sessions
        .into_iter()
        .find(|s| {
            s.status() == cpb::SessionStatus::Open
                && s.details.as_ref().is_some_and(|d| d.meetings.len() == 2)
        })
        .expect("the demo instructor teaches PR-101")
}

/// A session under way (its meetings have begun, so attendance and scores
/// can be recorded) like the demo's PR-101 taught by instructor-rahimi.
pub async fn rahimi_session_under_way(stack: &Stack) -> cpb::Session {
    let demo = rahimi_demo_session(stack).await;
    let mut details = demo.details.clone().unwrap();
    fixtures::under_way(&mut details);
    let planned = fixtures::create_session(stack, ADMIN, &demo.course_id, details)
        .await
        .unwrap();
    fixtures::open_planned_session(stack, ADMIN, &planned.id)
        .await
        .unwrap()
}

/// `who` enrols and rahimi passes them; the enrolment id.
pub async fn passed_by_rahimi(
    stack: &Stack,
    session: &cpb::Session,
    who: Who,
    tag: &str,
) -> String {
    let enrolment = fixtures::enrolled(stack, who, &session.id, tag).await;
    fixtures::attend_and_complete(stack, RAHIMI, session, &enrolment.id, Some(90), tag).await;
    enrolment.id
}

/// `who` rates the course of their enrolment over gRPC: 4 for every
/// question but `overall`, and a comment naming the overall score.
pub async fn rate_over_grpc(stack: &Stack, who: Who, enrolment_id: &str, overall: u32) {
    hamafza_proto::enrolments::evaluation_service_client::EvaluationServiceClient::new(
        stack.channel(Svc::Enrolments),
    )
    .submit_evaluation(stack.request(
        who,
        hamafza_proto::enrolments::SubmitEvaluationRequest {
            enrolment_id: enrolment_id.to_owned(),
            scores: Some(hamafza_proto::enrolments::EvaluationScores {
                content: 4,
                instructor: 4,
                relevance: 4,
                organization: 4,
                overall,
            }),
            comment: format!("comment of {overall}"),
        },
    ))
    .await
    .unwrap();
}
