//! Publishing: turns an event into one notification per recipient and kind,
//! with its email (and calendar invitation) written once, here. Enrolment
//! events come from enrolments, session events from courses; recipients,
//! names, addresses and schedules are read from their owners' contracts.
//!
//! Here: checking the events of a call and reading what they name once for
//! them all; [`drafts`]: who hears of each and what they are told.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use hamafza_kit::auth::{Caller, Role};
use hamafza_kit::error::parse_id;
use hamafza_kit::ids::SessionId;
use hamafza_kit::peers::CoursesClient;
use hamafza_kit::{ApiError, Violations, time};
use hamafza_proto::courses::{Person, SessionDetails};
use hamafza_proto::notifications as pb;
use hamafza_proto::notifications::NotificationKind;
use uuid::Uuid;

use crate::api::NotificationsApi;
use crate::kind::{Audience, Language};
use crate::store::Store;

mod drafts;

pub(crate) use drafts::{instructor_of, with_schedule};

/// Longest reason kept, in characters.
const REASON_CHARS: usize = 500;
/// Most seat holders read for one session event (pages of 200).
const HOLDER_PAGES: usize = 25;
/// Most events one PublishEvents may hold.
const MAX_EVENTS: usize = 100;
/// Events of one call recorded at once.
const RECORDING_AT_ONCE: usize = 8;

/// One recipient of an event, and the key that makes theirs once.
pub(crate) struct Recipient {
    pub(crate) subject: String,
    pub(crate) audience: Audience,
    pub(crate) dedupe_key: String,
}

/// What every notification of one event shares.
pub(crate) struct Occasion {
    pub(crate) event_id: Uuid,
    pub(crate) kind: NotificationKind,
    pub(crate) occurred: DateTime<Utc>,
    pub(crate) session_id: Uuid,
}

/// What the events of one call have read of their recipients: the
/// directory's records, asked of courses at most once each (those a listing
/// already returned not at all), and the languages they chose.
#[derive(Default)]
pub(crate) struct People {
    known: HashMap<String, Option<Person>>,
    languages: HashMap<String, Language>,
}

impl People {
    /// Remembers `person` as the directory listed them.
    pub(crate) fn learn(&mut self, person: Person) {
        self.known.insert(person.subject.clone(), Some(person));
    }

    /// The directory's records of `subjects`, read in one listing (those
    /// it does not know are remembered as unknown), and the languages they
    /// chose, in one read of `store`.
    pub(crate) async fn read(
        &mut self,
        courses: &CoursesClient,
        store: &Store,
        subjects: Vec<String>,
    ) -> Result<(), ApiError> {
        let unread: Vec<String> = subjects
            .into_iter()
            .filter(|subject| !self.known.contains_key(subject))
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        if unread.is_empty() {
            return Ok(());
        }
        let chosen = store
            .languages(&unread)
            .await
            .map_err(hamafza_kit::db::api_error)?;
        for subject in &unread {
            let language = chosen.get(subject).and_then(|code| Language::parse(code));
            self.languages
                .insert(subject.clone(), language.unwrap_or_default());
        }
        let listed = courses.people_by_subject(&unread).await?;
        // A courses older than the listing by subject lists everyone: then
        // those not listed are asked of it one by one, later.
        let filtered = listed.len() <= unread.len()
            && listed
                .iter()
                .all(|person| unread.binary_search(&person.subject).is_ok());
        for person in listed {
            self.learn(person);
        }
        if filtered {
            for subject in unread {
                self.known.entry(subject).or_insert(None);
            }
        }
        Ok(())
    }

    /// The directory's record of `subject` (`None`: it does not know them).
    pub(crate) async fn get(
        &mut self,
        courses: &CoursesClient,
        subject: &str,
    ) -> Result<Option<Person>, ApiError> {
        if let Some(known) = self.known.get(subject) {
            return Ok(known.clone());
        }
        let person = courses.person(subject).await?;
        self.known.insert(subject.to_owned(), person.clone());
        Ok(person)
    }

    /// The language `subject` chose; Persian when none.
    pub(crate) async fn language(
        &mut self,
        api: &NotificationsApi,
        subject: &str,
    ) -> Result<Language, ApiError> {
        if let Some(language) = self.languages.get(subject) {
            return Ok(*language);
        }
        let language = api.language_of(subject).await?;
        self.languages.insert(subject.to_owned(), language);
        Ok(language)
    }
}

