//! The company's certificates (who holds what, who needs recertification
//! soon, downloadable) and the year's events with the company's
//! participation.

use crate::web::Query;
use axum::Form;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use hamafza_kit::sheet::{Format, Table};
use maud::html;
use serde::Deserialize;

use super::{download, download_links, heading, manager, say_cut};
use crate::AppState;
use crate::i18n::{Lang, instant};
use crate::pages::layout::page;
use crate::web::{PageError, PageReply, Viewer, check_csrf};
use hamafza_proto::certification as certpb;
use hamafza_proto::common::TimeRange;
use hamafza_proto::courses as cpb;

/// Filters of the certificates page.
#[derive(Debug, Default, Deserialize)]
pub struct CertificatesQuery {
    /// Expiring within this many days (default 60; digits may be Persian;
    /// empty or not a number is the default).
    #[serde(default)]
    pub days: String,
    /// `csv` or `xlsx` to download the list.
    #[serde(default)]
    pub format: String,
    /// `expiring` to download only those.
    #[serde(default)]
    pub only: String,
    /// The next page of all certificates.
    #[serde(default)]
    pub page_token: String,
}

fn certificates_table(lang: Lang, certificates: &[certpb::Certificate]) -> Table {
    let mut table = Table::new([
        lang.pick("نام", "Name"),
        lang.pick("گواهی", "Certificate"),
        lang.pick("شماره", "Serial"),
        lang.pick("تاریخ صدور", "Issued"),
        lang.pick("اعتبار تا", "Valid until"),
        lang.pick("وضعیت", "Status"),
    ]);
    for certificate in certificates {
        table.push([
            certificate.trainee.clone().unwrap_or_default().name,
            lang.text(certificate.title.as_ref()).to_owned(),
            certificate.serial.clone(),
            instant(certificate.issue_time.as_ref())
                .map(|t| lang.date(t))
                .unwrap_or_default(),
            instant(certificate.valid_until.as_ref())
                .map(|t| lang.date(t))
                .unwrap_or_else(|| lang.pick("نامحدود", "No expiry").to_owned()),
            status_text(lang, certificate.status()).to_owned(),
        ]);
    }
    table
}

fn status_text(lang: Lang, status: certpb::CertificateStatus) -> &'static str {
    match status {
        certpb::CertificateStatus::Active => lang.pick("معتبر", "Valid"),
        certpb::CertificateStatus::Revoked => lang.pick("ابطال شده", "Revoked"),
        certpb::CertificateStatus::Expired => lang.pick("منقضی", "Expired"),
        certpb::CertificateStatus::Superseded => lang.pick("جایگزین شده", "Superseded"),
        certpb::CertificateStatus::Unspecified => "—",
    }
}

/// Most certificates a list or a download holds.
const MOST_LISTED: usize = 5_000;
// The catalogue's note names this number («۵٬۰۰۰», "5,000").
const _: () = assert!(MOST_LISTED == 5_000);

