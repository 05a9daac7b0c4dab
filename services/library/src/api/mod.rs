//! `hamafza.library.v1.LibraryService`: checks each call (the caller's
//! company must be a registered member; who sees and edits what is in
//! `domain`) and answers it.

mod convert;
mod rpc;

use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use chrono::{DateTime, Utc};
use futures::{Stream, StreamExt};
use hamafza_kit::auth::{Caller, Role};
use hamafza_kit::error::parse_id;
use hamafza_kit::peers::{CoursesClient, PeerError};
use hamafza_kit::recent::Recent;
use hamafza_kit::{ApiError, Violations, db, idempotency, page, time};
use hamafza_proto::library as pb;
use hamafza_proto::library::{ItemState, Tag};
use tonic::Status;
use uuid::Uuid;

pub use convert::{check_draft, wire_item};

use crate::domain::{can_edit, can_see, reviews};
use crate::files::{Files, sanitize_name, sha256_hex, sniff};
use crate::store::Store;
use crate::store::entities::{file, item};
use crate::store::queries::{ItemFilter, state};
use convert::{stored_state, wire_file};

/// Longest reason kept, in characters.
const REASON_CHARS: usize = 500;
/// Most files one item holds.
const MAX_FILES: usize = 10;
/// Bytes per message of a download.
const CHUNK: usize = 64 * 1024;
/// How long a company's membership is trusted without asking courses.
const RECENT_MEMBERS: Duration = Duration::from_secs(30);

/// The state every handler shares.
#[derive(Clone)]
pub struct LibraryApi {
    store: Store,
    files: Files,
    courses: CoursesClient,
    members: Arc<Recent<String, bool>>,
    max_file_bytes: usize,
}

impl std::fmt::Debug for LibraryApi {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LibraryApi").finish_non_exhaustive()
    }
}

fn db_error(error: sea_orm::DbErr) -> ApiError {
    db::api_error(error)
}

fn store_error(error: object_store::Error) -> ApiError {
    tracing::warn!(%error, "library: the object store failed");
    ApiError::unavailable("the file store is unavailable; retry shortly")
}

impl LibraryApi {
    /// Handlers over `store` and `files`, asking `courses` which companies
    /// are members.
    pub fn new(store: Store, files: Files, courses: CoursesClient, max_file_bytes: usize) -> Self {
        Self {
            store,
            files,
            courses,
            members: Arc::new(Recent::new(RECENT_MEMBERS, 1_000)),
            max_file_bytes,
        }
    }

    /// PERMISSION_DENIED unless the caller's company is a registered member
    /// (services calling on their own behalf pass).
    async fn member(&self, caller: &Caller) -> Result<(), ApiError> {
        if caller.has(Role::Service) {
            return Ok(());
        }
        let organization = caller.organization_id.clone();
        let courses = &self.courses;
        let known = self
            .members
            .get_or_load(organization.clone(), async move {
                match courses.organization(&organization).await {
                    Ok(_) => Ok(true),
                    Err(PeerError::NotFound { .. }) => Ok(false),
                    Err(error) => Err(ApiError::from(error)),
                }
            })
            .await?;
        if known && !caller.organization_id.is_empty() {
            Ok(())
        } else {
            Err(
                ApiError::permission_denied("the library is for the people of member companies")
                    .with_reason("NOT_A_MEMBER"),
            )
        }
    }

    async fn visible(&self, caller: &Caller, id: Uuid) -> Result<item::Model, ApiError> {
        match self.store.item(id).await.map_err(db_error)? {
            Some(row) if can_see(caller, &row) => Ok(row),
            _ => Err(ApiError::not_found("item", id)),
        }
    }

    async fn editable(&self, caller: &Caller, id: Uuid) -> Result<item::Model, ApiError> {
        let row = self.visible(caller, id).await?;
        if can_edit(caller, &row) {
            Ok(row)
        } else {
            Err(ApiError::permission_denied(
                "only a draft or returned item, by its author or their company's manager",
            )
            .with_reason("NOT_EDITABLE"))
        }
    }

