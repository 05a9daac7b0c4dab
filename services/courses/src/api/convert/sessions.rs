//! Sessions on the wire: statuses, plans parsed from requests (meetings,
//! instructor, quotas) and the session message.

use hamafza_kit::Violations;
use hamafza_kit::time::to_timestamp;
use hamafza_proto::common::{Actor, LocalizedText, TimeRange};
use hamafza_proto::courses as pb;

use super::{PLACE_CHARS, TITLE_CHARS, parse_instant, parse_text};
use crate::domain::sessions::{Instructor, Meeting, SessionPlan, SessionStatus};
use crate::domain::values::{OrganizationId, Required, parse_url};
use crate::store::queries::{SessionRecord, meetings_of};

/// The wire status of a session status.
pub fn session_status_to_wire(status: SessionStatus) -> pb::SessionStatus {
    match status {
        SessionStatus::Planned => pb::SessionStatus::Planned,
        SessionStatus::Open => pb::SessionStatus::Open,
        SessionStatus::Closed => pb::SessionStatus::Closed,
        SessionStatus::Completed => pb::SessionStatus::Completed,
        SessionStatus::Cancelled => pb::SessionStatus::Cancelled,
    }
}

/// Parses a list of session status filters.
pub fn session_statuses_from_wire(
    violations: &mut Violations,
    field: &str,
    values: &[i32],
) -> Vec<SessionStatus> {
    let mut statuses = Vec::new();
    for value in values {
        match pb::SessionStatus::try_from(*value) {
            Ok(pb::SessionStatus::Planned) => statuses.push(SessionStatus::Planned),
            Ok(pb::SessionStatus::Open) => statuses.push(SessionStatus::Open),
            Ok(pb::SessionStatus::Closed) => statuses.push(SessionStatus::Closed),
            Ok(pb::SessionStatus::Completed) => statuses.push(SessionStatus::Completed),
            Ok(pb::SessionStatus::Cancelled) => statuses.push(SessionStatus::Cancelled),
            Ok(pb::SessionStatus::Unspecified) | Err(_) => {
                violations.add(field, format!("{value} is not a session status"));
            }
        }
    }
    statuses
}

/// Parses session details into a plan (cross-field rules are checked later,
/// once the course's delivery mode is known).
pub fn session_plan(
    details: Option<&pb::SessionDetails>,
    violations: &mut Violations,
) -> Option<SessionPlan> {
    let Some(details) = details else {
        violations.add("details", "is required");
        return None;
    };
    let mut meetings = Vec::new();
    for (i, meeting) in details.meetings.iter().enumerate() {
        let field = format!("details.meetings[{i}]");
        let start = parse_instant(
            violations,
            &format!("{field}.start_time"),
            meeting.start_time.as_ref(),
        );
        let end = parse_instant(
            violations,
            &format!("{field}.end_time"),
            meeting.end_time.as_ref(),
        );
        let topic = parse_text(
            violations,
            &format!("{field}.topic"),
            meeting.topic.as_ref(),
            TITLE_CHARS,
            Required::Optional,
        );
        if let (Some(start), Some(end), Some(topic)) = (start, end, topic) {
            meetings.push(Meeting {
                start,
                end,
                topic_fa: topic.fa,
                topic_en: topic.en,
            });
        }
    }
    let venue = parse_text(
        violations,
        "details.venue",
        details.venue.as_ref(),
        PLACE_CHARS,
        Required::Optional,
    );
    let online_url = if details.online_url.trim().is_empty() {
        Some(None)
    } else {
        violations
            .take("details.online_url", parse_url(&details.online_url))
            .map(Some)
    };
    let instructor = match &details.instructor {
        Some(actor) if !actor.subject.trim().is_empty() => {
            let subject = violations.take(
                "details.instructor.subject",
                hamafza_kit::text::single_line(&actor.subject, 200),
            );
            let name = violations.take(
                "details.instructor.name",
                hamafza_kit::text::single_line(&actor.name, 200),
            );
            if !actor.organization_id.is_empty() {
                violations.take(
                    "details.instructor.organization_id",
                    OrganizationId::parse(&actor.organization_id),
                );
            }
            subject.zip(name).map(|(subject, name)| Instructor {
                subject,
                name,
                organization_id: actor.organization_id.clone(),
            })
        }
        _ => {
            violations.add("details.instructor.subject", "is required");
            None
        }
    };
    let mut quotas = Vec::new();
    for (i, quota) in details.quotas.iter().enumerate() {
        if let Some(organization) = violations.take(
            format!("details.quotas[{i}].organization_id"),
            OrganizationId::parse(&quota.organization_id),
        ) {
            quotas.push((organization, quota.seats));
        }
    }
    let window = details.enrolment_window.as_ref();
    let opens = parse_instant(
        violations,
        "details.enrolment_window.start_time",
        window.and_then(|w| w.start_time.as_ref()),
    );
    let closes = parse_instant(
        violations,
        "details.enrolment_window.end_time",
        window.and_then(|w| w.end_time.as_ref()),
    );
    match (venue, online_url, instructor, opens, closes) {
        (
            Some(venue),
            Some(online_url),
            Some(instructor),
            Some(enrolment_opens),
            Some(enrolment_closes),
        ) if meetings.len() == details.meetings.len() => Some(SessionPlan {
            meetings,
            venue,
            online_url,
            instructor,
            capacity: details.capacity,
            quotas,
            enrolment_opens,
            enrolment_closes,
        }),
        _ => None,
    }
}

/// A session on the wire.
pub fn session_to_wire(record: SessionRecord) -> pb::Session {
    let meetings = meetings_of(&record.session);
    let hosting = record.hosting.map(crate::api::hosting::hosting_to_wire);
    let row = record.session;
    pb::Session {
        id: row.id.to_string(),
        course_id: row.course_id.to_string(),
        details: Some(pb::SessionDetails {
            meetings: meetings
                .into_iter()
                .map(|m| pb::Meeting {
                    start_time: Some(to_timestamp(m.start)),
                    end_time: Some(to_timestamp(m.end)),
                    topic: Some(LocalizedText {
                        fa: m.topic_fa,
                        en: m.topic_en,
                    }),
                })
                .collect(),
            venue: Some(LocalizedText {
                fa: row.venue_fa,
                en: row.venue_en,
            }),
            online_url: row.online_url,
            instructor: Some(Actor {
                subject: row.instructor_subject,
                name: row.instructor_name,
                organization_id: row.instructor_organization_id,
            }),
            capacity: u32::try_from(row.capacity).unwrap_or(0),
            quotas: record
                .quotas
                .into_iter()
                .map(|q| pb::SeatQuota {
                    organization_id: q.organization_id,
                    seats: u32::try_from(q.seats).unwrap_or(0),
                })
                .collect(),
            enrolment_window: Some(TimeRange {
                start_time: Some(to_timestamp(row.enrolment_opens_at)),
                end_time: Some(to_timestamp(row.enrolment_closes_at)),
            }),
        }),
        status: session_status_to_wire(row.status).into(),
        cancel_reason: row.cancel_reason,
        start_time: Some(to_timestamp(row.starts_at)),
        end_time: Some(to_timestamp(row.ends_at)),
        create_time: Some(to_timestamp(row.created_at)),
        update_time: Some(to_timestamp(row.updated_at)),
        etag: hamafza_kit::update::etag(row.revision),
        host_organization_id: row.host_organization_id.unwrap_or_default(),
        hosting,
    }
}
