//! The catalog on the wire: courses and programs, their workflow statuses,
//! and the council's votes and review.

use hamafza_kit::Violations;
use hamafza_kit::time::to_timestamp;
use hamafza_proto::common::{Actor, LocalizedText};
use hamafza_proto::courses as pb;
use uuid::Uuid;

use super::{AUDIENCE_CHARS, parse_id, parse_text, parse_title_and_description, required_details};
use crate::domain::catalog::{
    CourseDraft, MAX_HOURS, MAX_PREREQUISITES, MAX_VALIDITY_MONTHS, ProgramDraft,
};
use crate::domain::values::{Category, Code, DeliveryMode, Required};
use crate::domain::workflow::{CatalogStatus, VoteDecision};
use crate::store::entities::council_vote;
use crate::store::queries::{CourseRecord, MemberVote, ProgramRecord, Subject, VotedItem};

/// The wire status of a catalog status.
pub fn catalog_status_to_wire(status: CatalogStatus) -> pb::CatalogStatus {
    match status {
        CatalogStatus::Draft => pb::CatalogStatus::Draft,
        CatalogStatus::Submitted => pb::CatalogStatus::Submitted,
        CatalogStatus::Approved => pb::CatalogStatus::Approved,
        CatalogStatus::Published => pb::CatalogStatus::Published,
        CatalogStatus::Retired => pb::CatalogStatus::Retired,
    }
}

/// Parses a list of catalog status filters; unspecified entries are refused.
pub fn catalog_statuses_from_wire(
    violations: &mut Violations,
    field: &str,
    values: &[i32],
) -> Vec<CatalogStatus> {
    let mut statuses = Vec::new();
    for value in values {
        match pb::CatalogStatus::try_from(*value) {
            Ok(pb::CatalogStatus::Draft) => statuses.push(CatalogStatus::Draft),
            Ok(pb::CatalogStatus::Submitted) => statuses.push(CatalogStatus::Submitted),
            Ok(pb::CatalogStatus::Approved) => statuses.push(CatalogStatus::Approved),
            Ok(pb::CatalogStatus::Published) => statuses.push(CatalogStatus::Published),
            Ok(pb::CatalogStatus::Retired) => statuses.push(CatalogStatus::Retired),
            Ok(pb::CatalogStatus::Unspecified) | Err(_) => {
                violations.add(field, format!("{value} is not a catalog status"));
            }
        }
    }
    statuses
}

fn delivery_mode_to_wire(mode: DeliveryMode) -> pb::DeliveryMode {
    match mode {
        DeliveryMode::InPerson => pb::DeliveryMode::InPerson,
        DeliveryMode::Online => pb::DeliveryMode::Online,
        DeliveryMode::Blended => pb::DeliveryMode::Blended,
    }
}

/// Parses a vote decision.
pub fn vote_decision_from_wire(value: i32) -> Result<VoteDecision, &'static str> {
    match pb::VoteDecision::try_from(value) {
        Ok(pb::VoteDecision::Approve) => Ok(VoteDecision::Approve),
        Ok(pb::VoteDecision::Reject) => Ok(VoteDecision::Reject),
        Ok(pb::VoteDecision::Unspecified) => Err("is required"),
        Err(_) => Err("is not a known decision"),
    }
}

