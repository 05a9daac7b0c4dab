//! Reading enrolments: one, a page of those the caller may see, and a
//! session's roster as CSV.

use hamafza_kit::auth::{Caller, Role};
use hamafza_kit::{ApiError, Violations, page, time};
use hamafza_proto::enrolments as pb;
use uuid::Uuid;

use crate::api::convert::{enrolment_to_wire, parse_id, statuses_from_wire};
use crate::api::{EnrolmentsApi, STAFF, visibility};
use crate::domain::bulk;
use crate::domain::status::EnrolmentStatus;
use crate::store::queries::EnrolmentFilter;

/// Refusal to someone who may not read a roster.
const ROSTER_READERS: &str = "rosters are for staff, the session's instructor and org managers";

impl EnrolmentsApi {
    /// One enrolment the caller may see.
    pub(super) async fn get_enrolment(
        &self,
        caller: &Caller,
        request: pb::GetEnrolmentRequest,
    ) -> Result<pb::GetEnrolmentResponse, ApiError> {
        let mut v = Violations::new();
        let id = parse_id(&mut v, "enrolment_id", &request.enrolment_id);
        let id = v.finish_with(id)?;
        let row = self
            .store
            .enrolment(id)
            .await?
            .ok_or_else(|| ApiError::not_found("enrolment", id))?;
        if !self.store.is_visible(&visibility(caller), &row).await? {
            return Err(ApiError::permission_denied(
                "this enrolment is not yours to see",
            ));
        }
        let view = self.store.view(self.store.connection(), id).await?;
        Ok(pb::GetEnrolmentResponse {
            enrolment: Some(enrolment_to_wire(view)),
        })
    }

    /// A page of the enrolments the caller may see, filtered.
    pub(super) async fn list_enrolments(
        &self,
        caller: &Caller,
        request: pb::ListEnrolmentsRequest,
    ) -> Result<pb::ListEnrolmentsResponse, ApiError> {
        let mut v = Violations::new();
        let size = v.take("page_size", page::size(request.page_size));
        let after = v.take("page_token", page::decode::<Uuid>(&request.page_token));
        let optional_id = |v: &mut Violations, field: &str, value: &str| {
            if value.is_empty() {
                None
            } else {
                parse_id(v, field, value)
            }
        };
        let session = optional_id(&mut v, "session_id", &request.session_id);
        let course = optional_id(&mut v, "course_id", &request.course_id);
        let trainee = v
            .take(
                "trainee_subject",
                hamafza_kit::text::single_line(&request.trainee_subject, 200),
            )
            .filter(|s| !s.is_empty());
        let organization = if request.organization_id.is_empty() {
            None
        } else {
            v.take(
                "organization_id",
                crate::api::convert::parse_organization(&request.organization_id),
            )
        };
        let statuses = statuses_from_wire(&mut v, "statuses", &request.statuses);
        let range = request.create_time.unwrap_or_default();
        let mut instant = |field: &str, value: Option<&prost_types::Timestamp>| {
            value.and_then(|t| v.take(field, time::from_caller(t)))
        };
        let created_from = instant("create_time.start_time", range.start_time.as_ref());
        let created_until = instant("create_time.end_time", range.end_time.as_ref());
        if let (Some(from), Some(until)) = (created_from, created_until)
            && until <= from
        {
            v.add(
                "create_time.end_time",
                "must be after create_time.start_time",
            );
        }
        v.finish()?;
        out_of_scope(caller, trainee.as_deref(), organization.as_deref())?;
        // Someone who sees enrolments only as an instructor names a session
        // they teach, as the contract says, rather than getting another
        // instructor's roster as an empty page. Their own enrolments (as a
        // trainee filter on themself) stay readable anywhere.
        if sees_only_as_instructor(caller) && trainee.as_deref() != Some(caller.subject.as_str()) {
            let teaches = match session {
                Some(session) => self.may_assess(caller, session).await?,
                None => true,
            };
            if !teaches {
                return Err(ApiError::permission_denied(
                    "an instructor lists the enrolments of the sessions they teach",
                ));
            }
        }
        let size = size.unwrap_or(page::DEFAULT_PAGE_SIZE);
        let filter = EnrolmentFilter {
            session,
            course,
            trainee,
            organization,
            statuses,
            created_from,
            created_until,
        };
        let mut views = self
            .store
            .list(&visibility(caller), &filter, after.flatten(), size + 1)
            .await?;
        let next_page_token = page::finish(&mut views, size, |view| view.enrolment.id);
        Ok(pb::ListEnrolmentsResponse {
            enrolments: views.into_iter().map(enrolment_to_wire).collect(),
            next_page_token,
        })
    }

