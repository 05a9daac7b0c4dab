//! `hamafza.courses.v1.EventService`.

use hamafza_kit::auth::Role;
use hamafza_kit::{ApiError, Violations, idempotency, page, time};
use hamafza_proto::courses as pb;
use hamafza_proto::courses::event_service_server::EventService;
use tonic::{Request, Response, Status};
use uuid::Uuid;

use super::convert::masks::merge_event;
use super::convert::{
    event_draft, event_kind_from_wire, event_to_wire, parse_id, parse_organization_filter,
    parse_range, parse_text_filter,
};
use super::{ADMIN, CoursesApi, UpdateTerms, reply, signed_in};
use crate::domain::values::OrganizationId;
use crate::store::queries::EventFilter;

fn parse_event_id(id: &str) -> Result<Uuid, ApiError> {
    let mut v = Violations::new();
    let id = parse_id(&mut v, "event_id", id);
    v.finish_with(id)
}

#[tonic::async_trait]
impl EventService for CoursesApi {
    async fn create_event(
        &self,
        request: Request<pb::CreateEventRequest>,
    ) -> Result<Response<pb::CreateEventResponse>, Status> {
        let caller = signed_in(&request)?;
        let request = request.into_inner();
        reply(
            async {
                caller.require_any(ADMIN)?;
                let mut v = Violations::new();
                let key = idempotency::optional_key(
                    &mut v,
                    &caller.subject,
                    &request.request_id,
                    "/hamafza.courses.v1.EventService/CreateEvent",
                    &request,
                );
                v.finish()?;
                if let Some(id) = self.store.created_before(key.as_ref()).await? {
                    let record = self
                        .store
                        .event(id)
                        .await?
                        .ok_or_else(|| ApiError::not_found("event", id))?;
                    return Ok(pb::CreateEventResponse {
                        event: Some(event_to_wire(record)),
                    });
                }
                let draft = event_draft(request.details.as_ref())?;
                let record = self
                    .store
                    .create_event(&draft, time::now(), key.as_ref())
                    .await?;
                tracing::info!(event_id = %record.event.id, "event added to the calendar");
                Ok(pb::CreateEventResponse {
                    event: Some(event_to_wire(record)),
                })
            }
            .await,
        )
    }

    async fn get_event(
        &self,
        request: Request<pb::GetEventRequest>,
    ) -> Result<Response<pb::GetEventResponse>, Status> {
        signed_in(&request)?;
        let request = request.into_inner();
        reply(
            async {
                let id = parse_event_id(&request.event_id)?;
                let record = self
                    .store
                    .event(id)
                    .await?
                    .ok_or_else(|| ApiError::not_found("event", id))?;
                Ok(pb::GetEventResponse {
                    event: Some(event_to_wire(record)),
                })
            }
            .await,
        )
    }

    async fn list_events(
        &self,
        request: Request<pb::ListEventsRequest>,
    ) -> Result<Response<pb::ListEventsResponse>, Status> {
        signed_in(&request)?;
        let request = request.into_inner();
        reply(
            async {
                let mut v = Violations::new();
                let size = v.take("page_size", page::size(request.page_size));
                let after = v.take(
                    "page_token",
                    page::decode::<(chrono::DateTime<chrono::Utc>, Uuid)>(&request.page_token),
                );
                let kind = v.take("kind", event_kind_from_wire(request.kind));
                let (start_from, start_until) =
                    parse_range(&mut v, "start_time", request.start_time.as_ref());
                let organization =
                    parse_organization_filter(&mut v, "organization_id", &request.organization_id);
                let text = parse_text_filter(&mut v, "text", &request.text);
                v.finish()?;
                let size = size.unwrap_or(page::DEFAULT_PAGE_SIZE);
                let filter = EventFilter {
                    kind: kind.flatten(),
                    start_from,
                    start_until,
                    organization,
                    text,
                };
                let mut records = self
                    .store
                    .list_events(&filter, after.flatten(), size + 1)
                    .await?;
                let next_page_token = page::finish(&mut records, size, |record| {
                    (record.event.starts_at, record.event.id)
                });
                Ok(pb::ListEventsResponse {
                    events: records.into_iter().map(event_to_wire).collect(),
                    next_page_token,
                })
            }
            .await,
        )
    }

    async fn update_event(
        &self,
        request: Request<pb::UpdateEventRequest>,
    ) -> Result<Response<pb::UpdateEventResponse>, Status> {
        let caller = signed_in(&request)?;
        let request = request.into_inner();
        reply(
            async {
                caller.require_any(ADMIN)?;
                let (id, terms) = UpdateTerms::parse(
                    |v| parse_id(v, "event_id", &request.event_id),
                    &request.etag,
                    request.update_mask.as_ref(),
                    merge_event,
                )?;
                // Every attempt reads afresh, borrowing the request and the terms.
                let (request, terms) = (&request, &terms);
                let record = terms
                    .rewrite(
                        "event",
                        id,
                        move || self.store.event(id),
                        |existing| existing.event.revision,
                        move |existing, revision| async move {
                            let details = terms.merged(
                                event_to_wire(existing).details.unwrap_or_default(),
                                request.details.as_ref(),
                                merge_event,
                            );
                            let draft = event_draft(details.as_ref())?;
                            Ok(self
                                .store
                                .update_event(id, &draft, revision, time::now())
                                .await)
                        },
                    )
                    .await?;
                tracing::info!(event_id = %id, by = %caller.subject, "event updated");
                Ok(pb::UpdateEventResponse {
                    event: Some(event_to_wire(record)),
                })
            }
            .await,
        )
    }

    async fn delete_event(
        &self,
        request: Request<pb::DeleteEventRequest>,
    ) -> Result<Response<pb::DeleteEventResponse>, Status> {
        let caller = signed_in(&request)?;
        let request = request.into_inner();
        reply(
            async {
                caller.require_any(ADMIN)?;
                let id = parse_event_id(&request.event_id)?;
                self.store.delete_event(id).await?;
                tracing::info!(event_id = %id, "event removed from the calendar");
                Ok(pb::DeleteEventResponse {})
            }
            .await,
        )
    }

    async fn set_event_participation(
        &self,
        request: Request<pb::SetEventParticipationRequest>,
    ) -> Result<Response<pb::SetEventParticipationResponse>, Status> {
        let caller = signed_in(&request)?;
        let request = request.into_inner();
        reply(
            async {
                caller.require_any(&[Role::PlatformAdmin, Role::OrgManager])?;
                let mut v = Violations::new();
                let id = parse_id(&mut v, "event_id", &request.event_id);
                let organization = v.take(
                    "organization_id",
                    OrganizationId::parse(&request.organization_id),
                );
                let (id, organization) = v.finish_with(id.zip(organization))?;
                let allowed =
                    caller.has(Role::PlatformAdmin) || caller.manages(organization.as_str());
                if !allowed {
                    return Err(ApiError::permission_denied(concat!(
                        "only platform admins, or the organization's own manager, ",
                        "may change its participation"
                    )));
                }
                let record = self
                    .store
                    .set_participation(id, &organization, request.participating, time::now())
                    .await?;
                Ok(pb::SetEventParticipationResponse {
                    event: Some(event_to_wire(record)),
                })
            }
            .await,
        )
    }
}
