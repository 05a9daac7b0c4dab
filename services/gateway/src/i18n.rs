//! Persian first, English alongside: the language of a page, its direction,
//! digits and dates.

use chrono::{DateTime, Utc};
use hamafza_kit::jalali;

/// A page's language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    /// Persian: right to left, Persian digits, Solar Hijri dates.
    Fa,
    /// English: left to right, Gregorian dates.
    En,
}

impl Lang {
    /// From a `lang` parameter or cookie; Persian unless English is asked for.
    pub fn parse(value: Option<&str>) -> Self {
        match value {
            Some("en") => Self::En,
            _ => Self::Fa,
        }
    }

    /// `fa` or `en`.
    pub fn code(self) -> &'static str {
        match self {
            Self::Fa => "fa",
            Self::En => "en",
        }
    }

    /// `rtl` or `ltr`.
    pub fn dir(self) -> &'static str {
        match self {
            Self::Fa => "rtl",
            Self::En => "ltr",
        }
    }

    /// The other language.
    pub fn other(self) -> Self {
        match self {
            Self::Fa => Self::En,
            Self::En => Self::Fa,
        }
    }

    /// Picks the text in this language.
    pub fn pick<'a>(self, fa: &'a str, en: &'a str) -> &'a str {
        match self {
            Self::Fa => fa,
            Self::En => en,
        }
    }

    /// Picks bilingual text, falling back to the other language when empty.
    pub fn text(self, text: Option<&hamafza_proto::common::LocalizedText>) -> &str {
        let Some(text) = text else { return "" };
        match self {
            Self::Fa if !text.fa.is_empty() => &text.fa,
            Self::En if !text.en.is_empty() => &text.en,
            Self::Fa => &text.en,
            Self::En => &text.fa,
        }
    }

    /// A number in this language's digits.
    pub fn num(self, value: impl std::fmt::Display) -> String {
        let text = value.to_string();
        match self {
            Self::Fa => jalali::persian_digits(&text),
            Self::En => text,
        }
    }

    /// A date: Solar Hijri in Persian, Gregorian in English.
    pub fn date(self, instant: DateTime<Utc>) -> String {
        let shown = jalali::show(instant);
        match self {
            Self::Fa => shown.jalali_long,
            Self::En => shown.gregorian_long,
        }
    }

    /// A date with the time of day in Tehran.
    pub fn date_time(self, instant: DateTime<Utc>) -> String {
        let tehran = instant + chrono::Duration::minutes(210);
        let time = tehran.format("%H:%M").to_string();
        format!("{} {}", self.date(instant), self.num(time))
    }
}

/// An instant from the wire.
pub fn instant(timestamp: Option<&prost_types::Timestamp>) -> Option<DateTime<Utc>> {
    timestamp.and_then(hamafza_kit::time::from_timestamp)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn persian_dates_and_digits() {
        let nowruz = Utc.with_ymd_and_hms(2026, 3, 21, 6, 0, 0).unwrap();
        assert_eq!(Lang::Fa.date(nowruz), "۱ فروردین ۱۴۰۵");
        assert_eq!(Lang::En.date(nowruz), "21 March 2026");
        assert_eq!(Lang::Fa.num(42), "۴۲");
        assert_eq!(Lang::Fa.date_time(nowruz), "۱ فروردین ۱۴۰۵ ۰۹:۳۰");
        assert_eq!(Lang::parse(Some("en")), Lang::En);
        assert_eq!(Lang::parse(Some("de")), Lang::Fa);
    }
}
