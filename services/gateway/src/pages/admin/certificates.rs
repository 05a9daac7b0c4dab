//! Certificates in the back office: find them by serial or by person,
//! revoke one with a reason, issue one by hand for a course completed
//! elsewhere, and see those expiring soon.

use crate::web::Query;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use hamafza_kit::ApiError;
use maud::{Markup, html};
use serde::Deserialize;
use tonic::Status;

use super::{
    Problems, admin, field, field_key, flash, frame, new_request_id, number_input, parse_jalali,
    parse_number, posted, see_other, text_input,
};
use crate::AppState;
use crate::backends::AsCaller;
use crate::i18n::{Lang, instant};
use crate::pages::forms::{first, urlencode};
use crate::pages::layout::{badge, pager};
use crate::pages::lookup::{
    actor_of, courses_listed, every_certificate, page_or_first, people_listed, person_named,
};
use crate::web::{PageError, PageReply, Viewer};
use hamafza_proto::certification as certpb;
use hamafza_proto::courses as cpb;

/// The search box and the flash after a change.
#[derive(Debug, Default, Deserialize)]
pub struct Search {
    /// A serial, or words of a person's name or subject.
    #[serde(default)]
    pub q: String,
    /// What was just done.
    #[serde(default)]
    pub done: String,
    /// The page of the expiring certificates to show (a page token).
    #[serde(default)]
    pub expiring: String,
}

/// Most people a search by name looks through.
const PEOPLE_SEARCHED: i32 = 10;
// The catalogue's note names this number («۱۰», "10").
const _: () = assert!(PEOPLE_SEARCHED == 10);

/// What a search found: the certificates, and whether more people matched
/// than it looked through.
struct Found {
    certificates: Vec<certpb::Certificate>,
    more_people: bool,
}

/// Certificates matching `q`: by serial when it looks like one (the
/// service reads it leniently), else (or when it cannot be a serial) of the
/// people whose name or subject matches.
async fn search(caller: &AsCaller, q: &str) -> Result<Found, Status> {
    let q = q.trim();
    let found = |certificates| Found {
        certificates,
        more_people: false,
    };
    if q.is_empty() {
        return Ok(found(Vec::new()));
    }
    if q.to_uppercase().starts_with("HMZ") {
        let request = certpb::ListCertificatesRequest {
            serial: q.to_owned(),
            ..Default::default()
        };
        match caller.certification().list_certificates(request).await {
            Ok(reply) => return Ok(found(reply.into_inner().certificates)),
            Err(status) if status.code() == tonic::Code::InvalidArgument => {}
            Err(status) => return Err(status),
        }
    }
    let people = caller
        .people()
        .list_people(cpb::ListPeopleRequest {
            page_size: PEOPLE_SEARCHED,
            text: q.to_owned(),
            include_inactive: true,
            ..Default::default()
        })
        .await?
        .into_inner();
    let more_people = !people.next_page_token.is_empty();
    let mut subjects: Vec<String> = people.people.into_iter().map(|p| p.subject).collect();
    if subjects.is_empty() {
        subjects.push(q.to_owned());
    }
    let mut certificates = Vec::new();
    for trainee_subject in subjects {
        let request = certpb::ListCertificatesRequest {
            trainee_subject,
            ..Default::default()
        };
        certificates.extend(every_certificate(caller, request).await?);
    }
    Ok(Found {
        certificates,
        more_people,
    })
}

fn status_badge(lang: Lang, status: certpb::CertificateStatus) -> Markup {
    let words = match status {
        certpb::CertificateStatus::Active => ("معتبر", "Active", "ok"),
        certpb::CertificateStatus::Revoked => ("ابطال‌شده", "Revoked", "bad"),
        certpb::CertificateStatus::Expired => ("منقضی", "Expired", "warn"),
        certpb::CertificateStatus::Superseded => ("جایگزین‌شده", "Superseded", ""),
        certpb::CertificateStatus::Unspecified => ("—", "—", ""),
    };
    badge(lang, words)
}

