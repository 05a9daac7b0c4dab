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

/// The JSON catalog's `ETag` and `Cache-Control`.
fn validators(response: &reqwest::Response) -> (String, String) {
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .unwrap_or_else(|| panic!("no {name}"))
            .to_str()
            .unwrap()
            .to_owned()
    };
    (header("etag"), header("cache-control"))
}

#[tokio::test]
async fn the_public_catalog_is_cacheable_and_revalidates_until_a_course_is_published() {
    let stack = Stack::start().await;
    let client = reqwest::Client::new();
    let url = format!("{}/api/v1/courses", stack.base);
    let first = client.get(&url).send().await.unwrap();
    assert_eq!(first.status(), reqwest::StatusCode::OK);
    let (etag, cache_control) = validators(&first);
    // Strong (no W/), quoted; public for as long as the copy is kept.
    assert!(
        etag.starts_with('"') && etag.ends_with('"') && etag.len() > 10,
        "{etag}"
    );
    let max_age: u64 = cache_control
        .strip_prefix("public, max-age=")
        .unwrap_or_else(|| panic!("{cache_control}"))
        .parse()
        .unwrap();
    assert!(max_age <= 5, "{cache_control}");
    let listed = first.text().await.unwrap();
    assert!(listed.contains("PR-101") && !listed.contains("PR-777"));

    // The same body: 304 without a body, with the validator again.
    let again = client
        .get(&url)
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), reqwest::StatusCode::NOT_MODIFIED);
    assert_eq!(validators(&again).0, etag);
    assert!(again.text().await.unwrap().is_empty());
    // A tag that is not the body's: the body.
    let other = client
        .get(&url)
        .header("if-none-match", "\"0000\", W/\"1111\"")
        .send()
        .await
        .unwrap();
    assert_eq!(other.status(), reqwest::StatusCode::OK);

    // A course published: within the copy's age the ETag changes, and the
    // old one is answered with the new body.
    fixtures::published_course(&stack, "PR-777", |_| {}).await;
    eventually(std::time::Duration::from_secs(15), || async {
        let response = client
            .get(&url)
            .header("if-none-match", &etag)
            .send()
            .await
            .unwrap();
        if response.status() != reqwest::StatusCode::OK {
            return false;
        }
        let (fresh, _) = validators(&response);
        assert_ne!(fresh, etag);
        response.text().await.unwrap().contains("PR-777")
    })
    .await;

    // A signed-in page is that person's: never stored, no shared validator.
    let browser = stack.browser();
    browser.sign_in("trainee-msc-1").await;
    let page = browser.get("/").await;
    assert_eq!(page.status(), reqwest::StatusCode::OK);
    let cache_control = page.headers()["cache-control"].to_str().unwrap();
    assert!(
        cache_control.contains("no-store") || cache_control.contains("private"),
        "{cache_control}"
    );
    assert!(!page.headers().contains_key("etag"));
}
