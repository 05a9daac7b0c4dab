//! `hamafza admin courses`: a course from draft through the council to the
//! catalog.

use std::path::PathBuf;

use clap::{Args, Subcommand, ValueEnum};
use hamafza_proto::courses as pb;

use super::{CatalogState, Row, TextFields, Vote, approvals, has_code, list, show, votes};
use crate::admin::context::{Context, Failure, Outcome, every_page, first_in_pages, present};
use crate::admin::input::{Edit, from_file, is_uuid};
use crate::admin::output::{Lang, enum_name};

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
    #[arg(long)]
    hours: Option<u32>,
    /// How it is taught.
    #[arg(long, value_enum)]
    mode: Option<Mode>,
    /// The score needed to pass (0-100).
    #[arg(long)]
    passing_score: Option<u32>,
    /// The attendance needed to pass, in percent.
    #[arg(long)]
    min_attendance: Option<u32>,
    /// How long its certificates are valid, in months.
    #[arg(long)]
    validity_months: Option<u32>,
    /// A prerequisite course (code or id); repeat; replaces the list.
    #[arg(long = "prerequisite", value_name = "COURSE")]
    prerequisites: Vec<String>,
    /// Whether enrolment needs the org manager's approval (true|false).
    #[arg(long, value_name = "BOOL")]
    manager_approval: Option<bool>,
}

const DETAILS: &str = "hamafza.courses.v1.CourseDetails";

/// Changes `details` as `fields` say; prerequisites by code are resolved.
async fn apply_course_fields(
    context: &Context,
    details: &mut pb::CourseDetails,
    fields: &CourseFields,
) -> Outcome {
    let text = &fields.text;
    text.apply(
        &mut details.code,
        &mut details.title,
        &mut details.description,
    );
    if let Some(category) = &fields.category {
        details.category.clone_from(category);
    }
    if let Some(hours) = fields.hours {
        details.hours = hours;
    }
    if let Some(mode) = fields.mode {
        details.set_delivery_mode(mode.wire());
    }
    if let Some(score) = fields.passing_score {
        details.passing_score = score;
    }
    if let Some(percent) = fields.min_attendance {
        details.min_attendance_percent = percent;
    }
    if let Some(months) = fields.validity_months {
        details.certificate_validity_months = Some(months);
    }
    if !fields.prerequisites.is_empty() {
        let mut ids = Vec::new();
        for course in &fields.prerequisites {
            ids.push(course_id(context, course).await?);
        }
        details.prerequisite_course_ids = ids;
    }
    if let Some(approval) = fields.manager_approval {
        details.requires_manager_approval = approval;
    }
    Ok(())
}