fn table(lang: Lang, csrf: &str, certificates: &[certpb::Certificate], revoke: bool) -> Markup {
    html! {
        div.scroll tabindex="0" { table.admin-list {
            thead { tr {
                th { (lang.pick("شماره", "Serial")) }
                th { (lang.pick("دارنده", "Holder")) }
                th { (lang.pick("عنوان", "Title")) }
                th { (lang.pick("اعتبار تا", "Valid until")) }
                th { (lang.pick("وضعیت", "Status")) }
                @if revoke { th { (lang.pick("ابطال", "Revoke")) } }
            } }
            tbody {
                @for c in certificates {
                    @let trainee = c.trainee.clone().unwrap_or_default();
                    tr {
                        td { a.ltr href={ "/verify/" (c.serial) } { (c.serial) } }
                        td { (trainee.name) " " bdi.ltr.muted { (trainee.organization_id) } }
                        td { (lang.text(c.title.as_ref())) }
                        td { @if let Some(until) = instant(c.valid_until.as_ref()) { (lang.date(until)) } @else { "—" } }
                        td { (status_badge(lang, c.status())) }
                        @if revoke {
                            td {
                                @if c.status() == certpb::CertificateStatus::Active {
                                    form.revoke method="post" action={ "/admin/certificates/" (c.id) "/revoke" } {
                                        input type="hidden" name="csrf" value=(csrf);
                                        input type="hidden" name="request_id" value=(new_request_id());
                                        input type="text" name="reason" required maxlength="2000"
                                            aria-label=(lang.pick("دلیل ابطال", "Reason for revoking"))
                                            placeholder=(lang.pick("دلیل", "Reason"));
                                        " "
                                        button.danger type="submit" { (lang.pick("ابطال", "Revoke")) }
                                    }
                                } @else if !c.revoke_reason.is_empty() {
                                    span.muted { (c.revoke_reason) }
                                }
                            }
                        }
                    }
                }
            }
        } }
    }
}

/// The manual issue form's values.
#[derive(Debug, Default)]
struct IssueForm {
    trainee: String,
    course_id: String,
    date: String,
    score: String,
    reason: String,
}

/// Whom and for what the issue form offers: everyone in the directory and
/// the courses published or retired.
async fn issue_lists(caller: &AsCaller) -> Result<(Vec<cpb::Person>, Vec<cpb::Course>), Status> {
    let issued_for = [cpb::CatalogStatus::Published, cpb::CatalogStatus::Retired];
    tokio::try_join!(
        people_listed(caller, ""),
        courses_listed(caller, &issued_for)
    )
}

fn issue_form(
    lang: Lang,
    csrf: &str,
    values: &IssueForm,
    problems: &Problems,
    people: &[cpb::Person],
    courses: &[cpb::Course],
) -> Markup {
    html! {
        h2 { (lang.pick("صدور دستی گواهی", "Issue a certificate by hand")) }
        (problems.summary(lang))
        form.admin method="post" action="/admin/certificates/issue" novalidate {
            input type="hidden" name="csrf" value=(csrf);
            input type="hidden" name="request_id" value=(new_request_id());
            div.grid {
                (field(lang, "trainee", ("فرد", "Person"), problems, html! {
                    select id="trainee" name="trainee" {
                        option value="" { "—" }
                        @for p in people {
                            option value=(p.subject) selected[values.trainee == p.subject] {
                                (lang.text(p.name.as_ref())) " (" (p.organization_id) ")"
                            }
                        }
                    }
                }))
                (field(lang, "course_id", ("درس", "Course"), problems, html! {
                    select id="course_id" name="course_id" {
                        option value="" { "—" }
                        @for c in courses {
                            @let d = c.details.clone().unwrap_or_default();
                            option value=(c.id) selected[values.course_id == c.id] {
                                (d.code) " — " (lang.text(d.title.as_ref()))
                            }
                        }
                    }
                }))
                (field(lang, "completion_time", ("تاریخ پایان دوره", "Completed on"), problems,
                    html! { input type="text" id="completion_time" name="completion_time"
                        value=(values.date) size="11" inputmode="numeric"
                        placeholder=(lang.pick("۱۴۰۵/۰۹/۲۰", "1405/09/20")); }))
                (field(lang, "score", ("نمره (اختیاری)", "Score (optional)"), problems,
                    number_input("score", &values.score, problems)))
            }
            (field(lang, "reason", ("دلیل صدور دستی", "Why by hand"), problems,
                text_input("reason", &values.reason, problems)))
            button type="submit" { (lang.pick("صدور", "Issue")) }
        }
    }
}

