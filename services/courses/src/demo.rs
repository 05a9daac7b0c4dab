//! Demo data for `hamafza up`: the holding and member companies of the
//! customer's story, a PR curriculum approved by the council, upcoming
//! sessions and the year's events. Seeded through the same store calls the
//! API uses, so the demo also exercises the council workflow.

mod catalog;
mod hosting;

use catalog::COURSES;
pub use catalog::ORGANIZATIONS;

use chrono::{DateTime, Duration, DurationRound, Utc};
use hamafza_kit::auth::Role;
use hamafza_kit::demo;
use uuid::Uuid;

use crate::domain::CoursesError;
use crate::domain::catalog::{CourseDraft, EventDraft, OrganizationDraft, ProgramDraft};
use crate::domain::people::{PersonDraft, Writer};
use crate::domain::sessions::{Instructor, Meeting, SessionMove, SessionPlan};
use crate::domain::values::{Bilingual, Category, Code, DeliveryMode, EventKind, OrganizationId};
use crate::domain::workflow::{Transition, VoteDecision};
use crate::store::Store;
use crate::store::queries::{Ballot, Subject, Voter};

/// Seeds the demo data into an empty database; returns whether it did.
pub async fn seed(
    store: &Store,
    required_approvals: u32,
    now: DateTime<Utc>,
) -> Result<bool, CoursesError> {
    if !store.is_empty().await? {
        return Ok(false);
    }
    // Schedules start on the hour; records keep the real instant.
    let base = now.duration_trunc(Duration::hours(1)).unwrap_or(now);
    for (id, fa, en, kind) in ORGANIZATIONS {
        store
            .create_organization(
                &OrganizationDraft {
                    id: org(id),
                    name: text(fa, en),
                    kind: *kind,
                    parent: (*id != "imidro").then(|| org("imidro")),
                },
                now,
            )
            .await?;
    }
    seed_directory(store, now).await?;
    let admin = demo::with_role(Role::PlatformAdmin)
        .next()
        .map_or("admin", |p| p.subject);
    let council: Vec<Voter> = demo::with_role(Role::Council)
        .map(|person| Voter {
            subject: person.subject.to_owned(),
            name: person.name_fa.to_owned(),
            organization_id: person.organization_id.to_owned(),
        })
        .collect();

    let mut ids: Vec<(&str, Uuid)> = Vec::new();
    for course in COURSES {
        let prerequisites = course
            .prerequisites
            .iter()
            .filter_map(|code| ids.iter().find(|(c, _)| c == code).map(|(_, id)| *id))
            .collect();
        let draft = CourseDraft {
            code: code(course.code),
            title: text(course.fa, course.en),
            description: text(course.about_fa, course.about_en),
            audience: text(course.audience_fa, course.audience_en),
            category: category(course.category),
            hours: course.hours,
            delivery_mode: course.mode,
            passing_score: course.passing,
            min_attendance_percent: 75,
            certificate_validity_months: course.validity,
            prerequisites,
            requires_manager_approval: course.manager_approval,
        };
        let id = store
            .create_course(&draft, "imidro", admin, now, None)
            .await?
            .course
            .id;
        approve_and_publish(
            store,
            Subject::Course,
            id,
            &council,
            required_approvals,
            now,
        )
        .await?;
        ids.push((course.code, id));
    }
    let id_of = |code: &str| ids.iter().find(|(c, _)| *c == code).map(|(_, id)| *id);

    // One course waits for the council, so the workflow can be tried at once.
    let pending = CourseDraft {
        code: code("PR-180"),
        title: text(
            "سنجش و ارزیابی اثربخشی روابط عمومی",
            "Measuring PR Effectiveness",
        ),
        description: text(
            "شاخص‌های سنجش عملکرد روابط عمومی و الگوبرداری میان شرکت‌ها.",
            "Measuring PR performance and benchmarking between companies.",
        ),
        audience: text(
            "مدیران روابط عمومی و کارشناسان پژوهش و برنامه‌ریزی.",
            "PR managers and research and planning staff.",
        ),
        category: category("research"),
        hours: 8,
        delivery_mode: DeliveryMode::Online,
        passing_score: 60,
        min_attendance_percent: 75,
        certificate_validity_months: None,
        prerequisites: id_of("PR-101").into_iter().collect(),
        requires_manager_approval: false,
    };
    let pending = store
        .create_course(&pending, "imidro", admin, now, None)
        .await?
        .course
        .id;
    store
        .transition(Subject::Course, pending, Transition::Submit, now)
        .await?;

    let program = ProgramDraft {
        code: code("PRP-1405"),
        title: text(
            "برنامه جامع آموزش روابط عمومی ۱۴۰۵",
            "Integrated PR Training Program 1405",
        ),
        description: text(
            "برنامه منسجم آموزشی روابط عمومی شرکت‌های بزرگ معدنی و صنایع معدنی.",
            "The coherent PR training program of the large mining and mining-industry companies.",
        ),
        courses: [
            ("PR-101", true),
            ("PR-110", true),
            ("PR-120", true),
            ("PR-130", true),
            ("PR-140", false),
            ("PR-150", false),
            ("PR-160", false),
        ]
        .iter()
        .filter_map(|(code, required)| id_of(code).map(|id| (id, *required)))
        .collect(),
    };
    let program = store
        .create_program(&program, "imidro", admin, now, None)
        .await?
        .program
        .id;
    approve_and_publish(
        store,
        Subject::Program,
        program,
        &council,
        required_approvals,
        now,
    )
    .await?;

    let instructor = demo::with_role(Role::Instructor)
        .next()
        .map(|person| Instructor {
            subject: person.subject.to_owned(),
            name: person.name_fa.to_owned(),
            organization_id: person.organization_id.to_owned(),
        });
    let Some(instructor) = instructor else {
        return Ok(true);
    };
    let tehran = text(
        "تهران، ساختمان ایمیدرو، سالن همایش",
        "Tehran, IMIDRO building, conference hall",
    );
    let plans = [
        (
            "PR-101",
            14,
            2,
            30,
            vec![("msc", 6), ("ksc", 6)],
            tehran.clone(),
            None,
        ),
        (
            "PR-110",
            21,
            3,
            25,
            vec![],
            tehran.clone(),
            Some("https://meet.imidro.example/pr-110"),
        ),
        (
            "PR-120",
            28,
            2,
            20,
            vec![("gegh", 4)],
            text(
                "اصفهان، فولاد مبارکه، مرکز آموزش",
                "Isfahan, Mobarakeh Steel training centre",
            ),
            None,
        ),
        (
            "PR-140",
            10,
            4,
            60,
            vec![],
            Bilingual::default(),
            Some("https://meet.imidro.example/pr-140"),
        ),
        (
            "PR-160",
            35,
            1,
            40,
            vec![],
            tehran,
            Some("https://meet.imidro.example/pr-160"),
        ),
    ];
    for (course_code, days_ahead, meetings, capacity, quotas, venue, link) in plans {
        let Some(course_id) = id_of(course_code) else {
            continue;
        };
        let first = base + Duration::days(days_ahead) + Duration::hours(2);
        let plan = SessionPlan {
            meetings: (0..meetings)
                .map(|day| Meeting {
                    start: first + Duration::days(day),
                    end: first + Duration::days(day) + Duration::hours(4),
                    topic_fa: String::new(),
                    topic_en: String::new(),
                })
                .collect(),
            venue,
            online_url: link.map(str::to_owned),
            instructor: instructor.clone(),
            capacity,
            quotas: quotas
                .into_iter()
                .map(|(id, seats)| (org(id), seats))
                .collect(),
            enrolment_opens: now - Duration::days(1),
            enrolment_closes: first - Duration::days(1),
        };
        let session = store
            .create_session(course_id, &plan, None, now, None)
            .await?;
        store
            .move_session(session.session.id, SessionMove::Open, "", now)
            .await?;
    }

    // Khuzestan Steel hosts a session of PR-120 in Ahvaz.
    if let Some(course_id) = id_of("PR-120") {
        let first = base + Duration::days(42) + Duration::hours(2);
        hosting::seed(store, course_id, first, admin, now).await?;
    }

    // A session that has begun: its first meeting was yesterday, so its
    // instructor has a roster to take attendance in (the enrolments demo
    // fills it, as made while its window was open).
    if let Some(course_id) = id_of("PR-150") {
        let first = base - Duration::days(1) + Duration::hours(2);
        let plan = SessionPlan {
            meetings: [0, 7, 14]
                .into_iter()
                .map(|day| Meeting {
                    start: first + Duration::days(day),
                    end: first + Duration::days(day) + Duration::hours(3),
                    topic_fa: String::new(),
                    topic_en: String::new(),
                })
                .collect(),
            venue: Bilingual::default(),
            online_url: Some("https://meet.imidro.example/pr-150".to_owned()),
            instructor: instructor.clone(),
            capacity: 30,
            quotas: Vec::new(),
            enrolment_opens: first - Duration::days(20),
            enrolment_closes: first - Duration::days(2),
        };
        let session = store
            .create_session(course_id, &plan, None, now, None)
            .await?;
        store
            .move_session(session.session.id, SessionMove::Open, "", now)
            .await?;
    }

    // A session held and completed five weeks ago: the enrolments demo
    // records its trainees' results and their course evaluations.
    if let Some(course_id) = id_of("PR-130") {
        let first = base - Duration::days(36) + Duration::hours(2);
        let plan = SessionPlan {
            meetings: [0, 1]
                .into_iter()
                .map(|day| Meeting {
                    start: first + Duration::days(day),
                    end: first + Duration::days(day) + Duration::hours(4),
                    topic_fa: String::new(),
                    topic_en: String::new(),
                })
                .collect(),
            venue: text(
                "تهران، ساختمان ایمیدرو، سالن همایش",
                "Tehran, IMIDRO building, conference hall",
            ),
            online_url: None,
            instructor: instructor.clone(),
            capacity: 20,
            quotas: Vec::new(),
            enrolment_opens: first - Duration::days(30),
            enrolment_closes: first - Duration::days(2),
        };
        let session = store
            .create_session(course_id, &plan, None, now, None)
            .await?;
        for movement in [SessionMove::Open, SessionMove::Close, SessionMove::Complete] {
            store
                .move_session(session.session.id, movement, "", now)
                .await?;
        }
    }

    let events = [
        (
            EventKind::Exhibition,
            "نمایشگاه بین‌المللی معدن و صنایع معدنی ایران",
            "Iran International Mining & Mineral Industries Exhibition",
            "تهران، نمایشگاه بین‌المللی",
            "Tehran International Fairground",
            45,
            4,
            vec!["msc", "ksc", "gegh", "salco", "nisco"],
        ),
        (
            EventKind::Conference,
            "همایش روابط عمومی صنایع معدنی",
            "Mining Industry PR Conference",
            "کیش، مرکز همایش‌های بین‌المللی",
            "Kish International Convention Centre",
            75,
            2,
            vec!["msc", "gegh", "pgsez"],
        ),
        (
            EventKind::Seminar,
            "سمینار ارتباطات بحران",
            "Crisis Communication Seminar",
            "بندرعباس، منطقه ویژه خلیج فارس",
            "Bandar Abbas, Persian Gulf SEZ",
            100,
            1,
            vec!["pgsez", "parsian", "lamerd"],
        ),
    ];
    for (kind, fa, en, place_fa, place_en, days_ahead, days_long, participants) in events {
        let starts_at = base + Duration::days(days_ahead);
        store
            .create_event(
                &EventDraft {
                    kind,
                    title: text(fa, en),
                    description: Bilingual::default(),
                    place: text(place_fa, place_en),
                    starts_at,
                    ends_at: starts_at + Duration::days(days_long),
                    organizer: org("imidro"),
                    participants: participants.into_iter().map(org).collect(),
                    url: None,
                },
                now,
                None,
            )
            .await?;
    }
    Ok(true)
}

