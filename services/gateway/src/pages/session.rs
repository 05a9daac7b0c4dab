//! A session's page: what, when, where, seats, and the trainee's own
//! enrolment with enrol / join waitlist / cancel.

use crate::web::Query;
use axum::Form;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use hamafza_kit::ApiError;
use maud::{Markup, html};
use serde::Deserialize;

use super::changes::own_change;
use super::layout::page;
use super::learning::status_badge;
use crate::AppState;
use crate::i18n::instant;
use crate::web::{PageError, PageReply, Viewer};
use hamafza_proto::courses as cpb;
use hamafza_proto::enrolments as epb;

/// What happened on the last form post, shown once.
#[derive(Debug, Default, Deserialize)]
pub struct Done {
    /// `enrolled`, `cancelled` (or, on "My learning", `rated`).
    #[serde(default)]
    pub done: String,
}

/// Loads a session and its course as anyone may see them: past planning, of a
/// published (or retired) course. Anything else is "not found".
pub async fn public_session(
    state: &AppState,
    lang: crate::i18n::Lang,
    id: &str,
) -> Result<(cpb::Session, cpb::Course), PageError> {
    let token = state.backends.public_token();
    let not_found = || PageError::api(lang, ApiError::not_found("session", id));
    let session = state
        .backends
        .as_caller(&token)
        .sessions()
        .get_session(cpb::GetSessionRequest {
            session_id: id.to_owned(),
        })
        .await
        .map_err(|s| {
            if s.code() == tonic::Code::InvalidArgument {
                not_found()
            } else {
                PageError::status(lang, s)
            }
        })?
        .into_inner()
        .session
        .ok_or_else(not_found)?;
    if session.status() == cpb::SessionStatus::Planned {
        return Err(not_found());
    }
    let course = state
        .backends
        .as_caller(&token)
        .courses()
        .get_course(cpb::GetCourseRequest {
            course_id: session.course_id.clone(),
        })
        .await
        .page(lang)?
        .course
        .ok_or_else(not_found)?;
    if !matches!(
        course.status(),
        cpb::CatalogStatus::Published | cpb::CatalogStatus::Retired
    ) {
        return Err(not_found());
    }
    Ok((session, course))
}

