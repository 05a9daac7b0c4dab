//! What courses and programs share as catalog entries: they are created,
//! read, shown and changed the same way, only their details differ.

use chrono::{DateTime, Utc};
use hamafza_kit::auth::Caller;
use hamafza_kit::idempotency::{self, RequestKey};
use hamafza_kit::{ApiError, Violations, time};
use hamafza_proto::courses as pb;
use uuid::Uuid;

use crate::api::convert::masks::{merge_course, merge_program};
use crate::api::convert::{
    Audience, course_draft, course_to_wire, parse_id, program_draft, program_to_wire,
};
use crate::api::{ADMIN, CoursesApi, UpdateTerms, is_staff};
use crate::domain::CoursesError;
use crate::domain::catalog::{CourseDraft, ProgramDraft};
use crate::store::Store;
use crate::store::queries::{CourseRecord, ProgramRecord};

/// A stored catalog entry (a course or a program) and how it meets the wire
/// and the store.
pub(super) trait CatalogEntry: Sized + Send {
    /// What errors call it: "course", "program".
    const KIND: &'static str;
    /// The request field naming one.
    const ID_FIELD: &'static str;
    /// The method that creates one (what its request ids are kept under).
    const CREATE_RPC: &'static str;
    /// Merges one update-mask path of its details.
    const MERGE: fn(&mut Self::Details, &Self::Details, &str) -> bool;
    /// Its details on the wire, as created and updated.
    type Details: Clone + Default + Send + Sync;
    /// Its details checked.
    type Draft: Send + Sync;
    /// It on the wire.
    type Wire;

    fn draft(details: Option<&Self::Details>) -> Result<Self::Draft, ApiError>;
    fn to_wire(self, required_approvals: u32, audience: Audience) -> Self::Wire;
    fn details(wire: Self::Wire) -> Option<Self::Details>;
    fn revision(&self) -> i64;
    fn is_public(&self) -> bool;

    fn read(
        store: &Store,
        id: Uuid,
    ) -> impl Future<Output = Result<Option<Self>, CoursesError>> + Send;
    fn create(
        store: &Store,
        draft: &Self::Draft,
        owner: &str,
        created_by: &str,
        now: DateTime<Utc>,
        key: Option<&RequestKey>,
    ) -> impl Future<Output = Result<Self, CoursesError>> + Send;
    fn update(
        store: &Store,
        id: Uuid,
        draft: &Self::Draft,
        revision: i64,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<Self, CoursesError>> + Send;
}

impl CatalogEntry for CourseRecord {
    const KIND: &'static str = "course";
    const ID_FIELD: &'static str = "course_id";
    const CREATE_RPC: &'static str = "/hamafza.courses.v1.CourseService/CreateCourse";
    const MERGE: fn(&mut pb::CourseDetails, &pb::CourseDetails, &str) -> bool = merge_course;
    type Details = pb::CourseDetails;
    type Draft = CourseDraft;
    type Wire = pb::Course;

    fn draft(details: Option<&pb::CourseDetails>) -> Result<CourseDraft, ApiError> {
        course_draft(details)
    }
    fn to_wire(self, required_approvals: u32, audience: Audience) -> pb::Course {
        course_to_wire(self, required_approvals, audience)
    }
    fn details(wire: pb::Course) -> Option<pb::CourseDetails> {
        wire.details
    }
    fn revision(&self) -> i64 {
        self.course.revision
    }
    fn is_public(&self) -> bool {
        self.course.status.is_public()
    }

    fn read(
        store: &Store,
        id: Uuid,
    ) -> impl Future<Output = Result<Option<Self>, CoursesError>> + Send {
        store.course(id)
    }
    fn create(
        store: &Store,
        draft: &CourseDraft,
        owner: &str,
        created_by: &str,
        now: DateTime<Utc>,
        key: Option<&RequestKey>,
    ) -> impl Future<Output = Result<Self, CoursesError>> + Send {
        store.create_course(draft, owner, created_by, now, key)
    }
    fn update(
        store: &Store,
        id: Uuid,
        draft: &CourseDraft,
        revision: i64,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<Self, CoursesError>> + Send {
        store.update_course(id, draft, revision, now)
    }
}

impl CatalogEntry for ProgramRecord {
    const KIND: &'static str = "program";
    const ID_FIELD: &'static str = "program_id";
    const CREATE_RPC: &'static str = "/hamafza.courses.v1.CourseService/CreateProgram";
    const MERGE: fn(&mut pb::ProgramDetails, &pb::ProgramDetails, &str) -> bool = merge_program;
    type Details = pb::ProgramDetails;
    type Draft = ProgramDraft;
    type Wire = pb::Program;

