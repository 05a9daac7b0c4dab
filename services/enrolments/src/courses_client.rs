//! What enrolments reads from the courses service, over its gRPC contract and
//! with this service's own identity.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use hamafza_kit::auth::ServiceToken;
use hamafza_kit::grpc::PeerChannel;
use hamafza_kit::ids::{CourseId, ProgramId, SessionId};
use hamafza_kit::recent::Recent;
use hamafza_kit::time::{from_timestamp, to_timestamp};
use hamafza_proto::courses as pb;
use uuid::Uuid;

use crate::directory::{Directory, Known};
use crate::domain::{CourseFacts, EnrolmentsError, SessionFacts};

/// How long after reading them enrolments may still look up a session's and
/// a course's facts: a change in courses (closing, capacity, window, a course
/// retired) reaches enrolments within this (and the read under way).
pub const RECENT_FACTS: Duration = Duration::from_secs(1);

/// How long enrolments may act on what the people directory said about a
/// person: a person moved to another company in the directory is enrolled
/// under the new one within this (within a poll or two of the copy, see
/// [`crate::directory`], while courses answers).
pub const RECENT_PEOPLE: Duration = Duration::from_secs(10);

/// What the people directory says about a person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirectoryEntry {
    /// The organization they belong to.
    pub organization_id: String,
    /// Whether they still work there.
    pub active: bool,
}

/// What enrolments reads from courses: the kit's typed client, sessions and
/// courses read at most [`RECENT_FACTS`] ago, and the copy of the people
/// directory.
#[derive(Clone)]
pub struct CoursesClient {
    client: hamafza_kit::peers::CoursesClient,
    sessions: Arc<Recent<Uuid, pb::Session>>,
    courses: Arc<Recent<Uuid, CourseFacts>>,
    directory: Arc<Directory>,
    people: Arc<Recent<String, Option<DirectoryEntry>>>,
}

impl std::fmt::Debug for CoursesClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CoursesClient").finish_non_exhaustive()
    }
}

/// A session's seats as courses plans them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Capacity {
    /// Seats in all.
    pub capacity: u32,
    /// Seats an organization may hold at most, by organization id.
    pub quotas: Vec<(String, u32)>,
}

/// A session that changed in courses.
#[derive(Debug, Clone)]
pub struct SessionChange {
    /// The session.
    pub session_id: Uuid,
    /// Whether it is cancelled now.
    pub cancelled: bool,
    /// Why, if cancelled.
    pub reason: String,
    /// Who teaches it now.
    pub instructor_subject: String,
    /// How many meetings it has now.
    pub meeting_count: u32,
    /// When it changed.
    pub update_time: DateTime<Utc>,
}

impl CoursesClient {
    /// A client over `channel` (typically connected lazily), calling as `identity`.
    pub fn new(channel: PeerChannel, identity: Arc<ServiceToken>) -> Self {
        Self {
            client: hamafza_kit::peers::CoursesClient::as_service(channel, identity),
            sessions: Arc::new(Recent::spread(RECENT_FACTS, 10_000)),
            courses: Arc::new(Recent::spread(RECENT_FACTS, 10_000)),
            directory: Arc::new(Directory::default()),
            people: Arc::new(Recent::new(RECENT_PEOPLE, 10_000)),
        }
    }

    /// Keeps the copy of the people directory up to date, polling every
    /// `interval` until `shutdown`.
    pub async fn follow_directory(
        self,
        interval: Duration,
        shutdown: hamafza_kit::shutdown::Shutdown,
    ) {
        crate::directory::run(self.directory, self.client, interval, shutdown).await;
    }