    async fn with_files(&self, caller: &Caller, row: item::Model) -> Result<pb::Item, ApiError> {
        let files = self
            .store
            .files(&[row.id])
            .await
            .map_err(db_error)?
            .iter()
            .map(|(file, count)| wire_file(file, *count))
            .collect();
        Ok(wire_item(caller, row, files))
    }

    /// Moves an item from one of `from` to a new state, as `change` says.
    async fn decide(
        &self,
        caller: &Caller,
        row: item::Model,
        from: &[&str],
        change: impl FnOnce(&mut item::Model),
    ) -> Result<pb::Item, ApiError> {
        let mut row = row;
        let read_at = row.updated_at;
        change(&mut row);
        row.updated_at = time::now();
        if !self
            .store
            .save_item(row.clone(), from, read_at)
            .await
            .map_err(db_error)?
        {
            return Err(ApiError::new(
                hamafza_kit::error::ErrorCode::FailedPrecondition,
                "ITEM_CHANGED",
                "the item changed meanwhile; read it again",
            ));
        }
        self.with_files(caller, row).await
    }

    async fn create(
        &self,
        caller: &Caller,
        request: pb::CreateItemRequest,
    ) -> Result<pb::Item, ApiError> {
        self.member(caller).await?;
        if caller.has(Role::Service) {
            return Err(ApiError::permission_denied("items are written by people"));
        }
        let mut v = Violations::new();
        let key = idempotency::optional_key(
            &mut v,
            &caller.subject,
            &request.request_id,
            "/hamafza.library.v1.LibraryService/CreateItem",
            &request,
        );
        v.finish()?;
        if let Some(id) = self.store.created_before(key.as_ref()).await? {
            return self.made_before(caller, id).await;
        }
        let checked = check_draft(request.draft)?;
        let now = time::now();
        let mut row = item::Model {
            id: Uuid::now_v7(),
            kind: 0,
            title_fa: String::new(),
            title_en: String::new(),
            summary_fa: String::new(),
            summary_en: String::new(),
            tags: String::new(),
            organization_id: caller.organization_id.clone(),
            author_subject: caller.subject.clone(),
            author_name: caller.name.clone(),
            course_id: None,
            event_id: None,
            state: state::DRAFT.to_owned(),
            return_reason: String::new(),
            search_key: String::new(),
            created_at: now,
            updated_at: now,
            approved_at: None,
            reviewed_by: String::new(),
        };
        checked.apply(&mut row);
        let id = self
            .store
            .insert_item_once(row.clone(), key.as_ref())
            .await?;
        if id == row.id {
            return Ok(wire_item(caller, row, Vec::new()));
        }
        // A repeat that raced the first: the first's item.
        self.made_before(caller, id).await
    }

    /// The item a repeated `CreateItem` made the first time, as it is now.
    async fn made_before(&self, caller: &Caller, id: Uuid) -> Result<pb::Item, ApiError> {
        let row = self
            .store
            .item(id)
            .await
            .map_err(db_error)?
            .ok_or_else(|| ApiError::not_found("item", id))?;
        self.with_files(caller, row).await
    }

