//! Search stays fast at 100k courses on PostgreSQL: the contains-search the
//! store runs on the folded search key (`LIKE '%key%'`) reads the key's
//! trigram index instead of every row. On SQLite the migrations run and
//! leave no such index (SQLite keeps its plain scan).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use hamafza_courses::Migrator;
use hamafza_courses::store::entities::course;
use hamafza_kit::testing::TestDatabase;
use sea_orm::{ConnectionTrait, EntityTrait, QueryFilter, QuerySelect, QueryTrait, Statement};
use sea_orm_migration::MigratorTrait;

const ROWS: i64 = 100_000;

#[tokio::test]
async fn a_contains_search_of_100k_courses_reads_the_trigram_index_on_postgres() {
    let database = TestDatabase::create().await;
    let db = hamafza_kit::db::connect(&database.url).await.unwrap();
    Migrator::up(&db, None).await.unwrap();

    // The store's own condition, folded like any query (Arabic yeh, a
    // space, Persian digits): no other seeded key holds «روابطعمومی99999».
    let search = course::Entity::find()
        .select_only()
        .column(course::Column::Code)
        .filter(hamafza_kit::db::matches_search_key(
            course::Column::SearchKey,
            "روابط عمومي ۹۹۹۹۹",
        ))
        .build(db.get_database_backend());

    if !database.is_postgres() {
        let indexes = db
            .query_all_raw(Statement::from_string(
                db.get_database_backend(),
                "SELECT name FROM sqlite_master WHERE type = 'index' AND name LIKE '%trgm%'",
            ))
            .await
            .unwrap();
        assert!(indexes.is_empty(), "SQLite has no trigram index");
        assert!(db.query_all_raw(search.clone()).await.unwrap().is_empty());
        return;
    }

    db.execute_unprepared(
        "INSERT INTO organizations (id, name_fa, name_en, kind, created_at)
         VALUES ('imidro', 'ایمیدرو', 'IMIDRO', 'holding', now())",
    )
    .await
    .unwrap();
    // One statement, not 100k calls; keys as `search_key_of` stores them.
    let seeded = db
        .execute_unprepared(&format!(
            "INSERT INTO courses (id, code, title_fa, title_en, description_fa, description_en,
                 category, hours, delivery_mode, passing_score, min_attendance_percent,
                 requires_manager_approval, status, owner_organization_id, review_round,
                 created_by, created_at, updated_at, search_key)
             SELECT gen_random_uuid(), 'PR-' || n, 'روابط عمومی ' || n, 'Public relations ' || n,
                 '', '', 'media-relations', 8, 'in_person', 70, 75, false, 'published',
                 'imidro', 0, 'test', now(), now(),
                 'pr' || n || '|روابطعمومی' || n || '|publicrelations' || n
             FROM generate_series(1, {ROWS}) AS n"
        ))
        .await
        .unwrap();
    assert_eq!(seeded.rows_affected(), u64::try_from(ROWS).unwrap());
    db.execute_unprepared("ANALYZE courses").await.unwrap();

    let (sql, values) = (search.sql.clone(), search.values.clone());
    let plan = db
        .query_all_raw(Statement::from_sql_and_values(
            db.get_database_backend(),
            format!("EXPLAIN (ANALYZE, FORMAT TEXT) {sql}"),
            values.unwrap_or(sea_orm::Values(Vec::new())),
        ))
        .await
        .unwrap()
        .into_iter()
        .map(|row| row.try_get_by_index::<String>(0).unwrap())
        .collect::<Vec<_>>()
        .join("\n");
    println!("{plan}");
    assert!(
        plan.contains("courses_search_key_trgm") && !plan.contains("Seq Scan"),
        "the search did not use the trigram index:\n{plan}"
    );
    let found = db.query_all_raw(search.clone()).await.unwrap();
    assert_eq!(found.len(), 1, "PR-99999 alone holds «روابط عمومی ۹۹۹۹۹»");
    assert_eq!(found[0].try_get::<String>("", "code").unwrap(), "PR-99999");
}
