//! The JSON API: the OpenAPI document is well formed and every route in it
//! exists; bearer tokens, JSON errors, object-level refusals.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::*;
use hamafza_kit::auth::Role;
use reqwest::StatusCode;

/// Sends a request, failing the test if it is not answered.
async fn send(request: reqwest::RequestBuilder) -> reqwest::Response {
    request.send().await.unwrap()
}

/// Sends a request and reads its JSON answer.
async fn json(request: reqwest::RequestBuilder) -> serde_json::Value {
    send(request).await.json().await.unwrap()
}

#[tokio::test]
async fn the_openapi_document_is_valid_and_every_route_in_it_exists() {
    let stack = Stack::start().await;
    let client = reqwest::Client::new();
    let document = json(client.get(format!("{}/api/openapi.json", stack.base))).await;
    // The catalog's filters are optional query parameters.
    let filters = document["paths"]["/api/v1/courses"]["get"]["parameters"]
        .as_array()
        .unwrap();
    for name in ["text", "category"] {
        let filter = filters.iter().find(|p| p["name"] == name).unwrap();
        assert_eq!(filter["in"], "query", "{filter}");
        assert_ne!(filter["required"], true, "{filter}");
    }
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
    let docs = send(client.get(format!("{}/api/docs/", stack.base))).await;
    assert_eq!(docs.status(), StatusCode::OK);
}

