//! The gRPC API of the courses service: four services over one store.
//! Handlers check who may call, translate wire <-> domain, and leave rules to
//! `domain` and SQL to `store`.

pub mod convert;
mod courses;
mod events;
pub(crate) mod hosting;
mod organizations;
mod people;
mod sessions;

use hamafza_kit::auth::signed_in;
use hamafza_kit::grpc::reply;

use hamafza_kit::auth::{Caller, Role};

use std::sync::Arc;
use std::time::Duration;

use hamafza_kit::recent::Recent;
use hamafza_kit::{ApiError, Violations};

use crate::domain::CoursesError;
use crate::store::Store;
use crate::store::queries::CourseRecord;

/// The state every handler shares.
#[derive(Debug, Clone)]
pub struct CoursesApi {
    store: Store,
    /// Approvals a round needs until an admin sets the council's settings.
    default_approvals: u32,
    council: Arc<Recent<(), u32>>,
    public_listings: Arc<Recent<String, Vec<CourseRecord>>>,
}

/// How old a page of the public catalog may be when served again: the
/// catalog trainees browse is read often and changes seldom. Staff always
/// read the database.
pub const PUBLIC_LISTING_AGE: Duration = Duration::from_secs(1);

/// How old the council's settings may be when a vote is counted: a change
/// reaches every replica within this.
pub const COUNCIL_SETTINGS_AGE: Duration = Duration::from_secs(1);

impl CoursesApi {
    /// Handlers over `store`, approving submissions after `required_approvals`
    /// council approvals.
    pub fn new(store: Store, required_approvals: u32) -> Self {
        Self {
            store,
            default_approvals: required_approvals.max(1),
            council: Arc::new(Recent::new(COUNCIL_SETTINGS_AGE, 1)),
            public_listings: Arc::new(Recent::new(PUBLIC_LISTING_AGE, 1_000)),
        }
    }

    /// The approvals a council round needs now: the council's settings as
    /// read at most [`COUNCIL_SETTINGS_AGE`] ago, else the configured default.
    async fn required_approvals(&self) -> Result<u32, ApiError> {
        self.council
            .get_or_load((), async {
                Ok::<_, ApiError>(match self.store.council_settings().await? {
                    Some(row) => u32::try_from(row.required_approvals).unwrap_or(1).max(1),
                    None => self.default_approvals,
                })
            })
            .await
    }

    /// A page of the public catalog listed at most [`PUBLIC_LISTING_AGE`] ago,
    /// or `list` now.
    async fn public_listing<F>(&self, key: String, list: F) -> Result<Vec<CourseRecord>, ApiError>
    where
        F: Future<Output = Result<Vec<CourseRecord>, ApiError>>,
    {
        self.public_listings.get_or_load(key, list).await
    }
}

/// Roles that see drafts, submissions and planned sessions.
const STAFF: &[Role] = &[Role::PlatformAdmin, Role::Council, Role::Service];
/// Roles that run the catalog.
const ADMIN: &[Role] = &[Role::PlatformAdmin];
/// Roles that vote.
const COUNCIL: &[Role] = &[Role::Council];

/// How often an update without an etag is tried when concurrent writes keep
/// changing the resource between reading it and writing it.
const UPDATE_ATTEMPTS: u32 = 3;

/// The conditions of an update request: the revision its etag names (AIP-154)
/// and the paths of its update mask (AIP-134).
#[derive(Debug)]
struct UpdateTerms {
    /// The revision the caller read; `None` for no check.
    expected: Option<i64>,
    /// The fields to change; `None` for all.
    paths: Option<Vec<String>>,
}

impl UpdateTerms {
    /// Parses an update's id (with `id`), its etag and its update mask
    /// (whose paths `merge` must know), refusing all that is malformed in
    /// one answer.
    fn parse<I, T: Default>(
        id: impl FnOnce(&mut Violations) -> Option<I>,
        etag: &str,
        mask: Option<&prost_types::FieldMask>,
        merge: fn(&mut T, &T, &str) -> bool,
    ) -> Result<(I, Self), ApiError> {
        let mut v = Violations::new();
        let id = id(&mut v);
        let expected = hamafza_kit::update::parse_etag(&mut v, "etag", etag);
        let paths = hamafza_kit::update::mask_paths(mask);
        hamafza_kit::update::check_mask(
            &mut v,
            "update_mask",
            paths.as_deref(),
            convert::masks::knows(merge),
        );
        Ok((v.finish_with(id)?, Self { expected, paths }))
    }

