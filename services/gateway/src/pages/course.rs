//! A course's page: what it teaches, how long, what it asks of a trainee
//! (prerequisites, the manager's approval, the score and attendance that
//! pass) and its upcoming sessions. For the signed-in person it also says,
//! before any click, which prerequisites they still lack.

use std::collections::HashSet;

use axum::extract::{Path, State};
use hamafza_kit::ApiError;
use maud::{Markup, html};

use super::layout::page;
use crate::AppState;
use crate::i18n::{Lang, instant};
use crate::pages::lookup::courses_named;
use crate::web::{PageError, Viewer};
use hamafza_proto::courses as cpb;
use hamafza_proto::enrolments as epb;

/// A course as anyone may see it: published or retired; anything else is
/// "not found".
pub async fn public_course(
    state: &AppState,
    lang: Lang,
    id: &str,
) -> Result<cpb::Course, PageError> {
    let not_found = || PageError::api(lang, ApiError::not_found("course", id));
    if uuid::Uuid::parse_str(id).is_err() {
        return Err(not_found());
    }
    let course = state
        .backends
        .as_caller(&state.backends.public_token())
        .courses()
        .get_course(cpb::GetCourseRequest {
            course_id: id.to_owned(),
        })
        .await
        .map_err(|s| match s.code() {
            tonic::Code::NotFound | tonic::Code::InvalidArgument => not_found(),
            _ => PageError::status(lang, s),
        })?
        .into_inner()
        .course
        .ok_or_else(not_found)?;
    if matches!(
        course.status(),
        cpb::CatalogStatus::Published | cpb::CatalogStatus::Retired
    ) {
        Ok(course)
    } else {
        Err(not_found())
    }
}

/// The courses a person has completed (passed), by id.
pub async fn passed_courses(
    state: &AppState,
    token: &str,
    subject: &str,
) -> Result<HashSet<String>, tonic::Status> {
    let request = epb::ListEnrolmentsRequest {
        trainee_subject: subject.to_owned(),
        statuses: vec![epb::EnrolmentStatus::Completed.into()],
        ..Default::default()
    };
    let enrolments =
        super::lookup::every_enrolment(&state.backends.as_caller(token), request).await?;
    Ok(enrolments.into_iter().map(|e| e.course_id).collect())
}

/// The prerequisite courses of `details` (as the catalog lists them).
pub async fn prerequisites(
    state: &AppState,
    details: &cpb::CourseDetails,
) -> Result<Vec<cpb::Course>, tonic::Status> {
    let caller = state.backends.as_caller(&state.backends.public_token());
    courses_named(&caller, details.prerequisite_course_ids.clone()).await
}

/// What a course asks before enrolling: its prerequisites (each marked done
/// or missing for a signed-in person) and the manager's approval.
pub fn requirements(
    lang: Lang,
    details: &cpb::CourseDetails,
    prerequisites: &[cpb::Course],
    passed: Option<&HashSet<String>>,
) -> Markup {
    let missing: Vec<&cpb::Course> = prerequisites
        .iter()
        .filter(|c| passed.is_some_and(|p| !p.contains(&c.id)))
        .collect();
    html! {
        @if !prerequisites.is_empty() {
            div.requirements {
                h2 { (lang.pick("پیش‌نیازها", "Prerequisites")) }
                ul {
                    @for course in prerequisites {
                        @let title = lang.text(course.details.as_ref().and_then(|d| d.title.as_ref()));
                        li {
                            a href={ "/courses/" (course.id) } { (title) }
                            @if let Some(passed) = passed {
                                @if passed.contains(&course.id) {
                                    " " span.badge.ok { (lang.pick("گذرانده‌اید", "done")) }
                                } @else {
                                    " " span.badge.bad { (lang.pick("نگذرانده‌اید", "not yet")) }
                                }
                            }
                        }
                    }
                }
                @if !missing.is_empty() {
                    p.error role="note" {
                        (lang.pick(
                            "پیش از ثبت‌نام باید پیش‌نیازهای علامت‌خورده را بگذرانید؛ درخواست شما پذیرفته نمی‌شود.",
                            "Complete the prerequisites marked \u{201c}not yet\u{201d} first; an enrolment would be refused."
                        ))
                    }
                }
            }
        }
        @if details.requires_manager_approval {
            p.note role="note" {
                (lang.pick(
                    "ثبت‌نام در این درس پس از تأیید مدیر روابط عمومی شرکت شما قطعی می‌شود.",
                    "An enrolment in this course is final once your company's PR manager approves it."
                ))
            }
        }
    }
}

