//! Authentication and authorization: every refused token is UNAUTHENTICATED,
//! every role is allowed and denied where it should be.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use common::*;
use hamafza_kit::auth::{DevIssuer, Role, TokenRequest};
use hamafza_kit::testing::{TestIssuer, temp_dir};
use hamafza_proto::courses as pb;

async fn list_with(server: &TestServer, token: Option<&str>) -> tonic::Status {
    let message = pb::ListCoursesRequest::default();
    let request = match token {
        Some(token) => with_token(token, message),
        None => tonic::Request::new(message),
    };
    server.courses().list_courses(request).await.unwrap_err()
}

fn mint(issuer: &DevIssuer, ttl: Duration) -> String {
    issuer
        .mint(&TokenRequest {
            subject: "admin-1".to_owned(),
            organization_id: "imidro".to_owned(),
            roles: vec![Role::PlatformAdmin],
            name: String::new(),
            ttl,
        })
        .unwrap()
}

#[tokio::test]
async fn every_bad_token_is_unauthenticated() {
    let server = TestServer::start().await;
    let good = server.token(ADMIN);
    server
        .courses()
        .list_courses(with_token(&good, pb::ListCoursesRequest::default()))
        .await
        .unwrap();

    let mut refused: Vec<(&str, tonic::Status)> = Vec::new();
    refused.push(("no token", list_with(&server, None).await));

    // Expired an hour ago: beyond the clock-skew leeway.
    let expired = {
        let claims = serde_json::json!({
            "iss": TestIssuer::ISSUER, "aud": TestIssuer::AUDIENCE, "sub": "admin-1",
            "exp": chrono::Utc::now().timestamp() - 3600,
            "iat": chrono::Utc::now().timestamp() - 7200,
            "org": "imidro", "roles": ["platform_admin"],
        });
        resign(&server, &good, &claims)
    };
    refused.push(("expired", list_with(&server, Some(&expired)).await));

    let stranger = DevIssuer::load_or_create(
        &temp_dir("stranger"),
        TestIssuer::ISSUER,
        TestIssuer::AUDIENCE,
    )
    .unwrap();
    refused.push((
        "another key",
        list_with(&server, Some(&mint(&stranger, Duration::from_secs(600)))).await,
    ));

    let (_, payload, _) = split(&good);
    let none_header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
    refused.push((
        "alg none",
        list_with(&server, Some(&format!("{none_header}.{payload}."))).await,
    ));
    let hs_header = URL_SAFE_NO_PAD.encode(br#"{"alg":"HS256","typ":"JWT"}"#);
    refused.push((
        "alg HS256",
        list_with(
            &server,
            Some(&format!("{hs_header}.{payload}.c2lnbmF0dXJl")),
        )
        .await,
    ));

    let tampered = {
        let (header, payload, signature) = split(&good);
        let mut claims: serde_json::Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap();
        claims["org"] = serde_json::json!("msc");
        format!(
            "{header}.{}.{signature}",
            URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims).unwrap())
        )
    };
    refused.push((
        "tampered payload",
        list_with(&server, Some(&tampered)).await,
    ));

    for (field, value) in [("aud", "someone-else"), ("iss", "https://evil.example")] {
        let (_, payload, _) = split(&good);
        let mut claims: serde_json::Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap();
        claims[field] = serde_json::json!(value);
        let token = resign(&server, &good, &claims);
        refused.push((
            if field == "aud" {
                "wrong aud"
            } else {
                "wrong iss"
            },
            list_with(&server, Some(&token)).await,
        ));
    }
    for missing in ["sub", "org", "roles", "exp"] {
        let (_, payload, _) = split(&good);
        let mut claims: serde_json::Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap();
        claims.as_object_mut().unwrap().remove(missing);
        let token = resign(&server, &good, &claims);
        let status = list_with(&server, Some(&token)).await;
        assert_eq!(
            status.code(),
            tonic::Code::Unauthenticated,
            "missing {missing}: {status:?}"
        );
    }
    refused.push(("garbage", list_with(&server, Some("not-a-jwt")).await));
    let mut wrong_scheme = tonic::Request::new(pb::ListCoursesRequest::default());
    wrong_scheme
        .metadata_mut()
        .insert("authorization", format!("Basic {good}").parse().unwrap());
    refused.push((
        "basic scheme",
        server
            .courses()
            .list_courses(wrong_scheme)
            .await
            .unwrap_err(),
    ));

    for (case, status) in refused {
        assert_eq!(
            status.code(),
            tonic::Code::Unauthenticated,
            "{case}: {status:?}"
        );
    }
}

