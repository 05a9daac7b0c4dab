//! The council workflow courses and programs share: an admin submits a
//! draft, the council votes on it, an admin publishes what was approved and
//! later retires it.

use chrono::{DateTime, Utc};
use hamafza_kit::auth::Caller;
use hamafza_kit::{ApiError, Violations, page, time};
use hamafza_proto::courses as pb;
use uuid::Uuid;

use crate::api::convert::{member_vote_to_wire, parse_id, vote_decision_from_wire, vote_to_wire};
use crate::api::{ADMIN, COUNCIL, CoursesApi};
use crate::domain::CoursesError;
use crate::domain::workflow::{RoundOutcome, Transition, VoteDecision};
use crate::store::queries::{Ballot, CourseRecord, ProgramRecord, Subject, Voter};

/// Longest council comment, in characters.
const COMMENT_CHARS: usize = 2000;

/// Longest subject (a token's `sub`) a voter can have, in characters.
const SUBJECT_CHARS: usize = 200;

impl CoursesApi {
    /// Submits a draft course to the council.
    pub(super) async fn submit_course(
        &self,
        caller: &Caller,
        request: pb::SubmitCourseRequest,
    ) -> Result<pb::SubmitCourseResponse, ApiError> {
        let id = self
            .move_subject(
                caller,
                Subject::Course,
                &request.course_id,
                Transition::Submit,
            )
            .await?;
        Ok(pb::SubmitCourseResponse {
            course: Some(self.entry_reply::<CourseRecord>(id).await?),
        })
    }

    /// A council member's vote on a submitted course.
    pub(super) async fn review_course(
        &self,
        caller: &Caller,
        request: pb::ReviewCourseRequest,
    ) -> Result<pb::ReviewCourseResponse, ApiError> {
        let id = self
            .review(
                caller,
                Subject::Course,
                &request.course_id,
                request.decision,
                &request.comment,
            )
            .await?;
        Ok(pb::ReviewCourseResponse {
            course: Some(self.entry_reply::<CourseRecord>(id).await?),
        })
    }

    /// Publishes an approved course.
    pub(super) async fn publish_course(
        &self,
        caller: &Caller,
        request: pb::PublishCourseRequest,
    ) -> Result<pb::PublishCourseResponse, ApiError> {
        let id = self
            .move_subject(
                caller,
                Subject::Course,
                &request.course_id,
                Transition::Publish,
            )
            .await?;
        Ok(pb::PublishCourseResponse {
            course: Some(self.entry_reply::<CourseRecord>(id).await?),
        })
    }

    /// Retires a published course.
    pub(super) async fn retire_course(
        &self,
        caller: &Caller,
        request: pb::RetireCourseRequest,
    ) -> Result<pb::RetireCourseResponse, ApiError> {
        let id = self
            .move_subject(
                caller,
                Subject::Course,
                &request.course_id,
                Transition::Retire,
            )
            .await?;
        Ok(pb::RetireCourseResponse {
            course: Some(self.entry_reply::<CourseRecord>(id).await?),
        })
    }

    /// The council's votes on a course.
    pub(super) async fn list_course_votes(
        &self,
        caller: &Caller,
        request: pb::ListCourseVotesRequest,
    ) -> Result<pb::ListCourseVotesResponse, ApiError> {
        let votes = self
            .list_subject_votes(caller, Subject::Course, &request.course_id)
            .await?;
        Ok(pb::ListCourseVotesResponse { votes })
    }

    /// Submits a draft program to the council.
    pub(super) async fn submit_program(
        &self,
        caller: &Caller,
        request: pb::SubmitProgramRequest,
    ) -> Result<pb::SubmitProgramResponse, ApiError> {
        let id = self
            .move_subject(
                caller,
                Subject::Program,
                &request.program_id,
                Transition::Submit,
            )
            .await?;
        Ok(pb::SubmitProgramResponse {
            program: Some(self.entry_reply::<ProgramRecord>(id).await?),
        })
    }

    /// A council member's vote on a submitted program.
    pub(super) async fn review_program(
        &self,
        caller: &Caller,
        request: pb::ReviewProgramRequest,
    ) -> Result<pb::ReviewProgramResponse, ApiError> {
        let id = self
            .review(
                caller,
                Subject::Program,
                &request.program_id,
                request.decision,
                &request.comment,
            )
            .await?;
        Ok(pb::ReviewProgramResponse {
            program: Some(self.entry_reply::<ProgramRecord>(id).await?),
        })
    }

    /// Publishes an approved program once all its courses are published.
    pub(super) async fn publish_program(
        &self,
        caller: &Caller,
        request: pb::PublishProgramRequest,
    ) -> Result<pb::PublishProgramResponse, ApiError> {
        let id = self
            .move_subject(
                caller,
                Subject::Program,
                &request.program_id,
                Transition::Publish,
            )
            .await?;
        Ok(pb::PublishProgramResponse {
            program: Some(self.entry_reply::<ProgramRecord>(id).await?),
        })
    }

    /// Retires a published program.
    pub(super) async fn retire_program(
        &self,
        caller: &Caller,
        request: pb::RetireProgramRequest,
    ) -> Result<pb::RetireProgramResponse, ApiError> {
        let id = self
            .move_subject(
                caller,
                Subject::Program,
                &request.program_id,
                Transition::Retire,
            )
            .await?;
        Ok(pb::RetireProgramResponse {
            program: Some(self.entry_reply::<ProgramRecord>(id).await?),
        })
    }

