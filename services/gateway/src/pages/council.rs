//! The policy council's pages «شورای سیاست‌گذاری»: the queue of courses and
//! programs waiting for its votes, each item in full with the votes so far
//! and the quorum, the vote form, the member's own past votes and decided
//! items. Who may see and vote is the courses service's rule; these pages
//! only show what it answers.

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use hamafza_kit::{ApiError, ErrorCode};
use maud::{Markup, html};
use serde::Deserialize;

use super::layout::page;
use crate::AppState;
use crate::i18n::{Lang, instant};
use crate::web::{PageError, Viewer, check_csrf};
use hamafza_proto::courses as cpb;

/// Items per page of every council list.
const PAGE_SIZE: i32 = 20;

/// What a council list shows.
#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    /// `queue` (the default), `mine` or `decided`.
    #[serde(default)]
    pub tab: String,
    /// The page of courses to show (a page token).
    #[serde(default)]
    pub courses_page: String,
    /// The page of programs to show (a page token).
    #[serde(default)]
    pub programs_page: String,
}

/// Courses or programs: the council votes on both alike.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A course.
    Course,
    /// A program.
    Program,
}

impl Kind {
    fn parse(lang: Lang, value: &str) -> Result<Self, PageError> {
        match value {
            "courses" => Ok(Self::Course),
            "programs" => Ok(Self::Program),
            other => Err(PageError::api(lang, ApiError::not_found("page", other))),
        }
    }

    fn path(self) -> &'static str {
        match self {
            Self::Course => "courses",
            Self::Program => "programs",
        }
    }

    fn name(self, lang: Lang) -> &'static str {
        match self {
            Self::Course => lang.pick("درس", "Course"),
            Self::Program => lang.pick("برنامه", "Program"),
        }
    }
}

/// One catalog item as the council sees it, course or program.
struct Item {
    kind: Kind,
    id: String,
    code: String,
    title: Option<hamafza_proto::common::LocalizedText>,
    status: cpb::CatalogStatus,
    review: cpb::CouncilReview,
    update_time: Option<prost_types::Timestamp>,
}

impl Item {
    fn course(course: cpb::Course) -> Self {
        let details = course.details.clone().unwrap_or_default();
        Self {
            kind: Kind::Course,
            status: course.status(),
            id: course.id,
            code: details.code,
            title: details.title,
            review: course.review.unwrap_or_default(),
            update_time: course.update_time,
        }
    }

    fn program(program: cpb::Program) -> Self {
        let details = program.details.clone().unwrap_or_default();
        Self {
            kind: Kind::Program,
            status: program.status(),
            id: program.id,
            code: details.code,
            title: details.title,
            review: program.review.unwrap_or_default(),
            update_time: program.update_time,
        }
    }

    fn href(&self) -> String {
        format!("/council/{}/{}", self.kind.path(), self.id)
    }
}

/// The refusal shown to someone who is not on the council.
fn council_only(lang: Lang, status: tonic::Status) -> PageError {
    if status.code() == tonic::Code::PermissionDenied {
        PageError::api(
            lang,
            ApiError::new(
                ErrorCode::PermissionDenied,
                "COUNCIL_ONLY",
                "this page is for members of the policy council",
            ),
        )
    } else {
        PageError::status(lang, status)
    }
}

/// A catalog status as a badge.
pub fn catalog_badge(lang: Lang, status: cpb::CatalogStatus, round: u32) -> Markup {
    let (fa, en, class) = match status {
        cpb::CatalogStatus::Draft if round > 0 => ("رد شده، بازگشت به پیش‌نویس", "Rejected", "bad"),
        cpb::CatalogStatus::Draft => ("پیش‌نویس", "Draft", ""),
        cpb::CatalogStatus::Submitted => ("در انتظار رأی شورا", "Waiting for the council", "warn"),
        cpb::CatalogStatus::Approved => ("تأیید شد", "Approved", "ok"),
        cpb::CatalogStatus::Published => ("تأیید و منتشر شد", "Approved and published", "ok"),
        cpb::CatalogStatus::Retired => ("بایگانی شده", "Retired", ""),
        cpb::CatalogStatus::Unspecified => ("—", "—", ""),
    };
    html! { span class={ "badge " (class) } { (lang.pick(fa, en)) } }
}

