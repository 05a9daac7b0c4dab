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
    let (_, filtered) = browser.text("/?text=PR-150&lang=fa").await;
    let (programs, all_courses) = filtered
        .split_once("<h2>همه دوره‌ها</h2>")
        .expect("the table of courses");
    assert!(
        all_courses.contains("مسئولیت اجتماعی شرکت‌ها")
            && !all_courses.contains("نگارش خبر و بیانیه مطبوعاتی"),
        "the search narrows the courses: {all_courses}"
    );
    // The programs still name every course of theirs, and the subjects
    // offered are all of them, whatever is searched.
    assert!(
        programs.contains("نگارش خبر و بیانیه مطبوعاتی") && !programs.contains("<li> <span"),
        "{programs}"
    );
    let (_, one_subject) = browser.text("/?category=media-relations&lang=fa").await;
    let subjects = one_subject.split("</select>").next().unwrap();
    assert!(
        subjects.matches("<option").count() >= 4 && subjects.contains("selected"),
        "{subjects}"
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
        let back = path.replace('/', "%2F");
        assert_eq!(
            response.headers()["location"],
            format!("/signin?next={back}").as_str()
        );
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

    // Cancelling asks first: the session page links to a confirmation with
    // the reason, and nothing changes until that is sent.
    let (_, session_page) = browser.text(&session_path).await;
    let confirm_path = link(&session_page, "/enrolments/").replace("&amp;", "&");
    assert!(
        confirm_path.contains("/cancel?session_id="),
        "{confirm_path}"
    );
    let (status, confirm) = browser.text(&confirm_path).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        confirm.contains("آیا ثبت‌نام خود را در این دوره لغو می‌کنید؟"),
        "{confirm}"
    );
    assert!(
        confirm.contains(&format!("href=\"{session_path}\"")),
        "a way back"
    );
    let (_, learning) = browser.text("/me/learning").await;
    assert!(
        learning.contains("ثبت‌نام قطعی"),
        "still enrolled after the question"
    );
    let cancel_path = action(&confirm, "/enrolments/");
    let session_page = confirm;
    let other = stack.browser();
    other.sign_in("trainee-ksc-1").await;
    let (status, _) = other.text(&confirm_path).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "nor asked about it");
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

    // The trainee can. A reason the service will not take (blank) brings
    // the question back with what was typed, nothing changed.
    let request_id = hidden(&session_page, "request_id");
    let blank = browser
        .post(
            &cancel_path,
            &[
                ("csrf", &csrf),
                ("request_id", &request_id),
                ("reason", "   "),
                ("session_id", "not-a-session"),
            ],
        )
        .await;
    assert_eq!(blank.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let again = blank.text().await.unwrap();
    assert!(again.contains("دلیل لغو را بنویسید"), "{again}");
    assert_eq!(hidden(&again, "request_id"), request_id);
    let (_, learning) = browser.text("/me/learning").await;
    assert!(learning.contains("ثبت‌نام قطعی"), "not cancelled");
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
    let mut stack = Stack::start().await;
    let browser = stack.browser();
    let (status, page) = browser.text("/verify").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("HMZ-XXXX-XXXX-XXXX"));
    let (_, unknown) = browser.text("/verify/HMZ-0000-0000-0000").await;
    assert!(unknown.contains("چنین گواهی‌ای صادر نشده است"));
    let (_, garbage) = browser.text("/verify/not-a-serial").await;
    assert!(garbage.contains("ورودی درست نیست"));
    // A serial typed with Persian (or Arabic) digits is the same serial.
    let typed = browser
        .get("/verify/serial?serial=HMZ-%DB%B0%DB%B0%DB%B0%DB%B0-%D9%A0%D9%A0%D9%A0%D9%A0-0000")
        .await;
    assert_eq!(
        typed.headers()["location"].to_str().unwrap(),
        "/verify/HMZ-0000-0000-0000"
    );
    let (_, persian) = browser
        .text("/verify/HMZ-%DB%B0%DB%B0%DB%B0%DB%B0-0000-0000")
        .await;
    assert!(persian.contains("چنین گواهی‌ای صادر نشده است"), "{persian}");
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

    // With certification down, the public page says so in the catalogue's
    // words (a 503), never what the gateway was told.
    stack.stack.stop(Svc::Certification).await;
    let (status, down) = browser.text("/verify/HMZ-0000-0000-0000").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(down.contains("سامانه موقتاً در دسترس نیست"), "{down}");
    assert!(
        !down.contains("could not be reached") && !down.contains("tcp connect"),
        "{down}"
    );
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
async fn the_chosen_language_sticks_through_links_and_posts() {
    let stack = Stack::start().await;
    let browser = stack.browser();
    let response = browser.get("/?lang=en&text=PR").await;
    let cookie = response.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(cookie.starts_with("hamafza_lang=en;"), "{cookie}");
    let page = response.text().await.unwrap();
    // The switch keeps the page's own query.
    assert!(page.contains("href=\"/?text=PR&amp;lang=fa\""), "{page}");
    // A later click without ?lang stays English, and so does a form's answer.
    let (_, verify) = browser.text("/verify").await;
    assert!(verify.contains("<html lang=\"en\" dir=\"ltr\">"));
    browser.sign_in("trainee-msc-1").await;
    let (_, learning) = browser.text("/me/learning").await;
    assert!(learning.contains("<html lang=\"en\""), "after a post too");
    let refused = browser.post("/signout", &[("csrf", "not-the-token")]).await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    assert!(refused.text().await.unwrap().contains("<html lang=\"en\""));
    // Switching back is remembered too.
    browser.get("/?lang=fa").await;
    let (_, persian) = browser.text("/me/learning").await;
    assert!(persian.contains("<html lang=\"fa\" dir=\"rtl\">"));
    // Nothing else is taken for a language.
    let odd = browser.get("/?lang=xx").await;
    assert!(odd.headers().get("set-cookie").is_none());
}

