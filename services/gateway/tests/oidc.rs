//! Signing in through an identity provider: OpenID Connect authorization
//! code with PKCE. The provider here is a small stand-in run by the test (an
//! outside system, not one of ours); it checks the PKCE verifier and the
//! client's credentials like a real one.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use common::*;
use hamafza_kit::auth::{DevIssuer, Role, TokenRequest};
use sha2::Digest;

#[derive(Clone)]
struct Provider {
    base: String,
    /// Signs access tokens with the key the services trust (set once the
    /// stack exists).
    issuer: Arc<Mutex<Option<DevIssuer>>>,
    /// code -> (challenge, nonce)
    codes: Arc<Mutex<HashMap<String, (String, String)>>>,
}

async fn discovery(State(p): State<Provider>) -> Json<serde_json::Value> {
    Json(serde_json::json!({
        "issuer": p.base,
        "authorization_endpoint": format!("{}/authorize", p.base),
        "token_endpoint": format!("{}/token", p.base),
    }))
}

async fn authorize(
    State(p): State<Provider>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    assert_eq!(q["response_type"], "code");
    assert_eq!(q["code_challenge_method"], "S256");
    assert_eq!(q["client_id"], "hamafza-web");
    let code = format!("code-{}", p.codes.lock().unwrap().len());
    p.codes.lock().unwrap().insert(
        code.clone(),
        (q["code_challenge"].clone(), q["nonce"].clone()),
    );
    Redirect::to(&format!(
        "{}?code={code}&state={}",
        q["redirect_uri"], q["state"]
    ))
    .into_response()
}

async fn token(
    State(p): State<Provider>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let expected = format!("Basic {}", STANDARD.encode("hamafza-web:s3cret"));
    if headers.get("authorization").and_then(|v| v.to_str().ok()) != Some(expected.as_str()) {
        return (StatusCode::UNAUTHORIZED, "bad client").into_response();
    }
    let Some((challenge, nonce)) = p.codes.lock().unwrap().remove(&form["code"]) else {
        return (StatusCode::BAD_REQUEST, "unknown code").into_response();
    };
    if URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(form["code_verifier"].as_bytes())) != challenge {
        return (StatusCode::BAD_REQUEST, "PKCE verifier does not match").into_response();
    }
    let issuer = p.issuer.lock().unwrap().clone().unwrap();
    let access_token = issuer
        .mint(&TokenRequest {
            subject: "employee-4711".to_owned(),
            organization_id: "msc".to_owned(),
            roles: vec![Role::Trainee],
            name: "مریم کریمی".to_owned(),
            ttl: Duration::from_secs(600),
        })
        .unwrap();
    let id_token = format!(
        "{}.{}.sig",
        URL_SAFE_NO_PAD.encode(br#"{"alg":"EdDSA"}"#),
        URL_SAFE_NO_PAD
            .encode(serde_json::json!({"sub": "employee-4711", "nonce": nonce}).to_string())
    );
    Json(serde_json::json!({"access_token": access_token, "id_token": id_token, "token_type": "Bearer"})).into_response()
}

async fn provider(issuer: Arc<Mutex<Option<DevIssuer>>>) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let state = Provider {
        base: base.clone(),
        issuer,
        codes: Arc::default(),
    };
    let app = Router::new()
        .route("/.well-known/openid-configuration", get(discovery))
        .route("/authorize", get(authorize))
        .route("/token", post(token))
        .with_state(state);
    tokio::spawn(async move { axum::serve(listener, app).await });
    base
}

fn location(response: &reqwest::Response) -> String {
    response.headers()["location"].to_str().unwrap().to_owned()
}

#[tokio::test]
async fn signing_in_through_the_identity_provider_with_pkce() {
    let signing = Arc::new(Mutex::new(None));
    let idp = provider(Arc::clone(&signing)).await;
    let secret = temp_dir("oidc").join("client-secret");
    std::fs::write(&secret, "s3cret\n").unwrap();
    let stack = Stack::start_with(move |config| {
        config.oidc.issuer = Some(idp);
        config.oidc.client_id = "hamafza-web".to_owned();
        config.oidc.client_secret_file = Some(secret);
    })
    .await;
    // The services trust the stack's issuer; the provider signs with it.
    *signing.lock().unwrap() = Some(stack.issuer.issuer().clone());

    let browser = stack.browser();
    let (_, signin) = browser.text("/signin").await;
    assert!(signin.contains("/signin/oidc"));
    let start = browser.get("/signin/oidc").await;
    assert_eq!(start.status(), reqwest::StatusCode::SEE_OTHER);
    let authorize = location(&start);
    assert!(
        authorize.contains("code_challenge=") && authorize.contains("code_challenge_method=S256")
    );
    let back = browser.client.get(&authorize).send().await.unwrap();
    let callback = location(&back);
    assert!(callback.starts_with(&format!("{}/signin/callback?", stack.base)));

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

    let done = browser.client.get(&callback).send().await.unwrap();
    assert_eq!(
        done.status(),
        reqwest::StatusCode::SEE_OTHER,
        "{}",
        done.text().await.unwrap()
    );
    let (status, learning) = browser.text("/me/learning").await;
    assert_eq!(status, reqwest::StatusCode::OK);
    assert!(
        learning.contains("مریم کریمی"),
        "signed in as the provider's person"
    );
    // The code was used once; replaying the callback fails.
    assert_ne!(
        browser.client.get(&callback).send().await.unwrap().status(),
        reqwest::StatusCode::SEE_OTHER
    );
}
