//! Enrolling colleagues: ticked from the company's people into one session,
//! or from an uploaded CSV / Excel file, each with a result per person.

use std::collections::{HashMap, HashSet};

use crate::web::Query;
use axum::body::Bytes;
use axum::extract::{Multipart, State};
use axum::response::{IntoResponse, Redirect, Response};
use hamafza_kit::sheet::{self, Limits, Table};
use maud::{Markup, html};
use serde::Deserialize;

use super::{
    first, heading, item_request_id, manager, open_sessions, posted_change, session_label,
};
use crate::AppState;
use crate::i18n::{Lang, refusal};
use crate::pages::changes::count_change;
use crate::pages::forms::multipart_parts;
use crate::pages::layout::page;
use crate::pages::learning::status_badge;
use crate::pages::lookup::people_listed;
use crate::web::{PageError, PageReply, Viewer, check_csrf};
use hamafza_kit::ApiError;
use hamafza_proto::courses as cpb;
use hamafza_proto::enrolments as epb;

/// Largest upload accepted.
pub const MAX_UPLOAD_BYTES: usize = 1024 * 1024;
/// Most rows of one upload.
pub const MAX_UPLOAD_ROWS: usize = 500;

/// The session picked in the address.
#[derive(Debug, Default, Deserialize)]
pub struct Picked {
    /// A session id.
    #[serde(default)]
    pub session: String,
    /// What was wrong with the last submission (`none`: no one ticked).
    #[serde(default)]
    pub problem: String,
}

/// One person's result of an enrolment by the manager.
struct Outcome {
    label: String,
    result: Result<epb::EnrolmentStatus, ApiError>,
}

/// The summary and per-person table of an enrolment run.
fn results(lang: Lang, outcomes: &[Outcome]) -> Markup {
    let count = |wanted: &[epb::EnrolmentStatus]| {
        outcomes
            .iter()
            .filter(|o| o.result.as_ref().is_ok_and(|s| wanted.contains(s)))
            .count()
    };
    let confirmed = count(&[epb::EnrolmentStatus::Confirmed]);
    let waitlisted = count(&[epb::EnrolmentStatus::Waitlisted]);
    let refused = outcomes.iter().filter(|o| o.result.is_err()).count();
    html! {
        p.flash role="status" {
            (lang.num(confirmed)) " " (lang.pick("نفر ثبت‌نام شدند", "enrolled"))
            "، " (lang.num(waitlisted)) " " (lang.pick("نفر در فهرست انتظار", "on the waitlist"))
            @if refused > 0 {
                "، " (lang.num(refused)) " " (lang.pick("مورد پذیرفته نشد", "refused"))
            }
            "."
        }
        div.scroll tabindex="0" { table {
            thead { tr {
                th { (lang.pick("همکار", "Colleague")) }
                th { (lang.pick("نتیجه", "Result")) }
            } }
            tbody {
                @for outcome in outcomes {
                    tr {
                        td { (outcome.label) }
                        td {
                            @match &outcome.result {
                                Ok(status) => { (status_badge(lang, *status)) }
                                Err(error) => { span.badge.bad { (refusal_for_colleague(lang, error)) } }
                            }
                        }
                    }
                }
            }
        } }
    }
}

/// Refusals worded for a manager acting for a colleague.
fn refusal_for_colleague(lang: Lang, error: &ApiError) -> &'static str {
    match error.reason() {
        "ALREADY_ENROLLED" => lang.pick(
            "پیش‌تر در این دوره ثبت‌نام شده است.",
            "Already enrolled in this session.",
        ),
        "PREREQUISITES_MISSING" => lang.pick(
            "پیش‌نیازهای این درس را نگذرانده است.",
            "Has not completed this course's prerequisites.",
        ),
        _ => refusal(lang, error),
    }
}

/// A select of the open sessions.
fn session_select(lang: Lang, sessions: &[(cpb::Session, String)], picked: &str) -> Markup {
    html! {
        label {
            (lang.pick("دوره: ", "Session: "))
            select name="session_id" required {
                @for (session, title) in sessions {
                    option value=(session.id) selected[session.id == picked] {
                        (session_label(lang, session, title))
                    }
                }
            }
        }
    }
}

