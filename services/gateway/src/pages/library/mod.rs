//! The shared library of PR practice: what the member companies publish for
//! each other. The list with search and a tag filter, an item's page with
//! its files (downloaded through here, streamed, never from the store), the
//! form to draft and edit with uploads (`edit`), and the council's and
//! admins' approval queue. Every rule is the library service's: pages call
//! it with the person's own token.

pub mod edit;
pub mod stats;

use std::collections::HashMap;

use crate::web::Query;
use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use futures::StreamExt;
use hamafza_kit::ApiError;
use hamafza_kit::auth::Role;
use maud::{Markup, html};
use serde::Deserialize;

use super::forms::{first, form_values, urlencode};
use super::layout::{page, pager};
use crate::AppState;
use crate::i18n::{Lang, instant};
use crate::web::{PageError, PageReply, Viewer, check_csrf, wants_html};
use hamafza_proto::library as lpb;
use hamafza_proto::library::{ItemKind, ItemState, Tag};

/// The kinds, in the order forms list them.
pub const KINDS: [ItemKind; 5] = [
    ItemKind::CaseStudy,
    ItemKind::CampaignReport,
    ItemKind::MediaKit,
    ItemKind::ExhibitionPostMortem,
    ItemKind::SessionMaterial,
];

/// The tags, in the order forms list them.
pub const TAGS: [Tag; 5] = [
    Tag::MediaRelations,
    Tag::Crisis,
    Tag::SocialResponsibility,
    Tag::Exhibitions,
    Tag::Digital,
];

/// A kind's name.
pub fn kind_name(lang: Lang, kind: ItemKind) -> &'static str {
    match kind {
        ItemKind::CaseStudy => lang.pick("مطالعهٔ موردی", "Case study"),
        ItemKind::CampaignReport => lang.pick("گزارش کارزار", "Campaign report"),
        ItemKind::MediaKit => lang.pick("بستهٔ رسانه‌ای", "Media kit"),
        ItemKind::ExhibitionPostMortem => lang.pick("درس‌های نمایشگاه", "Exhibition post-mortem"),
        ItemKind::SessionMaterial => lang.pick("محتوای جلسهٔ آموزشی", "Session material"),
        ItemKind::Unspecified => "—",
    }
}

/// A tag's name.
pub fn tag_name(lang: Lang, tag: Tag) -> &'static str {
    match tag {
        Tag::MediaRelations => lang.pick("روابط رسانه‌ای", "Media relations"),
        Tag::Crisis => lang.pick("مدیریت بحران", "Crisis"),
        Tag::SocialResponsibility => lang.pick("مسئولیت اجتماعی", "Social responsibility"),
        Tag::Exhibitions => lang.pick("نمایشگاه‌ها", "Exhibitions"),
        Tag::Digital => lang.pick("دیجیتال", "Digital"),
        Tag::Unspecified => "—",
    }
}

/// A state's name.
pub fn state_name(lang: Lang, state: ItemState) -> &'static str {
    match state {
        ItemState::Draft => lang.pick("پیش‌نویس", "Draft"),
        ItemState::Submitted => lang.pick("در انتظار تأیید", "Awaiting approval"),
        ItemState::Approved => lang.pick("منتشرشده", "Published"),
        ItemState::Returned => lang.pick("برگشت‌خورده", "Returned"),
        ItemState::Unspecified => "—",
    }
}

/// Company names by id, as the person sees them (ids when courses is out
/// of reach).
async fn company_names(state: &AppState, token: &str, lang: Lang) -> HashMap<String, String> {
    super::lookup::organizations(state, token)
        .await
        .into_iter()
        .map(|o| (o.id.clone(), lang.text(o.name.as_ref()).to_owned()))
        .collect()
}

fn company<'a>(names: &'a HashMap<String, String>, id: &'a str) -> &'a str {
    names.get(id).map_or(id, String::as_str)
}

/// The list's filters.
#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    /// Text to find.
    #[serde(default)]
    pub q: String,
    /// A tag's number; empty for all.
    #[serde(default)]
    pub tag: String,
    /// The page to show (a page token; empty for the first).
    #[serde(default)]
    pub page: String,
}

