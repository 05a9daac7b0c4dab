//! Deciding an enrolment's outcome from its score and attendance.

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

/// Passed when the score reaches the passing score and attendance reaches the
/// minimum; a no-show is recorded as such whatever else is known. Meetings
/// not marked count as absent.
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
    }
}
