//! The gateway: the trainees' Persian-first web app, server-rendered, over
//! the courses, enrolments and certification services. It owns no business
//! data (its database holds only the browsers' sessions); every page calls
//! the services with the signed-in user's token.

pub mod api;
pub mod backends;
pub mod i18n;
pub mod ical;
pub mod oidc;
pub mod pages;
pub mod sessions;
pub mod store;
pub mod web;

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use axum::Router;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use hamafza_kit::auth::{DevIssuer, TokenVerifier};
use hamafza_kit::config::{Config, ServiceName};
use hamafza_kit::grpc::{Health, ServeError, check_health};
use hamafza_kit::service::{Service, Shared};
use hamafza_kit::shutdown::Shutdown;
use hamafza_proto::certification as cpb;
use tokio::net::TcpListener;

pub use backends::Backends;
pub use store::Migrator;

use crate::pages::admin::editor;
use crate::pages::{
    admin, benchmark, calendar, catalog, certificates, learning, org, session, signin, verify,
};
use crate::sessions::{RateLimiter, Sessions};

/// Largest request body accepted (forms and pasted credentials).
const MAX_BODY_BYTES: usize = 64 * 1024;

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    /// The services.
    pub backends: Backends,
    /// Signed-in browsers.
    pub sessions: Sessions,
    /// The people's secret calendar addresses.
    pub feeds: store::CalendarFeeds,
    /// Verifies the tokens sessions are started with.
    pub verifier: Arc<TokenVerifier>,
    /// The development issuer, when development sign-in is on.
    pub dev_issuer: Option<Arc<DevIssuer>>,
    /// Per-user limit on enrol and cancel.
    pub limiter: Arc<RateLimiter>,
    /// Whether cookies carry `Secure` (served over https).
    pub secure_cookies: bool,
    /// The public address of the web app, for links in feeds.
    pub public_base: String,
    /// Sign-in through the organization's identity provider, when configured.
    pub oidc: Option<Arc<oidc::Oidc>>,
    /// Set once shutdown begins: answers carry `Connection: close` and
    /// `/readyz` says 503, so clients and load balancers move on before the
    /// connections close.
    pub draining: Arc<std::sync::atomic::AtomicBool>,
    /// Whether `/dev/mailbox` shows the emails kept instead of sent
    /// (`hamafza up`: development sign-in and no mail relay).
    pub dev_mailbox: bool,
    /// Public answers (the JSON catalog) kept for a few seconds.
    pub public: api::public::PublicReads,
}

/// How long a stopping gateway keeps answering (with `Connection: close`)
/// before it closes its connections.
const DRAIN: Duration = Duration::from_secs(2);

/// The gateway, ready to serve.
pub struct GatewayService {
    state: AppState,
    drain: Duration,
    purge_every: Duration,
}

impl GatewayService {
    /// The gateway over `backends`, keeping browsers' `sessions`, trusting
    /// `verifier`, with development sign-in when `dev_issuer` is set and
    /// OpenID Connect sign-in when `oidc` is.
    pub fn new(
        backends: Backends,
        sessions: Sessions,
        feeds: store::CalendarFeeds,
        verifier: Arc<TokenVerifier>,
        dev_issuer: Option<DevIssuer>,
        oidc: Option<oidc::OidcSettings>,
        public_base_url: &str,
    ) -> Self {
        Self {
            state: AppState {
                backends,
                sessions,
                feeds,
                verifier,
                dev_issuer: dev_issuer.map(Arc::new),
                limiter: Arc::new(RateLimiter::new(10, 20)),
                secure_cookies: public_base_url.starts_with("https://"),
                public_base: public_base_url.trim_end_matches('/').to_owned(),
                oidc: oidc.map(|o| Arc::new(oidc::Oidc::new(o))),
                draining: Arc::default(),
                dev_mailbox: false,
                public: api::public::PublicReads::default(),
            },
            drain: DRAIN,
            purge_every: Duration::from_secs(300),
        }
    }
}

impl Service for GatewayService {
    const NAME: &'static str = "gateway";

    fn addr(config: &Config) -> std::net::SocketAddr {
        config.gateway.addr
    }