fn decision_badge(lang: Lang, decision: cpb::VoteDecision) -> Markup {
    match decision {
        cpb::VoteDecision::Approve => html! { span.badge.ok { (lang.pick("موافق", "Approve")) } },
        cpb::VoteDecision::Reject => html! { span.badge.bad { (lang.pick("مخالف", "Reject")) } },
        cpb::VoteDecision::Unspecified => html! { span.badge { "—" } },
    }
}

/// The vote `subject` cast in the review's latest round.
fn vote_by<'a>(review: &'a cpb::CouncilReview, subject: &str) -> Option<&'a cpb::CouncilVote> {
    review
        .votes
        .iter()
        .find(|v| v.voter.as_ref().is_some_and(|v| v.subject == subject))
}

fn voter(vote: &cpb::CouncilVote) -> &str {
    vote.voter
        .as_ref()
        .map(|v| v.name.as_str())
        .unwrap_or_default()
}

fn when(lang: Lang, vote: &cpb::CouncilVote) -> String {
    instant(vote.vote_time.as_ref())
        .map(|t| lang.date_time(t))
        .unwrap_or_default()
}

/// "1 of 2 approvals".
fn quorum(lang: Lang, review: &cpb::CouncilReview) -> String {
    match lang {
        Lang::Fa => format!(
            "{} موافقت از {} موافقت لازم",
            lang.num(review.approvals),
            lang.num(review.required_approvals)
        ),
        Lang::En => format!(
            "{} of {} required approvals",
            review.approvals, review.required_approvals
        ),
    }
}

async fn list_courses(
    state: &AppState,
    token: &str,
    lang: Lang,
    statuses: &[cpb::CatalogStatus],
    page_token: &str,
) -> Result<(Vec<Item>, String), PageError> {
    let reply = state
        .backends
        .as_caller(token)
        .courses()
        .list_courses(cpb::ListCoursesRequest {
            page_size: PAGE_SIZE,
            page_token: page_token.to_owned(),
            statuses: statuses.iter().map(|s| (*s).into()).collect(),
            ..Default::default()
        })
        .await
        .map_err(|s| council_only(lang, s))?
        .into_inner();
    Ok((
        reply.courses.into_iter().map(Item::course).collect(),
        reply.next_page_token,
    ))
}

async fn list_programs(
    state: &AppState,
    token: &str,
    lang: Lang,
    statuses: &[cpb::CatalogStatus],
    page_token: &str,
) -> Result<(Vec<Item>, String), PageError> {
    let reply = state
        .backends
        .as_caller(token)
        .courses()
        .list_programs(cpb::ListProgramsRequest {
            page_size: PAGE_SIZE,
            page_token: page_token.to_owned(),
            statuses: statuses.iter().map(|s| (*s).into()).collect(),
            ..Default::default()
        })
        .await
        .map_err(|s| council_only(lang, s))?
        .into_inner();
    Ok((
        reply.programs.into_iter().map(Item::program).collect(),
        reply.next_page_token,
    ))
}

async fn votes_of(
    state: &AppState,
    token: &str,
    lang: Lang,
    kind: Kind,
    id: &str,
) -> Result<Vec<cpb::CouncilVote>, PageError> {
    let caller = state.backends.as_caller(token);
    let votes = match kind {
        Kind::Course => caller
            .courses()
            .list_course_votes(cpb::ListCourseVotesRequest {
                course_id: id.to_owned(),
            })
            .await
            .map(|r| r.into_inner().votes),
        Kind::Program => caller
            .courses()
            .list_program_votes(cpb::ListProgramVotesRequest {
                program_id: id.to_owned(),
            })
            .await
            .map(|r| r.into_inner().votes),
    };
    votes.map_err(|s| council_only(lang, s))
}

