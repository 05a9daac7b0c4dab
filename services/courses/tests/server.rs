//! The server scaffolding: health, reflection, and a bounded graceful shutdown.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::{Duration, Instant};

use common::*;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;

#[tokio::test]
async fn health_serves_then_shutdown_is_bounded_with_idle_clients() {
    let mut server = TestServer::start().await;
    let mut health = HealthClient::new(server.channel.clone());
    for service in [
        "",
        "hamafza.courses.v1.CourseService",
        "hamafza.courses.v1.SessionService",
    ] {
        let status = health
            .check(HealthCheckRequest {
                service: service.to_owned(),
            })
            .await
            .unwrap()
            .into_inner()
            .status();
        assert_eq!(status, ServingStatus::Serving, "{service}");
    }
    let status = health
        .check(HealthCheckRequest {
            service: "hamafza.nothing.v1.Nothing".to_owned(),
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), tonic::Code::NotFound);

    // An idle client keeps its connection open while the server shuts down.
    let _idle = server.channel.clone();
    let started = Instant::now();
    server.stack.stop(Svc::Courses).await;
    assert!(started.elapsed() < Duration::from_secs(8));
}

#[tokio::test]
async fn health_reports_not_serving_while_draining() {
    let server = TestServer::start_with(|config| config.grpc.shutdown_grace_seconds = 30).await;
    // A health watch stays open across the shutdown: it sees NOT_SERVING.
    let mut health = HealthClient::new(server.channel.clone());
    let mut watch = health
        .watch(HealthCheckRequest {
            service: String::new(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        watch.message().await.unwrap().unwrap().status(),
        ServingStatus::Serving
    );
    server.shutdown();
    let next = tokio::time::timeout(Duration::from_secs(5), watch.message())
        .await
        .expect("a status update");
    let update = next
        .expect("the watch stays open while draining")
        .expect("an update");
    assert_eq!(update.status(), ServingStatus::NotServing);
}

#[tokio::test]
async fn bytes_that_are_no_message_are_the_callers_mistake() {
    let server = TestServer::start().await;
    let token = server.token(ADMIN);
    let malformed: [(&str, Vec<u8>); 4] = [
        ("truncated varint", vec![0x08, 0xff]),
        ("wrong wire type", vec![0x0d, 0x01, 0x02, 0x03, 0x04]),
        ("bad UTF-8 in a string", vec![0x0a, 0x02, 0xc3, 0x28]),
        (
            "random bytes",
            vec![0xff, 0xfe, 0xfd, 0x00, 0x13, 0x37, 0x99],
        ),
    ];
    for path in [
        "/hamafza.courses.v1.CourseService/GetCourse",
        "/hamafza.courses.v1.SessionService/ListSessions",
        "/hamafza.courses.v1.OrganizationService/GetOrganization",
    ] {
        for (what, body) in &malformed {
            let status =
                hamafza_testkit::raw_call(server.channel.clone(), path, body.clone(), &token).await;
            assert_eq!(
                status.code(),
                tonic::Code::InvalidArgument,
                "{what} to {path}: {status:?}"
            );
        }
    }
    // The server is unharmed.
    server
        .courses()
        .list_courses(server.request(ADMIN, hamafza_proto::courses::ListCoursesRequest::default()))
        .await
        .unwrap();
}

#[tokio::test]
async fn past_its_capacity_a_server_refuses_the_excess_at_once() {
    let server = TestServer::start_with(|config| {
        config.grpc.max_concurrent_calls = 1;
        config.grpc.admission_wait_millis = 0;
    })
    .await;
    // One call first: the connection and its HTTP/2 settings are in place
    // before the burst (a burst on a connection still opening can exceed
    // the server's stream limit before the client has heard of it).
    server
        .courses()
        .list_courses(server.request(ADMIN, hamafza_proto::courses::ListCoursesRequest::default()))
        .await
        .unwrap();
    let calls = (0..150).map(|_| {
        let mut courses = server.courses();
        let request = server.request(ADMIN, hamafza_proto::courses::ListCoursesRequest::default());
        async move { courses.list_courses(request).await.map(|_| ()) }
    });
    let answers = futures::future::join_all(calls).await;
    let mut ok = 0;
    let mut refused = 0;
    for answer in answers {
        match answer {
            Ok(()) => ok += 1,
            Err(status) if status.code() == tonic::Code::ResourceExhausted => refused += 1,
            Err(status) => panic!("neither served nor refused: {status:?}"),
        }
    }
    assert!(ok > 0 && refused > 0, "{ok} served, {refused} refused");
    // Health checks are admitted whatever the load.
    let mut health = HealthClient::new(server.channel.clone());
    health
        .check(HealthCheckRequest {
            service: String::new(),
        })
        .await
        .unwrap();
}
