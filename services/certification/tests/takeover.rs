//! A dispatcher that dies holding deliveries (a killed replica) delays them
//! by seconds, not minutes: leases are short and renewed per call, so
//! another dispatcher takes its rows over.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::{Duration, Instant};

use common::*;

#[tokio::test]
async fn rows_held_by_a_dead_dispatcher_are_delivered_within_seconds() {
    let mut stack = Stack::start(false).await;
    let course = stack.course("PR-404", Some(12)).await;
    let session = stack.session(&course).await;
    let completion = pass(&stack, TRAINEE_MSC, &session, "a").await;

    // A second dispatcher on the same database claims the delivery as a
    // replica would, then "dies": it never delivers nor lets go.
    let dead = hamafza_enrolments::Store::new(
        hamafza_kit::db::connect(&stack.stack.database(Svc::Enrolments).url)
            .await
            .unwrap(),
    );
    let claimed_at = {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let claimed = dead
                .outbox()
                .claim(
                    hamafza_kit::time::now(),
                    10,
                    hamafza_enrolments::outbox::LEASE,
                )
                .await
                .unwrap();
            if !claimed.is_empty() {
                break Instant::now();
            }
            assert!(Instant::now() < deadline, "the delivery never came due");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    };

    // Certification comes up; the live dispatcher takes the row over once the
    // dead one's lease ends.
    stack.start_certification("key-1.pem").await;
    eventually(Duration::from_secs(30), || async {
        stack.pending_deliveries().await == 0
    })
    .await;
    let waited = claimed_at.elapsed();
    assert!(
        waited < Duration::from_secs(15),
        "delivered {waited:?} after the dead dispatcher claimed it"
    );
    assert_eq!(stack.certificates_of(&completion).await.len(), 1);
}

#[tokio::test]
async fn request_ids_past_their_time_are_purged() {
    let gone = hamafza_kit::testing::run_purges::<hamafza_certification::Migrator>(|db| {
        hamafza_certification::Store::new(db).purges(&hamafza_kit::config::WorkersConfig::default())
    })
    .await;
    assert_eq!(gone, 1, "the old request id, and nothing else");
}