/// `GET /org/certificates`.
pub async fn list(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(query): Query<CertificatesQuery>,
) -> Result<Response, PageError> {
    let lang = viewer.lang;
    let web = manager(&viewer)?;
    let days = hamafza_kit::jalali::latin_digits(query.days.trim())
        .parse::<u32>()
        .unwrap_or(60)
        .clamp(1, 3650);
    let client = state.backends.as_caller(&web.token).certification();
    // A download holds one list; the page shows both.
    let downloading = Format::parse(&query.format).is_some();
    let only_expiring = query.only == "expiring";
    // Every certificate due in the period, up to MOST_LISTED (a manager may
    // ask for up to ten years ahead).
    let (mut expiring, mut next_expiring) = (Vec::new(), String::new());
    if !downloading || only_expiring {
        loop {
            let listed = client
                .clone()
                .list_expiring_certificates(certpb::ListExpiringCertificatesRequest {
                    page_size: 200,
                    page_token: next_expiring,
                    within_days: days,
                    organization_id: web.caller.organization_id.clone(),
                })
                .await
                .page(lang)?;
            expiring.extend(listed.certificates);
            next_expiring = listed.next_page_token;
            if next_expiring.is_empty() || expiring.len() >= MOST_LISTED {
                break;
            }
        }
    }
    let expiring_cut = !next_expiring.is_empty();
    // A download takes every page (up to 5,000 certificates); the page
    // shows 50 at a time.
    let (mut all, mut next) = (Vec::new(), query.page_token.clone());
    if !(downloading && only_expiring) {
        loop {
            let listed = client
                .clone()
                .list_certificates(certpb::ListCertificatesRequest {
                    page_size: if downloading { 200 } else { 50 },
                    page_token: next,
                    organization_id: web.caller.organization_id.clone(),
                    ..Default::default()
                })
                .await
                .page(lang)?;
            all.extend(listed.certificates);
            next = listed.next_page_token;
            if !downloading || next.is_empty() || all.len() >= MOST_LISTED {
                break;
            }
        }
    }
    if let Some(format) = Format::parse(&query.format) {
        let (list, name, cut) = if only_expiring {
            (&expiring, "certificates-expiring", expiring_cut)
        } else {
            (&all, "certificates", !next.is_empty())
        };
        let mut table = certificates_table(lang, list);
        if cut {
            say_cut(&mut table, lang, list.len());
        }
        return Ok(download(&table, format, lang, name));
    }
    let title = lang.pick("گواهی‌های شرکت", "The company's certificates");
    Ok(page(
        &viewer,
        title,
        html! {
            (heading(&state, web, lang, "/org/certificates").await)
            h1 { (title) }
            h2 { (lang.pick("نیازمند تمدید", "Due for recertification")) }
            form.filters method="get" action="/org/certificates" {
                label {
                    (lang.pick("اعتبارشان تا ", "Expiring within "))
                    input type="number" name="days" min="1" max="3650" value=(days) style="width:6rem";
                    (lang.pick(" روز آینده تمام می‌شود", " days"))
                }
                button type="submit" { (lang.pick("نمایش", "Show")) }
            }
            @if expiring.is_empty() {
                p.muted { (lang.pick("گواهی‌ای در این بازه منقضی نمی‌شود.", "No certificate expires in this period.")) }
            } @else {
                (download_links(lang, "/org/certificates", &format!("days={days}&only=expiring")))
                @if expiring_cut {
                    p.note role="status" { (lang.pick(
                        "۵٬۰۰۰ گواهی نخست آمده است؛ برای دیدن بقیه، روزهای کمتری را انتخاب کنید.",
                        "The first 5,000 are shown; choose fewer days to see the rest."
                    )) }
                }
                (certificates_html(lang, &expiring))
                p { a href="/calendar" { (lang.pick("دوره‌های پیش رو برای تمدید را ببینید", "See upcoming sessions for recertification")) } }
            }
            h2 { (lang.pick("همهٔ گواهی‌ها", "All certificates")) }
            @if all.is_empty() {
                p.muted { (lang.pick("هنوز کسی از شرکت شما گواهی نگرفته است.", "No one of your company holds a certificate yet.")) }
            } @else {
                (download_links(lang, "/org/certificates", ""))
                (certificates_html(lang, &all))
                @if !next.is_empty() {
                    p { a href={ "/org/certificates?days=" (days) "&page_token=" (next) } {
                        (lang.pick("صفحهٔ بعد", "Next page"))
                    } }
                }
            }
        },
    )
    .into_response())
}

