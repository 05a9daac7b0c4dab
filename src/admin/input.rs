//! What people type: Jalali or ISO dates in Tehran time (or RFC 3339),
//! meetings as `START/END` or a start and a duration, quotas as `org=seats`,
//! and long objects from a YAML or JSON file in the canonical protobuf JSON
//! mapping.

use std::path::Path;
use std::time::Duration;

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};
use hamafza_proto::common::{LocalizedText, TimeRange};
use prost::Message;
use prost_reflect::{DescriptorPool, DynamicMessage};

use super::context::{Failure, Outcome};

/// Iran Standard Time (+03:30); Iran has kept no daylight saving time since 2022.
const TEHRAN_SECONDS: i32 = 3 * 3600 + 30 * 60;

/// Reads a date and time: RFC 3339 as written, or a Jalali (`1405/10/20
/// 09:00`, a year before 1700) or Gregorian (`2027-01-10 09:00`) date with an
/// optional time (`HH:MM[:SS]`, midnight when left out) in Tehran time.
/// Persian and Arabic-Indic digits are read as ASCII digits.
pub fn parse_instant(text: &str) -> Result<DateTime<Utc>, String> {
    let text = hamafza_kit::jalali::latin_digits(text.trim());
    if let Ok(instant) = DateTime::parse_from_rfc3339(&text) {
        return Ok(instant.with_timezone(&Utc));
    }
    let (date, time) = match text.split_once([' ', 'T']) {
        Some((date, time)) => (date, Some(time.trim())),
        None => (text.as_str(), None),
    };
    let date = parse_date(date)?;
    let time = match time {
        None | Some("") => NaiveTime::MIN,
        Some(time) => NaiveTime::parse_from_str(time, "%H:%M")
            .or_else(|_| NaiveTime::parse_from_str(time, "%H:%M:%S"))
            .map_err(|_| format!("`{time}` is not a time of day (HH:MM)"))?,
    };
    tehran(NaiveDateTime::new(date, time))
}

fn tehran(local: NaiveDateTime) -> Result<DateTime<Utc>, String> {
    let offset = FixedOffset::east_opt(TEHRAN_SECONDS).ok_or("no Tehran offset")?;
    offset
        .from_local_datetime(&local)
        .single()
        .map(|instant| instant.with_timezone(&Utc))
        .ok_or_else(|| format!("{local} is not a time in Tehran"))
}

/// A calendar date: `YYYY/MM/DD` or `YYYY-MM-DD`, Jalali when the year is
/// before 1700.
fn parse_date(text: &str) -> Result<NaiveDate, String> {
    let bad = || {
        format!(
            "`{text}` is not a date: write 1405/10/20 (Jalali), 2027-01-10, or RFC 3339 \
             (2027-01-10T05:30:00Z)"
        )
    };
    let parts: Vec<&str> = text.split(['/', '-']).collect();
    let [year, month, day] = parts.as_slice() else {
        return Err(bad());
    };
    let year: i32 = year.parse().map_err(|_| bad())?;
    let month: u8 = month.parse().map_err(|_| bad())?;
    let day: u8 = day.parse().map_err(|_| bad())?;
    let (year, month, day) = if year < 1700 {
        hamafza_kit::jalali::from_jalali(year, month, day)
            .ok_or_else(|| format!("{year}/{month}/{day} is not a Jalali date"))?
    } else {
        (year, month, day)
    };
    NaiveDate::from_ymd_opt(year, u32::from(month), u32::from(day)).ok_or_else(bad)
}

/// A meeting as typed: its start, and its end when given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MeetingArg {
    /// When it starts.
    pub start: DateTime<Utc>,
    /// When it ends; `None` takes `--duration`.
    pub end: Option<DateTime<Utc>>,
}

