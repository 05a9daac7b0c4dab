//! Scale-out: two enrolments processes and two certification processes on
//! one PostgreSQL (each pair sharing its service's database). A burst of
//! enrolments through both never oversubscribes the session, and a burst of
//! completions (each also retried on the other replica) yields exactly one
//! certificate per completion.
//!
//! Needs PostgreSQL (`HAMAFZA_TEST_DATABASE_URL`); on SQLite it says so and
//! passes, as `.ci/run` runs it on PostgreSQL.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod topology;

use std::collections::BTreeSet;
use std::time::Duration;

use hamafza_proto::enrolments as epb;
use hamafza_proto::enrolments::enrolment_service_client::EnrolmentServiceClient;
use hamafza_testkit::{fixtures, with_token};
use tonic::transport::Channel;
use topology::{Topology, certificates, channel, open_session, skip_without_postgres};

const CAPACITY: u32 = 40;
/// The admin's reason for recording the session's meetings, days away.
const AHEAD: &str = fixtures::AHEAD_OF_SCHEDULE;
const TRAINEES: usize = 160;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_replicas_of_enrolments_and_certification_share_one_database() {
    if skip_without_postgres("replicas sharing a database need") {
        return;
    }
    let mut topology = Topology::new(&[]).await;
    assert!(topology.is_postgres());
    topology.start("courses", "courses", &[]).await;
    topology
        .start("certification-a", "certification", &[])
        .await;
    let certification_b = topology
        .start_replica("certification-b", "certification", &[])
        .await;
    topology.start("enrolments-a", "enrolments", &[]).await;
    // Replica b delivers its completions to certification b.
    let enrolments_b = topology
        .start_replica(
            "enrolments-b",
            "enrolments",
            &[("HAMAFZA_CERTIFICATION_URL", certification_b.clone())],
        )
        .await;
    let admin = topology.token("admin", "imidro", &["platform_admin"]);
    let replicas = [
        EnrolmentServiceClient::new(channel(topology.url("enrolments")).await),
        EnrolmentServiceClient::new(channel(enrolments_b).await),
    ];
    let certification = [
        channel(topology.url("certification")).await,
        channel(certification_b).await,
    ];

    // A session of the demo course PR-101 with 40 seats and no quotas, taught
    // by the demo instructor.
    let (session_id, course_id) = open_session(&topology, &admin, CAPACITY, &[]).await;

    // The enrolment burst, alternating replicas.
    let tokens: Vec<(String, String)> = (0..TRAINEES)
        .map(|i| {
            let subject = format!("burst-trainee-{i}");
            let token = topology.token(&subject, "msc", &["trainee"]);
            (subject, token)
        })
        .collect();
    let enrolments = futures::future::join_all(tokens.iter().enumerate().map(|(i, (_, token))| {
        let mut client = replicas[i % 2].clone();
        let session_id = session_id.clone();
        async move {
            client
                .enrol(with_token(
                    token,
                    epb::EnrolRequest {
                        request_id: format!("burst-{i}"),
                        session_id,
                        trainee: None,
                        waive_prerequisites: false,
                    },
                ))
                .await
                .map(|answer| answer.into_inner().enrolment.unwrap())
        }
    }))
    .await;
    let enrolments: Vec<epb::Enrolment> = enrolments
        .into_iter()
        .map(|answer| answer.expect("every enrolment is answered"))
        .collect();
    let confirmed: Vec<&epb::Enrolment> = enrolments
        .iter()
        .filter(|e| e.status() == epb::EnrolmentStatus::Confirmed)
        .collect();
    let waitlisted = enrolments
        .iter()
        .filter(|e| e.status() == epb::EnrolmentStatus::Waitlisted)
        .count();
    assert_eq!(confirmed.len(), CAPACITY as usize, "no oversubscription");
    assert_eq!(waitlisted, TRAINEES - CAPACITY as usize);
    let positions: BTreeSet<u32> = enrolments
        .iter()
        .filter(|e| e.status() == epb::EnrolmentStatus::Waitlisted)
        .map(|e| e.waitlist_position)
        .collect();
    assert_eq!(
        positions,
        (1..=u32::try_from(TRAINEES).unwrap() - CAPACITY).collect(),
        "one waitlist, no gaps or duplicates, across both replicas"
    );

    // Attendance for both meetings (one replica each), then every completion
    // sent to both replicas at once with the same request id.
    for meeting in 0..2u32 {
        replicas[meeting as usize]
            .clone()
            .record_attendance(with_token(
                &admin,
                epb::RecordAttendanceRequest {
                    request_id: format!("attendance-{meeting}"),
                    session_id: session_id.clone(),
                    meeting_index: meeting,
                    marks: confirmed
                        .iter()
                        .map(|e| epb::AttendanceMark {
                            enrolment_id: e.id.clone(),
                            status: epb::AttendanceStatus::Present.into(),
                        })
                        .collect(),
                    override_reason: AHEAD.to_owned(),
                },
            ))
            .await
            .unwrap();
    }
    let completions = futures::future::join_all(confirmed.iter().flat_map(|enrolment| {
        replicas.iter().map(|replica| {
            let mut client = replica.clone();
            let request = epb::CompleteEnrolmentRequest {
                request_id: format!("complete-{}", enrolment.id),
                enrolment_id: enrolment.id.clone(),
                score: Some(88),
                no_show: false,
                override_reason: AHEAD.to_owned(),
            };
            let admin = admin.clone();
            async move { client.complete_enrolment(with_token(&admin, request)).await }
        })
    }))
    .await;
    for answer in completions {
        let enrolment = answer
            .expect("a completion and its retry are both answered")
            .into_inner()
            .enrolment
            .unwrap();
        assert_eq!(enrolment.status(), epb::EnrolmentStatus::Completed);
    }

    // Both certification replicas see the same certificates: one per completion.
    let expected: BTreeSet<String> = confirmed
        .iter()
        .map(|e| e.trainee.as_ref().unwrap().subject.clone())
        .collect();
    let list = |certification: &Channel| certificates(certification.clone(), &admin, &course_id);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        let issued = list(&certification[0]).await;
        if issued.len() >= expected.len() {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "only {} of {} certificates after 60 s",
            issued.len(),
            expected.len()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // Let any duplicate delivery land before counting.
    tokio::time::sleep(Duration::from_secs(2)).await;
    for replica in &certification {
        let issued = list(replica).await;
        let trainees: Vec<String> = issued
            .iter()
            .map(|c| c.trainee.as_ref().unwrap().subject.clone())
            .collect();
        let distinct: BTreeSet<String> = trainees.iter().cloned().collect();
        assert_eq!(
            trainees.len(),
            expected.len(),
            "exactly one certificate per completion"
        );
        assert_eq!(
            distinct, expected,
            "certificates for exactly the completed trainees"
        );
    }
    for replica in &replicas {
        let status = replica
            .clone()
            .get_delivery_status(with_token(&admin, epb::GetDeliveryStatusRequest::default()))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(status.pending_count, 0, "the outbox is drained");
    }

    for (name, status) in topology.stop().await {
        assert!(status.success(), "{name} exited {status} after SIGTERM");
    }
}
