//! The council workflow shared by programs and courses: status transitions,
//! review rounds and the votes that settle them.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, Query};
use sea_orm::{
    ActiveEnum, ColumnTrait, Condition, ConnectionTrait, EntityTrait, ExprTrait, FromQueryResult,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set, TransactionTrait,
};
use uuid::Uuid;

use super::{Result, Store, not_found};
use crate::domain::CoursesError;
use crate::domain::workflow::{self, CatalogStatus, RoundOutcome, Transition, VoteDecision};
use crate::store::entities::{council_vote, course, program};

/// Programs and courses share the council workflow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subject {
    /// A course.
    Course,
    /// A program.
    Program,
}

impl Subject {
    fn table(self) -> &'static str {
        match self {
            Self::Course => "courses",
            Self::Program => "programs",
        }
    }

    /// The name used in votes and messages.
    pub fn kind(self) -> &'static str {
        match self {
            Self::Course => "course",
            Self::Program => "program",
        }
    }
}

/// A council member's vote with what it was cast on, as
/// [`Store::member_votes`] reads it.
#[derive(Debug, Clone)]
pub struct MemberVote {
    /// A course or a program.
    pub subject: Subject,
    /// The course or program as it is now (`None` only if it could not be
    /// read: courses and programs are never deleted).
    pub item: Option<VotedItem>,
    /// The vote.
    pub vote: council_vote::Model,
}

/// The course or program a vote was cast on, as it is now.
#[derive(Debug, Clone, FromQueryResult)]
pub struct VotedItem {
    /// Its id.
    pub id: Uuid,
    /// Its code.
    pub code: String,
    /// Its Persian title.
    pub title_fa: String,
    /// Its English title.
    pub title_en: String,
    /// Its status.
    pub status: CatalogStatus,
    /// Its latest review round.
    pub review_round: i32,
}

/// Who cast a vote.
#[derive(Debug, Clone)]
pub struct Voter {
    /// Token `sub`.
    pub subject: String,
    /// Display name.
    pub name: String,
    /// Organization.
    pub organization_id: String,
}

/// A council member's vote.
#[derive(Debug, Clone)]
pub struct Ballot<'a> {
    /// Who votes.
    pub voter: &'a Voter,
    /// Approve or reject.
    pub decision: VoteDecision,
    /// Why.
    pub comment: &'a str,
}

impl Store {
    /// Moves a program or course through the workflow. Submitting opens a new
    /// review round; publishing stamps the publication time.
    pub async fn transition(
        &self,
        subject: Subject,
        id: Uuid,
        transition: Transition,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let table = subject.table();
        let mut update = sea_orm::sea_query::Query::update();
        update
            .table(table)
            .value("status", transition.to().to_value())
            .value("updated_at", now)
            .value("revision", Expr::col("revision").add(1))
            .and_where(Expr::col("id").eq(id))
            .and_where(Expr::col("status").eq(transition.from().to_value()));
        if transition == Transition::Submit {
            update.value("review_round", Expr::col("review_round").add(1));
        }
        if transition == Transition::Publish {
            update.value("published_at", now);
        }
        let txn = self.db.begin().await?;
        let result = txn.execute(&update).await?;
        if result.rows_affected() == 0 {
            drop(txn);
            return Err(self.explain_catalog_refusal(subject, id, transition).await);
        }
        // The council hears of what waits for it, in this transaction.
        if transition == Transition::Submit {
            let titles = match subject {
                Subject::Course => course::Entity::find_by_id(id)
                    .one(&txn)
                    .await?
                    .map(|c| (c.title_fa, c.title_en)),
                Subject::Program => program::Entity::find_by_id(id)
                    .one(&txn)
                    .await?
                    .map(|p| (p.title_fa, p.title_en)),
            };
            let (title_fa, title_en) = titles.unwrap_or_default();
            let event = hamafza_proto::notifications::CatalogEvent {
                id: id.to_string(),
                program: subject == Subject::Program,
                title_fa,
                title_en,
            };
            super::notices::submitted(&txn, &self.notify_outbox(), event, now).await?;
        }
        txn.commit().await?;
        Ok(())
    }

