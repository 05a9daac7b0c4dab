//! Sessions in the back office: meetings typed as Jalali dates and Tehran
//! times (no script needed), venue, the instructor from the people directory,
//! capacity, a seat quota per company, the enrolment window; then open,
//! close, or cancel with a reason, seeing first how many are told.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use hamafza_kit::ApiError;
use maud::{Markup, html};
use serde::Deserialize;

use super::{
    Problems, admin, bilingual, changed_meanwhile, field, field_index, field_key, flash, frame,
    is_stale, jalali_parts, number_input, parse_jalali, parse_number, see_other,
};
use crate::AppState;
use crate::i18n::Lang;
use crate::pages::forms::{first, form_values};
use crate::web::{PageError, Viewer, check_csrf};
use hamafza_proto::common::{Actor, LocalizedText, TimeRange};
use hamafza_proto::courses as cpb;
use hamafza_proto::enrolments as epb;

/// Empty meeting rows offered below the session's own.
const SPARE_ROWS: usize = 3;

/// One meeting row as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct MeetingRow {
    date: String,
    start: String,
    end: String,
}

impl MeetingRow {
    fn is_empty(&self) -> bool {
        self.date.trim().is_empty() && self.start.trim().is_empty() && self.end.trim().is_empty()
    }

    fn normalized(&self) -> String {
        let d = |s: &str| hamafza_kit::jalali::latin_digits(s.trim());
        format!("{} {}-{}", d(&self.date), d(&self.start), d(&self.end))
    }
}

/// A session's fields as the form holds them.
#[derive(Debug, Clone, Default)]
pub struct SessionForm {
    course_id: String,
    meetings: Vec<MeetingRow>,
    venue_fa: String,
    venue_en: String,
    online_url: String,
    instructor: String,
    capacity: String,
    /// Seats by organization id, as typed.
    quotas: HashMap<String, String>,
    window_start: (String, String),
    window_end: (String, String),
}

/// The update-mask paths the form holds, with their labels.
const FIELDS: [(&str, (&str, &str)); 7] = [
    ("meetings", ("جلسه‌ها", "Meetings")),
    ("venue", ("مکان", "Venue")),
    ("online_url", ("پیوند برخط", "Online link")),
    ("instructor", ("مدرس", "Instructor")),
    ("capacity", ("ظرفیت", "Capacity")),
    ("quotas", ("سهمیهٔ شرکت‌ها", "Company quotas")),
    ("enrolment_window", ("مهلت ثبت‌نام", "Enrolment window")),
];

impl SessionForm {
    fn from_session(lang: Lang, session: &cpb::Session) -> Self {
        let d = session.details.clone().unwrap_or_default();
        let parts = |t: Option<&prost_types::Timestamp>| {
            crate::i18n::instant(t).map_or_else(Default::default, |i| jalali_parts(lang, i))
        };
        let meetings = d
            .meetings
            .iter()
            .map(|m| {
                let (date, start) = parts(m.start_time.as_ref());
                let (_, end) = parts(m.end_time.as_ref());
                MeetingRow { date, start, end }
            })
            .collect();
        let venue = d.venue.clone().unwrap_or_default();
        let window = d.enrolment_window.unwrap_or_default();
        Self {
            course_id: session.course_id.clone(),
            meetings,
            venue_fa: venue.fa,
            venue_en: venue.en,
            online_url: d.online_url.clone(),
            instructor: d.instructor.clone().unwrap_or_default().subject,
            capacity: lang.num(d.capacity),
            quotas: d
                .quotas
                .iter()
                .map(|q| (q.organization_id.clone(), lang.num(q.seats)))
                .collect(),
            window_start: parts(window.start_time.as_ref()),
            window_end: parts(window.end_time.as_ref()),
        }
    }

    fn from_body(values: &HashMap<String, Vec<String>>) -> Self {
        let get = |k: &str| first(values, k).trim().to_owned();
        let mut meetings = Vec::new();
        for i in 0..50 {
            let row = MeetingRow {
                date: get(&format!("meeting.{i}.date")),
                start: get(&format!("meeting.{i}.start")),
                end: get(&format!("meeting.{i}.end")),
            };
            if !values.contains_key(&format!("meeting.{i}.date")) {
                break;
            }
            meetings.push(row);
        }
        let quotas = values
            .iter()
            .filter_map(|(k, v)| {
                let org = k.strip_prefix("quota.")?;
                Some((org.to_owned(), v.first().cloned().unwrap_or_default()))
            })
            .collect();
        Self {
            course_id: get("course_id"),
            meetings,
            venue_fa: get("details.venue.fa"),
            venue_en: get("details.venue.en"),
            online_url: get("details.online_url"),
            instructor: get("details.instructor"),
            capacity: get("details.capacity"),
            quotas,
            window_start: (get("window.start.date"), get("window.start.time")),
            window_end: (get("window.end.date"), get("window.end.time")),
        }
    }

