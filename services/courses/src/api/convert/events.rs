//! Events on the wire: kinds, event details parsed from requests and the
//! event message.

use hamafza_kit::Violations;
use hamafza_kit::time::to_timestamp;
use hamafza_proto::common::LocalizedText;
use hamafza_proto::courses as pb;

use super::{
    PLACE_CHARS, parse_instant, parse_text, parse_title_and_description, required_details,
};
use crate::domain::catalog::EventDraft;
use crate::domain::values::{EventKind, OrganizationId, Required, parse_url};
use crate::store::queries::EventRecord;

/// Parses an event kind; `None` for unspecified.
pub fn event_kind_from_wire(value: i32) -> Result<Option<EventKind>, &'static str> {
    match pb::EventKind::try_from(value) {
        Ok(pb::EventKind::Unspecified) => Ok(None),
        Ok(pb::EventKind::Exhibition) => Ok(Some(EventKind::Exhibition)),
        Ok(pb::EventKind::Conference) => Ok(Some(EventKind::Conference)),
        Ok(pb::EventKind::Seminar) => Ok(Some(EventKind::Seminar)),
        Ok(pb::EventKind::Other) => Ok(Some(EventKind::Other)),
        Err(_) => Err("is not a known event kind"),
    }
}

fn event_kind_to_wire(kind: EventKind) -> pb::EventKind {
    match kind {
        EventKind::Exhibition => pb::EventKind::Exhibition,
        EventKind::Conference => pb::EventKind::Conference,
        EventKind::Seminar => pb::EventKind::Seminar,
        EventKind::Other => pb::EventKind::Other,
    }
}

/// Parses event details.
pub fn event_draft(
    details: Option<&pb::EventDetails>,
) -> Result<EventDraft, hamafza_kit::ApiError> {
    let details = required_details(details)?;
    let mut v = Violations::new();
    let kind = match event_kind_from_wire(details.kind) {
        Ok(Some(kind)) => Some(kind),
        Ok(None) => {
            v.add("details.kind", "is required");
            None
        }
        Err(problem) => {
            v.add("details.kind", problem);
            None
        }
    };
    let (title, description) =
        parse_title_and_description(&mut v, details.title.as_ref(), details.description.as_ref());
    let place = parse_text(
        &mut v,
        "details.place",
        details.place.as_ref(),
        PLACE_CHARS,
        Required::Persian,
    );
    let starts_at = parse_instant(&mut v, "details.start_time", details.start_time.as_ref());
    let ends_at = parse_instant(&mut v, "details.end_time", details.end_time.as_ref());
    if let (Some(start), Some(end)) = (starts_at, ends_at)
        && end <= start
    {
        v.add("details.end_time", "must be after start_time");
    }
    let organizer = v.take(
        "details.organizer_organization_id",
        OrganizationId::parse(&details.organizer_organization_id),
    );
    let mut participants: Vec<OrganizationId> = Vec::new();
    for (i, id) in details.participating_organization_ids.iter().enumerate() {
        let field = format!("details.participating_organization_ids[{i}]");
        if let Some(id) = v.take(field.clone(), OrganizationId::parse(id)) {
            if participants.contains(&id) {
                v.add(field, "is listed twice");
            } else {
                participants.push(id);
            }
        }
    }
    let url = if details.url.trim().is_empty() {
        Some(None)
    } else {
        v.take("details.url", parse_url(&details.url)).map(Some)
    };
    let draft = match (
        kind,
        title,
        description,
        place,
        starts_at,
        ends_at,
        organizer,
        url,
    ) {
        (
            Some(kind),
            Some(title),
            Some(description),
            Some(place),
            Some(starts_at),
            Some(ends_at),
            Some(organizer),
            Some(url),
        ) => Some(EventDraft {
            kind,
            title,
            description,
            place,
            starts_at,
            ends_at,
            organizer,
            participants,
            url,
        }),
        _ => None,
    };
    v.finish_with(draft)
}

/// An event on the wire.
pub fn event_to_wire(record: EventRecord) -> pb::Event {
    let row = record.event;
    pb::Event {
        id: row.id.to_string(),
        details: Some(pb::EventDetails {
            kind: event_kind_to_wire(row.kind).into(),
            title: Some(LocalizedText {
                fa: row.title_fa,
                en: row.title_en,
            }),
            description: Some(LocalizedText {
                fa: row.description_fa,
                en: row.description_en,
            }),
            start_time: Some(to_timestamp(row.starts_at)),
            end_time: Some(to_timestamp(row.ends_at)),
            place: Some(LocalizedText {
                fa: row.place_fa,
                en: row.place_en,
            }),
            organizer_organization_id: row.organizer_organization_id,
            participating_organization_ids: record.participants,
            url: row.url,
        }),
        create_time: Some(to_timestamp(row.created_at)),
        update_time: Some(to_timestamp(row.updated_at)),
        etag: hamafza_kit::update::etag(row.revision),
    }
}
