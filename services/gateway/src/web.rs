//! What every page handler gets: who is looking (session, language), and how
//! failures become pages.

use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, StatusCode, header};
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
    /// Where the page is: its path and query without `lang`, for the language
    /// switch and for coming back after signing in.
    pub here: String,
    /// The signed-in person's unread notifications, when notifications
    /// answered in time (the header shows the count).
    pub unread: Option<u32>,
}

tokio::task_local! {
    /// The viewer of the page being answered, so that a failure anywhere in
    /// its handler still shows the page frame as that person sees it.
    static CURRENT: std::cell::RefCell<Option<Viewer>>;
}

/// Runs a page request with room for its viewer (see [`Viewer::current`]).
pub async fn with_page_context(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    CURRENT
        .scope(std::cell::RefCell::new(None), next.run(request))
        .await
}

impl Viewer {
    /// Someone not signed in, looking at `here` in `lang`.
    pub fn anonymous(lang: Lang) -> Self {
        Self {
            lang,
            session: None,
            anonymous_csrf: None,
            here: "/".to_owned(),
            unread: None,
        }
    }

    /// The viewer of the page being answered, when a handler has read one.
    pub fn current() -> Option<Self> {
        CURRENT.try_with(|c| c.borrow().clone()).ok().flatten()
    }

    /// The `?lang=` link to this page in the other language.
    pub fn switch_language(&self) -> String {
        let other = self.lang.other().code();
        match self.here.split_once('?') {
            Some((path, query)) => format!("{path}?{query}&lang={other}"),
            None => format!("{}?lang={other}", self.here),
        }
    }

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

/// The request's `Cookie` header (empty when none).
fn cookies_of(parts: &Parts) -> &str {
    parts
        .headers
        .get(header::COOKIE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
}

/// The language a request is answered in: `?lang=`, else the language
/// cookie, else Persian.
fn language_of(parts: &Parts, state: &AppState) -> Lang {
    let asked = asked_language(parts.uri.query());
    Lang::parse(asked.or_else(|| read_cookie(cookies_of(parts), LANG_COOKIE, state.secure_cookies)))
}

impl FromRequestParts<AppState> for Viewer {
    /// The session store out of reach: a page saying to retry.
    type Rejection = PageError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let cookies = cookies_of(parts);
        let lang = language_of(parts, state);
        let session = match read_cookie(cookies, SESSION_COOKIE, state.secure_cookies) {
            Some(id) => state
                .sessions
                .get(id)
                .await
                .map_err(|error| PageError::Api(lang, error))?
                .map(|session| (id.to_owned(), session)),
            None => None,
        };
        let anonymous_csrf =
            read_cookie(cookies, CSRF_COOKIE, state.secure_cookies).map(str::to_owned);
        let unread = match &session {
            Some((_, web)) => crate::pages::notifications::unread(state, &web.token).await,
            None => None,
        };
        let viewer = Self {
            lang,
            session,
            anonymous_csrf,
            here: if matches!(parts.method, Method::GET | Method::HEAD) {
                here(&parts.uri)
            } else {
                form_page(parts).unwrap_or_else(|| "/".to_owned())
            },
            unread,
        };
        let _ = CURRENT.try_with(|c| *c.borrow_mut() = Some(viewer.clone()));
        Ok(viewer)
    }
}

/// The `lang` a query asks for, if any.
pub fn asked_language(query: Option<&str>) -> Option<&str> {
    query?
        .split('&')
        .find_map(|p| p.strip_prefix("lang="))
        .filter(|code| matches!(*code, "fa" | "en"))
}

/// A request's path and query without its `lang` parameter.
fn here(uri: &axum::http::Uri) -> String {
    let path = uri.path();
    let query: Vec<&str> = uri
        .query()
        .unwrap_or_default()
        .split('&')
        .filter(|p| !p.is_empty() && !p.starts_with("lang="))
        .collect();
    if query.is_empty() {
        path.to_owned()
    } else {
        format!("{path}?{}", query.join("&"))
    }
}

/// Where a posted form was, from the `Referer` of the post when it is a page
/// of this site: what "here" is for a post (the page to sign in back to, or
/// to switch the language of), since the post's own address answers only
/// posts.
fn form_page(parts: &Parts) -> Option<String> {
    let referer = parts.headers.get(header::REFERER)?.to_str().ok()?;
    let referer: axum::http::Uri = referer.parse().ok()?;
    let host = parts.headers.get(header::HOST)?.to_str().ok()?;
    if referer.authority().map(|a| a.as_str()) != Some(host) {
        return None;
    }
    let page = here(&referer);
    local_return(&page).map(str::to_owned)
}

/// A local path to come back to after signing in: only this site's own pages
/// (a path that starts with one `/`), never another site.
pub fn local_return(next: &str) -> Option<&str> {
    let ok = next.starts_with('/')
        && !next.starts_with("//")
        && !next.starts_with("/\\")
        && !next.starts_with("/signin")
        && !next.starts_with("/signout")
        && next.len() <= 1000
        && next.chars().all(|c| c.is_ascii_graphic());
    ok.then_some(next)
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

/// A service's answer on a page: its message, or its refusal as the page's
/// error in the viewer's language.
pub trait PageReply<T> {
    /// The message, or the status as a [`PageError`] in `lang`.
    fn page(self, lang: Lang) -> Result<T, PageError>;
}

impl<T> PageReply<T> for Result<tonic::Response<T>, tonic::Status> {
    fn page(self, lang: Lang) -> Result<T, PageError> {
        self.map(tonic::Response::into_inner)
            .map_err(|status| PageError::status(lang, status))
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        match self {
            Self::SignIn => {
                // Back to the page asked for once signed in.
                let location = Viewer::current()
                    .filter(|v| local_return(&v.here).is_some() && v.here != "/")
                    .map_or_else(
                        || "/signin".to_owned(),
                        |v| {
                            let next: String =
                                form_urlencoded::byte_serialize(v.here.as_bytes()).collect();
                            format!("/signin?next={next}")
                        },
                    );
                (StatusCode::SEE_OTHER, [(header::LOCATION, location)]).into_response()
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

/// A page's query string, read as axum's `Query` reads it. One that does
/// not read (a number left empty, a word where a number goes) is a 400 page
/// in the viewer's words, never axum's English text.
#[derive(Debug, Clone, Copy, Default)]
pub struct Query<T>(pub T);

impl<T: serde::de::DeserializeOwned> FromRequestParts<AppState> for Query<T> {
    type Rejection = PageError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(value)) => Ok(Self(value)),
            Err(rejection) => {
                let lang = language_of(parts, state);
                tracing::debug!(%rejection, "a query string that does not read");
                Err(PageError::api(
                    lang,
                    ApiError::invalid_field("query", rejection.body_text()),
                ))
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