fn split(token: &str) -> (&str, &str, &str) {
    let mut parts = token.split('.');
    (
        parts.next().unwrap(),
        parts.next().unwrap(),
        parts.next().unwrap_or(""),
    )
}

/// Signs `claims` with the server's own trusted key, keeping the header.
fn resign(server: &TestServer, _template: &str, claims: &serde_json::Value) -> String {
    let key = hamafza_kit::auth::SigningKeyFile::load_or_create(
        &server.issuer.dir.join(DevIssuer::KEY_FILE),
    )
    .unwrap();
    key.sign(claims).unwrap()
}

#[tokio::test]
async fn only_admins_run_the_catalog_and_only_the_council_votes() {
    let server = TestServer::start().await;
    let mut courses = server.courses();
    for who in [TRAINEE, COUNCIL_A, MANAGER_KSC, INSTRUCTOR] {
        let status = create_course(&server, who, course_details("PR-900"))
            .await
            .unwrap_err();
        assert_eq!(status.code(), tonic::Code::PermissionDenied, "{}", who.0);
    }
    let course = server.create_course("PR-901").await;
    for who in [TRAINEE, COUNCIL_A] {
        let status = submit_course(&server, who, &course.id).await.unwrap_err();
        assert_eq!(status.code(), tonic::Code::PermissionDenied, "{}", who.0);
    }
    submit_course(&server, ADMIN, &course.id).await.unwrap();
    for who in [ADMIN, TRAINEE, MANAGER_KSC] {
        let approve = pb::VoteDecision::Approve;
        let status = review_course(&server, who, &course.id, approve, "")
            .await
            .unwrap_err();
        assert_eq!(status.code(), tonic::Code::PermissionDenied, "{}", who.0);
    }
    // Council members see submissions; trainees do not even learn they exist.
    get_course(&server, COUNCIL_A, &course.id).await.unwrap();
    let status = get_course(&server, TRAINEE, &course.id).await.unwrap_err();
    assert_eq!(status.code(), tonic::Code::NotFound);
    let listed = server
        .list_courses(TRAINEE, pb::ListCoursesRequest::default())
        .await
        .unwrap();
    assert!(
        listed.courses.is_empty(),
        "a trainee's listing holds only published courses"
    );
    let submitted = pb::ListCoursesRequest {
        statuses: vec![pb::CatalogStatus::Submitted.into()],
        ..Default::default()
    };
    let status = server.list_courses(TRAINEE, submitted).await.unwrap_err();
    assert_eq!(status.code(), tonic::Code::PermissionDenied);
    let status = courses
        .list_course_votes(server.request(
            TRAINEE,
            pb::ListCourseVotesRequest {
                course_id: course.id.clone(),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(status.code(), tonic::Code::PermissionDenied);
}

#[tokio::test]
async fn planned_sessions_are_visible_to_staff_and_their_instructor_only() {
    let server = TestServer::start().await;
    let course = server.published_course("PR-301").await;
    let session = create_session(&server, ADMIN, &course.id, session_details(10))
        .await
        .unwrap();
    let get = |who| get_session(&server, who, &session.id);
    assert_eq!(
        get(TRAINEE).await.unwrap_err().code(),
        tonic::Code::NotFound
    );
    get(INSTRUCTOR).await.unwrap();
    get(COUNCIL_B).await.unwrap();
    let listed = |who| {
        let mut client = server.sessions();
        let request = server.request(who, pb::ListSessionsRequest::default());
        async move { client.list_sessions(request).await }
    };
    assert!(
        listed(TRAINEE)
            .await
            .unwrap()
            .into_inner()
            .sessions
            .is_empty()
    );
    assert_eq!(
        listed(INSTRUCTOR)
            .await
            .unwrap()
            .into_inner()
            .sessions
            .len(),
        1
    );
    let status = open_planned_session(&server, INSTRUCTOR, &session.id)
        .await
        .unwrap_err();
    assert_eq!(status.code(), tonic::Code::PermissionDenied);
}

#[tokio::test]
async fn org_managers_speak_only_for_their_own_organization() {
    let server = TestServer::start().await;
    let event = server
        .events()
        .create_event(server.request(
            ADMIN,
            pb::CreateEventRequest {
                request_id: String::new(),
                details: Some(pb::EventDetails {
                    kind: pb::EventKind::Exhibition.into(),
                    title: Some(text("نمایشگاه معدن", "Mining exhibition")),
                    description: None,
                    start_time: Some(timestamp(240)),
                    end_time: Some(timestamp(300)),
                    place: Some(text("تهران", "Tehran")),
                    organizer_organization_id: "imidro".to_owned(),
                    participating_organization_ids: vec!["msc".to_owned()],
                    url: String::new(),
                }),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .event
        .unwrap();
    let participate = |who: Who, org: &str, participating| {
        let mut events = server.events();
        let request = pb::SetEventParticipationRequest {
            event_id: event.id.clone(),
            organization_id: org.to_owned(),
            participating,
        };
        let request = server.request(who, request);
        async move { events.set_event_participation(request).await }
    };
    for who in [MANAGER_KSC, TRAINEE] {
        let status = participate(who, "msc", false).await.unwrap_err();
        assert_eq!(status.code(), tonic::Code::PermissionDenied, "{}", who.0);
    }
    let joined = participate(MANAGER_KSC, "ksc", true)
        .await
        .unwrap()
        .into_inner()
        .event
        .unwrap();
    assert_eq!(
        joined.details.unwrap().participating_organization_ids,
        ["ksc", "msc"]
    );
    let by_org = server
        .events()
        .list_events(server.request(
            TRAINEE,
            pb::ListEventsRequest {
                organization_id: "ksc".to_owned(),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .events;
    assert_eq!(by_org.len(), 1);
    let newco = ("newco", "شرکت", "Company", pb::OrganizationKind::Other, "");
    let status = create_organization(&server, MANAGER_KSC, newco)
        .await
        .unwrap_err();
    assert_eq!(status.code(), tonic::Code::PermissionDenied);
}

#[tokio::test]
async fn the_councils_deliberation_is_for_staff_only() {
    let server = TestServer::start().await;
    let course = server.published_course("PR-310").await;
    let as_trainee = get_course(&server, TRAINEE, &course.id)
        .await
        .unwrap()
        .review
        .unwrap();
    assert_eq!(as_trainee.approvals, 2);
    assert!(
        as_trainee.votes.is_empty(),
        "trainees do not see who voted how"
    );
    let as_admin = get_course(&server, ADMIN, &course.id)
        .await
        .unwrap()
        .review
        .unwrap();
    assert_eq!(as_admin.votes.len(), 2);
}

#[tokio::test]
async fn a_cancelled_session_of_an_unpublished_course_stays_hidden() {
    let server = TestServer::start().await;
    let draft = server.create_course("PR-320").await;
    let session = create_session(&server, ADMIN, &draft.id, session_details(5))
        .await
        .unwrap();
    cancel_session(&server, ADMIN, &session.id, "برنامه تغییر کرد")
        .await
        .unwrap();
    let status = get_session(&server, TRAINEE, &session.id)
        .await
        .unwrap_err();
    assert_eq!(status.code(), tonic::Code::NotFound);
    let listed = |who| {
        let mut client = server.sessions();
        let request = server.request(
            who,
            pb::ListSessionsRequest {
                session_ids: vec![session.id.clone()],
                ..Default::default()
            },
        );
        async move { client.list_sessions(request).await.unwrap().into_inner() }
    };
    assert!(listed(TRAINEE).await.sessions.is_empty());
    assert_eq!(listed(ADMIN).await.sessions.len(), 1);
}

#[tokio::test]
async fn trainees_see_a_newly_published_course_within_the_listing_age_and_staff_at_once() {
    let server = TestServer::start().await;
    let codes = |who| {
        let listed = server.list_courses(
            who,
            pb::ListCoursesRequest {
                page_size: 100,
                ..Default::default()
            },
        );
        async move {
            let page = listed.await.unwrap();
            let codes = page.courses.into_iter();
            codes
                .map(|course| course.details.unwrap().code)
                .collect::<Vec<_>>()
        }
    };
    server.published_course("PR-501").await;
    assert_eq!(codes(TRAINEE).await, ["PR-501"]);
    server.published_course("PR-502").await;
    assert!(
        codes(ADMIN).await.contains(&"PR-502".to_owned()),
        "staff read the catalog itself"
    );
    tokio::time::sleep(hamafza_courses::api::PUBLIC_LISTING_AGE).await;
    let seen = codes(TRAINEE).await;
    assert!(
        seen.contains(&"PR-502".to_owned()) && seen.contains(&"PR-501".to_owned()),
        "after the listing age a trainee's page is read again: {seen:?}"
    );
}