/// Everyone of the demo in the people directory: those who sign in (as if
/// they had) and their colleagues.
async fn seed_directory(store: &Store, now: DateTime<Utc>) -> Result<(), CoursesError> {
    let signing_in = demo::PEOPLE.iter().map(|person| {
        let title = if person.roles.contains(&Role::Instructor) {
            "مدرس"
        } else if person.roles.contains(&Role::OrgManager) {
            "مدیر روابط عمومی"
        } else if person.roles.contains(&Role::Trainee) {
            "کارشناس روابط عمومی"
        } else {
            ""
        };
        let mut roles = person.roles.to_vec();
        roles.sort_unstable();
        (
            (
                person.subject,
                person.name_fa,
                person.name_en,
                person.organization_id,
                title,
            ),
            roles,
        )
    });
    // The colleagues take courses.
    let colleagues = demo::COLLEAGUES
        .iter()
        .map(|colleague| (*colleague, vec![Role::Trainee]));
    for ((subject, fa, en, organization_id, job_title), roles) in signing_in.chain(colleagues) {
        let draft = PersonDraft {
            subject: subject.to_owned(),
            name: text(fa, en),
            organization_id: organization_id.to_owned(),
            email: demo::email(subject, organization_id),
            job_title: job_title.to_owned(),
            active: true,
            roles,
        };
        store.upsert_person(&draft, &Writer::Admin, now).await?;
    }
    Ok(())
}

