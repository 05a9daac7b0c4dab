//! Schema migrations of the certification database. Append-only.

use hamafza_kit::migration::{ColumnGroups, create_indexes, drop_tables};
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

hamafza_kit::migrator! {
    /// Every migration of the certification database, in order.
    pub struct Migrator in "certification_migrations" [
        InitialSchema,
        CertificateDocuments,
        hamafza_kit::retention::RequestIdsByAge,
    ]
}

hamafza_kit::migration_name! {
    struct InitialSchema = "m20261126_000001_initial_schema";
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
                    .bilingual("organization_name", |name| string_len(name, 200))
                    .col(uuid_null("course_id"))
                    .col(uuid_null("program_id"))
                    .bilingual("title", |name| string_len(name, 200))
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
                    .person("issued_by")
                    .col(json("basis"))
                    .take(),
            )
            .await?;
        create_indexes(
            manager,
            "certificates",
            &[
                ("certificates_by_trainee", &["trainee_subject", "id"]),
                ("certificates_by_organization", &["organization_id", "id"]),
                ("certificates_by_expiry", &["valid_until"]),
                ("certificates_by_course", &["course_id", "trainee_subject"]),
                (
                    "certificates_by_program",
                    &["program_id", "trainee_subject"],
                ),
            ],
        )
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
        drop_tables(
            manager,
            &["idempotency_keys", "issuer_keys", "certificates"],
        )
        .await
    }
}

hamafza_kit::migration_name! {
    struct CertificateDocuments = "m20261129_000002_certificate_documents";
}

#[async_trait::async_trait]
impl MigrationTrait for CertificateDocuments {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("certificate_documents")
                    // One rendered PDF per certificate, kept while what it
                    // shows (the digest) stays the same.
                    .col(pk_uuid("certificate_id"))
                    .col(string_len("digest", 64))
                    .col(blob("pdf"))
                    .col(timestamp_with_time_zone("rendered_at"))
                    .take(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(manager, &["certificate_documents"]).await
    }
}
