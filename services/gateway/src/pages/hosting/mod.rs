//! Company-hosted sessions in the web app: a company's PR manager proposes a
//! session at its venue with its own instructor (`/org/hosting`), the
//! holding's admins accept or decline the proposals (`/admin/hosting`), and
//! the benchmark counts what each company hosted.

pub mod propose;
pub mod queue;

use hamafza_kit::sheet::Table;
use hamafza_proto::courses as cpb;
use hamafza_proto::enrolments as epb;
use maud::{Markup, html};

use crate::i18n::Lang;

/// The benchmark's hosting columns, added to its table: sessions hosted and
/// people of other companies trained in them.
pub fn benchmark_columns(lang: Lang, report: &epb::GetBenchmarkResponse, table: &mut Table) {
    table.headers.push(
        lang.pick("دوره‌های میزبانی‌شده", "Sessions hosted")
            .to_owned(),
    );
    table.headers.push(
        lang.pick(
            "آموزش‌دیدگان شرکت‌های دیگر",
            "Other companies' people trained",
        )
        .to_owned(),
    );
    for (row, organization) in table.rows.iter_mut().zip(&report.organizations) {
        let m = organization.measures.unwrap_or_default();
        row.push(lang.count(i64::from(m.hosted_sessions)));
        row.push(lang.count(i64::from(m.guests_trained)));
    }
}

/// A proposal's state as a badge.
pub fn state_badge(lang: Lang, session: &cpb::Session) -> Markup {
    let state = session
        .hosting
        .as_ref()
        .map_or(cpb::HostingState::Unspecified, cpb::Hosting::state);
    let (class, fa, en) = match state {
        cpb::HostingState::Accepted => ("badge ok", "پذیرفته", "Accepted"),
        cpb::HostingState::Declined => ("badge bad", "نپذیرفته", "Declined"),
        _ => ("badge warn", "در انتظار بررسی", "Awaiting review"),
    };
    html! { span class=(class) { (lang.pick(fa, en)) } }
}

/// The first meeting and the venue of a session, for a list.
pub fn when_and_where(lang: Lang, session: &cpb::Session) -> String {
    let venue = lang.text(session.details.as_ref().and_then(|d| d.venue.as_ref()));
    match crate::i18n::instant(session.start_time.as_ref()) {
        Some(start) if venue.is_empty() => lang.date(start),
        Some(start) => format!("{} — {venue}", lang.date(start)),
        None => venue.to_owned(),
    }
}
