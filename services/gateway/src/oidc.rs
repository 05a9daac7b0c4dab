//! Signing in through the organization's identity provider: OpenID Connect
//! authorization-code flow with PKCE (S256), `state` bound to the browser by
//! a cookie, and `nonce` checked in the ID token. The access token the
//! provider issues is what the services receive, verified like any other
//! (`auth.jwks_url` points at the provider's keys); it must carry the `org`
//! and `roles` claims.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Deserialize;

use crate::sessions::random_token;

/// The identity provider's settings.
#[derive(Debug, Clone)]
pub struct OidcSettings {
    /// The issuer URL (discovery at `<issuer>/.well-known/openid-configuration`).
    pub issuer: String,
    /// This application's client id.
    pub client_id: String,
    /// Its client secret.
    pub client_secret: String,
    /// Where the provider sends the browser back: `<public base>/signin/callback`.
    pub redirect_url: String,
}

/// The endpoints the provider advertises.
#[derive(Debug, Clone, Deserialize)]
pub struct Discovery {
    /// Where browsers sign in.
    pub authorization_endpoint: String,
    /// Where codes become tokens.
    pub token_endpoint: String,
}

/// A sign-in under way.
#[derive(Debug)]
struct Pending {
    verifier: String,
    nonce: String,
    started: Instant,
}

/// How long a browser may take at the provider.
const PENDING_TTL: Duration = Duration::from_secs(600);

/// The flow's state.
#[derive(Debug)]
pub struct Oidc {
    settings: OidcSettings,
    http: reqwest::Client,
    pending: Mutex<HashMap<String, Pending>>,
}

/// Why signing in failed.
#[derive(Debug, thiserror::Error)]
pub enum OidcError {
    /// The provider could not be reached or answered nonsense.
    #[error("identity provider: {0}")]
    Provider(String),
    /// The callback does not belong to a sign-in this browser started.
    #[error("this sign-in was not started here or has expired; please sign in again")]
    UnknownState,
    /// The ID token does not answer this sign-in.
    #[error("the identity provider's answer does not match this sign-in")]
    NonceMismatch,
}

/// The tokens of a completed sign-in.
#[derive(Debug, Deserialize)]
pub struct Tokens {
    /// The access token the services receive.
    pub access_token: String,
    /// The ID token.
    #[serde(default)]
    pub id_token: String,
}

impl Oidc {
    /// A flow with `settings`.
    pub fn new(settings: OidcSettings) -> Self {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .unwrap_or_default();
        Self {
            settings,
            http,
            pending: Mutex::new(HashMap::new()),
        }
    }

    async fn discover(&self) -> Result<Discovery, OidcError> {
        let url = format!(
            "{}/.well-known/openid-configuration",
            self.settings.issuer.trim_end_matches('/')
        );
        self.http
            .get(&url)
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .map_err(|e| OidcError::Provider(e.to_string()))?
            .json()
            .await
            .map_err(|e| OidcError::Provider(format!("discovery: {e}")))
    }

    /// Starts a sign-in: the provider URL to send the browser to, and the
    /// `state` to bind to the browser.
    pub async fn start(&self) -> Result<(String, String), OidcError> {
        let discovery = self.discover().await?;
        let state = random_token();
        let verifier = random_token();
        let nonce = random_token();
        let challenge =
            URL_SAFE_NO_PAD.encode(<sha2::Sha256 as sha2::Digest>::digest(verifier.as_bytes()));
        let url = reqwest::Url::parse_with_params(
            &discovery.authorization_endpoint,
            &[
                ("response_type", "code"),
                ("client_id", self.settings.client_id.as_str()),
                ("redirect_uri", self.settings.redirect_url.as_str()),
                ("scope", "openid profile"),
                ("state", state.as_str()),
                ("nonce", nonce.as_str()),
                ("code_challenge", challenge.as_str()),
                ("code_challenge_method", "S256"),
            ],
        )
        .map_err(|e| OidcError::Provider(format!("authorization endpoint: {e}")))?;
        let mut pending = self.pending.lock().unwrap_or_else(|p| p.into_inner());
        pending.retain(|_, p| p.started.elapsed() < PENDING_TTL);
        pending.insert(
            state.clone(),
            Pending {
                verifier,
                nonce,
                started: Instant::now(),
            },
        );
        Ok((url.to_string(), state))
    }

    /// Completes a sign-in: `state` from the callback must be the one bound to
    /// this browser (`browser_state`).
    pub async fn finish(
        &self,
        code: &str,
        state: &str,
        browser_state: Option<&str>,
    ) -> Result<Tokens, OidcError> {
        if browser_state.is_none_or(|bound| !crate::sessions::same_secret(bound, state)) {
            return Err(OidcError::UnknownState);
        }
        let pending = self
            .pending
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(state)
            .filter(|p| p.started.elapsed() < PENDING_TTL)
            .ok_or(OidcError::UnknownState)?;
        let discovery = self.discover().await?;
        let tokens: Tokens = self
            .http
            .post(&discovery.token_endpoint)
            .basic_auth(&self.settings.client_id, Some(&self.settings.client_secret))
            .form(&[
                ("grant_type", "authorization_code"),
                ("code", code),
                ("redirect_uri", self.settings.redirect_url.as_str()),
                ("client_id", self.settings.client_id.as_str()),
                ("code_verifier", pending.verifier.as_str()),
            ])
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .map_err(|e| OidcError::Provider(format!("token endpoint: {e}")))?
            .json()
            .await
            .map_err(|e| OidcError::Provider(format!("token response: {e}")))?;
        // The ID token came straight from the token endpoint (over TLS in
        // production), so its origin is established; what is left to check
        // is that it answers this very sign-in.
        let nonce = tokens
            .id_token
            .split('.')
            .nth(1)
            .and_then(|payload| URL_SAFE_NO_PAD.decode(payload).ok())
            .and_then(|json| serde_json::from_slice::<serde_json::Value>(&json).ok())
            .and_then(|claims| {
                claims
                    .get("nonce")
                    .and_then(|n| n.as_str())
                    .map(str::to_owned)
            });
        if nonce.as_deref() != Some(pending.nonce.as_str()) {
            return Err(OidcError::NonceMismatch);
        }
        Ok(tokens)
    }
}
