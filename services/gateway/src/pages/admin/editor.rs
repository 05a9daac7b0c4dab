//! One way the back office makes and changes a resource through a form.
//!
//! A resource (a course, a session, a program, an event, an organization)
//! says what is particular to it — how it is read, what its form holds, how
//! the form is sent and drawn — by implementing [`Editor`] (and [`Creator`]
//! when it has a page of its own for a new one). The handlers here do the
//! rest the same way for each:
//!
//! - a form that could not be sent (the gateway's own checks) or that the
//!   service refused is shown again with the values as posted, each problem
//!   beside its input, and status 422;
//! - a refusal the form cannot help with ([`is_fatal`]: the service is down,
//!   the caller may not) is shown as a page of its own (503, 403, …);
//! - an update refused for a stale etag shows the stored values and names
//!   the fields someone changed meanwhile (409);
//! - success redirects to the resource's page (303) with a flash.

use std::future::Future;

use crate::web::Query;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use hamafza_kit::ApiError;
use maud::{Markup, html};
use serde::de::DeserializeOwned;
use tonic::Status;

pub use super::Values;
use super::courses::CatalogStep;
use super::{Done, EditForm, Problems, Showing, admin, flash, posted, see_other};
use crate::AppState;
use crate::backends::AsCaller;
use crate::i18n::Lang;
use crate::pages::forms::first;
use crate::sessions::WebSession;
use crate::web::{PageError, Viewer};

/// Why a create or an update did not happen.
pub enum Refused {
    /// Problems the gateway found in the form; nothing was sent.
    Form(Problems),
    /// The service's refusal.
    Service(ApiError),
}

impl From<tonic::Status> for Refused {
    fn from(status: tonic::Status) -> Self {
        Self::Service(ApiError::from_status(&status))
    }
}

/// The update mask of a form that writes every field it shows: a form
/// names what it edits, so what it does not show is left as stored.
pub fn mask<'a>(paths: impl IntoIterator<Item = &'a str>) -> Option<prost_types::FieldMask> {
    Some(prost_types::FieldMask {
        paths: paths.into_iter().map(str::to_owned).collect(),
    })
}

/// Whether a refusal is one the form cannot help with, shown as a page of its
/// own rather than beside the form: no field is named, and the service is
/// unavailable, the caller is not who may do it, or the service failed.
pub fn is_fatal(error: &ApiError) -> bool {
    error.violations().is_empty()
        && matches!(
            error.code(),
            hamafza_kit::ErrorCode::Unavailable
                | hamafza_kit::ErrorCode::Unauthenticated
                | hamafza_kit::ErrorCode::PermissionDenied
                | hamafza_kit::ErrorCode::Internal
        )
}

/// A resource the back office edits at `{BASE}/{id}`, conditional on the etag
/// its form was drawn with.
pub trait Editor: Send + Sync + 'static {
    /// The resource as its service returns it.
    type Item: Send + Sync;
    /// Its fields as the form holds them (text, as typed).
    type Form: EditForm<Item = Self::Item> + Send + Sync;
    /// What the form offers to pick from (courses, organizations, people).
    type Choices: Send + Sync;

    /// Where its pages live (`/admin/programs`).
    const BASE: &'static str;

    /// The resource `id`, or the page saying why not (404, 503).
    fn get(
        caller: &AsCaller,
        lang: Lang,
        id: &str,
    ) -> impl Future<Output = Result<Self::Item, PageError>> + Send;

    /// What the form offers, for the resource `editing` (`None`: a new one):
    /// everything the stored resource holds among them, so that saving the
    /// form drops nothing; the first failure when it cannot all be read.
    fn choices(
        caller: &AsCaller,
        editing: Option<&Self::Item>,
    ) -> impl Future<Output = Result<Self::Choices, Status>> + Send;

    /// Sends the change of `id` the form holds, conditional on `etag`.
    fn update(
        caller: &AsCaller,
        lang: Lang,
        id: &str,
        etag: String,
        form: &Self::Form,
    ) -> impl Future<Output = Result<(), Refused>> + Send;

    /// A service's refusal as words beside the form's inputs.
    fn problems(lang: Lang, error: &ApiError, form: &Self::Form) -> Problems;

    /// The edit page of `item`, showing `shown`.
    fn edit_page(
        state: &AppState,
        viewer: &Viewer,
        web: &WebSession,
        item: &Self::Item,
        shown: Showing<'_, Self::Form>,
        choices: &Self::Choices,
    ) -> impl Future<Output = Markup> + Send;
}

