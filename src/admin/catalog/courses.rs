//! `hamafza admin courses`: a course from draft through the council to the
//! catalog.

use std::path::{Path, PathBuf};

use clap::{Args, Subcommand, ValueEnum};
use hamafza_proto::courses as pb;

use super::reviewed::{self, Fields, Filter, Reply, Reviewed, Step, Verb};
use super::{CatalogState, Row, TextFields, Vote, approvals};
use crate::admin::context::{Context, Outcome};
use crate::admin::input::parse_number;
use crate::admin::output::{Encoded, Lang, enum_name};

/// How a course is taught.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Mode {
    /// In a room.
    InPerson,
    /// Online.
    Online,
    /// Both.
    Blended,
}

impl Mode {
    fn wire(self) -> pb::DeliveryMode {
        match self {
            Self::InPerson => pb::DeliveryMode::InPerson,
            Self::Online => pb::DeliveryMode::Online,
            Self::Blended => pb::DeliveryMode::Blended,
        }
    }
}

/// Course verbs.
#[derive(Debug, Subcommand)]
pub enum CourseCommand {
    /// List courses.
    #[command(after_help = "Example:\n  hamafza admin courses list --status submitted --lang en")]
    List {
        /// Only these states (repeat).
        #[arg(long, value_enum)]
        status: Vec<CatalogState>,
        /// Only this category.
        #[arg(long)]
        category: Option<String>,
        /// Only codes or titles containing this.
        #[arg(long)]
        text: Option<String>,
    },
    /// Show one course (by code, e.g. PR-210, or id).
    #[command(after_help = "Example:\n  hamafza admin courses show PR-210")]
    Show {
        /// Code or id.
        course: String,
    },
    /// Create a course (a draft).
    #[command(
        after_help = "Example:\n  hamafza admin courses create --code PR-210 --title-fa \"سخنگویی سازمانی\" \\\n    --title-en \"Corporate Spokesmanship\" --category media-relations --hours 8 \\\n    --mode in-person --passing-score 70 --min-attendance 75 --validity-months 24\n  hamafza admin courses create --from-file course.yaml   # a CourseDetails in protobuf JSON/YAML"
    )]
    Create {
        #[command(flatten)]
        fields: CourseFields,
    },
    /// Change a course (what is not given stays).
    #[command(after_help = "Example:\n  hamafza admin courses update PR-210 --hours 12")]
    Update {
        /// Code or id.
        course: String,
        #[command(flatten)]
        fields: CourseFields,
    },
    /// Submit a draft to the council.
    #[command(after_help = "Example:\n  hamafza admin courses submit PR-210")]
    Submit {
        /// Code or id.
        course: String,
    },
    /// Vote on a submitted course (council members).
    #[command(
        after_help = "Example:\n  hamafza admin courses review PR-210 --approve --comment \"موافقم\"\n  hamafza admin courses review PR-210 --reject --comment \"سرفصل‌ها کامل نیست\""
    )]
    Review {
        /// Code or id.
        course: String,
        #[command(flatten)]
        vote: Vote,
    },
    /// Publish an approved course.
    #[command(after_help = "Example:\n  hamafza admin courses publish PR-210")]
    Publish {
        /// Code or id.
        course: String,
    },
    /// Retire a published course.
    #[command(after_help = "Example:\n  hamafza admin courses retire PR-210")]
    Retire {
        /// Code or id.
        course: String,
    },
    /// Every vote of every council round.
    #[command(after_help = "Example:\n  hamafza admin courses votes PR-210")]
    Votes {
        /// Code or id.
        course: String,
    },
}