#[tokio::test]
async fn the_api_enrols_with_a_bearer_token_and_refuses_what_it_should() {
    let stack = Stack::start().await;
    let client = reqwest::Client::new();
    let url = |path: &str| format!("{}{path}", stack.base);
    let trainee = stack.issuer.token("trainee-msc-1", "msc", &[Role::Trainee]);
    let other = stack.issuer.token("trainee-ksc-1", "ksc", &[Role::Trainee]);

    let response = send(client.get(url("/api/v1/me/enrolments"))).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["code"], "unauthenticated");
    let response = send(
        client
            .get(url("/api/v1/me/enrolments"))
            .bearer_auth("garbage"),
    )
    .await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);

    let courses = json(client.get(url("/api/v1/courses"))).await;
    assert!(
        courses
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["code"] == "PR-101")
    );
    let filtered = json(client.get(url("/api/v1/courses?category=pr-foundations"))).await;
    let filtered = filtered.as_array().unwrap();
    assert!(filtered.iter().any(|c| c["code"] == "PR-101"));
    assert!(filtered.iter().all(|c| c["category"] == "pr-foundations"));
    // The documented pattern, exactly: a space around a slug (`+` in a query)
    // or anything else outside it is refused, not read as "all".
    for bad in ["+", "+pr-foundations", "PR", "media_relations"] {
        let response = send(client.get(url(&format!("/api/v1/courses?category={bad}")))).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{bad}");
        let body: serde_json::Value = response.json().await.unwrap();
        assert_eq!(body["violations"][0]["field"], "category", "{bad}");
    }
    let sessions = json(client.get(url("/api/v1/sessions"))).await;
    // The first that takes enrolments (the demo also has one that has begun).
    let open = sessions
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["enrolment_open"] == true)
        .unwrap();
    assert!(
        sessions
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["enrolment_open"] == false),
        "the session that has begun is listed as not taking enrolments"
    );
    let session_id = open["id"].as_str().unwrap().to_owned();
    assert!(open["seats_left"].as_u64().unwrap() > 0);

    let enrol = |body: &serde_json::Value| {
        let path = format!("/api/v1/sessions/{session_id}/enrolments");
        send(client.post(url(&path)).bearer_auth(&trainee).json(body))
    };
    // Bodies that are not JSON, or not the right JSON, are refused in JSON.
    let path = format!("/api/v1/sessions/{session_id}/enrolments");
    let response = send(
        client
            .post(url(&path))
            .bearer_auth(&trainee)
            .body("request_id=x"),
    )
    .await;
    assert_eq!(response.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["reason"], "UNSUPPORTED_MEDIA_TYPE");
    for bad in ["{", "[]", "{\"request_id\": 5}"] {
        let response = send(
            client
                .post(url(&path))
                .bearer_auth(&other)
                .header("content-type", "application/json")
                .body(bad),
        )
        .await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{bad}");
        let body: serde_json::Value = response.json().await.unwrap();
        assert_eq!(body["code"], "invalid_argument", "{bad}");
        assert_eq!(body["violations"][0]["field"], "body", "{bad}");
    }
    let response = enrol(&serde_json::json!({"request_id": "bad id!"})).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["violations"][0]["field"], "request_id");

    let overreach = serde_json::json!({
        "request_id": "api-1",
        "status": "completed",
        "trainee": "someone-else",
    });
    let enrolment: serde_json::Value = enrol(&overreach).await.json().await.unwrap();
    assert_eq!(
        enrolment["status"], "confirmed",
        "a client cannot set its own status or trainee: {enrolment}"
    );
    let mine = json(
        client
            .get(url("/api/v1/me/enrolments"))
            .bearer_auth(&trainee),
    )
    .await;
    assert_eq!(mine.as_array().unwrap().len(), 1);
    let theirs = json(client.get(url("/api/v1/me/enrolments")).bearer_auth(&other)).await;
    assert!(theirs.as_array().unwrap().is_empty());

    let id = enrolment["id"].as_str().unwrap();
    let cancel = |token: &str, body: serde_json::Value| {
        let path = format!("/api/v1/enrolments/{id}/cancel");
        send(client.post(url(&path)).bearer_auth(token).json(&body))
    };
    let response = cancel(
        &other,
        serde_json::json!({"request_id": "c1", "reason": "x"}),
    )
    .await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let response = cancel(
        &trainee,
        serde_json::json!({"request_id": "c2", "reason": "ماموریت"}),
    );
    let cancelled: serde_json::Value = response.await.json().await.unwrap();
    assert_eq!(cancelled["status"], "cancelled");

    let verdict = json(client.get(url("/api/v1/verify/HMZ-0000-0000-0000"))).await;
    assert_eq!(verdict["verdict"], "unknown");
    // What the document says a credential and a reason are, the API holds to.
    let verify = |credential: &str| {
        send(
            client
                .post(url("/api/v1/verify"))
                .json(&serde_json::json!({ "credential": credential })),
        )
    };
    let refused = verify("not a.jwt.at all").await;
    assert_eq!(refused.status(), StatusCode::BAD_REQUEST);
    let refused: serde_json::Value = refused.json().await.unwrap();
    assert_eq!(refused["violations"][0]["field"], "credential");
    let forged = verify("eyJhbGciOiJFZERTQSJ9.e30.c2ln").await;
    assert_eq!(
        forged.status(),
        StatusCode::OK,
        "a well-formed forgery gets a verdict"
    );
    let forged: serde_json::Value = forged.json().await.unwrap();
    assert_ne!(forged["verdict"], "valid");
    for reason in [" leading space", "\u{7}bell", "a\u{202e}b", ""] {
        let response = send(
            client
                .post(url(&format!(
                    "/api/v1/enrolments/{}/cancel",
                    mine[0]["id"].as_str().unwrap()
                )))
                .bearer_auth(&trainee)
                .json(&serde_json::json!({"request_id": "c9", "reason": reason})),
        )
        .await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{reason:?}");
        let body: serde_json::Value = response.json().await.unwrap();
        assert_eq!(body["violations"][0]["field"], "reason", "{reason:?}");
    }
    let unknown = url("/api/v1/certificates/0193a3a0-0000-7000-8000-000000000000");
    let response = send(client.get(unknown).bearer_auth(&trainee)).await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);

    // Paths and query strings that do not read, and paths the API does not
    // have, are answered in the API's JSON, never plain text or a web page.
    for (path, status, field) in [
        (
            "/api/v1/sessions/%FF",
            StatusCode::BAD_REQUEST,
            Some("path"),
        ),
        (
            "/api/v1/verify/%C3%28",
            StatusCode::BAD_REQUEST,
            Some("path"),
        ),
        (
            "/api/v1/courses?category=a&category=b",
            StatusCode::BAD_REQUEST,
            Some("query"),
        ),
        (
            "/api/v1/certificates/%FF",
            StatusCode::BAD_REQUEST,
            Some("path"),
        ),
        ("/api/v1/nope", StatusCode::NOT_FOUND, None),
    ] {
        let response = send(client.get(url(path)).bearer_auth(&trainee)).await;
        assert_eq!(response.status(), status, "{path}");
        let kind = response.headers()["content-type"]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(kind.starts_with("application/json"), "{path}: {kind}");
        let body: serde_json::Value = response.json().await.unwrap();
        assert!(body["message"].is_string(), "{path}: {body}");
        if let Some(field) = field {
            assert_eq!(body["violations"][0]["field"], field, "{path}: {body}");
        }
    }
}

