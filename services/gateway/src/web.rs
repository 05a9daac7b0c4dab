//! What every page handler gets: who is looking (session, language), and how
//! failures become pages.

use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use hamafza_kit::ApiError;
use hamafza_kit::auth::{Caller, Role};

use crate::AppState;
use crate::i18n::Lang;
use crate::pages::layout;
use crate::sessions::{CSRF_COOKIE, LANG_COOKIE, SESSION_COOKIE, WebSession, read_cookie};

/// Who is looking at a page.
#[derive(Debug, Clone)]
pub struct Viewer {
    /// The page's language.
    pub lang: Lang,
    /// The session id and session, when signed in.
    pub session: Option<(String, WebSession)>,
    /// The pre-sign-in CSRF cookie, if the browser has one.
    pub anonymous_csrf: Option<String>,
    /// The signed-in person's unread notifications, when notifications
    /// answered in time (the header shows the count).
    pub unread: Option<u32>,
}

impl Viewer {
    /// The signed-in caller.
    pub fn caller(&self) -> Option<&Arc<Caller>> {
        self.session.as_ref().map(|(_, s)| &s.caller)
    }

    /// The caller's token.
    pub fn token(&self) -> Option<&str> {
        self.session.as_ref().map(|(_, s)| s.token.as_str())
    }

    /// The session, or a redirect to sign in.
    pub fn require(&self) -> Result<&WebSession, PageError> {
        self.session
            .as_ref()
            .map(|(_, s)| s)
            .ok_or(PageError::SignIn)
    }

    /// Whether the signed-in caller holds `role` (for navigation only: the
    /// services decide what each role may do).
    pub fn holds(&self, role: Role) -> bool {
        self.caller().is_some_and(|c| c.has(role))
    }

    /// Whether the caller may see the benchmarking page.
    pub fn sees_benchmarks(&self) -> bool {
        self.caller()
            .is_some_and(|c| c.has_any(&[Role::PlatformAdmin, Role::Council, Role::OrgManager]))
    }
}

impl FromRequestParts<AppState> for Viewer {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let cookies = parts
            .headers
            .get(header::COOKIE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        let asked = parts
            .uri
            .query()
            .and_then(|q| q.split('&').find_map(|p| p.strip_prefix("lang=")));
        let lang =
            Lang::parse(asked.or_else(|| read_cookie(cookies, LANG_COOKIE, state.secure_cookies)));
        let session = read_cookie(cookies, SESSION_COOKIE, state.secure_cookies)
            .and_then(|id| state.sessions.get(id).map(|s| (id.to_owned(), s)));
        let anonymous_csrf =
            read_cookie(cookies, CSRF_COOKIE, state.secure_cookies).map(str::to_owned);
        let unread = match &session {
            Some((_, web)) => crate::pages::notifications::unread(state, &web.token).await,
            None => None,
        };
        Ok(Self {
            lang,
            session,
            anonymous_csrf,
            unread,
        })
    }
}

/// Why a page could not be shown.
#[derive(Debug)]
pub enum PageError {
    /// Not signed in: go to the sign-in page.
    SignIn,
    /// A refusal or failure, shown as an error page in the viewer's language.
    Api(Lang, ApiError),
    /// Too many changes: wait this many seconds.
    TooMany(Lang, u64),
}

impl PageError {
    /// A refusal in `lang`.
    pub fn api(lang: Lang, error: impl Into<ApiError>) -> Self {
        Self::Api(lang, error.into())
    }

    /// The error as the JSON API reports it.
    pub fn into_api_error(self) -> ApiError {
        match self {
            Self::SignIn => ApiError::unauthenticated("sign in first"),
            Self::Api(_, error) => error,
            Self::TooMany(_, _) => ApiError::new(
                hamafza_kit::ErrorCode::ResourceExhausted,
                "RATE_LIMITED",
                "too many requests; try again in a moment",
            ),
        }
    }

    /// A gRPC status from a service, in `lang`.
    pub fn status(lang: Lang, status: tonic::Status) -> Self {
        Self::Api(lang, ApiError::from_status(&status))
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        match self {
            Self::SignIn => {
                (StatusCode::SEE_OTHER, [(header::LOCATION, "/signin")]).into_response()
            }
            Self::TooMany(lang, seconds) => {
                let body = layout::message_page(
                    lang,
                    lang.pick("درخواست‌های زیاد", "Too many requests"),
                    lang.pick(
                        "لطفاً کمی بعد دوباره تلاش کنید.",
                        "Please try again in a moment.",
                    ),
                );
                let mut response = (StatusCode::TOO_MANY_REQUESTS, body).into_response();
                if let Ok(value) = seconds.to_string().parse() {
                    response.headers_mut().insert(header::RETRY_AFTER, value);
                }
                response
            }
            Self::Api(lang, error) => {
                let status = StatusCode::from_u16(error.code().http_status())
                    .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
                let title = match status {
                    StatusCode::NOT_FOUND => lang.pick("پیدا نشد", "Not found"),
                    StatusCode::FORBIDDEN => lang.pick("دسترسی ندارید", "Not allowed"),
                    StatusCode::UNAUTHORIZED => lang.pick("ابتدا وارد شوید", "Please sign in"),
                    s if s.is_server_error() => lang.pick("خطای سامانه", "Something went wrong"),
                    _ => lang.pick("درخواست پذیرفته نشد", "Request refused"),
                };
                // Wording from the catalogue by reason, never a service's
                // English; internal details are logged here, never shown.
                let message = crate::i18n::refusal(lang, &error);
                let _ = error.into_http_body();
                (status, layout::message_page(lang, title, message)).into_response()
            }
        }
    }
}

/// Checks a form's CSRF token against the session's (or, before sign-in, the
/// double-submit cookie).
pub fn check_csrf(viewer: &Viewer, submitted: &str) -> Result<(), PageError> {
    let expected = match &viewer.session {
        Some((_, session)) => Some(session.csrf.as_str()),
        None => viewer.anonymous_csrf.as_deref(),
    };
    match expected {
        Some(expected) if crate::sessions::same_secret(expected, submitted) => Ok(()),
        _ => Err(PageError::api(
            viewer.lang,
            ApiError::new(
                hamafza_kit::ErrorCode::PermissionDenied,
                "FORM_EXPIRED",
                "the form has expired; reload the page and try again",
            ),
        )),
    }
}

/// Whether the request came from a browser asking for HTML.
pub fn wants_html(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/html"))
}
