//! People directory queries: one row per person, keyed by subject.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    TransactionTrait,
};

use super::{Result, Store, matches_text};
use crate::domain::CoursesError;
use crate::domain::people::{MANAGER_GIVES, PersonDraft, Upserted, Writer, roles_column, roles_of};
use crate::store::entities::person;
use hamafza_kit::auth::Role;

/// Filters of a people listing.
#[derive(Debug, Clone, Default)]
pub struct PersonFilter {
    /// Only this organization.
    pub organization_id: Option<String>,
    /// Text anywhere in subject, names, email or job title (compared by
    /// search key).
    pub text: Option<String>,
    /// Also inactive people.
    pub include_inactive: bool,
    /// Only people holding this role.
    pub role: Option<Role>,
    /// Only people whose record changed at or after this instant.
    pub updated_since: Option<DateTime<Utc>>,
    /// Only these subjects; empty means any.
    pub subjects: Vec<String>,
}

/// The searchable text of a person.
fn search_key(draft: &person::Model) -> String {
    hamafza_kit::text::search_key_of(&[
        draft.subject.as_str(),
        &draft.name_fa,
        &draft.name_en,
        &draft.email,
        &draft.job_title,
    ])
}

/// A person's record after `writer` wrote `draft` over `existing` (if any)
/// at `now`.
fn merged(
    existing: Option<&person::Model>,
    draft: &PersonDraft,
    writer: &Writer,
    now: DateTime<Utc>,
) -> person::Model {
    let keep = |given: &str, stored: Option<&str>| {
        if given.is_empty() {
            stored.unwrap_or_default().to_owned()
        } else {
            given.to_owned()
        }
    };
    // Roles: empty keeps the stored ones, for every writer. An org manager
    // sets only the roles they may give: those given by the holding (council,
    // platform admin) stay as they were.
    let roles = match (draft.roles.is_empty(), existing, writer) {
        (true, Some(existing), _) => existing.roles.clone(),
        (false, Some(existing), Writer::Manager(_)) => {
            let mut roles: Vec<Role> = roles_of(&existing.roles)
                .into_iter()
                .filter(|role| !MANAGER_GIVES.contains(role))
                .collect();
            roles.extend(draft.roles.iter().copied());
            roles_column(&roles)
        }
        _ => roles_column(&draft.roles),
    };
    let mut row = match (writer, existing) {
        (Writer::SignIn, Some(existing)) => person::Model {
            name_fa: keep(&draft.name.fa, Some(&existing.name_fa)),
            name_en: keep(&draft.name.en, Some(&existing.name_en)),
            organization_id: draft.organization_id.clone(),
            email: keep(&draft.email, Some(&existing.email)),
            job_title: keep(&draft.job_title, Some(&existing.job_title)),
            last_sign_in_at: Some(now),
            roles,
            // Kept as it was below when nothing but the sign-in changed.
            updated_at: now,
            ..existing.clone()
        },
        (_, existing) => person::Model {
            subject: draft.subject.clone(),
            name_fa: draft.name.fa.clone(),
            name_en: draft.name.en.clone(),
            organization_id: draft.organization_id.clone(),
            email: draft.email.clone(),
            job_title: draft.job_title.clone(),
            active: match writer {
                Writer::SignIn => true,
                _ => draft.active,
            },
            source: String::new(),
            search_key: String::new(),
            created_at: existing.map_or(now, |e| e.created_at),
            updated_at: now,
            last_sign_in_at: match writer {
                Writer::SignIn => Some(now),
                _ => existing.and_then(|e| e.last_sign_in_at),
            },
            roles,
        },
    };
    row.source = match writer {
        Writer::SignIn => "sign_in",
        _ => "directory",
    }
    .to_owned();
    row.search_key = search_key(&row);
    row
}

/// Whether two records say the same about a person (times and source aside).
fn same_person(a: &person::Model, b: &person::Model) -> bool {
    (
        &a.name_fa,
        &a.name_en,
        &a.organization_id,
        &a.email,
        &a.job_title,
        a.active,
        &a.roles,
    ) == (
        &b.name_fa,
        &b.name_en,
        &b.organization_id,
        &b.email,
        &b.job_title,
        b.active,
        &b.roles,
    )
}

impl Store {
    /// One person.
    pub async fn person(&self, subject: &str) -> Result<Option<person::Model>> {
        Ok(person::Entity::find_by_id(subject.to_owned())
            .one(&self.db)
            .await?)
    }