#[tokio::test]
async fn signing_in_returns_to_the_page_asked_for_and_errors_show_who_is_signed_in() {
    let stack = Stack::start().await;
    let browser = stack.browser();
    let to_signin = browser.get("/me/certificates?page=1").await;
    assert_eq!(to_signin.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        to_signin.headers()["location"],
        "/signin?next=%2Fme%2Fcertificates%3Fpage%3D1"
    );
    let (_, signin) = browser
        .text("/signin?next=%2Fme%2Fcertificates%3Fpage%3D1")
        .await;
    assert_eq!(hidden(&signin, "next"), "/me/certificates?page=1");
    let csrf = hidden(&signin, "csrf");
    let signed_in = browser
        .post(
            "/signin/dev",
            &[
                ("csrf", &csrf),
                ("subject", "trainee-msc-1"),
                ("next", "/me/certificates?page=1"),
            ],
        )
        .await;
    let location = signed_in.headers().get("location").cloned();
    assert_eq!(
        location,
        Some(reqwest::header::HeaderValue::from_static(
            "/me/certificates?page=1"
        )),
        "{:?}",
        signed_in.text().await
    );
    // A form posted once the session has gone returns to the page the
    // form was on (its address answers only posts), never elsewhere.
    let signed_out = stack.browser();
    let page = format!(
        "{}/sessions/0193a3a0-0000-7000-8000-000000000000",
        stack.base
    );
    for (referer, back) in [
        (
            page.as_str(),
            "/signin?next=%2Fsessions%2F0193a3a0-0000-7000-8000-000000000000",
        ),
        ("https://evil.example/sessions/x", "/signin"),
    ] {
        let posted = signed_out
            .client
            .post(format!("{page}/enrol"))
            .header("referer", referer)
            .form(&[("csrf", "x"), ("request_id", "r1")])
            .send()
            .await
            .unwrap();
        assert_eq!(posted.status(), StatusCode::SEE_OTHER);
        assert_eq!(posted.headers()["location"], back, "{referer}");
    }
    // Signing out of a session that has already gone (its token ran out,
    // say) signs out, rather than calling the form expired.
    let gone = signed_out
        .client
        .post(format!("{}/signout", stack.base))
        .header("cookie", "hamafza_session=0193a3a0000070008000000000000000")
        .form(&[("csrf", "whatever")])
        .send()
        .await
        .unwrap();
    assert_eq!(gone.status(), StatusCode::SEE_OTHER);
    assert_eq!(gone.headers()["location"], "/");
    assert!(
        gone.headers()["set-cookie"]
            .to_str()
            .unwrap()
            .starts_with("hamafza_session=;"),
        "{:?}",
        gone.headers()
    );
    // Another site is never a place to return to.
    for next in [
        "//evil.example/x",
        "https://evil.example/",
        "/\\evil.example",
    ] {
        let other = stack.browser();
        let (_, signin) = other.text("/signin").await;
        let csrf = hidden(&signin, "csrf");
        let response = other
            .post(
                "/signin/dev",
                &[
                    ("csrf", &csrf),
                    ("subject", "trainee-msc-1"),
                    ("next", next),
                ],
            )
            .await;
        assert_eq!(response.headers()["location"], "/", "{next}");
    }
    // A missing page and a refusal keep the signed-in frame.
    let (status, missing) = browser.text("/nowhere").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(missing.contains("action=\"/signout\"") && missing.contains("/me/learning"));
    let (status, refused) = browser.text("/benchmark").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(refused.contains("action=\"/signout\""));
}

