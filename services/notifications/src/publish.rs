//! Publishing: turns an event into one notification per recipient and kind,
//! with its email (and calendar invitation) written once, here. Enrolment
//! events come from enrolments, session events from courses; recipients,
//! names, addresses and schedules are read from their owners' contracts.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use hamafza_kit::auth::{Caller, Role};
use hamafza_kit::error::parse_id;
use hamafza_kit::ids::SessionId;
use hamafza_kit::peers::{CoursesClient, PeerError};
use hamafza_kit::{ApiError, Violations, time};
use hamafza_proto::courses::{Person, SessionDetails};
use hamafza_proto::enrolments as epb;
use hamafza_proto::notifications as pb;
use hamafza_proto::notifications::NotificationKind;
use uuid::Uuid;

use crate::api::NotificationsApi;
use crate::email::{self, Letter};
use crate::invitation::{self, Invitation, Method};
use crate::kind::{Audience, Language};
use crate::store::Store;
use crate::store::entities::notification;
use crate::store::queries::{Draft, Email};
use crate::wording::{self, Facts, Meeting};

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

    async fn enrolment_drafts(
        &self,
        occasion: &Occasion,
        event: &pb::EnrolmentEvent,
        details: Option<SessionDetails>,
        people: &mut People,
    ) -> Result<Vec<Draft>, ApiError> {
        let instructor = instructor_of(details.as_ref());
        let recipients = self
            .recipients(occasion, event, &instructor, people)
            .await?;
        let mut facts = Facts {
            course_fa: event.course_title_fa.clone(),
            course_en: event.course_title_en.clone(),
            trainee_fa: event.trainee_name.clone(),
            reason: event.reason.clone(),
            waitlist_place: event.waitlist_place,
            session_cancelled: event.session_cancelled,
            ..Facts::default()
        };
        // A trainee who passed is asked to evaluate the course (`draft` keeps
        // the link for the trainee only).
        if occasion.kind == NotificationKind::CompletedPassed
            && let Ok(enrolment) = Uuid::parse_str(&event.enrolment_id)
        {
            facts.evaluation_url = format!(
                "{}/me/learning/{enrolment}/evaluation",
                self.public_base_url
            );
        }
        with_schedule(&mut facts, details);
        if !recipients.is_empty()
            && let Some(name) = people
                .get(&self.courses, &event.trainee_subject)
                .await?
                .and_then(|trainee| trainee.name)
        {
            if !name.fa.is_empty() {
                facts.trainee_fa = name.fa;
            }
            facts.trainee_en = name.en;
        }
        let mut drafts = Vec::new();
        for recipient in recipients {
            let method = invitation_method(occasion.kind, recipient.audience, event, &facts);
            drafts.push(
                self.draft(occasion, recipient, &facts, method, people)
                    .await?,
            );
        }
        Ok(drafts)
    }

    /// A session's change: every trainee holding a seat and the instructor
    /// get the new schedule with an updated invitation. A cancelled session
    /// is told to its instructor here, whether or not anyone was enrolled
    /// (the trainees hear through their enrolments' own events).
    async fn session_drafts(
        &self,
        occasion: &Occasion,
        event: &pb::SessionEvent,
        details: Option<SessionDetails>,
        people: &mut People,
    ) -> Result<Vec<Draft>, ApiError> {
        let instructor = instructor_of(details.as_ref());
        let mut facts = Facts {
            course_fa: event.course_title_fa.clone(),
            course_en: event.course_title_en.clone(),
            ..Facts::default()
        };
        with_schedule(&mut facts, details);
        if occasion.kind == NotificationKind::Cancelled {
            if instructor.is_empty() {
                return Ok(Vec::new());
            }
            facts.session_cancelled = true;
            facts.reason = event.reason.clone();
            let recipient = Recipient {
                // The key the enrolments' cancellations use for the
                // instructor: one notification however it is learnt of.
                dedupe_key: session_cancelled_key(occasion.session_id, &instructor),
                subject: instructor,
                audience: Audience::Instructor,
            };
            let method = (!facts.meetings.is_empty()).then_some(Method::Cancel);
            return Ok(vec![
                self.draft(occasion, recipient, &facts, method, people)
                    .await?,
            ]);
        }
        let key = |subject: &str| {
            format!(
                "{}:{subject}:{}",
                occasion.event_id,
                occasion.kind.as_str_name()
            )
        };
        let mut recipients: Vec<Recipient> = self
            .seat_holders(occasion.session_id)
            .await?
            .into_iter()
            .map(|subject| Recipient {
                dedupe_key: key(&subject),
                subject,
                audience: Audience::Trainee,
            })
            .collect();
        if !instructor.is_empty() && recipients.iter().all(|r| r.subject != instructor) {
            recipients.push(Recipient {
                dedupe_key: key(&instructor),
                subject: instructor,
                audience: Audience::Instructor,
            });
        }
        let method = (!facts.meetings.is_empty()).then_some(Method::Request);
        let mut drafts = Vec::new();
        for recipient in recipients {
            drafts.push(
                self.draft(occasion, recipient, &facts, method, people)
                    .await?,
            );
        }
        Ok(drafts)
    }

    /// A course or program waiting for the council: every council member
    /// of the directory.
    async fn catalog_drafts(
        &self,
        occasion: &Occasion,
        event: &pb::CatalogEvent,
        people: &mut People,
    ) -> Result<Vec<Draft>, ApiError> {
        let facts = Facts {
            course_fa: event.title_fa.clone(),
            course_en: event.title_en.clone(),
            program: event.program,
            ..Facts::default()
        };
        let members = self.courses.people_with_role("", Role::Council).await?;
        let mut drafts = Vec::new();
        for member in members {
            let subject = member.subject.clone();
            people.learn(member);
            let recipient = Recipient {
                dedupe_key: format!(
                    "{}:{}:{}",
                    occasion.event_id,
                    subject,
                    occasion.kind.as_str_name()
                ),
                subject,
                audience: Audience::Council,
            };
            drafts.push(
                self.draft(occasion, recipient, &facts, None, people)
                    .await?,
            );
        }
        Ok(drafts)
    }

    /// The subjects of the trainees holding a seat in the session.
    pub(crate) async fn seat_holders(&self, session_id: Uuid) -> Result<Vec<String>, ApiError> {
        let mut request = epb::ListEnrolmentsRequest {
            page_size: 200,
            session_id: session_id.to_string(),
            statuses: vec![epb::EnrolmentStatus::Confirmed as i32],
            ..Default::default()
        };
        let mut subjects = Vec::new();
        for _ in 0..HOLDER_PAGES {
            let page = self
                .enrolments
                .clone()
                .list_enrolments(request.clone())
                .await
                .map_err(|status| ApiError::from(PeerError::Status(status)))?
                .into_inner();
            subjects.extend(
                page.enrolments
                    .into_iter()
                    .filter_map(|enrolment| enrolment.trainee.map(|t| t.subject)),
            );
            if page.next_page_token.is_empty() {
                break;
            }
            request.page_token = page.next_page_token;
        }
        Ok(subjects)
    }

    /// Who hears of an enrolment's event: an approval request goes to the PR
    /// managers of the trainee's company (the directory's `org_manager`
    /// role); the rest to the trainee, and to the one who enrolled them when
    /// that was someone else; a cancellation also to the session's
    /// instructor.
    async fn recipients(
        &self,
        occasion: &Occasion,
        event: &pb::EnrolmentEvent,
        instructor: &str,
        people: &mut People,
    ) -> Result<Vec<Recipient>, ApiError> {
        let kind = occasion.kind;
        let each = |subject: &str, audience| Recipient {
            subject: subject.to_owned(),
            audience,
            dedupe_key: format!("{}:{subject}:{}", occasion.event_id, kind.as_str_name()),
        };
        if kind == NotificationKind::ApprovalRequested {
            let organization = event.trainee_organization_id.trim();
            if organization.is_empty() {
                return Ok(Vec::new());
            }
            let managers = self
                .courses
                .people_with_role(organization, Role::OrgManager)
                .await?;
            return Ok(managers
                .into_iter()
                .map(|manager| {
                    let recipient = each(&manager.subject, Audience::Manager);
                    people.learn(manager);
                    recipient
                })
                .collect());
        }
        let mut recipients = vec![each(&event.trainee_subject, Audience::Trainee)];
        let enroller = event.enrolled_by_subject.trim();
        if !enroller.is_empty() && enroller != event.trainee_subject {
            recipients.push(each(enroller, Audience::Enroller));
        }
        if kind == NotificationKind::Cancelled
            && !instructor.is_empty()
            && recipients.iter().all(|r| r.subject != instructor)
        {
            let mut told = each(instructor, Audience::Instructor);
            // A cancelled session is one notification for its instructor,
            // however many enrolments it cancelled.
            if event.session_cancelled {
                told.dedupe_key = session_cancelled_key(occasion.session_id, instructor);
            }
            recipients.push(told);
        }
        Ok(recipients)
    }

    /// One recipient's notification and email; their name and address from
    /// `people`. (The store leaves it out if they turned the kind off.)
    pub(crate) async fn draft(
        &self,
        occasion: &Occasion,
        recipient: Recipient,
        facts: &Facts,
        method: Option<Method>,
        people: &mut People,
    ) -> Result<Draft, ApiError> {
        let Recipient {
            subject,
            audience,
            dedupe_key,
        } = recipient;
        let kind = occasion.kind;
        let (name_fa, name_en, address) = match people.get(&self.courses, &subject).await? {
            Some(person) => {
                let name = person.name.unwrap_or_default();
                (name.fa, name.en, person.email)
            }
            None if audience == Audience::Trainee => (
                facts.trainee_fa.clone(),
                facts.trainee_en.clone(),
                String::new(),
            ),
            None => (String::new(), String::new(), String::new()),
        };
        let mut facts = facts.clone();
        facts.recipient_fa = name_fa;
        facts.recipient_en = name_en;
        if audience != Audience::Trainee {
            facts.evaluation_url.clear();
        }
        let fa = wording::persian(kind, audience, &facts);
        let en = wording::english(kind, audience, &facts);
        let path = if facts.link.is_empty() {
            wording::link(kind).to_owned()
        } else {
            facts.link.clone()
        };
        let id = Uuid::now_v7();
        let email = if address.trim().is_empty() {
            None
        } else {
            let language = people.language(self, &subject).await?;
            self.email(
                occasion,
                id,
                (&address, language),
                &facts,
                (&fa, &en),
                &path,
                method,
            )
        };
        Ok(Draft {
            notification: notification::Model {
                id,
                dedupe_key,
                event_id: occasion.event_id,
                recipient_subject: subject,
                kind: kind as i32,
                title_fa: fa.title.clone(),
                title_en: en.title.clone(),
                body_fa: fa.body(),
                body_en: en.body(),
                link: path,
                created_at: occasion.occurred,
                read_at: None,
            },
            email,
        })
    }

    /// The email of one notification, with its invitation when `method`.
    #[allow(clippy::too_many_arguments)]
    fn email(
        &self,
        occasion: &Occasion,
        id: Uuid,
        (address, language): (&str, Language),
        facts: &Facts,
        (fa, en): (&wording::Words, &wording::Words),
        path: &str,
        method: Option<Method>,
    ) -> Option<Email> {
        let display = if facts.recipient_fa.is_empty() {
            &facts.recipient_en
        } else {
            &facts.recipient_fa
        };
        let calendar = method.filter(|_| !facts.meetings.is_empty()).map(|method| {
            let summary = wording::invitation_summary(facts);
            let location = if facts.venue_fa.is_empty() {
                &facts.venue_en
            } else {
                &facts.venue_fa
            };
            let url = format!("{}/sessions/{}", self.public_base_url, occasion.session_id);
            (
                method,
                invitation::calendar(&Invitation {
                    method,
                    session_id: &occasion.session_id.to_string(),
                    meetings: &facts.meetings,
                    summary: &summary,
                    location,
                    url: &url,
                    organizer: self.from.email.as_ref(),
                    attendee: (address, display),
                    changed_at: occasion.occurred,
                }),
            )
        });
        let link = format!("{}{path}", self.public_base_url);
        match email::write(&Letter {
            id,
            from: &self.from,
            to: (address, display),
            fa,
            en,
            link: &link,
            calendar,
            language,
        }) {
            Ok((message, html)) => Some(Email {
                to: address.to_owned(),
                subject: email::subject(fa, en, language),
                message,
                html,
            }),
            // A directory address that is no address: in the inbox only.
            Err(error) => {
                tracing::warn!(%address, %error, "email not written");
                None
            }
        }
    }
}

