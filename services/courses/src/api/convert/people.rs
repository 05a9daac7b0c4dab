//! People on the wire: the directory's person message and its input.

use hamafza_kit::Violations;
use hamafza_kit::auth::Role;
use hamafza_kit::time::to_timestamp;
use hamafza_proto::common::LocalizedText;
use hamafza_proto::courses as pb;

use super::parse_text;
use crate::domain::people::{NAME_CHARS, PersonDraft, SUBJECT_CHARS, check_email, roles_of};
use crate::domain::values::{OrganizationId, Required};
use crate::store::entities::person;

/// Parses a person given as `field` (e.g. `person`, `people[3]`);
/// `default_organization` stands in for an empty organization id.
pub fn person_draft(
    v: &mut Violations,
    field: &str,
    person: Option<&pb::Person>,
    default_organization: Option<&str>,
) -> Option<PersonDraft> {
    let Some(person) = person else {
        v.add(field, "is required");
        return None;
    };
    let subject = v.take(
        format!("{field}.subject"),
        hamafza_kit::text::single_line(&person.subject, SUBJECT_CHARS).and_then(|subject| {
            if subject.is_empty() {
                Err("is required".to_owned())
            } else {
                Ok(subject)
            }
        }),
    );
    let name = parse_text(
        v,
        &format!("{field}.name"),
        person.name.as_ref(),
        NAME_CHARS,
        Required::Optional,
    );
    if let Some(name) = &name
        && name.fa.is_empty()
        && name.en.is_empty()
    {
        v.add(
            format!("{field}.name"),
            "needs a Persian or an English name",
        );
    }
    let organization = match (person.organization_id.as_str(), default_organization) {
        ("", Some(default)) => Some(default.to_owned()),
        ("", None) => {
            v.add(format!("{field}.organization_id"), "is required");
            None
        }
        (id, _) => v
            .take(
                format!("{field}.organization_id"),
                OrganizationId::parse(id),
            )
            .map(|id| id.as_str().to_owned()),
    };
    let email = person.email.trim().to_ascii_lowercase();
    if let Err(problem) = check_email(&email) {
        v.add(format!("{field}.email"), problem);
    }
    let job_title = v.take(
        format!("{field}.job_title"),
        hamafza_kit::text::single_line(&person.job_title, NAME_CHARS),
    );
    let mut roles = Vec::new();
    for (i, name) in person.roles.iter().enumerate() {
        match Role::parse(name.trim()) {
            Some(Role::Service) | None => v.add(
                format!("{field}.roles[{i}]"),
                "must be one of platform_admin, council, org_manager, instructor, trainee",
            ),
            Some(role) => roles.push(role),
        }
    }
    roles.sort_unstable();
    roles.dedup();
    Some(PersonDraft {
        subject: subject?,
        name: name?,
        organization_id: organization?,
        email,
        job_title: job_title?,
        active: person.active,
        roles,
    })
}

/// The wire form of a stored person.
pub fn person_to_wire(row: person::Model) -> pb::Person {
    pb::Person {
        subject: row.subject,
        name: Some(LocalizedText {
            fa: row.name_fa,
            en: row.name_en,
        }),
        organization_id: row.organization_id,
        email: row.email,
        job_title: row.job_title,
        active: row.active,
        source: match row.source.as_str() {
            "sign_in" => pb::PersonSource::SignIn,
            _ => pb::PersonSource::Directory,
        }
        .into(),
        create_time: Some(to_timestamp(row.created_at)),
        update_time: Some(to_timestamp(row.updated_at)),
        last_sign_in_time: row.last_sign_in_at.map(to_timestamp),
        roles: roles_of(&row.roles)
            .into_iter()
            .map(|role| role.as_str().to_owned())
            .collect(),
    }
}
