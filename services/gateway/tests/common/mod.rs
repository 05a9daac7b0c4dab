//! The whole stack of one test, in process over real sockets: courses (with
//! the demo data), enrolments, certification and the gateway, each with its
//! own database; and a browser-like HTTP client with a cookie jar.

#![allow(
    dead_code,
    unused_imports,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use std::time::Duration;

use hamafza_kit::config::Config;
pub use hamafza_testkit::{Svc, TestStack, temp_dir};

/// The whole stack of one test, courses with the demo catalog.
pub struct Stack {
    pub stack: TestStack,
    pub base: String,
    pub courses_url: String,
    pub enrolments_url: String,
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

    /// A stack whose configuration `configure` changes first.
    pub async fn start_with(configure: impl FnOnce(&mut Config) + Send + 'static) -> Self {
        Self::start_from(TestStack::builder().configure(configure)).await
    }

    /// The whole stack with the demo catalog, from `builder`'s settings.
    pub async fn start_from(builder: hamafza_testkit::Builder) -> Self {
        let stack = builder.all().demo_catalog().start().await;
        let stack = Stack {
            base: stack.url(Svc::Gateway),
            courses_url: stack.url(Svc::Courses),
            enrolments_url: stack.url(Svc::Enrolments),
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
    let start = page
        .find(&marker)
        .unwrap_or_else(|| panic!("no hidden {name} in the page"))
        + marker.len();
    page[start..].split('"').next().unwrap().to_owned()
}

/// The first link in `page` whose href starts with `prefix`.
pub fn link(page: &str, prefix: &str) -> String {
    let marker = format!("href=\"{prefix}");
    let start = page
        .find(&marker)
        .unwrap_or_else(|| panic!("no link to {prefix}"))
        + "href=\"".len();
    page[start..].split('"').next().unwrap().to_owned()
}

/// The first form action in `page` that starts with `prefix`.
pub fn action(page: &str, prefix: &str) -> String {
    let marker = format!("action=\"{prefix}");
    let start = page
        .find(&marker)
        .unwrap_or_else(|| panic!("no form posting to {prefix}"))
        + "action=\"".len();
    page[start..].split('"').next().unwrap().to_owned()
}
