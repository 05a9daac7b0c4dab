//! The background workers' saved state (a value per worker name).

use sea_orm::sea_query::OnConflict;
use sea_orm::{EntityTrait, Set};

use super::{Result, Store};
use crate::store::entities::worker_state;

impl Store {
    /// A worker's saved value.
    pub async fn worker_value(&self, name: &str) -> Result<Option<String>> {
        Ok(worker_state::Entity::find_by_id(name.to_owned())
            .one(&self.db)
            .await?
            .map(|row| row.value))
    }

    /// Saves a worker's value.
    pub async fn set_worker_value(&self, name: &str, value: &str) -> Result<()> {
        worker_state::Entity::insert(worker_state::ActiveModel {
            name: Set(name.to_owned()),
            value: Set(value.to_owned()),
        })
        .on_conflict(
            OnConflict::column(worker_state::Column::Name)
                .update_column(worker_state::Column::Value)
                .to_owned(),
        )
        .exec_without_returning(&self.db)
        .await?;
        Ok(())
    }
}
