//! Course evaluations: one per enrolment, saved within its edit window, and
//! read only as aggregates.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, EntityTrait, ExprTrait, PaginatorTrait, QueryFilter,
    QuerySelect,
};
use uuid::Uuid;

use super::{Result, Store};
use crate::domain::evaluation::{Scores, Tally};
use crate::domain::status::EnrolmentStatus;
use crate::store::entities::{enrolment, evaluation, session_seats};

/// Statuses whose enrolments are asked for an evaluation (see
/// [`crate::domain::evaluation::is_asked`]).
const ASKED: [EnrolmentStatus; 2] = [EnrolmentStatus::Completed, EnrolmentStatus::Failed];

/// Which evaluations a result covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EvaluationScope {
    /// One session.
    Session(Uuid),
    /// One course's sessions.
    Course(Uuid),
    /// One instructor's sessions.
    Instructor(String),
}

/// What the first submission copies from the enrolment, so that results
/// never read the enrolments (nor name their trainees).
#[derive(Debug, Clone)]
pub struct EvaluationFacts {
    /// The evaluated enrolment.
    pub enrolment_id: Uuid,
    /// Its session.
    pub session_id: Uuid,
    /// Its course.
    pub course_id: Uuid,
    /// The session's instructor.
    pub instructor_subject: String,
    /// The trainee's organization (for the benchmark).
    pub organization_id: String,
    /// When the enrolment ended.
    pub ended_at: DateTime<Utc>,
}

/// An evaluation's aggregates: the tally and the non-empty comments.
#[derive(Debug, Clone, Default)]
pub struct EvaluationTally {
    /// Counts and sums.
    pub tally: Tally,
    /// Comments, sorted by text.
    pub comments: Vec<String>,
    /// Enrolments in the scope that were asked.
    pub asked: u32,
}

/// Evaluations of one organization's people: answers, the sum of their
/// overall scores, and the enrolments that were asked.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OrganizationEvaluations {
    /// Evaluations submitted.
    pub answers: u32,
    /// Sum of their overall scores.
    pub overall_sum: u64,
    /// Enrolments that ended in an assessment.
    pub asked: u32,
}

fn small(value: u8) -> i16 {
    i16::from(value)
}

fn to_u32(n: i64) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

impl Store {
    /// The evaluation of an enrolment, if one was submitted.
    pub async fn evaluation(&self, enrolment_id: Uuid) -> Result<Option<evaluation::Model>> {
        Ok(evaluation::Entity::find_by_id(enrolment_id)
            .one(&self.db)
            .await?)
    }

    /// Creates the evaluation of `facts.enrolment_id` at `now`, or updates it
    /// if it was first submitted at or after `edit_from`. Returns the row and
    /// whether it was created, or `None` when it exists and its window has
    /// closed.
    pub async fn save_evaluation(
        &self,
        facts: &EvaluationFacts,
        scores: &Scores,
        comment: &str,
        now: DateTime<Utc>,
        edit_from: DateTime<Utc>,
    ) -> Result<Option<(evaluation::Model, bool)>> {
        let row = evaluation::ActiveModel {
            enrolment_id: Set(facts.enrolment_id),
            session_id: Set(facts.session_id),
            course_id: Set(facts.course_id),
            instructor_subject: Set(facts.instructor_subject.clone()),
            organization_id: Set(facts.organization_id.clone()),
            ended_at: Set(facts.ended_at),
            content: Set(small(scores.content)),
            instructor: Set(small(scores.instructor)),
            relevance: Set(small(scores.relevance)),
            organization: Set(small(scores.organization)),
            overall: Set(small(scores.overall)),
            comment: Set(comment.to_owned()),
            submitted_at: Set(now),
            updated_at: Set(now),
        };
        let inserted = evaluation::Entity::insert(row)
            .on_conflict(
                OnConflict::column(evaluation::Column::EnrolmentId)
                    .do_nothing()
                    .to_owned(),
            )
            .exec_without_returning(&self.db)
            .await;
        let created = match inserted {
            Ok(rows) => rows == 1,
            Err(sea_orm::DbErr::RecordNotInserted) => false,
            Err(error) => return Err(error.into()),
        };
        if !created {
            // An edit, only within the window (checked in the same statement,
            // so a late edit racing the deadline cannot slip through).
            let updated = evaluation::Entity::update_many()
                .col_expr(
                    evaluation::Column::Content,
                    Expr::value(small(scores.content)),
                )
                .col_expr(
                    evaluation::Column::Instructor,
                    Expr::value(small(scores.instructor)),
                )
                .col_expr(
                    evaluation::Column::Relevance,
                    Expr::value(small(scores.relevance)),
                )
                .col_expr(
                    evaluation::Column::Organization,
                    Expr::value(small(scores.organization)),
                )
                .col_expr(
                    evaluation::Column::Overall,
                    Expr::value(small(scores.overall)),
                )
                .col_expr(evaluation::Column::Comment, Expr::value(comment.to_owned()))
                .col_expr(evaluation::Column::UpdatedAt, Expr::value(now))
                .filter(evaluation::Column::EnrolmentId.eq(facts.enrolment_id))
                .filter(evaluation::Column::SubmittedAt.gte(edit_from))
                .exec(&self.db)
                .await?;
            if updated.rows_affected == 0 {
                return Ok(None);
            }
        }
        Ok(self
            .evaluation(facts.enrolment_id)
            .await?
            .map(|row| (row, created)))
    }

