//! `/admin`: the catalog at a glance — courses and programs with their next
//! step, sessions with seats and their controls, upcoming events, and the
//! outbox of completions on their way to certification.

use crate::web::Query;
use axum::extract::State;
use maud::{Markup, html};

use super::courses::{catalog_actions, catalog_badge};
use super::sessions::{Counts, session_actions, session_badge};
use super::{Done, admin, flash, frame, list_table};
use crate::AppState;
use crate::i18n::{Lang, instant};
use crate::pages::forms::urlencode;
use crate::pages::lookup::{courses_listed, page_or_first, programs_listed};
use crate::web::{PageError, Viewer};
use hamafza_proto::courses as cpb;
use hamafza_proto::enrolments as epb;

/// Sessions per page of the overview.
const SESSIONS_PER_PAGE: i32 = 50;

/// The overview's query: the flash after a change, and which page of the
/// upcoming sessions.
#[derive(Debug, Default, serde::Deserialize)]
pub struct OverviewQuery {
    /// What was just done.
    #[serde(flatten)]
    pub done: Done,
    /// The page of sessions (a page token; empty for the soonest).
    #[serde(default)]
    pub sessions_page: String,
}

/// `GET /admin`.
pub async fn show(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(query): Query<OverviewQuery>,
) -> Result<Markup, PageError> {
    let done = &query.done;
    let lang = viewer.lang;
    let web = admin(&viewer)?;
    let client = state.backends.as_caller(&web.token);
    // What the overview is of, read side by side; any of it unreadable is
    // a page saying so, not an overview that looks empty.
    let mut event_client = client.events();
    let (courses, programs, (sessions, later_sessions), (events, more_events)) = tokio::try_join!(
        courses_listed(&client, &[]),
        programs_listed(&client),
        async {
            // A stale or mistyped page link shows the soonest sessions.
            let (_, reply) = page_or_first(&query.sessions_page, |page_token| {
                let request = cpb::ListSessionsRequest {
                    page_size: SESSIONS_PER_PAGE,
                    page_token,
                    statuses: vec![
                        cpb::SessionStatus::Planned.into(),
                        cpb::SessionStatus::Open.into(),
                        cpb::SessionStatus::Closed.into(),
                    ],
                    ..Default::default()
                };
                let client = &client;
                async move { Ok(client.sessions().list_sessions(request).await?.into_inner()) }
            })
            .await?;
            Ok((reply.sessions, reply.next_page_token))
        },
        async {
            let request = cpb::ListEventsRequest {
                page_size: 20,
                start_time: Some(hamafza_proto::common::TimeRange {
                    start_time: Some(hamafza_kit::time::to_timestamp(hamafza_kit::time::now())),
                    end_time: None,
                }),
                ..Default::default()
            };
            let reply = event_client.list_events(request).await?.into_inner();
            Ok((reply.events, !reply.next_page_token.is_empty()))
        },
    )
    .map_err(|s| PageError::status(lang, s))?;
    let seats = crate::pages::lookup::seats_of(&client, &sessions).await;
    // Who a cancellation tells: everyone confirmed or waiting.
    let told = |id: &str| seats.get(id).map(|s| Counts::of(s).told_on_cancel());
    let delivery = client
        .enrolments()
        .get_delivery_status(epb::GetDeliveryStatusRequest {})
        .await
        .map(tonic::Response::into_inner);
    let title_of = |id: &str| {
        courses
            .iter()
            .find(|c| c.id == id)
            .and_then(|c| c.details.clone())
            .map(|d| format!("{} — {}", d.code, lang.text(d.title.as_ref())))
            .unwrap_or_default()
    };
    let title = lang.pick("نمای کلی", "Overview");
    Ok(frame(
        &viewer,
        title,
        "/admin",
        html! {
            (flash(lang, &done.done))
            p.links {
                a.button href="/admin/courses/new" { (lang.pick("درس تازه", "New course")) }
                " " a.button href="/admin/sessions/new" { (lang.pick("دورهٔ تازه", "New session")) }
                " " a.button href="/admin/programs/new" { (lang.pick("برنامهٔ تازه", "New program")) }
                " " a.button href="/admin/events/new" { (lang.pick("رویداد تازه", "New event")) }
            }
            h2 { (lang.pick("درس‌ها", "Courses")) }
            (list_table(lang, &[
                ("کد", "Code"), ("عنوان", "Title"), ("وضعیت", "Status"),
                ("گام بعد", "Next step"),
            ], html! {
                @for course in &courses {
                    @let d = course.details.clone().unwrap_or_default();
                    tr {
                        td { bdi.ltr { (d.code) } }
                        td { a href={ "/admin/courses/" (course.id) } { (lang.text(d.title.as_ref())) } }
                        td { (catalog_badge(lang, course.status())) }
                        td { (catalog_actions(lang, &web.csrf, "courses", &course.id, course.status())) }
                    }
                }
            }))
            h2 { (lang.pick("برنامه‌ها", "Programs")) }
            @if programs.is_empty() {
                p.muted { (lang.pick("برنامه‌ای نیست.", "No programs.")) }
            } @else {
                (list_table(lang, &[
                    ("کد", "Code"), ("عنوان", "Title"), ("وضعیت", "Status"),
                    ("گام بعد", "Next step"),
                ], html! {
                    @for program in &programs {
                        @let d = program.details.clone().unwrap_or_default();
                        tr {
                            td { bdi.ltr { (d.code) } }
                            td { a href={ "/admin/programs/" (program.id) } { (lang.text(d.title.as_ref())) } }
                            td { (catalog_badge(lang, program.status())) }
                            td { (catalog_actions(lang, &web.csrf, "programs", &program.id, program.status())) }
                        }
                    }
                }))
            }
            h2 { (lang.pick("دوره‌های پیش رو", "Upcoming sessions")) }
            @if sessions.is_empty() {
                p.muted { (lang.pick("دوره‌ای برنامه‌ریزی نشده است.", "No session is planned.")) }
            } @else {
                div.scroll tabindex="0" { table.admin-list.sessions {
                    thead { tr {
                        th { (lang.pick("درس", "Course")) }
                        th { (lang.pick("شروع", "Starts")) }
                        th { (lang.pick("وضعیت", "Status")) }
                        th { (lang.pick("صندلی‌ها", "Seats")) }
                        th { (lang.pick("کارها", "Actions")) }
                    } }
                    tbody {
                        @for session in &sessions {
                            @let capacity = session.details.as_ref().map_or(0, |d| d.capacity);
                            // "—" when enrolments cannot answer, rather than a wrong 0.
                            @let taken = seats.get(&session.id).map_or_else(|| "—".to_owned(), |s| lang.num(s.confirmed_count));
                            tr {
                                td { a href={ "/admin/sessions/" (session.id) } { (title_of(&session.course_id)) } }
                                td { @if let Some(start) = instant(session.start_time.as_ref()) { (lang.date_time(start)) } }
                                td { (session_badge(lang, session.status())) }
                                td { (taken) " / " (lang.num(capacity)) }
                                td { (session_actions(lang, &web.csrf, session,
                                        told(&session.id), None)) }
                            }
                        }
                    }
                } }
            }
            @if !later_sessions.is_empty() || !query.sessions_page.is_empty() {
                p.pager {
                    @if !query.sessions_page.is_empty() {
                        a.button.secondary href="/admin" { (lang.pick("نزدیک‌ترین دوره‌ها", "The soonest sessions")) }
                        " "
                    }
                    @if !later_sessions.is_empty() {
                        a.button href={ "/admin?sessions_page=" (urlencode(&later_sessions)) } {
                            (lang.pick("دوره‌های بعدی", "Later sessions"))
                        }
                    }
                }
            }
            h2 { (lang.pick("رویدادهای پیش رو", "Upcoming events")) }
            @if events.is_empty() {
                p.muted { (lang.pick("رویدادی نیست.", "No events.")) }
            } @else {
                ul {
                    @for event in &events {
                        @let d = event.details.clone().unwrap_or_default();
                        li {
                            a href={ "/admin/events/" (event.id) } { (lang.text(d.title.as_ref())) }
                            @if let Some(start) = instant(d.start_time.as_ref()) {
                                " — " span.muted { (lang.date(start)) }
                            }
                        }
                    }
                }
                @if more_events {
                    p { a href="/admin/events" { (lang.pick("همهٔ رویدادها", "All events")) } }
                }
            }
            h2 { (lang.pick("صدور گواهی‌ها (صندوق ارسال)", "Certificate delivery (outbox)")) }
            (delivery_status(lang, delivery))
        },
    ))
}

