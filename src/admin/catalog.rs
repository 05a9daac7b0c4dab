//! The catalog: organizations, programs, courses, and what waits for the
//! council.

use std::path::PathBuf;

use clap::{Args, Subcommand, ValueEnum};
use hamafza_proto::courses as pb;

use super::context::{Context, Failure, Outcome, present};
use super::input::{changed_fields, from_file, is_uuid, set_text};
use super::output::{Lang, View, emit, enum_name};

// ----- organizations -----

/// Organization verbs.
#[derive(Debug, Subcommand)]
pub enum OrgCommand {
    /// List organizations.
    #[command(after_help = "Example:\n  hamafza admin orgs list --kind steel")]
    List {
        /// Only this kind.
        #[arg(long, value_enum)]
        kind: Option<OrgKind>,
        /// Only names or ids containing this.
        #[arg(long)]
        text: Option<String>,
    },
    /// Show one organization.
    #[command(after_help = "Example:\n  hamafza admin orgs show msc")]
    Show {
        /// The organization id (e.g. `msc`).
        id: String,
    },
    /// Register an organization.
    #[command(
        after_help = "Example:\n  hamafza admin orgs create esco --name-fa \"فولاد اسفراین\" --name-en \"Esfarayen Steel\" --kind steel --parent imidro"
    )]
    Create {
        /// The new organization's id: lowercase letters, digits and `-`.
        id: String,
        #[command(flatten)]
        fields: OrgFields,
    },
    /// Change an organization (what is not given stays).
    #[command(
        after_help = "Example:\n  hamafza admin orgs update esco --name-en \"Esfarayen Steel Co.\""
    )]
    Update {
        /// The organization id.
        id: String,
        #[command(flatten)]
        fields: OrgFields,
    },
}

/// Kinds of organization.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum OrgKind {
    /// The holding.
    Holding,
    /// A steel company.
    Steel,
    /// A mining company.
    Mining,
    /// An aluminium company.
    Aluminium,
    /// An industrial zone.
    IndustrialZone,
    /// Anything else.
    Other,
}

impl OrgKind {
    fn wire(self) -> pb::OrganizationKind {
        match self {
            Self::Holding => pb::OrganizationKind::Holding,
            Self::Steel => pb::OrganizationKind::Steel,
            Self::Mining => pb::OrganizationKind::Mining,
            Self::Aluminium => pb::OrganizationKind::Aluminium,
            Self::IndustrialZone => pb::OrganizationKind::IndustrialZone,
            Self::Other => pb::OrganizationKind::Other,
        }
    }
}

/// An organization's fields.
#[derive(Debug, Args)]
pub struct OrgFields {
    /// The Persian name.
    #[arg(long)]
    name_fa: Option<String>,
    /// The English name.
    #[arg(long)]
    name_en: Option<String>,
    /// The kind.
    #[arg(long, value_enum)]
    kind: Option<OrgKind>,
    /// The parent organization's id (`imidro`).
    #[arg(long)]
    parent: Option<String>,
}

const ORG_COLUMNS: [(&str, &str); 4] = [
    ("شناسه", "id"),
    ("نام", "name"),
    ("نوع", "kind"),
    ("مادر", "parent"),
];

fn org_row(view: &mut View, lang: Lang, org: &pb::Organization) {
    view.row(
        org.id.clone(),
        vec![
            org.id.clone(),
            lang.text(&org.name),
            enum_name(org.kind().as_str_name(), "ORGANIZATION_KIND_"),
            org.parent_organization_id.clone(),
        ],
    );
}

fn show_org<M: prost::Message>(
    context: &Context,
    message: &M,
    name: &str,
    org: &pb::Organization,
) -> Outcome {
    let mut view = View::single(&ORG_COLUMNS);
    org_row(&mut view, context.lang, org);
    emit(context.lang, context.output, message, name, view)
}