/// `GET /council`.
pub async fn list(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(query): Query<ListQuery>,
) -> Result<Markup, PageError> {
    let lang = viewer.lang;
    let web = viewer.require()?;
    let tab = match query.tab.as_str() {
        "mine" | "decided" => query.tab.as_str(),
        _ => "queue",
    };
    let statuses: &[cpb::CatalogStatus] = match tab {
        "queue" => &[cpb::CatalogStatus::Submitted],
        "decided" => &[
            cpb::CatalogStatus::Approved,
            cpb::CatalogStatus::Published,
            cpb::CatalogStatus::Retired,
            cpb::CatalogStatus::Draft,
        ],
        _ => &[],
    };
    let (mut courses, next_courses) =
        list_courses(&state, &web.token, lang, statuses, &query.courses_page).await?;
    let (mut programs, next_programs) =
        list_programs(&state, &web.token, lang, statuses, &query.programs_page).await?;
    // A draft is decided only once it went through a review round (rejected).
    if tab == "decided" {
        courses.retain(|item| item.review.round > 0);
        programs.retain(|item| item.review.round > 0);
    }
    // The member's own votes, every round, of the items of this page.
    let mut mine = Vec::new();
    if tab == "mine" {
        for item in courses.iter().chain(programs.iter()) {
            if item.review.round == 0 {
                continue;
            }
            for vote in votes_of(&state, &web.token, lang, item.kind, &item.id).await? {
                if vote
                    .voter
                    .as_ref()
                    .is_some_and(|v| v.subject == web.caller.subject)
                {
                    mine.push((item, vote));
                }
            }
        }
    }
    let title = lang.pick("شورای سیاست‌گذاری", "Policy council");
    let more = |courses_page: &str, programs_page: &str| {
        format!("/council?tab={tab}&courses_page={courses_page}&programs_page={programs_page}")
    };
    Ok(page(
        &viewer,
        title,
        html! {
            h1 { (title) }
            nav.tabs {
                @for (key, fa, en) in [
                    ("queue", "در انتظار رأی", "Waiting for votes"),
                    ("mine", "رأی‌های من", "My votes"),
                    ("decided", "تصمیم‌گرفته‌ها", "Decided"),
                ] {
                    a class=[(key == tab).then_some("current")] href={ "/council?tab=" (key) } {
                        (lang.pick(fa, en))
                    }
                }
            }
            @match tab {
                "mine" => {
                    @if mine.is_empty() {
                        p.muted {
                            (lang.pick(
                                concat!(
                                    "در این صفحه رأیی از شما نیست. موارد در انتظار رأی را در ",
                                    "زبانهٔ «در انتظار رأی» ببینید و رأی دهید.",
                                ),
                                concat!(
                                    "No votes of yours on this page. Open “Waiting for votes” to ",
                                    "review and vote.",
                                )
                            ))
                        }
                    } @else {
                        div.scroll { table {
                            thead { tr {
                                th { (lang.pick("مورد", "Item")) }
                                th { (lang.pick("دور", "Round")) }
                                th { (lang.pick("رأی", "Vote")) }
                                th { (lang.pick("توضیح", "Comment")) }
                                th { (lang.pick("زمان", "When")) }
                                th { (lang.pick("وضعیت کنونی", "Now")) }
                            } }
                            tbody {
                                @for (item, vote) in &mine {
                                    tr {
                                        td {
                                            span.ltr { (item.code) } " "
                                            a href=(item.href()) {
                                                (lang.text(item.title.as_ref()))
                                            }
                                        }
                                        td { (lang.num(vote.round)) }
                                        td { (decision_badge(lang, vote.decision())) }
                                        td { (vote.comment) }
                                        td { (when(lang, vote)) }
                                        td { (catalog_badge(lang, item.status, item.review.round)) }
                                    }
                                }
                            }
                        } }
                    }
                },
                _ => {
                    @if courses.is_empty() && programs.is_empty() {
                        p.muted.empty {
                            @if tab == "queue" {
                                (lang.pick(
                                    concat!(
                                        "اکنون درس یا برنامه‌ای در انتظار رأی شورا نیست. هر گاه ",
                                        "دفتر روابط عمومی موردی را برای شورا بفرستد، اینجا دیده ",
                                        "می‌شود.",
                                    ),
                                    concat!(
                                        "Nothing waits for the council now. When the PR office ",
                                        "submits a course or program, it appears here.",
                                    )
                                ))
                            } @else {
                                (lang.pick(
                                    "در این صفحه موردی نیست که شورا دربارهٔ آن تصمیم گرفته باشد.",
                                    "No decided items on this page."
                                ))
                            }
                        }
                    }
                    @for (heading, items) in [
                        (lang.pick("درس‌ها", "Courses"), &courses),
                        (lang.pick("برنامه‌ها", "Programs"), &programs),
                    ] {
                        @if !items.is_empty() {
                            h2 { (heading) }
                            div.cards {
                                @for item in items.iter() {
                                    div.card {
                                        h3 {
                                            a href=(item.href()) {
                                                (lang.text(item.title.as_ref()))
                                            }
                                        }
                                        div.muted {
                                            span.ltr { (item.code) } " · " (item.kind.name(lang))
                                            @if let Some(t) = instant(item.update_time.as_ref()) {
                                                " · " (lang.date(t))
                                            }
                                        }
                                        div {
                                            (catalog_badge(lang, item.status, item.review.round))
                                        }
                                        div { (quorum(lang, &item.review)) }
                                        @if tab == "decided" {
                                            ul.votes {
                                                @for vote in &item.review.votes {
                                                    li {
                                                        bdi { (voter(vote)) } ": "
                                                        (decision_badge(lang, vote.decision()))
                                                        @if !vote.comment.is_empty() {
                                                            " — " bdi { (vote.comment) }
                                                        }
                                                    }
                                                }
                                            }
                                        } @else {
                                            @let mine = vote_by(&item.review, &web.caller.subject);
                                            @if let Some(vote) = mine {
                                                div.muted {
                                                    (lang.pick("رأی شما: ", "Your vote: "))
                                                    (decision_badge(lang, vote.decision()))
                                                }
                                            } @else {
                                                a.button href=(item.href()) {
                                                    (lang.pick("بررسی و رأی", "Review and vote"))
                                                }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            @if !next_courses.is_empty() || !next_programs.is_empty() {
                p.pager {
                    @if !next_courses.is_empty() {
                        a.button href=(more(&next_courses, &query.programs_page)) {
                            (lang.pick("درس‌های بیشتر", "More courses"))
                        }
                        " "
                    }
                    @if !next_programs.is_empty() {
                        a.button href=(more(&query.courses_page, &next_programs)) {
                            (lang.pick("برنامه‌های بیشتر", "More programs"))
                        }
                    }
                }
            }
        },
    ))
}

/// What happened on the last vote, shown once.
#[derive(Debug, Default, Deserialize)]
pub struct Done {
    /// `approve` or `reject`.
    #[serde(default)]
    pub done: String,
}

/// `GET /council/{kind}/{id}`.
pub async fn show(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((kind, id)): Path<(String, String)>,
    Query(done): Query<Done>,
) -> Result<Response, PageError> {
    let lang = viewer.lang;
    let kind = Kind::parse(lang, &kind)?;
    let shown = item_page(&state, &viewer, kind, &id, &done.done, None).await?;
    Ok(shown.into_response())
}

/// The vote form as posted.
#[derive(Debug, Deserialize)]
pub struct VoteForm {
    /// The session's CSRF token.
    #[serde(default)]
    pub csrf: String,
    /// `approve` or `reject`.
    #[serde(default)]
    pub decision: String,
    /// Why; required when rejecting.
    #[serde(default)]
    pub comment: String,
}

/// `POST /council/{kind}/{id}/vote`.
pub async fn vote(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((kind, id)): Path<(String, String)>,
    Form(form): Form<VoteForm>,
) -> Result<Response, PageError> {
    let lang = viewer.lang;
    let kind = Kind::parse(lang, &kind)?;
    let web = viewer.require()?;
    check_csrf(&viewer, &form.csrf)?;
    let decision = match form.decision.as_str() {
        "approve" => cpb::VoteDecision::Approve,
        "reject" => cpb::VoteDecision::Reject,
        _ => cpb::VoteDecision::Unspecified,
    };
    let mut courses = state.backends.as_caller(&web.token).courses();
    let outcome = match kind {
        Kind::Course => courses
            .review_course(cpb::ReviewCourseRequest {
                course_id: id.clone(),
                decision: decision.into(),
                comment: form.comment.clone(),
            })
            .await
            .map(|_| ()),
        Kind::Program => courses
            .review_program(cpb::ReviewProgramRequest {
                program_id: id.clone(),
                decision: decision.into(),
                comment: form.comment.clone(),
            })
            .await
            .map(|_| ()),
    };
    match outcome {
        Ok(()) => Ok(Redirect::to(&format!(
            "/council/{}/{id}?done={}",
            kind.path(),
            form.decision
        ))
        .into_response()),
        // A refusal of the vote itself re-shows the form with the problem
        // beside it; a refusal to see the item is a page of its own.
        Err(status)
            if matches!(
                status.code(),
                tonic::Code::InvalidArgument
                    | tonic::Code::AlreadyExists
                    | tonic::Code::FailedPrecondition
            ) =>
        {
            let error = ApiError::from_status(&status);
            let code =
                StatusCode::from_u16(error.code().http_status()).unwrap_or(StatusCode::BAD_REQUEST);
            let shown = item_page(&state, &viewer, kind, &id, "", Some((&form, &error))).await?;
            Ok((code, shown).into_response())
        }
        Err(status) => Err(council_only(lang, status)),
    }
}

/// The wording of a problem with one field of the vote form.
fn vote_problem(lang: Lang, error: &ApiError) -> (Option<&'static str>, Option<&'static str>) {
    let on = |field: &str| error.violations().iter().any(|v| v.field == field);
    if on("decision") {
        return (
            Some(lang.pick("موافق یا مخالف را برگزینید.", "Choose approve or reject.")),
            None,
        );
    }
    if on("comment") {
        return (
            None,
            Some(lang.pick(
                "برای رأی مخالف، دلیل را بنویسید (حداکثر ۲۰۰۰ نویسه).",
                "Say why when rejecting (at most 2000 characters).",
            )),
        );
    }
    (None, None)
}

async fn item_page(
    state: &AppState,
    viewer: &Viewer,
    kind: Kind,
    id: &str,
    done: &str,
    failed: Option<(&VoteForm, &ApiError)>,
) -> Result<Markup, PageError> {
    let lang = viewer.lang;
    let web = viewer.require()?;
    let caller = state.backends.as_caller(&web.token);
    let not_found = || PageError::api(lang, ApiError::not_found(kind.path(), id));
    let bad_id = |s: tonic::Status| {
        if s.code() == tonic::Code::InvalidArgument {
            not_found()
        } else {
            council_only(lang, s)
        }
    };
    let (item, course, program) = match kind {
        Kind::Course => {
            let course = caller
                .courses()
                .get_course(cpb::GetCourseRequest {
                    course_id: id.to_owned(),
                })
                .await
                .map_err(bad_id)?
                .into_inner()
                .course
                .ok_or_else(not_found)?;
            (Item::course(course.clone()), Some(course), None)
        }
        Kind::Program => {
            let program = caller
                .courses()
                .get_program(cpb::GetProgramRequest {
                    program_id: id.to_owned(),
                })
                .await
                .map_err(bad_id)?
                .into_inner()
                .program
                .ok_or_else(not_found)?;
            (Item::program(program.clone()), None, Some(program))
        }
    };
    let votes = votes_of(state, &web.token, lang, kind, id).await?;
    // Prerequisites (of a course) or member courses (of a program), by id.
    let related_ids: Vec<String> = match (&course, &program) {
        (Some(c), _) => c
            .details
            .as_ref()
            .map(|d| d.prerequisite_course_ids.clone())
            .unwrap_or_default(),
        (_, Some(p)) => p
            .details
            .as_ref()
            .map(|d| d.courses.iter().map(|c| c.course_id.clone()).collect())
            .unwrap_or_default(),
        _ => Vec::new(),
    };
    let related: Vec<cpb::Course> = if related_ids.is_empty() {
        Vec::new()
    } else {
        caller
            .courses()
            .list_courses(cpb::ListCoursesRequest {
                page_size: 200,
                course_ids: related_ids.clone(),
                ..Default::default()
            })
            .await
            .map_err(|s| council_only(lang, s))?
            .into_inner()
            .courses
    };
    let related_of = |course_id: &str| {
        let details = related
            .iter()
            .find(|c| c.id == course_id)
            .and_then(|c| c.details.clone())
            .unwrap_or_default();
        (details.code, details.title)
    };
    let my_vote = vote_by(&item.review, &web.caller.subject);
    let title = lang.text(item.title.as_ref()).to_owned();
    let title_fa = item
        .title
        .as_ref()
        .map(|t| t.fa.as_str())
        .unwrap_or_default();
    let title_en = item
        .title
        .as_ref()
        .map(|t| t.en.as_str())
        .unwrap_or_default();
    let (decision_problem, comment_problem) = failed
        .map(|(_, error)| vote_problem(lang, error))
        .unwrap_or_default();
    let rounds: Vec<u32> = {
        let mut rounds: Vec<u32> = votes.iter().map(|v| v.round).collect();
        rounds.dedup();
        rounds.into_iter().rev().collect()
    };
    let yes_no = |value: bool| {
        if value {
            lang.pick("بله", "Yes")
        } else {
            lang.pick("خیر", "No")
        }
    };
    Ok(page(
        viewer,
        &title,
        html! {
            p.no-print { a href="/council" { (lang.pick("→ صف شورا", "← Council queue")) } }
            @match done {
                "approve" | "reject" => p.flash {
                    @if done == "approve" {
                        (lang.pick("رأی موافق شما ثبت شد.", "Your approval is recorded."))
                    } @else {
                        (lang.pick("رأی مخالف شما ثبت شد.", "Your rejection is recorded."))
                    }
                    " "
                    @match item.status {
                        cpb::CatalogStatus::Approved => (lang.pick(
                            "با این رأی، حد نصاب رسید و این مورد تأیید شد.",
                            "With it the quorum is reached: approved."
                        )),
                        cpb::CatalogStatus::Draft => (lang.pick(
                            "این مورد برای اصلاح به پیش‌نویس بازگشت.",
                            "It returns to draft for changes."
                        )),
                        _ => (quorum(lang, &item.review)),
                    }
                },
                _ => {}
            }
            h1 { (title) }
            p.muted {
                span.ltr { (item.code) } " · " (item.kind.name(lang)) " · "
                (catalog_badge(lang, item.status, item.review.round))
            }
            h2 { (lang.pick("مشخصات", "Details")) }
            div.scroll { table.details {
                tbody {
                    tr { th { (lang.pick("عنوان فارسی", "Persian title")) }
                        td lang="fa" dir="rtl" { (title_fa) } }
                    tr { th { (lang.pick("عنوان انگلیسی", "English title")) }
                        td lang="en" dir="ltr" { (title_en) } }
                    @if let Some(details) = course.as_ref().and_then(|c| c.details.as_ref()) {
                        tr { th { (lang.pick("شرح", "Description")) }
                            td { (lang.text(details.description.as_ref())) } }
                        tr { th { (lang.pick("موضوع", "Subject")) } td { (crate::i18n::category_name(lang, &details.category)) } }
                        tr { th { (lang.pick("ساعت آموزش", "Hours")) }
                            td { (lang.num(details.hours)) } }
                        tr { th { (lang.pick("شیوهٔ برگزاری", "Delivery")) }
                            td { (mode(lang, details.delivery_mode())) } }
                        tr { th { (lang.pick("نمرهٔ قبولی", "Passing score")) }
                            td { (lang.num(details.passing_score)) } }
                        tr { th { (lang.pick("حداقل حضور", "Minimum attendance")) }
                            td { (lang.percent(details.min_attendance_percent)) } }
                        tr { th { (lang.pick("اعتبار گواهی", "Certificate valid for")) }
                            td {
                                @match details.certificate_validity_months {
                                    Some(months) => {
                                        (lang.num(months)) " " (lang.pick("ماه", "months"))
                                    },
                                    None => (lang.pick("بدون انقضا", "Never expires")),
                                }
                            } }
                        tr { th { (lang.pick("نیاز به تأیید مدیر", "Manager approval")) }
                            td { (yes_no(details.requires_manager_approval)) } }
                        tr { th { (lang.pick("پیش‌نیازها", "Prerequisites")) }
                            td {
                                @if details.prerequisite_course_ids.is_empty() {
                                    (lang.pick("ندارد", "None"))
                                }
                                ul {
                                    @for prerequisite in &details.prerequisite_course_ids {
                                        @let (code, title) = related_of(prerequisite);
                                        li { span.ltr { (code) } " " (lang.text(title.as_ref())) }
                                    }
                                }
                            } }
                    }
                    @if let Some(details) = program.as_ref().and_then(|p| p.details.as_ref()) {
                        tr { th { (lang.pick("شرح", "Description")) }
                            td { (lang.text(details.description.as_ref())) } }
                        tr { th { (lang.pick("درس‌ها", "Courses")) }
                            td { ol {
                                @for member in &details.courses {
                                    @let (code, title) = related_of(&member.course_id);
                                    li {
                                        span.ltr { (code) } " " (lang.text(title.as_ref())) " "
                                        @if member.required {
                                            span.badge { (lang.pick("الزامی", "required")) }
                                        } @else {
                                            span.badge { (lang.pick("اختیاری", "elective")) }
                                        }
                                    }
                                }
                            } } }
                    }
                }
            } }
            h2 { (lang.pick("رأی‌ها و حد نصاب", "Votes and quorum")) }
            p.quorum {
                @if item.review.round > 0 {
                    (lang.pick("دور بررسی ", "Review round ")) (lang.num(item.review.round)) ": "
                }
                strong { (quorum(lang, &item.review)) }
            }
            @if votes.is_empty() {
                p.muted { (lang.pick("هنوز کسی رأی نداده است.", "No one has voted yet.")) }
            }
            @for round in &rounds {
                @if rounds.len() > 1 {
                    h3 { (lang.pick("دور ", "Round ")) (lang.num(round)) }
                }
                div.scroll { table.votes {
                    thead { tr {
                        th { (lang.pick("عضو شورا", "Member")) }
                        th { (lang.pick("رأی", "Vote")) }
                        th { (lang.pick("توضیح", "Comment")) }
                        th { (lang.pick("زمان", "When")) }
                    } }
                    tbody {
                        @for vote in votes.iter().filter(|v| v.round == *round) {
                            tr {
                                td { (voter(vote)) }
                                td { (decision_badge(lang, vote.decision())) }
                                td { (vote.comment) }
                                td { (when(lang, vote)) }
                            }
                        }
                    }
                } }
            }
            @if let Some((_, error)) = failed {
                @if decision_problem.is_none() && comment_problem.is_none() {
                    p.error { (crate::i18n::refusal(lang, error)) }
                }
            }
            @if item.status == cpb::CatalogStatus::Submitted {
                @if let Some(vote) = my_vote {
                    p.muted {
                        (lang.pick("رأی شما در این دور: ", "Your vote in this round: "))
                        (decision_badge(lang, vote.decision()))
                    }
                } @else {
                    h2 { (lang.pick("رأی شما", "Your vote")) }
                    form.vote method="post" action={ (item.href()) "/vote" } {
                        input type="hidden" name="csrf" value=(web.csrf);
                        @let chosen = failed.map(|(f, _)| f.decision.as_str()).unwrap_or_default();
                        fieldset {
                            legend { (lang.pick("تصمیم", "Decision")) }
                            label {
                                input type="radio" name="decision" value="approve"
                                    checked[chosen != "reject"];
                                " " (lang.pick("موافق", "Approve"))
                            }
                            " "
                            label {
                                input type="radio" name="decision" value="reject"
                                    checked[chosen == "reject"];
                                " " (lang.pick("مخالف", "Reject"))
                            }
                            @if let Some(problem) = decision_problem { p.error.field { (problem) } }
                        }
                        label for="comment" {
                            (lang.pick(
                                "توضیح (برای رأی مخالف الزامی است)",
                                "Comment (required to reject)"
                            ))
                        }
                        textarea.text id="comment" name="comment" maxlength="2000" {
                            (failed.map(|(f, _)| f.comment.as_str()).unwrap_or_default())
                        }
                        @if let Some(problem) = comment_problem { p.error.field { (problem) } }
                        p { button type="submit" { (lang.pick("ثبت رأی", "Cast vote")) } }
                    }
                }
            }
        },
    ))
}

fn mode(lang: Lang, mode: cpb::DeliveryMode) -> &'static str {
    match mode {
        cpb::DeliveryMode::InPerson => lang.pick("حضوری", "In person"),
        cpb::DeliveryMode::Online => lang.pick("برخط", "Online"),
        cpb::DeliveryMode::Blended => lang.pick("ترکیبی", "Blended"),
        cpb::DeliveryMode::Unspecified => "—",
    }
}
