//! The gRPC API of the enrolments service. Handlers check who may act on
//! which enrolment, translate the wire, and leave seats and statuses to the
//! store and the rules to `domain`.

pub mod convert;
mod enrolments;
mod reports;

use std::sync::Arc;

use hamafza_kit::ApiError;
use hamafza_kit::auth::{Caller, Role};
use tonic::{Response, Status};

use crate::courses_client::CoursesClient;
use crate::domain::Person;
use crate::store::Store;
use crate::store::queries::Visibility;

/// The state every handler shares.
#[derive(Debug, Clone)]
pub struct EnrolmentsApi {
    store: Store,
    courses: CoursesClient,
}

impl EnrolmentsApi {
    /// Handlers over `store`, reading sessions and courses through `courses`.
    pub fn new(store: Store, courses: CoursesClient) -> Self {
        Self { store, courses }
    }
}

/// Roles that see every enrolment.
const STAFF: &[Role] = &[Role::PlatformAdmin, Role::Council, Role::Service];

fn reply<T>(result: Result<T, ApiError>) -> Result<Response<T>, Status> {
    result.map(Response::new).map_err(Status::from)
}

fn signed_in<T>(request: &tonic::Request<T>) -> Result<Arc<Caller>, Status> {
    hamafza_kit::auth::caller(request).map_err(Status::from)
}

/// The caller as recorded in history.
fn person(caller: &Caller) -> Person {
    Person {
        subject: caller.subject.clone(),
        name: caller.name.clone(),
        organization_id: caller.organization_id.clone(),
    }
}

/// The enrolments `caller` may see: the union of what each role allows.
fn visibility(caller: &Caller) -> Visibility {
    if caller.has_any(STAFF) {
        return Visibility {
            everything: true,
            ..Visibility::default()
        };
    }
    Visibility {
        everything: false,
        trainee: Some(caller.subject.clone()),
        organization: caller
            .has(Role::OrgManager)
            .then(|| caller.organization_id.clone()),
        instructor: caller.has(Role::Instructor).then(|| caller.subject.clone()),
    }
}

/// Whether `caller` may act for `trainee` as their manager or an admin.
fn manages(caller: &Caller, trainee_organization: &str) -> bool {
    caller.has(Role::PlatformAdmin) || caller.manages(trainee_organization)
}