    /// The facts of a session and of its course, each looked up at most
    /// [`RECENT_FACTS`] after it was read: a burst of enrolments into one session asks
    /// courses about it once a second instead of twice per enrolment, and the
    /// sessions of one course share what was read about the course. Seats and
    /// quotas are still counted in this service's database, in the
    /// transaction.
    pub async fn recent_session_facts(
        &self,
        session_id: Uuid,
    ) -> Result<SessionFacts, EnrolmentsError> {
        let read = self.client.session(SessionId(session_id));
        let session = self.sessions.get_or_load(session_id, read).await?;
        let course_id = parse_uuid(&session.course_id)?;
        let course = self
            .courses
            .get_or_load(course_id, self.course(course_id))
            .await?;
        Ok(facts_of(session_id, course_id, session, course))
    }

    /// What the people directory said about `subject` at most
    /// [`RECENT_PEOPLE`] ago; `None` when it does not know them. The copy
    /// answers while it is that recent; courses is asked only when it is not.
    pub async fn recent_directory_entry(
        &self,
        subject: &str,
    ) -> Result<Option<DirectoryEntry>, EnrolmentsError> {
        match self.directory.lookup(subject) {
            Known::Entry(entry) => return Ok(Some(entry)),
            Known::Unknown => return Ok(None),
            Known::Stale => {}
        }
        let client = &self.client;
        self.people
            .get_or_load(subject.to_owned(), async move {
                Ok(client.person(subject).await?.map(|person| DirectoryEntry {
                    organization_id: person.organization_id,
                    active: person.active,
                }))
            })
            .await
    }

    /// The facts of a session and its course, read now.
    pub async fn session_facts(&self, session_id: Uuid) -> Result<SessionFacts, EnrolmentsError> {
        let session = self.client.session(SessionId(session_id)).await?;
        let course_id = parse_uuid(&session.course_id)?;
        let course = self.course(course_id).await?;
        Ok(facts_of(session_id, course_id, session, course))
    }

    /// The capacity and per-organization quotas of the sessions `ids`, read
    /// now in one call per 200 ids (for seat counts of sessions nobody has
    /// enrolled in yet). A session courses does not know is NOT_FOUND.
    pub async fn session_capacities(
        &self,
        ids: &[Uuid],
    ) -> Result<HashMap<Uuid, Capacity>, EnrolmentsError> {
        if ids.is_empty() {
            return Ok(HashMap::new());
        }
        let wanted: Vec<SessionId> = ids.iter().copied().map(SessionId).collect();
        let mut capacities = HashMap::with_capacity(ids.len());
        for session in self.client.sessions_by_id(&wanted).await? {
            let id = parse_uuid(&session.id)?;
            let details = session.details.unwrap_or_default();
            let quotas = details.quotas.into_iter();
            capacities.insert(
                id,
                Capacity {
                    capacity: details.capacity,
                    quotas: quotas.map(|q| (q.organization_id, q.seats)).collect(),
                },
            );
        }
        match ids.iter().find(|id| !capacities.contains_key(id)) {
            Some(missing) => Err(EnrolmentsError::NotFound {
                kind: SessionId::KIND,
                id: missing.to_string(),
            }),
            None => Ok(capacities),
        }
    }

    /// The facts of a course.
    pub async fn course(&self, course_id: Uuid) -> Result<CourseFacts, EnrolmentsError> {
        let course = self.client.course(CourseId(course_id)).await?;
        let published = course.status() == pb::CatalogStatus::Published;
        let details = course.details.unwrap_or_default();
        let title = details.title.unwrap_or_default();
        Ok(CourseFacts {
            published,
            prerequisites: details
                .prerequisite_course_ids
                .iter()
                .filter_map(|id| Uuid::parse_str(id).ok())
                .collect(),
            requires_manager_approval: details.requires_manager_approval,
            title_fa: title.fa,
            title_en: title.en,
            hours: details.hours,
            passing_score: details.passing_score,
            min_attendance_percent: details.min_attendance_percent,
            certificate_validity_months: details.certificate_validity_months,
        })
    }

