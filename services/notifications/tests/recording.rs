//! Recording an event's notifications in the store: once per dedupe key
//! however often (and however concurrently) the event comes, with the
//! event's count as the answer, in one statement on PostgreSQL, and an
//! event's notifications found by index, not by reading them all.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use chrono::Utc;
use hamafza_kit::testing::TestDatabase;
use hamafza_notifications::store::entities::notification;
use hamafza_notifications::store::queries::{Claim, Draft, Email};
use hamafza_notifications::{Migrator, Store};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement, TransactionTrait};
use uuid::Uuid;

async fn store() -> (TestDatabase, Store, DatabaseConnection, Arc<AtomicUsize>) {
    let (database, db, statements) = hamafza_kit::testing::counted_database::<Migrator>().await;
    (database, Store::new(db.clone()), db, statements)
}

/// The event's notification for `subject`, with an email when `address`.
fn draft(event_id: Uuid, subject: &str, address: Option<&str>) -> Draft {
    Draft {
        notification: notification::Model {
            id: Uuid::now_v7(),
            dedupe_key: format!("{event_id}:{subject}:ENROLMENT_CONFIRMED"),
            event_id,
            recipient_subject: subject.to_owned(),
            kind: 1,
            title_fa: "ثبت‌نام تأیید شد".to_owned(),
            title_en: "Enrolment confirmed".to_owned(),
            body_fa: "جای شما محفوظ است.".to_owned(),
            body_en: "Your seat is held.".to_owned(),
            link: "/me/learning".to_owned(),
            created_at: Utc::now(),
            read_at: None,
        },
        email: address.map(|to| Email {
            to: to.to_owned(),
            subject: "Enrolment confirmed".to_owned(),
            message: b"Subject: Enrolment confirmed\r\n\r\nYour seat is held.\r\n".to_vec(),
            html: "<p>Your seat is held.</p>".to_owned(),
        }),
    }
}

async fn scalar(db: &DatabaseConnection, sql: &str) -> i64 {
    db.query_one_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .unwrap()
        .unwrap()
        .try_get_by_index::<i64>(0)
        .unwrap()
}

#[tokio::test]
async fn an_event_is_recorded_once_however_often_it_comes() {
    let (database, store, db, statements) = store().await;
    let event = Uuid::now_v7();
    let drafts = || {
        vec![
            draft(event, "trainee-1", Some("trainee-1@msc.example")),
            draft(event, "manager-1", None),
        ]
    };

    let before = statements.load(Ordering::SeqCst);
    assert_eq!(store.record(event, drafts()).await.unwrap(), 2);
    if database.is_postgres() {
        // The notifications, their emails and the count: one round trip.
        assert_eq!(statements.load(Ordering::SeqCst) - before, 1);
    }

    // Delivered again: nothing more, and answered with the event's count.
    assert_eq!(store.record(event, drafts()).await.unwrap(), 2);

    // Another event delivered ten times at once from the start (replicas,
    // retries): recorded once, and each answers with the event's count,
    // also those whose snapshot was taken before the winner committed.
    let raced = Uuid::now_v7();
    let racing = || {
        vec![
            draft(raced, "trainee-3", None),
            draft(raced, "trainee-4", None),
        ]
    };
    let deliveries: Vec<_> = (0..10)
        .map(|_| {
            let (store, drafts) = (store.clone(), racing());
            tokio::spawn(async move { store.record(raced, drafts).await })
        })
        .collect();
    for count in deliveries {
        assert_eq!(count.await.unwrap().unwrap(), 2);
    }
    assert_eq!(scalar(&db, "SELECT count(*) FROM notifications").await, 4);
    assert_eq!(
        scalar(
            &db,
            "SELECT count(*) FROM deliveries WHERE state = 'pending'"
        )
        .await,
        1
    );
    assert_eq!(
        scalar(
            &db,
            "SELECT count(*) FROM deliveries WHERE state = 'no_address'"
        )
        .await,
        3
    );

    // Another event is its own: the count is of the event, not the table.
    let other = Uuid::now_v7();
    assert_eq!(
        store
            .record(other, vec![draft(other, "trainee-1", None)])
            .await
            .unwrap(),
        1
    );
    assert_eq!(store.record(Uuid::now_v7(), Vec::new()).await.unwrap(), 0);
}