    /// The council's votes on a program.
    pub(super) async fn list_program_votes(
        &self,
        caller: &Caller,
        request: pb::ListProgramVotesRequest,
    ) -> Result<pb::ListProgramVotesResponse, ApiError> {
        let votes = self
            .list_subject_votes(caller, Subject::Program, &request.program_id)
            .await?;
        Ok(pb::ListProgramVotesResponse { votes })
    }

    /// The votes one council member cast, newest first, a page at a time.
    pub(super) async fn list_council_votes(
        &self,
        caller: &Caller,
        request: pb::ListCouncilVotesRequest,
    ) -> Result<pb::ListCouncilVotesResponse, ApiError> {
        caller.require_any(&[
            hamafza_kit::auth::Role::PlatformAdmin,
            hamafza_kit::auth::Role::Council,
        ])?;
        let mut v = Violations::new();
        let size = v.take("page_size", page::size(request.page_size));
        // The cursor names its voter: a token is good for that voter only.
        let after = v.take(
            "page_token",
            page::decode::<(String, DateTime<Utc>, Uuid)>(&request.page_token),
        );
        let voter = match request.voter_subject.trim() {
            "" => caller.subject.as_str(),
            voter if voter.chars().count() > SUBJECT_CHARS => {
                v.add(
                    "voter_subject",
                    format!("must be at most {SUBJECT_CHARS} characters"),
                );
                ""
            }
            voter => voter,
        };
        let after = match after.flatten() {
            Some((of, voted_at, id)) if of == voter => Some((voted_at, id)),
            Some(_) => {
                v.add("page_token", "is a page of another voter's votes");
                None
            }
            None => None,
        };
        v.finish()?;
        let size = size.unwrap_or(page::DEFAULT_PAGE_SIZE);
        let mut votes = self.store.member_votes(voter, after, size + 1).await?;
        let next_page_token = page::finish(&mut votes, size, |v| {
            (v.vote.voter_subject.clone(), v.vote.voted_at, v.vote.id)
        });
        Ok(pb::ListCouncilVotesResponse {
            votes: votes.into_iter().map(member_vote_to_wire).collect(),
            next_page_token,
        })
    }

    /// Moves a program or course through the workflow on an admin's behalf.
    async fn move_subject(
        &self,
        caller: &Caller,
        subject: Subject,
        id: &str,
        transition: Transition,
    ) -> Result<Uuid, ApiError> {
        caller.require_any(ADMIN)?;
        let id = Self::parse_subject_id(id_field(subject), id)?;
        if subject == Subject::Program && transition == Transition::Publish {
            let unpublished = self.store.unpublished_program_courses(id).await?;
            if !unpublished.is_empty() {
                return Err(CoursesError::ProgramCoursesNotPublished {
                    codes: unpublished.join(", "),
                }
                .into());
            }
        }
        self.store
            .transition(subject, id, transition, time::now())
            .await?;
        let (kind, to, by) = (subject.kind(), transition.to(), &caller.subject);
        tracing::info!(kind, %id, %to, %by, "catalog status changed");
        Ok(id)
    }

    /// Records a council member's vote.
    async fn review(
        &self,
        caller: &Caller,
        subject: Subject,
        id: &str,
        decision: i32,
        comment: &str,
    ) -> Result<Uuid, ApiError> {
        caller.require_any(COUNCIL)?;
        let mut v = Violations::new();
        let id = parse_id(&mut v, id_field(subject), id);
        let decision = v.take("decision", vote_decision_from_wire(decision));
        let comment = v.take("comment", hamafza_kit::text::plain(comment, COMMENT_CHARS));
        if decision == Some(VoteDecision::Reject) && comment.as_deref() == Some("") {
            v.add(
                "comment",
                "is required when rejecting: say what must change",
            );
        }
        let comment = comment.unwrap_or_default();
        let (id, decision) = v.finish_with(id.zip(decision))?;
        let voter = Voter {
            subject: caller.subject.clone(),
            name: caller.name.clone(),
            organization_id: caller.organization_id.clone(),
        };
        let outcome = self
            .store
            .vote(
                subject,
                id,
                &Ballot {
                    voter: &voter,
                    decision,
                    comment: &comment,
                },
                self.required_approvals().await?,
                time::now(),
            )
            .await?;
        match outcome {
            RoundOutcome::Pending => {
                tracing::info!(kind = subject.kind(), id = %id, "council vote recorded")
            }
            RoundOutcome::Approved => {
                tracing::info!(kind = subject.kind(), id = %id, "approved by the council")
            }
            RoundOutcome::Rejected => {
                tracing::info!(kind = subject.kind(), id = %id, "rejected by the council")
            }
        }
        Ok(id)
    }

    /// The council's votes on a course or program, for admins and the council.
    async fn list_subject_votes(
        &self,
        caller: &Caller,
        subject: Subject,
        id: &str,
    ) -> Result<Vec<pb::CouncilVote>, ApiError> {
        caller.require_any(&[
            hamafza_kit::auth::Role::PlatformAdmin,
            hamafza_kit::auth::Role::Council,
        ])?;
        let id = Self::parse_subject_id(id_field(subject), id)?;
        let exists = match subject {
            Subject::Course => self.store.course(id).await?.is_some(),
            Subject::Program => self.store.program(id).await?.is_some(),
        };
        if !exists {
            return Err(ApiError::not_found(subject.kind(), id));
        }
        Ok(self
            .store
            .votes(subject, id)
            .await?
            .into_iter()
            .map(vote_to_wire)
            .collect())
    }
}

/// The request field that names a course or a program.
fn id_field(subject: Subject) -> &'static str {
    match subject {
        Subject::Course => "course_id",
        Subject::Program => "program_id",
    }
}
