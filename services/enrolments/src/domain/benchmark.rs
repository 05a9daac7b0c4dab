//! Benchmark measures per organization and their rankings.

/// The measures of one organization (or of everyone) over a period.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Measures {
    /// Distinct trainees who completed at least one course.
    pub people_trained: u32,
    /// Enrolments created.
    pub enrolments: u32,
    /// Enrolments that ended (completed, failed or no-show).
    pub ended: u32,
    /// Enrolments completed (passed).
    pub completed: u32,
    /// Ended enrolments that were no-shows (the others, completed or
    /// failed, are asked to evaluate their course).
    pub no_shows: u32,
    /// Sum of the scores of assessed enrolments that had one.
    pub score_sum: u64,
    /// How many assessed enrolments had a score.
    pub scored: u32,
    /// Training hours of completed enrolments.
    pub training_hours: u64,
    /// Sessions it hosted in which an enrolment ended.
    pub hosted_sessions: u32,
    /// Distinct people of other organizations who completed a session it
    /// hosted.
    pub guests_trained: u32,
}

impl Measures {
    /// The ended enrolments asked to evaluate their course: completed or
    /// failed.
    pub fn asked(&self) -> u32 {
        self.ended.saturating_sub(self.no_shows)
    }

    /// Completed over ended; `None` when nothing ended.
    pub fn completion_rate(&self) -> Option<f64> {
        (self.ended > 0).then(|| f64::from(self.completed) / f64::from(self.ended))
    }

    /// Average score; `None` when nothing was scored.
    pub fn average_score(&self) -> Option<f64> {
        (self.scored > 0).then(|| self.score_sum as f64 / f64::from(self.scored))
    }

    /// Training hours per person trained; `None` when nobody was trained.
    pub fn hours_per_head(&self) -> Option<f64> {
        (self.people_trained > 0)
            .then(|| self.training_hours as f64 / f64::from(self.people_trained))
    }

    /// Adds another organization's measures (people are distinct per organization).
    pub fn add(&mut self, other: &Measures) {
        self.people_trained += other.people_trained;
        self.enrolments += other.enrolments;
        self.ended += other.ended;
        self.completed += other.completed;
        self.no_shows += other.no_shows;
        self.score_sum += other.score_sum;
        self.scored += other.scored;
        self.training_hours += other.training_hours;
        self.hosted_sessions += other.hosted_sessions;
        self.guests_trained += other.guests_trained;
    }
}

/// Ranks `(organization, value)` pairs, highest first; equal values share a
/// rank (1, 2, 2, 4); organizations without a value are left out. Ties are
/// listed by organization id.
pub fn rank(values: &[(String, Option<f64>)]) -> Vec<(String, u32, f64)> {
    let mut present: Vec<(&String, f64)> = values
        .iter()
        .filter_map(|(org, value)| value.map(|v| (org, v)))
        .collect();
    present.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(b.0)));
    let mut ranked = Vec::with_capacity(present.len());
    for (index, (org, value)) in present.iter().enumerate() {
        let rank = match ranked.last() {
            Some((_, previous_rank, previous_value)) if *previous_value == *value => *previous_rank,
            _ => u32::try_from(index + 1).unwrap_or(u32::MAX),
        };
        ranked.push(((*org).clone(), rank, *value));
    }
    ranked
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ties_share_a_rank() {
        let values = vec![
            ("a".to_owned(), Some(1.0)),
            ("b".to_owned(), Some(3.0)),
            ("c".to_owned(), Some(3.0)),
            ("d".to_owned(), None),
            ("e".to_owned(), Some(0.5)),
        ];
        let ranks: Vec<(String, u32)> = rank(&values).into_iter().map(|(o, r, _)| (o, r)).collect();
        assert_eq!(
            ranks,
            [
                ("b".to_owned(), 1),
                ("c".to_owned(), 1),
                ("a".to_owned(), 3),
                ("e".to_owned(), 4)
            ]
        );
    }

    #[test]
    fn ratios() {
        let m = Measures {
            people_trained: 2,
            ended: 4,
            completed: 3,
            score_sum: 300,
            scored: 4,
            training_hours: 24,
            ..Default::default()
        };
        assert_eq!(m.completion_rate(), Some(0.75));
        assert_eq!(m.average_score(), Some(75.0));
        assert_eq!(m.hours_per_head(), Some(12.0));
        assert_eq!(Measures::default().completion_rate(), None);
    }
}
