//! `hamafza admin council`: what waits for the council.

use hamafza_proto::courses as pb;

use super::approvals;
use crate::admin::Output;
use crate::admin::context::{Context, Outcome};
use crate::admin::output::{View, emit, enum_name};

/// What waits for the council: submitted courses and programs, their votes
/// this round. `-o json` prints both lists as one ListCoursesResponse and
/// one ListProgramsResponse, one JSON document each.
pub async fn council(context: &Context) -> Outcome {
    let mut client = context.catalog();
    let submitted = vec![pb::CatalogStatus::Submitted as i32];
    let courses = client
        .list_courses(context.request(pb::ListCoursesRequest {
            page_size: 200,
            statuses: submitted.clone(),
            ..Default::default()
        }))
        .await?
        .into_inner();
    let programs = client
        .list_programs(context.request(pb::ListProgramsRequest {
            page_size: 200,
            statuses: submitted,
            ..Default::default()
        }))
        .await?
        .into_inner();
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
        Output::Json | Output::Yaml => {
            emit(
                lang,
                context.output,
                &courses,
                "hamafza.courses.v1.ListCoursesResponse",
                View::list(&columns),
            )?;
            if context.output == Output::Yaml {
                // Two YAML documents in one stream.
                std::io::Write::write_all(&mut std::io::stdout(), b"---\n")?;
            }
            emit(
                lang,
                context.output,
                &programs,
                "hamafza.courses.v1.ListProgramsResponse",
                View::list(&columns),
            )
        }
        _ => emit(
            lang,
            context.output,
            &courses,
            "hamafza.courses.v1.ListCoursesResponse",
            view,
        ),
    }
}