async fn page_body(
    state: &AppState,
    lang: Lang,
    token: &str,
    csrf: &str,
    search_text: &str,
    expiring_page: &str,
    issue: (&IssueForm, &Problems),
) -> Result<Markup, PageError> {
    let caller = state.backends.as_caller(token);

    let (found, expiring, lists) = tokio::join!(
        search(&caller, search_text),
        async {
            let request = |page_token: &str| certpb::ListExpiringCertificatesRequest {
                page_size: 100,
                page_token: page_token.to_owned(),
                within_days: 60,
                ..Default::default()
            };
            page_or_first(expiring_page, |page_token| {
                let request = request(&page_token);
                let caller = &caller;
                async move {
                    let reply = caller
                        .certification()
                        .list_expiring_certificates(request)
                        .await?;
                    Ok(reply.into_inner())
                }
            })
            .await
        },
        issue_lists(&caller),
    );
    let (expiring_shown, expiring) = expiring.map_err(|status| PageError::status(lang, status))?;
    let expiring_href = |token: &str| {
        format!(
            "/admin/certificates?q={}&expiring={}",
            urlencode(search_text),
            urlencode(token)
        )
    };
    if let Err(status) = &lists {
        tracing::warn!(code = ?status.code(), "the issue form's people or courses unavailable");
    }
    Ok(html! {
        form.filters method="get" action="/admin/certificates" {
            label for="q" { (lang.pick("شماره یا نام فرد: ", "Serial or person: ")) }
            input type="search" id="q" name="q" value=(search_text);
            button type="submit" { (lang.pick("جست‌وجو", "Search")) }
        }
        @if !search_text.trim().is_empty() {
            @match &found {
                // A search by name needs the directory: said here, the rest
                // of the page still shown.
                Err(_) => p.note role="status" { (lang.pick(
                    "جست‌وجو اکنون ممکن نیست؛ کمی بعد دوباره تلاش کنید یا با شمارهٔ گواهی جست‌وجو کنید.",
                    "The search cannot be made now; try again a little later, or search by serial."
                )) },
                Ok(found) => {
                    @if found.more_people {
                        p.note role="status" { (lang.pick(
                            "بیش از ۱۰ نفر با این نام پیدا شدند و گواهی‌های ۱۰ نفر نخست آمده است؛ نام را کامل‌تر بنویسید یا با شناسه یا شمارهٔ گواهی جست‌وجو کنید.",
                            "More than 10 people match, and the certificates of the first 10 are shown; type more of the name, or search by subject or serial."
                        )) }
                    }
                    @if found.certificates.is_empty() {
                        p.muted { (lang.pick("گواهی‌ای پیدا نشد.", "No certificate found.")) }
                    } @else {
                        (table(lang, csrf, &found.certificates, true))
                    }
                },
            }
        }
        h2 { (lang.pick("گواهی‌هایی که تا ۶۰ روز دیگر منقضی می‌شوند", "Expiring within 60 days")) }
        @if expiring.certificates.is_empty() {
            p.muted { (lang.pick("موردی نیست.", "None.")) }
        } @else {
            (table(lang, csrf, &expiring.certificates, false))
        }
        (pager(lang, expiring_shown, &expiring.next_page_token, expiring_href))
        @match &lists {
            Ok((people, courses)) => (issue_form(lang, csrf, issue.0, issue.1, people, courses)),
            // The certificates still show (a change just made is seen);
            // the form waits for the directory and the catalog.
            Err(_) => p.note role="status" { (lang.pick(
                "فهرست افراد و درس‌ها اکنون در دسترس نیست؛ صدور دستی گواهی را کمی بعد انجام دهید.",
                "The people and courses cannot be read now; issue a certificate by hand a little later."
            )) },
        }
    })
}

/// `GET /admin/certificates`.
pub async fn list(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(search): Query<Search>,
) -> Result<Markup, PageError> {
    let lang = viewer.lang;
    let web = admin(&viewer)?;
    let body = page_body(
        &state,
        lang,
        &web.token,
        &web.csrf,
        &search.q,
        &search.expiring,
        (&IssueForm::default(), &Problems::default()),
    )
    .await?;
    Ok(frame(
        &viewer,
        lang.pick("گواهی‌ها", "Certificates"),
        "/admin/certificates",
        html! { (flash(lang, &search.done)) (body) },
    ))
}

