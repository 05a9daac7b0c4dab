//! Organization queries: the registry of organizations that own courses,
//! hold session quotas and take part in events.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveEnum, ColumnTrait, EntityTrait, ExprTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};

use super::{Result, Store, matches_text, not_found};
use crate::domain::CoursesError;
use crate::domain::catalog::OrganizationDraft;
use crate::domain::values::OrganizationKind;
use crate::store::entities::organization;

/// Filters of an organization listing.
#[derive(Debug, Clone, Default)]
pub struct OrganizationFilter {
    /// Kind.
    pub kind: Option<OrganizationKind>,
    /// Text in id or names.
    pub text: Option<String>,
}

impl Store {
    /// One organization.
    pub async fn organization(&self, id: &str) -> Result<Option<organization::Model>> {
        Ok(organization::Entity::find_by_id(id.to_owned())
            .one(&self.db)
            .await?)
    }

    /// The ids among `ids` that name no organization.
    pub async fn missing_organizations(&self, ids: &[&str]) -> Result<Vec<String>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let found: Vec<String> = organization::Entity::find()
            .select_only()
            .column(organization::Column::Id)
            .filter(organization::Column::Id.is_in(ids.iter().map(|id| (*id).to_owned())))
            .into_tuple()
            .all(&self.db)
            .await?;
        Ok(ids
            .iter()
            .filter(|id| !found.iter().any(|f| f == *id))
            .map(|id| (*id).to_owned())
            .collect())
    }

    /// Organizations by id, after `after`.
    pub async fn list_organizations(
        &self,
        filter: &OrganizationFilter,
        after: Option<String>,
        limit: u64,
    ) -> Result<Vec<organization::Model>> {
        let mut query = organization::Entity::find()
            .order_by_asc(organization::Column::Id)
            .limit(limit);
        if let Some(after) = after {
            query = query.filter(organization::Column::Id.gt(after));
        }
        if let Some(kind) = filter.kind {
            query = query.filter(organization::Column::Kind.eq(kind));
        }
        if let Some(text) = &filter.text {
            query = query.filter(matches_text(organization::Column::SearchKey, text));
        }
        Ok(query.all(&self.db).await?)
    }

    /// Registers an organization.
    pub async fn create_organization(
        &self,
        draft: &OrganizationDraft,
        now: DateTime<Utc>,
    ) -> Result<organization::Model> {
        if let Some(parent) = &draft.parent {
            self.require_organization(parent.as_str()).await?;
        }
        let row = organization::ActiveModel {
            id: Set(draft.id.as_str().to_owned()),
            name_fa: Set(draft.name.fa.clone()),
            name_en: Set(draft.name.en.clone()),
            kind: Set(draft.kind),
            parent_id: Set(draft.parent.as_ref().map(|p| p.as_str().to_owned())),
            revision: Set(1),
            search_key: Set(organization_search_key(draft)),
            created_at: Set(now),
        };
        match organization::Entity::insert(row)
            .exec_with_returning(&self.db)
            .await
        {
            Ok(model) => Ok(model),
            Err(error) if hamafza_kit::db::is_unique_violation(&error) => {
                Err(CoursesError::Duplicate {
                    kind: "organization",
                    value: draft.id.to_string(),
                })
            }
            Err(error) => Err(error.into()),
        }
    }

    /// Changes an organization's name, kind and parent if it is still at
    /// `revision`.
    pub async fn update_organization(
        &self,
        draft: &OrganizationDraft,
        revision: i64,
    ) -> Result<organization::Model> {
        if let Some(parent) = &draft.parent {
            self.require_organization(parent.as_str()).await?;
        }
        let id = draft.id.as_str();
        let updated = organization::Entity::update_many()
            .filter(organization::Column::Id.eq(id))
            .filter(organization::Column::Revision.eq(revision))
            .col_expr(
                organization::Column::SearchKey,
                Expr::value(organization_search_key(draft)),
            )
            .col_expr(
                organization::Column::NameFa,
                Expr::value(draft.name.fa.clone()),
            )
            .col_expr(
                organization::Column::NameEn,
                Expr::value(draft.name.en.clone()),
            )
            .col_expr(
                organization::Column::Kind,
                Expr::value(draft.kind.to_value()),
            )
            .col_expr(
                organization::Column::ParentId,
                Expr::value(draft.parent.as_ref().map(|p| p.as_str().to_owned())),
            )
            .col_expr(
                organization::Column::Revision,
                Expr::col(organization::Column::Revision).add(1),
            )
            .exec(&self.db)
            .await?
            .rows_affected;
        match self.organization(id).await? {
            Some(row) if updated > 0 => Ok(row),
            Some(_) => Err(CoursesError::EtagMismatch {
                kind: "organization",
                id: id.to_owned(),
            }),
            None => Err(not_found("organization", id)),
        }
    }

    pub(super) async fn require_organization(&self, id: &str) -> Result<()> {
        match self.organization(id).await? {
            Some(_) => Ok(()),
            None => Err(not_found("organization", id)),
        }
    }

    /// Whether the database holds any organization (demo data is seeded only
    /// into an empty database).
    pub async fn is_empty(&self) -> Result<bool> {
        Ok(organization::Entity::find().count(&self.db).await? == 0)
    }
}

/// What an organization is found by: its id and names.
fn organization_search_key(draft: &OrganizationDraft) -> String {
    hamafza_kit::text::search_key_of(&[draft.id.as_str(), &draft.name.fa, &draft.name.en])
}
