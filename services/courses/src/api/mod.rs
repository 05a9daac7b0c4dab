//! The gRPC API of the courses service: four services over one store.
//! Handlers check who may call, translate wire <-> domain, and leave rules to
//! `domain` and SQL to `store`.

pub mod convert;
mod courses;
mod events;
mod organizations;
mod sessions;

use hamafza_kit::auth::signed_in;
use hamafza_kit::grpc::reply;

use hamafza_kit::auth::{Caller, Role};

use crate::store::Store;

/// The state every handler shares.
#[derive(Debug, Clone)]
pub struct CoursesApi {
    store: Store,
    required_approvals: u32,
}

impl CoursesApi {
    /// Handlers over `store`, approving submissions after `required_approvals`
    /// council approvals.
    pub fn new(store: Store, required_approvals: u32) -> Self {
        Self {
            store,
            required_approvals: required_approvals.max(1),
        }
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
