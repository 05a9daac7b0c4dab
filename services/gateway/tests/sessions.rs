//! Web sessions live in the gateway's database: they survive a restart, every
//! replica on the database knows them, and expired ones are refused and
//! purged.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::Duration;

use common::{Browser, Stack, Svc, eventually, hidden};
use hamafza_gateway::store::DbSessionStore;
use reqwest::StatusCode;

const TRAINEE: &str = "trainee-msc-1";

/// Whether `browser` is signed in (its learning page shows, not a redirect
/// to sign in).
async fn signed_in(browser: &Browser) -> bool {
    match browser.get("/me/learning").await.status() {
        StatusCode::OK => true,
        StatusCode::SEE_OTHER => false,
        other => panic!("unexpected answer {other} for /me/learning"),
    }
}

/// A browser signed in as the trainee, and its session cookie as a `Cookie`
/// header.
async fn session_cookie(stack: &Stack) -> (Browser, String) {
    let browser = stack.browser();
    let (_, page) = browser.text("/signin").await;
    let csrf = hidden(&page, "csrf");
    let response = browser
        .post("/signin/dev", &[("csrf", &csrf), ("subject", TRAINEE)])
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let cookie = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("hamafza_session="))
        .and_then(|v| v.split(';').next())
        .expect("the sign-in sets the session cookie")
        .to_owned();
    (browser, cookie)
}

async fn store(stack: &Stack) -> DbSessionStore {
    let db = hamafza_kit::db::connect(&stack.database(Svc::Gateway).url)
        .await
        .unwrap();
    DbSessionStore::new(db)
}

#[tokio::test]
async fn a_session_survives_a_gateway_restart() {
    let mut stack = Stack::start().await;
    let browser = stack.browser();
    browser.sign_in(TRAINEE).await;
    assert!(signed_in(&browser).await);

    stack.stack.stop(Svc::Gateway).await;
    stack.stack.start(Svc::Gateway).await;
    eventually(Duration::from_secs(20), || async {
        browser
            .client
            .get(format!("{}/readyz", browser.base))
            .send()
            .await
            .is_ok_and(|r| r.status().is_success())
    })
    .await;
    assert!(
        signed_in(&browser).await,
        "the restarted gateway still knows the browser"
    );
}

#[tokio::test]
async fn replicas_share_sessions_and_sign_out_ends_them_everywhere() {
    let mut stack = Stack::start().await;
    let (browser, cookie) = session_cookie(&stack).await;
    let replica = stack.stack.replica_url(Svc::Gateway).await;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let on_replica = || async {
        client
            .get(format!("{replica}/me/learning"))
            .header("cookie", &cookie)
            .send()
            .await
            .map(|r| r.status())
    };
    eventually(Duration::from_secs(20), || async {
        on_replica().await.is_ok_and(|s| s == StatusCode::OK)
    })
    .await;

    // The browser signs out on the first replica; the second forgets it too,
    // and the row is gone.
    let (_, page) = browser.text("/me/learning").await;
    let csrf = hidden(&page, "csrf");
    let response = browser.post("/signout", &[("csrf", &csrf)]).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(on_replica().await.unwrap(), StatusCode::SEE_OTHER);
    assert!(!signed_in(&browser).await);
    assert_eq!(store(&stack).await.count().await.unwrap(), 0);
}

#[tokio::test]
async fn expired_sessions_are_refused_and_purged() {
    let stack = Stack::start_with(|config| {
        config.web.session_ttl_seconds = 2;
        config.web.session_purge_seconds = 1;
    })
    .await;
    let store = store(&stack).await;
    let browser = stack.browser();
    browser.sign_in(TRAINEE).await;
    assert!(signed_in(&browser).await);
    assert_eq!(store.count().await.unwrap(), 1);

    eventually(Duration::from_secs(15), || async {
        !signed_in(&browser).await
    })
    .await;
    eventually(Duration::from_secs(15), || async {
        store.count().await.unwrap() == 0
    })
    .await;
}
