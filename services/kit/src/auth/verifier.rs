//! Token verification: [`TokenVerifier`] checks a bearer token's signature and
//! claims against the issuer's keys and keeps verified tokens in a bounded cache.

use std::collections::HashMap;
use std::fmt;
use std::path::Path;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use jsonwebtoken::jwk::JwkSet;
use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::jwks::{KeySet, LEEWAY_SECONDS, build_key_set, fetch_jwks, read_jwks};
use super::{Caller, DevIssuer, KeyError, Role, lock, unix_now};
use crate::config::AuthConfig;
use crate::error::ApiError;

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

/// Where the issuer's keys come from.
#[derive(Debug, Clone)]
enum KeySource {
    /// Fixed keys (a file read at start, or the development issuer).
    Fixed,
    /// Fetched from a URL, refreshed when an unknown `kid` is seen.
    Url(String),
}

/// Refresh a URL key set at most this often when unknown keys are seen.
const MIN_REFRESH_INTERVAL: Duration = Duration::from_secs(30);
/// Refresh a URL key set this often regardless, to pick up rotations.
const PERIODIC_REFRESH: Duration = Duration::from_secs(600);

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
                     (or HAMAFZA_AUTH_ALLOW_DEV_ISSUER=true to trust the development key \
                     in the data directory)"
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

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;
    use crate::auth::TokenRequest;

    fn issuer(dir: &Path) -> DevIssuer {
        DevIssuer::load_or_create(dir, "hamafza-dev", "hamafza").unwrap()
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
                        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\
                         content-length: {}\r\nconnection: close\r\n\r\n{body}",
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
    fn a_credential_is_not_an_access_token() {
        let dir = temp_dir();
        let issuer = issuer(&dir);
        let verifier = Arc::new(
            TokenVerifier::from_jwks(&issuer.jwks(), "hamafza-dev", "hamafza", 10).unwrap(),
        );
        let now = unix_now();
        let claims = serde_json::json!({
            "iss": "hamafza-dev",
            "aud": "hamafza",
            "sub": "u",
            "exp": now + 60,
            "org": "msc",
            "roles": ["platform_admin"]
        });
        let credential = issuer.key.sign_with_type(&claims, "vc+jwt").unwrap();
        assert!(verifier.verify(&credential).is_err());
        assert!(verifier.verify(&issuer.key.sign(&claims).unwrap()).is_ok());
        let future = serde_json::json!({
            "iss": "hamafza-dev",
            "aud": "hamafza",
            "sub": "u",
            "exp": now + 600,
            "nbf": now + 300,
            "org": "msc",
            "roles": []
        });
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
