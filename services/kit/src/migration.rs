//! What the services' schema migrations share: the column groups that recur
//! across their tables (a text in both languages, a person, the audit times),
//! named indexes, and changes made to several tables one statement at a time.
//!
//! Shipped migrations call these, so a helper's output must never change:
//! a new shape is a new helper.

use sea_orm::{ConnectionTrait, DatabaseBackend, DbErr};
#[doc(hidden)]
pub use sea_orm_migration as __sea_orm_migration;
use sea_orm_migration::prelude::{
    ColumnDef, Index, IndexCreateStatement, SchemaManager, Table, TableCreateStatement,
};
use sea_orm_migration::schema::{string_len, string_len_null, timestamp_with_time_zone};

/// Declares a service's migrator: the unit struct that runs the migrations
/// listed, in order, and records them in the table named (one per service,
/// so that services may share a database):
///
/// ```ignore
/// hamafza_kit::migrator! {
///     /// Every migration of the library database, in order.
///     pub struct Migrator in "library_migrations" [InitialSchema]
/// }
/// ```
#[macro_export]
macro_rules! migrator {
    ($(#[$meta:meta])* $vis:vis struct $name:ident in $table:literal [$($migration:expr),* $(,)?]) => {
        $(#[$meta])*
        $vis struct $name;

        impl $crate::migration::__sea_orm_migration::MigratorTrait for $name {
            fn migrations() -> Vec<Box<dyn $crate::migration::__sea_orm_migration::MigrationTrait>> {
                vec![$(Box::new($migration)),*]
            }

            fn migration_table_name() -> $crate::migration::__sea_orm_migration::sea_orm::DynIden {
                $table.into()
            }
        }
    };
}

/// Declares a migration's unit struct and its name, the version recorded in
/// the migrations table (never changed once shipped); the struct's
/// `MigrationTrait` impl follows it:
///
/// ```ignore
/// hamafza_kit::migration_name! {
///     /// The people directory.
///     struct PeopleDirectory = "m20261129_000002_people_directory";
/// }
/// ```
#[macro_export]
macro_rules! migration_name {
    ($(#[$meta:meta])* $vis:vis struct $name:ident = $version:literal;) => {
        $(#[$meta])*
        $vis struct $name;

        impl $crate::migration::__sea_orm_migration::MigrationName for $name {
            fn name(&self) -> &str {
                $version
            }
        }
    };
}

/// The column groups of a table being created, in the order they are named.
pub trait ColumnGroups {
    /// A text in both languages: `{stem}_fa` then `{stem}_en`, each made by
    /// `column` (e.g. `text`, or `|name| string_len(name, 200)`).
    fn bilingual(&mut self, stem: &str, column: impl Fn(String) -> ColumnDef) -> &mut Self;

    /// A person in a role (the instructor, who enrolled, who recorded):
    /// `{role}_subject` and `{role}_name` (200 characters each) and
    /// `{role}_organization_id` (32), all required.
    fn person(&mut self, role: &str) -> &mut Self;

    /// [`ColumnGroups::person`], for a role not filled yet (all three null).
    fn person_null(&mut self, role: &str) -> &mut Self;

    /// When the row was created, then when it was last updated.
    fn audit_times(&mut self) -> &mut Self;
}

impl ColumnGroups for TableCreateStatement {
    fn bilingual(&mut self, stem: &str, column: impl Fn(String) -> ColumnDef) -> &mut Self {
        self.col(column(format!("{stem}_fa")))
            .col(column(format!("{stem}_en")))
    }

    fn person(&mut self, role: &str) -> &mut Self {
        self.col(string_len(format!("{role}_subject"), 200))
            .col(string_len(format!("{role}_name"), 200))
            .col(string_len(format!("{role}_organization_id"), 32))
    }

    fn person_null(&mut self, role: &str) -> &mut Self {
        self.col(string_len_null(format!("{role}_subject"), 200))
            .col(string_len_null(format!("{role}_name"), 200))
            .col(string_len_null(format!("{role}_organization_id"), 32))
    }

    fn audit_times(&mut self) -> &mut Self {
        self.col(timestamp_with_time_zone("created_at"))
            .col(timestamp_with_time_zone("updated_at"))
    }
}

/// The index `name` on `table`'s `columns`, in order.
pub fn index(name: &str, table: &'static str, columns: &[&'static str]) -> IndexCreateStatement {
    let mut index = Index::create().name(name).table(table).take();
    for column in columns {
        index.col(*column);
    }
    index
}

/// The index a leased outbox's dispatcher reads due rows by:
/// `{table}_due` on (`delivered_at`, `next_attempt_at`).
pub fn outbox_due_index(table: &'static str) -> IndexCreateStatement {
    index(
        &format!("{table}_due"),
        table,
        &["delivered_at", "next_attempt_at"],
    )
}

/// Drops `tables`, in order (dependents first).
pub async fn drop_tables(
    manager: &SchemaManager<'_>,
    tables: &[&'static str],
) -> Result<(), DbErr> {
    for table in tables {
        manager
            .drop_table(Table::drop().table(*table).take())
            .await?;
    }
    Ok(())
}

/// Adds `column` to each of `tables`, one statement per table: SQLite alters
/// one column at a time.
pub async fn add_column_to_each(
    manager: &SchemaManager<'_>,
    tables: &[&'static str],
    column: ColumnDef,
) -> Result<(), DbErr> {
    for table in tables {
        manager
            .alter_table(
                Table::alter()
                    .table(*table)
                    .add_column(column.clone())
                    .take(),
            )
            .await?;
    }
    Ok(())
}

/// Drops the column `name` from each of `tables`, one statement per table.
pub async fn drop_column_from_each(
    manager: &SchemaManager<'_>,
    tables: &[&'static str],
    name: &'static str,
) -> Result<(), DbErr> {
    for table in tables {
        manager
            .alter_table(Table::alter().table(*table).drop_column(name).take())
            .await?;
    }
    Ok(())
}

/// Adds `columns` to `table`, one statement per column: SQLite alters one
/// column at a time.
pub async fn add_columns(
    manager: &SchemaManager<'_>,
    table: &'static str,
    columns: impl IntoIterator<Item = ColumnDef>,
) -> Result<(), DbErr> {
    for column in columns {
        manager
            .alter_table(Table::alter().table(table).add_column(column).take())
            .await?;
    }
    Ok(())
}

/// Creates `table`'s indexes, each a name and its columns in order.
pub async fn create_indexes(
    manager: &SchemaManager<'_>,
    table: &'static str,
    indexes: &[(&str, &[&'static str])],
) -> Result<(), DbErr> {
    for (name, columns) in indexes {
        manager.create_index(index(name, table, columns)).await?;
    }
    Ok(())
}

/// Drops the columns `names` from `table`, one statement per column.
pub async fn drop_columns(
    manager: &SchemaManager<'_>,
    table: &'static str,
    names: &[&'static str],
) -> Result<(), DbErr> {
    for name in names {
        manager
            .alter_table(Table::alter().table(table).drop_column(*name).take())
            .await?;
    }
    Ok(())
}

/// A trigger run after each row of a table that an `op` changes.
pub struct RowTrigger {
    /// The trigger's name (on PostgreSQL also its function's).
    pub name: String,
    /// `INSERT`, `UPDATE` or `DELETE`.
    pub op: &'static str,
    /// The condition on `OLD` / `NEW` it runs under; `None`: every row.
    pub when: Option<String>,
    /// Its statements, each ending with `;` (on PostgreSQL, PL/pgSQL).
    pub body: String,
}

/// Creates `triggers` on `table`: on PostgreSQL a PL/pgSQL function and a
/// trigger executing it for each, on SQLite a trigger with the body inline.
pub async fn create_row_triggers(
    manager: &SchemaManager<'_>,
    table: &str,
    triggers: &[RowTrigger],
) -> Result<(), DbErr> {
    let db = manager.get_connection();
    let postgres = manager.get_database_backend() == DatabaseBackend::Postgres;
    for RowTrigger {
        name,
        op,
        when,
        body,
    } in triggers
    {
        if postgres {
            db.execute_unprepared(&format!(
                "CREATE FUNCTION {name}() RETURNS trigger \
                 LANGUAGE plpgsql AS $body$ BEGIN\n{body}RETURN NULL;\nEND $body$"
            ))
            .await?;
            let when = when
                .as_ref()
                .map(|when| format!("WHEN ({when}) "))
                .unwrap_or_default();
            db.execute_unprepared(&format!(
                "CREATE TRIGGER {name} AFTER {op} ON {table} \
                 FOR EACH ROW {when}EXECUTE FUNCTION {name}()"
            ))
            .await?;
        } else {
            let when = when
                .as_ref()
                .map(|when| format!("WHEN {when}"))
                .unwrap_or_default();
            db.execute_unprepared(&format!(
                "CREATE TRIGGER {name} AFTER {op} ON {table} \
                 FOR EACH ROW {when} BEGIN\n{body}END"
            ))
            .await?;
        }
    }
    Ok(())
}

/// Drops the triggers `names` on `table` made by [`create_row_triggers`]
/// (and on PostgreSQL their functions).
pub async fn drop_row_triggers(
    manager: &SchemaManager<'_>,
    table: &str,
    names: &[&str],
) -> Result<(), DbErr> {
    let db = manager.get_connection();
    let postgres = manager.get_database_backend() == DatabaseBackend::Postgres;
    for name in names {
        if postgres {
            db.execute_unprepared(&format!("DROP TRIGGER IF EXISTS {name} ON {table}"))
                .await?;
            db.execute_unprepared(&format!("DROP FUNCTION IF EXISTS {name}()"))
                .await?;
        } else {
            db.execute_unprepared(&format!("DROP TRIGGER IF EXISTS {name}"))
                .await?;
        }
    }
    Ok(())
}

/// On PostgreSQL, creates `{name}()`, a function of `statements` run under a
/// SHARE lock on `table` (writers of it wait; readers go on): the rebuild of
/// what triggers keep, for bulk loads made with the triggers disabled.
/// Nothing on SQLite (its bulk loads run the triggers).
pub async fn create_rebuild_function(
    manager: &SchemaManager<'_>,
    name: &str,
    table: &str,
    statements: &[String],
) -> Result<(), DbErr> {
    if manager.get_database_backend() != DatabaseBackend::Postgres {
        return Ok(());
    }
    let body: String = statements
        .iter()
        .map(|statement| format!("{statement};\n"))
        .collect();
    manager
        .get_connection()
        .execute_unprepared(&format!(
            "CREATE FUNCTION {name}() RETURNS void \
             LANGUAGE plpgsql AS $body$ BEGIN\n\
             LOCK TABLE {table} IN SHARE MODE;\n{body}END $body$"
        ))
        .await?;
    Ok(())
}

/// Runs `statements`, in order.
pub async fn execute_each(manager: &SchemaManager<'_>, statements: &[String]) -> Result<(), DbErr> {
    for statement in statements {
        manager
            .get_connection()
            .execute_unprepared(statement)
            .await?;
    }
    Ok(())
}

/// Drops the function `name` made by [`create_rebuild_function`].
pub async fn drop_rebuild_function(manager: &SchemaManager<'_>, name: &str) -> Result<(), DbErr> {
    if manager.get_database_backend() == DatabaseBackend::Postgres {
        manager
            .get_connection()
            .execute_unprepared(&format!("DROP FUNCTION IF EXISTS {name}()"))
            .await?;
    }
    Ok(())
}