#[tokio::test]
async fn a_refusal_keeps_its_reason_and_a_backend_down_answers_503() {
    use hamafza_proto::courses as cpb;

    let mut stack = Stack::start().await;
    let client = reqwest::Client::new();
    let url = |path: &str| format!("{}{path}", stack.base);
    let trainee = stack.issuer.token("trainee-msc-1", "msc", &[Role::Trainee]);
    let sessions = json(client.get(url("/api/v1/sessions"))).await;
    let closed = sessions[0]["id"].as_str().unwrap().to_owned();
    let open = sessions[1]["id"].as_str().unwrap().to_owned();

    // The admin closes a session; enrolments refuses, and the reason it gave
    // reaches the JSON client unchanged through the gateway.
    fixtures::session_service(&stack)
        .close_session(stack.request(
            ADMIN,
            cpb::CloseSessionRequest {
                session_id: closed.clone(),
            },
        ))
        .await
        .unwrap();
    let response = send(
        client
            .post(url(&format!("/api/v1/sessions/{closed}/enrolments")))
            .bearer_auth(&trainee)
            .json(&serde_json::json!({"request_id": "closed-1"})),
    )
    .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["code"], "failed_precondition", "{body}");
    assert_eq!(body["reason"], "SESSION_NOT_OPEN", "{body}");

    // With courses down, a session is not "not found": it is unavailable.
    let before = send(client.get(url(&format!("/api/v1/sessions/{open}")))).await;
    assert_eq!(before.status(), StatusCode::OK);
    stack.stack.stop(Svc::Courses).await;
    let response = send(client.get(url(&format!("/api/v1/sessions/{open}")))).await;
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(response.headers().contains_key("retry-after"));
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(
        (body["code"].as_str(), body["reason"].as_str()),
        (Some("unavailable"), Some("UNAVAILABLE")),
        "{body}"
    );
    // An API client is told which service the gateway could not reach.
    assert!(
        body["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("courses could not be reached: ")),
        "{body}"
    );
    // The page says so in Persian, in the catalogue's words.
    let page = send(
        client
            .get(url(&format!("/sessions/{open}")))
            .header("accept", "text/html"),
    )
    .await;
    assert_eq!(page.status(), StatusCode::SERVICE_UNAVAILABLE);
    let page = page.text().await.unwrap();
    assert!(page.contains("سامانه موقتاً در دسترس نیست"), "{page}");
    assert!(
        !page.contains("transport error")
            && !page.contains("tcp connect")
            && !page.contains("could not be reached")
    );
}

#[tokio::test]
async fn the_openapi_document_lists_every_error_answer_and_the_path_constraints() {
    let stack = Stack::start().await;
    let document: serde_json::Value = reqwest::Client::new()
        .get(format!("{}/api/openapi.json", stack.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    for (path, operations) in document["paths"].as_object().unwrap() {
        for (method, operation) in operations.as_object().unwrap() {
            let responses = operation["responses"].as_object().unwrap();
            let secured = operation["security"]
                .as_array()
                .is_some_and(|s| !s.is_empty());
            let mut expected = vec!["200", "400", "429", "503"];
            if secured {
                expected.extend(["401", "403"]);
            }
            if path.contains('{') {
                expected.push("404");
            }
            if method == "post" {
                expected.extend(["415", "422"]);
            }
            for code in expected {
                assert!(
                    responses.contains_key(code),
                    "{method} {path} documents {code}"
                );
            }
            for parameter in operation["parameters"].as_array().into_iter().flatten() {
                match parameter["name"].as_str() {
                    Some("id") => assert_eq!(parameter["schema"]["format"], "uuid", "{path}"),
                    Some("serial") => assert!(parameter["schema"]["pattern"].is_string(), "{path}"),
                    _ => {}
                }
            }
        }
    }
    let enrol = &document["components"]["schemas"]["EnrolBody"]["properties"]["request_id"];
    assert_eq!(enrol["maxLength"], 64);
    assert!(enrol["pattern"].is_string());
}

#[tokio::test]
async fn the_open_sessions_are_all_listed_with_their_seats_past_a_page_of_200() {
    let stack = Stack::start().await;
    let course = rahimi_demo_session(&stack).await.course_id;
    let mut opened = std::collections::HashSet::new();
    for _ in 0..205 {
        let planned =
            fixtures::create_session(&stack, ADMIN, &course, fixtures::session_details(12, &[]))
                .await
                .unwrap();
        fixtures::open_planned_session(&stack, ADMIN, &planned.id)
            .await
            .unwrap();
        opened.insert(planned.id);
    }
    let client = reqwest::Client::new();
    let sessions = json(client.get(format!("{}/api/v1/sessions", stack.base))).await;
    let listed: Vec<&serde_json::Value> = sessions
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| opened.contains(s["id"].as_str().unwrap()))
        .collect();
    assert_eq!(listed.len(), 205, "every open session");
    assert!(
        listed.iter().all(|s| s["seats_left"] == 12),
        "each with its seats, past the first 200: {:?}",
        listed.iter().find(|s| s["seats_left"] != 12)
    );
    // The catalog page too: every one, each with its seats.
    let page = send(client.get(format!("{}/", stack.base)))
        .await
        .text()
        .await
        .unwrap();
    let shown = opened
        .iter()
        .filter(|id| page.contains(&format!("href=\"/sessions/{id}\"")))
        .count();
    assert_eq!(shown, 205, "every open session on the catalog page");
    assert!(
        page.matches("۱۲ صندلی خالی").count() >= 205,
        "each with its seats"
    );
}
