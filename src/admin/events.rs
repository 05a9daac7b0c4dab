//! Events of the year: exhibitions, conferences, seminars, and which
//! organizations take part.

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use clap::{Args, Subcommand, ValueEnum};
use hamafza_proto::courses as pb;

use super::context::{Context, Outcome, every_page, present};
use super::input::{Edit, from_file, parse_instant, set_text, timestamp};
use super::output::{Lang, View, emit, enum_name};

/// Kinds of event.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Kind {
    /// An exhibition.
    Exhibition,
    /// A conference.
    Conference,
    /// A seminar.
    Seminar,
    /// Anything else.
    Other,
}

impl Kind {
    fn wire(self) -> pb::EventKind {
        match self {
            Self::Exhibition => pb::EventKind::Exhibition,
            Self::Conference => pb::EventKind::Conference,
            Self::Seminar => pb::EventKind::Seminar,
            Self::Other => pb::EventKind::Other,
        }
    }
}

/// Event verbs.
#[derive(Debug, Subcommand)]
pub enum EventCommand {
    /// List events.
    #[command(after_help = "Example:\n  hamafza admin events list --kind exhibition")]
    List {
        /// Only this kind.
        #[arg(long, value_enum)]
        kind: Option<Kind>,
        /// Only events this organization organizes or takes part in.
        #[arg(long)]
        org: Option<String>,
        /// Only titles containing this.
        #[arg(long)]
        text: Option<String>,
    },
    /// Show one event.
    #[command(after_help = "Example:\n  hamafza admin events show 0193…")]
    Show {
        /// The event id.
        event: String,
    },
    /// Add an event.
    #[command(
        after_help = "Example:\n  hamafza admin events create --kind exhibition --title-fa \"نمایشگاه معدن\" --title-en \"Mining Expo\" \\\n    --start \"1405/11/10 09:00\" --end \"1405/11/13 18:00\" --place-fa \"تهران\" --place-en \"Tehran\" --organizer imidro"
    )]
    Create {
        #[command(flatten)]
        fields: EventFields,
    },
    /// Change an event (what is not given stays).
    #[command(
        after_help = "Example:\n  hamafza admin events update 0193… --end \"1405/11/14 18:00\""
    )]
    Update {
        /// The event id.
        event: String,
        #[command(flatten)]
        fields: EventFields,
    },
    /// Delete an event.
    #[command(after_help = "Example:\n  hamafza admin events delete 0193…")]
    Delete {
        /// The event id.
        event: String,
    },
    /// Which organizations take part.
    #[command(subcommand)]
    Participation(ParticipationCommand),
}

/// Participation verbs.
#[derive(Debug, Subcommand)]
pub enum ParticipationCommand {
    /// Say whether an organization takes part.
    #[command(
        after_help = "Examples:\n  hamafza admin events participation set 0193… --org msc\n  hamafza admin events participation set 0193… --org msc --no"
    )]
    Set {
        /// The event id.
        event: String,
        /// The organization.
        #[arg(long)]
        org: String,
        /// It does not take part (after all).
        #[arg(long)]
        no: bool,
    },
    /// The organizations taking part.
    #[command(after_help = "Example:\n  hamafza admin events participation list 0193…")]
    List {
        /// The event id.
        event: String,
    },
}

/// An event's fields.
#[derive(Debug, Args)]
pub struct EventFields {
    /// An EventDetails in protobuf JSON or YAML; the flags given change it.
    #[arg(long, value_name = "FILE")]
    from_file: Option<PathBuf>,
    /// The kind.
    #[arg(long, value_enum)]
    kind: Option<Kind>,
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
    /// When it starts.
    #[arg(long, value_parser = parse_instant)]
    start: Option<DateTime<Utc>>,
    /// When it ends.
    #[arg(long, value_parser = parse_instant)]
    end: Option<DateTime<Utc>>,
    /// Where, in Persian.
    #[arg(long)]
    place_fa: Option<String>,
    /// Where, in English.
    #[arg(long)]
    place_en: Option<String>,
    /// The organizing organization.
    #[arg(long)]
    organizer: Option<String>,
    /// A participating organization; repeat; replaces the list.
    #[arg(long = "participant", value_name = "ORG")]
    participants: Vec<String>,
    /// Its web page.
    #[arg(long)]
    url: Option<String>,
}

fn apply_event_fields(details: &mut pb::EventDetails, fields: &EventFields) {
    if let Some(kind) = fields.kind {
        details.set_kind(kind.wire());
    }
    set_text(&mut details.title, &fields.title_fa, &fields.title_en);
    set_text(
        &mut details.description,
        &fields.description_fa,
        &fields.description_en,
    );
    if let Some(start) = fields.start {
        details.start_time = Some(timestamp(start));
    }
    if let Some(end) = fields.end {
        details.end_time = Some(timestamp(end));
    }
    set_text(&mut details.place, &fields.place_fa, &fields.place_en);
    if let Some(organizer) = &fields.organizer {
        details.organizer_organization_id.clone_from(organizer);
    }
    if !fields.participants.is_empty() {
        details.participating_organization_ids = fields.participants.clone();
    }
    if let Some(url) = &fields.url {
        details.url.clone_from(url);
    }
}