/// Parses course details.
pub fn course_draft(
    details: Option<&pb::CourseDetails>,
) -> Result<CourseDraft, hamafza_kit::ApiError> {
    let details = required_details(details)?;
    let mut v = Violations::new();
    let code = v.take("details.code", Code::parse(&details.code));
    let (title, description) =
        parse_title_and_description(&mut v, details.title.as_ref(), details.description.as_ref());
    let audience = parse_text(
        &mut v,
        "details.audience",
        details.audience.as_ref(),
        AUDIENCE_CHARS,
        Required::Optional,
    );
    let category = v.take("details.category", Category::parse(&details.category));
    if !(1..=MAX_HOURS).contains(&details.hours) {
        v.add(
            "details.hours",
            format!("must be between 1 and {MAX_HOURS}"),
        );
    }
    let delivery_mode = match pb::DeliveryMode::try_from(details.delivery_mode) {
        Ok(pb::DeliveryMode::InPerson) => Some(DeliveryMode::InPerson),
        Ok(pb::DeliveryMode::Online) => Some(DeliveryMode::Online),
        Ok(pb::DeliveryMode::Blended) => Some(DeliveryMode::Blended),
        Ok(pb::DeliveryMode::Unspecified) => {
            v.add("details.delivery_mode", "is required");
            None
        }
        Err(_) => {
            v.add("details.delivery_mode", "is not a known delivery mode");
            None
        }
    };
    if details.passing_score > 100 {
        v.add("details.passing_score", "must be between 0 and 100");
    }
    if details.min_attendance_percent > 100 {
        v.add(
            "details.min_attendance_percent",
            "must be between 0 and 100",
        );
    }
    if let Some(months) = details.certificate_validity_months
        && !(1..=MAX_VALIDITY_MONTHS).contains(&months)
    {
        v.add(
            "details.certificate_validity_months",
            format!("must be between 1 and {MAX_VALIDITY_MONTHS}, or unset for no expiry"),
        );
    }
    let mut prerequisites = Vec::new();
    if details.prerequisite_course_ids.len() > MAX_PREREQUISITES {
        v.add(
            "details.prerequisite_course_ids",
            format!("may list at most {MAX_PREREQUISITES} courses"),
        );
    }
    for (i, id) in details.prerequisite_course_ids.iter().enumerate() {
        if let Some(id) = parse_id(&mut v, &format!("details.prerequisite_course_ids[{i}]"), id) {
            if prerequisites.contains(&id) {
                v.add(
                    format!("details.prerequisite_course_ids[{i}]"),
                    "is listed twice",
                );
            } else {
                prerequisites.push(id);
            }
        }
    }
    let draft = match (code, title, description, audience, category, delivery_mode) {
        (
            Some(code),
            Some(title),
            Some(description),
            Some(audience),
            Some(category),
            Some(delivery_mode),
        ) => Some(CourseDraft {
            code,
            title,
            description,
            audience,
            category,
            hours: details.hours,
            delivery_mode,
            passing_score: details.passing_score,
            min_attendance_percent: details.min_attendance_percent,
            certificate_validity_months: details.certificate_validity_months,
            prerequisites,
            requires_manager_approval: details.requires_manager_approval,
        }),
        _ => None,
    };
    v.finish_with(draft)
}

/// Who is looking at a catalog item: the council's deliberation (who voted
/// how, and why) is shown to platform admins and council members only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    /// Admins, council members, services.
    Staff,
    /// Everyone else.
    Public,
}

fn review_to_wire(
    round: i32,
    required: u32,
    votes: Vec<council_vote::Model>,
    audience: Audience,
) -> pb::CouncilReview {
    let approvals = votes
        .iter()
        .filter(|vote| vote.decision == VoteDecision::Approve)
        .count();
    pb::CouncilReview {
        round: u32::try_from(round).unwrap_or(0),
        required_approvals: required,
        approvals: u32::try_from(approvals).unwrap_or(u32::MAX),
        votes: match audience {
            Audience::Staff => votes.into_iter().map(vote_to_wire).collect(),
            Audience::Public => Vec::new(),
        },
    }
}

/// A council member's vote, with what it was cast on, on the wire.
pub fn member_vote_to_wire(member: MemberVote) -> pb::MemberVote {
    let id = member.vote.subject_id.to_string();
    let item = member.item.unwrap_or_else(|| VotedItem {
        id: member.vote.subject_id,
        code: String::new(),
        title_fa: String::new(),
        title_en: String::new(),
        status: CatalogStatus::Draft,
        review_round: 0,
    });
    pb::MemberVote {
        item: Some(match member.subject {
            Subject::Course => pb::member_vote::Item::CourseId(id),
            Subject::Program => pb::member_vote::Item::ProgramId(id),
        }),
        code: item.code,
        title: Some(LocalizedText {
            fa: item.title_fa,
            en: item.title_en,
        }),
        status: catalog_status_to_wire(item.status).into(),
        review_round: u32::try_from(item.review_round).unwrap_or(0),
        vote: Some(vote_to_wire(member.vote)),
    }
}

