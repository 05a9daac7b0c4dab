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
use crate::i18n::instant;
use crate::ical::{self, Entry};
use crate::web::{PageError, Viewer};
use hamafza_proto::courses as cpb;
use hamafza_proto::enrolments as epb;

/// One dated item of the calendar.
struct Item {
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    title_fa: String,
    title_en: String,
    place: String,
    link: String,
    uid: String,
    kind: &'static str,
}

async fn events(
    state: &AppState,
    token: &str,
    organization: Option<&str>,
) -> Result<Vec<Item>, tonic::Status> {
    let from = Utc::now() - chrono::Duration::days(30);
    let events = state
        .backends
        .as_caller(token)
        .events()
        .list_events(cpb::ListEventsRequest {
            page_size: 200,
            start_time: Some(hamafza_proto::common::TimeRange {
                start_time: Some(hamafza_kit::time::to_timestamp(from)),
                end_time: None,
            }),
            organization_id: organization.unwrap_or_default().to_owned(),
            ..Default::default()
        })
        .await?
        .into_inner()
        .events;
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
                place: details.place.map(|p| p.fa).unwrap_or_default(),
                link: details.url,
                uid: format!("event-{}@hamafza", event.id),
                kind: "event",
            })
        })
        .collect())
}

async fn sessions(
    state: &AppState,
    token: &str,
    ids: Option<Vec<String>>,
) -> Result<Vec<Item>, tonic::Status> {
    let request = cpb::ListSessionsRequest {
        page_size: 200,
        statuses: if ids.is_some() {
            vec![]
        } else {
            vec![
                cpb::SessionStatus::Open.into(),
                cpb::SessionStatus::Closed.into(),
            ]
        },
        session_ids: ids.unwrap_or_default(),
        ..Default::default()
    };
    if request.statuses.is_empty() && request.session_ids.is_empty() {
        return Ok(Vec::new());
    }
    let sessions = state
        .backends
        .as_caller(token)
        .sessions()
        .list_sessions(request)
        .await?
        .into_inner()
        .sessions;
    let course_ids: Vec<String> = sessions.iter().map(|s| s.course_id.clone()).collect();
    let courses = if course_ids.is_empty() {
        Vec::new()
    } else {
        state
            .backends
            .as_caller(token)
            .courses()
            .list_courses(cpb::ListCoursesRequest {
                page_size: 200,
                course_ids,
                ..Default::default()
            })
            .await?
            .into_inner()
            .courses
    };
    Ok(sessions
        .into_iter()
        .filter_map(|session| {
            let title = courses
                .iter()
                .find(|c| c.id == session.course_id)
                .and_then(|c| c.details.clone())
                .and_then(|d| d.title)
                .unwrap_or_default();
            Some(Item {
                start: instant(session.start_time.as_ref())?,
                end: instant(session.end_time.as_ref())?,
                title_fa: title.fa,
                title_en: title.en,
                place: session
                    .details
                    .and_then(|d| d.venue)
                    .map(|v| v.fa)
                    .unwrap_or_default(),
                link: format!("/sessions/{}", session.id),
                uid: format!("session-{}@hamafza", session.id),
                kind: "session",
            })
        })
        .collect())
}

/// `GET /calendar`.
pub async fn show(State(state): State<AppState>, viewer: Viewer) -> Result<Markup, PageError> {
    let lang = viewer.lang;
    let token = viewer
        .token()
        .map(str::to_owned)
        .unwrap_or_else(|| state.backends.public_token());
    let mut items = events(&state, &token, None)
        .await
        .map_err(|s| PageError::status(lang, s))?;
    items.extend(
        sessions(&state, &state.backends.public_token(), None)
            .await
            .map_err(|s| PageError::status(lang, s))?,
    );
    items.sort_by_key(|item| item.start);
    let title = lang.pick("تقویم رویدادها و دوره‌ها", "Events and sessions calendar");
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
            table {
                thead {
                    tr {
                        th { (lang.pick("تاریخ", "Date")) }
                        th { (lang.pick("عنوان", "Title")) }
                        th { (lang.pick("نوع", "Kind")) }
                        th { (lang.pick("محل", "Place")) }
                    }
                }
                tbody {
                    @for item in &items {
                        tr {
                            td { (lang.date(item.start)) }
                            td {
                                @if item.link.starts_with('/') {
                                    a href=(item.link) {
                                        (lang.pick(&item.title_fa, &item.title_en))
                                    }
                                } @else {
                                    (lang.pick(&item.title_fa, &item.title_en))
                                }
                            }
                            td {
                                @if item.kind == "event" { (lang.pick("رویداد", "Event")) }
                                @else { (lang.pick("دوره آموزشی", "Training session")) }
                            }
                            td { (item.place) }
                        }
                    }
                }
            }
        },
    ))
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
            location: item.place.clone(),
            description: String::new(),
            start: item.start,
            end: item.end,
            url: if item.link.starts_with('/') {
                format!("{public_base}{}", item.link)
            } else {
                item.link.clone()
            },
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

/// `GET /calendar/me.ics`: the person's own sessions and every event.
pub async fn mine(State(state): State<AppState>, viewer: Viewer) -> Result<Response, PageError> {
    let lang = viewer.lang;
    let web = viewer.require()?;
    let enrolments = state
        .backends
        .as_caller(&web.token)
        .enrolments()
        .list_enrolments(epb::ListEnrolmentsRequest {
            page_size: 200,
            trainee_subject: web.caller.subject.clone(),
            ..Default::default()
        })
        .await
        .map_err(|s| PageError::status(lang, s))?
        .into_inner()
        .enrolments;
    let ids: Vec<String> = enrolments
        .into_iter()
        .filter(|e| {
            matches!(
                e.status(),
                epb::EnrolmentStatus::Confirmed
                    | epb::EnrolmentStatus::Waitlisted
                    | epb::EnrolmentStatus::PendingApproval
            )
        })
        .map(|e| e.session_id)
        .collect();
    let mut items = if ids.is_empty() {
        Vec::new()
    } else {
        sessions(&state, &web.token, Some(ids))
            .await
            .map_err(|s| PageError::status(lang, s))?
    };
    items.extend(
        events(&state, &web.token, None)
            .await
            .map_err(|s| PageError::status(lang, s))?,
    );
    items.sort_by_key(|item| item.start);
    Ok(feed(
        &format!("Hamafza — {}", web.caller.name),
        &items,
        &state.public_base,
    ))
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
    let mut items = events(&state, &web.token, Some(organization))
        .await
        .map_err(|s| PageError::status(lang, s))?;
    items.sort_by_key(|item| item.start);
    Ok(feed(
        &format!("Hamafza — {organization}"),
        &items,
        &state.public_base,
    ))
}
