//! The instructor's pages «کلاس‌های من»: the sessions they teach, each
//! session's roster with companies, attendance per meeting, the printable
//! sign-in sheet, score entry and completion for the whole session with the
//! results, and the roster as CSV or Excel. Who may read a roster or record
//! attendance is the enrolments service's rule (the session's instructor);
//! these pages only show what it answers.

use std::collections::{HashMap, HashSet};

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use hamafza_kit::auth::Role;
use hamafza_kit::{ApiError, ErrorCode};
use maud::{Markup, html};
use serde::Deserialize;

use super::layout::page;
use super::learning::status_badge;
use crate::AppState;
use crate::i18n::{Lang, instant};
use crate::sessions::WebSession;
use crate::web::{PageError, Viewer, check_csrf};
use hamafza_proto::courses as cpb;
use hamafza_proto::enrolments as epb;

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

/// The refusal shown to someone who teaches nothing.
fn instructors_only(lang: Lang) -> PageError {
    PageError::api(
        lang,
        ApiError::new(
            ErrorCode::PermissionDenied,
            "INSTRUCTORS_ONLY",
            "this page is for instructors",
        ),
    )
}

/// The refusal shown for a session someone does not teach.
fn not_your_session(lang: Lang, status: tonic::Status) -> PageError {
    if status.code() == tonic::Code::PermissionDenied {
        PageError::api(
            lang,
            ApiError::new(
                ErrorCode::PermissionDenied,
                "NOT_YOUR_SESSION",
                "only the session's instructor sees its roster",
            ),
        )
    } else {
        PageError::status(lang, status)
    }
}

