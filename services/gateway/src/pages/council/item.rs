//! `/council/{kind}/{id}`: one course or program in full with the votes so
//! far and the quorum, and the member's vote on it.

use crate::web::Query;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use hamafza_kit::ApiError;
use hamafza_proto::courses as cpb;
use maud::{Markup, html};
use serde::Deserialize;

use super::{
    Item, Kind, catalog_badge, council_only, decision_badge, quorum, vote_by, voter, votes_of, when,
};
use crate::AppState;
use crate::i18n::Lang;
use crate::pages::layout::page;
use crate::pages::lookup::courses_named;
use crate::web::{PageError, Viewer, check_csrf};

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
    let related = courses_named(&caller, related_ids)
        .await
        .map_err(|s| council_only(lang, s))?;
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
            div.scroll tabindex="0" { table.details {
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
                            td { (crate::pages::course::delivery_mode(lang, details.delivery_mode())) } }
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
                div.scroll tabindex="0" { table.votes {
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