/// `GET /sessions/{id}`.
pub async fn show(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    Query(done): Query<Done>,
) -> Result<Markup, PageError> {
    let lang = viewer.lang;
    let (session, course) = public_session(&state, lang, &id).await?;
    let details = course.details.clone().unwrap_or_default();
    let plan = session.details.clone().unwrap_or_default();
    let seats = state
        .backends
        .as_caller(viewer.token().unwrap_or(&state.backends.public_token()))
        .enrolments()
        .batch_get_session_seats(epb::BatchGetSessionSeatsRequest {
            session_ids: vec![id.clone()],
        })
        .await
        .ok()
        .and_then(|r| r.into_inner().sessions.pop());
    // The session's own instructor is never offered to enrol in it.
    let teaches = viewer.caller().is_some_and(|caller| {
        plan.instructor
            .as_ref()
            .is_some_and(|i| i.subject == caller.subject)
    });
    let mine = match viewer.session.as_ref() {
        Some(_) if teaches => None,
        Some((_, web)) => state
            .backends
            .as_caller(&web.token)
            .enrolments()
            .list_enrolments(epb::ListEnrolmentsRequest {
                session_id: id.clone(),
                trainee_subject: web.caller.subject.clone(),
                ..Default::default()
            })
            .await
            .page(lang)?
            .enrolments
            .pop(),
        None => None,
    };
    // What the course asks, said before the click: missing prerequisites
    // (for someone who could still enrol) and the manager's approval.
    let prerequisites = super::course::prerequisites(&state, &details)
        .await
        .map_err(|s| PageError::status(lang, s))?;
    let passed = match (&viewer.session, &mine) {
        (Some((_, web)), None) if !prerequisites.is_empty() && !teaches => Some(
            super::course::passed_courses(&state, &web.token, &web.caller.subject)
                .await
                .map_err(|s| PageError::status(lang, s))?,
        ),
        _ => None,
    };
    let title = lang.text(details.title.as_ref()).to_owned();
    Ok(page(
        &viewer,
        &title,
        html! {
            @match done.done.as_str() {
                "enrolled" => p.flash {
                    (lang.pick(
                        "درخواست ثبت‌نام شما ثبت شد.",
                        "Your enrolment request is recorded."
                    ))
                },
                "cancelled" => p.flash {
                    (lang.pick("ثبت‌نام شما لغو شد.", "Your enrolment is cancelled."))
                },
                _ => {}
            }
            h1 { (title) }
            p.muted {
                span.ltr { (details.code) }
                " · " (lang.num(details.hours)) " " (lang.pick("ساعت", "hours"))
                " · " (crate::i18n::category_name(lang, &details.category))
            }
            p { (lang.text(details.description.as_ref())) }
            p {
                a href={ "/courses/" (course.id) } {
                    (lang.pick("دربارهٔ این درس و دوره‌های دیگر آن", "About this course and its other sessions"))
                }
            }
            (super::course::requirements(lang, &details, &prerequisites, passed.as_ref()))
            h2 { (lang.pick("جلسه‌ها", "Meetings")) }
            ol {
                @for meeting in &plan.meetings {
                    li {
                        @if let Some(start) = instant(meeting.start_time.as_ref()) {
                            (lang.date_time(start))
                        }
                        @let topic = lang.text(meeting.topic.as_ref());
                        @if !topic.is_empty() { " — " (topic) }
                    }
                }
            }
            p { (lang.pick("محل: ", "Where: ")) (lang.text(plan.venue.as_ref())) }
            @if let Some(host) = crate::pages::lookup::hosted_by(lang, &session) {
                p.host { (host) }
            }
            @if !plan.online_url.is_empty() {
                p { (lang.pick("پیوند برخط: ", "Online: ")) span.ltr { (plan.online_url) } }
            }
            @if let Some(instructor) = &plan.instructor {
                p { (lang.pick("مدرس: ", "Instructor: ")) (instructor.name) }
            }
            @if session.status() == cpb::SessionStatus::Cancelled {
                p.error {
                    (lang.pick("این دوره لغو شده است: ", "This session is cancelled: "))
                    (session.cancel_reason)
                }
            }
            @if let Some(seats) = &seats {
                p {
                    (lang.pick("ظرفیت: ", "Capacity: "))
                    (lang.num(seats.capacity))
                    " · "
                    (lang.pick("صندلی خالی: ", "Seats left: "))
                    (lang.num(seats.seats_left))
                    " · "
                    (lang.pick("در انتظار: ", "Waitlisted: "))
                    (lang.num(seats.waitlisted_count))
                }
            }
            @match (&viewer.session, &mine) {
                _ if teaches => p.teaching {
                    (lang.pick("شما مدرس این دوره هستید. ", "You teach this session. "))
                    a.button href={ "/teach/sessions/" (id) } {
                        (lang.pick("فهرست شرکت‌کنندگان و حضور و غیاب", "Roster and attendance"))
                    }
                },
                (None, _) => p {
                    a.button href={ "/signin?next=%2Fsessions%2F" (id) } {
                        (lang.pick("برای ثبت‌نام وارد شوید", "Sign in to enrol"))
                    }
                },
                (Some((_, web)), Some(enrolment))
                    if matches!(
                        enrolment.status(),
                        epb::EnrolmentStatus::Confirmed
                            | epb::EnrolmentStatus::Waitlisted
                            | epb::EnrolmentStatus::PendingApproval
                    ) =>
                {
                    p {
                        (lang.pick("وضعیت شما: ", "Your status: "))
                        (status_badge(lang, enrolment.status()))
                        @if enrolment.waitlist_position > 0 {
                            " " (lang.waitlist_place(enrolment.waitlist_position))
                        }
                    }
                    p {
                        a.button.secondary href={ "/enrolments/" (enrolment.id) "/cancel?session_id=" (id) } {
                            (lang.pick("لغو ثبت‌نام…", "Cancel enrolment…"))
                        }
                    }
                },
                (Some((_, web)), other) => {
                    @if let Some(enrolment) = other {
                        p {
                            (lang.pick("وضعیت قبلی: ", "Previously: "))
                            (status_badge(lang, enrolment.status()))
                        }
                    }
                    @if session.status() == cpb::SessionStatus::Open
                        && !crate::pages::lookup::takes_enrolments(&session) {
                        p.muted {
                            (lang.pick(
                                "مهلت ثبت‌نام در این دوره باز نیست.",
                                "This session's enrolment window is not open."
                            ))
                        }
                    }
                    @if crate::pages::lookup::takes_enrolments(&session) {
                        form method="post" action={ "/sessions/" (id) "/enrol" } {
                            input type="hidden" name="csrf" value=(web.csrf);
                            input type="hidden" name="request_id"
                                value=(uuid::Uuid::now_v7().simple().to_string());
                            button type="submit" {
                                @if seats.as_ref().is_some_and(|s| s.seats_left == 0) {
                                    (lang.pick("پیوستن به فهرست انتظار", "Join the waitlist"))
                                }
                                @else { (lang.pick("ثبت‌نام", "Enrol")) }
                            }
                        }
                    }
                }
            }
        },
    ))
}