#[tokio::test]
async fn benchmarking_by_jalali_period_with_downloads() {
    let stack = Stack::start().await;
    let manager = stack.browser();
    manager.sign_in("council-msc").await;
    let (status, all) = manager.text("/benchmark").await;
    assert_eq!(status, StatusCode::OK);
    assert!(all.contains("id=\"benchmark-year\"") && all.contains("label for=\"benchmark-year\""));
    // A year long past has no enrolments: every company says "no data".
    let (status, empty) = manager.text("/benchmark?year=1400&quarter=1").await;
    assert_eq!(status, StatusCode::OK);
    assert!(empty.contains("بدون داده"), "{empty}");
    assert!(!empty.contains("data-role=\"bar\""), "no 0 % bars");
    assert!(empty.contains("href=\"/benchmark?year=1400&amp;quarter=1&amp;format=csv\""));
    let (status, bad) = manager.text("/benchmark?year=abc").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(bad.contains("سال را از فهرست انتخاب کنید"));
    let (status, _) = manager.text("/benchmark?year=1405&quarter=9").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let csv = manager.get("/benchmark?format=csv&lang=en").await;
    assert_eq!(csv.status(), StatusCode::OK);
    assert!(
        csv.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains("benchmark-all.csv")
    );
    let csv = csv.text().await.unwrap();
    assert!(
        csv.contains("Organization,People trained") && csv.contains("Mobarakeh"),
        "{csv}"
    );
    let xlsx = manager.get("/benchmark?year=1405&format=xlsx").await;
    assert_eq!(xlsx.status(), StatusCode::OK);
    assert!(xlsx.bytes().await.unwrap().starts_with(b"PK"));
}

