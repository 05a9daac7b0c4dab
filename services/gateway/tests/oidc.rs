//! Signing in through a real identity provider: npm `oidc-provider` (an
//! OpenID-certified implementation), run by this test from
//! `tests/oidc-provider/`. Discovery, the authorization-code flow with PKCE,
//! its login and consent pages, the ID token's signature and nonce, and JWT
//! access tokens that the services verify against the provider's keys; the
//! services' own identity is a client-credentials token from it too.
//!
//! Needs Node.js and npm; the provider's package is installed with `npm ci`
//! when missing. Without npm the test says so and passes, unless
//! `HAMAFZA_REQUIRE_OIDC_PROVIDER=1` (CI) makes that a failure.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use common::*;
use hamafza_testkit::free_addr;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

const CLIENT_ID: &str = "hamafza-web";
const CLIENT_SECRET: &str = "s3cret";

fn provider_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/oidc-provider")
}

/// Installs the provider's package if needed; `false` when npm is missing
/// and the provider is not required.
async fn installed() -> bool {
    let dir = provider_dir();
    if dir.join("node_modules/oidc-provider").is_dir() {
        return true;
    }
    let required = std::env::var("HAMAFZA_REQUIRE_OIDC_PROVIDER").is_ok_and(|v| v == "1");
    let install = Command::new("npm")
        .args(["ci", "--no-fund", "--no-audit", "--silent"])
        .current_dir(&dir)
        .status()
        .await;
    match install {
        Ok(status) if status.success() => true,
        outcome if required => panic!("installing oidc-provider with npm ci: {outcome:?}"),
        outcome => {
            eprintln!("skipped: the OpenID provider could not be installed (npm ci: {outcome:?})");
            false
        }
    }
}

/// The provider, listening; stopped when dropped.
struct Provider {
    issuer: String,
    _child: Child,
}

async fn start_provider(redirect_uri: &str) -> Provider {
    let port = free_addr().port();
    let mut child = Command::new("node")
        .arg("provider.mjs")
        .current_dir(provider_dir())
        .env("PORT", port.to_string())
        .env("REDIRECT_URI", redirect_uri)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("node runs the provider");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let issuer = tokio::time::timeout(Duration::from_secs(20), async {
        while let Some(line) = lines.next_line().await.unwrap() {
            if let Some(issuer) = line.strip_prefix("ready ") {
                return issuer.to_owned();
            }
        }
        panic!("the provider stopped before it was ready");
    })
    .await
    .expect("the provider is ready within 20 s");
    // Keep reading what it prints: a closed pipe would end it at its next line.
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    Provider {
        issuer,
        _child: child,
    }
}

/// The services' own identity: a client-credentials token from the provider,
/// in the file `auth.service_token_file` names (as a sidecar would keep it).
async fn service_token_file(issuer: &str) -> PathBuf {
    let response: serde_json::Value = reqwest::Client::new()
        .post(format!("{issuer}/token"))
        .basic_auth("hamafza-services", Some("service-s3cret"))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap()
        .error_for_status()
        .unwrap()
        .json()
        .await
        .unwrap();
    let file = temp_dir("service-token").join("token");
    std::fs::write(&file, response["access_token"].as_str().unwrap()).unwrap();
    file
}

fn location(response: &reqwest::Response) -> String {
    response.headers()["location"].to_str().unwrap().to_owned()
}

/// The provider, and the whole stack trusting it (and only it): people sign
/// in through it, services verify its tokens, and their own identity is a
/// client-credentials token from it. The gateway has `client_secret` if any.
async fn stack_signing_in_through_the_provider(client_secret: Option<&str>) -> (Provider, Stack) {
    let gateway = free_addr();
    let provider = start_provider(&format!("http://{gateway}/signin/callback")).await;
    let issuer = provider.issuer.clone();
    let token_file = service_token_file(&issuer).await;
    let secret = client_secret.map(|secret| {
        let file = temp_dir("oidc").join("client-secret");
        std::fs::write(&file, format!("{secret}\n")).unwrap();
        file
    });
    let stack = Stack::start_from(
        TestStack::builder()
            .address(Svc::Gateway, gateway)
            .configure(move |config| {
                config.auth.issuer = issuer.clone();
                config.auth.audience = "hamafza".to_owned();
                config.auth.jwks_url = Some(format!("{issuer}/jwks"));
                config.auth.service_token_file = Some(token_file);
                config.oidc.issuer = Some(issuer);
                config.oidc.client_id = CLIENT_ID.to_owned();
                config.oidc.client_secret_file = secret;
            }),
    )
    .await;
    (provider, stack)
}

