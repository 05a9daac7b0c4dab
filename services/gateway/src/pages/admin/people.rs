//! The people directory in the back office: search it, and import a CSV or
//! Excel file of people into it (ImportPeople) with a result per row.

use crate::web::Query;
use axum::extract::{Multipart, State};
use hamafza_kit::ApiError;
use hamafza_kit::sheet::{self, Limits, Table};
use maud::{Markup, html};
use serde::Deserialize;

use super::{admin, field_words, frame, list_table};
use crate::AppState;
use crate::i18n::{Lang, refusal};
use crate::pages::forms::{multipart_parts, urlencode};
use crate::pages::layout::pager;
use crate::pages::lookup::page_or_first;
use crate::web::{PageError, PageReply, Viewer, check_csrf};
use hamafza_proto::common::LocalizedText;
use hamafza_proto::courses as cpb;

/// Largest upload accepted.
pub const MAX_UPLOAD_BYTES: usize = 1024 * 1024;
/// Most rows of one upload.
const MAX_UPLOAD_ROWS: usize = 1000;

/// The search box.
#[derive(Debug, Default, Deserialize)]
pub struct Search {
    /// Words of a name, a subject or an email.
    #[serde(default)]
    pub q: String,
    /// The page to show (a page token; empty for the first).
    #[serde(default)]
    pub page: String,
}

fn upload_form(lang: Lang, csrf: &str, problem: Option<&str>) -> Markup {
    html! {
        h2 { (lang.pick("ورود از فایل", "Import from a file")) }
        p { (lang.pick(
            "فایل CSV یا Excel (.xlsx) با ستون‌های subject، name_fa، name_en، organization_id و در صورت نیاز email، job_title، active (true/false)؛ هر ردیف یک نفر.",
            "A CSV or Excel (.xlsx) file with the columns subject, name_fa, name_en, organization_id and optionally email, job_title, active (true/false); one person per row."
        )) }
        @if let Some(problem) = problem { p.error role="alert" { (problem) } }
        form method="post" action="/admin/people/import" enctype="multipart/form-data" {
            input type="hidden" name="csrf" value=(csrf);
            p { label {
                (lang.pick("فایل: ", "File: "))
                input type="file" name="file" required
                    accept=".csv,.xlsx,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
            } }
            button type="submit" { (lang.pick("بارگذاری", "Upload")) }
        }
    }
}

/// `GET /admin/people`.
pub async fn list(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(search): Query<Search>,
) -> Result<Markup, PageError> {
    let lang = viewer.lang;
    let web = admin(&viewer)?;
    let request = |page_token: &str| cpb::ListPeopleRequest {
        page_size: 100,
        page_token: page_token.to_owned(),
        text: search.q.trim().to_owned(),
        include_inactive: true,
        ..Default::default()
    };
    let caller = state.backends.as_caller(&web.token);
    let (shown, reply) = page_or_first(&search.page, |page_token| {
        let request = request(&page_token);
        let caller = &caller;
        async move { Ok(caller.people().list_people(request).await?.into_inner()) }
    })
    .await
    .map_err(|s| PageError::status(lang, s))?;
    let people = reply.people;
    let page_of = |token: &str| {
        format!(
            "/admin/people?q={}&page={}",
            urlencode(&search.q),
            urlencode(token)
        )
    };
    Ok(frame(
        &viewer,
        lang.pick("فهرست کارکنان", "People directory"),
        "/admin/people",
        html! {
            form.filters method="get" action="/admin/people" {
                label for="q" { (lang.pick("جست‌وجو: ", "Search: ")) }
                input type="search" id="q" name="q" value=(search.q);
                button type="submit" { (lang.pick("جست‌وجو", "Search")) }
            }
            (list_table(lang, &[
                ("نام", "Name"), ("شناسه", "Subject"), ("شرکت", "Organization"),
                ("سمت", "Job title"), ("وضعیت", "Status"),
            ], html! {
                @for person in &people {
                    tr {
                        td { (lang.text(person.name.as_ref())) }
                        td { bdi.ltr { (person.subject) } }
                        td { bdi.ltr { (person.organization_id) } }
                        td { (person.job_title) }
                        td { @if person.active {
                            span.badge.ok { (lang.pick("فعال", "Active")) }
                        } @else {
                            span.badge.bad { (lang.pick("غیرفعال", "Inactive")) }
                        } }
                    }
                }
            }))
            (pager(lang, shown, &reply.next_page_token, page_of))
            (upload_form(lang, &web.csrf, None))
        },
    ))
}

