//! `/teach/sessions/{id}`: a session's roster with attendance per meeting,
//! score entry and the results.

use crate::web::Query;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use hamafza_proto::courses as cpb;
use hamafza_proto::enrolments as epb;
use maud::{Markup, html};
use serde::Deserialize;

use super::{Class, CompletionProblems, load, mark_of, name, request_id, session_badge, verdict};
use crate::AppState;
use crate::i18n::{Lang, instant};
use crate::pages::layout::page;
use crate::pages::learning::status_badge;
use crate::sessions::WebSession;
use crate::web::{PageError, Viewer};

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

pub(super) fn roster_page(
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
            p { a href={ (base) "/evaluations" } { (lang.pick("ارزشیابی دوره توسط دوره‌دیدگان", "Course evaluation by the trainees")) } }
            h2 { (lang.pick("جلسه‌ها", "Meetings")) }
            div.scroll tabindex="0" { table.meetings {
                thead { tr {
                    th { "#" }
                    th { (lang.pick("زمان", "When")) }
                    th { (lang.pick("حاضر", "Present")) }
                    th { (lang.pick("حضور و غیاب", "Attendance")) }
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
                div.scroll tabindex="0" { table.roster {
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
                    div.scroll tabindex="0" { table {
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
                div.scroll tabindex="0" { table.results {
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
