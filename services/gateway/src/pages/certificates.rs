//! "My certificates" and the printable certificate: bilingual, both
//! calendars, a QR code of the public verification link, A4 landscape print.

use axum::extract::{Path, State};
use maud::{Markup, html};

use super::layout::{badge, page, svg};
use crate::AppState;
use crate::i18n::instant;
use crate::web::{PageError, PageReply, Viewer};
use hamafza_proto::certification as pb;

fn status_badge(lang: crate::i18n::Lang, status: pb::CertificateStatus) -> Markup {
    let words = match status {
        pb::CertificateStatus::Active => ("معتبر", "Valid", "ok"),
        pb::CertificateStatus::Revoked => ("ابطال شده", "Revoked", "bad"),
        pb::CertificateStatus::Expired => ("منقضی", "Expired", "warn"),
        pb::CertificateStatus::Superseded => ("جایگزین شده", "Superseded", "warn"),
        pb::CertificateStatus::Unspecified => ("—", "—", ""),
    };
    badge(lang, words)
}

/// `GET /me/certificates`.
pub async fn list(State(state): State<AppState>, viewer: Viewer) -> Result<Markup, PageError> {
    let lang = viewer.lang;
    let web = viewer.require()?;
    let request = pb::ListCertificatesRequest {
        trainee_subject: web.caller.subject.clone(),
        ..Default::default()
    };
    let certificates =
        super::lookup::every_certificate(&state.backends.as_caller(&web.token), request)
            .await
            .map_err(|s| PageError::status(lang, s))?;
    let title = lang.pick("گواهی‌های من", "My certificates");
    Ok(page(
        &viewer,
        title,
        html! {
            h1 { (title) }
            @if certificates.is_empty() {
                p.muted { (lang.pick("هنوز گواهی‌ای ندارید.", "No certificates yet.")) }
            }
            div.cards {
                @for certificate in &certificates {
                    div.card {
                        h2 {
                            a href={ "/certificates/" (certificate.id) } {
                                (lang.text(certificate.title.as_ref()))
                            }
                        }
                        p {
                            (status_badge(lang, certificate.status()))
                            " "
                            span.ltr { (certificate.serial) }
                        }
                        @if let Some(issued) = instant(certificate.issue_time.as_ref()) {
                            p.muted { (lang.pick("صدور: ", "Issued ")) (lang.date(issued)) }
                        }
                    }
                }
            }
        },
    ))
}

/// `GET /certificates/{id}`: the printable certificate.
pub async fn show(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Markup, PageError> {
    let lang = viewer.lang;
    let web = viewer.require()?;
    let shown = state
        .backends
        .as_caller(&web.token)
        .certification()
        .get_certificate_presentation(pb::GetCertificatePresentationRequest { certificate_id: id })
        .await
        .page(lang)?;
    let certificate = shown.certificate.clone().unwrap_or_default();
    let trainee = certificate.trainee.clone().unwrap_or_default();
    let title = certificate.title.clone().unwrap_or_default();
    let organization = certificate.organization_name.clone().unwrap_or_default();
    let issue = shown.issue_date.clone().unwrap_or_default();
    let until = shown.valid_until_date.clone();
    // The English half names the person in English when the people directory
    // has it (the certificate holds the name as issued, usually Persian).
    let english_name = state
        .backends
        .as_caller(&web.token)
        .people()
        .get_person(hamafza_proto::courses::GetPersonRequest {
            subject: trainee.subject.clone(),
        })
        .await
        .ok()
        .and_then(|r| r.into_inner().person)
        .and_then(|p| p.name)
        .map(|n| n.en)
        .filter(|en| !en.trim().is_empty())
        .unwrap_or_else(|| trainee.name.clone());
    Ok(page(
        &viewer,
        lang.pick("گواهی", "Certificate"),
        html! {
            p.no-print {
                (status_badge(lang, certificate.status())) " "
                (lang.pick(
                    "برای چاپ، از منوی مرورگر «چاپ» را بزنید (A4 افقی).",
                    "To print, use your browser's Print (A4 landscape)."
                ))
            }
            div.certificate {
                div {
                    (lang.pick(
                        "ایمیدرو — برنامه آموزش روابط عمومی",
                        "IMIDRO — PR training program"
                    ))
                }
                h1.title {
                    "گواهی پایان دوره" " · " span lang="en" { "Certificate of Completion" }
                }
                div.pair {
                    // Each half in its own language and direction, whatever
                    // the page's: this is what gets printed.
                    div lang="fa" dir="rtl" {
                        p { "بدین‌وسیله گواهی می‌شود" }
                        p.name { (trainee.name) }
                        p { "از " (organization.fa) }
                        p {
                            "دوره «" (title.fa) "» را به مدت "
                            (lang_num_fa(certificate.hours)) " ساعت با موفقیت گذرانده است."
                        }
                        @if let Some(host) = &shown.host_organization_name {
                            p { "به میزبانی " (host.fa) }
                        }
                        p { "تاریخ صدور: " (issue.jalali_long) }
                        @if let Some(until) = &until { p { "اعتبار تا: " (until.jalali_long) } }
                    }
                    div.en lang="en" dir="ltr" {
                        p { "This certifies that" }
                        p.name { (english_name) }
                        p { "of " (organization.en) }
                        p {
                            "has successfully completed “" (title.en) "” (" (certificate.hours)
                            " hours)."
                        }
                        @if let Some(host) = &shown.host_organization_name {
                            p { "Hosted by " (host.en) }
                        }
                        p { "Issued " (issue.gregorian_long) }
                        @if let Some(until) = &until { p { "Valid until " (until.gregorian_long) } }
                    }
                }
                div.qr { (svg(&shown.qr_code_svg)) }
                p.ltr { (certificate.serial) }
                p.muted.ltr { (shown.verification_url) }
            }
            p.no-print {
                (lang.pick(
                    "پیوند اشتراک‌گذاری (برای هر کسی، بدون ورود): ",
                    "Share link (anyone, no sign-in): "
                ))
                a.ltr href=(shown.verification_url) { (shown.verification_url) }
            }
            @if certificate.status() != pb::CertificateStatus::Revoked {
                p.no-print {
                    a.document href={ "/certificates/" (certificate.id) "/pdf" } download {
                        (lang.pick("دریافت گواهی به صورت PDF", "Download the certificate as a PDF"))
                    }
                }
            }
        },
    ))
}

/// `GET /certificates/{id}/pdf`: the certificate as a PDF document (one A4
/// landscape page, made by the certification service).
pub async fn document(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<axum::response::Response, PageError> {
    use axum::http::header;
    use axum::response::IntoResponse;
    let lang = viewer.lang;
    let web = viewer.require()?;
    let document = state
        .backends
        .as_caller(&web.token)
        .certification()
        .get_certificate_document(pb::GetCertificateDocumentRequest { certificate_id: id })
        .await
        .page(lang)?;
    // The serial is letters, digits and dashes; anything else is dropped
    // from the header rather than trusted.
    let file_name: String = document
        .file_name
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.'))
        .collect();
    Ok((
        [
            (header::CONTENT_TYPE, "application/pdf".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{file_name}\""),
            ),
            (header::ETAG, format!("\"{}\"", document.digest)),
        ],
        document.pdf,
    )
        .into_response())
}

fn lang_num_fa(value: u32) -> String {
    hamafza_kit::jalali::persian_digits(&value.to_string())
}
