//! The back office over real HTTP: a course refused for a bad field comes
//! back with the words beside that field; created properly it goes to the
//! council; a session with two meetings typed as Jalali dates (Persian and
//! Latin digits) and a company quota is created and opened; two admins edit
//! it from the same version and the second is shown what changed while the
//! first's change stays. Someone who is not an admin gets a 403 page.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use chrono::{Datelike, Duration, Utc};
use common::*;
use hamafza_kit::jalali;
use hamafza_proto::courses as cpb;
use hamafza_testkit::people::{COUNCIL_A, COUNCIL_B, TRAINEE_KSC, TRAINEE_MSC};
use reqwest::StatusCode;

/// The demo's platform admin and trainee on the development sign-in page.
const ADMIN_SUBJECT: &str = "admin";
const TRAINEE_SUBJECT: &str = "trainee-msc-1";

/// An attribute value as the page escapes it, read back.
fn unescape(value: &str) -> String {
    value
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// The Jalali date `days` from now in Tehran, `1405/10/20`.
fn jalali_in(days: i64) -> String {
    let tehran = Utc::now() + Duration::days(days) + Duration::minutes(210);
    let j = jalali::to_jalali(
        tehran.year(),
        u8::try_from(tehran.month()).unwrap(),
        u8::try_from(tehran.day()).unwrap(),
    )
    .unwrap();
    format!("{:04}/{:02}/{:02}", j.year, j.month, j.day)
}

/// The course form's fields, with `code`.
fn course_form<'a>(csrf: &'a str, code: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("csrf", csrf),
        ("details.code", code),
        ("details.title.fa", "روابط رسانه‌ای در بحران"),
        ("details.title.en", "Media relations in a crisis"),
        ("details.description.fa", "رفتار با رسانه‌ها هنگام بحران."),
        (
            "details.description.en",
            "Dealing with the media in a crisis.",
        ),
        ("details.category", "media-relations"),
        ("details.hours", "۱۲"),
        ("details.delivery_mode", "in-person"),
        ("details.passing_score", "60"),
        ("details.min_attendance_percent", "80"),
        ("details.certificate_validity_months", "24"),
    ]
}

/// The session form's fields: two meetings, venue, instructor, capacity,
/// a quota for msc.
fn session_form(
    csrf: &str,
    course_id: &str,
    etag: Option<&str>,
    (first_day, second_day): (&str, &str),
    capacity: &str,
    venue_fa: &str,
) -> Vec<(String, String)> {
    let mut form: Vec<(String, String)> = vec![
        ("csrf".into(), csrf.into()),
        ("course_id".into(), course_id.into()),
        ("meeting.0.date".into(), jalali::persian_digits(first_day)),
        ("meeting.0.start".into(), "۰۹:۰۰".into()),
        ("meeting.0.end".into(), "۱۲:۳۰".into()),
        ("meeting.1.date".into(), second_day.into()),
        ("meeting.1.start".into(), "09:00".into()),
        ("meeting.1.end".into(), "12:30".into()),
        ("meeting.2.date".into(), String::new()),
        ("meeting.2.start".into(), String::new()),
        ("meeting.2.end".into(), String::new()),
        ("details.venue.fa".into(), venue_fa.into()),
        ("details.venue.en".into(), "IMIDRO hall, Tehran".into()),
        ("details.online_url".into(), String::new()),
        ("details.instructor".into(), "instructor-rahimi".into()),
        ("details.capacity".into(), capacity.into()),
        ("quota.msc".into(), "۵".into()),
        ("quota.ksc".into(), String::new()),
        ("window.start.date".into(), jalali_in(-1)),
        ("window.start.time".into(), "08:00".into()),
        ("window.end.date".into(), jalali_in(30)),
        ("window.end.time".into(), "۱۸:۰۰".into()),
    ];
    if let Some(etag) = etag {
        form.push(("etag".into(), etag.into()));
    }
    form
}

async fn post_pairs(browser: &Browser, path: &str, form: &[(String, String)]) -> reqwest::Response {
    let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    browser.post(path, &pairs).await
}

/// `form` with its meeting rows replaced by `count` weekly meetings.
fn with_weekly_meetings(form: &[(String, String)], count: i64) -> Vec<(String, String)> {
    let mut form: Vec<(String, String)> = form
        .iter()
        .filter(|(key, _)| !key.starts_with("meeting."))
        .cloned()
        .collect();
    for week in 0..count {
        let i = week.to_string();
        form.push((format!("meeting.{i}.date"), jalali_in(40 + 7 * week)));
        form.push((format!("meeting.{i}.start"), "09:00".into()));
        form.push((format!("meeting.{i}.end"), "11:00".into()));
    }
    form
}

#[tokio::test]
async fn a_session_of_a_year_of_weekly_meetings_keeps_every_meeting() {
    let stack = Stack::start().await;
    let course = fixtures::published_course(&stack, "PR-881", |_| {}).await;
    let admin = stack.browser();
    admin.sign_in(ADMIN_SUBJECT).await;
    let (_, new_session) = admin
        .text(&format!("/admin/sessions/new?course={}", course.id))
        .await;
    let csrf = hidden(&new_session, "csrf");
    let days = (jalali_in(40), jalali_in(41));
    let form = session_form(&csrf, &course.id, None, (&days.0, &days.1), "20", "سالن");
    let created = post_pairs(
        &admin,
        "/admin/sessions/new",
        &with_weekly_meetings(&form, 60),
    )
    .await;
    assert_eq!(created.status(), StatusCode::SEE_OTHER);
    let location = created.headers()["location"].to_str().unwrap().to_owned();
    let session_id = location
        .trim_start_matches("/admin/sessions/")
        .split('?')
        .next()
        .unwrap()
        .to_owned();
    let meetings = async |stack: &Stack| {
        let session = fixtures::get_session(stack, ADMIN, &session_id)
            .await
            .unwrap();
        session.details.unwrap().meetings.len()
    };
    assert_eq!(meetings(&stack).await, 60, "every row, past the 50th too");

    // The edit page offers all sixty; saving it keeps them.
    let (_, edit) = admin.text(&location).await;
    assert!(edit.contains("name=\"meeting.59.date\""), "{edit}");
    let etag = unescape(&hidden(&edit, "etag"));
    let form = session_form(
        &csrf,
        &course.id,
        Some(&etag),
        (&days.0, &days.1),
        "25",
        "سالن",
    );
    let saved = post_pairs(&admin, &location, &with_weekly_meetings(&form, 60)).await;
    assert_eq!(saved.status(), StatusCode::SEE_OTHER);
    assert_eq!(meetings(&stack).await, 60);

    // More than the service takes: said beside the meetings, nothing saved.
    let (_, edit) = admin.text(&location).await;
    let etag = unescape(&hidden(&edit, "etag"));
    let form = session_form(
        &csrf,
        &course.id,
        Some(&etag),
        (&days.0, &days.1),
        "25",
        "سالن",
    );
    let refused = post_pairs(&admin, &location, &with_weekly_meetings(&form, 101)).await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = refused.text().await.unwrap();
    assert!(page.contains("حداکثر ۱۰۰ جلسه"), "{page}");
    assert_eq!(meetings(&stack).await, 60);
}

