//! `hamafza admin programs`: the year's set of courses, approved by the
//! council like a course.

use std::path::PathBuf;

use clap::{Args, Subcommand};
use hamafza_proto::courses as pb;

use super::{
    CatalogState, Row, TextFields, Vote, approvals, course_id, has_code, list, show, votes,
};
use crate::admin::context::{Context, Failure, Outcome, every_page, first_in_pages, present};
use crate::admin::input::{Edit, from_file, is_uuid};
use crate::admin::output::{Lang, enum_name};

/// Program verbs.
#[derive(Debug, Subcommand)]
pub enum ProgramCommand {
    /// List programs.
    #[command(after_help = "Example:\n  hamafza admin programs list --status published")]
    List {
        /// Only these states (repeat).
        #[arg(long, value_enum)]
        status: Vec<CatalogState>,
        /// Only codes or titles containing this.
        #[arg(long)]
        text: Option<String>,
    },
    /// Show one program (by code, e.g. PRP-1405, or id).
    #[command(after_help = "Example:\n  hamafza admin programs show PRP-1405")]
    Show {
        /// Code or id.
        program: String,
    },
    /// Create a program (a draft).
    #[command(
        after_help = "Example:\n  hamafza admin programs create --code PRP-1406 --title-fa \"برنامهٔ ۱۴۰۶\" --title-en \"Program 1406\" \\\n    --course PR-101 --course PR-110 --elective PR-210"
    )]
    Create {
        #[command(flatten)]
        fields: ProgramFields,
    },
    /// Change a program (what is not given stays; --course/--elective replace the list).
    #[command(
        after_help = "Example:\n  hamafza admin programs update PRP-1406 --title-en \"Program of 1406\""
    )]
    Update {
        /// Code or id.
        program: String,
        #[command(flatten)]
        fields: ProgramFields,
    },
    /// Submit a draft to the council.
    #[command(after_help = "Example:\n  hamafza admin programs submit PRP-1406")]
    Submit {
        /// Code or id.
        program: String,
    },
    /// Vote on a submitted program (council members).
    #[command(after_help = "Example:\n  hamafza admin programs review PRP-1406 --approve")]
    Review {
        /// Code or id.
        program: String,
        #[command(flatten)]
        vote: Vote,
    },
    /// Publish an approved program.
    #[command(after_help = "Example:\n  hamafza admin programs publish PRP-1406")]
    Publish {
        /// Code or id.
        program: String,
    },
    /// Retire a published program.
    #[command(after_help = "Example:\n  hamafza admin programs retire PRP-1406")]
    Retire {
        /// Code or id.
        program: String,
    },
    /// Every vote of every council round.
    #[command(after_help = "Example:\n  hamafza admin programs votes PRP-1406")]
    Votes {
        /// Code or id.
        program: String,
    },
}

/// A program's fields.
#[derive(Debug, Args)]
pub struct ProgramFields {
    /// A ProgramDetails in protobuf JSON or YAML; the flags given change it.
    #[arg(long, value_name = "FILE")]
    from_file: Option<PathBuf>,
    #[command(flatten)]
    text: TextFields,
    /// A required course (code or id); repeat.
    #[arg(long = "course", value_name = "COURSE")]
    required: Vec<String>,
    /// An elective course (code or id); repeat.
    #[arg(long = "elective", value_name = "COURSE")]
    electives: Vec<String>,
}

const DETAILS: &str = "hamafza.courses.v1.ProgramDetails";

/// Changes `details` as `fields` say; courses by code are resolved.
async fn apply_program_fields(
    context: &Context,
    details: &mut pb::ProgramDetails,
    fields: &ProgramFields,
) -> Outcome {
    let text = &fields.text;
    text.apply(
        &mut details.code,
        &mut details.title,
        &mut details.description,
    );
    if !fields.required.is_empty() || !fields.electives.is_empty() {
        let mut courses = Vec::new();
        for (list, required) in [(&fields.required, true), (&fields.electives, false)] {
            for course in list {
                courses.push(pb::ProgramCourse {
                    course_id: course_id(context, course).await?,
                    required,
                });
            }
        }
        details.courses = courses;
    }
    Ok(())
}

/// The id of a program given by code (`PRP-1405`) or id.
async fn program_id(context: &Context, program: &str) -> Outcome<String> {
    if is_uuid(program) {
        return Ok(program.to_owned());
    }
    let mut client = context.catalog();
    let found = first_in_pages(
        async |page_token| {
            let request = pb::ListProgramsRequest {
                page_size: 200,
                page_token,
                text: program.to_owned(),
                ..Default::default()
            };
            let page = client.list_programs(context.request(request)).await?;
            let page = page.into_inner();
            Ok((page.programs, page.next_page_token))
        },
        |found: &pb::Program| has_code(found.details.as_ref().map(|d| &d.code), program),
    )
    .await?;
    found
        .map(|found| found.id)
        .ok_or_else(|| Failure::NotFound(format!("no program with the code {program}")))
}