    /// Development sign-in is on when the development issuer is allowed and
    /// in use; OpenID Connect sign-in when `oidc.issuer` is set.
    async fn build(config: &Config, shared: &Shared) -> anyhow::Result<Self> {
        let identity = shared
            .identity(Self::NAME)
            .context("the gateway's own identity")?;
        let backends = Backends::from_config(config, identity)?;
        let db = shared
            .database::<store::Migrator>(config, ServiceName::Gateway)
            .await?;
        let feeds = store::CalendarFeeds::new(db.clone());
        let sessions = Sessions::new(
            store::DbSessionStore::new(db),
            Arc::clone(&shared.verifier),
            Duration::from_secs(config.web.session_ttl_seconds.max(1)),
        );
        let dev_issuer = if config.auth.allow_dev_issuer && config.auth.uses_dev_issuer() {
            Some(DevIssuer::load_or_create(
                &config.data_dir,
                &config.auth.issuer,
                &config.auth.audience,
            )?)
        } else {
            None
        };
        let oidc = match &config.oidc.issuer {
            Some(issuer) => {
                let client_secret = match &config.oidc.client_secret_file {
                    Some(file) => std::fs::read_to_string(file)
                        .with_context(|| {
                            format!("reading the OIDC client secret {}", file.display())
                        })?
                        .trim()
                        .to_owned(),
                    None => String::new(),
                };
                Some(oidc::OidcSettings {
                    issuer: issuer.clone(),
                    client_id: config.oidc.client_id.clone(),
                    client_secret,
                    redirect_url: format!(
                        "{}/signin/callback",
                        config.credentials.public_base_url.trim_end_matches('/')
                    ),
                    post_logout_redirect_url: format!(
                        "{}/",
                        config.credentials.public_base_url.trim_end_matches('/')
                    ),
                })
            }
            None => None,
        };
        let mut gateway = Self::new(
            backends,
            sessions,
            feeds,
            Arc::clone(&shared.verifier),
            dev_issuer,
            oidc,
            &config.credentials.public_base_url,
        );
        gateway.drain = DRAIN.min(config.grpc.shutdown_grace());
        gateway.purge_every = Duration::from_secs(config.web.session_purge_seconds.max(1));
        gateway.state.dev_mailbox =
            gateway.state.dev_issuer.is_some() && matches!(config.mail.relay(), Ok(None));
        Ok(gateway)
    }

    async fn serve(self, listener: TcpListener, shutdown: Shutdown) -> Result<(), ServeError> {
        // Replies go out at once, not after the client's delayed ACK.
        let listener = axum::serve::ListenerExt::tap_io(listener, |stream| {
            if let Err(error) = stream.set_nodelay(true) {
                tracing::warn!(%error, "could not set TCP_NODELAY on a connection");
            }
        });
        let (draining, drain) = (Arc::clone(&self.state.draining), self.drain);
        tokio::spawn(
            self.state
                .sessions
                .clone()
                .purge_expired(self.purge_every, shutdown.clone()),
        );
        axum::serve(listener, router(self.state))
            .with_graceful_shutdown(async move {
                shutdown.requested().await;
                // Keep answering a moment, each answer closing its keep-alive
                // connection, so no client sends a request on a connection
                // that is about to close; then stop accepting and finish
                // what is in flight.
                draining.store(true, std::sync::atomic::Ordering::SeqCst);
                tracing::info!(?drain, "draining web connections");
                tokio::time::sleep(drain).await;
            })
            .await
            .map_err(|error| ServeError::Startup(format!("gateway: {error}")))
    }
}