    fn draft(details: Option<&pb::ProgramDetails>) -> Result<ProgramDraft, ApiError> {
        program_draft(details)
    }
    fn to_wire(self, required_approvals: u32, audience: Audience) -> pb::Program {
        program_to_wire(self, required_approvals, audience)
    }
    fn details(wire: pb::Program) -> Option<pb::ProgramDetails> {
        wire.details
    }
    fn revision(&self) -> i64 {
        self.program.revision
    }
    fn is_public(&self) -> bool {
        self.program.status.is_public()
    }

    fn read(
        store: &Store,
        id: Uuid,
    ) -> impl Future<Output = Result<Option<Self>, CoursesError>> + Send {
        store.program(id)
    }
    fn create(
        store: &Store,
        draft: &ProgramDraft,
        owner: &str,
        created_by: &str,
        now: DateTime<Utc>,
        key: Option<&RequestKey>,
    ) -> impl Future<Output = Result<Self, CoursesError>> + Send {
        store.create_program(draft, owner, created_by, now, key)
    }
    fn update(
        store: &Store,
        id: Uuid,
        draft: &ProgramDraft,
        revision: i64,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<Self, CoursesError>> + Send {
        store.update_program(id, draft, revision, now)
    }
}

impl CoursesApi {
    /// Creates a draft entry owned by the caller's organization.
    pub(super) async fn create_entry<T: CatalogEntry>(
        &self,
        caller: &Caller,
        details: Option<&T::Details>,
        request_id: &str,
        request: &impl prost::Message,
    ) -> Result<T, ApiError> {
        caller.require_any(ADMIN)?;
        let mut v = Violations::new();
        let key =
            idempotency::optional_key(&mut v, &caller.subject, request_id, T::CREATE_RPC, request);
        v.finish()?;
        // A repeat is answered with what the first call made, as it is now.
        if let Some(id) = self.store.created_before(key.as_ref()).await? {
            return T::read(&self.store, id)
                .await?
                .ok_or_else(|| ApiError::not_found(T::KIND, id));
        }
        let draft = T::draft(details)?;
        Ok(T::create(
            &self.store,
            &draft,
            &caller.organization_id,
            &caller.subject,
            time::now(),
            key.as_ref(),
        )
        .await?)
    }

    /// The entry named by `id` if the caller may see it; drafts of others
    /// are "not found" to callers who may not see drafts.
    pub(super) async fn visible_entry<T: CatalogEntry>(
        &self,
        caller: &Caller,
        id: &str,
    ) -> Result<T, ApiError> {
        let id = Self::parse_subject_id(T::ID_FIELD, id)?;
        match T::read(&self.store, id).await? {
            Some(record) if is_staff(caller) || record.is_public() => Ok(record),
            _ => Err(ApiError::not_found(T::KIND, id)),
        }
    }

    /// Changes an entry's details along the update mask, over the revision
    /// the etag names (if any); answers its id and what was written.
    pub(super) async fn update_entry<T: CatalogEntry>(
        &self,
        caller: &Caller,
        id: &str,
        etag: &str,
        mask: Option<&prost_types::FieldMask>,
        details: Option<&T::Details>,
    ) -> Result<(Uuid, T), ApiError> {
        caller.require_any(ADMIN)?;
        let (id, terms) =
            UpdateTerms::parse(|v| parse_id(v, T::ID_FIELD, id), etag, mask, T::MERGE)?;
        // Every attempt reads afresh, borrowing the request and the terms.
        let terms = &terms;
        let record = terms
            .rewrite(
                T::KIND,
                id,
                move || T::read(&self.store, id),
                T::revision,
                move |existing, revision| async move {
                    let stored =
                        existing.to_wire(self.required_approvals().await?, Audience::Staff);
                    let details =
                        terms.merged(T::details(stored).unwrap_or_default(), details, T::MERGE);
                    let draft = T::draft(details.as_ref())?;
                    Ok(T::update(&self.store, id, &draft, revision, time::now()).await)
                },
            )
            .await?;
        Ok((id, record))
    }

    /// `record` on the wire, as `audience` may see it.
    pub(super) async fn entry_to_wire<T: CatalogEntry>(
        &self,
        record: T,
        audience: Audience,
    ) -> Result<T::Wire, ApiError> {
        Ok(record.to_wire(self.required_approvals().await?, audience))
    }

    /// `records` on the wire, as `audience` may see them.
    pub(super) async fn entries_to_wire<T: CatalogEntry>(
        &self,
        records: Vec<T>,
        audience: Audience,
    ) -> Result<Vec<T::Wire>, ApiError> {
        let required = self.required_approvals().await?;
        Ok(records
            .into_iter()
            .map(|record| record.to_wire(required, audience))
            .collect())
    }

    /// The entry as staff see it, the answer to a step of the workflow.
    pub(super) async fn entry_reply<T: CatalogEntry>(&self, id: Uuid) -> Result<T::Wire, ApiError> {
        let record = T::read(&self.store, id)
            .await?
            .ok_or_else(|| ApiError::not_found(T::KIND, id))?;
        self.entry_to_wire(record, Audience::Staff).await
    }
}
