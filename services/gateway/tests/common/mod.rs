//! The whole stack of one test, in process over real sockets: courses (with
//! the demo data), enrolments, certification and the gateway, each with its
//! own database; and a browser-like HTTP client with a cookie jar.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;
use std::time::Duration;

use hamafza_kit::auth::ServiceToken;
use hamafza_kit::config::Config;
use hamafza_kit::shutdown::{Shutdown, ShutdownTrigger};
use hamafza_kit::testing::{TestDatabase, TestIssuer, temp_dir};
use tokio::net::TcpListener;

pub struct Stack {
    pub issuer: TestIssuer,
    pub base: String,
    pub courses_url: String,
    pub enrolments_url: String,
    triggers: Vec<ShutdownTrigger>,
    _dbs: Vec<TestDatabase>,
}

impl Drop for Stack {
    fn drop(&mut self) {
        for trigger in &self.triggers {
            trigger.fire();
        }
    }
}

async fn listener() -> (TcpListener, String) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    (listener, url)
}

impl Stack {
    pub async fn start() -> Self {
        Self::start_with(|_| None).await
    }

    /// A stack whose gateway signs people in through `oidc(base_url)`.
    pub async fn start_with(
        oidc: impl FnOnce(&str) -> Option<hamafza_gateway::oidc::OidcSettings>,
    ) -> Self {
        let issuer = TestIssuer::new();
        let mut config = Config::default();
        config.grpc.shutdown_grace_seconds = 1;
        config.grpc.request_timeout_seconds = 300;
        config.workers.outbox_poll_millis = 50;
        config.workers.outbox_max_backoff_seconds = 1;
        let mut triggers = Vec::new();
        let mut shutdown = || {
            let (trigger, shutdown) = Shutdown::new();
            triggers.push(trigger);
            shutdown
        };
        let (courses_listener, courses_url) = listener().await;
        let (enrolments_listener, enrolments_url) = listener().await;
        let (certification_listener, certification_url) = listener().await;
        let (gateway_listener, base) = listener().await;
        config.courses.url = Some(courses_url.clone());
        config.enrolments.url = Some(enrolments_url.clone());
        config.certification.url = Some(certification_url);
        config.credentials.public_base_url = base.clone();

        let courses_db = TestDatabase::create().await;
        let connection =
            hamafza_kit::db::connect_and_migrate::<hamafza_courses::Migrator>(&courses_db.url)
                .await
                .unwrap();
        hamafza_courses::demo::seed(
            &hamafza_courses::Store::new(connection.clone()),
            2,
            hamafza_kit::time::now(),
        )
        .await
        .unwrap();
        let (c, v, s) = (config.clone(), issuer.verifier(), shutdown());
        tokio::spawn(async move {
            hamafza_courses::serve(&c, connection, v, courses_listener, s).await
        });

        let enrolments_db = TestDatabase::create().await;
        let connection = hamafza_kit::db::connect_and_migrate::<hamafza_enrolments::Migrator>(
            &enrolments_db.url,
        )
        .await
        .unwrap();
        let identity = Arc::new(ServiceToken::minted(issuer.issuer().clone(), "enrolments"));
        let peers = hamafza_enrolments::Peers::from_config(&config, identity).unwrap();
        let (c, v, s) = (config.clone(), issuer.verifier(), shutdown());
        tokio::spawn(async move {
            hamafza_enrolments::serve(&c, connection, v, peers, enrolments_listener, s).await
        });

        let certification_db = TestDatabase::create().await;
        let connection = hamafza_kit::db::connect_and_migrate::<hamafza_certification::Migrator>(
            &certification_db.url,
        )
        .await
        .unwrap();
        let keys = Arc::new(
            hamafza_certification::IssuerKeys::load_or_create(&temp_dir("keys").join("k.pem"))
                .unwrap(),
        );
        let courses = hamafza_certification::courses_channel(&config).unwrap();
        let identity = Arc::new(ServiceToken::minted(
            issuer.issuer().clone(),
            "certification",
        ));
        let (c, v, s) = (config.clone(), issuer.verifier(), shutdown());
        tokio::spawn(async move {
            hamafza_certification::serve(
                &c,
                connection,
                v,
                keys,
                courses,
                identity,
                certification_listener,
                s,
            )
            .await
        });

        let identity = Arc::new(ServiceToken::minted(issuer.issuer().clone(), "gateway"));
        let backends = hamafza_gateway::Backends::from_config(&config, identity).unwrap();
        let settings = hamafza_gateway::Settings {
            dev_issuer: Some(issuer.issuer().clone()),
            public_base_url: base.clone(),
            oidc: oidc(&base),
        };
        let (v, s) = (issuer.verifier(), shutdown());
        tokio::spawn(async move {
            hamafza_gateway::serve(settings, backends, v, gateway_listener, s).await
        });

        let stack = Stack {
            issuer,
            base,
            courses_url: config.courses.url.clone().unwrap_or_default(),
            enrolments_url: config.enrolments.url.clone().unwrap_or_default(),
            triggers,
            _dbs: vec![courses_db, enrolments_db, certification_db],
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
