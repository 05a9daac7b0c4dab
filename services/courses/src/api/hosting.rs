//! Company-hosted sessions on `hamafza.courses.v1.SessionService`: a member
//! company's manager proposes, the holding's admins accept or decline, and
//! both list the proposals (managers only their own company's).

use hamafza_kit::auth::{Caller, Role};
use hamafza_kit::{ApiError, ErrorCode, Violations, idempotency, page, time};
use hamafza_proto::common::{Actor, LocalizedText};
use hamafza_proto::courses as pb;
use uuid::Uuid;

use super::convert::{parse_id, session_to_wire};
use super::{ADMIN, CoursesApi};
use crate::domain::hosting::{HostingDecision, HostingState};
use crate::domain::values::OrganizationId;
use crate::domain::workflow::CatalogStatus;
use crate::store::queries::{HostProposal, HostingFilter, HostingRecord};

/// Longest decline reason, in characters.
const REASON_CHARS: usize = 2000;
/// Roles that read every company's proposals.
const QUEUE_READERS: &[Role] = &[Role::PlatformAdmin, Role::Council, Role::Service];

impl CoursesApi {
    /// `ProposeHostedSession`: the host's manager plans a session of a
    /// published course taught by one of the host's people.
    pub(super) async fn propose_hosted(
        &self,
        caller: &Caller,
        request: &pb::ProposeHostedSessionRequest,
    ) -> Result<pb::Session, ApiError> {
        let mut v = Violations::new();
        let key = idempotency::optional_key(
            &mut v,
            &caller.subject,
            &request.request_id,
            "/hamafza.courses.v1.SessionService/ProposeHostedSession",
            request,
        );
        if let Some(id) = self.store.created_before(key.as_ref()).await? {
            return self.created_session(id).await;
        }
        let host = v.take(
            "host_organization_id",
            OrganizationId::parse(&request.host_organization_id),
        );
        let course_id = parse_id(&mut v, "course_id", &request.course_id);
        let (Some(host), Some(course_id)) = (host, course_id) else {
            return Err(v.finish().err().unwrap_or_else(|| {
                ApiError::invalid_field("host_organization_id", "is required")
            }));
        };
        if !caller.manages(host.as_str()) {
            return Err(ApiError::permission_denied(
                "only the host company's manager may propose a session it hosts",
            ));
        }
        let course = self
            .store
            .course(course_id)
            .await?
            .ok_or_else(|| ApiError::not_found("course", course_id))?;
        if course.course.status != CatalogStatus::Published {
            return Err(ApiError::new(
                ErrorCode::FailedPrecondition,
                "COURSE_NOT_PUBLISHED",
                format!(
                    "course {course_id} is not published; only a published course can be hosted"
                ),
            ));
        }
        let plan = self
            .checked_plan(course_id, request.details.as_ref(), &mut v)
            .await?;
        if let Some(plan) = &plan {
            let person = self.store.person(&plan.instructor.subject).await?;
            if !person.is_some_and(|p| p.active && p.organization_id == host.as_str()) {
                v.add(
                    "details.instructor.subject",
                    format!("is not one of {}'s people in the directory", host.as_str()),
                );
            }
        }
        let mut plan = v.finish_with(plan)?;
        plan.instructor.organization_id = host.as_str().to_owned();
        let proposal = HostProposal {
            organization_id: host.as_str().to_owned(),
            subject: caller.subject.clone(),
            name: caller.name.clone(),
        };
        let record = self
            .store
            .create_session(course_id, &plan, Some(&proposal), time::now(), key.as_ref())
            .await?;
        tracing::info!(
            session_id = %record.session.id,
            host = %proposal.organization_id,
            by = %caller.subject,
            "hosted session proposed"
        );
        Ok(session_to_wire(record))
    }