    /// The rows actually sent (non-empty), with their row numbers.
    fn sent_rows(&self) -> Vec<usize> {
        (0..self.meetings.len())
            .filter(|&i| !self.meetings[i].is_empty())
            .collect()
    }

    /// The quotas actually sent (a number above zero), sorted.
    fn sent_quotas(&self) -> Vec<(String, String)> {
        let mut quotas: Vec<(String, String)> = self
            .quotas
            .iter()
            .map(|(org, seats)| (org.clone(), hamafza_kit::jalali::latin_digits(seats.trim())))
            .filter(|(_, seats)| !seats.is_empty() && !seats.trim_start_matches('0').is_empty())
            .collect();
        quotas.sort();
        quotas
    }

    /// One field's value, for comparing what was sent with what is stored.
    fn value(&self, path: &str) -> String {
        let d = |s: &str| hamafza_kit::jalali::latin_digits(s.trim());
        match path {
            "meetings" => self
                .sent_rows()
                .iter()
                .map(|&i| self.meetings[i].normalized())
                .collect::<Vec<_>>()
                .join("|"),
            "venue" => format!("{}|{}", self.venue_fa, self.venue_en),
            "online_url" => self.online_url.clone(),
            "instructor" => self.instructor.clone(),
            "capacity" => d(&self.capacity),
            "quotas" => self
                .sent_quotas()
                .iter()
                .map(|(o, s)| format!("{o}:{s}"))
                .collect::<Vec<_>>()
                .join(","),
            "enrolment_window" => format!(
                "{} {} {} {}",
                d(&self.window_start.0),
                d(&self.window_start.1),
                d(&self.window_end.0),
                d(&self.window_end.1)
            ),
            _ => String::new(),
        }
    }

    /// The details to send, or the problems the gateway sees itself (a date
    /// that is not one).
    fn details(&self, lang: Lang, people: &[cpb::Person]) -> Result<cpb::SessionDetails, Problems> {
        let mut problems = Problems::default();
        let bad_date = lang.pick(
            "تاریخ را به‌صورت ۱۴۰۵/۰۹/۲۰ و ساعت را به‌صورت ۰۹:۳۰ بنویسید.",
            "Write the date as 1405/09/20 and the time as 09:30.",
        );
        let mut meetings = Vec::new();
        for i in self.sent_rows() {
            let row = &self.meetings[i];
            let start = parse_jalali(&row.date, &row.start);
            let end = parse_jalali(&row.date, &row.end);
            if start.is_none() || end.is_none() || row.start.is_empty() || row.end.is_empty() {
                problems.add(format!("meeting.{i}.date"), bad_date);
                continue;
            }
            meetings.push(cpb::Meeting {
                start_time: start.map(hamafza_kit::time::to_timestamp),
                end_time: end.map(hamafza_kit::time::to_timestamp),
                topic: None,
            });
        }
        let mut instant = |name: &str, (date, time): &(String, String)| {
            if date.is_empty() {
                return None;
            }
            let parsed = parse_jalali(date, time);
            if parsed.is_none() {
                problems.add(name, bad_date);
            }
            parsed.map(hamafza_kit::time::to_timestamp)
        };
        let opens = instant("window.start.date", &self.window_start);
        let closes = instant("window.end.date", &self.window_end);
        let capacity = parse_number(lang, &mut problems, "details.capacity", &self.capacity);
        let mut quotas = Vec::new();
        for (org, seats) in self.sent_quotas() {
            if let Some(seats) = parse_number(lang, &mut problems, &format!("quota.{org}"), &seats)
            {
                quotas.push(cpb::SeatQuota {
                    organization_id: org,
                    seats,
                });
            }
        }
        let instructor = people
            .iter()
            .find(|p| p.subject == self.instructor)
            .map(|p| Actor {
                subject: p.subject.clone(),
                name: p
                    .name
                    .as_ref()
                    .map(|n| {
                        if n.fa.is_empty() {
                            n.en.clone()
                        } else {
                            n.fa.clone()
                        }
                    })
                    .unwrap_or_default(),
                organization_id: p.organization_id.clone(),
            });
        if !problems.is_empty() {
            return Err(problems);
        }
        Ok(cpb::SessionDetails {
            meetings,
            venue: Some(LocalizedText {
                fa: self.venue_fa.clone(),
                en: self.venue_en.clone(),
            }),
            online_url: self.online_url.clone(),
            instructor,
            capacity: capacity.unwrap_or(0),
            quotas,
            enrolment_window: (opens.is_some() || closes.is_some()).then_some(TimeRange {
                start_time: opens,
                end_time: closes,
            }),
        })
    }

