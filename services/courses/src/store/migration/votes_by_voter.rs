//! The migration that lets a council member's votes be listed.

use hamafza_kit::migration::index;
use sea_orm_migration::prelude::*;

hamafza_kit::migration_name! {
    /// Votes by their voter, newest first: `ListCouncilVotes` reads one
    /// member's page of them instead of every vote.
    pub(super) struct VotesByVoter = "m20261202_000001_votes_by_voter";
}

#[async_trait::async_trait]
impl MigrationTrait for VotesByVoter {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(index(
                "council_votes_by_voter",
                "council_votes",
                &["voter_subject", "voted_at", "id"],
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("council_votes_by_voter")
                    .table("council_votes")
                    .to_owned(),
            )
            .await
    }
}
