//! Signing in. With development sign-in on (`hamafza up`), a page lists the
//! demo people and signs them in with tokens of the development issuer. In
//! production the organization's identity provider signs people in (OpenID
//! Connect; not wired yet, so without development sign-in this page says so).

use std::time::Duration;

use axum::Form;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use hamafza_kit::auth::TokenRequest;
use hamafza_kit::demo;
use maud::html;
use serde::Deserialize;

use super::layout::page;
use crate::AppState;
use crate::sessions::{SESSION_COOKIE, cookie, random_token};
use crate::web::{PageError, Viewer, check_csrf};

/// Where to go once signed in (`?next=`).
#[derive(Debug, Default, Deserialize)]
pub struct Next {
    /// A local path of this site.
    #[serde(default)]
    pub next: String,
}

impl Next {
    /// The page to return to: the asked one when it is this site's, else home.
    fn target(&self) -> &str {
        crate::web::local_return(&self.next).unwrap_or("/")
    }
}

/// `GET /signin`.
pub async fn start(
    State(state): State<AppState>,
    viewer: Viewer,
    crate::web::Query(next): crate::web::Query<Next>,
) -> Response {
    let lang = viewer.lang;
    let next = next.target().to_owned();
    let (csrf, fresh) = match &viewer.anonymous_csrf {
        Some(token) => (token.clone(), false),
        None => (random_token(), true),
    };
    let title = lang.pick("ورود", "Sign in");
    let markup = page(
        &viewer,
        title,
        html! {
            h1 { (title) }
            @if state.oidc.is_some() {
                p {
                    a.button href={ "/signin/oidc?next=" (encode(&next)) } {
                        (lang.pick(
                            "ورود با حساب سازمانی",
                            "Sign in with your organization account"
                        ))
                    }
                }
            }
            @if state.dev_issuer.is_some() {
                p.muted {
                    (lang.pick(
                        "ورود آزمایشی: یکی از افراد نمونه را انتخاب کنید.",
                        "Development sign-in: choose a demo person."
                    ))
                }
                table {
                    thead {
                        tr {
                            th scope="col" { (lang.pick("نام", "Name")) }
                            th scope="col" { (lang.pick("شناسه", "Subject")) }
                            th scope="col" { (lang.pick("شرکت", "Company")) }
                            th scope="col" { (lang.pick("نقش‌ها", "Roles")) }
                            th scope="col" {
                                span.visually-hidden { (lang.pick("ورود", "Sign in")) }
                            }
                        }
                    }
                    tbody { @for person in demo::PEOPLE {
                        tr {
                            td { (lang.pick(person.name_fa, person.name_en)) }
                            td.ltr { (person.subject) }
                            td { (person.organization_id) }
                            td {
                                (person
                                    .roles
                                    .iter()
                                    .map(|r| r.as_str())
                                    .collect::<Vec<_>>()
                                    .join(", "))
                            }
                            td {
                                form.inline method="post" action="/signin/dev" {
                                    input type="hidden" name="csrf" value=(csrf);
                                    input type="hidden" name="subject" value=(person.subject);
                                    input type="hidden" name="next" value=(next);
                                    button type="submit" { (lang.pick("ورود", "Sign in")) }
                                }
                            }
                        }
                    } }
                }
            } @else if state.oidc.is_none() {
                p.error {
                    (lang.pick(
                        "ورود از طریق سامانه هویت سازمان پیکربندی نشده است.",
                        "Sign-in through the organization's identity provider is not configured."
                    ))
                }
            }
        },
    );
    super::verify::with_csrf_cookie(&state, markup, &csrf, fresh)
}

/// The development sign-in form.
#[derive(Debug, Deserialize)]
pub struct DevSignIn {
    /// CSRF token (double-submit cookie).
    pub csrf: String,
    /// The demo person.
    pub subject: String,
    /// The page to return to.
    #[serde(default)]
    pub next: String,
}