/// Why an uploaded table holds no people to import.
enum NotPeople {
    /// The columns it lacks.
    Missing(Vec<&'static str>),
    /// A row (numbered as a spreadsheet shows it) whose "active" is neither
    /// a yes nor a no.
    Active(usize, String),
}

/// The people of an uploaded table, or why not.
fn people_of(table: &Table) -> Result<Vec<cpb::Person>, NotPeople> {
    let find = |names: &[&str]| names.iter().find_map(|name| table.column(name));
    let subject = find(&["subject", "شناسه"]);
    let organization = find(&["organization_id", "organization", "شرکت"]);
    let (name_fa, name_en) = (
        find(&["name_fa", "name", "نام"]),
        find(&["name_en", "english name", "نام انگلیسی"]),
    );
    let mut missing = Vec::new();
    if subject.is_none() {
        missing.push("subject / شناسه");
    }
    if organization.is_none() {
        missing.push("organization_id / شرکت");
    }
    if name_fa.is_none() && name_en.is_none() {
        missing.push("name_fa / نام");
    }
    let (Some(subject), Some(organization)) = (subject, organization) else {
        return Err(NotPeople::Missing(missing));
    };
    let (email, job, active) = (
        find(&["email", "ایمیل"]),
        find(&["job_title", "سمت"]),
        find(&["active", "فعال"]),
    );
    let cell = |row: &Vec<String>, i: Option<usize>| {
        i.and_then(|i| row.get(i)).cloned().unwrap_or_default()
    };
    table
        .rows
        .iter()
        .enumerate()
        .map(|(at, row)| {
            let active = cell(row, active);
            let Some(active) = hamafza_kit::text::yes_or_no(&active) else {
                return Err(NotPeople::Active(at + 2, active));
            };
            Ok(cpb::Person {
                subject: cell(row, Some(subject)),
                name: Some(LocalizedText {
                    fa: cell(row, name_fa),
                    en: cell(row, name_en),
                }),
                organization_id: cell(row, Some(organization)),
                email: cell(row, email),
                job_title: cell(row, job),
                active,
                ..Default::default()
            })
        })
        .collect()
}

/// `POST /admin/people/import`.
pub async fn import(
    State(state): State<AppState>,
    viewer: Viewer,
    mut multipart: Multipart,
) -> Result<Markup, PageError> {
    let lang = viewer.lang;
    let web = admin(&viewer)?;
    let (mut csrf, mut file) = (String::new(), Vec::new());
    for part in multipart_parts(&mut multipart, lang).await? {
        match part.name.as_str() {
            "csrf" => csrf = part.text(),
            "file" => file = part.bytes.to_vec(),
            _ => {}
        }
    }
    check_csrf(&viewer, &csrf)?;
    let title = lang.pick("ورود کارکنان از فایل", "People imported from a file");
    let limits = Limits {
        max_bytes: MAX_UPLOAD_BYTES,
        max_rows: MAX_UPLOAD_ROWS,
    };
    let people = match sheet::read(&file, limits) {
        Ok(table) => people_of(&table).map_err(|not| match not {
            NotPeople::Missing(missing) => format!(
                "{}{}",
                lang.pick("ستون‌های لازم پیدا نشد: ", "Required columns not found: "),
                missing.join(lang.pick("، ", ", "))
            ),
            NotPeople::Active(row, value) => format!(
                "{} {}: «{value}» {}",
                lang.pick("ردیف", "Row"),
                lang.num(row),
                lang.pick(
                    "در ستون «فعال» نه بله است نه خیر (بله/خیر، فعال/غیرفعال، true/false).",
                    "in the column “active” is neither yes nor no (yes/no, true/false, بله/خیر).",
                ),
            ),
        }),
        Err(_) => Err(lang
            .pick(
                "این فایل CSV (UTF-8) یا Excel (.xlsx) خوانا نیست، یا بیش از ۱ مگابایت یا ۱۰۰۰ ردیف است.",
                "This is not a readable CSV (UTF-8) or Excel (.xlsx) file, or it is over 1 MB or 1000 rows.",
            )
            .to_owned()),
    };
    let people = match people {
        Ok(people) => people,
        Err(problem) => {
            return Ok(frame(
                &viewer,
                title,
                "/admin/people",
                upload_form(lang, &web.csrf, Some(&problem)),
            ));
        }
    };
    let names: Vec<String> = people
        .iter()
        .map(|p| lang.text(p.name.as_ref()).to_owned())
        .collect();
    let results = state
        .backends
        .as_caller(&web.token)
        .people()
        .import_people(cpb::ImportPeopleRequest { people })
        .await
        .page(lang)?
        .results;
    let count = |o: cpb::ImportOutcome| results.iter().filter(|r| r.outcome() == o).count();
    Ok(frame(
        &viewer,
        title,
        "/admin/people",
        html! {
            p.flash role="status" {
                (lang.num(count(cpb::ImportOutcome::Created))) " " (lang.pick("نفر افزوده شد", "added")) (lang.pick("، ", ", "))
                (lang.num(count(cpb::ImportOutcome::Updated))) " " (lang.pick("به‌روز شد", "updated")) (lang.pick("، ", ", "))
                (lang.num(count(cpb::ImportOutcome::Unchanged))) " " (lang.pick("بی‌تغییر", "unchanged")) (lang.pick("، ", ", "))
                (lang.num(count(cpb::ImportOutcome::Error))) " " (lang.pick("پذیرفته نشد", "refused")) "."
            }
            (list_table(lang, &[
                ("ردیف", "Row"), ("نام", "Name"), ("نتیجه", "Result"),
            ], html! {
                @for result in &results {
                    @let index = usize::try_from(result.row_number.saturating_sub(1)).unwrap_or(0);
                    tr {
                        td { (lang.num(result.row_number)) }
                        td { (names.get(index).map_or("", String::as_str)) " " bdi.ltr.muted { (result.subject) } }
                        td { (outcome(lang, result)) }
                    }
                }
            }))
            p { a href="/admin/people" { (lang.pick("بازگشت به فهرست", "Back to the directory")) } }
        },
    ))
}

fn outcome(lang: Lang, result: &cpb::ImportPersonResult) -> Markup {
    match result.outcome() {
        cpb::ImportOutcome::Created => {
            html! { span.badge.ok { (lang.pick("افزوده شد", "Added")) } }
        }
        cpb::ImportOutcome::Updated => {
            html! { span.badge.ok { (lang.pick("به‌روز شد", "Updated")) } }
        }
        cpb::ImportOutcome::Unchanged => {
            html! { span.badge { (lang.pick("بی‌تغییر", "Unchanged")) } }
        }
        _ => {
            let words = if result.field.is_empty() {
                refusal(
                    lang,
                    &ApiError::new(hamafza_kit::ErrorCode::InvalidArgument, "IMPORT_ROW", "")
                        .with_reason(result.reason.clone()),
                )
            } else {
                field_words(lang, &result.field)
            };
            html! { span.badge.bad { (words) } }
        }
    }
}
