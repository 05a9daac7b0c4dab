//! Signed-in browsers: the access token stays on the server, the browser
//! holds only a random session id in an `HttpOnly`, `SameSite=Lax` cookie
//! (`Secure` and `__Host-` when served over https). Every form carries the
//! session's CSRF token; forms shown before sign-in use a double-submit
//! cookie instead.
//!
//! Sessions live in the gateway's own database through `tower-sessions`'
//! [`SessionStore`] ([`crate::store::DbSessionStore`]): a restart signs no
//! one out and replicas need no sticky sessions. The caller is not stored:
//! it is verified again from the token (the verifier caches), so a token
//! that has expired ends the session with it.

use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hamafza_kit::ApiError;
use hamafza_kit::auth::{Caller, TokenVerifier};
use hamafza_kit::shutdown::Shutdown;
use tower_sessions_core::session::{Id, Record};
use tower_sessions_core::session_store::{self, ExpiredDeletion, SessionStore};

use crate::store::DbSessionStore;

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "hamafza_session";
/// The pre-sign-in CSRF cookie's name.
pub const CSRF_COOKIE: &str = "hamafza_csrf";
/// The language cookie's name.
pub const LANG_COOKIE: &str = "hamafza_lang";
/// Most rate-limit keys kept at once before idle ones are dropped.
const MAX_LIMITER_KEYS: usize = 100_000;

/// What a session record holds, under these keys.
const TOKEN_KEY: &str = "token";
const CSRF_KEY: &str = "csrf";
/// The identity provider's ID token, for a session begun there (its sign-out
/// names it to the provider).
const ID_TOKEN_KEY: &str = "id_token";

/// One signed-in browser.
#[derive(Debug, Clone)]
pub struct WebSession {
    /// The bearer token sent to the services.
    pub token: String,
    /// Who it is.
    pub caller: Arc<Caller>,
    /// The token every form of this session carries.
    pub csrf: String,
}

/// The sessions of every gateway replica.
#[derive(Debug, Clone)]
pub struct Sessions {
    store: DbSessionStore,
    verifier: Arc<TokenVerifier>,
    ttl: Duration,
}

/// 256 random bits, base64url.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    // Without randomness no session is safe; an all-zero id would be guessable,
    // so fall back to a v7 uuid's randomness rather than zeros.
    if getrandom::fill(&mut bytes).is_err() {
        bytes[..16].copy_from_slice(uuid::Uuid::now_v7().as_bytes());
        bytes[16..].copy_from_slice(uuid::Uuid::now_v7().as_bytes());
    }
    URL_SAFE_NO_PAD.encode(bytes)
}

/// A store failure as the viewer hears it: try again shortly (the cause is
/// logged, not shown).
fn unavailable(error: session_store::Error) -> ApiError {
    tracing::warn!(%error, "web sessions unreachable");
    ApiError::unavailable("sessions are unreachable for a moment; retry shortly")
}

impl Sessions {
    /// Sessions in `store`, each valid for `ttl`, their tokens checked by
    /// `verifier`.
    pub fn new(store: DbSessionStore, verifier: Arc<TokenVerifier>, ttl: Duration) -> Self {
        Self {
            store,
            verifier,
            ttl,
        }
    }

    /// How long a session lasts (the cookie's `Max-Age`).
    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    /// Starts a session for the holder of `token` (with the identity
    /// provider's `id_token` when it was begun there); returns its id, the
    /// cookie's value.
    pub async fn create(
        &self,
        token: String,
        id_token: Option<String>,
    ) -> Result<String, ApiError> {
        let expiry_date = time::OffsetDateTime::now_utc()
            + time::Duration::try_from(self.ttl).unwrap_or(time::Duration::HOUR);
        let mut record = Record {
            id: Id::default(),
            data: [
                (TOKEN_KEY.to_owned(), serde_json::Value::String(token)),
                (
                    CSRF_KEY.to_owned(),
                    serde_json::Value::String(random_token()),
                ),
            ]
            .into_iter()
            .chain(
                id_token
                    .map(|id_token| (ID_TOKEN_KEY.to_owned(), serde_json::Value::String(id_token))),
            )
            .collect(),
            expiry_date,
        };
        self.store.create(&mut record).await.map_err(unavailable)?;
        Ok(record.id.to_string())
    }

    /// The live session with `id`; `None` when there is none, it has expired,
    /// or its token no longer verifies.
    pub async fn get(&self, id: &str) -> Result<Option<WebSession>, ApiError> {
        let Ok(id) = id.parse::<Id>() else {
            return Ok(None);
        };
        let Some(record) = self.store.load(&id).await.map_err(unavailable)? else {
            return Ok(None);
        };
        let text = |key| match record.data.get(key) {
            Some(serde_json::Value::String(text)) => Some(text.clone()),
            _ => None,
        };
        let (Some(token), Some(csrf)) = (text(TOKEN_KEY), text(CSRF_KEY)) else {
            return Ok(None);
        };
        match self.verifier.verify(&token) {
            Ok(caller) => Ok(Some(WebSession {
                token,
                caller,
                csrf,
            })),
            Err(_) => Ok(None),
        }
    }

    /// Ends a session.
    pub async fn remove(&self, id: &str) -> Result<(), ApiError> {
        match id.parse::<Id>() {
            Ok(id) => self.store.delete(&id).await.map_err(unavailable),
            Err(_) => Ok(()),
        }
    }