/// `location` (absolute, or relative to `base`) as an absolute URL.
fn resolve(base: &str, location: &str) -> String {
    reqwest::Url::parse(base)
        .and_then(|base| base.join(location))
        .unwrap()
        .to_string()
}

/// The value of `attribute` in the first tag of `page` that has it.
fn attribute(page: &str, attribute: &str) -> Option<String> {
    let marker = format!("{attribute}=\"");
    let start = page.find(&marker)? + marker.len();
    Some(page[start..].split('"').next()?.to_owned())
}

/// Walks the provider's pages as a person would: follows its redirects,
/// signs in as `login` on the login page, consents, and returns the URL it
/// finally sends the browser to (the gateway's callback).
async fn through_the_provider(browser: &Browser, mut url: String, login: &str) -> String {
    for _ in 0..12 {
        if url.contains("/signin/callback") {
            return url;
        }
        let response = browser.client.get(&url).send().await.unwrap();
        if response.status().is_redirection() {
            url = resolve(&url, &location(&response));
            continue;
        }
        let page = response.text().await.unwrap();
        let action = attribute(&page, "action").unwrap_or_else(|| panic!("a form: {page}"));
        let prompt = page
            .split("name=\"prompt\" value=\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .unwrap_or_default()
            .to_owned();
        let mut form = vec![("prompt", prompt.clone())];
        if page.contains("name=\"login\"") {
            form.push(("login", login.to_owned()));
            form.push(("password", "any".to_owned()));
        }
        let submitted = browser
            .client
            .post(&action)
            .form(&form)
            .send()
            .await
            .unwrap();
        assert!(
            submitted.status().is_redirection(),
            "{prompt}: {}",
            submitted.text().await.unwrap()
        );
        url = resolve(&action, &location(&submitted));
    }
    panic!("the provider never sent the browser back");
}

#[tokio::test]
async fn signing_in_through_a_certified_provider_with_pkce_and_nonce() {
    if !installed().await {
        return;
    }
    let (provider, mut stack) = stack_signing_in_through_the_provider(Some(CLIENT_SECRET)).await;
    let issuer = provider.issuer.clone();

    let browser = stack.browser();
    let (_, signin) = browser.text("/signin").await;
    assert!(signin.contains("/signin/oidc"));
    assert!(
        !signin.contains("/signin/dev"),
        "no development sign-in beside a real provider"
    );
    let start = browser.get("/signin/oidc").await;
    assert_eq!(start.status(), reqwest::StatusCode::SEE_OTHER);
    let authorize = location(&start);
    assert!(
        authorize.starts_with(&format!("{issuer}/auth?")),
        "{authorize}"
    );
    for parameter in [
        "code_challenge=",
        "code_challenge_method=S256",
        "nonce=",
        "state=",
    ] {
        assert!(authorize.contains(parameter), "{parameter} in {authorize}");
    }

    let callback = through_the_provider(&browser, authorize, "employee-4711").await;
    assert!(
        callback.starts_with(&format!("{}/signin/callback?", stack.base)),
        "{callback}"
    );

    // A stranger's browser cannot use this callback: the state is bound to ours.
    let stranger = stack.browser();
    assert_eq!(
        stranger
            .client
            .get(&callback)
            .send()
            .await
            .unwrap()
            .status(),
        reqwest::StatusCode::UNAUTHORIZED
    );

    // Nothing of the sign-in is kept in the gateway's process: another
    // replica, or this one restarted, finishes it.
    stack.stack.stop(Svc::Gateway).await;
    stack.stack.start(Svc::Gateway).await;
    let done = browser.client.get(&callback).send().await.unwrap();
    assert_eq!(
        done.status(),
        reqwest::StatusCode::SEE_OTHER,
        "{}",
        done.text().await.unwrap()
    );
    // The pages call the services with the provider's access token.
    let (status, learning) = browser.text("/me/learning").await;
    assert_eq!(status, reqwest::StatusCode::OK, "{learning}");
    assert!(
        learning.contains("مریم کریمی"),
        "signed in as the provider's person"
    );
    // The code was used once; replaying the callback fails.
    assert_ne!(
        browser.client.get(&callback).send().await.unwrap().status(),
        reqwest::StatusCode::SEE_OTHER
    );

    // Signing out ends the session at the provider too (RP-initiated
    // logout): the next person at this browser is asked who they are.
    let (_, page) = browser.text("/me/learning").await;
    let out = browser
        .post("/signout", &[("csrf", &hidden(&page, "csrf"))])
        .await;
    // A page that moves on by itself, not a redirect: a browser does not
    // follow a form's redirect to another origin (`form-action 'self'`).
    assert_eq!(out.status(), reqwest::StatusCode::OK);
    let end = out.headers()["refresh"]
        .to_str()
        .unwrap()
        .strip_prefix("0; url=")
        .expect("a refresh at once")
        .to_owned();
    assert!(end.starts_with(&format!("{issuer}/session/end?")), "{end}");
    let page = out.text().await.unwrap();
    assert!(
        page.contains("خروج از سامانهٔ ورود سازمان شما"),
        "in the viewer's words: {page}"
    );
    assert!(
        page.contains(&format!("href=\"{}\"", end.replace('&', "&amp;"))),
        "a link there: {page}"
    );
    for parameter in [
        "id_token_hint=",
        "client_id=hamafza-web",
        "post_logout_redirect_uri=",
        "ui_locales=fa",
    ] {
        assert!(end.contains(parameter), "{parameter} in {end}");
    }
    let (status, _) = browser.text("/me/learning").await;
    assert_ne!(status, reqwest::StatusCode::OK, "signed out here at once");
    let back = signed_out_at_the_provider(&browser, end).await;
    assert_eq!(back, format!("{}/", stack.base));
    let again = location(&browser.get("/signin/oidc").await);
    assert!(
        asks_who(&browser, again).await,
        "the provider asks for a login again"
    );
}

/// Confirms the sign-out on the provider's page, as a person would, and
/// returns where the provider sends the browser afterwards.
async fn signed_out_at_the_provider(browser: &Browser, end: String) -> String {
    let page = browser.client.get(&end).send().await.unwrap();
    assert_eq!(page.status(), reqwest::StatusCode::OK);
    let page = page.text().await.unwrap();
    let action = resolve(&end, &attribute(&page, "action").expect("a logout form"));
    let confirmed = browser
        .client
        .post(&action)
        .form(&[("xsrf", hidden(&page, "xsrf").as_str()), ("logout", "yes")])
        .send()
        .await
        .unwrap();
    assert!(confirmed.status().is_redirection(), "{confirmed:?}");
    resolve(&action, &location(&confirmed))
}

/// Follows the provider's redirects from `url` and says whether it shows a
/// login form (rather than sending the browser straight back signed in).
async fn asks_who(browser: &Browser, mut url: String) -> bool {
    for _ in 0..12 {
        if url.contains("/signin/callback") {
            return false;
        }
        let response = browser.client.get(&url).send().await.unwrap();
        if response.status().is_redirection() {
            url = resolve(&url, &location(&response));
            continue;
        }
        return response.text().await.unwrap().contains("name=\"login\"");
    }
    false
}

#[tokio::test]
async fn a_callback_with_a_forged_code_or_a_wrong_state_signs_no_one_in() {
    if !installed().await {
        return;
    }
    // Without the client secret the token endpoint does not even know the client.
    let (_provider, stack) = stack_signing_in_through_the_provider(None).await;
    let browser = stack.browser();
    let start = browser.get("/signin/oidc").await;
    let authorize = location(&start);
    let state = authorize
        .split("state=")
        .nth(1)
        .unwrap()
        .split('&')
        .next()
        .unwrap()
        .to_owned();
    // A code the provider never issued, with the right state: the token
    // endpoint refuses it (and without the client secret the client is not
    // even known).
    let forged = browser
        .client
        .get(format!(
            "{}/signin/callback?code=forged&state={state}",
            stack.base
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), reqwest::StatusCode::UNAUTHORIZED);
    // The state was spent on that attempt.
    let again = browser
        .client
        .get(format!(
            "{}/signin/callback?code=forged&state={state}",
            stack.base
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), reqwest::StatusCode::UNAUTHORIZED);
    let (status, _) = browser.text("/me/learning").await;
    assert_ne!(status, reqwest::StatusCode::OK, "no one is signed in");
}