    /// A session's roster as CSV, a column a meeting: all of it for staff and
    /// the instructor, an org manager's own people for them.
    pub(super) async fn export_roster(
        &self,
        caller: &Caller,
        request: pb::ExportRosterRequest,
    ) -> Result<pb::ExportRosterResponse, ApiError> {
        if !caller.has_any(STAFF) && !caller.has_any(&[Role::Instructor, Role::OrgManager]) {
            return Err(ApiError::permission_denied(ROSTER_READERS));
        }
        let mut v = Violations::new();
        let session_id = parse_id(&mut v, "session_id", &request.session_id);
        let statuses = statuses_from_wire(&mut v, "statuses", &request.statuses);
        let session_id = v.finish_with(session_id)?;
        let organization = if caller.has_any(STAFF) || self.may_assess(caller, session_id).await? {
            None
        } else if caller.has(Role::OrgManager) {
            Some(caller.organization_id.clone())
        } else {
            return Err(ApiError::permission_denied(ROSTER_READERS));
        };
        let meetings = self
            .store
            .seats(session_id)
            .await?
            .map_or(0, |s| u32::try_from(s.meeting_count).unwrap_or(0));
        let views = self
            .store
            .roster(session_id, &statuses, organization.as_deref())
            .await?;
        let meeting_columns: Vec<String> = (1..=meetings).map(|m| format!("meeting_{m}")).collect();
        let mut header = vec![
            "enrolment_id",
            "trainee_subject",
            "trainee_name",
            "organization_id",
            "status",
            "waitlist_position",
        ];
        header.extend(meeting_columns.iter().map(String::as_str));
        header.extend(["score", "attendance_percent"]);
        let row_count = views.len();
        let rows = views.iter().map(|view| {
            let row = &view.enrolment;
            let mut cells = vec![
                row.id.to_string(),
                row.trainee_subject.clone(),
                row.trainee_name.clone(),
                row.trainee_organization_id.clone(),
                status_name(row.status).to_owned(),
                if view.waitlist_position > 0 {
                    view.waitlist_position.to_string()
                } else {
                    String::new()
                },
            ];
            cells.extend((0..meetings).map(|meeting| {
                let mark = view
                    .attendance
                    .iter()
                    .find(|m| u32::try_from(m.meeting_index).ok() == Some(meeting));
                match mark {
                    Some(m) if m.present => "present",
                    Some(_) => "absent",
                    None => "",
                }
                .to_owned()
            }));
            cells.push(row.score.map(|s| s.to_string()).unwrap_or_default());
            cells.push(
                row.attendance_percent
                    .map(|p| p.to_string())
                    .unwrap_or_default(),
            );
            cells
        });
        let csv = bulk::write(&header, rows)
            .map_err(|error| ApiError::internal(anyhow::anyhow!("writing the roster: {error}")))?;
        Ok(pb::ExportRosterResponse {
            csv,
            filename: format!("roster-{session_id}.csv"),
            row_count: u32::try_from(row_count).unwrap_or(u32::MAX),
        })
    }
}

fn status_name(status: EnrolmentStatus) -> &'static str {
    match status {
        EnrolmentStatus::PendingApproval => "pending_approval",
        EnrolmentStatus::Confirmed => "confirmed",
        EnrolmentStatus::Waitlisted => "waitlisted",
        EnrolmentStatus::Rejected => "rejected",
        EnrolmentStatus::Cancelled => "cancelled",
        EnrolmentStatus::Completed => "completed",
        EnrolmentStatus::Failed => "failed",
        EnrolmentStatus::NoShow => "no_show",
    }
}

/// Whether `caller` sees enrolments through no role but instructor.
fn sees_only_as_instructor(caller: &Caller) -> bool {
    caller.has(Role::Instructor)
        && !caller.has_any(STAFF)
        && !caller.has_any(&[Role::OrgManager, Role::Trainee])
}

/// Refuses a filter that asks for what the caller may never see (as the
/// contract says), instead of answering an empty page: a trainee asking for
/// another trainee, a manager for another organization. Staff see everything;
/// an instructor's sessions hold people of every organization.
fn out_of_scope(
    caller: &Caller,
    trainee: Option<&str>,
    organization: Option<&str>,
) -> Result<(), ApiError> {
    if caller.has_any(STAFF) || caller.has(Role::Instructor) {
        return Ok(());
    }
    if let Some(organization) = organization
        && organization != caller.organization_id
    {
        return Err(ApiError::permission_denied(
            "you may list only your own organization's enrolments",
        ));
    }
    if let Some(trainee) = trainee
        && trainee != caller.subject
        && !caller.has(Role::OrgManager)
    {
        return Err(ApiError::permission_denied(
            "you may list only your own enrolments",
        ));
    }
    Ok(())
}
