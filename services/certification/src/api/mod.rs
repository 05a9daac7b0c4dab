//! The gRPC API of the certification service.

mod certification;
pub mod convert;
mod document;
mod issuance;

use hamafza_kit::auth::signed_in;
use hamafza_kit::grpc::reply;
use std::sync::Arc;

use hamafza_kit::auth::{Caller, Role};
use hamafza_kit::config::CredentialsConfig;

use crate::courses_client::CoursesClient;
use crate::keys::IssuerKeys;
use crate::store::Store;
use crate::store::queries::Visibility;

/// Longest reason, in characters.
const REASON_CHARS: usize = 2000;

/// The state every handler shares.
#[derive(Clone)]
pub struct CertificationApi {
    store: Store,
    courses: CoursesClient,
    keys: Arc<IssuerKeys>,
    credentials: CredentialsConfig,
    renderer: Arc<crate::document::Renderer>,
}

impl std::fmt::Debug for CertificationApi {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CertificationApi").finish_non_exhaustive()
    }
}

impl CertificationApi {
    /// Handlers over `store`, signing with `keys`.
    pub fn new(
        store: Store,
        courses: CoursesClient,
        keys: Arc<IssuerKeys>,
        credentials: CredentialsConfig,
    ) -> Self {
        Self {
            store,
            courses,
            keys,
            credentials,
            renderer: Arc::new(crate::document::Renderer::new()),
        }
    }

    /// The public page where anyone can check a serial.
    fn verification_url(&self, serial: &str) -> String {
        format!(
            "{}/verify/{serial}",
            self.credentials.public_base_url.trim_end_matches('/')
        )
    }
}

/// The certificates `caller` may see.
fn visibility(caller: &Caller) -> Visibility {
    if caller.has_any(&[Role::PlatformAdmin, Role::Council, Role::Service]) {
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
    }
}

fn may_see(visibility: &Visibility, trainee: &str, organization: &str) -> bool {
    visibility.everything
        || visibility.trainee.as_deref() == Some(trainee)
        || visibility.organization.as_deref() == Some(organization)
}
