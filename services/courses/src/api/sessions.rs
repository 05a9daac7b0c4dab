//! `hamafza.courses.v1.SessionService`.

use hamafza_kit::auth::{Caller, Role};
use hamafza_kit::db::retry_on_lost_connection;
use hamafza_kit::{ApiError, Violations, idempotency, page, time};
use hamafza_proto::courses as pb;
use hamafza_proto::courses::session_service_server::SessionService;
use tonic::{Request, Response, Status};
use uuid::Uuid;

use super::convert::masks::merge_session;
use super::convert::{
    parse_id, parse_instant, parse_organization_filter, parse_range, session_plan,
    session_statuses_from_wire, session_to_wire,
};
use super::{ADMIN, CoursesApi, UpdateTerms, is_staff, reply, signed_in};
use crate::domain::sessions::{SessionMove, SessionPlan, SessionStatus};
use crate::domain::workflow::CatalogStatus;
use crate::store::queries::{SessionFilter, SessionRecord};

/// Most ids in one `session_ids` filter.
const MAX_ID_FILTER: usize = 200;
/// Longest cancellation reason, in characters.
const REASON_CHARS: usize = 2000;

impl CoursesApi {
    /// The session a repeated create call made the first time, as it is
    /// now.
    pub(super) async fn created_session(&self, id: Uuid) -> Result<pb::Session, ApiError> {
        let record = self
            .store
            .session(id)
            .await?
            .ok_or_else(|| ApiError::not_found("session", id))?;
        Ok(session_to_wire(record))
    }

    /// Whether `caller` may see `record`: staff see all; others see sessions
    /// past planning, and instructors also their own planned ones.
    /// Staff see every session. Others see sessions of published (or
    /// retired) courses once they are past planning; instructors also their
    /// own planned ones.
    async fn may_see_session(
        &self,
        caller: &Caller,
        record: &SessionRecord,
    ) -> Result<bool, ApiError> {
        if is_staff(caller) {
            return Ok(true);
        }
        let visible_stage = record.session.status != SessionStatus::Planned
            || (caller.has(Role::Instructor)
                && record.session.instructor_subject == caller.subject);
        if !visible_stage {
            return Ok(false);
        }
        let course = self.store.course(record.session.course_id).await?;
        Ok(course.is_some_and(|course| course.course.status.is_public()))
    }

    async fn parse_session_id(id: &str) -> Result<Uuid, ApiError> {
        let mut v = Violations::new();
        let id = parse_id(&mut v, "session_id", id);
        v.finish_with(id)
    }

    /// Parses a session plan and checks it against its course.
    pub(super) async fn checked_plan(
        &self,
        course_id: Uuid,
        details: Option<&pb::SessionDetails>,
        v: &mut Violations,
    ) -> Result<Option<SessionPlan>, ApiError> {
        let plan = session_plan(details, v);
        let course = self
            .store
            .course(course_id)
            .await?
            .ok_or_else(|| ApiError::not_found("course", course_id))?;
        if course.course.status == CatalogStatus::Retired {
            return Err(ApiError::new(
                hamafza_kit::ErrorCode::FailedPrecondition,
                "COURSE_RETIRED",
                format!("course {course_id} is retired; it can no longer be offered"),
            ));
        }
        if let Some(plan) = &plan {
            for (field, problem) in plan.check(course.course.delivery_mode) {
                v.add(field, problem);
            }
        }
        Ok(plan)
    }

    /// Answers a request to move the session it names (with `named`: its
    /// id and the reason given) as `movement` says, the session as moved
    /// wrapped by `wrap`.
    async fn answer_move<Q, R>(
        &self,
        request: Request<Q>,
        movement: SessionMove,
        named: impl FnOnce(Q) -> (String, String),
        wrap: impl FnOnce(Option<pb::Session>) -> R,
    ) -> Result<Response<R>, Status> {
        let caller = signed_in(&request)?;
        let (id, reason) = named(request.into_inner());
        let moved = self.move_session(&caller, &id, movement, &reason).await;
        reply(moved.map(|session| wrap(Some(session))))
    }

