//! `/teach/sessions/{id}/meetings/{n}`: marking one meeting's attendance.

use std::collections::HashSet;

use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use hamafza_kit::ApiError;
use hamafza_proto::enrolments as epb;
use maud::{Markup, html};

use super::{Class, load, mark_of, meeting_index, name, not_your_session, request_id};
use crate::AppState;
use crate::i18n::instant;
use crate::pages::layout::page;
use crate::sessions::WebSession;
use crate::web::{PageError, Viewer, check_csrf};

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
                    div.scroll tabindex="0" { table.fit {
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