    /// Records a council vote and settles the round. The subject's row is
    /// written first, which serializes concurrent voters on it, so the count of
    /// approvals that decides the round includes every earlier vote.
    pub async fn vote(
        &self,
        subject: Subject,
        id: Uuid,
        ballot: &Ballot<'_>,
        required_approvals: u32,
        now: DateTime<Utc>,
    ) -> Result<RoundOutcome> {
        let table = subject.table();
        let txn = self.db.begin().await?;
        let mut touch = sea_orm::sea_query::Query::update();
        // A vote changes the item's review, so it bumps the revision too.
        touch
            .table(table)
            .value("updated_at", now)
            .value("revision", Expr::col("revision").add(1))
            .and_where(Expr::col("id").eq(id))
            .and_where(Expr::col("status").eq(CatalogStatus::Submitted.to_value()));
        let touched = txn.execute(&touch).await?.rows_affected();
        if touched == 0 {
            drop(txn);
            return Err(self.explain_vote_refusal(subject, id).await);
        }
        let round = self.round_of(&txn, subject, id).await?;
        let vote = council_vote::ActiveModel {
            id: Set(Uuid::now_v7()),
            subject_kind: Set(subject.kind().to_owned()),
            subject_id: Set(id),
            round: Set(round),
            voter_subject: Set(ballot.voter.subject.clone()),
            voter_name: Set(ballot.voter.name.clone()),
            voter_organization_id: Set(ballot.voter.organization_id.clone()),
            decision: Set(ballot.decision),
            comment: Set(ballot.comment.to_owned()),
            voted_at: Set(now),
        };
        if let Err(error) = council_vote::Entity::insert(vote)
            .exec_without_returning(&txn)
            .await
        {
            return Err(if hamafza_kit::db::is_unique_violation(&error) {
                CoursesError::AlreadyVoted {
                    kind: subject.kind(),
                    round: u32::try_from(round).unwrap_or(0),
                }
            } else {
                error.into()
            });
        }
        let approvals = council_vote::Entity::find()
            .filter(council_vote::Column::SubjectKind.eq(subject.kind()))
            .filter(council_vote::Column::SubjectId.eq(id))
            .filter(council_vote::Column::Round.eq(round))
            .filter(council_vote::Column::Decision.eq(VoteDecision::Approve))
            .count(&txn)
            .await?;
        let outcome = workflow::tally(
            ballot.decision,
            u32::try_from(approvals).unwrap_or(u32::MAX),
            required_approvals,
        );
        if outcome != RoundOutcome::Pending {
            let mut settle = sea_orm::sea_query::Query::update();
            settle
                .table(table)
                .value("status", workflow::status_after(outcome).to_value())
                .and_where(Expr::col("id").eq(id));
            txn.execute(&settle).await?;
        }
        txn.commit().await?;
        Ok(outcome)
    }

    /// Every vote on a program or course, oldest first.
    pub async fn votes(&self, subject: Subject, id: Uuid) -> Result<Vec<council_vote::Model>> {
        Ok(council_vote::Entity::find()
            .filter(council_vote::Column::SubjectKind.eq(subject.kind()))
            .filter(council_vote::Column::SubjectId.eq(id))
            .order_by_asc(council_vote::Column::Round)
            .order_by_asc(council_vote::Column::VotedAt)
            .order_by_asc(council_vote::Column::Id)
            .all(&self.db)
            .await?)
    }

    /// The votes `voter` cast, newest first, after the `(voted_at, id)`
    /// cursor, each with what it was cast on as it is now: three statements
    /// for a page, whatever its size.
    pub async fn member_votes(
        &self,
        voter: &str,
        after: Option<(DateTime<Utc>, Uuid)>,
        limit: u64,
    ) -> Result<Vec<MemberVote>> {
        let mut query = council_vote::Entity::find()
            .filter(council_vote::Column::VoterSubject.eq(voter))
            .order_by_desc(council_vote::Column::VotedAt)
            .order_by_desc(council_vote::Column::Id)
            .limit(limit);
        if let Some((voted_at, id)) = after {
            query = query.filter(
                Condition::any()
                    .add(council_vote::Column::VotedAt.lt(voted_at))
                    .add(
                        Condition::all()
                            .add(council_vote::Column::VotedAt.eq(voted_at))
                            .add(council_vote::Column::Id.lt(id)),
                    ),
            );
        }
        let votes = query.all(&self.db).await?;
        let ids_of = |subject: Subject| -> Vec<Uuid> {
            votes
                .iter()
                .filter(|v| v.subject_kind == subject.kind())
                .map(|v| v.subject_id)
                .collect()
        };
        let (courses, programs) = tokio::try_join!(
            self.voted_items(Subject::Course, ids_of(Subject::Course)),
            self.voted_items(Subject::Program, ids_of(Subject::Program)),
        )?;
        let items: HashMap<(&str, Uuid), VotedItem> = (courses.into_iter())
            .map(|item| ((Subject::Course.kind(), item.id), item))
            .chain(
                programs
                    .into_iter()
                    .map(|item| ((Subject::Program.kind(), item.id), item)),
            )
            .collect();
        // Every vote is kept, so a page is as long as asked and its cursor
        // is right.
        Ok(votes
            .into_iter()
            .map(|vote| {
                let subject = if vote.subject_kind == Subject::Program.kind() {
                    Subject::Program
                } else {
                    Subject::Course
                };
                let item = items.get(&(subject.kind(), vote.subject_id)).cloned();
                MemberVote {
                    subject,
                    item,
                    vote,
                }
            })
            .collect())
    }

