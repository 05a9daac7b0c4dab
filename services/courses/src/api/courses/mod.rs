//! `hamafza.courses.v1.CourseService`: courses, programs and the council
//! workflow they share.
//!
//! The trait impl below only signs the caller in and hands the request to the
//! inherent method of the same name, which parses, authorizes, calls the
//! store and converts: [`course`] and [`program`] hold the catalog entries,
//! [`entry`] what the two share (created, read, shown and changed alike),
//! [`workflow`] their way through the council (submit, review, publish,
//! retire, the votes) for both.

mod council;
mod course;
mod entry;
mod program;
mod workflow;

use hamafza_kit::auth::Caller;
use hamafza_kit::db::retry_on_lost_connection;
use hamafza_kit::{ApiError, Violations};
use hamafza_proto::courses as pb;
use hamafza_proto::courses::course_service_server::CourseService;
use tonic::{Request, Response, Status};
use uuid::Uuid;

use super::convert::{Audience, parse_id};
use super::{CoursesApi, is_staff, reply, signed_in};
use crate::domain::workflow::CatalogStatus;

/// What `caller` may see of the council's deliberation.
fn audience(caller: &Caller) -> Audience {
    if is_staff(caller) {
        Audience::Staff
    } else {
        Audience::Public
    }
}

impl CoursesApi {
    fn parse_subject_id(field: &str, value: &str) -> Result<Uuid, ApiError> {
        let mut v = Violations::new();
        let id = parse_id(&mut v, field, value);
        v.finish_with(id)
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
}

#[tonic::async_trait]
impl CourseService for CoursesApi {
    async fn get_council_settings(
        &self,
        request: Request<pb::GetCouncilSettingsRequest>,
    ) -> Result<Response<pb::GetCouncilSettingsResponse>, Status> {
        let caller = signed_in(&request)?;
        reply(self.get_council_settings(&caller).await)
    }

    async fn update_council_settings(
        &self,
        request: Request<pb::UpdateCouncilSettingsRequest>,
    ) -> Result<Response<pb::UpdateCouncilSettingsResponse>, Status> {
        let caller = signed_in(&request)?;
        reply(
            self.update_council_settings(&caller, request.into_inner())
                .await,
        )
    }

    async fn create_course(
        &self,
        request: Request<pb::CreateCourseRequest>,
    ) -> Result<Response<pb::CreateCourseResponse>, Status> {
        let caller = signed_in(&request)?;
        reply(self.create_course(&caller, request.into_inner()).await)
    }

    async fn get_course(
        &self,
        request: Request<pb::GetCourseRequest>,
    ) -> Result<Response<pb::GetCourseResponse>, Status> {
        let caller = signed_in(&request)?;
        let request = request.into_inner();
        reply(retry_on_lost_connection(|| self.get_course(&caller, request.clone())).await)
    }

    async fn list_courses(
        &self,
        request: Request<pb::ListCoursesRequest>,
    ) -> Result<Response<pb::ListCoursesResponse>, Status> {
        let caller = signed_in(&request)?;
        let request = request.into_inner();
        reply(retry_on_lost_connection(|| self.list_courses(&caller, request.clone())).await)
    }

    async fn update_course(
        &self,
        request: Request<pb::UpdateCourseRequest>,
    ) -> Result<Response<pb::UpdateCourseResponse>, Status> {
        let caller = signed_in(&request)?;
        reply(self.update_course(&caller, request.into_inner()).await)
    }

    async fn submit_course(
        &self,
        request: Request<pb::SubmitCourseRequest>,
    ) -> Result<Response<pb::SubmitCourseResponse>, Status> {
        let caller = signed_in(&request)?;
        reply(self.submit_course(&caller, request.into_inner()).await)
    }

    async fn review_course(
        &self,
        request: Request<pb::ReviewCourseRequest>,
    ) -> Result<Response<pb::ReviewCourseResponse>, Status> {
        let caller = signed_in(&request)?;
        reply(self.review_course(&caller, request.into_inner()).await)
    }

    async fn publish_course(
        &self,
        request: Request<pb::PublishCourseRequest>,
    ) -> Result<Response<pb::PublishCourseResponse>, Status> {
        let caller = signed_in(&request)?;
        reply(self.publish_course(&caller, request.into_inner()).await)
    }

    async fn retire_course(
        &self,
        request: Request<pb::RetireCourseRequest>,
    ) -> Result<Response<pb::RetireCourseResponse>, Status> {
        let caller = signed_in(&request)?;
        reply(self.retire_course(&caller, request.into_inner()).await)
    }

    async fn list_course_votes(
        &self,
        request: Request<pb::ListCourseVotesRequest>,
    ) -> Result<Response<pb::ListCourseVotesResponse>, Status> {
        let caller = signed_in(&request)?;
        reply(self.list_course_votes(&caller, request.into_inner()).await)
    }

    async fn create_program(
        &self,
        request: Request<pb::CreateProgramRequest>,
    ) -> Result<Response<pb::CreateProgramResponse>, Status> {
        let caller = signed_in(&request)?;
        reply(self.create_program(&caller, request.into_inner()).await)
    }

    async fn get_program(
        &self,
        request: Request<pb::GetProgramRequest>,
    ) -> Result<Response<pb::GetProgramResponse>, Status> {
        let caller = signed_in(&request)?;
        reply(self.get_program(&caller, request.into_inner()).await)
    }

    async fn list_programs(
        &self,
        request: Request<pb::ListProgramsRequest>,
    ) -> Result<Response<pb::ListProgramsResponse>, Status> {
        let caller = signed_in(&request)?;
        reply(self.list_programs(&caller, request.into_inner()).await)
    }

    async fn update_program(
        &self,
        request: Request<pb::UpdateProgramRequest>,
    ) -> Result<Response<pb::UpdateProgramResponse>, Status> {
        let caller = signed_in(&request)?;
        reply(self.update_program(&caller, request.into_inner()).await)
    }

    async fn submit_program(
        &self,
        request: Request<pb::SubmitProgramRequest>,
    ) -> Result<Response<pb::SubmitProgramResponse>, Status> {
        let caller = signed_in(&request)?;
        reply(self.submit_program(&caller, request.into_inner()).await)
    }

    async fn review_program(
        &self,
        request: Request<pb::ReviewProgramRequest>,
    ) -> Result<Response<pb::ReviewProgramResponse>, Status> {
        let caller = signed_in(&request)?;
        reply(self.review_program(&caller, request.into_inner()).await)
    }

    async fn publish_program(
        &self,
        request: Request<pb::PublishProgramRequest>,
    ) -> Result<Response<pb::PublishProgramResponse>, Status> {
        let caller = signed_in(&request)?;
        reply(self.publish_program(&caller, request.into_inner()).await)
    }

    async fn retire_program(
        &self,
        request: Request<pb::RetireProgramRequest>,
    ) -> Result<Response<pb::RetireProgramResponse>, Status> {
        let caller = signed_in(&request)?;
        reply(self.retire_program(&caller, request.into_inner()).await)
    }

    async fn list_program_votes(
        &self,
        request: Request<pb::ListProgramVotesRequest>,
    ) -> Result<Response<pb::ListProgramVotesResponse>, Status> {
        let caller = signed_in(&request)?;
        reply(self.list_program_votes(&caller, request.into_inner()).await)
    }

    async fn list_council_votes(
        &self,
        request: Request<pb::ListCouncilVotesRequest>,
    ) -> Result<Response<pb::ListCouncilVotesResponse>, Status> {
        let caller = signed_in(&request)?;
        reply(self.list_council_votes(&caller, request.into_inner()).await)
    }
}
