//! Who may change or assess which enrolment.

use hamafza_kit::ApiError;
use hamafza_kit::auth::{Caller, Role};
use uuid::Uuid;

use crate::api::{EnrolmentsApi, manages, visibility};
use crate::store::entities::enrolment;

/// Refusal to someone who sees the enrolment but may not change it.
const NOT_YOURS_TO_CHANGE: &str =
    "only the trainee, their organization's manager or a platform admin may change this enrolment";

impl EnrolmentsApi {
    /// Loads an enrolment the caller may act on as trainee, manager or admin.
    pub(super) async fn enrolment_for_change(
        &self,
        caller: &Caller,
        id: Uuid,
        allow_trainee: bool,
    ) -> Result<enrolment::Model, ApiError> {
        let row = self
            .store
            .enrolment(id)
            .await?
            .ok_or_else(|| ApiError::not_found("enrolment", id))?;
        let own = allow_trainee && row.trainee_subject == caller.subject;
        if own || manages(caller, &row.trainee_organization_id) {
            return Ok(row);
        }
        if self.store.is_visible(&visibility(caller), &row).await? {
            Err(ApiError::permission_denied(NOT_YOURS_TO_CHANGE))
        } else {
            Err(ApiError::permission_denied(
                "this enrolment is not yours to change",
            ))
        }
    }

    /// Whether `caller` teaches the session (or is an admin). The instructor
    /// is read from courses each time, so a reassignment takes effect at once.
    pub(super) async fn may_assess(
        &self,
        caller: &Caller,
        session_id: Uuid,
    ) -> Result<bool, ApiError> {
        if caller.has(Role::PlatformAdmin) {
            return Ok(true);
        }
        if !caller.has(Role::Instructor) {
            return Ok(false);
        }
        let facts = self.courses.session_facts(session_id).await?;
        Ok(facts.instructor_subject == caller.subject)
    }
}