/// A resource that also has a page of its own for a new one, `{BASE}/new`.
pub trait Creator: Editor {
    /// The address query of the new page (a course picked beforehand).
    type NewQuery: DeserializeOwned + Send + 'static;

    /// The form of a new one, as first shown.
    fn blank(lang: Lang, query: Self::NewQuery) -> Self::Form;

    /// Sends the new one the form holds; its id once made.
    fn create(
        caller: &AsCaller,
        lang: Lang,
        form: &Self::Form,
    ) -> impl Future<Output = Result<String, Refused>> + Send;

    /// A service's refusal of a new one as words beside the form's inputs
    /// (those only a new one has, too).
    fn create_problems(lang: Lang, error: &ApiError, form: &Self::Form) -> Problems {
        Self::problems(lang, error, form)
    }

    /// The page making a new one, showing `shown`.
    fn new_page(
        viewer: &Viewer,
        csrf: &str,
        shown: Showing<'_, Self::Form>,
        choices: &Self::Choices,
    ) -> Markup;
}

/// A new page's address query when it takes none.
#[derive(Debug, Default, serde::Deserialize)]
pub struct NoQuery {}

/// `{BASE}/{id}`, read and posted.
pub fn edit_routes<R: Editor>() -> Router<AppState> {
    Router::new().route(
        &format!("{}/{{id}}", R::BASE),
        get(edit_form::<R>).post(update::<R>),
    )
}

/// `{BASE}/new` and `{BASE}/{id}`, each read and posted.
pub fn routes<R: Creator>() -> Router<AppState> {
    edit_routes::<R>().route(
        &format!("{}/new", R::BASE),
        get(new_form::<R>).post(create::<R>),
    )
}

/// `{BASE}/new`, `{BASE}/{id}` and `{BASE}/{id}/{step}` of a catalog entry.
pub fn catalog_routes<R: Creator + CatalogEntry>() -> Router<AppState> {
    routes::<R>().route(&format!("{}/{{id}}/{{action}}", R::BASE), post(act::<R>))
}

/// `GET {BASE}/new`.
pub async fn new_form<R: Creator>(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(query): Query<R::NewQuery>,
) -> Result<Response, PageError> {
    let web = admin(&viewer)?;
    let caller = state.backends.as_caller(&web.token);
    let choices = R::choices(&caller, None)
        .await
        .map_err(|s| PageError::status(viewer.lang, s))?;
    let blank = R::blank(viewer.lang, query);
    let shown = Showing::first(&blank, html! {});
    Ok(new_page::<R>(&viewer, &web.csrf, shown, &choices))
}

fn new_page<R: Creator>(
    viewer: &Viewer,
    csrf: &str,
    shown: Showing<'_, R::Form>,
    choices: &R::Choices,
) -> Response {
    let status = shown.status;
    (status, R::new_page(viewer, csrf, shown, choices)).into_response()
}