#[tokio::test]
async fn the_month_view_and_a_feed_with_one_event_per_meeting() {
    use hamafza_testkit::fixtures;
    use icalendar::Component;
    let stack = Stack::start().await;
    // A course of one seat over two meetings: the first to enrol holds the
    // seat, the second waits.
    let course = fixtures::published_course(&stack, "PR-977", |_| {}).await;
    let session = fixtures::open_session(&stack, &course, |details| details.capacity = 1).await;
    let path = format!("/sessions/{}", session.id);
    let mut feeds = Vec::new();
    for subject in ["trainee-msc-1", "trainee-ksc-1"] {
        let browser = stack.browser();
        browser.sign_in(subject).await;
        let (_, page) = browser.text(&path).await;
        let response = browser
            .post(
                &format!("{path}/enrol"),
                &[
                    ("csrf", &hidden(&page, "csrf")),
                    ("request_id", &hidden(&page, "request_id")),
                ],
            )
            .await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        feeds.push(browser.get("/calendar/me.ics").await.text().await.unwrap());
    }
    for (feed, status) in feeds.iter().zip(["CONFIRMED", "TENTATIVE"]) {
        let parsed: icalendar::Calendar = feed.parse().expect("a valid iCalendar feed");
        let meetings: Vec<&icalendar::Event> = parsed
            .components
            .iter()
            .filter_map(|c| c.as_event())
            .filter(|e| e.get_uid().is_some_and(|u| u.contains(&session.id)))
            .collect();
        assert_eq!(meetings.len(), 2, "one event per meeting: {feed}");
        let uids: Vec<&str> = meetings.iter().filter_map(|e| e.get_uid()).collect();
        assert_eq!(
            uids,
            [
                format!("session-{}-meeting-1@hamafza", session.id),
                format!("session-{}-meeting-2@hamafza", session.id)
            ]
        );
        for meeting in &meetings {
            assert_eq!(meeting.property_value("STATUS"), Some(status), "{feed}");
            assert!(
                meeting
                    .get_summary()
                    .is_some_and(|s| s.contains("(۱/۲)") || s.contains("(۲/۲)"))
            );
        }
    }

    // The month grid: this Jalali month, Saturday first, with navigation.
    let browser = stack.browser();
    let (status, month) = browser.text("/calendar?month=1405-09").await;
    assert_eq!(status, StatusCode::OK);
    assert!(month.contains("آذر ۱۴۰۵"), "{month}");
    assert!(
        month.contains("href=\"/calendar?month=1405-08\"")
            && month.contains("href=\"/calendar?month=1405-10\"")
    );
    let saturday = month.find("شنبه").unwrap();
    assert!(saturday < month.find("جمعه").unwrap());
    // 1 Azar 1405 is a Sunday: one empty cell before it.
    let grid = &month[month.find("<tbody>").unwrap()..];
    assert!(
        grid.starts_with("<tbody><tr><td class=\"outside\"></td><td"),
        "{grid}"
    );
    let (_, english) = browser.text("/calendar?month=1405-12&lang=en").await;
    assert!(
        english.contains("Esfand 1405") && english.contains("href=\"/calendar?month=1406-01\"")
    );
    let (status, _) = browser.text("/calendar?month=1405-13").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    // A month gone by still shows what took place in it; the list below
    // the grid holds only what has not ended.
    use hamafza_proto::courses as cpb;
    let past = |days: i64| prost_types::Timestamp {
        seconds: chrono::Utc::now().timestamp() - days * 86_400,
        nanos: 0,
    };
    hamafza_proto::courses::event_service_client::EventServiceClient::new(
        stack.stack.channel(Svc::Courses),
    )
    .create_event(stack.stack.request(
        ADMIN,
        cpb::CreateEventRequest {
            request_id: String::new(),
            details: Some(cpb::EventDetails {
                kind: cpb::EventKind::Conference.into(),
                title: Some(hamafza_proto::common::LocalizedText {
                    fa: "همایش سال گذشته".to_owned(),
                    en: "Last year's conference".to_owned(),
                }),
                start_time: Some(past(75)),
                end_time: Some(past(74)),
                place: Some(hamafza_proto::common::LocalizedText {
                    fa: "تهران".to_owned(),
                    en: "Tehran".to_owned(),
                }),
                organizer_organization_id: "imidro".to_owned(),
                ..Default::default()
            }),
        },
    ))
    .await
    .unwrap();
    let (_, then) =
        hamafza_kit::jalali::tehran_date(chrono::Utc::now() - chrono::Duration::days(75));
    let then = then.unwrap();
    let (_, that_month) = browser
        .text(&format!(
            "/calendar?month={}-{:02}&lang=fa",
            then.year, then.month
        ))
        .await;
    let (grid, list) = that_month.split_once("</section>").unwrap();
    assert!(grid.contains("همایش سال گذشته"), "{grid}");
    assert!(!list.contains("همایش سال گذشته"), "{list}");
}