    async fn move_session(
        &self,
        caller: &Caller,
        id: &str,
        movement: SessionMove,
        reason: &str,
    ) -> Result<pb::Session, ApiError> {
        caller.require_any(ADMIN)?;
        let mut v = Violations::new();
        let id = parse_id(&mut v, "session_id", id);
        let reason = v.take("reason", hamafza_kit::text::plain(reason, REASON_CHARS));
        if movement == SessionMove::Cancel && reason.as_deref() == Some("") {
            v.add("reason", "is required: trainees are told why");
        }
        let reason = reason.unwrap_or_default();
        let id = v.finish_with(id)?;
        let record = self
            .store
            .move_session(id, movement, &reason, time::now())
            .await?;
        tracing::info!(
            session_id = %id,
            status = %record.session.status,
            by = %caller.subject,
            "session status changed"
        );
        Ok(session_to_wire(record))
    }
}

#[tonic::async_trait]
impl SessionService for CoursesApi {
    async fn create_session(
        &self,
        request: Request<pb::CreateSessionRequest>,
    ) -> Result<Response<pb::CreateSessionResponse>, Status> {
        let caller = signed_in(&request)?;
        let request = request.into_inner();
        reply(
            async {
                caller.require_any(ADMIN)?;
                let mut v = Violations::new();
                let key = idempotency::optional_key(
                    &mut v,
                    &caller.subject,
                    &request.request_id,
                    "/hamafza.courses.v1.SessionService/CreateSession",
                    &request,
                );
                if let Some(id) = self.store.created_before(key.as_ref()).await? {
                    return Ok(pb::CreateSessionResponse {
                        session: Some(self.created_session(id).await?),
                    });
                }
                let course_id = parse_id(&mut v, "course_id", &request.course_id);
                let Some(course_id) = course_id else {
                    session_plan(request.details.as_ref(), &mut v);
                    return Err(v
                        .finish()
                        .err()
                        .unwrap_or_else(|| ApiError::invalid_field("course_id", "is required")));
                };
                let plan = self
                    .checked_plan(course_id, request.details.as_ref(), &mut v)
                    .await?;
                let plan = v.finish_with(plan)?;
                let record = self
                    .store
                    .create_session(course_id, &plan, None, time::now(), key.as_ref())
                    .await?;
                tracing::info!(
                    session_id = %record.session.id,
                    course_id = %course_id,
                    "session planned"
                );
                Ok(pb::CreateSessionResponse {
                    session: Some(session_to_wire(record)),
                })
            }
            .await,
        )
    }

    async fn get_session(
        &self,
        request: Request<pb::GetSessionRequest>,
    ) -> Result<Response<pb::GetSessionResponse>, Status> {
        let caller = signed_in(&request)?;
        let request = request.into_inner();
        reply(
            retry_on_lost_connection(|| {
                let (request, caller) = (&request, &caller);
                async move {
                    let id = Self::parse_session_id(&request.session_id).await?;
                    match self.store.session(id).await? {
                        Some(record) if self.may_see_session(caller, &record).await? => {
                            Ok(pb::GetSessionResponse {
                                session: Some(session_to_wire(record)),
                            })
                        }
                        _ => Err(ApiError::not_found("session", id)),
                    }
                }
            })
            .await,
        )
    }

