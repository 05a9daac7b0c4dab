//! Benchmarking the companies, for org managers, council members and admins:
//! a chart drawn on the server (SVG, no script) and the table of measures,
//! for all time or a Jalali year or quarter, downloadable as CSV or Excel.

use std::fmt::Write;

use crate::web::Query;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, NaiveDate, Utc};
use hamafza_kit::ApiError;
use hamafza_kit::sheet::{Format, Table};
use maud::{Markup, html};
use serde::Deserialize;

use super::layout::{page, svg};
use super::org::download;
use crate::AppState;
use crate::i18n::Lang;
use crate::web::{PageError, PageReply, Viewer};
use hamafza_proto::common as common_pb;
use hamafza_proto::enrolments as epb;

/// The chart's geometry, in SVG user units.
const WIDTH: f64 = 760.0;
/// The column of company names.
const LABEL_WIDTH: f64 = 250.0;
/// The longest bar (100 %).
const BAR_WIDTH: f64 = 400.0;
/// One company's row.
const ROW_HEIGHT: f64 = 28.0;
/// A bar's thickness.
const BAR_HEIGHT: f64 = 18.0;
/// Gap between a label, its bar and its value.
const GAP: f64 = 8.0;
/// The most characters of a name drawn; longer ones end in "…" (the whole
/// name is the row's tooltip and stands in the table below).
const LABEL_CHARS: usize = 30;

/// One row of the chart: a name, and its value if there is one.
#[derive(Debug, Clone)]
pub struct Bar {
    /// The company's name.
    pub label: String,
    /// The value in 0..=max, or `None` for "no data".
    pub value: Option<f64>,
}

/// Where one row's pieces are drawn: each as a span `[from, to]` along x.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RowLayout {
    /// The space the label may take.
    pub label: (f64, f64),
    /// The bar (empty for "no data").
    pub bar: (f64, f64),
    /// The x where the value (or "no data") text is anchored, and whether it
    /// grows to the left of it.
    pub value_at: (f64, bool),
}

/// Lays out a row: in Persian the names stand on the right and the bars grow
/// leftwards from them; in English the mirror image. Positions are computed
/// here, never left to the SVG `direction`, which does not move x.
pub fn row_layout(lang: Lang, value: Option<f64>, max: f64) -> RowLayout {
    let length = match value {
        Some(v) if max > 0.0 => (v.clamp(0.0, max) / max * BAR_WIDTH).max(1.0),
        _ => 0.0,
    };
    match lang {
        Lang::En => {
            let start = LABEL_WIDTH;
            RowLayout {
                label: (0.0, LABEL_WIDTH - GAP),
                bar: (start, start + length),
                value_at: (start + length + GAP / 2.0, false),
            }
        }
        Lang::Fa => {
            let end = WIDTH - LABEL_WIDTH;
            RowLayout {
                label: (end + GAP, WIDTH),
                bar: (end - length, end),
                value_at: (end - length - GAP / 2.0, true),
            }
        }
    }
}