/// A form that changes an enrolment.
#[derive(Debug, Deserialize)]
pub struct ChangeForm {
    /// The session's CSRF token.
    pub csrf: String,
    /// A request id minted when the form was shown: submitting twice is one change.
    pub request_id: String,
    /// Why (for cancellations).
    #[serde(default)]
    pub reason: String,
    /// Where to return.
    #[serde(default)]
    pub session_id: String,
}

/// `POST /sessions/{id}/enrol`.
pub async fn enrol(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    Form(form): Form<ChangeForm>,
) -> Result<Response, PageError> {
    let lang = viewer.lang;
    let web = own_change(&state, &viewer, &form.csrf)?;
    state
        .backends
        .as_caller(&web.token)
        .enrolments()
        .enrol(epb::EnrolRequest {
            request_id: form.request_id,
            session_id: id.clone(),
            trainee: None,
            waive_prerequisites: false,
        })
        .await
        .map_err(|s| PageError::status(lang, s))?;
    Ok(Redirect::to(&format!("/sessions/{id}?done=enrolled")).into_response())
}

/// Where the cancel confirmation returns to.
#[derive(Debug, Default, Deserialize)]
pub struct CancelQuery {
    /// The session page the person came from.
    #[serde(default)]
    pub session_id: String,
}

/// `GET /enrolments/{id}/cancel`: asks to confirm, with the reason, before
/// anything changes.
pub async fn confirm_cancel(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    Query(query): Query<CancelQuery>,
) -> Result<Markup, PageError> {
    let web = viewer.require()?;
    let shown = CancelShown {
        session_id: &query.session_id,
        request_id: &uuid::Uuid::now_v7().simple().to_string(),
        reason: "",
        refused: false,
    };
    cancel_page(&state, &viewer, web, &id, shown).await
}

/// What the cancel page shows: where it returns to, and, after a refusal,
/// what was typed under which request id.
struct CancelShown<'a> {
    session_id: &'a str,
    request_id: &'a str,
    reason: &'a str,
    refused: bool,
}