/// `GET /library`: what the person may see, found by text and tag.
pub async fn list(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(query): Query<ListQuery>,
) -> Result<Markup, PageError> {
    let lang = viewer.lang;
    let web = viewer.require()?;
    let tag = query
        .tag
        .parse::<i32>()
        .ok()
        .and_then(|n| Tag::try_from(n).ok())
        .filter(|t| TAGS.contains(t));
    let request = |page_token: &str| lpb::ListItemsRequest {
        page_size: 50,
        page_token: page_token.to_owned(),
        text: query.q.chars().take(200).collect(),
        tag: tag.map_or(0, |t| t as i32),
        ..Default::default()
    };
    let caller = state.backends.as_caller(&web.token);
    let (shown, reply) = super::lookup::page_or_first(&query.page, |page_token| {
        let request = request(&page_token);
        let caller = &caller;
        async move { Ok(caller.library().list_items(request).await?.into_inner()) }
    })
    .await
    .map_err(|s| PageError::status(lang, s))?;
    let items = reply.items;
    let page_of = |token: &str| {
        format!(
            "/library?q={}&tag={}&page={}",
            urlencode(&query.q),
            urlencode(&query.tag),
            urlencode(token)
        )
    };
    let names = company_names(&state, &web.token, lang).await;
    let title = lang.pick("کتابخانهٔ تجربه‌ها", "Practice library");
    Ok(page(
        &viewer,
        title,
        html! {
            h1 { (title) }
            p.muted {
                (lang.pick(
                    "مطالعه‌های موردی، گزارش کارزارها، بسته‌های رسانه‌ای و درس‌های نمایشگاه‌ها که شرکت‌ها برای یکدیگر منتشر می‌کنند.",
                    "Case studies, campaign reports, media kits and exhibition lessons the companies publish for each other."
                ))
            }
            p {
                a href="/library/new" { (lang.pick("نوشتن مورد تازه", "Write a new item")) }
                @if viewer.holds(Role::Council) || viewer.holds(Role::PlatformAdmin) {
                    " · " a href="/library/queue" { (lang.pick("صف تأیید", "Approval queue")) }
                }
            }
            form.filters method="get" action="/library" role="search" {
                label for="library-q" { (lang.pick("جست‌وجو", "Search")) }
                input id="library-q" type="search" name="q" value=(query.q);
                label for="library-tag" { (lang.pick("موضوع", "Topic")) }
                select id="library-tag" name="tag" {
                    option value="" selected[tag.is_none()] { (lang.pick("همه موضوع‌ها", "All topics")) }
                    @for t in TAGS {
                        option value=((t as i32).to_string()) selected[tag == Some(t)] { (tag_name(lang, t)) }
                    }
                }
                button type="submit" { (lang.pick("نمایش", "Show")) }
            }
            @if items.is_empty() {
                p.muted { (lang.pick("موردی پیدا نشد.", "Nothing found.")) }
            }
            div.cards {
                @for item in &items { (card(lang, item, &names)) }
            }
            (pager(lang, shown, &reply.next_page_token, page_of))
        },
    ))
}

/// One item in a list.
fn card(lang: Lang, item: &lpb::Item, names: &HashMap<String, String>) -> Markup {
    html! {
        div.card {
            h2 { a href=(format!("/library/{}", item.id)) { (lang.text(item.title.as_ref())) } }
            p.muted {
                (kind_name(lang, item.kind())) " · " (company(names, &item.organization_id))
                @if let Some(at) = instant(item.create_time.as_ref()) { " · " (lang.date(at)) }
                @if item.state() != ItemState::Approved {
                    " " span.badge { (state_name(lang, item.state())) }
                }
            }
            p { (lang.text(item.summary.as_ref())) }
            p.tags {
                @for tag in item.tags() { span.badge { (tag_name(lang, tag)) } " " }
                (lang.count(i64::try_from(item.files.len()).unwrap_or(0))) " " (lang.pick("فایل", "files"))
            }
        }
    }
}

