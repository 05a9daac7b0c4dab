//! `hamafza.courses.v1.PersonService`: the people directory.

use hamafza_kit::auth::{Caller, Role};
use hamafza_kit::{ApiError, Violations, page, time};
use hamafza_proto::courses as pb;
use hamafza_proto::courses::person_service_server::PersonService;
use tonic::{Request, Response, Status};

use super::convert::{
    parse_instant, parse_organization_filter, parse_text_filter, person_draft, person_to_wire,
};
use super::{CoursesApi, reply, signed_in};
use crate::domain::people::{MANAGER_GIVES, Upserted, Writer};
use crate::store::entities::person;
use crate::store::queries::PersonFilter;

/// Most subjects one ListPeople may name.
const MAX_SUBJECT_FILTER: usize = 200;

/// Most rows of one import.
pub const MAX_IMPORT_ROWS: usize = 2_000;

/// Roles that see and write everyone.
const EVERYONE: &[Role] = &[Role::PlatformAdmin, Role::Service];

/// Whether `caller` may see `person`.
fn sees(caller: &Caller, person: &person::Model) -> bool {
    caller.has_any(EVERYONE)
        || caller.manages(&person.organization_id)
        || caller.subject == person.subject
}

/// How `caller` writes people, or why they may not.
fn writer(caller: &Caller) -> Result<Writer, ApiError> {
    if caller.has(Role::PlatformAdmin) {
        Ok(Writer::Admin)
    } else if caller.has(Role::Service) {
        Ok(Writer::SignIn)
    } else if caller.has(Role::OrgManager) {
        Ok(Writer::Manager(caller.organization_id.clone()))
    } else {
        Err(ApiError::permission_denied(
            "only platform admins and org managers (for their people) change the directory",
        ))
    }
}

impl CoursesApi {
    /// Writes one person as `writer`; `field` names the person in violations.
    async fn upsert_one(
        &self,
        writer: &Writer,
        field: &str,
        person: Option<&pb::Person>,
    ) -> Result<(person::Model, Upserted), ApiError> {
        let mut v = Violations::new();
        let default_organization = match writer {
            Writer::Manager(organization) => Some(organization.as_str()),
            _ => None,
        };
        let draft = person_draft(&mut v, field, person, default_organization);
        let draft = v.finish_with(draft)?;
        if let Writer::Manager(organization) = writer
            && draft.organization_id != *organization
        {
            return Err(ApiError::permission_denied(format!(
                "an org manager adds people of their own organization ({organization}) only"
            )));
        }
        if matches!(writer, Writer::Manager(_))
            && let Some(role) = draft.roles.iter().find(|r| !MANAGER_GIVES.contains(r))
        {
            return Err(ApiError::permission_denied(format!(
                "an org manager gives org_manager, instructor and trainee only, not {role}"
            )));
        }
        Ok(self
            .store
            .upsert_person(&draft, writer, time::now())
            .await?)
    }
}

#[tonic::async_trait]
impl PersonService for CoursesApi {
    async fn get_person(
        &self,
        request: Request<pb::GetPersonRequest>,
    ) -> Result<Response<pb::GetPersonResponse>, Status> {
        let caller = signed_in(&request)?;
        let subject = request.into_inner().subject;
        reply(
            async {
                if subject.is_empty() {
                    return Err(ApiError::invalid_field("subject", "is required"));
                }
                match self.store.person(&subject).await? {
                    Some(row) if sees(&caller, &row) => Ok(pb::GetPersonResponse {
                        person: Some(person_to_wire(row)),
                    }),
                    _ => Err(ApiError::not_found("person", &subject)),
                }
            }
            .await,
        )
    }

