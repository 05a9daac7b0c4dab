//! What one enrolment costs the database: the statements its transaction
//! sends (each a round trip), counted by the connection itself, on SQLite or
//! PostgreSQL (`HAMAFZA_TEST_DATABASE_URL`). The answer built from what was
//! written must be what a later read finds.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use chrono::{Duration, Utc};
use hamafza_enrolments::domain::status::{Admission, EnrolmentStatus};
use hamafza_enrolments::domain::{CourseFacts, Person, SessionFacts};
use hamafza_enrolments::store::queries::EnrolmentView;
use hamafza_enrolments::{Migrator, Store};
use hamafza_kit::testing::TestDatabase;
use sea_orm::{DatabaseConnection, TransactionTrait};
use uuid::Uuid;

/// A migrated store whose statements are counted.
async fn counted_store() -> (TestDatabase, Store, DatabaseConnection, Arc<AtomicUsize>) {
    let (database, db, statements) = hamafza_kit::testing::counted_database::<Migrator>().await;
    (database, Store::new(db.clone()), db, statements)
}

fn facts(capacity: u32) -> SessionFacts {
    let now = Utc::now();
    SessionFacts {
        session_id: Uuid::now_v7(),
        course_id: Uuid::now_v7(),
        status: Ok(()),
        window_opens: now - Duration::days(1),
        window_closes: now + Duration::days(1),
        capacity,
        quotas: Vec::new(),
        meeting_count: 2,
        meeting_starts: vec![now + Duration::days(2), now + Duration::days(3)],
        instructor_subject: "instructor-1".to_owned(),
        host_organization_id: None,
        course: CourseFacts {
            published: true,
            prerequisites: Vec::new(),
            requires_manager_approval: false,
            title_fa: "ایمنی".to_owned(),
            title_en: "Safety".to_owned(),
            hours: 8,
            passing_score: 60,
            min_attendance_percent: 75,
            certificate_validity_months: Some(12),
        },
    }
}

fn trainee(n: u32) -> Person {
    Person {
        subject: format!("trainee-{n}"),
        name: format!("Trainee {n}"),
        organization_id: "msc".to_owned(),
    }
}

/// Enrols `who` in its own transaction; the view answered and the number of
/// statements the enrolment sent (BEGIN and COMMIT aside).
async fn enrol(
    store: &Store,
    db: &DatabaseConnection,
    statements: &AtomicUsize,
    facts: &SessionFacts,
    who: &Person,
    admission: Admission,
) -> (EnrolmentView, usize) {
    let txn = db.begin().await.unwrap();
    let before = statements.load(Ordering::SeqCst);
    let view = store
        .enrol_in(
            &txn,
            facts,
            who,
            who,
            admission,
            hamafza_kit::time::now(),
            None,
        )
        .await
        .unwrap();
    let sent = statements.load(Ordering::SeqCst) - before;
    txn.commit().await.unwrap();
    (view, sent)
}

/// The answer equals what the database now holds.
async fn assert_stored(store: &Store, db: &DatabaseConnection, answer: &EnrolmentView) {
    let stored = store.view(db, answer.enrolment.id).await.unwrap();
    assert_eq!(stored.enrolment, answer.enrolment);
    assert_eq!(stored.history, answer.history);
    assert_eq!(stored.attendance, answer.attendance);
    assert_eq!(stored.waitlist_position, answer.waitlist_position);
}

#[tokio::test]
async fn a_typical_enrolment_is_a_handful_of_statements_and_answers_what_it_stored() {
    let (database, store, db, statements) = counted_store().await;
    // PostgreSQL: the seat row, then one statement that probes the session
    // and writes seat, enrolment, history and notice; behind someone on the
    // waitlist, that statement writes nothing and two more follow (the place,
    // the write). SQLite: the seat row, one read, and one statement per row
    // written (seat, enrolment, history, notice), one more read for a place
    // behind someone.
    let (confirm_cost, waitlist_cost, behind_cost) = if database.is_postgres() {
        (2, 2, 4)
    } else {
        (6, 5, 6)
    };
    let session = facts(1);

    let (first, sent) = enrol(
        &store,
        &db,
        &statements,
        &session,
        &trainee(1),
        Admission::SeatOrWaitlist,
    )
    .await;
    assert_eq!(first.enrolment.status, EnrolmentStatus::Confirmed);
    assert_eq!(sent, confirm_cost, "a confirmed enrolment");
    assert_stored(&store, &db, &first).await;

    // The session is full: the first on its waitlist.
    let (second, sent) = enrol(
        &store,
        &db,
        &statements,
        &session,
        &trainee(2),
        Admission::SeatOrWaitlist,
    )
    .await;
    assert_eq!(second.enrolment.status, EnrolmentStatus::Waitlisted);
    assert_eq!(second.waitlist_position, 1);
    assert_eq!(sent, waitlist_cost, "the first waitlisted");
    assert_stored(&store, &db, &second).await;

    // Behind someone: the place is read.
    let (third, sent) = enrol(
        &store,
        &db,
        &statements,
        &session,
        &trainee(3),
        Admission::SeatOrWaitlist,
    )
    .await;
    assert_eq!(third.enrolment.status, EnrolmentStatus::Waitlisted);
    assert_eq!(third.waitlist_position, 2);
    assert!(third.enrolment.waitlisted_at > second.enrolment.waitlisted_at);
    assert_eq!(sent, behind_cost, "the second waitlisted");
    assert_stored(&store, &db, &third).await;

    // Pending approval takes no seat.
    let (pending, sent) = enrol(
        &store,
        &db,
        &statements,
        &facts(5),
        &trainee(4),
        Admission::NeedsApproval,
    )
    .await;
    assert_eq!(pending.enrolment.status, EnrolmentStatus::PendingApproval);
    assert_eq!(sent, waitlist_cost);
    assert_stored(&store, &db, &pending).await;

    // One seat held, and a notice for every enrolment.
    let seats = store.seats(session.session_id).await.unwrap().unwrap();
    assert_eq!((seats.taken, seats.capacity), (1, 1));
    assert_eq!(store.pending_notices().await.unwrap(), 4);
}

#[tokio::test]
async fn an_enrolment_that_exists_is_refused_and_changes_nothing() {
    let (_database, store, db, statements) = counted_store().await;
    let session = facts(3);
    let who = trainee(1);
    enrol(
        &store,
        &db,
        &statements,
        &session,
        &who,
        Admission::SeatOrWaitlist,
    )
    .await;
    let txn = db.begin().await.unwrap();
    let again = store
        .enrol_in(
            &txn,
            &session,
            &who,
            &who,
            Admission::SeatOrWaitlist,
            hamafza_kit::time::now(),
            None,
        )
        .await;
    drop(txn);
    assert!(
        matches!(
            again,
            Err(
                hamafza_enrolments::domain::EnrolmentsError::AlreadyEnrolled(
                    EnrolmentStatus::Confirmed
                )
            )
        ),
        "{again:?}"
    );
    let seats = store.seats(session.session_id).await.unwrap().unwrap();
    assert_eq!(seats.taken, 1);
}

#[tokio::test]
async fn request_ids_past_their_time_are_purged() {
    let gone = hamafza_kit::testing::run_purges::<hamafza_enrolments::Migrator>(|db| {
        hamafza_enrolments::Store::new(db).purges(&hamafza_kit::config::WorkersConfig::default())
    })
    .await;
    assert_eq!(gone, 1, "the old request id, and nothing else");
}