/// Runs an organization verb.
pub async fn orgs(context: &Context, command: OrgCommand) -> Outcome {
    let mut client = context.organizations();
    match command {
        OrgCommand::List { kind, text } => {
            let mut all = pb::ListOrganizationsResponse::default();
            let mut page_token = String::new();
            loop {
                let page = client
                    .list_organizations(context.request(pb::ListOrganizationsRequest {
                        page_size: 200,
                        page_token,
                        kind: kind.map_or(0, |kind| kind.wire() as i32),
                        text: text.clone().unwrap_or_default(),
                    }))
                    .await?
                    .into_inner();
                all.organizations.extend(page.organizations);
                if page.next_page_token.is_empty() {
                    break;
                }
                page_token = page.next_page_token;
            }
            let mut view = View::list(&ORG_COLUMNS);
            for org in &all.organizations {
                org_row(&mut view, context.lang, org);
            }
            emit(
                context.lang,
                context.output,
                &all,
                "hamafza.courses.v1.ListOrganizationsResponse",
                view,
            )
        }
        OrgCommand::Show { id } => {
            let response = client
                .get_organization(context.request(pb::GetOrganizationRequest {
                    organization_id: id,
                }))
                .await?
                .into_inner();
            let org = present(response.organization.clone(), "organization")?;
            show_org(
                context,
                &response,
                "hamafza.courses.v1.GetOrganizationResponse",
                &org,
            )
        }
        OrgCommand::Create { id, fields } => {
            let mut request = pb::CreateOrganizationRequest {
                organization_id: id,
                ..Default::default()
            };
            set_text(&mut request.name, &fields.name_fa, &fields.name_en);
            if let Some(kind) = fields.kind {
                request.set_kind(kind.wire());
            }
            request.parent_organization_id = fields.parent.unwrap_or_default();
            let response = client
                .create_organization(context.request(request))
                .await?
                .into_inner();
            let org = present(response.organization.clone(), "organization")?;
            show_org(
                context,
                &response,
                "hamafza.courses.v1.CreateOrganizationResponse",
                &org,
            )
        }
        OrgCommand::Update { id, fields } => {
            let response = update_organization(context, &id, &fields).await?;
            let org = present(response.organization.clone(), "organization")?;
            show_org(
                context,
                &response,
                "hamafza.courses.v1.UpdateOrganizationResponse",
                &org,
            )
        }
    }
}

/// Read, change what `fields` give, write back: the one place that becomes
/// an update with a field mask.
async fn update_organization(
    context: &Context,
    id: &str,
    fields: &OrgFields,
) -> Outcome<pb::UpdateOrganizationResponse> {
    let mut client = context.organizations();
    let org = present(
        client
            .get_organization(context.request(pb::GetOrganizationRequest {
                organization_id: id.to_owned(),
            }))
            .await?
            .into_inner()
            .organization,
        "organization",
    )?;
    let stored = pb::UpdateOrganizationRequest {
        organization_id: org.id,
        name: org.name,
        kind: org.kind,
        parent_organization_id: org.parent_organization_id,
        etag: org.etag,
        update_mask: None,
    };
    let mut request = stored.clone();
    set_text(&mut request.name, &fields.name_fa, &fields.name_en);
    if let Some(kind) = fields.kind {
        request.set_kind(kind.wire());
    }
    if let Some(parent) = &fields.parent {
        request.parent_organization_id.clone_from(parent);
    }
    // Only the fields given change, and only if no one changed the
    // organization since it was read.
    request.update_mask = Some(changed_fields(
        &stored,
        &request,
        "hamafza.courses.v1.UpdateOrganizationRequest",
    )?);
    Ok(client
        .update_organization(context.request(request))
        .await?
        .into_inner())
}

// ----- courses -----

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
    fn wire(self) -> i32 {
        (match self {
            Self::Draft => pb::CatalogStatus::Draft,
            Self::Submitted => pb::CatalogStatus::Submitted,
            Self::Approved => pb::CatalogStatus::Approved,
            Self::Published => pb::CatalogStatus::Published,
            Self::Retired => pb::CatalogStatus::Retired,
        }) as i32
    }
}

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

impl Decision {
    fn wire(&self) -> pb::VoteDecision {
        if self.approve {
            pb::VoteDecision::Approve
        } else {
            pb::VoteDecision::Reject
        }
    }
}