/// `GET /library/queue`: submitted items, for council members and admins.
pub async fn queue(State(state): State<AppState>, viewer: Viewer) -> Result<Markup, PageError> {
    let lang = viewer.lang;
    let web = viewer.require()?;
    if !(viewer.holds(Role::Council) || viewer.holds(Role::PlatformAdmin)) {
        return Err(PageError::api(
            lang,
            ApiError::permission_denied("the queue is for council members and admins"),
        ));
    }
    let caller = state.backends.as_caller(&web.token);
    let caller = &caller;
    let items = super::lookup::every_page(|page_token| {
        let request = lpb::ListItemsRequest {
            page_size: 200,
            page_token,
            state: ItemState::Submitted as i32,
            ..Default::default()
        };
        async move {
            let reply = caller.library().list_items(request).await?.into_inner();
            Ok((reply.items, reply.next_page_token))
        }
    })
    .await
    .map_err(|s| PageError::status(lang, s))?;
    let names = company_names(&state, &web.token, lang).await;
    let title = lang.pick("صف تأیید کتابخانه", "Library approval queue");
    Ok(page(
        &viewer,
        title,
        html! {
            h1 { (title) }
            @if items.is_empty() {
                p.muted { (lang.pick("موردی در انتظار تأیید نیست.", "Nothing is waiting for approval.")) }
            }
            div.cards { @for item in &items { (card(lang, item, &names)) } }
        },
    ))
}

async fn item_of(
    state: &AppState,
    token: &str,
    lang: Lang,
    id: &str,
) -> Result<lpb::Item, PageError> {
    state
        .backends
        .as_caller(token)
        .library()
        .get_item(lpb::GetItemRequest {
            item_id: id.to_owned(),
        })
        .await
        .page(lang)?
        .item
        .ok_or_else(|| PageError::api(lang, ApiError::not_found("item", id)))
}