/// The page confirming the cancellation of enrolment `id`.
async fn cancel_page(
    state: &AppState,
    viewer: &Viewer,
    web: &crate::sessions::WebSession,
    id: &str,
    shown: CancelShown<'_>,
) -> Result<Markup, PageError> {
    let lang = viewer.lang;
    let not_found = || PageError::api(lang, ApiError::not_found("enrolment", id));
    if uuid::Uuid::parse_str(id).is_err() {
        return Err(not_found());
    }
    let enrolment = state
        .backends
        .as_caller(&web.token)
        .enrolments()
        .get_enrolment(epb::GetEnrolmentRequest {
            enrolment_id: id.to_owned(),
        })
        .await
        .page(lang)?
        .enrolment
        .ok_or_else(not_found)?;
    let (session, course) = public_session(state, lang, &enrolment.session_id).await?;
    let course_title = lang
        .text(course.details.as_ref().and_then(|d| d.title.as_ref()))
        .to_owned();
    let back = if shown.session_id == session.id {
        format!("/sessions/{}", session.id)
    } else {
        "/me/learning".to_owned()
    };
    let title = lang.pick("لغو ثبت‌نام", "Cancel the enrolment");
    Ok(page(
        viewer,
        title,
        html! {
            h1 { (title) }
            @if shown.refused {
                div.error role="alert" {
                    (lang.pick(
                        "دلیل لغو را بنویسید (دست‌کم یک واژه، حداکثر ۵۰۰ نویسه).",
                        "Write the reason (at least a word, at most 500 characters)."
                    ))
                }
            }
            p {
                (lang.pick("آیا ثبت‌نام خود را در این دوره لغو می‌کنید؟ ", "Cancel your enrolment in this session? "))
                strong { (course_title) }
                @if let Some(start) = instant(session.start_time.as_ref()) {
                    " (" (lang.date_time(start)) ")"
                }
            }
            @if enrolment.status() == epb::EnrolmentStatus::Confirmed {
                p.note {
                    (lang.pick(
                        "صندلی شما به نفر اول فهرست انتظار داده می‌شود و برای ثبت‌نام دوباره ممکن است جایی نماند.",
                        "Your seat goes to the first person waiting, and there may be none left if you enrol again."
                    ))
                }
            }
            form method="post" action={ "/enrolments/" (enrolment.id) "/cancel" } {
                input type="hidden" name="csrf" value=(web.csrf);
                input type="hidden" name="request_id" value=(shown.request_id);
                input type="hidden" name="session_id" value=(shown.session_id);
                p {
                    label for="cancel-reason" { (lang.pick("دلیل لغو", "Reason")) }
                    br;
                    input id="cancel-reason" type="text" name="reason" required maxlength="500"
                        value=(shown.reason) aria-invalid=[shown.refused.then_some("true")];
                }
                p {
                    button.danger type="submit" { (lang.pick("بله، لغو شود", "Yes, cancel it")) }
                    " "
                    a.button.secondary href=(back) { (lang.pick("نه، برگرد", "No, go back")) }
                }
            }
        },
    ))
}

/// `POST /enrolments/{id}/cancel`.
pub async fn cancel(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    Form(form): Form<ChangeForm>,
) -> Result<Response, PageError> {
    let lang = viewer.lang;
    let web = own_change(&state, &viewer, &form.csrf)?;
    let cancelled = state
        .backends
        .as_caller(&web.token)
        .enrolments()
        .cancel_enrolment(epb::CancelEnrolmentRequest {
            request_id: form.request_id.clone(),
            enrolment_id: id.clone(),
            reason: form.reason.clone(),
        })
        .await;
    match cancelled {
        Ok(_) => {}
        // A reason the service will not take (blank, too long): the page
        // again with what was typed, under the same request id.
        Err(status) if status.code() == tonic::Code::InvalidArgument => {
            let shown = CancelShown {
                session_id: &form.session_id,
                request_id: &form.request_id,
                reason: &form.reason,
                refused: true,
            };
            let markup = cancel_page(&state, &viewer, web, &id, shown).await?;
            return Ok((axum::http::StatusCode::UNPROCESSABLE_ENTITY, markup).into_response());
        }
        Err(status) => return Err(PageError::status(lang, status)),
    }
    let back = if form.session_id.is_empty() || uuid::Uuid::parse_str(&form.session_id).is_err() {
        "/me/learning?done=cancelled".to_owned()
    } else {
        format!("/sessions/{}?done=cancelled", form.session_id)
    };
    Ok(Redirect::to(&back).into_response())
}