    /// Ends a session, whether or not its token still verifies or it has
    /// run out (until purged), and answers the identity provider's ID token
    /// it was begun with, if any (so that the browser can be signed out
    /// there too).
    pub async fn end(&self, id: &str) -> Result<Option<String>, ApiError> {
        let Ok(id) = id.parse::<Id>() else {
            return Ok(None);
        };
        let data = self
            .store
            .data_even_expired(&id)
            .await
            .map_err(unavailable)?;
        let id_token = match data.as_ref().and_then(|data| data.get(ID_TOKEN_KEY)) {
            Some(serde_json::Value::String(id_token)) => Some(id_token.clone()),
            _ => None,
        };
        self.store.delete(&id).await.map_err(unavailable)?;
        Ok(id_token)
    }

    /// Deletes expired sessions every `period` until `shutdown`; a failed
    /// round is logged and the next one tries again.
    pub async fn purge_expired(self, period: Duration, shutdown: Shutdown) {
        let mut every = tokio::time::interval(period.max(Duration::from_millis(100)));
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let stop = shutdown.requested();
        tokio::pin!(stop);
        loop {
            tokio::select! {
                _ = every.tick() => {}
                () = &mut stop => return,
            }
            if let Err(error) = self.store.delete_expired().await {
                tracing::warn!(%error, "could not purge expired web sessions");
            }
        }
    }
}

/// The name a cookie goes by. Served over https it carries the `__Host-`
/// prefix: browsers then accept it only `Secure`, from this very host, for
/// path `/` — no subdomain or plain-http page can plant or overwrite it.
/// (Over plain http, in development, browsers refuse such names.)
pub fn cookie_name(name: &str, secure: bool) -> String {
    if secure {
        format!("__Host-{name}")
    } else {
        name.to_owned()
    }
}

/// A `Set-Cookie` value.
pub fn cookie(
    name: &str,
    value: &str,
    max_age: Option<Duration>,
    secure: bool,
    http_only: bool,
) -> String {
    let name = cookie_name(name, secure);
    let mut cookie = format!("{name}={value}; Path=/; SameSite=Lax");
    if let Some(age) = max_age {
        cookie.push_str(&format!("; Max-Age={}", age.as_secs()));
    }
    if http_only {
        cookie.push_str("; HttpOnly");
    }
    if secure {
        cookie.push_str("; Secure");
    }
    cookie
}

/// The value of cookie `name` (as [`cookie_name`] names it) in a `Cookie`
/// header.
pub fn read_cookie<'a>(header: &'a str, name: &str, secure: bool) -> Option<&'a str> {
    let name = cookie_name(name, secure);
    header
        .split(';')
        .map(str::trim)
        .find_map(|pair| pair.strip_prefix(name.as_str())?.strip_prefix('='))
}

/// Compares secrets in time independent of where they differ.
pub fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// A per-user limit on changes (enrol, cancel): `burst` at once, refilled at
/// `per_minute` — `governor`'s keyed GCRA limiter. Keys not seen for a while
/// are dropped as the map grows, so memory stays bounded.
pub struct RateLimiter {
    limiter: governor::DefaultKeyedRateLimiter<String>,
    clock: governor::clock::DefaultClock,
}

impl std::fmt::Debug for RateLimiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RateLimiter")
            .field("keys", &self.limiter.len())
            .finish()
    }
}

impl RateLimiter {
    /// A limiter; `burst` and `per_minute` of 0 count as 1.
    pub fn new(burst: u32, per_minute: u32) -> Self {
        let one = std::num::NonZeroU32::MIN;
        let quota =
            governor::Quota::per_minute(std::num::NonZeroU32::new(per_minute).unwrap_or(one))
                .allow_burst(std::num::NonZeroU32::new(burst).unwrap_or(one));
        let clock = governor::clock::DefaultClock::default();
        Self {
            limiter: governor::RateLimiter::dashmap_with_clock(quota, clock.clone()),
            clock,
        }
    }

    /// Takes one from `key`'s allowance, or says how long until one is there
    /// (whole seconds, at least one: what `Retry-After` says).
    pub fn take(&self, key: &str) -> Result<(), Duration> {
        if self.limiter.len() > MAX_LIMITER_KEYS {
            // Keys whose allowance is full again carry no state worth keeping.
            self.limiter.retain_recent();
            self.limiter.shrink_to_fit();
        }
        let key = key.to_owned();
        self.limiter.check_key(&key).map_err(|not_until| {
            use governor::clock::Clock;
            let wait = not_until.wait_time_from(self.clock.now());
            Duration::from_secs(wait.as_secs_f64().ceil().max(1.0) as u64)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_and_secrets() {
        assert_eq!(
            read_cookie("a=1; hamafza_session=xyz; b=2", SESSION_COOKIE, false),
            Some("xyz")
        );
        assert_eq!(
            read_cookie("hamafza_sessionx=1", SESSION_COOKIE, false),
            None
        );
        // Over https only the __Host- cookie counts: a plain one could have
        // been planted by a subdomain or an http page.
        assert_eq!(
            read_cookie("hamafza_session=planted", SESSION_COOKIE, true),
            None
        );
        assert_eq!(
            read_cookie("__Host-hamafza_session=real", SESSION_COOKIE, true),
            Some("real")
        );
        assert!(cookie("n", "v", None, true, true).starts_with("__Host-n=v; Path=/"));
        assert!(same_secret("abc", "abc"));
        assert!(!same_secret("abc", "abd"));
        assert!(cookie("n", "v", None, true, true).ends_with("HttpOnly; Secure"));
    }

    #[test]
    fn the_rate_limit_refills() {
        let limiter = RateLimiter::new(2, 60);
        assert!(limiter.take("u").is_ok());
        assert!(limiter.take("u").is_ok());
        let wait = limiter.take("u").unwrap_err();
        assert!(wait >= Duration::from_secs(1));
        assert!(limiter.take("other").is_ok());
    }
}