/// A course's fields.
#[derive(Debug, Args)]
pub struct CourseFields {
    /// A CourseDetails in protobuf JSON or YAML; the flags given change it.
    #[arg(long, value_name = "FILE")]
    from_file: Option<PathBuf>,
    /// The code, e.g. PR-210.
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

/// Changes `details` as `fields` say; prerequisites by code are resolved.
async fn apply_course_fields(
    context: &Context,
    details: &mut pb::CourseDetails,
    fields: &CourseFields,
) -> Outcome {
    if let Some(code) = &fields.code {
        details.code.clone_from(code);
    }
    set_text(&mut details.title, &fields.title_fa, &fields.title_en);
    set_text(
        &mut details.description,
        &fields.description_fa,
        &fields.description_en,
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
    let mut page_token = String::new();
    loop {
        let page = context
            .catalog()
            .list_courses(context.request(pb::ListCoursesRequest {
                page_size: 200,
                page_token,
                text: course.to_owned(),
                ..Default::default()
            }))
            .await?
            .into_inner();
        if let Some(found) = page.courses.iter().find(|found| {
            found
                .details
                .as_ref()
                .is_some_and(|details| details.code.eq_ignore_ascii_case(course))
        }) {
            return Ok(found.id.clone());
        }
        if page.next_page_token.is_empty() {
            return Err(Failure::NotFound(format!(
                "no course with the code {course}"
            )));
        }
        page_token = page.next_page_token;
    }
}

const COURSE_COLUMNS: [(&str, &str); 8] = [
    ("شناسه", "id"),
    ("کد", "code"),
    ("عنوان", "title"),
    ("وضعیت", "status"),
    ("ساعت", "hours"),
    ("شیوه", "mode"),
    ("آرای موافق", "approvals"),
    ("انتشار", "published"),
];

fn course_row(view: &mut View, lang: Lang, course: &pb::Course) {
    let details = course.details.clone().unwrap_or_default();
    let approvals = course
        .review
        .as_ref()
        .map(|review| {
            format!(
                "{}/{}",
                lang.number(review.approvals),
                lang.number(review.required_approvals)
            )
        })
        .unwrap_or_default();
    view.row(
        course.id.clone(),
        vec![
            course.id.clone(),
            details.code.clone(),
            lang.text(&details.title),
            enum_name(course.status().as_str_name(), "CATALOG_STATUS_"),
            lang.number(details.hours),
            enum_name(details.delivery_mode().as_str_name(), "DELIVERY_MODE_"),
            approvals,
            lang.time(&course.publish_time),
        ],
    );
}

fn show_course<M: prost::Message>(
    context: &Context,
    message: &M,
    name: &str,
    course: Option<&pb::Course>,
) -> Outcome {
    let course = present(course, "course")?;
    let mut view = View::single(&COURSE_COLUMNS);
    course_row(&mut view, context.lang, course);
    emit(context.lang, context.output, message, name, view)
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
            let mut all = pb::ListCoursesResponse::default();
            let mut page_token = String::new();
            loop {
                let page = client
                    .list_courses(context.request(pb::ListCoursesRequest {
                        page_size: 200,
                        page_token,
                        statuses: status.iter().map(|s| s.wire()).collect(),
                        category: category.clone().unwrap_or_default(),
                        text: text.clone().unwrap_or_default(),
                        ..Default::default()
                    }))
                    .await?
                    .into_inner();
                all.courses.extend(page.courses);
                if page.next_page_token.is_empty() {
                    break;
                }
                page_token = page.next_page_token;
            }
            let mut view = View::list(&COURSE_COLUMNS);
            for course in &all.courses {
                course_row(&mut view, context.lang, course);
            }
            emit(
                context.lang,
                context.output,
                &all,
                "hamafza.courses.v1.ListCoursesResponse",
                view,
            )
        }
        CourseCommand::Show { course } => {
            let course_id = course_id(context, &course).await?;
            let response = client
                .get_course(context.request(pb::GetCourseRequest { course_id }))
                .await?
                .into_inner();
            show_course(
                context,
                &response,
                "hamafza.courses.v1.GetCourseResponse",
                response.course.as_ref(),
            )
        }
        CourseCommand::Create { fields } => {
            let mut details = match &fields.from_file {
                Some(file) => from_file(file, "hamafza.courses.v1.CourseDetails")?,
                None => pb::CourseDetails::default(),
            };
            apply_course_fields(context, &mut details, &fields).await?;
            let response = client
                .create_course(context.request(pb::CreateCourseRequest {
                    details: Some(details),
                }))
                .await?
                .into_inner();
            show_course(
                context,
                &response,
                "hamafza.courses.v1.CreateCourseResponse",
                response.course.as_ref(),
            )
        }
        CourseCommand::Update { course, fields } => {
            let course_id = course_id(context, &course).await?;
            let response = update_course(context, course_id, &fields).await?;
            show_course(
                context,
                &response,
                "hamafza.courses.v1.UpdateCourseResponse",
                response.course.as_ref(),
            )
        }
        CourseCommand::Submit { course } => {
            let course_id = course_id(context, &course).await?;
            let response = client
                .submit_course(context.request(pb::SubmitCourseRequest { course_id }))
                .await?
                .into_inner();
            show_course(
                context,
                &response,
                "hamafza.courses.v1.SubmitCourseResponse",
                response.course.as_ref(),
            )
        }
        CourseCommand::Review { course, vote } => {
            let course_id = course_id(context, &course).await?;
            let response = client
                .review_course(context.request(pb::ReviewCourseRequest {
                    course_id,
                    decision: vote.vote.wire() as i32,
                    comment: vote.comment.unwrap_or_default(),
                }))
                .await?
                .into_inner();
            show_course(
                context,
                &response,
                "hamafza.courses.v1.ReviewCourseResponse",
                response.course.as_ref(),
            )
        }
        CourseCommand::Publish { course } => {
            let course_id = course_id(context, &course).await?;
            let response = client
                .publish_course(context.request(pb::PublishCourseRequest { course_id }))
                .await?
                .into_inner();
            show_course(
                context,
                &response,
                "hamafza.courses.v1.PublishCourseResponse",
                response.course.as_ref(),
            )
        }
        CourseCommand::Retire { course } => {
            let course_id = course_id(context, &course).await?;
            let response = client
                .retire_course(context.request(pb::RetireCourseRequest { course_id }))
                .await?
                .into_inner();
            show_course(
                context,
                &response,
                "hamafza.courses.v1.RetireCourseResponse",
                response.course.as_ref(),
            )
        }
        CourseCommand::Votes { course } => {
            let course_id = course_id(context, &course).await?;
            let response = client
                .list_course_votes(context.request(pb::ListCourseVotesRequest { course_id }))
                .await?
                .into_inner();
            let view = votes_view(context.lang, &response.votes);
            emit(
                context.lang,
                context.output,
                &response,
                "hamafza.courses.v1.ListCourseVotesResponse",
                view,
            )
        }
    }
}