/// A horizontal bar chart of `rows` (values 0..=max) with labels, as SVG.
pub fn bar_chart(lang: Lang, rows: &[Bar], max: f64, unit: &str, title: &str) -> String {
    let height = ROW_HEIGHT * rows.len().max(1) as f64 + 10.0;
    let mut out = String::new();
    let _ = write!(
        out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" aria-label=\"{}\" \
         viewBox=\"0 0 {WIDTH} {height}\" width=\"100%\" font-family=\"Vazirmatn, sans-serif\">",
        escape(title)
    );
    for (i, row) in rows.iter().enumerate() {
        let y = i as f64 * ROW_HEIGHT + 5.0;
        let text_y = y + 14.0;
        let layout = row_layout(lang, row.value, max);
        let label = shorten(&row.label);
        // A label sits at the edge of its space: English ones end next to
        // the bars; Persian ones start (in right-to-left text, the right
        // edge) at the chart's right side.
        let (label_x, label_anchor, label_dir) = match lang {
            Lang::En => (layout.label.1, "end", "ltr"),
            Lang::Fa => (layout.label.1 - 4.0, "start", "rtl"),
        };
        let _ = write!(
            out,
            "<g><title>{full}</title>\
             <text x=\"{label_x:.1}\" y=\"{text_y:.1}\" font-size=\"13\" \
             text-anchor=\"{label_anchor}\" direction=\"{label_dir}\" \
             data-role=\"label\">{label}</text>",
            full = escape(&row.label),
            label = escape(&label),
        );
        // The value grows away from its bar: leftwards in Persian.
        let (value_x, grows_left) = layout.value_at;
        // Persian values are right-to-left text ("۸۰٪" with its sign on the
        // left), anchored by their right edge.
        let value_dir = if grows_left { "rtl" } else { "ltr" };
        match row.value {
            Some(value) => {
                let _ = write!(
                    out,
                    "<rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"{w:.1}\" height=\"{BAR_HEIGHT}\" \
                     fill=\"#0f5c8c\" rx=\"3\" data-role=\"bar\"/>\
                     <text x=\"{value_x:.1}\" y=\"{text_y:.1}\" font-size=\"12\" \
                     text-anchor=\"start\" direction=\"{value_dir}\" \
                     data-role=\"value\">{shown}</text>",
                    x = layout.bar.0,
                    w = layout.bar.1 - layout.bar.0,
                    shown = lang.num(format!("{value:.1}{unit}")),
                );
            }
            None => {
                let _ = write!(
                    out,
                    "<text x=\"{value_x:.1}\" y=\"{text_y:.1}\" font-size=\"12\" fill=\"#6b6b6b\" \
                     text-anchor=\"start\" direction=\"{dir}\" \
                     data-role=\"no-data\">{none}</text>",
                    dir = value_dir,
                    none = lang.pick("بدون داده", "no data"),
                );
            }
        }
        out.push_str("</g>");
    }
    out.push_str("</svg>");
    out
}

fn shorten(label: &str) -> String {
    if label.chars().count() <= LABEL_CHARS {
        label.to_owned()
    } else {
        let mut short: String = label.chars().take(LABEL_CHARS - 1).collect();
        short.push('…');
        short
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The page's filters.
#[derive(Debug, Default, Deserialize)]
pub struct BenchmarkQuery {
    /// A Jalali year (Persian or ASCII digits); empty for all time.
    #[serde(default)]
    pub year: String,
    /// A quarter of that year, 1 to 4; empty for the whole year.
    #[serde(default)]
    pub quarter: String,
    /// `csv` or `xlsx` to download the table.
    #[serde(default)]
    pub format: String,
}

/// A period the page may show.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    /// The Jalali year.
    pub year: i32,
    /// The quarter, if only one.
    pub quarter: Option<u8>,
}

impl Period {
    /// The instants it covers: from Tehran's midnight of its first day to
    /// that of the day after its last.
    pub fn range(self) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
        let (first_month, next) = match self.quarter {
            Some(q) => (3 * q - 2, (self.year, 3 * q + 1)),
            None => (1, (self.year + 1, 1)),
        };
        let (next_year, next_month) = if next.1 > 12 { (next.0 + 1, 1) } else { next };
        Some((
            tehran_midnight(self.year, first_month)?,
            tehran_midnight(next_year, next_month)?,
        ))
    }
}

/// Midnight in Tehran (UTC+03:30) at the start of a Jalali month.
fn tehran_midnight(year: i32, month: u8) -> Option<DateTime<Utc>> {
    let (y, m, d) = hamafza_kit::jalali::from_jalali(year, month, 1)?;
    let midnight = NaiveDate::from_ymd_opt(y, u32::from(m), u32::from(d))?.and_hms_opt(0, 0, 0)?;
    Some(midnight.and_utc() - chrono::Duration::minutes(3 * 60 + 30))
}

/// The Jalali year it is now in Tehran.
pub(crate) fn this_jalali_year() -> i32 {
    use chrono::Datelike;
    let tehran = hamafza_kit::time::now() + chrono::Duration::minutes(3 * 60 + 30);
    let month = u8::try_from(tehran.month()).unwrap_or(1);
    let day = u8::try_from(tehran.day()).unwrap_or(1);
    hamafza_kit::jalali::to_jalali(tehran.year(), month, day).map_or(1405, |d| d.year)
}

