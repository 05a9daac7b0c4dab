//! The people directory: who belongs to which organization; list, show,
//! set one person, import many from CSV or Excel.

use std::path::PathBuf;

use clap::{Args, Subcommand};
use hamafza_kit::sheet;
use hamafza_proto::courses as pb;

use super::context::{Context, Failure, Outcome, every_page, present};
use super::input::set_text;
use super::output::{Lang, View, emit, enum_name};

/// People verbs.
#[derive(Debug, Subcommand)]
pub enum PersonCommand {
    /// List people (active ones unless --inactive).
    #[command(after_help = "Example:\n  hamafza admin people list --org msc --text احمدی")]
    List {
        /// Only this organization's.
        #[arg(long)]
        org: Option<String>,
        /// Only people whose subject, name, email or job title contains this.
        #[arg(long)]
        text: Option<String>,
        /// Also people who no longer work there.
        #[arg(long)]
        inactive: bool,
    },
    /// Show one person.
    #[command(after_help = "Example:\n  hamafza admin people show trainee-msc-1")]
    Show {
        /// The person's subject (the token's `sub`).
        subject: String,
    },
    /// Add a person, or change one (what is not given stays).
    #[command(
        after_help = "Examples:\n  hamafza admin people set trainee-msc-9 --name-fa \"نیما کریمی\" --name-en \"Nima Karimi\" --org msc \\\n    --email nima@msc.example --job-title \"کارشناس روابط عمومی\"\n  hamafza admin people set trainee-msc-9 --active false"
    )]
    Set {
        /// The person's subject (the token's `sub`).
        subject: String,
        #[command(flatten)]
        fields: PersonFields,
    },
    /// Add or change everyone in a CSV or Excel file, each row on its own;
    /// prints what became of each row (exit 1 when a row was refused).
    #[command(
        after_help = "Example:\n  hamafza admin people import staff.xlsx\n\nColumns (a header row, any order): subject, name_fa, name_en, organization_id,\nemail, job_title, active (true/false, default true); subject is required."
    )]
    Import {
        /// The file (.csv or .xlsx).
        file: PathBuf,
    },
}

/// A person's fields.
#[derive(Debug, Args)]
pub struct PersonFields {
    /// The Persian name.
    #[arg(long)]
    name_fa: Option<String>,
    /// The English name.
    #[arg(long)]
    name_en: Option<String>,
    /// The organization.
    #[arg(long)]
    org: Option<String>,
    /// The email address.
    #[arg(long)]
    email: Option<String>,
    /// The job title.
    #[arg(long)]
    job_title: Option<String>,
    /// Whether they still work there (true|false).
    #[arg(long, value_name = "BOOL")]
    active: Option<bool>,
}

const PERSON_COLUMNS: [(&str, &str); 7] = [
    ("شناسه", "subject"),
    ("نام", "name"),
    ("سازمان", "organization"),
    ("سمت", "job title"),
    ("رایانامه", "email"),
    ("فعال", "active"),
    ("آخرین ورود", "last sign-in"),
];

fn person_row(view: &mut View, lang: Lang, person: &pb::Person) {
    view.row(
        person.subject.clone(),
        vec![
            person.subject.clone(),
            lang.text(&person.name),
            person.organization_id.clone(),
            person.job_title.clone(),
            person.email.clone(),
            if person.active {
                lang.pick("بله", "yes").to_owned()
            } else {
                lang.pick("خیر", "no").to_owned()
            },
            lang.time(&person.last_sign_in_time),
        ],
    );
}

/// Runs a people verb.
pub async fn run(context: &Context, command: PersonCommand) -> Outcome {
    let mut client = context.people();
    match command {
        PersonCommand::List {
            org,
            text,
            inactive,
        } => {
            let people = every_page(async |page_token| {
                let page = client
                    .list_people(context.request(pb::ListPeopleRequest {
                        page_size: 200,
                        page_token,
                        organization_id: org.clone().unwrap_or_default(),
                        text: text.clone().unwrap_or_default(),
                        include_inactive: inactive,
                        ..Default::default()
                    }))
                    .await?
                    .into_inner();
                Ok((page.people, page.next_page_token))
            })
            .await?;
            let all = pb::ListPeopleResponse {
                people,
                ..Default::default()
            };
            let mut view = View::list(&PERSON_COLUMNS);
            for person in &all.people {
                person_row(&mut view, context.lang, person);
            }
            emit(
                context.lang,
                context.output,
                &all,
                "hamafza.courses.v1.ListPeopleResponse",
                view,
            )
        }
        PersonCommand::Show { subject } => {
            let response = client
                .get_person(context.request(pb::GetPersonRequest { subject }))
                .await?
                .into_inner();
            let person = present(response.person.as_ref(), "person")?;
            let mut view = View::single(&PERSON_COLUMNS);
            person_row(&mut view, context.lang, person);
            emit(
                context.lang,
                context.output,
                &response,
                "hamafza.courses.v1.GetPersonResponse",
                view,
            )
        }
        PersonCommand::Set { subject, fields } => {
            let response = set_person(context, subject, &fields).await?;
            if response.created {
                eprintln!("added to the directory");
            }
            let person = present(response.person.as_ref(), "person")?;
            let mut view = View::single(&PERSON_COLUMNS);
            person_row(&mut view, context.lang, person);
            emit(
                context.lang,
                context.output,
                &response,
                "hamafza.courses.v1.UpsertPersonResponse",
                view,
            )
        }
        PersonCommand::Import { file } => import(context, &file).await,
    }
}

