//! Stored enrolments as protobuf messages, and request parsing helpers.

use hamafza_kit::Violations;
pub use hamafza_kit::error::parse_id;
use hamafza_kit::ids::OrganizationId;
use hamafza_kit::time::to_timestamp;
use hamafza_proto::common::Actor;
use hamafza_proto::enrolments as pb;

use crate::domain::Person;
use crate::domain::status::{Cause, EnrolmentStatus};
use crate::store::queries::EnrolmentView;

/// The wire status.
pub fn status_to_wire(status: EnrolmentStatus) -> pb::EnrolmentStatus {
    match status {
        EnrolmentStatus::PendingApproval => pb::EnrolmentStatus::PendingApproval,
        EnrolmentStatus::Confirmed => pb::EnrolmentStatus::Confirmed,
        EnrolmentStatus::Waitlisted => pb::EnrolmentStatus::Waitlisted,
        EnrolmentStatus::Rejected => pb::EnrolmentStatus::Rejected,
        EnrolmentStatus::Cancelled => pb::EnrolmentStatus::Cancelled,
        EnrolmentStatus::Completed => pb::EnrolmentStatus::Completed,
        EnrolmentStatus::Failed => pb::EnrolmentStatus::Failed,
        EnrolmentStatus::NoShow => pb::EnrolmentStatus::NoShow,
    }
}

/// Parses status filters.
pub fn statuses_from_wire(v: &mut Violations, field: &str, values: &[i32]) -> Vec<EnrolmentStatus> {
    let mut statuses = Vec::new();
    for value in values {
        let status = match pb::EnrolmentStatus::try_from(*value) {
            Ok(pb::EnrolmentStatus::PendingApproval) => EnrolmentStatus::PendingApproval,
            Ok(pb::EnrolmentStatus::Confirmed) => EnrolmentStatus::Confirmed,
            Ok(pb::EnrolmentStatus::Waitlisted) => EnrolmentStatus::Waitlisted,
            Ok(pb::EnrolmentStatus::Rejected) => EnrolmentStatus::Rejected,
            Ok(pb::EnrolmentStatus::Cancelled) => EnrolmentStatus::Cancelled,
            Ok(pb::EnrolmentStatus::Completed) => EnrolmentStatus::Completed,
            Ok(pb::EnrolmentStatus::Failed) => EnrolmentStatus::Failed,
            Ok(pb::EnrolmentStatus::NoShow) => EnrolmentStatus::NoShow,
            Ok(pb::EnrolmentStatus::Unspecified) | Err(_) => {
                v.add(field, format!("{value} is not an enrolment status"));
                continue;
            }
        };
        statuses.push(status);
    }
    statuses
}

fn cause_to_wire(cause: Cause) -> pb::StatusChangeCause {
    match cause {
        Cause::Enrolment => pb::StatusChangeCause::Enrolment,
        Cause::Approval => pb::StatusChangeCause::Approval,
        Cause::Rejection => pb::StatusChangeCause::Rejection,
        Cause::Cancellation => pb::StatusChangeCause::Cancellation,
        Cause::WaitlistPromotion => pb::StatusChangeCause::WaitlistPromotion,
        Cause::SessionCancelled => pb::StatusChangeCause::SessionCancelled,
        Cause::SessionEnded => pb::StatusChangeCause::SessionEnded,
        Cause::Assessment => pb::StatusChangeCause::Assessment,
        Cause::AttendanceOverride => pb::StatusChangeCause::AttendanceOverride,
    }
}

fn actor(subject: String, name: String, organization_id: String) -> Option<Actor> {
    (!subject.is_empty()).then_some(Actor {
        subject,
        name,
        organization_id,
    })
}

