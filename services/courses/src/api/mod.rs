//! The gRPC API of the courses service: four services over one store.
//! Handlers check who may call, translate wire <-> domain, and leave rules to
//! `domain` and SQL to `store`.

pub mod convert;
mod courses;
mod events;
mod organizations;
mod people;
mod sessions;

use hamafza_kit::auth::signed_in;
use hamafza_kit::grpc::reply;

use hamafza_kit::auth::{Caller, Role};

use std::sync::Arc;
use std::time::Duration;

use hamafza_kit::ApiError;
use hamafza_kit::recent::Recent;

use crate::store::Store;
use crate::store::queries::CourseRecord;

/// The state every handler shares.
#[derive(Debug, Clone)]
pub struct CoursesApi {
    store: Store,
    required_approvals: u32,
    public_listings: Arc<Recent<String, Vec<CourseRecord>>>,
}

/// How old a page of the public catalog may be when served again: the
/// catalog trainees browse is read often and changes seldom. Staff always
/// read the database.
pub const PUBLIC_LISTING_AGE: Duration = Duration::from_secs(1);

impl CoursesApi {
    /// Handlers over `store`, approving submissions after `required_approvals`
    /// council approvals.
    pub fn new(store: Store, required_approvals: u32) -> Self {
        Self {
            store,
            required_approvals: required_approvals.max(1),
            public_listings: Arc::new(Recent::new(PUBLIC_LISTING_AGE, 1_000)),
        }
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

/// Whether `caller` sees unpublished catalog items.
fn is_staff(caller: &Caller) -> bool {
    caller.has_any(STAFF)
}