    /// The input a session violation's path names.
    fn input_of(&self, path: &str) -> Option<String> {
        let key = field_key(path);
        let rows = self.sent_rows();
        let top = key.split('.').next().unwrap_or_default();
        match top {
            "meetings" => {
                let row = field_index(path)
                    .and_then(|i| rows.get(i).copied())
                    .or_else(|| rows.first().copied())
                    .unwrap_or(0);
                Some(format!("meeting.{row}.date"))
            }
            "quotas" => {
                let quotas = self.sent_quotas();
                let org = field_index(path)
                    .and_then(|i| quotas.get(i))
                    .or_else(|| quotas.first())
                    .map(|(o, _)| o.clone())?;
                Some(format!("quota.{org}"))
            }
            "venue" => Some(if key.ends_with(".en") {
                "details.venue.en".to_owned()
            } else {
                "details.venue.fa".to_owned()
            }),
            "online_url" => Some("details.online_url".to_owned()),
            "instructor" => Some("details.instructor".to_owned()),
            "capacity" => Some("details.capacity".to_owned()),
            "enrolment_window" => Some(if key.ends_with("end_time") {
                "window.end.date".to_owned()
            } else {
                "window.start.date".to_owned()
            }),
            _ => None,
        }
    }
}

/// What the form needs around it: courses, organizations, people.
struct Lists {
    courses: Vec<cpb::Course>,
    organizations: Vec<cpb::Organization>,
    people: Vec<cpb::Person>,
}

async fn lists(state: &AppState, token: &str) -> Lists {
    let client = state.backends.as_caller(token);
    let courses = client
        .courses()
        .list_courses(cpb::ListCoursesRequest {
            page_size: 200,
            statuses: vec![
                cpb::CatalogStatus::Draft.into(),
                cpb::CatalogStatus::Submitted.into(),
                cpb::CatalogStatus::Approved.into(),
                cpb::CatalogStatus::Published.into(),
            ],
            ..Default::default()
        })
        .await
        .map(|r| r.into_inner().courses)
        .unwrap_or_default();
    let organizations = client
        .organizations()
        .list_organizations(cpb::ListOrganizationsRequest {
            page_size: 200,
            ..Default::default()
        })
        .await
        .map(|r| r.into_inner().organizations)
        .unwrap_or_default();
    let people = client
        .people()
        .list_people(cpb::ListPeopleRequest {
            page_size: 200,
            ..Default::default()
        })
        .await
        .map(|r| r.into_inner().people)
        .unwrap_or_default();
    Lists {
        courses,
        organizations,
        people,
    }
}

fn date_time_inputs(
    lang: Lang,
    prefix: &str,
    label: (&str, &str),
    value: &(String, String),
    problems: &Problems,
) -> Markup {
    let date = format!("{prefix}.date");
    let time = format!("{prefix}.time");
    field(
        lang,
        &date,
        label,
        problems,
        html! {
            span.datetime {
                input type="text" id=(date) name=(date) value=(value.0) size="11"
                    inputmode="numeric" placeholder=(lang.pick("۱۴۰۵/۰۹/۲۰", "1405/09/20"))
                    aria-invalid=[problems.get(&date).is_some().then_some("true")];
                " "
                input type="text" name=(time) value=(value.1) size="6" inputmode="numeric"
                    aria-label=(lang.pick("ساعت", "Time"))
                    placeholder=(lang.pick("۰۹:۰۰", "09:00"));
            }
        },
    )
}

