//! The JSON API: the OpenAPI document is well formed and every route in it
//! exists; bearer tokens, JSON errors, object-level refusals.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::*;
use hamafza_kit::auth::Role;
use reqwest::StatusCode;

#[tokio::test]
async fn the_openapi_document_is_valid_and_every_route_in_it_exists() {
    let stack = Stack::start().await;
    let client = reqwest::Client::new();
    let document: serde_json::Value = client
        .get(format!("{}/api/openapi.json", stack.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        document["openapi"].as_str().unwrap().starts_with("3."),
        "{}",
        document["openapi"]
    );
    assert!(document["info"]["title"].is_string());
    let paths = document["paths"].as_object().unwrap();
    assert!(paths.len() >= 10);
    let mut checked = 0;
    for (path, operations) in paths {
        assert!(path.starts_with("/api/v1/"), "{path}");
        for (method, operation) in operations.as_object().unwrap() {
            assert!(
                operation["responses"]
                    .as_object()
                    .is_some_and(|r| !r.is_empty()),
                "{method} {path} documents its responses"
            );
            // Every schema it references is defined.
            for reference in operation
                .to_string()
                .split("\"$ref\":\"#/components/schemas/")
                .skip(1)
            {
                let name = reference.split('"').next().unwrap();
                assert!(
                    document["components"]["schemas"][name].is_object(),
                    "{name} is defined"
                );
            }
            let url = format!(
                "{}{}",
                stack.base,
                path.replace("{id}", "0193a3a0-0000-7000-8000-000000000000")
                    .replace("{serial}", "HMZ-0000-0000-0000")
            );
            let request = match method.as_str() {
                "get" => client.get(&url),
                "post" => client.post(&url).json(&serde_json::json!({})),
                other => panic!("unexpected method {other}"),
            };
            let response = request.send().await.unwrap();
            let content_type = response
                .headers()
                .get("content-type")
                .map(|v| v.to_str().unwrap().to_owned())
                .unwrap_or_default();
            // A route that exists answers JSON (success or a JSON error); the
            // router's fallback would answer an HTML page.
            assert!(
                content_type.starts_with("application/json")
                    || response.status() == StatusCode::UNPROCESSABLE_ENTITY
                    || response.status() == StatusCode::BAD_REQUEST,
                "{method} {path}: {} {content_type}",
                response.status()
            );
            checked += 1;
        }
    }
    assert!(checked >= 10);
    let docs = client
        .get(format!("{}/api/docs/", stack.base))
        .send()
        .await
        .unwrap();
    assert_eq!(docs.status(), StatusCode::OK);
}

#[tokio::test]
async fn the_api_enrols_with_a_bearer_token_and_refuses_what_it_should() {
    let stack = Stack::start().await;
    let client = reqwest::Client::new();
    let url = |path: &str| format!("{}{path}", stack.base);
    let trainee = stack.issuer.token("trainee-msc-1", "msc", &[Role::Trainee]);
    let other = stack.issuer.token("trainee-ksc-1", "ksc", &[Role::Trainee]);

    let response = client
        .get(url("/api/v1/me/enrolments"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["code"], "unauthenticated");
    let response = client
        .get(url("/api/v1/me/enrolments"))
        .bearer_auth("garbage")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);

    let courses: serde_json::Value = client
        .get(url("/api/v1/courses"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        courses
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["code"] == "PR-101")
    );
    let sessions: serde_json::Value = client
        .get(url("/api/v1/sessions"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let session_id = sessions[0]["id"].as_str().unwrap().to_owned();
    assert!(sessions[0]["seats_left"].as_u64().unwrap() > 0);

    let response = client
        .post(url(&format!("/api/v1/sessions/{session_id}/enrolments")))
        .bearer_auth(&trainee)
        .json(&serde_json::json!({"request_id": "bad id!"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["violations"][0]["field"], "request_id");

    let enrolment: serde_json::Value = client
        .post(url(&format!("/api/v1/sessions/{session_id}/enrolments")))
        .bearer_auth(&trainee)
        .json(&serde_json::json!({"request_id": "api-1", "status": "completed", "trainee": "someone-else"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        enrolment["status"], "confirmed",
        "a client cannot set its own status or trainee"
    );
    let mine: serde_json::Value = client
        .get(url("/api/v1/me/enrolments"))
        .bearer_auth(&trainee)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(mine.as_array().unwrap().len(), 1);
    let theirs: serde_json::Value = client
        .get(url("/api/v1/me/enrolments"))
        .bearer_auth(&other)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(theirs.as_array().unwrap().is_empty());

    let id = enrolment["id"].as_str().unwrap();
    let response = client
        .post(url(&format!("/api/v1/enrolments/{id}/cancel")))
        .bearer_auth(&other)
        .json(&serde_json::json!({"request_id": "c1", "reason": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let cancelled: serde_json::Value = client
        .post(url(&format!("/api/v1/enrolments/{id}/cancel")))
        .bearer_auth(&trainee)
        .json(&serde_json::json!({"request_id": "c2", "reason": "ماموریت"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(cancelled["status"], "cancelled");

    let verdict: serde_json::Value = client
        .get(url("/api/v1/verify/HMZ-0000-0000-0000"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(verdict["verdict"], "unknown");
    let response = client
        .get(url(
            "/api/v1/certificates/0193a3a0-0000-7000-8000-000000000000",
        ))
        .bearer_auth(&trainee)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_refusal_keeps_its_reason_and_a_backend_down_answers_503() {
    use hamafza_proto::courses as cpb;
    use hamafza_proto::courses::session_service_client::SessionServiceClient;
    use hamafza_testkit::people::ADMIN;

    let mut stack = Stack::start().await;
    let client = reqwest::Client::new();
    let url = |path: &str| format!("{}{path}", stack.base);
    let trainee = stack.issuer.token("trainee-msc-1", "msc", &[Role::Trainee]);
    let sessions: serde_json::Value = client
        .get(url("/api/v1/sessions"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let closed = sessions[0]["id"].as_str().unwrap().to_owned();
    let open = sessions[1]["id"].as_str().unwrap().to_owned();

    // The admin closes a session; enrolments refuses, and the reason it gave
    // reaches the JSON client unchanged through the gateway.
    SessionServiceClient::new(stack.channel(Svc::Courses))
        .close_session(stack.request(
            ADMIN,
            cpb::CloseSessionRequest {
                session_id: closed.clone(),
            },
        ))
        .await
        .unwrap();
    let response = client
        .post(url(&format!("/api/v1/sessions/{closed}/enrolments")))
        .bearer_auth(&trainee)
        .json(&serde_json::json!({"request_id": "closed-1"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["code"], "failed_precondition", "{body}");
    assert_eq!(body["reason"], "SESSION_NOT_OPEN", "{body}");

    // With courses down, a session is not "not found": it is unavailable.
    let before = client
        .get(url(&format!("/api/v1/sessions/{open}")))
        .send()
        .await
        .unwrap();
    assert_eq!(before.status(), StatusCode::OK);
    stack.stack.stop(Svc::Courses).await;
    let response = client
        .get(url(&format!("/api/v1/sessions/{open}")))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(response.headers().contains_key("retry-after"));
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(
        (body["code"].as_str(), body["reason"].as_str()),
        (Some("unavailable"), Some("UNAVAILABLE")),
        "{body}"
    );
    // The page says so in Persian, in the catalogue's words.
    let page = client
        .get(url(&format!("/sessions/{open}")))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::SERVICE_UNAVAILABLE);
    let page = page.text().await.unwrap();
    assert!(page.contains("سامانه موقتاً در دسترس نیست"), "{page}");
    assert!(!page.contains("transport error") && !page.contains("tcp connect"));
}
