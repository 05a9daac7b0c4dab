//! A course says who it is for: an optional bilingual `audience`, stored,
//! returned, changed by a masked update and validated like the description,
//! over real gRPC.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::*;
use hamafza_proto::courses as pb;
use prost_types::FieldMask;

#[tokio::test]
async fn a_course_keeps_who_it_is_for_and_changes_one_language_of_it() {
    let server = TestServer::start().await;
    let mut details = course_details("PR-771");
    details.audience = Some(text(
        "کارشناسان تازه‌کار روابط عمومی",
        "PR staff new to the work",
    ));
    let course = create_course(&server, ADMIN, details).await.unwrap();
    let stored = get_course(&server, ADMIN, &course.id).await.unwrap();
    let audience = stored.details.unwrap().audience.unwrap();
    assert_eq!(audience.fa, "کارشناسان تازه‌کار روابط عمومی");
    assert_eq!(audience.en, "PR staff new to the work");

    // Only the English changes; the Persian and the rest stay.
    server
        .courses()
        .update_course(server.stack.request(
            ADMIN,
            pb::UpdateCourseRequest {
                course_id: course.id.clone(),
                details: Some(pb::CourseDetails {
                    audience: Some(text("", "Spokespeople")),
                    ..Default::default()
                }),
                etag: String::new(),
                update_mask: Some(FieldMask {
                    paths: vec!["audience.en".to_owned()],
                }),
            },
        ))
        .await
        .unwrap();
    let details = get_course(&server, ADMIN, &course.id)
        .await
        .unwrap()
        .details
        .unwrap();
    let audience = details.audience.unwrap();
    assert_eq!(audience.fa, "کارشناسان تازه‌کار روابط عمومی");
    assert_eq!(audience.en, "Spokespeople");
    assert_eq!(details.hours, 12);

    // A course that does not say has no audience at all.
    let silent = create_course(&server, ADMIN, course_details("PR-772"))
        .await
        .unwrap();
    assert!(silent.details.unwrap().audience.is_none());
}

#[tokio::test]
async fn an_audience_too_long_is_refused_by_field_and_nothing_changes() {
    let server = TestServer::start().await;
    let course = create_course(&server, ADMIN, course_details("PR-773"))
        .await
        .unwrap();
    let mut details = course_details("PR-773");
    details.audience = Some(text("کوتاه", &"x".repeat(1001)));
    let status = update_course(&server, ADMIN, &course.id, details)
        .await
        .unwrap_err();
    assert_eq!(status.code(), tonic::Code::InvalidArgument);
    assert_eq!(violated_fields(&status), ["details.audience.en"]);
    let stored = get_course(&server, ADMIN, &course.id).await.unwrap();
    assert!(stored.details.unwrap().audience.is_none());

    // 1000 characters is allowed.
    let mut details = course_details("PR-773");
    details.audience = Some(text(&"ب".repeat(1000), ""));
    let updated = update_course(&server, ADMIN, &course.id, details)
        .await
        .unwrap();
    assert_eq!(
        updated
            .details
            .unwrap()
            .audience
            .unwrap()
            .fa
            .chars()
            .count(),
        1000
    );
}
