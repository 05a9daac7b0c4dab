//! Who is calling: JWT verification against the issuer's public keys (a JWKS
//! file or URL), a bounded cache of verified tokens, the tonic interceptor
//! that puts the [`Caller`] into request extensions, and the development
//! issuer used by `hamafza up` and `hamafza token`.

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use ed25519_dalek::pkcs8::{DecodePrivateKey, EncodePrivateKey};
use jsonwebtoken::jwk::{AlgorithmParameters, Jwk, JwkSet, KeyAlgorithm, ThumbprintHash};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::config::AuthConfig;
use crate::error::ApiError;

/// What a caller may be. Parsed from the token's `roles` claim.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
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

/// The claims as received: `aud` may be a string or a list, and `name`,
/// `org` and `roles` are checked by hand for clear errors.
#[derive(Debug, Deserialize)]
struct ReceivedClaims {
    sub: String,
    exp: u64,
    #[serde(default)]
    org: Option<String>,
    #[serde(default)]
    roles: Option<Vec<String>>,
    #[serde(default)]
    name: Option<String>,
}

/// A public key of the issuer with the algorithm it verifies.
struct IssuerKey {
    key: DecodingKey,
    validation: Validation,
}

/// The issuer's keys, by `kid`.
#[derive(Default)]
struct KeySet {
    by_kid: HashMap<String, Arc<IssuerKey>>,
    /// A key without a `kid`, used for tokens without one.
    anonymous: Option<Arc<IssuerKey>>,
}

/// Where the issuer's keys come from.
#[derive(Debug, Clone)]
enum KeySource {
    /// Fixed keys (a file read at start, or the development issuer).
    Fixed,
    /// Fetched from a URL, refreshed when an unknown `kid` is seen.
    Url(String),
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

/// Refresh a URL key set at most this often when unknown keys are seen.
const MIN_REFRESH_INTERVAL: Duration = Duration::from_secs(30);
/// Refresh a URL key set this often regardless, to pick up rotations.
const PERIODIC_REFRESH: Duration = Duration::from_secs(600);
/// Clock skew tolerated on `exp`.
const LEEWAY_SECONDS: u64 = 30;

/// Verifies bearer tokens and remembers the ones it verified.
pub struct TokenVerifier {
    issuer: String,
    audience: String,
    keys: RwLock<Arc<KeySet>>,
    source: KeySource,
    last_refresh: Mutex<Option<Instant>>,
    cache: Mutex<TokenCache>,
}

impl fmt::Debug for TokenVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenVerifier")
            .field("issuer", &self.issuer)
            .field("audience", &self.audience)
            .field("source", &self.source)
            .finish_non_exhaustive()
    }
}

impl TokenVerifier {
    /// A verifier accepting tokens from `issuer` for `audience` signed by one
    /// of `jwks`'s keys.
    pub fn from_jwks(
        jwks: &JwkSet,
        issuer: &str,
        audience: &str,
        cache_capacity: usize,
    ) -> Result<Self, KeyError> {
        Ok(Self {
            issuer: issuer.to_owned(),
            audience: audience.to_owned(),
            keys: RwLock::new(Arc::new(build_key_set(jwks, issuer, audience)?)),
            source: KeySource::Fixed,
            last_refresh: Mutex::new(None),
            cache: Mutex::new(TokenCache::new(cache_capacity)),
        })
    }

    /// A verifier for the configured issuer: the JWKS file or URL, or else the
    /// development issuer in `data_dir`. A URL verifier refreshes its keys in
    /// the background.
    pub async fn from_config(config: &AuthConfig, data_dir: &Path) -> Result<Arc<Self>, KeyError> {
        let capacity = config.token_cache_capacity;
        if let Some(url) = &config.jwks_url {
            let jwks = fetch_jwks(url).await?;
            let mut verifier = Self::from_jwks(&jwks, &config.issuer, &config.audience, capacity)?;
            verifier.source = KeySource::Url(url.clone());
            *lock(&verifier.last_refresh) = Some(Instant::now());
            let verifier = Arc::new(verifier);
            spawn_periodic_refresh(Arc::downgrade(&verifier));
            return Ok(verifier);
        }
        let jwks = match &config.jwks_file {
            Some(path) => read_jwks(path)?,
            None if config.allow_dev_issuer => {
                DevIssuer::load_or_create(data_dir, &config.issuer, &config.audience)?.jwks()
            }
            None => {
                return Err(KeyError::Invalid(
                    "no token issuer keys: set HAMAFZA_AUTH_JWKS_URL or HAMAFZA_AUTH_JWKS_FILE \
                     (or HAMAFZA_AUTH_ALLOW_DEV_ISSUER=true to trust the development key in the data directory)"
                        .to_owned(),
                ));
            }
        };
        Ok(Arc::new(Self::from_jwks(
            &jwks,
            &config.issuer,
            &config.audience,
            capacity,
        )?))
    }