    /// Codes of courses by id, for messages.
    pub async fn course_codes(&self, ids: &[Uuid]) -> Result<Vec<String>, EnrolmentsError> {
        let ids: Vec<CourseId> = ids.iter().copied().map(CourseId).collect();
        Ok(self
            .client
            .courses_by_id(&ids)
            .await?
            .into_iter()
            .filter_map(|c| c.details.map(|d| d.code))
            .collect())
    }

    /// The course ids of a program.
    pub async fn program_courses(&self, program_id: Uuid) -> Result<Vec<Uuid>, EnrolmentsError> {
        let program = self
            .client
            .program(ProgramId(program_id))
            .await?
            .details
            .unwrap_or_default();
        Ok(program
            .courses
            .iter()
            .filter_map(|c| Uuid::parse_str(&c.course_id).ok())
            .collect())
    }

    /// Every organization id.
    pub async fn organization_ids(&self) -> Result<Vec<String>, EnrolmentsError> {
        Ok(self
            .client
            .all_organizations()
            .await?
            .into_iter()
            .map(|o| o.id)
            .collect())
    }

    /// Cancelled sessions changed at or after `since`, in change order: every
    /// page, up to `max_pages` of 200.
    pub async fn changed_sessions(
        &self,
        since: DateTime<Utc>,
        max_pages: usize,
    ) -> Result<Vec<SessionChange>, EnrolmentsError> {
        let sessions = self
            .client
            .sessions(
                pb::ListSessionsRequest {
                    updated_since: Some(to_timestamp(since)),
                    ..Default::default()
                },
                max_pages,
            )
            .await?;
        Ok(sessions
            .into_iter()
            .filter_map(|session| {
                let details = session.details.as_ref();
                Some(SessionChange {
                    session_id: Uuid::parse_str(&session.id).ok()?,
                    cancelled: session.status() == pb::SessionStatus::Cancelled,
                    reason: session.cancel_reason.clone(),
                    instructor_subject: details
                        .and_then(|d| d.instructor.as_ref())
                        .map(|i| i.subject.clone())
                        .unwrap_or_default(),
                    meeting_count: details
                        .map_or(0, |d| u32::try_from(d.meetings.len()).unwrap_or(u32::MAX)),
                    update_time: session.update_time.as_ref().and_then(from_timestamp)?,
                })
            })
            .collect())
    }
}

/// The facts enrolments acts on, from a session and its course's facts.
fn facts_of(
    session_id: Uuid,
    course_id: Uuid,
    session: pb::Session,
    course: CourseFacts,
) -> SessionFacts {
    let session_status = session.status();
    let details = session.details.unwrap_or_default();
    let window = details.enrolment_window.unwrap_or_default();
    let instant = |t: Option<&prost_types::Timestamp>| {
        t.and_then(from_timestamp)
            .unwrap_or(DateTime::<Utc>::MIN_UTC)
    };
    let status = match session_status {
        pb::SessionStatus::Open => Ok(()),
        other => Err(other
            .as_str_name()
            .trim_start_matches("SESSION_STATUS_")
            .to_ascii_lowercase()),
    };
    SessionFacts {
        session_id,
        course_id,
        status,
        window_opens: instant(window.start_time.as_ref()),
        window_closes: instant(window.end_time.as_ref()),
        capacity: details.capacity,
        quotas: details
            .quotas
            .into_iter()
            .map(|q| (q.organization_id, q.seats))
            .collect(),
        meeting_count: u32::try_from(details.meetings.len()).unwrap_or(u32::MAX),
        meeting_starts: details
            .meetings
            .iter()
            .map(|m| instant(m.start_time.as_ref()))
            .collect(),
        instructor_subject: details.instructor.map(|i| i.subject).unwrap_or_default(),
        host_organization_id: Some(session.host_organization_id).filter(|host| !host.is_empty()),
        course,
    }
}

fn parse_uuid(value: &str) -> Result<Uuid, EnrolmentsError> {
    Uuid::parse_str(value).map_err(|_| {
        EnrolmentsError::Courses(tonic::Status::internal(format!(
            "courses sent a malformed id {value}"
        )))
    })
}