/// Read, change what `fields` give, write back the whole details: the one
/// place that becomes an update with a field mask and an etag.
async fn update_course(
    context: &Context,
    course_id: String,
    fields: &CourseFields,
) -> Outcome<pb::UpdateCourseResponse> {
    let mut client = context.catalog();
    let course = present(
        client
            .get_course(context.request(pb::GetCourseRequest {
                course_id: course_id.clone(),
            }))
            .await?
            .into_inner()
            .course,
        "course",
    )?;
    // From a file: every field replaced; from flags: only those changed.
    // Either way only if no one changed it since it was read (the etag).
    let stored = course.details.unwrap_or_default();
    let mut details = match &fields.from_file {
        Some(file) => from_file(file, "hamafza.courses.v1.CourseDetails")?,
        None => stored.clone(),
    };
    apply_course_fields(context, &mut details, fields).await?;
    let update_mask = if fields.from_file.is_some() {
        None
    } else {
        Some(changed_fields(
            &stored,
            &details,
            "hamafza.courses.v1.CourseDetails",
        )?)
    };
    Ok(client
        .update_course(context.request(pb::UpdateCourseRequest {
            course_id,
            details: Some(details),
            etag: course.etag,
            update_mask,
        }))
        .await?
        .into_inner())
}

const VOTE_COLUMNS: [(&str, &str); 5] = [
    ("دور", "round"),
    ("رأی‌دهنده", "voter"),
    ("رأی", "decision"),
    ("توضیح", "comment"),
    ("زمان", "time"),
];

fn votes_view(lang: Lang, votes: &[pb::CouncilVote]) -> View {
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
    view
}

// ----- programs -----

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
    /// The code, e.g. PRP-1406.
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
    /// A required course (code or id); repeat.
    #[arg(long = "course", value_name = "COURSE")]
    required: Vec<String>,
    /// An elective course (code or id); repeat.
    #[arg(long = "elective", value_name = "COURSE")]
    electives: Vec<String>,
}