#[tokio::test]
async fn a_kind_its_recipient_turned_off_is_left_out_unless_nobody_may() {
    let (database, store, db, statements) = store().await;
    store.set_muted("trainee-1", &[1, 7]).await.unwrap();
    let confirmed = Uuid::now_v7();
    let drafts = vec![
        draft(confirmed, "trainee-1", Some("trainee-1@msc.example")),
        draft(confirmed, "trainee-2", None),
    ];
    let before = statements.load(Ordering::SeqCst);
    assert_eq!(store.record(confirmed, drafts).await.unwrap(), 1);
    if database.is_postgres() {
        // Left out by the statement itself, which also counts it.
        assert_eq!(statements.load(Ordering::SeqCst) - before, 1);
    }
    // CANCELLED (7) cannot be turned off: a stored row for it is ignored.
    let cancelled = Uuid::now_v7();
    let mut told = draft(cancelled, "trainee-1", Some("trainee-1@msc.example"));
    told.notification.kind = 7;
    assert_eq!(store.record(cancelled, vec![told]).await.unwrap(), 1);
    assert_eq!(
        scalar(
            &db,
            "SELECT count(*) FROM notifications WHERE recipient_subject = 'trainee-1'"
        )
        .await,
        1
    );
    assert_eq!(
        scalar(
            &db,
            "SELECT count(*) FROM deliveries WHERE state = 'pending'"
        )
        .await,
        1,
        "the muted one's email is left out with it"
    );
}

#[tokio::test]
async fn a_claimed_notice_is_recorded_by_the_one_that_claimed_it() {
    let (_database, store, db, _) = store().await;
    let session_id = Uuid::now_v7();
    let claim = Claim::Reminder {
        session_id,
        at: Utc::now(),
    };
    // trainee-0 turned reminders (SESSION_REMINDER, 11) off.
    store.set_muted("trainee-0", &[11]).await.unwrap();
    let takers: Vec<_> = (0..5)
        .map(|i| {
            // Each replica makes its own event id; only one may record.
            let (store, event) = (store.clone(), Uuid::now_v7());
            let mut drafts = vec![
                draft(event, "trainee-0", None),
                draft(event, &format!("trainee-{}", i + 1), None),
            ];
            for draft in &mut drafts {
                draft.notification.kind = 11;
            }
            tokio::spawn(async move { store.record_claimed(Some(claim), event, drafts).await })
        })
        .collect();
    let mut taken = Vec::new();
    for taker in takers {
        taken.extend(taker.await.unwrap().unwrap());
    }
    assert_eq!(
        taken,
        [1],
        "one replica takes the reminder, and leaves out who muted it"
    );
    assert_eq!(scalar(&db, "SELECT count(*) FROM notifications").await, 1);
    assert_eq!(scalar(&db, "SELECT count(*) FROM deliveries").await, 1);
    assert_eq!(scalar(&db, "SELECT count(*) FROM reminders").await, 1);
}

#[tokio::test]
async fn a_session_event_to_thousands_is_recorded() {
    // More than one statement may carry on PostgreSQL (65,535 parameters,
    // 15 a notification): a session of that many seat holders changes.
    let (_database, store, db, _) = store().await;
    let event = Uuid::now_v7();
    let drafts: Vec<Draft> = (0..4_400)
        .map(|i| draft(event, &format!("trainee-{i}"), None))
        .collect();
    assert_eq!(store.record(event, drafts).await.unwrap(), 4_400);
    assert_eq!(scalar(&db, "SELECT count(*) FROM deliveries").await, 4_400);
}

