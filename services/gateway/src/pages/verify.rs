//! The public verification page: by serial or by pasting the credential. No
//! sign-in; the answer says valid, revoked, expired, superseded or unknown.

use axum::Form;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};
use serde::Deserialize;

use super::layout::page;
use crate::AppState;
use crate::i18n::{Lang, instant};
use crate::sessions::{CSRF_COOKIE, cookie, random_token};
use crate::web::{PageError, Viewer, check_csrf};
use hamafza_proto::certification as pb;

fn form(viewer: &Viewer, csrf: &str) -> Markup {
    let lang = viewer.lang;
    html! {
        form method="get" action="/verify/serial" {
            label {
                (lang.pick("شماره سریال گواهی: ", "Certificate serial: "))
                input.ltr type="text" name="serial"
                    placeholder="HMZ-XXXX-XXXX-XXXX" required maxlength="40";
            }
            " " button type="submit" { (lang.pick("استعلام", "Verify")) }
        }
        form method="post" action="/verify" {
            input type="hidden" name="csrf" value=(csrf);
            p {
                label for="verify-credential" {
                    (lang.pick(
                        "یا متن اعتبارنامه (JWT) را وارد کنید:",
                        "Or paste the credential (JWT):"
                    ))
                }
            }
            textarea id="verify-credential" name="credential" required maxlength="16000" {}
            button type="submit" { (lang.pick("بررسی امضا", "Check the signature")) }
        }
    }
}

/// A pre-sign-in CSRF token: the browser's cookie if it has one, else a new one.
fn anonymous_csrf(viewer: &Viewer) -> (String, bool) {
    match (&viewer.session, &viewer.anonymous_csrf) {
        (Some((_, session)), _) => (session.csrf.clone(), false),
        (None, Some(token)) => (token.clone(), false),
        (None, None) => (random_token(), true),
    }
}