fn delivery_status(
    lang: Lang,
    delivery: Result<epb::GetDeliveryStatusResponse, tonic::Status>,
) -> Markup {
    match delivery {
        Err(_) => html! {
            p.error { (lang.pick(
                "وضعیت ارسال در دسترس نیست.",
                "The delivery status is not available."
            )) }
        },
        Ok(d) => html! {
            dl.delivery {
                dt { (lang.pick("در انتظار ارسال", "Waiting to be delivered")) }
                dd {
                    span class={ "badge " (if d.pending_count == 0 { "ok" } else { "warn" }) } {
                        (lang.num(d.pending_count))
                    }
                    @if let Some(oldest) = instant(d.oldest_pending_create_time.as_ref()) {
                        " " span.muted { (lang.pick("قدیمی‌ترین از ", "oldest since ")) (lang.date_time(oldest))
                            " · " (lang.pick("تلاش‌ها: ", "attempts: ")) (lang.num(d.oldest_pending_attempts)) }
                    }
                }
                dt { (lang.pick("ارسال‌شدهٔ اخیر", "Delivered lately")) }
                dd {
                    (lang.num(d.delivered_count))
                    @if let Some(last) = instant(d.last_delivery_time.as_ref()) {
                        " " span.muted { (lang.pick("آخرین: ", "last: ")) (lang.date_time(last)) }
                    }
                }
                @if !d.last_error.is_empty() {
                    dt { (lang.pick("آخرین خطا", "Last error")) }
                    dd {
                        code.ltr { (d.last_error) }
                        @if let Some(when) = instant(d.last_error_time.as_ref()) {
                            " " span.muted { (lang.date_time(when)) }
                        }
                    }
                }
            }
        },
    }
}
