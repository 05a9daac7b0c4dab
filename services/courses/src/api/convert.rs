//! Wire <-> domain: parsing requests into validated drafts (collecting every
//! field violation) and rendering stored records as protobuf messages.

use chrono::{DateTime, Datelike, Utc};
use hamafza_kit::Violations;
pub use hamafza_kit::error::parse_id;
use hamafza_kit::time::{from_timestamp, to_timestamp};
use hamafza_proto::common::{Actor, LocalizedText, TimeRange};
use hamafza_proto::courses as pb;
use uuid::Uuid;

use crate::domain::catalog::{
    CourseDraft, EventDraft, MAX_HOURS, MAX_PREREQUISITES, MAX_VALIDITY_MONTHS, OrganizationDraft,
    ProgramDraft,
};
use crate::domain::sessions::{Instructor, Meeting, SessionPlan, SessionStatus};
use crate::domain::values::{
    Bilingual, Category, Code, DeliveryMode, EventKind, OrganizationId, OrganizationKind, Required,
    parse_url,
};
use crate::domain::workflow::{CatalogStatus, VoteDecision};
use crate::store::entities::{council_vote, organization};
use crate::store::queries::{CourseRecord, EventRecord, ProgramRecord, SessionRecord, meetings_of};

/// Longest title, in characters.
const TITLE_CHARS: usize = 200;
/// Longest description, in characters.
const DESCRIPTION_CHARS: usize = 4000;
/// Longest place or venue, in characters.
const PLACE_CHARS: usize = 300;
/// Instants are accepted within these years: both databases order them
/// correctly there, and nothing in a training calendar lies outside.
const EARLIEST_YEAR: i32 = 1970;
/// See [`EARLIEST_YEAR`].
const LATEST_YEAR: i32 = 2200;

/// Parses a bilingual text field; `None` stands for an unset message.
pub fn parse_text(
    violations: &mut Violations,
    field: &str,
    text: Option<&LocalizedText>,
    max_chars: usize,
    required: Required,
) -> Option<Bilingual> {
    let (fa, en) = text.map_or(("", ""), |t| (t.fa.as_str(), t.en.as_str()));
    match Bilingual::parse(fa, en, max_chars, required) {
        Ok(text) => Some(text),
        Err(problems) => {
            for (lang, problem) in problems {
                violations.add(format!("{field}.{lang}"), problem);
            }
            None
        }
    }
}

/// Parses a required instant.
pub fn parse_instant(
    violations: &mut Violations,
    field: &str,
    value: Option<&prost_types::Timestamp>,
) -> Option<DateTime<Utc>> {
    match value {
        None => {
            violations.add(field, "is required");
            None
        }
        Some(timestamp) => {
            let instant = from_timestamp(timestamp)
                .and_then(|t| DateTime::from_timestamp_micros(t.timestamp_micros()))
                .filter(|t| (EARLIEST_YEAR..=LATEST_YEAR).contains(&t.year()));
            if instant.is_none() {
                violations.add(
                    field,
                    format!(
                        "must be an instant between the years {EARLIEST_YEAR} and {LATEST_YEAR}"
                    ),
                );
            }
            instant
        }
    }
}

/// Parses an optional time range into (from, until).
pub fn parse_range(
    violations: &mut Violations,
    field: &str,
    range: Option<&TimeRange>,
) -> (Option<DateTime<Utc>>, Option<DateTime<Utc>>) {
    let Some(range) = range else {
        return (None, None);
    };
    let from = range
        .start_time
        .as_ref()
        .and_then(|t| parse_instant(violations, &format!("{field}.start_time"), Some(t)));
    let until = range
        .end_time
        .as_ref()
        .and_then(|t| parse_instant(violations, &format!("{field}.end_time"), Some(t)));
    if let (Some(from), Some(until)) = (from, until)
        && until <= from
    {
        violations.add(format!("{field}.end_time"), "must be after start_time");
    }
    (from, until)
}

/// Parses an optional text filter.
pub fn parse_text_filter(violations: &mut Violations, field: &str, text: &str) -> Option<String> {
    violations
        .take(field, hamafza_kit::text::single_line(text, 100))
        .filter(|text| !text.is_empty())
}

