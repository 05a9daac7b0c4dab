//! What the gateway tells browsers and caches: HSTS and `__Host-` cookies
//! when served over https, and personal pages never stored.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::*;

#[tokio::test]
async fn over_https_cookies_are_host_only_and_browsers_keep_to_https() {
    let stack = Stack::start_with(|config| {
        config.credentials.public_base_url = "https://training.example".to_owned();
    })
    .await;
    let browser = stack.browser();
    let signin = browser.get("/signin").await;
    let hsts = signin.headers()["strict-transport-security"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(hsts.starts_with("max-age=31536000"), "{hsts}");
    let cookies: Vec<String> = signin
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect();
    assert!(!cookies.is_empty());
    for cookie in &cookies {
        assert!(cookie.starts_with("__Host-"), "{cookie}");
        assert!(
            cookie.contains("; Secure") && cookie.contains("Path=/"),
            "{cookie}"
        );
        assert!(!cookie.contains("Domain="), "{cookie}");
    }
}

#[tokio::test]
async fn over_http_no_hsts_and_personal_pages_are_never_stored() {
    let stack = Stack::start().await;
    let browser = stack.browser();
    let catalog = browser.get("/").await;
    assert!(!catalog.headers().contains_key("strict-transport-security"));
    browser.sign_in("trainee-msc-1").await;
    for path in ["/me/learning", "/me/certificates", "/calendar/me.ics"] {
        let response = browser.get(path).await;
        assert_eq!(response.status(), reqwest::StatusCode::OK, "{path}");
        assert_eq!(
            response.headers()["cache-control"].to_str().unwrap(),
            "no-store",
            "{path}"
        );
    }
    let api = reqwest::Client::new()
        .get(format!("{}/api/v1/me/enrolments", stack.base))
        .bearer_auth(stack.issuer.token(
            "trainee-msc-1",
            "msc",
            &[hamafza_kit::auth::Role::Trainee],
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(api.headers()["cache-control"].to_str().unwrap(), "no-store");
    // Static assets stay cacheable.
    let css = browser.get("/assets/app.css").await;
    assert!(
        css.headers()["cache-control"]
            .to_str()
            .unwrap()
            .starts_with("public")
    );
}

#[tokio::test]
async fn a_stopping_gateway_keeps_answering_and_closes_keep_alive_connections() {
    let stack = Stack::start_with(|config| config.grpc.shutdown_grace_seconds = 2).await;
    let client = reqwest::Client::new();
    let before = client
        .get(format!("{}/readyz", stack.base))
        .send()
        .await
        .unwrap();
    assert_eq!(before.status(), reqwest::StatusCode::OK);
    assert!(before.headers().get("connection").is_none());
    stack.signal_stop(Svc::Gateway);
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    // Draining: still answering, each answer closing its connection, and
    // not ready for a load balancer.
    let during = client.get(format!("{}/", stack.base)).send().await.unwrap();
    assert_eq!(during.status(), reqwest::StatusCode::OK);
    assert_eq!(during.headers()["connection"], "close");
    let ready = client
        .get(format!("{}/readyz", stack.base))
        .send()
        .await
        .unwrap();
    assert_eq!(ready.status(), reqwest::StatusCode::SERVICE_UNAVAILABLE);
    // Then it stops.
    eventually(std::time::Duration::from_secs(10), || async {
        client
            .get(format!("{}/healthz", stack.base))
            .send()
            .await
            .is_err()
    })
    .await;
}
