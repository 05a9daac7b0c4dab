//! `/admin/hosting`: the holding's admins review the companies' proposals
//! to host sessions — accept, or decline with a reason the host's manager
//! reads — and see those decided lately.

use std::collections::HashMap;

use crate::web::Query;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use hamafza_kit::ApiError;
use hamafza_proto::courses as cpb;
use maud::{Markup, html};
use serde::Deserialize;

use super::{state_badge, when_and_where};
use crate::AppState;
use crate::i18n::Lang;
use crate::pages::admin::{admin, frame, list_table, posted, see_other};
use crate::pages::forms::{first, urlencode};
use crate::pages::layout::pager;
use crate::pages::lookup::{catalog_of, course_title, every_page, page_or_first};
use crate::web::{PageError, Viewer};

/// What the last action did, shown once.
#[derive(Debug, Default, Deserialize)]
pub struct Done {
    /// `accepted` or `declined`.
    #[serde(default)]
    pub done: String,
    /// The page of decided proposals to show (a page token).
    #[serde(default)]
    pub decided: String,
}

fn title(lang: Lang) -> &'static str {
    lang.pick("پیشنهادهای میزبانی", "Hosting proposals")
}

fn host_name(lang: Lang, session: &cpb::Session) -> String {
    session
        .hosting
        .as_ref()
        .map(|h| lang.text(h.host_organization_name.as_ref()).to_owned())
        .filter(|name| !name.is_empty())
        .unwrap_or_else(|| session.host_organization_id.clone())
}

fn decide_controls(lang: Lang, csrf: &str, session: &cpb::Session, missing: bool) -> Markup {
    let id = &session.id;
    html! {
        form.inline method="post" action={ "/admin/hosting/" (id) "/accept" } {
            input type="hidden" name="csrf" value=(csrf);
            button type="submit" { (lang.pick("پذیرش", "Accept")) }
        }
        details.cancel open[missing] {
            summary { (lang.pick("نپذیرفتن…", "Decline…")) }
            form.cancel method="post" action={ "/admin/hosting/" (id) "/decline" } {
                input type="hidden" name="csrf" value=(csrf);
                label for={ "reason-" (id) } { (lang.pick("دلیل (برای مدیر شرکت): ", "Reason (for the company's manager): ")) }
                input type="text" id={ "reason-" (id) } name="reason" required maxlength="2000"
                    aria-invalid=[missing.then_some("true")];
                " "
                button.danger type="submit" { (lang.pick("نپذیرفتن", "Decline")) }
                @if missing {
                    p.field-error { (lang.pick("دلیل را بنویسید.", "Give the reason.")) }
                }
            }
        }
    }
}

