//! Wire <-> domain: parsing requests into validated drafts (collecting every
//! field violation) and rendering stored records as protobuf messages, one
//! module per message family; the parsing they share is here.

mod catalog;
mod events;
pub mod masks;
mod organizations;
mod people;
mod sessions;

use chrono::{DateTime, Datelike, Utc};
use hamafza_kit::Violations;
pub use hamafza_kit::error::parse_id;
use hamafza_kit::time::from_timestamp;
use hamafza_proto::common::{LocalizedText, TimeRange};

pub use catalog::{
    Audience, catalog_status_to_wire, catalog_statuses_from_wire, course_draft, course_to_wire,
    member_vote_to_wire, program_draft, program_to_wire, vote_decision_from_wire, vote_to_wire,
};
pub use events::{event_draft, event_kind_from_wire, event_to_wire};
pub use organizations::{
    organization_draft, organization_kind_from_wire, organization_kind_to_wire,
    organization_to_wire,
};
pub use people::{person_draft, person_to_wire};
pub use sessions::{
    session_plan, session_status_to_wire, session_statuses_from_wire, session_to_wire,
};

use crate::domain::values::{Bilingual, OrganizationId, Required};

/// Longest title, in characters.
const TITLE_CHARS: usize = 200;
/// Longest description, in characters.
const DESCRIPTION_CHARS: usize = 4000;
/// Most characters of who a course is for, in each language.
const AUDIENCE_CHARS: usize = 1000;
/// Longest place or venue, in characters.
const PLACE_CHARS: usize = 300;
/// Instants are accepted within these years: both databases order them
/// correctly there, and nothing in a training calendar lies outside.
const EARLIEST_YEAR: i32 = 1970;
/// See [`EARLIEST_YEAR`].
const LATEST_YEAR: i32 = 2200;

/// The details a draft is parsed from: a request without them is refused
/// whole.
fn required_details<T>(details: Option<&T>) -> Result<&T, hamafza_kit::ApiError> {
    details.ok_or_else(|| hamafza_kit::ApiError::invalid_field("details", "is required"))
}

/// The title (in both languages) and the optional description that courses,
/// programs and events carry.
fn parse_title_and_description(
    violations: &mut Violations,
    title: Option<&LocalizedText>,
    description: Option<&LocalizedText>,
) -> (Option<Bilingual>, Option<Bilingual>) {
    let title = parse_text(
        violations,
        "details.title",
        title,
        TITLE_CHARS,
        Required::Both,
    );
    let description = parse_text(
        violations,
        "details.description",
        description,
        DESCRIPTION_CHARS,
        Required::Optional,
    );
    (title, description)
}

/// Parses a bilingual text field; `None` stands for an unset message.
pub fn parse_text(
    violations: &mut Violations,
    field: &str,
    text: Option<&LocalizedText>,
    max_chars: usize,
    required: Required,
) -> Option<Bilingual> {
    let (fa, en) = text.map_or(("", ""), |t| (t.fa.as_str(), t.en.as_str()));
    match Bilingual::parse(fa, en, max_chars, required) {
        Ok(text) => Some(text),
        Err(problems) => {
            for (lang, problem) in problems {
                violations.add(format!("{field}.{lang}"), problem);
            }
            None
        }
    }
}

/// Parses a required instant.
pub fn parse_instant(
    violations: &mut Violations,
    field: &str,
    value: Option<&prost_types::Timestamp>,
) -> Option<DateTime<Utc>> {
    match value {
        None => {
            violations.add(field, "is required");
            None
        }
        Some(timestamp) => {
            let instant = from_timestamp(timestamp)
                .and_then(|t| DateTime::from_timestamp_micros(t.timestamp_micros()))
                .filter(|t| (EARLIEST_YEAR..=LATEST_YEAR).contains(&t.year()));
            if instant.is_none() {
                violations.add(
                    field,
                    format!(
                        "must be an instant between the years {EARLIEST_YEAR} and {LATEST_YEAR}"
                    ),
                );
            }
            instant
        }
    }
}

/// Parses an optional time range into (from, until).
pub fn parse_range(
    violations: &mut Violations,
    field: &str,
    range: Option<&TimeRange>,
) -> (Option<DateTime<Utc>>, Option<DateTime<Utc>>) {
    let Some(range) = range else {
        return (None, None);
    };
    let from = range
        .start_time
        .as_ref()
        .and_then(|t| parse_instant(violations, &format!("{field}.start_time"), Some(t)));
    let until = range
        .end_time
        .as_ref()
        .and_then(|t| parse_instant(violations, &format!("{field}.end_time"), Some(t)));
    if let (Some(from), Some(until)) = (from, until)
        && until <= from
    {
        violations.add(format!("{field}.end_time"), "must be after start_time");
    }
    (from, until)
}

/// Parses an optional text filter.
pub fn parse_text_filter(violations: &mut Violations, field: &str, text: &str) -> Option<String> {
    violations
        .take(field, hamafza_kit::text::single_line(text, 100))
        .filter(|text| !text.is_empty())
}

/// Parses an optional organization id filter.
pub fn parse_organization_filter(
    violations: &mut Violations,
    field: &str,
    value: &str,
) -> Option<String> {
    if value.is_empty() {
        return None;
    }
    violations
        .take(field, OrganizationId::parse(value))
        .map(|id| id.as_str().to_owned())
}
