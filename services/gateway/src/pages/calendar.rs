//! The year's calendar: training sessions and the exhibitions, conferences
//! and seminars the companies attend, with iCalendar feeds for the signed-in
//! person (their own sessions and every event) and for their organization.

use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use hamafza_kit::ApiError;
use maud::{Markup, html};

use super::layout::page;
use crate::AppState;
use crate::i18n::{Lang, instant};
use crate::ical::{self, Entry};
use crate::pages::lookup::{
    courses_named, every_enrolment, every_page, every_session, sessions_named,
};
use crate::web::{PageError, Viewer};
use hamafza_proto::courses as cpb;
use hamafza_proto::enrolments as epb;

/// One dated item of the calendar.
struct Item {
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    title_fa: String,
    title_en: String,
    /// Where, in both languages (either may be empty).
    place: hamafza_proto::common::LocalizedText,
    link: String,
    uid: String,
    kind: &'static str,
    /// Pencilled in only: the person is waitlisted or awaiting approval.
    tentative: bool,
}

/// How far back the feeds reach.
const FEED_HISTORY: chrono::Duration = chrono::Duration::days(30);

/// The events (of `organization`, if given) starting at or after `from`.
async fn events(
    state: &AppState,
    token: &str,
    organization: Option<&str>,
    from: DateTime<Utc>,
) -> Result<Vec<Item>, tonic::Status> {
    let caller = state.backends.as_caller(token);
    let events = every_page(|page_token| {
        let request = cpb::ListEventsRequest {
            page_size: 200,
            page_token,
            start_time: Some(hamafza_proto::common::TimeRange {
                start_time: Some(hamafza_kit::time::to_timestamp(from)),
                end_time: None,
            }),
            organization_id: organization.unwrap_or_default().to_owned(),
            ..Default::default()
        };
        let caller = &caller;
        async move {
            let reply = caller.events().list_events(request).await?.into_inner();
            Ok((reply.events, reply.next_page_token))
        }
    })
    .await?;
    Ok(events
        .into_iter()
        .filter_map(|event| {
            let details = event.details?;
            let title = details.title.unwrap_or_default();
            Some(Item {
                start: instant(details.start_time.as_ref())?,
                end: instant(details.end_time.as_ref())?,
                title_fa: title.fa,
                title_en: title.en,
                place: details.place.unwrap_or_default(),
                link: details.url,
                uid: format!("event-{}@hamafza", event.id),
                kind: "event",
                tentative: false,
            })
        })
        .collect())
}

/// Which sessions a calendar shows.
enum Which {
    /// These (a person's own).
    Named(Vec<String>),
    /// Everyone's, open, closed or held, that started in the year before
    /// this or since.
    Since(DateTime<Utc>),
}

/// The sessions' meetings as calendar items: one per meeting (a four-meeting
/// session is four entries, not one block from the first to the last),
/// numbered "2/4" after the course's title. `tentative` names the sessions
/// the person only has a place pencilled in for.
async fn sessions(
    state: &AppState,
    token: &str,
    which: Which,
    tentative: &[String],
) -> Result<Vec<Item>, tonic::Status> {
    let caller = state.backends.as_caller(token);
    let caller = &caller;
    let sessions = match which {
        // The person's sessions, 200 ids a call (what courses takes).
        Which::Named(ids) => sessions_named(caller, ids).await?,
        // Everyone's: every open or closed session, and those held.
        Which::Since(from) => {
            let request = cpb::ListSessionsRequest {
                statuses: vec![
                    cpb::SessionStatus::Open.into(),
                    cpb::SessionStatus::Closed.into(),
                    cpb::SessionStatus::Completed.into(),
                ],
                start_time: Some(hamafza_proto::common::TimeRange {
                    start_time: Some(hamafza_kit::time::to_timestamp(
                        from - chrono::Duration::days(365),
                    )),
                    end_time: None,
                }),
                ..Default::default()
            };
            every_session(caller, request).await?
        }
    };
    let course_ids: Vec<String> = sessions.iter().map(|s| s.course_id.clone()).collect();
    let courses = courses_named(&state.backends.as_caller(token), course_ids).await?;
    let mut items = Vec::new();
    for session in sessions {
        let title = courses
            .iter()
            .find(|c| c.id == session.course_id)
            .and_then(|c| c.details.clone())
            .and_then(|d| d.title)
            .unwrap_or_default();
        let details = session.details.unwrap_or_default();
        let place = details.venue.unwrap_or_default();
        let count = details.meetings.len();
        for (n, meeting) in details.meetings.iter().enumerate() {
            let (Some(start), Some(end)) = (
                instant(meeting.start_time.as_ref()),
                instant(meeting.end_time.as_ref()),
            ) else {
                continue;
            };
            let numbered = |title: &str, lang: Lang| {
                if count > 1 && !title.is_empty() {
                    format!("{title} ({})", lang.num(format!("{}/{count}", n + 1)))
                } else {
                    title.to_owned()
                }
            };
            items.push(Item {
                start,
                end,
                title_fa: numbered(&title.fa, Lang::Fa),
                title_en: numbered(&title.en, Lang::En),
                place: place.clone(),
                link: format!("/sessions/{}", session.id),
                uid: format!("session-{}-meeting-{}@hamafza", session.id, n + 1),
                kind: "session",
                tentative: tentative.contains(&session.id),
            });
        }
    }
    Ok(items)
}

