//! The approvals inbox: the company's enrolment requests waiting for the
//! manager, approved or rejected one by one or all ticked at once.

use crate::web::Query;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use serde::Deserialize;

use super::{
    catalog_of, course_title, download, download_links, every_page_or_cut, first, heading,
    item_request_id, manager, posted_change,
};
use crate::AppState;
use crate::i18n::{Lang, instant};
use crate::pages::layout::page;
use crate::pages::lookup::page_or_first;
use crate::web::{PageError, Viewer};
use hamafza_kit::sheet::{Format, Table};
use hamafza_proto::enrolments as epb;

/// What the last action did, shown once.
#[derive(Debug, Default, Deserialize)]
pub struct Done {
    /// `approved` or `rejected`.
    #[serde(default)]
    pub done: String,
    /// How many succeeded.
    #[serde(default)]
    pub n: u32,
    /// How many were refused.
    #[serde(default)]
    pub failed: u32,
    /// The next page.
    #[serde(default)]
    pub page_token: String,
    /// What was wrong with the last submission: `none` ticked, or no
    /// `reason` for a rejection.
    #[serde(default)]
    pub problem: String,
    /// `csv` or `xlsx` to download the page's requests.
    #[serde(default)]
    pub format: String,
}

fn notice(lang: Lang, done: &Done) -> Markup {
    let what = match done.done.as_str() {
        "approved" => lang.pick("تأیید شد", "approved"),
        "rejected" => lang.pick("رد شد", "rejected"),
        _ => return html! {},
    };
    html! {
        p.flash role="status" {
            (lang.num(done.n)) " " (lang.pick("درخواست", "request(s)")) " " (what) "."
            @if done.failed > 0 {
                " " (lang.num(done.failed)) " "
                (lang.pick(
                    "درخواست انجام نشد (احتمالاً پیش‌تر بررسی شده بود).",
                    "could not be changed (probably decided already)."
                ))
            }
        }
    }
}

/// `GET /org`: requests waiting for approval.
pub async fn show(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(done): Query<Done>,
) -> Result<Response, PageError> {
    inbox(&state, &viewer, &done, None).await
}