/// Parses an optional organization id filter.
pub fn parse_organization_filter(
    violations: &mut Violations,
    field: &str,
    value: &str,
) -> Option<String> {
    if value.is_empty() {
        return None;
    }
    violations
        .take(field, OrganizationId::parse(value))
        .map(|id| id.as_str().to_owned())
}

// ---- organizations -----------------------------------------------------------

/// The wire kind of an organization kind.
pub fn organization_kind_to_wire(kind: OrganizationKind) -> pb::OrganizationKind {
    match kind {
        OrganizationKind::Holding => pb::OrganizationKind::Holding,
        OrganizationKind::Steel => pb::OrganizationKind::Steel,
        OrganizationKind::Mining => pb::OrganizationKind::Mining,
        OrganizationKind::Aluminium => pb::OrganizationKind::Aluminium,
        OrganizationKind::IndustrialZone => pb::OrganizationKind::IndustrialZone,
        OrganizationKind::Other => pb::OrganizationKind::Other,
    }
}

/// The domain kind of a wire organization kind; `None` for unspecified.
pub fn organization_kind_from_wire(kind: i32) -> Result<Option<OrganizationKind>, &'static str> {
    match pb::OrganizationKind::try_from(kind) {
        Ok(pb::OrganizationKind::Unspecified) => Ok(None),
        Ok(pb::OrganizationKind::Holding) => Ok(Some(OrganizationKind::Holding)),
        Ok(pb::OrganizationKind::Steel) => Ok(Some(OrganizationKind::Steel)),
        Ok(pb::OrganizationKind::Mining) => Ok(Some(OrganizationKind::Mining)),
        Ok(pb::OrganizationKind::Aluminium) => Ok(Some(OrganizationKind::Aluminium)),
        Ok(pb::OrganizationKind::IndustrialZone) => Ok(Some(OrganizationKind::IndustrialZone)),
        Ok(pb::OrganizationKind::Other) => Ok(Some(OrganizationKind::Other)),
        Err(_) => Err("is not a known organization kind"),
    }
}

/// Parses an organization create/update request.
pub fn organization_draft(
    id: &str,
    name: Option<&LocalizedText>,
    kind: i32,
    parent: &str,
) -> Result<OrganizationDraft, hamafza_kit::ApiError> {
    let mut v = Violations::new();
    let id = v.take("organization_id", OrganizationId::parse(id));
    let name = parse_text(&mut v, "name", name, TITLE_CHARS, Required::Both);
    let kind = match organization_kind_from_wire(kind) {
        Ok(Some(kind)) => Some(kind),
        Ok(None) => {
            v.add("kind", "is required");
            None
        }
        Err(problem) => {
            v.add("kind", problem);
            None
        }
    };
    let parent = if parent.is_empty() {
        Some(None)
    } else {
        v.take("parent_organization_id", OrganizationId::parse(parent))
            .map(Some)
    };
    if let (Some(id), Some(Some(parent))) = (&id, &parent)
        && id == parent
    {
        v.add(
            "parent_organization_id",
            "must not be the organization itself",
        );
    }
    let draft = match (id, name, kind, parent) {
        (Some(id), Some(name), Some(kind), Some(parent)) => Some(OrganizationDraft {
            id,
            name,
            kind,
            parent,
        }),
        _ => None,
    };
    v.finish_with(draft)
}

/// An organization on the wire.
pub fn organization_to_wire(row: organization::Model) -> pb::Organization {
    pb::Organization {
        id: row.id,
        name: Some(LocalizedText {
            fa: row.name_fa,
            en: row.name_en,
        }),
        kind: organization_kind_to_wire(row.kind).into(),
        parent_organization_id: row.parent_id.unwrap_or_default(),
        create_time: Some(to_timestamp(row.created_at)),
    }
}

