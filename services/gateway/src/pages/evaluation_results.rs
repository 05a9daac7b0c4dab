//! Course evaluation results: a session's for its instructor (and council
//! members and admins), a course's or an instructor's over a Jalali period
//! for admins, and the benchmark's satisfaction and response rate columns.
//! Below the minimum number of answers only the count is shown — the
//! enrolments service sends nothing more.

use crate::web::Query;
use axum::extract::{Path, State};
use hamafza_kit::sheet::Table;
use maud::{Markup, html};
use serde::Deserialize;

use super::benchmark::{BenchmarkQuery, parse_period, this_jalali_year};
use super::evaluation::{QUESTIONS, scale};
use super::layout::page;
use super::lookup::{courses_listed, every_session};
use crate::AppState;
use crate::i18n::Lang;
use crate::web::{PageError, PageReply, Viewer};
use hamafza_proto::common as common_pb;
use hamafza_proto::courses as cpb;
use hamafza_proto::enrolments as epb;

/// "Too few answers to show (n of m)".
pub fn too_few(lang: Lang, answers: u32, minimum: u32) -> String {
    match lang {
        Lang::Fa => format!(
            "پاسخ‌ها برای نمایش کافی نیست ({} از {}).",
            lang.num(answers),
            lang.num(minimum)
        ),
        Lang::En => format!("Too few answers to show ({answers} of {minimum})."),
    }
}

/// The results of one group: counts, averages per question, the spread of
/// the overall score and the comments — or only the count below the minimum.
pub fn results_section(lang: Lang, results: &epb::GetEvaluationResultsResponse) -> Markup {
    let averages = results
        .averages
        .as_ref()
        .filter(|_| !results.too_few_answers);
    html! {
        p.muted {
            (lang.pick("پاسخ‌ها: ", "Answers: ")) (lang.count(results.answers))
            " · " (lang.pick("از میان دوره‌دیدگان: ", "of those asked: ")) (lang.count(results.asked))
        }
        @match averages {
            None => { p.notice role="status" { (too_few(lang, results.answers, results.minimum_answers)) } }
            Some(a) => {
                @let values = [a.content, a.instructor, a.relevance, a.organization, a.overall];
                div.scroll tabindex="0" { table {
                    caption { (lang.pick("میانگین امتیاز هر پرسش (از ۵)", "Average score of each question (of 5)")) }
                    thead { tr {
                        th scope="col" { (lang.pick("پرسش", "Question")) }
                        th scope="col" { (lang.pick("میانگین", "Average")) }
                    } }
                    tbody {
                        @for ((_, fa, en), value) in QUESTIONS.iter().zip(values) {
                            tr {
                                th scope="row" { (lang.pick(fa, en)) }
                                td {
                                    meter min="1" max="5" value=(format!("{value:.2}")) aria-hidden="true" {}
                                    " " (lang.num(format!("{value:.1}")))
                                }
                            }
                        }
                    }
                } }
                h3 { (lang.pick("پراکندگی ارزیابی کلی", "Spread of the overall score")) }
                ul.plain {
                    @for (i, count) in results.overall_distribution.iter().enumerate() {
                        @let value = u32::try_from(i + 1).unwrap_or(5);
                        li { (lang.num(value)) " · " (scale(lang, value)) ": " (lang.count(*count)) }
                    }
                }
                h3 { (lang.pick("نظرها", "Comments")) }
                @if results.comments.is_empty() {
                    p.muted { (lang.pick("نظری نوشته نشده است.", "No comments were written.")) }
                } @else {
                    ul.comments {
                        @for comment in &results.comments { li dir="auto" { (comment) } }
                    }
                }
            }
        }
    }
}

