//! `hamafza admin programs`: the year's set of courses, approved by the
//! council like a course.

use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};
use hamafza_proto::courses as pb;

use super::reviewed::{self, Fields, Filter, Reply, Reviewed, Step, Verb};
use super::{CatalogState, Row, TextFields, Vote, approvals, course_id};
use crate::admin::context::{Context, Outcome};
use crate::admin::output::{Encoded, Lang, enum_name};

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

impl Fields<pb::ProgramDetails> for ProgramFields {
    fn details_file(&self) -> Option<&Path> {
        self.from_file.as_deref()
    }

    /// Courses by code are resolved.
    async fn apply(&self, context: &Context, details: &mut pb::ProgramDetails) -> Outcome {
        self.text.apply(
            &mut details.code,
            &mut details.title,
            &mut details.description,
        );
        if !self.required.is_empty() || !self.electives.is_empty() {
            let mut courses = Vec::new();
            for (list, required) in [(&self.required, true), (&self.electives, false)] {
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
}

/// The id of a program given by code (`PRP-1405`) or id.
pub async fn program_id(context: &Context, program: &str) -> Outcome<String> {
    reviewed::id_of::<pb::Program>(context, program).await
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

impl Reviewed for pb::Program {
    type Details = pb::ProgramDetails;
    type Fields = ProgramFields;
    const KIND: &'static str = "Program";
    const DETAILS: &'static str = "hamafza.courses.v1.ProgramDetails";

    fn id(&self) -> &str {
        &self.id
    }

    fn code(&self) -> Option<&String> {
        self.details.as_ref().map(|details| &details.code)
    }

    fn into_stored(self) -> (Option<pb::ProgramDetails>, String) {
        (self.details, self.etag)
    }

    async fn page(
        context: &Context,
        filter: &Filter,
        page_token: String,
    ) -> Outcome<(Vec<Self>, String)> {
        let request = pb::ListProgramsRequest {
            page_size: 200,
            page_token,
            statuses: filter.statuses.clone(),
            text: filter.text.clone(),
            ..Default::default()
        };
        let mut client = context.catalog();
        let page = client.list_programs(context.request(request)).await?;
        let page = page.into_inner();
        Ok((page.programs, page.next_page_token))
    }

    fn listed(programs: Vec<Self>) -> Box<dyn Encoded> {
        Box::new(pb::ListProgramsResponse {
            programs,
            ..Default::default()
        })
    }

    async fn get(context: &Context, program_id: String) -> Outcome<Reply<Self>> {
        let request = context.request(pb::GetProgramRequest { program_id });
        let response = context.catalog().get_program(request).await?.into_inner();
        Ok(Reply::new(response.program.clone(), response))
    }

    async fn create(context: &Context, details: pb::ProgramDetails) -> Outcome<Reply<Self>> {
        let details = Some(details);
        let request = context.request(pb::CreateProgramRequest {
            details,
            request_id: context.request_id(),
        });
        let response = context
            .catalog()
            .create_program(request)
            .await?
            .into_inner();
        Ok(Reply::new(response.program.clone(), response))
    }

    async fn update(
        context: &Context,
        program_id: String,
        details: pb::ProgramDetails,
        etag: String,
        update_mask: Option<prost_types::FieldMask>,
    ) -> Outcome<Reply<Self>> {
        let request = context.request(pb::UpdateProgramRequest {
            program_id,
            details: Some(details),
            etag,
            update_mask,
        });
        let response = context
            .catalog()
            .update_program(request)
            .await?
            .into_inner();
        Ok(Reply::new(response.program.clone(), response))
    }

    async fn step(context: &Context, program_id: String, step: Step) -> Outcome<Reply<Self>> {
        let mut client = context.catalog();
        Ok(match step {
            Step::Submit => {
                let request = context.request(pb::SubmitProgramRequest { program_id });
                let response = client.submit_program(request).await?.into_inner();
                Reply::new(response.program.clone(), response)
            }
            Step::Review { decision, comment } => {
                let request = context.request(pb::ReviewProgramRequest {
                    program_id,
                    decision,
                    comment,
                });
                let response = client.review_program(request).await?.into_inner();
                Reply::new(response.program.clone(), response)
            }
            Step::Publish => {
                let request = context.request(pb::PublishProgramRequest { program_id });
                let response = client.publish_program(request).await?.into_inner();
                Reply::new(response.program.clone(), response)
            }
            Step::Retire => {
                let request = context.request(pb::RetireProgramRequest { program_id });
                let response = client.retire_program(request).await?.into_inner();
                Reply::new(response.program.clone(), response)
            }
        })
    }

    async fn votes(
        context: &Context,
        program_id: String,
    ) -> Outcome<(Box<dyn Encoded>, Vec<pb::CouncilVote>)> {
        let request = context.request(pb::ListProgramVotesRequest { program_id });
        let response = context.catalog().list_program_votes(request).await?;
        let response = response.into_inner();
        let votes = response.votes.clone();
        Ok((Box::new(response), votes))
    }
}

impl From<ProgramCommand> for Verb<ProgramFields> {
    fn from(command: ProgramCommand) -> Self {
        match command {
            ProgramCommand::List { status, text } => Self::List(Filter {
                statuses: CatalogState::wire(&status),
                text: text.unwrap_or_default(),
                ..Filter::default()
            }),
            ProgramCommand::Show { program } => Self::Show(program),
            ProgramCommand::Create { fields } => Self::Create(fields),
            ProgramCommand::Update { program, fields } => Self::Update(program, fields),
            ProgramCommand::Submit { program } => Self::Step(program, Step::Submit),
            ProgramCommand::Review { program, vote } => Self::Step(program, vote.step()),
            ProgramCommand::Publish { program } => Self::Step(program, Step::Publish),
            ProgramCommand::Retire { program } => Self::Step(program, Step::Retire),
            ProgramCommand::Votes { program } => Self::Votes(program),
        }
    }
}

/// Runs a program verb.
pub async fn programs(context: &Context, command: ProgramCommand) -> Outcome {
    reviewed::run::<pb::Program>(context, command.into()).await
}