/// `GET /library/{id}`: an item, its files, and what the person may do.
pub async fn show(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Markup, PageError> {
    let lang = viewer.lang;
    let web = viewer.require()?;
    let item = item_of(&state, &web.token, lang, &id).await?;
    let names = company_names(&state, &web.token, lang).await;
    let title = lang.text(item.title.as_ref()).to_owned();
    let reviewer = viewer.holds(Role::Council) || viewer.holds(Role::PlatformAdmin);
    let action = |verb: &str| format!("/library/{}/{verb}", item.id);
    Ok(page(
        &viewer,
        &title,
        html! {
            p { a href="/library" { (lang.pick("کتابخانهٔ تجربه‌ها", "Practice library")) } }
            h1 { (title) }
            p.muted {
                // Names may be in the other script: isolated, so a Persian
                // name does not pull an English date into its run.
                (kind_name(lang, item.kind())) " · " bdi { (company(&names, &item.organization_id)) }
                @if !item.author_name.is_empty() { " · " bdi { (item.author_name) } }
                @if let Some(at) = instant(item.approve_time.as_ref()).or_else(|| instant(item.create_time.as_ref())) {
                    " · " (lang.date(at))
                }
                " " span.badge { (state_name(lang, item.state())) }
            }
            @if item.state() == ItemState::Returned && !item.return_reason.is_empty() {
                p.error role="status" { (lang.pick("دلیل برگشت: ", "Returned because: ")) (item.return_reason) }
            }
            p { (lang.text(item.summary.as_ref())) }
            @if lang == Lang::Fa && item.summary.as_ref().is_some_and(|s| !s.en.is_empty()) {
                p lang="en" dir="ltr" { (item.summary.as_ref().map_or("", |s| s.en.as_str())) }
            }
            p.tags { @for tag in item.tags() { span.badge { (tag_name(lang, tag)) } " " } }
            h2 { (lang.pick("فایل‌ها", "Files")) }
            @if item.files.is_empty() {
                p.muted { (lang.pick("فایلی پیوست نشده است.", "No files attached.")) }
            }
            ul {
                @for file in &item.files {
                    li {
                        a href=(format!("/library/{}/files/{}", item.id, file.id)) download { (file.name) }
                        " " span.muted {
                            "(" (size(lang, file.size_bytes)) " · "
                            (lang.count(file.download_count)) " " (lang.pick("بار دریافت", "downloads")) ")"
                        }
                    }
                }
            }
            @if item.editable {
                h2 { (lang.pick("کارهای این پیش‌نویس", "This draft")) }
                p { a href=(action("edit")) { (lang.pick("ویرایش و افزودن فایل", "Edit and add files")) } }
                form.inline method="post" action=(action("submit")) {
                    input type="hidden" name="csrf" value=(web.csrf);
                    button type="submit" { (lang.pick("فرستادن برای تأیید", "Send for approval")) }
                }
            }
            @if reviewer && item.state() == ItemState::Submitted {
                h2 { (lang.pick("تصمیم شورا", "Decision")) }
                form.inline method="post" action=(action("approve")) {
                    input type="hidden" name="csrf" value=(web.csrf);
                    button type="submit" { (lang.pick("تأیید و انتشار برای همه شرکت‌ها", "Approve for every company")) }
                }
                form method="post" action=(action("return")) {
                    input type="hidden" name="csrf" value=(web.csrf);
                    label for="return-reason" { (lang.pick("دلیل برگشت", "Reason for returning")) }
                    textarea id="return-reason" name="reason" required maxlength="500" rows="3" {}
                    button.secondary type="submit" { (lang.pick("برگرداندن به شرکت", "Return to the company")) }
                }
            }
        },
    ))
}

/// A size in KB or MB, in the viewer's words and digits.
fn size(lang: Lang, bytes: i64) -> String {
    if bytes >= 1024 * 1024 {
        let megabytes = format!("{:.1}", bytes as f64 / (1024.0 * 1024.0));
        format!("{} {}", lang.num(megabytes), lang.pick("مگابایت", "MB"))
    } else {
        format!(
            "{} {}",
            lang.count((bytes + 1023) / 1024),
            lang.pick("کیلوبایت", "KB")
        )
    }
}

/// `POST /library/{id}/{verb}`: submit, approve or return (with a reason).
pub async fn act(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((id, verb)): Path<(String, String)>,
    body: Bytes,
) -> Result<Response, PageError> {
    let lang = viewer.lang;
    let web = viewer.require()?;
    let form = form_values(&body);
    check_csrf(&viewer, first(&form, "csrf"))?;
    let mut library = state.backends.as_caller(&web.token).library();
    let item_id = id.clone();
    let done = match verb.as_str() {
        "submit" => library
            .submit_item(lpb::SubmitItemRequest { item_id })
            .await
            .map(|_| ()),
        "approve" => library
            .approve_item(lpb::ApproveItemRequest { item_id })
            .await
            .map(|_| ()),
        "return" => library
            .return_item(lpb::ReturnItemRequest {
                item_id,
                reason: first(&form, "reason").to_owned(),
            })
            .await
            .map(|_| ()),
        _ => return Err(PageError::api(lang, ApiError::not_found("page", verb))),
    };
    done.map_err(|s| PageError::status(lang, s))?;
    Ok(Redirect::to(&format!("/library/{id}")).into_response())
}

/// `filename*` of a `Content-Disposition` (RFC 5987): UTF-8, percent-encoded.
fn disposition(name: &str) -> String {
    let ascii: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect();
    let mut encoded = String::new();
    for byte in name.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'.' | b'-' | b'_' | b'~') {
            encoded.push(char::from(byte));
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")
}

/// `GET /library/{id}/files/{file}`: the file, streamed from the library
/// service, for those it allows; signed out, a browser goes to sign in and
/// any other client gets 401.
pub async fn download(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
    Path((id, file_id)): Path<(String, String)>,
) -> Result<Response, PageError> {
    let lang = viewer.lang;
    let Some(token) = viewer.token() else {
        return Err(if wants_html(&headers) {
            PageError::SignIn
        } else {
            PageError::api(lang, ApiError::unauthenticated("sign in to download"))
        });
    };
    let mut stream = state
        .backends
        .as_caller(token)
        .library()
        .download_file(lpb::DownloadFileRequest {
            item_id: id,
            file_id,
        })
        .await
        .page(lang)?;
    // The first message names the file: a refusal is a page, not a cut-off
    // download.
    let first = stream
        .message()
        .await
        .map_err(|s| PageError::status(lang, s))?
        .and_then(|m| m.file.map(|f| (f, m.chunk)))
        .ok_or_else(|| PageError::api(lang, ApiError::unavailable("the library sent no file")))?;
    let (file, chunk) = first;
    let rest = stream.map(|message| {
        message
            .map(|m| Bytes::from(m.chunk))
            .map_err(|status| std::io::Error::other(status.message().to_owned()))
    });
    let body = futures::stream::once(async move { Ok(Bytes::from(chunk)) }).chain(rest);
    Ok((
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, file.content_type.clone()),
            (header::CONTENT_LENGTH, file.size_bytes.to_string()),
            (header::CONTENT_DISPOSITION, disposition(&file.name)),
            (header::CACHE_CONTROL, "private, no-store".to_owned()),
        ],
        Body::from_stream(body),
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn persian_file_names_survive_the_header() {
        assert_eq!(
            disposition("گزارش 1.pdf"),
            "attachment; filename=\"______1.pdf\"; filename*=UTF-8''%DA%AF%D8%B2%D8%A7%D8%B1%D8%B4%201.pdf"
        );
    }
}
