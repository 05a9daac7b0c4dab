//! Course evaluations: the standard form's scores, who may answer and until
//! when, and aggregates that never show a small group.

use chrono::{DateTime, Duration, Utc};

use super::status::EnrolmentStatus;

/// The longest free comment, in characters.
pub const MAX_COMMENT_CHARS: usize = 2000;

/// The five Likert scores of the form, each 1..=5.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scores {
    /// The content of the course.
    pub content: u8,
    /// The instructor.
    pub instructor: u8,
    /// Relevance to the trainee's PR work.
    pub relevance: u8,
    /// How the session was organized.
    pub organization: u8,
    /// Overall.
    pub overall: u8,
}

/// The form's questions, as the wire names their fields.
pub const QUESTIONS: [&str; 5] = [
    "content",
    "instructor",
    "relevance",
    "organization",
    "overall",
];

impl Scores {
    /// Scores from the wire's five values (in [`QUESTIONS`] order); the
    /// error lists each out-of-range question.
    pub fn new(values: [u32; 5]) -> Result<Self, Vec<&'static str>> {
        let bad: Vec<&'static str> = QUESTIONS
            .iter()
            .zip(values)
            .filter(|(_, v)| !(1..=5).contains(v))
            .map(|(q, _)| *q)
            .collect();
        if !bad.is_empty() {
            return Err(bad);
        }
        let [content, instructor, relevance, organization, overall] =
            values.map(|v| u8::try_from(v).unwrap_or(0));
        Ok(Self {
            content,
            instructor,
            relevance,
            organization,
            overall,
        })
    }

    /// The five values in [`QUESTIONS`] order.
    pub fn values(&self) -> [u8; 5] {
        [
            self.content,
            self.instructor,
            self.relevance,
            self.organization,
            self.overall,
        ]
    }
}

/// Whether an enrolment in `status` is asked for an evaluation: it ended in
/// an assessment, passed or failed (the trainee took the course; leaving out
/// those who failed would flatter it). A no-show did not take it.
pub fn is_asked(status: EnrolmentStatus) -> bool {
    matches!(status, EnrolmentStatus::Completed | EnrolmentStatus::Failed)
}

/// Until when an evaluation first submitted at `submitted` may be edited.
pub fn editable_until(submitted: DateTime<Utc>, edit_days: u32) -> DateTime<Utc> {
    submitted + Duration::days(i64::from(edit_days))
}

/// Sums of a group of evaluations.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Tally {
    /// How many evaluations.
    pub answers: u32,
    /// Sum of each question's scores, in [`QUESTIONS`] order.
    pub sums: [u64; 5],
    /// How many gave each overall score (index 0 for 1).
    pub overall: [u32; 5],
}

impl Tally {
    /// Counts one evaluation.
    pub fn add(&mut self, scores: &Scores) {
        self.answers += 1;
        for (sum, value) in self.sums.iter_mut().zip(scores.values()) {
            *sum += u64::from(value);
        }
        if let Some(count) = self.overall.get_mut(usize::from(scores.overall.max(1)) - 1) {
            *count += 1;
        }
    }

    /// The mean of each question, or `None` below `minimum` answers (or
    /// with none).
    pub fn averages(&self, minimum: u32) -> Option<[f64; 5]> {
        if self.answers == 0 || self.answers < minimum {
            return None;
        }
        Some(self.sums.map(|sum| sum as f64 / f64::from(self.answers)))
    }
}

/// Satisfaction (mean overall score) and response rate (answers over those
/// asked, 0 to 1) of a group, each `None` below `minimum` answers.
pub fn satisfaction(
    answers: u32,
    overall_sum: u64,
    asked: u32,
    minimum: u32,
) -> (Option<f64>, Option<f64>) {
    if answers == 0 || answers < minimum {
        return (None, None);
    }
    let mean = overall_sum as f64 / f64::from(answers);
    let rate = (asked > 0).then(|| (f64::from(answers) / f64::from(asked)).min(1.0));
    (Some(mean), rate)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scores_are_one_to_five() {
        assert_eq!(
            Scores::new([0, 3, 6, 5, 1]),
            Err(vec!["content", "relevance"])
        );
        let scores = Scores::new([1, 2, 3, 4, 5]).unwrap();
        assert_eq!(scores.values(), [1, 2, 3, 4, 5]);
    }

    #[test]
    fn small_groups_show_nothing() {
        let mut tally = Tally::default();
        for overall in [5, 4, 4, 3] {
            tally.add(&Scores {
                content: 4,
                instructor: 5,
                relevance: 3,
                organization: 2,
                overall,
            });
        }
        assert_eq!(tally.averages(5), None);
        assert_eq!(tally.averages(4).map(|a| a[4]), Some(4.0));
        assert_eq!(tally.overall, [0, 0, 1, 2, 1]);
        assert_eq!(satisfaction(4, 16, 8, 5), (None, None));
        assert_eq!(satisfaction(5, 20, 10, 5), (Some(4.0), Some(0.5)));
    }

    #[test]
    fn who_is_asked() {
        assert!(is_asked(EnrolmentStatus::Completed));
        assert!(is_asked(EnrolmentStatus::Failed));
        assert!(!is_asked(EnrolmentStatus::NoShow));
        assert!(!is_asked(EnrolmentStatus::Confirmed));
    }
}
