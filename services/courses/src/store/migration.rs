//! Schema migrations of the courses database. Migrations are append-only:
//! never edit one that has shipped; add the next.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

/// Every migration of the courses database, in order.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(InitialSchema),
            Box::new(PeopleDirectory),
            Box::new(Revisions),
            Box::new(SearchKeys),
            Box::new(CouncilSettings),
        ]
    }

    fn migration_table_name() -> sea_orm::DynIden {
        "courses_migrations".into()
    }
}

/// Organizations, courses, programs, council votes, sessions and events.
struct InitialSchema;

impl MigrationName for InitialSchema {
    fn name(&self) -> &str {
        "m20261126_000001_initial_schema"
    }
}

fn fk(
    from: (&'static str, &'static str),
    to: (&'static str, &'static str),
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(from.0, from.1)
        .to(to.0, to.1)
        .on_delete(ForeignKeyAction::Restrict)
        .take()
}

fn fk_cascade(
    from: (&'static str, &'static str),
    to: (&'static str, &'static str),
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(from.0, from.1)
        .to(to.0, to.1)
        .on_delete(ForeignKeyAction::Cascade)
        .take()
}

#[async_trait::async_trait]
impl MigrationTrait for InitialSchema {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("organizations")
                    .col(string_len("id", 32).primary_key())
                    .col(string_len("name_fa", 200))
                    .col(string_len("name_en", 200))
                    .col(string_len("kind", 24))
                    .col(string_len_null("parent_id", 32))
                    .col(timestamp_with_time_zone("created_at"))
                    .foreign_key(&mut fk(
                        ("organizations", "parent_id"),
                        ("organizations", "id"),
                    ))
                    .take(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("courses")
                    .col(pk_uuid("id"))
                    .col(string_len_uniq("code", 32))
                    .col(string_len("title_fa", 200))
                    .col(string_len("title_en", 200))
                    .col(text("description_fa"))
                    .col(text("description_en"))
                    .col(string_len("category", 40))
                    .col(integer("hours"))
                    .col(string_len("delivery_mode", 16))
                    .col(integer("passing_score"))
                    .col(integer("min_attendance_percent"))
                    .col(integer_null("certificate_validity_months"))
                    .col(boolean("requires_manager_approval"))
                    .col(string_len("status", 16))
                    .col(string_len("owner_organization_id", 32))
                    .col(integer("review_round"))
                    .col(string_len("created_by", 200))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .col(timestamp_with_time_zone_null("published_at"))
                    .foreign_key(&mut fk(
                        ("courses", "owner_organization_id"),
                        ("organizations", "id"),
                    ))
                    .take(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("course_prerequisites")
                    .col(uuid("course_id"))
                    .col(uuid("prerequisite_id"))
                    .col(integer("position"))
                    .primary_key(Index::create().col("course_id").col("prerequisite_id"))
                    .foreign_key(&mut fk_cascade(
                        ("course_prerequisites", "course_id"),
                        ("courses", "id"),
                    ))
                    .foreign_key(&mut fk(
                        ("course_prerequisites", "prerequisite_id"),
                        ("courses", "id"),
                    ))
                    .take(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("programs")
                    .col(pk_uuid("id"))
                    .col(string_len_uniq("code", 32))
                    .col(string_len("title_fa", 200))
                    .col(string_len("title_en", 200))
                    .col(text("description_fa"))
                    .col(text("description_en"))
                    .col(string_len("status", 16))
                    .col(string_len("owner_organization_id", 32))
                    .col(integer("review_round"))
                    .col(string_len("created_by", 200))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .col(timestamp_with_time_zone_null("published_at"))
                    .foreign_key(&mut fk(
                        ("programs", "owner_organization_id"),
                        ("organizations", "id"),
                    ))
                    .take(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("program_courses")
                    .col(uuid("program_id"))
                    .col(uuid("course_id"))
                    .col(integer("position"))
                    .col(boolean("required"))
                    .primary_key(Index::create().col("program_id").col("course_id"))
                    .foreign_key(&mut fk_cascade(
                        ("program_courses", "program_id"),
                        ("programs", "id"),
                    ))
                    .foreign_key(&mut fk(("program_courses", "course_id"), ("courses", "id")))
                    .take(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("program_courses_by_course")
                    .table("program_courses")
                    .col("course_id")
                    .take(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("council_votes")
                    .col(pk_uuid("id"))
                    .col(string_len("subject_kind", 16))
                    .col(uuid("subject_id"))
                    .col(integer("round"))
                    .col(string_len("voter_subject", 200))
                    .col(string_len("voter_name", 200))
                    .col(string_len("voter_organization_id", 32))
                    .col(string_len("decision", 8))
                    .col(text("comment"))
                    .col(timestamp_with_time_zone("voted_at"))
                    .take(),
            )
            .await?;
        // One vote per council member per round: the database enforces it, so
        // two racing votes by the same member cannot both count.
        manager
            .create_index(
                Index::create()
                    .name("council_votes_one_per_member_and_round")
                    .table("council_votes")
                    .col("subject_kind")
                    .col("subject_id")
                    .col("round")
                    .col("voter_subject")
                    .unique()
                    .take(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("sessions")
                    .col(pk_uuid("id"))
                    .col(uuid("course_id"))
                    .col(string_len("status", 16))
                    .col(text("cancel_reason"))
                    .col(json("meetings"))
                    .col(string_len("venue_fa", 300))
                    .col(string_len("venue_en", 300))
                    .col(string_len("online_url", 500))
                    .col(string_len("instructor_subject", 200))
                    .col(string_len("instructor_name", 200))
                    .col(string_len("instructor_organization_id", 32))
                    .col(integer("capacity"))
                    .col(timestamp_with_time_zone("enrolment_opens_at"))
                    .col(timestamp_with_time_zone("enrolment_closes_at"))
                    .col(timestamp_with_time_zone("starts_at"))
                    .col(timestamp_with_time_zone("ends_at"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .foreign_key(&mut fk(("sessions", "course_id"), ("courses", "id")))
                    .take(),
            )
            .await?;
        for (name, cols) in [
            ("sessions_by_start", &["starts_at", "id"][..]),
            ("sessions_by_course", &["course_id", "starts_at"][..]),
            (
                "sessions_by_instructor",
                &["instructor_subject", "starts_at"][..],
            ),
            ("sessions_by_update", &["updated_at"][..]),
        ] {
            let mut index = Index::create().name(name).table("sessions").take();
            for col in cols {
                index.col(*col);
            }
            manager.create_index(index).await?;
        }

        manager
            .create_table(
                Table::create()
                    .table("session_quotas")
                    .col(uuid("session_id"))
                    .col(string_len("organization_id", 32))
                    .col(integer("seats"))
                    .primary_key(Index::create().col("session_id").col("organization_id"))
                    .foreign_key(&mut fk_cascade(
                        ("session_quotas", "session_id"),
                        ("sessions", "id"),
                    ))
                    .foreign_key(&mut fk(
                        ("session_quotas", "organization_id"),
                        ("organizations", "id"),
                    ))
                    .take(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("session_quotas_by_organization")
                    .table("session_quotas")
                    .col("organization_id")
                    .take(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("events")
                    .col(pk_uuid("id"))
                    .col(string_len("kind", 16))
                    .col(string_len("title_fa", 200))
                    .col(string_len("title_en", 200))
                    .col(text("description_fa"))
                    .col(text("description_en"))
                    .col(string_len("place_fa", 300))
                    .col(string_len("place_en", 300))
                    .col(string_len("organizer_organization_id", 32))
                    .col(string_len("url", 500))
                    .col(timestamp_with_time_zone("starts_at"))
                    .col(timestamp_with_time_zone("ends_at"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .foreign_key(&mut fk(
                        ("events", "organizer_organization_id"),
                        ("organizations", "id"),
                    ))
                    .take(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("events_by_start")
                    .table("events")
                    .col("starts_at")
                    .col("id")
                    .take(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("event_participants")
                    .col(uuid("event_id"))
                    .col(string_len("organization_id", 32))
                    .primary_key(Index::create().col("event_id").col("organization_id"))
                    .foreign_key(&mut fk_cascade(
                        ("event_participants", "event_id"),
                        ("events", "id"),
                    ))
                    .foreign_key(&mut fk(
                        ("event_participants", "organization_id"),
                        ("organizations", "id"),
                    ))
                    .take(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("event_participants_by_organization")
                    .table("event_participants")
                    .col("organization_id")
                    .take(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            "event_participants",
            "events",
            "session_quotas",
            "sessions",
            "council_votes",
            "program_courses",
            "programs",
            "course_prerequisites",
            "courses",
            "organizations",
        ] {
            manager
                .drop_table(Table::drop().table(table).take())
                .await?;
        }
        Ok(())
    }
}

/// The people directory (who belongs to which organization).
struct PeopleDirectory;

impl MigrationName for PeopleDirectory {
    fn name(&self) -> &str {
        "m20261129_000002_people_directory"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for PeopleDirectory {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("people")
                    .col(string_len("subject", 256).primary_key())
                    .col(string_len("name_fa", 200))
                    .col(string_len("name_en", 200))
                    .col(string_len("organization_id", 32))
                    .col(string_len("email", 254))
                    .col(string_len("job_title", 200))
                    .col(boolean("active"))
                    .col(string_len("source", 16))
                    .col(text("search_key"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .col(timestamp_with_time_zone_null("last_sign_in_at"))
                    .foreign_key(&mut fk(
                        ("people", "organization_id"),
                        ("organizations", "id"),
                    ))
                    .take(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("people_by_organization")
                    .table("people")
                    .col("organization_id")
                    .col("subject")
                    .take(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("people").take())
            .await
    }
}

/// A revision per updatable row, bumped by every write of it: the etag of a
/// resource (AIP-154) is its revision, and a conditional update writes only
/// `WHERE revision = <the one the caller read>`. Existing rows start at 1.
struct Revisions;

/// The tables whose rows are resources with an etag.
const REVISED_TABLES: [&str; 5] = ["organizations", "courses", "programs", "sessions", "events"];

impl MigrationName for Revisions {
    fn name(&self) -> &str {
        "m20261129_000003_revisions"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Revisions {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One statement per table: SQLite alters one column at a time.
        for table in REVISED_TABLES {
            manager
                .alter_table(
                    Table::alter()
                        .table(table)
                        .add_column(big_integer("revision").default(1))
                        .take(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in REVISED_TABLES {
            manager
                .alter_table(Table::alter().table(table).drop_column("revision").take())
                .await?;
        }
        Ok(())
    }
}

/// The search keys of organizations, courses, programs and events (rows
/// from before get theirs when the service starts: `Store::fill_search_keys`).
struct SearchKeys;

impl MigrationName for SearchKeys {
    fn name(&self) -> &str {
        "m20261129_000004_search_keys"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for SearchKeys {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in ["organizations", "courses", "programs", "events"] {
            manager
                .alter_table(
                    Table::alter()
                        .table(table)
                        .add_column(text("search_key").default(""))
                        .take(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in ["organizations", "courses", "programs", "events"] {
            manager
                .alter_table(Table::alter().table(table).drop_column("search_key").take())
                .await?;
        }
        Ok(())
    }
}

/// The council's settings, set by admins at run time.
struct CouncilSettings;

impl MigrationName for CouncilSettings {
    fn name(&self) -> &str {
        "m20261129_000005_council_settings"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for CouncilSettings {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("council_settings")
                    .col(integer("id").primary_key())
                    .col(integer("required_approvals"))
                    .col(big_integer("revision"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .col(string_len("updated_by_subject", 256))
                    .col(string_len("updated_by_name", 200))
                    .col(string_len("updated_by_organization_id", 32))
                    .take(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("council_settings").take())
            .await
    }
}
