//! The seats of sessions: taken, left, and left for the caller's
//! organization under its quota.

use hamafza_kit::auth::Caller;
use hamafza_kit::{ApiError, Violations};
use hamafza_proto::enrolments as pb;
use uuid::Uuid;

use crate::api::EnrolmentsApi;
use crate::api::convert::parse_id;

/// Most sessions in one seats call.
const MAX_SESSIONS: usize = 200;

impl EnrolmentsApi {
    /// The seats of up to [`MAX_SESSIONS`] sessions, in the order asked.
    pub(super) async fn batch_get_session_seats(
        &self,
        caller: &Caller,
        request: pb::BatchGetSessionSeatsRequest,
    ) -> Result<pb::BatchGetSessionSeatsResponse, ApiError> {
        let mut v = Violations::new();
        if request.session_ids.len() > MAX_SESSIONS {
            v.add(
                "session_ids",
                format!("may list at most {MAX_SESSIONS} ids"),
            );
        }
        let ids: Vec<Uuid> = request
            .session_ids
            .iter()
            .enumerate()
            .filter_map(|(i, id)| parse_id(&mut v, &format!("session_ids[{i}]"), id))
            .collect();
        v.finish()?;
        let counted = self.store.seat_counts(&ids).await?;
        // Sessions nobody has enrolled in yet have no seat row here: their
        // capacity and quotas are read from courses, all in one call.
        let unseen: Vec<Uuid> = ids
            .iter()
            .filter(|id| !counted.contains_key(id))
            .copied()
            .collect();
        let planned = self.courses.session_capacities(&unseen).await?;
        let mut sessions = Vec::with_capacity(ids.len());
        for id in &ids {
            let Some(counts) = counted.get(id) else {
                // Nobody has enrolled yet: every seat is free.
                let Some(plan) = planned.get(id) else {
                    continue;
                };
                let own_quota = plan
                    .quotas
                    .iter()
                    .find(|(org, _)| *org == caller.organization_id)
                    .map(|(_, q)| *q);
                sessions.push(pb::SessionSeats {
                    session_id: id.to_string(),
                    capacity: plan.capacity,
                    confirmed_count: 0,
                    seats_left: plan.capacity,
                    seats_left_for_caller_organization: own_quota
                        .unwrap_or(plan.capacity)
                        .min(plan.capacity),
                    waitlisted_count: 0,
                    pending_approval_count: 0,
                    assessed_count: 0,
                    quotas: plan
                        .quotas
                        .iter()
                        .map(|(org, quota)| pb::OrganizationSeats {
                            organization_id: org.clone(),
                            quota: *quota,
                            confirmed_count: 0,
                        })
                        .collect(),
                });
                continue;
            };
            let (seats, quotas) = (&counts.seats, &counts.quotas);
            let capacity = u32::try_from(seats.capacity).unwrap_or(0);
            let taken = u32::try_from(seats.taken).unwrap_or(0);
            let left = capacity.saturating_sub(taken);
            let own = quotas
                .iter()
                .find(|q| q.organization_id == caller.organization_id);
            let own_left = own.map_or(left, |q| {
                left.min(
                    u32::try_from(q.quota)
                        .unwrap_or(0)
                        .saturating_sub(u32::try_from(q.taken).unwrap_or(0)),
                )
            });
            sessions.push(pb::SessionSeats {
                session_id: id.to_string(),
                capacity,
                confirmed_count: taken,
                seats_left: left,
                seats_left_for_caller_organization: own_left,
                waitlisted_count: u32::try_from(counts.waitlisted).unwrap_or(u32::MAX),
                pending_approval_count: u32::try_from(counts.pending).unwrap_or(u32::MAX),
                assessed_count: u32::try_from(counts.assessed).unwrap_or(u32::MAX),
                quotas: quotas
                    .iter()
                    .map(|q| pb::OrganizationSeats {
                        organization_id: q.organization_id.clone(),
                        quota: u32::try_from(q.quota).unwrap_or(0),
                        confirmed_count: u32::try_from(q.taken).unwrap_or(0),
                    })
                    .collect(),
            });
        }
        Ok(pb::BatchGetSessionSeatsResponse { sessions })
    }
}