/// Read (a person not yet there starts empty), change what `fields` give,
/// write back.
async fn set_person(
    context: &Context,
    subject: String,
    fields: &PersonFields,
) -> Outcome<pb::UpsertPersonResponse> {
    let mut client = context.people();
    let found = client
        .get_person(context.request(pb::GetPersonRequest {
            subject: subject.clone(),
        }))
        .await;
    let mut person = match found {
        Ok(response) => response.into_inner().person.unwrap_or_default(),
        Err(status) if status.code() == tonic::Code::NotFound => pb::Person {
            subject,
            active: true,
            ..Default::default()
        },
        Err(status) => return Err(status.into()),
    };
    set_text(&mut person.name, &fields.name_fa, &fields.name_en);
    if let Some(org) = &fields.org {
        person.organization_id.clone_from(org);
    }
    if let Some(email) = &fields.email {
        person.email.clone_from(email);
    }
    if let Some(title) = &fields.job_title {
        person.job_title.clone_from(title);
    }
    if let Some(active) = fields.active {
        person.active = active;
    }
    Ok(client
        .upsert_person(context.request(pb::UpsertPersonRequest {
            person: Some(person),
        }))
        .await?
        .into_inner())
}

/// The people of a CSV or .xlsx file, one a row.
fn read_people(file: &std::path::Path) -> Outcome<Vec<pb::Person>> {
    let bytes = std::fs::read(file)
        .map_err(|error| Failure::Usage(format!("cannot read {}: {error}", file.display())))?;
    let table = sheet::read(&bytes, sheet::Limits::default())
        .map_err(|error| Failure::Usage(format!("{}: {error}", file.display())))?;
    let known = [
        "subject",
        "name_fa",
        "name_en",
        "organization_id",
        "email",
        "job_title",
        "active",
    ];
    if let Some(unknown) = table
        .headers
        .iter()
        .find(|header| !known.contains(&header.trim().to_ascii_lowercase().as_str()))
    {
        return Err(Failure::Usage(format!(
            "{}: unknown column `{unknown}`; the columns are {}",
            file.display(),
            known.join(", ")
        )));
    }
    let Some(subject_at) = table.column("subject") else {
        return Err(Failure::Usage(format!(
            "{}: needs a column `subject`",
            file.display()
        )));
    };
    let cell = |row: &[String], name: &str| -> String {
        table
            .column(name)
            .and_then(|at| row.get(at))
            .cloned()
            .unwrap_or_default()
    };
    let mut people = Vec::new();
    for (at, row) in table.rows.iter().enumerate() {
        let active = match hamafza_kit::text::yes_or_no(&cell(row, "active")) {
            Some(active) => active,
            None => {
                let other = cell(row, "active");
                return Err(Failure::Usage(format!(
                    "{} row {}: active is `{other}`, not true or false",
                    file.display(),
                    at + 2
                )));
            }
        };
        people.push(pb::Person {
            subject: row.get(subject_at).cloned().unwrap_or_default(),
            name: Some(hamafza_proto::common::LocalizedText {
                fa: cell(row, "name_fa"),
                en: cell(row, "name_en"),
            }),
            organization_id: cell(row, "organization_id"),
            email: cell(row, "email"),
            job_title: cell(row, "job_title"),
            active,
            ..Default::default()
        });
    }
    Ok(people)
}

async fn import(context: &Context, file: &std::path::Path) -> Outcome {
    let people = read_people(file)?;
    let response = context
        .people()
        .import_people(context.request(pb::ImportPeopleRequest { people }))
        .await?
        .into_inner();
    let lang = context.lang;
    let mut view = View::list(&[
        ("ردیف", "row"),
        ("شناسه", "subject"),
        ("نتیجه", "outcome"),
        ("دلیل", "reason"),
        ("توضیح", "message"),
    ]);
    for result in &response.results {
        view.row(
            result.subject.clone(),
            vec![
                lang.number(result.row_number),
                result.subject.clone(),
                enum_name(result.outcome().as_str_name(), "IMPORT_OUTCOME_"),
                result.reason.clone(),
                if result.field.is_empty() {
                    result.message.clone()
                } else {
                    format!("{}: {}", result.field, result.message)
                },
            ],
        );
    }
    emit(
        lang,
        context.output,
        &response,
        "hamafza.courses.v1.ImportPeopleResponse",
        view,
    )?;
    let refused = response
        .results
        .iter()
        .filter(|result| result.outcome() == pb::ImportOutcome::Error)
        .count();
    if refused > 0 {
        return Err(Failure::Other(anyhow::anyhow!(
            "{refused} of {} rows were refused",
            response.results.len()
        )));
    }
    Ok(())
}
