//! Bad input is INVALID_ARGUMENT naming every bad field; unknown ids are
//! NOT_FOUND; taken codes are ALREADY_EXISTS; nothing stored is lost.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::*;
use hamafza_proto::common::TimeRange;
use hamafza_proto::courses as pb;
use tonic_types::StatusExt as _;

#[tokio::test]
async fn invalid_course_details_name_every_field() {
    let server = TestServer::start().await;
    let details = pb::CourseDetails {
        code: "PR 101!".to_owned(),
        title: Some(text("", &"x".repeat(201))),
        description: None,
        category: "Media Relations".to_owned(),
        hours: 0,
        delivery_mode: 42,
        passing_score: 101,
        min_attendance_percent: 150,
        certificate_validity_months: Some(0),
        prerequisite_course_ids: vec!["not-an-id".to_owned()],
        requires_manager_approval: false,
        audience: Some(text(&"ب".repeat(1001), "")),
    };
    let status = create_course(&server, ADMIN, details).await.unwrap_err();
    let mut fields = violated_fields(&status);
    fields.sort();
    assert_eq!(
        fields,
        [
            "details.audience.fa",
            "details.category",
            "details.certificate_validity_months",
            "details.code",
            "details.delivery_mode",
            "details.hours",
            "details.min_attendance_percent",
            "details.passing_score",
            "details.prerequisite_course_ids[0]",
            "details.title.en",
            "details.title.fa",
        ]
    );
    let status = server
        .courses()
        .create_course(server.request(
            ADMIN,
            pb::CreateCourseRequest {
                details: None,
                request_id: String::new(),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(violated_fields(&status), ["details"]);
}

#[tokio::test]
async fn unknown_and_malformed_ids() {
    let server = TestServer::start().await;
    let unknown = "0193a3a0-0000-7000-8000-000000000000".to_owned();
    let status = get_course(&server, ADMIN, &unknown).await.unwrap_err();
    assert_eq!(status.code(), tonic::Code::NotFound);
    let status = submit_course(&server, ADMIN, &unknown).await.unwrap_err();
    assert_eq!(status.code(), tonic::Code::NotFound);
    let status = open_planned_session(&server, ADMIN, &unknown)
        .await
        .unwrap_err();
    assert_eq!(status.code(), tonic::Code::NotFound);
    let status = server
        .events()
        .get_event(server.request(
            ADMIN,
            pb::GetEventRequest {
                event_id: unknown.clone(),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(status.code(), tonic::Code::NotFound);
    let status = server
        .organizations()
        .get_organization(server.request(
            ADMIN,
            pb::GetOrganizationRequest {
                organization_id: "nowhere".to_owned(),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(status.code(), tonic::Code::NotFound);
    let status = get_course(&server, ADMIN, "42").await.unwrap_err();
    assert_eq!(violated_fields(&status), ["course_id"]);
    let status = create_session(&server, ADMIN, &unknown, session_details(5))
        .await
        .unwrap_err();
    assert_eq!(status.code(), tonic::Code::NotFound);
}

#[tokio::test]
async fn a_taken_code_is_already_exists_and_the_first_course_is_intact() {
    let server = TestServer::start().await;
    let first = server.create_course("PR-500").await;
    let status = create_course(&server, ADMIN, course_details("pr-500"))
        .await
        .unwrap_err();
    assert_eq!(status.code(), tonic::Code::AlreadyExists);
    let second = server.create_course("PR-501").await;
    let status = update_course(&server, ADMIN, &second.id, course_details("PR-500"))
        .await
        .unwrap_err();
    assert_eq!(status.code(), tonic::Code::AlreadyExists);
    let kept = get_course(&server, ADMIN, &first.id).await.unwrap();
    assert_eq!(kept, first);
    let kept = get_course(&server, ADMIN, &second.id).await.unwrap();
    assert_eq!(kept.details.unwrap().code, "PR-501");
    let duplicate = (
        "msc",
        "تکراری",
        "Duplicate",
        pb::OrganizationKind::Steel,
        "",
    );
    let status = create_organization(&server, ADMIN, duplicate)
        .await
        .unwrap_err();
    assert_eq!(status.code(), tonic::Code::AlreadyExists);
}

#[tokio::test]
async fn session_plans_are_checked_as_a_whole() {
    let server = TestServer::start().await;
    let course = server.published_course("PR-600").await;
    // Meetings out of order, quotas beyond the capacity, enrolment open
    // after the first meeting, no venue.
    let bad_plan = || {
        let mut details = session_details(3);
        details.meetings.swap(0, 1);
        details.quotas = fixtures::quotas(&[("msc", 2), ("ksc", 2)]);
        details.enrolment_window = Some(TimeRange {
            start_time: Some(timestamp(10)),
            end_time: Some(timestamp(100)),
        });
        details.venue = None;
        details
    };
    let mut details = bad_plan();
    details.instructor = None;
    let status = create_session(&server, ADMIN, &course.id, details)
        .await
        .unwrap_err();
    let fields = violated_fields(&status);
    assert!(
        fields.contains(&"details.instructor.subject".to_owned()),
        "{fields:?}"
    );
    // With an instructor, the cross-field rules are reported together.
    let status = create_session(&server, ADMIN, &course.id, bad_plan())
        .await
        .unwrap_err();
    let mut fields = violated_fields(&status);
    fields.sort();
    fields.dedup();
    assert_eq!(
        fields,
        [
            "details.enrolment_window.end_time",
            "details.meetings",
            "details.quotas",
            "details.venue.fa"
        ]
    );
    let unknown_org = pb::SessionDetails {
        quotas: fixtures::quotas(&[("nowhere", 1)]),
        ..session_details(3)
    };
    let status = create_session(&server, ADMIN, &course.id, unknown_org)
        .await
        .unwrap_err();
    assert_eq!(status.code(), tonic::Code::NotFound);
}

#[tokio::test]
async fn bad_list_parameters_are_refused() {
    let server = TestServer::start().await;
    let bad = pb::ListCoursesRequest {
        page_size: -1,
        page_token: "garbage".to_owned(),
        statuses: vec![99],
        ..Default::default()
    };
    let status = server.list_courses(ADMIN, bad).await.unwrap_err();
    let mut fields = violated_fields(&status);
    fields.sort();
    assert_eq!(fields, ["page_size", "page_token", "statuses"]);
}

#[tokio::test]
async fn control_characters_and_far_dates_are_refused() {
    let server = TestServer::start().await;
    let course = server.create_course("PR-700").await;
    submit_course(&server, ADMIN, &course.id).await.unwrap();
    let reject = pb::VoteDecision::Reject;
    let status = review_course(&server, COUNCIL_A, &course.id, reject, "bad\0comment")
        .await
        .unwrap_err();
    assert_eq!(violated_fields(&status), ["comment"]);
    let mut details = session_details(5);
    details.meetings[1].end_time = Some(prost_types::Timestamp {
        seconds: 253_402_300_800,
        nanos: 0,
    });
    let status = create_session(&server, ADMIN, &course.id, details)
        .await
        .unwrap_err();
    assert_eq!(violated_fields(&status), ["details.meetings[1].end_time"]);
    let control = pb::ListCoursesRequest {
        text: "x\0".to_owned(),
        ..Default::default()
    };
    let status = server.list_courses(ADMIN, control).await.unwrap_err();
    assert_eq!(violated_fields(&status), ["text"]);
}

#[tokio::test]
async fn event_participation_checks_the_role_before_the_fields() {
    let server = TestServer::start().await;
    let status = server
        .events()
        .set_event_participation(
            server.request(TRAINEE, pb::SetEventParticipationRequest::default()),
        )
        .await
        .unwrap_err();
    assert_eq!(status.code(), tonic::Code::PermissionDenied, "{status:?}");
}

#[tokio::test]
async fn a_create_call_repeated_under_its_request_id_creates_once() {
    let server = TestServer::start().await;
    let course = server.create_course("PR-777").await;
    // The details are made once: their times are read from the clock, and a
    // repeat a second later must still be the same request.
    let (twenty, thirty) = (session_details(20), session_details(30));
    let request = |request_id: &str, capacity: u32| pb::CreateSessionRequest {
        course_id: course.id.clone(),
        details: Some(if capacity == 20 { &twenty } else { &thirty }.clone()),
        request_id: request_id.to_owned(),
    };
    let create = |request: pb::CreateSessionRequest| {
        let mut client = server.sessions();
        let request = server.request(ADMIN, request);
        async move { client.create_session(request).await }
    };
    // A double click: both calls at once, one session.
    let (first, second) = tokio::join!(
        create(request("double-click-1", 20)),
        create(request("double-click-1", 20))
    );
    let first = first.unwrap().into_inner().session.unwrap();
    let second = second.unwrap().into_inner().session.unwrap();
    assert_eq!(first.id, second.id);
    // A retry after a lost answer: the same session, as it is now.
    let again = create(request("double-click-1", 20)).await.unwrap();
    assert_eq!(again.into_inner().session.unwrap().id, first.id);
    let listed = server
        .sessions()
        .list_sessions(server.request(
            ADMIN,
            pb::ListSessionsRequest {
                course_id: course.id.clone(),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .sessions;
    assert_eq!(listed.len(), 1, "{listed:?}");

    // The same id for another request is refused; a new id creates.
    let reused = create(request("double-click-1", 30)).await.unwrap_err();
    assert_eq!(reused.code(), tonic::Code::FailedPrecondition, "{reused:?}");
    assert_eq!(
        reused.get_error_details().error_info().unwrap().reason,
        "REQUEST_ID_REUSED"
    );
    let other = create(request("double-click-2", 30)).await.unwrap();
    assert_ne!(other.into_inner().session.unwrap().id, first.id);
    let malformed = create(request("not a request id!", 20)).await.unwrap_err();
    assert_eq!(violated_fields(&malformed), ["request_id"]);
    // Without an id each call creates (the contract's older callers).
    let plain = create(request("", 20)).await.unwrap();
    assert_ne!(plain.into_inner().session.unwrap().id, first.id);

    // An event likewise.
    let (start, end) = (timestamp(240), timestamp(300));
    let event = |request_id: &str| pb::CreateEventRequest {
        details: Some(pb::EventDetails {
            kind: pb::EventKind::Exhibition.into(),
            title: Some(text("نمایشگاه معدن", "Mining exhibition")),
            description: None,
            start_time: Some(start),
            end_time: Some(end),
            place: Some(text("تهران", "Tehran")),
            organizer_organization_id: "imidro".to_owned(),
            participating_organization_ids: vec!["msc".to_owned()],
            url: String::new(),
        }),
        request_id: request_id.to_owned(),
    };
    let mut ids = Vec::new();
    for _ in 0..2 {
        let created = server
            .events()
            .create_event(server.request(ADMIN, event("event-once")))
            .await
            .unwrap();
        ids.push(created.into_inner().event.unwrap().id);
    }
    assert_eq!(ids[0], ids[1]);
}

#[tokio::test]
async fn request_ids_past_their_time_are_purged() {
    let gone = hamafza_kit::testing::run_purges::<hamafza_courses::Migrator>(|db| {
        hamafza_courses::Store::new(db).purges(&hamafza_kit::config::WorkersConfig::default())
    })
    .await;
    assert_eq!(gone, 1, "the old request id, and nothing else");
}

#[tokio::test]
async fn a_new_course_or_program_posted_twice_under_its_request_id_is_one() {
    let server = TestServer::start().await;
    let course = |request_id: &str, code: &str| pb::CreateCourseRequest {
        details: Some(course_details(code)),
        request_id: request_id.to_owned(),
    };
    let create_course = |request: pb::CreateCourseRequest| {
        let mut client = server.courses();
        let request = server.request(ADMIN, request);
        async move { client.create_course(request).await }
    };
    // A double click: both at once, one course and no "code taken".
    let (first, second) = tokio::join!(
        create_course(course("new-course-1", "PR-880")),
        create_course(course("new-course-1", "PR-880"))
    );
    let first = first.unwrap().into_inner().course.unwrap();
    assert_eq!(second.unwrap().into_inner().course.unwrap().id, first.id);
    let again = create_course(course("new-course-1", "PR-880"))
        .await
        .unwrap();
    assert_eq!(again.into_inner().course.unwrap().id, first.id);
    // Without an id, the code is taken as before; another request under
    // the same id is refused.
    let taken = create_course(course("", "PR-880")).await.unwrap_err();
    assert_eq!(taken.code(), tonic::Code::AlreadyExists, "{taken:?}");
    let reused = create_course(course("new-course-1", "PR-881"))
        .await
        .unwrap_err();
    assert_eq!(
        reused.get_error_details().error_info().unwrap().reason,
        "REQUEST_ID_REUSED"
    );
    let malformed = create_course(course("not an id!", "PR-882"))
        .await
        .unwrap_err();
    assert_eq!(violated_fields(&malformed), ["request_id"]);

    let program = |request_id: &str| pb::CreateProgramRequest {
        details: Some(hamafza_testkit::fixtures::program_details(
            "PRG-88",
            &[&first],
        )),
        request_id: request_id.to_owned(),
    };
    let create_program = |request: pb::CreateProgramRequest| {
        let mut client = server.courses();
        let request = server.request(ADMIN, request);
        async move { client.create_program(request).await }
    };
    let (one, two) = tokio::join!(
        create_program(program("new-program-1")),
        create_program(program("new-program-1"))
    );
    let one = one.unwrap().into_inner().program.unwrap();
    assert_eq!(two.unwrap().into_inner().program.unwrap().id, one.id);
}