impl Row for pb::Program {
    const WHAT: &'static str = "program";
    const COLUMNS: &'static [(&'static str, &'static str)] = &[
        ("شناسه", "id"),
        ("کد", "code"),
        ("عنوان", "title"),
        ("وضعیت", "status"),
        ("دوره‌ها", "courses"),
        ("آرای موافق", "approvals"),
    ];

    fn cells(&self, lang: Lang) -> (String, Vec<String>) {
        let details = self.details.clone().unwrap_or_default();
        let cells = vec![
            self.id.clone(),
            details.code.clone(),
            lang.text(&details.title),
            enum_name(self.status().as_str_name(), "CATALOG_STATUS_"),
            lang.number(details.courses.len()),
            approvals(lang, self.review.as_ref()),
        ];
        (self.id.clone(), cells)
    }
}

/// Runs a program verb.
pub async fn programs(context: &Context, command: ProgramCommand) -> Outcome {
    let mut client = context.catalog();
    match command {
        ProgramCommand::List { status, text } => {
            let programs = every_page(async |page_token| {
                let request = pb::ListProgramsRequest {
                    page_size: 200,
                    page_token,
                    statuses: CatalogState::wire(&status),
                    text: text.clone().unwrap_or_default(),
                    ..Default::default()
                };
                let page = client.list_programs(context.request(request)).await?;
                let page = page.into_inner();
                Ok((page.programs, page.next_page_token))
            })
            .await?;
            let all = pb::ListProgramsResponse {
                programs,
                ..Default::default()
            };
            list(context, &all, &all.programs, "ListProgramsResponse")
        }
        ProgramCommand::Show { program } => {
            let program_id = program_id(context, &program).await?;
            let request = context.request(pb::GetProgramRequest { program_id });
            let response = client.get_program(request).await?.into_inner();
            show(
                context,
                &response,
                response.program.as_ref(),
                "GetProgramResponse",
            )
        }
        ProgramCommand::Create { fields } => {
            let mut details = match &fields.from_file {
                Some(file) => from_file(file, DETAILS)?,
                None => pb::ProgramDetails::default(),
            };
            apply_program_fields(context, &mut details, &fields).await?;
            let details = Some(details);
            let request = context.request(pb::CreateProgramRequest { details });
            let response = client.create_program(request).await?.into_inner();
            show(
                context,
                &response,
                response.program.as_ref(),
                "CreateProgramResponse",
            )
        }
        ProgramCommand::Update { program, fields } => {
            let program_id = program_id(context, &program).await?;
            let response = update_program(context, program_id, &fields).await?;
            show(
                context,
                &response,
                response.program.as_ref(),
                "UpdateProgramResponse",
            )
        }
        ProgramCommand::Submit { program } => {
            let program_id = program_id(context, &program).await?;
            let request = context.request(pb::SubmitProgramRequest { program_id });
            let response = client.submit_program(request).await?.into_inner();
            show(
                context,
                &response,
                response.program.as_ref(),
                "SubmitProgramResponse",
            )
        }
        ProgramCommand::Review { program, vote } => {
            let program_id = program_id(context, &program).await?;
            let (decision, comment) = vote.wire();
            let request = context.request(pb::ReviewProgramRequest {
                program_id,
                decision,
                comment,
            });
            let response = client.review_program(request).await?.into_inner();
            show(
                context,
                &response,
                response.program.as_ref(),
                "ReviewProgramResponse",
            )
        }
        ProgramCommand::Publish { program } => {
            let program_id = program_id(context, &program).await?;
            let request = context.request(pb::PublishProgramRequest { program_id });
            let response = client.publish_program(request).await?.into_inner();
            show(
                context,
                &response,
                response.program.as_ref(),
                "PublishProgramResponse",
            )
        }
        ProgramCommand::Retire { program } => {
            let program_id = program_id(context, &program).await?;
            let request = context.request(pb::RetireProgramRequest { program_id });
            let response = client.retire_program(request).await?.into_inner();
            show(
                context,
                &response,
                response.program.as_ref(),
                "RetireProgramResponse",
            )
        }
        ProgramCommand::Votes { program } => {
            let program_id = program_id(context, &program).await?;
            let request = context.request(pb::ListProgramVotesRequest { program_id });
            let response = client.list_program_votes(request).await?.into_inner();
            votes(
                context,
                &response,
                &response.votes,
                "ListProgramVotesResponse",
            )
        }
    }
}

/// Read, change what `fields` give, write back the whole details with the
/// etag read (see [`Edit`]).
async fn update_program(
    context: &Context,
    program_id: String,
    fields: &ProgramFields,
) -> Outcome<pb::UpdateProgramResponse> {
    let mut client = context.catalog();
    let request = context.request(pb::GetProgramRequest {
        program_id: program_id.clone(),
    });
    let program = present(
        client.get_program(request).await?.into_inner().program,
        "program",
    )?;
    let mut edit = Edit::begin(program.details, fields.from_file.as_deref(), DETAILS)?;
    apply_program_fields(context, &mut edit.details, fields).await?;
    let (details, update_mask) = edit.finish()?;
    let request = context.request(pb::UpdateProgramRequest {
        program_id,
        details: Some(details),
        etag: program.etag,
        update_mask,
    });
    Ok(client.update_program(request).await?.into_inner())
}