    async fn list_sessions(
        &self,
        request: Request<pb::ListSessionsRequest>,
    ) -> Result<Response<pb::ListSessionsResponse>, Status> {
        let caller = signed_in(&request)?;
        let request = request.into_inner();
        reply(
            retry_on_lost_connection(|| {
                let (request, caller) = (&request, &caller);
                async move {
                    let mut v = Violations::new();
                    let size = v.take("page_size", page::size(request.page_size));
                    let after = v.take(
                        "page_token",
                        page::decode::<(chrono::DateTime<chrono::Utc>, Uuid)>(&request.page_token),
                    );
                    let course = if request.course_id.is_empty() {
                        None
                    } else {
                        parse_id(&mut v, "course_id", &request.course_id)
                    };
                    let asked = session_statuses_from_wire(&mut v, "statuses", &request.statuses);
                    let (start_from, start_until) =
                        parse_range(&mut v, "start_time", request.start_time.as_ref());
                    let organization = parse_organization_filter(
                        &mut v,
                        "organization_id",
                        &request.organization_id,
                    );
                    let instructor = v
                        .take(
                            "instructor_subject",
                            hamafza_kit::text::single_line(&request.instructor_subject, 200),
                        )
                        .filter(|s| !s.is_empty());
                    let updated_since = request
                        .updated_since
                        .as_ref()
                        .and_then(|t| parse_instant(&mut v, "updated_since", Some(t)));
                    if request.session_ids.len() > MAX_ID_FILTER {
                        v.add(
                            "session_ids",
                            format!("may list at most {MAX_ID_FILTER} ids"),
                        );
                    }
                    let ids: Vec<Uuid> = request
                        .session_ids
                        .iter()
                        .enumerate()
                        .filter_map(|(i, id)| parse_id(&mut v, &format!("session_ids[{i}]"), id))
                        .collect();
                    v.finish()?;
                    let size = size.unwrap_or(page::DEFAULT_PAGE_SIZE);

                    let all = [
                        SessionStatus::Planned,
                        SessionStatus::Open,
                        SessionStatus::Closed,
                        SessionStatus::Completed,
                        SessionStatus::Cancelled,
                    ];
                    let wants_planned = asked.is_empty() || asked.contains(&SessionStatus::Planned);
                    let (statuses, also_planned_by) = if is_staff(caller) {
                        (
                            if asked.is_empty() {
                                all.to_vec()
                            } else {
                                asked
                            },
                            None,
                        )
                    } else {
                        let is_instructor = caller.has(Role::Instructor);
                        if asked.contains(&SessionStatus::Planned) && !is_instructor {
                            return Err(ApiError::permission_denied(
                                "planned sessions are visible only to staff and their instructors",
                            ));
                        }
                        let public: Vec<SessionStatus> = if asked.is_empty() {
                            all[1..].to_vec()
                        } else {
                            asked
                        };
                        let public = public
                            .into_iter()
                            .filter(|s| *s != SessionStatus::Planned)
                            .collect();
                        (
                            public,
                            (is_instructor && wants_planned).then(|| caller.subject.clone()),
                        )
                    };
                    let filter = SessionFilter {
                        statuses,
                        also_planned_by,
                        course,
                        start_from,
                        start_until,
                        organization,
                        instructor,
                        updated_since,
                        public_courses_only: !is_staff(caller),
                        ids,
                    };
                    let mut records = self
                        .store
                        .list_sessions(&filter, after.flatten(), size + 1)
                        .await?;
                    let by_change = filter.updated_since.is_some();
                    let next_page_token = page::finish(&mut records, size, |record| {
                        let instant = if by_change {
                            record.session.updated_at
                        } else {
                            record.session.starts_at
                        };
                        (instant, record.session.id)
                    });
                    Ok(pb::ListSessionsResponse {
                        sessions: records.into_iter().map(session_to_wire).collect(),
                        next_page_token,
                    })
                }
            })
            .await,
        )
    }

    async fn update_session(
        &self,
        request: Request<pb::UpdateSessionRequest>,
    ) -> Result<Response<pb::UpdateSessionResponse>, Status> {
        let caller = signed_in(&request)?;
        let request = request.into_inner();
        reply(
            async {
                caller.require_any(ADMIN)?;
                let (id, terms) = UpdateTerms::parse(
                    |v| parse_id(v, "session_id", &request.session_id),
                    &request.etag,
                    request.update_mask.as_ref(),
                    merge_session,
                )?;
                // Every attempt reads afresh, borrowing the request and the terms.
                let (request, terms) = (&request, &terms);
                let record = terms
                    .rewrite(
                        "session",
                        id,
                        move || self.store.session(id),
                        |existing| existing.session.revision,
                        move |existing, revision| async move {
                            let course_id = existing.session.course_id;
                            let details = terms.merged(
                                session_to_wire(existing).details.unwrap_or_default(),
                                request.details.as_ref(),
                                merge_session,
                            );
                            let mut v = Violations::new();
                            let plan = self
                                .checked_plan(course_id, details.as_ref(), &mut v)
                                .await?;
                            let plan = v.finish_with(plan)?;
                            Ok(self
                                .store
                                .update_session(id, &plan, revision, time::now())
                                .await)
                        },
                    )
                    .await?;
                tracing::info!(session_id = %id, by = %caller.subject, "session updated");
                Ok(pb::UpdateSessionResponse {
                    session: Some(session_to_wire(record)),
                })
            }
            .await,
        )
    }