/// Adds the benchmark's evaluation columns (satisfaction, response rate) to
/// its table, whose rows follow `report.organizations`; "—" below the
/// minimum number of answers.
pub fn add_benchmark_columns(lang: Lang, report: &epb::GetBenchmarkResponse, table: &mut Table) {
    table
        .headers
        .push(lang.pick("رضایت (از ۵)", "Satisfaction (of 5)").to_owned());
    table.headers.push(
        lang.pick("نرخ پاسخ به ارزشیابی", "Evaluation response rate")
            .to_owned(),
    );
    for (row, organization) in table.rows.iter_mut().zip(&report.organizations) {
        let m = organization.measures.unwrap_or_default();
        row.push(
            m.satisfaction
                .map_or_else(|| "—".to_owned(), |v| lang.num(format!("{v:.1}"))),
        );
        row.push(m.evaluation_response_rate.map_or_else(
            || "—".to_owned(),
            |v| lang.num(format!("{:.0}%", v * 100.0)),
        ));
    }
}

/// `GET /teach/sessions/{id}/evaluations`.
pub async fn session(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Markup, PageError> {
    let lang = viewer.lang;
    let web = viewer.require()?;
    let results = state
        .backends
        .as_caller(&web.token)
        .evaluations()
        .get_evaluation_results(epb::GetEvaluationResultsRequest {
            session_id: id.clone(),
            ..Default::default()
        })
        .await
        .page(lang)?;
    let (courses, sessions) =
        super::lookup::catalog_of(&state, &web.token, vec![], vec![id.clone()])
            .await
            .map_err(|s| PageError::status(lang, s))?;
    let course_id = sessions.get(&id).map(|s| s.course_id.clone());
    let course_title = match course_id {
        Some(course_id) if !courses.contains_key(&course_id) => {
            super::lookup::catalog_of(&state, &web.token, vec![course_id.clone()], vec![])
                .await
                .ok()
                .and_then(|(c, _)| c.get(&course_id).cloned())
        }
        Some(course_id) => courses.get(&course_id).cloned(),
        None => None,
    }
    .and_then(|c| c.details)
    .map(|d| lang.text(d.title.as_ref()).to_owned())
    .unwrap_or_default();
    let title = lang.pick("ارزشیابی دوره", "Course evaluation");
    Ok(page(
        &viewer,
        title,
        html! {
            p { a href={ "/teach/sessions/" (id) } { (lang.pick("→ بازگشت به کلاس", "← Back to the session")) } }
            h1 { (title) }
            p.lead { (course_title) }
            h2 { (lang.pick("نتیجه", "Results")) }
            (results_section(lang, &results))
        },
    ))
}

/// The admin page's filters.
#[derive(Debug, Default, Deserialize)]
pub struct ResultsQuery {
    /// A course id.
    #[serde(default)]
    pub course: String,
    /// An instructor's subject.
    #[serde(default)]
    pub instructor: String,
    /// A Jalali year; empty for all time.
    #[serde(default)]
    pub year: String,
    /// A quarter of that year; empty for the whole year.
    #[serde(default)]
    pub quarter: String,
}

/// `GET /admin/evaluations`: a course's or an instructor's results over a
/// Jalali year or quarter.
pub async fn admin(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(query): Query<ResultsQuery>,
) -> Result<Markup, PageError> {
    let lang = viewer.lang;
    let web = super::admin::admin(&viewer)?;
    let backends = state.backends.as_caller(&web.token);
    // Every course and every session's instructor, not the first page of
    // each (sessions come oldest first: later instructors would be missing).
    let (courses, sessions) = tokio::try_join!(
        courses_listed(&backends, &[]),
        every_session(&backends, cpb::ListSessionsRequest::default()),
    )
    .map_err(|status| PageError::status(lang, status))?;
    let mut instructors: Vec<(String, String)> = sessions
        .iter()
        .filter_map(|s| s.details.as_ref()?.instructor.as_ref())
        .map(|a| (a.subject.clone(), a.name.clone()))
        .collect();
    instructors.sort();
    instructors.dedup_by(|a, b| a.0 == b.0);
    let period_query = BenchmarkQuery {
        year: query.year.clone(),
        quarter: query.quarter.clone(),
        format: String::new(),
    };
    let period = parse_period(&period_query);
    let problem = match (
        &period,
        query.course.is_empty(),
        query.instructor.is_empty(),
    ) {
        (Err(_), _, _) => {
            Some(lang.pick("سال یا فصل درست نیست.", "The year or quarter is not valid."))
        }
        (Ok(_), false, false) => Some(lang.pick(
            "یا یک درس را انتخاب کنید یا یک مدرس را، نه هر دو.",
            "Choose a course or an instructor, not both.",
        )),
        _ => None,
    };
    let range = period
        .ok()
        .flatten()
        .and_then(super::benchmark::Period::range)
        .map(|(start, end)| common_pb::TimeRange {
            start_time: Some(hamafza_kit::time::to_timestamp(start)),
            end_time: Some(hamafza_kit::time::to_timestamp(end)),
        });
    let results = if problem.is_some() || (query.course.is_empty() && query.instructor.is_empty()) {
        None
    } else {
        Some(
            backends
                .evaluations()
                .get_evaluation_results(epb::GetEvaluationResultsRequest {
                    course_id: query.course.clone(),
                    instructor_subject: query.instructor.clone(),
                    period: range,
                    ..Default::default()
                })
                .await
                .page(lang)?,
        )
    };
    let title = lang.pick("ارزشیابی دوره‌ها", "Course evaluations");
    let current_year = this_jalali_year();
    let quarters = [
        ("1", lang.pick("بهار (فصل ۱)", "Spring (Q1)")),
        ("2", lang.pick("تابستان (فصل ۲)", "Summer (Q2)")),
        ("3", lang.pick("پاییز (فصل ۳)", "Autumn (Q3)")),
        ("4", lang.pick("زمستان (فصل ۴)", "Winter (Q4)")),
    ];
    let year = hamafza_kit::jalali::latin_digits(query.year.trim());
    let quarter = hamafza_kit::jalali::latin_digits(query.quarter.trim());
    Ok(super::admin::frame(
        &viewer,
        title,
        "/admin/evaluations",
        html! {
            form.filters method="get" action="/admin/evaluations" {
                label for="eval-course" { (lang.pick("درس", "Course")) }
                select id="eval-course" name="course" {
                    option value="" selected[query.course.is_empty()] { (lang.pick("—", "—")) }
                    @for course in &courses {
                        option value=(course.id) selected[query.course == course.id] {
                            (lang.text(course.details.as_ref().and_then(|d| d.title.as_ref())))
                        }
                    }
                }
                label for="eval-instructor" { (lang.pick("مدرس", "Instructor")) }
                select id="eval-instructor" name="instructor" {
                    option value="" selected[query.instructor.is_empty()] { (lang.pick("—", "—")) }
                    @for (subject, name) in &instructors {
                        option value=(subject) selected[&query.instructor == subject] {
                            @if name.is_empty() { (subject) } @else { (name) }
                        }
                    }
                }
                label for="eval-year" { (lang.pick("سال", "Year")) }
                select id="eval-year" name="year" {
                    option value="" selected[year.is_empty()] { (lang.pick("همه سال‌ها", "All time")) }
                    @for y in (1400..=current_year.max(1400)).rev() {
                        @let value = y.to_string();
                        option value=(value) selected[year == value] { (lang.num(y)) }
                    }
                }
                label for="eval-quarter" { (lang.pick("فصل", "Quarter")) }
                select id="eval-quarter" name="quarter" {
                    option value="" selected[quarter.is_empty()] { (lang.pick("همه سال", "Whole year")) }
                    @for (value, label) in quarters {
                        option value=(value) selected[quarter == value] { (label) }
                    }
                }
                button type="submit" { (lang.pick("نمایش", "Show")) }
                @if let Some(problem) = problem { p.error role="alert" { (problem) } }
            }
            @match &results {
                Some(results) => {
                    h2 { (lang.pick("نتیجه", "Results")) }
                    (results_section(lang, results))
                }
                None => {
                    p.muted { (lang.pick(
                        "یک درس یا یک مدرس را انتخاب کنید.",
                        "Choose a course or an instructor."
                    )) }
                }
            }
        },
    ))
}
