//! The one typed client of the courses service, used by every service that
//! reads the catalog (enrolments, certification, the gateway): typed ids in,
//! the contract's messages out, credentials (the calling service's own
//! identity, or the person's token the gateway forwards) and the trace
//! context attached to every call by one interceptor, and failures mapped
//! once ([`PeerError`]).

use std::sync::Arc;

use hamafza_proto::courses as pb;
use hamafza_proto::courses::course_service_client::CourseServiceClient;
use hamafza_proto::courses::organization_service_client::OrganizationServiceClient;
use hamafza_proto::courses::person_service_client::PersonServiceClient;
use hamafza_proto::courses::session_service_client::SessionServiceClient;
use tonic::service::interceptor::InterceptedService;

use crate::ApiError;
use crate::auth::ServiceToken;
use crate::grpc::PeerChannel;
use crate::ids::{CourseId, ProgramId, SessionId};

/// Largest page a list call asks for.
const PAGE: i32 = 200;

/// Who a call is made as.
#[derive(Clone)]
pub enum Credentials {
    /// The calling service itself (outbox, reconciliation, facts at enrolment).
    Service(Arc<ServiceToken>),
    /// A person, whose token the gateway forwards.
    Bearer(Arc<str>),
}

/// Adds the credentials and the current trace context to every call to a
/// peer (any of the services' clients).
#[derive(Clone)]
pub struct PeerAuth(Credentials);

impl PeerAuth {
    /// Calls made as the service `identity`.
    pub fn service(identity: Arc<ServiceToken>) -> Self {
        Self(Credentials::Service(identity))
    }

    /// Calls made as the person whose `token` this is (the gateway forwards
    /// it, so each service applies its own access rules to them).
    pub fn bearer(token: &str) -> Self {
        Self(Credentials::Bearer(Arc::from(token)))
    }
}

impl tonic::service::Interceptor for PeerAuth {
    fn call(
        &mut self,
        mut request: tonic::Request<()>,
    ) -> Result<tonic::Request<()>, tonic::Status> {
        let token = match &self.0 {
            Credentials::Service(identity) => identity.bearer().map_err(|error| {
                tonic::Status::unauthenticated(format!("no service credentials: {error}"))
            })?,
            Credentials::Bearer(token) => token.to_string(),
        };
        let value = format!("Bearer {token}")
            .parse()
            .map_err(|_| tonic::Status::unauthenticated("the token is not a valid header value"))?;
        request.metadata_mut().insert("authorization", value);
        crate::grpc::inject_trace_context(request.metadata_mut());
        Ok(request)
    }
}

type Authed = InterceptedService<PeerChannel, PeerAuth>;

/// Why a call to a peer failed.
#[derive(Debug, thiserror::Error)]
pub enum PeerError {
    /// The named thing does not exist there.
    #[error("{kind} {id} does not exist")]
    NotFound {
        /// What kind of thing (`"session"`).
        kind: &'static str,
        /// Its id.
        id: String,
    },
    /// Any other refusal or failure, as the peer answered (its reason kept).
    #[error("{}", .0.message())]
    Status(tonic::Status),
}

impl PeerError {
    fn from_status(status: tonic::Status, kind: &'static str, id: impl ToString) -> Self {
        if status.code() == tonic::Code::NotFound {
            Self::NotFound {
                kind,
                id: id.to_string(),
            }
        } else {
            Self::Status(status)
        }
    }

    fn missing(what: &str) -> Self {
        Self::Status(tonic::Status::internal(format!(
            "courses answered without {what}"
        )))
    }
}

impl From<PeerError> for ApiError {
    fn from(error: PeerError) -> Self {
        match error {
            PeerError::NotFound { kind, id } => ApiError::not_found(kind, id),
            PeerError::Status(status) => ApiError::from_status(&status),
        }
    }
}

/// A client of the courses service.
#[derive(Clone)]
pub struct CoursesClient {
    courses: CourseServiceClient<Authed>,
    sessions: SessionServiceClient<Authed>,
    organizations: OrganizationServiceClient<Authed>,
    people: PersonServiceClient<Authed>,
}

impl std::fmt::Debug for CoursesClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CoursesClient").finish_non_exhaustive()
    }
}