#[allow(clippy::too_many_lines)]
fn form_body(
    lang: Lang,
    csrf: &str,
    session: Option<&cpb::Session>,
    values: &SessionForm,
    problems: &Problems,
    notice: Markup,
    lists: &Lists,
) -> Markup {
    let action = match session {
        Some(s) => format!("/admin/sessions/{}", s.id),
        None => "/admin/sessions/new".to_owned(),
    };
    let rows = values.meetings.len() + SPARE_ROWS;
    // The service changes planned and open sessions only.
    let locked = session.is_some_and(|s| {
        !matches!(
            s.status(),
            cpb::SessionStatus::Planned | cpb::SessionStatus::Open
        )
    });
    let empty = MeetingRow::default();
    let org_name = |id: &str| {
        lists
            .organizations
            .iter()
            .find(|o| o.id == id)
            .map_or_else(|| id.to_owned(), |o| lang.text(o.name.as_ref()).to_owned())
    };
    html! {
        (notice)
        (problems.summary(lang))
        form.admin method="post" action=(action) novalidate {
            input type="hidden" name="csrf" value=(csrf);
            fieldset.plain disabled[locked] {
            @if let Some(session) = session {
                input type="hidden" name="etag" value=(session.etag);
                input type="hidden" name="course_id" value=(session.course_id);
            } @else {
                (field(lang, "course_id", ("درس", "Course"), problems, html! {
                    select id="course_id" name="course_id" required {
                        @for course in &lists.courses {
                            @let d = course.details.clone().unwrap_or_default();
                            option value=(course.id) selected[course.id == values.course_id] {
                                (d.code) " — " (lang.text(d.title.as_ref()))
                            }
                        }
                    }
                }))
            }
            fieldset {
                legend { (lang.pick("جلسه‌ها (به وقت تهران)", "Meetings (Tehran time)")) }
                p.muted { (lang.pick(
                    "تاریخ خورشیدی مانند ۱۴۰۵/۰۹/۲۰ و ساعت مانند ۰۹:۰۰؛ ردیف‌های خالی نادیده گرفته می‌شوند.",
                    "Solar Hijri date like 1405/09/20 and time like 09:00; empty rows are left out."
                )) }
                div.scroll { table.meetings.fit {
                    thead { tr {
                        th { "#" }
                        th { (lang.pick("تاریخ", "Date")) }
                        th { (lang.pick("شروع", "Start")) }
                        th { (lang.pick("پایان", "End")) }
                    } }
                    tbody {
                        @for i in 0..rows {
                            @let row = values.meetings.get(i).unwrap_or(&empty);
                            @let name = format!("meeting.{i}.date");
                            tr.invalid[problems.get(&name).is_some()] {
                                td { (lang.num(i + 1)) }
                                td {
                                    input type="text" name=(name) id=(name) value=(row.date)
                                        size="11" inputmode="numeric"
                                        aria-label={ (lang.pick("تاریخ جلسهٔ ", "Date of meeting ")) (lang.num(i + 1)) }
                                        placeholder=[(i == 0).then(|| lang.pick("۱۴۰۵/۰۹/۲۰", "1405/09/20"))]
                                        aria-invalid=[problems.get(&name).is_some().then_some("true")];
                                    @if let Some(problem) = problems.get(&name) {
                                        p.field-error id={ (name) "-error" } { (problem) }
                                    }
                                }
                                td { input type="text" name={ "meeting." (i) ".start" } value=(row.start)
                                    size="6" inputmode="numeric"
                                    aria-label={ (lang.pick("شروع جلسهٔ ", "Start of meeting ")) (lang.num(i + 1)) }
                                    placeholder=[(i == 0).then(|| lang.pick("۰۹:۰۰", "09:00"))]; }
                                td { input type="text" name={ "meeting." (i) ".end" } value=(row.end)
                                    size="6" inputmode="numeric"
                                    aria-label={ (lang.pick("پایان جلسهٔ ", "End of meeting ")) (lang.num(i + 1)) }
                                    placeholder=[(i == 0).then(|| lang.pick("۱۲:۰۰", "12:00"))]; }
                            }
                        }
                    }
                } }
            }
            (bilingual(lang, "details.venue", ("مکان", "Venue"),
                (&values.venue_fa, &values.venue_en), problems, false))
            div.grid {
                (field(lang, "details.online_url", ("پیوند برخط", "Online link"), problems,
                    html! { input type="url" dir="ltr" id="details.online_url"
                        name="details.online_url" value=(values.online_url)
                        aria-invalid=[problems.get("details.online_url").is_some().then_some("true")]; }))
                (field(lang, "details.instructor", ("مدرس", "Instructor"), problems, html! {
                    select id="details.instructor" name="details.instructor" {
                        option value="" { "—" }
                        @for person in &lists.people {
                            option value=(person.subject) selected[person.subject == values.instructor] {
                                (lang.text(person.name.as_ref())) " (" (org_name(&person.organization_id)) ")"
                            }
                        }
                    }
                }))
                (field(lang, "details.capacity", ("ظرفیت", "Capacity"), problems,
                    number_input("details.capacity", &values.capacity, problems)))
            }
            fieldset.invalid[lists.organizations.iter().any(|o| problems.get(&format!("quota.{}", o.id)).is_some())] {
                legend { (lang.pick("سهمیهٔ هر شرکت (صندلی)", "Seats reserved per company")) }
                p.muted { (lang.pick(
                    "خالی یا صفر: بی‌سهمیه؛ جمع سهمیه‌ها از ظرفیت بیشتر نباشد.",
                    "Empty or zero: no quota; together no more than the capacity."
                )) }
                div.quotas {
                    @for org in &lists.organizations {
                        @let name = format!("quota.{}", org.id);
                        (field(lang, &name, (lang.text(org.name.as_ref()), lang.text(org.name.as_ref())),
                            problems, number_input(&name,
                                values.quotas.get(&org.id).map_or("", String::as_str), problems)))
                    }
                }
            }
            div.grid {
                (date_time_inputs(lang, "window.start", ("آغاز ثبت‌نام", "Enrolment opens"),
                    &values.window_start, problems))
                (date_time_inputs(lang, "window.end", ("پایان ثبت‌نام", "Enrolment closes"),
                    &values.window_end, problems))
            }
            @if !locked {
                button type="submit" {
                    @if session.is_some() { (lang.pick("ذخیره", "Save")) }
                    @else { (lang.pick("ایجاد دوره", "Create the session")) }
                }
            }
            }
        }
    }
}