    /// Verifies `token`: signature by a known key with an asymmetric
    /// algorithm, `iss`, `aud`, `sub`, `exp`, `org` and `roles`.
    pub fn verify(self: &Arc<Self>, token: &str) -> Result<Arc<Caller>, ApiError> {
        let digest: [u8; 32] = Sha256::digest(token.as_bytes()).into();
        let now = unix_now();
        if let Some(caller) = lock(&self.cache).get(&digest, now) {
            return Ok(caller);
        }
        let header = jsonwebtoken::decode_header(token)
            .map_err(|_| ApiError::unauthenticated("the bearer token is not a valid JWT"))?;
        // Only access tokens: a signed credential (`vc+jwt`) or any other typed
        // JWT is not a bearer token, whoever signed it.
        if let Some(typ) = &header.typ
            && !matches!(
                typ.to_ascii_lowercase().as_str(),
                "jwt" | "at+jwt" | "application/at+jwt"
            )
        {
            return Err(ApiError::unauthenticated(format!(
                "a `{typ}` token is not an access token"
            )));
        }
        let key = {
            let keys = self
                .keys
                .read()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            match &header.kid {
                Some(kid) => keys.by_kid.get(kid).cloned(),
                None => keys.anonymous.clone(),
            }
        };
        let Some(key) = key else {
            self.refresh_soon();
            return Err(ApiError::unauthenticated(
                "the bearer token is signed by an unknown key",
            ));
        };
        let data = jsonwebtoken::decode::<ReceivedClaims>(token, &key.key, &key.validation)
            .map_err(|error| {
                ApiError::unauthenticated(format!("the bearer token was refused: {error}"))
            })?;
        let claims = data.claims;
        let caller = Arc::new(caller_from_claims(
            claims.sub,
            claims.org,
            claims.roles,
            claims.name,
        )?);
        lock(&self.cache).insert(digest, Arc::clone(&caller), claims.exp + LEEWAY_SECONDS);
        Ok(caller)
    }

    /// Re-fetches a URL key set in the background, at most once per
    /// [`MIN_REFRESH_INTERVAL`].
    fn refresh_soon(self: &Arc<Self>) {
        let KeySource::Url(_) = &self.source else {
            return;
        };
        {
            let mut last = lock(&self.last_refresh);
            if last.is_some_and(|at| at.elapsed() < MIN_REFRESH_INTERVAL) {
                return;
            }
            *last = Some(Instant::now());
        }
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            let verifier = Arc::clone(self);
            runtime.spawn(async move { verifier.refresh().await });
        }
    }

    async fn refresh(&self) {
        let KeySource::Url(url) = &self.source else {
            return;
        };
        match fetch_jwks(url)
            .await
            .and_then(|jwks| build_key_set(&jwks, &self.issuer, &self.audience))
        {
            Ok(keys) => {
                *self
                    .keys
                    .write()
                    .unwrap_or_else(|poisoned| poisoned.into_inner()) = Arc::new(keys);
                // A key may have been withdrawn: tokens it signed must not live on
                // in the cache.
                lock(&self.cache).entries.clear();
                tracing::info!(url, "token issuer keys refreshed");
            }
            Err(error) => tracing::warn!(url, %error, "token issuer keys could not be refreshed"),
        }
    }
}

fn spawn_periodic_refresh(verifier: std::sync::Weak<TokenVerifier>) {
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(PERIODIC_REFRESH);
        ticks.tick().await;
        loop {
            ticks.tick().await;
            let Some(verifier) = verifier.upgrade() else {
                return;
            };
            verifier.refresh().await;
        }
    });
}

