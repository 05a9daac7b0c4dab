//! Demo data of the enrolments service for `hamafza up`: the roster of a
//! session that has already begun. Its enrolment window closed before its
//! first meeting, so nobody could enrol through the API now; the demo
//! records the enrolments as they were made then (through the same store
//! calls the API uses, with the time they would have had), so the instructor
//! finds a running session to take attendance in.

use chrono::{DateTime, Utc};
use hamafza_kit::ids::Person;
use sea_orm::TransactionTrait;
use uuid::Uuid;

use crate::domain::status::Admission;
use crate::domain::{EnrolmentsError, SessionFacts};
use crate::store::Store;

/// Enrols `trainees` into the session of `facts` as `actor` did at `at`
/// (within the session's enrolment window); returns the enrolment ids.
pub async fn seed_roster(
    store: &Store,
    facts: &SessionFacts,
    trainees: &[Person],
    actor: &Person,
    at: DateTime<Utc>,
) -> Result<Vec<Uuid>, EnrolmentsError> {
    let mut ids = Vec::with_capacity(trainees.len());
    for trainee in trainees {
        let txn = store.connection().begin().await?;
        let id = store
            .enrol_in(
                &txn,
                facts,
                trainee,
                actor,
                Admission::SeatOrWaitlist,
                at,
                None,
            )
            .await?
            .enrolment
            .id;
        txn.commit().await?;
        ids.push(id);
    }
    Ok(ids)
}