/// An event Publish has checked.
pub(crate) struct Checked {
    occasion: Occasion,
    event: pb::publish_request::Event,
}

/// Checks one event as Publish takes it.
fn check(request: pb::PublishRequest) -> Result<Checked, ApiError> {
    let mut v = Violations::new();
    let event_id = parse_id(&mut v, "event_id", &request.event_id);
    let kind = NotificationKind::try_from(request.kind).unwrap_or_default();
    if kind == NotificationKind::Unspecified {
        v.add("kind", "must be a known kind of notification");
    }
    let occurred = request
        .occur_time
        .as_ref()
        .and_then(time::from_timestamp)
        .unwrap_or_else(time::now);
    let session_id = match &request.event {
        Some(pb::publish_request::Event::Enrolment(event)) => {
            if event.trainee_subject.trim().is_empty() {
                v.add("enrolment.trainee_subject", "is required");
            }
            if event.reason.chars().count() > REASON_CHARS {
                v.add("enrolment.reason", "must be at most 500 characters");
            }
            parse_id(&mut v, "enrolment.session_id", &event.session_id)
        }
        Some(pb::publish_request::Event::Session(event)) => {
            if !matches!(
                kind,
                NotificationKind::SessionChanged | NotificationKind::Cancelled
            ) {
                v.add("kind", "a session event is SESSION_CHANGED or CANCELLED");
            }
            if event.reason.chars().count() > REASON_CHARS {
                v.add("session.reason", "must be at most 500 characters");
            }
            parse_id(&mut v, "session.session_id", &event.session_id)
        }
        // No session: the nil id (no invitation goes with it).
        Some(pb::publish_request::Event::Catalog(event)) => {
            if kind != NotificationKind::CouncilReview {
                v.add("kind", "a catalog event is COUNCIL_REVIEW");
            }
            parse_id(&mut v, "catalog.id", &event.id).map(|_| Uuid::nil())
        }
        None => {
            v.add("enrolment", "the event is required");
            None
        }
    };
    v.finish()?;
    let (Some(event_id), Some(session_id), Some(event)) = (event_id, session_id, request.event)
    else {
        return Err(ApiError::invalid_field("event_id", "is required"));
    };
    Ok(Checked {
        occasion: Occasion {
            event_id,
            kind,
            occurred,
            session_id,
        },
        event,
    })
}

/// What the events of one call read of their owners: the sessions' plans
/// (`None`: gone) and the people.
struct Reads {
    schedules: HashMap<Uuid, SessionDetails>,
    people: People,
}

impl NotificationsApi {
    /// `Publish`: checks the event and records its notifications.
    pub(crate) async fn publish(
        &self,
        caller: &Caller,
        request: pb::PublishRequest,
    ) -> Result<pb::PublishResponse, ApiError> {
        caller.require_any(&[Role::Service])?;
        let checked = check(request)?;
        let count = self
            .record_events(vec![checked])
            .await?
            .pop()
            .unwrap_or_else(|| Err(no_outcome()))?;
        Ok(pb::PublishResponse {
            notification_count: u32::try_from(count).unwrap_or(u32::MAX),
        })
    }

    /// `PublishEvents`: checks and records each event as `Publish` would,
    /// reading the sessions and people they name once for them all.
    pub(crate) async fn publish_events(
        &self,
        caller: &Caller,
        request: pb::PublishEventsRequest,
    ) -> Result<pb::PublishEventsResponse, ApiError> {
        caller.require_any(&[Role::Service])?;
        if request.events.is_empty() || request.events.len() > MAX_EVENTS {
            return Err(ApiError::invalid_field(
                "events",
                format!("must hold 1 to {MAX_EVENTS} events"),
            ));
        }
        let ids: Vec<String> = request.events.iter().map(|e| e.event_id.clone()).collect();
        let mut outcomes: Vec<Option<Result<u64, ApiError>>> = Vec::new();
        let mut checked = Vec::new();
        for event in request.events {
            match check(event) {
                Ok(event) => {
                    checked.push(event);
                    outcomes.push(None);
                }
                Err(error) => outcomes.push(Some(Err(error))),
            }
        }
        // When the reads every event needed failed, each event not already
        // refused fails with them.
        let (shared_failure, mut recorded) = match self.record_events(checked).await {
            Ok(recorded) => (None, recorded.into_iter()),
            Err(error) => (Some(outcome_of(error)), Vec::new().into_iter()),
        };
        let outcomes = ids
            .into_iter()
            .zip(outcomes)
            .map(|(event_id, outcome)| {
                let outcome = match (outcome, &shared_failure) {
                    (Some(refused), _) => refused.map_err(outcome_of),
                    (None, Some(failure)) => Err(failure.clone()),
                    (None, None) => recorded
                        .next()
                        .unwrap_or_else(|| Err(no_outcome()))
                        .map_err(outcome_of),
                };
                match outcome {
                    Ok(count) => pb::PublishOutcome {
                        event_id,
                        notification_count: u32::try_from(count).unwrap_or(u32::MAX),
                        ..Default::default()
                    },
                    Err((error_code, error_message)) => pb::PublishOutcome {
                        event_id,
                        error_code,
                        error_message,
                        ..Default::default()
                    },
                }
            })
            .collect();
        Ok(pb::PublishEventsResponse { outcomes })
    }