/// The calendar page's query: which Jalali month the grid shows.
#[derive(Debug, Default, serde::Deserialize)]
pub struct MonthQuery {
    /// `1405-09` (Persian digits too); this month in Tehran when empty.
    #[serde(default)]
    pub month: String,
}

/// A Jalali month, `year-month`.
fn parse_month(text: &str) -> Option<(i32, u8)> {
    let text = hamafza_kit::jalali::latin_digits(text.trim());
    let (year, month) = text.split_once('-')?;
    let year: i32 = year.parse().ok().filter(|y| (1300..=1600).contains(y))?;
    let month: u8 = month.parse().ok().filter(|m| (1..=12).contains(m))?;
    Some((year, month))
}

/// The month before and after.
fn neighbours(year: i32, month: u8) -> ((i32, u8), (i32, u8)) {
    let before = if month == 1 {
        (year - 1, 12)
    } else {
        (year, month - 1)
    };
    let after = if month == 12 {
        (year + 1, 1)
    } else {
        (year, month + 1)
    };
    (before, after)
}

/// `GET /calendar`: a Jalali month's grid with navigation, then the list.
pub async fn show(
    State(state): State<AppState>,
    viewer: Viewer,
    crate::web::Query(query): crate::web::Query<MonthQuery>,
) -> Result<Markup, PageError> {
    let lang = viewer.lang;
    let (year, month) = if query.month.is_empty() {
        let (_, today) = hamafza_kit::jalali::tehran_date(Utc::now());
        today.map_or((1405, 1), |d| (d.year, d.month))
    } else {
        parse_month(&query.month).ok_or_else(|| {
            PageError::api(
                lang,
                ApiError::invalid_field("month", "a Jalali month such as 1405-09"),
            )
        })?
    };
    let token = viewer
        .token()
        .map(str::to_owned)
        .unwrap_or_else(|| state.backends.public_token());
    // The month shown may lie in the past: its events too.
    let month_start = hamafza_kit::jalali::month_days(year, month)
        .first()
        .map_or_else(Utc::now, |day| hamafza_kit::jalali::tehran_midnight(*day));
    let from = month_start.min(Utc::now() - FEED_HISTORY);
    let mut items = events(&state, &token, None, from)
        .await
        .map_err(|s| PageError::status(lang, s))?;
    items.extend(
        sessions(
            &state,
            &state.backends.public_token(),
            Which::Since(from),
            &[],
        )
        .await
        .map_err(|s| PageError::status(lang, s))?,
    );
    items.sort_by_key(|item| item.start);
    let subscribe = match viewer.require().ok() {
        Some(web) => {
            let token = state
                .feeds
                .token(&web.caller.subject)
                .await
                .map_err(|e| PageError::api(lang, hamafza_kit::db::api_error(e)))?;
            let address = token.map(|t| format!("{}/calendar/feed/{t}.ics", state.public_base));
            Some(subscription(lang, address.as_deref(), &web.csrf))
        }
        None => None,
    };
    let title = lang.pick("تقویم رویدادها و دوره‌ها", "Events and sessions calendar");
    let now = Utc::now();
    Ok(page(
        &viewer,
        title,
        html! {
            h1 { (title) }
            @if let Some(caller) = viewer.caller() {
                p {
                    a href="/calendar/me.ics" {
                        (lang.pick("تقویم من (iCalendar)", "My calendar (iCalendar)"))
                    }
                    " · "
                    a href={ "/calendar/org/" (caller.organization_id) ".ics" } {
                        (lang.pick(
                            "تقویم سازمان من (iCalendar)",
                            "My organization's calendar (iCalendar)"
                        ))
                    }
                }
            }
            (month_grid(lang, year, month, &items))
            @if let Some(subscribe) = subscribe { (subscribe) }
            h2 { (lang.pick("همه رویدادها و دوره‌های پیش رو", "Everything coming up")) }
            div.scroll tabindex="0" {
                table {
                    thead {
                        tr {
                            th scope="col" { (lang.pick("تاریخ", "Date")) }
                            th scope="col" { (lang.pick("عنوان", "Title")) }
                            th scope="col" { (lang.pick("نوع", "Kind")) }
                            th scope="col" { (lang.pick("محل", "Place")) }
                        }
                    }
                    tbody {
                        @for item in items.iter().filter(|item| item.end >= now) {
                            tr {
                                td { (lang.date_time(item.start)) }
                                td { (item_title(lang, item)) }
                                td { (kind_name(lang, item)) }
                                td { (lang.text(Some(&item.place))) }
                            }
                        }
                    }
                }
            }
        },
    ))
}

