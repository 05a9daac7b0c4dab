//! What certification reads from the courses service, over its contract and
//! with this service's own identity: organization names, courses and the
//! programs a course belongs to.

use std::sync::Arc;

use hamafza_kit::auth::{ServiceAuth, ServiceToken};
use hamafza_proto::courses as pb;
use hamafza_proto::courses::course_service_client::CourseServiceClient;
use hamafza_proto::courses::organization_service_client::OrganizationServiceClient;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;
use uuid::Uuid;

use crate::domain::CertificationError;

type Authed = InterceptedService<Channel, ServiceAuth>;

/// A client of the courses service.
#[derive(Clone)]
pub struct CoursesClient {
    courses: CourseServiceClient<Authed>,
    organizations: OrganizationServiceClient<Authed>,
}

impl std::fmt::Debug for CoursesClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CoursesClient").finish_non_exhaustive()
    }
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

fn courses_error(status: tonic::Status, kind: &'static str, id: &str) -> CertificationError {
    if status.code() == tonic::Code::NotFound {
        CertificationError::NotFound {
            kind,
            id: id.to_owned(),
        }
    } else {
        CertificationError::Courses(status)
    }
}

impl CoursesClient {
    /// A client over `channel`, calling as `identity`.
    pub fn new(channel: Channel, identity: Arc<ServiceToken>) -> Self {
        let auth = ServiceAuth(identity);
        Self {
            courses: CourseServiceClient::with_interceptor(channel.clone(), auth.clone()),
            organizations: OrganizationServiceClient::with_interceptor(channel, auth),
        }
    }

    /// An organization's name in Persian and English.
    pub async fn organization_name(
        &self,
        id: &str,
    ) -> Result<(String, String), CertificationError> {
        let organization = self
            .organizations
            .clone()
            .get_organization(pb::GetOrganizationRequest {
                organization_id: id.to_owned(),
            })
            .await
            .map_err(|status| courses_error(status, "organization", id))?
            .into_inner()
            .organization
            .and_then(|o| o.name)
            .unwrap_or_default();
        Ok((organization.fa, organization.en))
    }

    /// A course's title and hours and certificate validity.
    pub async fn course(&self, id: Uuid) -> Result<pb::CourseDetails, CertificationError> {
        self.courses
            .clone()
            .get_course(pb::GetCourseRequest {
                course_id: id.to_string(),
            })
            .await
            .map_err(|status| courses_error(status, "course", &id.to_string()))?
            .into_inner()
            .course
            .and_then(|c| c.details)
            .ok_or_else(|| {
                CertificationError::Courses(tonic::Status::internal(
                    "GetCourse returned no details",
                ))
            })
    }

    /// One program.
    pub async fn program(&self, id: Uuid) -> Result<ProgramFacts, CertificationError> {
        let program = self
            .courses
            .clone()
            .get_program(pb::GetProgramRequest {
                program_id: id.to_string(),
            })
            .await
            .map_err(|status| courses_error(status, "program", &id.to_string()))?
            .into_inner()
            .program
            .ok_or_else(|| {
                CertificationError::Courses(tonic::Status::internal(
                    "GetProgram returned no program",
                ))
            })?;
        Ok(facts(program))
    }

    /// The published programs that include `course`.
    pub async fn programs_with(
        &self,
        course: Uuid,
    ) -> Result<Vec<ProgramFacts>, CertificationError> {
        let programs = self
            .courses
            .clone()
            .list_programs(pb::ListProgramsRequest {
                page_size: 200,
                course_id: course.to_string(),
                statuses: vec![pb::CatalogStatus::Published.into()],
                ..Default::default()
            })
            .await
            .map_err(CertificationError::Courses)?
            .into_inner()
            .programs;
        Ok(programs.into_iter().map(facts).collect())
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