impl CoursesClient {
    /// A client over `channel` (typically connected lazily), calling as
    /// `credentials`.
    pub fn new(channel: PeerChannel, credentials: Credentials) -> Self {
        let auth = PeerAuth(credentials);
        Self {
            courses: CourseServiceClient::with_interceptor(channel.clone(), auth.clone()),
            sessions: SessionServiceClient::with_interceptor(channel.clone(), auth.clone()),
            organizations: OrganizationServiceClient::with_interceptor(
                channel.clone(),
                auth.clone(),
            ),
            people: PersonServiceClient::with_interceptor(channel, auth),
        }
    }

    /// A client calling as the service `identity`.
    pub fn as_service(channel: PeerChannel, identity: Arc<ServiceToken>) -> Self {
        Self::new(channel, Credentials::Service(identity))
    }

    /// One session.
    pub async fn session(&self, id: SessionId) -> Result<pb::Session, PeerError> {
        self.sessions
            .clone()
            .get_session(pb::GetSessionRequest {
                session_id: id.to_string(),
            })
            .await
            .map_err(|status| PeerError::from_status(status, SessionId::KIND, id))?
            .into_inner()
            .session
            .ok_or_else(|| PeerError::missing("a session"))
    }

    /// One person of the directory; `None` when the directory does not know
    /// them (or the caller may not see them).
    pub async fn person(&self, subject: &str) -> Result<Option<pb::Person>, PeerError> {
        match self
            .people
            .clone()
            .get_person(pb::GetPersonRequest {
                subject: subject.to_owned(),
            })
            .await
        {
            Ok(response) => Ok(response.into_inner().person),
            Err(status) if status.code() == tonic::Code::NotFound => Ok(None),
            Err(status) => Err(PeerError::Status(status)),
        }
    }

    /// The active people of `organization_id` who hold `role` (e.g. a
    /// company's PR managers), following pages up to 10 of 200.
    pub async fn people_with_role(
        &self,
        organization_id: &str,
        role: crate::auth::Role,
    ) -> Result<Vec<pb::Person>, PeerError> {
        let request = pb::ListPeopleRequest {
            organization_id: organization_id.to_owned(),
            role: role.as_str().to_owned(),
            ..Default::default()
        };
        Ok(self.people(request, 10).await?.0)
    }

    /// The directory's records of `subjects`, active or not, in pages of
    /// 200 names (those it does not know are simply absent).
    pub async fn people_by_subject(
        &self,
        subjects: &[String],
    ) -> Result<Vec<pb::Person>, PeerError> {
        let mut people = Vec::with_capacity(subjects.len());
        for chunk in subjects.chunks(usize::try_from(PAGE).unwrap_or(200)) {
            let request = pb::ListPeopleRequest {
                include_inactive: true,
                subjects: chunk.to_vec(),
                ..Default::default()
            };
            people.extend(self.people(request, 1).await?.0);
        }
        Ok(people)
    }

    /// Everyone of the directory, active or not, whose record changed at or
    /// after `since`, following pages up to `max_pages` of 200; and whether
    /// that was all of them.
    pub async fn people_changed_since(
        &self,
        since: chrono::DateTime<chrono::Utc>,
        max_pages: usize,
    ) -> Result<(Vec<pb::Person>, bool), PeerError> {
        let request = pb::ListPeopleRequest {
            include_inactive: true,
            updated_since: Some(crate::time::to_timestamp(since)),
            ..Default::default()
        };
        self.people(request, max_pages).await
    }

    /// The people `request` lists, following pages up to `max_pages` of 200,
    /// and whether there were no more.
    async fn people(
        &self,
        mut request: pb::ListPeopleRequest,
        max_pages: usize,
    ) -> Result<(Vec<pb::Person>, bool), PeerError> {
        request.page_size = PAGE;
        request.page_token = String::new();
        let mut people = Vec::new();
        for _ in 0..max_pages {
            let page = self
                .people
                .clone()
                .list_people(request.clone())
                .await
                .map_err(PeerError::Status)?
                .into_inner();
            people.extend(page.people);
            if page.next_page_token.is_empty() {
                return Ok((people, true));
            }
            request.page_token = page.next_page_token;
        }
        Ok((people, false))
    }

    /// Records a person from the identity provider's claims at a sign-in
    /// (the caller must be a service).
    pub async fn record_sign_in(&self, person: pb::Person) -> Result<pb::Person, PeerError> {
        self.people
            .clone()
            .upsert_person(pb::UpsertPersonRequest {
                person: Some(person),
            })
            .await
            .map_err(PeerError::Status)?
            .into_inner()
            .person
            .ok_or_else(|| PeerError::missing("a person"))
    }

