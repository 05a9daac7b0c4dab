//! A session's status and its changes: the badge, the open / close / cancel
//! controls (with how many a cancellation tells) and their handler.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::response::Response;
use hamafza_kit::ApiError;
use hamafza_proto::courses as cpb;
use hamafza_proto::enrolments as epb;
use maud::{Markup, html};

use super::Sessions;
use super::form::SessionForm;
use crate::AppState;
use crate::i18n::Lang;
use crate::pages::admin::EditForm;
use crate::pages::admin::editor::{self, Editor};
use crate::pages::admin::{Problems, Showing, posted, see_other};
use crate::pages::forms::first;
use crate::pages::layout::badge;
use crate::web::{PageError, Viewer};

/// A session's enrolments as its page counts them, from its seats (read
/// for many sessions at once, see [`seats_of`](crate::pages::lookup::seats_of)).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Counts {
    /// Confirmed and not yet assessed (an assessed enrolment keeps its seat).
    pub confirmed: u32,
    /// Waiting for a seat.
    pub waitlisted: u32,
    /// Waiting for their manager's approval.
    pub pending: u32,
}

impl Counts {
    /// The counts in a session's seats.
    pub fn of(seats: &epb::SessionSeats) -> Self {
        Counts {
            confirmed: seats.confirmed_count.saturating_sub(seats.assessed_count),
            waitlisted: seats.waitlisted_count,
            pending: seats.pending_approval_count,
        }
    }

    /// How many a cancellation tells: those confirmed, waitlisted or waiting
    /// for their manager.
    pub fn told_on_cancel(self) -> u32 {
        self.confirmed
            .saturating_add(self.waitlisted)
            .saturating_add(self.pending)
    }
}

/// A session status as a badge.
pub fn session_badge(lang: Lang, status: cpb::SessionStatus) -> Markup {
    let words = match status {
        cpb::SessionStatus::Planned => ("برنامه‌ریزی‌شده", "Planned", ""),
        cpb::SessionStatus::Open => ("ثبت‌نام باز", "Open", "ok"),
        cpb::SessionStatus::Closed => ("ثبت‌نام بسته", "Closed", "warn"),
        cpb::SessionStatus::Completed => ("پایان‌یافته", "Completed", "ok"),
        cpb::SessionStatus::Cancelled => ("لغوشده", "Cancelled", "bad"),
        cpb::SessionStatus::Unspecified => ("—", "—", ""),
    };
    badge(lang, words)
}

/// The open / close / cancel controls of a session in `status`.
pub fn session_actions(
    lang: Lang,
    csrf: &str,
    session: &cpb::Session,
    told: Option<u32>,
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
                    input type="text" id={ "reason-" (id) } name="reason" required maxlength="2000"
                        aria-invalid=[reason_problem.is_some().then_some("true")];
                    " "
                    button.danger type="submit" { (lang.pick("لغو دوره", "Cancel the session")) }
                    p.muted {
                        @match told {
                            Some(0) => (lang.pick("کسی ثبت‌نام نکرده است.", "No one is enrolled.")),
                            Some(told) => {
                                (lang.num(told)) " "
                                (lang.pick(
                                    "ثبت‌نام لغو می‌شود و به آنان خبر داده می‌شود.",
                                    "enrolments will be cancelled and those people told."
                                ))
                            },
                            // The counts could not be read: no number, rather than a wrong one.
                            None => (lang.pick(
                                "ثبت‌نام همهٔ ثبت‌نام‌کنندگان لغو می‌شود و به آنان خبر داده می‌شود.",
                                "Every enrolment will be cancelled and those people told."
                            )),
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

/// `POST /admin/sessions/{id}/{action}`: open, close or cancel (with a
/// reason).
pub async fn act(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((id, action)): Path<(String, String)>,
    body: Bytes,
) -> Result<Response, PageError> {
    let lang = viewer.lang;
    let (web, values) = posted(&viewer, &body)?;
    let caller = state.backends.as_caller(&web.token);
    let mut client = caller.sessions();
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
                let session = Sessions::get(&caller, lang, &id).await?;
                let lists = Sessions::choices(&caller, Some(&session))
                    .await
                    .map_err(|s| PageError::status(lang, s))?;
                let mut problems = Problems::default();
                problems.add(
                    "reason",
                    lang.pick("دلیل لغو را بنویسید.", "Give the reason for cancelling."),
                );
                let stored = SessionForm::stored(lang, &session);
                let shown = Showing::problems(&stored, problems);
                let page =
                    editor::edit_page::<Sessions>(&state, &viewer, web, &session, shown, &lists);
                return Ok(page.await);
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