    /// The instructor of a session, as courses last told this service (at an
    /// enrolment, attendance or assessment, or in the reconcile worker's poll).
    pub async fn session_instructor(&self, session_id: Uuid) -> Result<Option<String>> {
        Ok(session_seats::Entity::find_by_id(session_id)
            .one(&self.db)
            .await?
            .map(|seats| seats.instructor_subject))
    }

    /// Sets when an evaluation was first submitted: for demo data and for
    /// tests of the edit window (no clock to move).
    pub async fn set_evaluation_submitted_at(
        &self,
        enrolment_id: Uuid,
        at: DateTime<Utc>,
    ) -> Result<bool> {
        let updated = evaluation::Entity::update_many()
            .col_expr(evaluation::Column::SubmittedAt, Expr::value(at))
            .filter(evaluation::Column::EnrolmentId.eq(enrolment_id))
            .exec(&self.db)
            .await?;
        Ok(updated.rows_affected == 1)
    }

    /// The aggregates of the evaluations in `scope` whose enrolments ended in
    /// `[from, until)`, and how many enrolments there were asked.
    pub async fn evaluation_tally(
        &self,
        scope: &EvaluationScope,
        from: Option<DateTime<Utc>>,
        until: Option<DateTime<Utc>>,
    ) -> Result<EvaluationTally> {
        let mut answered = Condition::all();
        let mut asked = Condition::all().add(enrolment::Column::Status.is_in(ASKED));
        if let Some(from) = from {
            answered = answered.add(evaluation::Column::EndedAt.gte(from));
            asked = asked.add(enrolment::Column::CompletedAt.gte(from));
        }
        if let Some(until) = until {
            answered = answered.add(evaluation::Column::EndedAt.lt(until));
            asked = asked.add(enrolment::Column::CompletedAt.lt(until));
        }
        match scope {
            EvaluationScope::Session(session) => {
                answered = answered.add(evaluation::Column::SessionId.eq(*session));
                asked = asked.add(enrolment::Column::SessionId.eq(*session));
            }
            EvaluationScope::Course(course) => {
                answered = answered.add(evaluation::Column::CourseId.eq(*course));
                asked = asked.add(enrolment::Column::CourseId.eq(*course));
            }
            EvaluationScope::Instructor(subject) => {
                answered = answered.add(evaluation::Column::InstructorSubject.eq(subject.as_str()));
                let sessions: Vec<Uuid> = session_seats::Entity::find()
                    .select_only()
                    .column(session_seats::Column::SessionId)
                    .filter(session_seats::Column::InstructorSubject.eq(subject.as_str()))
                    .into_tuple()
                    .all(&self.db)
                    .await?;
                asked = asked.add(enrolment::Column::SessionId.is_in(sessions));
            }
        }
        let rows = evaluation::Entity::find()
            .filter(answered)
            .all(&self.db)
            .await?;
        let asked = enrolment::Entity::find()
            .filter(asked)
            .count(&self.db)
            .await?;
        let mut result = EvaluationTally {
            asked: u32::try_from(asked).unwrap_or(u32::MAX),
            ..EvaluationTally::default()
        };
        for row in rows {
            let score = |v: i16| u8::try_from(v).unwrap_or(0);
            result.tally.add(&Scores {
                content: score(row.content),
                instructor: score(row.instructor),
                relevance: score(row.relevance),
                organization: score(row.organization),
                overall: score(row.overall),
            });
            if !row.comment.is_empty() {
                result.comments.push(row.comment);
            }
        }
        // Sorted by text: no order of submission to match against who
        // finished when.
        result.comments.sort();
        Ok(result)
    }

    /// Evaluations per organization of the enrolments that ended in
    /// `[from, until)`, for `courses` (all when empty): the benchmark's
    /// satisfaction and response rate (`asked` is left at zero: the
    /// benchmark's measures count the enrolments asked, see
    /// `Measures::asked`).
    pub async fn evaluation_benchmark(
        &self,
        from: Option<DateTime<Utc>>,
        until: Option<DateTime<Utc>>,
        courses: &[Uuid],
    ) -> Result<HashMap<String, OrganizationEvaluations>> {
        let mut answered = Condition::all();
        if let Some(from) = from {
            answered = answered.add(evaluation::Column::EndedAt.gte(from));
        }
        if let Some(until) = until {
            answered = answered.add(evaluation::Column::EndedAt.lt(until));
        }
        if !courses.is_empty() {
            answered = answered.add(evaluation::Column::CourseId.is_in(courses.to_vec()));
        }
        let answers = evaluation::Entity::find()
            .select_only()
            .column(evaluation::Column::OrganizationId)
            .column_as(Expr::cust("COUNT(*)"), "n")
            .column_as(
                Expr::col(evaluation::Column::Overall)
                    .sum()
                    .cast_as("bigint"),
                "overall_sum",
            )
            .filter(answered)
            .group_by(evaluation::Column::OrganizationId)
            .into_tuple::<(String, i64, Option<i64>)>()
            .all(&self.db)
            .await?;
        let mut by_org: HashMap<String, OrganizationEvaluations> = HashMap::new();
        for (organization, n, overall_sum) in answers {
            let entry = by_org.entry(organization).or_default();
            entry.answers = to_u32(n);
            entry.overall_sum = u64::try_from(overall_sum.unwrap_or(0)).unwrap_or(0);
        }
        Ok(by_org)
    }
}
