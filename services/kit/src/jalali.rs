//! Dates for people: Solar Hijri (Jalali) with Persian digits, and Gregorian,
//! both on the civil calendar of Tehran. The calendar arithmetic is ICU4X's.
//! A presentation concern shared by certificate rendering and the web app.

use chrono::{DateTime, Datelike, FixedOffset, Offset, Utc};
use icu_calendar::Date;
use icu_calendar::Iso;
use icu_calendar::cal::Persian;

/// Iran Standard Time; Iran has not observed daylight saving time since 2022.
const TEHRAN_OFFSET_SECONDS: i32 = 3 * 3600 + 30 * 60;

const MONTHS_FA: [&str; 12] = [
    "فروردین",
    "اردیبهشت",
    "خرداد",
    "تیر",
    "مرداد",
    "شهریور",
    "مهر",
    "آبان",
    "آذر",
    "دی",
    "بهمن",
    "اسفند",
];
const MONTHS_EN: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// A date shown four ways.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShownDate {
    /// `۱۴۰۵/۱/۱`.
    pub jalali_short: String,
    /// `۱ فروردین ۱۴۰۵`.
    pub jalali_long: String,
    /// `2026-03-21`.
    pub gregorian_short: String,
    /// `21 March 2026`.
    pub gregorian_long: String,
}

/// A Solar Hijri date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JalaliDate {
    /// Year (1405 for 2026-03-21).
    pub year: i32,
    /// Month, 1-12.
    pub month: u8,
    /// Day, 1-31.
    pub day: u8,
}

/// The Solar Hijri date of a Gregorian calendar date.
pub fn to_jalali(year: i32, month: u8, day: u8) -> Option<JalaliDate> {
    let iso = Date::try_new_iso(year, month, day).ok()?;
    let persian = iso.to_calendar(Persian);
    Some(JalaliDate {
        year: persian.era_year().year,
        month: persian.month().ordinal,
        day: persian.day_of_month().0,
    })
}

/// The Gregorian calendar date (year, month, day) of a Solar Hijri date, or
/// `None` when there is no such date (month 13, 31 Esfand).
pub fn from_jalali(year: i32, month: u8, day: u8) -> Option<(i32, u8, u8)> {
    let persian = Date::try_new_persian(year, month, day).ok()?;
    let iso = persian.to_calendar(Iso);
    Some((
        iso.era_year().year,
        iso.month().ordinal,
        iso.day_of_month().0,
    ))
}

/// Writes ASCII digits as Persian digits (۰-۹).
pub fn persian_digits(text: &str) -> String {
    text.chars()
        .map(|c| match c.to_digit(10) {
            Some(d) => char::from_u32(0x06F0 + d).unwrap_or(c),
            None => c,
        })
        .collect()
}

/// Persian (۰-۹) and Arabic-Indic (٠-٩) digits written as ASCII ones, so
/// "۸۵" reads as 85 wherever people type numbers.
pub fn latin_digits(text: &str) -> String {
    text.chars().map(latin_digit).collect()
}

/// One character of [`latin_digits`].
pub fn latin_digit(c: char) -> char {
    let zero = match c {
        '۰'..='۹' => '۰',
        '٠'..='٩' => '٠',
        _ => return c,
    };
    char::from_u32(u32::from(c) - u32::from(zero) + u32::from('0')).unwrap_or(c)
}

/// The Jalali months' names in English transliteration.
const MONTHS_JALALI_EN: [&str; 12] = [
    "Farvardin",
    "Ordibehesht",
    "Khordad",
    "Tir",
    "Mordad",
    "Shahrivar",
    "Mehr",
    "Aban",
    "Azar",
    "Dey",
    "Bahman",
    "Esfand",
];

/// A Jalali month's name: Persian (`آذر`) or transliterated (`Azar`).
pub fn month_name(month: u8, persian: bool) -> &'static str {
    let index = usize::from(month.clamp(1, 12) - 1);
    if persian {
        MONTHS_FA[index]
    } else {
        MONTHS_JALALI_EN[index]
    }
}

/// The civil date in Tehran of an instant: Gregorian and Jalali.
pub fn tehran_date(instant: DateTime<Utc>) -> (chrono::NaiveDate, Option<JalaliDate>) {
    let offset = FixedOffset::east_opt(TEHRAN_OFFSET_SECONDS).unwrap_or_else(|| Utc.fix());
    let local = instant.with_timezone(&offset).date_naive();
    let jalali = to_jalali(
        local.year(),
        u8::try_from(local.month()).unwrap_or(1),
        u8::try_from(local.day()).unwrap_or(1),
    );
    (local, jalali)
}

/// One Jalali month's days: the Gregorian date of each, from the 1st.
pub fn month_days(year: i32, month: u8) -> Vec<chrono::NaiveDate> {
    (1..=31)
        .map_while(|day| {
            let (y, m, d) = from_jalali(year, month, day)?;
            chrono::NaiveDate::from_ymd_opt(y, u32::from(m), u32::from(d))
        })
        .collect()
}