/// Reads `START`, `START/END` (an ISO 8601 interval), or `START/HH:MM` (ends
/// the same day). Jalali dates hold slashes too: the split is the one where
/// both sides read.
pub fn parse_meeting(text: &str) -> Result<MeetingArg, String> {
    if let Ok(start) = parse_instant(text) {
        return Ok(MeetingArg { start, end: None });
    }
    // A start that reads as a date but names none (31 Esfand of a common
    // year, 25:00) is worth saying rather than "not a meeting".
    let mut named = None;
    for (at, _) in text.match_indices('/') {
        let (start, end) = (&text[..at], &text[at + 1..]);
        let start = match parse_instant(start) {
            Ok(start) => start,
            Err(error) => {
                if named.is_none() && !error.contains("is not a date") {
                    named = Some(error);
                }
                continue;
            }
        };
        let end = match parse_instant(end) {
            Ok(end) => end,
            Err(_) => match NaiveTime::parse_from_str(
                hamafza_kit::jalali::latin_digits(end.trim()).as_str(),
                "%H:%M",
            ) {
                Ok(time) => {
                    let offset = FixedOffset::east_opt(TEHRAN_SECONDS).ok_or("no Tehran offset")?;
                    let day = start.with_timezone(&offset).date_naive();
                    tehran(NaiveDateTime::new(day, time))?
                }
                Err(_) => continue,
            },
        };
        return Ok(MeetingArg {
            start,
            end: Some(end),
        });
    }
    if let Some(error) = named {
        return Err(error);
    }
    Err(format!(
        "`{text}` is not a meeting: write START/END (`1405/10/20 09:00/13:00`, \
         `2027-01-10T05:30:00Z/2027-01-10T09:30:00Z`) or START with --duration"
    ))
}

/// Reads a whole number, its digits Persian or Latin (`۲۵` is 25).
pub fn parse_number(text: &str) -> Result<u32, String> {
    hamafza_kit::jalali::latin_digits(text.trim())
        .parse()
        .map_err(|_| format!("`{text}` is not a whole number"))
}

/// Reads a whole number from 1, its digits Persian or Latin.
pub fn parse_ordinal(text: &str) -> Result<u32, String> {
    match parse_number(text)? {
        0 => Err("must be 1 or more".to_owned()),
        n => Ok(n),
    }
}

/// Reads `org=seats`.
pub fn parse_quota(text: &str) -> Result<(String, u32), String> {
    let (org, seats) = text
        .split_once('=')
        .ok_or_else(|| format!("`{text}` is not a quota: write ORG=SEATS, e.g. msc=10"))?;
    let seats = hamafza_kit::jalali::latin_digits(seats.trim())
        .parse()
        .map_err(|_| format!("`{seats}` is not a number of seats"))?;
    Ok((org.trim().to_owned(), seats))
}

/// Reads a duration (`3h`, `90m`, `1h 30m`).
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    humantime::parse_duration(text).map_err(|error| error.to_string())
}

/// A protobuf timestamp.
pub fn timestamp(instant: DateTime<Utc>) -> prost_types::Timestamp {
    prost_types::Timestamp {
        seconds: instant.timestamp(),
        nanos: i32::try_from(instant.timestamp_subsec_nanos()).unwrap_or(0),
    }
}

/// The meetings typed, each ending at its END or after `duration`.
pub fn meetings(
    given: &[MeetingArg],
    duration: Option<Duration>,
) -> Outcome<Vec<hamafza_proto::courses::Meeting>> {
    given
        .iter()
        .map(|meeting| {
            let end = match (meeting.end, duration) {
                (Some(end), _) => end,
                (None, Some(duration)) => {
                    let duration = chrono::Duration::from_std(duration)
                        .map_err(|_| Failure::Usage("--duration is too long".into()))?;
                    meeting.start + duration
                }
                (None, None) => {
                    return Err(Failure::Usage(
                        "--meeting START needs an END (START/END) or --duration".into(),
                    ));
                }
            };
            Ok(hamafza_proto::courses::Meeting {
                start_time: Some(timestamp(meeting.start)),
                end_time: Some(timestamp(end)),
                topic: None,
            })
        })
        .collect()
}

/// Changes the Persian and English of a text, keeping what is not given.
pub fn set_text(text: &mut Option<LocalizedText>, fa: &Option<String>, en: &Option<String>) {
    if fa.is_none() && en.is_none() {
        return;
    }
    let text = text.get_or_insert_with(LocalizedText::default);
    if let Some(fa) = fa {
        text.fa.clone_from(fa);
    }
    if let Some(en) = en {
        text.en.clone_from(en);
    }
}

/// Changes the start and end of a range, keeping what is not given.
pub fn set_range(
    range: &mut Option<TimeRange>,
    start: Option<DateTime<Utc>>,
    end: Option<DateTime<Utc>>,
) {
    if start.is_none() && end.is_none() {
        return;
    }
    let range = range.get_or_insert_with(TimeRange::default);
    if let Some(start) = start {
        range.start_time = Some(timestamp(start));
    }
    if let Some(end) = end {
        range.end_time = Some(timestamp(end));
    }
}