/// The page, setting the pre-sign-in CSRF cookie when it is new.
pub fn with_csrf_cookie(state: &AppState, markup: Markup, csrf: &str, fresh: bool) -> Response {
    let mut response = markup.into_response();
    if fresh && let Ok(value) = cookie(CSRF_COOKIE, csrf, None, state.secure_cookies, true).parse()
    {
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
    response
}

/// `GET /verify`.
pub async fn start(State(state): State<AppState>, viewer: Viewer) -> Response {
    let (csrf, fresh) = anonymous_csrf(&viewer);
    let lang = viewer.lang;
    let title = lang.pick("استعلام گواهی", "Verify a certificate");
    let markup = page(
        &viewer,
        title,
        html! { h1 { (title) } (form(&viewer, &csrf)) },
    );
    with_csrf_cookie(&state, markup, &csrf, fresh)
}

/// `?serial=` of the serial form.
#[derive(Debug, Deserialize)]
pub struct SerialQuery {
    /// The serial typed in.
    pub serial: String,
}

/// `GET /verify/serial?serial=…` (the form) redirects to the shareable address.
pub async fn by_query(
    crate::web::Query(query): crate::web::Query<SerialQuery>,
) -> axum::response::Redirect {
    let serial: String = query
        .serial
        .chars()
        // Digits typed on a Persian keyboard are a serial's digits.
        .map(hamafza_kit::jalali::latin_digit)
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
        .take(40)
        .collect();
    axum::response::Redirect::to(&format!("/verify/{serial}"))
}

/// `GET /verify/{serial}`: the address printed on certificates and QR codes.
pub async fn by_serial(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(serial): Path<String>,
) -> Result<Response, PageError> {
    let answer = state
        .backends
        .certification()
        .verify_certificate(crate::backends::traced(pb::VerifyCertificateRequest {
            credential: Some(pb::verify_certificate_request::Credential::Serial(serial)),
        }))
        .await;
    let (csrf, fresh) = anonymous_csrf(&viewer);
    let markup = result_page(&viewer, answer, &csrf)?;
    Ok(with_csrf_cookie(&state, markup, &csrf, fresh))
}

/// The pasted credential.
#[derive(Debug, Deserialize)]
pub struct CredentialForm {
    /// CSRF token.
    pub csrf: String,
    /// The credential JWT.
    pub credential: String,
}

/// `POST /verify`.
pub async fn by_credential(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(form): Form<CredentialForm>,
) -> Result<Response, PageError> {
    check_csrf(&viewer, &form.csrf)?;
    let answer = state
        .backends
        .certification()
        .verify_certificate(crate::backends::traced(pb::VerifyCertificateRequest {
            credential: Some(pb::verify_certificate_request::Credential::CredentialJwt(
                form.credential.trim().to_owned(),
            )),
        }))
        .await;
    let (csrf, fresh) = anonymous_csrf(&viewer);
    Ok(with_csrf_cookie(
        &state,
        result_page(&viewer, answer, &csrf)?,
        &csrf,
        fresh,
    ))
}

fn verdict_text(lang: Lang, verdict: pb::Verdict) -> (&'static str, &'static str) {
    match verdict {
        pb::Verdict::Valid => (
            lang.pick("این گواهی معتبر است.", "This certificate is valid."),
            "flash",
        ),
        pb::Verdict::Revoked => (
            lang.pick(
                "این گواهی ابطال شده است.",
                "This certificate has been revoked.",
            ),
            "error",
        ),
        pb::Verdict::Expired => (
            lang.pick(
                "اعتبار این گواهی به پایان رسیده است.",
                "This certificate has expired.",
            ),
            "error",
        ),
        pb::Verdict::Superseded => (
            lang.pick(
                "گواهی جدیدتری جایگزین این گواهی شده است.",
                "A newer certificate has replaced this one.",
            ),
            "error",
        ),
        pb::Verdict::Unknown => (
            lang.pick(
                "چنین گواهی‌ای صادر نشده است.",
                "No such certificate was issued.",
            ),
            "error",
        ),
        pb::Verdict::InvalidSignature | pb::Verdict::Unspecified => (
            lang.pick(
                "امضای این اعتبارنامه معتبر نیست.",
                "This credential's signature is not valid.",
            ),
            "error",
        ),
    }
}

/// The page of a verification: its verdict, or the words for an input that
/// is neither a serial nor a credential. Any other refusal (certification
/// down: a 503) is the gateway's error page, worded from the catalogue.
fn result_page(
    viewer: &Viewer,
    answer: Result<tonic::Response<pb::VerifyCertificateResponse>, tonic::Status>,
    csrf: &str,
) -> Result<Markup, PageError> {
    let lang = viewer.lang;
    let answer = match answer {
        Err(status) if status.code() != tonic::Code::InvalidArgument => {
            return Err(PageError::status(lang, status));
        }
        answer => answer,
    };
    let title = lang.pick("نتیجه استعلام", "Verification result");
    Ok(page(
        viewer,
        title,
        html! {
            h1 { (title) }
            @match answer {
                Ok(answer) => {
                    @let answer = answer.into_inner();
                    @let (message, class) = verdict_text(lang, answer.verdict());
                    p class=(class) { (message) }
                    @if !answer.revoke_reason.is_empty() {
                        p { (lang.pick("دلیل: ", "Reason: ")) (answer.revoke_reason) }
                    }
                    @if !answer.superseded_by_serial.is_empty() {
                        p {
                            (lang.pick("گواهی جایگزین: ", "Replaced by: "))
                            a.ltr href={ "/verify/" (answer.superseded_by_serial) } {
                                (answer.superseded_by_serial)
                            }
                        }
                    }
                    @if let Some(certificate) = &answer.certificate {
                        table {
                            tr {
                                th { (lang.pick("نام", "Name")) }
                                td { (certificate.trainee_name) }
                            }
                            tr {
                                th { (lang.pick("سازمان", "Organization")) }
                                td { (lang.text(certificate.organization_name.as_ref())) }
                            }
                            tr {
                                th { (lang.pick("دوره", "Course")) }
                                td { (lang.text(certificate.title.as_ref())) }
                            }
                            tr {
                                th { (lang.pick("ساعت", "Hours")) }
                                td { (lang.num(certificate.hours)) }
                            }
                            tr {
                                th { (lang.pick("شماره سریال", "Serial")) }
                                td.ltr { (certificate.serial) }
                            }
                            @if let Some(issued) = instant(certificate.issue_time.as_ref()) {
                                tr {
                                    th { (lang.pick("تاریخ صدور", "Issued")) }
                                    td { (lang.date(issued)) }
                                }
                            }
                            @if let Some(until) = instant(certificate.valid_until.as_ref()) {
                                tr {
                                    th { (lang.pick("اعتبار تا", "Valid until")) }
                                    td { (lang.date(until)) }
                                }
                            }
                        }
                    }
                }
                Err(_) => p.error {
                    (lang.pick(
                        "ورودی درست نیست: این نه شمارهٔ گواهی است و نه اعتبارنامه.",
                        "That is neither a certificate serial nor a credential."
                    ))
                },
            }
            h2 { (lang.pick("استعلام دیگر", "Check another")) }
            (form(viewer, csrf))
        },
    ))
}
