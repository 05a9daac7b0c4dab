//! Keyset pagination neither skips nor repeats, even with inserts between pages.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::HashSet;

use common::*;
use hamafza_proto::courses as pb;

#[tokio::test]
async fn paging_through_courses_while_others_are_added() {
    let server = TestServer::start().await;
    let mut originals = Vec::new();
    for i in 0..10 {
        originals.push(server.create_course(&format!("PR-{i:03}")).await.id);
    }
    let mut seen = Vec::new();
    let mut token = String::new();
    let mut added = 0;
    loop {
        let request = pb::ListCoursesRequest {
            page_size: 3,
            page_token: token.clone(),
            ..Default::default()
        };
        let page = server.list_courses(ADMIN, request).await.unwrap();
        assert!(page.courses.len() <= 3);
        seen.extend(page.courses.into_iter().map(|course| course.id));
        // Someone adds a course between our pages.
        server.create_course(&format!("PR-N{added:02}")).await;
        added += 1;
        if page.next_page_token.is_empty() || added > 20 {
            break;
        }
        token = page.next_page_token;
    }
    let unique: HashSet<&String> = seen.iter().collect();
    assert_eq!(unique.len(), seen.len(), "no course is listed twice");
    for id in &originals {
        assert!(seen.contains(id), "course {id} was skipped");
    }
    assert_eq!(&seen[..originals.len()], &originals[..], "oldest first");
}

#[tokio::test]
async fn filters_combine_with_pages() {
    let server = TestServer::start().await;
    for i in 0..5 {
        let mut details = course_details(&format!("MED-{i}"));
        details.category = "media-relations".to_owned();
        details.title = Some(text(&format!("رسانه {i}"), &format!("Media {i}")));
        create_course(&server, ADMIN, details).await.unwrap();
    }
    server.create_course("CRI-1").await;
    let mut token = String::new();
    let mut codes = Vec::new();
    loop {
        let request = pb::ListCoursesRequest {
            page_size: 2,
            page_token: token,
            category: "media-relations".to_owned(),
            ..Default::default()
        };
        let page = server.list_courses(ADMIN, request).await.unwrap();
        codes.extend(page.courses.into_iter().map(|c| c.details.unwrap().code));
        if page.next_page_token.is_empty() {
            break;
        }
        token = page.next_page_token;
    }
    assert_eq!(codes, ["MED-0", "MED-1", "MED-2", "MED-3", "MED-4"]);
    let by_text = |text: &str| {
        let request = pb::ListCoursesRequest {
            text: text.to_owned(),
            ..Default::default()
        };
        server.list_courses(ADMIN, request)
    };
    assert_eq!(by_text("رسانه 3").await.unwrap().courses.len(), 1);
    assert_eq!(
        by_text("media").await.unwrap().courses.len(),
        5,
        "text search ignores case"
    );
}
