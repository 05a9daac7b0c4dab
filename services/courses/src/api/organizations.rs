//! `hamafza.courses.v1.OrganizationService`.

use hamafza_kit::{ApiError, Violations, page, time};
use hamafza_proto::courses::organization_service_server::OrganizationService;
use hamafza_proto::courses::{
    CreateOrganizationRequest, CreateOrganizationResponse, GetOrganizationRequest,
    GetOrganizationResponse, ListOrganizationsRequest, ListOrganizationsResponse,
    UpdateOrganizationRequest, UpdateOrganizationResponse,
};
use tonic::{Request, Response, Status};

use super::convert::masks::merge_organization;
use super::convert::{
    organization_draft, organization_kind_from_wire, organization_to_wire, parse_text_filter,
};
use super::{ADMIN, CoursesApi, UpdateTerms, reply, signed_in};
use crate::domain::values::OrganizationId;
use crate::store::queries::OrganizationFilter;

#[tonic::async_trait]
impl OrganizationService for CoursesApi {
    async fn list_organizations(
        &self,
        request: Request<ListOrganizationsRequest>,
    ) -> Result<Response<ListOrganizationsResponse>, Status> {
        signed_in(&request)?;
        let request = request.into_inner();
        reply(
            async {
                let mut v = Violations::new();
                let size = v.take("page_size", page::size(request.page_size));
                let after = v.take("page_token", page::decode::<String>(&request.page_token));
                let kind = v.take("kind", organization_kind_from_wire(request.kind));
                let text = parse_text_filter(&mut v, "text", &request.text);
                v.finish()?;
                let size = size.unwrap_or(page::DEFAULT_PAGE_SIZE);
                let filter = OrganizationFilter {
                    kind: kind.flatten(),
                    text,
                };
                let mut rows = self
                    .store
                    .list_organizations(&filter, after.flatten(), size + 1)
                    .await?;
                let next_page_token = page::finish(&mut rows, size, |row| row.id.clone());
                Ok(ListOrganizationsResponse {
                    organizations: rows.into_iter().map(organization_to_wire).collect(),
                    next_page_token,
                })
            }
            .await,
        )
    }

    async fn get_organization(
        &self,
        request: Request<GetOrganizationRequest>,
    ) -> Result<Response<GetOrganizationResponse>, Status> {
        signed_in(&request)?;
        let id = request.into_inner().organization_id;
        reply(
            async {
                let id = OrganizationId::parse(&id)
                    .map_err(|problem| ApiError::invalid_field("organization_id", problem))?;
                let row = self
                    .store
                    .organization(id.as_str())
                    .await?
                    .ok_or_else(|| ApiError::not_found("organization", &id))?;
                Ok(GetOrganizationResponse {
                    organization: Some(organization_to_wire(row)),
                })
            }
            .await,
        )
    }

    async fn create_organization(
        &self,
        request: Request<CreateOrganizationRequest>,
    ) -> Result<Response<CreateOrganizationResponse>, Status> {
        let caller = signed_in(&request)?;
        let request = request.into_inner();
        reply(
            async {
                caller.require_any(ADMIN)?;
                let draft = organization_draft(
                    &request.organization_id,
                    request.name.as_ref(),
                    request.kind,
                    &request.parent_organization_id,
                )?;
                let row = self.store.create_organization(&draft, time::now()).await?;
                tracing::info!(organization_id = %row.id, "organization registered");
                Ok(CreateOrganizationResponse {
                    organization: Some(organization_to_wire(row)),
                })
            }
            .await,
        )
    }

    async fn update_organization(
        &self,
        request: Request<UpdateOrganizationRequest>,
    ) -> Result<Response<UpdateOrganizationResponse>, Status> {
        let caller = signed_in(&request)?;
        let request = request.into_inner();
        reply(
            async {
                caller.require_any(ADMIN)?;
                let (id, terms) = UpdateTerms::parse(
                    |v| {
                        v.take(
                            "organization_id",
                            OrganizationId::parse(&request.organization_id),
                        )
                    },
                    &request.etag,
                    request.update_mask.as_ref(),
                    merge_organization,
                )?;
                // Every attempt reads afresh, borrowing the id, the request and the terms.
                let (id, request, terms) = (&id, &request, &terms);
                let row = terms
                    .rewrite(
                        "organization",
                        id,
                        move || self.store.organization(id.as_str()),
                        |existing| existing.revision,
                        move |existing, revision| async move {
                            let stored = organization_to_wire(existing);
                            let stored = UpdateOrganizationRequest {
                                organization_id: stored.id,
                                name: stored.name,
                                kind: stored.kind,
                                parent_organization_id: stored.parent_organization_id,
                                ..Default::default()
                            };
                            let fields = terms
                                .merged(stored, Some(request), merge_organization)
                                .unwrap_or_default();
                            let draft = organization_draft(
                                &request.organization_id,
                                fields.name.as_ref(),
                                fields.kind,
                                &fields.parent_organization_id,
                            )?;
                            Ok(self.store.update_organization(&draft, revision).await)
                        },
                    )
                    .await?;
                tracing::info!(organization_id = %id, by = %caller.subject, "organization updated");
                Ok(UpdateOrganizationResponse {
                    organization: Some(organization_to_wire(row)),
                })
            }
            .await,
        )
    }
}