/// `GET /org/enrol`: tick colleagues, pick a session.
pub async fn form(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(picked): Query<Picked>,
) -> Result<Markup, PageError> {
    let lang = viewer.lang;
    let web = manager(&viewer)?;
    let sessions = open_sessions(&state, &web.token, lang).await?;
    let people = people_listed(
        &state.backends.as_caller(&web.token),
        &web.caller.organization_id,
    )
    .await
    .map_err(|s| PageError::status(lang, s))?;
    let title = lang.pick("ثبت‌نام همکاران", "Enrol colleagues");
    Ok(page(
        &viewer,
        title,
        html! {
            (heading(&state, web, lang, "/org/enrol").await)
            h1 { (title) }
            @if sessions.is_empty() {
                p.muted { (lang.pick(
                    "اکنون دوره‌ای برای ثبت‌نام باز نیست. تقویم را ببینید: ",
                    "No session is open for enrolment now. See the calendar: "))
                    a href="/calendar" { (lang.pick("تقویم", "Calendar")) }
                }
            } @else if people.is_empty() {
                p.muted { (lang.pick(
                    "هنوز کسی از شرکت شما در فهرست کارکنان نیست. با فایل ثبت‌نام کنید: ",
                    "No one of your company is in the directory yet. Enrol from a file: "))
                    a href="/org/import" { (lang.pick("ثبت‌نام با فایل", "Enrol from a file")) }
                }
            } @else {
                form method="post" action="/org/enrol" {
                    input type="hidden" name="csrf" value=(web.csrf);
                    input type="hidden" name="request_id"
                        value=(uuid::Uuid::now_v7().simple().to_string());
                    p { (session_select(lang, &sessions, &picked.session)) }
                    fieldset {
                        legend { (lang.pick("همکاران", "Colleagues")) }
                        @if picked.problem == "none" {
                            p.error role="alert" {
                                (lang.pick("دست‌کم یک همکار را تیک بزنید.", "Tick at least one colleague."))
                            }
                        }
                        @for person in &people {
                            label.choice {
                                input type="checkbox" name="subject" value=(person.subject);
                                " " (lang.text(person.name.as_ref()))
                                @if !person.job_title.is_empty() {
                                    span.muted { " — " (person.job_title) }
                                }
                            }
                        }
                    }
                    p.muted { (lang.pick(
                        "ظرفیت و سهمیهٔ شرکت رعایت می‌شود؛ اگر جا نباشد همکار در فهرست انتظار می‌رود.",
                        "The session's capacity and your company's quota apply; without a seat a colleague joins the waitlist."
                    )) }
                    button type="submit" { (lang.pick("ثبت‌نام", "Enrol")) }
                }
            }
        },
    ))
}

/// `POST /org/enrol`.
pub async fn submit(
    State(state): State<AppState>,
    viewer: Viewer,
    body: Bytes,
) -> Result<Response, PageError> {
    let lang = viewer.lang;
    let (web, form) = posted_change(&state, &viewer, &body)?;
    let session_id = first(&form, "session_id").to_owned();
    let request_id = first(&form, "request_id").to_owned();
    let mut subjects = form.get("subject").cloned().unwrap_or_default();
    let mut seen = HashSet::new();
    subjects.retain(|subject| !subject.trim().is_empty() && seen.insert(subject.clone()));
    if subjects.is_empty() {
        return Ok(Redirect::to(&format!(
            "/org/enrol?session={}&problem=none",
            crate::pages::forms::urlencode(&session_id)
        ))
        .into_response());
    }
    // As many as the picker offers (bounded work for one request).
    const MOST: usize = crate::pages::lookup::PICKER_PAGES * 200;
    const _: () = assert!(MOST == 2_000, "the catalogue's TOO_MANY_PEOPLE says 2,000");
    if subjects.len() > MOST {
        return Err(PageError::api(
            lang,
            ApiError::new(
                hamafza_kit::ErrorCode::InvalidArgument,
                "TOO_MANY_PEOPLE",
                format!("at most {MOST} people at once"),
            ),
        ));
    }
    let client = state.backends.as_caller(&web.token);
    // Everyone ticked, named in a call per 200 (a page of the directory).
    let mut named = HashMap::new();
    for chunk in subjects.chunks(200) {
        let request = cpb::ListPeopleRequest {
            page_size: 200,
            subjects: chunk.to_vec(),
            include_inactive: true,
            ..Default::default()
        };
        let people = client
            .people()
            .list_people(request)
            .await
            .page(lang)?
            .people;
        named.extend(people.into_iter().map(|p| (p.subject.clone(), p)));
    }
    let (mut outcomes, mut asked) = (Vec::new(), false);
    for subject in &subjects {
        let Some(person) = named.get(subject) else {
            // Not in the directory (or not the manager's to see): said on
            // its row, the others still enrolled.
            outcomes.push(Outcome {
                label: subject.clone(),
                result: Err(ApiError::new(
                    hamafza_kit::ErrorCode::NotFound,
                    "PERSON_NOT_IN_DIRECTORY",
                    format!("{subject} is not in the directory"),
                )),
            });
            continue;
        };
        let result = client
            .enrolments()
            .enrol(epb::EnrolRequest {
                request_id: item_request_id(&request_id, subject),
                session_id: session_id.clone(),
                trainee: Some(crate::pages::lookup::actor_of(person)),
                waive_prerequisites: false,
            })
            .await
            .map(|r| r.into_inner().enrolment.unwrap_or_default().status())
            .map_err(|s| ApiError::from_status(&s));
        let fatal = !std::mem::replace(&mut asked, true)
            && matches!(&result, Err(error) if matches!(
                error.code(),
                hamafza_kit::ErrorCode::Unavailable | hamafza_kit::ErrorCode::NotFound
            ));
        if fatal && let Err(error) = result {
            // The session is gone or the service is down: say so once.
            return Err(PageError::api(lang, error));
        }
        outcomes.push(Outcome {
            label: lang.text(person.name.as_ref()).to_owned(),
            result,
        });
    }
    let title = lang.pick("نتیجهٔ ثبت‌نام", "Enrolment results");
    Ok(page(
        &viewer,
        title,
        html! {
            (heading(&state, web, lang, "/org/enrol").await)
            h1 { (title) }
            (results(lang, &outcomes))
            p { a href="/org/enrol" { (lang.pick("ثبت‌نام دیگر", "Enrol more")) } }
        },
    )
    .into_response())
}

