//! The council's and the instructors' pages over real HTTP: who may open
//! them, the vote form's refusals, attendance and completion through forms,
//! and the roster downloads read back.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::*;
use hamafza_kit::auth::Role;
use hamafza_proto::courses as cpb;
use hamafza_proto::enrolments as epb;
use hamafza_testkit::Who;
use reqwest::StatusCode;

const RAHIMI: Who = ("instructor-rahimi", "imidro", &[Role::Instructor]);
const SARA: Who = ("trainee-msc-1", "msc", &[Role::Trainee]);
const ALI: Who = ("trainee-ksc-1", "ksc", &[Role::Trainee]);

/// The council page's link to PR-180, the demo course waiting for votes.
fn pr180_link(queue: &str) -> String {
    let at = queue.find("PR-180").expect("PR-180 is in the queue");
    let before = &queue[..at];
    let start = before
        .rfind("href=\"/council/courses/")
        .expect("a link to PR-180")
        + 6;
    before[start..].split('"').next().unwrap().to_owned()
}

#[tokio::test]
async fn a_council_member_votes_through_the_form_and_refusals_reshow_it() {
    let stack = Stack::start().await;

    // A trainee is told clearly that the council's pages are not theirs.
    let trainee = stack.browser();
    trainee.sign_in("trainee-msc-1").await;
    let (status, page) = trainee.text("/council").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(page.contains("برای اعضای شورای سیاست‌گذاری است"), "{page}");
    let (_, home) = trainee.text("/").await;
    assert!(!home.contains("href=\"/council\"") && !home.contains("href=\"/teach\""));

    let member = stack.browser();
    member.sign_in("council-msc").await;
    let (_, home) = member.text("/").await;
    assert!(
        home.contains("href=\"/council\""),
        "the council link is offered"
    );
    let (status, queue) = member.text("/council").await;
    assert_eq!(status, StatusCode::OK);
    let item = pr180_link(&queue);
    let (status, page) = member.text(&item).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Measuring PR Effectiveness"), "both titles");
    assert!(page.contains("سنجش و ارزیابی اثربخشی روابط عمومی"));
    assert!(page.contains("PR-101"), "the prerequisite by code");
    assert!(page.contains("۰ موافقت از ۲ موافقت لازم"), "the quorum");
    let csrf = hidden(&page, "csrf");
    let vote = format!("{item}/vote");

    // No CSRF token: refused, nothing recorded.
    let response = member
        .post(&vote, &[("decision", "approve"), ("comment", "")])
        .await;
    assert!(response.status().is_client_error(), "{}", response.status());
    // Rejecting without a reason: the form again, the problem beside the
    // comment, the choice kept.
    let response = member
        .post(
            &vote,
            &[("csrf", &csrf), ("decision", "reject"), ("comment", "  ")],
        )
        .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let page = response.text().await.unwrap();
    assert!(page.contains("برای رأی مخالف، دلیل را بنویسید"), "{page}");
    assert!(page.contains("value=\"reject\" checked"), "{page}");

    let response = member
        .post(
            &vote,
            &[
                ("csrf", &csrf),
                ("decision", "approve"),
                ("comment", "سرفصل‌ها کامل است"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let (_, page) = member
        .text(response.headers()["location"].to_str().unwrap())
        .await;
    assert!(page.contains("رأی موافق شما ثبت شد"), "{page}");
    assert!(page.contains("۱ موافقت از ۲ موافقت لازم"), "{page}");
    assert!(
        page.contains("سرفصل‌ها کامل است"),
        "the vote with its comment"
    );
    // A second vote in the round is refused in words.
    let response = member
        .post(&vote, &[("csrf", &csrf), ("decision", "approve")])
        .await;
    assert_eq!(response.status(), StatusCode::CONFLICT);
    assert!(response.text().await.unwrap().contains("پیش‌تر رأی داده‌اید"));
    // The member's own votes.
    let (_, mine) = member.text("/council?tab=mine").await;
    assert!(mine.contains("PR-180") && mine.contains("سرفصل‌ها کامل است"));

    // The second member's approval reaches the quorum of 2.
    let second = stack.browser();
    second.sign_in("council-gegh").await;
    let (_, page) = second.text(&item).await;
    let csrf = hidden(&page, "csrf");
    let response = second
        .post(&vote, &[("csrf", &csrf), ("decision", "approve")])
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let (_, page) = second
        .text(response.headers()["location"].to_str().unwrap())
        .await;
    assert!(page.contains("حد نصاب رسید"), "{page}");
    assert!(page.contains("تأیید شد"));
    let (_, queue) = second.text("/council").await;
    assert!(!queue.contains("PR-180"), "no longer waiting");
    let (_, decided) = second.text("/council?tab=decided").await;
    assert!(decided.contains("PR-180") && decided.contains("مهدی کاظمی"));
}

#[tokio::test]
async fn my_votes_lists_every_vote_of_the_member_a_page_at_a_time() {
    let stack = Stack::start().await;
    const MEMBER: Who = ("council-msc", "msc", &[Role::Council, Role::OrgManager]);
    // 25 courses the member approved, one after another (two approvals are
    // needed, so each still waits).
    let mut codes = Vec::new();
    for i in 0..25 {
        let code = format!("PR-7{i:02}");
        let course = fixtures::create_course(&stack, ADMIN, fixtures::course_details(&code))
            .await
            .unwrap();
        fixtures::submit_course(&stack, ADMIN, &course.id)
            .await
            .unwrap();
        fixtures::review_course(&stack, MEMBER, &course.id, cpb::VoteDecision::Approve, "")
            .await
            .unwrap();
        codes.push(code);
    }
    let member = stack.browser();
    member.sign_in(MEMBER.0).await;
    let shown = |page: &str| -> Vec<String> {
        codes
            .iter()
            .filter(|code| page.contains(&format!(">{code}<")))
            .cloned()
            .collect()
    };
    // The pager's link (the language switch also names the page).
    let earlier = |page: &str| -> Option<String> {
        let pattern = "class=\"button\" href=\"/council?tab=mine&amp;votes_page=";
        let token = page.split(pattern).nth(1)?.split('"').next()?;
        Some(format!("/council?tab=mine&votes_page={token}"))
    };
    let (status, first) = member.text("/council?tab=mine").await;
    assert_eq!(status, StatusCode::OK);
    let newest = shown(&first);
    assert_eq!(newest.len(), 20, "a page of 20: {newest:?}");
    assert!(newest.contains(&"PR-724".to_owned()), "the newest first");
    let mut seen = newest;
    let mut next = earlier(&first);
    let mut pages = 1;
    while let Some(path) = next {
        let (status, page) = member.text(&path).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        assert!(page.contains("تازه‌ترین رأی‌ها"), "a way back to the newest");
        seen.extend(shown(&page));
        next = earlier(&page);
        pages += 1;
        assert!(pages <= 5, "the pages end");
    }
    seen.sort();
    assert_eq!(seen, codes, "every vote once");

    // A stale page link shows the newest votes; in English the pager's words.
    let (status, page) = member
        .text("/council?tab=mine&votes_page=not-a-token")
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains(">PR-724<"), "{page}");
    assert!(!page.contains("تازه‌ترین رأی‌ها"), "already the newest");
    let (_, page) = member.text("/council?tab=mine&lang=en").await;
    assert!(page.contains("Earlier votes"), "{page}");

    // A member who has not voted (the demo's third) is told where to start.
    let third = stack.browser();
    third.sign_in("council-salco").await;
    let (status, page) = third.text("/council?tab=mine").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("هنوز رأیی نداده‌اید"), "{page}");
    assert!(
        !page.contains("<tbody>") && !page.contains("votes_page="),
        "{page}"
    );
}

/// A session under way of the demo PR-101 (two meetings, no prerequisites,
/// no manager's approval), taught by instructor-rahimi, with Sara (msc) and
/// Ali (ksc) enrolled: its meetings have begun, so attendance and scores can
/// be recorded. Its id.
async fn rahimi_session_with_two(stack: &Stack) -> String {
    let session = rahimi_session_under_way(stack).await;
    for (who, tag) in [(SARA, "sara"), (ALI, "ali")] {
        fixtures::enrolled(stack, who, &session.id, tag).await;
    }
    session.id
}

#[tokio::test]
async fn an_instructor_is_told_a_meeting_has_not_started() {
    let stack = Stack::start().await;
    let session = rahimi_demo_session(&stack).await;
    fixtures::enrolled(&stack, SARA, &session.id, "sara").await;
    let sara = fixtures::enrolments_in(&stack, &session.id).await.remove(0);
    let instructor = stack.browser();
    instructor.sign_in(RAHIMI.0).await;
    let meeting = format!("/teach/sessions/{}/meetings/1", session.id);
    for (lang, wording) in [
        ("fa", "این جلسه هنوز شروع نشده است"),
        ("en", "This meeting has not started yet"),
    ] {
        let (_, form) = instructor.text(&format!("{meeting}?lang={lang}")).await;
        let response = instructor
            .post(
                &format!("{meeting}?lang={lang}"),
                &[
                    ("csrf", &hidden(&form, "csrf")),
                    ("request_id", &hidden(&form, "request_id")),
                    ("enrolment", &sara.id),
                    ("present", &sara.id),
                ],
            )
            .await;
        assert_eq!(
            response.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{lang}"
        );
        let page = response.text().await.unwrap();
        assert!(page.contains(wording), "{lang}: {page}");
    }
    // Nothing was recorded.
    let sara = fixtures::get_enrolment(&stack, ADMIN, &sara.id)
        .await
        .unwrap();
    assert_eq!(sara.meetings_attended, 0);
}

#[tokio::test]
async fn instructors_take_attendance_complete_and_download_their_own_rosters_only() {
    let stack = Stack::start().await;
    let session_id = rahimi_session_with_two(&stack).await;

    // Trainees are told the instructor's pages are not theirs.
    let trainee = stack.browser();
    trainee.sign_in("trainee-msc-1").await;
    let (status, page) = trainee.text("/teach").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(page.contains("این صفحه برای مدرسان است"), "{page}");
    let (status, _) = trainee.text(&format!("/teach/sessions/{session_id}")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    let instructor = stack.browser();
    instructor.sign_in("instructor-rahimi").await;
    let (status, list) = instructor.text("/teach").await;
    assert_eq!(status, StatusCode::OK);
    assert!(list.contains(&format!("/teach/sessions/{session_id}")));
    // The public session page says they teach it, and offers no enrolment.
    let (_, public) = instructor.text(&format!("/sessions/{session_id}")).await;
    assert!(public.contains("شما مدرس این دوره هستید"), "{public}");
    assert!(!public.contains("/enrol\""), "no enrol form");

    let roster_path = format!("/teach/sessions/{session_id}");
    let (status, roster) = instructor.text(&roster_path).await;
    assert_eq!(status, StatusCode::OK);
    assert!(roster.contains("سارا احمدی") || roster.contains("trainee-msc-1"));
    assert!(
        roster.contains("فولاد مبارکه"),
        "Sara's company by name: {roster}"
    );

    // Meeting 1: Ali absent.
    let meeting = format!("{roster_path}/meetings/1");
    let (_, form) = instructor.text(&meeting).await;
    let csrf = hidden(&form, "csrf");
    let request_id = hidden(&form, "request_id");
    let enrolments = fixtures::enrolments_in(&stack, &session_id).await;
    let sara = enrolments
        .iter()
        .find(|e| e.trainee.as_ref().unwrap().subject == SARA.0)
        .unwrap();
    let ali = enrolments
        .iter()
        .find(|e| e.trainee.as_ref().unwrap().subject == ALI.0)
        .unwrap();
    // A forged form is refused.
    let response = instructor
        .post(
            &meeting,
            &[
                ("csrf", "forged"),
                ("enrolment", &sara.id),
                ("present", &sara.id),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let response = instructor
        .post(
            &meeting,
            &[
                ("csrf", &csrf),
                ("request_id", &request_id),
                ("enrolment", &sara.id),
                ("present", &sara.id),
                ("enrolment", &ali.id),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let (_, page) = instructor
        .text(response.headers()["location"].to_str().unwrap())
        .await;
    assert!(
        page.contains("حضور ۱ نفر برای جلسه ۱ ثبت شد؛ ۱ نفر غایب"),
        "{page}"
    );

    // The CSV and the workbook read back, headed in Persian, with companies.
    for format in ["csv", "xlsx"] {
        let response = instructor
            .get(&format!("{roster_path}/roster?format={format}"))
            .await;
        assert_eq!(response.status(), StatusCode::OK, "{format}");
        assert!(
            response.headers()["content-disposition"]
                .to_str()
                .unwrap()
                .contains(&format!(".{format}"))
        );
        let bytes = response.bytes().await.unwrap();
        let table = hamafza_kit::sheet::read(&bytes, hamafza_kit::sheet::Limits::default())
            .unwrap_or_else(|error| panic!("{format}: {error}"));
        assert_eq!(table.headers[0], "نام", "{format}");
        let company = table.column("شرکت").unwrap();
        let meeting_1 = table.column("جلسه ۱").unwrap();
        assert_eq!(table.rows.len(), 2, "{format}");
        let ali_row = table
            .rows
            .iter()
            .find(|row| row.iter().any(|cell| cell == ALI.0))
            .unwrap();
        assert!(
            ali_row[company].contains("خوزستان"),
            "{format}: {ali_row:?}"
        );
        assert_eq!(ali_row[meeting_1], "غایب", "{format}");
        let enrolled_on = table.column("تاریخ ثبت‌نام").unwrap();
        assert!(ali_row[enrolled_on].contains("۱۴۰"), "a Jalali date");
    }
    let response = instructor
        .get(&format!("{roster_path}/roster?format=pdf"))
        .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);

    // Scores: a bad one re-shows the form with the problem on its row.
    let (_, page) = instructor.text(&roster_path).await;
    let csrf = hidden(&page, "csrf");
    let request_id = hidden(&page, "request_id");
    let complete = format!("{roster_path}/complete");
    let sara_score = format!("score_{}", sara.id);
    let ali_score = format!("score_{}", ali.id);
    let response = instructor
        .post(
            &complete,
            &[
                ("csrf", &csrf),
                ("request_id", &request_id),
                (&sara_score, "120"),
                (&ali_score, "90"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = response.text().await.unwrap();
    assert!(
        page.contains("نمره باید عددی درست از ۰ تا ۱۰۰ باشد"),
        "{page}"
    );
    assert!(page.contains("value=\"120\""), "the entry is kept");
    assert_eq!(
        fixtures::enrolments_in(&stack, &session_id)
            .await
            .iter()
            .filter(|e| e.status() == epb::EnrolmentStatus::Confirmed)
            .count(),
        2,
        "nothing was recorded"
    );

    // A score and a no-show on one row: the form again, the problem beside
    // the row, nothing recorded.
    let ali_no_show = format!("no_show_{}", ali.id);
    let response = instructor
        .post(
            &complete,
            &[
                ("csrf", &csrf),
                ("request_id", &request_id),
                (&ali_score, "40"),
                (&ali_no_show, "1"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = response.text().await.unwrap();
    assert!(page.contains("یا نمره بدهید یا «غایب» را بزنید"), "{page}");

    // Mark meeting 2 with everyone present, then complete: Sara passes
    // (2 of 2 meetings), Ali does not (1 of 2, below 75%).
    let (_, form) = instructor.text(&format!("{roster_path}/meetings/2")).await;
    let response = instructor
        .post(
            &format!("{roster_path}/meetings/2"),
            &[
                ("csrf", &hidden(&form, "csrf")),
                ("request_id", &hidden(&form, "request_id")),
                ("enrolment", &sara.id),
                ("present", &sara.id),
                ("enrolment", &ali.id),
                ("present", &ali.id),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let response = instructor
        .post(
            &complete,
            &[
                ("csrf", &csrf),
                ("request_id", &request_id),
                (&sara_score, "۸۵"),
                (&ali_score, "90"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let (_, page) = instructor
        .text(response.headers()["location"].to_str().unwrap())
        .await;
    assert!(page.contains("۱ نفر قبول، ۱ نفر مردود"), "{page}");
    assert!(
        page.contains("حضور ۵۰٪ کمتر از حداقل ۷۵٪"),
        "why Ali failed: {page}"
    );
}

#[tokio::test]
async fn an_instructor_cannot_open_a_session_they_do_not_teach() {
    let stack = Stack::start().await;
    let course = fixtures::published_course(&stack, "PR-901", |_| {}).await;
    // Taught by the test instructor, not by instructor-rahimi.
    let session = fixtures::open_session(&stack, &course, |_| {}).await;
    let instructor = stack.browser();
    instructor.sign_in("instructor-rahimi").await;
    for path in [
        format!("/teach/sessions/{}", session.id),
        format!("/teach/sessions/{}/meetings/1", session.id),
        format!("/teach/sessions/{}/meetings/1/sheet", session.id),
        format!("/teach/sessions/{}/roster?format=csv", session.id),
    ] {
        let (status, page) = instructor.text(&path).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{path}");
        assert!(page.contains("فقط مدرس این دوره"), "{path}: {page}");
    }
    // Nor record attendance in it.
    let (_, any) = instructor.text("/teach").await;
    let csrf = hidden(&any, "csrf");
    let response = instructor
        .post(
            &format!("/teach/sessions/{}/meetings/1", session.id),
            &[("csrf", &csrf), ("request_id", "x1"), ("enrolment", "e")],
        )
        .await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_rejected_program_returns_to_draft_with_the_reason_and_shows_as_decided() {
    use hamafza_proto::courses as cpb;
    let stack = Stack::start().await;
    let course = fixtures::published_course(&stack, "PR-902", |_| {}).await;
    let program = fixtures::create_program(
        &stack,
        ADMIN,
        fixtures::program_details("PRP-902", &[&course]),
    )
    .await
    .unwrap();
    fixtures::course_service(&stack)
        .submit_program(stack.request(
            ADMIN,
            cpb::SubmitProgramRequest {
                program_id: program.id.clone(),
            },
        ))
        .await
        .unwrap();
    let member = stack.browser();
    member.sign_in("council-salco").await;
    let (_, queue) = member.text("/council?lang=en").await;
    assert!(
        queue.contains("Programs") && queue.contains("PRP-902"),
        "{queue}"
    );
    let item = format!("/council/programs/{}", program.id);
    // Back to Persian (the English choice above was remembered).
    let (status, page) = member.text(&format!("{item}?lang=fa")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("PR-902"), "the program's courses by code");
    let csrf = hidden(&page, "csrf");
    let response = member
        .post(
            &format!("{item}/vote"),
            &[
                ("csrf", &csrf),
                ("decision", "reject"),
                ("comment", "درس‌های اختیاری کم است"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let (_, page) = member
        .text(response.headers()["location"].to_str().unwrap())
        .await;
    assert!(page.contains("رأی مخالف شما ثبت شد"), "{page}");
    assert!(page.contains("به پیش‌نویس بازگشت"), "{page}");
    let (_, decided) = member.text("/council?tab=decided").await;
    assert!(
        decided.contains("PRP-902") && decided.contains("درس‌های اختیاری کم است"),
        "{decided}"
    );
    // An unknown kind or id is "not found", not an error.
    for path in ["/council/lessons/x", "/council/courses/not-an-id"] {
        assert_eq!(
            member.get(path).await.status(),
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }
}
