//! The person's notifications: the inbox with its unread count (in the
//! header of every page), turning kinds off, and — under `hamafza up` only —
//! the development mailbox that shows the emails kept instead of sent.

use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};

use super::forms::{first, form_values};
use super::layout::{message_page, page};
use crate::AppState;
use crate::i18n::{Lang, instant};
use crate::web::{PageError, PageReply, Viewer, check_csrf};
use hamafza_proto::notifications as npb;
use hamafza_proto::notifications::NotificationKind;

/// How long a page waits for the unread count before showing none.
const UNREAD_WAIT: Duration = Duration::from_millis(300);

/// The kinds a person may turn off, in the order the settings list them.
const MUTABLE: [NotificationKind; 9] = [
    NotificationKind::EnrolmentConfirmed,
    NotificationKind::EnrolmentWaitlisted,
    NotificationKind::PromotedFromWaitlist,
    NotificationKind::SessionChanged,
    NotificationKind::SessionReminder,
    NotificationKind::CompletedPassed,
    NotificationKind::CompletedFailed,
    NotificationKind::CertificateExpiring,
    NotificationKind::CouncilReview,
];

/// The kinds nobody can turn off.
const REQUIRED: [NotificationKind; 4] = [
    NotificationKind::ApprovalRequested,
    NotificationKind::Approved,
    NotificationKind::Rejected,
    NotificationKind::Cancelled,
];

/// A kind's name in the settings.
fn kind_name(lang: Lang, kind: NotificationKind) -> &'static str {
    match kind {
        NotificationKind::EnrolmentConfirmed => lang.pick("قطعی شدن ثبت‌نام", "Enrolment confirmed"),
        NotificationKind::EnrolmentWaitlisted => {
            lang.pick("رفتن به فهرست انتظار", "Put on the waitlist")
        }
        NotificationKind::PromotedFromWaitlist => {
            lang.pick("رسیدن صندلی از فهرست انتظار", "A seat from the waitlist")
        }
        NotificationKind::ApprovalRequested => {
            lang.pick("درخواست‌های تأیید ثبت‌نام", "Requests for approval")
        }
        NotificationKind::Approved => lang.pick("تأیید ثبت‌نام", "Enrolment approved"),
        NotificationKind::Rejected => lang.pick("رد ثبت‌نام", "Enrolment rejected"),
        NotificationKind::Cancelled => lang.pick("لغو ثبت‌نام یا دوره", "Cancellations"),
        NotificationKind::CompletedPassed => lang.pick("گذراندن دوره", "Course passed"),
        NotificationKind::CompletedFailed => lang.pick("نگذراندن دوره", "Course not passed"),
        NotificationKind::SessionChanged => {
            lang.pick("تغییر زمان یا مکان جلسه‌ها", "Meetings moved")
        }
        NotificationKind::SessionReminder => {
            lang.pick("یادآوری روز پیش از دوره", "Reminder the day before")
        }
        NotificationKind::CouncilReview => {
            lang.pick("دوره‌ها و برنامه‌های منتظر شورا", "Waiting for the council")
        }
        NotificationKind::CertificateExpiring => lang.pick(
            "پایان نزدیک اعتبار گواهی‌نامه",
            "A certificate about to expire",
        ),
        NotificationKind::Unspecified => "—",
    }
}

/// The signed-in person's unread count, or `None` when notifications does
/// not answer in time (the page is shown without it).
pub async fn unread(state: &AppState, token: &str) -> Option<u32> {
    let mut request = tonic::Request::new(npb::ListMyNotificationsRequest {
        page_size: 1,
        unread_only: true,
        language: String::new(),
    });
    request.set_timeout(UNREAD_WAIT);
    let mut client = state.backends.as_caller(token).notifications();
    tokio::time::timeout(UNREAD_WAIT, client.list_my_notifications(request))
        .await
        .ok()?
        .ok()
        .map(|reply| reply.into_inner().unread_count)
}

/// How long a page or a sign-in waits for the stored language.
const LANGUAGE_WAIT: Duration = Duration::from_millis(500);

