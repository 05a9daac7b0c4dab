//! The migration that lets a service follow the people directory's changes.

use hamafza_kit::migration::index;
use sea_orm_migration::prelude::*;

hamafza_kit::migration_name! {
    /// People by the time their record last changed: `ListPeople(updated_since)`,
    /// which enrolments polls to keep its copy of the directory, reads a range
    /// of it instead of every person.
    pub(super) struct PeopleChanges = "m20261130_000001_people_changes";
}

#[async_trait::async_trait]
impl MigrationTrait for PeopleChanges {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(index("people_by_update", "people", &["updated_at"]))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("people_by_update")
                    .table("people")
                    .to_owned(),
            )
            .await
    }
}