/// The router of every page and endpoint.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/", get(catalog::show))
        .route("/courses/{id}", get(pages::course::show))
        .route("/sessions/{id}", get(session::show))
        .route("/sessions/{id}/enrol", post(session::enrol))
        .route(
            "/enrolments/{id}/cancel",
            get(session::confirm_cancel).post(session::cancel),
        )
        .route("/me/learning", get(learning::show))
        .route(
            "/me/learning/{id}/evaluation",
            get(pages::evaluation::show).post(pages::evaluation::submit),
        )
        .route(
            "/teach/sessions/{id}/evaluations",
            get(pages::evaluation_results::session),
        )
        .route("/org", get(org::requests::show))
        .route("/org/requests", post(org::requests::decide))
        .route("/org/people", get(org::people::list))
        .route("/org/people/{subject}", get(org::people::transcript))
        .route("/org/enrol", get(org::enrol::form).post(org::enrol::submit))
        .route(
            "/org/import",
            get(org::enrol::import_form).post(org::enrol::import).layer(
                axum::extract::DefaultBodyLimit::max(org::enrol::MAX_UPLOAD_BYTES + 64 * 1024),
            ),
        )
        .route("/org/certificates", get(org::certificates::list))
        .route(
            "/org/hosting",
            get(pages::hosting::propose::show).post(pages::hosting::propose::submit),
        )
        .route("/org/events", get(org::certificates::events))
        .route(
            "/org/events/{id}/participation",
            post(org::certificates::participate),
        )
        .merge(admin_routes())
        .route("/me/certificates", get(certificates::list))
        .route("/me/notifications", get(pages::notifications::inbox))
        .route("/me/notifications/read", post(pages::notifications::read))
        .route(
            "/me/notifications/settings",
            get(pages::notifications::settings).post(pages::notifications::save),
        )
        .route("/dev/mailbox", get(pages::notifications::mailbox))
        .route("/certificates/{id}", get(certificates::show))
        .route("/certificates/{id}/pdf", get(certificates::document))
        .route("/calendar", get(calendar::show))
        .route("/calendar/me.ics", get(calendar::mine))
        .route("/calendar/org/{file}", get(calendar::organization))
        .route("/calendar/feed", post(calendar::reset_feed))
        .route("/calendar/feed/{file}", get(calendar::subscribed))
        .route("/benchmark", get(benchmark::show))
        .merge(library_routes(state.backends.library_max_file_bytes))
        .route("/council", get(pages::council::list))
        .route("/council/{kind}/{id}", get(pages::council::show))
        .route("/council/{kind}/{id}/vote", post(pages::council::vote))
        .route("/teach", get(pages::teach::list))
        .route("/teach/sessions/{id}", get(pages::teach::show))
        .route("/teach/sessions/{id}/roster", get(pages::teach::roster))
        .route(
            "/teach/sessions/{id}/complete",
            post(pages::teach::complete),
        )
        .route(
            "/teach/sessions/{id}/meetings/{n}",
            get(pages::teach::attendance).post(pages::teach::record),
        )
        .route(
            "/teach/sessions/{id}/meetings/{n}/sheet",
            get(pages::teach::sheet),
        )
        .route("/verify", get(verify::start).post(verify::by_credential))
        .route("/verify/serial", get(verify::by_query))
        .route("/verify/{serial}", get(verify::by_serial))
        .route("/signin", get(signin::start))
        .route("/signin/dev", post(signin::dev))
        .route("/signin/oidc", get(signin::oidc_start))
        .route("/signin/callback", get(signin::oidc_callback))
        .route("/signout", post(signin::sign_out))
        .route("/.well-known/jwks.json", get(jwks))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/assets/app.css", get(stylesheet))
        .route("/assets/logo.svg", get(logo))
        .route("/favicon.svg", get(logo))
        .route("/favicon.ico", get(logo))
        .route("/assets/fonts/Vazirmatn-Variable.woff2", get(font))
        .route("/assets/fonts/OFL.txt", get(font_license))
        .merge(api::router())
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            security_headers,
        ))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            remember_language,
        ))
        .layer(middleware::from_fn(web::with_page_context))
        .layer(middleware::from_fn(trace_request))
        .with_state(state)
}

/// The library's pages; the form takes a file as large as the library does.
fn library_routes(max_file_bytes: usize) -> Router<AppState> {
    use pages::library;
    let upload = DefaultBodyLimit::max(max_file_bytes.saturating_add(256 * 1024));
    Router::new()
        .route("/library", get(library::list))
        .route("/library/queue", get(library::queue))
        .route(
            "/library/new",
            get(library::edit::new_form)
                .post(library::edit::create)
                .layer(upload),
        )
        .route("/library/{id}", get(library::show))
        .route(
            "/library/{id}/edit",
            get(library::edit::edit_form)
                .post(library::edit::update)
                .layer(upload),
        )
        .route("/library/{id}/files/{file}", get(library::download))
        .route("/library/{id}/{verb}", post(library::act))
}

/// A page opened with `?lang=` remembers the choice in a cookie, so links and
/// form posts after it stay in that language; for a signed-in person it is
/// also saved as their preference (best effort: the page never fails for
/// it), which signing in again restores and their emails follow.
async fn remember_language(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let asked = web::asked_language(request.uri().query()).map(str::to_owned);
    let session = asked.as_ref().and_then(|_| {
        let cookies = request
            .headers()
            .get(header::COOKIE)
            .and_then(|v| v.to_str().ok())?;
        sessions::read_cookie(cookies, sessions::SESSION_COOKIE, state.secure_cookies)
            .map(str::to_owned)
    });
    let mut response = next.run(request).await;
    if let (Some(code), Some(id)) = (&asked, session) {
        match state.sessions.get(&id).await {
            Ok(Some(web)) => {
                let lang = i18n::Lang::parse(Some(code.as_str()));
                pages::notifications::save_language(&state, &web.token, lang).await;
            }
            Ok(None) => {}
            Err(error) => tracing::warn!(%error, "the language choice was not saved"),
        }
    }
    if let Some(code) = asked {
        let value = sessions::cookie(
            sessions::LANG_COOKIE,
            &code,
            Some(std::time::Duration::from_secs(365 * 24 * 3600)),
            state.secure_cookies,
            false,
        );
        if let Ok(value) = value.parse() {
            response.headers_mut().append(header::SET_COOKIE, value);
        }
    }
    response
}

