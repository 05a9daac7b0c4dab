//! The benchmark's monthly rollups answer exactly like a computation from
//! the enrolment rows, on a database upgraded from the release before them
//! and after a random history of enrolments, cancellations, completions,
//! failures, no-shows, re-marks and deletions across organizations, courses
//! and months, for every kind of period (all time, whole months, Jalali
//! quarters cut at Tehran's midnight, pieces of one month, open ends) and
//! course filter.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use chrono::{DateTime, Duration, TimeZone, Utc};
use hamafza_enrolments::domain::status::EnrolmentStatus;
use hamafza_enrolments::store::entities::enrolment;
use hamafza_enrolments::{Migrator, Store};
use hamafza_kit::testing::TestDatabase;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ConnectionTrait, Database, DatabaseConnection, EntityTrait,
    IntoActiveModel, Statement,
};
use sea_orm_migration::MigratorTrait;
use uuid::Uuid;

const ORGANIZATIONS: [&str; 4] = ["msc", "ksc", "nisco", "salco"];

/// A small deterministic generator (xorshift64*); the seed is printed so a
/// failure can be replayed with `HAMAFZA_ROLLUP_SEED`.
struct Dice(u64);

impl Dice {
    fn new() -> Self {
        let seed = std::env::var("HAMAFZA_ROLLUP_SEED")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| {
                u64::try_from(Utc::now().timestamp_nanos_opt().unwrap_or(1)).unwrap_or(1) | 1
            });
        println!("HAMAFZA_ROLLUP_SEED={seed}");
        Dice(seed)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) % n
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }

    /// An instant in 2025 or 2026, to the microsecond.
    fn instant(&mut self) -> DateTime<Utc> {
        let start = Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).unwrap();
        start + Duration::microseconds((self.below(730 * 24 * 3600 * 1_000_000)) as i64)
    }
}

struct History {
    db: DatabaseConnection,
    courses: Vec<Uuid>,
    dice: Dice,
    ids: Vec<Uuid>,
}

impl History {
    /// A new enrolment, made at a random instant, still open.
    async fn enrol(&mut self) {
        let created = self.dice.instant();
        let trainee = format!("trainee-{}", self.dice.below(40));
        let organization = *self.dice.pick(&ORGANIZATIONS);
        let status = *self.dice.pick(&[
            EnrolmentStatus::Confirmed,
            EnrolmentStatus::Confirmed,
            EnrolmentStatus::Waitlisted,
            EnrolmentStatus::PendingApproval,
        ]);
        let id = Uuid::now_v7();
        enrolment::ActiveModel {
            id: Set(id),
            // A session of its own: one enrolment per trainee and session.
            session_id: Set(Uuid::now_v7()),
            course_id: Set(*self.dice.pick(&self.courses)),
            trainee_subject: Set(trainee.clone()),
            trainee_name: Set(trainee.clone()),
            trainee_organization_id: Set(organization.to_owned()),
            status: Set(status),
            enrolled_by_subject: Set(trainee.clone()),
            enrolled_by_name: Set(trainee),
            enrolled_by_organization_id: Set(organization.to_owned()),
            waitlisted_at: Set((status == EnrolmentStatus::Waitlisted).then_some(created)),
            score: Set(None),
            attendance_percent: Set(None),
            passing_score: Set(Some(60)),
            min_attendance_percent: Set(Some(75)),
            hours: Set(None),
            assessor_subject: Set(None),
            assessor_name: Set(None),
            assessor_organization_id: Set(None),
            completed_at: Set(None),
            created_at: Set(created),
            status_at: Set(created),
            updated_at: Set(created),
        }
        .insert(&self.db)
        .await
        .unwrap();
        self.ids.push(id);
    }