/// The message `name` read from a YAML or JSON file in the canonical
/// protobuf JSON mapping (camelCase or the proto's field names, enum names).
pub fn from_file<T: prost::Message + Default>(path: &Path, name: &str) -> Outcome<T> {
    let text = std::fs::read_to_string(path)
        .map_err(|error| Failure::Usage(format!("cannot read {}: {error}", path.display())))?;
    let value: serde_json::Value = if path
        .extension()
        .is_some_and(|ext| ext.eq_ignore_ascii_case("json"))
    {
        serde_json::from_str(&text)
            .map_err(|error| Failure::Usage(format!("{}: {error}", path.display())))?
    } else {
        serde_yaml_ng::from_str(&text)
            .map_err(|error| Failure::Usage(format!("{}: {error}", path.display())))?
    };
    let descriptor = descriptors()?
        .get_message_by_name(name)
        .ok_or_else(|| Failure::Other(anyhow::anyhow!("no message {name} in the contracts")))?;
    let dynamic = DynamicMessage::deserialize(descriptor, value)
        .map_err(|error| Failure::Usage(format!("{}: {error}", path.display())))?;
    T::decode(dynamic.encode_to_vec().as_slice())
        .map_err(|error| Failure::Other(anyhow::anyhow!("transcoding {name}: {error}")))
}

/// The contracts' descriptors.
pub fn descriptors() -> Outcome<DescriptorPool> {
    DescriptorPool::decode(hamafza_proto::FILE_DESCRIPTOR_SET)
        .map_err(|error| Failure::Other(anyhow::anyhow!("the contracts' descriptors: {error}")))
}

/// Whether `text` is a UUID (an id, not a code).
pub fn is_uuid(text: &str) -> bool {
    uuid::Uuid::parse_str(text).is_ok()
}

