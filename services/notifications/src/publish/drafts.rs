//! Drafting: who hears of an event (the trainee, whoever enrolled them, a
//! company's PR managers, the instructor, the council), and each one's
//! notification with its email and calendar invitation, worded in the
//! language they chose.

use hamafza_kit::auth::Role;
use hamafza_kit::peers::PeerError;
use hamafza_kit::{ApiError, time};
use hamafza_proto::courses::SessionDetails;
use hamafza_proto::enrolments as epb;
use hamafza_proto::notifications as pb;
use hamafza_proto::notifications::NotificationKind;
use uuid::Uuid;

use super::{HOLDER_PAGES, Occasion, People, Recipient};
use crate::api::NotificationsApi;
use crate::email::{self, Letter};
use crate::invitation::{self, Invitation, Method};
use crate::kind::{Audience, Language};
use crate::store::entities::notification;
use crate::store::queries::{Claim, Draft, Email};
use crate::wording::{self, Facts, Meeting};

impl NotificationsApi {
    pub(super) async fn enrolment_drafts(
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
        let method = |audience| invitation_method(occasion.kind, audience, event, &facts);
        self.draft_each(occasion, recipients, &facts, method, people)
            .await
    }

    /// A session's change: every trainee holding a seat and the instructor
    /// get the new schedule with an updated invitation. A cancelled session
    /// is told to its instructor here, whether or not anyone was enrolled
    /// (the trainees hear through their enrolments' own events).
    pub(super) async fn session_drafts(
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
        let recipients = self
            .session_people(occasion.session_id, instructor, key)
            .await?;
        let method = (!facts.meetings.is_empty()).then_some(Method::Request);
        self.draft_each(occasion, recipients, &facts, |_| method, people)
            .await
    }

    /// A course or program waiting for the council: every council member
    /// of the directory.
    pub(super) async fn catalog_drafts(
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

    /// Who hears a session's news: the trainees holding a seat, and its
    /// instructor (once, should they hold a seat too); `key` makes each
    /// one's notification once.
    pub(crate) async fn session_people(
        &self,
        session_id: Uuid,
        instructor: String,
        key: impl Fn(&str) -> String,
    ) -> Result<Vec<Recipient>, ApiError> {
        let mut recipients: Vec<Recipient> = self
            .seat_holders(session_id)
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
        Ok(recipients)
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
    pub(super) async fn recipients(
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

    /// Each recipient's notification of `occasion`, with the calendar
    /// invitation `method` gives their audience.
    pub(crate) async fn draft_each(
        &self,
        occasion: &Occasion,
        recipients: Vec<Recipient>,
        facts: &Facts,
        method: impl Fn(Audience) -> Option<Method>,
        people: &mut People,
    ) -> Result<Vec<Draft>, ApiError> {
        let mut drafts = Vec::with_capacity(recipients.len());
        for recipient in recipients {
            let method = method(recipient.audience);
            drafts.push(
                self.draft(occasion, recipient, facts, method, people)
                    .await?,
            );
        }
        Ok(drafts)
    }

    /// A worker's notice (a reminder, an expiry warning): each recipient's
    /// notification of `occasion`, recorded with `claim` (a unique row)
    /// taken at once: false, and nothing recorded, when another replica took
    /// it first.
    pub(crate) async fn record_once(
        &self,
        claim: Claim,
        occasion: &Occasion,
        recipients: Vec<Recipient>,
        facts: &Facts,
        people: &mut People,
    ) -> Result<bool, ApiError> {
        let drafts = self
            .draft_each(occasion, recipients, facts, |_| None, people)
            .await?;
        let recorded = self
            .store
            .record_claimed(Some(claim), occasion.event_id, drafts)
            .await
            .map_err(hamafza_kit::db::api_error)?;
        Ok(recorded.is_some())
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