    async fn list(
        &self,
        caller: &Caller,
        request: pb::ListItemsRequest,
    ) -> Result<pb::ListItemsResponse, ApiError> {
        self.member(caller).await?;
        let mut v = Violations::new();
        let limit = match request.page_size {
            0 => 50,
            size @ 1..=200 => u64::try_from(size).unwrap_or(50),
            _ => {
                v.add("page_size", "must be between 1 and 200");
                50
            }
        };
        // The last item of the page before: rows added or changed meanwhile
        // move no item onto two pages.
        let after = v
            .take(
                "page_token",
                page::decode::<(DateTime<Utc>, Uuid)>(&request.page_token),
            )
            .flatten();
        let tag = match Tag::try_from(request.tag) {
            Ok(Tag::Unspecified) => None,
            Ok(tag) => Some(tag as i32),
            Err(_) => {
                v.add("tag", "must be a known tag");
                None
            }
        };
        let wanted = ItemState::try_from(request.state).unwrap_or_default();
        if request.text.chars().count() > 200 {
            v.add("text", "must be at most 200 characters");
        }
        v.finish()?;
        let filter = ItemFilter {
            own_organization: caller.organization_id.clone(),
            reviewer: reviews(caller),
            state: stored_state(wanted),
            tag,
            organization: Some(request.organization_id).filter(|o| !o.is_empty()),
            text: request.text,
            after,
            limit: limit + 1,
        };
        let mut rows = self.store.items(&filter).await.map_err(db_error)?;
        let next_page_token = page::finish(&mut rows, limit, |row| (row.created_at, row.id));
        let ids: Vec<Uuid> = rows.iter().map(|row| row.id).collect();
        let files = self.store.files(&ids).await.map_err(db_error)?;
        let items = rows
            .into_iter()
            .map(|row| {
                let mine = files
                    .iter()
                    .filter(|(file, _)| file.item_id == row.id)
                    .map(|(file, count)| wire_file(file, *count))
                    .collect();
                wire_item(caller, row, mine)
            })
            .collect();
        Ok(pb::ListItemsResponse {
            items,
            next_page_token,
        })
    }

    async fn attach(
        &self,
        caller: &Caller,
        request: pb::AttachFileRequest,
    ) -> Result<pb::ItemFile, ApiError> {
        self.member(caller).await?;
        let mut v = Violations::new();
        let item_id = parse_id(&mut v, "item_id", &request.item_id);
        v.finish()?;
        let item_id = item_id.ok_or_else(|| ApiError::invalid_field("item_id", "is required"))?;
        let row = self.editable(caller, item_id).await?;
        let content = request.content;
        if content.is_empty() {
            return Err(ApiError::invalid_field("content", "the file is empty"));
        }
        if content.len() > self.max_file_bytes {
            return Err(ApiError::invalid_field(
                "content",
                format!("a file may be at most {} bytes", self.max_file_bytes),
            )
            .with_reason("FILE_TOO_LARGE"));
        }
        let Some((content_type, extension)) = sniff(&content) else {
            return Err(ApiError::invalid_field(
                "content",
                "must be a PDF, PNG, JPEG, PPTX, DOCX, XLSX or ZIP file (by its contents)",
            )
            .with_reason("FILE_TYPE_NOT_ALLOWED"));
        };
        if self.store.file_count(row.id).await.map_err(db_error)? >= MAX_FILES {
            return Err(
                ApiError::invalid_field("item_id", "an item holds at most 10 files")
                    .with_reason("TOO_MANY_FILES"),
            );
        }
        let sha256 = sha256_hex(&content);
        let record = file::Model {
            id: Uuid::now_v7(),
            item_id: row.id,
            name: sanitize_name(&request.name, extension),
            content_type: content_type.to_owned(),
            size_bytes: i64::try_from(content.len()).unwrap_or(i64::MAX),
            sha256,
            created_at: time::now(),
        };
        // The bytes first: a row never names bytes that are not there.
        self.files
            .put(row.id, record.id, content.into())
            .await
            .map_err(store_error)?;
        let kept = self
            .store
            .insert_file(record.clone())
            .await
            .map_err(db_error)?;
        if kept.id != record.id {
            // The same bytes were there already: this upload's copy goes.
            if let Err(error) = self.files.delete(row.id, record.id).await {
                tracing::warn!(%error, file_id = %record.id, "could not remove a repeated upload's bytes");
            }
            let files = self.store.files(&[row.id]).await.map_err(db_error)?;
            let downloads = files
                .iter()
                .find(|(file, _)| file.id == kept.id)
                .map_or(0, |(_, count)| *count);
            return Ok(wire_file(&kept, downloads));
        }
        Ok(wire_file(&record, 0))
    }

