//! Who may call and sign in: token verification, the organization's OpenID
//! Connect provider, and the web sessions of the gateway.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// How tokens are verified.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct AuthConfig {
    /// Required `iss` claim.
    pub issuer: String,
    /// Required `aud` claim.
    pub audience: String,
    /// A JWKS file holding the issuer's public keys.
    pub jwks_file: Option<PathBuf>,
    /// A JWKS URL (e.g. the identity provider's `jwks_uri`), fetched at start
    /// and re-fetched when a token names an unknown key.
    pub jwks_url: Option<String>,
    /// How many verified tokens to remember, so repeated calls skip the
    /// signature check.
    pub token_cache_capacity: usize,
    /// A file holding the token services use to call each other (kept fresh
    /// by the platform); unset with the development issuer, which mints them.
    pub service_token_file: Option<PathBuf>,
    /// Whether, with no JWKS configured, the development issuer in the data
    /// directory may be trusted. `hamafza up` turns it on; a deployed service
    /// refuses to start without an identity provider unless it is set.
    pub allow_dev_issuer: bool,
}

impl Default for AuthConfig {
    fn default() -> Self {
        Self {
            issuer: "hamafza-dev".to_owned(),
            audience: "hamafza".to_owned(),
            jwks_file: None,
            jwks_url: None,
            token_cache_capacity: 10_000,
            service_token_file: None,
            allow_dev_issuer: false,
        }
    }
}

impl AuthConfig {
    /// Whether no identity provider is configured, so the development issuer
    /// in the data directory is used.
    pub fn uses_dev_issuer(&self) -> bool {
        self.jwks_file.is_none() && self.jwks_url.is_none()
    }
}

/// Signing in to the web app through the organization's identity provider
/// (OpenID Connect, authorization code with PKCE).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct OidcConfig {
    /// The provider's issuer URL; unset turns provider sign-in off.
    pub issuer: Option<String>,
    /// The web app's client id at the provider.
    pub client_id: String,
    /// A file holding the client secret (a compose or Kubernetes secret).
    pub client_secret_file: Option<PathBuf>,
}

/// The web app's sessions.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct WebConfig {
    /// How long a browser stays signed in, in seconds.
    pub session_ttl_seconds: u64,
    /// How often expired sessions are deleted, in seconds.
    pub session_purge_seconds: u64,
}

impl Default for WebConfig {
    fn default() -> Self {
        Self {
            session_ttl_seconds: 8 * 3600,
            session_purge_seconds: 300,
        }
    }
}