fn caller_from_claims(
    subject: String,
    org: Option<String>,
    roles: Option<Vec<String>>,
    name: Option<String>,
) -> Result<Caller, ApiError> {
    if subject.trim().is_empty() || subject.len() > 200 || subject.chars().any(char::is_control) {
        return Err(ApiError::unauthenticated(
            "the bearer token's `sub` claim must be 1-200 printable characters",
        ));
    }
    let organization_id = org
        .filter(|org| !org.trim().is_empty())
        .ok_or_else(|| ApiError::unauthenticated("the bearer token has no `org` claim"))?;
    if organization_id.len() > 32 || organization_id.chars().any(char::is_control) {
        return Err(ApiError::unauthenticated(
            "the bearer token's `org` claim is not an organization id",
        ));
    }
    let name: String = name
        .unwrap_or_default()
        .chars()
        .filter(|c| !c.is_control())
        .take(200)
        .collect();
    let roles = roles
        .ok_or_else(|| ApiError::unauthenticated("the bearer token has no `roles` claim"))?
        .iter()
        .filter_map(|role| Role::parse(role))
        .collect();
    Ok(Caller {
        subject,
        name,
        organization_id,
        roles,
    })
}

fn build_key_set(jwks: &JwkSet, issuer: &str, audience: &str) -> Result<KeySet, KeyError> {
    let mut set = KeySet::default();
    for jwk in &jwks.keys {
        // Symmetric, unsupported or encryption-only keys are never used to
        // verify tokens: an HMAC key would let anyone holding it mint them.
        if matches!(
            jwk.common.public_key_use,
            Some(jsonwebtoken::jwk::PublicKeyUse::Encryption)
        ) {
            continue;
        }
        let Some(algorithm) = asymmetric_algorithm(jwk) else {
            continue;
        };
        let key = match DecodingKey::from_jwk(jwk) {
            Ok(key) => key,
            Err(error) => {
                tracing::warn!(kid = ?jwk.common.key_id, %error, "skipping an unusable key of the issuer's key set");
                continue;
            }
        };
        let mut validation = Validation::new(algorithm);
        validation.set_issuer(&[issuer]);
        validation.set_audience(&[audience]);
        validation.set_required_spec_claims(&["iss", "aud", "sub", "exp"]);
        validation.leeway = LEEWAY_SECONDS;
        validation.validate_nbf = true;
        let key = Arc::new(IssuerKey { key, validation });
        match &jwk.common.key_id {
            Some(kid) => {
                set.by_kid.insert(kid.clone(), key);
            }
            None => set.anonymous = Some(key),
        }
    }
    if set.by_kid.is_empty() && set.anonymous.is_none() {
        return Err(KeyError::Invalid(
            "the key set holds no asymmetric signing key".to_owned(),
        ));
    }
    Ok(set)
}

/// The signature algorithm a JWK verifies, if it is an asymmetric one.
fn asymmetric_algorithm(jwk: &Jwk) -> Option<Algorithm> {
    let declared = jwk.common.key_algorithm;
    match (&jwk.algorithm, declared) {
        (AlgorithmParameters::OctetKeyPair(_), None | Some(KeyAlgorithm::EdDSA)) => {
            Some(Algorithm::EdDSA)
        }
        (AlgorithmParameters::EllipticCurve(params), declared) => match declared {
            Some(KeyAlgorithm::ES384) => Some(Algorithm::ES384),
            Some(KeyAlgorithm::ES256) => Some(Algorithm::ES256),
            None => match params.curve {
                jsonwebtoken::jwk::EllipticCurve::P384 => Some(Algorithm::ES384),
                _ => Some(Algorithm::ES256),
            },
            Some(_) => None,
        },
        (AlgorithmParameters::RSA(_), declared) => match declared {
            None | Some(KeyAlgorithm::RS256) => Some(Algorithm::RS256),
            Some(KeyAlgorithm::RS384) => Some(Algorithm::RS384),
            Some(KeyAlgorithm::RS512) => Some(Algorithm::RS512),
            Some(KeyAlgorithm::PS256) => Some(Algorithm::PS256),
            Some(KeyAlgorithm::PS384) => Some(Algorithm::PS384),
            Some(KeyAlgorithm::PS512) => Some(Algorithm::PS512),
            Some(_) => None,
        },
        _ => None,
    }
}