/// Reads the filters: `Ok(None)` is all time; an error names the bad field.
pub fn parse_period(query: &BenchmarkQuery) -> Result<Option<Period>, &'static str> {
    let year = hamafza_kit::jalali::latin_digits(query.year.trim());
    let quarter = hamafza_kit::jalali::latin_digits(query.quarter.trim());
    if year.is_empty() {
        return if quarter.is_empty() {
            Ok(None)
        } else {
            Err("year")
        };
    }
    let year: i32 = year
        .parse()
        .ok()
        .filter(|y| (1349..=1579).contains(y))
        .ok_or("year")?;
    let quarter = if quarter.is_empty() {
        None
    } else {
        Some(
            quarter
                .parse::<u8>()
                .ok()
                .filter(|q| (1..=4).contains(q))
                .ok_or("quarter")?,
        )
    };
    Ok(Some(Period { year, quarter }))
}

/// The table of measures, as the page and the downloads show it.
fn measures_table(
    lang: Lang,
    report: &epb::GetBenchmarkResponse,
    name: &dyn Fn(&str) -> String,
) -> Table {
    let mut table = Table::new([
        lang.pick("سازمان", "Organization"),
        lang.pick("آموزش‌دیدگان", "People trained"),
        lang.pick("ثبت‌نام‌ها", "Enrolments"),
        lang.pick("نرخ تکمیل", "Completion rate"),
        lang.pick("میانگین نمره", "Average score"),
        lang.pick("ساعت آموزش سرانه", "Training hours per head"),
        lang.pick("گواهی‌ها", "Certificates"),
    ]);
    let rate = |v: Option<f64>| {
        v.map_or_else(
            || "—".to_owned(),
            |v| lang.num(format!("{:.0}%", v * 100.0)),
        )
    };
    let decimal =
        |v: Option<f64>| v.map_or_else(|| "—".to_owned(), |v| lang.num(format!("{v:.1}")));
    for organization in &report.organizations {
        let m = organization.measures.unwrap_or_default();
        table.push([
            name(&organization.organization_id),
            lang.count(i64::from(m.people_trained)),
            lang.count(i64::from(m.enrolments)),
            rate(m.completion_rate),
            decimal(m.average_score),
            decimal(m.training_hours_per_head),
            lang.count(i64::from(m.certificates_earned)),
        ]);
    }
    super::hosting::benchmark_columns(lang, report, &mut table);
    table
}

