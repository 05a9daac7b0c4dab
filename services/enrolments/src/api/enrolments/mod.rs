//! `hamafza.enrolments.v1.EnrolmentService`.
//!
//! The trait impl below only signs the caller in and hands the request to the
//! inherent method of the same name, which lives with its concept: [`enrol`]
//! (enrol, cancel, bulk), [`approval`], [`attendance`] (attendance and
//! assessment), [`lists`] (one enrolment, a page, a roster), [`seats`] and
//! [`outbox`]. Those methods parse, authorize, call the store and convert;
//! [`access`] holds who may change or assess which enrolment. What is safe to
//! repeat (reads; enrol and cancel, under their request id) runs again when
//! only its database connection was lost.

mod access;
mod approval;
mod attendance;
mod enrol;
mod lists;
mod outbox;
mod seats;

use hamafza_kit::Violations;
use hamafza_kit::db::retry_on_lost_connection;
use hamafza_proto::enrolments as pb;
use hamafza_proto::enrolments::enrolment_service_server::EnrolmentService;
use tonic::{Request, Response, Status};

use super::{EnrolmentsApi, reply, signed_in};
use enrol::BulkStream;

/// Longest reason or comment, in characters.
const REASON_CHARS: usize = 2000;

/// A reason or comment of at most [`REASON_CHARS`], plain text.
fn reason_field(v: &mut Violations, field: &str, value: &str, required: bool) -> String {
    let reason = v.take(field, hamafza_kit::text::plain(value, REASON_CHARS));
    if required && reason.as_deref() == Some("") {
        v.add(field, "is required");
    }
    reason.unwrap_or_default()
}

#[tonic::async_trait]
impl EnrolmentService for EnrolmentsApi {
    async fn enrol(
        &self,
        request: Request<pb::EnrolRequest>,
    ) -> Result<Response<pb::EnrolResponse>, Status> {
        let caller = signed_in(&request)?;
        let request = request.into_inner();
        reply(retry_on_lost_connection(|| self.enrol(&caller, request.clone())).await)
    }

    async fn approve_enrolment(
        &self,
        request: Request<pb::ApproveEnrolmentRequest>,
    ) -> Result<Response<pb::ApproveEnrolmentResponse>, Status> {
        let caller = signed_in(&request)?;
        reply(self.approve_enrolment(&caller, request.into_inner()).await)
    }

    async fn reject_enrolment(
        &self,
        request: Request<pb::RejectEnrolmentRequest>,
    ) -> Result<Response<pb::RejectEnrolmentResponse>, Status> {
        let caller = signed_in(&request)?;
        reply(self.reject_enrolment(&caller, request.into_inner()).await)
    }

    async fn cancel_enrolment(
        &self,
        request: Request<pb::CancelEnrolmentRequest>,
    ) -> Result<Response<pb::CancelEnrolmentResponse>, Status> {
        let caller = signed_in(&request)?;
        let request = request.into_inner();
        reply(retry_on_lost_connection(|| self.cancel_enrolment(&caller, request.clone())).await)
    }

    async fn get_enrolment(
        &self,
        request: Request<pb::GetEnrolmentRequest>,
    ) -> Result<Response<pb::GetEnrolmentResponse>, Status> {
        let caller = signed_in(&request)?;
        let request = request.into_inner();
        reply(retry_on_lost_connection(|| self.get_enrolment(&caller, request.clone())).await)
    }

    async fn list_enrolments(
        &self,
        request: Request<pb::ListEnrolmentsRequest>,
    ) -> Result<Response<pb::ListEnrolmentsResponse>, Status> {
        let caller = signed_in(&request)?;
        let request = request.into_inner();
        reply(retry_on_lost_connection(|| self.list_enrolments(&caller, request.clone())).await)
    }

    async fn batch_get_session_seats(
        &self,
        request: Request<pb::BatchGetSessionSeatsRequest>,
    ) -> Result<Response<pb::BatchGetSessionSeatsResponse>, Status> {
        let caller = signed_in(&request)?;
        let request = request.into_inner();
        reply(
            retry_on_lost_connection(|| self.batch_get_session_seats(&caller, request.clone()))
                .await,
        )
    }

    async fn record_attendance(
        &self,
        request: Request<pb::RecordAttendanceRequest>,
    ) -> Result<Response<pb::RecordAttendanceResponse>, Status> {
        let caller = signed_in(&request)?;
        reply(self.record_attendance(&caller, request.into_inner()).await)
    }

    async fn complete_enrolment(
        &self,
        request: Request<pb::CompleteEnrolmentRequest>,
    ) -> Result<Response<pb::CompleteEnrolmentResponse>, Status> {
        let caller = signed_in(&request)?;
        reply(self.complete_enrolment(&caller, request.into_inner()).await)
    }

    type BulkEnrolStream = BulkStream;

    async fn bulk_enrol(
        &self,
        request: Request<pb::BulkEnrolRequest>,
    ) -> Result<Response<Self::BulkEnrolStream>, Status> {
        let caller = signed_in(&request)?;
        reply(self.bulk_enrol(caller, request.into_inner()).await)
    }

    async fn export_roster(
        &self,
        request: Request<pb::ExportRosterRequest>,
    ) -> Result<Response<pb::ExportRosterResponse>, Status> {
        let caller = signed_in(&request)?;
        reply(self.export_roster(&caller, request.into_inner()).await)
    }

    async fn get_delivery_status(
        &self,
        request: Request<pb::GetDeliveryStatusRequest>,
    ) -> Result<Response<pb::GetDeliveryStatusResponse>, Status> {
        let caller = signed_in(&request)?;
        reply(self.get_delivery_status(&caller).await)
    }
}
