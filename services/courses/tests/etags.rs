//! No lost updates: every update of a course, program, session, event or
//! organization can be made conditional on an etag (AIP-154) and limited to
//! the fields of an update mask (AIP-134), over real gRPC.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::*;
use hamafza_proto::courses as pb;
use prost_types::FieldMask;
use tonic_types::StatusExt;

fn mask(paths: &[&str]) -> Option<FieldMask> {
    Some(FieldMask {
        paths: paths.iter().map(|path| (*path).to_owned()).collect(),
    })
}

/// The stable reason of a refusal.
fn reason(status: &tonic::Status) -> String {
    status
        .get_error_details()
        .error_info()
        .map(|info| info.reason.clone())
        .unwrap_or_default()
}

/// Asserts that `answer` is the refusal of a stale etag.
#[track_caller]
fn assert_stale<T: std::fmt::Debug>(answer: Result<T, tonic::Status>) {
    let status = answer.expect_err("a stale etag must be refused");
    assert_eq!(status.code(), tonic::Code::Aborted, "{status:?}");
    assert_eq!(reason(&status), "ETAG_MISMATCH");
}

async fn update_session(
    server: &TestServer,
    request: pb::UpdateSessionRequest,
) -> Result<pb::Session, tonic::Status> {
    let reply = server
        .sessions()
        .update_session(server.request(ADMIN, request))
        .await?;
    Ok(reply.into_inner().session.unwrap())
}

async fn planned_session(server: &TestServer, code: &str) -> pb::Session {
    let course = server.create_course(code).await;
    create_session(server, ADMIN, &course.id, session_details(20))
        .await
        .unwrap()
}

#[tokio::test]
async fn of_two_admins_editing_one_session_the_second_is_refused_and_nothing_is_lost() {
    let server = TestServer::start().await;
    let session = planned_session(&server, "PR-701").await;
    let first_read = get_session(&server, ADMIN, &session.id).await.unwrap();
    let second_read = get_session(&server, ADMIN, &session.id).await.unwrap();
    assert!(!first_read.etag.is_empty());
    assert_eq!(first_read.etag, second_read.etag);

    // The first admin raises the capacity.
    let mut first_details = first_read.details.clone().unwrap();
    first_details.capacity = 30;
    let first = update_session(
        &server,
        pb::UpdateSessionRequest {
            session_id: session.id.clone(),
            details: Some(first_details.clone()),
            etag: first_read.etag.clone(),
            update_mask: None,
        },
    )
    .await
    .unwrap();
    assert_ne!(first.etag, first_read.etag, "a change makes a new etag");

    // The second, working from the same read, moves the venue: refused.
    let mut second_details = second_read.details.clone().unwrap();
    second_details.venue = Some(text("اصفهان", "Isfahan"));
    let second_request = pb::UpdateSessionRequest {
        session_id: session.id.clone(),
        details: Some(second_details.clone()),
        etag: second_read.etag.clone(),
        update_mask: None,
    };
    assert_stale(update_session(&server, second_request.clone()).await);

    // The first admin's change is all there is.
    let stored = get_session(&server, ADMIN, &session.id).await.unwrap();
    assert_eq!(stored.details, Some(first_details));
    assert_eq!(stored.etag, first.etag);

    // Read again, the second admin's change goes through on top of it.
    let again = pb::UpdateSessionRequest {
        details: Some(pb::SessionDetails {
            venue: second_details.venue,
            ..stored.details.clone().unwrap()
        }),
        etag: stored.etag.clone(),
        ..second_request
    };
    let both = update_session(&server, again).await.unwrap();
    let both = both.details.unwrap();
    assert_eq!(both.capacity, 30);
    assert_eq!(both.venue, Some(text("اصفهان", "Isfahan")));
}

