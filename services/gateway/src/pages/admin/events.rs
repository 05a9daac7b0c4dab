//! Events in the back office (exhibitions, conferences, seminars): the list,
//! creating one, and editing one conditional on the etag read.

use crate::web::Query;
use axum::extract::State;
use hamafza_kit::ApiError;
use maud::{Markup, html};

use super::editor::{Creator, Editor, NoQuery, Refused, Values, mask};
use super::{
    Done, EditForm, Problems, Showing, admin, bilingual, field, field_key, frame, jalali_parts,
    list_page, parse_jalali,
};
use crate::AppState;
use crate::backends::AsCaller;
use crate::i18n::{Lang, instant};
use crate::pages::forms::first;
use crate::pages::lookup::{every_page, organizations_listed};
use crate::sessions::WebSession;
use crate::web::{PageError, PageReply, Viewer};
use hamafza_proto::common::LocalizedText;
use hamafza_proto::courses as cpb;
use tonic::Status;

const KINDS: [(cpb::EventKind, &str, &str, &str); 4] = [
    (
        cpb::EventKind::Exhibition,
        "exhibition",
        "نمایشگاه",
        "Exhibition",
    ),
    (
        cpb::EventKind::Conference,
        "conference",
        "همایش",
        "Conference",
    ),
    (cpb::EventKind::Seminar, "seminar", "سمینار", "Seminar"),
    (cpb::EventKind::Other, "other", "دیگر", "Other"),
];

/// An event as the form holds it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventForm {
    kind: String,
    title: (String, String),
    description: (String, String),
    start: (String, String),
    end: (String, String),
    place: (String, String),
    organizer: String,
    participants: Vec<String>,
    /// A new event's client request id: the same through a refused post
    /// and its corrected one, so that a double click adds one.
    request_id: String,
    url: String,
}

/// Mask paths with their labels.
const FIELDS: [(&str, (&str, &str)); 9] = [
    ("kind", ("نوع", "Kind")),
    ("title", ("عنوان", "Title")),
    ("description", ("توضیح", "Description")),
    ("start_time", ("شروع", "Starts")),
    ("end_time", ("پایان", "Ends")),
    ("place", ("مکان", "Place")),
    ("organizer_organization_id", ("برگزارکننده", "Organizer")),
    (
        "participating_organization_ids",
        ("شرکت‌کنندگان", "Participants"),
    ),
    ("url", ("پیوند", "Link")),
];

impl EventForm {
    fn value(&self, path: &str) -> String {
        let d = |s: &str| hamafza_kit::jalali::latin_digits(s);
        match path {
            "kind" => self.kind.clone(),
            "title" => format!("{:?}", self.title),
            "description" => format!("{:?}", self.description),
            "start_time" => format!("{} {}", d(&self.start.0), d(&self.start.1)),
            "end_time" => format!("{} {}", d(&self.end.0), d(&self.end.1)),
            "place" => format!("{:?}", self.place),
            "organizer_organization_id" => self.organizer.clone(),
            "participating_organization_ids" => {
                let mut p = self.participants.clone();
                p.sort();
                p.join(",")
            }
            "url" => self.url.clone(),
            _ => String::new(),
        }
    }

    fn details(&self, lang: Lang) -> Result<cpb::EventDetails, Problems> {
        let mut problems = Problems::default();
        let mut when = |name: &str, (date, time): &(String, String)| {
            let parsed = parse_jalali(date, time);
            if parsed.is_none() {
                problems.add(
                    name,
                    lang.pick(
                        "تاریخ را به‌صورت ۱۴۰۵/۰۹/۲۰ و ساعت را به‌صورت ۰۹:۳۰ بنویسید.",
                        "Write the date as 1405/09/20 and the time as 09:30.",
                    ),
                );
            }
            parsed.map(hamafza_kit::time::to_timestamp)
        };
        let start = when("start.date", &self.start);
        let end = when("end.date", &self.end);
        if !problems.is_empty() {
            return Err(problems);
        }
        let text = |(fa, en): &(String, String)| {
            Some(LocalizedText {
                fa: fa.clone(),
                en: en.clone(),
            })
        };
        Ok(cpb::EventDetails {
            kind: KINDS
                .iter()
                .find(|k| k.1 == self.kind)
                .map_or(cpb::EventKind::Unspecified, |k| k.0)
                .into(),
            title: text(&self.title),
            description: text(&self.description),
            start_time: start,
            end_time: end,
            place: text(&self.place),
            organizer_organization_id: self.organizer.clone(),
            participating_organization_ids: self.participants.clone(),
            url: self.url.clone(),
        })
    }
}

impl EditForm for EventForm {
    type Item = cpb::Event;