/// `POST /admin/certificates/{id}/revoke`.
pub async fn revoke(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, PageError> {
    let lang = viewer.lang;
    let (web, values) = posted(&viewer, &body)?;
    let reason = first(&values, "reason").trim().to_owned();
    if reason.is_empty() {
        return Err(PageError::api(
            lang,
            ApiError::new(
                hamafza_kit::ErrorCode::InvalidArgument,
                "REASON_REQUIRED",
                "give a reason",
            ),
        ));
    }
    let revoked = state
        .backends
        .as_caller(&web.token)
        .certification()
        .revoke_certificate(certpb::RevokeCertificateRequest {
            request_id: first(&values, "request_id").to_owned(),
            certificate_id: id,
            reason,
        })
        .await
        .page(lang)?
        .certificate
        .unwrap_or_default();
    Ok(see_other(&format!(
        "/admin/certificates?done=revoked&q={}",
        revoked.serial
    )))
}

/// `POST /admin/certificates/issue`.
pub async fn issue(
    State(state): State<AppState>,
    viewer: Viewer,
    body: Bytes,
) -> Result<Response, PageError> {
    let lang = viewer.lang;
    let (web, values) = posted(&viewer, &body)?;
    let form = IssueForm {
        trainee: first(&values, "trainee").to_owned(),
        course_id: first(&values, "course_id").to_owned(),
        date: first(&values, "completion_time").trim().to_owned(),
        score: first(&values, "score").trim().to_owned(),
        reason: first(&values, "reason").trim().to_owned(),
    };
    let mut problems = Problems::default();
    let completion = parse_jalali(&form.date, "12:00");
    if completion.is_none() {
        problems.add(
            "completion_time",
            lang.pick(
                "تاریخ را به‌صورت ۱۴۰۵/۰۹/۲۰ بنویسید.",
                "Write the date as 1405/09/20.",
            ),
        );
    }
    let score = parse_number(lang, &mut problems, "score", &form.score);
    let caller = state.backends.as_caller(&web.token);
    let person = if form.trainee.is_empty() {
        None
    } else {
        let person = person_named(&caller, &form.trainee)
            .await
            .map_err(|status| PageError::status(lang, status))?;
        if person.is_none() {
            problems.add(
                "trainee",
                lang.pick(
                    "این فرد در فهرست کارکنان نیست.",
                    "This person is not in the staff directory.",
                ),
            );
        }
        person
    };
    if problems.is_empty() {
        let result = caller
            .certification()
            .issue_manual_certificate(certpb::IssueManualCertificateRequest {
                request_id: first(&values, "request_id").to_owned(),
                trainee: person.as_ref().map(actor_of),
                kind: certpb::CertificateKind::Course.into(),
                course_id: form.course_id.clone(),
                program_id: String::new(),
                completion_time: completion.map(hamafza_kit::time::to_timestamp),
                hours: None,
                score,
                validity_months: None,
                reason: form.reason.clone(),
            })
            .await;
        match result {
            Ok(issued) => {
                let serial = issued.into_inner().certificate.unwrap_or_default().serial;
                return Ok(see_other(&format!(
                    "/admin/certificates?done=issued&q={serial}"
                )));
            }
            Err(status) => {
                let error = ApiError::from_status(&status);
                problems = Problems::from_error(lang, &error, |path| {
                    let key = field_key(path);
                    let top = key.split('.').next().unwrap_or_default().to_owned();
                    ["trainee", "course_id", "completion_time", "score", "reason"]
                        .contains(&top.as_str())
                        .then_some(top)
                });
            }
        }
    }
    let body = page_body(
        &state,
        lang,
        &web.token,
        &web.csrf,
        "",
        "",
        (&form, &problems),
    )
    .await?;
    Ok((
        StatusCode::UNPROCESSABLE_ENTITY,
        frame(
            &viewer,
            lang.pick("گواهی‌ها", "Certificates"),
            "/admin/certificates",
            body,
        ),
    )
        .into_response())
}
