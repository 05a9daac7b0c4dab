//! The calendar's secret per-person address: a calendar app subscribes to it
//! without a browser session, and resetting it shuts the old one.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::*;
use hamafza_testkit::fixtures;
use icalendar::Component;
use reqwest::StatusCode;

/// The feed's path in the page's address field.
fn feed_path(page: &str) -> String {
    let start = page.find("/calendar/feed/").expect("the secret address");
    let end = start + page[start..].find(".ics").expect("an .ics address") + 4;
    page[start..end].to_owned()
}

#[tokio::test]
async fn a_secret_calendar_address_opens_without_a_session_until_it_is_reset() {
    let stack = Stack::start().await;
    let course = fixtures::published_course(&stack, "PR-978", |_| {}).await;
    let session = fixtures::open_session(&stack, &course, |_| {}).await;
    let trainee = stack.browser();
    trainee.sign_in("trainee-msc-1").await;
    let path = format!("/sessions/{}", session.id);
    let (_, page) = trainee.text(&path).await;
    let enrolled = trainee
        .post(
            &format!("{path}/enrol"),
            &[
                ("csrf", &hidden(&page, "csrf")),
                ("request_id", &hidden(&page, "request_id")),
            ],
        )
        .await;
    assert_eq!(enrolled.status(), StatusCode::SEE_OTHER);

    // No address until the person makes one.
    let (status, calendar) = trainee.text("/calendar").await;
    assert_eq!(status, StatusCode::OK);
    assert!(calendar.contains("ساختن نشانی محرمانه"), "{calendar}");
    assert!(!calendar.contains("/calendar/feed/"));
    let csrf = hidden(&calendar, "csrf");
    let forged = trainee.post("/calendar/feed", &[("csrf", "forged")]).await;
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    let made = trainee.post("/calendar/feed", &[("csrf", &csrf)]).await;
    assert_eq!(made.status(), StatusCode::SEE_OTHER);
    let (_, calendar) = trainee.text("/calendar").await;
    let first = feed_path(&calendar);
    assert!(
        calendar.contains("for=\"feed-address\""),
        "the address is labelled"
    );

    // A calendar app, signed out, reads it: the person's sessions, one event
    // per meeting, parsed by a third-party parser.
    let app = stack.browser();
    let feed = app.get(&first).await;
    assert_eq!(feed.status(), StatusCode::OK);
    assert_eq!(
        feed.headers()["content-type"],
        "text/calendar; charset=utf-8"
    );
    assert_eq!(feed.headers()["cache-control"], "no-store");
    let feed = feed.text().await.unwrap();
    let parsed: icalendar::Calendar = feed.parse().expect("a valid iCalendar feed");
    let meetings = parsed
        .components
        .iter()
        .filter_map(|c| c.as_event())
        .filter(|e| e.get_uid().is_some_and(|u| u.contains(&session.id)))
        .count();
    assert!(meetings >= 1, "the enrolled session's meetings: {feed}");

    // Someone else's address is nobody's; a guessed one is not found.
    assert_eq!(
        app.get("/calendar/feed/not-a-secret.ics").await.status(),
        StatusCode::NOT_FOUND
    );
    let other = stack.browser();
    other.sign_in("trainee-ksc-1").await;
    let (_, theirs) = other.text("/calendar").await;
    assert!(
        !theirs.contains(&first),
        "each person has their own address"
    );

    // Resetting makes a new address and shuts the old one at once.
    let again = trainee.post("/calendar/feed", &[("csrf", &csrf)]).await;
    assert_eq!(again.status(), StatusCode::SEE_OTHER);
    let (_, calendar) = trainee.text("/calendar").await;
    let second = feed_path(&calendar);
    assert_ne!(first, second);
    assert_eq!(app.get(&first).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(app.get(&second).await.status(), StatusCode::OK);

    // Signed out, nobody makes one.
    let stranger = stack.browser();
    let refused = stranger.post("/calendar/feed", &[("csrf", "x")]).await;
    assert_eq!(refused.status(), StatusCode::SEE_OTHER);
    assert!(
        refused.headers()["location"]
            .to_str()
            .unwrap()
            .starts_with("/signin"),
        "signed out: sign in first"
    );
}