    /// `AcceptHostedSession` and `DeclineHostedSession`.
    pub(super) async fn decide_hosted(
        &self,
        caller: &Caller,
        session_id: &str,
        reason: Option<&str>,
    ) -> Result<pb::Session, ApiError> {
        caller.require_any(ADMIN)?;
        let mut v = Violations::new();
        let id = parse_id(&mut v, "session_id", session_id);
        let decision = match reason {
            None => Some(HostingDecision::Accept),
            Some(reason) => {
                match v.take("reason", hamafza_kit::text::plain(reason, REASON_CHARS)) {
                    Some(reason) if reason.trim().is_empty() => {
                        v.add("reason", "is required: the host's manager is told why");
                        None
                    }
                    other => other.map(HostingDecision::Decline),
                }
            }
        };
        let id = v.finish_with(id)?;
        let decision = decision.ok_or_else(|| ApiError::invalid_field("reason", "is required"))?;
        let record = self
            .store
            .decide_hosting(id, &decision, (&caller.subject, &caller.name), time::now())
            .await?;
        tracing::info!(
            session_id = %id,
            state = %decision.state(),
            by = %caller.subject,
            "hosted session decided"
        );
        Ok(session_to_wire(record))
    }

    /// `ListHostedSessions`.
    pub(super) async fn list_hosted(
        &self,
        caller: &Caller,
        request: &pb::ListHostedSessionsRequest,
    ) -> Result<pb::ListHostedSessionsResponse, ApiError> {
        let mut v = Violations::new();
        let size = v.take("page_size", page::size(request.page_size));
        let after = v.take(
            "page_token",
            page::decode::<(chrono::DateTime<chrono::Utc>, Uuid)>(&request.page_token),
        );
        let host = if request.host_organization_id.is_empty() {
            None
        } else {
            v.take(
                "host_organization_id",
                OrganizationId::parse(&request.host_organization_id),
            )
            .map(|id| id.as_str().to_owned())
        };
        let mut states = Vec::new();
        for value in &request.states {
            match pb::HostingState::try_from(*value) {
                Ok(pb::HostingState::Proposed) => states.push(HostingState::Proposed),
                Ok(pb::HostingState::Accepted) => states.push(HostingState::Accepted),
                Ok(pb::HostingState::Declined) => states.push(HostingState::Declined),
                Ok(pb::HostingState::Unspecified) | Err(_) => {
                    v.add("states", format!("{value} is not a hosting state"));
                }
            }
        }
        v.finish()?;
        let host = if caller.has_any(QUEUE_READERS) {
            host
        } else if caller.has(Role::OrgManager)
            && host.as_deref().is_none_or(|h| h == caller.organization_id)
        {
            Some(caller.organization_id.clone())
        } else {
            return Err(ApiError::permission_denied(
                "only admins, council members and the host's managers list hosted sessions",
            ));
        };
        let size = size.unwrap_or(page::DEFAULT_PAGE_SIZE);
        let mut records = self
            .store
            .list_hosted_sessions(&HostingFilter { host, states }, after.flatten(), size + 1)
            .await?;
        let next_page_token = page::finish(&mut records, size, |record| {
            let proposed = record
                .hosting
                .as_ref()
                .map_or(record.session.created_at, |h| h.hosting.proposed_at);
            (proposed, record.session.id)
        });
        Ok(pb::ListHostedSessionsResponse {
            sessions: records.into_iter().map(session_to_wire).collect(),
            next_page_token,
        })
    }
}

/// A hosted session's proposal on the wire.
pub fn hosting_to_wire(record: HostingRecord) -> pb::Hosting {
    let row = record.hosting;
    let state = match row.state {
        HostingState::Proposed => pb::HostingState::Proposed,
        HostingState::Accepted => pb::HostingState::Accepted,
        HostingState::Declined => pb::HostingState::Declined,
    };
    pb::Hosting {
        host_organization_name: Some(LocalizedText {
            fa: record.name_fa,
            en: record.name_en,
        }),
        state: state.into(),
        proposed_by: Some(Actor {
            subject: row.proposed_by_subject,
            name: row.proposed_by_name,
            organization_id: row.host_organization_id,
        }),
        propose_time: Some(time::to_timestamp(row.proposed_at)),
        decided_by: row.decided_by_subject.map(|subject| Actor {
            subject,
            name: row.decided_by_name.unwrap_or_default(),
            organization_id: String::new(),
        }),
        decide_time: row.decided_at.map(time::to_timestamp),
        decline_reason: row.decline_reason,
    }
}
