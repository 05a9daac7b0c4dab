//! Signing in through the organization's identity provider: OpenID Connect
//! authorization-code flow with PKCE (S256), `state` bound to the browser by
//! a cookie, and the ID token validated (signature against the provider's
//! published keys, issuer, audience, expiry, nonce) — all by the maintained
//! `openidconnect` crate, discovery included. The access token the provider
//! issues is what the services receive, verified like any other
//! (`auth.jwks_url` points at the provider's keys); it must carry the `org`
//! and `roles` claims.
//!
//! What stays ours: the pending sign-ins (state -> PKCE verifier and nonce,
//! expiring after 10 minutes) and binding `state` to the browser.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use openidconnect::core::{CoreAuthenticationFlow, CoreClient, CoreProviderMetadata};
use openidconnect::{
    AuthorizationCode, ClientId, ClientSecret, CsrfToken, IssuerUrl, Nonce, OAuth2TokenResponse,
    PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, Scope, TokenResponse,
};

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
    /// The ID token does not answer this sign-in (nonce, signature, issuer,
    /// audience or expiry).
    #[error("the identity provider's answer does not match this sign-in: {0}")]
    IdToken(String),
}

/// The tokens of a completed sign-in.
#[derive(Debug)]
pub struct Tokens {
    /// The access token the services receive.
    pub access_token: String,
    /// The ID token, validated.
    pub id_token: String,
    /// The person's email address from the ID token (unless the provider
    /// says it is unverified); empty when it gave none.
    pub email: String,
}

impl Oidc {
    /// A flow with `settings`.
    pub fn new(settings: OidcSettings) -> Self {
        // No redirects: a provider's endpoints answer directly (and following
        // them would let a provider point this server elsewhere).
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap_or_default();
        Self {
            settings,
            http,
            pending: Mutex::new(HashMap::new()),
        }
    }

    /// The provider's metadata and keys, discovered afresh: sign-ins are
    /// rare, and a provider that rotated its keys is followed at once.
    async fn discover(&self) -> Result<CoreProviderMetadata, OidcError> {
        let issuer = IssuerUrl::new(self.settings.issuer.clone())
            .map_err(|e| OidcError::Provider(format!("issuer URL: {e}")))?;
        CoreProviderMetadata::discover_async(issuer, &self.http)
            .await
            .map_err(|e| OidcError::Provider(format!("discovery: {e}")))
    }

    fn redirect_url(&self) -> Result<RedirectUrl, OidcError> {
        RedirectUrl::new(self.settings.redirect_url.clone())
            .map_err(|e| OidcError::Provider(format!("redirect URL: {e}")))
    }

    fn client_id(&self) -> ClientId {
        ClientId::new(self.settings.client_id.clone())
    }

    fn client_secret(&self) -> Option<ClientSecret> {
        (!self.settings.client_secret.is_empty())
            .then(|| ClientSecret::new(self.settings.client_secret.clone()))
    }

    /// Starts a sign-in: the provider URL to send the browser to, and the
    /// `state` to bind to the browser.
    pub async fn start(&self) -> Result<(String, String), OidcError> {
        let metadata = self.discover().await?;
        let client =
            CoreClient::from_provider_metadata(metadata, self.client_id(), self.client_secret())
                .set_redirect_uri(self.redirect_url()?);
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let (url, state, nonce) = client
            .authorize_url(
                CoreAuthenticationFlow::AuthorizationCode,
                CsrfToken::new_random,
                Nonce::new_random,
            )
            .add_scope(Scope::new("profile".to_owned()))
            .set_pkce_challenge(challenge)
            .url();
        let mut pending = self.pending.lock().unwrap_or_else(|p| p.into_inner());
        pending.retain(|_, p| p.started.elapsed() < PENDING_TTL);
        pending.insert(
            state.secret().clone(),
            Pending {
                verifier: verifier.secret().clone(),
                nonce: nonce.secret().clone(),
                started: Instant::now(),
            },
        );
        Ok((url.to_string(), state.secret().clone()))
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
        let metadata = self.discover().await?;
        let client =
            CoreClient::from_provider_metadata(metadata, self.client_id(), self.client_secret())
                .set_redirect_uri(self.redirect_url()?);
        let response = client
            .exchange_code(AuthorizationCode::new(code.to_owned()))
            .map_err(|e| OidcError::Provider(format!("token endpoint: {e}")))?
            .set_pkce_verifier(PkceCodeVerifier::new(pending.verifier))
            .request_async(&self.http)
            .await
            .map_err(|e| OidcError::Provider(format!("token endpoint: {e}")))?;
        let id_token = response
            .id_token()
            .ok_or_else(|| OidcError::IdToken("no ID token in the answer".to_owned()))?;
        let claims = id_token
            .claims(&client.id_token_verifier(), &Nonce::new(pending.nonce))
            .map_err(|e| OidcError::IdToken(e.to_string()))?;
        let email = claims
            .email()
            .filter(|_| claims.email_verified() != Some(false))
            .map(|email| email.as_str().to_owned())
            .unwrap_or_default();
        Ok(Tokens {
            access_token: response.access_token().secret().clone(),
            id_token: id_token.to_string(),
            email,
        })
    }
}
