//! The development token issuer and the service identity: minting tokens with
//! the development key, or reading a service token file kept fresh elsewhere.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use jsonwebtoken::jwk::JwkSet;

use super::{Claims, KeyError, Role, SigningKeyFile, lock, unix_now};
use crate::config::AuthConfig;

/// The development token issuer: an Ed25519 key kept in the data directory,
/// created on first use. `hamafza up` trusts it; `hamafza token` signs with it.
#[derive(Clone)]
pub struct DevIssuer {
    pub(super) key: SigningKeyFile,
    issuer: String,
    audience: String,
}

/// What to put in a minted token.
#[derive(Debug, Clone)]
pub struct TokenRequest {
    /// `sub`.
    pub subject: String,
    /// `org`.
    pub organization_id: String,
    /// `roles`.
    pub roles: Vec<Role>,
    /// `name`.
    pub name: String,
    /// How long until `exp`.
    pub ttl: Duration,
}

impl DevIssuer {
    /// The key file's name inside the data directory.
    pub const KEY_FILE: &'static str = "dev-issuer.pem";

    /// Loads the development key from `data_dir`, creating it if missing.
    pub fn load_or_create(data_dir: &Path, issuer: &str, audience: &str) -> Result<Self, KeyError> {
        Ok(Self {
            key: SigningKeyFile::load_or_create(&data_dir.join(Self::KEY_FILE))?,
            issuer: issuer.to_owned(),
            audience: audience.to_owned(),
        })
    }

    /// The public key set that verifies this issuer's tokens.
    pub fn jwks(&self) -> JwkSet {
        JwkSet {
            keys: vec![self.key.public_jwk.clone()],
        }
    }

    /// Signs a token.
    pub fn mint(&self, request: &TokenRequest) -> Result<String, KeyError> {
        let now = unix_now();
        let claims = Claims {
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            sub: request.subject.clone(),
            exp: now + request.ttl.as_secs(),
            iat: now,
            org: request.organization_id.clone(),
            roles: request
                .roles
                .iter()
                .map(|role| role.as_str().to_owned())
                .collect(),
            name: request.name.clone(),
        };
        self.key.sign(&claims)
    }
}

/// The identity a service uses when it calls another on its own behalf (the
/// outbox dispatcher, reconciliation): a token with role `service` and the
/// service's name as `sub`. Minted from the development issuer in `hamafza up`;
/// in production read from a file that the platform keeps fresh (e.g. an
/// OAuth2 client-credentials sidecar writing `auth.service_token_file`).
pub struct ServiceToken {
    source: ServiceTokenSource,
    cached: Mutex<Option<(String, Instant)>>,
}

enum ServiceTokenSource {
    Minted {
        issuer: Box<DevIssuer>,
        subject: String,
    },
    File(PathBuf),
}

/// Minted service tokens live this long, and are replaced well before.
const SERVICE_TOKEN_TTL: Duration = Duration::from_secs(3600);
/// Re-read a token file this often.
const SERVICE_TOKEN_FILE_REFRESH: Duration = Duration::from_secs(60);

impl ServiceToken {
    /// Tokens for `service`, minted by `issuer`.
    pub fn minted(issuer: DevIssuer, service: &str) -> Self {
        Self {
            source: ServiceTokenSource::Minted {
                issuer: Box::new(issuer),
                subject: service.to_owned(),
            },
            cached: Mutex::new(None),
        }
    }

    /// The configured service identity: the token file when set, else tokens
    /// minted by the development issuer in `data_dir`.
    pub fn from_config(
        config: &AuthConfig,
        data_dir: &Path,
        service: &str,
    ) -> Result<Self, KeyError> {
        if let Some(file) = &config.service_token_file {
            return Ok(Self {
                source: ServiceTokenSource::File(file.clone()),
                cached: Mutex::new(None),
            });
        }
        if !config.uses_dev_issuer() {
            return Err(KeyError::Invalid(
                "auth.service_token_file is required when tokens come from an identity provider"
                    .to_owned(),
            ));
        }
        let issuer = DevIssuer::load_or_create(data_dir, &config.issuer, &config.audience)?;
        Ok(Self::minted(issuer, service))
    }

    /// The current bearer token.
    pub fn bearer(&self) -> Result<String, KeyError> {
        let mut cached = lock(&self.cached);
        if let Some((token, fresh_until)) = cached.as_ref()
            && Instant::now() < *fresh_until
        {
            return Ok(token.clone());
        }
        let (token, lifetime) = match &self.source {
            ServiceTokenSource::Minted { issuer, subject } => {
                let token = issuer.mint(&TokenRequest {
                    subject: subject.clone(),
                    organization_id: "platform".to_owned(),
                    roles: vec![Role::Service],
                    name: subject.clone(),
                    ttl: SERVICE_TOKEN_TTL,
                })?;
                (token, SERVICE_TOKEN_TTL / 2)
            }
            ServiceTokenSource::File(path) => {
                let token = std::fs::read_to_string(path).map_err(|source| KeyError::Io {
                    path: path.clone(),
                    source,
                })?;
                (token.trim().to_owned(), SERVICE_TOKEN_FILE_REFRESH)
            }
        };
        *cached = Some((token.clone(), Instant::now() + lifetime));
        Ok(token)
    }
}
