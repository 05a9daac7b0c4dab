//! What certification reads from the courses service, over its contract and
//! with this service's own identity: organization names, courses and the
//! programs a course belongs to.

use std::sync::Arc;

use hamafza_kit::auth::ServiceToken;
use hamafza_kit::grpc::PeerChannel;
use hamafza_kit::ids::{CourseId, ProgramId, SessionId};
use hamafza_proto::courses as pb;
use uuid::Uuid;

use crate::domain::CertificationError;

/// What certification reads from courses, over the kit's typed client.
#[derive(Clone, Debug)]
pub struct CoursesClient {
    client: hamafza_kit::peers::CoursesClient,
}

/// A program's facts.
#[derive(Debug, Clone)]
pub struct ProgramFacts {
    /// Its id.
    pub id: Uuid,
    /// Title in Persian.
    pub title_fa: String,
    /// Title in English.
    pub title_en: String,
    /// Its required courses.
    pub required: Vec<Uuid>,
}

impl CoursesClient {
    /// A client over `channel`, calling as `identity`.
    pub fn new(channel: PeerChannel, identity: Arc<ServiceToken>) -> Self {
        Self {
            client: hamafza_kit::peers::CoursesClient::as_service(channel, identity),
        }
    }

    /// An organization's name in Persian and English.
    pub async fn organization_name(
        &self,
        id: &str,
    ) -> Result<(String, String), CertificationError> {
        let name = self.client.organization(id).await?.name.unwrap_or_default();
        Ok((name.fa, name.en))
    }

    /// A person's name in English from the people directory, when it has
    /// one; `None` when it does not or cannot say (the document then prints
    /// the name as issued).
    pub async fn english_name(&self, subject: &str) -> Option<String> {
        match self.client.person(subject).await {
            Ok(person) => person
                .and_then(|p| p.name)
                .map(|n| n.en.trim().to_owned())
                .filter(|en| !en.is_empty()),
            Err(error) => {
                tracing::warn!(%error, "the people directory did not answer");
                None
            }
        }
    }

    /// The member company that hosted a session, with its names; `None`
    /// when the holding ran it.
    pub async fn session_host(
        &self,
        session: Uuid,
    ) -> Result<Option<(String, pb::Hosting)>, CertificationError> {
        let session = self.client.session(SessionId(session)).await?;
        Ok(Some(session.host_organization_id)
            .filter(|host| !host.is_empty())
            .map(|host| (host, session.hosting.unwrap_or_default())))
    }

    /// A course's title and hours and certificate validity.
    pub async fn course(&self, id: Uuid) -> Result<pb::CourseDetails, CertificationError> {
        self.client
            .course(CourseId(id))
            .await?
            .details
            .ok_or_else(|| {
                CertificationError::Courses(tonic::Status::internal(
                    "GetCourse returned no details",
                ))
            })
    }

    /// One program.
    pub async fn program(&self, id: Uuid) -> Result<ProgramFacts, CertificationError> {
        Ok(facts(self.client.program(ProgramId(id)).await?))
    }

    /// The published programs that include `course`.
    pub async fn programs_with(
        &self,
        course: Uuid,
    ) -> Result<Vec<ProgramFacts>, CertificationError> {
        Ok(self
            .client
            .published_programs_with(CourseId(course))
            .await?
            .into_iter()
            .map(facts)
            .collect())
    }
}

fn facts(program: pb::Program) -> ProgramFacts {
    let id = Uuid::parse_str(&program.id).unwrap_or_default();
    let details = program.details.unwrap_or_default();
    let title = details.title.unwrap_or_default();
    ProgramFacts {
        id,
        title_fa: title.fa,
        title_en: title.en,
        required: details
            .courses
            .iter()
            .filter(|c| c.required)
            .filter_map(|c| Uuid::parse_str(&c.course_id).ok())
            .collect(),
    }
}