    /// People by organization and subject, after the `(organization,
    /// subject)` cursor.
    pub async fn list_people(
        &self,
        filter: &PersonFilter,
        after: Option<(String, String)>,
        limit: u64,
    ) -> Result<Vec<person::Model>> {
        let mut query = person::Entity::find()
            .order_by_asc(person::Column::OrganizationId)
            .order_by_asc(person::Column::Subject)
            .limit(limit);
        if let Some((organization, subject)) = after {
            query = query.filter(
                Condition::any()
                    .add(person::Column::OrganizationId.gt(organization.clone()))
                    .add(
                        Condition::all()
                            .add(person::Column::OrganizationId.eq(organization))
                            .add(person::Column::Subject.gt(subject)),
                    ),
            );
        }
        if let Some(organization) = &filter.organization_id {
            query = query.filter(person::Column::OrganizationId.eq(organization.clone()));
        }
        if let Some(role) = filter.role {
            query = query.filter(person::Column::Roles.contains(format!(",{},", role.as_str())));
        }
        if !filter.include_inactive {
            query = query.filter(person::Column::Active.eq(true));
        }
        if let Some(since) = filter.updated_since {
            query = query.filter(person::Column::UpdatedAt.gte(since));
        }
        if let Some(text) = &filter.text {
            query = query.filter(matches_text(person::Column::SearchKey, text));
        }
        if !filter.subjects.is_empty() {
            query = query.filter(person::Column::Subject.is_in(filter.subjects.clone()));
        }
        Ok(query.all(&self.db).await?)
    }

    /// Creates or updates a person as `writer` may (see [`Writer`]), in one
    /// transaction that starts by locking the row (or, for a new person,
    /// racing to insert it: the loser of two first sign-ins updates).
    pub async fn upsert_person(
        &self,
        draft: &PersonDraft,
        writer: &Writer,
        now: DateTime<Utc>,
    ) -> Result<(person::Model, Upserted)> {
        if self.organization(&draft.organization_id).await?.is_none() {
            return Err(CoursesError::UnknownOrganization(
                draft.organization_id.clone(),
            ));
        }
        for _ in 0..2 {
            let txn = self.db.begin().await?;
            // A write first: it locks the person's row (PostgreSQL) and takes
            // the database's write lock (SQLite) before anything is read.
            person::Entity::update_many()
                .col_expr(person::Column::Subject, Expr::col(person::Column::Subject))
                .filter(person::Column::Subject.eq(draft.subject.clone()))
                .exec(&txn)
                .await?;
            let existing = person::Entity::find_by_id(draft.subject.clone())
                .one(&txn)
                .await?;
            if let (Writer::Manager(_), Some(existing)) = (writer, &existing)
                && existing.organization_id != draft.organization_id
            {
                return Err(CoursesError::PersonInOtherOrganization {
                    subject: existing.subject.clone(),
                    organization_id: existing.organization_id.clone(),
                });
            }
            let mut row = merged(existing.as_ref(), draft, writer, now);
            if let Some(existing) = &existing
                && same_person(existing, &row)
            {
                row.updated_at = existing.updated_at;
            }
            let outcome = match &existing {
                None => {
                    let active: person::ActiveModel = row.clone().into();
                    match person::Entity::insert(active.reset_all()).exec(&txn).await {
                        Ok(_) => Upserted::Created,
                        // Another first sign-in of the same person won the
                        // race: go round again and update their row.
                        Err(error) if hamafza_kit::db::is_unique_violation(&error) => {
                            txn.rollback().await?;
                            continue;
                        }
                        Err(error) => return Err(error.into()),
                    }
                }
                Some(existing) if same_person(existing, &row) && *writer != Writer::SignIn => {
                    Upserted::Unchanged
                }
                Some(existing) => {
                    let unchanged = same_person(existing, &row);
                    let active: person::ActiveModel = row.clone().into();
                    active.reset_all().update(&txn).await?;
                    if unchanged {
                        Upserted::Unchanged
                    } else {
                        Upserted::Updated
                    }
                }
            };
            txn.commit().await?;
            let stored = match outcome {
                Upserted::Unchanged if *writer != Writer::SignIn => existing.unwrap_or(row),
                _ => row,
            };
            return Ok((stored, outcome));
        }
        Err(CoursesError::Database(sea_orm::DbErr::Custom(format!(
            "person {} kept changing while being written",
            draft.subject
        ))))
    }
}
