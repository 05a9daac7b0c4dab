//! What leaves the browser: the printable sign-in sheet of a meeting and
//! the roster as CSV or Excel.

use crate::web::Query;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use hamafza_kit::ApiError;
use hamafza_proto::enrolments as epb;
use maud::{Markup, html};
use serde::Deserialize;

use super::{load, mark_of, meeting_index, name, verdict};
use crate::AppState;
use crate::i18n::{Lang, instant};
use crate::pages::layout::page;
use crate::web::{PageError, Viewer};

/// `GET /teach/sessions/{id}/meetings/{n}/sheet`: the printable sign-in
/// sheet.
pub async fn sheet(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((id, n)): Path<(String, u32)>,
) -> Result<Markup, PageError> {
    let lang = viewer.lang;
    let web = viewer.require()?;
    let class = load(&state, web, lang, &id).await?;
    let index = meeting_index(lang, &class, n)?;
    let meeting = class
        .meetings()
        .get(usize::try_from(index).unwrap_or(usize::MAX));
    let plan = class.session.details.clone().unwrap_or_default();
    let title = format!(
        "{} {} — {}",
        lang.pick("برگهٔ امضای جلسه", "Sign-in sheet, meeting"),
        lang.num(n),
        class.title(lang)
    );
    let seated: Vec<&epb::Enrolment> = class.seated().collect();
    Ok(page(
        &viewer,
        &title,
        html! {
            p.no-print {
                a href={ "/teach/sessions/" (class.session.id) } {
                    (lang.pick("→ بازگشت به دوره", "← Back to the session"))
                }
                " · "
                (lang.pick(
                    "برای چاپ از فرمان چاپ مرورگر استفاده کنید.",
                    "Use the browser's print command to print."
                ))
            }
            section.sheet {
                h1 { (title) }
                p {
                    @if let Some(start) = meeting.and_then(|m| instant(m.start_time.as_ref())) {
                        (lang.pick("زمان: ", "When: ")) (lang.date_time(start)) " · "
                    }
                    (lang.pick("محل: ", "Where: ")) (lang.text(plan.venue.as_ref()))
                    @if let Some(instructor) = &plan.instructor {
                        " · " (lang.pick("مدرس: ", "Instructor: ")) (instructor.name)
                    }
                }
                table.signatures {
                    thead { tr {
                        th.n { "#" }
                        th { (lang.pick("نام و نام خانوادگی", "Name")) }
                        th { (lang.pick("شرکت", "Company")) }
                        th.signature { (lang.pick("امضا", "Signature")) }
                    } }
                    tbody {
                        @for (row, enrolment) in seated.iter().enumerate() {
                            tr {
                                td.n { (lang.num(row + 1)) }
                                td { (name(enrolment)) }
                                td { (class.company(lang, enrolment)) }
                                td.signature { }
                            }
                        }
                    }
                }
                @if seated.is_empty() {
                    p.muted {
                        (lang.pick(
                            "کسی در این دوره ثبت‌نام قطعی ندارد.",
                            "No one holds a seat in this session."
                        ))
                    }
                }
            }
        },
    ))
}

/// The download's format.
#[derive(Debug, Default, Deserialize)]
pub struct Download {
    /// `csv` or `xlsx`.
    #[serde(default)]
    pub format: String,
}

/// `GET /teach/sessions/{id}/roster?format=csv|xlsx`: the roster with
/// companies, status, attendance per meeting and results, headed in the
/// viewer's language, dates in its calendar.
pub async fn roster(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    Query(download): Query<Download>,
) -> Result<Response, PageError> {
    use hamafza_kit::sheet::{Format, Table};
    let lang = viewer.lang;
    let web = viewer.require()?;
    let Some(format) = Format::parse(&download.format) else {
        return Err(PageError::api(
            lang,
            ApiError::invalid_field("format", "must be csv or xlsx"),
        ));
    };
    let class = load(&state, web, lang, &id).await?;
    let meetings = class.meetings().len();
    let mut headers: Vec<String> = [
        lang.pick("نام", "Name"),
        lang.pick("شناسه", "Subject"),
        lang.pick("شرکت", "Company"),
        lang.pick("وضعیت", "Status"),
        lang.pick("تاریخ ثبت‌نام", "Enrolled on"),
        lang.pick("جلسه‌های حاضر", "Meetings attended"),
    ]
    .iter()
    .map(|h| (*h).to_owned())
    .collect();
    for n in 1..=meetings {
        headers.push(format!("{} {}", lang.pick("جلسه", "Meeting"), lang.num(n)));
    }
    headers.push(lang.pick("نمره", "Score").to_owned());
    headers.push(lang.pick("نتیجه", "Result").to_owned());
    let mut table = Table::new(headers);
    for enrolment in &class.enrolments {
        let mut row = vec![
            name(enrolment).to_owned(),
            enrolment
                .trainee
                .as_ref()
                .map(|t| t.subject.clone())
                .unwrap_or_default(),
            class.company(lang, enrolment),
            status_text(lang, enrolment.status()).to_owned(),
            instant(enrolment.create_time.as_ref())
                .map(|t| lang.date(t))
                .unwrap_or_default(),
            enrolment.meetings_attended.to_string(),
        ];
        for index in 0..meetings {
            row.push(
                match mark_of(enrolment, u32::try_from(index).unwrap_or(u32::MAX)) {
                    Some(epb::AttendanceStatus::Present) => lang.pick("حاضر", "present"),
                    Some(epb::AttendanceStatus::Absent) => lang.pick("غایب", "absent"),
                    _ => "",
                }
                .to_owned(),
            );
        }
        row.push(
            enrolment
                .completion
                .as_ref()
                .and_then(|c| c.score)
                .map(|s| s.to_string())
                .unwrap_or_default(),
        );
        row.push(verdict(lang, enrolment));
        table.push(row);
    }
    let bytes = hamafza_kit::sheet::write(&table, format, lang == Lang::Fa)
        .map_err(|error| PageError::api(lang, ApiError::internal(error)))?;
    let code = class
        .course
        .details
        .as_ref()
        .map(|d| d.code.clone())
        .unwrap_or_default();
    let filename = format!("roster-{code}-{}.{}", class.session.id, format.extension());
    Ok((
        [
            (header::CONTENT_TYPE, format.content_type().to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{filename}\""),
            ),
        ],
        bytes,
    )
        .into_response())
}

fn status_text(lang: Lang, status: epb::EnrolmentStatus) -> &'static str {
    match status {
        epb::EnrolmentStatus::PendingApproval => {
            lang.pick("در انتظار تأیید مدیر", "awaiting approval")
        }
        epb::EnrolmentStatus::Confirmed => lang.pick("ثبت‌نام قطعی", "confirmed"),
        epb::EnrolmentStatus::Waitlisted => lang.pick("فهرست انتظار", "waitlisted"),
        epb::EnrolmentStatus::Rejected => lang.pick("رد شده", "rejected"),
        epb::EnrolmentStatus::Cancelled => lang.pick("لغو شده", "cancelled"),
        epb::EnrolmentStatus::Completed => lang.pick("گذرانده", "completed"),
        epb::EnrolmentStatus::Failed => lang.pick("قبول نشده", "not passed"),
        epb::EnrolmentStatus::NoShow => lang.pick("غایب", "no-show"),
        epb::EnrolmentStatus::Unspecified => "",
    }
}
