//! The company's people, from the people directory, searchable and
//! downloadable; and each person's transcript: enrolments, results and
//! certificates.

use crate::web::Query;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use hamafza_kit::sheet::{Format, Table};
use maud::html;
use serde::Deserialize;

use super::{catalog_of, course_title, download, download_links, heading, manager, say_cut};
use crate::AppState;
use crate::i18n::{Lang, instant};
use crate::pages::forms::urlencode;
use crate::pages::layout::page;
use crate::pages::learning::status_badge;
use crate::pages::lookup::{every_certificate, every_enrolment};
use crate::web::{PageError, PageReply, Viewer};
use hamafza_proto::certification as certpb;
use hamafza_proto::courses as cpb;
use hamafza_proto::enrolments as epb;

/// Filters of the people list.
#[derive(Debug, Default, Deserialize)]
pub struct PeopleQuery {
    /// Search text.
    #[serde(default)]
    pub q: String,
    /// The next page.
    #[serde(default)]
    pub page_token: String,
    /// `csv` or `xlsx` to download the whole list.
    #[serde(default)]
    pub format: String,
    /// Also people who left.
    #[serde(default)]
    pub inactive: Option<String>,
}

/// Most people in one download.
const DOWNLOAD_LIMIT: usize = 5_000;

/// The people of the manager's company matching `query`, one page or (for a
/// download) all.
async fn people(
    state: &AppState,
    token: &str,
    organization_id: &str,
    query: &PeopleQuery,
    all: bool,
) -> Result<(Vec<cpb::Person>, String), tonic::Status> {
    let client = state.backends.as_caller(token);
    let mut found = Vec::new();
    let mut page_token = query.page_token.clone();
    loop {
        let page = client
            .people()
            .list_people(cpb::ListPeopleRequest {
                page_size: if all { 200 } else { 50 },
                page_token,
                organization_id: organization_id.to_owned(),
                text: query.q.trim().to_owned(),
                include_inactive: query.inactive.is_some(),
                ..Default::default()
            })
            .await?
            .into_inner();
        found.extend(page.people);
        if !all || page.next_page_token.is_empty() || found.len() >= DOWNLOAD_LIMIT {
            return Ok((found, page.next_page_token));
        }
        page_token = page.next_page_token;
    }
}

fn people_table(lang: Lang, people: &[cpb::Person]) -> Table {
    let mut table = Table::new([
        lang.pick("نام", "Name"),
        lang.pick("نام (انگلیسی)", "Name (Persian)"),
        lang.pick("سمت", "Job title"),
        lang.pick("ایمیل", "Email"),
        lang.pick("شناسه", "Subject"),
        lang.pick("وضعیت", "Status"),
    ]);
    for person in people {
        let name = person.name.clone().unwrap_or_default();
        let (first, second) = match lang {
            Lang::Fa => (name.fa, name.en),
            Lang::En => (name.en, name.fa),
        };
        table.push([
            first,
            second,
            person.job_title.clone(),
            person.email.clone(),
            person.subject.clone(),
            if person.active {
                lang.pick("فعال", "Active")
            } else {
                lang.pick("غیرفعال", "Inactive")
            }
            .to_owned(),
        ]);
    }
    table
}