/// The words for a delivery mode.
pub fn delivery_mode(lang: Lang, mode: cpb::DeliveryMode) -> &'static str {
    match mode {
        cpb::DeliveryMode::InPerson => lang.pick("حضوری", "In person"),
        cpb::DeliveryMode::Online => lang.pick("برخط", "Online"),
        cpb::DeliveryMode::Blended => lang.pick("ترکیبی", "Blended"),
        cpb::DeliveryMode::Unspecified => "—",
    }
}

/// `GET /courses/{id}`.
pub async fn show(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Markup, PageError> {
    let lang = viewer.lang;
    let course = public_course(&state, lang, &id).await?;
    let details = course.details.clone().unwrap_or_default();
    let prerequisites = prerequisites(&state, &details)
        .await
        .map_err(|s| PageError::status(lang, s))?;
    let passed = match &viewer.session {
        Some((_, web)) if !prerequisites.is_empty() => Some(
            passed_courses(&state, &web.token, &web.caller.subject)
                .await
                .map_err(|s| PageError::status(lang, s))?,
        ),
        _ => None,
    };
    let request = cpb::ListSessionsRequest {
        course_id: id.clone(),
        statuses: vec![
            cpb::SessionStatus::Open.into(),
            cpb::SessionStatus::Closed.into(),
        ],
        ..Default::default()
    };
    let public = state.backends.as_caller(&state.backends.public_token());
    let mut sessions = super::lookup::every_session(&public, request)
        .await
        .map_err(|s| PageError::status(lang, s))?;
    let now = chrono::Utc::now();
    sessions.retain(|s| instant(s.end_time.as_ref()).is_none_or(|end| end > now));
    sessions.sort_by_key(|s| instant(s.start_time.as_ref()));
    let title = lang.text(details.title.as_ref()).to_owned();
    Ok(page(
        &viewer,
        &title,
        html! {
            h1 { (title) }
            p.muted {
                span.ltr { (details.code) }
                " · " (crate::i18n::category_name(lang, &details.category))
                @if course.status() == cpb::CatalogStatus::Retired {
                    " · " span.badge.bad { (lang.pick("بازنشسته", "Retired")) }
                }
            }
            @let description = lang.text(details.description.as_ref());
            @if !description.is_empty() { p.description { (description) } }
            @let audience = lang.text(details.audience.as_ref());
            @if !audience.is_empty() {
                section.audience aria-labelledby="audience" {
                    h2 id="audience" { (lang.pick("این دوره برای چه کسانی است", "Who it is for")) }
                    p { (audience) }
                }
            }
            table.details {
                tbody {
                    tr {
                        th scope="row" { (lang.pick("مدت", "Length")) }
                        td { (lang.num(details.hours)) " " (lang.pick("ساعت", "hours")) }
                    }
                    tr {
                        th scope="row" { (lang.pick("شیوه برگزاری", "Delivery")) }
                        td { (delivery_mode(lang, details.delivery_mode())) }
                    }
                    tr {
                        th scope="row" { (lang.pick("شرط قبولی", "To pass")) }
                        td {
                            (lang.pick("نمره دست‌کم ", "a score of at least "))
                            (lang.num(details.passing_score))
                            (lang.pick(" و حضور در دست‌کم ", " and attending at least "))
                            (lang.percent(details.min_attendance_percent))
                            (lang.pick(" جلسه‌ها", " of the meetings"))
                        }
                    }
                    tr {
                        th scope="row" { (lang.pick("اعتبار گواهی", "Certificate valid for")) }
                        td {
                            @match details.certificate_validity_months {
                                Some(months) => {
                                    (lang.num(months)) " " (lang.pick("ماه", "months"))
                                }
                                None => { (lang.pick("بدون انقضا", "never expires")) }
                            }
                        }
                    }
                }
            }
            (requirements(lang, &details, &prerequisites, passed.as_ref()))
            h2 { (lang.pick("دوره‌های پیش رو", "Upcoming sessions")) }
            @if sessions.is_empty() {
                p.muted {
                    (lang.pick(
                        "اکنون دوره‌ای از این درس برنامه‌ریزی نشده است.",
                        "No session of this course is planned now."
                    ))
                }
            } @else {
                ul.sessions {
                    @for session in &sessions {
                        li {
                            a href={ "/sessions/" (session.id) } {
                                @match instant(session.start_time.as_ref()) {
                                    Some(start) => { (lang.date_time(start)) }
                                    None => { (lang.pick("دوره", "Session")) }
                                }
                            }
                            @let venue = lang.text(session.details.as_ref().and_then(|d| d.venue.as_ref()));
                            @if !venue.is_empty() { " · " (venue) }
                            @if let Some(host) = crate::pages::lookup::hosted_by(lang, session) {
                                " · " (host)
                            }
                            @if crate::pages::lookup::takes_enrolments(session) {
                                " · " span.badge.ok { (lang.pick("ثبت‌نام باز است", "enrolment open")) }
                            }
                        }
                    }
                }
            }
        },
    ))
}