#[tokio::test]
async fn a_course_page_and_what_a_session_asks_before_the_click() {
    use hamafza_testkit::fixtures;
    use hamafza_testkit::people::INSTRUCTOR;
    let stack = Stack::start().await;
    let basics = fixtures::published_course(&stack, "PR-971", |_| {}).await;
    let advanced = fixtures::published_course(&stack, "PR-972", |details| {
        details.prerequisite_course_ids = vec![basics.id.clone()];
        details.requires_manager_approval = true;
    })
    .await;
    // Under way: attendance is taken once meetings have begun.
    let basics_session = fixtures::open_session(&stack, &basics, fixtures::under_way).await;
    let advanced_session = fixtures::open_session(&stack, &advanced, |_| {}).await;

    // Anyone: the course's facts and its sessions, no personal marks.
    let browser = stack.browser();
    let (status, course) = browser.text(&format!("/courses/{}", advanced.id)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        course.contains("PR-972") && course.contains("۱۲ ساعت"),
        "{course}"
    );
    assert!(
        course.contains("نمره دست‌کم ۷۰") && course.contains("۵۰٪"),
        "{course}"
    );
    assert!(
        course.contains(&format!("href=\"/courses/{}\"", basics.id)),
        "the prerequisite"
    );
    assert!(course.contains(&format!("href=\"/sessions/{}\"", advanced_session.id)));
    assert!(
        course.contains("پس از تأیید مدیر روابط عمومی"),
        "the approval, said first"
    );
    assert!(!course.contains("نگذرانده‌اید"));
    for missing in [
        "/courses/not-a-uuid",
        "/courses/00000000-0000-7000-8000-000000000000",
    ] {
        assert_eq!(
            browser.text(missing).await.0,
            StatusCode::NOT_FOUND,
            "{missing}"
        );
    }

    // A trainee without the prerequisite is told before enrolling.
    browser.sign_in("trainee-msc-1").await;
    let (_, session) = browser
        .text(&format!("/sessions/{}", advanced_session.id))
        .await;
    assert!(session.contains("نگذرانده‌اید") && session.contains("درخواست شما پذیرفته نمی‌شود"));
    assert!(session.contains(&format!("href=\"/courses/{}\"", advanced.id)));

    // Once they fail the basics, "my learning" says why; once they pass a
    // later session of it, the advanced session shows the prerequisite done.
    let (_, page) = browser
        .text(&format!("/sessions/{}", basics_session.id))
        .await;
    let enrolled = browser
        .post(
            &format!("/sessions/{}/enrol", basics_session.id),
            &[
                ("csrf", &hidden(&page, "csrf")),
                ("request_id", &hidden(&page, "request_id")),
            ],
        )
        .await;
    assert_eq!(enrolled.status(), StatusCode::SEE_OTHER);
    let enrolment = fixtures::enrolments_in(&stack, &basics_session.id)
        .await
        .remove(0);
    let failed = fixtures::attend_and_complete(
        &stack,
        INSTRUCTOR,
        &basics_session,
        &enrolment.id,
        Some(40),
        "f",
    )
    .await;
    assert_eq!(
        failed.status(),
        hamafza_proto::enrolments::EnrolmentStatus::Failed
    );
    let (_, learning) = browser.text("/me/learning").await;
    assert!(
        learning.contains("دلیل قبول نشدن: نمرهٔ ۴۰ کمتر از نمرهٔ قبولی ۷۰"),
        "{learning}"
    );
    let (_, english) = browser.text("/me/learning?lang=en").await;
    assert!(
        english.contains("Why not passed: score 40 below the passing score 70"),
        "{english}"
    );

    const SARA: hamafza_testkit::Who =
        ("trainee-msc-1", "msc", &[hamafza_kit::auth::Role::Trainee]);
    let again = fixtures::open_session(&stack, &basics, fixtures::under_way).await;
    fixtures::pass(&stack, SARA, &again, "p").await;
    let (_, session) = browser
        .text(&format!("/sessions/{}?lang=fa", advanced_session.id))
        .await;
    assert!(
        session.contains("گذرانده‌اید") && !session.contains("نگذرانده‌اید"),
        "{session}"
    );
    assert!(!session.contains("درخواست شما پذیرفته نمی‌شود"));
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