    async fn open_session(
        &self,
        request: Request<pb::OpenSessionRequest>,
    ) -> Result<Response<pb::OpenSessionResponse>, Status> {
        let named = |request: pb::OpenSessionRequest| (request.session_id, String::new());
        let wrap = |session| pb::OpenSessionResponse { session };
        self.answer_move(request, SessionMove::Open, named, wrap)
            .await
    }

    async fn close_session(
        &self,
        request: Request<pb::CloseSessionRequest>,
    ) -> Result<Response<pb::CloseSessionResponse>, Status> {
        let named = |request: pb::CloseSessionRequest| (request.session_id, String::new());
        let wrap = |session| pb::CloseSessionResponse { session };
        self.answer_move(request, SessionMove::Close, named, wrap)
            .await
    }

    async fn complete_session(
        &self,
        request: Request<pb::CompleteSessionRequest>,
    ) -> Result<Response<pb::CompleteSessionResponse>, Status> {
        let named = |request: pb::CompleteSessionRequest| (request.session_id, String::new());
        let wrap = |session| pb::CompleteSessionResponse { session };
        self.answer_move(request, SessionMove::Complete, named, wrap)
            .await
    }

    async fn cancel_session(
        &self,
        request: Request<pb::CancelSessionRequest>,
    ) -> Result<Response<pb::CancelSessionResponse>, Status> {
        let named = |request: pb::CancelSessionRequest| (request.session_id, request.reason);
        let wrap = |session| pb::CancelSessionResponse { session };
        self.answer_move(request, SessionMove::Cancel, named, wrap)
            .await
    }

    async fn propose_hosted_session(
        &self,
        request: Request<pb::ProposeHostedSessionRequest>,
    ) -> Result<Response<pb::ProposeHostedSessionResponse>, Status> {
        let caller = signed_in(&request)?;
        let request = request.into_inner();
        reply(self.propose_hosted(&caller, &request).await.map(|session| {
            pb::ProposeHostedSessionResponse {
                session: Some(session),
            }
        }))
    }

    async fn accept_hosted_session(
        &self,
        request: Request<pb::AcceptHostedSessionRequest>,
    ) -> Result<Response<pb::AcceptHostedSessionResponse>, Status> {
        let caller = signed_in(&request)?;
        let request = request.into_inner();
        reply(
            self.decide_hosted(&caller, &request.session_id, None)
                .await
                .map(|session| pb::AcceptHostedSessionResponse {
                    session: Some(session),
                }),
        )
    }

    async fn decline_hosted_session(
        &self,
        request: Request<pb::DeclineHostedSessionRequest>,
    ) -> Result<Response<pb::DeclineHostedSessionResponse>, Status> {
        let caller = signed_in(&request)?;
        let request = request.into_inner();
        reply(
            self.decide_hosted(&caller, &request.session_id, Some(&request.reason))
                .await
                .map(|session| pb::DeclineHostedSessionResponse {
                    session: Some(session),
                }),
        )
    }

    async fn list_hosted_sessions(
        &self,
        request: Request<pb::ListHostedSessionsRequest>,
    ) -> Result<Response<pb::ListHostedSessionsResponse>, Status> {
        let caller = signed_in(&request)?;
        let request = request.into_inner();
        reply(self.list_hosted(&caller, &request).await)
    }
}
