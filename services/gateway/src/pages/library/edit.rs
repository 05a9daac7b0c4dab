//! Drafting and editing an item: one form for the texts, kind and tags, with
//! a file to attach (multipart). The library service checks everything; a
//! refusal comes back as the form with its problems, in the viewer's words.

use axum::extract::{Multipart, Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use hamafza_kit::ApiError;
use maud::{Markup, html};

use super::{KINDS, TAGS, kind_name, tag_name};
use crate::AppState;
use crate::i18n::Lang;
use crate::pages::forms::multipart_parts;
use crate::pages::layout::page;
use crate::web::{PageError, Viewer, check_csrf};
use hamafza_proto::common::LocalizedText;
use hamafza_proto::library as lpb;
use hamafza_proto::library::ItemKind;

/// What the form holds.
#[derive(Debug, Default)]
struct Form {
    csrf: String,
    /// A new item's client request id (see `CreateItem`).
    request_id: String,
    draft: lpb::ItemDraft,
    file_name: String,
    file: Vec<u8>,
}

impl Form {
    async fn read(multipart: &mut Multipart, lang: Lang) -> Result<Self, PageError> {
        let mut form = Form::default();
        let (mut title, mut summary) = (LocalizedText::default(), LocalizedText::default());
        for part in multipart_parts(multipart, lang).await? {
            let text = || part.text();
            match part.name.as_str() {
                "csrf" => form.csrf = text(),
                "request_id" => form.request_id = text(),
                "kind" => form.draft.kind = text().parse().unwrap_or(0),
                "title_fa" => title.fa = text(),
                "title_en" => title.en = text(),
                "summary_fa" => summary.fa = text(),
                "summary_en" => summary.en = text(),
                "tag" => form.draft.tags.push(text().parse().unwrap_or(0)),
                "file" => {
                    form.file_name = part.file_name.clone().unwrap_or_default();
                    form.file = part.bytes.to_vec();
                }
                _ => {}
            }
        }
        form.draft.title = Some(title);
        form.draft.summary = Some(summary);
        Ok(form)
    }
}

/// A form field's name in the viewer's words.
fn field_label(lang: Lang, field: &str) -> &'static str {
    match field {
        f if f.starts_with("draft.kind") => lang.pick("نوع", "Kind"),
        f if f.starts_with("draft.title.fa") => lang.pick("عنوان فارسی", "Persian title"),
        f if f.starts_with("draft.title") => lang.pick("عنوان انگلیسی", "English title"),
        f if f.starts_with("draft.summary.fa") => lang.pick("خلاصهٔ فارسی", "Persian summary"),
        f if f.starts_with("draft.summary") => lang.pick("خلاصهٔ انگلیسی", "English summary"),
        f if f.starts_with("draft.tags") => lang.pick("موضوع‌ها", "Topics"),
        "content" => lang.pick("فایل", "File"),
        _ => lang.pick("فرم", "Form"),
    }
}

/// What went wrong, in the viewer's words: the refusal by reason, and the
/// fields a bad request named.
fn problems(lang: Lang, status: &tonic::Status) -> Vec<String> {
    let error = ApiError::from_status(status);
    let mut said = vec![crate::i18n::refusal(lang, &error).to_owned()];
    let mut fields: Vec<&str> = error
        .violations()
        .iter()
        .map(|v| field_label(lang, &v.field))
        .collect();
    fields.dedup();
    if !fields.is_empty() && error.reason() == "INVALID_ARGUMENT" {
        said.push(format!(
            "{}{}",
            lang.pick("بررسی کنید: ", "Check: "),
            fields.join(lang.pick("، ", ", "))
        ));
    }
    said
}

