//! The language a signed-in person chooses is theirs, not the browser's:
//! switching with `?lang=` saves it with notifications (best effort: the page
//! never fails for it), and signing in again — in another browser too —
//! brings it back as the language cookie.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{Browser, Stack, Svc, hidden};
use hamafza_kit::auth::Role;
use hamafza_proto::notifications as npb;
use hamafza_proto::notifications::notification_service_client::NotificationServiceClient;
use reqwest::StatusCode;

const TRAINEE: hamafza_testkit::Who = ("trainee-msc-1", "msc", &[Role::Trainee]);

/// The language a page is shown in (its `<html lang>`).
async fn page_language(browser: &Browser, path: &str) -> String {
    let (status, page) = browser.text(path).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let start = page.find("<html lang=\"").expect("an html element") + "<html lang=\"".len();
    page[start..].split('"').next().unwrap().to_owned()
}

/// The stored language, as notifications keeps it.
async fn stored(stack: &Stack) -> String {
    NotificationServiceClient::new(stack.channel(Svc::Notifications))
        .get_my_preferences(stack.request(TRAINEE, npb::GetMyPreferencesRequest {}))
        .await
        .unwrap()
        .into_inner()
        .language
}

/// Signs in and returns the language cookie the sign-in set, if any.
async fn sign_in(browser: &Browser) -> Option<String> {
    let (_, page) = browser.text("/signin").await;
    let csrf = hidden(&page, "csrf");
    let response = browser
        .post("/signin/dev", &[("csrf", &csrf), ("subject", TRAINEE.0)])
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| v.strip_prefix("hamafza_lang="))
        .and_then(|v| v.split(';').next())
        .map(str::to_owned)
}

async fn sign_out(browser: &Browser) {
    let (_, page) = browser.text("/me/learning").await;
    let csrf = hidden(&page, "csrf");
    let response = browser.post("/signout", &[("csrf", &csrf)]).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn the_chosen_language_survives_signing_out_and_in() {
    let mut stack = Stack::start().await;
    let browser = stack.browser();
    assert_eq!(sign_in(&browser).await, None, "nothing chosen yet");
    assert_eq!(page_language(&browser, "/me/learning").await, "fa");
    assert_eq!(stored(&stack).await, "");

    // She switches to English: the page, her preference, and the pages
    // after it.
    assert_eq!(page_language(&browser, "/me/learning?lang=en").await, "en");
    assert_eq!(stored(&stack).await, "en");
    assert_eq!(page_language(&browser, "/me/certificates").await, "en");

    // Signed out, and in again from a fresh browser (no cookie of its own):
    // English again.
    sign_out(&browser).await;
    let fresh = stack.browser();
    assert_eq!(sign_in(&fresh).await.as_deref(), Some("en"));
    assert_eq!(page_language(&fresh, "/me/learning").await, "en");

    // Back to Persian, then signing in again keeps Persian.
    assert_eq!(page_language(&fresh, "/me/learning?lang=fa").await, "fa");
    assert_eq!(stored(&stack).await, "fa");
    sign_out(&fresh).await;
    let third = stack.browser();
    assert_eq!(sign_in(&third).await.as_deref(), Some("fa"));
    assert_eq!(page_language(&third, "/me/learning").await, "fa");

    // With notifications gone the switch still works (it is only not
    // saved), and so does signing in.
    stack.stack.stop(Svc::Notifications).await;
    assert_eq!(page_language(&third, "/me/learning?lang=en").await, "en");
    sign_out(&third).await;
    let fourth = stack.browser();
    assert_eq!(sign_in(&fourth).await, None);
    assert_eq!(page_language(&fourth, "/me/learning").await, "fa");
}
