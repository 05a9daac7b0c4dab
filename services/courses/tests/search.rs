//! Catalog search compares text as a Persian reader does: Arabic-keyboard
//! letters, ZWNJ or a space or nothing between word parts, Persian or ASCII
//! digits all find the same course, program, event or organization.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::*;
use hamafza_proto::courses as pb;

#[tokio::test]
async fn persian_text_is_found_however_it_was_typed() {
    let server = TestServer::start().await;
    let mut details = course_details("PR-101");
    details.title = Some(text(
        "روابط عمومی و پیام‌رسانی",
        "Public relations and messaging",
    ));
    create_course(&server, ADMIN, details).await.unwrap();
    let mut other = course_details("PR-202");
    other.title = Some(text("عکاسی خبری", "News photography"));
    create_course(&server, ADMIN, other).await.unwrap();

    let find = |text: &str| {
        let server = &server;
        let text = text.to_owned();
        async move {
            server
                .courses()
                .list_courses(server.stack.request(
                    ADMIN,
                    pb::ListCoursesRequest {
                        text,
                        ..Default::default()
                    },
                ))
                .await
                .unwrap()
                .into_inner()
                .courses
                .into_iter()
                .map(|c| c.details.unwrap().code)
                .collect::<Vec<_>>()
        }
    };
    for query in [
        "عمومي", // Arabic yeh
        "عمومی",
        "پیامرسانی",  // without ZWNJ
        "پیام رسانی", // a space for the ZWNJ
        "PR-۱۰۱",     // Persian digits
        "pr101",
        "MESSAGING",
    ] {
        assert_eq!(find(query).await, ["PR-101"], "{query}");
    }
    assert_eq!(find("عكاسي").await, ["PR-202"], "Arabic kaf and yeh");
    assert!(find("100%").await.is_empty());

    // Organizations, by name with Arabic letters.
    let orgs = server
        .organizations()
        .list_organizations(server.stack.request(
            ADMIN,
            pb::ListOrganizationsRequest {
                text: "MSC".to_owned(),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .organizations;
    assert_eq!(orgs.len(), 1);
}

#[tokio::test]
async fn rows_stored_before_search_keys_are_found_after_a_start() {
    use hamafza_courses::Store;
    use hamafza_courses::store::queries::OrganizationFilter;

    // The schema as it was before search keys, with one organization in it.
    let (_database, store) =
        store_with_old_organization(3, ("آلومینیوم قدیمی", "Old Aluminium"), "aluminium").await;
    let search = |store: &Store| {
        let store = store.clone();
        async move {
            store
                .list_organizations(
                    &OrganizationFilter {
                        kind: None,
                        text: Some("قديمي".to_owned()),
                    },
                    None,
                    10,
                )
                .await
                .unwrap()
                .len()
        }
    };
    assert_eq!(search(&store).await, 0, "no key yet");
    assert_eq!(store.fill_search_keys().await.unwrap(), 1);
    assert_eq!(search(&store).await, 1);
    assert_eq!(store.fill_search_keys().await.unwrap(), 0, "once only");
}
