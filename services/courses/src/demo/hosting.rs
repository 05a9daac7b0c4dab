//! The demo's company-hosted session: Khuzestan Steel hosts a session of
//! PR-120 in Ahvaz, taught by its own media-relations expert, proposed by
//! its PR manager and accepted by the holding's admin, then opened.

use chrono::{DateTime, Duration, Utc};

use crate::domain::CoursesError;
use crate::domain::hosting::HostingDecision;
use crate::domain::sessions::{Instructor, Meeting, SessionMove, SessionPlan};
use crate::store::Store;
use crate::store::queries::HostProposal;

use super::text;

/// Seeds the hosted session of course `course_id`, first meeting at `first`.
pub(super) async fn seed(
    store: &Store,
    course_id: uuid::Uuid,
    first: DateTime<Utc>,
    admin: &str,
    now: DateTime<Utc>,
) -> Result<(), CoursesError> {
    let plan = SessionPlan {
        meetings: (0..2)
            .map(|day| Meeting {
                start: first + Duration::days(day),
                end: first + Duration::days(day) + Duration::hours(4),
                topic_fa: String::new(),
                topic_en: String::new(),
            })
            .collect(),
        venue: text(
            "اهواز، فولاد خوزستان، سالن آموزش",
            "Ahvaz, Khuzestan Steel training hall",
        ),
        online_url: None,
        instructor: Instructor {
            subject: "ksc-pr-03".to_owned(),
            name: "محمد قاسمی".to_owned(),
            organization_id: "ksc".to_owned(),
        },
        capacity: 25,
        quotas: Vec::new(),
        enrolment_opens: now - Duration::days(1),
        enrolment_closes: first - Duration::days(1),
    };
    let host = HostProposal {
        organization_id: "ksc".to_owned(),
        subject: "manager-ksc".to_owned(),
        name: "لیلا جعفری".to_owned(),
    };
    let session = store
        .create_session(course_id, &plan, Some(&host), now, None)
        .await?;
    let id = session.session.id;
    store
        .decide_hosting(id, &HostingDecision::Accept, (admin, ""), now)
        .await?;
    store.move_session(id, SessionMove::Open, "", now).await?;
    Ok(())
}