    /// Reads, merges and writes until the write lands: `attempt` reads the
    /// resource, merges the request into it and answers what its write
    /// came to, or refuses before writing. A write that found the resource
    /// changed since it was read is tried afresh only as long as
    /// [`Self::may_retry`]; otherwise it is the caller's ABORTED.
    async fn write<R, F>(&self, mut attempt: impl FnMut() -> F) -> Result<R, ApiError>
    where
        F: Future<Output = Result<Result<R, CoursesError>, ApiError>>,
    {
        let mut attempts = 0;
        loop {
            attempts += 1;
            match attempt().await? {
                Err(CoursesError::EtagMismatch { .. }) if self.may_retry(attempts) => {}
                written => return Ok(written?),
            }
        }
    }

    /// [`Self::write`] for a resource read whole: every attempt reads the
    /// `kind` `id` afresh with `read` (NOT_FOUND when it is gone), checks its
    /// revision (as `revision_of` reads it) against the etag, and hands it
    /// with that revision to `save`, which merges the request and writes.
    async fn rewrite<I, T, R, F, G>(
        &self,
        kind: &'static str,
        id: I,
        read: impl Fn() -> F,
        revision_of: fn(&T) -> i64,
        save: impl Fn(T, i64) -> G,
    ) -> Result<R, ApiError>
    where
        I: std::fmt::Display + Copy,
        F: Future<Output = Result<Option<T>, CoursesError>>,
        G: Future<Output = Result<Result<R, CoursesError>, ApiError>>,
    {
        let (read, save) = (&read, &save);
        self.write(move || async move {
            let existing = read().await?.ok_or_else(|| ApiError::not_found(kind, id))?;
            let revision = self.revision(kind, id, revision_of(&existing))?;
            save(existing, revision).await
        })
        .await
    }

    /// `given` merged into `stored` along the mask's paths (`given` whole
    /// when there is no mask).
    fn merged<T: Clone + Default>(
        &self,
        stored: T,
        given: Option<&T>,
        merge: fn(&mut T, &T, &str) -> bool,
    ) -> Option<T> {
        convert::masks::apply_mask(stored, given, self.paths(), merge)
    }

    /// The revision to write over, given the one stored now: the update is
    /// conditional on it, so that a concurrent write in between is noticed.
    fn revision(
        &self,
        kind: &'static str,
        id: impl ToString,
        stored: i64,
    ) -> Result<i64, ApiError> {
        match self.expected {
            Some(expected) if expected != stored => {
                Err(hamafza_kit::update::etag_mismatch(kind, id.to_string()))
            }
            _ => Ok(stored),
        }
    }

    /// Whether a write that found the resource changed since it was read
    /// (on `attempt`, from 1) may read it again and retry: only when the
    /// caller asked for no check.
    fn may_retry(&self, attempt: u32) -> bool {
        self.expected.is_none() && attempt < UPDATE_ATTEMPTS
    }

    /// The mask's paths, `None` for a full replacement.
    fn paths(&self) -> Option<&[String]> {
        self.paths.as_deref()
    }
}

/// Whether `caller` sees unpublished catalog items.
fn is_staff(caller: &Caller) -> bool {
    caller.has_any(STAFF)
}

/// The reads whose answers are the same for every caller who is not staff:
/// the public catalog, sent again as encoded for [`PUBLIC_LISTING_AGE`]
/// (`hamafza_kit::replies`), besides the listing kept here.
pub const PUBLIC_READS: &[&str] = &["/hamafza.courses.v1.CourseService/ListCourses"];

/// Whether `caller` is answered the public catalog, the same as any other
/// such caller (see [`PUBLIC_READS`]).
pub fn reads_public_catalog(caller: &Caller) -> bool {
    !is_staff(caller)
}