#[tokio::test]
async fn a_masked_update_changes_only_the_masked_fields() {
    let server = TestServer::start().await;
    let session = planned_session(&server, "PR-702").await;
    let before = session.details.clone().unwrap();

    // Every field of the request differs from the stored one; only the
    // capacity is named.
    let mut other = fixtures::session_details(40, &[("ksc", 3)]);
    other.venue = Some(text("شیراز", "Shiraz"));
    other.online_url = "https://meet.example.org/pr".to_owned();
    other.meetings.truncate(1);
    let updated = update_session(
        &server,
        pb::UpdateSessionRequest {
            session_id: session.id.clone(),
            details: Some(other.clone()),
            etag: String::new(),
            update_mask: mask(&["capacity"]),
        },
    )
    .await
    .unwrap();
    let expected = pb::SessionDetails {
        capacity: 40,
        ..before.clone()
    };
    assert_eq!(updated.details.as_ref(), Some(&expected));
    let stored = get_session(&server, ADMIN, &session.id).await.unwrap();
    assert_eq!(stored.details.as_ref(), Some(&expected));

    // One language of a bilingual text.
    let updated = update_session(
        &server,
        pb::UpdateSessionRequest {
            session_id: session.id.clone(),
            details: Some(other),
            etag: stored.etag.clone(),
            update_mask: mask(&["venue.en"]),
        },
    )
    .await
    .unwrap();
    assert_eq!(
        updated.details,
        Some(pb::SessionDetails {
            venue: Some(text("تهران", "Shiraz")),
            ..expected
        })
    );

    // The merged result is validated as a full update is: masking the
    // capacity without giving one asks for no seats at all.
    let status = update_session(
        &server,
        pb::UpdateSessionRequest {
            session_id: session.id.clone(),
            details: None,
            etag: String::new(),
            update_mask: mask(&["capacity"]),
        },
    )
    .await
    .unwrap_err();
    assert!(
        violated_fields(&status).contains(&"details.capacity".to_owned()),
        "{status:?}"
    );

    // A course: only the Persian title changes.
    let course = server.create_course("PR-703").await;
    let mut details = course_details("ZZ-999");
    details.title = Some(text("روابط رسانه‌ای", "Media Relations"));
    details.hours = 99;
    let request = pb::UpdateCourseRequest {
        course_id: course.id.clone(),
        details: Some(details),
        etag: course.etag.clone(),
        update_mask: mask(&["title.fa"]),
    };
    let updated = server
        .courses()
        .update_course(server.request(ADMIN, request))
        .await
        .unwrap()
        .into_inner()
        .course
        .unwrap();
    let mut expected = course.details.clone().unwrap();
    expected.title = Some(text("روابط رسانه‌ای", "Crisis Communication"));
    assert_eq!(updated.details, Some(expected));
}

#[tokio::test]
async fn unknown_mask_paths_and_malformed_etags_are_invalid_arguments() {
    let server = TestServer::start().await;
    let session = planned_session(&server, "PR-704").await;
    for paths in [
        &["details.capacity"][..],
        &["status"],
        &["capacity", "venue.de"],
    ] {
        let status = update_session(
            &server,
            pb::UpdateSessionRequest {
                session_id: session.id.clone(),
                details: session.details.clone(),
                etag: session.etag.clone(),
                update_mask: mask(paths),
            },
        )
        .await
        .unwrap_err();
        assert_eq!(violated_fields(&status), ["update_mask"], "{paths:?}");
    }
    for etag in ["7", "W/\"1\"", "\"one\""] {
        let status = update_session(
            &server,
            pb::UpdateSessionRequest {
                session_id: session.id.clone(),
                details: session.details.clone(),
                etag: etag.to_owned(),
                update_mask: None,
            },
        )
        .await
        .unwrap_err();
        assert_eq!(violated_fields(&status), ["etag"], "{etag}");
    }
    let request = pb::UpdateOrganizationRequest {
        organization_id: "msc".to_owned(),
        update_mask: mask(&["organization_id"]),
        ..Default::default()
    };
    let status = server
        .organizations()
        .update_organization(server.request(ADMIN, request))
        .await
        .unwrap_err();
    assert_eq!(violated_fields(&status), ["update_mask"]);
    // Nothing was written by any of them.
    let stored = get_session(&server, ADMIN, &session.id).await.unwrap();
    assert_eq!(stored.etag, session.etag);
}

