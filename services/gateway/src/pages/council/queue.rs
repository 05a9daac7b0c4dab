//! `/council`: what waits for the council's votes, the member's own past
//! votes and the items decided.

use crate::web::Query;
use axum::extract::State;
use hamafza_proto::courses as cpb;
use maud::{Markup, html};
use serde::Deserialize;

use super::{Item, catalog_badge, council_only, decision_badge, quorum, vote_by, voter, when};
use crate::AppState;
use crate::i18n::{Lang, instant};
use crate::pages::forms::urlencode;
use crate::pages::layout::page;
use crate::pages::lookup::page_or_first;
use crate::web::{PageError, Viewer};

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
    /// The page of the member's own votes to show (a page token).
    #[serde(default)]
    pub votes_page: String,
}

/// A page of the courses and a page of the programs in `statuses` that were
/// sent to the council (a draft only once the council returned it), read
/// side by side.
async fn list_items(
    state: &AppState,
    token: &str,
    lang: Lang,
    statuses: &[cpb::CatalogStatus],
    query: &ListQuery,
) -> Result<[(Vec<Item>, String); 2], PageError> {
    let caller = state.backends.as_caller(token);
    let statuses: Vec<i32> = statuses.iter().map(|s| (*s).into()).collect();
    let (mut course_client, mut program_client) = (caller.courses(), caller.courses());
    let (courses, programs) = tokio::try_join!(
        course_client.list_courses(cpb::ListCoursesRequest {
            page_size: PAGE_SIZE,
            page_token: query.courses_page.clone(),
            statuses: statuses.clone(),
            reviewed: true,
            ..Default::default()
        }),
        program_client.list_programs(cpb::ListProgramsRequest {
            page_size: PAGE_SIZE,
            page_token: query.programs_page.clone(),
            statuses,
            reviewed: true,
            ..Default::default()
        }),
    )
    .map_err(|s| council_only(lang, s))?;
    let (courses, programs) = (courses.into_inner(), programs.into_inner());
    Ok([
        (
            courses.courses.into_iter().map(Item::course).collect(),
            courses.next_page_token,
        ),
        (
            programs.programs.into_iter().map(Item::program).collect(),
            programs.next_page_token,
        ),
    ])
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
        "mine" => return mine(&state, &viewer, &query.votes_page).await,
        "decided" => "decided",
        _ => "queue",
    };
    let statuses: &[cpb::CatalogStatus] = match tab {
        "queue" => &[cpb::CatalogStatus::Submitted],
        _ => &[
            cpb::CatalogStatus::Approved,
            cpb::CatalogStatus::Published,
            cpb::CatalogStatus::Retired,
            cpb::CatalogStatus::Draft,
        ],
    };
    let [(courses, next_courses), (programs, next_programs)] =
        list_items(&state, &web.token, lang, statuses, &query).await?;
    let title = council_title(lang);
    let more = |courses_page: &str, programs_page: &str| {
        format!("/council?tab={tab}&courses_page={courses_page}&programs_page={programs_page}")
    };
    Ok(page(
        &viewer,
        title,
        html! {
            h1 { (title) }
            (tabs(lang, tab))
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

/// The council's pages' title.
fn council_title(lang: Lang) -> &'static str {
    lang.pick("شورای سیاست‌گذاری", "Policy council")
}

/// The council pages' tabs, `tab` the current one.
fn tabs(lang: Lang, tab: &str) -> Markup {
    html! {
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
    }
}

/// `GET /council?tab=mine`: the member's own votes, every round, newest
/// first, a page at a time, each with what it was on as it is now.
async fn mine(state: &AppState, viewer: &Viewer, votes_page: &str) -> Result<Markup, PageError> {
    let lang = viewer.lang;
    let web = viewer.require()?;
    let caller = state.backends.as_caller(&web.token);
    let request = |page_token: &str| cpb::ListCouncilVotesRequest {
        voter_subject: String::new(),
        page_size: PAGE_SIZE,
        page_token: page_token.to_owned(),
    };
    // A stale or mistyped page link shows the newest votes.
    let (shown, reply) = page_or_first(votes_page, |page_token| {
        let request = request(&page_token);
        let caller = &caller;
        async move {
            Ok(caller
                .courses()
                .list_council_votes(request)
                .await?
                .into_inner())
        }
    })
    .await
    .map_err(|s| council_only(lang, s))?;
    let title = council_title(lang);
    Ok(page(
        viewer,
        title,
        html! {
            h1 { (title) }
            (tabs(lang, "mine"))
            @if reply.votes.is_empty() {
                p.muted.empty {
                    (lang.pick(
                        concat!(
                            "هنوز رأیی نداده‌اید. موارد در انتظار رأی را در زبانهٔ ",
                            "«در انتظار رأی» ببینید و رأی دهید.",
                        ),
                        concat!(
                            "You have not voted yet. Open “Waiting for votes” to review ",
                            "and vote.",
                        )
                    ))
                }
            } @else {
                div.scroll tabindex="0" { table {
                    thead { tr {
                        th { (lang.pick("مورد", "Item")) }
                        th { (lang.pick("دور", "Round")) }
                        th { (lang.pick("رأی", "Vote")) }
                        th { (lang.pick("توضیح", "Comment")) }
                        th { (lang.pick("زمان", "When")) }
                        th { (lang.pick("وضعیت کنونی", "Now")) }
                    } }
                    tbody {
                        @for voted in &reply.votes {
                            @let vote = voted.vote.clone().unwrap_or_default();
                            tr {
                                td {
                                    span.ltr { (voted.code) } " "
                                    @if let Some(href) = href_of(voted) {
                                        a href=(href) { (lang.text(voted.title.as_ref())) }
                                    }
                                }
                                td { (lang.num(vote.round)) }
                                td { (decision_badge(lang, vote.decision())) }
                                td { bdi { (vote.comment) } }
                                td { (when(lang, &vote)) }
                                td { (catalog_badge(lang, voted.status(), voted.review_round)) }
                            }
                        }
                    }
                } }
            }
            p.pager {
                @if !shown.is_empty() {
                    a.button href="/council?tab=mine" {
                        (lang.pick("تازه‌ترین رأی‌ها", "Newest votes"))
                    }
                    " "
                }
                @if !reply.next_page_token.is_empty() {
                    a.button href={ "/council?tab=mine&votes_page=" (urlencode(&reply.next_page_token)) } {
                        (lang.pick("رأی‌های پیش‌تر", "Earlier votes"))
                    }
                }
            }
        },
    ))
}

/// Where the council reads what a vote was on.
fn href_of(voted: &cpb::MemberVote) -> Option<String> {
    match voted.item.as_ref()? {
        cpb::member_vote::Item::CourseId(id) => Some(format!("/council/courses/{id}")),
        cpb::member_vote::Item::ProgramId(id) => Some(format!("/council/programs/{id}")),
    }
}