// ---- programs and courses ------------------------------------------------------

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
    let Some(details) = details else {
        return Err(hamafza_kit::ApiError::invalid_field(
            "details",
            "is required",
        ));
    };
    let mut v = Violations::new();
    let code = v.take("details.code", Code::parse(&details.code));
    let title = parse_text(
        &mut v,
        "details.title",
        details.title.as_ref(),
        TITLE_CHARS,
        Required::Both,
    );
    let description = parse_text(
        &mut v,
        "details.description",
        details.description.as_ref(),
        DESCRIPTION_CHARS,
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
    let draft = match (code, title, description, category, delivery_mode) {
        (Some(code), Some(title), Some(description), Some(category), Some(delivery_mode)) => {
            Some(CourseDraft {
                code,
                title,
                description,
                category,
                hours: details.hours,
                delivery_mode,
                passing_score: details.passing_score,
                min_attendance_percent: details.min_attendance_percent,
                certificate_validity_months: details.certificate_validity_months,
                prerequisites,
                requires_manager_approval: details.requires_manager_approval,
            })
        }
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
    }
}

/// Parses program details.
pub fn program_draft(
    details: Option<&pb::ProgramDetails>,
) -> Result<ProgramDraft, hamafza_kit::ApiError> {
    let Some(details) = details else {
        return Err(hamafza_kit::ApiError::invalid_field(
            "details",
            "is required",
        ));
    };
    let mut v = Violations::new();
    let code = v.take("details.code", Code::parse(&details.code));
    let title = parse_text(
        &mut v,
        "details.title",
        details.title.as_ref(),
        TITLE_CHARS,
        Required::Both,
    );
    let description = parse_text(
        &mut v,
        "details.description",
        details.description.as_ref(),
        DESCRIPTION_CHARS,
        Required::Optional,
    );
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
    }
}

// ---- sessions ------------------------------------------------------------------

/// The wire status of a session status.
pub fn session_status_to_wire(status: SessionStatus) -> pb::SessionStatus {
    match status {
        SessionStatus::Planned => pb::SessionStatus::Planned,
        SessionStatus::Open => pb::SessionStatus::Open,
        SessionStatus::Closed => pb::SessionStatus::Closed,
        SessionStatus::Completed => pb::SessionStatus::Completed,
        SessionStatus::Cancelled => pb::SessionStatus::Cancelled,
    }
}

/// Parses a list of session status filters.
pub fn session_statuses_from_wire(
    violations: &mut Violations,
    field: &str,
    values: &[i32],
) -> Vec<SessionStatus> {
    let mut statuses = Vec::new();
    for value in values {
        match pb::SessionStatus::try_from(*value) {
            Ok(pb::SessionStatus::Planned) => statuses.push(SessionStatus::Planned),
            Ok(pb::SessionStatus::Open) => statuses.push(SessionStatus::Open),
            Ok(pb::SessionStatus::Closed) => statuses.push(SessionStatus::Closed),
            Ok(pb::SessionStatus::Completed) => statuses.push(SessionStatus::Completed),
            Ok(pb::SessionStatus::Cancelled) => statuses.push(SessionStatus::Cancelled),
            Ok(pb::SessionStatus::Unspecified) | Err(_) => {
                violations.add(field, format!("{value} is not a session status"));
            }
        }
    }
    statuses
}

