//! The council's settings: how many approvals decide a review round.

use crate::web::Query;
use axum::Form;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use maud::html;
use serde::Deserialize;

use super::{Problems, admin, field, flash, frame, is_stale, number_input, see_other};
use crate::AppState;
use crate::i18n::instant;
use crate::web::{PageError, PageReply, Viewer, check_csrf};
use hamafza_kit::ApiError;
use hamafza_proto::courses as cpb;

/// After a change.
#[derive(Debug, Default, Deserialize)]
pub struct Done {
    /// What happened.
    #[serde(default)]
    pub done: String,
}

/// The settings form.
#[derive(Debug, Deserialize)]
pub struct SettingsForm {
    /// CSRF token.
    pub csrf: String,
    /// Approvals needed, as typed (Persian or Latin digits).
    pub required_approvals: String,
    /// The settings' etag when the form was shown.
    #[serde(default)]
    pub etag: String,
}

/// `GET /admin/council`.
pub async fn show(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(done): Query<Done>,
) -> Result<Response, PageError> {
    let lang = viewer.lang;
    let web = admin(&viewer)?;
    let settings = read(&state, &web.token, lang).await?;
    Ok(page(
        &viewer,
        &web.csrf,
        &settings,
        &Problems::default(),
        &done.done,
        None,
    )
    .into_response())
}

async fn read(
    state: &AppState,
    token: &str,
    lang: crate::i18n::Lang,
) -> Result<cpb::CouncilSettings, PageError> {
    Ok(state
        .backends
        .as_caller(token)
        .courses()
        .get_council_settings(cpb::GetCouncilSettingsRequest {})
        .await
        .page(lang)?
        .settings
        .unwrap_or_default())
}

fn page(
    viewer: &Viewer,
    csrf: &str,
    settings: &cpb::CouncilSettings,
    problems: &Problems,
    done: &str,
    typed: Option<&str>,
) -> maud::Markup {
    let lang = viewer.lang;
    let title = lang.pick("تنظیمات شورا", "Council settings");
    let value = typed.map_or_else(|| lang.num(settings.required_approvals), str::to_owned);
    frame(
        viewer,
        title,
        "/admin/council",
        html! {
            (flash(lang, done))
            (problems.summary(lang))
            p { (lang.pick(
                "شمار رأی موافقی که یک درس یا برنامه را در یک دور بررسی تصویب می‌کند. از رأی‌های بعدی به کار می‌رود؛ دورهای تصمیم‌گرفته همان می‌مانند.",
                "How many approvals approve a course or program in one review round. It applies to votes from now on; decided rounds stay decided."
            )) }
            @if let (Some(at), Some(by)) = (instant(settings.update_time.as_ref()), settings.updated_by.as_ref()) {
                p.muted { (lang.pick("آخرین تغییر: ", "Last changed: ")) (lang.date_time(at)) " — " (by.name) }
            }
            form method="post" action="/admin/council" {
                input type="hidden" name="csrf" value=(csrf);
                input type="hidden" name="etag" value=(settings.etag);
                (field(lang, "required_approvals", ("رأی موافق لازم (۱ تا ۲۰)", "Approvals needed (1–20)"), problems,
                    number_input("required_approvals", &value, problems)))
                button type="submit" { (lang.pick("ذخیره", "Save")) }
            }
        },
    )
}

/// `POST /admin/council`.
pub async fn save(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(form): Form<SettingsForm>,
) -> Result<Response, PageError> {
    let lang = viewer.lang;
    let web = admin(&viewer)?;
    check_csrf(&viewer, &form.csrf)?;
    let typed = hamafza_kit::jalali::latin_digits(form.required_approvals.trim());
    let Ok(required) = typed.parse::<u32>() else {
        let settings = read(&state, &web.token, lang).await?;
        let words = lang.pick("یک عدد بنویسید.", "Write a number.");
        return Ok(wrong_number(&viewer, &web.csrf, &settings, &form, words));
    };
    let result = state
        .backends
        .as_caller(&web.token)
        .courses()
        .update_council_settings(cpb::UpdateCouncilSettingsRequest {
            required_approvals: required,
            etag: form.etag.clone(),
        })
        .await;
    match result {
        Ok(_) => Ok(see_other("/admin/council?done=saved")),
        Err(status) => {
            let error = ApiError::from_status(&status);
            let settings = read(&state, &web.token, lang).await?;
            if is_stale(&error) {
                let mut problems = Problems::default();
                problems.add_general(lang.pick(
                    "کس دیگری در این فاصله تنظیمات را تغییر داد؛ مقدار ذخیره‌شده اکنون نشان داده می‌شود.",
                    "Someone else changed the settings meanwhile; the stored value is shown now.",
                ));
                return Ok((
                    axum::http::StatusCode::CONFLICT,
                    page(&viewer, &web.csrf, &settings, &problems, "", None),
                )
                    .into_response());
            }
            if error.violations().is_empty() {
                return Err(PageError::api(lang, error));
            }
            let words = lang.pick("عددی از ۱ تا ۲۰ بنویسید.", "Write a number from 1 to 20.");
            Ok(wrong_number(&viewer, &web.csrf, &settings, &form, words))
        }
    }
}

/// The page again (400) with the number as typed and `words` beside it.
fn wrong_number(
    viewer: &Viewer,
    csrf: &str,
    settings: &cpb::CouncilSettings,
    form: &SettingsForm,
    words: &str,
) -> Response {
    let mut problems = Problems::default();
    problems.add("required_approvals", words);
    let typed = Some(form.required_approvals.as_str());
    let page = page(viewer, csrf, settings, &problems, "", typed);
    (axum::http::StatusCode::BAD_REQUEST, page).into_response()
}