fn kind_name(lang: Lang, item: &Item) -> &'static str {
    if item.kind == "event" {
        lang.pick("رویداد", "Event")
    } else {
        lang.pick("دوره آموزشی", "Training session")
    }
}

fn item_title(lang: Lang, item: &Item) -> Markup {
    let title = lang.pick(&item.title_fa, &item.title_en);
    html! {
        @if item.link.starts_with('/') {
            a href=(item.link) { (title) }
        } @else {
            (title)
        }
    }
}

/// A Jalali month as a table of weeks from Saturday to Friday (the Iranian
/// week), each day with its items, and links to the months either side.
fn month_grid(lang: Lang, year: i32, month: u8, items: &[Item]) -> Markup {
    use chrono::Datelike;
    let days = hamafza_kit::jalali::month_days(year, month);
    let persian = lang == Lang::Fa;
    let name = format!(
        "{} {}",
        hamafza_kit::jalali::month_name(month, persian),
        lang.num(year)
    );
    let ((py, pm), (ny, nm)) = neighbours(year, month);
    let weekdays: [(&str, &str); 7] = [
        ("شنبه", "Sat"),
        ("یکشنبه", "Sun"),
        ("دوشنبه", "Mon"),
        ("سه‌شنبه", "Tue"),
        ("چهارشنبه", "Wed"),
        ("پنجشنبه", "Thu"),
        ("جمعه", "Fri"),
    ];
    // Saturday is the week's first day: 0 for Saturday … 6 for Friday.
    let lead = days
        .first()
        .map_or(0, |d| (d.weekday().num_days_from_sunday() as usize + 1) % 7);
    let mut cells: Vec<Option<(usize, chrono::NaiveDate)>> = vec![None; lead];
    cells.extend(days.iter().enumerate().map(|(i, d)| Some((i + 1, *d))));
    while !cells.len().is_multiple_of(7) {
        cells.push(None);
    }
    let today = hamafza_kit::jalali::tehran_date(Utc::now()).0;
    html! {
        section.month aria-labelledby="month-title" {
            nav.month-nav aria-label=(lang.pick("ماه‌ها", "Months")) {
                a rel="prev" href={ "/calendar?month=" (py) "-" (format!("{pm:02}")) } {
                    (lang.pick("→ ماه قبل", "← Previous month"))
                }
                h2 id="month-title" { (name) }
                a rel="next" href={ "/calendar?month=" (ny) "-" (format!("{nm:02}")) } {
                    (lang.pick("ماه بعد ←", "Next month →"))
                }
            }
            table.month-grid data-no-cards {
                thead {
                    tr {
                        @for (fa, en) in weekdays {
                            th scope="col" { abbr title=(lang.pick(fa, en)) { (lang.pick(fa, en)) } }
                        }
                    }
                }
                tbody {
                    @for week in cells.chunks(7) {
                        tr {
                            @for cell in week {
                                @match cell {
                                    Some((day, date)) => {
                                        @let on_day: Vec<&Item> = items
                                            .iter()
                                            .filter(|item| {
                                                let first = hamafza_kit::jalali::tehran_date(item.start).0;
                                                let last = hamafza_kit::jalali::tehran_date(item.end).0;
                                                first <= *date && *date <= last
                                            })
                                            .collect();
                                        td.today[*date == today] {
                                            span.day { (lang.num(day)) }
                                            @if !persian {
                                                span.gregorian { (date.format("%-d %b")) }
                                            }
                                            @for item in on_day {
                                                span.entry.event[item.kind == "event"] {
                                                    (item_title(lang, item))
                                                }
                                            }
                                        }
                                    }
                                    None => { td.outside {} }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn feed(name: &str, items: &[Item], public_base: &str) -> Response {
    let entries: Vec<Entry> = items
        .iter()
        .map(|item| Entry {
            uid: item.uid.clone(),
            summary: if item.title_en.is_empty() {
                item.title_fa.clone()
            } else {
                format!("{} — {}", item.title_fa, item.title_en)
            },
            location: if item.place.fa.is_empty() || item.place.en.is_empty() {
                Lang::Fa.text(Some(&item.place)).to_owned()
            } else {
                format!("{} — {}", item.place.fa, item.place.en)
            },
            description: String::new(),
            start: item.start,
            end: item.end,
            url: if item.link.starts_with('/') {
                format!("{public_base}{}", item.link)
            } else {
                item.link.clone()
            },
            tentative: item.tentative,
        })
        .collect();
    (
        [
            (header::CONTENT_TYPE, "text/calendar; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"hamafza.ics\"",
            ),
        ],
        ical::calendar(name, &entries, Utc::now()),
    )
        .into_response()
}

/// A person's calendar: the sessions they hold or wait for a place in, and
/// every event. `token` makes the calls: the person's own, or the gateway's
/// for a subscribed feed.
async fn personal_items(
    state: &AppState,
    token: &str,
    subject: &str,
) -> Result<Vec<Item>, tonic::Status> {
    let request = epb::ListEnrolmentsRequest {
        trainee_subject: subject.to_owned(),
        ..Default::default()
    };
    let enrolments = every_enrolment(&state.backends.as_caller(token), request).await?;
    let mut ids = Vec::new();
    let mut tentative = Vec::new();
    for enrolment in enrolments {
        match enrolment.status() {
            epb::EnrolmentStatus::Confirmed => ids.push(enrolment.session_id),
            epb::EnrolmentStatus::Waitlisted | epb::EnrolmentStatus::PendingApproval => {
                tentative.push(enrolment.session_id.clone());
                ids.push(enrolment.session_id);
            }
            _ => {}
        }
    }
    let mut items = if ids.is_empty() {
        Vec::new()
    } else {
        sessions(state, token, Which::Named(ids), &tentative).await?
    };
    items.extend(events(state, token, None, Utc::now() - FEED_HISTORY).await?);
    items.sort_by_key(|item| item.start);
    Ok(items)
}

/// `GET /calendar/me.ics`: the person's own sessions and every event.
pub async fn mine(State(state): State<AppState>, viewer: Viewer) -> Result<Response, PageError> {
    let lang = viewer.lang;
    let web = viewer.require()?;
    let items = personal_items(&state, &web.token, &web.caller.subject)
        .await
        .map_err(|s| PageError::status(lang, s))?;
    Ok(feed(
        &format!("Hamafza — {}", web.caller.name),
        &items,
        &state.public_base,
    ))
}

/// `GET /calendar/feed/{secret}.ics`: the same calendar as `me.ics` for a
/// calendar app, without a browser session: the secret address is the key.
/// An unknown or reset address is not found.
pub async fn subscribed(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(file): Path<String>,
) -> Result<Response, PageError> {
    let lang = viewer.lang;
    let secret = file.strip_suffix(".ics").unwrap_or(&file);
    let owner = if secret.is_empty() || secret.len() > 64 {
        None
    } else {
        state
            .feeds
            .owner(secret)
            .await
            .map_err(|e| PageError::api(lang, hamafza_kit::db::api_error(e)))?
    };
    let Some(owner) = owner else {
        return Err(PageError::api(
            lang,
            ApiError::not_found("calendar feed", "this address"),
        ));
    };
    let items = personal_items(&state, &state.backends.public_token(), &owner.subject)
        .await
        .map_err(|s| PageError::status(lang, s))?;
    Ok(feed(
        &format!("Hamafza — {}", owner.name),
        &items,
        &state.public_base,
    ))
}

/// `POST /calendar/feed`: makes the person's secret calendar address, or a
/// new one in place of the old (which stops working at once).
pub async fn reset_feed(
    State(state): State<AppState>,
    viewer: Viewer,
    body: axum::body::Bytes,
) -> Result<Response, PageError> {
    let lang = viewer.lang;
    let web = viewer.require()?;
    let values = super::forms::form_values(&body);
    crate::web::check_csrf(&viewer, super::forms::first(&values, "csrf"))?;
    state
        .feeds
        .reset(&web.caller.subject, &web.caller.name)
        .await
        .map_err(|e| PageError::api(lang, hamafza_kit::db::api_error(e)))?;
    Ok(axum::response::Redirect::to("/calendar#subscribe").into_response())
}

/// The signed-in person's secret address for calendar apps, and the button
/// that makes or replaces it.
fn subscription(lang: Lang, address: Option<&str>, csrf: &str) -> Markup {
    html! {
        section id="subscribe" aria-labelledby="subscribe-title" {
            h2 id="subscribe-title" {
                (lang.pick("تقویم من در برنامهٔ تقویم", "My calendar in a calendar app"))
            }
            @if let Some(address) = address {
                p {
                    (lang.pick(
                        "این نشانی را در برنامهٔ تقویم خود (گوگل، اوت‌لوک، تقویم اپل) «اشتراک» کنید. \
                         نشانی محرمانه است: هر کس آن را داشته باشد دوره‌های شما را می‌بیند.",
                        "Subscribe to this address in your calendar app (Google, Outlook, Apple). \
                         It is secret: anyone who has it sees your sessions."
                    ))
                }
                label for="feed-address" { (lang.pick("نشانی محرمانهٔ تقویم", "Secret calendar address")) }
                input.ltr id="feed-address" type="text" readonly value=(address);
            } @else {
                p {
                    (lang.pick(
                        "برای دیدن دوره‌هایتان در برنامهٔ تقویم، یک نشانی محرمانه بسازید.",
                        "Make a secret address to see your sessions in a calendar app."
                    ))
                }
            }
            form method="post" action="/calendar/feed" {
                input type="hidden" name="csrf" value=(csrf);
                button.secondary type="submit" {
                    @if address.is_some() {
                        (lang.pick("ساختن نشانی تازه (نشانی قبلی از کار می‌افتد)", "Make a new address (the old one stops working)"))
                    } @else {
                        (lang.pick("ساختن نشانی محرمانه", "Make a secret address"))
                    }
                }
            }
        }
    }
}

/// `GET /calendar/org/{org}.ics`: the organization's events; members only.
pub async fn organization(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(file): Path<String>,
) -> Result<Response, PageError> {
    let lang = viewer.lang;
    let web = viewer.require()?;
    let organization = file.strip_suffix(".ics").unwrap_or(&file);
    if organization != web.caller.organization_id
        && !web.caller.has(hamafza_kit::auth::Role::PlatformAdmin)
    {
        return Err(PageError::api(
            lang,
            ApiError::new(
                hamafza_kit::ErrorCode::PermissionDenied,
                "OWN_ORGANIZATION_ONLY",
                "an organization's calendar is for its own people",
            ),
        ));
    }
    let mut items = events(
        &state,
        &web.token,
        Some(organization),
        Utc::now() - FEED_HISTORY,
    )
    .await
    .map_err(|s| PageError::status(lang, s))?;
    items.sort_by_key(|item| item.start);
    Ok(feed(
        &format!("Hamafza — {organization}"),
        &items,
        &state.public_base,
    ))
}
