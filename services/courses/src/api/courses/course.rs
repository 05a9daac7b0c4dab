//! Courses in the catalog: creating, reading, listing and changing them.

use hamafza_kit::auth::Caller;
use hamafza_kit::{ApiError, Violations, page, time};
use hamafza_proto::courses as pb;
use uuid::Uuid;

use super::audience;
use crate::api::convert::masks::{apply_mask, merge_course};
use crate::api::convert::{
    Audience, catalog_statuses_from_wire, course_draft, course_to_wire, parse_id,
    parse_organization_filter, parse_range, parse_text_filter,
};
use crate::api::{ADMIN, CoursesApi, UpdateTerms, is_staff};
use crate::store::queries::{CourseFilter, CourseRecord};

/// Most ids in one `course_ids` filter.
const MAX_ID_FILTER: usize = 200;

impl CoursesApi {
    /// Creates a draft course owned by the caller's organization.
    pub(super) async fn create_course(
        &self,
        caller: &Caller,
        request: pb::CreateCourseRequest,
    ) -> Result<pb::CreateCourseResponse, ApiError> {
        caller.require_any(ADMIN)?;
        let draft = course_draft(request.details.as_ref())?;
        let record = self
            .store
            .create_course(
                &draft,
                &caller.organization_id,
                &caller.subject,
                time::now(),
            )
            .await?;
        let (course_id, code) = (&record.course.id, &record.course.code);
        tracing::info!(%course_id, %code, "course created");
        Ok(pb::CreateCourseResponse {
            course: Some(course_to_wire(
                record,
                self.required_approvals().await?,
                audience(caller),
            )),
        })
    }

    /// One course the caller may see.
    pub(super) async fn get_course(
        &self,
        caller: &Caller,
        request: pb::GetCourseRequest,
    ) -> Result<pb::GetCourseResponse, ApiError> {
        let id = Self::parse_subject_id("course_id", &request.course_id)?;
        let record = self.visible_course(caller, id).await?;
        Ok(pb::GetCourseResponse {
            course: Some(course_to_wire(
                record,
                self.required_approvals().await?,
                audience(caller),
            )),
        })
    }

    /// A page of the courses the caller may see, filtered.
    pub(super) async fn list_courses(
        &self,
        caller: &Caller,
        request: pb::ListCoursesRequest,
    ) -> Result<pb::ListCoursesResponse, ApiError> {
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
            statuses: Self::visible_statuses(caller, statuses)?,
            owner,
            category,
            text,
            created_from,
            created_until,
            ids,
        };
        let after = after.flatten();
        let list = async { Ok(self.store.list_courses(&filter, after, size + 1).await?) };
        let mut records = if is_staff(caller) {
            list.await?
        } else {
            let key = format!("{filter:?}/{after:?}/{size}");
            self.public_listing(key, list).await?
        };
        let next_page_token = page::finish(&mut records, size, |record| record.course.id);
        let required = self.required_approvals().await?;
        Ok(pb::ListCoursesResponse {
            courses: records
                .into_iter()
                .map(|record| course_to_wire(record, required, audience(caller)))
                .collect(),
            next_page_token,
        })
    }

    /// Changes a course's details.
    pub(super) async fn update_course(
        &self,
        caller: &Caller,
        request: pb::UpdateCourseRequest,
    ) -> Result<pb::UpdateCourseResponse, ApiError> {
        caller.require_any(ADMIN)?;
        let (id, terms) = UpdateTerms::parse(
            |v| parse_id(v, "course_id", &request.course_id),
            &request.etag,
            request.update_mask.as_ref(),
            merge_course,
        )?;
        // Every attempt reads afresh, borrowing the request and the terms.
        let (request, terms) = (&request, &terms);
        let record = terms
            .write(move || async move {
                let existing = self
                    .store
                    .course(id)
                    .await?
                    .ok_or_else(|| ApiError::not_found("course", id))?;
                let revision = terms.revision("course", id, existing.course.revision)?;
                let stored =
                    course_to_wire(existing, self.required_approvals().await?, Audience::Staff);
                let details = apply_mask(
                    stored.details.unwrap_or_default(),
                    request.details.as_ref(),
                    terms.paths(),
                    merge_course,
                );
                let draft = course_draft(details.as_ref())?;
                Ok(self
                    .store
                    .update_course(id, &draft, revision, time::now())
                    .await)
            })
            .await?;
        tracing::info!(course_id = %id, by = %caller.subject, "course updated");
        Ok(pb::UpdateCourseResponse {
            course: Some(course_to_wire(
                record,
                self.required_approvals().await?,
                audience(caller),
            )),
        })
    }

    /// A course the caller may see; drafts of others are "not found" to
    /// callers who may not see drafts.
    async fn visible_course(&self, caller: &Caller, id: Uuid) -> Result<CourseRecord, ApiError> {
        match self.store.course(id).await? {
            Some(record) if is_staff(caller) || record.course.status.is_public() => Ok(record),
            _ => Err(ApiError::not_found("course", id)),
        }
    }

    /// The course as staff see it, the answer to a step of the workflow.
    pub(super) async fn course_reply(&self, id: Uuid) -> Result<pb::Course, ApiError> {
        let record = self
            .store
            .course(id)
            .await?
            .ok_or_else(|| ApiError::not_found("course", id))?;
        Ok(course_to_wire(
            record,
            self.required_approvals().await?,
            Audience::Staff,
        ))
    }
}