/// The back office's pages («مدیریت», platform admins only).
fn admin_routes() -> Router<AppState> {
    Router::new()
        .route("/admin", get(admin::dashboard::show))
        .merge(editor::catalog_routes::<admin::courses::Courses>())
        .merge(editor::routes::<admin::sessions::Sessions>())
        .route("/admin/sessions/{id}/{action}", post(admin::sessions::act))
        .route("/admin/hosting", get(pages::hosting::queue::show))
        .route(
            "/admin/hosting/{id}/{action}",
            post(pages::hosting::queue::decide),
        )
        .route("/admin/programs", get(admin::programs::list))
        .merge(editor::catalog_routes::<admin::programs::Programs>())
        .route(
            "/admin/orgs",
            get(admin::orgs::list).post(admin::orgs::create),
        )
        .merge(editor::edit_routes::<admin::orgs::Orgs>())
        .route("/admin/events", get(admin::events::list))
        .merge(editor::routes::<admin::events::Events>())
        .route("/admin/people", get(admin::people::list))
        .route(
            "/admin/people/import",
            post(admin::people::import).layer(DefaultBodyLimit::max(
                admin::people::MAX_UPLOAD_BYTES + 64 * 1024,
            )),
        )
        .route("/admin/certificates", get(admin::certificates::list))
        .route("/admin/evaluations", get(pages::evaluation_results::admin))
        .route(
            "/admin/council",
            get(admin::council::show).post(admin::council::save),
        )
        .route(
            "/admin/certificates/issue",
            post(admin::certificates::issue),
        )
        .route(
            "/admin/certificates/{id}/revoke",
            post(admin::certificates::revoke),
        )
}

/// One span per HTTP request, continuing the caller's trace when it sent a
/// `traceparent`; the gRPC calls made for it carry the trace on. The request's
/// duration and status go to the `http.server.request.duration` metric.
async fn trace_request(request: Request, next: Next) -> Response {
    use tracing::Instrument;
    static METRICS: std::sync::OnceLock<hamafza_kit::telemetry::HttpMetrics> =
        std::sync::OnceLock::new();
    let started = std::time::Instant::now();
    let method = request.method().clone();
    // The route template, never the raw path: ids would make every request
    // its own series.
    let route = request
        .extensions()
        .get::<axum::extract::MatchedPath>()
        .map_or("unmatched", axum::extract::MatchedPath::as_str)
        .to_owned();
    let path = request.uri().path();
    let span = hamafza_kit::telemetry::request_span(request.headers(), |ids| {
        let (trace_id, span_id) = ids.unzip();
        tracing::info_span!(
            parent: None,
            "http.request",
            otel.name = %format!("{method} {route}"),
            otel.kind = "server",
            otel.status_code = tracing::field::Empty,
            http.request.method = %method,
            http.route = %route,
            url.path = %path,
            http.response.status_code = tracing::field::Empty,
            trace_id = trace_id.map(tracing::field::display),
            span_id = span_id.map(tracing::field::display),
        )
    });
    let response = next.run(request).instrument(span.clone()).await;
    let status = response.status();
    if hamafza_kit::telemetry::exporting() {
        span.record("http.response.status_code", status.as_u16());
        if status.is_server_error() {
            span.record("otel.status_code", "ERROR");
        }
    }
    METRICS
        .get_or_init(hamafza_kit::telemetry::HttpMetrics::new)
        .record(method.as_str(), &route, status.as_u16(), started.elapsed());
    response
}

