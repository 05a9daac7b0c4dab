//! Course evaluations through the web app: a trainee rates a completed
//! course on the form (fieldsets of radio buttons), edits it; the
//! instructor's page shows "too few answers" below five and the aggregates
//! from five; the admin's page shows a course's results for a Jalali period;
//! the benchmark has its satisfaction and response rate columns.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::*;
use hamafza_kit::auth::Role;
use hamafza_testkit::Who;
use reqwest::StatusCode;

const SARA: Who = ("trainee-msc-1", "msc", &[Role::Trainee]);
/// Four more trainees, answering through the API.
const OTHERS: [Who; 4] = [
    ("trainee-ksc-1", "ksc", &[Role::Trainee]),
    ("trainee-gegh-1", "gegh", &[Role::Trainee]),
    ("msc-eval-2", "msc", &[Role::Trainee]),
    ("msc-eval-3", "msc", &[Role::Trainee]),
];

#[tokio::test]
async fn trainees_rate_on_the_form_and_results_show_from_five_answers() {
    let stack = Stack::start().await;
    let session = rahimi_session_under_way(&stack).await;
    let sara_id = passed_by_rahimi(&stack, &session, SARA, "sara").await;

    // «My learning» offers the form.
    let sara = stack.browser();
    sara.sign_in(SARA.0).await;
    let (status, learning) = sara.text("/me/learning").await;
    assert_eq!(status, StatusCode::OK);
    assert!(learning.contains("ارزشیابی این دوره"), "{learning}");
    let form_path = link(&learning, "/me/learning/");
    assert_eq!(form_path, format!("/me/learning/{sara_id}/evaluation"));
    let (status, form) = sara.text(&form_path).await;
    assert_eq!(status, StatusCode::OK);
    // Five questions, each a fieldset with a legend and five labelled radios.
    assert_eq!(
        form.matches("<fieldset class=\"likert\"").count(),
        5,
        "{form}"
    );
    assert_eq!(form.matches("<legend>").count(), 5);
    assert_eq!(form.matches("type=\"radio\"").count(), 25);
    assert!(form.contains("for=\"overall-5\"") && form.contains("عالی"));
    let csrf = hidden(&form, "csrf");

    // A question left out: the form again, saying which, nothing saved.
    let response = sara
        .post(
            &form_path,
            &[
                ("csrf", &csrf),
                ("content", "5"),
                ("instructor", "4"),
                ("relevance", "4"),
                ("organization", "3"),
                ("comment", "خوب بود"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = response.text().await.unwrap();
    assert!(
        page.contains("یکی از گزینه‌های ۱ تا ۵ را انتخاب کنید."),
        "{page}"
    );
    assert!(page.contains("خوب بود"), "the comment is kept");
    // A forged form is refused.
    let forged = sara
        .post(&form_path, &[("csrf", "forged"), ("overall", "5")])
        .await;
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    let answer_form = |overall: &'static str, comment: &'static str| {
        vec![
            ("csrf", csrf.clone()),
            ("content", "5".to_owned()),
            ("instructor", "4".to_owned()),
            ("relevance", "۴".to_owned()),
            ("organization", "3".to_owned()),
            ("overall", overall.to_owned()),
            ("comment", comment.to_owned()),
        ]
    };
    let post = |fields: Vec<(&'static str, String)>| {
        let sara = &sara;
        let form_path = &form_path;
        async move {
            let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
            sara.post(form_path, &fields).await
        }
    };
    let response = post(answer_form("2", "اول")).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    // Back on «My learning», saying it was saved.
    let back = response.headers()["location"].to_str().unwrap().to_owned();
    assert_eq!(back, "/me/learning?done=rated");
    let (_, saved) = sara.text(&back).await;
    assert!(saved.contains("ارزشیابی شما ثبت شد"), "{saved}");
    // Edited within the window: the form shows the answer, the page the deadline.
    let response = post(answer_form("5", "خیلی خوب بود")).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let (_, form) = sara.text(&form_path).await;
    assert!(
        form.contains("id=\"overall-5\" name=\"overall\" value=\"5\" required checked"),
        "{form}"
    );
    assert!(form.contains("خیلی خوب بود"));
    let (_, learning) = sara.text("/me/learning").await;
    assert!(learning.contains("ویرایش ارزشیابی شما"), "{learning}");
    assert!(learning.contains("(تا "), "the Jalali deadline: {learning}");

    // Three more answers: four in all, too few for the instructor's page.
    let mut others = Vec::new();
    for (i, who) in OTHERS.iter().enumerate() {
        others.push(passed_by_rahimi(&stack, &session, *who, &format!("o{i}")).await);
    }
    for (who, id) in OTHERS.iter().zip(&others).take(3) {
        rate_over_grpc(&stack, *who, id, 4).await;
    }
    let instructor = stack.browser();
    instructor.sign_in(RAHIMI.0).await;
    let (_, roster) = instructor
        .text(&format!("/teach/sessions/{}", session.id))
        .await;
    let results_path = link(
        &roster,
        &format!("/teach/sessions/{}/evaluations", session.id),
    );
    let (status, few) = instructor.text(&results_path).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        few.contains("پاسخ‌ها برای نمایش کافی نیست (۴ از ۵)."),
        "{few}"
    );
    assert!(
        !few.contains("خیلی خوب بود") && !few.contains("<meter"),
        "{few}"
    );
    // The trainee does not see the results.
    let (status, _) = sara.text(&results_path).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // The fifth answer: averages, the spread and the comments, no names.
    rate_over_grpc(&stack, OTHERS[3], &others[3], 3).await;
    let (_, shown) = instructor.text(&format!("{results_path}?lang=en")).await;
    assert!(shown.contains("Answers: 5"), "{shown}");
    assert!(shown.contains("<meter"), "{shown}");
    // Overall: 5, 4, 4, 4, 3 → 4.0; content 5, 4, 4, 4, 4 → 4.2.
    assert!(shown.contains(">Overall</th><td"), "{shown}");
    assert!(
        shown.contains(" 4.0</td>") && shown.contains(" 4.2</td>"),
        "{shown}"
    );
    assert!(shown.contains("خیلی خوب بود") && shown.contains("comment of 3"));
    for who in [SARA].iter().chain(OTHERS.iter()) {
        assert!(!shown.contains(who.0), "no names: {}", who.0);
    }
    assert!(!shown.contains("سارا احمدی"));

    // The admin's page: the course over this Jalali year, and a year before.
    let admin = stack.browser();
    admin.sign_in("admin").await;
    let year = hamafza_kit::jalali::tehran_date(hamafza_kit::time::now())
        .1
        .unwrap()
        .year;
    let (status, page) = admin
        .text(&format!(
            "/admin/evaluations?course={}&year={year}&lang=en",
            session.course_id
        ))
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(
        page.contains("Answers: 5") && page.contains("comment of 3"),
        "{page}"
    );
    let (_, before) = admin
        .text(&format!(
            "/admin/evaluations?course={}&year={}&lang=en",
            session.course_id,
            year - 1
        ))
        .await;
    assert!(
        before.contains("Too few answers to show (0 of 5)."),
        "{before}"
    );
    let (status, _) = instructor.text("/admin/evaluations").await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // The benchmark: the columns in the page and the download.
    let (_, benchmark) = admin.text("/benchmark?lang=en").await;
    assert!(benchmark.contains("Satisfaction (of 5)"), "{benchmark}");
    assert!(benchmark.contains("Evaluation response rate"));
    let csv = admin
        .get("/benchmark?format=csv&lang=en")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        csv.lines().next().unwrap().contains("Satisfaction (of 5)"),
        "{csv}"
    );
}

#[tokio::test]
async fn the_results_page_offers_every_instructor_past_the_first_page_of_sessions() {
    let stack = Stack::start().await;
    let course = rahimi_demo_session(&stack).await.course_id;
    // 201 sessions soon, then one much later taught by someone new.
    for _ in 0..201 {
        fixtures::create_session(&stack, ADMIN, &course, fixtures::session_details(10, &[]))
            .await
            .unwrap();
    }
    let mut later = fixtures::session_details(10, &[]);
    for meeting in &mut later.meetings {
        for time in [&mut meeting.start_time, &mut meeting.end_time] {
            if let Some(t) = time.as_mut() {
                t.seconds += 90 * 24 * 3600;
            }
        }
    }
    later.instructor = Some(hamafza_proto::common::Actor {
        subject: "ksc-pr-03".into(),
        name: "محمد قاسمی".into(),
        organization_id: "ksc".into(),
    });
    fixtures::create_session(&stack, ADMIN, &course, later)
        .await
        .unwrap();
    let admin = stack.browser();
    admin.sign_in("admin").await;
    let (status, page) = admin.text("/admin/evaluations").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("<option value=\"ksc-pr-03\""), "{page}");
    assert!(page.contains("<option value=\"instructor-rahimi\""));
}