async fn apply_program_fields(
    context: &Context,
    details: &mut pb::ProgramDetails,
    fields: &ProgramFields,
) -> Outcome {
    if let Some(code) = &fields.code {
        details.code.clone_from(code);
    }
    set_text(&mut details.title, &fields.title_fa, &fields.title_en);
    set_text(
        &mut details.description,
        &fields.description_fa,
        &fields.description_en,
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
    let mut page_token = String::new();
    loop {
        let page = context
            .catalog()
            .list_programs(context.request(pb::ListProgramsRequest {
                page_size: 200,
                page_token,
                text: program.to_owned(),
                ..Default::default()
            }))
            .await?
            .into_inner();
        if let Some(found) = page.programs.iter().find(|found| {
            found
                .details
                .as_ref()
                .is_some_and(|details| details.code.eq_ignore_ascii_case(program))
        }) {
            return Ok(found.id.clone());
        }
        if page.next_page_token.is_empty() {
            return Err(Failure::NotFound(format!(
                "no program with the code {program}"
            )));
        }
        page_token = page.next_page_token;
    }
}

const PROGRAM_COLUMNS: [(&str, &str); 6] = [
    ("شناسه", "id"),
    ("کد", "code"),
    ("عنوان", "title"),
    ("وضعیت", "status"),
    ("دوره‌ها", "courses"),
    ("آرای موافق", "approvals"),
];

fn program_row(view: &mut View, lang: Lang, program: &pb::Program) {
    let details = program.details.clone().unwrap_or_default();
    let approvals = program
        .review
        .as_ref()
        .map(|review| {
            format!(
                "{}/{}",
                lang.number(review.approvals),
                lang.number(review.required_approvals)
            )
        })
        .unwrap_or_default();
    view.row(
        program.id.clone(),
        vec![
            program.id.clone(),
            details.code.clone(),
            lang.text(&details.title),
            enum_name(program.status().as_str_name(), "CATALOG_STATUS_"),
            lang.number(details.courses.len()),
            approvals,
        ],
    );
}

fn show_program<M: prost::Message>(
    context: &Context,
    message: &M,
    name: &str,
    program: Option<&pb::Program>,
) -> Outcome {
    let program = present(program, "program")?;
    let mut view = View::single(&PROGRAM_COLUMNS);
    program_row(&mut view, context.lang, program);
    emit(context.lang, context.output, message, name, view)
}

/// Runs a program verb.
pub async fn programs(context: &Context, command: ProgramCommand) -> Outcome {
    let mut client = context.catalog();
    match command {
        ProgramCommand::List { status, text } => {
            let mut all = pb::ListProgramsResponse::default();
            let mut page_token = String::new();
            loop {
                let page = client
                    .list_programs(context.request(pb::ListProgramsRequest {
                        page_size: 200,
                        page_token,
                        statuses: status.iter().map(|s| s.wire()).collect(),
                        text: text.clone().unwrap_or_default(),
                        ..Default::default()
                    }))
                    .await?
                    .into_inner();
                all.programs.extend(page.programs);
                if page.next_page_token.is_empty() {
                    break;
                }
                page_token = page.next_page_token;
            }
            let mut view = View::list(&PROGRAM_COLUMNS);
            for program in &all.programs {
                program_row(&mut view, context.lang, program);
            }
            emit(
                context.lang,
                context.output,
                &all,
                "hamafza.courses.v1.ListProgramsResponse",
                view,
            )
        }
        ProgramCommand::Show { program } => {
            let program_id = program_id(context, &program).await?;
            let response = client
                .get_program(context.request(pb::GetProgramRequest { program_id }))
                .await?
                .into_inner();
            show_program(
                context,
                &response,
                "hamafza.courses.v1.GetProgramResponse",
                response.program.as_ref(),
            )
        }
        ProgramCommand::Create { fields } => {
            let mut details = match &fields.from_file {
                Some(file) => from_file(file, "hamafza.courses.v1.ProgramDetails")?,
                None => pb::ProgramDetails::default(),
            };
            apply_program_fields(context, &mut details, &fields).await?;
            let response = client
                .create_program(context.request(pb::CreateProgramRequest {
                    details: Some(details),
                }))
                .await?
                .into_inner();
            show_program(
                context,
                &response,
                "hamafza.courses.v1.CreateProgramResponse",
                response.program.as_ref(),
            )
        }
        ProgramCommand::Update { program, fields } => {
            let program_id = program_id(context, &program).await?;
            let response = update_program(context, program_id, &fields).await?;
            show_program(
                context,
                &response,
                "hamafza.courses.v1.UpdateProgramResponse",
                response.program.as_ref(),
            )
        }
        ProgramCommand::Submit { program } => {
            let program_id = program_id(context, &program).await?;
            let response = client
                .submit_program(context.request(pb::SubmitProgramRequest { program_id }))
                .await?
                .into_inner();
            show_program(
                context,
                &response,
                "hamafza.courses.v1.SubmitProgramResponse",
                response.program.as_ref(),
            )
        }
        ProgramCommand::Review { program, vote } => {
            let program_id = program_id(context, &program).await?;
            let response = client
                .review_program(context.request(pb::ReviewProgramRequest {
                    program_id,
                    decision: vote.vote.wire() as i32,
                    comment: vote.comment.unwrap_or_default(),
                }))
                .await?
                .into_inner();
            show_program(
                context,
                &response,
                "hamafza.courses.v1.ReviewProgramResponse",
                response.program.as_ref(),
            )
        }
        ProgramCommand::Publish { program } => {
            let program_id = program_id(context, &program).await?;
            let response = client
                .publish_program(context.request(pb::PublishProgramRequest { program_id }))
                .await?
                .into_inner();
            show_program(
                context,
                &response,
                "hamafza.courses.v1.PublishProgramResponse",
                response.program.as_ref(),
            )
        }
        ProgramCommand::Retire { program } => {
            let program_id = program_id(context, &program).await?;
            let response = client
                .retire_program(context.request(pb::RetireProgramRequest { program_id }))
                .await?
                .into_inner();
            show_program(
                context,
                &response,
                "hamafza.courses.v1.RetireProgramResponse",
                response.program.as_ref(),
            )
        }
        ProgramCommand::Votes { program } => {
            let program_id = program_id(context, &program).await?;
            let response = client
                .list_program_votes(context.request(pb::ListProgramVotesRequest { program_id }))
                .await?
                .into_inner();
            let view = votes_view(context.lang, &response.votes);
            emit(
                context.lang,
                context.output,
                &response,
                "hamafza.courses.v1.ListProgramVotesResponse",
                view,
            )
        }
    }
}

/// Read, change what `fields` give, write back the whole details: the one
/// place that becomes an update with a field mask and an etag.
async fn update_program(
    context: &Context,
    program_id: String,
    fields: &ProgramFields,
) -> Outcome<pb::UpdateProgramResponse> {
    let mut client = context.catalog();
    let program = present(
        client
            .get_program(context.request(pb::GetProgramRequest {
                program_id: program_id.clone(),
            }))
            .await?
            .into_inner()
            .program,
        "program",
    )?;
    // From a file: every field replaced; from flags: only those changed.
    // Either way only if no one changed it since it was read (the etag).
    let stored = program.details.unwrap_or_default();
    let mut details = match &fields.from_file {
        Some(file) => from_file(file, "hamafza.courses.v1.ProgramDetails")?,
        None => stored.clone(),
    };
    apply_program_fields(context, &mut details, fields).await?;
    let update_mask = if fields.from_file.is_some() {
        None
    } else {
        Some(changed_fields(
            &stored,
            &details,
            "hamafza.courses.v1.ProgramDetails",
        )?)
    };
    Ok(client
        .update_program(context.request(pb::UpdateProgramRequest {
            program_id,
            details: Some(details),
            etag: program.etag,
            update_mask,
        }))
        .await?
        .into_inner())
}

// ----- the council -----

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
            format!(
                "{}/{}",
                lang.number(review.approvals),
                lang.number(review.required_approvals)
            ),
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
        super::Output::Json | super::Output::Yaml => {
            emit(
                lang,
                context.output,
                &courses,
                "hamafza.courses.v1.ListCoursesResponse",
                View::list(&columns),
            )?;
            if context.output == super::Output::Yaml {
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
