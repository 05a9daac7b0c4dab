//! Training is recorded after it happens: attendance once a meeting has
//! started, assessment once the last meeting has.

use chrono::{DateTime, Utc};

use super::EnrolmentsError;

/// Checks that meeting `index` of a session whose meetings start at
/// `starts` has started at `now`. An index beyond the meetings is the
/// caller's mistake, said as such.
pub fn meeting_started(
    starts: &[DateTime<Utc>],
    index: u32,
    now: DateTime<Utc>,
) -> Result<(), EnrolmentsError> {
    let count = u32::try_from(starts.len()).unwrap_or(u32::MAX);
    let starts_at = usize::try_from(index)
        .ok()
        .and_then(|i| starts.get(i))
        .ok_or(EnrolmentsError::NoSuchMeeting { index, count })?;
    if now < *starts_at {
        return Err(EnrolmentsError::MeetingNotStarted {
            index,
            starts: *starts_at,
        });
    }
    Ok(())
}

/// Checks that the last of the meetings starting at `starts` has started at
/// `now` (a session without meetings has nothing to wait for).
pub fn last_meeting_started(
    starts: &[DateTime<Utc>],
    now: DateTime<Utc>,
) -> Result<(), EnrolmentsError> {
    match starts.iter().max() {
        Some(last) if now < *last => Err(EnrolmentsError::LastMeetingNotStarted(*last)),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use chrono::Duration;

    use super::*;

    #[test]
    fn meetings_are_recorded_from_their_start() {
        let now = DateTime::from_timestamp(1_800_000_000, 0).unwrap_or_default();
        let starts = [now - Duration::hours(2), now, now + Duration::minutes(1)];
        assert!(meeting_started(&starts, 0, now).is_ok());
        assert!(meeting_started(&starts, 1, now).is_ok());
        assert!(matches!(
            meeting_started(&starts, 2, now),
            Err(EnrolmentsError::MeetingNotStarted { index: 2, .. })
        ));
        assert!(matches!(
            meeting_started(&starts, 3, now),
            Err(EnrolmentsError::NoSuchMeeting { index: 3, count: 3 })
        ));
        assert!(matches!(
            last_meeting_started(&starts, now),
            Err(EnrolmentsError::LastMeetingNotStarted(_))
        ));
        assert!(last_meeting_started(&starts[..2], now).is_ok());
        assert!(last_meeting_started(&[], now).is_ok());
    }
}
