//! Calendar invitations (iTIP, RFC 5546) written by the `icalendar` crate:
//! one VEVENT per meeting, each with a UID that stays the same for the
//! session's meeting, so a later REQUEST updates and a CANCEL withdraws the
//! very entries the first invitation made; SEQUENCE grows with the event's
//! time.

use chrono::{DateTime, TimeZone, Utc};
use icalendar::{Calendar, Component, EventLike, EventStatus, Property};

use crate::wording::Meeting;

/// Whether the invitation offers the meetings or withdraws them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// `METHOD:REQUEST`: add or update.
    Request,
    /// `METHOD:CANCEL`: withdraw.
    Cancel,
}

impl Method {
    /// The iTIP method's name, also the MIME part's `method` parameter.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Request => "REQUEST",
            Self::Cancel => "CANCEL",
        }
    }
}

/// What an invitation says.
#[derive(Debug, Clone)]
pub struct Invitation<'a> {
    /// Add or withdraw.
    pub method: Method,
    /// The session, whose id makes the meetings' UIDs.
    pub session_id: &'a str,
    /// Its meetings, in order.
    pub meetings: &'a [Meeting],
    /// The entries' title.
    pub summary: &'a str,
    /// Where.
    pub location: &'a str,
    /// A link to the session.
    pub url: &'a str,
    /// The sender's address (the organizer).
    pub organizer: &'a str,
    /// The attendee's address and name.
    pub attendee: (&'a str, &'a str),
    /// When the change happened: makes SEQUENCE and DTSTAMP.
    pub changed_at: DateTime<Utc>,
}

/// The UID of a session's `index`th meeting (0-based).
pub fn meeting_uid(session_id: &str, index: usize) -> String {
    format!("session-{session_id}-meeting-{}@hamafza", index + 1)
}

/// SEQUENCE: seconds since 2026 at the change, so every later change of the
/// same meetings carries a higher number (RFC 5546 §2.1.4).
pub fn sequence(changed_at: DateTime<Utc>) -> u32 {
    let epoch = Utc
        .with_ymd_and_hms(2026, 1, 1, 0, 0, 0)
        .single()
        .unwrap_or_default();
    u32::try_from((changed_at - epoch).num_seconds().max(0)).unwrap_or(u32::MAX)
}

/// The invitation as an iCalendar object.
pub fn calendar(invitation: &Invitation<'_>) -> String {
    let mut calendar = Calendar::empty();
    for (key, value) in [
        ("VERSION", "2.0"),
        ("PRODID", "-//Hamafza//Notifications//FA"),
        ("CALSCALE", "GREGORIAN"),
        ("METHOD", invitation.method.as_str()),
    ] {
        calendar.append_property(Property::new(key, value));
    }
    let sequence = sequence(invitation.changed_at);
    let (attendee_address, attendee_name) = invitation.attendee;
    for (index, meeting) in invitation.meetings.iter().enumerate() {
        let mut event = icalendar::Event::new();
        event
            .uid(&meeting_uid(invitation.session_id, index))
            .sequence(sequence)
            .timestamp(invitation.changed_at)
            .starts(meeting.start)
            .ends(meeting.end)
            .summary(invitation.summary);
        event.append_property(Property::new(
            "ORGANIZER",
            format!("mailto:{}", invitation.organizer),
        ));
        let mut attendee = Property::new("ATTENDEE", format!("mailto:{attendee_address}"));
        attendee.add_parameter("CN", attendee_name);
        attendee.add_parameter("ROLE", "REQ-PARTICIPANT");
        if invitation.method == Method::Request {
            attendee.add_parameter("PARTSTAT", "NEEDS-ACTION");
        }
        event.append_property(attendee);
        if !invitation.location.is_empty() {
            event.location(invitation.location);
        }
        if !invitation.url.is_empty() {
            event.url(invitation.url);
        }
        event.status(match invitation.method {
            Method::Request => EventStatus::Confirmed,
            Method::Cancel => EventStatus::Cancelled,
        });
        calendar.push(event.done());
    }
    calendar.done().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cancel_names_the_same_uids_with_a_higher_sequence() {
        let start = Utc
            .with_ymd_and_hms(2026, 12, 1, 5, 30, 0)
            .single()
            .unwrap_or_default();
        let meetings = [
            Meeting {
                start,
                end: start + chrono::Duration::hours(2),
            },
            Meeting {
                start: start + chrono::Duration::days(1),
                end: start + chrono::Duration::days(1) + chrono::Duration::hours(2),
            },
        ];
        let mut invitation = Invitation {
            method: Method::Request,
            session_id: "s1",
            meetings: &meetings,
            summary: "روابط عمومی; ویژه",
            location: "تهران",
            url: "",
            organizer: "no-reply@hamafza.localhost",
            attendee: ("sara@example.com", "سارا"),
            changed_at: start - chrono::Duration::days(10),
        };
        let request = calendar(&invitation);
        invitation.method = Method::Cancel;
        invitation.changed_at = start - chrono::Duration::days(5);
        let cancel = calendar(&invitation);
        assert!(request.contains("METHOD:REQUEST\r\n"));
        assert!(cancel.contains("METHOD:CANCEL\r\n"));
        for uid in [
            "session-s1-meeting-1@hamafza",
            "session-s1-meeting-2@hamafza",
        ] {
            assert!(request.contains(uid) && cancel.contains(uid));
        }
        assert!(
            sequence(start - chrono::Duration::days(5))
                > sequence(start - chrono::Duration::days(10))
        );
        assert!(cancel.contains("STATUS:CANCELLED"));
    }
}
