//! Test support: a fresh database per test (a SQLite file, or a uniquely named
//! PostgreSQL database when `HAMAFZA_TEST_DATABASE_URL` is set, dropped
//! afterwards) and a token issuer.
//!
//! Test support fails loudly: a test that cannot get its database should stop.
#![allow(clippy::expect_used, clippy::panic)]

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use sea_orm::{ConnectionTrait, Database};

use crate::auth::{DevIssuer, Role, TokenRequest, TokenVerifier};

/// The variable naming a PostgreSQL server for tests, e.g.
/// `postgres://postgres@127.0.0.1:5432/postgres`.
pub const TEST_DATABASE_URL_ENV: &str = "HAMAFZA_TEST_DATABASE_URL";

/// A database that exists for one test.
pub struct TestDatabase {
    /// The URL to connect to.
    pub url: String,
    postgres: Option<(String, String)>,
    dir: PathBuf,
}

impl TestDatabase {
    /// Creates a fresh, empty database.
    pub async fn create() -> Self {
        let dir = temp_dir("db");
        match std::env::var(TEST_DATABASE_URL_ENV) {
            Ok(admin_url) if !admin_url.trim().is_empty() => {
                let name = format!("hamafza_test_{}", uuid::Uuid::now_v7().simple());
                let admin = Database::connect(&admin_url)
                    .await
                    .expect("connect to HAMAFZA_TEST_DATABASE_URL");
                admin
                    .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
                    .await
                    .expect("create a test database");
                let _ = admin.close().await;
                let url = replace_database(&admin_url, &name);
                Self {
                    url,
                    postgres: Some((admin_url, name)),
                    dir,
                }
            }
            _ => Self {
                url: format!("sqlite://{}?mode=rwc", dir.join("test.db").display()),
                postgres: None,
                dir,
            },
        }
    }

    /// Whether this is a PostgreSQL database.
    pub fn is_postgres(&self) -> bool {
        self.postgres.is_some()
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
        let Some((admin_url, name)) = self.postgres.take() else {
            return;
        };
        // Drop runs outside any async context we can await in, so the cleanup
        // gets a small runtime of its own on a helper thread.
        let cleanup = std::thread::spawn(move || {
            let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            runtime.block_on(async move {
                if let Ok(admin) = Database::connect(&admin_url).await {
                    let _ = admin
                        .execute_unprepared(&format!(
                            "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
                        ))
                        .await;
                    let _ = admin.close().await;
                }
            });
        });
        let _ = cleanup.join();
    }
}

/// Runs each of a service's purges (`purges_of` its store on a fresh
/// database migrated by `M`) with one request id old enough to go, and
/// answers how many rows went in all: a purge naming a table or column that
/// the schema lacks fails here, not in a running service's log.
pub async fn run_purges<M: sea_orm_migration::MigratorTrait>(
    purges_of: impl FnOnce(sea_orm::DatabaseConnection) -> Vec<crate::retention::Purge>,
) -> u64 {
    use sea_orm::{ActiveModelTrait, Set};
    let database = TestDatabase::create().await;
    let db = crate::db::connect_and_migrate::<M>(&database.url)
        .await
        .expect("a migrated test database");
    let now = chrono::Utc::now();
    let purges = purges_of(db.clone());
    let after = purges
        .iter()
        .map(|purge| purge.after)
        .max()
        .unwrap_or_default();
    if purges.iter().any(|purge| purge.table == "idempotency_keys") {
        crate::idempotency::key::ActiveModel {
            caller_subject: Set("someone".to_owned()),
            request_id: Set("long-ago".to_owned()),
            request_hash: Set(vec![0]),
            response: Set(vec![]),
            created_at: Set(
                now - chrono::Duration::from_std(after).expect("a retention in range") * 2
            ),
        }
        .insert(&db)
        .await
        .expect("an old request id");
    }
    let mut gone = 0;
    for purge in &purges {
        gone += purge
            .all(&db, now)
            .await
            .unwrap_or_else(|error| panic!("purging {}: {error}", purge.table));
    }
    gone
}

/// A fresh database migrated by `M`, a connection to it, and the count of
/// the statements that connection sends from now on (its clones share the
/// count), e.g. to show how many round trips an operation takes.
pub async fn counted_database<M: sea_orm_migration::MigratorTrait>()
-> (TestDatabase, sea_orm::DatabaseConnection, Arc<AtomicUsize>) {
    let database = TestDatabase::create().await;
    let mut db = crate::db::connect_and_migrate::<M>(&database.url)
        .await
        .expect("the test database migrates");
    let statements = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&statements);
    db.set_metric_callback(move |_| {
        counter.fetch_add(1, Ordering::SeqCst);
    });
    (database, db, statements)
}

fn replace_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let base = match base[scheme_end..].find('/') {
        Some(slash) => &base[..scheme_end + slash],
        None => base,
    };
    match query {
        Some(query) => format!("{base}/{name}?{query}"),
        None => format!("{base}/{name}"),
    }
}

/// A new empty directory under the system's temp dir.
pub fn temp_dir(label: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("hamafza-{label}-{}", uuid::Uuid::now_v7()));
    std::fs::create_dir_all(&dir).expect("create a temp dir");
    dir
}

/// Mints tokens the way the identity provider would, for tests.
pub struct TestIssuer {
    issuer: DevIssuer,
    /// The directory holding the key.
    pub dir: PathBuf,
}

impl TestIssuer {
    /// The issuer name tests use.
    pub const ISSUER: &'static str = "hamafza-dev";
    /// The audience tests use.
    pub const AUDIENCE: &'static str = "hamafza";

    /// A new issuer with a fresh key.
    pub fn new() -> Self {
        let dir = temp_dir("issuer");
        let issuer = DevIssuer::load_or_create(&dir, Self::ISSUER, Self::AUDIENCE)
            .expect("create a test issuer");
        Self { issuer, dir }
    }

    /// A verifier trusting this issuer.
    pub fn verifier(&self) -> Arc<TokenVerifier> {
        Arc::new(
            TokenVerifier::from_jwks(&self.issuer.jwks(), Self::ISSUER, Self::AUDIENCE, 1000)
                .expect("a verifier for the test issuer"),
        )
    }

    /// A one-hour token for `subject` of `organization` with `roles`.
    pub fn token(&self, subject: &str, organization: &str, roles: &[Role]) -> String {
        self.issuer
            .mint(&TokenRequest {
                subject: subject.to_owned(),
                organization_id: organization.to_owned(),
                roles: roles.to_vec(),
                name: format!("{subject} name"),
                ttl: Duration::from_secs(3600),
            })
            .expect("mint a test token")
    }

    /// The underlying issuer.
    pub fn issuer(&self) -> &DevIssuer {
        &self.issuer
    }
}

impl Default for TestIssuer {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn database_names_are_replaced() {
        assert_eq!(
            super::replace_database("postgres://u@h:5432/postgres", "x"),
            "postgres://u@h:5432/x"
        );
        assert_eq!(
            super::replace_database("postgres://u@h/postgres?sslmode=disable", "x"),
            "postgres://u@h/x?sslmode=disable"
        );
        assert_eq!(
            super::replace_database("postgres://u@h", "x"),
            "postgres://u@h/x"
        );
    }
}