    async fn list_people(
        &self,
        request: Request<pb::ListPeopleRequest>,
    ) -> Result<Response<pb::ListPeopleResponse>, Status> {
        let caller = signed_in(&request)?;
        let request = request.into_inner();
        reply(
            async {
                let mut v = Violations::new();
                let size = v.take("page_size", page::size(request.page_size));
                let after = v.take(
                    "page_token",
                    page::decode::<(String, String)>(&request.page_token),
                );
                let organization =
                    parse_organization_filter(&mut v, "organization_id", &request.organization_id);
                let text = parse_text_filter(&mut v, "text", &request.text);
                let role = match request.role.trim() {
                    "" => None,
                    name => {
                        let role = Role::parse(name).filter(|role| *role != Role::Service);
                        if role.is_none() {
                            v.add("role", "must be one of platform_admin, council, org_manager, instructor, trainee");
                        }
                        role
                    }
                };
                let updated_since = request
                    .updated_since
                    .as_ref()
                    .and_then(|t| parse_instant(&mut v, "updated_since", Some(t)));
                if request.subjects.len() > MAX_SUBJECT_FILTER {
                    v.add(
                        "subjects",
                        format!("may list at most {MAX_SUBJECT_FILTER} subjects"),
                    );
                }
                if let Some(i) = request.subjects.iter().position(|s| s.trim().is_empty()) {
                    v.add(format!("subjects[{i}]"), "must not be empty");
                }
                v.finish()?;
                let organization = if caller.has_any(EVERYONE) {
                    organization
                } else if caller.has(Role::OrgManager) {
                    match organization {
                        Some(id) if id != caller.organization_id => {
                            return Err(ApiError::permission_denied(
                                "an org manager lists the people of their own organization only",
                            ));
                        }
                        _ => Some(caller.organization_id.clone()),
                    }
                } else {
                    return Err(ApiError::permission_denied(
                        "only platform admins and org managers list the directory",
                    ));
                };
                let size = size.unwrap_or(page::DEFAULT_PAGE_SIZE);
                let filter = PersonFilter {
                    organization_id: organization,
                    text,
                    include_inactive: request.include_inactive,
                    role,
                    updated_since,
                    subjects: request.subjects.clone(),
                };
                let mut rows = self
                    .store
                    .list_people(&filter, after.flatten(), size + 1)
                    .await?;
                let next_page_token = page::finish(&mut rows, size, |row| {
                    (row.organization_id.clone(), row.subject.clone())
                });
                Ok(pb::ListPeopleResponse {
                    people: rows.into_iter().map(person_to_wire).collect(),
                    next_page_token,
                })
            }
            .await,
        )
    }

    async fn upsert_person(
        &self,
        request: Request<pb::UpsertPersonRequest>,
    ) -> Result<Response<pb::UpsertPersonResponse>, Status> {
        let caller = signed_in(&request)?;
        let request = request.into_inner();
        reply(
            async {
                let writer = writer(&caller)?;
                let (row, outcome) = self
                    .upsert_one(&writer, "person", request.person.as_ref())
                    .await?;
                if outcome == Upserted::Created {
                    tracing::info!(subject = %row.subject, organization_id = %row.organization_id, "person added to the directory");
                }
                Ok(pb::UpsertPersonResponse {
                    person: Some(person_to_wire(row)),
                    created: outcome == Upserted::Created,
                })
            }
            .await,
        )
    }

    async fn import_people(
        &self,
        request: Request<pb::ImportPeopleRequest>,
    ) -> Result<Response<pb::ImportPeopleResponse>, Status> {
        let caller = signed_in(&request)?;
        let request = request.into_inner();
        reply(
            async {
                let writer = match writer(&caller)? {
                    Writer::SignIn => {
                        return Err(ApiError::permission_denied(
                            "only platform admins and org managers import people",
                        ));
                    }
                    writer => writer,
                };
                if request.people.is_empty() {
                    return Err(ApiError::invalid_field("people", "is empty"));
                }
                if request.people.len() > MAX_IMPORT_ROWS {
                    return Err(ApiError::invalid_field(
                        "people",
                        format!("must have at most {MAX_IMPORT_ROWS} rows"),
                    ));
                }
                let mut results = Vec::with_capacity(request.people.len());
                for (index, person) in request.people.iter().enumerate() {
                    let row_number = u32::try_from(index + 1).unwrap_or(u32::MAX);
                    let outcome = self.upsert_one(&writer, "person", Some(person)).await;
                    results.push(import_result(row_number, &person.subject, outcome));
                }
                let created = results
                    .iter()
                    .filter(|r| r.outcome() == pb::ImportOutcome::Created)
                    .count();
                tracing::info!(rows = results.len(), created, "people imported");
                Ok(pb::ImportPeopleResponse { results })
            }
            .await,
        )
    }
}

/// The answer for one imported row.
fn import_result(
    row_number: u32,
    subject: &str,
    outcome: Result<(person::Model, Upserted), ApiError>,
) -> pb::ImportPersonResult {
    let mut result = pb::ImportPersonResult {
        row_number,
        subject: subject.to_owned(),
        ..Default::default()
    };
    match outcome {
        Ok((_, upserted)) => result.set_outcome(match upserted {
            Upserted::Created => pb::ImportOutcome::Created,
            Upserted::Updated => pb::ImportOutcome::Updated,
            Upserted::Unchanged => pb::ImportOutcome::Unchanged,
        }),
        Err(error) => {
            result.set_outcome(pb::ImportOutcome::Error);
            result.reason = error.reason().to_owned();
            match error.violations().first() {
                Some(violation) => {
                    result.field = violation
                        .field
                        .strip_prefix("person.")
                        .unwrap_or(&violation.field)
                        .to_owned();
                    result.message = violation.description.clone();
                }
                None => result.message = error.message().to_owned(),
            }
        }
    }
    result
}
