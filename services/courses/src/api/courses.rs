//! `hamafza.courses.v1.CourseService`: courses, programs and the council
//! workflow they share.

use hamafza_kit::auth::Caller;
use hamafza_kit::{ApiError, Violations, page, time};
use hamafza_proto::courses as pb;
use hamafza_proto::courses::course_service_server::CourseService;
use tonic::{Request, Response, Status};
use uuid::Uuid;

use super::convert::{
    Audience, catalog_statuses_from_wire, course_draft, course_to_wire, parse_id,
    parse_organization_filter, parse_range, parse_text_filter, program_draft, program_to_wire,
    vote_decision_from_wire, vote_to_wire,
};
use super::{ADMIN, COUNCIL, CoursesApi, is_staff, reply, signed_in};
use crate::domain::CoursesError;
use crate::domain::workflow::{CatalogStatus, RoundOutcome, Transition, VoteDecision};
use crate::store::queries::{
    Ballot, CourseFilter, CourseRecord, ProgramFilter, ProgramRecord, Subject, Voter,
};

/// What `caller` may see of the council's deliberation.
fn audience(caller: &Caller) -> Audience {
    if is_staff(caller) {
        Audience::Staff
    } else {
        Audience::Public
    }
}

/// Longest council comment, in characters.
const COMMENT_CHARS: usize = 2000;
/// Most ids in one `course_ids` filter.
const MAX_ID_FILTER: usize = 200;

impl CoursesApi {
    fn parse_subject_id(field: &str, value: &str) -> Result<Uuid, ApiError> {
        let mut v = Violations::new();
        let id = parse_id(&mut v, field, value);
        v.finish_with(id)
    }

    /// A course the caller may see; drafts of others are "not found" to
    /// callers who may not see drafts.
    async fn visible_course(&self, caller: &Caller, id: Uuid) -> Result<CourseRecord, ApiError> {
        match self.store.course(id).await? {
            Some(record) if is_staff(caller) || record.course.status.is_public() => Ok(record),
            _ => Err(ApiError::not_found("course", id)),
        }
    }

    async fn visible_program(&self, caller: &Caller, id: Uuid) -> Result<ProgramRecord, ApiError> {
        match self.store.program(id).await? {
            Some(record) if is_staff(caller) || record.program.status.is_public() => Ok(record),
            _ => Err(ApiError::not_found("program", id)),
        }
    }

