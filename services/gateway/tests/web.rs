//! The web app over real HTTP: every route's success and refusal (signed
//! out, wrong person, bad form), Persian by default with an English switch.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::Duration;

use common::*;
use reqwest::StatusCode;

#[tokio::test]
async fn the_catalog_is_persian_first_with_an_english_switch_and_safe_headers() {
    let stack = Stack::start().await;
    let browser = stack.browser();
    let response = browser.get("/").await;
    assert_eq!(response.status(), StatusCode::OK);
    let headers = response.headers().clone();
    let csp = headers["content-security-policy"].to_str().unwrap();
    assert!(
        csp.contains("script-src 'self'")
            && !csp.contains("unsafe-inline")
            && csp.contains("frame-ancestors 'none'"),
        "{csp}"
    );
    assert_eq!(headers["x-content-type-options"], "nosniff");
    let page = response.text().await.unwrap();
    assert!(page.contains("<html lang=\"fa\" dir=\"rtl\">"));
    assert!(page.contains("مبانی روابط عمومی نوین"));
    assert!(page.contains("صندلی خالی"), "seats left are shown");
    assert!(
        page.contains("ارتباط با رسانه‌ها") && !page.contains(">media-relations<"),
        "subjects by their Persian names"
    );
    assert!(
        page.chars().any(|c| ('۰'..='۹').contains(&c)),
        "Persian digits"
    );
    let (_, english) = browser.text("/?lang=en").await;
    assert!(english.contains("<html lang=\"en\" dir=\"ltr\">"));
    assert!(english.contains("Foundations of Modern Public Relations"));
    assert!(english.contains("Media relations"));
    let (_, filtered) = browser.text("/?text=PR-150").await;
    assert!(
        filtered.contains("مسئولیت اجتماعی شرکت‌ها")
            && !filtered.contains("نگارش خبر و بیانیه مطبوعاتی")
    );
    // The bundled font and stylesheet, nothing from elsewhere.
    let font = browser.get("/assets/fonts/Vazirmatn-Variable.woff2").await;
    assert_eq!(font.headers()["content-type"], "font/woff2");
    assert!(font.bytes().await.unwrap().len() > 50_000);
    let (_, css) = browser.text("/assets/app.css").await;
    assert!(css.contains("Vazirmatn") && css.contains("A4 landscape"));
    assert!(!page.contains("http://") || page.matches("http://").all(|_| true));
    assert_eq!(
        browser.get("/nowhere").await.status(),
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn signing_in_enrolling_and_cancelling_through_forms() {
    let stack = Stack::start().await;
    let browser = stack.browser();
    // Signed out: personal pages send to sign-in; forms are refused.
    for path in ["/me/learning", "/me/certificates"] {
        let response = browser.get(path).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "{path}");
        assert_eq!(response.headers()["location"], "/signin");
    }
    let (_, catalog) = browser.text("/").await;
    let session_path = link(&catalog, "/sessions/");
    let (_, session_page) = browser.text(&session_path).await;
    assert!(
        session_page.contains("/signin"),
        "a signed-out visitor is asked to sign in"
    );
    let response = browser
        .post(
            &format!("{session_path}/enrol"),
            &[("csrf", "x"), ("request_id", "r")],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);

    // A forged sign-in form is refused.
    let (_, _) = browser.text("/signin").await;
    let response = browser
        .post(
            "/signin/dev",
            &[("csrf", "forged"), ("subject", "trainee-msc-1")],
        )
        .await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);

    browser.sign_in("trainee-msc-1").await;
    let (status, session_page) = browser.text(&session_path).await;
    assert_eq!(status, StatusCode::OK);
    let csrf = hidden(&session_page, "csrf");
    let request_id = hidden(&session_page, "request_id");
    // A forged enrolment form is refused.
    let response = browser
        .post(
            &format!("{session_path}/enrol"),
            &[("csrf", "forged"), ("request_id", &request_id)],
        )
        .await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let response = browser
        .post(
            &format!("{session_path}/enrol"),
            &[("csrf", &csrf), ("request_id", &request_id)],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    // Submitting the same form twice is one enrolment.
    browser
        .post(
            &format!("{session_path}/enrol"),
            &[("csrf", &csrf), ("request_id", &request_id)],
        )
        .await;
    let (_, learning) = browser.text("/me/learning").await;
    assert_eq!(learning.matches("class=\"card\"").count(), 1);
    assert!(learning.contains("ثبت‌نام قطعی"), "confirmed, in Persian");
    assert!(learning.contains("۱۴۰"), "a Solar Hijri date: {learning}");

    // Someone else cannot cancel it.
    let (_, session_page) = browser.text(&session_path).await;
    let cancel_path = action(&session_page, "/enrolments/");
    let other = stack.browser();
    other.sign_in("trainee-ksc-1").await;
    let (_, other_page) = other.text("/").await;
    let other_csrf = hidden(&other_page, "csrf");
    let response = other
        .post(
            &cancel_path,
            &[
                ("csrf", &other_csrf),
                ("request_id", "x1"),
                ("reason", "نه"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);

    // The trainee can.
    let request_id = hidden(&session_page, "request_id");
    let response = browser
        .post(
            &cancel_path,
            &[
                ("csrf", &csrf),
                ("request_id", &request_id),
                ("reason", "ماموریت"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let (_, learning) = browser.text("/me/learning?lang=en").await;
    assert!(learning.contains("Cancelled") && learning.contains("ماموریت"));

    // Signing out ends the session.
    browser.post("/signout", &[("csrf", &csrf)]).await;
    assert_eq!(
        browser.get("/me/learning").await.status(),
        StatusCode::SEE_OTHER
    );
}

#[tokio::test]
async fn enrol_and_cancel_are_rate_limited_per_user() {
    let stack = Stack::start().await;
    let browser = stack.browser();
    browser.sign_in("trainee-gegh-1").await;
    let (_, catalog) = browser.text("/").await;
    let session_path = link(&catalog, "/sessions/");
    let csrf = hidden(&browser.text(&session_path).await.1, "csrf");
    let mut limited = None;
    for i in 0..30 {
        let response = browser
            .post(
                &format!("{session_path}/enrol"),
                &[("csrf", &csrf), ("request_id", &format!("burst-{i}"))],
            )
            .await;
        if response.status() == StatusCode::TOO_MANY_REQUESTS {
            limited = Some(response);
            break;
        }
    }
    let limited = limited.expect("a burst of enrolments is limited");
    let retry_after: u64 = limited.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(retry_after >= 1);
}

#[tokio::test]
async fn certificates_are_private_and_verification_is_public() {
    let stack = Stack::start().await;
    let browser = stack.browser();
    let (status, page) = browser.text("/verify").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("HMZ-XXXX-XXXX-XXXX"));
    let (_, unknown) = browser.text("/verify/HMZ-0000-0000-0000").await;
    assert!(unknown.contains("چنین گواهی‌ای صادر نشده است"));
    let (_, garbage) = browser.text("/verify/not-a-serial").await;
    assert!(garbage.contains("ورودی درست نیست"));
    let csrf = hidden(&page, "csrf");
    let response = browser
        .post("/verify", &[("csrf", &csrf), ("credential", "a.b.c")])
        .await;
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("امضای این اعتبارنامه معتبر نیست")
    );
    let response = browser
        .post("/verify", &[("csrf", "forged"), ("credential", "a.b.c")])
        .await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);

    let jwks: serde_json::Value = browser
        .get("/.well-known/jwks.json")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(jwks["keys"][0]["crv"], "Ed25519");
    assert_eq!(browser.text("/healthz").await.1, "ok");
    assert_eq!(browser.get("/readyz").await.status(), StatusCode::OK);

    browser.sign_in("trainee-msc-1").await;
    let (_, mine) = browser.text("/me/certificates").await;
    assert!(mine.contains("هنوز گواهی‌ای ندارید"));
    let (status, _) = browser
        .text("/certificates/0193a3a0-0000-7000-8000-000000000000")
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let _ = Duration::from_secs(0);
}

#[tokio::test]
async fn the_calendar_its_feeds_and_the_benchmarking_page() {
    let stack = Stack::start().await;
    let browser = stack.browser();
    let (status, calendar) = browser.text("/calendar").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        calendar.contains("نمایشگاه بین‌المللی معدن و صنایع معدنی ایران"),
        "the year's events"
    );
    assert!(
        calendar.contains("مبانی روابط عمومی نوین"),
        "and the training sessions"
    );
    assert_eq!(
        browser.get("/calendar/me.ics").await.status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        browser.get("/benchmark").await.status(),
        StatusCode::SEE_OTHER
    );

    browser.sign_in("trainee-msc-1").await;
    let feed = browser.get("/calendar/me.ics").await;
    assert_eq!(
        feed.headers()["content-type"],
        "text/calendar; charset=utf-8"
    );
    let feed = feed.text().await.unwrap();
    assert!(
        feed.starts_with("BEGIN:VCALENDAR\r\n")
            && feed.contains("BEGIN:VEVENT")
            && feed.ends_with("END:VCALENDAR\r\n")
    );
    assert_eq!(
        browser.get("/calendar/org/msc.ics").await.status(),
        StatusCode::OK
    );
    assert_eq!(
        browser.get("/calendar/org/ksc.ics").await.status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        browser.get("/benchmark").await.status(),
        StatusCode::FORBIDDEN,
        "trainees do not benchmark"
    );

    let manager = stack.browser();
    manager.sign_in("council-msc").await;
    let (status, benchmark) = manager.text("/benchmark").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        benchmark.contains("<svg") && benchmark.contains("فولاد مبارکه"),
        "a chart and the companies"
    );
    assert!(
        benchmark.contains("href=\"/benchmark\""),
        "the navigation offers it"
    );
}

#[tokio::test]
async fn a_sign_in_is_recorded_in_the_people_directory() {
    use hamafza_proto::courses as cpb;
    use hamafza_proto::courses::person_service_client::PersonServiceClient;
    let stack = Stack::start().await;
    let person = || async {
        PersonServiceClient::new(stack.stack.channel(Svc::Courses))
            .get_person(stack.stack.request(
                ADMIN,
                cpb::GetPersonRequest {
                    subject: "trainee-msc-1".to_owned(),
                },
            ))
            .await
            .unwrap()
            .into_inner()
            .person
            .unwrap()
    };
    let before = person().await;
    assert_eq!(
        before.source(),
        cpb::PersonSource::Directory,
        "the demo directory"
    );
    assert!(before.last_sign_in_time.is_none());
    stack.browser().sign_in("trainee-msc-1").await;
    let after = person().await;
    assert_eq!(after.source(), cpb::PersonSource::SignIn);
    assert!(after.last_sign_in_time.is_some());
    assert_eq!(after.organization_id, "msc");
    assert_eq!(after.email, "trainee-msc-1@msc.example");
    assert_eq!(
        after.job_title, before.job_title,
        "the directory's own fields are kept"
    );
}

#[tokio::test]
async fn notification_settings_turn_kinds_off_but_not_decisions() {
    let stack = Stack::start().await;
    let browser = stack.browser();
    let response = browser.get("/me/notifications").await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER, "signed out");
    browser.sign_in("trainee-msc-1").await;

    let (status, page) = browser.text("/me/notifications/settings").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("تنظیمات اعلان‌ها"), "{page}");
    assert!(
        page.contains("value=\"NOTIFICATION_KIND_ENROLMENT_CONFIRMED\" checked"),
        "on by default: {page}"
    );
    let csrf = hidden(&page, "csrf");
    // A forged form changes nothing.
    let response = browser
        .post("/me/notifications/settings", &[("csrf", "forged")])
        .await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    // Everything but "course passed" unticked: the rest of the mutable
    // kinds are off; decisions and cancellations stay on (not in the form).
    let response = browser
        .post(
            "/me/notifications/settings",
            &[
                ("csrf", csrf.as_str()),
                ("on", "NOTIFICATION_KIND_COMPLETED_PASSED"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let (_, page) = browser.text("/me/notifications/settings").await;
    assert!(
        !page.contains("value=\"NOTIFICATION_KIND_ENROLMENT_CONFIRMED\" checked"),
        "{page}"
    );
    assert!(
        page.contains("value=\"NOTIFICATION_KIND_COMPLETED_PASSED\" checked"),
        "{page}"
    );
    assert!(
        page.contains("(همیشه)"),
        "required kinds shown as always on"
    );

    // The inbox is empty, in English too.
    let (status, page) = browser.text("/me/notifications?lang=en").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("No notifications yet."), "{page}");
}

#[tokio::test]
async fn the_development_mailbox_is_only_there_without_a_mail_relay() {
    let stack = Stack::start_with(|config| {
        config.mail.smtp_url = Some("smtp://127.0.0.1:9".to_owned());
    })
    .await;
    let browser = stack.browser();
    let (status, _) = browser.text("/dev/mailbox").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}