const EVENT_COLUMNS: [(&str, &str); 8] = [
    ("شناسه", "id"),
    ("نوع", "kind"),
    ("عنوان", "title"),
    ("شروع", "start"),
    ("پایان", "end"),
    ("مکان", "place"),
    ("برگزارکننده", "organizer"),
    ("شرکت‌کنندگان", "participants"),
];

fn event_row(view: &mut View, lang: Lang, event: &pb::Event) {
    let details = event.details.clone().unwrap_or_default();
    view.row(
        event.id.clone(),
        vec![
            event.id.clone(),
            enum_name(details.kind().as_str_name(), "EVENT_KIND_"),
            lang.text(&details.title),
            lang.time(&details.start_time),
            lang.time(&details.end_time),
            lang.text(&details.place),
            details.organizer_organization_id.clone(),
            details.participating_organization_ids.join(" "),
        ],
    );
}

fn show_event<M: prost::Message>(
    context: &Context,
    message: &M,
    name: &str,
    event: Option<&pb::Event>,
) -> Outcome {
    let event = present(event, "event")?;
    let mut view = View::single(&EVENT_COLUMNS);
    event_row(&mut view, context.lang, event);
    let name = format!("hamafza.courses.v1.{name}");
    emit(context.lang, context.output, message, &name, view)
}

/// Runs an event verb.
pub async fn run(context: &Context, command: EventCommand) -> Outcome {
    let mut client = context.events();
    match command {
        EventCommand::List { kind, org, text } => {
            let events = every_page(async |page_token| {
                let page = client
                    .list_events(context.request(pb::ListEventsRequest {
                        page_size: 200,
                        page_token,
                        kind: kind.map_or(0, |kind| kind.wire() as i32),
                        organization_id: org.clone().unwrap_or_default(),
                        text: text.clone().unwrap_or_default(),
                        ..Default::default()
                    }))
                    .await?
                    .into_inner();
                Ok((page.events, page.next_page_token))
            })
            .await?;
            let all = pb::ListEventsResponse {
                events,
                ..Default::default()
            };
            let mut view = View::list(&EVENT_COLUMNS);
            for event in &all.events {
                event_row(&mut view, context.lang, event);
            }
            emit(
                context.lang,
                context.output,
                &all,
                "hamafza.courses.v1.ListEventsResponse",
                view,
            )
        }
        EventCommand::Show { event } => {
            let response = client
                .get_event(context.request(pb::GetEventRequest { event_id: event }))
                .await?
                .into_inner();
            show_event(
                context,
                &response,
                "GetEventResponse",
                response.event.as_ref(),
            )
        }
        EventCommand::Create { fields } => {
            let mut details = match &fields.from_file {
                Some(file) => from_file(file, "hamafza.courses.v1.EventDetails")?,
                None => pb::EventDetails::default(),
            };
            apply_event_fields(&mut details, &fields);
            let request = context.request(pb::CreateEventRequest {
                details: Some(details),
                request_id: context.request_id(),
            });
            let response = client.create_event(request).await?.into_inner();
            show_event(
                context,
                &response,
                "CreateEventResponse",
                response.event.as_ref(),
            )
        }
        EventCommand::Update { event, fields } => {
            let response = update_event(context, event, &fields).await?;
            show_event(
                context,
                &response,
                "UpdateEventResponse",
                response.event.as_ref(),
            )
        }
        EventCommand::Delete { event } => {
            client
                .delete_event(context.request(pb::DeleteEventRequest {
                    event_id: event.clone(),
                }))
                .await?;
            eprintln!("deleted event {event}");
            Ok(())
        }
        EventCommand::Participation(ParticipationCommand::Set { event, org, no }) => {
            let request = context.request(pb::SetEventParticipationRequest {
                event_id: event,
                organization_id: org,
                participating: !no,
            });
            let response = client.set_event_participation(request).await?.into_inner();
            show_event(
                context,
                &response,
                "SetEventParticipationResponse",
                response.event.as_ref(),
            )
        }
        EventCommand::Participation(ParticipationCommand::List { event }) => {
            let response = client
                .get_event(context.request(pb::GetEventRequest { event_id: event }))
                .await?
                .into_inner();
            let details = present(response.event.as_ref(), "event")?
                .details
                .clone()
                .unwrap_or_default();
            let mut view = View::list(&[("سازمان", "organization")]);
            for org in &details.participating_organization_ids {
                view.row(org.clone(), vec![org.clone()]);
            }
            emit(
                context.lang,
                context.output,
                &response,
                "hamafza.courses.v1.GetEventResponse",
                view,
            )
        }
    }
}

/// Read, change what `fields` give, write back the whole details with the
/// etag read (see [`Edit`]).
async fn update_event(
    context: &Context,
    event_id: String,
    fields: &EventFields,
) -> Outcome<pb::UpdateEventResponse> {
    let mut client = context.events();
    let event = present(
        client
            .get_event(context.request(pb::GetEventRequest {
                event_id: event_id.clone(),
            }))
            .await?
            .into_inner()
            .event,
        "event",
    )?;
    let file = fields.from_file.as_deref();
    let mut edit = Edit::begin(event.details, file, "hamafza.courses.v1.EventDetails")?;
    apply_event_fields(&mut edit.details, fields);
    let (details, update_mask) = edit.finish()?;
    Ok(client
        .update_event(context.request(pb::UpdateEventRequest {
            event_id,
            details: Some(details),
            etag: event.etag,
            update_mask,
        }))
        .await?
        .into_inner())
}