/// The instant Tehran's day `date` begins.
pub fn tehran_midnight(date: chrono::NaiveDate) -> DateTime<Utc> {
    date.and_time(chrono::NaiveTime::MIN).and_utc()
        - chrono::Duration::seconds(i64::from(TEHRAN_OFFSET_SECONDS))
}

/// `instant` on Tehran's clock (UTC+03:30; Iran keeps no daylight saving
/// time since 2022).
pub fn tehran(instant: DateTime<Utc>) -> DateTime<FixedOffset> {
    let offset = FixedOffset::east_opt(TEHRAN_OFFSET_SECONDS).unwrap_or_else(|| Utc.fix());
    instant.with_timezone(&offset)
}

/// The civil date of `instant` in Tehran, shown four ways.
pub fn show(instant: DateTime<Utc>) -> ShownDate {
    let offset = FixedOffset::east_opt(TEHRAN_OFFSET_SECONDS).unwrap_or_else(|| Utc.fix());
    let local = instant.with_timezone(&offset).date_naive();
    let (y, m, d) = (
        local.year(),
        u8::try_from(local.month()).unwrap_or(1),
        u8::try_from(local.day()).unwrap_or(1),
    );
    let gregorian_short = format!("{y:04}-{m:02}-{d:02}");
    let gregorian_long = format!("{d} {} {y}", MONTHS_EN[usize::from(m - 1)]);
    match to_jalali(y, m, d) {
        Some(j) => ShownDate {
            jalali_short: persian_digits(&format!("{}/{}/{}", j.year, j.month, j.day)),
            jalali_long: format!(
                "{} {} {}",
                persian_digits(&j.day.to_string()),
                MONTHS_FA[usize::from(j.month.clamp(1, 12) - 1)],
                persian_digits(&j.year.to_string())
            ),
            gregorian_short,
            gregorian_long,
        },
        None => ShownDate {
            jalali_short: String::new(),
            jalali_long: String::new(),
            gregorian_short,
            gregorian_long,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn known_conversions() {
        assert_eq!(
            to_jalali(2026, 3, 21),
            Some(JalaliDate {
                year: 1405,
                month: 1,
                day: 1
            })
        );
        assert_eq!(
            to_jalali(2020, 2, 17),
            Some(JalaliDate {
                year: 1398,
                month: 11,
                day: 28
            })
        );
        assert_eq!(
            to_jalali(2025, 3, 20),
            Some(JalaliDate {
                year: 1403,
                month: 12,
                day: 30
            }),
            "1403 is a leap year"
        );
        assert_eq!(
            to_jalali(2026, 11, 26),
            Some(JalaliDate {
                year: 1405,
                month: 9,
                day: 5
            })
        );
    }

    #[test]
    fn months_of_the_jalali_calendar() {
        let azar = month_days(1405, 9);
        assert_eq!(azar.len(), 30);
        assert_eq!(azar[0].to_string(), "2026-11-22");
        assert_eq!(month_days(1405, 1).len(), 31);
        assert_eq!(month_days(1403, 12).len(), 30, "1403 is leap");
        assert_eq!(month_days(1404, 12).len(), 29);
        assert_eq!(month_name(9, true), "آذر");
        assert_eq!(month_name(9, false), "Azar");
        let midnight = tehran_midnight(azar[0]);
        assert_eq!(midnight.to_rfc3339(), "2026-11-21T20:30:00+00:00");
        let (date, jalali) = tehran_date(midnight);
        assert_eq!((date, jalali.map(|j| j.day)), (azar[0], Some(1)));
        let (date, _) = tehran_date(midnight - chrono::Duration::seconds(1));
        assert_eq!(date.to_string(), "2026-11-21");
    }

    #[test]
    fn back_from_jalali() {
        assert_eq!(from_jalali(1405, 1, 1), Some((2026, 3, 21)));
        assert_eq!(from_jalali(1405, 10, 20), Some((2027, 1, 10)));
        assert_eq!(
            from_jalali(1403, 12, 30),
            Some((2025, 3, 20)),
            "1403 is leap"
        );
        assert_eq!(from_jalali(1404, 12, 30), None, "1404 is not");
        assert_eq!(from_jalali(1405, 13, 1), None);
    }

    #[test]
    fn shown_in_persian_and_english_on_tehran_time() {
        // 21:00 UTC on 20 March is already 21 March (Nowruz) in Tehran.
        let shown = show(Utc.with_ymd_and_hms(2026, 3, 20, 21, 0, 0).unwrap());
        assert_eq!(shown.jalali_short, "۱۴۰۵/۱/۱");
        assert_eq!(shown.jalali_long, "۱ فروردین ۱۴۰۵");
        assert_eq!(shown.gregorian_short, "2026-03-21");
        assert_eq!(shown.gregorian_long, "21 March 2026");
        assert_eq!(persian_digits("1398/11/28"), "۱۳۹۸/۱۱/۲۸");
    }
}
