//! Schema migrations of the courses database. Migrations are append-only:
//! never edit one that has shipped; add the next.

mod audience;
mod hosting;
mod people_changes;
mod request_keys;
mod search_index;
mod votes_by_voter;

use hamafza_kit::migration::{
    ColumnGroups, add_column_to_each, add_columns, create_indexes, drop_column_from_each,
    drop_columns, drop_tables, index, outbox_due_index,
};
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use audience::CourseAudience;
use hosting::HostedSessions;
use people_changes::PeopleChanges;
use request_keys::RequestKeys;
use search_index::SearchKeyTrigrams;
use votes_by_voter::VotesByVoter;

hamafza_kit::migrator! {
    /// Every migration of the courses database, in order.
    pub struct Migrator in "courses_migrations" [
        InitialSchema,
        PeopleDirectory,
        Revisions,
        SearchKeys,
        CouncilSettings,
        HostedSessions,
        PersonRoles,
        NotifyOutbox,
        SearchKeyTrigrams,
        CourseAudience,
        PeopleChanges,
        VotesByVoter,
        RequestKeys,
        hamafza_kit::retention::RequestIdsByAge,
    ]
}

hamafza_kit::migration_name! {
    /// Organizations, courses, programs, council votes, sessions and events.
    struct InitialSchema = "m20261126_000001_initial_schema";
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

/// A catalogue entry the council reviews (a course, a program) in the
/// table `name`: its key, code, title and description, then `specifics`,
/// then its review state, owner, author, audit and publication times.
fn reviewed_entry<const N: usize>(
    name: &'static str,
    specifics: [ColumnDef; N],
) -> TableCreateStatement {
    let mut table = Table::create()
        .table(name)
        .col(pk_uuid("id"))
        .col(string_len_uniq("code", 32))
        .bilingual("title", |column| string_len(column, 200))
        .bilingual("description", text)
        .take();
    for column in specifics {
        table.col(column);
    }
    table
        .col(string_len("status", 16))
        .col(string_len("owner_organization_id", 32))
        .col(integer("review_round"))
        .col(string_len("created_by", 200))
        .audit_times()
        .col(timestamp_with_time_zone_null("published_at"))
        .foreign_key(&mut fk(
            (name, "owner_organization_id"),
            ("organizations", "id"),
        ))
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
                    .bilingual("name", |name| string_len(name, 200))
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
            .create_table(reviewed_entry(
                "courses",
                [
                    string_len("category", 40),
                    integer("hours"),
                    string_len("delivery_mode", 16),
                    integer("passing_score"),
                    integer("min_attendance_percent"),
                    integer_null("certificate_validity_months"),
                    boolean("requires_manager_approval"),
                ],
            ))
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

        manager.create_table(reviewed_entry("programs", [])).await?;

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
            .create_index(index(
                "program_courses_by_course",
                "program_courses",
                &["course_id"],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("council_votes")
                    .col(pk_uuid("id"))
                    .col(string_len("subject_kind", 16))
                    .col(uuid("subject_id"))
                    .col(integer("round"))
                    .person("voter")
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
                    .bilingual("venue", |name| string_len(name, 300))
                    .col(string_len("online_url", 500))
                    .person("instructor")
                    .col(integer("capacity"))
                    .col(timestamp_with_time_zone("enrolment_opens_at"))
                    .col(timestamp_with_time_zone("enrolment_closes_at"))
                    .col(timestamp_with_time_zone("starts_at"))
                    .col(timestamp_with_time_zone("ends_at"))
                    .audit_times()
                    .foreign_key(&mut fk(("sessions", "course_id"), ("courses", "id")))
                    .take(),
            )
            .await?;
        create_indexes(
            manager,
            "sessions",
            &[
                ("sessions_by_start", &["starts_at", "id"]),
                ("sessions_by_course", &["course_id", "starts_at"]),
                (
                    "sessions_by_instructor",
                    &["instructor_subject", "starts_at"],
                ),
                ("sessions_by_update", &["updated_at"]),
            ],
        )
        .await?;

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
            .create_index(index(
                "session_quotas_by_organization",
                "session_quotas",
                &["organization_id"],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("events")
                    .col(pk_uuid("id"))
                    .col(string_len("kind", 16))
                    .bilingual("title", |name| string_len(name, 200))
                    .bilingual("description", text)
                    .bilingual("place", |name| string_len(name, 300))
                    .col(string_len("organizer_organization_id", 32))
                    .col(string_len("url", 500))
                    .col(timestamp_with_time_zone("starts_at"))
                    .col(timestamp_with_time_zone("ends_at"))
                    .audit_times()
                    .foreign_key(&mut fk(
                        ("events", "organizer_organization_id"),
                        ("organizations", "id"),
                    ))
                    .take(),
            )
            .await?;
        manager
            .create_index(index("events_by_start", "events", &["starts_at", "id"]))
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
            .create_index(index(
                "event_participants_by_organization",
                "event_participants",
                &["organization_id"],
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(
            manager,
            &[
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
            ],
        )
        .await
    }
}

hamafza_kit::migration_name! {
    /// The people directory (who belongs to which organization).
    struct PeopleDirectory = "m20261129_000002_people_directory";
}

#[async_trait::async_trait]
impl MigrationTrait for PeopleDirectory {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("people")
                    .col(string_len("subject", 256).primary_key())
                    .bilingual("name", |name| string_len(name, 200))
                    .col(string_len("organization_id", 32))
                    .col(string_len("email", 254))
                    .col(string_len("job_title", 200))
                    .col(boolean("active"))
                    .col(string_len("source", 16))
                    .col(text("search_key"))
                    .audit_times()
                    .col(timestamp_with_time_zone_null("last_sign_in_at"))
                    .foreign_key(&mut fk(
                        ("people", "organization_id"),
                        ("organizations", "id"),
                    ))
                    .take(),
            )
            .await?;
        manager
            .create_index(index(
                "people_by_organization",
                "people",
                &["organization_id", "subject"],
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(manager, &["people"]).await
    }
}

hamafza_kit::migration_name! {
    /// A revision per updatable row, bumped by every write of it: the etag of a
    /// resource (AIP-154) is its revision, and a conditional update writes only
    /// `WHERE revision = <the one the caller read>`. Existing rows start at 1.
    struct Revisions = "m20261129_000003_revisions";
}

/// The tables whose rows are resources with an etag.
const REVISED_TABLES: [&str; 5] = ["organizations", "courses", "programs", "sessions", "events"];

#[async_trait::async_trait]
impl MigrationTrait for Revisions {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        add_column_to_each(
            manager,
            &REVISED_TABLES,
            big_integer("revision").default(1).take(),
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_column_from_each(manager, &REVISED_TABLES, "revision").await
    }
}

hamafza_kit::migration_name! {
    /// The search keys of organizations, courses, programs and events (rows
    /// from before get theirs when the service starts: `Store::fill_search_keys`).
    struct SearchKeys = "m20261129_000004_search_keys";
}

/// The tables given a search key by this migration (`people` had one already).
const KEYED_TABLES: [&str; 4] = ["organizations", "courses", "programs", "events"];

#[async_trait::async_trait]
impl MigrationTrait for SearchKeys {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        add_column_to_each(
            manager,
            &KEYED_TABLES,
            text("search_key").default("").take(),
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_column_from_each(manager, &KEYED_TABLES, "search_key").await
    }
}

hamafza_kit::migration_name! {
    /// The council's settings, set by admins at run time.
    struct CouncilSettings = "m20261129_000005_council_settings";
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
        drop_tables(manager, &["council_settings"]).await
    }
}

hamafza_kit::migration_name! {
    /// The roles each person of the directory holds (whom to tell: a company's
    /// PR managers, the council). People from before have none until their next
    /// sign-in or edit.
    struct PersonRoles = "m20261129_000006_person_roles";
}

#[async_trait::async_trait]
impl MigrationTrait for PersonRoles {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        add_columns(
            manager,
            "people",
            [string_len("roles", 200).default("").take()],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_columns(manager, "people", &["roles"]).await
    }
}

hamafza_kit::migration_name! {
    /// The notifications outbox (the kit's leased outbox): a session's moved
    /// meetings, published to the notifications service.
    struct NotifyOutbox = "m20261129_000007_notify_outbox";
}

#[async_trait::async_trait]
impl MigrationTrait for NotifyOutbox {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(hamafza_kit::outbox::create_table("notify_outbox"))
            .await?;
        manager
            .create_index(outbox_due_index("notify_outbox"))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(manager, &["notify_outbox"]).await
    }
}
