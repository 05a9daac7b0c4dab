//! Programs in the catalog: creating, reading, listing and changing them.

use hamafza_kit::auth::Caller;
use hamafza_kit::{ApiError, Violations, page, time};
use hamafza_proto::courses as pb;
use uuid::Uuid;

use super::audience;
use crate::api::convert::masks::{apply_mask, merge_program};
use crate::api::convert::{
    Audience, catalog_statuses_from_wire, parse_id, parse_organization_filter, parse_range,
    parse_text_filter, program_draft, program_to_wire,
};
use crate::api::{ADMIN, CoursesApi, UpdateTerms, is_staff};
use crate::store::queries::{ProgramFilter, ProgramRecord};

impl CoursesApi {
    /// Creates a draft program owned by the caller's organization.
    pub(super) async fn create_program(
        &self,
        caller: &Caller,
        request: pb::CreateProgramRequest,
    ) -> Result<pb::CreateProgramResponse, ApiError> {
        caller.require_any(ADMIN)?;
        let draft = program_draft(request.details.as_ref())?;
        let record = self
            .store
            .create_program(
                &draft,
                &caller.organization_id,
                &caller.subject,
                time::now(),
            )
            .await?;
        let (program_id, code) = (&record.program.id, &record.program.code);
        tracing::info!(%program_id, %code, "program created");
        Ok(pb::CreateProgramResponse {
            program: Some(program_to_wire(
                record,
                self.required_approvals().await?,
                audience(caller),
            )),
        })
    }

    /// One program the caller may see.
    pub(super) async fn get_program(
        &self,
        caller: &Caller,
        request: pb::GetProgramRequest,
    ) -> Result<pb::GetProgramResponse, ApiError> {
        let id = Self::parse_subject_id("program_id", &request.program_id)?;
        let record = self.visible_program(caller, id).await?;
        Ok(pb::GetProgramResponse {
            program: Some(program_to_wire(
                record,
                self.required_approvals().await?,
                audience(caller),
            )),
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
        };
        let mut records = self
            .store
            .list_programs(&filter, after.flatten(), size + 1)
            .await?;
        let next_page_token = page::finish(&mut records, size, |record| record.program.id);
        let required = self.required_approvals().await?;
        Ok(pb::ListProgramsResponse {
            programs: records
                .into_iter()
                .map(|record| program_to_wire(record, required, audience(caller)))
                .collect(),
            next_page_token,
        })
    }

    /// Changes a program's details.
    pub(super) async fn update_program(
        &self,
        caller: &Caller,
        request: pb::UpdateProgramRequest,
    ) -> Result<pb::UpdateProgramResponse, ApiError> {
        caller.require_any(ADMIN)?;
        let (id, terms) = UpdateTerms::parse(
            |v| parse_id(v, "program_id", &request.program_id),
            &request.etag,
            request.update_mask.as_ref(),
            merge_program,
        )?;
        // Every attempt reads afresh, borrowing the request and the terms.
        let (request, terms) = (&request, &terms);
        let record = terms
            .write(move || async move {
                let existing = self
                    .store
                    .program(id)
                    .await?
                    .ok_or_else(|| ApiError::not_found("program", id))?;
                let revision = terms.revision("program", id, existing.program.revision)?;
                let stored =
                    program_to_wire(existing, self.required_approvals().await?, Audience::Staff);
                let details = apply_mask(
                    stored.details.unwrap_or_default(),
                    request.details.as_ref(),
                    terms.paths(),
                    merge_program,
                );
                let draft = program_draft(details.as_ref())?;
                Ok(self
                    .store
                    .update_program(id, &draft, revision, time::now())
                    .await)
            })
            .await?;
        tracing::info!(program_id = %id, by = %caller.subject, "program updated");
        Ok(pb::UpdateProgramResponse {
            program: Some(program_to_wire(
                record,
                self.required_approvals().await?,
                audience(caller),
            )),
        })
    }

    /// A program the caller may see; drafts of others are "not found" to
    /// callers who may not see drafts.
    async fn visible_program(&self, caller: &Caller, id: Uuid) -> Result<ProgramRecord, ApiError> {
        match self.store.program(id).await? {
            Some(record) if is_staff(caller) || record.program.status.is_public() => Ok(record),
            _ => Err(ApiError::not_found("program", id)),
        }
    }

    /// The program as staff see it, the answer to a step of the workflow.
    pub(super) async fn program_reply(&self, id: Uuid) -> Result<pb::Program, ApiError> {
        let record = self
            .store
            .program(id)
            .await?
            .ok_or_else(|| ApiError::not_found("program", id))?;
        Ok(program_to_wire(
            record,
            self.required_approvals().await?,
            Audience::Staff,
        ))
    }
}