#[tokio::test]
async fn an_admin_creates_a_course_and_a_session_and_a_stale_edit_is_shown_what_changed() {
    let stack = Stack::start().await;

    // Not for trainees.
    let trainee = stack.browser();
    trainee.sign_in(TRAINEE_SUBJECT).await;
    let (status, refused) = trainee.text("/admin").await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{refused}");
    assert!(refused.contains("دسترسی ندارید"), "{refused}");
    let (_, home) = trainee.text("/").await;
    assert!(
        !home.contains("href=\"/admin\""),
        "no back office link for a trainee"
    );

    let admin = stack.browser();
    admin.sign_in(ADMIN_SUBJECT).await;
    let (status, overview) = admin.text("/admin").await;
    assert_eq!(status, StatusCode::OK, "{overview}");
    assert!(
        overview.contains("href=\"/admin\""),
        "the navigation names the back office"
    );
    assert!(
        overview.contains("صندوق ارسال"),
        "the outbox's status: {overview}"
    );

    // A course with a bad code comes back with the words beside the code.
    let (_, form) = admin.text("/admin/courses/new").await;
    let csrf = hidden(&form, "csrf");
    let request_id = hidden(&form, "request_id");
    let mut bad = course_form(&csrf, "not a code");
    bad.push(("request_id", &request_id));
    let refused = admin.post("/admin/courses/new", &bad).await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = refused.text().await.unwrap();
    assert_eq!(
        hidden(&page, "request_id"),
        request_id,
        "kept through a refusal"
    );
    let beside = page
        .split("id=\"details.code-error\"")
        .nth(1)
        .unwrap_or_else(|| panic!("no problem beside the code: {page}"));
    assert!(beside.starts_with(">کد لازم است"), "{beside}");
    assert!(
        page.contains("value=\"روابط رسانه‌ای در بحران\""),
        "what was typed is kept"
    );
    assert!(!page.contains("details.code must"), "no service English");

    // Created properly (a double click makes one course, and neither click
    // is told its code is taken), then sent to the council.
    let mut good = course_form(&csrf, "PR-777");
    good.push(("request_id", &request_id));
    let (created, twice) = tokio::join!(
        admin.post("/admin/courses/new", &good),
        admin.post("/admin/courses/new", &good)
    );
    assert_eq!(created.status(), StatusCode::SEE_OTHER);
    assert_eq!(twice.status(), StatusCode::SEE_OTHER);
    let location = created.headers()["location"].to_str().unwrap().to_owned();
    assert_eq!(twice.headers()["location"].to_str().unwrap(), location);
    let course_id = location
        .trim_start_matches("/admin/courses/")
        .split('?')
        .next()
        .unwrap()
        .to_owned();
    let (_, edit) = admin.text(&location).await;
    assert!(edit.contains("ایجاد شد"), "{edit}");
    let again = admin
        .post("/admin/courses/new", &course_form(&csrf, "PR-777"))
        .await;
    assert_eq!(again.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = again.text().await.unwrap();
    assert!(
        page.contains("id=\"details.code-error\">این کد پیش‌تر ثبت شده است"),
        "a taken code, beside the code: {page}"
    );
    assert!(
        edit.contains("value=\"۱۲\"") || edit.contains("value=\"12\""),
        "{edit}"
    );
    let submitted = admin
        .post(
            &format!("/admin/courses/{course_id}/submit"),
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(submitted.status(), StatusCode::SEE_OTHER);
    let course = fixtures::get_course(&stack, ADMIN, &course_id)
        .await
        .unwrap();
    assert_eq!(course.status(), cpb::CatalogStatus::Submitted);
    assert_eq!(course.details.unwrap().hours, 12, "Persian digits read");

    // The council approves (over gRPC); the admin publishes.
    for member in [COUNCIL_A, COUNCIL_B] {
        fixtures::review_course(&stack, member, &course_id, cpb::VoteDecision::Approve, "")
            .await
            .unwrap();
    }
    let published = admin
        .post(
            &format!("/admin/courses/{course_id}/publish"),
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(published.status(), StatusCode::SEE_OTHER);

    // A session: two meetings in Jalali dates, a quota for msc.
    let days = (jalali_in(40), jalali_in(41));
    let (_, new_session) = admin
        .text(&format!("/admin/sessions/new?course={course_id}"))
        .await;
    assert!(new_session.contains("instructor-rahimi"), "{new_session}");
    let bad = session_form(
        &csrf,
        &course_id,
        None,
        ("1405/13/01", &days.1),
        "20",
        "سالن همایش ایمیدرو",
    );
    // The form carries a request id, kept through a refusal.
    let request_id = hidden(&new_session, "request_id");
    let mut bad = bad;
    bad.push(("request_id".to_owned(), request_id.clone()));
    let refused = post_pairs(&admin, "/admin/sessions/new", &bad).await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = refused.text().await.unwrap();
    assert!(
        page.contains("id=\"meeting.0.date-error\">تاریخ را به‌صورت"),
        "a date that is not one: {page}"
    );
    assert_eq!(hidden(&page, "request_id"), request_id);
    let mut form = session_form(
        &csrf,
        &course_id,
        None,
        (&days.0, &days.1),
        "20",
        "سالن همایش ایمیدرو",
    );
    form.push(("request_id".to_owned(), request_id));
    // A double click: two posts of the form, one session.
    let (created, twice) = tokio::join!(
        post_pairs(&admin, "/admin/sessions/new", &form),
        post_pairs(&admin, "/admin/sessions/new", &form)
    );
    assert_eq!(
        created.status(),
        StatusCode::SEE_OTHER,
        "{}",
        created.text().await.unwrap()
    );
    let location = created.headers()["location"].to_str().unwrap().to_owned();
    assert_eq!(twice.headers()["location"].to_str().unwrap(), location);
    let session_id = location
        .trim_start_matches("/admin/sessions/")
        .split('?')
        .next()
        .unwrap()
        .to_owned();
    let session = fixtures::get_session(&stack, ADMIN, &session_id)
        .await
        .unwrap();
    let details = session.details.clone().unwrap();
    assert_eq!(details.meetings.len(), 2);
    let first = hamafza_kit::time::from_timestamp(details.meetings[0].start_time.as_ref().unwrap())
        .unwrap();
    let shown = jalali::show(first);
    assert_eq!(
        shown.jalali_short,
        jalali::persian_digits(&{
            let (y, m, d) = {
                let mut parts = days.0.split('/').map(|p| p.parse::<u32>().unwrap());
                (
                    parts.next().unwrap(),
                    parts.next().unwrap(),
                    parts.next().unwrap(),
                )
            };
            format!("{y}/{m}/{d}")
        })
    );
    assert_eq!(
        (first + Duration::minutes(210)).format("%H:%M").to_string(),
        "09:00",
        "09:00 in Tehran"
    );
    assert_eq!(details.quotas.len(), 1);
    assert_eq!(
        (
            details.quotas[0].organization_id.as_str(),
            details.quotas[0].seats
        ),
        ("msc", 5)
    );
    assert_eq!(details.instructor.unwrap().subject, "instructor-rahimi");

    let opened = admin
        .post(
            &format!("/admin/sessions/{session_id}/open"),
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(opened.status(), StatusCode::SEE_OTHER);
    let session = fixtures::get_session(&stack, ADMIN, &session_id)
        .await
        .unwrap();
    assert_eq!(session.status(), cpb::SessionStatus::Open);

    // Two admins open the same session; the first saves capacity 25, the
    // second (from the same version) capacity 30 and another venue.
    let other = stack.browser();
    other.sign_in(ADMIN_SUBJECT).await;
    let (_, first_page) = admin.text(&format!("/admin/sessions/{session_id}")).await;
    let (_, second_page) = other.text(&format!("/admin/sessions/{session_id}")).await;
    let etag = unescape(&hidden(&first_page, "etag"));
    assert_eq!(etag, unescape(&hidden(&second_page, "etag")));
    assert!(first_page.contains("کسی ثبت‌نام نکرده است"), "{first_page}");
    assert!(
        first_page.contains(r#"name="reason" required maxlength="2000""#),
        "{first_page}"
    );
    let first_edit = session_form(
        &csrf,
        &course_id,
        Some(&etag),
        (&days.0, &days.1),
        "25",
        "سالن همایش ایمیدرو",
    );
    let saved = post_pairs(
        &admin,
        &format!("/admin/sessions/{session_id}"),
        &first_edit,
    )
    .await;
    assert_eq!(saved.status(), StatusCode::SEE_OTHER);
    let other_csrf = hidden(&second_page, "csrf");
    let second_edit = session_form(
        &other_csrf,
        &course_id,
        Some(&etag),
        (&days.0, &days.1),
        "30",
        "سالن دیگر",
    );
    let stale = post_pairs(
        &other,
        &format!("/admin/sessions/{session_id}"),
        &second_edit,
    )
    .await;
    assert_eq!(stale.status(), StatusCode::CONFLICT);
    let page = stale.text().await.unwrap();
    assert!(
        page.contains("کس دیگری در این فاصله آن را تغییر داد"),
        "{page}"
    );
    let differing = page.split("class=\"differing\"").nth(1).unwrap();
    let differing = differing.split("</ul>").next().unwrap();
    assert!(
        differing.contains("ظرفیت") && differing.contains("مکان"),
        "{differing}"
    );
    assert!(
        !differing.contains("جلسه‌ها"),
        "the meetings are the same: {differing}"
    );
    assert!(
        page.contains("id=\"details.capacity\" name=\"details.capacity\" value=\"۲۵\""),
        "the form shows the stored capacity: {page}"
    );
    let session = fixtures::get_session(&stack, ADMIN, &session_id)
        .await
        .unwrap();
    let details = session.details.unwrap();
    assert_eq!(details.capacity, 25, "the first change is kept");
    assert_eq!(details.venue.unwrap().fa, "سالن همایش ایمیدرو");
    assert_eq!(details.meetings.len(), 2);
}

/// The location of a 303 answer.
fn location(response: &reqwest::Response) -> String {
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    response.headers()["location"].to_str().unwrap().to_owned()
}

#[tokio::test]
async fn the_other_forms_organizations_programs_events_people_certificates_and_cancelling() {
    let stack = Stack::start().await;
    let admin = stack.browser();
    admin.sign_in(ADMIN_SUBJECT).await;
    let (_, page) = admin.text("/admin/orgs").await;
    let csrf = hidden(&page, "csrf");

    // An organization: a bad id is refused beside the id; a good one is
    // listed; an edit from a stale etag shows what changed.
    let org = |id: &'static str, fa: &'static str| {
        vec![
            ("csrf", csrf.clone()),
            ("organization_id", id.to_owned()),
            ("name.fa", fa.to_owned()),
            ("name.en", "Hormozgan Steel".to_owned()),
            ("kind", "steel".to_owned()),
            ("parent_organization_id", "imidro".to_owned()),
        ]
    };
    let pairs = |form: &[(&'static str, String)]| {
        form.iter()
            .map(|(k, v)| ((*k).to_owned(), v.clone()))
            .collect::<Vec<_>>()
    };
    let refused = post_pairs(
        &admin,
        "/admin/orgs",
        &pairs(&org("Bad Id!", "فولاد هرمزگان")),
    )
    .await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = refused.text().await.unwrap();
    assert!(
        page.contains("id=\"organization_id-error\">شناسهٔ شرکت"),
        "{page}"
    );
    let created = post_pairs(&admin, "/admin/orgs", &pairs(&org("hosco", "فولاد هرمزگان"))).await;
    location(&created);
    let (_, edit) = admin.text("/admin/orgs/hosco").await;
    let etag = unescape(&hidden(&edit, "etag"));
    let mut renamed = pairs(&org("hosco", "فولاد هرمزگان جنوب"));
    renamed.push(("etag".into(), etag.clone()));
    location(&post_pairs(&admin, "/admin/orgs/hosco", &renamed).await);
    let mut stale = pairs(&org("hosco", "فولاد هرمزگان"));
    stale.retain(|(k, _)| k != "kind");
    stale.push(("kind".into(), "mining".into()));
    stale.push(("etag".into(), etag));
    let refused = post_pairs(&admin, "/admin/orgs/hosco", &stale).await;
    assert_eq!(refused.status(), StatusCode::CONFLICT);
    let page = refused.text().await.unwrap();
    let differing = page.split("class=\"differing\"").nth(1).unwrap();
    let differing = differing.split("</ul>").next().unwrap();
    assert!(
        differing.contains("نام") && differing.contains("نوع"),
        "{differing}"
    );
    assert!(
        page.contains("value=\"فولاد هرمزگان جنوب\""),
        "the stored name: {page}"
    );

    // A program of two published courses, one required.
    let courses = fixtures::course_service(&stack)
        .list_courses(stack.request(
            ADMIN,
            cpb::ListCoursesRequest {
                page_size: 50,
                statuses: vec![cpb::CatalogStatus::Published.into()],
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .courses;
    let (first, second) = (&courses[0], &courses[1]);
    let program = vec![
        ("csrf".to_owned(), csrf.clone()),
        ("details.code".to_owned(), "PG-1405".to_owned()),
        ("details.title.fa".to_owned(), "برنامهٔ سال ۱۴۰۵".to_owned()),
        (
            "details.title.en".to_owned(),
            "The 1405 programme".to_owned(),
        ),
        ("course".to_owned(), first.id.clone()),
        ("course".to_owned(), second.id.clone()),
        ("required".to_owned(), first.id.clone()),
    ];
    let created = location(&post_pairs(&admin, "/admin/programs/new", &program).await);
    let program_id = created
        .trim_start_matches("/admin/programs/")
        .split('?')
        .next()
        .unwrap()
        .to_owned();
    let stored = fixtures::course_service(&stack)
        .get_program(stack.request(
            ADMIN,
            cpb::GetProgramRequest {
                program_id: program_id.clone(),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .program
        .unwrap()
        .details
        .unwrap();
    let picked: Vec<(String, bool)> = stored
        .courses
        .iter()
        .map(|c| (c.course_id.clone(), c.required))
        .collect();
    assert_eq!(
        picked,
        vec![(first.id.clone(), true), (second.id.clone(), false)]
    );

    // An event on Jalali dates.
    let event = vec![
        ("csrf".to_owned(), csrf.clone()),
        ("kind".to_owned(), "seminar".to_owned()),
        (
            "details.title.fa".to_owned(),
            "همایش روابط عمومی".to_owned(),
        ),
        ("details.title.en".to_owned(), "PR seminar".to_owned()),
        (
            "start.date".to_owned(),
            jalali::persian_digits(&jalali_in(20)),
        ),
        ("start.time".to_owned(), "۰۹:۰۰".to_owned()),
        ("end.date".to_owned(), jalali_in(20)),
        ("end.time".to_owned(), "17:00".to_owned()),
        ("details.place.fa".to_owned(), "تهران".to_owned()),
        ("details.place.en".to_owned(), "Tehran".to_owned()),
        ("organizer".to_owned(), "imidro".to_owned()),
        ("participant".to_owned(), "msc".to_owned()),
    ];
    location(&post_pairs(&admin, "/admin/events/new", &event).await);
    let (_, events) = admin.text("/admin/events").await;
    assert!(events.contains("همایش روابط عمومی"), "{events}");

    // The people directory from a CSV file: one good row, one of an
    // unknown organization.
    let mut table =
        hamafza_kit::sheet::Table::new(["subject", "name_fa", "name_en", "organization_id"]);
    table.push(["hosco-pr-01", "سمیرا احمدی", "Samira Ahmadi", "hosco"]);
    table.push(["nowhere-1", "کسی", "Someone", "no-such-org"]);
    let import = |table: hamafza_kit::sheet::Table, query: &'static str| {
        let form = reqwest::multipart::Form::new()
            .text("csrf", csrf.clone())
            .part(
                "file",
                reqwest::multipart::Part::bytes(hamafza_kit::sheet::to_csv(&table))
                    .file_name("people.csv")
                    .mime_str("text/csv")
                    .unwrap(),
            );
        let request = admin
            .client
            .post(format!("{}/admin/people/import{query}", admin.base))
            .multipart(form);
        async move {
            let response = request.send().await.unwrap();
            assert_eq!(response.status(), StatusCode::OK);
            response.text().await.unwrap()
        }
    };
    let results = import(table, "").await;
    assert!(results.contains("۱ نفر افزوده شد"), "{results}");
    assert!(results.contains("۱ پذیرفته نشد"), "{results}");
    assert!(results.contains("این شرکت ثبت نشده است."), "{results}");
    // An "active" that is neither a yes nor a no stops the import there,
    // in the viewer's words (it used to import the person as active).
    let mut table =
        hamafza_kit::sheet::Table::new(["subject", "name_fa", "organization_id", "فعال"]);
    table.push(["hosco-pr-02", "نرگس کریمی", "hosco", "غیرفعال"]);
    table.push(["hosco-pr-03", "رضا نوری", "hosco", "شاید"]);
    let refused = import(table, "?lang=en").await;
    assert!(
        refused.contains("Row 3: «شاید» in the column “active” is neither yes nor no"),
        "{refused}"
    );
    let none = hamafza_proto::courses::person_service_client::PersonServiceClient::new(
        stack.stack.channel(Svc::Courses),
    )
    .get_person(stack.request(
        ADMIN,
        cpb::GetPersonRequest {
            subject: "hosco-pr-02".to_owned(),
        },
    ))
    .await;
    assert_eq!(
        none.map(drop).unwrap_err().code(),
        tonic::Code::NotFound,
        "nothing was imported"
    );

    // A certificate by hand, found by its serial and revoked with a reason.
    // Issued from the English pages, it still carries the person's Persian
    // name (the one a certificate prints first).
    let (_, certificates) = admin.text("/admin/certificates?lang=en").await;
    let issued = admin
        .post(
            "/admin/certificates/issue",
            &[
                ("csrf", &csrf),
                ("request_id", &hidden(&certificates, "request_id")),
                ("trainee", "hosco-pr-01"),
                ("course_id", &first.id),
                ("completion_time", &jalali_in(-10)),
                ("score", "۹۰"),
                ("reason", "گذرانده در دورهٔ بیرونی"),
            ],
        )
        .await;
    let found = location(&issued);
    admin.text("/admin/certificates?lang=fa").await;
    let serial = found.split("q=").nth(1).unwrap().to_owned();
    assert!(serial.starts_with("HMZ-"), "{found}");
    let stored = hamafza_proto::certification::certification_service_client::CertificationServiceClient::new(
        stack.stack.channel(Svc::Certification),
    )
    .list_certificates(stack.stack.request(
        ADMIN,
        hamafza_proto::certification::ListCertificatesRequest {
            serial: serial.clone(),
            ..Default::default()
        },
    ))
    .await
    .unwrap()
    .into_inner()
    .certificates;
    assert_eq!(
        stored[0].trainee.as_ref().map(|t| t.name.as_str()),
        Some("سمیرا احمدی")
    );
    // As read aloud and typed: lower case, no dashes.
    let typed = serial.to_lowercase().replace('-', "");
    let (_, page) = admin.text(&format!("/admin/certificates?q={typed}")).await;
    assert!(
        page.contains(&serial) && page.contains("سمیرا احمدی"),
        "{page}"
    );
    let (_, none) = admin.text("/admin/certificates?q=HMZ-0000-0000-0000").await;
    assert!(none.contains("گواهی‌ای پیدا نشد."), "{none}");
    // A subject the directory does not know is refused beside its field.
    let (_, certificates) = admin.text("/admin/certificates").await;
    let unknown = admin
        .post(
            "/admin/certificates/issue",
            &[
                ("csrf", &csrf),
                ("request_id", &hidden(&certificates, "request_id")),
                ("trainee", "nobody-such"),
                ("course_id", &first.id),
                ("completion_time", &jalali_in(-10)),
                ("reason", "گذرانده در دورهٔ بیرونی"),
            ],
        )
        .await;
    assert_eq!(unknown.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let unknown = unknown.text().await.unwrap();
    assert!(
        unknown.contains("این فرد در فهرست کارکنان نیست."),
        "{unknown}"
    );
    let revoke = action(&page, "/admin/certificates/");
    let revoked = admin
        .post(
            &revoke,
            &[
                ("csrf", &csrf),
                ("request_id", &hidden(&page, "request_id")),
                ("reason", "صدور نادرست"),
            ],
        )
        .await;
    let (_, page) = admin.text(&location(&revoked)).await;
    assert!(
        page.contains("ابطال‌شده") && page.contains("صدور نادرست"),
        "{page}"
    );

    // Cancelling a session with one person enrolled says so, and needs a
    // reason.
    let course = fixtures::published_course(&stack, "PR-901", |_| {}).await;
    let session = fixtures::open_session(&stack, &course, |_| {}).await;
    fixtures::enrol_self(&stack, TRAINEE_MSC, &session.id, "cancel-1")
        .await
        .unwrap();
    let path = format!("/admin/sessions/{}", session.id);
    let (_, page) = admin.text(&path).await;
    assert!(page.contains("۱ ثبت‌نام لغو می‌شود"), "{page}");
    let refused = admin
        .post(
            &format!("{path}/cancel"),
            &[("csrf", &csrf), ("reason", " ")],
        )
        .await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused
            .text()
            .await
            .unwrap()
            .contains("دلیل لغو را بنویسید")
    );
    let cancelled = admin
        .post(
            &format!("{path}/cancel"),
            &[("csrf", &csrf), ("reason", "مدرس در دسترس نیست")],
        )
        .await;
    location(&cancelled);
    let session = fixtures::get_session(&stack, ADMIN, &session.id)
        .await
        .unwrap();
    assert_eq!(session.status(), cpb::SessionStatus::Cancelled);
    assert_eq!(session.cancel_reason, "مدرس در دسترس نیست");
}

#[tokio::test]
async fn an_admin_sets_the_approvals_the_council_needs() {
    let stack = Stack::start().await;
    let admin = stack.browser();
    admin.sign_in(ADMIN_SUBJECT).await;
    let (status, page) = admin.text("/admin/council").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("value=\"۲\""),
        "the configured default: {page}"
    );
    let csrf = hidden(&page, "csrf");
    let etag = unescape(&hidden(&page, "etag"));
    // Not a number: the form again, the problem beside the field.
    let refused = admin
        .post(
            "/admin/council",
            &[
                ("csrf", &csrf),
                ("etag", &etag),
                ("required_approvals", "دو"),
            ],
        )
        .await;
    assert_eq!(refused.status(), StatusCode::BAD_REQUEST);
    assert!(refused.text().await.unwrap().contains("یک عدد بنویسید"));
    let out_of_range = admin
        .post(
            "/admin/council",
            &[
                ("csrf", &csrf),
                ("etag", &etag),
                ("required_approvals", "۲۱"),
            ],
        )
        .await;
    assert_eq!(out_of_range.status(), StatusCode::BAD_REQUEST);
    assert!(
        out_of_range
            .text()
            .await
            .unwrap()
            .contains("عددی از ۱ تا ۲۰")
    );
    // Persian digits are fine.
    let saved = admin
        .post(
            "/admin/council",
            &[
                ("csrf", &csrf),
                ("etag", &etag),
                ("required_approvals", "۳"),
            ],
        )
        .await;
    assert_eq!(saved.status(), StatusCode::SEE_OTHER);
    let (_, after) = admin.text(&location(&saved)).await;
    assert!(after.contains("value=\"۳\""), "{after}");
    // The old etag again: someone changed it meanwhile.
    let stale = admin
        .post(
            "/admin/council",
            &[
                ("csrf", &csrf),
                ("etag", &etag),
                ("required_approvals", "1"),
            ],
        )
        .await;
    assert_eq!(stale.status(), StatusCode::CONFLICT);
    let stale = stale.text().await.unwrap();
    assert!(
        stale.contains("value=\"۳\""),
        "the stored value is shown: {stale}"
    );
    // A council member is not let in.
    let council = stack.browser();
    council.sign_in("council-msc").await;
    let (status, _) = council.text("/admin/council").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn with_courses_down_a_posted_form_is_a_page_saying_so_not_a_refused_form() {
    let mut stack = Stack::start().await;
    let admin = stack.browser();
    admin.sign_in(ADMIN_SUBJECT).await;
    let (_, page) = admin.text("/admin/programs/new").await;
    let csrf = hidden(&page, "csrf");
    let (_, programs) = admin.text("/admin/programs").await;
    let program = programs
        .split("href=\"/admin/programs/")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .find(|id| *id != "new")
        .expect("a demo program")
        .to_owned();
    let (status, _) = admin.text(&format!("/admin/programs/{program}")).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = admin.text("/admin/certificates").await;
    assert_eq!(status, StatusCode::OK);

    stack.stack.stop(Svc::Courses).await;
    // The certificates page still shows its certificates; its issue form,
    // which offers the directory's people and the catalog's courses, says
    // it cannot be filled now rather than offering none.
    let (status, page) = admin.text("/admin/certificates").await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(
        page.contains("فهرست افراد و درس‌ها اکنون در دسترس نیست")
            && !page.contains("action=\"/admin/certificates/issue\""),
        "{page}"
    );
    // A search by name, which needs the directory, says so beside the box.
    let (status, page) = admin
        .text("/admin/certificates?q=%D8%B3%D9%85%DB%8C%D8%B1%D8%A7")
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(page.contains("جست‌وجو اکنون ممکن نیست"), "{page}");
    let when = jalali_in(30);
    let event = [
        ("csrf", csrf.as_str()),
        ("kind", "seminar"),
        ("details.title.fa", "همایش"),
        ("details.title.en", "Seminar"),
        ("start.date", when.as_str()),
        ("start.time", "09:00"),
        ("end.date", when.as_str()),
        ("end.time", "12:00"),
    ];
    let issue = [
        ("csrf", csrf.as_str()),
        ("trainee", "hosco-pr-01"),
        ("completion_time", when.as_str()),
        ("reason", "گذرانده در دورهٔ بیرونی"),
    ];
    let posts: [(String, &[(&str, &str)]); 7] = [
        (
            "/admin/courses/new".to_owned(),
            &[("csrf", &csrf), ("details.code", "PR-998")],
        ),
        (
            "/admin/programs/new".to_owned(),
            &[("csrf", &csrf), ("details.code", "PG-998")],
        ),
        ("/admin/events/new".to_owned(), &event),
        ("/admin/certificates/issue".to_owned(), &issue),
        (
            "/admin/orgs".to_owned(),
            &[("csrf", &csrf), ("organization_id", "new-co")],
        ),
        (
            "/admin/sessions/new".to_owned(),
            &[("csrf", &csrf), ("details.instructor", "instructor-rahimi")],
        ),
        (
            format!("/admin/programs/{program}"),
            &[
                ("csrf", &csrf),
                ("etag", "\"1\""),
                ("details.code", "PG-998"),
            ],
        ),
    ];
    for (path, form) in posts {
        let response = admin.post(&path, form).await;
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE, "{path}");
        let page = response.text().await.unwrap();
        assert!(
            page.contains("سامانه موقتاً در دسترس نیست"),
            "{path}: {page}"
        );
        assert!(!page.contains("could not be reached"), "{path}: {page}");
    }
}

/// `form` with the instructor `subject` instead of the demo's.
fn with_instructor(mut form: Vec<(String, String)>, subject: &str) -> Vec<(String, String)> {
    for (name, value) in &mut form {
        if name == "details.instructor" {
            *value = subject.to_owned();
        }
    }
    form
}

#[tokio::test]
async fn the_instructor_is_picked_from_the_whole_directory_and_kept_after_they_leave() {
    use hamafza_proto::courses::person_service_client::PersonServiceClient;
    let stack = Stack::start().await;
    // More people than one page of the directory (200).
    let person = |i: usize, active: bool| cpb::Person {
        subject: format!("zz-staff-{i:03}"),
        name: Some(hamafza_testkit::text(
            &format!("کارمند {i}"),
            &format!("Staff {i}"),
        )),
        organization_id: "msc".to_owned(),
        active,
        ..Default::default()
    };
    let mut people = PersonServiceClient::new(stack.stack.channel(Svc::Courses));
    people
        .import_people(stack.request(
            ADMIN,
            cpb::ImportPeopleRequest {
                people: (0..201).map(|i| person(i, true)).collect(),
            },
        ))
        .await
        .unwrap();

    let admin = stack.browser();
    admin.sign_in(ADMIN_SUBJECT).await;
    let (status, page) = admin.text("/admin/sessions/new").await;
    assert_eq!(status, StatusCode::OK);
    for i in 0..201 {
        assert!(
            page.contains(&format!("value=\"zz-staff-{i:03}\"")),
            "zz-staff-{i:03} is offered"
        );
    }
    let csrf = hidden(&page, "csrf");
    let course_id = rahimi_demo_session(&stack).await.course_id;
    let days = (jalali_in(50), jalali_in(51));
    let form = |etag: Option<&str>, venue: &str| {
        with_instructor(
            session_form(&csrf, &course_id, etag, (&days.0, &days.1), "20", venue),
            "zz-staff-200",
        )
    };
    let created = post_pairs(&admin, "/admin/sessions/new", &form(None, "سالن یک")).await;
    assert_eq!(
        created.status(),
        StatusCode::SEE_OTHER,
        "{}",
        created.text().await.unwrap()
    );
    let path = location(&created);
    let path = path.split('?').next().unwrap().to_owned();
    let session_id = path.trim_start_matches("/admin/sessions/").to_owned();
    let instructor = |session: cpb::Session| session.details.unwrap().instructor.unwrap();
    let session = fixtures::get_session(&stack, ADMIN, &session_id)
        .await
        .unwrap();
    assert_eq!(
        (instructor(session).subject.as_str()),
        "zz-staff-200",
        "the person past the first page"
    );

    // They leave the company: the picker no longer lists them, but the
    // session's page still shows them picked, and another change keeps them.
    people
        .upsert_person(stack.request(
            ADMIN,
            cpb::UpsertPersonRequest {
                person: Some(person(200, false)),
            },
        ))
        .await
        .unwrap();
    let (_, page) = admin.text(&path).await;
    assert!(
        page.contains("value=\"zz-staff-200\" selected"),
        "the stored instructor stays picked: {page}"
    );
    assert!(page.contains("کارمند 200"), "by their name: {page}");
    let etag = unescape(&hidden(&page, "etag"));
    let saved = post_pairs(&admin, &path, &form(Some(&etag), "سالن دو")).await;
    assert_eq!(
        saved.status(),
        StatusCode::SEE_OTHER,
        "{}",
        saved.text().await.unwrap()
    );
    let session = fixtures::get_session(&stack, ADMIN, &session_id)
        .await
        .unwrap();
    assert_eq!(
        session.details.as_ref().unwrap().venue.as_ref().unwrap().fa,
        "سالن دو"
    );
    assert_eq!(instructor(session).subject, "zz-staff-200");
}

#[tokio::test]
async fn the_forms_offer_every_live_course_and_every_course_they_hold() {
    let stack = Stack::start().await;
    // More courses than one page of the catalog (200), besides the demo's.
    for i in 0..201 {
        fixtures::draft_course(&stack, &format!("PX-{i:03}")).await;
    }
    let admin = stack.browser();
    admin.sign_in(ADMIN_SUBJECT).await;
    for path in ["/admin", "/admin/programs/new", "/admin/courses/new"] {
        let (status, page) = admin.text(path).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        for i in 0..201 {
            assert!(
                page.contains(&format!("PX-{i:03}")),
                "{path} offers PX-{i:03}"
            );
        }
    }

    // A program holding a course since retired still shows it picked, and a
    // course its retired prerequisite: saving either would drop it otherwise.
    let old = fixtures::published_course(&stack, "PR-777", |_| {}).await;
    let program =
        fixtures::create_program(&stack, ADMIN, fixtures::program_details("PG-777", &[&old]))
            .await
            .unwrap();
    let mut details = fixtures::course_details("PR-778");
    details.prerequisite_course_ids = vec![old.id.clone()];
    let course = fixtures::create_course(&stack, ADMIN, details)
        .await
        .unwrap();
    fixtures::course_service(&stack)
        .retire_course(stack.request(
            ADMIN,
            cpb::RetireCourseRequest {
                course_id: old.id.clone(),
            },
        ))
        .await
        .unwrap();
    for (path, checked) in [
        (
            format!("/admin/programs/{}", program.id),
            format!("value=\"{0}\" id=\"course-{0}\" checked", old.id),
        ),
        (
            format!("/admin/courses/{}", course.id),
            format!("value=\"{}\" checked", old.id),
        ),
    ] {
        let (status, page) = admin.text(&path).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        assert!(
            page.contains(&checked),
            "{path} holds the retired PR-777 picked: {page}"
        );
    }
}

#[tokio::test]
async fn with_enrolments_down_the_back_office_shows_no_counts_rather_than_wrong_ones() {
    let mut stack = Stack::start().await;
    let course = fixtures::published_course(&stack, "PR-902", |_| {}).await;
    let session = fixtures::open_session(&stack, &course, |_| {}).await;
    fixtures::enrol_self(&stack, TRAINEE_MSC, &session.id, "counted-1")
        .await
        .unwrap();
    // A second trainee already assessed: their seat stays held, but a
    // cancellation no longer reaches them, and neither page counts them.
    let assessed = fixtures::enrolled(&stack, TRAINEE_KSC, &session.id, "counted-2").await;
    fixtures::attend_and_complete_ahead(&stack, &session, &assessed.id, Some(90), "counted-2")
        .await;
    let admin = stack.browser();
    admin.sign_in(ADMIN_SUBJECT).await;
    let edit = format!("/admin/sessions/{}", session.id);
    let (_, page) = admin.text(&edit).await;
    assert!(
        page.contains("ثبت‌نام قطعی: ۱") && page.contains("۱ ثبت‌نام لغو می‌شود"),
        "{page}"
    );
    let (_, overview) = admin.text("/admin").await;
    assert!(
        overview.contains("۱ ثبت‌نام لغو می‌شود") && !overview.contains("۲ ثبت‌نام لغو می‌شود"),
        "{overview}"
    );

    stack.stack.stop(Svc::Enrolments).await;
    let neutral = "ثبت‌نام همهٔ ثبت‌نام‌کنندگان لغو می‌شود";
    let (status, page) = admin.text(&edit).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("ثبت‌نام قطعی: —") && page.contains(neutral),
        "{page}"
    );
    assert!(!page.contains("کسی ثبت‌نام نکرده است"), "{page}");
    let (status, overview) = admin.text("/admin").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        overview.contains(neutral) && !overview.contains("کسی ثبت‌نام نکرده است"),
        "{overview}"
    );
}

#[tokio::test]
async fn the_overview_shows_every_upcoming_session_a_page_at_a_time() {
    let stack = Stack::start().await;
    let course = fixtures::published_course(&stack, "PR-903", |_| {}).await;
    let mut made = std::collections::HashSet::new();
    for _ in 0..60 {
        made.insert(fixtures::open_session(&stack, &course, |_| {}).await.id);
    }
    let admin = stack.browser();
    admin.sign_in(ADMIN_SUBJECT).await;
    let rows = |page: &str| -> Vec<String> {
        page.split("<a href=\"/admin/sessions/")
            .skip(1)
            .filter_map(|rest| rest.split('"').next())
            .filter(|id| uuid::Uuid::parse_str(id).is_ok())
            .map(str::to_owned)
            .collect()
    };
    let (mut seen, mut path, mut pages) = (Vec::new(), "/admin".to_owned(), 0);
    loop {
        let (status, page) = admin.text(&path).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        let shown = rows(&page);
        assert!(shown.len() <= 50, "{} rows on {path}", shown.len());
        seen.extend(shown);
        pages += 1;
        // The pager's link (the language switch also names the page).
        match page
            .split("class=\"button\" href=\"/admin?sessions_page=")
            .nth(1)
        {
            Some(rest) => {
                path = format!("/admin?sessions_page={}", rest.split('"').next().unwrap())
            }
            None => break,
        }
        assert!(pages < 10, "the pages end: {path}");
    }
    assert!(pages >= 2, "60 sessions take more than one page");
    // A stale or mistyped page link shows the soonest sessions.
    let (status, page) = admin.text("/admin?sessions_page=not-a-page").await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let first = rows(&page);
    assert!(!first.is_empty(), "{page}");
    assert_eq!(first, seen[..first.len()]);
    let distinct: std::collections::HashSet<_> = seen.iter().cloned().collect();
    assert_eq!(distinct.len(), seen.len(), "no session on two pages");
    assert!(made.is_subset(&distinct), "every session is shown");
}

#[tokio::test]
async fn the_directory_pages_and_a_name_search_says_when_more_people_match() {
    use hamafza_proto::courses::person_service_client::PersonServiceClient;
    let stack = Stack::start().await;
    // 130 people sharing words of a name.
    let people: Vec<cpb::Person> = (0..130)
        .map(|n| cpb::Person {
            subject: format!("sample-{n:03}"),
            name: Some(hamafza_testkit::text(
                &format!("همکار نمونه {n}"),
                &format!("Sample colleague {n}"),
            )),
            organization_id: "msc".into(),
            active: true,
            ..Default::default()
        })
        .collect();
    PersonServiceClient::new(stack.stack.channel(Svc::Courses))
        .import_people(stack.request(ADMIN, cpb::ImportPeopleRequest { people }))
        .await
        .unwrap();
    let admin = stack.browser();
    admin.sign_in(ADMIN_SUBJECT).await;
    let subjects = |page: &str| -> Vec<String> {
        (0..130)
            .map(|n| format!("sample-{n:03}"))
            .filter(|s| page.contains(&format!(">{s}<")))
            .collect()
    };
    let query = "/admin/people?q=%D9%87%D9%85%DA%A9%D8%A7%D8%B1+%D9%86%D9%85%D9%88%D9%86%D9%87";
    let (status, first) = admin.text(query).await;
    assert_eq!(status, StatusCode::OK);
    let mut seen = subjects(&first);
    assert_eq!(seen.len(), 100, "a page of 100");
    let pattern = "class=\"button\" href=\"/admin/people?q=";
    let next = first
        .split(pattern)
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .find(|link| !link.ends_with("page="))
        .expect("a next page")
        .replace("&amp;", "&");
    let (status, second) = admin.text(&format!("/admin/people?q={next}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(second.contains("صفحهٔ نخست"), "a way back");
    seen.extend(subjects(&second));
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), 130, "everyone, once");
    // A stale page link shows the first page.
    let (status, page) = admin.text(&format!("{query}&page=stale")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(subjects(&page).len(), 100);

    // A certificate search by those words says it looked at the first 10.
    let search = query.replace("/admin/people", "/admin/certificates");
    let (status, page) = admin.text(&search).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("بیش از ۱۰ نفر"), "{page}");
    let (_, page) = admin.text("/admin/certificates?q=sample-007").await;
    assert!(!page.contains("بیش از ۱۰ نفر"), "one person: no note");
}

#[tokio::test]
async fn the_overview_links_to_every_event_when_more_are_coming_than_it_shows() {
    use hamafza_proto::courses::event_service_client::EventServiceClient;
    let stack = Stack::start().await;
    let admin = stack.browser();
    admin.sign_in(ADMIN_SUBJECT).await;
    let all_events = "<a href=\"/admin/events\">همهٔ رویدادها</a>";
    let (_, overview) = admin.text("/admin").await;
    assert!(!overview.contains(all_events), "the demo's few events fit");
    let mut events = EventServiceClient::new(stack.stack.channel(Svc::Courses));
    for n in 0..25 {
        let details = cpb::EventDetails {
            kind: cpb::EventKind::Exhibition.into(),
            title: Some(hamafza_testkit::text(
                &format!("نمایشگاه {n}"),
                &format!("Exhibition {n}"),
            )),
            start_time: Some(hamafza_testkit::timestamp(240 + n)),
            end_time: Some(hamafza_testkit::timestamp(300 + n)),
            place: Some(hamafza_testkit::text("تهران", "Tehran")),
            organizer_organization_id: "imidro".into(),
            ..Default::default()
        };
        let request = cpb::CreateEventRequest {
            request_id: String::new(),
            details: Some(details),
        };
        events
            .create_event(stack.request(ADMIN, request))
            .await
            .unwrap();
    }
    let (status, overview) = admin.text("/admin").await;
    assert_eq!(status, StatusCode::OK);
    assert!(overview.contains(all_events), "{overview}");
}
