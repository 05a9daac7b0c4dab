//! A course page says who the course is for, in Persian and in English; the
//! admin writes it on the course form, and one too long comes back with the
//! words beside the field. Over real HTTP against the whole stack.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::*;
use hamafza_proto::courses as cpb;
use reqwest::StatusCode;

/// The id of the demo course `code`.
async fn demo_course(stack: &Stack, code: &str) -> String {
    fixtures::course_service(&stack.stack)
        .list_courses(stack.stack.request(
            ADMIN,
            cpb::ListCoursesRequest {
                text: code.to_owned(),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .courses
        .into_iter()
        .find(|c| c.details.as_ref().is_some_and(|d| d.code == code))
        .unwrap()
        .id
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_course_page_says_who_it_is_for_in_both_languages() {
    let stack = Stack::start().await;
    let id = demo_course(&stack, "PR-101").await;
    let browser = stack.browser();
    let (status, fa) = browser.text(&format!("/courses/{id}?lang=fa")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(fa.contains("این دوره برای چه کسانی است"), "{fa}");
    assert!(fa.contains("کارشناسان تازه‌کار روابط عمومی شرکت‌ها"), "{fa}");
    let (_, en) = browser.text(&format!("/courses/{id}?lang=en")).await;
    assert!(en.contains("Who it is for"), "{en}");
    assert!(en.contains("PR staff new to the work"), "{en}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_admin_writes_who_a_course_is_for_on_its_form() {
    let stack = Stack::start().await;
    let admin = stack.browser();
    admin.sign_in("admin").await;
    let (_, form) = admin.text("/admin/courses/new?lang=fa").await;
    assert!(form.contains("name=\"details.audience.fa\""), "{form}");
    assert!(form.contains("name=\"details.audience.en\""), "{form}");
    let csrf = hidden(&form, "csrf");
    let too_long = "x".repeat(1001);
    let fields = |audience_en: &str| {
        vec![
            ("csrf", csrf.clone()),
            ("details.code", "PR-778".to_owned()),
            ("details.title.fa", "سخنگویی".to_owned()),
            ("details.title.en", "Speaking for the company".to_owned()),
            ("details.category", "media-relations".to_owned()),
            ("details.hours", "8".to_owned()),
            ("details.delivery_mode", "online".to_owned()),
            ("details.passing_score", "60".to_owned()),
            ("details.min_attendance_percent", "80".to_owned()),
            ("details.audience.fa", "سخنگویان شرکت‌ها".to_owned()),
            ("details.audience.en", audience_en.to_owned()),
        ]
    };
    let post = |fields: Vec<(&'static str, String)>| {
        let admin = &admin;
        async move {
            let form: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
            admin.post("/admin/courses/new", &form).await
        }
    };

    let refused = post(fields(&too_long)).await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = refused.text().await.unwrap();
    let beside = page
        .split("id=\"details.audience.en-error\"")
        .nth(1)
        .unwrap_or_else(|| panic!("no problem beside the audience: {page}"));
    assert!(
        beside.starts_with(">«مخاطبان دوره» حداکثر ۱۰۰۰ نویسه"),
        "{beside}"
    );
    assert!(page.contains("سخنگویان شرکت‌ها"), "what was typed is kept");

    let created = post(fields("Company spokespeople")).await;
    assert_eq!(created.status(), StatusCode::SEE_OTHER);
    let location = created.headers()["location"].to_str().unwrap().to_owned();
    let course_id = location
        .trim_start_matches("/admin/courses/")
        .split('?')
        .next()
        .unwrap()
        .to_owned();
    let course = fixtures::get_course(&stack.stack, ADMIN, &course_id)
        .await
        .unwrap();
    let audience = course.details.unwrap().audience.unwrap();
    assert_eq!(audience.fa, "سخنگویان شرکت‌ها");
    assert_eq!(audience.en, "Company spokespeople");
    let (_, edit) = admin.text(&location).await;
    assert!(
        edit.contains("Company spokespeople"),
        "the form shows it: {edit}"
    );
}