    /// The statuses a listing may include: what was asked for, within what
    /// the caller may see.
    fn visible_statuses(
        caller: &Caller,
        asked: Vec<CatalogStatus>,
    ) -> Result<Vec<CatalogStatus>, ApiError> {
        let allowed: Vec<CatalogStatus> = if is_staff(caller) {
            vec![
                CatalogStatus::Draft,
                CatalogStatus::Submitted,
                CatalogStatus::Approved,
                CatalogStatus::Published,
                CatalogStatus::Retired,
            ]
        } else {
            CatalogStatus::PUBLIC.to_vec()
        };
        if asked.is_empty() {
            return Ok(allowed);
        }
        if let Some(hidden) = asked.iter().find(|status| !allowed.contains(status)) {
            return Err(ApiError::permission_denied(format!(
                "only platform admins and council members may list {hidden} items"
            )));
        }
        Ok(asked)
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
        let field = match subject {
            Subject::Course => "course_id",
            Subject::Program => "program_id",
        };
        let id = Self::parse_subject_id(field, id)?;
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
        tracing::info!(kind = subject.kind(), id = %id, to = %transition.to(), by = %caller.subject, "catalog status changed");
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
        let field = match subject {
            Subject::Course => "course_id",
            Subject::Program => "program_id",
        };
        let id = parse_id(&mut v, field, id);
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
                self.required_approvals,
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

    async fn course_reply(&self, id: Uuid) -> Result<pb::Course, ApiError> {
        let record = self
            .store
            .course(id)
            .await?
            .ok_or_else(|| ApiError::not_found("course", id))?;
        Ok(course_to_wire(
            record,
            self.required_approvals,
            Audience::Staff,
        ))
    }

    async fn program_reply(&self, id: Uuid) -> Result<pb::Program, ApiError> {
        let record = self
            .store
            .program(id)
            .await?
            .ok_or_else(|| ApiError::not_found("program", id))?;
        Ok(program_to_wire(
            record,
            self.required_approvals,
            Audience::Staff,
        ))
    }

    async fn list_subject_votes(
        &self,
        caller: &Caller,
        subject: Subject,
        field: &str,
        id: &str,
    ) -> Result<Vec<pb::CouncilVote>, ApiError> {
        caller.require_any(&[
            hamafza_kit::auth::Role::PlatformAdmin,
            hamafza_kit::auth::Role::Council,
        ])?;
        let id = Self::parse_subject_id(field, id)?;
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

#[tonic::async_trait]
impl CourseService for CoursesApi {
    async fn create_course(
        &self,
        request: Request<pb::CreateCourseRequest>,
    ) -> Result<Response<pb::CreateCourseResponse>, Status> {
        let caller = signed_in(&request)?;
        let request = request.into_inner();
        reply(async {
            caller.require_any(ADMIN)?;
            let draft = course_draft(request.details.as_ref())?;
            let record = self.store.create_course(&draft, &caller.organization_id, &caller.subject, time::now()).await?;
            tracing::info!(course_id = %record.course.id, code = %record.course.code, "course created");
            Ok(pb::CreateCourseResponse { course: Some(course_to_wire(record, self.required_approvals, audience(&caller))) })
        }
        .await)
    }

    async fn get_course(
        &self,
        request: Request<pb::GetCourseRequest>,
    ) -> Result<Response<pb::GetCourseResponse>, Status> {
        let caller = signed_in(&request)?;
        let request = request.into_inner();
        reply(
            async {
                let id = Self::parse_subject_id("course_id", &request.course_id)?;
                let record = self.visible_course(&caller, id).await?;
                Ok(pb::GetCourseResponse {
                    course: Some(course_to_wire(
                        record,
                        self.required_approvals,
                        audience(&caller),
                    )),
                })
            }
            .await,
        )
    }

    async fn list_courses(
        &self,
        request: Request<pb::ListCoursesRequest>,
    ) -> Result<Response<pb::ListCoursesResponse>, Status> {
        let caller = signed_in(&request)?;
        let request = request.into_inner();
        reply(
            async {
                let mut v = Violations::new();
                let size = v.take("page_size", page::size(request.page_size));
                let after = v.take("page_token", page::decode::<Uuid>(&request.page_token));
                let statuses = catalog_statuses_from_wire(&mut v, "statuses", &request.statuses);
                let owner = parse_organization_filter(
                    &mut v,
                    "owner_organization_id",
                    &request.owner_organization_id,
                );
                let category = parse_text_filter(&mut v, "category", &request.category);
                let text = parse_text_filter(&mut v, "text", &request.text);
                let (created_from, created_until) =
                    parse_range(&mut v, "create_time", request.create_time.as_ref());
                if request.course_ids.len() > MAX_ID_FILTER {
                    v.add(
                        "course_ids",
                        format!("may list at most {MAX_ID_FILTER} ids"),
                    );
                }
                let ids: Vec<Uuid> = request
                    .course_ids
                    .iter()
                    .enumerate()
                    .filter_map(|(i, id)| parse_id(&mut v, &format!("course_ids[{i}]"), id))
                    .collect();
                v.finish()?;
                let size = size.unwrap_or(page::DEFAULT_PAGE_SIZE);
                let filter = CourseFilter {
                    statuses: Self::visible_statuses(&caller, statuses)?,
                    owner,
                    category,
                    text,
                    created_from,
                    created_until,
                    ids,
                };
                let after = after.flatten();
                let list = async { Ok(self.store.list_courses(&filter, after, size + 1).await?) };
                let mut records = if is_staff(&caller) {
                    list.await?
                } else {
                    let key = format!("{filter:?}/{after:?}/{size}");
                    self.public_listing(key, list).await?
                };
                let next_page_token = page::finish(&mut records, size, |record| record.course.id);
                Ok(pb::ListCoursesResponse {
                    courses: records
                        .into_iter()
                        .map(|record| {
                            course_to_wire(record, self.required_approvals, audience(&caller))
                        })
                        .collect(),
                    next_page_token,
                })
            }
            .await,
        )
    }

    async fn update_course(
        &self,
        request: Request<pb::UpdateCourseRequest>,
    ) -> Result<Response<pb::UpdateCourseResponse>, Status> {
        let caller = signed_in(&request)?;
        let request = request.into_inner();
        reply(
            async {
                caller.require_any(ADMIN)?;
                let id = Self::parse_subject_id("course_id", &request.course_id)?;
                let draft = course_draft(request.details.as_ref())?;
                let record = self.store.update_course(id, &draft, time::now()).await?;
                Ok(pb::UpdateCourseResponse {
                    course: Some(course_to_wire(
                        record,
                        self.required_approvals,
                        audience(&caller),
                    )),
                })
            }
            .await,
        )
    }

    async fn submit_course(
        &self,
        request: Request<pb::SubmitCourseRequest>,
    ) -> Result<Response<pb::SubmitCourseResponse>, Status> {
        let caller = signed_in(&request)?;
        let request = request.into_inner();
        reply(
            async {
                let id = self
                    .move_subject(
                        &caller,
                        Subject::Course,
                        &request.course_id,
                        Transition::Submit,
                    )
                    .await?;
                Ok(pb::SubmitCourseResponse {
                    course: Some(self.course_reply(id).await?),
                })
            }
            .await,
        )
    }

    async fn review_course(
        &self,
        request: Request<pb::ReviewCourseRequest>,
    ) -> Result<Response<pb::ReviewCourseResponse>, Status> {
        let caller = signed_in(&request)?;
        let request = request.into_inner();
        reply(
            async {
                let id = self
                    .review(
                        &caller,
                        Subject::Course,
                        &request.course_id,
                        request.decision,
                        &request.comment,
                    )
                    .await?;
                Ok(pb::ReviewCourseResponse {
                    course: Some(self.course_reply(id).await?),
                })
            }
            .await,
        )
    }

    async fn publish_course(
        &self,
        request: Request<pb::PublishCourseRequest>,
    ) -> Result<Response<pb::PublishCourseResponse>, Status> {
        let caller = signed_in(&request)?;
        let request = request.into_inner();
        reply(
            async {
                let id = self
                    .move_subject(
                        &caller,
                        Subject::Course,
                        &request.course_id,
                        Transition::Publish,
                    )
                    .await?;
                Ok(pb::PublishCourseResponse {
                    course: Some(self.course_reply(id).await?),
                })
            }
            .await,
        )
    }

    async fn retire_course(
        &self,
        request: Request<pb::RetireCourseRequest>,
    ) -> Result<Response<pb::RetireCourseResponse>, Status> {
        let caller = signed_in(&request)?;
        let request = request.into_inner();
        reply(
            async {
                let id = self
                    .move_subject(
                        &caller,
                        Subject::Course,
                        &request.course_id,
                        Transition::Retire,
                    )
                    .await?;
                Ok(pb::RetireCourseResponse {
                    course: Some(self.course_reply(id).await?),
                })
            }
            .await,
        )
    }

    async fn list_course_votes(
        &self,
        request: Request<pb::ListCourseVotesRequest>,
    ) -> Result<Response<pb::ListCourseVotesResponse>, Status> {
        let caller = signed_in(&request)?;
        let request = request.into_inner();
        reply(
            async {
                let votes = self
                    .list_subject_votes(&caller, Subject::Course, "course_id", &request.course_id)
                    .await?;
                Ok(pb::ListCourseVotesResponse { votes })
            }
            .await,
        )
    }

    async fn create_program(
        &self,
        request: Request<pb::CreateProgramRequest>,
    ) -> Result<Response<pb::CreateProgramResponse>, Status> {
        let caller = signed_in(&request)?;
        let request = request.into_inner();
        reply(async {
            caller.require_any(ADMIN)?;
            let draft = program_draft(request.details.as_ref())?;
            let record = self.store.create_program(&draft, &caller.organization_id, &caller.subject, time::now()).await?;
            tracing::info!(program_id = %record.program.id, code = %record.program.code, "program created");
            Ok(pb::CreateProgramResponse { program: Some(program_to_wire(record, self.required_approvals, audience(&caller))) })
        }
        .await)
    }

    async fn get_program(
        &self,
        request: Request<pb::GetProgramRequest>,
    ) -> Result<Response<pb::GetProgramResponse>, Status> {
        let caller = signed_in(&request)?;
        let request = request.into_inner();
        reply(
            async {
                let id = Self::parse_subject_id("program_id", &request.program_id)?;
                let record = self.visible_program(&caller, id).await?;
                Ok(pb::GetProgramResponse {
                    program: Some(program_to_wire(
                        record,
                        self.required_approvals,
                        audience(&caller),
                    )),
                })
            }
            .await,
        )
    }

    async fn list_programs(
        &self,
        request: Request<pb::ListProgramsRequest>,
    ) -> Result<Response<pb::ListProgramsResponse>, Status> {
        let caller = signed_in(&request)?;
        let request = request.into_inner();
        reply(
            async {
                let mut v = Violations::new();
                let size = v.take("page_size", page::size(request.page_size));
                let after = v.take("page_token", page::decode::<Uuid>(&request.page_token));
                let statuses = catalog_statuses_from_wire(&mut v, "statuses", &request.statuses);
                let owner = parse_organization_filter(
                    &mut v,
                    "owner_organization_id",
                    &request.owner_organization_id,
                );
                let text = parse_text_filter(&mut v, "text", &request.text);
                let (created_from, created_until) =
                    parse_range(&mut v, "create_time", request.create_time.as_ref());
                let course = if request.course_id.is_empty() {
                    None
                } else {
                    parse_id(&mut v, "course_id", &request.course_id)
                };
                v.finish()?;
                let size = size.unwrap_or(page::DEFAULT_PAGE_SIZE);
                let filter = ProgramFilter {
                    statuses: Self::visible_statuses(&caller, statuses)?,
                    owner,
                    text,
                    created_from,
                    created_until,
                    course,
                };
                let mut records = self
                    .store
                    .list_programs(&filter, after.flatten(), size + 1)
                    .await?;
                let next_page_token = page::finish(&mut records, size, |record| record.program.id);
                Ok(pb::ListProgramsResponse {
                    programs: records
                        .into_iter()
                        .map(|record| {
                            program_to_wire(record, self.required_approvals, audience(&caller))
                        })
                        .collect(),
                    next_page_token,
                })
            }
            .await,
        )
    }

    async fn update_program(
        &self,
        request: Request<pb::UpdateProgramRequest>,
    ) -> Result<Response<pb::UpdateProgramResponse>, Status> {
        let caller = signed_in(&request)?;
        let request = request.into_inner();
        reply(
            async {
                caller.require_any(ADMIN)?;
                let id = Self::parse_subject_id("program_id", &request.program_id)?;
                let draft = program_draft(request.details.as_ref())?;
                let record = self.store.update_program(id, &draft, time::now()).await?;
                Ok(pb::UpdateProgramResponse {
                    program: Some(program_to_wire(
                        record,
                        self.required_approvals,
                        audience(&caller),
                    )),
                })
            }
            .await,
        )
    }

    async fn submit_program(
        &self,
        request: Request<pb::SubmitProgramRequest>,
    ) -> Result<Response<pb::SubmitProgramResponse>, Status> {
        let caller = signed_in(&request)?;
        let request = request.into_inner();
        reply(
            async {
                let id = self
                    .move_subject(
                        &caller,
                        Subject::Program,
                        &request.program_id,
                        Transition::Submit,
                    )
                    .await?;
                Ok(pb::SubmitProgramResponse {
                    program: Some(self.program_reply(id).await?),
                })
            }
            .await,
        )
    }

    async fn review_program(
        &self,
        request: Request<pb::ReviewProgramRequest>,
    ) -> Result<Response<pb::ReviewProgramResponse>, Status> {
        let caller = signed_in(&request)?;
        let request = request.into_inner();
        reply(
            async {
                let id = self
                    .review(
                        &caller,
                        Subject::Program,
                        &request.program_id,
                        request.decision,
                        &request.comment,
                    )
                    .await?;
                Ok(pb::ReviewProgramResponse {
                    program: Some(self.program_reply(id).await?),
                })
            }
            .await,
        )
    }

    async fn publish_program(
        &self,
        request: Request<pb::PublishProgramRequest>,
    ) -> Result<Response<pb::PublishProgramResponse>, Status> {
        let caller = signed_in(&request)?;
        let request = request.into_inner();
        reply(
            async {
                let id = self
                    .move_subject(
                        &caller,
                        Subject::Program,
                        &request.program_id,
                        Transition::Publish,
                    )
                    .await?;
                Ok(pb::PublishProgramResponse {
                    program: Some(self.program_reply(id).await?),
                })
            }
            .await,
        )
    }

    async fn retire_program(
        &self,
        request: Request<pb::RetireProgramRequest>,
    ) -> Result<Response<pb::RetireProgramResponse>, Status> {
        let caller = signed_in(&request)?;
        let request = request.into_inner();
        reply(
            async {
                let id = self
                    .move_subject(
                        &caller,
                        Subject::Program,
                        &request.program_id,
                        Transition::Retire,
                    )
                    .await?;
                Ok(pb::RetireProgramResponse {
                    program: Some(self.program_reply(id).await?),
                })
            }
            .await,
        )
    }

    async fn list_program_votes(
        &self,
        request: Request<pb::ListProgramVotesRequest>,
    ) -> Result<Response<pb::ListProgramVotesResponse>, Status> {
        let caller = signed_in(&request)?;
        let request = request.into_inner();
        reply(
            async {
                let votes = self
                    .list_subject_votes(
                        &caller,
                        Subject::Program,
                        "program_id",
                        &request.program_id,
                    )
                    .await?;
                Ok(pb::ListProgramVotesResponse { votes })
            }
            .await,
        )
    }
}
