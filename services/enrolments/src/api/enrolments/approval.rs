//! A manager's approval or rejection of an enrolment that waits for it.

use hamafza_kit::auth::{Caller, Role};
use hamafza_kit::{ApiError, Violations, time};
use hamafza_proto::enrolments as pb;

use super::reason_field;
use crate::api::convert::{enrolment_to_wire, parse_id, parse_request_id};
use crate::api::{EnrolmentsApi, person};
use crate::store::queries::RequestKey;

/// Who approves or rejects enrolments (each within what they manage): the
/// role is checked before the request, the enrolment after.
const APPROVERS: &[Role] = &[Role::PlatformAdmin, Role::OrgManager];

impl EnrolmentsApi {
    /// Approves an enrolment of someone the caller manages.
    pub(super) async fn approve_enrolment(
        &self,
        caller: &Caller,
        request: pb::ApproveEnrolmentRequest,
    ) -> Result<pb::ApproveEnrolmentResponse, ApiError> {
        caller.require_any(APPROVERS)?;
        let mut v = Violations::new();
        let request_id = parse_request_id(&mut v, &request.request_id);
        let id = parse_id(&mut v, "enrolment_id", &request.enrolment_id);
        let comment = reason_field(&mut v, "comment", &request.comment, false);
        let (request_id, id) = v.finish_with(request_id.zip(id))?;
        let row = self.enrolment_for_change(caller, id, false).await?;
        if row.trainee_subject == caller.subject && !caller.has(Role::PlatformAdmin) {
            return Err(ApiError::permission_denied(
                "a manager does not approve their own enrolment",
            ));
        }
        let key = RequestKey::new(&caller.subject, &request_id, "ApproveEnrolment", &request);
        let actor = person(caller);
        let store = &self.store;
        Ok(store
            .idempotent(&key, async |txn| {
                store
                    .approve_in(txn, id, &actor, &comment, time::now())
                    .await?;
                Ok(pb::ApproveEnrolmentResponse {
                    enrolment: Some(enrolment_to_wire(store.view(txn, id).await?)),
                })
            })
            .await?)
    }

    /// Rejects an enrolment of someone the caller manages, saying why.
    pub(super) async fn reject_enrolment(
        &self,
        caller: &Caller,
        request: pb::RejectEnrolmentRequest,
    ) -> Result<pb::RejectEnrolmentResponse, ApiError> {
        caller.require_any(APPROVERS)?;
        let mut v = Violations::new();
        let request_id = parse_request_id(&mut v, &request.request_id);
        let id = parse_id(&mut v, "enrolment_id", &request.enrolment_id);
        let reason = reason_field(&mut v, "reason", &request.reason, true);
        let (request_id, id) = v.finish_with(request_id.zip(id))?;
        self.enrolment_for_change(caller, id, false).await?;
        let key = RequestKey::new(&caller.subject, &request_id, "RejectEnrolment", &request);
        let actor = person(caller);
        let store = &self.store;
        Ok(store
            .idempotent(&key, async |txn| {
                store
                    .reject_in(txn, id, &actor, &reason, time::now())
                    .await?;
                Ok(pb::RejectEnrolmentResponse {
                    enrolment: Some(enrolment_to_wire(store.view(txn, id).await?)),
                })
            })
            .await?)
    }
}
