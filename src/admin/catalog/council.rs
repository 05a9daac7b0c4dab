//! `hamafza admin council`: what waits for the council, and a member's
//! votes.

use clap::{Args, Subcommand};
use hamafza_proto::courses as pb;

use super::approvals;
use crate::admin::Output;
use crate::admin::context::{Context, Outcome, every_page};
use crate::admin::output::{Document, View, emit, emit_document, enum_name};

/// `hamafza admin council [votes]`.
#[derive(Debug, Args)]
pub struct CouncilArgs {
    /// Without one: what waits for the council.
    #[command(subcommand)]
    pub command: Option<CouncilCommand>,
}

/// What else the council's command shows.
#[derive(Debug, Subcommand)]
pub enum CouncilCommand {
    /// The votes one council member has cast, in every round, newest first,
    /// each with what it was on as it is now.
    #[command(
        after_help = "Examples:\n  hamafza admin council votes\n  hamafza admin council votes --voter council-msc"
    )]
    Votes {
        /// The member (the subject of their token); yourself when not given.
        #[arg(long, value_name = "SUBJECT")]
        voter: Option<String>,
    },
}

/// Runs `hamafza admin council [votes]`.
pub async fn council(context: &Context, args: CouncilArgs) -> Outcome {
    match args.command {
        None => waiting(context).await,
        Some(CouncilCommand::Votes { voter }) => member_votes(context, voter).await,
    }
}

/// A member's votes, every page. `-o json` prints them as one
/// ListCouncilVotesResponse.
async fn member_votes(context: &Context, voter: Option<String>) -> Outcome {
    let mut client = context.catalog();
    let voter_subject = voter.unwrap_or_default();
    let votes = every_page(async |page_token| {
        let page = client
            .list_council_votes(context.request(pb::ListCouncilVotesRequest {
                voter_subject: voter_subject.clone(),
                page_size: 200,
                page_token,
            }))
            .await?
            .into_inner();
        Ok((page.votes, page.next_page_token))
    })
    .await?;
    let lang = context.lang;
    let columns = [
        ("نوع", "kind"),
        ("شناسه", "id"),
        ("کد", "code"),
        ("عنوان", "title"),
        ("دور", "round"),
        ("رأی", "decision"),
        ("توضیح", "comment"),
        ("زمان", "time"),
        ("وضعیت کنونی", "status"),
    ];
    let mut view = View::list(&columns);
    for voted in &votes {
        let (kind, id) = match voted.item.clone() {
            Some(pb::member_vote::Item::CourseId(id)) => (lang.pick("دوره", "course"), id),
            Some(pb::member_vote::Item::ProgramId(id)) => (lang.pick("برنامه", "program"), id),
            None => ("", String::new()),
        };
        let vote = voted.vote.clone().unwrap_or_default();
        view.row(
            id.clone(),
            vec![
                kind.to_owned(),
                id,
                voted.code.clone(),
                lang.text(&voted.title),
                lang.number(vote.round),
                enum_name(vote.decision().as_str_name(), "VOTE_DECISION_"),
                vote.comment.clone(),
                lang.time(&vote.vote_time),
                enum_name(voted.status().as_str_name(), "CATALOG_STATUS_"),
            ],
        );
    }
    let all = pb::ListCouncilVotesResponse {
        votes,
        next_page_token: String::new(),
    };
    emit(
        lang,
        context.output,
        &all,
        "hamafza.courses.v1.ListCouncilVotesResponse",
        view,
    )
}

/// What waits for the council: every submitted course and program, their
/// votes this round. `-o json` prints one document, `{"courses": a
/// ListCoursesResponse, "programs": a ListProgramsResponse}`.
async fn waiting(context: &Context) -> Outcome {
    let mut client = context.catalog();
    let submitted = vec![pb::CatalogStatus::Submitted as i32];
    let courses = every_page(async |page_token| {
        let page = client
            .list_courses(context.request(pb::ListCoursesRequest {
                page_size: 200,
                page_token,
                statuses: submitted.clone(),
                ..Default::default()
            }))
            .await?
            .into_inner();
        Ok((page.courses, page.next_page_token))
    })
    .await?;
    let programs = every_page(async |page_token| {
        let page = client
            .list_programs(context.request(pb::ListProgramsRequest {
                page_size: 200,
                page_token,
                statuses: submitted.clone(),
                ..Default::default()
            }))
            .await?
            .into_inner();
        Ok((page.programs, page.next_page_token))
    })
    .await?;
    let courses = pb::ListCoursesResponse {
        courses,
        next_page_token: String::new(),
    };
    let programs = pb::ListProgramsResponse {
        programs,
        next_page_token: String::new(),
    };
    let lang = context.lang;
    let columns = [
        ("نوع", "kind"),
        ("شناسه", "id"),
        ("کد", "code"),
        ("عنوان", "title"),
        ("دور", "round"),
        ("آرای موافق", "approvals"),
        ("آرای این دور", "votes"),
    ];
    let mut view = View::list(&columns);
    let votes_of = |review: &Option<pb::CouncilReview>| -> (String, String, String) {
        let review = review.clone().unwrap_or_default();
        let votes: Vec<String> = review
            .votes
            .iter()
            .filter(|vote| vote.round == review.round)
            .map(|vote| {
                format!(
                    "{}: {}",
                    vote.voter
                        .as_ref()
                        .map(|v| v.subject.as_str())
                        .unwrap_or(""),
                    enum_name(vote.decision().as_str_name(), "VOTE_DECISION_")
                )
            })
            .collect();
        (
            lang.number(review.round),
            approvals(lang, Some(&review)),
            votes.join(", "),
        )
    };
    for course in &courses.courses {
        let details = course.details.clone().unwrap_or_default();
        let (round, approvals, votes) = votes_of(&course.review);
        view.row(
            course.id.clone(),
            vec![
                lang.pick("دوره", "course").to_owned(),
                course.id.clone(),
                details.code,
                lang.text(&details.title),
                round,
                approvals,
                votes,
            ],
        );
    }
    for program in &programs.programs {
        let details = program.details.clone().unwrap_or_default();
        let (round, approvals, votes) = votes_of(&program.review);
        view.row(
            program.id.clone(),
            vec![
                lang.pick("برنامه", "program").to_owned(),
                program.id.clone(),
                details.code,
                lang.text(&details.title),
                round,
                approvals,
                votes,
            ],
        );
    }
    match context.output {
        Output::Json | Output::Yaml => emit_document(
            context.output,
            &Document::Parts(vec![
                (
                    "courses",
                    &courses,
                    "hamafza.courses.v1.ListCoursesResponse",
                ),
                (
                    "programs",
                    &programs,
                    "hamafza.courses.v1.ListProgramsResponse",
                ),
            ]),
        ),
        _ => emit(
            lang,
            context.output,
            &courses,
            "hamafza.courses.v1.ListCoursesResponse",
            view,
        ),
    }
}