    /// The courses or programs `ids`, as a vote lists them (the two tables
    /// share these columns).
    async fn voted_items(&self, subject: Subject, ids: Vec<Uuid>) -> Result<Vec<VotedItem>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let query = Query::select()
            .columns([
                "id",
                "code",
                "title_fa",
                "title_en",
                "status",
                "review_round",
            ])
            .from(subject.table())
            .and_where(Expr::col("id").is_in(ids))
            .to_owned();
        let statement = self.db.get_database_backend().build(&query);
        Ok(VotedItem::find_by_statement(statement)
            .all(&self.db)
            .await?)
    }

    async fn round_of(&self, db: &impl ConnectionTrait, subject: Subject, id: Uuid) -> Result<i32> {
        let round = match subject {
            Subject::Course => course::Entity::find_by_id(id)
                .one(db)
                .await?
                .map(|row| row.review_round),
            Subject::Program => program::Entity::find_by_id(id)
                .one(db)
                .await?
                .map(|row| row.review_round),
        };
        round.ok_or_else(|| not_found(subject.kind(), id))
    }

    async fn status_of(&self, subject: Subject, id: Uuid) -> Result<Option<CatalogStatus>> {
        Ok(self.state_of(subject, id).await?.map(|(status, _)| status))
    }

    /// The status and revision of a program or course.
    async fn state_of(&self, subject: Subject, id: Uuid) -> Result<Option<(CatalogStatus, i64)>> {
        Ok(match subject {
            Subject::Course => course::Entity::find_by_id(id)
                .one(&self.db)
                .await?
                .map(|row| (row.status, row.revision)),
            Subject::Program => program::Entity::find_by_id(id)
                .one(&self.db)
                .await?
                .map(|row| (row.status, row.revision)),
        })
    }

    /// Why a conditional edit of a DRAFT item at `revision` changed nothing:
    /// the item is gone, no longer a draft, or was changed meanwhile.
    pub(super) async fn explain_edit_refusal(
        &self,
        subject: Subject,
        id: Uuid,
        revision: i64,
    ) -> CoursesError {
        match self.state_of(subject, id).await {
            Ok(Some((CatalogStatus::Draft, actual))) if actual != revision => {
                CoursesError::EtagMismatch {
                    kind: subject.kind(),
                    id: id.to_string(),
                }
            }
            Ok(Some((actual, _))) => CoursesError::WrongCatalogStatus {
                kind: subject.kind(),
                actual,
                expected: Transition::Edit.expected(),
            },
            Ok(None) => not_found(subject.kind(), id),
            Err(error) => error,
        }
    }

    /// Why a conditional workflow update changed nothing.
    pub(super) async fn explain_catalog_refusal(
        &self,
        subject: Subject,
        id: Uuid,
        transition: Transition,
    ) -> CoursesError {
        match self.status_of(subject, id).await {
            Ok(Some(actual)) => CoursesError::WrongCatalogStatus {
                kind: subject.kind(),
                actual,
                expected: transition.expected(),
            },
            Ok(None) => not_found(subject.kind(), id),
            Err(error) => error,
        }
    }

    async fn explain_vote_refusal(&self, subject: Subject, id: Uuid) -> CoursesError {
        match self.status_of(subject, id).await {
            Ok(Some(actual)) => CoursesError::WrongCatalogStatus {
                kind: subject.kind(),
                actual,
                expected: "submitted",
            },
            Ok(None) => not_found(subject.kind(), id),
            Err(error) => error,
        }
    }

    pub(super) async fn current_votes(
        &self,
        subject: Subject,
        rounds: &[(Uuid, i32)],
    ) -> Result<HashMap<Uuid, Vec<council_vote::Model>>> {
        let mut by_subject: HashMap<Uuid, Vec<council_vote::Model>> = HashMap::new();
        let ids: Vec<Uuid> = rounds
            .iter()
            .filter(|(_, round)| *round > 0)
            .map(|(id, _)| *id)
            .collect();
        if ids.is_empty() {
            return Ok(by_subject);
        }
        let current: HashMap<Uuid, i32> = rounds.iter().copied().collect();
        for vote in council_vote::Entity::find()
            .filter(council_vote::Column::SubjectKind.eq(subject.kind()))
            .filter(council_vote::Column::SubjectId.is_in(ids))
            .order_by_asc(council_vote::Column::VotedAt)
            .order_by_asc(council_vote::Column::Id)
            .all(&self.db)
            .await?
        {
            if current.get(&vote.subject_id) == Some(&vote.round) {
                by_subject.entry(vote.subject_id).or_default().push(vote);
            }
        }
        Ok(by_subject)
    }
}
