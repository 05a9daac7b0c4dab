//! iCalendar (RFC 5545) feeds, written by the `icalendar` crate: escaped
//! text, UTC times, CRLF lines folded at 75 octets without splitting a
//! character.

use chrono::{DateTime, Utc};
use icalendar::{Calendar, Component, EventLike, Property};
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
    /// Only pencilled in (a waitlisted or not yet approved enrolment).
    pub tentative: bool,
}

/// A whole calendar named `name`.
pub fn calendar(name: &str, entries: &[Entry], now: DateTime<Utc>) -> String {
    let mut calendar = Calendar::empty();
    for (key, value) in [
        ("VERSION", "2.0"),
        ("PRODID", "-//Hamafza//Training calendar//FA"),
        ("CALSCALE", "GREGORIAN"),
        ("METHOD", "PUBLISH"),
    ] {
        calendar.append_property(Property::new(key, value));
    }
    // Not `Calendar::name`: it writes NAME unescaped (the crate escapes
    // X-WR-CALNAME only), and a person's name may hold `,` or `;`.
    calendar.append_property(Property::new("NAME", escape_text(name)));
    calendar.append_property(Property::new("X-WR-CALNAME", name));
    for entry in entries {
        let mut event = icalendar::Event::new();
        event
            .uid(&entry.uid)
            .timestamp(now)
            .starts(entry.start)
            .ends(entry.end)
            .summary(&entry.summary);
        if !entry.location.is_empty() {
            event.location(&entry.location);
        }
        if !entry.description.is_empty() {
            event.description(&entry.description);
        }
        if !entry.url.is_empty() {
            event.url(&entry.url);
        }
        event.status(if entry.tentative {
            icalendar::EventStatus::Tentative
        } else {
            icalendar::EventStatus::Confirmed
        });
        calendar.push(event.done());
    }
    calendar.done().to_string()
}

/// A TEXT value as RFC 5545 (3.3.11) writes it: backslash, semicolon and
/// comma escaped, line breaks as `\n`.
fn escape_text(value: &str) -> String {
    let mut escaped = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => escaped.push_str("\\\\"),
            ';' => escaped.push_str("\\;"),
            ',' => escaped.push_str("\\,"),
            '\n' => escaped.push_str("\\n"),
            '\r' => {}
            other => escaped.push(other),
        }
    }
    escaped
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
            tentative: true,
        };
        let feed = calendar("Hamafza", &[entry], start);
        assert!(feed.starts_with("BEGIN:VCALENDAR\r\n"));
        assert!(feed.ends_with("END:VCALENDAR\r\n"));
        assert!(feed.contains("DTSTART:20261201T063000Z\r\n"));
        assert!(feed.contains("\\; ویژه"), "text is escaped: {feed}");
        assert!(feed.contains("PRODID:-//Hamafza//Training calendar//FA\r\n"));
        assert!(feed.contains("X-WR-CALNAME:Hamafza\r\n"));
        assert!(feed.contains("DTSTAMP:20261201T063000Z\r\n"));
        assert!(feed.contains("STATUS:TENTATIVE\r\n"));
        for line in feed.split("\r\n") {
            assert!(line.len() <= 75, "{line}");
        }
        assert!(!feed.replace("\r\n", "").contains('\n'));
        // The calendar's name is text too (a person's name may hold , or ;).
        let named = calendar("Ahmadi, Sara; PR", &[], start);
        assert!(
            named.contains("\r\nNAME:Ahmadi\\, Sara\\; PR\r\n"),
            "{named}"
        );
        assert!(
            named.contains("\r\nX-WR-CALNAME:Ahmadi\\, Sara\\; PR\r\n"),
            "{named}"
        );
    }
}
