//! `/teach`: the sessions an instructor teaches, upcoming or past.

use std::collections::HashMap;

use crate::web::Query;
use axum::extract::State;
use hamafza_kit::auth::Role;
use hamafza_proto::courses as cpb;
use maud::{Markup, html};
use serde::Deserialize;

use super::{instructors_only, session_badge};
use crate::AppState;
use crate::i18n::{Lang, instant};
use crate::pages::layout::page;
use crate::pages::lookup::courses_named;
use crate::sessions::WebSession;
use crate::web::{PageError, PageReply, Viewer};

/// Sessions per page of the list.
const PAGE_SIZE: i32 = 20;

/// The list's filters.
#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    /// `upcoming` (the default: planned, open or being held) or `past`
    /// (completed or cancelled).
    #[serde(default)]
    pub when: String,
    /// A page token.
    #[serde(default)]
    pub page: String,
}

/// `GET /teach`.
pub async fn list(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(query): Query<ListQuery>,
) -> Result<Markup, PageError> {
    let lang = viewer.lang;
    let web = viewer.require()?;
    if !web.caller.has(Role::Instructor) {
        return Err(instructors_only(lang));
    }
    let past = query.when == "past";
    let statuses = if past {
        vec![cpb::SessionStatus::Completed, cpb::SessionStatus::Cancelled]
    } else {
        vec![
            cpb::SessionStatus::Planned,
            cpb::SessionStatus::Open,
            cpb::SessionStatus::Closed,
        ]
    };
    let caller = state.backends.as_caller(&web.token);
    let reply = caller
        .sessions()
        .list_sessions(cpb::ListSessionsRequest {
            page_size: PAGE_SIZE,
            page_token: query.page.clone(),
            statuses: statuses.into_iter().map(Into::into).collect(),
            instructor_subject: web.caller.subject.clone(),
            ..Default::default()
        })
        .await
        .page(lang)?;
    let sessions = reply.sessions;
    let courses = courses_by_id(&state, web, lang, sessions.iter().map(|s| &s.course_id)).await?;
    let seats = crate::pages::lookup::seats_of(&caller, &sessions).await;
    let title = lang.pick("کلاس‌های من", "My classes");
    Ok(page(
        &viewer,
        title,
        html! {
            h1 { (title) }
            nav.tabs {
                a class=[(!past).then_some("current")] href="/teach" {
                    (lang.pick("جاری و پیش رو", "Current and upcoming"))
                }
                a class=[past.then_some("current")] href="/teach?when=past" {
                    (lang.pick("گذشته", "Past"))
                }
            }
            @if sessions.is_empty() {
                p.muted.empty {
                    @if past {
                        (lang.pick(
                            concat!(
                                "هنوز دوره‌ای از شما پایان نیافته است. دوره‌های جاری را در زبانهٔ ",
                                "«جاری و پیش رو» ببینید.",
                            ),
                            "None of your sessions has ended yet. See “Current and upcoming”."
                        ))
                    } @else {
                        (lang.pick(
                            concat!(
                                "اکنون دوره‌ای به نام شما برنامه‌ریزی نشده است. دفتر روابط عمومی ",
                                "ایمیدرو دوره‌ها را به مدرسان می‌سپارد؛ در صورت نیاز با آن تماس ",
                                "بگیرید.",
                            ),
                            concat!(
                                "No session is assigned to you now. The IMIDRO PR office assigns ",
                                "sessions to instructors; contact it if you expected one.",
                            )
                        ))
                    }
                }
            }
            div.cards {
                @for session in &sessions {
                    @let course = courses.get(&session.course_id).and_then(|c| c.details.as_ref());
                    div.card {
                        h2 {
                            a href={ "/teach/sessions/" (session.id) } {
                                (lang.text(course.and_then(|c| c.title.as_ref())))
                            }
                        }
                        div.muted {
                            span.ltr { (course.map(|c| c.code.as_str()).unwrap_or_default()) }
                            " · " (session_badge(lang, session.status()))
                        }
                        @if let Some(start) = instant(session.start_time.as_ref()) {
                            div { (lang.pick("شروع: ", "Starts: ")) (lang.date_time(start)) }
                        }
                        div {
                            (lang.num(session.details.as_ref().map_or(0, |d| d.meetings.len())))
                            " " (lang.pick("جلسه", "meetings"))
                            @if let Some(seat) = seats.get(&session.id) {
                                " · " (lang.num(seat.confirmed_count)) " "
                                (lang.pick("نفر ثبت‌نام قطعی", "confirmed"))
                            }
                        }
                        div.muted {
                            (lang.text(session.details.as_ref().and_then(|d| d.venue.as_ref())))
                        }
                    }
                }
            }
            @if !reply.next_page_token.is_empty() {
                p.pager {
                    a.button href={
                        "/teach?when=" (if past { "past" } else { "upcoming" })
                        "&page=" (reply.next_page_token)
                    } { (lang.pick("دوره‌های بیشتر", "More sessions")) }
                }
            }
        },
    ))
}

async fn courses_by_id<'a>(
    state: &AppState,
    web: &WebSession,
    lang: Lang,
    ids: impl Iterator<Item = &'a String>,
) -> Result<HashMap<String, cpb::Course>, PageError> {
    let caller = state.backends.as_caller(&web.token);
    Ok(courses_named(&caller, ids.cloned().collect())
        .await
        .map_err(|s| PageError::status(lang, s))?
        .into_iter()
        .map(|c| (c.id.clone(), c))
        .collect())
}