/// An enrolment on the wire.
pub fn enrolment_to_wire(view: EnrolmentView) -> pb::Enrolment {
    let row = view.enrolment;
    let meetings_attended = view.attendance.iter().filter(|mark| mark.present).count();
    let completion = row.completed_at.map(|at| pb::Completion {
        score: row.score.and_then(|s| u32::try_from(s).ok()),
        attendance_percent: row
            .attendance_percent
            .and_then(|p| u32::try_from(p).ok())
            .unwrap_or(0),
        passing_score: row
            .passing_score
            .and_then(|p| u32::try_from(p).ok())
            .unwrap_or(0),
        min_attendance_percent: row
            .min_attendance_percent
            .and_then(|p| u32::try_from(p).ok())
            .unwrap_or(0),
        hours: row.hours.and_then(|h| u32::try_from(h).ok()).unwrap_or(0),
        completion_time: Some(to_timestamp(at)),
        assessor: actor(
            row.assessor_subject.clone().unwrap_or_default(),
            row.assessor_name.clone().unwrap_or_default(),
            row.assessor_organization_id.clone().unwrap_or_default(),
        ),
    });
    pb::Enrolment {
        id: row.id.to_string(),
        session_id: row.session_id.to_string(),
        course_id: row.course_id.to_string(),
        trainee: actor(
            row.trainee_subject,
            row.trainee_name,
            row.trainee_organization_id,
        ),
        status: status_to_wire(row.status).into(),
        waitlist_position: view.waitlist_position,
        enrolled_by: actor(
            row.enrolled_by_subject,
            row.enrolled_by_name,
            row.enrolled_by_organization_id,
        ),
        attendance: view
            .attendance
            .into_iter()
            .map(|mark| pb::AttendanceRecord {
                meeting_index: u32::try_from(mark.meeting_index).unwrap_or(0),
                status: if mark.present {
                    pb::AttendanceStatus::Present
                } else {
                    pb::AttendanceStatus::Absent
                }
                .into(),
                recorder: actor(
                    mark.recorder_subject,
                    mark.recorder_name,
                    mark.recorder_organization_id,
                ),
                record_time: Some(to_timestamp(mark.recorded_at)),
            })
            .collect(),
        meetings_attended: u32::try_from(meetings_attended).unwrap_or(u32::MAX),
        completion,
        history: view
            .history
            .into_iter()
            .map(|change| pb::StatusChange {
                from_status: change
                    .from_status
                    .map(status_to_wire)
                    .unwrap_or(pb::EnrolmentStatus::Unspecified)
                    .into(),
                to_status: status_to_wire(change.to_status).into(),
                actor: actor(
                    change.actor_subject,
                    change.actor_name,
                    change.actor_organization_id,
                ),
                change_time: Some(to_timestamp(change.changed_at)),
                cause: cause_to_wire(change.cause).into(),
                reason: change.reason,
            })
            .collect(),
        create_time: Some(to_timestamp(row.created_at)),
        status_time: Some(to_timestamp(row.status_at)),
        update_time: Some(to_timestamp(row.updated_at)),
    }
}

/// Parses a client request id.
pub fn parse_request_id(v: &mut Violations, value: &str) -> Option<String> {
    v.take(
        "request_id",
        hamafza_kit::idempotency::parse_request_id(value),
    )
}

/// Parses a trainee named in a request.
pub fn parse_person(v: &mut Violations, field: &str, actor: Option<&Actor>) -> Option<Person> {
    let Some(actor) = actor.filter(|a| !a.subject.trim().is_empty()) else {
        v.add(format!("{field}.subject"), "is required");
        return None;
    };
    let subject = v.take(
        format!("{field}.subject"),
        hamafza_kit::text::single_line(&actor.subject, 200),
    );
    let name = v.take(
        format!("{field}.name"),
        hamafza_kit::text::single_line(&actor.name, 200),
    );
    let organization_id = v.take(
        format!("{field}.organization_id"),
        parse_organization(&actor.organization_id),
    );
    Some(Person {
        subject: subject?,
        name: name?,
        organization_id: organization_id?,
    })
}

/// An organization id, by the one rule ([`OrganizationId`]).
pub fn parse_organization(value: &str) -> Result<String, &'static str> {
    OrganizationId::parse(value).map(|id| id.as_str().to_owned())
}