/// Parses session details into a plan (cross-field rules are checked later,
/// once the course's delivery mode is known).
pub fn session_plan(
    details: Option<&pb::SessionDetails>,
    violations: &mut Violations,
) -> Option<SessionPlan> {
    let Some(details) = details else {
        violations.add("details", "is required");
        return None;
    };
    let mut meetings = Vec::new();
    for (i, meeting) in details.meetings.iter().enumerate() {
        let field = format!("details.meetings[{i}]");
        let start = parse_instant(
            violations,
            &format!("{field}.start_time"),
            meeting.start_time.as_ref(),
        );
        let end = parse_instant(
            violations,
            &format!("{field}.end_time"),
            meeting.end_time.as_ref(),
        );
        let topic = parse_text(
            violations,
            &format!("{field}.topic"),
            meeting.topic.as_ref(),
            TITLE_CHARS,
            Required::Optional,
        );
        if let (Some(start), Some(end), Some(topic)) = (start, end, topic) {
            meetings.push(Meeting {
                start,
                end,
                topic_fa: topic.fa,
                topic_en: topic.en,
            });
        }
    }
    let venue = parse_text(
        violations,
        "details.venue",
        details.venue.as_ref(),
        PLACE_CHARS,
        Required::Optional,
    );
    let online_url = if details.online_url.trim().is_empty() {
        Some(None)
    } else {
        violations
            .take("details.online_url", parse_url(&details.online_url))
            .map(Some)
    };
    let instructor = match &details.instructor {
        Some(actor) if !actor.subject.trim().is_empty() => {
            let subject = violations.take(
                "details.instructor.subject",
                hamafza_kit::text::single_line(&actor.subject, 200),
            );
            let name = violations.take(
                "details.instructor.name",
                hamafza_kit::text::single_line(&actor.name, 200),
            );
            if !actor.organization_id.is_empty() {
                violations.take(
                    "details.instructor.organization_id",
                    OrganizationId::parse(&actor.organization_id),
                );
            }
            subject.zip(name).map(|(subject, name)| Instructor {
                subject,
                name,
                organization_id: actor.organization_id.clone(),
            })
        }
        _ => {
            violations.add("details.instructor.subject", "is required");
            None
        }
    };
    let mut quotas = Vec::new();
    for (i, quota) in details.quotas.iter().enumerate() {
        if let Some(organization) = violations.take(
            format!("details.quotas[{i}].organization_id"),
            OrganizationId::parse(&quota.organization_id),
        ) {
            quotas.push((organization, quota.seats));
        }
    }
    let window = details.enrolment_window.as_ref();
    let opens = parse_instant(
        violations,
        "details.enrolment_window.start_time",
        window.and_then(|w| w.start_time.as_ref()),
    );
    let closes = parse_instant(
        violations,
        "details.enrolment_window.end_time",
        window.and_then(|w| w.end_time.as_ref()),
    );
    match (venue, online_url, instructor, opens, closes) {
        (
            Some(venue),
            Some(online_url),
            Some(instructor),
            Some(enrolment_opens),
            Some(enrolment_closes),
        ) if meetings.len() == details.meetings.len() => Some(SessionPlan {
            meetings,
            venue,
            online_url,
            instructor,
            capacity: details.capacity,
            quotas,
            enrolment_opens,
            enrolment_closes,
        }),
        _ => None,
    }
}

/// A session on the wire.
pub fn session_to_wire(record: SessionRecord) -> pb::Session {
    let meetings = meetings_of(&record.session);
    let row = record.session;
    pb::Session {
        id: row.id.to_string(),
        course_id: row.course_id.to_string(),
        details: Some(pb::SessionDetails {
            meetings: meetings
                .into_iter()
                .map(|m| pb::Meeting {
                    start_time: Some(to_timestamp(m.start)),
                    end_time: Some(to_timestamp(m.end)),
                    topic: Some(LocalizedText {
                        fa: m.topic_fa,
                        en: m.topic_en,
                    }),
                })
                .collect(),
            venue: Some(LocalizedText {
                fa: row.venue_fa,
                en: row.venue_en,
            }),
            online_url: row.online_url,
            instructor: Some(Actor {
                subject: row.instructor_subject,
                name: row.instructor_name,
                organization_id: row.instructor_organization_id,
            }),
            capacity: u32::try_from(row.capacity).unwrap_or(0),
            quotas: record
                .quotas
                .into_iter()
                .map(|q| pb::SeatQuota {
                    organization_id: q.organization_id,
                    seats: u32::try_from(q.seats).unwrap_or(0),
                })
                .collect(),
            enrolment_window: Some(TimeRange {
                start_time: Some(to_timestamp(row.enrolment_opens_at)),
                end_time: Some(to_timestamp(row.enrolment_closes_at)),
            }),
        }),
        status: session_status_to_wire(row.status).into(),
        cancel_reason: row.cancel_reason,
        start_time: Some(to_timestamp(row.starts_at)),
        end_time: Some(to_timestamp(row.ends_at)),
        create_time: Some(to_timestamp(row.created_at)),
        update_time: Some(to_timestamp(row.updated_at)),
    }
}

// ---- events --------------------------------------------------------------------

/// Parses an event kind; `None` for unspecified.
pub fn event_kind_from_wire(value: i32) -> Result<Option<EventKind>, &'static str> {
    match pb::EventKind::try_from(value) {
        Ok(pb::EventKind::Unspecified) => Ok(None),
        Ok(pb::EventKind::Exhibition) => Ok(Some(EventKind::Exhibition)),
        Ok(pb::EventKind::Conference) => Ok(Some(EventKind::Conference)),
        Ok(pb::EventKind::Seminar) => Ok(Some(EventKind::Seminar)),
        Ok(pb::EventKind::Other) => Ok(Some(EventKind::Other)),
        Err(_) => Err("is not a known event kind"),
    }
}