/// Saves the signed-in person's language choice with notifications, best
/// effort: a failure or a slow answer is logged and the page goes on.
pub async fn save_language(state: &AppState, token: &str, lang: Lang) {
    let mut request = tonic::Request::new(npb::UpdateMyPreferencesRequest {
        language: lang.code().to_owned(),
        only_language: true,
        ..Default::default()
    });
    request.set_timeout(LANGUAGE_WAIT);
    let mut client = state.backends.as_caller(token).notifications();
    match tokio::time::timeout(LANGUAGE_WAIT, client.update_my_preferences(request)).await {
        Ok(Ok(_)) => {}
        Ok(Err(status)) => {
            tracing::warn!(code = ?status.code(), "the language choice was not saved");
        }
        Err(_) => tracing::warn!("the language choice was not saved in time"),
    }
}

/// The language the person chose before (kept by notifications), or
/// `None` when they never chose or notifications does not answer in time.
pub async fn stored_language(state: &AppState, token: &str) -> Option<Lang> {
    let mut request = tonic::Request::new(npb::GetMyPreferencesRequest {});
    request.set_timeout(LANGUAGE_WAIT);
    let mut client = state.backends.as_caller(token).notifications();
    let preferences = tokio::time::timeout(LANGUAGE_WAIT, client.get_my_preferences(request))
        .await
        .ok()?
        .ok()?
        .into_inner();
    match preferences.language.as_str() {
        "fa" | "en" => Some(Lang::parse(Some(&preferences.language))),
        _ => None,
    }
}

/// `GET /me/notifications`.
pub async fn inbox(State(state): State<AppState>, viewer: Viewer) -> Result<Markup, PageError> {
    let lang = viewer.lang;
    let web = viewer.require()?;
    let listed = state
        .backends
        .as_caller(&web.token)
        .notifications()
        .list_my_notifications(npb::ListMyNotificationsRequest {
            page_size: 100,
            unread_only: false,
            language: lang.code().to_owned(),
        })
        .await
        .page(lang)?;
    let title = lang.pick("اعلان‌ها", "Notifications");
    Ok(page(
        &viewer,
        title,
        html! {
            h1 { (title) }
            p.muted {
                @if listed.unread_count == 0 {
                    (lang.pick("اعلان خوانده‌نشده‌ای ندارید.", "You have no unread notifications."))
                } @else {
                    (lang.num(listed.unread_count)) " "
                    (lang.pick("اعلان خوانده‌نشده", "unread"))
                }
                " · "
                a href="/me/notifications/settings" { (lang.pick("تنظیمات اعلان‌ها", "Notification settings")) }
            }
            @if listed.unread_count > 0 {
                form.inline method="post" action="/me/notifications/read" {
                    input type="hidden" name="csrf" value=(web.csrf);
                    button.secondary type="submit" { (lang.pick("همه خوانده شد", "Mark all read")) }
                }
            }
            @if listed.notifications.is_empty() {
                p.muted { (lang.pick("هنوز اعلانی ندارید.", "No notifications yet.")) }
            }
            div.cards.notifications {
                @for notification in &listed.notifications {
                    div class={ "card" @if notification.read_time.is_none() { " unread" } } {
                        h2 {
                            @if notification.read_time.is_none() {
                                span.badge.unread { (lang.pick("تازه", "New")) } " "
                            }
                            a href=(notification.link) { (notification.title) }
                        }
                        @for paragraph in notification.body.split("\n\n") {
                            p {
                                @for (i, line) in paragraph.lines().enumerate() {
                                    @if i > 0 { br; }
                                    (line)
                                }
                            }
                        }
                        @if let Some(at) = instant(notification.create_time.as_ref()) {
                            p.muted { (lang.date_time(at)) }
                        }
                    }
                }
            }
        },
    ))
}

/// `POST /me/notifications/read`: marks every notification read.
pub async fn read(
    State(state): State<AppState>,
    viewer: Viewer,
    body: Bytes,
) -> Result<Response, PageError> {
    let lang = viewer.lang;
    let web = viewer.require()?;
    let values = form_values(&body);
    check_csrf(&viewer, first(&values, "csrf"))?;
    state
        .backends
        .as_caller(&web.token)
        .notifications()
        .mark_read(npb::MarkReadRequest {
            ids: Vec::new(),
            all: true,
        })
        .await
        .map_err(|s| PageError::status(lang, s))?;
    Ok(Redirect::to("/me/notifications").into_response())
}