#[tokio::test]
async fn stale_etags_are_refused_on_every_update() {
    let server = TestServer::start().await;

    // Course.
    let course = server.create_course("PR-705").await;
    let request = |hours: u32, etag: &str| pb::UpdateCourseRequest {
        course_id: course.id.clone(),
        details: Some(pb::CourseDetails {
            hours,
            ..course_details("PR-705")
        }),
        etag: etag.to_owned(),
        update_mask: mask(&["hours"]),
    };
    let mut courses = server.courses();
    courses
        .update_course(server.request(ADMIN, request(20, &course.etag)))
        .await
        .unwrap();
    assert_stale(
        courses
            .update_course(server.request(ADMIN, request(30, &course.etag)))
            .await,
    );
    let stored = get_course(&server, ADMIN, &course.id).await.unwrap();
    assert_eq!(stored.details.unwrap().hours, 20);

    // Program.
    let program = fixtures::create_program(
        &server,
        ADMIN,
        fixtures::program_details("PRP-705", &[&course]),
    )
    .await
    .unwrap();
    let request = |fa: &str, etag: &str| pb::UpdateProgramRequest {
        program_id: program.id.clone(),
        details: Some(pb::ProgramDetails {
            title: Some(text(fa, "")),
            ..Default::default()
        }),
        etag: etag.to_owned(),
        update_mask: mask(&["title.fa"]),
    };
    courses
        .update_program(server.request(ADMIN, request("برنامه نو", &program.etag)))
        .await
        .unwrap();
    assert_stale(
        courses
            .update_program(server.request(ADMIN, request("برنامه کهنه", &program.etag)))
            .await,
    );
    let stored = server.admin_program(&program.id).await;
    assert_eq!(
        stored.details.unwrap().title,
        Some(text("برنامه نو", "Integrated program"))
    );

    // Event.
    let mut events = server.events();
    let event = events
        .create_event(server.request(
            ADMIN,
            pb::CreateEventRequest {
                request_id: String::new(),
                details: Some(pb::EventDetails {
                    kind: pb::EventKind::Conference.into(),
                    title: Some(text("همایش روابط عمومی", "PR conference")),
                    description: None,
                    start_time: Some(timestamp(240)),
                    end_time: Some(timestamp(250)),
                    place: Some(text("تهران", "Tehran")),
                    organizer_organization_id: "imidro".to_owned(),
                    participating_organization_ids: vec![],
                    url: String::new(),
                }),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .event
        .unwrap();
    let request = |url: &str, etag: &str| pb::UpdateEventRequest {
        event_id: event.id.clone(),
        details: Some(pb::EventDetails {
            url: url.to_owned(),
            ..Default::default()
        }),
        etag: etag.to_owned(),
        update_mask: mask(&["url"]),
    };
    events
        .update_event(server.request(ADMIN, request("https://a.example.org", &event.etag)))
        .await
        .unwrap();
    assert_stale(
        events
            .update_event(server.request(ADMIN, request("https://b.example.org", &event.etag)))
            .await,
    );
    let stored = server.admin_event(&event.id).await;
    let stored = stored.details.unwrap();
    assert_eq!(stored.url, "https://a.example.org");
    assert_eq!(stored.kind(), pb::EventKind::Conference, "the rest kept");

    // Organization; a change of participation is a change of the event too.
    let mut organizations = server.organizations();
    let get = |id: &str| pb::GetOrganizationRequest {
        organization_id: id.to_owned(),
    };
    let gegh = organizations
        .get_organization(server.request(ADMIN, get("gegh")))
        .await
        .unwrap()
        .into_inner()
        .organization
        .unwrap();
    let request = |en: &str, etag: &str| pb::UpdateOrganizationRequest {
        organization_id: "gegh".to_owned(),
        name: Some(text("", en)),
        etag: etag.to_owned(),
        update_mask: mask(&["name.en"]),
        ..Default::default()
    };
    let renamed = organizations
        .update_organization(server.request(ADMIN, request("Golgohar", &gegh.etag)))
        .await
        .unwrap()
        .into_inner()
        .organization
        .unwrap();
    assert_eq!(renamed.name, Some(text("گل گهر", "Golgohar")));
    assert_eq!(renamed.kind(), pb::OrganizationKind::Mining);
    assert_eq!(renamed.parent_organization_id, "imidro");
    assert_stale(
        organizations
            .update_organization(server.request(ADMIN, request("GEG", &gegh.etag)))
            .await,
    );
    let stored = organizations
        .get_organization(server.request(ADMIN, get("gegh")))
        .await
        .unwrap()
        .into_inner()
        .organization
        .unwrap();
    assert_eq!(stored.name, Some(text("گل گهر", "Golgohar")));
}

#[tokio::test]
async fn status_transitions_and_votes_change_the_etag() {
    let server = TestServer::start().await;
    let course = server.create_course("PR-706").await;
    let submitted = submit_course(&server, ADMIN, &course.id).await.unwrap();
    assert_ne!(submitted.etag, course.etag);
    let voted = review_course(
        &server,
        COUNCIL_A,
        &course.id,
        pb::VoteDecision::Approve,
        "",
    )
    .await
    .unwrap();
    assert_ne!(voted.etag, submitted.etag, "a vote changes the review");
    let approved = review_course(
        &server,
        COUNCIL_B,
        &course.id,
        pb::VoteDecision::Approve,
        "",
    )
    .await
    .unwrap();
    let published = publish_course(&server, ADMIN, &course.id).await.unwrap();
    let etags = [
        &course.etag,
        &submitted.etag,
        &voted.etag,
        &approved.etag,
        &published.etag,
    ];
    for (i, etag) in etags.iter().enumerate() {
        assert!(!etags[..i].contains(etag), "{etags:?}");
    }

    // A session read before it opened cannot be edited with that etag.
    let session = create_session(&server, ADMIN, &course.id, session_details(20))
        .await
        .unwrap();
    let opened = open_planned_session(&server, ADMIN, &session.id)
        .await
        .unwrap();
    assert_ne!(opened.etag, session.etag);
    assert_stale(
        update_session(
            &server,
            pb::UpdateSessionRequest {
                session_id: session.id.clone(),
                details: Some(pb::SessionDetails {
                    capacity: 25,
                    ..Default::default()
                }),
                etag: session.etag.clone(),
                update_mask: mask(&["capacity"]),
            },
        )
        .await,
    );
    let cancelled = cancel_session(&server, ADMIN, &session.id, "برگزار نمی‌شود")
        .await
        .unwrap();
    assert_ne!(cancelled.etag, opened.etag);
}

#[tokio::test]
async fn of_many_concurrent_updates_with_one_etag_exactly_one_succeeds() {
    const WRITERS: u32 = 8;
    let server = TestServer::start().await;
    let session = planned_session(&server, "PR-707").await;
    let updates = (0..WRITERS).map(|i| {
        let request = server.request(
            ADMIN,
            pb::UpdateSessionRequest {
                session_id: session.id.clone(),
                details: Some(pb::SessionDetails {
                    capacity: 100 + i,
                    ..Default::default()
                }),
                etag: session.etag.clone(),
                update_mask: mask(&["capacity"]),
            },
        );
        let mut client = server.sessions();
        tokio::spawn(async move { client.update_session(request).await })
    });
    let answers = futures::future::join_all(updates).await;
    let mut winners = Vec::new();
    for answer in answers {
        match answer.unwrap() {
            Ok(reply) => winners.push(reply.into_inner().session.unwrap()),
            Err(status) => {
                assert_eq!(status.code(), tonic::Code::Aborted, "{status:?}");
                assert_eq!(reason(&status), "ETAG_MISMATCH");
            }
        }
    }
    assert_eq!(winners.len(), 1, "exactly one update wins");
    let stored = get_session(&server, ADMIN, &session.id).await.unwrap();
    assert_eq!(stored.details, winners[0].details);
    assert_eq!(stored.etag, winners[0].etag);
}

#[tokio::test]
async fn rows_stored_before_revisions_start_at_revision_one() {
    // The schema as it shipped before revisions, with one organization in it.
    let (_database, store) = store_with_old_organization(1, ("قدیمی", "Old"), "steel").await;
    let old = store.organization("old").await.unwrap().unwrap();
    assert_eq!(old.revision, 1);
    let wire = hamafza_courses::api::convert::organization_to_wire(old);
    assert_eq!(wire.etag, "\"1\"");
}

#[tokio::test]
async fn concurrent_masked_updates_without_etags_keep_each_others_fields() {
    let server = TestServer::start().await;
    let session = planned_session(&server, "PR-708").await;
    let update = |paths: &[&str], details: pb::SessionDetails| {
        let request = server.request(
            ADMIN,
            pb::UpdateSessionRequest {
                session_id: session.id.clone(),
                details: Some(details),
                etag: String::new(),
                update_mask: mask(paths),
            },
        );
        let mut client = server.sessions();
        tokio::spawn(async move { client.update_session(request).await })
    };
    // Both read the same revision; the one that writes second finds it
    // changed, reads again and merges its field onto the other's change.
    let capacity = update(
        &["capacity"],
        pb::SessionDetails {
            capacity: 33,
            ..Default::default()
        },
    );
    let venue = update(
        &["venue.en"],
        pb::SessionDetails {
            venue: Some(text("", "Tehran, IMIDRO building")),
            ..Default::default()
        },
    );
    capacity.await.unwrap().unwrap();
    venue.await.unwrap().unwrap();
    let stored = get_session(&server, ADMIN, &session.id).await.unwrap();
    let details = stored.details.unwrap();
    assert_eq!(details.capacity, 33);
    assert_eq!(
        details.venue,
        Some(text("تهران", "Tehran, IMIDRO building"))
    );
    assert_eq!(details.quotas, session.details.unwrap().quotas);
}