/// The course picked in the address of a new session.
#[derive(Debug, Default, Deserialize)]
pub struct NewQuery {
    /// A course id.
    #[serde(default)]
    pub course: String,
}

/// `GET /admin/sessions/new`.
pub async fn new_form(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(query): Query<NewQuery>,
) -> Result<Markup, PageError> {
    let lang = viewer.lang;
    let web = admin(&viewer)?;
    let lists = lists(&state, &web.token).await;
    let values = SessionForm {
        course_id: query.course,
        capacity: lang.num(20),
        // Enrolment may start today; its end is the admin's to choose.
        window_start: (
            jalali_parts(lang, hamafza_kit::time::now()).0,
            lang.num("08:00"),
        ),
        ..SessionForm::default()
    };
    Ok(frame(
        &viewer,
        lang.pick("دورهٔ تازه", "New session"),
        "/admin/sessions/new",
        form_body(
            lang,
            &web.csrf,
            None,
            &values,
            &Problems::default(),
            html! {},
            &lists,
        ),
    ))
}

/// Whether a refusal is one the form cannot help with (show it as a page).
fn is_fatal(error: &ApiError) -> bool {
    error.violations().is_empty()
        && matches!(
            error.code(),
            hamafza_kit::ErrorCode::Unavailable
                | hamafza_kit::ErrorCode::Unauthenticated
                | hamafza_kit::ErrorCode::PermissionDenied
                | hamafza_kit::ErrorCode::Internal
        )
}

