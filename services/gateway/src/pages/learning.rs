//! "My learning": the trainee's enrolments with status and history, waitlist
//! position, attendance and results.

use axum::extract::State;
use maud::{Markup, html};

use super::layout::{badge, page};
use crate::AppState;
use crate::i18n::{Lang, instant};
use crate::web::{PageError, Viewer};
use hamafza_proto::enrolments as epb;

/// A status as a coloured badge.
pub fn status_badge(lang: Lang, status: epb::EnrolmentStatus) -> Markup {
    let words = match status {
        epb::EnrolmentStatus::PendingApproval => {
            ("در انتظار تأیید مدیر", "Awaiting approval", "warn")
        }
        epb::EnrolmentStatus::Confirmed => ("ثبت‌نام قطعی", "Confirmed", "ok"),
        epb::EnrolmentStatus::Waitlisted => ("فهرست انتظار", "Waitlisted", "warn"),
        epb::EnrolmentStatus::Rejected => ("رد شده", "Rejected", "bad"),
        epb::EnrolmentStatus::Cancelled => ("لغو شده", "Cancelled", "bad"),
        epb::EnrolmentStatus::Completed => ("گذرانده", "Completed", "ok"),
        epb::EnrolmentStatus::Failed => ("قبول نشده", "Not passed", "bad"),
        epb::EnrolmentStatus::NoShow => ("غایب", "No-show", "bad"),
        epb::EnrolmentStatus::Unspecified => ("—", "—", ""),
    };
    badge(lang, words)
}

/// `GET /me/learning`; `?done=` says what was just done (a rating saved, an
/// enrolment cancelled from here).
pub async fn show(
    State(state): State<AppState>,
    viewer: Viewer,
    crate::web::Query(done): crate::web::Query<super::session::Done>,
) -> Result<Markup, PageError> {
    let lang = viewer.lang;
    let web = viewer.require()?;
    let request = epb::ListEnrolmentsRequest {
        trainee_subject: web.caller.subject.clone(),
        ..Default::default()
    };
    let enrolments = super::lookup::every_enrolment(&state.backends.as_caller(&web.token), request)
        .await
        .map_err(|s| PageError::status(lang, s))?;
    let (courses, sessions) = super::lookup::catalog_of(
        &state,
        &web.token,
        enrolments.iter().map(|e| e.course_id.clone()).collect(),
        enrolments.iter().map(|e| e.session_id.clone()).collect(),
    )
    .await
    .map_err(|s| PageError::status(lang, s))?;
    let ratings = super::evaluation::mine(&state, &web.token, &enrolments).await;
    let title = lang.pick("یادگیری من", "My learning");
    Ok(page(
        &viewer,
        title,
        html! {
            @match done.done.as_str() {
                "rated" => p.flash role="status" {
                    (lang.pick("ارزشیابی شما ثبت شد. سپاس!", "Your rating is saved. Thank you!"))
                },
                "cancelled" => p.flash role="status" {
                    (lang.pick("ثبت‌نام شما لغو شد.", "Your enrolment is cancelled."))
                },
                _ => {}
            }
            h1 { (title) }
            @if enrolments.is_empty() {
                p.muted {
                    (lang.pick(
                        "هنوز در دوره‌ای ثبت‌نام نکرده‌اید.",
                        "You have not enrolled in any session yet."
                    ))
                    " "
                    a href="/" { (lang.pick("دوره‌ها را ببینید", "Browse the catalog")) }
                }
            }
            @for enrolment in &enrolments {
                @let course = courses.get(&enrolment.course_id).and_then(|c| c.details.as_ref());
                @let session = sessions.get(&enrolment.session_id);
                div.card {
                    h2 {
                        a href={ "/sessions/" (enrolment.session_id) } {
                            (lang.text(course.and_then(|c| c.title.as_ref())))
                        }
                    }
                    p {
                        (status_badge(lang, enrolment.status()))
                        @if enrolment.waitlist_position > 0 {
                            " " (lang.waitlist_place(enrolment.waitlist_position))
                        }
                        @if let Some(start) = session.and_then(|s| instant(s.start_time.as_ref())) {
                            " · " (lang.pick("شروع: ", "starts ")) (lang.date(start))
                        }
                    }
                    @if !enrolment.attendance.is_empty() {
                        p.muted {
                            (lang.pick("حضور: ", "Attended: "))
                            (lang.num(enrolment.meetings_attended))
                            " / "
                            (lang.num(
                                session
                                    .and_then(|s| s.details.as_ref())
                                    .map_or(0, |d| d.meetings.len())
                            ))
                        }
                    }
                    @if let Some(completion) = &enrolment.completion {
                        p.muted {
                            @if let Some(score) = completion.score {
                                (lang.pick("نمره: ", "Score: ")) (lang.num(score)) " · "
                            }
                            (lang.pick("حضور: ", "Attendance: "))
                            (lang.percent(completion.attendance_percent))
                        }
                        @if matches!(
                            enrolment.status(),
                            epb::EnrolmentStatus::Failed | epb::EnrolmentStatus::NoShow
                        ) {
                            p.why {
                                (lang.pick("دلیل قبول نشدن: ", "Why not passed: "))
                                (super::teach::verdict(lang, enrolment))
                            }
                        }
                    }
                    @if let Some(mine) = ratings.get(&enrolment.id) {
                        (super::evaluation::rating_link(lang, &enrolment.id, mine))
                    }
                    details {
                        summary { (lang.pick("سابقه", "History")) }
                        ul {
                            @for change in &enrolment.history {
                                li {
                                    @if let Some(at) = instant(change.change_time.as_ref()) {
                                        (lang.date_time(at)) ": "
                                    }
                                    (status_badge(lang, change.to_status()))
                                    @if !change.reason.is_empty() { " — " (change.reason) }
                                }
                            }
                        }
                    }
                }
            }
        },
    ))
}
