//! Organizations on the wire: kinds, create/update requests and the
//! organization message.

use hamafza_kit::Violations;
use hamafza_proto::common::LocalizedText;
use hamafza_proto::courses as pb;

use super::{TITLE_CHARS, parse_text};
use crate::domain::catalog::OrganizationDraft;
use crate::domain::values::{OrganizationId, OrganizationKind, Required};
use crate::store::entities::organization;
use hamafza_kit::time::to_timestamp;

/// The wire kind of an organization kind.
pub fn organization_kind_to_wire(kind: OrganizationKind) -> pb::OrganizationKind {
    match kind {
        OrganizationKind::Holding => pb::OrganizationKind::Holding,
        OrganizationKind::Steel => pb::OrganizationKind::Steel,
        OrganizationKind::Mining => pb::OrganizationKind::Mining,
        OrganizationKind::Aluminium => pb::OrganizationKind::Aluminium,
        OrganizationKind::IndustrialZone => pb::OrganizationKind::IndustrialZone,
        OrganizationKind::Other => pb::OrganizationKind::Other,
    }
}

/// The domain kind of a wire organization kind; `None` for unspecified.
pub fn organization_kind_from_wire(kind: i32) -> Result<Option<OrganizationKind>, &'static str> {
    match pb::OrganizationKind::try_from(kind) {
        Ok(pb::OrganizationKind::Unspecified) => Ok(None),
        Ok(pb::OrganizationKind::Holding) => Ok(Some(OrganizationKind::Holding)),
        Ok(pb::OrganizationKind::Steel) => Ok(Some(OrganizationKind::Steel)),
        Ok(pb::OrganizationKind::Mining) => Ok(Some(OrganizationKind::Mining)),
        Ok(pb::OrganizationKind::Aluminium) => Ok(Some(OrganizationKind::Aluminium)),
        Ok(pb::OrganizationKind::IndustrialZone) => Ok(Some(OrganizationKind::IndustrialZone)),
        Ok(pb::OrganizationKind::Other) => Ok(Some(OrganizationKind::Other)),
        Err(_) => Err("is not a known organization kind"),
    }
}

/// Parses an organization create/update request.
pub fn organization_draft(
    id: &str,
    name: Option<&LocalizedText>,
    kind: i32,
    parent: &str,
) -> Result<OrganizationDraft, hamafza_kit::ApiError> {
    let mut v = Violations::new();
    let id = v.take("organization_id", OrganizationId::parse(id));
    let name = parse_text(&mut v, "name", name, TITLE_CHARS, Required::Both);
    let kind = match organization_kind_from_wire(kind) {
        Ok(Some(kind)) => Some(kind),
        Ok(None) => {
            v.add("kind", "is required");
            None
        }
        Err(problem) => {
            v.add("kind", problem);
            None
        }
    };
    let parent = if parent.is_empty() {
        Some(None)
    } else {
        v.take("parent_organization_id", OrganizationId::parse(parent))
            .map(Some)
    };
    if let (Some(id), Some(Some(parent))) = (&id, &parent)
        && id == parent
    {
        v.add(
            "parent_organization_id",
            "must not be the organization itself",
        );
    }
    let draft = match (id, name, kind, parent) {
        (Some(id), Some(name), Some(kind), Some(parent)) => Some(OrganizationDraft {
            id,
            name,
            kind,
            parent,
        }),
        _ => None,
    };
    v.finish_with(draft)
}

/// An organization on the wire.
pub fn organization_to_wire(row: organization::Model) -> pb::Organization {
    pb::Organization {
        id: row.id,
        name: Some(LocalizedText {
            fa: row.name_fa,
            en: row.name_en,
        }),
        kind: organization_kind_to_wire(row.kind).into(),
        parent_organization_id: row.parent_id.unwrap_or_default(),
        create_time: Some(to_timestamp(row.created_at)),
        etag: hamafza_kit::update::etag(row.revision),
    }
}