async fn approve_and_publish(
    store: &Store,
    subject: Subject,
    id: Uuid,
    council: &[Voter],
    required_approvals: u32,
    now: DateTime<Utc>,
) -> Result<(), CoursesError> {
    store
        .transition(subject, id, Transition::Submit, now)
        .await?;
    let needed = usize::try_from(required_approvals.max(1)).unwrap_or(usize::MAX);
    for voter in council.iter().take(needed) {
        store
            .vote(
                subject,
                id,
                &Ballot {
                    voter,
                    decision: VoteDecision::Approve,
                    comment: "",
                },
                required_approvals,
                now,
            )
            .await?;
    }
    store
        .transition(subject, id, Transition::Publish, now)
        .await
}

// The literals below are constants of this module; a failure would be a
// programming error caught by `seeds_an_empty_database` in the tests.
fn org(id: &str) -> OrganizationId {
    OrganizationId::parse(id)
        .unwrap_or_else(|_| OrganizationId::parse("imidro").unwrap_or_else(|_| unreachable_org()))
}

fn unreachable_org() -> OrganizationId {
    // "imidro" always parses; this keeps the seed free of panics regardless.
    OrganizationId::parse("xx").unwrap_or_else(|_| unreachable_org())
}

fn code(value: &str) -> Code {
    Code::parse(value).unwrap_or_else(|_| code("DEMO"))
}

fn category(value: &str) -> Category {
    Category::parse(value).unwrap_or_else(|_| category("general"))
}

fn text(fa: &str, en: &str) -> Bilingual {
    Bilingual {
        fa: fa.to_owned(),
        en: en.to_owned(),
    }
}
