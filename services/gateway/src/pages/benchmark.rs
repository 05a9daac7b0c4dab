//! Benchmarking the companies, for org managers, council members and admins:
//! a chart drawn on the server (SVG, no script) and the table of measures.

use std::fmt::Write;

use axum::extract::State;
use hamafza_kit::ApiError;
use maud::{Markup, html};

use super::layout::{page, svg};
use crate::AppState;
use crate::i18n::Lang;
use crate::web::{PageError, Viewer};
use hamafza_proto::courses as cpb;
use hamafza_proto::enrolments as epb;

/// A horizontal bar chart of `values` (0..=max) with labels, as SVG.
fn bar_chart(lang: Lang, rows: &[(String, f64)], max: f64, unit: &str) -> String {
    let row_height = 28;
    let label_width = 260;
    let bar_width = 420.0;
    let height = row_height * rows.len().max(1) + 10;
    let mut out = String::new();
    let _ = write!(
        out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" \
         viewBox=\"0 0 {} {height}\" width=\"100%\" direction=\"{}\">",
        label_width + 520,
        lang.dir()
    );
    for (i, (label, value)) in rows.iter().enumerate() {
        let y = i * row_height + 5;
        let width = if max > 0.0 {
            (value / max * bar_width).max(1.0)
        } else {
            1.0
        };
        let text = escape(label);
        let shown = lang.num(format!("{value:.1}{unit}"));
        let _ = write!(
            out,
            "<text x=\"{lx}\" y=\"{ty}\" font-size=\"13\" text-anchor=\"end\">{text}</text>\
             <rect x=\"{bx}\" y=\"{y}\" width=\"{width:.1}\" height=\"18\" \
             fill=\"#0f5c8c\" rx=\"3\"/>\
             <text x=\"{vx:.1}\" y=\"{ty}\" font-size=\"12\">{shown}</text>",
            lx = label_width - 8,
            ty = y + 14,
            bx = label_width,
            vx = f64::from(u32::try_from(label_width).unwrap_or(0)) + width + 6.0,
        );
    }
    out.push_str("</svg>");
    out
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// `GET /benchmark`.
pub async fn show(State(state): State<AppState>, viewer: Viewer) -> Result<Markup, PageError> {
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
    let report = state
        .backends
        .as_caller(&web.token)
        .reports()
        .get_benchmark(epb::GetBenchmarkRequest::default())
        .await
        .map_err(|s| PageError::status(lang, s))?
        .into_inner();
    let organizations = state
        .backends
        .as_caller(&web.token)
        .organizations()
        .list_organizations(cpb::ListOrganizationsRequest {
            page_size: 200,
            ..Default::default()
        })
        .await
        .map(|r| r.into_inner().organizations)
        .unwrap_or_default();
    let name = |id: &str| -> String {
        organizations
            .iter()
            .find(|o| o.id == id)
            .map_or_else(|| id.to_owned(), |o| lang.text(o.name.as_ref()).to_owned())
    };
    let rows: Vec<(String, f64)> = report
        .organizations
        .iter()
        .filter_map(|o| {
            o.measures.map(|m| {
                (
                    name(&o.organization_id),
                    m.completion_rate.unwrap_or(0.0) * 100.0,
                )
            })
        })
        .collect();
    let chart = bar_chart(lang, &rows, 100.0, "%");
    let title = lang.pick("مقایسه شرکت‌ها", "Benchmarking the companies");
    let rate = |v: Option<f64>| {
        v.map_or_else(
            || "—".to_owned(),
            |v| lang.num(format!("{:.0}%", v * 100.0)),
        )
    };
    let decimal =
        |v: Option<f64>| v.map_or_else(|| "—".to_owned(), |v| lang.num(format!("{v:.1}")));
    Ok(page(
        &viewer,
        title,
        html! {
            h1 { (title) }
            h2 { (lang.pick("نرخ تکمیل دوره‌ها", "Completion rate")) }
            div.chart { (svg(&chart)) }
            h2 { (lang.pick("شاخص‌ها", "Measures")) }
            table {
                thead { tr {
                    th { (lang.pick("سازمان", "Organization")) }
                    th { (lang.pick("آموزش‌دیدگان", "People trained")) }
                    th { (lang.pick("ثبت‌نام‌ها", "Enrolments")) }
                    th { (lang.pick("نرخ تکمیل", "Completion rate")) }
                    th { (lang.pick("میانگین نمره", "Average score")) }
                    th { (lang.pick("ساعت آموزش سرانه", "Training hours per head")) }
                    th { (lang.pick("گواهی‌ها", "Certificates")) }
                } }
                tbody {
                    @for organization in &report.organizations {
                        @let m = organization.measures.unwrap_or_default();
                        tr {
                            td { (name(&organization.organization_id)) }
                            td { (lang.num(m.people_trained)) }
                            td { (lang.num(m.enrolments)) }
                            td { (rate(m.completion_rate)) }
                            td { (decimal(m.average_score)) }
                            td { (decimal(m.training_hours_per_head)) }
                            td { (lang.num(m.certificates_earned)) }
                        }
                    }
                }
            }
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_chart_escapes_labels() {
        let chart = bar_chart(Lang::En, &[("A<B".to_owned(), 50.0)], 100.0, "%");
        assert!(chart.contains("A&lt;B") && chart.contains("50.0%") && chart.starts_with("<svg"));
    }
}