/// Headers on every response: a content security policy without inline
/// script, no sniffing, no framing, no referrer leaks.
async fn security_headers(State(state): State<AppState>, request: Request, next: Next) -> Response {
    // Swagger UI styles its elements inline; it alone gets inline styles
    // (never inline script).
    let path = request.uri().path();
    let docs = path.starts_with("/api/docs");
    let personal = is_personal(path);
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    let set =
        |headers: &mut axum::http::HeaderMap, name: header::HeaderName, value: &'static str| {
            headers.insert(name, HeaderValue::from_static(value));
        };
    set(
        headers,
        header::CONTENT_SECURITY_POLICY,
        if docs {
            "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
             img-src 'self' data:; \
             object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
        } else {
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
             font-src 'self'; \
             object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
        },
    );
    set(headers, header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(headers, header::X_FRAME_OPTIONS, "DENY");
    set(headers, header::REFERRER_POLICY, "same-origin");
    if state.draining.load(std::sync::atomic::Ordering::SeqCst) {
        set(headers, header::CONNECTION, "close");
    }
    if state.secure_cookies {
        // Served over https: browsers keep to https for a year.
        set(
            headers,
            header::STRICT_TRANSPORT_SECURITY,
            "max-age=31536000; includeSubDomains",
        );
    }
    // A person's own pages, feeds and certificates are never kept by a
    // browser or proxy cache; nor is any page that did not ask to be.
    if personal || !headers.contains_key(header::CACHE_CONTROL) {
        set(headers, header::CACHE_CONTROL, "no-store");
    }
    response
}

/// Whether `path` shows one person's data (their learning, certificates,
/// calendar, enrolments).
fn is_personal(path: &str) -> bool {
    path.starts_with("/me/")
        || path.starts_with("/certificates/")
        || path.starts_with("/enrolments/")
        || path.starts_with("/api/v1/me/")
        || path.starts_with("/api/v1/certificates/")
        || path.starts_with("/api/v1/enrolments/")
        || path.starts_with("/dev/mailbox")
        || path.starts_with("/signin")
        || path.ends_with(".ics")
}

async fn stylesheet() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../assets/app.css"),
    )
        .into_response()
}

/// The mark of the header, also the favicon (browsers take SVG icons).
async fn logo() -> Response {
    (
        [
            (header::CONTENT_TYPE, "image/svg+xml"),
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        include_str!("../assets/logo.svg"),
    )
        .into_response()
}

async fn font() -> Response {
    (
        [
            (header::CONTENT_TYPE, "font/woff2"),
            (header::CACHE_CONTROL, "public, max-age=604800, immutable"),
        ],
        include_bytes!("../assets/fonts/Vazirmatn-Variable.woff2").as_slice(),
    )
        .into_response()
}

async fn font_license() -> Response {
    (
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        include_str!("../assets/fonts/OFL.txt"),
    )
        .into_response()
}

async fn not_found(uri: axum::http::Uri, viewer: web::Viewer) -> Response {
    // The JSON API answers in JSON, a path it does not have too.
    if uri.path().starts_with("/api/") {
        let error = hamafza_kit::ApiError::not_found("API route", uri.path());
        return error.into_response();
    }
    let lang = viewer.lang;
    (
        StatusCode::NOT_FOUND,
        pages::layout::message_page(lang, lang.pick("پیدا نشد", "Not found"), ""),
    )
        .into_response()
}

/// The certificate issuer's public keys, for anyone verifying a credential.
async fn jwks(State(state): State<AppState>) -> Response {
    match state
        .backends
        .certification()
        .get_issuer_keys(backends::traced(cpb::GetIssuerKeysRequest {}))
        .await
    {
        Ok(keys) => (
            [
                (header::CONTENT_TYPE, "application/json"),
                (header::CACHE_CONTROL, "public, max-age=300"),
            ],
            keys.into_inner().jwks_json,
        )
            .into_response(),
        Err(status) => (
            StatusCode::SERVICE_UNAVAILABLE,
            [(header::CONTENT_TYPE, "application/json")],
            serde_json::json!({
                "code": "unavailable",
                "reason": "UNAVAILABLE",
                "message": status.message(),
            })
            .to_string(),
        )
            .into_response(),
    }
}

async fn healthz() -> &'static str {
    "ok"
}

/// Ready when the three services answer their health checks.
async fn readyz(State(state): State<AppState>) -> Response {
    let mut report = serde_json::Map::new();
    let draining = state.draining.load(std::sync::atomic::Ordering::SeqCst);
    let mut ready = !draining;
    report.insert(
        "gateway".to_owned(),
        serde_json::json!(if draining { "draining" } else { "serving" }),
    );
    for (name, url) in ["courses", "enrolments", "certification"]
        .iter()
        .zip(state.backends.urls.iter())
    {
        let health = check_health(url, "", Duration::from_secs(2)).await;
        let serving = matches!(health, Ok(Health::Serving));
        ready &= serving;
        report.insert(
            (*name).to_owned(),
            serde_json::json!(if serving { "serving" } else { "not serving" }),
        );
    }
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        serde_json::Value::Object(report).to_string(),
    )
        .into_response()
}
