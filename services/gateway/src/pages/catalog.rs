//! The catalog: programs, published courses and upcoming sessions with the
//! seats left, filterable by text and category. Readable without signing in.

use std::collections::HashMap;

use crate::web::Query;
use axum::extract::State;
use maud::{Markup, html};
use serde::Deserialize;

use super::layout::page;
use super::lookup::{every_page, every_session};
use crate::AppState;
use crate::i18n::instant;
use crate::web::{PageError, Viewer};
use hamafza_proto::courses as cpb;

/// Catalog filters.
#[derive(Debug, Default, Deserialize)]
pub struct Filters {
    /// Text in code or title.
    #[serde(default)]
    pub text: String,
    /// A category.
    #[serde(default)]
    pub category: String,
}

/// `GET /`.
pub async fn show(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(filters): Query<Filters>,
) -> Result<Markup, PageError> {
    let lang = viewer.lang;
    let token = state.backends.public_token();
    let caller = state.backends.as_caller(&token);
    let caller = &caller;
    let text: String = filters.text.trim().chars().take(100).collect();
    let category: String = filters.category.trim().chars().take(40).collect();
    let filtered = !text.is_empty() || !category.is_empty();
    // Every published course (those the filters let through, and, when
    // they hold any back, all of them: a program names its courses and the
    // subject list offers every subject whatever is searched) and program,
    // and every open session (one page each, as a rule), read side by side.
    let (courses, all_courses, programs, sessions) = tokio::try_join!(
        published_courses(caller, &text, &category),
        async {
            if filtered {
                published_courses(caller, "", "").await.map(Some)
            } else {
                Ok(None)
            }
        },
        every_page(|page_token| {
            let request = cpb::ListProgramsRequest {
                page_size: 200,
                page_token,
                statuses: vec![cpb::CatalogStatus::Published.into()],
                ..Default::default()
            };
            async move {
                let reply = caller.courses().list_programs(request).await?.into_inner();
                Ok((reply.programs, reply.next_page_token))
            }
        }),
        every_session(
            caller,
            cpb::ListSessionsRequest {
                statuses: vec![cpb::SessionStatus::Open.into()],
                ..Default::default()
            },
        ),
    )
    .map_err(|status| PageError::status(lang, status))?;
    let all_courses = all_courses.as_ref().unwrap_or(&courses);
    let shown_courses: HashMap<&str, &cpb::Course> =
        courses.iter().map(|c| (c.id.as_str(), c)).collect();
    let every_course: HashMap<&str, &cpb::Course> =
        all_courses.iter().map(|c| (c.id.as_str(), c)).collect();
    let sessions: Vec<&cpb::Session> = sessions
        .iter()
        .filter(|s| shown_courses.contains_key(s.course_id.as_str()))
        .filter(|s| crate::pages::lookup::takes_enrolments(s))
        .collect();
    let caller = state.backends.as_caller(viewer.token().unwrap_or(&token));
    let seats = crate::pages::lookup::seats_of(&caller, sessions.iter().copied()).await;
    let mut categories: Vec<&str> = all_courses
        .iter()
        .filter_map(|c| c.details.as_ref())
        .map(|d| d.category.as_str())
        .collect();
    categories.sort_unstable();
    categories.dedup();
    let title = lang.pick("دوره‌های آموزشی روابط عمومی", "PR training catalog");
    Ok(page(
        &viewer,
        title,
        html! {
            h1 { (title) }
            form.filters method="get" action="/" {
                label.visually-hidden for="catalog-text" {
                    (lang.pick("جست‌وجو در عنوان یا کد", "Search title or code"))
                }
                input id="catalog-text" type="search" name="text" value=(filters.text)
                    placeholder=(lang.pick("جست‌وجو در عنوان یا کد", "Search title or code"));
                label.visually-hidden for="catalog-category" { (lang.pick("موضوع", "Subject")) }
                select id="catalog-category" name="category" {
                    option value="" { (lang.pick("همه موضوع‌ها", "All subjects")) }
                    @for category in &categories {
                        option value=(category) selected[*category == filters.category] {
                            (crate::i18n::category_name(lang, category))
                        }
                    }
                }
                button type="submit" { (lang.pick("جست‌وجو", "Search")) }
            }
            h2 { (lang.pick("دوره‌های پیش رو", "Upcoming sessions")) }
            @if sessions.is_empty() {
                p.muted {
                    (lang.pick(
                        "فعلاً دوره‌ای برای ثبت‌نام باز نیست.",
                        "No session is open for enrolment right now."
                    ))
                }
            }
            div.cards {
                @for session in &sessions {
                    @let course = shown_courses
                        .get(session.course_id.as_str())
                        .and_then(|c| c.details.as_ref());
                    div.card {
                        h3 {
                            a href={ "/sessions/" (session.id) } {
                                (lang.text(course.and_then(|c| c.title.as_ref())))
                            }
                        }
                        @if let Some(start) = instant(session.start_time.as_ref()) {
                            div { (lang.pick("شروع: ", "Starts: ")) (lang.date_time(start)) }
                        }
                        @if let Some(seat) = seats.get(&session.id) {
                            div {
                                @if seat.seats_left > 0 {
                                    span.badge.ok {
                                        (lang.num(seat.seats_left))
                                        " "
                                        (lang.pick("صندلی خالی", "seats left"))
                                    }
                                } @else {
                                    span.badge.warn {
                                        (lang.pick(
                                            "ظرفیت تکمیل؛ فهرست انتظار",
                                            "Full — waitlist open"
                                        ))
                                    }
                                }
                            }
                        }
                        div.muted {
                            (lang.text(session.details.as_ref().and_then(|d| d.venue.as_ref())))
                        }
                        @if let Some(host) = crate::pages::lookup::hosted_by(lang, session) {
                            div.host { (host) }
                        }
                    }
                }
            }
            h2 { (lang.pick("برنامه‌ها", "Programs")) }
            div.cards {
                @for program in &programs {
                    @let details = program.details.as_ref();
                    div.card {
                        h3 { (lang.text(details.and_then(|d| d.title.as_ref()))) }
                        div.muted { (lang.text(details.and_then(|d| d.description.as_ref()))) }
                        ul {
                            @for item in details.map(|d| d.courses.as_slice()).unwrap_or_default() {
                                li {
                                    (lang.text(
                                        every_course
                                            .get(item.course_id.as_str())
                                            .and_then(|c| c.details.as_ref())
                                            .and_then(|d| d.title.as_ref())
                                    ))
                                    @if !item.required {
                                        " " span.badge { (lang.pick("اختیاری", "elective")) }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            h2 { (lang.pick("همه دوره‌ها", "All courses")) }
            table {
                thead { tr {
                    th { (lang.pick("کد", "Code")) }
                    th { (lang.pick("عنوان", "Title")) }
                    th { (lang.pick("موضوع", "Subject")) }
                    th { (lang.pick("ساعت", "Hours")) }
                } }
                tbody {
                    @for course in &courses {
                        @let details = course.details.as_ref();
                        tr {
                            td.ltr { (details.map(|d| d.code.as_str()).unwrap_or_default()) }
                            td { (lang.text(details.and_then(|d| d.title.as_ref()))) }
                            td { (crate::i18n::category_name(lang, details.map(|d| d.category.as_str()).unwrap_or_default())) }
                            td { (lang.num(details.map_or(0, |d| d.hours))) }
                        }
                    }
                }
            }
        },
    ))
}

/// The published courses whose code or title holds `text` and whose subject
/// is `category` (each empty: any), from the public listing (and its cache),
/// not the gateway's own view.
async fn published_courses(
    caller: &crate::backends::AsCaller,
    text: &str,
    category: &str,
) -> Result<Vec<cpb::Course>, tonic::Status> {
    every_page(|page_token| {
        let request = cpb::ListCoursesRequest {
            page_size: 200,
            page_token,
            statuses: vec![cpb::CatalogStatus::Published.into()],
            text: text.to_owned(),
            category: category.to_owned(),
            public_view: true,
            ..Default::default()
        };
        async move {
            let reply = caller.courses().list_courses(request).await?.into_inner();
            Ok((reply.courses, reply.next_page_token))
        }
    })
    .await
}