/// Reads a JWKS JSON file.
pub fn read_jwks(path: &Path) -> Result<JwkSet, KeyError> {
    let text = std::fs::read_to_string(path).map_err(|source| KeyError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    serde_json::from_str(&text)
        .map_err(|error| KeyError::Invalid(format!("{}: not a JWKS: {error}", path.display())))
}

async fn fetch_jwks(url: &str) -> Result<JwkSet, KeyError> {
    let fetch_error = |message: String| KeyError::Fetch {
        url: url.to_owned(),
        message,
    };
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .map_err(|error| fetch_error(error.to_string()))?;
    let response = client
        .get(url)
        .send()
        .await
        .and_then(reqwest::Response::error_for_status)
        .map_err(|error| fetch_error(error.to_string()))?;
    response
        .json::<JwkSet>()
        .await
        .map_err(|error| fetch_error(format!("not a JWKS: {error}")))
}

/// Verified tokens by SHA-256 digest, each kept until it expires. Bounded: when
/// full, expired entries go first, and if none had expired the cache starts over.
struct TokenCache {
    capacity: usize,
    entries: HashMap<[u8; 32], (Arc<Caller>, u64)>,
}

impl TokenCache {
    fn new(capacity: usize) -> Self {
        Self {
            capacity,
            entries: HashMap::new(),
        }
    }

    fn get(&mut self, digest: &[u8; 32], now: u64) -> Option<Arc<Caller>> {
        match self.entries.get(digest) {
            Some((caller, expires)) if *expires > now => Some(Arc::clone(caller)),
            Some(_) => {
                self.entries.remove(digest);
                None
            }
            None => None,
        }
    }

    fn insert(&mut self, digest: [u8; 32], caller: Arc<Caller>, expires: u64) {
        if self.capacity == 0 {
            return;
        }
        if self.entries.len() >= self.capacity {
            let now = unix_now();
            self.entries.retain(|_, (_, expires)| *expires > now);
            if self.entries.len() >= self.capacity {
                self.entries.clear();
            }
        }
        self.entries.insert(digest, (caller, expires));
    }
}

/// Verifies the `authorization: Bearer …` header of every call and puts the
/// [`Caller`] into the request's extensions. Calls without the header pass
/// through without a caller (handlers of public calls accept that, every
/// other handler answers `UNAUTHENTICATED` via [`caller`]); calls with a bad
/// token are refused here.
#[derive(Debug, Clone)]
pub struct AuthInterceptor {
    verifier: Arc<TokenVerifier>,
}

impl AuthInterceptor {
    /// An interceptor using `verifier`.
    pub fn new(verifier: Arc<TokenVerifier>) -> Self {
        Self { verifier }
    }
}

impl tonic::service::Interceptor for AuthInterceptor {
    fn call(
        &mut self,
        mut request: tonic::Request<()>,
    ) -> Result<tonic::Request<()>, tonic::Status> {
        let Some(value) = request.metadata().get("authorization") else {
            return Ok(request);
        };
        let token = value
            .to_str()
            .ok()
            .and_then(|value| {
                value
                    .strip_prefix("Bearer ")
                    .or_else(|| value.strip_prefix("bearer "))
            })
            .map(str::trim)
            .ok_or_else(|| {
                tonic::Status::from(ApiError::unauthenticated(
                    "the authorization header must be `Bearer <token>`",
                ))
            })?;
        let caller = self.verifier.verify(token).map_err(tonic::Status::from)?;
        request.extensions_mut().insert(caller);
        Ok(request)
    }
}

/// The development token issuer: an Ed25519 key kept in the data directory,
/// created on first use. `hamafza up` trusts it; `hamafza token` signs with it.
#[derive(Clone)]
pub struct DevIssuer {
    key: SigningKeyFile,
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

/// Adds the service's bearer token to every outgoing call.
#[derive(Clone)]
pub struct ServiceAuth(pub Arc<ServiceToken>);

impl tonic::service::Interceptor for ServiceAuth {
    fn call(
        &mut self,
        mut request: tonic::Request<()>,
    ) -> Result<tonic::Request<()>, tonic::Status> {
        let token = self.0.bearer().map_err(|error| {
            tonic::Status::unauthenticated(format!("no service credentials: {error}"))
        })?;
        let value = format!("Bearer {token}").parse().map_err(|_| {
            tonic::Status::unauthenticated("the service token is not a valid header value")
        })?;
        request.metadata_mut().insert("authorization", value);
        crate::grpc::inject_trace_context(request.metadata_mut());
        Ok(request)
    }
}

/// An Ed25519 private key in a PKCS#8 PEM file, with its public JWK.
#[derive(Clone)]
pub struct SigningKeyFile {
    encoding: EncodingKey,
    public_jwk: Jwk,
    kid: String,
}

impl SigningKeyFile {
    /// Loads the key at `path`, creating a new one (mode 0600) if it is missing.
    pub fn load_or_create(path: &Path) -> Result<Self, KeyError> {
        let io_error = |source| KeyError::Io {
            path: path.to_path_buf(),
            source,
        };
        let pem = match std::fs::read_to_string(path) {
            Ok(pem) => pem,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                let pem = generate_ed25519_pem()?;
                if let Some(dir) = path.parent() {
                    std::fs::create_dir_all(dir).map_err(io_error)?;
                }
                match write_private(path, &pem) {
                    Ok(()) => {
                        tracing::info!(path = %path.display(), "created a new signing key");
                        pem
                    }
                    // Another process made it first: use theirs.
                    Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => {
                        std::fs::read_to_string(path).map_err(io_error)?
                    }
                    Err(error) => return Err(io_error(error)),
                }
            }
            Err(error) => return Err(io_error(error)),
        };
        Self::from_pem(&pem)
    }

    /// Parses a PKCS#8 PEM Ed25519 private key.
    pub fn from_pem(pem: &str) -> Result<Self, KeyError> {
        let key = ed25519_dalek::SigningKey::from_pkcs8_pem(pem)
            .map_err(|error| KeyError::Invalid(format!("not an Ed25519 PKCS#8 key: {error}")))?;
        // jsonwebtoken wants the 48-byte PKCS#8 v1 form (no embedded public
        // key); files written by other tools may be v2, so re-encode.
        let mut der = Vec::with_capacity(48);
        der.extend_from_slice(&ED25519_PKCS8_V1_PREFIX);
        der.extend_from_slice(key.as_bytes());
        let encoding = EncodingKey::from_ed_der(&der);
        let mut public_jwk = Jwk::from_encoding_key(&encoding, Algorithm::EdDSA)
            .map_err(|error| KeyError::Invalid(error.to_string()))?;
        let kid = public_jwk
            .thumbprint(ThumbprintHash::SHA256)
            .map_err(|error| KeyError::Invalid(error.to_string()))?;
        public_jwk.common.key_id = Some(kid.clone());
        public_jwk.common.public_key_use = Some(jsonwebtoken::jwk::PublicKeyUse::Signature);
        Ok(Self {
            encoding,
            public_jwk,
            kid,
        })
    }

    /// The key id (its RFC 7638 thumbprint).
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The public key as a JWK, with `kid`, `alg` and `use`.
    pub fn public_jwk(&self) -> &Jwk {
        &self.public_jwk
    }

    /// Signs `claims` as a compact JWS with `alg: EdDSA` and this key's `kid`.
    pub fn sign<T: Serialize>(&self, claims: &T) -> Result<String, KeyError> {
        self.sign_with_type(claims, "JWT")
    }

    /// Signs `claims` with a given `typ` header (e.g. `vc+jwt`).
    pub fn sign_with_type<T: Serialize>(&self, claims: &T, typ: &str) -> Result<String, KeyError> {
        let mut header = Header::new(Algorithm::EdDSA);
        header.kid = Some(self.kid.clone());
        header.typ = Some(typ.to_owned());
        jsonwebtoken::encode(&header, claims, &self.encoding)
            .map_err(|error| KeyError::Invalid(format!("signing failed: {error}")))
    }
}

/// The DER header of a PKCS#8 v1 Ed25519 private key, before the 32-byte seed.
const ED25519_PKCS8_V1_PREFIX: [u8; 16] = [
    0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
];

/// A fresh Ed25519 private key as PKCS#8 PEM.
pub fn generate_ed25519_pem() -> Result<String, KeyError> {
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed)
        .map_err(|error| KeyError::Invalid(format!("no randomness available: {error}")))?;
    let key = ed25519_dalek::SigningKey::from_bytes(&seed);
    let pem = key
        .to_pkcs8_pem(ed25519_dalek::pkcs8::spki::der::pem::LineEnding::LF)
        .map_err(|error| KeyError::Invalid(format!("encoding the key failed: {error}")))?;
    Ok(pem.to_string())
}

