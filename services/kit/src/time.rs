//! Instants on the wire (`google.protobuf.Timestamp`) and in storage (UTC).

use chrono::{DateTime, Utc};
use prost_types::Timestamp;

/// A UTC instant as a protobuf timestamp.
pub fn to_timestamp(instant: DateTime<Utc>) -> Timestamp {
    Timestamp {
        seconds: instant.timestamp(),
        nanos: i32::try_from(instant.timestamp_subsec_nanos()).unwrap_or(0),
    }
}

/// A protobuf timestamp as a UTC instant; `None` when out of range.
pub fn from_timestamp(timestamp: &Timestamp) -> Option<DateTime<Utc>> {
    let nanos = u32::try_from(timestamp.nanos).ok()?;
    DateTime::from_timestamp(timestamp.seconds, nanos)
}

/// The first year an instant from a caller may fall in: both databases order
/// instants correctly from here on, and nothing in a training calendar is
/// earlier.
pub const EARLIEST_YEAR: i32 = 1970;
/// The last year an instant from a caller may fall in (see [`EARLIEST_YEAR`]).
pub const LATEST_YEAR: i32 = 2200;

/// A caller's timestamp as an instant within [`EARLIEST_YEAR`]..=[`LATEST_YEAR`];
/// the error describes the problem for a field violation.
pub fn from_caller(timestamp: &Timestamp) -> Result<DateTime<Utc>, &'static str> {
    use chrono::Datelike;
    let instant = from_timestamp(timestamp).ok_or("is not a valid instant")?;
    if (EARLIEST_YEAR..=LATEST_YEAR).contains(&instant.year()) {
        Ok(instant)
    } else {
        Err("must be between the years 1970 and 2200")
    }
}

/// The current instant, truncated to microseconds so that it survives a round
/// trip through PostgreSQL and SQLite unchanged.
pub fn now() -> DateTime<Utc> {
    let now = Utc::now();
    DateTime::from_timestamp_micros(now.timestamp_micros()).unwrap_or(now)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let instant = now();
        assert_eq!(from_timestamp(&to_timestamp(instant)), Some(instant));
        assert_eq!(
            from_timestamp(&Timestamp {
                seconds: 0,
                nanos: -1
            }),
            None
        );
    }

    #[test]
    fn callers_instants_stay_within_the_calendar() {
        let year = |y: i32| Timestamp {
            seconds: chrono::NaiveDate::from_ymd_opt(y, 1, 1)
                .and_then(|d| d.and_hms_opt(0, 0, 0))
                .map(|d| d.and_utc().timestamp())
                .unwrap_or(i64::MIN),
            nanos: 0,
        };
        assert!(from_caller(&year(1405 + 621)).is_ok());
        assert!(from_caller(&year(0)).is_err());
        assert!(from_caller(&year(-5000)).is_err());
        assert!(from_caller(&year(2201)).is_err());
        assert!(
            from_caller(&Timestamp {
                seconds: 0,
                nanos: -1
            })
            .is_err()
        );
    }
}
