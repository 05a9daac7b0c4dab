//! Who is calling: JWT verification against the issuer's public keys (a JWKS
//! file or URL), a bounded cache of verified tokens, the tonic interceptor
//! that puts the [`Caller`] into request extensions, and the development
//! issuer used by `hamafza up` and `hamafza token`.

mod dev_issuer;
mod interceptor;
mod jwks;
mod signing_key;
mod verifier;

use std::fmt;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

pub use dev_issuer::{DevIssuer, ServiceToken, TokenRequest};
pub use interceptor::AuthInterceptor;
pub use jwks::read_jwks;
pub use signing_key::{SigningKeyFile, generate_ed25519_pem};
pub use verifier::TokenVerifier;

use crate::error::ApiError;

/// What a caller may be. Parsed from the token's `roles` claim.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Role {
    /// The holding's PR office.
    PlatformAdmin,
    /// A policy-council member.
    Council,
    /// A member company's PR manager, scoped to their organization.
    OrgManager,
    /// Teaches sessions.
    Instructor,
    /// Takes courses.
    Trainee,
    /// Another Hamafza service acting on its own behalf.
    Service,
}

impl Role {
    /// Every role, in order of privilege.
    pub const ALL: [Role; 6] = [
        Role::PlatformAdmin,
        Role::Council,
        Role::OrgManager,
        Role::Instructor,
        Role::Trainee,
        Role::Service,
    ];

    /// The claim value, e.g. `platform_admin`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::PlatformAdmin => "platform_admin",
            Self::Council => "council",
            Self::OrgManager => "org_manager",
            Self::Instructor => "instructor",
            Self::Trainee => "trainee",
            Self::Service => "service",
        }
    }

    /// Parses a claim value; `None` for roles this platform does not know.
    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|role| role.as_str() == value)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The verified identity of whoever made a call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// The `sub` claim: the person's (or service's) stable id.
    pub subject: String,
    /// The `name` claim, possibly empty.
    pub name: String,
    /// The `org` claim: the caller's organization id.
    pub organization_id: String,
    /// The roles this platform knows, from the `roles` claim.
    pub roles: Vec<Role>,
}

impl Caller {
    /// Whether the caller holds `role`.
    pub fn has(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }

    /// Whether the caller holds any of `roles`.
    pub fn has_any(&self, roles: &[Role]) -> bool {
        roles.iter().any(|role| self.has(*role))
    }

    /// `PERMISSION_DENIED` unless the caller holds one of `roles`.
    pub fn require_any(&self, roles: &[Role]) -> Result<(), ApiError> {
        if self.has_any(roles) {
            Ok(())
        } else {
            let names: Vec<&str> = roles.iter().map(|role| role.as_str()).collect();
            Err(ApiError::permission_denied(format!(
                "this call needs one of the roles: {}",
                names.join(", ")
            )))
        }
    }

    /// Whether the caller is an org manager of `organization_id`.
    pub fn manages(&self, organization_id: &str) -> bool {
        self.has(Role::OrgManager) && self.organization_id == organization_id
    }
}

/// The verified caller of a request, or `UNAUTHENTICATED` when the request
/// carried no token. (A request with a bad token never reaches a handler.)
pub fn caller<T>(request: &tonic::Request<T>) -> Result<Arc<Caller>, ApiError> {
    request
        .extensions()
        .get::<Arc<Caller>>()
        .cloned()
        .ok_or_else(|| ApiError::unauthenticated("this call needs a bearer token"))
}

/// [`caller`] as a gRPC status, for handlers of calls that need a token.
pub fn signed_in<T>(request: &tonic::Request<T>) -> Result<Arc<Caller>, tonic::Status> {
    caller(request).map_err(tonic::Status::from)
}

/// The claims a Hamafza token carries.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    /// Issuer.
    pub iss: String,
    /// Audience.
    pub aud: String,
    /// Subject: the user's or service's id.
    pub sub: String,
    /// Expiry, seconds since the epoch.
    pub exp: u64,
    /// Issued at, seconds since the epoch.
    pub iat: u64,
    /// Organization id.
    pub org: String,
    /// Role names.
    pub roles: Vec<String>,
    /// Display name.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name: String,
}

/// Why keys could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// Reading or writing a key file failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// Fetching a JWKS URL failed.
    #[error("fetching {url}: {message}")]
    Fetch {
        /// The URL.
        url: String,
        /// What went wrong.
        message: String,
    },
    /// The content is not a usable key or key set.
    #[error("{0}")]
    Invalid(String),
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| elapsed.as_secs())
        .unwrap_or(0)
}

/// Locks a mutex, recovering from a poisoned one: every value guarded here is
/// valid after any panic (a cache or a timestamp).
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}