/// `POST {BASE}/new`.
pub async fn create<R: Creator>(
    State(state): State<AppState>,
    viewer: Viewer,
    body: Bytes,
) -> Result<Response, PageError> {
    let lang = viewer.lang;
    let (web, values) = posted(&viewer, &body)?;
    let caller = state.backends.as_caller(&web.token);
    let form = R::Form::posted(&values);
    let problems = match R::create(&caller, lang, &form).await {
        Ok(id) => return Ok(see_other(&format!("{}/{id}?done=created", R::BASE))),
        Err(Refused::Form(problems)) => problems,
        Err(Refused::Service(error)) if is_fatal(&error) => {
            return Err(PageError::api(lang, error));
        }
        Err(Refused::Service(error)) => R::create_problems(lang, &error, &form),
    };
    let choices = R::choices(&caller, None)
        .await
        .map_err(|s| PageError::status(viewer.lang, s))?;
    let shown = Showing::problems(&form, problems);
    Ok(new_page::<R>(&viewer, &web.csrf, shown, &choices))
}

/// `GET {BASE}/{id}`.
pub async fn edit_form<R: Editor>(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    Query(done): Query<Done>,
) -> Result<Response, PageError> {
    let lang = viewer.lang;
    let web = admin(&viewer)?;
    let caller = state.backends.as_caller(&web.token);
    let item = R::get(&caller, lang, &id).await?;
    let choices = R::choices(&caller, Some(&item))
        .await
        .map_err(|s| PageError::status(lang, s))?;
    let stored = R::Form::stored(lang, &item);
    let shown = Showing::first(&stored, flash(lang, &done.done));
    Ok(edit_page::<R>(&state, &viewer, web, &item, shown, &choices).await)
}

/// The edit page of `item`, going out with the status `shown` holds.
pub async fn edit_page<R: Editor>(
    state: &AppState,
    viewer: &Viewer,
    web: &WebSession,
    item: &R::Item,
    shown: Showing<'_, R::Form>,
    choices: &R::Choices,
) -> Response {
    let status = shown.status;
    let page = R::edit_page(state, viewer, web, item, shown, choices).await;
    (status, page).into_response()
}

/// `POST {BASE}/{id}`: the update, conditional on the etag the form was
/// drawn with.
pub async fn update<R: Editor>(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, PageError> {
    let lang = viewer.lang;
    let (web, values) = posted(&viewer, &body)?;
    let caller = state.backends.as_caller(&web.token);
    let form = R::Form::posted(&values);
    let etag = first(&values, "etag").to_owned();
    let refused = match R::update(&caller, lang, &id, etag, &form).await {
        Ok(()) => return Ok(see_other(&format!("{}/{id}?done=saved", R::BASE))),
        Err(Refused::Service(error)) if is_fatal(&error) => {
            return Err(PageError::api(lang, error));
        }
        Err(refused) => refused,
    };
    // Read again: the stored values, and what the form offers now.
    let item = R::get(&caller, lang, &id).await?;
    let choices = R::choices(&caller, Some(&item))
        .await
        .map_err(|s| PageError::status(lang, s))?;
    let stored = R::Form::stored(lang, &item);
    let shown = match refused {
        Refused::Form(problems) => Showing::problems(&form, problems),
        Refused::Service(error) => Showing::refused(lang, &error, &stored, &form, || {
            R::problems(lang, &error, &form)
        }),
    };
    Ok(edit_page::<R>(&state, &viewer, web, &item, shown, &choices).await)
}

/// A course or program, moved along the council's road by
/// `POST {BASE}/{id}/{step}`.
pub trait CatalogEntry: Editor {
    /// Sends `step` for the entry `id`.
    fn step(
        caller: &AsCaller,
        step: CatalogStep,
        id: String,
    ) -> impl Future<Output = Result<(), Status>> + Send;
}

/// `POST {BASE}/{id}/{action}`: submit, publish or retire.
pub async fn act<R: CatalogEntry>(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((id, action)): Path<(String, String)>,
    body: Bytes,
) -> Result<Response, PageError> {
    let lang = viewer.lang;
    let (web, _) = posted(&viewer, &body)?;
    let step = CatalogStep::parse(lang, &action)?;
    R::step(&state.backends.as_caller(&web.token), step, id.clone())
        .await
        .map_err(|s| PageError::status(lang, s))?;
    Ok(see_other(&format!("{}/{id}?done={}", R::BASE, step.done())))
}