/// The form posting to `action`; a new item's carries `request_id`.
fn form_page(
    viewer: &Viewer,
    csrf: &str,
    action: &str,
    request_id: &str,
    draft: &lpb::ItemDraft,
    max_bytes: usize,
    problems: &[String],
) -> Markup {
    let lang = viewer.lang;
    let title = if action == "/library/new" {
        lang.pick("نوشتن مورد تازه برای کتابخانه", "A new library item")
    } else {
        lang.pick("ویرایش مورد کتابخانه", "Edit a library item")
    };
    let text = |t: &Option<LocalizedText>, fa: bool| {
        t.as_ref().map_or_else(
            String::new,
            |t| if fa { t.fa.clone() } else { t.en.clone() },
        )
    };
    let megabytes = max_bytes / (1024 * 1024);
    page(
        viewer,
        title,
        html! {
            p { a href="/library" { (lang.pick("کتابخانهٔ تجربه‌ها", "Practice library")) } }
            h1 { (title) }
            @if !problems.is_empty() {
                div.error role="alert" { @for problem in problems { p { (problem) } } }
            }
            form method="post" action=(action) enctype="multipart/form-data" {
                input type="hidden" name="csrf" value=(csrf);
                @if !request_id.is_empty() {
                    input type="hidden" name="request_id" value=(request_id);
                }
                p {
                    label for="item-kind" { (lang.pick("نوع", "Kind")) }
                    select id="item-kind" name="kind" required {
                        @for kind in KINDS {
                            option value=((kind as i32).to_string()) selected[draft.kind == kind as i32] { (kind_name(lang, kind)) }
                        }
                    }
                }
                p {
                    label for="item-title-fa" { (lang.pick("عنوان فارسی", "Persian title")) }
                    input id="item-title-fa" name="title_fa" lang="fa" dir="rtl" required maxlength="200" value=(text(&draft.title, true));
                }
                p {
                    label for="item-title-en" { (lang.pick("عنوان انگلیسی (اختیاری)", "English title (optional)")) }
                    input id="item-title-en" name="title_en" lang="en" dir="ltr" maxlength="200" value=(text(&draft.title, false));
                }
                p {
                    label for="item-summary-fa" { (lang.pick("خلاصهٔ فارسی", "Persian summary")) }
                    textarea id="item-summary-fa" name="summary_fa" lang="fa" dir="rtl" required maxlength="4000" rows="5" { (text(&draft.summary, true)) }
                }
                p {
                    label for="item-summary-en" { (lang.pick("خلاصهٔ انگلیسی (اختیاری)", "English summary (optional)")) }
                    textarea id="item-summary-en" name="summary_en" lang="en" dir="ltr" maxlength="4000" rows="5" { (text(&draft.summary, false)) }
                }
                fieldset {
                    legend { (lang.pick("موضوع‌ها", "Topics")) }
                    @for tag in TAGS {
                        @let id = format!("item-tag-{}", tag as i32);
                        label for=(id) {
                            input id=(id) type="checkbox" name="tag" value=((tag as i32).to_string()) checked[draft.tags.contains(&(tag as i32))];
                            " " (tag_name(lang, tag))
                        }
                        " "
                    }
                }
                p {
                    label for="item-file" { (lang.pick("پیوست یک فایل (اختیاری)", "Attach a file (optional)")) }
                    input id="item-file" type="file" name="file" accept=".pdf,.png,.jpg,.jpeg,.pptx,.docx,.xlsx,.zip";
                    br;
                    span.muted {
                        (lang.pick("PDF، PNG، JPEG، PPTX، DOCX، XLSX یا ZIP؛ حداکثر ", "PDF, PNG, JPEG, PPTX, DOCX, XLSX or ZIP; at most "))
                        (lang.num(megabytes)) (lang.pick(" مگابایت.", " MB."))
                    }
                }
                button type="submit" { (lang.pick("ذخیرهٔ پیش‌نویس", "Save the draft")) }
            }
        },
    )
}

/// `GET /library/new`.
pub async fn new_form(State(state): State<AppState>, viewer: Viewer) -> Result<Markup, PageError> {
    let web = viewer.require()?;
    let draft = lpb::ItemDraft {
        kind: ItemKind::CaseStudy as i32,
        ..Default::default()
    };
    Ok(form_page(
        &viewer,
        &web.csrf,
        "/library/new",
        &crate::pages::admin::new_request_id(),
        &draft,
        state.backends.library_max_file_bytes,
        &[],
    ))
}