    /// One change to a random enrolment, as the service's lifecycle makes
    /// them (and a re-mark or a deletion now and then).
    async fn change(&mut self) {
        if self.ids.is_empty() {
            return;
        }
        let index = self.dice.below(self.ids.len() as u64) as usize;
        let id = self.ids[index];
        let row = enrolment::Entity::find_by_id(id)
            .one(&self.db)
            .await
            .unwrap()
            .unwrap();
        let ended_at = row.created_at + Duration::hours(1 + self.dice.below(24 * 120) as i64);
        let mut active = row.clone().into_active_model();
        match self.dice.below(10) {
            0 | 1 => active.status = Set(EnrolmentStatus::Cancelled),
            2..=4 => {
                active.status = Set(EnrolmentStatus::Completed);
                active.score = Set(Some(60 + self.dice.below(41) as i32));
                active.hours = Set(Some(8 + self.dice.below(3) as i32 * 8));
                active.completed_at = Set(Some(ended_at));
            }
            5 | 6 => {
                active.status = Set(EnrolmentStatus::Failed);
                // An assessment without a score now and then.
                active.score = Set((self.dice.below(4) > 0).then(|| self.dice.below(60) as i32));
                active.hours = Set(Some(16));
                active.completed_at = Set(Some(ended_at));
            }
            7 => {
                active.status = Set(EnrolmentStatus::NoShow);
                active.hours = Set(Some(16));
                active.completed_at = Set(Some(ended_at));
            }
            8 => {
                // A re-mark of the same enrolment: a new score, a new day.
                active.score = Set(Some(self.dice.below(101) as i32));
                if row.completed_at.is_some() {
                    active.completed_at = Set(Some(ended_at));
                }
            }
            _ => {
                enrolment::Entity::delete_by_id(id)
                    .exec(&self.db)
                    .await
                    .unwrap();
                self.ids.swap_remove(index);
                return;
            }
        }
        active.update(&self.db).await.unwrap();
    }

    async fn run(&mut self, enrolments: usize, changes: usize) {
        for _ in 0..enrolments {
            self.enrol().await;
        }
        for _ in 0..changes {
            self.change().await;
        }
    }
}

fn at(y: i32, m: u32, d: u32, h: u32, min: u32) -> Option<DateTime<Utc>> {
    Some(Utc.with_ymd_and_hms(y, m, d, h, min, 0).unwrap())
}

/// `[from, until)`, `None` unbounded.
type Period = (Option<DateTime<Utc>>, Option<DateTime<Utc>>);

/// Every kind of period the report is asked for.
fn periods(dice: &mut Dice) -> Vec<Period> {
    let mut periods = vec![
        (None, None),
        // whole months, a whole year
        (at(2025, 3, 1, 0, 0), at(2025, 9, 1, 0, 0)),
        (at(2025, 1, 1, 0, 0), at(2026, 1, 1, 0, 0)),
        // Jalali 1404 and its first quarter (Tehran midnight is 20:30 UTC)
        (at(2025, 3, 20, 20, 30), at(2026, 3, 20, 20, 30)),
        (at(2025, 3, 20, 20, 30), at(2025, 6, 21, 20, 30)),
        // within one month, and from a month's middle to the next's start
        (at(2025, 5, 2, 7, 0), at(2025, 5, 29, 0, 0)),
        (at(2025, 5, 2, 7, 0), at(2025, 6, 1, 0, 0)),
        // open ends
        (at(2025, 8, 14, 9, 0), None),
        (None, at(2026, 2, 3, 4, 5)),
        (at(2025, 8, 1, 0, 0), None),
        (None, at(2026, 2, 1, 0, 0)),
    ];
    for _ in 0..12 {
        let a = dice.instant();
        let b = dice.instant();
        if a != b {
            periods.push((Some(a.min(b)), Some(a.max(b))));
        }
    }
    periods
}

async fn assert_rollups_answer_like_rows(store: &Store, courses: &[Uuid], dice: &mut Dice) {
    let filters = [vec![], vec![courses[0]], vec![courses[1], courses[2]]];
    let mut compared = 0;
    for (from, until) in periods(dice) {
        for filter in &filters {
            let rolled = store.benchmark(from, until, filter).await.unwrap();
            let rows = store
                .benchmark_from_rows(from, until, filter)
                .await
                .unwrap();
            assert_eq!(
                rolled, rows,
                "period {from:?}..{until:?}, courses {filter:?}"
            );
            compared += usize::from(!rows.is_empty());
        }
    }
    // Not a comparison of empty answers.
    assert!(compared > 20, "only {compared} answers had an organization");
}

