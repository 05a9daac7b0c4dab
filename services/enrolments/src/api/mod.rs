//! The gRPC API of the enrolments service. Handlers check who may act on
//! which enrolment, translate the wire, and leave seats and statuses to the
//! store and the rules to `domain`.

pub mod convert;
mod enrolments;
mod evaluations;
mod reports;

use hamafza_kit::auth::signed_in;
use hamafza_kit::grpc::reply;

use hamafza_kit::auth::{Caller, Role};
use hamafza_kit::config::EvaluationsConfig;

use crate::courses_client::CoursesClient;
use crate::domain::Person;
use crate::store::Store;
use crate::store::queries::Visibility;

/// The state every handler shares.
#[derive(Debug, Clone)]
pub struct EnrolmentsApi {
    store: Store,
    courses: CoursesClient,
    evaluations: EvaluationsConfig,
}

impl EnrolmentsApi {
    /// Handlers over `store`, reading sessions and courses through `courses`.
    pub fn new(store: Store, courses: CoursesClient) -> Self {
        Self {
            store,
            courses,
            evaluations: EvaluationsConfig::default(),
        }
    }

    /// The same handlers with these evaluation settings.
    pub fn with_evaluations(self, evaluations: EvaluationsConfig) -> Self {
        Self {
            evaluations,
            ..self
        }
    }
}

/// Roles that see every enrolment.
const STAFF: &[Role] = &[Role::PlatformAdmin, Role::Council, Role::Service];

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
