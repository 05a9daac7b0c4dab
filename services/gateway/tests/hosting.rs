//! Company-hosted sessions in the web app over real HTTP: a company's PR
//! manager proposes one and follows it, the admin declines a reason-less
//! form and accepts, the catalog names the host and the benchmark counts it.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use chrono::{Datelike, Utc};
use common::*;
use reqwest::StatusCode;

/// The value of the `<option>` whose text holds `label`, in `page`.
fn option_value(page: &str, label: &str) -> String {
    let at = page
        .find(label)
        .unwrap_or_else(|| panic!("{label} offered"));
    let before = &page[..at];
    let start = before.rfind("option value=\"").expect("an option") + 14;
    before[start..].split('"').next().unwrap().to_owned()
}

/// A Solar Hijri date `days` from now, as typed in the form.
fn jalali_in(days: i64) -> String {
    let day = (Utc::now() + chrono::Duration::days(days)).date_naive();
    let j = hamafza_kit::jalali::to_jalali(day.year(), day.month() as u8, day.day() as u8).unwrap();
    format!("{}/{:02}/{:02}", j.year, j.month, j.day)
}

#[tokio::test]
async fn a_manager_proposes_and_the_admin_reviews() {
    let stack = Stack::start().await;

    // A trainee is refused the manager's page.
    let trainee = stack.browser();
    trainee.sign_in("trainee-msc-1").await;
    let (status, _) = trainee.text("/org/hosting").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // The demo's Khuzestan Steel session is in the catalog with its host.
    let (_, catalog) = trainee.text("/").await;
    assert!(catalog.contains("به میزبانی فولاد خوزستان"), "{catalog}");

    let manager = stack.browser();
    manager.sign_in("manager-ksc").await;
    let (status, page) = manager.text("/org/hosting").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("پذیرفته"), "the demo's accepted proposal");
    assert!(
        page.contains("محمد قاسمی"),
        "the company's own people to teach"
    );
    assert!(
        !page.contains("instructor-rahimi"),
        "not the holding's instructor"
    );
    let csrf = hidden(&page, "csrf");
    let course = option_value(&page, "PR-101");
    let instructor = option_value(&page, "نازنین عباسی");

    // No dates: the form comes back with the problem, nothing proposed.
    let response = manager
        .post(
            "/org/hosting",
            &[
                ("csrf", &csrf),
                ("course_id", &course),
                ("details.instructor", &instructor),
                ("details.capacity", "۲۰"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = response.text().await.unwrap();
    assert!(page.contains("role=\"alert\""), "{page}");

    let meeting = jalali_in(30);
    let today = jalali_in(0);
    let window_end = jalali_in(25);
    let response = manager
        .post(
            "/org/hosting",
            &[
                ("csrf", &csrf),
                ("course_id", &course),
                ("meeting.0.date", &meeting),
                ("meeting.0.start", "09:00"),
                ("meeting.0.end", "13:00"),
                ("details.venue.fa", "اهواز، سالن همایش فولاد خوزستان"),
                ("details.venue.en", "Ahvaz, Khuzestan Steel hall"),
                ("details.online_url", ""),
                ("details.instructor", &instructor),
                ("details.capacity", "۲۰"),
                ("window.start.date", &today),
                ("window.start.time", "08:00"),
                ("window.end.date", &window_end),
                ("window.end.time", "18:00"),
            ],
        )
        .await;
    assert_eq!(
        response.status(),
        StatusCode::SEE_OTHER,
        "{}",
        response.text().await.unwrap_or_default()
    );
    let (_, page) = manager.text("/org/hosting?done=proposed").await;
    assert!(page.contains("در انتظار بررسی"), "{page}");
    assert!(page.contains("اهواز، سالن همایش فولاد خوزستان"));

    // The admin's queue: declining needs a reason; accepting moves it.
    let admin = stack.browser();
    admin.sign_in("admin").await;
    let (status, queue) = admin.text("/admin/hosting").await;
    assert_eq!(status, StatusCode::OK);
    assert!(queue.contains("فولاد خوزستان") && queue.contains("نازنین عباسی"));
    assert!(
        queue.contains(r#"name="reason" required maxlength="2000""#),
        "a reason the service would refuse cannot be typed: {queue}"
    );
    let csrf = hidden(&queue, "csrf");
    let decline = action(&queue, "/admin/hosting/");
    let decline = decline.replace("/accept", "/decline");
    let response = admin
        .post(&decline, &[("csrf", &csrf), ("reason", " ")])
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(response.text().await.unwrap().contains("دلیل را بنویسید"));
    let accept = decline.replace("/decline", "/accept");
    let response = admin.post(&accept, &[("csrf", &csrf)]).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let (_, queue) = admin.text("/admin/hosting?done=accepted").await;
    assert!(queue.contains("پیشنهادی در انتظار نیست"), "{queue}");
    let (_, mine) = manager.text("/org/hosting").await;
    assert!(!mine.contains("در انتظار بررسی"), "{mine}");

    // The benchmark has the hosting columns, on the page and in the CSV.
    let (status, benchmark) = admin.text("/benchmark").await;
    assert_eq!(status, StatusCode::OK);
    assert!(benchmark.contains("دوره‌های میزبانی‌شده"));
    let (_, csv) = admin.text("/benchmark?format=csv").await;
    assert!(csv.contains("آموزش‌دیدگان شرکت‌های دیگر"), "{csv}");
}

#[tokio::test]
async fn a_waiting_proposal_stays_in_the_queue_behind_any_number_of_decided_ones() {
    use hamafza_kit::auth::Role;
    use hamafza_proto::courses as cpb;
    const MANAGER: hamafza_testkit::Who = ("manager-ksc", "ksc", &[Role::OrgManager]);
    let stack = Stack::start().await;
    let course = rahimi_demo_session(&stack).await.course_id;
    let mut sessions = fixtures::session_service(&stack);
    // Khuzestan Steel's proposals, each in a venue of its own number.
    let mut propose = async |n: usize| {
        let mut details = fixtures::session_details(20, &[]);
        details.venue = Some(hamafza_testkit::text(
            &format!("سالن {n}"),
            &format!("Hall {n}"),
        ));
        details.instructor = Some(hamafza_proto::common::Actor {
            subject: "ksc-pr-03".into(),
            name: "محمد قاسمی".into(),
            organization_id: "ksc".into(),
        });
        let request = cpb::ProposeHostedSessionRequest {
            request_id: String::new(),
            course_id: course.clone(),
            host_organization_id: "ksc".into(),
            details: Some(details),
        };
        sessions
            .propose_hosted_session(stack.request(MANAGER, request))
            .await
            .unwrap()
            .into_inner()
            .session
            .unwrap()
            .id
    };
    // The oldest waits; 105 newer ones are declined.
    propose(0).await;
    let mut declined = Vec::new();
    for n in 1..=105 {
        declined.push(propose(n).await);
    }
    let mut admin_client = fixtures::session_service(&stack);
    for session_id in declined {
        let request = cpb::DeclineHostedSessionRequest {
            session_id,
            reason: "ظرفیت سالن کافی نیست".into(),
        };
        admin_client
            .decline_hosted_session(stack.request(ADMIN, request))
            .await
            .unwrap();
    }

    let admin = stack.browser();
    admin.sign_in("admin").await;
    let (status, queue) = admin.text("/admin/hosting").await;
    assert_eq!(status, StatusCode::OK);
    let waiting = queue.split("بررسی‌شده").next().unwrap();
    assert!(
        waiting.contains("سالن 0"),
        "the oldest proposal waits: {waiting}"
    );
    assert!(!waiting.contains("سالن 105"));
    // The decided ones, 50 a page, newest first, every one reachable.
    let decided = |page: &str| -> Vec<String> {
        let part = page.split("بررسی‌شده").nth(1).unwrap_or_default();
        (1..=105)
            .map(|n| format!("سالن {n}<"))
            .filter(|hall| part.contains(hall.as_str()))
            .collect()
    };
    let (mut seen, mut page, mut pages) = (decided(&queue), queue, 1);
    assert!(seen.contains(&"سالن 105<".to_owned()), "newest first");
    let pattern = "class=\"button\" href=\"/admin/hosting?decided=";
    // The pager's "Next page" (its "First page" has an empty token).
    while let Some(token) = page
        .split(pattern)
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .find(|token| !token.is_empty())
        .map(str::to_owned)
    {
        let (status, next) = admin.text(&format!("/admin/hosting?decided={token}")).await;
        assert_eq!(status, StatusCode::OK);
        assert!(next.contains("سالن 0"), "the waiting one on every page");
        seen.extend(decided(&next));
        page = next;
        pages += 1;
        assert!(pages <= 5, "the pages end");
    }
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), 105, "every decided proposal once");
    // A stale page link shows the newest decisions.
    let (status, page) = admin.text("/admin/hosting?decided=stale").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("سالن 105<"), "{page}");
}
