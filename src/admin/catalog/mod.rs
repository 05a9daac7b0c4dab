//! The catalog: organizations, programs, courses, and what waits for the
//! council. Courses and programs share their lifecycle (draft, submitted,
//! approved, published, retired) and the council's votes; what they share
//! as commands is here.

mod council;
mod courses;
mod orgs;
mod programs;
mod reviewed;

use clap::{Args, ValueEnum};
use hamafza_proto::common::LocalizedText;
use hamafza_proto::courses as pb;

use super::context::{Context, Outcome, present};
use super::input::set_text;
use super::output::{Encoded, Lang, View, emit, enum_name};

pub use council::{CouncilArgs, council};
pub use courses::{CourseCommand, course_id, courses};
pub use orgs::{OrgCommand, orgs};
pub use programs::{ProgramCommand, program_id, programs};

/// Catalog states, for filters.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum CatalogState {
    /// Being written.
    Draft,
    /// Waiting for the council.
    Submitted,
    /// Approved by the council, not yet published.
    Approved,
    /// In the catalog.
    Published,
    /// Withdrawn.
    Retired,
}

impl CatalogState {
    fn wire(states: &[Self]) -> Vec<i32> {
        states
            .iter()
            .map(|state| {
                (match state {
                    Self::Draft => pb::CatalogStatus::Draft,
                    Self::Submitted => pb::CatalogStatus::Submitted,
                    Self::Approved => pb::CatalogStatus::Approved,
                    Self::Published => pb::CatalogStatus::Published,
                    Self::Retired => pb::CatalogStatus::Retired,
                }) as i32
            })
            .collect()
    }
}

/// A council vote: the decision and a comment.
#[derive(Debug, Args)]
pub struct Vote {
    #[command(flatten)]
    vote: Decision,
    /// Why (required with --reject).
    #[arg(long)]
    comment: Option<String>,
}

/// Approve or reject, one of them.
#[derive(Debug, Args)]
#[group(required = true, multiple = false)]
pub struct Decision {
    /// Approve.
    #[arg(long)]
    approve: bool,
    /// Reject (a comment is required).
    #[arg(long)]
    reject: bool,
}

impl Vote {
    /// The review step: the decision and the comment, as a review request
    /// carries them.
    fn step(self) -> reviewed::Step {
        let decision = if self.vote.approve {
            pb::VoteDecision::Approve
        } else {
            pb::VoteDecision::Reject
        };
        reviewed::Step::Review {
            decision: decision as i32,
            comment: self.comment.unwrap_or_default(),
        }
    }
}

/// The code and texts of a course or a program.
#[derive(Debug, Args)]
pub struct TextFields {
    /// The code, e.g. PR-210 or PRP-1406.
    #[arg(long)]
    code: Option<String>,
    /// The Persian title.
    #[arg(long)]
    title_fa: Option<String>,
    /// The English title.
    #[arg(long)]
    title_en: Option<String>,
    /// The Persian description.
    #[arg(long)]
    description_fa: Option<String>,
    /// The English description.
    #[arg(long)]
    description_en: Option<String>,
}

impl TextFields {
    fn apply(
        &self,
        code: &mut String,
        title: &mut Option<LocalizedText>,
        description: &mut Option<LocalizedText>,
    ) {
        if let Some(given) = &self.code {
            code.clone_from(given);
        }
        set_text(title, &self.title_fa, &self.title_en);
        set_text(description, &self.description_fa, &self.description_en);
    }
}

/// Whether a course's or program's details carry `code` (any case, digits
/// Persian or Latin: `PR-۲۱۰` is `PR-210`).
fn has_code(code: Option<&String>, wanted: &str) -> bool {
    let wanted = hamafza_kit::jalali::latin_digits(wanted.trim());
    code.is_some_and(|code| hamafza_kit::jalali::latin_digits(code).eq_ignore_ascii_case(&wanted))
}

/// The council's approvals of a review so far, e.g. `۲/۳`.
fn approvals(lang: Lang, review: Option<&pb::CouncilReview>) -> String {
    review
        .map(|review| {
            format!(
                "{}/{}",
                lang.number(review.approvals),
                lang.number(review.required_approvals)
            )
        })
        .unwrap_or_default()
}

/// A thing of the catalog as a line of a table.
trait Row {
    /// What an answer carries (`course`), named when it carries none.
    const WHAT: &'static str;
    /// The table's headers, Persian and English.
    const COLUMNS: &'static [(&'static str, &'static str)];
    /// The id `-o id` prints, and the cells.
    fn cells(&self, lang: Lang) -> (String, Vec<String>);
}

/// Prints the response `name` (of the courses contracts) that carries `item`.
fn show<T: Row, M: Encoded + ?Sized>(
    context: &Context,
    response: &M,
    item: Option<&T>,
    name: &str,
) -> Outcome {
    let item = present(item, T::WHAT)?;
    let mut view = View::single(T::COLUMNS);
    let (id, cells) = item.cells(context.lang);
    view.row(id, cells);
    let name = format!("hamafza.courses.v1.{name}");
    emit(context.lang, context.output, response, &name, view)
}

/// Prints the list response `name` that carries `items`.
fn list<T: Row, M: Encoded + ?Sized>(
    context: &Context,
    response: &M,
    items: &[T],
    name: &str,
) -> Outcome {
    let mut view = View::list(T::COLUMNS);
    for item in items {
        let (id, cells) = item.cells(context.lang);
        view.row(id, cells);
    }
    let name = format!("hamafza.courses.v1.{name}");
    emit(context.lang, context.output, response, &name, view)
}

const VOTE_COLUMNS: [(&str, &str); 5] = [
    ("دور", "round"),
    ("رأی‌دهنده", "voter"),
    ("رأی", "decision"),
    ("توضیح", "comment"),
    ("زمان", "time"),
];

/// Prints every vote of every council round, from the response `name`.
fn votes<M: Encoded + ?Sized>(
    context: &Context,
    response: &M,
    votes: &[pb::CouncilVote],
    name: &str,
) -> Outcome {
    let lang = context.lang;
    let mut view = View::list(&VOTE_COLUMNS);
    for vote in votes {
        let voter = vote.voter.clone().unwrap_or_default();
        view.row(
            voter.subject.clone(),
            vec![
                lang.number(vote.round),
                format!("{} ({})", voter.subject, voter.organization_id),
                enum_name(vote.decision().as_str_name(), "VOTE_DECISION_"),
                vote.comment.clone(),
                lang.time(&vote.vote_time),
            ],
        );
    }
    let name = format!("hamafza.courses.v1.{name}");
    emit(lang, context.output, response, &name, view)
}