fn session_badge(lang: Lang, status: cpb::SessionStatus) -> Markup {
    let (fa, en, class) = match status {
        cpb::SessionStatus::Planned => ("در دست برنامه‌ریزی", "Planned", ""),
        cpb::SessionStatus::Open => ("ثبت‌نام باز", "Open", "ok"),
        cpb::SessionStatus::Closed => ("در حال برگزاری", "Being held", "warn"),
        cpb::SessionStatus::Completed => ("پایان‌یافته", "Completed", ""),
        cpb::SessionStatus::Cancelled => ("لغو شده", "Cancelled", "bad"),
        cpb::SessionStatus::Unspecified => ("—", "—", ""),
    };
    html! { span class={ "badge " (class) } { (lang.pick(fa, en)) } }
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
        .map_err(|s| PageError::status(lang, s))?
        .into_inner();
    let sessions = reply.sessions;
    let courses = courses_by_id(&state, web, lang, sessions.iter().map(|s| &s.course_id)).await?;
    let seats: HashMap<String, epb::SessionSeats> = if sessions.is_empty() {
        HashMap::new()
    } else {
        caller
            .enrolments()
            .batch_get_session_seats(epb::BatchGetSessionSeatsRequest {
                session_ids: sessions.iter().map(|s| s.id.clone()).collect(),
            })
            .await
            .map(|r| {
                r.into_inner()
                    .sessions
                    .into_iter()
                    .map(|s| (s.session_id.clone(), s))
                    .collect()
            })
            .unwrap_or_default()
    };
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
                        h3 {
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
    let mut ids: Vec<String> = ids.cloned().collect();
    ids.sort();
    ids.dedup();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(state
        .backends
        .as_caller(&web.token)
        .courses()
        .list_courses(cpb::ListCoursesRequest {
            page_size: 200,
            course_ids: ids,
            ..Default::default()
        })
        .await
        .map_err(|s| PageError::status(lang, s))?
        .into_inner()
        .courses
        .into_iter()
        .map(|c| (c.id.clone(), c))
        .collect())
}

/// A session with everything its pages show.
struct Class {
    session: cpb::Session,
    course: cpb::Course,
    enrolments: Vec<epb::Enrolment>,
    companies: HashMap<String, hamafza_proto::common::LocalizedText>,
}

impl Class {
    fn details(&self) -> cpb::CourseDetails {
        self.course.details.clone().unwrap_or_default()
    }

    fn meetings(&self) -> &[cpb::Meeting] {
        self.session
            .details
            .as_ref()
            .map(|d| d.meetings.as_slice())
            .unwrap_or_default()
    }

    fn company(&self, lang: Lang, enrolment: &epb::Enrolment) -> String {
        let id = enrolment
            .trainee
            .as_ref()
            .map(|t| t.organization_id.as_str())
            .unwrap_or_default();
        match self.companies.get(id) {
            Some(name) => lang.text(Some(name)).to_owned(),
            None => id.to_owned(),
        }
    }

    fn confirmed(&self) -> impl Iterator<Item = &epb::Enrolment> {
        self.enrolments
            .iter()
            .filter(|e| e.status() == epb::EnrolmentStatus::Confirmed)
    }

    /// Who holds or held a seat: on the sign-in sheet and in the results.
    fn seated(&self) -> impl Iterator<Item = &epb::Enrolment> {
        self.enrolments.iter().filter(|e| {
            matches!(
                e.status(),
                epb::EnrolmentStatus::Confirmed
                    | epb::EnrolmentStatus::Completed
                    | epb::EnrolmentStatus::Failed
                    | epb::EnrolmentStatus::NoShow
            )
        })
    }

    fn title(&self, lang: Lang) -> String {
        lang.text(self.details().title.as_ref()).to_owned()
    }
}

fn name(enrolment: &epb::Enrolment) -> &str {
    enrolment
        .trainee
        .as_ref()
        .map(|t| {
            if t.name.is_empty() {
                t.subject.as_str()
            } else {
                t.name.as_str()
            }
        })
        .unwrap_or_default()
}

/// Loads a session the caller teaches, with its roster (every page) and the
/// companies' names.
async fn load(
    state: &AppState,
    web: &WebSession,
    lang: Lang,
    id: &str,
) -> Result<Class, PageError> {
    // These are the instructor's pages (a platform admin may use them too);
    // the enrolments service still decides whose roster each may read.
    if !web.caller.has_any(&[Role::Instructor, Role::PlatformAdmin]) {
        return Err(instructors_only(lang));
    }
    let caller = state.backends.as_caller(&web.token);
    let not_found = || PageError::api(lang, ApiError::not_found("session", id));
    let session = caller
        .sessions()
        .get_session(cpb::GetSessionRequest {
            session_id: id.to_owned(),
        })
        .await
        .map_err(|s| match s.code() {
            tonic::Code::InvalidArgument => not_found(),
            _ => PageError::status(lang, s),
        })?
        .into_inner()
        .session
        .ok_or_else(not_found)?;
    let mut enrolments = Vec::new();
    let mut page_token = String::new();
    loop {
        let reply = caller
            .enrolments()
            .list_enrolments(epb::ListEnrolmentsRequest {
                page_size: 200,
                page_token,
                session_id: id.to_owned(),
                ..Default::default()
            })
            .await
            .map_err(|s| not_your_session(lang, s))?
            .into_inner();
        enrolments.extend(reply.enrolments);
        if reply.next_page_token.is_empty() {
            break;
        }
        page_token = reply.next_page_token;
    }
    enrolments.sort_by(|a, b| name(a).cmp(name(b)));
    let course = caller
        .courses()
        .get_course(cpb::GetCourseRequest {
            course_id: session.course_id.clone(),
        })
        .await
        .map_err(|s| PageError::status(lang, s))?
        .into_inner()
        .course
        .ok_or_else(not_found)?;
    let companies = caller
        .organizations()
        .list_organizations(cpb::ListOrganizationsRequest {
            page_size: 200,
            ..Default::default()
        })
        .await
        .map(|r| {
            r.into_inner()
                .organizations
                .into_iter()
                .filter_map(|o| o.name.map(|name| (o.id, name)))
                .collect()
        })
        .unwrap_or_default();
    Ok(Class {
        session,
        course,
        enrolments,
        companies,
    })
}

/// What happened on the last form post, shown once.
#[derive(Debug, Default, Deserialize)]
pub struct Done {
    /// `attendance` or `completed`.
    #[serde(default)]
    pub done: String,
    /// The meeting marked (1-based).
    #[serde(default)]
    pub meeting: u32,
    /// How many were marked present.
    #[serde(default)]
    pub present: u32,
    /// How many were marked absent.
    #[serde(default)]
    pub absent: u32,
    /// How many passed.
    #[serde(default)]
    pub passed: u32,
    /// How many did not pass.
    #[serde(default)]
    pub failed: u32,
    /// How many did not attend.
    #[serde(default)]
    pub no_show: u32,
}

/// `GET /teach/sessions/{id}`.
pub async fn show(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    Query(done): Query<Done>,
) -> Result<Response, PageError> {
    let web = viewer.require()?;
    let class = load(&state, web, viewer.lang, &id).await?;
    Ok(roster_page(&viewer, web, &class, &done, &CompletionProblems::default()).into_response())
}

/// Problems with the completion form: per enrolment, and for the form.
#[derive(Debug, Default)]
struct CompletionProblems {
    rows: HashMap<String, String>,
    scores: HashMap<String, String>,
    no_shows: HashSet<String>,
    form: Option<String>,
    done: u32,
}

fn flash(lang: Lang, done: &Done) -> Option<String> {
    match (done.done.as_str(), lang) {
        ("attendance", Lang::Fa) => Some(format!(
            "حضور {} نفر برای جلسه {} ثبت شد؛ {} نفر غایب.",
            lang.num(done.present),
            lang.num(done.meeting),
            lang.num(done.absent)
        )),
        ("attendance", Lang::En) => Some(format!(
            "Attendance recorded for meeting {}: {} present, {} absent.",
            done.meeting, done.present, done.absent
        )),
        ("completed", Lang::Fa) => Some(format!(
            "نتیجهٔ {} نفر ثبت شد: {} نفر قبول، {} نفر مردود، {} نفر غایب.",
            lang.num(done.passed + done.failed + done.no_show),
            lang.num(done.passed),
            lang.num(done.failed),
            lang.num(done.no_show)
        )),
        ("completed", Lang::En) => Some(format!(
            "Results recorded for {}: {} passed, {} did not pass, {} no-show.",
            done.passed + done.failed + done.no_show,
            done.passed,
            done.failed,
            done.no_show
        )),
        _ => None,
    }
}

/// Why a result is what it is: score against the passing score, attendance
/// against the minimum.
fn verdict(lang: Lang, enrolment: &epb::Enrolment) -> String {
    let Some(completion) = &enrolment.completion else {
        return String::new();
    };
    let mut reasons = Vec::new();
    if enrolment.status() == epb::EnrolmentStatus::NoShow {
        return lang
            .pick("در هیچ جلسه‌ای حاضر نشد", "Did not attend")
            .to_owned();
    }
    if let Some(score) = completion.score
        && score < completion.passing_score
    {
        reasons.push(match lang {
            Lang::Fa => format!(
                "نمرهٔ {} کمتر از نمرهٔ قبولی {}",
                lang.num(score),
                lang.num(completion.passing_score)
            ),
            Lang::En => format!(
                "score {score} below the passing score {}",
                completion.passing_score
            ),
        });
    }
    if completion.attendance_percent < completion.min_attendance_percent {
        reasons.push(match lang {
            Lang::Fa => format!(
                "حضور {}٪ کمتر از حداقل {}٪",
                lang.num(completion.attendance_percent),
                lang.num(completion.min_attendance_percent)
            ),
            Lang::En => format!(
                "attendance {}% below the minimum {}%",
                completion.attendance_percent, completion.min_attendance_percent
            ),
        });
    }
    if reasons.is_empty() {
        return match lang {
            Lang::Fa => format!(
                "نمره و حضور ({}٪) کافی است",
                lang.num(completion.attendance_percent)
            ),
            Lang::En => format!(
                "score and attendance ({}%) suffice",
                completion.attendance_percent
            ),
        };
    }
    reasons.join(lang.pick("؛ ", "; "))
}

fn mark_of(enrolment: &epb::Enrolment, meeting_index: u32) -> Option<epb::AttendanceStatus> {
    enrolment
        .attendance
        .iter()
        .find(|a| a.meeting_index == meeting_index)
        .map(|a| a.status())
}

fn roster_page(
    viewer: &Viewer,
    web: &WebSession,
    class: &Class,
    done: &Done,
    problems: &CompletionProblems,
) -> Markup {
    let lang = viewer.lang;
    let title = class.title(lang);
    let details = class.details();
    let session = &class.session;
    let meetings = class.meetings();
    let confirmed: Vec<&epb::Enrolment> = class.confirmed().collect();
    let seated: Vec<&epb::Enrolment> = class.seated().collect();
    let results: Vec<&epb::Enrolment> = class
        .enrolments
        .iter()
        .filter(|e| e.completion.is_some())
        .collect();
    let open = !matches!(
        session.status(),
        cpb::SessionStatus::Cancelled | cpb::SessionStatus::Completed
    );
    let base = format!("/teach/sessions/{}", session.id);
    page(
        viewer,
        &title,
        html! {
            p.no-print { a href="/teach" { (lang.pick("→ کلاس‌های من", "← My classes")) } }
            @if let Some(message) = flash(lang, done) { p.flash { (message) } }
            @if problems.done > 0 {
                p.flash {
                    @match lang {
                        Lang::Fa => { "نتیجهٔ " (lang.num(problems.done)) " نفر ثبت شد." },
                        Lang::En => { "Results recorded for " (problems.done) "." },
                    }
                }
            }
            h1 { (title) }
            p.muted {
                span.ltr { (details.code) } " · " (session_badge(lang, session.status()))
                @if let Some(start) = instant(session.start_time.as_ref()) {
                    " · " (lang.date_time(start))
                }
                " · " (lang.text(session.details.as_ref().and_then(|d| d.venue.as_ref())))
            }
            p.muted {
                (lang.pick("نمرهٔ قبولی: ", "Passing score: ")) (lang.num(details.passing_score))
                " · " (lang.pick("حداقل حضور: ", "Minimum attendance: "))
                (lang.percent(details.min_attendance_percent))
            }
            p.downloads {
                (lang.pick("دریافت فهرست: ", "Download the roster: "))
                a href={ (base) "/roster?format=xlsx&lang=" (lang.code()) } { "Excel (.xlsx)" }
                " · "
                a href={ (base) "/roster?format=csv&lang=" (lang.code()) } { "CSV" }
            }
            h2 { (lang.pick("جلسه‌ها", "Meetings")) }
            div.scroll { table.meetings {
                thead { tr {
                    th { "#" }
                    th { (lang.pick("زمان", "When")) }
                    th { (lang.pick("حاضر", "Present")) }
                    th { }
                } }
                tbody {
                    @for (index, meeting) in meetings.iter().enumerate() {
                        @let n = index + 1;
                        @let index = u32::try_from(index).unwrap_or(u32::MAX);
                        @let marked = seated.iter().filter(|e| mark_of(e, index).is_some()).count();
                        @let present = seated.iter()
                            .filter(|e| mark_of(e, index) == Some(epb::AttendanceStatus::Present))
                            .count();
                        tr {
                            td { (lang.num(n)) }
                            td {
                                @if let Some(start) = instant(meeting.start_time.as_ref()) {
                                    (lang.date_time(start))
                                }
                            }
                            td {
                                @if marked == 0 {
                                    span.muted { (lang.pick("ثبت نشده", "not taken")) }
                                } @else {
                                    (lang.num(present)) " / " (lang.num(marked))
                                }
                            }
                            td.actions {
                                @if open && !confirmed.is_empty() {
                                    a.button href={ (base) "/meetings/" (n) } {
                                        @if marked == 0 {
                                            (lang.pick("حضور و غیاب", "Take attendance"))
                                        }
                                        @else { (lang.pick("اصلاح حضور", "Correct attendance")) }
                                    }
                                    " "
                                }
                                a href={ (base) "/meetings/" (n) "/sheet" } {
                                    (lang.pick("برگهٔ امضا", "Sign-in sheet"))
                                }
                            }
                        }
                    }
                }
            } }
            h2 { (lang.pick("فهرست شرکت‌کنندگان", "Roster")) }
            @if class.enrolments.is_empty() {
                p.muted.empty {
                    (lang.pick(
                        concat!(
                            "هنوز کسی در این دوره ثبت‌نام نکرده است. ثبت‌نام‌ها با باز شدن دوره و ",
                            "به دست مدیران روابط عمومی شرکت‌ها انجام می‌شود.",
                        ),
                        concat!(
                            "No one is enrolled yet. Trainees and their companies' PR managers ",
                            "enrol while the session is open.",
                        )
                    ))
                }
            } @else {
                div.scroll { table.roster {
                    thead { tr {
                        th { (lang.pick("نام", "Name")) }
                        th { (lang.pick("شرکت", "Company")) }
                        th { (lang.pick("وضعیت", "Status")) }
                        @for (index, _) in meetings.iter().enumerate() {
                            th { (lang.pick("ج", "M")) (lang.num(index + 1)) }
                        }
                    } }
                    tbody {
                        @for enrolment in &class.enrolments {
                            tr {
                                td { (name(enrolment)) }
                                td { (class.company(lang, enrolment)) }
                                td { (status_badge(lang, enrolment.status())) }
                                @for (index, _) in meetings.iter().enumerate() {
                                    td {
                                        @let index = u32::try_from(index).unwrap_or(u32::MAX);
                                        @match mark_of(enrolment, index) {
                                            Some(epb::AttendanceStatus::Present) => {
                                                span.badge.ok { "✓" }
                                            },
                                            Some(epb::AttendanceStatus::Absent) => {
                                                span.badge.bad { "✗" }
                                            },
                                            _ => span.muted { "—" },
                                        }
                                    }
                                }
                            }
                        }
                    }
                } }
            }
            @if open && !confirmed.is_empty() {
                h2 id="complete" { (lang.pick("ثبت نمره و پایان دوره", "Scores and completion")) }
                p.muted {
                    (lang.pick(
                        concat!(
                            "برای هر نفر نمره (۰ تا ۱۰۰) را بنویسید یا «غایب» را بزنید؛ ردیف‌های ",
                            "خالی فعلاً ثبت نمی‌شوند. قبولی را سامانه از روی نمره و درصد حضور ",
                            "تعیین می‌کند.",
                        ),
                        concat!(
                            "Give each person a score (0-100) or tick no-show; empty rows are ",
                            "left for later. Passing is decided from the score and the attendance ",
                            "share.",
                        )
                    ))
                }
                @if let Some(problem) = &problems.form { p.error { (problem) } }
                form.complete method="post" action={ (base) "/complete" } {
                    input type="hidden" name="csrf" value=(web.csrf);
                    input type="hidden" name="request_id" value=(request_id());
                    div.scroll { table {
                        thead { tr {
                            th { (lang.pick("نام", "Name")) }
                            th { (lang.pick("شرکت", "Company")) }
                            th { (lang.pick("حضور", "Attended")) }
                            th { (lang.pick("نمره", "Score")) }
                            th { (lang.pick("غایب", "No-show")) }
                        } }
                        tbody {
                            @for enrolment in &confirmed {
                                @let score_field = format!("score_{}", enrolment.id);
                                @let no_show_field = format!("no_show_{}", enrolment.id);
                                tr {
                                    td { label for=(score_field) { (name(enrolment)) } }
                                    td { (class.company(lang, enrolment)) }
                                    td {
                                        (lang.num(enrolment.meetings_attended))
                                        " / " (lang.num(meetings.len()))
                                    }
                                    td {
                                        input type="number" id=(score_field) name=(score_field)
                                            min="0" max="100" step="1" inputmode="numeric"
                                            value=(problems.scores.get(&enrolment.id)
                                                .map(String::as_str)
                                                .unwrap_or_default());
                                        @if let Some(problem) = problems.rows.get(&enrolment.id) {
                                            p.error.field { (problem) }
                                        }
                                    }
                                    td {
                                        input type="checkbox" name=(no_show_field) value="1"
                                            aria-label=(lang.pick("غایب", "No-show"))
                                            checked[problems.no_shows.contains(&enrolment.id)];
                                    }
                                }
                            }
                        }
                    } }
                    p { button type="submit" { (lang.pick("ثبت نتیجه‌ها", "Record the results")) } }
                }
            }
            h2 id="results" { (lang.pick("نتیجه‌ها", "Results")) }
            @if results.is_empty() {
                p.muted.empty {
                    (lang.pick(
                        concat!(
                            "هنوز نتیجه‌ای ثبت نشده است. پس از آخرین جلسه، نمره‌ها را در فرم بالا ",
                            "ثبت کنید.",
                        ),
                        concat!(
                            "No results yet. After the last meeting, record the scores in the ",
                            "form above.",
                        )
                    ))
                }
            } @else {
                div.scroll { table.results {
                    thead { tr {
                        th { (lang.pick("نام", "Name")) }
                        th { (lang.pick("شرکت", "Company")) }
                        th { (lang.pick("نتیجه", "Result")) }
                        th { (lang.pick("نمره", "Score")) }
                        th { (lang.pick("حضور", "Attendance")) }
                        th { (lang.pick("چرا", "Why")) }
                    } }
                    tbody {
                        @for enrolment in &results {
                            @let completion = enrolment.completion.clone().unwrap_or_default();
                            tr {
                                td { (name(enrolment)) }
                                td { (class.company(lang, enrolment)) }
                                td { (status_badge(lang, enrolment.status())) }
                                td {
                                    @if let Some(score) = completion.score {
                                        (lang.num(score)) " / " (lang.num(completion.passing_score))
                                    } @else { "—" }
                                }
                                td {
                                    (lang.percent(completion.attendance_percent)) " / "
                                    (lang.percent(completion.min_attendance_percent))
                                }
                                td { (verdict(lang, enrolment)) }
                            }
                        }
                    }
                } }
            }
        },
    )
}

fn request_id() -> String {
    uuid::Uuid::now_v7().simple().to_string()
}

/// A meeting's number in the path (1-based) as an index, if the session
/// has it.
fn meeting_index(lang: Lang, class: &Class, n: u32) -> Result<u32, PageError> {
    let count = class.meetings().len();
    if n == 0 || usize::try_from(n).map_or(true, |n| n > count) {
        return Err(PageError::api(lang, ApiError::not_found("meeting", n)));
    }
    Ok(n - 1)
}

/// `GET /teach/sessions/{id}/meetings/{n}`.
pub async fn attendance(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((id, n)): Path<(String, u32)>,
) -> Result<Response, PageError> {
    let web = viewer.require()?;
    let class = load(&state, web, viewer.lang, &id).await?;
    let index = meeting_index(viewer.lang, &class, n)?;
    Ok(attendance_page(&viewer, web, &class, index, None, None).into_response())
}

fn attendance_page(
    viewer: &Viewer,
    web: &WebSession,
    class: &Class,
    index: u32,
    problem: Option<&str>,
    posted_present: Option<&HashSet<String>>,
) -> Markup {
    let lang = viewer.lang;
    let n = index + 1;
    let meeting = class
        .meetings()
        .get(usize::try_from(index).unwrap_or(usize::MAX));
    let confirmed: Vec<&epb::Enrolment> = class.confirmed().collect();
    let retaking = confirmed.iter().any(|e| mark_of(e, index).is_some());
    let title = format!(
        "{} {} — {}",
        lang.pick("حضور و غیاب جلسه", "Attendance, meeting"),
        lang.num(n),
        class.title(lang)
    );
    let base = format!("/teach/sessions/{}", class.session.id);
    page(
        viewer,
        &title,
        html! {
            p.no-print {
                a href=(base) { (lang.pick("→ بازگشت به دوره", "← Back to the session")) }
            }
            h1 { (title) }
            @if let Some(start) = meeting.and_then(|m| instant(m.start_time.as_ref())) {
                p.muted { (lang.date_time(start)) }
            }
            p {
                (lang.pick(
                    "همه حاضر فرض شده‌اند؛ تیک غایبان را بردارید و ثبت کنید.",
                    "Everyone starts as present: untick those absent, then record."
                ))
                @if retaking {
                    " "
                    (lang.pick(
                        concat!(
                            "حضور این جلسه پیش‌تر ثبت شده است؛ ثبت دوباره آن را اصلاح می‌کند و ",
                            "سابقه نگه داشته می‌شود.",
                        ),
                        concat!(
                            "This meeting was marked before; recording again corrects it, and the ",
                            "history is kept.",
                        )
                    ))
                }
            }
            @if let Some(problem) = problem { p.error { (problem) } }
            @if confirmed.is_empty() {
                p.muted.empty {
                    (lang.pick(
                        concat!(
                            "کسی با ثبت‌نام قطعی در این دوره نیست؛ حضور و غیاب برای ثبت‌نام‌های ",
                            "قطعی است.",
                        ),
                        concat!(
                            "No one holds a confirmed seat; attendance is taken for confirmed ",
                            "enrolments.",
                        )
                    ))
                }
            } @else {
                form.attendance method="post" action={ (base) "/meetings/" (n) } {
                    input type="hidden" name="csrf" value=(web.csrf);
                    input type="hidden" name="request_id" value=(request_id());
                    div.scroll { table.fit {
                        thead { tr {
                            th { (lang.pick("حاضر", "Present")) }
                            th { (lang.pick("نام", "Name")) }
                            th { (lang.pick("شرکت", "Company")) }
                        } }
                        tbody {
                            @for enrolment in &confirmed {
                                @let present = match posted_present {
                                    Some(posted) => posted.contains(&enrolment.id),
                                    None => {
                                        mark_of(enrolment, index)
                                            != Some(epb::AttendanceStatus::Absent)
                                    }
                                };
                                @let field = format!("present-{}", enrolment.id);
                                tr {
                                    td {
                                        input type="hidden" name="enrolment" value=(enrolment.id);
                                        input type="checkbox" id=(field) name="present"
                                            value=(enrolment.id) checked[present];
                                    }
                                    td { label for=(field) { (name(enrolment)) } }
                                    td { (class.company(lang, enrolment)) }
                                }
                            }
                        }
                    } }
                    p {
                        button type="submit" { (lang.pick("ثبت حضور و غیاب", "Record attendance")) }
                    }
                }
            }
        },
    )
}

/// `POST /teach/sessions/{id}/meetings/{n}`: every listed enrolment is
/// marked, present when ticked, absent otherwise.
pub async fn record(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((id, n)): Path<(String, u32)>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let lang = viewer.lang;
    let web = viewer.require()?;
    let field = |name: &str| {
        fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    check_csrf(&viewer, &field("csrf"))?;
    let class = load(&state, web, lang, &id).await?;
    let index = meeting_index(lang, &class, n)?;
    let present: HashSet<String> = fields
        .iter()
        .filter(|(k, _)| k == "present")
        .map(|(_, v)| v.clone())
        .collect();
    let mut listed: Vec<String> = fields
        .iter()
        .filter(|(k, _)| k == "enrolment")
        .map(|(_, v)| v.clone())
        .collect();
    listed.dedup();
    if listed.is_empty() {
        let problem = lang.pick(
            "فهرست حاضران خالی است؛ صفحه را دوباره باز کنید.",
            "The list was empty; reload the page.",
        );
        return Ok((
            StatusCode::BAD_REQUEST,
            attendance_page(&viewer, web, &class, index, Some(problem), None),
        )
            .into_response());
    }
    let marks: Vec<epb::AttendanceMark> = listed
        .iter()
        .map(|enrolment| epb::AttendanceMark {
            enrolment_id: enrolment.clone(),
            status: if present.contains(enrolment) {
                epb::AttendanceStatus::Present
            } else {
                epb::AttendanceStatus::Absent
            }
            .into(),
        })
        .collect();
    let present_count = marks
        .iter()
        .filter(|m| m.status() == epb::AttendanceStatus::Present)
        .count();
    let absent_count = marks.len() - present_count;
    let outcome = state
        .backends
        .as_caller(&web.token)
        .enrolments()
        .record_attendance(epb::RecordAttendanceRequest {
            request_id: field("request_id"),
            session_id: id.clone(),
            meeting_index: index,
            marks,
            override_reason: String::new(),
        })
        .await;
    match outcome {
        Ok(_) => Ok(Redirect::to(&format!(
            "/teach/sessions/{id}?done=attendance&meeting={n}\
             &present={present_count}&absent={absent_count}"
        ))
        .into_response()),
        Err(status) if status.code() == tonic::Code::PermissionDenied => {
            Err(not_your_session(lang, status))
        }
        Err(status) => {
            let error = ApiError::from_status(&status);
            let code =
                StatusCode::from_u16(error.code().http_status()).unwrap_or(StatusCode::BAD_REQUEST);
            let problem = crate::i18n::refusal(lang, &error);
            Ok((
                code,
                attendance_page(&viewer, web, &class, index, Some(problem), Some(&present)),
            )
                .into_response())
        }
    }
}

/// `POST /teach/sessions/{id}/complete`: a score or no-show per row, one
/// CompleteEnrolment per filled row.
pub async fn complete(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let lang = viewer.lang;
    let web = viewer.require()?;
    let field = |name: &str| {
        fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim().to_owned())
            .unwrap_or_default()
    };
    check_csrf(&viewer, &field("csrf"))?;
    let class = load(&state, web, lang, &id).await?;
    let mut problems = CompletionProblems::default();
    // Every row is checked before any is recorded.
    let mut rows: Vec<(String, Option<u32>, bool)> = Vec::new();
    for enrolment in class.confirmed() {
        let score = field(&format!("score_{}", enrolment.id));
        let no_show = field(&format!("no_show_{}", enrolment.id)) == "1";
        if no_show {
            problems.no_shows.insert(enrolment.id.clone());
        }
        if !score.is_empty() {
            problems.scores.insert(enrolment.id.clone(), score.clone());
        }
        let parsed = hamafza_kit::jalali::latin_digits(&score)
            .parse::<u32>()
            .ok()
            .filter(|s| *s <= 100);
        match (score.is_empty(), no_show, parsed) {
            (true, false, _) => {}
            (true, true, _) => rows.push((enrolment.id.clone(), None, true)),
            (false, true, _) => {
                problems.rows.insert(
                    enrolment.id.clone(),
                    lang.pick(
                        "یا نمره بدهید یا «غایب» را بزنید، نه هر دو.",
                        "Give a score or tick no-show, not both.",
                    )
                    .to_owned(),
                );
            }
            (false, false, Some(score)) => rows.push((enrolment.id.clone(), Some(score), false)),
            (false, false, None) => {
                problems.rows.insert(
                    enrolment.id.clone(),
                    lang.pick(
                        "نمره باید عددی درست از ۰ تا ۱۰۰ باشد.",
                        "The score must be a whole number from 0 to 100.",
                    )
                    .to_owned(),
                );
            }
        }
    }
    if rows.is_empty() && problems.rows.is_empty() {
        problems.form = Some(
            lang.pick(
                "هیچ نمره‌ای وارد نشده است؛ برای هر نفر نمره یا «غایب» را وارد کنید.",
                "No score was given; enter a score or no-show for each person.",
            )
            .to_owned(),
        );
    }
    if !problems.rows.is_empty() || problems.form.is_some() {
        let done = Done::default();
        return Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            roster_page(&viewer, web, &class, &done, &problems),
        )
            .into_response());
    }
    // Each row under its own idempotency key derived from the form's: a
    // resubmitted form records nothing twice.
    let form_key: String = field("request_id").chars().take(24).collect();
    let mut done = Done {
        done: "completed".to_owned(),
        ..Done::default()
    };
    let mut client = state.backends.as_caller(&web.token).enrolments();
    for (enrolment_id, score, no_show) in rows {
        let suffix = enrolment_id.replace('-', "");
        let outcome = client
            .complete_enrolment(epb::CompleteEnrolmentRequest {
                request_id: format!("{form_key}-{suffix}"),
                enrolment_id: enrolment_id.clone(),
                score,
                no_show,
                override_reason: String::new(),
            })
            .await;
        match outcome {
            Ok(reply) => match reply.into_inner().enrolment.map(|e| e.status()) {
                Some(epb::EnrolmentStatus::Completed) => done.passed += 1,
                Some(epb::EnrolmentStatus::NoShow) => done.no_show += 1,
                _ => done.failed += 1,
            },
            Err(status) if status.code() == tonic::Code::PermissionDenied => {
                return Err(not_your_session(lang, status));
            }
            Err(status) => {
                let error = ApiError::from_status(&status);
                let problem = if no_show && error.code() == ErrorCode::FailedPrecondition {
                    lang.pick(
                        "این فرد در جلسه‌ای حاضر بوده است؛ به جای «غایب» نمره بدهید.",
                        "This person attended a meeting; give a score instead of no-show.",
                    )
                } else {
                    crate::i18n::refusal(lang, &error)
                };
                problems.rows.insert(enrolment_id, problem.to_owned());
            }
        }
    }
    if problems.rows.is_empty() {
        return Ok(Redirect::to(&format!(
            "/teach/sessions/{id}?done=completed&passed={}&failed={}&no_show={}#results",
            done.passed, done.failed, done.no_show
        ))
        .into_response());
    }
    // Some rows were refused: show them with their problems, and what was
    // recorded.
    problems.done = done.passed + done.failed + done.no_show;
    let class = load(&state, web, lang, &id).await?;
    Ok((
        StatusCode::UNPROCESSABLE_ENTITY,
        roster_page(&viewer, web, &class, &Done::default(), &problems),
    )
        .into_response())
}

