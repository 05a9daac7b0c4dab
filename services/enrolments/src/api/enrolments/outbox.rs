//! How the outbox that carries completions to certification is doing.

use hamafza_kit::auth::{Caller, Role};
use hamafza_kit::{ApiError, time};
use hamafza_proto::enrolments as pb;

use crate::api::EnrolmentsApi;

impl EnrolmentsApi {
    /// Pending and delivered messages, the oldest pending one, the last error.
    pub(super) async fn get_delivery_status(
        &self,
        caller: &Caller,
    ) -> Result<pb::GetDeliveryStatusResponse, ApiError> {
        caller.require_any(&[Role::PlatformAdmin, Role::Service])?;
        let status = self.store.delivery_status().await?;
        let now = time::now();
        let oldest = status.oldest_pending.as_ref();
        Ok(pb::GetDeliveryStatusResponse {
            pending_count: status.pending,
            oldest_pending_create_time: oldest.map(|row| time::to_timestamp(row.created_at)),
            oldest_pending_age: oldest.map(|row| {
                let age = (now - row.created_at).max(chrono::Duration::zero());
                prost_types::Duration {
                    seconds: age.num_seconds(),
                    nanos: 0,
                }
            }),
            oldest_pending_attempts: oldest
                .map_or(0, |row| u32::try_from(row.attempts).unwrap_or(0)),
            delivered_count: status.delivered,
            last_delivery_time: status.last_delivery.map(time::to_timestamp),
            last_error: status
                .last_error
                .as_ref()
                .map(|(e, _)| e.clone())
                .unwrap_or_default(),
            last_error_time: status.last_error.map(|(_, at)| time::to_timestamp(at)),
        })
    }
}