    async fn remove(
        &self,
        caller: &Caller,
        request: pb::RemoveFileRequest,
    ) -> Result<(), ApiError> {
        self.member(caller).await?;
        let mut v = Violations::new();
        let item_id = parse_id(&mut v, "item_id", &request.item_id);
        let file_id = parse_id(&mut v, "file_id", &request.file_id);
        v.finish()?;
        let (Some(item_id), Some(file_id)) = (item_id, file_id) else {
            return Err(ApiError::invalid_field("item_id", "is required"));
        };
        let row = self.editable(caller, item_id).await?;
        let Some(found) = self.store.file(row.id, file_id).await.map_err(db_error)? else {
            return Err(ApiError::not_found("file", file_id));
        };
        self.store.delete_file(found.id).await.map_err(db_error)?;
        self.files
            .delete(row.id, found.id)
            .await
            .map_err(store_error)
    }

    async fn download(
        &self,
        caller: &Caller,
        request: pb::DownloadFileRequest,
    ) -> Result<DownloadStream, ApiError> {
        self.member(caller).await?;
        let mut v = Violations::new();
        let item_id = parse_id(&mut v, "item_id", &request.item_id);
        let file_id = parse_id(&mut v, "file_id", &request.file_id);
        v.finish()?;
        let (Some(item_id), Some(file_id)) = (item_id, file_id) else {
            return Err(ApiError::invalid_field("item_id", "is required"));
        };
        let row = self.visible(caller, item_id).await?;
        let Some(found) = self.store.file(row.id, file_id).await.map_err(db_error)? else {
            return Err(ApiError::not_found("file", file_id));
        };
        let bytes = self
            .files
            .get(row.id, found.id)
            .await
            .map_err(store_error)?;
        if !caller.has(Role::Service) {
            self.store
                .record_download(
                    &found,
                    &caller.organization_id,
                    &caller.subject,
                    time::now(),
                )
                .await
                .map_err(db_error)?;
        }
        let first = pb::DownloadFileResponse {
            file: Some(wire_file(&found, 0)),
            chunk: Vec::new(),
        };
        let chunks = bytes.flat_map(|piece| {
            let messages: Vec<Result<pb::DownloadFileResponse, Status>> = match piece {
                Ok(piece) => split(piece)
                    .map(|chunk| {
                        Ok(pb::DownloadFileResponse {
                            file: None,
                            chunk: chunk.to_vec(),
                        })
                    })
                    .collect(),
                Err(error) => vec![Err(Status::from(store_error(error)))],
            };
            futures::stream::iter(messages)
        });
        Ok(Box::pin(
            futures::stream::once(async move { Ok(first) }).chain(chunks),
        ))
    }
}

/// `piece` in chunks of at most [`CHUNK`] bytes.
fn split(piece: Bytes) -> impl Iterator<Item = Bytes> {
    let len = piece.len();
    (0..len)
        .step_by(CHUNK)
        .map(move |start| piece.slice(start..(start + CHUNK).min(len)))
}

type DownloadStream = Pin<Box<dyn Stream<Item = Result<pb::DownloadFileResponse, Status>> + Send>>;

fn id_of(field: &str, value: &str) -> Result<Uuid, ApiError> {
    let mut v = Violations::new();
    let id = parse_id(&mut v, field, value);
    v.finish_with(id)
}

impl LibraryApi {
    async fn submitted(&self, caller: &Caller, id: &str) -> Result<item::Model, ApiError> {
        let row = self.visible(caller, id_of("item_id", id)?).await?;
        if row.state == state::SUBMITTED {
            Ok(row)
        } else {
            Err(ApiError::new(
                hamafza_kit::error::ErrorCode::FailedPrecondition,
                "NOT_SUBMITTED",
                "only a submitted item is approved or returned",
            ))
        }
    }
}