/// A course's fields.
#[derive(Debug, Args)]
pub struct CourseFields {
    /// A CourseDetails in protobuf JSON or YAML; the flags given change it.
    #[arg(long, value_name = "FILE")]
    from_file: Option<PathBuf>,
    #[command(flatten)]
    text: TextFields,
    /// The category, e.g. media-relations.
    #[arg(long)]
    category: Option<String>,
    /// Teaching hours.
    #[arg(long, value_parser = parse_number)]
    hours: Option<u32>,
    /// How it is taught.
    #[arg(long, value_enum)]
    mode: Option<Mode>,
    /// The score needed to pass (0-100).
    #[arg(long, value_parser = parse_number)]
    passing_score: Option<u32>,
    /// The attendance needed to pass, in percent.
    #[arg(long, value_parser = parse_number)]
    min_attendance: Option<u32>,
    /// How long its certificates are valid, in months.
    #[arg(long, value_parser = parse_number)]
    validity_months: Option<u32>,
    /// A prerequisite course (code or id); repeat; replaces the list.
    #[arg(long = "prerequisite", value_name = "COURSE")]
    prerequisites: Vec<String>,
    /// Whether enrolment needs the org manager's approval (true|false).
    #[arg(long, value_name = "BOOL")]
    manager_approval: Option<bool>,
}

impl Fields<pb::CourseDetails> for CourseFields {
    fn details_file(&self) -> Option<&Path> {
        self.from_file.as_deref()
    }

    /// Prerequisites by code are resolved.
    async fn apply(&self, context: &Context, details: &mut pb::CourseDetails) -> Outcome {
        self.text.apply(
            &mut details.code,
            &mut details.title,
            &mut details.description,
        );
        if let Some(category) = &self.category {
            details.category.clone_from(category);
        }
        if let Some(hours) = self.hours {
            details.hours = hours;
        }
        if let Some(mode) = self.mode {
            details.set_delivery_mode(mode.wire());
        }
        if let Some(score) = self.passing_score {
            details.passing_score = score;
        }
        if let Some(percent) = self.min_attendance {
            details.min_attendance_percent = percent;
        }
        if let Some(months) = self.validity_months {
            details.certificate_validity_months = Some(months);
        }
        if !self.prerequisites.is_empty() {
            let mut ids = Vec::new();
            for course in &self.prerequisites {
                ids.push(course_id(context, course).await?);
            }
            details.prerequisite_course_ids = ids;
        }
        if let Some(approval) = self.manager_approval {
            details.requires_manager_approval = approval;
        }
        Ok(())
    }
}

/// The id of a course given by code (`PR-210`) or id.
pub async fn course_id(context: &Context, course: &str) -> Outcome<String> {
    reviewed::id_of::<pb::Course>(context, course).await
}

impl Row for pb::Course {
    const WHAT: &'static str = "course";
    const COLUMNS: &'static [(&'static str, &'static str)] = &[
        ("شناسه", "id"),
        ("کد", "code"),
        ("عنوان", "title"),
        ("وضعیت", "status"),
        ("ساعت", "hours"),
        ("شیوه", "mode"),
        ("آرای موافق", "approvals"),
        ("انتشار", "published"),
    ];

    fn cells(&self, lang: Lang) -> (String, Vec<String>) {
        let details = self.details.clone().unwrap_or_default();
        let cells = vec![
            self.id.clone(),
            details.code.clone(),
            lang.text(&details.title),
            enum_name(self.status().as_str_name(), "CATALOG_STATUS_"),
            lang.number(details.hours),
            enum_name(details.delivery_mode().as_str_name(), "DELIVERY_MODE_"),
            approvals(lang, self.review.as_ref()),
            lang.time(&self.publish_time),
        ];
        (self.id.clone(), cells)
    }
}

impl Reviewed for pb::Course {
    type Details = pb::CourseDetails;
    type Fields = CourseFields;
    const KIND: &'static str = "Course";
    const DETAILS: &'static str = "hamafza.courses.v1.CourseDetails";

    fn id(&self) -> &str {
        &self.id
    }

    fn code(&self) -> Option<&String> {
        self.details.as_ref().map(|details| &details.code)
    }

    fn into_stored(self) -> (Option<pb::CourseDetails>, String) {
        (self.details, self.etag)
    }

    async fn page(
        context: &Context,
        filter: &Filter,
        page_token: String,
    ) -> Outcome<(Vec<Self>, String)> {
        let request = pb::ListCoursesRequest {
            page_size: 200,
            page_token,
            statuses: filter.statuses.clone(),
            category: filter.category.clone(),
            text: filter.text.clone(),
            ..Default::default()
        };
        let mut client = context.catalog();
        let page = client.list_courses(context.request(request)).await?;
        let page = page.into_inner();
        Ok((page.courses, page.next_page_token))
    }