/// `GET /me/notifications/settings`.
pub async fn settings(State(state): State<AppState>, viewer: Viewer) -> Result<Markup, PageError> {
    let lang = viewer.lang;
    let web = viewer.require()?;
    let preferences = state
        .backends
        .as_caller(&web.token)
        .notifications()
        .get_my_preferences(npb::GetMyPreferencesRequest {})
        .await
        .page(lang)?;
    let title = lang.pick("تنظیمات اعلان‌ها", "Notification settings");
    Ok(page(
        &viewer,
        title,
        html! {
            h1 { (title) }
            p { (lang.pick(
                "اعلان‌هایی را که نمی‌خواهید خاموش کنید؛ پیام‌های مربوط به تأیید و لغو همیشه فرستاده می‌شوند.",
                "Turn off what you do not want; decisions and cancellations are always sent.",
            )) }
            form method="post" action="/me/notifications/settings" {
                input type="hidden" name="csrf" value=(web.csrf);
                fieldset {
                    @for kind in MUTABLE {
                        label {
                            input type="checkbox" name="on" value=(kind.as_str_name())
                                checked[!preferences.muted_kinds.contains(&(kind as i32))];
                            " " (kind_name(lang, kind))
                        }
                        br;
                    }
                    @for kind in REQUIRED {
                        label.muted {
                            input type="checkbox" checked disabled;
                            " " (kind_name(lang, kind)) " "
                            (lang.pick("(همیشه)", "(always)"))
                        }
                        br;
                    }
                }
                button type="submit" { (lang.pick("ذخیره", "Save")) }
            }
        },
    ))
}

/// `POST /me/notifications/settings`: every mutable kind not ticked is off.
pub async fn save(
    State(state): State<AppState>,
    viewer: Viewer,
    body: Bytes,
) -> Result<Response, PageError> {
    let lang = viewer.lang;
    let web = viewer.require()?;
    let values = form_values(&body);
    check_csrf(&viewer, first(&values, "csrf"))?;
    let on: Vec<&str> = values
        .get("on")
        .map(|v| v.iter().map(String::as_str).collect())
        .unwrap_or_default();
    let muted = MUTABLE
        .iter()
        .filter(|kind| !on.contains(&kind.as_str_name()))
        .map(|kind| *kind as i32)
        .collect();
    state
        .backends
        .as_caller(&web.token)
        .notifications()
        .update_my_preferences(npb::UpdateMyPreferencesRequest {
            muted_kinds: muted,
            ..Default::default()
        })
        .await
        .map_err(|s| PageError::status(lang, s))?;
    Ok(Redirect::to("/me/notifications/settings").into_response())
}

/// `GET /dev/mailbox`: the emails `hamafza up` kept instead of sending,
/// newest first, each shown as its HTML part. Not there otherwise.
pub async fn mailbox(State(state): State<AppState>, viewer: Viewer) -> Result<Response, PageError> {
    let lang = viewer.lang;
    if !state.dev_mailbox {
        return Ok((
            StatusCode::NOT_FOUND,
            message_page(lang, lang.pick("پیدا نشد", "Not found"), ""),
        )
            .into_response());
    }
    let listed = state
        .backends
        .notifications_as_gateway()
        .list_deliveries(npb::ListDeliveriesRequest {
            page_size: 30,
            states: Vec::new(),
            include_message: true,
            recipient_subject: String::new(),
        })
        .await
        .page(lang)?;
    let title = lang.pick("صندوق نامه‌های آزمایشی", "Development mailbox");
    Ok(page(
        &viewer,
        title,
        html! {
            h1 { (title) }
            p.muted { (lang.pick(
                "بدون سرور ایمیل، پیام‌ها فرستاده نمی‌شوند و این‌جا دیده می‌شوند.",
                "With no mail server configured, emails are kept and shown here instead of sent.",
            )) }
            @if listed.deliveries.is_empty() {
                p.muted { (lang.pick("هنوز پیامی نیست.", "No emails yet.")) }
            }
            @for delivery in &listed.deliveries {
                article.card.mail {
                    h2 { (delivery.subject) }
                    p.muted {
                        (lang.pick("به: ", "To: ")) span.ltr { (delivery.to) }
                        @if let Some(at) = instant(delivery.create_time.as_ref()) {
                            " · " (lang.date_time(at))
                        }
                    }
                    @if !delivery.html.is_empty() {
                        // Sandboxed: the email's HTML runs nothing and reaches
                        // nothing of the page.
                        iframe sandbox="" title=(delivery.subject) srcdoc=(delivery.html)
                            width="100%" height="560" {}
                    }
                }
            }
        },
    )
    .into_response())
}