/// `POST /admin/sessions/new`.
pub async fn create(
    State(state): State<AppState>,
    viewer: Viewer,
    body: Bytes,
) -> Result<Response, PageError> {
    let lang = viewer.lang;
    let web = admin(&viewer)?;
    let values = form_values(&body);
    check_csrf(&viewer, first(&values, "csrf"))?;
    let form = SessionForm::from_body(&values);
    let lists = lists(&state, &web.token).await;
    let problems = match form.details(lang, &lists.people) {
        Ok(details) => match state
            .backends
            .as_caller(&web.token)
            .sessions()
            .create_session(cpb::CreateSessionRequest {
                course_id: form.course_id.clone(),
                details: Some(details),
            })
            .await
        {
            Ok(created) => {
                let id = created.into_inner().session.unwrap_or_default().id;
                return Ok(see_other(&format!("/admin/sessions/{id}?done=created")));
            }
            Err(status) => {
                let error = ApiError::from_status(&status);
                if is_fatal(&error) {
                    return Err(PageError::api(lang, error));
                }
                Problems::from_error(lang, &error, |path| {
                    if field_key(path) == "course_id" {
                        Some("course_id".to_owned())
                    } else {
                        form.input_of(path)
                    }
                })
            }
        },
        Err(problems) => problems,
    };
    Ok((
        StatusCode::UNPROCESSABLE_ENTITY,
        frame(
            &viewer,
            lang.pick("دورهٔ تازه", "New session"),
            "/admin/sessions/new",
            form_body(lang, &web.csrf, None, &form, &problems, html! {}, &lists),
        ),
    )
        .into_response())
}

async fn get_session(
    state: &AppState,
    token: &str,
    lang: Lang,
    id: &str,
) -> Result<cpb::Session, PageError> {
    state
        .backends
        .as_caller(token)
        .sessions()
        .get_session(cpb::GetSessionRequest {
            session_id: id.to_owned(),
        })
        .await
        .map_err(|s| PageError::status(lang, s))
        .map(|r| r.into_inner().session.unwrap_or_default())
}

/// Enrolments of a session by status (every page of them).
pub async fn enrolment_counts(
    state: &AppState,
    token: &str,
    session_id: &str,
) -> HashMap<epb::EnrolmentStatus, usize> {
    let client = state.backends.as_caller(token);
    let mut counts = HashMap::new();
    let mut page_token = String::new();
    for _ in 0..50 {
        let Ok(page) = client
            .enrolments()
            .list_enrolments(epb::ListEnrolmentsRequest {
                page_size: 200,
                page_token: page_token.clone(),
                session_id: session_id.to_owned(),
                ..Default::default()
            })
            .await
            .map(tonic::Response::into_inner)
        else {
            break;
        };
        for enrolment in &page.enrolments {
            *counts.entry(enrolment.status()).or_insert(0) += 1;
        }
        if page.next_page_token.is_empty() {
            break;
        }
        page_token = page.next_page_token;
    }
    counts
}

/// How many a cancellation tells: those confirmed, waitlisted or waiting
/// for their manager.
pub fn told_on_cancel(counts: &HashMap<epb::EnrolmentStatus, usize>) -> usize {
    [
        epb::EnrolmentStatus::Confirmed,
        epb::EnrolmentStatus::Waitlisted,
        epb::EnrolmentStatus::PendingApproval,
    ]
    .iter()
    .map(|s| counts.get(s).copied().unwrap_or(0))
    .sum()
}

/// A session status as a badge.
pub fn session_badge(lang: Lang, status: cpb::SessionStatus) -> Markup {
    let (fa, en, class) = match status {
        cpb::SessionStatus::Planned => ("برنامه‌ریزی‌شده", "Planned", ""),
        cpb::SessionStatus::Open => ("ثبت‌نام باز", "Open", "ok"),
        cpb::SessionStatus::Closed => ("ثبت‌نام بسته", "Closed", "warn"),
        cpb::SessionStatus::Completed => ("پایان‌یافته", "Completed", "ok"),
        cpb::SessionStatus::Cancelled => ("لغوشده", "Cancelled", "bad"),
        cpb::SessionStatus::Unspecified => ("—", "—", ""),
    };
    html! { span class={ "badge " (class) } { (lang.pick(fa, en)) } }
}