/// `GET /org/import`: the upload form.
pub async fn import_form(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(picked): Query<Picked>,
) -> Result<Markup, PageError> {
    let lang = viewer.lang;
    let web = manager(&viewer)?;
    let sessions = open_sessions(&state, &web.token, lang).await?;
    let title = lang.pick("ثبت‌نام با فایل", "Enrol from a file");
    Ok(page(
        &viewer,
        title,
        html! {
            (heading(&state, web, lang, "/org/import").await)
            h1 { (title) }
            (import_form_body(lang, &web.csrf, &sessions, &picked.session, None))
        },
    ))
}

fn import_form_body(
    lang: Lang,
    csrf: &str,
    sessions: &[(cpb::Session, String)],
    picked: &str,
    problem: Option<&str>,
) -> Markup {
    html! {
        p { (lang.pick(
            "فایل CSV یا Excel (.xlsx) با ستون‌های «شناسه» (subject) و «نام» (name)؛ هر ردیف یک همکار. ستون «شرکت» (organization_id) اختیاری است و باید شرکت خودتان باشد.",
            "A CSV or Excel (.xlsx) file with the columns subject and name (or «شناسه», «نام»), one colleague per row. An organization_id column is optional and must be your company."
        )) }
        p.muted { (lang.pick("حداکثر ", "At most ")) (lang.num(MAX_UPLOAD_ROWS)) (lang.pick(" ردیف و ۱ مگابایت.", " rows and 1 MB.")) }
        @if let Some(problem) = problem {
            p.error role="alert" { (problem) }
        }
        @if sessions.is_empty() {
            p.muted { (lang.pick("اکنون دوره‌ای برای ثبت‌نام باز نیست.", "No session is open for enrolment now.")) }
        } @else {
            form method="post" action="/org/import" enctype="multipart/form-data" {
                input type="hidden" name="csrf" value=(csrf);
                input type="hidden" name="request_id" value=(uuid::Uuid::now_v7().simple().to_string());
                p { (session_select(lang, sessions, picked)) }
                p { label {
                    (lang.pick("فایل: ", "File: "))
                    input type="file" name="file" required accept=".csv,.xlsx,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
                } }
                button type="submit" { (lang.pick("بارگذاری و ثبت‌نام", "Upload and enrol")) }
            }
        }
    }
}

/// The uploaded file's columns, in the order BulkEnrol reads them.
fn to_bulk_csv(
    table: &Table,
    organization_id: &str,
) -> Result<(Vec<u8>, Vec<String>), Vec<&'static str>> {
    let find = |names: &[&str]| names.iter().find_map(|name| table.column(name));
    let subject = find(&["subject", "شناسه", "کد کاربری"]);
    let name = find(&["name", "نام", "نام و نام خانوادگی"]);
    let organization = find(&["organization_id", "organization", "شرکت", "سازمان"]);
    let mut missing = Vec::new();
    if subject.is_none() {
        missing.push("subject / شناسه");
    }
    if name.is_none() {
        missing.push("name / نام");
    }
    let (Some(subject), Some(name)) = (subject, name) else {
        return Err(missing);
    };
    let mut out = Table::new(["subject", "name", "organization_id"]);
    let mut labels = Vec::new();
    let cell = |row: &Vec<String>, i: usize| row.get(i).cloned().unwrap_or_default();
    for row in &table.rows {
        let org = organization
            .map(|i| cell(row, i))
            .filter(|o| !o.is_empty())
            .unwrap_or_else(|| organization_id.to_owned());
        labels.push(format!("{} ({})", cell(row, name), cell(row, subject)));
        out.push([cell(row, subject), cell(row, name), org]);
    }
    Ok((sheet::to_plain_csv(&out), labels))
}

