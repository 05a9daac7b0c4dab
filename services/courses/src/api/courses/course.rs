//! Courses in the catalog: creating, reading, listing and changing them.

use hamafza_kit::auth::Caller;
use hamafza_kit::{ApiError, Violations, page};
use hamafza_proto::courses as pb;
use uuid::Uuid;

use super::audience;
use crate::api::convert::{
    catalog_statuses_from_wire, parse_id, parse_organization_filter, parse_range, parse_text_filter,
};
use crate::api::{CoursesApi, is_staff, reads_public_catalog};
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
        let record: CourseRecord = self
            .create_entry(
                caller,
                request.details.as_ref(),
                &request.request_id,
                &request,
            )
            .await?;
        let (course_id, code) = (&record.course.id, &record.course.code);
        tracing::info!(%course_id, %code, "course created");
        Ok(pb::CreateCourseResponse {
            course: Some(self.entry_to_wire(record, audience(caller)).await?),
        })
    }

    /// One course the caller may see.
    pub(super) async fn get_course(
        &self,
        caller: &Caller,
        request: pb::GetCourseRequest,
    ) -> Result<pb::GetCourseResponse, ApiError> {
        let record: CourseRecord = self.visible_entry(caller, &request.course_id).await?;
        Ok(pb::GetCourseResponse {
            course: Some(self.entry_to_wire(record, audience(caller)).await?),
        })
    }

    /// A page of the courses the caller may see, filtered.
    pub(super) async fn list_courses(
        &self,
        caller: &Caller,
        request: pb::ListCoursesRequest,
    ) -> Result<pb::ListCoursesResponse, ApiError> {
        // A caller who is not staff is answered from the encoded replies kept
        // in front of this service (`PUBLIC_READS`); staff asking for the
        // public view are answered from the listing kept here.
        let answered_in_front = reads_public_catalog(caller);
        // The public view: the listing anyone signed in sees, whoever asks
        // for it (a caller may only see less).
        let public;
        let caller = if request.public_view {
            public = Caller {
                roles: Vec::new(),
                ..caller.clone()
            };
            &public
        } else {
            caller
        };
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
            reviewed: request.reviewed,
        };
        let after = after.flatten();
        let list = async { Ok(self.store.list_courses(&filter, after, size + 1).await?) };
        let mut records = if is_staff(caller) || answered_in_front {
            list.await?
        } else {
            let key = format!("{filter:?}/{after:?}/{size}");
            self.public_listing(key, list).await?
        };
        let next_page_token = page::finish(&mut records, size, |record| record.course.id);
        Ok(pb::ListCoursesResponse {
            courses: self.entries_to_wire(records, audience(caller)).await?,
            next_page_token,
        })
    }

    /// Changes a course's details.
    pub(super) async fn update_course(
        &self,
        caller: &Caller,
        request: pb::UpdateCourseRequest,
    ) -> Result<pb::UpdateCourseResponse, ApiError> {
        let (id, record) = self
            .update_entry::<CourseRecord>(
                caller,
                &request.course_id,
                &request.etag,
                request.update_mask.as_ref(),
                request.details.as_ref(),
            )
            .await?;
        tracing::info!(course_id = %id, by = %caller.subject, "course updated");
        Ok(pb::UpdateCourseResponse {
            course: Some(self.entry_to_wire(record, audience(caller)).await?),
        })
    }
}