/// The open / close / cancel controls of a session in `status`.
pub fn session_actions(
    lang: Lang,
    csrf: &str,
    session: &cpb::Session,
    told: usize,
    reason_problem: Option<&str>,
) -> Markup {
    let status = session.status();
    let id = &session.id;
    html! {
        div.actions {
            @if status == cpb::SessionStatus::Planned {
                form.inline method="post" action={ "/admin/sessions/" (id) "/open" } {
                    input type="hidden" name="csrf" value=(csrf);
                    button type="submit" { (lang.pick("باز کردن ثبت‌نام", "Open for enrolment")) }
                }
            }
            @if status == cpb::SessionStatus::Open {
                form.inline method="post" action={ "/admin/sessions/" (id) "/close" } {
                    input type="hidden" name="csrf" value=(csrf);
                    button.secondary type="submit" { (lang.pick("بستن ثبت‌نام", "Close enrolment")) }
                }
            }
            @if matches!(status, cpb::SessionStatus::Planned | cpb::SessionStatus::Open | cpb::SessionStatus::Closed) {
                details.cancel open[reason_problem.is_some()] {
                summary { (lang.pick("لغو دوره…", "Cancel…")) }
                form.cancel method="post" action={ "/admin/sessions/" (id) "/cancel" } {
                    input type="hidden" name="csrf" value=(csrf);
                    label for={ "reason-" (id) } { (lang.pick("لغو با دلیل: ", "Cancel, with a reason: ")) }
                    input type="text" id={ "reason-" (id) } name="reason" required
                        aria-invalid=[reason_problem.is_some().then_some("true")];
                    " "
                    button.danger type="submit" { (lang.pick("لغو دوره", "Cancel the session")) }
                    p.muted {
                        @if told == 0 {
                            (lang.pick("کسی ثبت‌نام نکرده است.", "No one is enrolled."))
                        } @else {
                            (lang.num(told)) " "
                            (lang.pick(
                                "ثبت‌نام لغو می‌شود و به آنان خبر داده می‌شود.",
                                "enrolments will be cancelled and those people told."
                            ))
                        }
                    }
                    @if let Some(problem) = reason_problem {
                        p.field-error { (problem) }
                    }
                }
                }
            }
        }
    }
}

#[allow(clippy::too_many_arguments)]
async fn edit_page(
    state: &AppState,
    viewer: &Viewer,
    token: &str,
    csrf: &str,
    session: &cpb::Session,
    values: &SessionForm,
    problems: &Problems,
    notice: Markup,
    lists: &Lists,
) -> Markup {
    let lang = viewer.lang;
    let counts = enrolment_counts(state, token, &session.id).await;
    let count = |s: epb::EnrolmentStatus| counts.get(&s).copied().unwrap_or(0);
    let course = lists.courses.iter().find(|c| c.id == session.course_id);
    let d = course.and_then(|c| c.details.clone()).unwrap_or_default();
    let title = format!("{} — {}", d.code, lang.text(d.title.as_ref()));
    let start = crate::i18n::instant(session.start_time.as_ref());
    frame(
        viewer,
        &title,
        "",
        html! {
            p {
                (session_badge(lang, session.status()))
                @if let Some(start) = start { " " span.muted { (lang.date_time(start)) } }
                " · " (lang.pick("ثبت‌نام قطعی: ", "Confirmed: ")) (lang.num(count(epb::EnrolmentStatus::Confirmed)))
                " · " (lang.pick("فهرست انتظار: ", "Waitlisted: ")) (lang.num(count(epb::EnrolmentStatus::Waitlisted)))
                " · " (lang.pick("در انتظار تأیید: ", "Awaiting approval: ")) (lang.num(count(epb::EnrolmentStatus::PendingApproval)))
                " · " a href={ "/sessions/" (session.id) } { (lang.pick("صفحهٔ عمومی", "Public page")) }
            }
            (session_actions(lang, csrf, session, told_on_cancel(&counts), problems.get("reason")))
            (form_body(lang, csrf, Some(session), values, problems, notice, lists))
        },
    )
}

/// `GET /admin/sessions/{id}`.
pub async fn edit_form(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    Query(done): Query<super::Done>,
) -> Result<Markup, PageError> {
    let lang = viewer.lang;
    let web = admin(&viewer)?;
    let session = get_session(&state, &web.token, lang, &id).await?;
    let lists = lists(&state, &web.token).await;
    Ok(edit_page(
        &state,
        &viewer,
        &web.token,
        &web.csrf,
        &session,
        &SessionForm::from_session(lang, &session),
        &Problems::default(),
        flash(lang, &done.done),
        &lists,
    )
    .await)
}

