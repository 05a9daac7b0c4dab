//! Signing in through the organization's identity provider: OpenID Connect
//! authorization-code flow with PKCE (S256), `state` bound to the browser by
//! a cookie, and the ID token validated (signature against the provider's
//! published keys, issuer, audience, expiry, nonce) — all by the maintained
//! `openidconnect` crate, discovery included. The access token the provider
//! issues is what the services receive, verified like any other
//! (`auth.jwks_url` points at the provider's keys); it must carry the `org`
//! and `roles` claims.
//!
//! What stays ours: binding a sign-in under way to the browser that started
//! it. Its `state`, PKCE verifier and nonce travel in one cookie (HttpOnly,
//! `__Host-` when secure, 10 minutes), not in this process: whichever
//! replica the provider sends the browser back to finishes the sign-in, and
//! a restart loses none. Only that browser holds them, which is what PKCE
//! and the nonce ask: a stolen code is useless without the verifier, and an
//! ID token minted for another sign-in fails the nonce.

use std::time::Duration;

use openidconnect::core::{CoreAuthenticationFlow, CoreClient, CoreIdToken};
use openidconnect::{
    AuthorizationCode, ClientId, ClientSecret, CsrfToken, IssuerUrl, LanguageTag, LogoutRequest,
    Nonce, OAuth2TokenResponse, PkceCodeChallenge, PkceCodeVerifier, PostLogoutRedirectUrl,
    ProviderMetadataWithLogout, RedirectUrl, Scope, TokenResponse,
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
    /// Where the provider sends the browser after signing it out there:
    /// `<public base>/` (registered with the provider as a post-logout
    /// redirect URI).
    pub post_logout_redirect_url: String,
}

/// How long a browser may take at the provider: the binding cookie's age.
pub const PENDING_TTL: Duration = Duration::from_secs(600);

/// The flow's state.
#[derive(Debug)]
pub struct Oidc {
    settings: OidcSettings,
    http: reqwest::Client,
}

/// A sign-in under way as the browser keeps it: `state.verifier.nonce`
/// (each URL-safe base64, which has no dot).
struct Binding<'a> {
    state: &'a str,
    verifier: &'a str,
    nonce: &'a str,
}

impl<'a> Binding<'a> {
    fn read(kept: &'a str) -> Option<Self> {
        let mut parts = kept.split('.');
        let binding = Self {
            state: parts.next().filter(|s| !s.is_empty())?,
            verifier: parts.next().filter(|s| !s.is_empty())?,
            nonce: parts.next().filter(|s| !s.is_empty())?,
        };
        parts.next().is_none().then_some(binding)
    }
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
        Self { settings, http }
    }

    /// The provider's metadata (its end-session endpoint among them) and
    /// keys, discovered afresh: sign-ins are rare, and a provider that
    /// rotated its keys is followed at once.
    async fn discover(&self) -> Result<ProviderMetadataWithLogout, OidcError> {
        let issuer = IssuerUrl::new(self.settings.issuer.clone())
            .map_err(|e| OidcError::Provider(format!("issuer URL: {e}")))?;
        ProviderMetadataWithLogout::discover_async(issuer, &self.http)
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

    /// Starts a sign-in: the provider URL to send the browser to, and what
    /// the browser keeps of it (the binding cookie's value, for
    /// [`Oidc::finish`]).
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
        let kept = format!(
            "{}.{}.{}",
            state.secret(),
            verifier.secret(),
            nonce.secret()
        );
        Ok((url.to_string(), kept))
    }

    /// Completes a sign-in: `state` from the callback must be the one this
    /// browser keeps (`kept`, what [`Oidc::start`] gave it; the cookie
    /// holding it expires with the sign-in and is cleared by every attempt
    /// to finish, so it is used once).
    pub async fn finish(
        &self,
        code: &str,
        state: &str,
        kept: Option<&str>,
    ) -> Result<Tokens, OidcError> {
        let binding = kept
            .and_then(Binding::read)
            .filter(|binding| crate::sessions::same_secret(binding.state, state))
            .ok_or(OidcError::UnknownState)?;
        let metadata = self.discover().await?;
        let client =
            CoreClient::from_provider_metadata(metadata, self.client_id(), self.client_secret())
                .set_redirect_uri(self.redirect_url()?);
        let response = client
            .exchange_code(AuthorizationCode::new(code.to_owned()))
            .map_err(|e| OidcError::Provider(format!("token endpoint: {e}")))?
            .set_pkce_verifier(PkceCodeVerifier::new(binding.verifier.to_owned()))
            .request_async(&self.http)
            .await
            .map_err(|e| OidcError::Provider(format!("token endpoint: {e}")))?;
        let id_token = response
            .id_token()
            .ok_or_else(|| OidcError::IdToken("no ID token in the answer".to_owned()))?;
        let claims = id_token
            .claims(
                &client.id_token_verifier(),
                &Nonce::new(binding.nonce.to_owned()),
            )
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

    /// Where to send a browser signing out of a session begun at the
    /// provider, so that it is signed out there too (OpenID Connect
    /// RP-Initiated Logout): the provider's end-session endpoint, with the
    /// session's ID token as the hint, this client, the way back to the home
    /// page and the viewer's language (`lang`). `None` when the provider
    /// publishes no end-session endpoint.
    pub async fn sign_out_url(
        &self,
        id_token: &str,
        lang: &str,
    ) -> Result<Option<String>, OidcError> {
        let metadata = self.discover().await?;
        let Some(endpoint) = metadata.additional_metadata().end_session_endpoint.clone() else {
            return Ok(None);
        };
        let back = PostLogoutRedirectUrl::new(self.settings.post_logout_redirect_url.clone())
            .map_err(|e| OidcError::Provider(format!("post-logout redirect URL: {e}")))?;
        let mut request = LogoutRequest::from(endpoint)
            .set_client_id(self.client_id())
            .set_post_logout_redirect_uri(back)
            .add_ui_locale(LanguageTag::new(lang.to_owned()));
        // The hint is what the provider issued; one that no longer parses
        // (it never should) still signs out, the provider asking whom.
        if let Ok(id_token) = id_token.parse::<CoreIdToken>() {
            request = request.set_id_token_hint(&id_token);
        }
        Ok(Some(request.http_get_url().to_string()))
    }
}
