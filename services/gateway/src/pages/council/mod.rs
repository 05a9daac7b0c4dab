//! The policy council's pages «شورای سیاست‌گذاری»: the queue of courses and
//! programs waiting for its votes, each item in full with the votes so far
//! and the quorum, the vote form, the member's own past votes and decided
//! items. Who may see and vote is the courses service's rule; these pages
//! only show what it answers.

mod item;
mod queue;

use hamafza_kit::{ApiError, ErrorCode};
use hamafza_proto::courses as cpb;
use maud::{Markup, html};

use crate::AppState;
use crate::i18n::{Lang, instant};
use crate::pages::layout::badge;
use crate::web::PageError;

pub use item::{Done, VoteForm, show, vote};
pub use queue::{ListQuery, list};

/// Courses or programs: the council votes on both alike.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A course.
    Course,
    /// A program.
    Program,
}

impl Kind {
    fn parse(lang: Lang, value: &str) -> Result<Self, PageError> {
        match value {
            "courses" => Ok(Self::Course),
            "programs" => Ok(Self::Program),
            other => Err(PageError::api(lang, ApiError::not_found("page", other))),
        }
    }

    fn path(self) -> &'static str {
        match self {
            Self::Course => "courses",
            Self::Program => "programs",
        }
    }

    fn name(self, lang: Lang) -> &'static str {
        match self {
            Self::Course => lang.pick("درس", "Course"),
            Self::Program => lang.pick("برنامه", "Program"),
        }
    }
}

/// One catalog item as the council sees it, course or program.
struct Item {
    kind: Kind,
    id: String,
    code: String,
    title: Option<hamafza_proto::common::LocalizedText>,
    status: cpb::CatalogStatus,
    review: cpb::CouncilReview,
    update_time: Option<prost_types::Timestamp>,
}

impl Item {
    fn course(course: cpb::Course) -> Self {
        let details = course.details.clone().unwrap_or_default();
        Self {
            kind: Kind::Course,
            status: course.status(),
            id: course.id,
            code: details.code,
            title: details.title,
            review: course.review.unwrap_or_default(),
            update_time: course.update_time,
        }
    }

    fn program(program: cpb::Program) -> Self {
        let details = program.details.clone().unwrap_or_default();
        Self {
            kind: Kind::Program,
            status: program.status(),
            id: program.id,
            code: details.code,
            title: details.title,
            review: program.review.unwrap_or_default(),
            update_time: program.update_time,
        }
    }

    fn href(&self) -> String {
        format!("/council/{}/{}", self.kind.path(), self.id)
    }
}

/// The refusal shown to someone who is not on the council.
fn council_only(lang: Lang, status: tonic::Status) -> PageError {
    if status.code() == tonic::Code::PermissionDenied {
        PageError::api(
            lang,
            ApiError::new(
                ErrorCode::PermissionDenied,
                "COUNCIL_ONLY",
                "this page is for members of the policy council",
            ),
        )
    } else {
        PageError::status(lang, status)
    }
}

/// A catalog status as a badge.
pub fn catalog_badge(lang: Lang, status: cpb::CatalogStatus, round: u32) -> Markup {
    let words = match status {
        cpb::CatalogStatus::Draft if round > 0 => ("رد شده، بازگشت به پیش‌نویس", "Rejected", "bad"),
        cpb::CatalogStatus::Draft => ("پیش‌نویس", "Draft", ""),
        cpb::CatalogStatus::Submitted => ("در انتظار رأی شورا", "Waiting for the council", "warn"),
        cpb::CatalogStatus::Approved => ("تأیید شد", "Approved", "ok"),
        cpb::CatalogStatus::Published => ("تأیید و منتشر شد", "Approved and published", "ok"),
        cpb::CatalogStatus::Retired => ("بایگانی شده", "Retired", ""),
        cpb::CatalogStatus::Unspecified => ("—", "—", ""),
    };
    badge(lang, words)
}

fn decision_badge(lang: Lang, decision: cpb::VoteDecision) -> Markup {
    match decision {
        cpb::VoteDecision::Approve => html! { span.badge.ok { (lang.pick("موافق", "Approve")) } },
        cpb::VoteDecision::Reject => html! { span.badge.bad { (lang.pick("مخالف", "Reject")) } },
        cpb::VoteDecision::Unspecified => html! { span.badge { "—" } },
    }
}

/// The vote `subject` cast in the review's latest round.
fn vote_by<'a>(review: &'a cpb::CouncilReview, subject: &str) -> Option<&'a cpb::CouncilVote> {
    review
        .votes
        .iter()
        .find(|v| v.voter.as_ref().is_some_and(|v| v.subject == subject))
}

fn voter(vote: &cpb::CouncilVote) -> &str {
    vote.voter
        .as_ref()
        .map(|v| v.name.as_str())
        .unwrap_or_default()
}

fn when(lang: Lang, vote: &cpb::CouncilVote) -> String {
    instant(vote.vote_time.as_ref())
        .map(|t| lang.date_time(t))
        .unwrap_or_default()
}

/// "1 of 2 approvals".
fn quorum(lang: Lang, review: &cpb::CouncilReview) -> String {
    match lang {
        Lang::Fa => format!(
            "{} موافقت از {} موافقت لازم",
            lang.num(review.approvals),
            lang.num(review.required_approvals)
        ),
        Lang::En => format!(
            "{} of {} required approvals",
            review.approvals, review.required_approvals
        ),
    }
}

async fn votes_of(
    state: &AppState,
    token: &str,
    lang: Lang,
    kind: Kind,
    id: &str,
) -> Result<Vec<cpb::CouncilVote>, PageError> {
    let caller = state.backends.as_caller(token);
    let votes = match kind {
        Kind::Course => caller
            .courses()
            .list_course_votes(cpb::ListCourseVotesRequest {
                course_id: id.to_owned(),
            })
            .await
            .map(|r| r.into_inner().votes),
        Kind::Program => caller
            .courses()
            .list_program_votes(cpb::ListProgramVotesRequest {
                program_id: id.to_owned(),
            })
            .await
            .map(|r| r.into_inner().votes),
    };
    votes.map_err(|s| council_only(lang, s))
}
