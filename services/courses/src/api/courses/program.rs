//! Programs in the catalog: creating, reading, listing and changing them.

use hamafza_kit::auth::Caller;
use hamafza_kit::{ApiError, Violations, page};
use hamafza_proto::courses as pb;
use uuid::Uuid;

use super::audience;
use crate::api::CoursesApi;
use crate::api::convert::{
    catalog_statuses_from_wire, parse_id, parse_organization_filter, parse_range, parse_text_filter,
};
use crate::store::queries::{ProgramFilter, ProgramRecord};

impl CoursesApi {
    /// Creates a draft program owned by the caller's organization.
    pub(super) async fn create_program(
        &self,
        caller: &Caller,
        request: pb::CreateProgramRequest,
    ) -> Result<pb::CreateProgramResponse, ApiError> {
        let record: ProgramRecord = self
            .create_entry(
                caller,
                request.details.as_ref(),
                &request.request_id,
                &request,
            )
            .await?;
        let (program_id, code) = (&record.program.id, &record.program.code);
        tracing::info!(%program_id, %code, "program created");
        Ok(pb::CreateProgramResponse {
            program: Some(self.entry_to_wire(record, audience(caller)).await?),
        })
    }

    /// One program the caller may see.
    pub(super) async fn get_program(
        &self,
        caller: &Caller,
        request: pb::GetProgramRequest,
    ) -> Result<pb::GetProgramResponse, ApiError> {
        let record: ProgramRecord = self.visible_entry(caller, &request.program_id).await?;
        Ok(pb::GetProgramResponse {
            program: Some(self.entry_to_wire(record, audience(caller)).await?),
        })
    }

    /// A page of the programs the caller may see, filtered.
    pub(super) async fn list_programs(
        &self,
        caller: &Caller,
        request: pb::ListProgramsRequest,
    ) -> Result<pb::ListProgramsResponse, ApiError> {
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
            statuses: Self::visible_statuses(caller, statuses)?,
            owner,
            text,
            created_from,
            created_until,
            course,
            reviewed: request.reviewed,
        };
        let mut records = self
            .store
            .list_programs(&filter, after.flatten(), size + 1)
            .await?;
        let next_page_token = page::finish(&mut records, size, |record| record.program.id);
        Ok(pb::ListProgramsResponse {
            programs: self.entries_to_wire(records, audience(caller)).await?,
            next_page_token,
        })
    }

    /// Changes a program's details.
    pub(super) async fn update_program(
        &self,
        caller: &Caller,
        request: pb::UpdateProgramRequest,
    ) -> Result<pb::UpdateProgramResponse, ApiError> {
        let (id, record) = self
            .update_entry::<ProgramRecord>(
                caller,
                &request.program_id,
                &request.etag,
                request.update_mask.as_ref(),
                request.details.as_ref(),
            )
            .await?;
        tracing::info!(program_id = %id, by = %caller.subject, "program updated");
        Ok(pb::UpdateProgramResponse {
            program: Some(self.entry_to_wire(record, audience(caller)).await?),
        })
    }
}