async fn queue_body(
    state: &AppState,
    token: &str,
    csrf: &str,
    lang: Lang,
    missing_reason_for: Option<&str>,
    decided_page: &str,
) -> Result<Markup, PageError> {
    let caller = state.backends.as_caller(token);
    let request = |states: &[cpb::HostingState], page_size: i32, page_token: String| {
        cpb::ListHostedSessionsRequest {
            page_size,
            page_token,
            states: states.iter().map(|s| (*s).into()).collect(),
            ..Default::default()
        }
    };
    // Every proposal waiting (never one lost behind newer decisions), and a
    // page of the decided ones.
    let waiting = every_page(|page_token| {
        let request = request(&[cpb::HostingState::Proposed], 200, page_token);
        let caller = &caller;
        async move {
            let reply = caller.sessions().list_hosted_sessions(request).await?;
            let reply = reply.into_inner();
            Ok((reply.sessions, reply.next_page_token))
        }
    });
    let decided_states = [cpb::HostingState::Accepted, cpb::HostingState::Declined];
    // (A stale or mistyped page link shows the newest.)
    let decided = page_or_first(decided_page, |page_token| {
        let request = request(&decided_states, 50, page_token);
        let caller = &caller;
        async move {
            Ok(caller
                .sessions()
                .list_hosted_sessions(request)
                .await?
                .into_inner())
        }
    });
    let (pending, (decided_shown, decided)) =
        tokio::try_join!(waiting, decided).map_err(|s| PageError::status(lang, s))?;
    let (courses, _): (HashMap<String, cpb::Course>, _) = catalog_of(
        state,
        token,
        (pending.iter().chain(&decided.sessions))
            .map(|s| s.course_id.clone())
            .collect(),
        Vec::new(),
    )
    .await
    .unwrap_or_default();
    let headers = [
        ("شرکت میزبان", "Host company"),
        ("درس", "Course"),
        ("زمان و مکان", "When and where"),
        ("مدرس", "Instructor"),
        ("وضعیت", "State"),
    ];
    let row = |session: &cpb::Session, last: Markup| {
        let instructor = session
            .details
            .as_ref()
            .and_then(|d| d.instructor.as_ref())
            .map_or("", |i| i.name.as_str())
            .to_owned();
        html! {
            tr {
                td { (host_name(lang, session)) }
                td { a href={ "/admin/sessions/" (session.id) } { (course_title(lang, &courses, &session.course_id)) } }
                td { (when_and_where(lang, session)) }
                td { (instructor) }
                td { (state_badge(lang, session)) (last) }
            }
        }
    };
    Ok(html! {
        h2 { (lang.pick("در انتظار بررسی", "Awaiting review")) }
        @if pending.is_empty() {
            p.muted { (lang.pick("پیشنهادی در انتظار نیست.", "No proposal is waiting.")) }
        } @else {
            (list_table(lang, &headers, html! {
                @for session in &pending {
                    (row(session, decide_controls(lang, csrf, session,
                        missing_reason_for == Some(session.id.as_str()))))
                }
            }))
        }
        h2 { (lang.pick("بررسی‌شده", "Decided")) }
        @if decided.sessions.is_empty() {
            p.muted { (lang.pick("هنوز پیشنهادی بررسی نشده است.", "Nothing decided yet.")) }
        } @else {
            (list_table(lang, &headers, html! {
                @for session in &decided.sessions {
                    (row(session, html! {}))
                }
            }))
        }
        (pager(lang, decided_shown, &decided.next_page_token, |token: &str| {
            format!("/admin/hosting?decided={}", urlencode(token))
        }))
    })
}

/// `GET /admin/hosting`.
pub async fn show(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(done): Query<Done>,
) -> Result<Markup, PageError> {
    let lang = viewer.lang;
    let web = admin(&viewer)?;
    let notice = match done.done.as_str() {
        "accepted" => Some(lang.pick(
            "پیشنهاد پذیرفته شد؛ اکنون می‌توانید ثبت‌نام دوره را باز کنید.",
            "Accepted; you can now open the session for enrolment.",
        )),
        "declined" => Some(lang.pick(
            "پیشنهاد پذیرفته نشد و دلیل آن به مدیر شرکت نشان داده می‌شود.",
            "Declined; the company's manager sees the reason.",
        )),
        _ => None,
    };
    let body = queue_body(&state, &web.token, &web.csrf, lang, None, &done.decided).await?;
    Ok(frame(
        &viewer,
        title(lang),
        "/admin/hosting",
        html! {
            @if let Some(notice) = notice { p.flash role="status" { (notice) } }
            (body)
        },
    ))
}

/// `POST /admin/hosting/{id}/{action}`: accept, or decline with a reason.
pub async fn decide(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((id, action)): Path<(String, String)>,
    body: Bytes,
) -> Result<Response, PageError> {
    let lang = viewer.lang;
    let (web, values) = posted(&viewer, &body)?;
    let mut client = state.backends.as_caller(&web.token).sessions();
    let session_id = id.clone();
    let result = match action.as_str() {
        "accept" => client
            .accept_hosted_session(cpb::AcceptHostedSessionRequest { session_id })
            .await
            .map(|_| "accepted"),
        "decline" => {
            let reason = first(&values, "reason").trim().to_owned();
            if reason.is_empty() {
                let body = queue_body(&state, &web.token, &web.csrf, lang, Some(&id), "").await?;
                let page = frame(&viewer, title(lang), "/admin/hosting", body);
                return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
            }
            client
                .decline_hosted_session(cpb::DeclineHostedSessionRequest { session_id, reason })
                .await
                .map(|_| "declined")
        }
        _ => return Err(PageError::api(lang, ApiError::not_found("action", &action))),
    };
    let done = result.map_err(|s| PageError::status(lang, s))?;
    Ok(see_other(&format!("/admin/hosting?done={done}")))
}
