//! The wire side of `LibraryService`: each rpc reads its caller, calls the
//! checks and rules of [`LibraryApi`], and turns the answer into a reply.

use std::sync::Arc;

use hamafza_kit::auth::{Caller, Role, signed_in};
use hamafza_kit::grpc::reply;
use hamafza_kit::text::plain;
use hamafza_kit::{ApiError, Violations, time};
use hamafza_proto::library as pb;
use hamafza_proto::library::library_service_server::LibraryService;
use tonic::{Request, Response, Status};
use uuid::Uuid;

use super::{DownloadStream, LibraryApi, REASON_CHARS, check_draft, db_error, id_of};
use crate::store::entities::item;
use crate::store::queries::state;

#[tonic::async_trait]
impl LibraryService for LibraryApi {
    async fn create_item(
        &self,
        request: Request<pb::CreateItemRequest>,
    ) -> Result<Response<pb::CreateItemResponse>, Status> {
        let caller = signed_in(&request)?;
        reply(
            self.create(&caller, request.into_inner())
                .await
                .map(|item| pb::CreateItemResponse { item: Some(item) }),
        )
    }

    async fn get_item(
        &self,
        request: Request<pb::GetItemRequest>,
    ) -> Result<Response<pb::GetItemResponse>, Status> {
        answer(request, async |caller, request| {
            self.member(&caller).await?;
            let row = self
                .visible(&caller, id_of("item_id", &request.item_id)?)
                .await?;
            let item = self.with_files(&caller, row).await?;
            Ok(pb::GetItemResponse { item: Some(item) })
        })
        .await
    }

    async fn list_items(
        &self,
        request: Request<pb::ListItemsRequest>,
    ) -> Result<Response<pb::ListItemsResponse>, Status> {
        let caller = signed_in(&request)?;
        reply(self.list(&caller, request.into_inner()).await)
    }

    async fn update_item(
        &self,
        request: Request<pb::UpdateItemRequest>,
    ) -> Result<Response<pb::UpdateItemResponse>, Status> {
        answer(request, async |caller, request| {
            self.member(&caller).await?;
            let id = id_of("item_id", &request.item_id)?;
            let checked = check_draft(request.draft)?;
            let item = self.edit(&caller, id, |row| checked.apply(row)).await?;
            Ok(pb::UpdateItemResponse { item: Some(item) })
        })
        .await
    }

    async fn submit_item(
        &self,
        request: Request<pb::SubmitItemRequest>,
    ) -> Result<Response<pb::SubmitItemResponse>, Status> {
        answer(request, async |caller, request| {
            self.member(&caller).await?;
            let id = id_of("item_id", &request.item_id)?;
            let item = self
                .edit(&caller, id, |row| row.state = state::SUBMITTED.to_owned())
                .await?;
            Ok(pb::SubmitItemResponse { item: Some(item) })
        })
        .await
    }

    async fn approve_item(
        &self,
        request: Request<pb::ApproveItemRequest>,
    ) -> Result<Response<pb::ApproveItemResponse>, Status> {
        answer(request, async |caller, request| {
            self.reviewer(&caller).await?;
            let now = time::now();
            let item = self
                .review(&caller, &request.item_id, |row| {
                    row.state = state::APPROVED.to_owned();
                    row.approved_at = Some(now);
                    row.return_reason = String::new();
                })
                .await?;
            Ok(pb::ApproveItemResponse { item: Some(item) })
        })
        .await
    }

    async fn return_item(
        &self,
        request: Request<pb::ReturnItemRequest>,
    ) -> Result<Response<pb::ReturnItemResponse>, Status> {
        answer(request, async |caller, request| {
            self.reviewer(&caller).await?;
            let mut v = Violations::new();
            let reason = v.take("reason", plain(&request.reason, REASON_CHARS));
            if reason.as_deref().is_some_and(str::is_empty) {
                v.add("reason", "is required");
            }
            let reason = v.finish_with(reason)?;
            let item = self
                .review(&caller, &request.item_id, |row| {
                    row.state = state::RETURNED.to_owned();
                    row.return_reason = reason;
                })
                .await?;
            Ok(pb::ReturnItemResponse { item: Some(item) })
        })
        .await
    }

    async fn attach_file(
        &self,
        request: Request<pb::AttachFileRequest>,
    ) -> Result<Response<pb::AttachFileResponse>, Status> {
        let caller = signed_in(&request)?;
        reply(
            self.attach(&caller, request.into_inner())
                .await
                .map(|file| pb::AttachFileResponse { file: Some(file) }),
        )
    }

    async fn remove_file(
        &self,
        request: Request<pb::RemoveFileRequest>,
    ) -> Result<Response<pb::RemoveFileResponse>, Status> {
        let caller = signed_in(&request)?;
        reply(
            self.remove(&caller, request.into_inner())
                .await
                .map(|()| pb::RemoveFileResponse {}),
        )
    }

    type DownloadFileStream = DownloadStream;

    async fn download_file(
        &self,
        request: Request<pb::DownloadFileRequest>,
    ) -> Result<Response<Self::DownloadFileStream>, Status> {
        let caller = signed_in(&request)?;
        reply(self.download(&caller, request.into_inner()).await)
    }

    async fn get_library_stats(
        &self,
        request: Request<pb::GetLibraryStatsRequest>,
    ) -> Result<Response<pb::GetLibraryStatsResponse>, Status> {
        let caller = signed_in(&request)?;
        reply(
            async {
                self.member(&caller).await?;
                let rows = self.store.stats().await.map_err(db_error)?;
                Ok(pb::GetLibraryStatsResponse {
                    companies: rows
                        .into_iter()
                        .map(|(organization_id, items_published, downloads)| {
                            pb::CompanyLibraryStats {
                                organization_id,
                                items_published,
                                downloads,
                            }
                        })
                        .collect(),
                })
            }
            .await,
        )
    }
}

/// Signs the caller in and answers what `handle` makes of the request.
async fn answer<Q, R>(
    request: Request<Q>,
    handle: impl AsyncFnOnce(Arc<Caller>, Q) -> Result<R, ApiError>,
) -> Result<Response<R>, Status> {
    let caller = signed_in(&request)?;
    reply(handle(caller, request.into_inner()).await)
}

impl LibraryApi {
    /// A draft or returned item the caller may edit, changed as `change`
    /// says.
    async fn edit(
        &self,
        caller: &Caller,
        id: Uuid,
        change: impl FnOnce(&mut item::Model),
    ) -> Result<pb::Item, ApiError> {
        let row = self.editable(caller, id).await?;
        self.decide(caller, row, &[state::DRAFT, state::RETURNED], change)
            .await
    }

    /// PERMISSION_DENIED unless the caller reviews the library: a council
    /// member or a platform admin of a member company.
    async fn reviewer(&self, caller: &Caller) -> Result<(), ApiError> {
        caller.require_any(&[Role::Council, Role::PlatformAdmin])?;
        self.member(caller).await
    }

    /// A submitted item decided as `change` says, signed by the reviewer.
    async fn review(
        &self,
        caller: &Caller,
        item_id: &str,
        change: impl FnOnce(&mut item::Model),
    ) -> Result<pb::Item, ApiError> {
        let row = self.submitted(caller, item_id).await?;
        self.decide(caller, row, &[state::SUBMITTED], |row| {
            change(row);
            row.reviewed_by = caller.subject.clone();
        })
        .await
    }
}