    /// Reads once what `events` name, then drafts each event's notifications
    /// and records them (several events at once): an outcome per event, in
    /// their order; `Err` when the reads they all need failed.
    async fn record_events(
        &self,
        events: Vec<Checked>,
    ) -> Result<Vec<Result<u64, ApiError>>, ApiError> {
        use futures::StreamExt as _;
        let mut reads = self.reads(&events).await?;
        let mut drafted = Vec::with_capacity(events.len());
        for Checked { occasion, event } in events {
            let details = reads.schedules.get(&occasion.session_id).cloned();
            let drafts = match event {
                pb::publish_request::Event::Enrolment(event) => {
                    self.enrolment_drafts(&occasion, &event, details, &mut reads.people)
                        .await
                }
                pb::publish_request::Event::Session(event) => {
                    self.session_drafts(&occasion, &event, details, &mut reads.people)
                        .await
                }
                pb::publish_request::Event::Catalog(event) => {
                    self.catalog_drafts(&occasion, &event, &mut reads.people)
                        .await
                }
            };
            drafted.push((occasion, drafts));
        }
        let recorded = futures::stream::iter(drafted)
            .map(|(occasion, drafts)| async move {
                let count = self
                    .store
                    .record(occasion.event_id, drafts?)
                    .await
                    .map_err(hamafza_kit::db::api_error)?;
                tracing::info!(
                    event_id = %occasion.event_id,
                    kind = occasion.kind.as_str_name(),
                    notifications = count,
                    "event published"
                );
                Ok(count)
            })
            .buffered(RECORDING_AT_ONCE)
            .collect()
            .await;
        Ok(recorded)
    }

    /// The sessions' plans as courses has them now, and the directory's
    /// records of the trainees, enrollers and instructors the events name:
    /// one listing of each for them all. Read after every event of the call
    /// happened, so none is told an older plan than it caused.
    async fn reads(&self, events: &[Checked]) -> Result<Reads, ApiError> {
        let sessions: Vec<SessionId> = events
            .iter()
            .map(|checked| checked.occasion.session_id)
            .filter(|id| !id.is_nil())
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .map(SessionId)
            .collect();
        let schedules: HashMap<Uuid, SessionDetails> = if sessions.is_empty() {
            HashMap::new()
        } else {
            self.courses
                .sessions_by_id(&sessions)
                .await?
                .into_iter()
                .filter_map(|session| Some((Uuid::parse_str(&session.id).ok()?, session.details?)))
                .collect()
        };
        let mut subjects: Vec<String> = schedules
            .values()
            .map(|details| instructor_of(Some(details)))
            .filter(|subject| !subject.is_empty())
            .collect();
        for checked in events {
            if let pb::publish_request::Event::Enrolment(event) = &checked.event {
                subjects.push(event.trainee_subject.clone());
                let enroller = event.enrolled_by_subject.trim();
                if !enroller.is_empty() {
                    subjects.push(enroller.to_owned());
                }
            }
        }
        let mut people = People::default();
        people.read(&self.courses, &self.store, subjects).await?;
        Ok(Reads { schedules, people })
    }
}

/// The error of one event of PublishEvents: the gRPC code's name and the
/// message Publish would have answered with.
fn outcome_of(error: ApiError) -> (String, String) {
    let code = error.code().as_str().to_ascii_uppercase();
    (code, tonic::Status::from(error).message().to_owned())
}

/// An event recording answered nothing for (a bug: never marked delivered).
fn no_outcome() -> ApiError {
    ApiError::internal(anyhow::anyhow!("an event was recorded with no outcome"))
}