fn event_kind_to_wire(kind: EventKind) -> pb::EventKind {
    match kind {
        EventKind::Exhibition => pb::EventKind::Exhibition,
        EventKind::Conference => pb::EventKind::Conference,
        EventKind::Seminar => pb::EventKind::Seminar,
        EventKind::Other => pb::EventKind::Other,
    }
}

/// Parses event details.
pub fn event_draft(
    details: Option<&pb::EventDetails>,
) -> Result<EventDraft, hamafza_kit::ApiError> {
    let Some(details) = details else {
        return Err(hamafza_kit::ApiError::invalid_field(
            "details",
            "is required",
        ));
    };
    let mut v = Violations::new();
    let kind = match event_kind_from_wire(details.kind) {
        Ok(Some(kind)) => Some(kind),
        Ok(None) => {
            v.add("details.kind", "is required");
            None
        }
        Err(problem) => {
            v.add("details.kind", problem);
            None
        }
    };
    let title = parse_text(
        &mut v,
        "details.title",
        details.title.as_ref(),
        TITLE_CHARS,
        Required::Both,
    );
    let description = parse_text(
        &mut v,
        "details.description",
        details.description.as_ref(),
        DESCRIPTION_CHARS,
        Required::Optional,
    );
    let place = parse_text(
        &mut v,
        "details.place",
        details.place.as_ref(),
        PLACE_CHARS,
        Required::Persian,
    );
    let starts_at = parse_instant(&mut v, "details.start_time", details.start_time.as_ref());
    let ends_at = parse_instant(&mut v, "details.end_time", details.end_time.as_ref());
    if let (Some(start), Some(end)) = (starts_at, ends_at)
        && end <= start
    {
        v.add("details.end_time", "must be after start_time");
    }
    let organizer = v.take(
        "details.organizer_organization_id",
        OrganizationId::parse(&details.organizer_organization_id),
    );
    let mut participants: Vec<OrganizationId> = Vec::new();
    for (i, id) in details.participating_organization_ids.iter().enumerate() {
        let field = format!("details.participating_organization_ids[{i}]");
        if let Some(id) = v.take(field.clone(), OrganizationId::parse(id)) {
            if participants.contains(&id) {
                v.add(field, "is listed twice");
            } else {
                participants.push(id);
            }
        }
    }
    let url = if details.url.trim().is_empty() {
        Some(None)
    } else {
        v.take("details.url", parse_url(&details.url)).map(Some)
    };
    let draft = match (
        kind,
        title,
        description,
        place,
        starts_at,
        ends_at,
        organizer,
        url,
    ) {
        (
            Some(kind),
            Some(title),
            Some(description),
            Some(place),
            Some(starts_at),
            Some(ends_at),
            Some(organizer),
            Some(url),
        ) => Some(EventDraft {
            kind,
            title,
            description,
            place,
            starts_at,
            ends_at,
            organizer,
            participants,
            url,
        }),
        _ => None,
    };
    v.finish_with(draft)
}

/// An event on the wire.
pub fn event_to_wire(record: EventRecord) -> pb::Event {
    let row = record.event;
    pb::Event {
        id: row.id.to_string(),
        details: Some(pb::EventDetails {
            kind: event_kind_to_wire(row.kind).into(),
            title: Some(LocalizedText {
                fa: row.title_fa,
                en: row.title_en,
            }),
            description: Some(LocalizedText {
                fa: row.description_fa,
                en: row.description_en,
            }),
            start_time: Some(to_timestamp(row.starts_at)),
            end_time: Some(to_timestamp(row.ends_at)),
            place: Some(LocalizedText {
                fa: row.place_fa,
                en: row.place_en,
            }),
            organizer_organization_id: row.organizer_organization_id,
            participating_organization_ids: record.participants,
            url: row.url,
        }),
        create_time: Some(to_timestamp(row.created_at)),
        update_time: Some(to_timestamp(row.updated_at)),
    }
}