/// `GET /teach/sessions/{id}/meetings/{n}/sheet`: the printable sign-in
/// sheet.
pub async fn sheet(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((id, n)): Path<(String, u32)>,
) -> Result<Markup, PageError> {
    let lang = viewer.lang;
    let web = viewer.require()?;
    let class = load(&state, web, lang, &id).await?;
    let index = meeting_index(lang, &class, n)?;
    let meeting = class
        .meetings()
        .get(usize::try_from(index).unwrap_or(usize::MAX));
    let plan = class.session.details.clone().unwrap_or_default();
    let title = format!(
        "{} {} — {}",
        lang.pick("برگهٔ امضای جلسه", "Sign-in sheet, meeting"),
        lang.num(n),
        class.title(lang)
    );
    let seated: Vec<&epb::Enrolment> = class.seated().collect();
    Ok(page(
        &viewer,
        &title,
        html! {
            p.no-print {
                a href={ "/teach/sessions/" (class.session.id) } {
                    (lang.pick("→ بازگشت به دوره", "← Back to the session"))
                }
                " · "
                (lang.pick(
                    "برای چاپ از فرمان چاپ مرورگر استفاده کنید.",
                    "Use the browser's print command to print."
                ))
            }
            section.sheet {
                h1 { (title) }
                p {
                    @if let Some(start) = meeting.and_then(|m| instant(m.start_time.as_ref())) {
                        (lang.pick("زمان: ", "When: ")) (lang.date_time(start)) " · "
                    }
                    (lang.pick("محل: ", "Where: ")) (lang.text(plan.venue.as_ref()))
                    @if let Some(instructor) = &plan.instructor {
                        " · " (lang.pick("مدرس: ", "Instructor: ")) (instructor.name)
                    }
                }
                table.signatures {
                    thead { tr {
                        th.n { "#" }
                        th { (lang.pick("نام و نام خانوادگی", "Name")) }
                        th { (lang.pick("شرکت", "Company")) }
                        th.signature { (lang.pick("امضا", "Signature")) }
                    } }
                    tbody {
                        @for (row, enrolment) in seated.iter().enumerate() {
                            tr {
                                td.n { (lang.num(row + 1)) }
                                td { (name(enrolment)) }
                                td { (class.company(lang, enrolment)) }
                                td.signature { }
                            }
                        }
                    }
                }
                @if seated.is_empty() {
                    p.muted {
                        (lang.pick(
                            "کسی در این دوره ثبت‌نام قطعی ندارد.",
                            "No one holds a seat in this session."
                        ))
                    }
                }
            }
        },
    ))
}

