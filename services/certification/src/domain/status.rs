//! A certificate's standing, worked out when it is read: revoked, superseded
//! (a later completion of the same course or program replaced it), expired,
//! or active.

use chrono::{DateTime, Utc};
use sea_orm::entity::prelude::StringLen;
use sea_orm::{DeriveActiveEnum, EnumIter};

/// What a certificate is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(8))")]
pub enum Kind {
    /// One course.
    #[sea_orm(string_value = "course")]
    Course,
    /// A whole program.
    #[sea_orm(string_value = "program")]
    Program,
}

/// How a certificate came to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(12))")]
pub enum Source {
    /// A passed completion delivered by enrolments.
    #[sea_orm(string_value = "completion")]
    Completion,
    /// Issued by hand by an admin.
    #[sea_orm(string_value = "manual")]
    Manual,
    /// Earned by completing a program's required courses.
    #[sea_orm(string_value = "program")]
    Program,
}

/// A certificate's standing at a moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    /// Valid.
    Active,
    /// Revoked by an admin.
    Revoked,
    /// Past its validity.
    Expired,
    /// Replaced by a later one.
    Superseded,
}

/// The standing from the facts, in the order revoked, superseded, expired,
/// active: a revocation always shows, and a replaced certificate points to its
/// successor even if it has also run out.
pub fn standing(
    revoked: bool,
    superseded: bool,
    valid_until: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Standing {
    if revoked {
        Standing::Revoked
    } else if superseded {
        Standing::Superseded
    } else if valid_until.is_some_and(|until| until <= now) {
        Standing::Expired
    } else {
        Standing::Active
    }
}

/// `start` plus `months` calendar months (clamped to the month's last day).
pub fn add_months(start: DateTime<Utc>, months: u32) -> DateTime<Utc> {
    start
        .checked_add_months(chrono::Months::new(months))
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn the_order_of_standings() {
        let now = Utc::now();
        let past = now - chrono::Duration::days(1);
        assert_eq!(standing(true, true, Some(past), now), Standing::Revoked);
        assert_eq!(standing(false, true, Some(past), now), Standing::Superseded);
        assert_eq!(standing(false, false, Some(past), now), Standing::Expired);
        assert_eq!(standing(false, false, None, now), Standing::Active);
    }

    #[test]
    fn months_are_calendar_months() {
        let start = Utc.with_ymd_and_hms(2026, 1, 31, 8, 0, 0).unwrap();
        assert_eq!(
            add_months(start, 1),
            Utc.with_ymd_and_hms(2026, 2, 28, 8, 0, 0).unwrap()
        );
        assert_eq!(
            add_months(start, 24),
            Utc.with_ymd_and_hms(2028, 1, 31, 8, 0, 0).unwrap()
        );
    }
}