/// The inbox as `done` asks for it. `ticked`, when a submission comes back
/// with a problem: the requests the manager had ticked (else every one is
/// ticked) and the reason they typed.
async fn inbox(
    state: &AppState,
    viewer: &Viewer,
    done: &Done,
    ticked: Option<(&[String], &str)>,
) -> Result<Response, PageError> {
    let lang = viewer.lang;
    let web = manager(viewer)?;
    // The page shows 100 at a time; a download holds every request (up to
    // PICKER_PAGES of 200).
    let format = Format::parse(&done.format);
    let caller = state.backends.as_caller(&web.token);
    let request = |page_size: i32, page_token: String| epb::ListEnrolmentsRequest {
        page_size,
        page_token,
        organization_id: web.caller.organization_id.clone(),
        statuses: vec![epb::EnrolmentStatus::PendingApproval.into()],
        ..Default::default()
    };
    let mut shown_token = String::new();
    let mut cut = false;
    let listed = if format.is_some() {
        let every = every_page_or_cut(|page_token| {
            let request = request(200, page_token);
            let caller = &caller;
            async move {
                let reply = caller.enrolments().list_enrolments(request).await?;
                let reply = reply.into_inner();
                Ok((reply.enrolments, reply.next_page_token))
            }
        });
        let (enrolments, more) = every.await.map_err(|s| PageError::status(lang, s))?;
        cut = more;
        epb::ListEnrolmentsResponse {
            enrolments,
            ..Default::default()
        }
    } else {
        // A stale or mistyped page link shows the first page.
        let read = |page_token| {
            let request = request(100, page_token);
            let caller = &caller;
            async move {
                Ok(caller
                    .enrolments()
                    .list_enrolments(request)
                    .await?
                    .into_inner())
            }
        };
        let (shown, listed) = page_or_first(&done.page_token, read)
            .await
            .map_err(|status| PageError::status(lang, status))?;
        shown_token = shown.to_owned();
        listed
    };
    let pending = listed.enrolments;
    let (courses, sessions) = catalog_of(
        state,
        &web.token,
        pending.iter().map(|e| e.course_id.clone()).collect(),
        pending.iter().map(|e| e.session_id.clone()).collect(),
    )
    .await
    .unwrap_or_default();
    let start = |enrolment: &epb::Enrolment| {
        sessions
            .get(&enrolment.session_id)
            .and_then(|s| instant(s.start_time.as_ref()))
    };
    if let Some(format) = format {
        let mut table = Table::new([
            lang.pick("همکار", "Colleague"),
            lang.pick("شناسه", "Subject"),
            lang.pick("دوره", "Course"),
            lang.pick("شروع", "Starts"),
            lang.pick("تاریخ درخواست", "Requested"),
        ]);
        for enrolment in &pending {
            let trainee = enrolment.trainee.clone().unwrap_or_default();
            table.push([
                trainee.name,
                trainee.subject,
                course_title(lang, &courses, &enrolment.course_id).to_owned(),
                start(enrolment).map(|t| lang.date(t)).unwrap_or_default(),
                instant(enrolment.create_time.as_ref())
                    .map(|t| lang.date(t))
                    .unwrap_or_default(),
            ]);
        }
        if cut {
            super::say_cut(&mut table, lang, pending.len());
        }
        return Ok(download(&table, format, lang, "requests"));
    }
    let is_ticked = |id: &str| ticked.is_none_or(|(ids, _)| ids.iter().any(|t| t == id));
    let typed_reason = ticked.map_or("", |(_, reason)| reason);
    let title = lang.pick("درخواست‌های در انتظار تأیید", "Requests awaiting approval");
    let markup = page(
        viewer,
        title,
        html! {
            (heading(state, web, lang, "/org").await)
            h1 { (title) }
            (notice(lang, done))
            @if pending.is_empty() {
                p.muted {
                    (lang.pick(
                        "درخواستی در انتظار تأیید شما نیست. همکاران را می‌توانید خودتان ثبت‌نام کنید: ",
                        "No requests wait for you. You can enrol colleagues yourself: "
                    ))
                    a href="/org/enrol" { (lang.pick("ثبت‌نام همکاران", "Enrol colleagues")) }
                }
            } @else {
                (download_links(lang, "/org", ""))
                form method="post" action="/org/requests" {
                    input type="hidden" name="csrf" value=(web.csrf);
                    input type="hidden" name="request_id"
                        value=(uuid::Uuid::now_v7().simple().to_string());
                    input type="hidden" name="page_token" value=(shown_token);
                    div.scroll tabindex="0" {
                        table {
                            thead { tr {
                                th { span.visually-hidden { (lang.pick("انتخاب", "Select")) } }
                                th { (lang.pick("همکار", "Colleague")) }
                                th { (lang.pick("دوره", "Course")) }
                                th { (lang.pick("شروع", "Starts")) }
                                th { (lang.pick("تاریخ درخواست", "Requested")) }
                            } }
                            tbody {
                                @for enrolment in &pending {
                                    @let trainee = enrolment.trainee.clone().unwrap_or_default();
                                    tr {
                                        td {
                                            input type="checkbox" name="id" value=(enrolment.id)
                                                checked[is_ticked(&enrolment.id)]
                                                aria-label=(trainee.name);
                                        }
                                        td {
                                            a href={ "/org/people/" (trainee.subject) } { (trainee.name) }
                                        }
                                        td {
                                            a href={ "/sessions/" (enrolment.session_id) } {
                                                (course_title(lang, &courses, &enrolment.course_id))
                                            }
                                        }
                                        td {
                                            @if let Some(start) = sessions.get(&enrolment.session_id)
                                                .and_then(|s| instant(s.start_time.as_ref())) {
                                                (lang.date(start))
                                            }
                                        }
                                        td {
                                            @if let Some(at) = instant(enrolment.create_time.as_ref()) {
                                                (lang.date(at))
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                    @if done.problem == "none" {
                        p.error role="alert" {
                            (lang.pick("هیچ درخواستی تیک نخورده است.", "No request was ticked."))
                        }
                    }
                    p {
                        button type="submit" name="action" value="approve" formnovalidate {
                            (lang.pick("تأیید موارد انتخاب‌شده", "Approve the ticked requests"))
                        }
                    }
                    fieldset {
                        legend { (lang.pick("رد درخواست", "Reject")) }
                        @if done.problem == "reason" {
                            p.error role="alert" id="reason-problem" {
                                (lang.pick(
                                    "برای رد، دلیل را بنویسید؛ همکار آن را می‌بیند.",
                                    "Give a reason to reject; the colleague will see it."
                                ))
                            }
                        }
                        label {
                            (lang.pick("دلیل رد (به همکار نشان داده می‌شود): ", "Reason (shown to the colleague): "))
                            input type="text" name="reason" maxlength="500" required
                                value=(typed_reason)
                                aria-describedby=[(done.problem == "reason").then_some("reason-problem")];
                        }
                        " "
                        button.secondary type="submit" name="action" value="reject" {
                            (lang.pick("رد موارد انتخاب‌شده", "Reject the ticked requests"))
                        }
                    }
                }
                @if !listed.next_page_token.is_empty() {
                    p { a href={ "/org?page_token=" (listed.next_page_token) } {
                        (lang.pick("درخواست‌های بیشتر", "More requests"))
                    } }
                }
            }
        },
    );
    let status = if done.problem.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok((status, markup).into_response())
}

/// `POST /org/requests`: approve or reject the ticked requests.
pub async fn decide(
    State(state): State<AppState>,
    viewer: Viewer,
    body: Bytes,
) -> Result<Response, PageError> {
    let lang = viewer.lang;
    let (web, form) = posted_change(&state, &viewer, &body)?;
    let ids = form.get("id").cloned().unwrap_or_default();
    let request_id = first(&form, "request_id");
    let reason = first(&form, "reason").trim().to_owned();
    let approve = match first(&form, "action") {
        "approve" => true,
        "reject" => false,
        _ => {
            return Err(PageError::api(
                lang,
                hamafza_kit::ApiError::invalid_field("action", "must be approve or reject"),
            ));
        }
    };
    // A submission that cannot be acted on shows the same page of the inbox
    // again, as the manager left it (what they ticked, what they typed), the
    // problem beside the field.
    let problem = if ids.is_empty() {
        "none"
    } else if !approve && reason.is_empty() {
        "reason"
    } else {
        ""
    };
    if !problem.is_empty() {
        let again = Done {
            problem: problem.to_owned(),
            page_token: first(&form, "page_token").to_owned(),
            ..Done::default()
        };
        return inbox(&state, &viewer, &again, Some((&ids, &reason))).await;
    }
    let client = state.backends.as_caller(&web.token).enrolments();
    let (mut done, mut failed) = (0u32, 0u32);
    for id in ids.iter().take(200) {
        let request_id = item_request_id(request_id, id);
        let result = if approve {
            client
                .clone()
                .approve_enrolment(epb::ApproveEnrolmentRequest {
                    request_id,
                    enrolment_id: id.clone(),
                    ..Default::default()
                })
                .await
                .map(|_| ())
        } else {
            client
                .clone()
                .reject_enrolment(epb::RejectEnrolmentRequest {
                    request_id,
                    enrolment_id: id.clone(),
                    reason: reason.clone(),
                })
                .await
                .map(|_| ())
        };
        match result {
            Ok(()) => done += 1,
            Err(status) => {
                tracing::info!(enrolment_id = %id, code = ?status.code(), "a ticked request was not changed");
                failed += 1;
            }
        }
    }
    let what = if approve { "approved" } else { "rejected" };
    Ok(Redirect::to(&format!("/org?done={what}&n={done}&failed={failed}")).into_response())
}
