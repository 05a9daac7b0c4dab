//! Schema migrations of the certification database. Append-only.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

/// Every migration of the certification database, in order.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![Box::new(InitialSchema)]
    }

    fn migration_table_name() -> sea_orm::DynIden {
        "certification_migrations".into()
    }
}

struct InitialSchema;

impl MigrationName for InitialSchema {
    fn name(&self) -> &str {
        "m20261126_000001_initial_schema"
    }
}

fn index(name: &'static str, cols: &[&'static str]) -> IndexCreateStatement {
    let mut index = Index::create().name(name).table("certificates").take();
    for col in cols {
        index.col(*col);
    }
    index
}

#[async_trait::async_trait]
impl MigrationTrait for InitialSchema {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("certificates")
                    .col(pk_uuid("id"))
                    .col(string_len_uniq("serial", 24))
                    .col(string_len("kind", 8))
                    .col(string_len("source", 12))
                    .col(string_len("trainee_subject", 200))
                    .col(string_len("trainee_name", 200))
                    .col(string_len("organization_id", 32))
                    .col(string_len("organization_name_fa", 200))
                    .col(string_len("organization_name_en", 200))
                    .col(uuid_null("course_id"))
                    .col(uuid_null("program_id"))
                    .col(string_len("title_fa", 200))
                    .col(string_len("title_en", 200))
                    .col(integer("hours"))
                    .col(integer_null("score"))
                    .col(timestamp_with_time_zone("completion_time"))
                    .col(timestamp_with_time_zone("issue_time"))
                    .col(timestamp_with_time_zone_null("valid_until"))
                    // One certificate per completion, however often it is delivered.
                    .col(string_len_null("completion_key", 300).unique_key().take())
                    .col(uuid_null("session_id"))
                    .col(timestamp_with_time_zone_null("revoked_at"))
                    .col(text("revoke_reason"))
                    .col(string_len("revoked_by_subject", 200))
                    .col(string_len("revoked_by_name", 200))
                    .col(text("credential_jwt"))
                    .col(string_len("key_id", 100))
                    .col(text("manual_reason"))
                    .col(string_len("issued_by_subject", 200))
                    .col(string_len("issued_by_name", 200))
                    .col(string_len("issued_by_organization_id", 32))
                    .col(json("basis"))
                    .take(),
            )
            .await?;
        manager
            .create_index(index("certificates_by_trainee", &["trainee_subject", "id"]))
            .await?;
        manager
            .create_index(index(
                "certificates_by_organization",
                &["organization_id", "id"],
            ))
            .await?;
        manager
            .create_index(index("certificates_by_expiry", &["valid_until"]))
            .await?;
        manager
            .create_index(index(
                "certificates_by_course",
                &["course_id", "trainee_subject"],
            ))
            .await?;
        manager
            .create_index(index(
                "certificates_by_program",
                &["program_id", "trainee_subject"],
            ))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("issuer_keys")
                    .col(string_len("kid", 100).primary_key())
                    .col(text("jwk"))
                    .col(timestamp_with_time_zone("first_used_at"))
                    .take(),
            )
            .await?;
        hamafza_kit::idempotency::create_table(manager).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in ["idempotency_keys", "issuer_keys", "certificates"] {
            manager
                .drop_table(Table::drop().table(table).take())
                .await?;
        }
        Ok(())
    }
}