#[tokio::test]
async fn an_events_notifications_are_found_by_index() {
    let (database, _store, db, _) = store().await;
    let event = Uuid::now_v7();
    let plan = if database.is_postgres() {
        // A small table is cheaper to read whole: tell the planner not to,
        // so the plan shows whether an index exists.
        let txn = db.begin().await.unwrap();
        txn.execute_unprepared("SET LOCAL enable_seqscan = off")
            .await
            .unwrap();
        let rows = txn
            .query_all_raw(Statement::from_string(
                DbBackend::Postgres,
                format!("EXPLAIN SELECT count(*) FROM notifications WHERE event_id = '{event}'"),
            ))
            .await
            .unwrap();
        txn.rollback().await.unwrap();
        rows.iter()
            .map(|row| row.try_get_by_index::<String>(0).unwrap())
            .collect::<Vec<_>>()
            .join("\n")
    } else {
        // SQLite's plan for an empty table says little: the index itself.
        let rows = db
            .query_all_raw(Statement::from_string(
                DbBackend::Sqlite,
                "SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'notifications'",
            ))
            .await
            .unwrap();
        rows.iter()
            .filter_map(|row| row.try_get::<Option<String>>("", "sql").unwrap())
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert!(
        plan.contains("notifications_by_event") && plan.contains("event_id"),
        "{plan}"
    );
}

#[tokio::test]
async fn emails_sent_and_claims_long_past_are_deleted_and_nothing_else() {
    let (_database, store, db, _) = store().await;
    let backend = db.get_database_backend();
    let now = Utc::now();
    let ago = |days: i64| now - chrono::Duration::days(days);
    // Six emails: (state, days since their event) and whether each stays.
    let emails = [
        ("sent", 40, false),
        ("no_address", 40, false),
        ("sent", 10, true),
        // Parked: kept three times as long, for someone to look into.
        ("parked", 40, true),
        ("parked", 100, false),
        // Never given up on: kept whatever its age.
        ("pending", 200, true),
    ];
    let event = Uuid::now_v7();
    let drafts: Vec<Draft> = (0..emails.len())
        .map(|n| draft(event, &format!("trainee-{n}"), Some("someone@msc.example")))
        .collect();
    let ids: Vec<Uuid> = drafts.iter().map(|d| d.notification.id).collect();
    store.record(event, drafts).await.unwrap();
    for (id, (state, days, _)) in ids.iter().zip(emails) {
        db.execute_raw(Statement::from_sql_and_values(
            backend,
            "UPDATE deliveries SET state = $1, created_at = $2 WHERE notification_id = $3",
            [state.into(), ago(days).into(), (*id).into()],
        ))
        .await
        .unwrap();
    }
    // Reminder claims of 40 and 1 days ago; expiry notice claims of 40 days
    // (kept: 90 at least) and 100.
    for (session, days) in [(Uuid::now_v7(), 40), (Uuid::now_v7(), 1)] {
        db.execute_raw(Statement::from_sql_and_values(
            backend,
            "INSERT INTO reminders (session_id, sent_at) VALUES ($1, $2)",
            [session.into(), ago(days).into()],
        ))
        .await
        .unwrap();
    }
    let certificate = Uuid::now_v7();
    for (threshold, days) in [(60, 100), (14, 40)] {
        db.execute_raw(Statement::from_sql_and_values(
            backend,
            "INSERT INTO expiry_notices (certificate_id, threshold_days, sent_at) \
             VALUES ($1, $2, $3)",
            [certificate.into(), threshold.into(), ago(days).into()],
        ))
        .await
        .unwrap();
    }

    let workers = hamafza_kit::config::WorkersConfig::default();
    assert_eq!(workers.retention_days, 30);
    let mut gone = 0;
    for purge in store.purges(&workers) {
        gone += purge.all(&db, now).await.unwrap();
    }
    assert_eq!(gone, 3 + 1 + 1);
    for (id, (state, days, stays)) in ids.iter().zip(emails) {
        let left = db
            .query_one_raw(Statement::from_sql_and_values(
                backend,
                "SELECT count(*) FROM deliveries WHERE notification_id = $1",
                [(*id).into()],
            ))
            .await
            .unwrap()
            .unwrap()
            .try_get_by_index::<i64>(0)
            .unwrap();
        assert_eq!(left == 1, stays, "{state} {days} days old");
    }
    assert_eq!(scalar(&db, "SELECT count(*) FROM reminders").await, 1);
    assert_eq!(
        scalar(
            &db,
            "SELECT CAST(threshold_days AS BIGINT) FROM expiry_notices"
        )
        .await,
        14
    );
    // The in-app notices are the people's own: all stay.
    assert_eq!(
        scalar(&db, "SELECT count(*) FROM notifications").await,
        emails.len() as i64
    );
}