/// `GET /org/people`.
pub async fn list(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(query): Query<PeopleQuery>,
) -> Result<Response, PageError> {
    let lang = viewer.lang;
    let web = manager(&viewer)?;
    let organization = web.caller.organization_id.clone();
    if let Some(format) = Format::parse(&query.format) {
        let (all, more) = people(&state, &web.token, &organization, &query, true)
            .await
            .map_err(|s| PageError::status(lang, s))?;
        let mut table = people_table(lang, &all);
        if !more.is_empty() {
            say_cut(&mut table, lang, all.len());
        }
        return Ok(download(
            &table,
            format,
            lang,
            &format!("people-{organization}"),
        ));
    }
    let (found, next) = people(&state, &web.token, &organization, &query, false)
        .await
        .map_err(|s| PageError::status(lang, s))?;
    let title = lang.pick("کارکنان شرکت", "The company's people");
    // The filters as the page was asked: carried by the download links and
    // the next page's.
    let mut asked = Vec::new();
    if !query.q.is_empty() {
        asked.push(format!("q={}", urlencode(&query.q)));
    }
    if query.inactive.is_some() {
        asked.push("inactive=1".to_owned());
    }
    let filters = asked.join("&");
    Ok(page(
        &viewer,
        title,
        html! {
            (heading(&state, web, lang, "/org/people").await)
            h1 { (title) }
            form.filters method="get" action="/org/people" role="search" {
                label {
                    (lang.pick("جست‌وجو: ", "Search: "))
                    input type="search" name="q" value=(query.q)
                        placeholder=(lang.pick("نام، سمت یا ایمیل", "Name, job title or email"));
                }
                label {
                    input type="checkbox" name="inactive" value="1" checked[query.inactive.is_some()];
                    " " (lang.pick("با افراد غیرفعال", "Include inactive"))
                }
                button type="submit" { (lang.pick("جست‌وجو", "Search")) }
            }
            (download_links(lang, "/org/people", &filters))
            @if found.is_empty() {
                p.muted {
                    @if query.q.is_empty() {
                        (lang.pick(
                            "هنوز کسی از شرکت شما در فهرست کارکنان نیست. همکاران با نخستین ورود به سامانه در این فهرست می‌آیند.",
                            "No one of your company is in the directory yet. Colleagues appear here when they first sign in."
                        ))
                    } @else {
                        (lang.pick("کسی با این مشخصات پیدا نشد.", "No one matches this search."))
                    }
                }
            } @else {
                div.scroll tabindex="0" {
                    table {
                        thead { tr {
                            th { (lang.pick("نام", "Name")) }
                            th { (lang.pick("سمت", "Job title")) }
                            th { (lang.pick("ایمیل", "Email")) }
                            th { (lang.pick("وضعیت", "Status")) }
                        } }
                        tbody {
                            @for person in &found {
                                tr {
                                    td { a href={ "/org/people/" (urlencode(&person.subject)) } {
                                        (lang.text(person.name.as_ref()))
                                    } }
                                    td { (person.job_title) }
                                    td { span.ltr { (person.email) } }
                                    td {
                                        @if person.active {
                                            span.badge.ok { (lang.pick("فعال", "Active")) }
                                        } @else {
                                            span.badge.bad { (lang.pick("غیرفعال", "Inactive")) }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
                @if !next.is_empty() {
                    p { a href={ "/org/people?" (filters) (if filters.is_empty() { "" } else { "&" }) "page_token=" (next) } {
                        (lang.pick("صفحهٔ بعد", "Next page"))
                    } }
                }
            }
        },
    )
    .into_response())
}

/// `GET /org/people/{subject}`: a colleague's transcript.
pub async fn transcript(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(subject): Path<String>,
) -> Result<Response, PageError> {
    let lang = viewer.lang;
    let web = manager(&viewer)?;
    let client = state.backends.as_caller(&web.token);
    let person = client
        .people()
        .get_person(cpb::GetPersonRequest {
            subject: subject.clone(),
        })
        .await
        .page(lang)?
        .person
        .unwrap_or_default();
    let (enrolments, certificates) = tokio::try_join!(
        every_enrolment(
            &client,
            epb::ListEnrolmentsRequest {
                trainee_subject: subject.clone(),
                organization_id: web.caller.organization_id.clone(),
                ..Default::default()
            },
        ),
        every_certificate(
            &client,
            certpb::ListCertificatesRequest {
                trainee_subject: subject.clone(),
                organization_id: web.caller.organization_id.clone(),
                ..Default::default()
            },
        ),
    )
    .map_err(|s| PageError::status(lang, s))?;
    let (courses, sessions) = catalog_of(
        &state,
        &web.token,
        enrolments.iter().map(|e| e.course_id.clone()).collect(),
        enrolments.iter().map(|e| e.session_id.clone()).collect(),
    )
    .await
    .unwrap_or_default();
    // Hours of courses passed: a failed or missed one has a result (and
    // hours) too, but trained no one for them (the benchmark counts alike).
    let hours: u32 = enrolments
        .iter()
        .filter(|e| e.status() == hamafza_proto::enrolments::EnrolmentStatus::Completed)
        .filter_map(|e| e.completion.as_ref())
        .map(|c| c.hours)
        .sum();
    let name = lang.text(person.name.as_ref()).to_owned();
    Ok(page(
        &viewer,
        &name,
        html! {
            (heading(&state, web, lang, "/org/people").await)
            h1 { (name) }
            p.muted {
                (person.job_title)
                @if !person.email.is_empty() { " · " span.ltr { (person.email) } }
            }
            p {
                (lang.pick("ساعت‌های آموزش گذرانده: ", "Training hours completed: "))
                strong { (lang.num(hours)) }
            }
            h2 { (lang.pick("دوره‌ها", "Courses")) }
            @if enrolments.is_empty() {
                p.muted {
                    (lang.pick("هنوز در دوره‌ای ثبت‌نام نشده است. ", "Not enrolled in any session yet. "))
                    a href="/org/enrol" { (lang.pick("ثبت‌نام در یک دوره", "Enrol in a session")) }
                }
            } @else {
                div.scroll tabindex="0" { table {
                    thead { tr {
                        th { (lang.pick("دوره", "Course")) }
                        th { (lang.pick("شروع", "Starts")) }
                        th { (lang.pick("وضعیت", "Status")) }
                        th { (lang.pick("نتیجه", "Result")) }
                    } }
                    tbody {
                        @for enrolment in &enrolments {
                            tr {
                                td { (course_title(lang, &courses, &enrolment.course_id)) }
                                td {
                                    @if let Some(start) = sessions.get(&enrolment.session_id)
                                        .and_then(|s| instant(s.start_time.as_ref())) {
                                        (lang.date(start))
                                    }
                                }
                                td { (status_badge(lang, enrolment.status())) }
                                td {
                                    @if let Some(completion) = &enrolment.completion {
                                        @if let Some(score) = completion.score {
                                            (lang.pick("نمره ", "score ")) (lang.num(score)) " · "
                                        }
                                        (lang.pick("حضور ", "attendance ")) (lang.num(completion.attendance_percent)) "٪"
                                    }
                                }
                            }
                        }
                    }
                } }
            }
            h2 { (lang.pick("گواهی‌ها", "Certificates")) }
            @if certificates.is_empty() {
                p.muted { (lang.pick("هنوز گواهی‌ای ندارد.", "No certificates yet.")) }
            } @else {
                ul {
                    @for certificate in &certificates {
                        li {
                            a href={ "/verify/" (certificate.serial) } { (lang.text(certificate.title.as_ref())) }
                            " — " span.ltr { (certificate.serial) }
                            @if let Some(expires) = instant(certificate.valid_until.as_ref()) {
                                " · " (lang.pick("اعتبار تا ", "valid until ")) (lang.date(expires))
                            }
                        }
                    }
                }
            }
        },
    )
    .into_response())
}
