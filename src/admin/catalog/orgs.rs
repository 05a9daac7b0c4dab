//! `hamafza admin orgs`: the holding and its companies.

use clap::{Args, Subcommand, ValueEnum};
use hamafza_proto::courses as pb;

use super::{Row, list, show};
use crate::admin::context::{Context, Outcome, every_page, present};
use crate::admin::input::{Edit, set_text};
use crate::admin::output::{Lang, enum_name};

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

impl Row for pb::Organization {
    const WHAT: &'static str = "organization";
    const COLUMNS: &'static [(&'static str, &'static str)] = &[
        ("شناسه", "id"),
        ("نام", "name"),
        ("نوع", "kind"),
        ("مادر", "parent"),
    ];

    fn cells(&self, lang: Lang) -> (String, Vec<String>) {
        let cells = vec![
            self.id.clone(),
            lang.text(&self.name),
            enum_name(self.kind().as_str_name(), "ORGANIZATION_KIND_"),
            self.parent_organization_id.clone(),
        ];
        (self.id.clone(), cells)
    }
}

/// Runs an organization verb.
pub async fn orgs(context: &Context, command: OrgCommand) -> Outcome {
    let mut client = context.organizations();
    match command {
        OrgCommand::List { kind, text } => {
            let organizations = every_page(async |page_token| {
                let request = pb::ListOrganizationsRequest {
                    page_size: 200,
                    page_token,
                    kind: kind.map_or(0, |kind| kind.wire() as i32),
                    text: text.clone().unwrap_or_default(),
                };
                let page = client
                    .list_organizations(context.request(request))
                    .await?
                    .into_inner();
                Ok((page.organizations, page.next_page_token))
            })
            .await?;
            let all = pb::ListOrganizationsResponse {
                organizations,
                ..Default::default()
            };
            list(
                context,
                &all,
                &all.organizations,
                "ListOrganizationsResponse",
            )
        }
        OrgCommand::Show { id } => {
            let request = pb::GetOrganizationRequest {
                organization_id: id,
            };
            let response = client
                .get_organization(context.request(request))
                .await?
                .into_inner();
            let org = response.organization.as_ref();
            show(context, &response, org, "GetOrganizationResponse")
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
            let org = response.organization.as_ref();
            show(context, &response, org, "CreateOrganizationResponse")
        }
        OrgCommand::Update { id, fields } => {
            let response = update_organization(context, id, &fields).await?;
            let org = response.organization.as_ref();
            show(context, &response, org, "UpdateOrganizationResponse")
        }
    }
}

/// Read, change what `fields` give, write back with the fields changed as
/// the mask and the etag read.
async fn update_organization(
    context: &Context,
    organization_id: String,
    fields: &OrgFields,
) -> Outcome<pb::UpdateOrganizationResponse> {
    let mut client = context.organizations();
    let request = context.request(pb::GetOrganizationRequest { organization_id });
    let response = client.get_organization(request).await?.into_inner();
    let org = present(response.organization, "organization")?;
    let stored = pb::UpdateOrganizationRequest {
        organization_id: org.id,
        name: org.name,
        kind: org.kind,
        parent_organization_id: org.parent_organization_id,
        etag: org.etag,
        update_mask: None,
    };
    let name = "hamafza.courses.v1.UpdateOrganizationRequest";
    let mut edit = Edit::begin(Some(stored), None, name)?;
    set_text(&mut edit.details.name, &fields.name_fa, &fields.name_en);
    if let Some(kind) = fields.kind {
        edit.details.set_kind(kind.wire());
    }
    if let Some(parent) = &fields.parent {
        edit.details.parent_organization_id.clone_from(parent);
    }
    let (mut request, update_mask) = edit.finish()?;
    request.update_mask = update_mask;
    Ok(client
        .update_organization(context.request(request))
        .await?
        .into_inner())
}
