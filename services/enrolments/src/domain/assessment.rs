//! Deciding an enrolment's outcome from its score and attendance.

use super::EnrolmentsError;
use super::status::EnrolmentStatus;

/// The course's rules, as they were when the trainee was assessed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PassRules {
    /// Lowest passing score, 0-100.
    pub passing_score: u32,
    /// Smallest share of meetings attended, 0-100.
    pub min_attendance_percent: u32,
}

/// What an assessment found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Assessment {
    /// Completed, failed or no-show.
    pub status: EnrolmentStatus,
    /// Share of meetings attended, rounded down.
    pub attendance_percent: u32,
}

/// A trainee marked present at any meeting (`attended` of them) is not a
/// no-show: they took part, and are assessed with a score (failing on
/// attendance if it is too little).
pub fn check_no_show(attended: u64) -> Result<(), EnrolmentsError> {
    if attended > 0 {
        return Err(EnrolmentsError::AttendedAMeeting(attended));
    }
    Ok(())
}

/// Passed when the score reaches the passing score and attendance reaches the
/// minimum; a no-show (never present, see [`check_no_show`]) has no score.
/// Meetings not marked count as absent.
pub fn assess(
    score: Option<u32>,
    no_show: bool,
    attended: u32,
    meetings: u32,
    rules: PassRules,
) -> Assessment {
    let attendance_percent = if meetings == 0 {
        100
    } else {
        (u64::from(attended.min(meetings)) * 100 / u64::from(meetings)) as u32
    };
    let status = if no_show {
        EnrolmentStatus::NoShow
    } else {
        match score {
            Some(score)
                if score >= rules.passing_score
                    && attendance_percent >= rules.min_attendance_percent =>
            {
                EnrolmentStatus::Completed
            }
            _ => EnrolmentStatus::Failed,
        }
    };
    Assessment {
        status,
        attendance_percent,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RULES: PassRules = PassRules {
        passing_score: 70,
        min_attendance_percent: 75,
    };

    #[test]
    fn passing_needs_score_and_attendance() {
        assert_eq!(
            assess(Some(70), false, 3, 4, RULES).status,
            EnrolmentStatus::Completed
        );
        assert_eq!(
            assess(Some(69), false, 4, 4, RULES).status,
            EnrolmentStatus::Failed
        );
        assert_eq!(
            assess(Some(100), false, 2, 4, RULES).status,
            EnrolmentStatus::Failed
        );
        assert_eq!(
            assess(Some(100), true, 4, 4, RULES).status,
            EnrolmentStatus::NoShow
        );
        assert_eq!(assess(Some(90), false, 2, 3, RULES).attendance_percent, 66);
        assert!(check_no_show(0).is_ok());
        assert!(matches!(
            check_no_show(1),
            Err(EnrolmentsError::AttendedAMeeting(1))
        ));
    }
}