    fn listed(courses: Vec<Self>) -> Box<dyn Encoded> {
        Box::new(pb::ListCoursesResponse {
            courses,
            ..Default::default()
        })
    }

    async fn get(context: &Context, course_id: String) -> Outcome<Reply<Self>> {
        let request = context.request(pb::GetCourseRequest { course_id });
        let response = context.catalog().get_course(request).await?.into_inner();
        Ok(Reply::new(response.course.clone(), response))
    }

    async fn create(context: &Context, details: pb::CourseDetails) -> Outcome<Reply<Self>> {
        let details = Some(details);
        let request = context.request(pb::CreateCourseRequest {
            details,
            request_id: context.request_id(),
        });
        let response = context.catalog().create_course(request).await?.into_inner();
        Ok(Reply::new(response.course.clone(), response))
    }

    async fn update(
        context: &Context,
        course_id: String,
        details: pb::CourseDetails,
        etag: String,
        update_mask: Option<prost_types::FieldMask>,
    ) -> Outcome<Reply<Self>> {
        let request = context.request(pb::UpdateCourseRequest {
            course_id,
            details: Some(details),
            etag,
            update_mask,
        });
        let response = context.catalog().update_course(request).await?.into_inner();
        Ok(Reply::new(response.course.clone(), response))
    }

    async fn step(context: &Context, course_id: String, step: Step) -> Outcome<Reply<Self>> {
        let mut client = context.catalog();
        Ok(match step {
            Step::Submit => {
                let request = context.request(pb::SubmitCourseRequest { course_id });
                let response = client.submit_course(request).await?.into_inner();
                Reply::new(response.course.clone(), response)
            }
            Step::Review { decision, comment } => {
                let request = context.request(pb::ReviewCourseRequest {
                    course_id,
                    decision,
                    comment,
                });
                let response = client.review_course(request).await?.into_inner();
                Reply::new(response.course.clone(), response)
            }
            Step::Publish => {
                let request = context.request(pb::PublishCourseRequest { course_id });
                let response = client.publish_course(request).await?.into_inner();
                Reply::new(response.course.clone(), response)
            }
            Step::Retire => {
                let request = context.request(pb::RetireCourseRequest { course_id });
                let response = client.retire_course(request).await?.into_inner();
                Reply::new(response.course.clone(), response)
            }
        })
    }

    async fn votes(
        context: &Context,
        course_id: String,
    ) -> Outcome<(Box<dyn Encoded>, Vec<pb::CouncilVote>)> {
        let request = context.request(pb::ListCourseVotesRequest { course_id });
        let response = context.catalog().list_course_votes(request).await?;
        let response = response.into_inner();
        let votes = response.votes.clone();
        Ok((Box::new(response), votes))
    }
}

impl From<CourseCommand> for Verb<CourseFields> {
    fn from(command: CourseCommand) -> Self {
        match command {
            CourseCommand::List {
                status,
                category,
                text,
            } => Self::List(Filter {
                statuses: CatalogState::wire(&status),
                category: category.unwrap_or_default(),
                text: text.unwrap_or_default(),
            }),
            CourseCommand::Show { course } => Self::Show(course),
            CourseCommand::Create { fields } => Self::Create(fields),
            CourseCommand::Update { course, fields } => Self::Update(course, fields),
            CourseCommand::Submit { course } => Self::Step(course, Step::Submit),
            CourseCommand::Review { course, vote } => Self::Step(course, vote.step()),
            CourseCommand::Publish { course } => Self::Step(course, Step::Publish),
            CourseCommand::Retire { course } => Self::Step(course, Step::Retire),
            CourseCommand::Votes { course } => Self::Votes(course),
        }
    }
}

/// Runs a course verb.
pub async fn courses(context: &Context, command: CourseCommand) -> Outcome {
    reviewed::run::<pb::Course>(context, command.into()).await
}