/// `GET /benchmark`.
pub async fn show(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(query): Query<BenchmarkQuery>,
) -> Result<Response, PageError> {
    let lang = viewer.lang;
    let web = viewer.require()?;
    if !viewer.sees_benchmarks() {
        return Err(PageError::api(
            lang,
            ApiError::permission_denied(
                "benchmarking is for org managers, council members and the PR office",
            ),
        ));
    }
    let title = lang.pick("مقایسه شرکت‌ها", "Benchmarking the companies");
    let current_year = this_jalali_year();
    let period = match parse_period(&query) {
        Ok(period) => period,
        Err(field) => {
            let problem = match field {
                "quarter" => lang.pick("فصل باید ۱ تا ۴ باشد.", "The quarter must be 1 to 4."),
                _ => lang.pick(
                    "سال را از فهرست انتخاب کنید.",
                    "Choose a year from the list.",
                ),
            };
            let body = html! {
                h1 { (title) }
                (filters(lang, &query, current_year, Some(problem)))
            };
            return Ok((
                axum::http::StatusCode::BAD_REQUEST,
                page(&viewer, title, body),
            )
                .into_response());
        }
    };
    let range = period
        .and_then(Period::range)
        .map(|(start, end)| common_pb::TimeRange {
            start_time: Some(hamafza_kit::time::to_timestamp(start)),
            end_time: Some(hamafza_kit::time::to_timestamp(end)),
        });
    let report = state
        .backends
        .as_caller(&web.token)
        .reports()
        .get_benchmark(epb::GetBenchmarkRequest {
            period: range,
            ..Default::default()
        })
        .await
        .page(lang)?;
    let organizations = super::lookup::organizations(&state, &web.token).await;
    let name = |id: &str| -> String {
        organizations
            .iter()
            .find(|o| o.id == id)
            .map_or_else(|| id.to_owned(), |o| lang.text(o.name.as_ref()).to_owned())
    };
    let mut table = measures_table(lang, &report, &name);
    super::evaluation_results::add_benchmark_columns(lang, &report, &mut table);
    let companies: Vec<&str> = report
        .organizations
        .iter()
        .map(|o| o.organization_id.as_str())
        .collect();
    super::library::stats::add_columns(&state, &web.token, lang, &mut table, &companies).await;
    if let Some(format) = Format::parse(&query.format) {
        // Every column after the company's name is a measure.
        table.numbers(1..table.headers.len());
        let suffix = period.map_or_else(
            || "all".to_owned(),
            |p| match p.quarter {
                Some(q) => format!("{}-q{q}", p.year),
                None => p.year.to_string(),
            },
        );
        return Ok(download(
            &table,
            format,
            lang,
            &format!("benchmark-{suffix}"),
        ));
    }
    // A company with nothing assessed in the period has no completion rate
    // (the service leaves it unset): "no data", not a 0 % bar. Enrolments
    // made earlier and assessed in the period do give one, as in the table.
    let bars: Vec<Bar> = report
        .organizations
        .iter()
        .map(|o| Bar {
            label: name(&o.organization_id),
            value: o
                .measures
                .and_then(|m| m.completion_rate)
                .map(|rate| rate * 100.0),
        })
        .collect();
    let chart_title = lang.pick("نرخ تکمیل دوره‌ها", "Completion rate");
    let chart = bar_chart(lang, &bars, 100.0, "%", chart_title);
    let period_query = period.map_or_else(String::new, |p| match p.quarter {
        Some(q) => format!("year={}&quarter={q}", p.year),
        None => format!("year={}", p.year),
    });
    let body = html! {
        h1 { (title) }
        (filters(lang, &query, current_year, None))
        h2 { (chart_title) }
        div.chart.wide-only { (svg(&chart)) }
        // On a phone the same figures as a list: a name over its bar.
        ul.bar-list.narrow-only aria-label=(chart_title) {
            @for bar in &bars {
                li {
                    span.name { (bar.label) }
                    @match bar.value {
                        Some(value) => {
                            progress value=(format!("{value:.1}")) max="100" aria-hidden="true" {}
                            span.value { (lang.num(format!("{value:.1}%"))) }
                        }
                        None => { span.value.muted { (lang.pick("بدون داده", "no data")) } }
                    }
                }
            }
        }
        h2 { (lang.pick("شاخص‌ها", "Measures")) }
        (super::org::download_links(lang, "/benchmark", &period_query))
        div.scroll tabindex="0" {
            table {
                thead { tr { @for header in &table.headers { th scope="col" { (header) } } } }
                tbody {
                    @for row in &table.rows {
                        tr { @for cell in row { td { (cell) } } }
                    }
                }
            }
        }
    };
    Ok(page(&viewer, title, body).into_response())
}