fn encode(text: &str) -> String {
    form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

/// Tells the people directory (courses) who just signed in, as the gateway's
/// service identity: the identity provider's word on name, organization,
/// email and roles. A sign-in never fails for it: the directory catches up at the next.
async fn record_in_directory(
    state: &AppState,
    caller: &hamafza_kit::auth::Caller,
    (name_fa, name_en): (&str, &str),
    email: String,
) {
    let client = hamafza_kit::peers::CoursesClient::as_service(
        state.backends.courses.clone(),
        std::sync::Arc::clone(&state.backends.identity),
    );
    let person = hamafza_proto::courses::Person {
        subject: caller.subject.clone(),
        name: Some(hamafza_proto::common::LocalizedText {
            fa: name_fa.to_owned(),
            en: name_en.to_owned(),
        }),
        organization_id: caller.organization_id.clone(),
        email,
        roles: caller
            .roles
            .iter()
            .filter(|role| **role != hamafza_kit::auth::Role::Service)
            .map(|role| role.as_str().to_owned())
            .collect(),
        ..Default::default()
    };
    if let Err(error) = client.record_sign_in(person).await {
        tracing::warn!(subject = %caller.subject, %error, "the people directory did not record the sign-in");
    }
}

/// The language the person chose before, as the language cookie: their
/// pages follow it from the sign-in on. Nothing when they never chose.
async fn restore_language(state: &AppState, token: &str, response: &mut Response) {
    if let Some(chosen) = crate::pages::notifications::stored_language(state, token).await {
        set_language_cookie(state, chosen, response);
    }
}

fn set_language_cookie(state: &AppState, lang: crate::i18n::Lang, response: &mut Response) {
    let value = cookie(
        crate::sessions::LANG_COOKIE,
        lang.code(),
        Some(Duration::from_secs(365 * 24 * 3600)),
        state.secure_cookies,
        false,
    );
    if let Ok(value) = value.parse() {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
}

/// `POST /signin/dev`.
pub async fn dev(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(form): Form<DevSignIn>,
) -> Result<Response, PageError> {
    let lang = viewer.lang;
    check_csrf(&viewer, &form.csrf)?;
    let (Some(issuer), Some(person)) = (state.dev_issuer.as_ref(), demo::person(&form.subject))
    else {
        return Err(PageError::api(
            lang,
            hamafza_kit::ApiError::not_found("demo person", &form.subject),
        ));
    };
    let token = issuer
        .mint(&TokenRequest {
            subject: person.subject.to_owned(),
            organization_id: person.organization_id.to_owned(),
            roles: person.roles.to_vec(),
            name: lang.pick(person.name_fa, person.name_en).to_owned(),
            ttl: state.sessions.ttl(),
        })
        .map_err(|e| PageError::api(lang, hamafza_kit::ApiError::internal(e)))?;
    let caller = state
        .verifier
        .verify(&token)
        .map_err(|e| PageError::api(lang, e))?;
    end_earlier_session(&state, &viewer).await?;
    record_in_directory(
        &state,
        &caller,
        (person.name_fa, person.name_en),
        demo::email(person.subject, person.organization_id),
    )
    .await;
    let id = state
        .sessions
        .create(token.clone(), None)
        .await
        .map_err(|e| PageError::api(lang, e))?;
    tracing::info!(subject = person.subject, "signed in (development)");
    let next = Next { next: form.next };
    let mut response = Redirect::to(next.target()).into_response();
    if let Ok(value) = cookie(
        SESSION_COOKIE,
        &id,
        Some(state.sessions.ttl()),
        state.secure_cookies,
        true,
    )
    .parse()
    {
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
    restore_language(&state, &token, &mut response).await;
    Ok(response)
}

/// Whoever the browser was signed in as before a new sign-in is signed out
/// (its session removed, not left valid until it runs out).
async fn end_earlier_session(state: &AppState, viewer: &Viewer) -> Result<(), PageError> {
    if let Some((old, _)) = &viewer.session {
        state
            .sessions
            .remove(old)
            .await
            .map_err(|e| PageError::api(viewer.lang, e))?;
    }
    Ok(())
}

/// The sign-out form.
#[derive(Debug, Deserialize)]
pub struct SignOut {
    /// CSRF token.
    pub csrf: String,
}

/// `POST /signout`. A session that has already run out is signed out too
/// (its form's CSRF token went with it; the session cookie is `SameSite=Lax`,
/// so another site cannot post this with it): its cookie is cleared and
/// whatever is left of it removed. A session begun at the identity provider
/// goes on to the provider's end-session endpoint (RP-initiated logout),
/// which sends the browser back to the home page.
pub async fn sign_out(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: axum::http::HeaderMap,
    Form(form): Form<SignOut>,
) -> Result<Response, PageError> {
    let id = match &viewer.session {
        Some((id, _)) => {
            check_csrf(&viewer, &form.csrf)?;
            Some(id.clone())
        }
        None => {
            let cookies = headers
                .get(header::COOKIE)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default();
            crate::sessions::read_cookie(cookies, SESSION_COOKIE, state.secure_cookies)
                .map(str::to_owned)
        }
    };
    let id_token = match &id {
        Some(id) => state
            .sessions
            .end(id)
            .await
            .map_err(|e| PageError::api(viewer.lang, e))?,
        None => None,
    };
    // A session begun at the identity provider is ended there too, or the
    // next person at this browser would be let in as this one by the
    // provider's own session.
    let at_provider = match (state.oidc.as_ref(), id_token) {
        (Some(oidc), Some(id_token)) => {
            match oidc.sign_out_url(&id_token, viewer.lang.code()).await {
                Ok(url) => url,
                Err(error) => {
                    tracing::warn!(%error, "could not sign out at the identity provider");
                    None
                }
            }
        }
        _ => None,
    };
    let mut response = match at_provider {
        // Not a redirect: the form's CSP (`form-action 'self'`) stops a
        // browser following a form's redirect to another origin. A page that
        // moves on by itself (`Refresh`) with a link to go there by hand.
        Some(url) => signing_out_at_provider(viewer.lang, &url),
        None => Redirect::to("/").into_response(),
    };
    if let Ok(value) = cookie(
        SESSION_COOKIE,
        "",
        Some(Duration::ZERO),
        state.secure_cookies,
        true,
    )
    .parse()
    {
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
    Ok(response)
}

/// The cookie binding a provider sign-in to the browser that started it
/// (its state, PKCE verifier and nonce: see [`crate::oidc`]).
const OIDC_STATE_COOKIE: &str = "hamafza_oidc_state";
/// The page to return to after the provider's sign-in.
const OIDC_NEXT_COOKIE: &str = "hamafza_next";

/// `GET /signin/oidc`: off to the identity provider.
pub async fn oidc_start(
    State(state): State<AppState>,
    viewer: Viewer,
    crate::web::Query(next): crate::web::Query<Next>,
) -> Result<Response, PageError> {
    let lang = viewer.lang;
    let Some(oidc) = state.oidc.as_ref() else {
        return Err(PageError::api(
            lang,
            hamafza_kit::ApiError::not_found("sign-in method", "oidc"),
        ));
    };
    let (url, flow_state) = oidc
        .start()
        .await
        .map_err(|e| PageError::api(lang, hamafza_kit::ApiError::unavailable(e.to_string())))?;
    let mut response = Redirect::to(&url).into_response();
    for (name, value) in [
        (OIDC_STATE_COOKIE, flow_state),
        (OIDC_NEXT_COOKIE, encode(next.target())),
    ] {
        let cookie = cookie(
            name,
            &value,
            Some(crate::oidc::PENDING_TTL),
            state.secure_cookies,
            true,
        );
        if let Ok(value) = cookie.parse() {
            response.headers_mut().append(header::SET_COOKIE, value);
        }
    }
    Ok(response)
}

/// What the provider sends back.
#[derive(Debug, Deserialize)]
pub struct Callback {
    /// The authorization code.
    #[serde(default)]
    pub code: String,
    /// The state of the sign-in.
    #[serde(default)]
    pub state: String,
    /// An error the provider reports instead.
    #[serde(default)]
    pub error: String,
}

/// `GET /signin/callback`: back from the provider with a code.
pub async fn oidc_callback(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: axum::http::HeaderMap,
    crate::web::Query(callback): crate::web::Query<Callback>,
) -> Result<Response, PageError> {
    let lang = viewer.lang;
    let Some(oidc) = state.oidc.as_ref() else {
        return Err(PageError::api(
            lang,
            hamafza_kit::ApiError::not_found("sign-in method", "oidc"),
        ));
    };
    if !callback.error.is_empty() || callback.code.is_empty() {
        return Err(PageError::api(
            lang,
            hamafza_kit::ApiError::new(
                hamafza_kit::ErrorCode::Unauthenticated,
                "SIGN_IN_FAILED",
                "the identity provider did not sign you in",
            ),
        ));
    }
    let cookies = headers
        .get(header::COOKIE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let bound = crate::sessions::read_cookie(cookies, OIDC_STATE_COOKIE, state.secure_cookies);
    let next = Next {
        next: crate::sessions::read_cookie(cookies, OIDC_NEXT_COOKIE, state.secure_cookies)
            .map(|v| {
                form_urlencoded::parse(format!("n={v}").as_bytes())
                    .map(|(_, v)| v.into_owned())
                    .collect()
            })
            .unwrap_or_default(),
    };
    let tokens = match oidc.finish(&callback.code, &callback.state, bound).await {
        Ok(tokens) => tokens,
        Err(error) => {
            // The sign-in is spent: the browser forgets it.
            let mut response = PageError::api(
                lang,
                hamafza_kit::ApiError::new(
                    hamafza_kit::ErrorCode::Unauthenticated,
                    "SIGN_IN_FAILED",
                    error.to_string(),
                ),
            )
            .into_response();
            forget_oidc_sign_in(&state, response.headers_mut());
            return Ok(response);
        }
    };
    let caller = state
        .verifier
        .verify(&tokens.access_token)
        .map_err(|e| PageError::api(lang, e))?;
    tracing::info!(subject = %caller.subject, "signed in through the identity provider");
    let name = caller.name.clone();
    let name = if name.chars().any(|c| ('\u{0600}'..='\u{06FF}').contains(&c)) {
        (name.as_str(), "")
    } else {
        ("", name.as_str())
    };
    record_in_directory(&state, &caller, name, tokens.email.clone()).await;
    let chosen = crate::pages::notifications::stored_language(&state, &tokens.access_token).await;
    end_earlier_session(&state, &viewer).await?;
    let id = state
        .sessions
        .create(tokens.access_token, Some(tokens.id_token))
        .await
        .map_err(|e| PageError::api(lang, e))?;
    let mut response = Redirect::to(next.target()).into_response();
    if let Some(chosen) = chosen {
        set_language_cookie(&state, chosen, &mut response);
    }
    let headers = response.headers_mut();
    let session = cookie(
        SESSION_COOKIE,
        &id,
        Some(state.sessions.ttl()),
        state.secure_cookies,
        true,
    );
    if let Ok(value) = session.parse() {
        headers.append(header::SET_COOKIE, value);
    }
    forget_oidc_sign_in(&state, headers);
    Ok(response)
}

/// Clears the cookies of a provider sign-in under way (it is used once).
fn forget_oidc_sign_in(state: &AppState, headers: &mut axum::http::HeaderMap) {
    for name in [OIDC_STATE_COOKIE, OIDC_NEXT_COOKIE] {
        let cleared = cookie(name, "", Some(Duration::ZERO), state.secure_cookies, true);
        if let Ok(value) = cleared.parse() {
            headers.append(header::SET_COOKIE, value);
        }
    }
}

/// The page that takes a signed-out browser on to the identity provider's
/// end-session `url` at once (a `Refresh`), with a link in case it does not.
fn signing_out_at_provider(lang: crate::i18n::Lang, url: &str) -> Response {
    let title = lang.pick("در حال خروج", "Signing out");
    let body = maud::html! {
        h1 { (title) }
        p { (lang.pick(
            "خروج از سامانهٔ ورود سازمان شما هم انجام می‌شود.",
            "You are being signed out of your organization's sign-in service too.",
        )) }
        p { a.button href=(url) { (lang.pick("ادامه", "Continue")) } }
    };
    let page = crate::pages::layout::page(&Viewer::anonymous(lang), title, body);
    let mut response = page.into_response();
    if let Ok(value) = format!("0; url={url}").parse() {
        response.headers_mut().insert(header::REFRESH, value);
    }
    response
}
