//! The wire and the rows: an `ItemDraft` checked into columns, a row and its
//! files back into an `Item`.

use hamafza_kit::auth::Caller;
use hamafza_kit::text::{plain, search_key_of, single_line};
use hamafza_kit::{ApiError, Violations, time};
use hamafza_proto::common::LocalizedText;
use hamafza_proto::library as pb;
use hamafza_proto::library::{ItemKind, ItemState, Tag};
use uuid::Uuid;

use crate::domain::{can_edit, tag_words, tags_column, tags_of};
use crate::store::entities::{file, item};
use crate::store::queries::state;

const TITLE_CHARS: usize = 200;
const SUMMARY_CHARS: usize = 4000;

/// A checked draft: the columns it sets.
#[derive(Debug, Clone)]
pub struct Checked {
    pub kind: i32,
    pub title_fa: String,
    pub title_en: String,
    pub summary_fa: String,
    pub summary_en: String,
    pub tags: Vec<Tag>,
    pub course_id: Option<Uuid>,
    pub event_id: Option<Uuid>,
}

impl Checked {
    /// Writes these columns (and the search key) into `row`.
    pub fn apply(self, row: &mut item::Model) {
        let mut parts = vec![
            self.title_fa.as_str(),
            self.title_en.as_str(),
            self.summary_fa.as_str(),
            self.summary_en.as_str(),
        ];
        for tag in &self.tags {
            let (fa, en) = tag_words(*tag);
            parts.push(fa);
            parts.push(en);
        }
        row.search_key = search_key_of(&parts);
        row.kind = self.kind;
        row.tags = tags_column(&self.tags);
        row.title_fa = self.title_fa;
        row.title_en = self.title_en;
        row.summary_fa = self.summary_fa;
        row.summary_en = self.summary_en;
        row.course_id = self.course_id;
        row.event_id = self.event_id;
    }
}

fn optional_id(v: &mut Violations, field: &str, value: &str) -> Option<Uuid> {
    let value = value.trim();
    if value.is_empty() {
        return None;
    }
    v.take(
        field,
        Uuid::parse_str(value).map_err(|_| "is not a valid id"),
    )
}

/// Checks a draft, naming every bad field.
pub fn check_draft(draft: Option<pb::ItemDraft>) -> Result<Checked, ApiError> {
    let Some(draft) = draft else {
        return Err(ApiError::invalid_field("draft", "is required"));
    };
    let mut v = Violations::new();
    let kind = ItemKind::try_from(draft.kind).unwrap_or_default();
    if kind == ItemKind::Unspecified {
        v.add("draft.kind", "must be a known kind of item");
    }
    let title = draft.title.unwrap_or_default();
    let summary = draft.summary.unwrap_or_default();
    let title_fa = v.take("draft.title.fa", single_line(&title.fa, TITLE_CHARS));
    let title_en = v.take("draft.title.en", single_line(&title.en, TITLE_CHARS));
    if title_fa.as_deref().is_some_and(str::is_empty) {
        v.add("draft.title.fa", "is required");
    }
    let summary_fa = v.take("draft.summary.fa", plain(&summary.fa, SUMMARY_CHARS));
    let summary_en = v.take("draft.summary.en", plain(&summary.en, SUMMARY_CHARS));
    if summary_fa.as_deref().is_some_and(str::is_empty) {
        v.add("draft.summary.fa", "is required");
    }
    let mut tags = Vec::new();
    for (index, number) in draft.tags.iter().enumerate() {
        match Tag::try_from(*number) {
            Ok(Tag::Unspecified) | Err(_) => {
                v.add(format!("draft.tags[{index}]"), "must be a known tag");
            }
            Ok(tag) if tags.contains(&tag) => {
                v.add(format!("draft.tags[{index}]"), "is repeated");
            }
            Ok(tag) => tags.push(tag),
        }
    }
    if draft.tags.is_empty() {
        v.add("draft.tags", "at least one tag is required");
    }
    let course_id = optional_id(&mut v, "draft.course_id", &draft.course_id);
    let event_id = optional_id(&mut v, "draft.event_id", &draft.event_id);
    v.finish()?;
    Ok(Checked {
        kind: kind as i32,
        title_fa: title_fa.unwrap_or_default(),
        title_en: title_en.unwrap_or_default(),
        summary_fa: summary_fa.unwrap_or_default(),
        summary_en: summary_en.unwrap_or_default(),
        tags,
        course_id,
        event_id,
    })
}

/// The wire state of a stored one.
pub fn wire_state(stored: &str) -> ItemState {
    match stored {
        state::DRAFT => ItemState::Draft,
        state::SUBMITTED => ItemState::Submitted,
        state::APPROVED => ItemState::Approved,
        state::RETURNED => ItemState::Returned,
        _ => ItemState::Unspecified,
    }
}

/// The stored state of a wire one (`None` for unspecified).
pub fn stored_state(wire: ItemState) -> Option<&'static str> {
    match wire {
        ItemState::Draft => Some(state::DRAFT),
        ItemState::Submitted => Some(state::SUBMITTED),
        ItemState::Approved => Some(state::APPROVED),
        ItemState::Returned => Some(state::RETURNED),
        ItemState::Unspecified => None,
    }
}

/// A file on the wire.
pub fn wire_file(row: &file::Model, downloads: i64) -> pb::ItemFile {
    pb::ItemFile {
        id: row.id.to_string(),
        name: row.name.clone(),
        content_type: row.content_type.clone(),
        size_bytes: row.size_bytes,
        create_time: Some(time::to_timestamp(row.created_at)),
        download_count: downloads,
    }
}

/// An item on the wire, as `caller` sees it.
pub fn wire_item(caller: &Caller, row: item::Model, files: Vec<pb::ItemFile>) -> pb::Item {
    let editable = can_edit(caller, &row);
    pb::Item {
        id: row.id.to_string(),
        kind: row.kind,
        title: Some(LocalizedText {
            fa: row.title_fa,
            en: row.title_en,
        }),
        summary: Some(LocalizedText {
            fa: row.summary_fa,
            en: row.summary_en,
        }),
        tags: tags_of(&row.tags).into_iter().map(|t| t as i32).collect(),
        organization_id: row.organization_id,
        author_subject: row.author_subject,
        author_name: row.author_name,
        course_id: row.course_id.map(|id| id.to_string()).unwrap_or_default(),
        event_id: row.event_id.map(|id| id.to_string()).unwrap_or_default(),
        state: wire_state(&row.state) as i32,
        return_reason: row.return_reason,
        files,
        create_time: Some(time::to_timestamp(row.created_at)),
        update_time: Some(time::to_timestamp(row.updated_at)),
        approve_time: row.approved_at.map(time::to_timestamp),
        editable,
    }
}