/// `POST /org/import`: the uploaded file, enrolled row by row.
pub async fn import(
    State(state): State<AppState>,
    viewer: Viewer,
    mut multipart: Multipart,
) -> Result<Markup, PageError> {
    let lang = viewer.lang;
    let web = manager(&viewer)?;
    let (mut csrf, mut request_id, mut session_id, mut file) =
        (String::new(), String::new(), String::new(), Vec::new());
    for part in multipart_parts(&mut multipart, lang).await? {
        match part.name.as_str() {
            "csrf" => csrf = part.text(),
            "request_id" => request_id = part.text(),
            "session_id" => session_id = part.text(),
            "file" => file = part.bytes.to_vec(),
            _ => {}
        }
    }
    check_csrf(&viewer, &csrf)?;
    count_change(&state, lang, web)?;
    let limits = Limits {
        max_bytes: MAX_UPLOAD_BYTES,
        max_rows: MAX_UPLOAD_ROWS,
    };
    let problem = match sheet::read(&file, limits) {
        Ok(table) => match to_bulk_csv(&table, &web.caller.organization_id) {
            Ok(parsed) => Ok(parsed),
            Err(missing) => Err(format!(
                "{}{}",
                lang.pick("ستون‌های لازم پیدا نشد: ", "Required columns not found: "),
                missing.join("، ")
            )),
        },
        Err(error) => Err(match error {
            sheet::SheetError::TooLarge { .. } => lang
                .pick(
                    "فایل بزرگ‌تر از ۱ مگابایت است.",
                    "The file is larger than 1 MB.",
                )
                .to_owned(),
            sheet::SheetError::TooManyRows { .. } => format!(
                "{}{}{}",
                lang.pick("فایل بیش از ", "The file has more than "),
                lang.num(MAX_UPLOAD_ROWS),
                lang.pick(" ردیف دارد.", " rows.")
            ),
            sheet::SheetError::Empty => {
                lang.pick("فایل خالی است.", "The file is empty.").to_owned()
            }
            _ => lang
                .pick(
                    "این فایل CSV (با نویسه‌های UTF-8) یا Excel (.xlsx) خوانا نیست.",
                    "This is not a readable CSV (UTF-8) or Excel (.xlsx) file.",
                )
                .to_owned(),
        }),
    };
    let title = lang.pick("ثبت‌نام با فایل", "Enrol from a file");
    let (csv, labels) = match problem {
        Ok(parsed) => parsed,
        Err(problem) => {
            let sessions = open_sessions(&state, &web.token, lang).await?;
            return Ok(page(
                &viewer,
                title,
                html! {
                    (heading(&state, web, lang, "/org/import").await)
                    h1 { (title) }
                    (import_form_body(lang, &web.csrf, &sessions, &session_id, Some(&problem)))
                },
            ));
        }
    };
    let mut stream = state
        .backends
        .as_caller(&web.token)
        .enrolments()
        .bulk_enrol(epb::BulkEnrolRequest {
            request_id,
            session_id,
            csv,
        })
        .await
        .page(lang)?;
    let mut outcomes = Vec::new();
    loop {
        match stream.message().await {
            Ok(Some(row)) => {
                // Row 1 is the first data row.
                let index = usize::try_from(row.row_number.saturating_sub(1)).unwrap_or(0);
                let label = labels
                    .get(index)
                    .cloned()
                    .unwrap_or_else(|| row.subject.clone());
                let result = match row.outcome() {
                    epb::BulkRowOutcome::Enrolled => Ok(epb::EnrolmentStatus::Confirmed),
                    epb::BulkRowOutcome::Waitlisted => Ok(epb::EnrolmentStatus::Waitlisted),
                    _ => Err(ApiError::new(
                        hamafza_kit::ErrorCode::from_grpc(tonic::Code::from_i32(row.error_code)),
                        "BULK_ROW",
                        row.error_message.clone(),
                    )
                    .with_reason(row.error_reason.clone())),
                };
                outcomes.push(Outcome {
                    label: format!(
                        "{} {}: {label}",
                        lang.pick("ردیف", "Row"),
                        lang.num(row.row_number)
                    ),
                    result,
                });
            }
            Ok(None) => break,
            Err(status) => return Err(PageError::status(lang, status)),
        }
    }
    Ok(page(
        &viewer,
        title,
        html! {
            (heading(&state, web, lang, "/org/import").await)
            h1 { (lang.pick("نتیجهٔ ثبت‌نام با فایل", "Results of the file")) }
            (results(lang, &outcomes))
            p { a href="/org/import" { (lang.pick("فایل دیگر", "Another file")) } }
        },
    ))
}