/// Splits `a,b c` into `a`, `b`, `c`.
pub fn split_list(values: &[String]) -> Vec<String> {
    values
        .iter()
        .flat_map(|value| value.split([',', ' ']))
        .map(str::trim)
        .filter(|value| !value.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The update mask (AIP-134) of an edit: the top-level fields of the
/// message `name` where `after` differs from `before`, by their proto names.
/// With the resource's etag, an update then changes exactly what the command
/// changed, and is refused if anyone changed the resource since it was read.
pub fn changed_fields<T: prost::Message>(
    before: &T,
    after: &T,
    name: &str,
) -> Outcome<prost_types::FieldMask> {
    let descriptor = descriptors()?
        .get_message_by_name(name)
        .ok_or_else(|| Failure::Other(anyhow::anyhow!("no message {name} in the contracts")))?;
    let decode = |message: &T| {
        DynamicMessage::decode(descriptor.clone(), message.encode_to_vec().as_slice())
            .map_err(|error| Failure::Other(anyhow::anyhow!("transcoding {name}: {error}")))
    };
    let (before, after) = (decode(before)?, decode(after)?);
    let paths = descriptor
        .fields()
        .filter(|field| before.get_field(field) != after.get_field(field))
        .map(|field| field.name().to_owned())
        .collect();
    Ok(prost_types::FieldMask { paths })
}

/// An edit of a resource's details read with its etag: from a file every
/// field is replaced (no mask); from flags only the fields they changed (the
/// mask of [`changed_fields`]). Either way the update carries the etag, so it
/// applies only if no one changed the resource since it was read.
pub struct Edit<D> {
    stored: D,
    /// What the update writes; the command's flags change it.
    pub details: D,
    replace: bool,
    name: &'static str,
}

impl<D: prost::Message + Default + Clone> Edit<D> {
    /// Starts from `file` (a `name` in protobuf JSON or YAML) when given,
    /// else from what is stored.
    pub fn begin(stored: Option<D>, file: Option<&Path>, name: &'static str) -> Outcome<Self> {
        let stored = stored.unwrap_or_default();
        let details = match file {
            Some(file) => from_file(file, name)?,
            None => stored.clone(),
        };
        Ok(Self {
            stored,
            details,
            replace: file.is_some(),
            name,
        })
    }

    /// The details to write and the update mask.
    pub fn finish(self) -> Outcome<(D, Option<prost_types::FieldMask>)> {
        let mask = if self.replace {
            None
        } else {
            Some(changed_fields(&self.stored, &self.details, self.name)?)
        };
        Ok((self.details, mask))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn utc(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn jalali_dates_are_tehran_time() {
        assert_eq!(
            parse_instant("1405/10/20 09:00").unwrap(),
            utc("2027-01-10T05:30:00Z")
        );
        assert_eq!(
            parse_instant("۱۴۰۵/۱۰/۲۰ ۰۹:۰۰").unwrap(),
            utc("2027-01-10T05:30:00Z"),
            "Persian digits"
        );
        assert_eq!(
            parse_instant("1405/1/1").unwrap(),
            utc("2026-03-20T20:30:00Z"),
            "Nowruz starts at midnight in Tehran"
        );
        assert_eq!(
            parse_instant("1403/12/30 23:59:59").unwrap(),
            utc("2025-03-20T20:29:59Z"),
            "the leap day of 1403"
        );
    }

    #[test]
    fn iso_and_rfc3339() {
        assert_eq!(
            parse_instant("2027-01-10 09:00").unwrap(),
            utc("2027-01-10T05:30:00Z")
        );
        assert_eq!(
            parse_instant("2027-01-10T05:30:00Z").unwrap(),
            utc("2027-01-10T05:30:00Z")
        );
        assert_eq!(
            parse_instant("2027-01-10T09:00:00+03:30").unwrap(),
            utc("2027-01-10T05:30:00Z")
        );
    }

    #[test]
    fn bad_dates_say_what_is_wrong() {
        assert!(
            parse_instant("1404/12/30")
                .unwrap_err()
                .contains("not a Jalali date")
        );
        assert!(parse_instant("1405/13/01").is_err());
        assert!(
            parse_instant("tomorrow")
                .unwrap_err()
                .contains("not a date")
        );
        assert!(
            parse_instant("1405/10/20 25:00")
                .unwrap_err()
                .contains("time of day")
        );
    }

    #[test]
    fn meetings_as_intervals() {
        let jalali = parse_meeting("1405/10/20 09:00/1405/10/20 13:00").unwrap();
        assert_eq!(jalali.start, utc("2027-01-10T05:30:00Z"));
        assert_eq!(jalali.end, Some(utc("2027-01-10T09:30:00Z")));
        let same_day = parse_meeting("1405/10/20 09:00/13:00").unwrap();
        assert_eq!(same_day, jalali);
        let rfc = parse_meeting("2027-01-10T05:30:00Z/2027-01-10T09:30:00Z").unwrap();
        assert_eq!(rfc, jalali);
        let open = parse_meeting("1405/10/20 09:00").unwrap();
        assert_eq!(open.end, None);
        let made = meetings(&[open], Some(Duration::from_secs(4 * 3600))).unwrap();
        assert_eq!(
            made[0].end_time,
            Some(timestamp(utc("2027-01-10T09:30:00Z")))
        );
        assert!(parse_meeting("1405/10/20 09:00/soon").is_err());
    }

    #[test]
    fn long_objects_from_yaml_or_json_in_the_protobuf_mapping() {
        let dir = std::env::temp_dir().join(format!("hamafza-admin-{}", uuid::Uuid::now_v7()));
        std::fs::create_dir_all(&dir).unwrap();
        let yaml = dir.join("session.yaml");
        std::fs::write(
            &yaml,
            "meetings:\n- startTime: 2027-01-10T05:30:00Z\n  end_time: 2027-01-10T09:30:00Z\n\
             venue: {fa: تهران, en: Tehran}\ncapacity: 25\nquotas: [{organizationId: msc, seats: 5}]\n",
        )
        .unwrap();
        let session: hamafza_proto::courses::SessionDetails =
            from_file(&yaml, "hamafza.courses.v1.SessionDetails").unwrap();
        assert_eq!(session.capacity, 25);
        assert_eq!(session.quotas[0].organization_id, "msc");
        assert_eq!(
            session.meetings[0].end_time,
            Some(timestamp(utc("2027-01-10T09:30:00Z")))
        );
        assert_eq!(session.venue.unwrap().fa, "تهران");

        let json = dir.join("course.json");
        std::fs::write(
            &json,
            r#"{"code": "PR-210", "deliveryMode": "DELIVERY_MODE_ONLINE", "hours": 8}"#,
        )
        .unwrap();
        let course: hamafza_proto::courses::CourseDetails =
            from_file(&json, "hamafza.courses.v1.CourseDetails").unwrap();
        assert_eq!(
            course.delivery_mode(),
            hamafza_proto::courses::DeliveryMode::Online
        );

        std::fs::write(&json, r#"{"code": "PR-210", "hourz": 8}"#).unwrap();
        let unknown = from_file::<hamafza_proto::courses::CourseDetails>(
            &json,
            "hamafza.courses.v1.CourseDetails",
        );
        assert!(matches!(unknown, Err(Failure::Usage(message)) if message.contains("hourz")));
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn quotas() {
        assert_eq!(parse_quota("msc=10").unwrap(), ("msc".to_owned(), 10));
        assert!(parse_quota("msc").is_err());
        assert!(parse_quota("msc=ten").is_err());
    }
}