/// The download's format.
#[derive(Debug, Default, Deserialize)]
pub struct Download {
    /// `csv` or `xlsx`.
    #[serde(default)]
    pub format: String,
}

/// `GET /teach/sessions/{id}/roster?format=csv|xlsx`: the roster with
/// companies, status, attendance per meeting and results, headed in the
/// viewer's language, dates in its calendar.
pub async fn roster(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    Query(download): Query<Download>,
) -> Result<Response, PageError> {
    use hamafza_kit::sheet::{Format, Table};
    let lang = viewer.lang;
    let web = viewer.require()?;
    let Some(format) = Format::parse(&download.format) else {
        return Err(PageError::api(
            lang,
            ApiError::invalid_field("format", "must be csv or xlsx"),
        ));
    };
    let class = load(&state, web, lang, &id).await?;
    let meetings = class.meetings().len();
    let mut headers: Vec<String> = [
        lang.pick("نام", "Name"),
        lang.pick("شناسه", "Subject"),
        lang.pick("شرکت", "Company"),
        lang.pick("وضعیت", "Status"),
        lang.pick("تاریخ ثبت‌نام", "Enrolled on"),
        lang.pick("جلسه‌های حاضر", "Meetings attended"),
    ]
    .iter()
    .map(|h| (*h).to_owned())
    .collect();
    for n in 1..=meetings {
        headers.push(format!("{} {}", lang.pick("جلسه", "Meeting"), lang.num(n)));
    }
    headers.push(lang.pick("نمره", "Score").to_owned());
    headers.push(lang.pick("نتیجه", "Result").to_owned());
    let mut table = Table::new(headers);
    for enrolment in &class.enrolments {
        let mut row = vec![
            name(enrolment).to_owned(),
            enrolment
                .trainee
                .as_ref()
                .map(|t| t.subject.clone())
                .unwrap_or_default(),
            class.company(lang, enrolment),
            status_text(lang, enrolment.status()).to_owned(),
            instant(enrolment.create_time.as_ref())
                .map(|t| lang.date(t))
                .unwrap_or_default(),
            enrolment.meetings_attended.to_string(),
        ];
        for index in 0..meetings {
            row.push(
                match mark_of(enrolment, u32::try_from(index).unwrap_or(u32::MAX)) {
                    Some(epb::AttendanceStatus::Present) => lang.pick("حاضر", "present"),
                    Some(epb::AttendanceStatus::Absent) => lang.pick("غایب", "absent"),
                    _ => "",
                }
                .to_owned(),
            );
        }
        row.push(
            enrolment
                .completion
                .as_ref()
                .and_then(|c| c.score)
                .map(|s| s.to_string())
                .unwrap_or_default(),
        );
        row.push(verdict(lang, enrolment));
        table.push(row);
    }
    let bytes = hamafza_kit::sheet::write(&table, format, lang == Lang::Fa)
        .map_err(|error| PageError::api(lang, ApiError::internal(error)))?;
    let code = class
        .course
        .details
        .as_ref()
        .map(|d| d.code.clone())
        .unwrap_or_default();
    let filename = format!("roster-{code}-{}.{}", class.session.id, format.extension());
    Ok((
        [
            (header::CONTENT_TYPE, format.content_type().to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{filename}\""),
            ),
        ],
        bytes,
    )
        .into_response())
}

fn status_text(lang: Lang, status: epb::EnrolmentStatus) -> &'static str {
    match status {
        epb::EnrolmentStatus::PendingApproval => {
            lang.pick("در انتظار تأیید مدیر", "awaiting approval")
        }
        epb::EnrolmentStatus::Confirmed => lang.pick("ثبت‌نام قطعی", "confirmed"),
        epb::EnrolmentStatus::Waitlisted => lang.pick("فهرست انتظار", "waitlisted"),
        epb::EnrolmentStatus::Rejected => lang.pick("رد شده", "rejected"),
        epb::EnrolmentStatus::Cancelled => lang.pick("لغو شده", "cancelled"),
        epb::EnrolmentStatus::Completed => lang.pick("گذرانده", "completed"),
        epb::EnrolmentStatus::Failed => lang.pick("قبول نشده", "not passed"),
        epb::EnrolmentStatus::NoShow => lang.pick("غایب", "no-show"),
        epb::EnrolmentStatus::Unspecified => "",
    }
}