/// `POST /admin/sessions/{id}`: the update, conditional on the etag the form
/// was rendered with, masked to the fields the form holds.
pub async fn update(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, PageError> {
    let lang = viewer.lang;
    let web = admin(&viewer)?;
    let values = form_values(&body);
    check_csrf(&viewer, first(&values, "csrf"))?;
    let form = SessionForm::from_body(&values);
    let lists = lists(&state, &web.token).await;
    let error = match form.details(lang, &lists.people) {
        Ok(details) => {
            let sent = state
                .backends
                .as_caller(&web.token)
                .sessions()
                .update_session(cpb::UpdateSessionRequest {
                    session_id: id.clone(),
                    details: Some(details),
                    etag: first(&values, "etag").to_owned(),
                    update_mask: Some(prost_types::FieldMask {
                        paths: FIELDS.iter().map(|(p, _)| (*p).to_owned()).collect(),
                    }),
                })
                .await;
            match sent {
                Ok(_) => return Ok(see_other(&format!("/admin/sessions/{id}?done=saved"))),
                Err(status) => Err(ApiError::from_status(&status)),
            }
        }
        Err(problems) => Ok(problems),
    };
    let session = get_session(&state, &web.token, lang, &id).await?;
    let problems = match error {
        Ok(problems) => problems,
        Err(error) if is_stale(&error) => {
            let stored = SessionForm::from_session(lang, &session);
            let differing: Vec<&str> = FIELDS
                .iter()
                .filter(|(path, _)| stored.value(path) != form.value(path))
                .map(|(_, label)| lang.pick(label.0, label.1))
                .collect();
            let page = edit_page(
                &state,
                &viewer,
                &web.token,
                &web.csrf,
                &session,
                &stored,
                &Problems::default(),
                changed_meanwhile(lang, &differing),
                &lists,
            )
            .await;
            return Ok((StatusCode::CONFLICT, page).into_response());
        }
        Err(error) if is_fatal(&error) => return Err(PageError::api(lang, error)),
        Err(error) => Problems::from_error(lang, &error, |path| form.input_of(path)),
    };
    let page = edit_page(
        &state,
        &viewer,
        &web.token,
        &web.csrf,
        &session,
        &form,
        &problems,
        html! {},
        &lists,
    )
    .await;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
}

/// `POST /admin/sessions/{id}/{action}`: open, close or cancel (with a
/// reason).
pub async fn act(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((id, action)): Path<(String, String)>,
    body: Bytes,
) -> Result<Response, PageError> {
    let lang = viewer.lang;
    let web = admin(&viewer)?;
    let values = form_values(&body);
    check_csrf(&viewer, first(&values, "csrf"))?;
    let mut client = state.backends.as_caller(&web.token).sessions();
    let session_id = id.clone();
    let result = match action.as_str() {
        "open" => client
            .open_session(cpb::OpenSessionRequest { session_id })
            .await
            .map(|_| "opened"),
        "close" => client
            .close_session(cpb::CloseSessionRequest { session_id })
            .await
            .map(|_| "closed"),
        "cancel" => {
            let reason = first(&values, "reason").trim().to_owned();
            if reason.is_empty() {
                let session = get_session(&state, &web.token, lang, &id).await?;
                let lists = lists(&state, &web.token).await;
                let mut problems = Problems::default();
                problems.add(
                    "reason",
                    lang.pick("دلیل لغو را بنویسید.", "Give the reason for cancelling."),
                );
                let page = edit_page(
                    &state,
                    &viewer,
                    &web.token,
                    &web.csrf,
                    &session,
                    &SessionForm::from_session(lang, &session),
                    &problems,
                    html! {},
                    &lists,
                )
                .await;
                return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
            }
            client
                .cancel_session(cpb::CancelSessionRequest { session_id, reason })
                .await
                .map(|_| "cancelled")
        }
        _ => return Err(PageError::api(lang, ApiError::not_found("action", &action))),
    };
    let done = result.map_err(|s| PageError::status(lang, s))?;
    Ok(see_other(&format!("/admin/sessions/{id}?done={done}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn violations_land_on_the_rows_sent() {
        let mut form = SessionForm {
            meetings: vec![
                MeetingRow::default(),
                MeetingRow {
                    date: "1405/09/20".into(),
                    start: "09:00".into(),
                    end: "12:00".into(),
                },
            ],
            ..SessionForm::default()
        };
        form.quotas.insert("msc".into(), "5".into());
        form.quotas.insert("ksc".into(), "".into());
        assert_eq!(
            form.input_of("details.meetings[0].end_time").as_deref(),
            Some("meeting.1.date")
        );
        assert_eq!(
            form.input_of("details.quotas[0].seats").as_deref(),
            Some("quota.msc")
        );
        assert_eq!(
            form.input_of("details.enrolment_window.end_time")
                .as_deref(),
            Some("window.end.date")
        );
    }
}