fn certificates_html(lang: Lang, certificates: &[certpb::Certificate]) -> maud::Markup {
    html! {
        div.scroll tabindex="0" { table {
            thead { tr {
                th { (lang.pick("نام", "Name")) }
                th { (lang.pick("گواهی", "Certificate")) }
                th { (lang.pick("اعتبار تا", "Valid until")) }
                th { (lang.pick("وضعیت", "Status")) }
            } }
            tbody {
                @for certificate in certificates {
                    @let trainee = certificate.trainee.clone().unwrap_or_default();
                    tr {
                        td { a href={ "/org/people/" (crate::pages::forms::urlencode(&trainee.subject)) } { (trainee.name) } }
                        td { a href={ "/verify/" (certificate.serial) } { (lang.text(certificate.title.as_ref())) } }
                        td {
                            @if let Some(until) = instant(certificate.valid_until.as_ref()) { (lang.date(until)) }
                            @else { (lang.pick("نامحدود", "No expiry")) }
                        }
                        td { (status_text(lang, certificate.status())) }
                    }
                }
            }
        } }
    }
}

/// `GET /org/events`: this year's and coming events, with the company's
/// participation.
pub async fn events(State(state): State<AppState>, viewer: Viewer) -> Result<Response, PageError> {
    let lang = viewer.lang;
    let web = manager(&viewer)?;
    let from = chrono::Utc::now() - chrono::Duration::days(180);
    let caller = state.backends.as_caller(&web.token);
    let caller = &caller;
    let events = crate::pages::lookup::every_page(|page_token| {
        let request = cpb::ListEventsRequest {
            page_size: 200,
            page_token,
            start_time: Some(TimeRange {
                start_time: Some(hamafza_kit::time::to_timestamp(from)),
                end_time: None,
            }),
            ..Default::default()
        };
        async move {
            let reply = caller.events().list_events(request).await?.into_inner();
            Ok((reply.events, reply.next_page_token))
        }
    })
    .await
    .map_err(|s| PageError::status(lang, s))?;
    let mine = &web.caller.organization_id;
    let title = lang.pick(
        "رویدادها و حضور شرکت",
        "Events and the company's participation",
    );
    Ok(page(
        &viewer,
        title,
        html! {
            (heading(&state, web, lang, "/org/events").await)
            h1 { (title) }
            @if events.is_empty() {
                p.muted { (lang.pick("رویدادی ثبت نشده است.", "No events are planned.")) }
            }
            div.cards {
                @for event in &events {
                    @let details = event.details.clone().unwrap_or_default();
                    @let taking_part = details.participating_organization_ids.contains(mine);
                    div.card {
                        h2 { (lang.text(details.title.as_ref())) }
                        p.muted {
                            @if let Some(start) = instant(details.start_time.as_ref()) { (lang.date(start)) }
                            " · " (lang.text(details.place.as_ref()))
                        }
                        p {
                            @if taking_part {
                                span.badge.ok { (lang.pick("شرکت ما حضور دارد", "We take part")) }
                            } @else {
                                span.badge { (lang.pick("حضور نداریم", "Not taking part")) }
                            }
                        }
                        form method="post" action={ "/org/events/" (event.id) "/participation" } {
                            input type="hidden" name="csrf" value=(web.csrf);
                            input type="hidden" name="participating" value=(if taking_part { "false" } else { "true" });
                            @if taking_part {
                                button.secondary type="submit" { (lang.pick("لغو حضور", "Withdraw")) }
                            } @else {
                                button type="submit" { (lang.pick("اعلام حضور", "Take part")) }
                            }
                        }
                    }
                }
            }
        },
    )
    .into_response())
}

/// The participation form.
#[derive(Debug, Deserialize)]
pub struct Participation {
    /// CSRF token.
    pub csrf: String,
    /// `true` or `false`.
    pub participating: String,
}

/// `POST /org/events/{id}/participation`.
pub async fn participate(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    Form(form): Form<Participation>,
) -> Result<Response, PageError> {
    let lang = viewer.lang;
    let web = manager(&viewer)?;
    check_csrf(&viewer, &form.csrf)?;
    state
        .backends
        .as_caller(&web.token)
        .events()
        .set_event_participation(cpb::SetEventParticipationRequest {
            event_id: id,
            organization_id: web.caller.organization_id.clone(),
            participating: form.participating == "true",
        })
        .await
        .map_err(|s| PageError::status(lang, s))?;
    Ok(Redirect::to("/org/events").into_response())
}