/// A council vote on the wire.
pub fn vote_to_wire(vote: council_vote::Model) -> pb::CouncilVote {
    pb::CouncilVote {
        round: u32::try_from(vote.round).unwrap_or(0),
        voter: Some(Actor {
            subject: vote.voter_subject,
            name: vote.voter_name,
            organization_id: vote.voter_organization_id,
        }),
        decision: match vote.decision {
            VoteDecision::Approve => pb::VoteDecision::Approve,
            VoteDecision::Reject => pb::VoteDecision::Reject,
        }
        .into(),
        comment: vote.comment,
        vote_time: Some(to_timestamp(vote.voted_at)),
    }
}

/// A course on the wire.
pub fn course_to_wire(
    record: CourseRecord,
    required_approvals: u32,
    audience: Audience,
) -> pb::Course {
    let row = record.course;
    pb::Course {
        id: row.id.to_string(),
        details: Some(pb::CourseDetails {
            code: row.code,
            title: Some(LocalizedText {
                fa: row.title_fa,
                en: row.title_en,
            }),
            description: Some(LocalizedText {
                fa: row.description_fa,
                en: row.description_en,
            }),
            category: row.category,
            hours: u32::try_from(row.hours).unwrap_or(0),
            delivery_mode: delivery_mode_to_wire(row.delivery_mode).into(),
            passing_score: u32::try_from(row.passing_score).unwrap_or(0),
            min_attendance_percent: u32::try_from(row.min_attendance_percent).unwrap_or(0),
            certificate_validity_months: row
                .certificate_validity_months
                .and_then(|m| u32::try_from(m).ok()),
            prerequisite_course_ids: record.prerequisites.iter().map(Uuid::to_string).collect(),
            requires_manager_approval: row.requires_manager_approval,
            audience: (!row.audience_fa.is_empty() || !row.audience_en.is_empty()).then_some(
                LocalizedText {
                    fa: row.audience_fa,
                    en: row.audience_en,
                },
            ),
        }),
        status: catalog_status_to_wire(row.status).into(),
        owner_organization_id: row.owner_organization_id,
        review: Some(review_to_wire(
            row.review_round,
            required_approvals,
            record.votes,
            audience,
        )),
        create_time: Some(to_timestamp(row.created_at)),
        update_time: Some(to_timestamp(row.updated_at)),
        publish_time: row.published_at.map(to_timestamp),
        etag: hamafza_kit::update::etag(row.revision),
    }
}

/// Parses program details.
pub fn program_draft(
    details: Option<&pb::ProgramDetails>,
) -> Result<ProgramDraft, hamafza_kit::ApiError> {
    let details = required_details(details)?;
    let mut v = Violations::new();
    let code = v.take("details.code", Code::parse(&details.code));
    let (title, description) =
        parse_title_and_description(&mut v, details.title.as_ref(), details.description.as_ref());
    let mut courses = Vec::new();
    for (i, item) in details.courses.iter().enumerate() {
        if let Some(id) = parse_id(
            &mut v,
            &format!("details.courses[{i}].course_id"),
            &item.course_id,
        ) {
            courses.push((id, item.required));
        }
    }
    let draft = match (code, title, description) {
        (Some(code), Some(title), Some(description)) => {
            let draft = ProgramDraft {
                code,
                title,
                description,
                courses,
            };
            for problem in draft.check() {
                v.add("details.courses", problem);
            }
            Some(draft)
        }
        _ => None,
    };
    v.finish_with(draft)
}

/// A program on the wire.
pub fn program_to_wire(
    record: ProgramRecord,
    required_approvals: u32,
    audience: Audience,
) -> pb::Program {
    let row = record.program;
    pb::Program {
        id: row.id.to_string(),
        details: Some(pb::ProgramDetails {
            code: row.code,
            title: Some(LocalizedText {
                fa: row.title_fa,
                en: row.title_en,
            }),
            description: Some(LocalizedText {
                fa: row.description_fa,
                en: row.description_en,
            }),
            courses: record
                .courses
                .into_iter()
                .map(|item| pb::ProgramCourse {
                    course_id: item.course_id.to_string(),
                    required: item.required,
                })
                .collect(),
        }),
        status: catalog_status_to_wire(row.status).into(),
        owner_organization_id: row.owner_organization_id,
        review: Some(review_to_wire(
            row.review_round,
            required_approvals,
            record.votes,
            audience,
        )),
        create_time: Some(to_timestamp(row.created_at)),
        update_time: Some(to_timestamp(row.updated_at)),
        publish_time: row.published_at.map(to_timestamp),
        etag: hamafza_kit::update::etag(row.revision),
    }
}