    fn stored(lang: Lang, event: &cpb::Event) -> Self {
        let d = event.details.clone().unwrap_or_default();
        let pair = |t: Option<LocalizedText>| {
            let t = t.unwrap_or_default();
            (t.fa, t.en)
        };
        let when = |t: Option<&prost_types::Timestamp>| {
            instant(t).map_or_else(Default::default, |i| jalali_parts(lang, i))
        };
        Self {
            kind: KINDS
                .iter()
                .find(|k| k.0 == d.kind())
                .map_or("", |k| k.1)
                .to_owned(),
            title: pair(d.title.clone()),
            description: pair(d.description.clone()),
            start: when(d.start_time.as_ref()),
            end: when(d.end_time.as_ref()),
            place: pair(d.place.clone()),
            organizer: d.organizer_organization_id.clone(),
            participants: d.participating_organization_ids.clone(),
            url: d.url.clone(),
            request_id: String::new(),
        }
    }

    fn posted(values: &Values) -> Self {
        let get = |k: &str| first(values, k).trim().to_owned();
        Self {
            kind: get("kind"),
            title: (get("details.title.fa"), get("details.title.en")),
            description: (
                first(values, "details.description.fa").replace('\r', ""),
                first(values, "details.description.en").replace('\r', ""),
            ),
            start: (get("start.date"), get("start.time")),
            end: (get("end.date"), get("end.time")),
            place: (get("details.place.fa"), get("details.place.en")),
            organizer: get("organizer"),
            participants: values.get("participant").cloned().unwrap_or_default(),
            url: get("details.url"),
            request_id: get("request_id"),
        }
    }

    fn differing(&self, posted: &Self, lang: Lang) -> Vec<&'static str> {
        FIELDS
            .iter()
            .filter(|(path, _)| self.value(path) != posted.value(path))
            .map(|(_, label)| lang.pick(label.0, label.1))
            .collect()
    }
}

fn input_of(path: &str) -> Option<String> {
    let key = field_key(path);
    Some(match key.as_str() {
        "kind" => "kind".to_owned(),
        "title" | "title.fa" => "details.title.fa".to_owned(),
        "title.en" => "details.title.en".to_owned(),
        "description.fa" => "details.description.fa".to_owned(),
        "description.en" => "details.description.en".to_owned(),
        "start_time" => "start.date".to_owned(),
        "end_time" => "end.date".to_owned(),
        "place" | "place.fa" => "details.place.fa".to_owned(),
        "place.en" => "details.place.en".to_owned(),
        "organizer_organization_id" => "organizer".to_owned(),
        "url" => "details.url".to_owned(),
        _ => return None,
    })
}

fn when_inputs(
    lang: Lang,
    prefix: &str,
    label: (&str, &str),
    value: &(String, String),
    problems: &Problems,
) -> Markup {
    let date = format!("{prefix}.date");
    field(
        lang,
        &date,
        label,
        problems,
        html! {
            span.datetime {
                input type="text" id=(date) name=(date) value=(value.0) size="11" inputmode="numeric"
                    placeholder=(lang.pick("۱۴۰۵/۰۹/۲۰", "1405/09/20"));
                " "
                input type="text" name={ (prefix) ".time" } value=(value.1) size="6" inputmode="numeric"
                    aria-label=(lang.pick("ساعت", "Time")) placeholder=(lang.pick("۰۹:۰۰", "09:00"));
            }
        },
    )
}

fn form_body(
    lang: Lang,
    csrf: &str,
    event: Option<&cpb::Event>,
    values: &EventForm,
    problems: &Problems,
    organizations: &[cpb::Organization],
) -> Markup {
    let action = match event {
        Some(e) => format!("/admin/events/{}", e.id),
        None => "/admin/events/new".to_owned(),
    };
    html! {
        (problems.summary(lang))
        form.admin method="post" action=(action) novalidate {
            input type="hidden" name="csrf" value=(csrf);
            @if let Some(event) = event {
                input type="hidden" name="etag" value=(event.etag);
            } @else {
                input type="hidden" name="request_id" value=(values.request_id);
            }
            (field(lang, "kind", ("نوع", "Kind"), problems, html! {
                select id="kind" name="kind" {
                    option value="" { "—" }
                    @for (_, value, fa, en) in KINDS {
                        option value=(value) selected[values.kind == value] { (lang.pick(fa, en)) }
                    }
                }
            }))
            (bilingual(lang, "details.title", ("عنوان", "Title"),
                (&values.title.0, &values.title.1), problems, false))
            (bilingual(lang, "details.description", ("توضیح", "Description"),
                (&values.description.0, &values.description.1), problems, true))
            div.grid {
                (when_inputs(lang, "start", ("شروع (وقت تهران)", "Starts (Tehran time)"), &values.start, problems))
                (when_inputs(lang, "end", ("پایان", "Ends"), &values.end, problems))
            }
            (bilingual(lang, "details.place", ("مکان", "Place"),
                (&values.place.0, &values.place.1), problems, false))
            div.grid {
                (field(lang, "organizer", ("برگزارکننده", "Organizer"), problems, html! {
                    select id="organizer" name="organizer" {
                        option value="" { "—" }
                        @for org in organizations {
                            option value=(org.id) selected[values.organizer == org.id] {
                                (lang.text(org.name.as_ref()))
                            }
                        }
                    }
                }))
                (field(lang, "details.url", ("پیوند", "Link"), problems, html! {
                    input type="url" dir="ltr" id="details.url" name="details.url" value=(values.url);
                }))
            }
            fieldset {
                legend { (lang.pick("شرکت‌های شرکت‌کننده", "Participating companies")) }
                @for org in organizations {
                    label.choice {
                        input type="checkbox" name="participant" value=(org.id)
                            checked[values.participants.contains(&org.id)];
                        " " (lang.text(org.name.as_ref()))
                    }
                }
            }
            button type="submit" {
                @if event.is_some() { (lang.pick("ذخیره", "Save")) }
                @else { (lang.pick("ایجاد رویداد", "Create the event")) }
            }
        }
    }
}