/// The period form: a Jalali year (from 1400 to this year) and a quarter.
fn filters(lang: Lang, query: &BenchmarkQuery, current_year: i32, problem: Option<&str>) -> Markup {
    let chosen_year = hamafza_kit::jalali::latin_digits(query.year.trim());
    let chosen_quarter = hamafza_kit::jalali::latin_digits(query.quarter.trim());
    let quarters = [
        ("1", lang.pick("بهار (فصل ۱)", "Spring (Q1)")),
        ("2", lang.pick("تابستان (فصل ۲)", "Summer (Q2)")),
        ("3", lang.pick("پاییز (فصل ۳)", "Autumn (Q3)")),
        ("4", lang.pick("زمستان (فصل ۴)", "Winter (Q4)")),
    ];
    html! {
        form.filters method="get" action="/benchmark" {
            label for="benchmark-year" { (lang.pick("سال", "Year")) }
            select id="benchmark-year" name="year" {
                option value="" selected[chosen_year.is_empty()] { (lang.pick("همه سال‌ها", "All time")) }
                @for year in (1400..=current_year.max(1400)).rev() {
                    @let value = year.to_string();
                    option value=(value) selected[chosen_year == value] { (lang.num(year)) }
                }
            }
            label for="benchmark-quarter" { (lang.pick("فصل", "Quarter")) }
            select id="benchmark-quarter" name="quarter" {
                option value="" selected[chosen_quarter.is_empty()] { (lang.pick("همه سال", "Whole year")) }
                @for (value, label) in quarters {
                    option value=(value) selected[chosen_quarter == value] { (label) }
                }
            }
            button type="submit" { (lang.pick("نمایش", "Show")) }
            @if let Some(problem) = problem { p.error role="alert" { (problem) } }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bars() -> Vec<Bar> {
        vec![
            Bar {
                label: "شرکت فولاد مبارکه اصفهان".to_owned(),
                value: Some(100.0),
            },
            Bar {
                label: "Khuzestan Steel Company, the largest in the south of Iran".to_owned(),
                value: Some(0.0),
            },
            Bar {
                label: "A<B".to_owned(),
                value: None,
            },
        ]
    }

    fn overlaps(a: (f64, f64), b: (f64, f64)) -> bool {
        a.0 < b.1 && b.0 < a.1
    }

    #[test]
    fn labels_never_overlap_bars_or_values_in_either_direction() {
        for lang in [Lang::Fa, Lang::En] {
            for value in [
                None,
                Some(0.0),
                Some(0.4),
                Some(50.0),
                Some(100.0),
                Some(250.0),
            ] {
                let row = row_layout(lang, value, 100.0);
                assert!(!overlaps(row.label, row.bar), "{lang:?} {value:?}: {row:?}");
                assert!(row.label.0 >= 0.0 && row.label.1 <= WIDTH, "{row:?}");
                assert!(row.bar.0 >= 0.0 && row.bar.1 <= WIDTH, "{row:?}");
                // The value's text grows away from both the bar and the label.
                let (x, left) = row.value_at;
                if left {
                    assert!(x <= row.bar.0 && x < row.label.0, "{row:?}");
                    assert!(x >= 70.0, "room for the value's text: {row:?}");
                } else {
                    assert!(x >= row.bar.1 && x > row.label.1, "{row:?}");
                    assert!(WIDTH - x >= 70.0, "room for the value's text: {row:?}");
                }
            }
        }
        // Persian names stand on the right, English ones on the left.
        assert!(row_layout(Lang::Fa, Some(50.0), 100.0).label.0 > WIDTH / 2.0);
        assert!(row_layout(Lang::En, Some(50.0), 100.0).label.1 < WIDTH / 2.0);
    }

    #[test]
    fn the_svg_draws_what_the_layout_says() {
        let chart = bar_chart(Lang::Fa, &bars(), 100.0, "%", "نرخ");
        assert!(chart.starts_with("<svg") && chart.ends_with("</svg>"));
        // The full Persian bar ends where the labels begin, on the right.
        let full = row_layout(Lang::Fa, Some(100.0), 100.0);
        assert!(chart.contains(&format!("x=\"{:.1}\"", full.bar.0)));
        assert!(chart.contains("۱۰۰٫۰٪"));
        // No data is said, not drawn as a bar; names are escaped.
        assert_eq!(chart.matches("data-role=\"bar\"").count(), 2);
        assert!(chart.contains("بدون داده") && chart.contains("A&lt;B"));
        let english = bar_chart(Lang::En, &bars(), 100.0, "%", "Rate");
        assert!(english.contains("no data") && english.contains(">0.0%<"));
        // A long name is shortened on the chart but whole in its tooltip.
        assert!(english.contains(">Khuzestan Steel Company, the …<"));
        assert!(
            english.contains(
                "<title>Khuzestan Steel Company, the largest in the south of Iran</title>"
            )
        );
    }

    #[test]
    fn periods_are_jalali_years_and_quarters_on_tehran_time() {
        let query = |year: &str, quarter: &str| BenchmarkQuery {
            year: year.to_owned(),
            quarter: quarter.to_owned(),
            format: String::new(),
        };
        assert_eq!(parse_period(&query("", "")), Ok(None));
        assert_eq!(parse_period(&query("", "2")), Err("year"));
        assert_eq!(parse_period(&query("0", "")), Err("year"));
        assert_eq!(parse_period(&query("1405", "5")), Err("quarter"));
        let spring = parse_period(&query("۱۴۰۵", "۱")).unwrap().unwrap();
        let (start, end) = spring.range().unwrap();
        // 1 Farvardin 1405 = 21 March 2026; 1 Tir 1405 = 22 June 2026.
        assert_eq!(start.to_rfc3339(), "2026-03-20T20:30:00+00:00");
        assert_eq!(end.to_rfc3339(), "2026-06-21T20:30:00+00:00");
        let winter = Period {
            year: 1404,
            quarter: Some(4),
        }
        .range()
        .unwrap();
        assert_eq!(winter.1.to_rfc3339(), "2026-03-20T20:30:00+00:00");
        let year = Period {
            year: 1404,
            quarter: None,
        }
        .range()
        .unwrap();
        assert_eq!(year.1, winter.1);
    }
}