/// The one notification of a session's cancellation for its instructor.
fn session_cancelled_key(session_id: Uuid, instructor: &str) -> String {
    format!("session-cancelled:{session_id}:{instructor}")
}

/// The session's instructor (their subject), or empty.
pub(crate) fn instructor_of(details: Option<&SessionDetails>) -> String {
    details
        .and_then(|details| details.instructor.as_ref())
        .map(|instructor| instructor.subject.trim().to_owned())
        .unwrap_or_default()
}

/// The session's meetings and venue into `facts`.
pub(crate) fn with_schedule(facts: &mut Facts, details: Option<SessionDetails>) {
    let Some(details) = details else {
        return;
    };
    facts.meetings = details
        .meetings
        .iter()
        .filter_map(|m| {
            Some(Meeting {
                start: time::from_timestamp(m.start_time.as_ref()?)?,
                end: time::from_timestamp(m.end_time.as_ref()?)?,
            })
        })
        .collect();
    if let Some(venue) = details.venue {
        facts.venue_fa = venue.fa;
        facts.venue_en = venue.en;
    }
}

/// The trainee's calendar gets the meetings when a seat is held, and loses
/// them when a held seat is given up; the instructor's go only with the
/// whole session.
fn invitation_method(
    kind: NotificationKind,
    audience: Audience,
    event: &pb::EnrolmentEvent,
    facts: &Facts,
) -> Option<Method> {
    if facts.meetings.is_empty() {
        return None;
    }
    match (audience, kind) {
        (Audience::Instructor, NotificationKind::Cancelled) if event.session_cancelled => {
            Some(Method::Cancel)
        }
        (
            Audience::Trainee,
            NotificationKind::EnrolmentConfirmed
            | NotificationKind::PromotedFromWaitlist
            | NotificationKind::Approved,
        ) if event.holds_seat => Some(Method::Request),
        (Audience::Trainee, NotificationKind::Cancelled) if event.held_seat => Some(Method::Cancel),
        _ => None,
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