/// The id of a course given by code (`PR-210`) or id.
pub async fn course_id(context: &Context, course: &str) -> Outcome<String> {
    if is_uuid(course) {
        return Ok(course.to_owned());
    }
    let mut client = context.catalog();
    let found = first_in_pages(
        async |page_token| {
            let request = pb::ListCoursesRequest {
                page_size: 200,
                page_token,
                text: course.to_owned(),
                ..Default::default()
            };
            let page = client.list_courses(context.request(request)).await?;
            let page = page.into_inner();
            Ok((page.courses, page.next_page_token))
        },
        |found: &pb::Course| has_code(found.details.as_ref().map(|d| &d.code), course),
    )
    .await?;
    found
        .map(|found| found.id)
        .ok_or_else(|| Failure::NotFound(format!("no course with the code {course}")))
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

/// Runs a course verb.
pub async fn courses(context: &Context, command: CourseCommand) -> Outcome {
    let mut client = context.catalog();
    match command {
        CourseCommand::List {
            status,
            category,
            text,
        } => {
            let courses = every_page(async |page_token| {
                let request = pb::ListCoursesRequest {
                    page_size: 200,
                    page_token,
                    statuses: CatalogState::wire(&status),
                    category: category.clone().unwrap_or_default(),
                    text: text.clone().unwrap_or_default(),
                    ..Default::default()
                };
                let page = client.list_courses(context.request(request)).await?;
                let page = page.into_inner();
                Ok((page.courses, page.next_page_token))
            })
            .await?;
            let all = pb::ListCoursesResponse {
                courses,
                ..Default::default()
            };
            list(context, &all, &all.courses, "ListCoursesResponse")
        }
        CourseCommand::Show { course } => {
            let course_id = course_id(context, &course).await?;
            let request = context.request(pb::GetCourseRequest { course_id });
            let response = client.get_course(request).await?.into_inner();
            show(
                context,
                &response,
                response.course.as_ref(),
                "GetCourseResponse",
            )
        }
        CourseCommand::Create { fields } => {
            let mut details = match &fields.from_file {
                Some(file) => from_file(file, DETAILS)?,
                None => pb::CourseDetails::default(),
            };
            apply_course_fields(context, &mut details, &fields).await?;
            let details = Some(details);
            let request = context.request(pb::CreateCourseRequest { details });
            let response = client.create_course(request).await?.into_inner();
            show(
                context,
                &response,
                response.course.as_ref(),
                "CreateCourseResponse",
            )
        }
        CourseCommand::Update { course, fields } => {
            let course_id = course_id(context, &course).await?;
            let response = update_course(context, course_id, &fields).await?;
            show(
                context,
                &response,
                response.course.as_ref(),
                "UpdateCourseResponse",
            )
        }
        CourseCommand::Submit { course } => {
            let course_id = course_id(context, &course).await?;
            let request = context.request(pb::SubmitCourseRequest { course_id });
            let response = client.submit_course(request).await?.into_inner();
            show(
                context,
                &response,
                response.course.as_ref(),
                "SubmitCourseResponse",
            )
        }
        CourseCommand::Review { course, vote } => {
            let course_id = course_id(context, &course).await?;
            let (decision, comment) = vote.wire();
            let request = context.request(pb::ReviewCourseRequest {
                course_id,
                decision,
                comment,
            });
            let response = client.review_course(request).await?.into_inner();
            show(
                context,
                &response,
                response.course.as_ref(),
                "ReviewCourseResponse",
            )
        }
        CourseCommand::Publish { course } => {
            let course_id = course_id(context, &course).await?;
            let request = context.request(pb::PublishCourseRequest { course_id });
            let response = client.publish_course(request).await?.into_inner();
            show(
                context,
                &response,
                response.course.as_ref(),
                "PublishCourseResponse",
            )
        }
        CourseCommand::Retire { course } => {
            let course_id = course_id(context, &course).await?;
            let request = context.request(pb::RetireCourseRequest { course_id });
            let response = client.retire_course(request).await?.into_inner();
            show(
                context,
                &response,
                response.course.as_ref(),
                "RetireCourseResponse",
            )
        }
        CourseCommand::Votes { course } => {
            let course_id = course_id(context, &course).await?;
            let request = context.request(pb::ListCourseVotesRequest { course_id });
            let response = client.list_course_votes(request).await?.into_inner();
            votes(
                context,
                &response,
                &response.votes,
                "ListCourseVotesResponse",
            )
        }
    }
}

/// Read, change what `fields` give, write back the whole details with the
/// etag read (see [`Edit`]).
async fn update_course(
    context: &Context,
    course_id: String,
    fields: &CourseFields,
) -> Outcome<pb::UpdateCourseResponse> {
    let mut client = context.catalog();
    let request = context.request(pb::GetCourseRequest {
        course_id: course_id.clone(),
    });
    let course = present(
        client.get_course(request).await?.into_inner().course,
        "course",
    )?;
    let mut edit = Edit::begin(course.details, fields.from_file.as_deref(), DETAILS)?;
    apply_course_fields(context, &mut edit.details, fields).await?;
    let (details, update_mask) = edit.finish()?;
    let request = context.request(pb::UpdateCourseRequest {
        course_id,
        details: Some(details),
        etag: course.etag,
        update_mask,
    });
    Ok(client.update_course(request).await?.into_inner())
}