/// `GET /library/{id}/edit`.
pub async fn edit_form(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Markup, PageError> {
    let lang = viewer.lang;
    let web = viewer.require()?;
    let item = super::item_of(&state, &web.token, lang, &id).await?;
    let draft = lpb::ItemDraft {
        kind: item.kind,
        title: item.title,
        summary: item.summary,
        tags: item.tags,
        course_id: item.course_id,
        event_id: item.event_id,
    };
    Ok(form_page(
        &viewer,
        &web.csrf,
        &format!("/library/{id}/edit"),
        "",
        &draft,
        state.backends.library_max_file_bytes,
        &[],
    ))
}

/// `POST /library/new`: the draft, then its file if one came.
pub async fn create(
    State(state): State<AppState>,
    viewer: Viewer,
    mut multipart: Multipart,
) -> Result<Response, PageError> {
    let lang = viewer.lang;
    let web = viewer.require()?;
    let form = Form::read(&mut multipart, lang).await?;
    check_csrf(&viewer, &form.csrf)?;
    let mut library = state.backends.as_caller(&web.token).library();
    let max = state.backends.library_max_file_bytes;
    let created = match library
        .create_item(lpb::CreateItemRequest {
            draft: Some(form.draft.clone()),
            request_id: form.request_id.clone(),
        })
        .await
    {
        Ok(reply) => reply.into_inner().item.unwrap_or_default(),
        Err(status) => {
            let said = problems(lang, &status);
            return Ok(refused(form_page(
                &viewer,
                &web.csrf,
                "/library/new",
                &form.request_id,
                &form.draft,
                max,
                &said,
            )));
        }
    };
    finish(&state, &viewer, &web.token, &web.csrf, created.id, form).await
}

/// `POST /library/{id}/edit`: the new texts, then a file if one came.
pub async fn update(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    mut multipart: Multipart,
) -> Result<Response, PageError> {
    let lang = viewer.lang;
    let web = viewer.require()?;
    let form = Form::read(&mut multipart, lang).await?;
    check_csrf(&viewer, &form.csrf)?;
    let max = state.backends.library_max_file_bytes;
    if let Err(status) = state
        .backends
        .as_caller(&web.token)
        .library()
        .update_item(lpb::UpdateItemRequest {
            item_id: id.clone(),
            draft: Some(form.draft.clone()),
        })
        .await
    {
        let said = problems(lang, &status);
        return Ok(refused(form_page(
            &viewer,
            &web.csrf,
            &format!("/library/{id}/edit"),
            "",
            &form.draft,
            max,
            &said,
        )));
    }
    finish(&state, &viewer, &web.token, &web.csrf, id, form).await
}

/// Attaches the form's file, if any, to the saved item; a refused file
/// shows the edit form with the reason (the texts are saved).
async fn finish(
    state: &AppState,
    viewer: &Viewer,
    token: &str,
    csrf: &str,
    id: String,
    form: Form,
) -> Result<Response, PageError> {
    if (!form.file.is_empty() || !form.file_name.is_empty())
        && let Err(status) = state
            .backends
            .as_caller(token)
            .library()
            .attach_file(lpb::AttachFileRequest {
                item_id: id.clone(),
                name: form.file_name,
                content: form.file,
            })
            .await
    {
        let said = problems(viewer.lang, &status);
        let max = state.backends.library_max_file_bytes;
        return Ok(refused(form_page(
            viewer,
            csrf,
            &format!("/library/{id}/edit"),
            "",
            &form.draft,
            max,
            &said,
        )));
    }
    Ok(Redirect::to(&format!("/library/{id}")).into_response())
}

fn refused(markup: Markup) -> Response {
    (axum::http::StatusCode::UNPROCESSABLE_ENTITY, markup).into_response()
}