/// `GET /admin/events`.
pub async fn list(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(done): Query<Done>,
) -> Result<Markup, PageError> {
    let lang = viewer.lang;
    let web = admin(&viewer)?;
    let caller = &state.backends.as_caller(&web.token);
    let events = every_page(|page_token| {
        let request = cpb::ListEventsRequest {
            page_size: 200,
            page_token,
            ..Default::default()
        };
        async move {
            let reply = caller.events().list_events(request).await?.into_inner();
            Ok((reply.events, reply.next_page_token))
        }
    })
    .await
    .map_err(|s| PageError::status(lang, s))?;
    Ok(list_page(
        &viewer,
        lang.pick("رویدادها", "Events"),
        "/admin/events",
        &done.done,
        lang.pick("رویداد تازه", "New event"),
        &[("عنوان", "Title"), ("نوع", "Kind"), ("شروع", "Starts")],
        html! {
            @for event in &events {
                @let d = event.details.clone().unwrap_or_default();
                tr {
                    td { a href={ "/admin/events/" (event.id) } { (lang.text(d.title.as_ref())) } }
                    td { (KINDS.iter().find(|k| k.0 == d.kind()).map_or("—", |k| lang.pick(k.2, k.3))) }
                    td { @if let Some(start) = instant(d.start_time.as_ref()) { (lang.date_time(start)) } }
                }
            }
        },
    ))
}

/// Events, made at `/admin/events/new` and edited at `/admin/events/{id}`.
pub struct Events;

impl Editor for Events {
    type Item = cpb::Event;
    type Form = EventForm;
    type Choices = Vec<cpb::Organization>;

    const BASE: &'static str = "/admin/events";

    async fn get(caller: &AsCaller, lang: Lang, id: &str) -> Result<cpb::Event, PageError> {
        caller
            .events()
            .get_event(cpb::GetEventRequest {
                event_id: id.to_owned(),
            })
            .await
            .page(lang)
            .map(|r| r.event.unwrap_or_default())
    }

    async fn choices(
        caller: &AsCaller,
        _: Option<&cpb::Event>,
    ) -> Result<Vec<cpb::Organization>, Status> {
        organizations_listed(caller).await
    }

    async fn update(
        caller: &AsCaller,
        lang: Lang,
        id: &str,
        etag: String,
        form: &EventForm,
    ) -> Result<(), Refused> {
        let details = form.details(lang).map_err(Refused::Form)?;
        caller
            .events()
            .update_event(cpb::UpdateEventRequest {
                event_id: id.to_owned(),
                details: Some(details),
                etag,
                update_mask: mask(FIELDS.map(|(path, _)| path)),
            })
            .await?;
        Ok(())
    }

    fn problems(lang: Lang, error: &ApiError, _: &EventForm) -> Problems {
        Problems::from_error(lang, error, input_of)
    }

    async fn edit_page(
        _: &AppState,
        viewer: &Viewer,
        web: &WebSession,
        event: &cpb::Event,
        shown: Showing<'_, EventForm>,
        organizations: &Vec<cpb::Organization>,
    ) -> Markup {
        let lang = viewer.lang;
        let d = event.details.clone().unwrap_or_default();
        frame(
            viewer,
            lang.text(d.title.as_ref()),
            Self::BASE,
            html! {
                (shown.notice)
                (form_body(lang, &web.csrf, Some(event), shown.values, &shown.problems, organizations))
            },
        )
    }
}

impl Creator for Events {
    type NewQuery = NoQuery;

    fn blank(_: Lang, _: NoQuery) -> EventForm {
        EventForm {
            request_id: super::new_request_id(),
            ..EventForm::default()
        }
    }

    async fn create(caller: &AsCaller, lang: Lang, form: &EventForm) -> Result<String, Refused> {
        let details = form.details(lang).map_err(Refused::Form)?;
        let created = caller
            .events()
            .create_event(cpb::CreateEventRequest {
                details: Some(details),
                request_id: form.request_id.clone(),
            })
            .await?;
        Ok(created.into_inner().event.unwrap_or_default().id)
    }

    fn new_page(
        viewer: &Viewer,
        csrf: &str,
        shown: Showing<'_, EventForm>,
        organizations: &Vec<cpb::Organization>,
    ) -> Markup {
        let lang = viewer.lang;
        frame(
            viewer,
            lang.pick("رویداد تازه", "New event"),
            Self::BASE,
            form_body(
                lang,
                csrf,
                None,
                shown.values,
                &shown.problems,
                organizations,
            ),
        )
    }
}