#[cfg(unix)]
/// Writes a new private file (mode 0600) all at once: it is written under a
/// temporary name and linked into place, so a process starting alongside
/// never reads half a key, and of two writers one wins (the other gets
/// `AlreadyExists`).
fn write_private(path: &Path, content: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.subsec_nanos());
    let temporary = path.with_extension(format!("tmp-{}-{nanos}", std::process::id()));
    let written = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&temporary)
        .and_then(|mut file| {
            file.write_all(content.as_bytes())?;
            file.sync_all()
        })
        .and_then(|()| std::fs::hard_link(&temporary, path));
    let _ = std::fs::remove_file(&temporary);
    written
}

#[cfg(not(unix))]
fn write_private(path: &Path, content: &str) -> std::io::Result<()> {
    std::fs::write(path, content)
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

#[cfg(test)]
mod tests {
    use super::*;

    fn issuer(dir: &Path) -> DevIssuer {
        DevIssuer::load_or_create(dir, "hamafza-dev", "hamafza").unwrap()
    }

    #[test]
    fn processes_starting_together_share_one_new_key() {
        let dir = std::env::temp_dir().join(format!("hamafza-key-race-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let path = dir.join("key.pem");
        let kids: Vec<String> = (0..8)
            .map(|_| {
                let path = path.clone();
                std::thread::spawn(move || {
                    SigningKeyFile::load_or_create(&path)
                        .unwrap()
                        .public_jwk
                        .common
                        .key_id
                        .unwrap()
                })
            })
            .collect::<Vec<_>>()
            .into_iter()
            .map(|thread| thread.join().unwrap())
            .collect();
        assert!(kids.iter().all(|kid| *kid == kids[0]), "{kids:?}");
        let left: Vec<_> = std::fs::read_dir(&dir).unwrap().collect();
        assert_eq!(left.len(), 1, "no temporary files are left behind");
        let _ = std::fs::remove_dir_all(&dir);
    }

    fn request(ttl: Duration) -> TokenRequest {
        TokenRequest {
            subject: "u-1".to_owned(),
            organization_id: "msc".to_owned(),
            roles: vec![Role::Trainee],
            name: "سارا".to_owned(),
            ttl,
        }
    }

    fn temp_dir() -> PathBuf {
        let dir = std::env::temp_dir().join(format!("hamafza-auth-{}", uuid::Uuid::now_v7()));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn a_minted_token_verifies_and_is_cached() {
        let dir = temp_dir();
        let issuer = issuer(&dir);
        let verifier = Arc::new(
            TokenVerifier::from_jwks(&issuer.jwks(), "hamafza-dev", "hamafza", 10).unwrap(),
        );
        let token = issuer.mint(&request(Duration::from_secs(60))).unwrap();
        let caller = verifier.verify(&token).unwrap();
        assert_eq!(caller.subject, "u-1");
        assert_eq!(caller.organization_id, "msc");
        assert_eq!(caller.roles, [Role::Trainee]);
        assert_eq!(caller.name, "سارا");
        assert!(Arc::ptr_eq(&caller, &verifier.verify(&token).unwrap()));
        // The key survives a restart: loading again gives the same kid.
        assert_eq!(
            issuer.key.kid(),
            DevIssuer::load_or_create(&dir, "x", "y").unwrap().key.kid()
        );
    }

    #[test]
    fn wrong_audience_issuer_or_key_is_refused() {
        let dir = temp_dir();
        let issuer = issuer(&dir);
        let token = issuer.mint(&request(Duration::from_secs(60))).unwrap();
        for (iss, aud) in [("hamafza-dev", "other"), ("other", "hamafza")] {
            let verifier =
                Arc::new(TokenVerifier::from_jwks(&issuer.jwks(), iss, aud, 10).unwrap());
            assert!(verifier.verify(&token).is_err());
        }
        let stranger = DevIssuer::load_or_create(&temp_dir(), "hamafza-dev", "hamafza").unwrap();
        let verifier = Arc::new(
            TokenVerifier::from_jwks(&stranger.jwks(), "hamafza-dev", "hamafza", 10).unwrap(),
        );
        assert!(verifier.verify(&token).is_err());
    }

    /// Serves `body` as the answer to every HTTP request on a loopback port.
    async fn serve_once_per_request(body: String) -> String {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/jwks.json", listener.local_addr().unwrap());
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                let body = body.clone();
                tokio::spawn(async move {
                    let mut buffer = [0u8; 4096];
                    let _ = socket.read(&mut buffer).await;
                    let response = format!(
                        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                        body.len()
                    );
                    let _ = socket.write_all(response.as_bytes()).await;
                });
            }
        });
        url
    }

    #[tokio::test]
    async fn keys_can_come_from_a_jwks_url() {
        let dir = temp_dir();
        let issuer = issuer(&dir);
        let url = serve_once_per_request(serde_json::to_string(&issuer.jwks()).unwrap()).await;
        let config = AuthConfig {
            jwks_url: Some(url),
            ..AuthConfig::default()
        };
        let verifier = TokenVerifier::from_config(&config, &temp_dir())
            .await
            .unwrap();
        let token = issuer.mint(&request(Duration::from_secs(60))).unwrap();
        assert_eq!(verifier.verify(&token).unwrap().subject, "u-1");
        // A JWKS file works the same way.
        let file = dir.join("jwks.json");
        std::fs::write(&file, serde_json::to_string(&issuer.jwks()).unwrap()).unwrap();
        let config = AuthConfig {
            jwks_file: Some(file),
            ..AuthConfig::default()
        };
        let verifier = TokenVerifier::from_config(&config, &temp_dir())
            .await
            .unwrap();
        assert!(verifier.verify(&token).is_ok());
    }

    #[test]
    fn a_key_set_without_asymmetric_keys_is_refused() {
        let jwks: JwkSet = serde_json::from_value(serde_json::json!({
            "keys": [{"kty": "oct", "k": "c2VjcmV0", "kid": "hmac"}]
        }))
        .unwrap();
        assert!(TokenVerifier::from_jwks(&jwks, "i", "a", 10).is_err());
    }

    #[test]
    fn a_credential_is_not_an_access_token() {
        let dir = temp_dir();
        let issuer = issuer(&dir);
        let verifier = Arc::new(
            TokenVerifier::from_jwks(&issuer.jwks(), "hamafza-dev", "hamafza", 10).unwrap(),
        );
        let now = unix_now();
        let claims = serde_json::json!({"iss": "hamafza-dev", "aud": "hamafza", "sub": "u", "exp": now + 60, "org": "msc", "roles": ["platform_admin"]});
        let credential = issuer.key.sign_with_type(&claims, "vc+jwt").unwrap();
        assert!(verifier.verify(&credential).is_err());
        assert!(verifier.verify(&issuer.key.sign(&claims).unwrap()).is_ok());
        let future = serde_json::json!({"iss": "hamafza-dev", "aud": "hamafza", "sub": "u", "exp": now + 600, "nbf": now + 300, "org": "msc", "roles": []});
        assert!(
            verifier.verify(&issuer.key.sign(&future).unwrap()).is_err(),
            "not valid before nbf"
        );
    }

    #[test]
    fn the_cache_is_bounded() {
        let mut cache = TokenCache::new(2);
        let caller = Arc::new(Caller {
            subject: "s".to_owned(),
            name: String::new(),
            organization_id: "o".to_owned(),
            roles: vec![],
        });
        let far = unix_now() + 1000;
        for i in 0..5u8 {
            cache.insert([i; 32], Arc::clone(&caller), far);
            assert!(cache.entries.len() <= 2);
        }
        cache.insert([9; 32], Arc::clone(&caller), 1);
        assert!(cache.get(&[9; 32], unix_now()).is_none());
    }
}
