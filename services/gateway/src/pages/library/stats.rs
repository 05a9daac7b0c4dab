//! The library's benchmark signal: items each company published and files
//! its people downloaded, added as columns to the benchmark table (page,
//! CSV and Excel alike).

use hamafza_kit::sheet::Table;

use crate::AppState;
use crate::i18n::Lang;
use hamafza_proto::library as lpb;

/// Adds the two library columns to `table`, whose rows are `companies` in
/// order. When the library does not answer the cells say "—": the rest of
/// the benchmark stands without it.
pub async fn add_columns(
    state: &AppState,
    token: &str,
    lang: Lang,
    table: &mut Table,
    companies: &[&str],
) {
    let figures = state
        .backends
        .as_caller(token)
        .library()
        .get_library_stats(lpb::GetLibraryStatsRequest {})
        .await
        .map(|reply| reply.into_inner().companies)
        .ok();
    table.headers.push(
        lang.pick(
            "موارد منتشرشده در کتابخانه (همهٔ زمان‌ها)",
            "Library items published (all time)",
        )
        .to_owned(),
    );
    table.headers.push(
        lang.pick(
            "دریافت از کتابخانه (همهٔ زمان‌ها)",
            "Library downloads (all time)",
        )
        .to_owned(),
    );
    for (row, company) in table.rows.iter_mut().zip(companies) {
        let (published, downloads) = match &figures {
            Some(figures) => {
                let found = figures.iter().find(|f| f.organization_id == *company);
                (
                    lang.count(found.map_or(0, |f| f.items_published)),
                    lang.count(found.map_or(0, |f| f.downloads)),
                )
            }
            None => ("—".to_owned(), "—".to_owned()),
        };
        row.push(published);
        row.push(downloads);
    }
}