#[tokio::test]
async fn rollups_answer_like_the_rows_after_an_upgrade_and_a_random_history() {
    let database = TestDatabase::create().await;
    let db = Database::connect(&database.url).await.unwrap();
    // Before the rollups, the people-trained table and its spans.
    let before_rollups = Migrator::migrations().len() - 3;
    Migrator::up(&db, Some(u32::try_from(before_rollups).unwrap()))
        .await
        .unwrap();
    let mut dice = Dice::new();
    let courses: Vec<Uuid> = (0..4).map(|_| Uuid::now_v7()).collect();
    let mut history = History {
        db: db.clone(),
        courses: courses.clone(),
        dice: Dice(dice.below(u64::MAX) | 1),
        ids: Vec::new(),
    };
    // Rows of the release before the rollups...
    history.run(150, 200).await;
    // ...upgraded: the migration builds the rollups from them.
    Migrator::up(&db, None).await.unwrap();
    let store = Store::new(db.clone());
    assert_rollups_answer_like_rows(&store, &courses, &mut dice).await;

    // Then the triggers keep them: deltas folded by each report, and more
    // appended after the last one.
    history.run(150, 250).await;
    assert_rollups_answer_like_rows(&store, &courses, &mut dice).await;
    history.run(50, 150).await;
    let unfolded: Option<i64> = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT COUNT(*) AS n FROM benchmark_deltas",
        ))
        .await
        .unwrap()
        .map(|row| row.try_get("", "n").unwrap());
    assert!(unfolded.unwrap_or(0) > 0, "the last changes wait as deltas");
    assert_rollups_answer_like_rows(&store, &courses, &mut dice).await;

    // And the report reads the rollups, not the rows: a rollup changed by
    // hand shows in its answer (and only there).
    db.execute_unprepared(
        "UPDATE benchmark_rollups SET created = created + 1000 WHERE organization_id = 'msc'",
    )
    .await
    .unwrap();
    let rolled = store.benchmark(None, None, &[]).await.unwrap();
    let rows = store.benchmark_from_rows(None, None, &[]).await.unwrap();
    assert_eq!(
        rolled["msc"].enrolments,
        rows["msc"].enrolments + 1000 * rows_of(&db, "benchmark_rollups", "msc").await
    );
    assert_eq!(rolled["ksc"], rows["ksc"]);

    // The people trained come from their table: a person taken out of it by
    // hand is missing from the report over all time and over a period.
    let person: (String, String) = {
        let row = db
            .query_one_raw(Statement::from_string(
                db.get_database_backend(),
                "SELECT organization_id, trainee_subject FROM people_trained \
                 WHERE organization_id = 'ksc' AND last_completed_at IS NOT NULL \
                 ORDER BY trainee_subject LIMIT 1",
            ))
            .await
            .unwrap()
            .expect("a ksc trainee with a completion");
        (
            row.try_get("", "organization_id").unwrap(),
            row.try_get("", "trainee_subject").unwrap(),
        )
    };
    db.execute_unprepared(&format!(
        "DELETE FROM people_trained WHERE organization_id = '{}' AND trainee_subject = '{}'",
        person.0, person.1
    ))
    .await
    .unwrap();
    let since = at(2024, 1, 1, 0, 0);
    // Whole months (read from the spans) and a Jalali year (from the table).
    let jalali = (at(2024, 3, 20, 20, 30), None);
    for (from, until) in [(None, None), (since, None), jalali] {
        let rolled = store.benchmark(from, until, &[]).await.unwrap();
        let rows = store.benchmark_from_rows(from, until, &[]).await.unwrap();
        assert_eq!(
            rolled["ksc"].people_trained + 1,
            rows["ksc"].people_trained,
            "{from:?}.."
        );
    }

    // Over whole months the people trained are read from the spans, not
    // from the table: spans changed by hand show over all time and since a
    // month, not over a Jalali year.
    db.execute_unprepared(
        "UPDATE people_trained_spans SET people = people + 1000 WHERE organization_id = 'nisco'",
    )
    .await
    .unwrap();
    let spans = rows_of(&db, "people_trained_spans", "nisco").await;
    assert!(spans > 0, "nisco has people trained");
    for (from, until, added) in [
        (None, None, 1000 * spans),
        (since, None, 1000 * spans),
        (jalali.0, None, 0),
    ] {
        let rolled = store.benchmark(from, until, &[]).await.unwrap();
        let rows = store.benchmark_from_rows(from, until, &[]).await.unwrap();
        assert_eq!(
            rolled["nisco"].people_trained,
            rows["nisco"].people_trained + added,
            "{from:?}.."
        );
    }
}

/// How many rows of `table` belong to `organization`.
async fn rows_of(db: &DatabaseConnection, table: &str, organization: &str) -> u32 {
    let row = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            format!("SELECT COUNT(*) AS n FROM {table} WHERE organization_id = '{organization}'"),
        ))
        .await
        .unwrap()
        .unwrap();
    u32::try_from(row.try_get::<i64>("", "n").unwrap()).unwrap()
}