    /// One course.
    pub async fn course(&self, id: CourseId) -> Result<pb::Course, PeerError> {
        self.courses
            .clone()
            .get_course(pb::GetCourseRequest {
                course_id: id.to_string(),
            })
            .await
            .map_err(|status| PeerError::from_status(status, CourseId::KIND, id))?
            .into_inner()
            .course
            .ok_or_else(|| PeerError::missing("a course"))
    }

    /// The courses among `ids` (one page: at most 200).
    pub async fn courses_by_id(&self, ids: &[CourseId]) -> Result<Vec<pb::Course>, PeerError> {
        Ok(self
            .courses
            .clone()
            .list_courses(pb::ListCoursesRequest {
                page_size: PAGE,
                course_ids: ids.iter().map(CourseId::to_string).collect(),
                ..Default::default()
            })
            .await
            .map_err(PeerError::Status)?
            .into_inner()
            .courses)
    }

    /// One program.
    pub async fn program(&self, id: ProgramId) -> Result<pb::Program, PeerError> {
        self.courses
            .clone()
            .get_program(pb::GetProgramRequest {
                program_id: id.to_string(),
            })
            .await
            .map_err(|status| PeerError::from_status(status, ProgramId::KIND, id))?
            .into_inner()
            .program
            .ok_or_else(|| PeerError::missing("a program"))
    }

    /// The published programs that include `course` (one page: at most 200).
    pub async fn published_programs_with(
        &self,
        course: CourseId,
    ) -> Result<Vec<pb::Program>, PeerError> {
        Ok(self
            .courses
            .clone()
            .list_programs(pb::ListProgramsRequest {
                page_size: PAGE,
                course_id: course.to_string(),
                statuses: vec![pb::CatalogStatus::Published.into()],
                ..Default::default()
            })
            .await
            .map_err(PeerError::Status)?
            .into_inner()
            .programs)
    }

    /// One organization.
    pub async fn organization(&self, id: &str) -> Result<pb::Organization, PeerError> {
        self.organizations
            .clone()
            .get_organization(pb::GetOrganizationRequest {
                organization_id: id.to_owned(),
            })
            .await
            .map_err(|status| PeerError::from_status(status, "organization", id))?
            .into_inner()
            .organization
            .ok_or_else(|| PeerError::missing("an organization"))
    }

    /// Every organization, all pages.
    pub async fn all_organizations(&self) -> Result<Vec<pb::Organization>, PeerError> {
        let mut organizations = Vec::new();
        let mut token = String::new();
        loop {
            let page = self
                .organizations
                .clone()
                .list_organizations(pb::ListOrganizationsRequest {
                    page_size: PAGE,
                    page_token: token,
                    ..Default::default()
                })
                .await
                .map_err(PeerError::Status)?
                .into_inner();
            organizations.extend(page.organizations);
            if page.next_page_token.is_empty() {
                return Ok(organizations);
            }
            token = page.next_page_token;
        }
    }

    /// The sessions of `ids`, whatever their status, in pages of 200 ids
    /// (those that do not exist, or the caller may not see, are absent).
    pub async fn sessions_by_id(&self, ids: &[SessionId]) -> Result<Vec<pb::Session>, PeerError> {
        let mut sessions = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(usize::try_from(PAGE).unwrap_or(200)) {
            let request = pb::ListSessionsRequest {
                session_ids: chunk.iter().map(ToString::to_string).collect(),
                ..Default::default()
            };
            sessions.extend(self.sessions(request, 1).await?);
        }
        Ok(sessions)
    }

    /// Sessions as `request` selects them, following pages up to
    /// `max_pages` of 200 (the request's own page size and token are set here).
    pub async fn sessions(
        &self,
        mut request: pb::ListSessionsRequest,
        max_pages: usize,
    ) -> Result<Vec<pb::Session>, PeerError> {
        let mut sessions = Vec::new();
        request.page_size = PAGE;
        request.page_token = String::new();
        for _ in 0..max_pages {
            let page = self
                .sessions
                .clone()
                .list_sessions(request.clone())
                .await
                .map_err(PeerError::Status)?
                .into_inner();
            sessions.extend(page.sessions);
            if page.next_page_token.is_empty() {
                break;
            }
            request.page_token = page.next_page_token;
        }
        Ok(sessions)
    }
}
