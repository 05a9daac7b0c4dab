//! The council's settings: one row, written only by a conditional update
//! (or the first insert), so two admins cannot overwrite each other unseen.

use chrono::{DateTime, Utc};
use hamafza_kit::ids::Person;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, ExprTrait, QueryFilter, Set};

use super::{Result, Store};
use crate::domain::CoursesError;
use crate::store::entities::council_settings;

/// The id of the one row.
const ROW: i32 = 1;

impl Store {
    /// The council's settings as stored; `None` until an admin sets them.
    pub async fn council_settings(&self) -> Result<Option<council_settings::Model>> {
        Ok(council_settings::Entity::find_by_id(ROW)
            .one(&self.db)
            .await?)
    }

    /// Sets the approvals a round needs, if the settings are still at
    /// `revision` (0: never set; `None`: no check).
    pub async fn set_required_approvals(
        &self,
        required: u32,
        revision: Option<i64>,
        by: &Person,
        now: DateTime<Utc>,
    ) -> Result<council_settings::Model> {
        let required = i32::try_from(required).unwrap_or(i32::MAX);
        let current = self.council_settings().await?;
        let stored_revision = current.as_ref().map_or(0, |row| row.revision);
        if revision.is_some_and(|expected| expected != stored_revision) {
            return Err(CoursesError::EtagMismatch {
                kind: "council settings",
                id: "council".to_owned(),
            });
        }
        if current.is_none() {
            let row = council_settings::ActiveModel {
                id: Set(ROW),
                required_approvals: Set(required),
                revision: Set(1),
                updated_at: Set(now),
                updated_by_subject: Set(by.subject.clone()),
                updated_by_name: Set(by.name.clone()),
                updated_by_organization_id: Set(by.organization_id.clone()),
            };
            match council_settings::Entity::insert(row).exec(&self.db).await {
                Ok(_) => {}
                Err(error) if hamafza_kit::db::is_unique_violation(&error) => {
                    return Err(CoursesError::EtagMismatch {
                        kind: "council settings",
                        id: "council".to_owned(),
                    });
                }
                Err(error) => return Err(error.into()),
            }
        } else {
            let updated = council_settings::Entity::update_many()
                .col_expr(
                    council_settings::Column::RequiredApprovals,
                    Expr::value(required),
                )
                .col_expr(
                    council_settings::Column::Revision,
                    Expr::col(council_settings::Column::Revision).add(1),
                )
                .col_expr(council_settings::Column::UpdatedAt, Expr::value(now))
                .col_expr(
                    council_settings::Column::UpdatedBySubject,
                    Expr::value(by.subject.clone()),
                )
                .col_expr(
                    council_settings::Column::UpdatedByName,
                    Expr::value(by.name.clone()),
                )
                .col_expr(
                    council_settings::Column::UpdatedByOrganizationId,
                    Expr::value(by.organization_id.clone()),
                )
                .filter(council_settings::Column::Id.eq(ROW))
                .filter(council_settings::Column::Revision.eq(stored_revision))
                .exec(&self.db)
                .await?
                .rows_affected;
            if updated == 0 {
                return Err(CoursesError::EtagMismatch {
                    kind: "council settings",
                    id: "council".to_owned(),
                });
            }
        }
        self.council_settings()
            .await?
            .ok_or_else(|| super::not_found("council settings", "council"))
    }
}
