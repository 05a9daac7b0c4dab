//! `hamafza.notifications.v1.NotificationService`: checks each call and
//! answers it. Publishing turns an event into one notification per recipient
//! and kind, with its email written once, here.

use hamafza_kit::auth::{Caller, Role, signed_in};
use hamafza_kit::error::parse_id;
use hamafza_kit::grpc::reply;
use hamafza_kit::ids::SessionId;
use hamafza_kit::peers::{CoursesClient, PeerError};
use hamafza_kit::{ApiError, Violations, time};
use hamafza_proto::notifications as pb;
use hamafza_proto::notifications::NotificationKind;
use hamafza_proto::notifications::notification_service_server::NotificationService;
use lettre::message::Mailbox;
use tonic::{Request, Response, Status};
use uuid::Uuid;

use crate::email::{self, Letter};
use crate::invitation::{self, Invitation, Method};
use crate::kind::{self, Audience};
use crate::store::Store;
use crate::store::entities::{delivery, notification};
use crate::store::queries::{DeliveryFilter, Draft, Email, state};
use crate::wording::{self, Facts, Meeting};

/// Longest reason kept, in characters.
const REASON_CHARS: usize = 500;

/// The state every handler shares.
#[derive(Clone)]
pub struct NotificationsApi {
    store: Store,
    courses: CoursesClient,
    from: Mailbox,
    public_base_url: String,
}

impl std::fmt::Debug for NotificationsApi {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NotificationsApi").finish_non_exhaustive()
    }
}

impl NotificationsApi {
    /// Handlers over `store`, reading people and sessions from `courses`.
    pub fn new(
        store: Store,
        courses: CoursesClient,
        from: Mailbox,
        public_base_url: String,
    ) -> Self {
        Self {
            store,
            courses,
            from,
            public_base_url: public_base_url.trim_end_matches('/').to_owned(),
        }
    }

    async fn publish(
        &self,
        caller: &Caller,
        request: pb::PublishRequest,
    ) -> Result<pb::PublishResponse, ApiError> {
        caller.require_any(&[Role::Service])?;
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
        let event = match request.event {
            Some(pb::publish_request::Event::Enrolment(event)) => Some(event),
            None => {
                v.add("enrolment", "the event is required");
                None
            }
        };
        if let Some(event) = &event {
            if event.trainee_subject.trim().is_empty() {
                v.add("enrolment.trainee_subject", "is required");
            }
            if event.reason.chars().count() > REASON_CHARS {
                v.add("enrolment.reason", "must be at most 500 characters");
            }
        }
        let session_id = event
            .as_ref()
            .and_then(|event| parse_id(&mut v, "enrolment.session_id", &event.session_id));
        v.finish()?;
        let (Some(event_id), Some(event), Some(session_id)) = (event_id, event, session_id) else {
            return Err(ApiError::invalid_field("event_id", "is required"));
        };

        let recipients = recipients(kind, &event);
        let mut facts = Facts {
            course_fa: event.course_title_fa.clone(),
            course_en: event.course_title_en.clone(),
            trainee_fa: event.trainee_name.clone(),
            reason: event.reason.clone(),
            waitlist_place: event.waitlist_place,
            session_cancelled: event.session_cancelled,
            ..Facts::default()
        };
        if !recipients.is_empty() {
            match self.courses.session(SessionId(session_id)).await {
                Ok(session) => {
                    if let Some(details) = session.details {
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
                }
                // A session deleted since: tell without its meetings.
                Err(PeerError::NotFound { .. }) => {}
                Err(error) => return Err(error.into()),
            }
            if let Some(name) = self
                .courses
                .person(&event.trainee_subject)
                .await?
                .and_then(|trainee| trainee.name)
            {
                if !name.fa.is_empty() {
                    facts.trainee_fa = name.fa;
                }
                facts.trainee_en = name.en;
            }
        }

        let mut drafts = Vec::new();
        for (subject, audience) in recipients {
            if kind::may_mute(kind)
                && self
                    .store
                    .muted(&subject)
                    .await
                    .map_err(hamafza_kit::db::api_error)?
                    .contains(&(kind as i32))
            {
                continue;
            }
            let person = self.courses.person(&subject).await?;
            let (name_fa, name_en, address) = match person {
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
            let fa = wording::persian(kind, audience, &facts);
            let en = wording::english(kind, audience, &facts);
            let path = wording::link(kind);
            let id = Uuid::now_v7();
            let link = format!("{}{path}", self.public_base_url);
            let email = if address.trim().is_empty() {
                None
            } else {
                let method = invitation_method(kind, audience, &event, &facts);
                let calendar = method.map(|method| {
                    let summary = wording::invitation_summary(&facts);
                    let location = if facts.venue_fa.is_empty() {
                        &facts.venue_en
                    } else {
                        &facts.venue_fa
                    };
                    let url = format!("{}/sessions/{session_id}", self.public_base_url);
                    let display = if facts.recipient_fa.is_empty() {
                        &facts.recipient_en
                    } else {
                        &facts.recipient_fa
                    };
                    (
                        method,
                        invitation::calendar(&Invitation {
                            method,
                            session_id: &session_id.to_string(),
                            meetings: &facts.meetings,
                            summary: &summary,
                            location,
                            url: &url,
                            organizer: self.from.email.as_ref(),
                            attendee: (&address, display),
                            changed_at: occurred,
                        }),
                    )
                });
                let display = if facts.recipient_fa.is_empty() {
                    &facts.recipient_en
                } else {
                    &facts.recipient_fa
                };
                let message = email::write(&Letter {
                    id,
                    from: &self.from,
                    to: (&address, display),
                    fa: &fa,
                    en: &en,
                    link: &link,
                    calendar,
                });
                match message {
                    Ok((message, html)) => Some(Email {
                        to: address.clone(),
                        subject: email::subject(&fa, &en),
                        message,
                        html,
                    }),
                    // A directory address that is no address: in the inbox only.
                    Err(error) => {
                        tracing::warn!(%subject, %error, "email not written");
                        None
                    }
                }
            };
            drafts.push(Draft {
                notification: notification::Model {
                    id,
                    dedupe_key: format!("{event_id}:{subject}:{}", kind.as_str_name()),
                    event_id,
                    recipient_subject: subject.clone(),
                    kind: kind as i32,
                    title_fa: fa.title.clone(),
                    title_en: en.title.clone(),
                    body_fa: fa.body(),
                    body_en: en.body(),
                    link: path.to_owned(),
                    created_at: occurred,
                    read_at: None,
                },
                email,
            });
        }
        let count = self
            .store
            .record(event_id, drafts)
            .await
            .map_err(hamafza_kit::db::api_error)?;
        tracing::info!(%event_id, kind = kind.as_str_name(), notifications = count, "event published");
        Ok(pb::PublishResponse {
            notification_count: u32::try_from(count).unwrap_or(u32::MAX),
        })
    }

    async fn inbox(
        &self,
        caller: &Caller,
        request: pb::ListMyNotificationsRequest,
    ) -> Result<pb::ListMyNotificationsResponse, ApiError> {
        let limit = page_size(request.page_size)?;
        let english = request.language == "en";
        let rows = self
            .store
            .inbox(&caller.subject, request.unread_only, limit)
            .await
            .map_err(hamafza_kit::db::api_error)?;
        let unread = self
            .store
            .unread(&caller.subject)
            .await
            .map_err(hamafza_kit::db::api_error)?;
        Ok(pb::ListMyNotificationsResponse {
            notifications: rows
                .into_iter()
                .map(|row| notification_to_wire(row, english))
                .collect(),
            unread_count: u32::try_from(unread).unwrap_or(u32::MAX),
        })
    }

    async fn mark_read(
        &self,
        caller: &Caller,
        request: pb::MarkReadRequest,
    ) -> Result<pb::MarkReadResponse, ApiError> {
        let mut v = Violations::new();
        if request.ids.len() > 100 {
            v.add("ids", "at most 100 at once");
        }
        let ids: Vec<Uuid> = request
            .ids
            .iter()
            .enumerate()
            .filter_map(|(i, id)| parse_id(&mut v, &format!("ids[{i}]"), id))
            .collect();
        if ids.is_empty() && !request.all {
            v.add("ids", "name the notifications to mark read, or set all");
        }
        v.finish()?;
        let now = time::now();
        let scope = (!request.all).then_some(ids.as_slice());
        self.store
            .mark_read(&caller.subject, scope, now)
            .await
            .map_err(hamafza_kit::db::api_error)?;
        let unread = self
            .store
            .unread(&caller.subject)
            .await
            .map_err(hamafza_kit::db::api_error)?;
        Ok(pb::MarkReadResponse {
            unread_count: u32::try_from(unread).unwrap_or(u32::MAX),
        })
    }

    async fn preferences(&self, caller: &Caller) -> Result<pb::GetMyPreferencesResponse, ApiError> {
        let muted = self
            .store
            .muted(&caller.subject)
            .await
            .map_err(hamafza_kit::db::api_error)?;
        Ok(pb::GetMyPreferencesResponse {
            muted_kinds: muted,
            required_kinds: kind::REQUIRED.iter().map(|k| *k as i32).collect(),
        })
    }

    async fn update_preferences(
        &self,
        caller: &Caller,
        request: pb::UpdateMyPreferencesRequest,
    ) -> Result<pb::UpdateMyPreferencesResponse, ApiError> {
        let mut v = Violations::new();
        let mut kinds = Vec::new();
        for (i, value) in request.muted_kinds.iter().enumerate() {
            match NotificationKind::try_from(*value) {
                Ok(kind) if kind::may_mute(kind) => kinds.push(*value),
                Ok(NotificationKind::Unspecified) | Err(_) => {
                    v.add(format!("muted_kinds[{i}]"), "is not a kind of notification");
                }
                Ok(kind) => v.add(
                    format!("muted_kinds[{i}]"),
                    format!("{} cannot be turned off", kind.as_str_name()),
                ),
            }
        }
        v.finish()?;
        kinds.sort_unstable();
        kinds.dedup();
        self.store
            .set_muted(&caller.subject, &kinds)
            .await
            .map_err(hamafza_kit::db::api_error)?;
        Ok(pb::UpdateMyPreferencesResponse { muted_kinds: kinds })
    }

    async fn deliveries(
        &self,
        caller: &Caller,
        request: pb::ListDeliveriesRequest,
    ) -> Result<pb::ListDeliveriesResponse, ApiError> {
        caller.require_any(&[Role::PlatformAdmin, Role::Service])?;
        let limit = page_size(request.page_size)?;
        let mut v = Violations::new();
        let mut states = Vec::new();
        for (i, value) in request.states.iter().enumerate() {
            match pb::DeliveryState::try_from(*value) {
                Ok(pb::DeliveryState::Pending) => states.push(state::PENDING),
                Ok(pb::DeliveryState::Sent) => states.push(state::SENT),
                Ok(pb::DeliveryState::Parked) => states.push(state::PARKED),
                Ok(pb::DeliveryState::NoAddress) => states.push(state::NO_ADDRESS),
                Ok(pb::DeliveryState::Unspecified) | Err(_) => {
                    v.add(format!("states[{i}]"), "is not a delivery state");
                }
            }
        }
        v.finish()?;
        let filter = DeliveryFilter {
            states,
            recipient: (!request.recipient_subject.is_empty())
                .then(|| request.recipient_subject.clone()),
            limit,
        };
        let db = |error| hamafza_kit::db::api_error(error);
        let rows = self.store.deliveries(&filter).await.map_err(db)?;
        Ok(pb::ListDeliveriesResponse {
            deliveries: rows
                .into_iter()
                .map(|row| delivery_to_wire(row, request.include_message))
                .collect(),
            pending_count: self.store.count_in(state::PENDING).await.map_err(db)?,
            parked_count: self.store.count_in(state::PARKED).await.map_err(db)?,
            sent_count: self.store.count_in(state::SENT).await.map_err(db)?,
        })
    }
}

/// Who hears of an event: the trainee, and the one who enrolled them when
/// that was someone else. A company's managers (approval requests) need the
/// directory to know roles, which it does not yet: none for now.
fn recipients(kind: NotificationKind, event: &pb::EnrolmentEvent) -> Vec<(String, Audience)> {
    if kind == NotificationKind::ApprovalRequested {
        return Vec::new();
    }
    let mut recipients = vec![(event.trainee_subject.clone(), Audience::Trainee)];
    let enroller = event.enrolled_by_subject.trim();
    if !enroller.is_empty() && enroller != event.trainee_subject {
        recipients.push((enroller.to_owned(), Audience::Enroller));
    }
    recipients
}

/// The trainee's calendar gets the meetings when a seat is held, and loses
/// them when a held seat is given up.
fn invitation_method(
    kind: NotificationKind,
    audience: Audience,
    event: &pb::EnrolmentEvent,
    facts: &Facts,
) -> Option<Method> {
    if audience != Audience::Trainee || facts.meetings.is_empty() {
        return None;
    }
    match kind {
        NotificationKind::EnrolmentConfirmed
        | NotificationKind::PromotedFromWaitlist
        | NotificationKind::Approved
            if event.holds_seat =>
        {
            Some(Method::Request)
        }
        NotificationKind::Cancelled if event.held_seat => Some(Method::Cancel),
        _ => None,
    }
}

fn page_size(requested: u32) -> Result<u64, ApiError> {
    match requested {
        0 => Ok(50),
        1..=100 => Ok(u64::from(requested)),
        _ => Err(ApiError::invalid_field(
            "page_size",
            "must be between 1 and 100",
        )),
    }
}

fn notification_to_wire(row: notification::Model, english: bool) -> pb::Notification {
    let (title, body) = if english {
        (row.title_en, row.body_en)
    } else {
        (row.title_fa, row.body_fa)
    };
    pb::Notification {
        id: row.id.to_string(),
        kind: row.kind,
        title,
        body,
        link: row.link,
        create_time: Some(time::to_timestamp(row.created_at)),
        read_time: row.read_at.map(time::to_timestamp),
    }
}

fn delivery_to_wire(row: delivery::Model, include_message: bool) -> pb::Delivery {
    let state = match row.state.as_str() {
        state::PENDING => pb::DeliveryState::Pending,
        state::SENT => pb::DeliveryState::Sent,
        state::PARKED => pb::DeliveryState::Parked,
        state::NO_ADDRESS => pb::DeliveryState::NoAddress,
        _ => pb::DeliveryState::Unspecified,
    };
    pb::Delivery {
        notification_id: row.notification_id.to_string(),
        recipient_subject: row.recipient_subject,
        to: row.to_address,
        subject: row.subject_line,
        state: state as i32,
        attempts: u32::try_from(row.attempts).unwrap_or(0),
        last_error: row.last_error,
        create_time: Some(time::to_timestamp(row.created_at)),
        send_time: row.sent_at.map(time::to_timestamp),
        message: if include_message {
            row.message
        } else {
            Vec::new()
        },
        html: if include_message {
            row.html
        } else {
            String::new()
        },
        kind: row.kind,
    }
}

#[tonic::async_trait]
impl NotificationService for NotificationsApi {
    async fn publish(
        &self,
        request: Request<pb::PublishRequest>,
    ) -> Result<Response<pb::PublishResponse>, Status> {
        let caller = signed_in(&request)?;
        reply(NotificationsApi::publish(self, &caller, request.into_inner()).await)
    }

    async fn list_my_notifications(
        &self,
        request: Request<pb::ListMyNotificationsRequest>,
    ) -> Result<Response<pb::ListMyNotificationsResponse>, Status> {
        let caller = signed_in(&request)?;
        reply(self.inbox(&caller, request.into_inner()).await)
    }

    async fn mark_read(
        &self,
        request: Request<pb::MarkReadRequest>,
    ) -> Result<Response<pb::MarkReadResponse>, Status> {
        let caller = signed_in(&request)?;
        reply(NotificationsApi::mark_read(self, &caller, request.into_inner()).await)
    }

    async fn get_my_preferences(
        &self,
        request: Request<pb::GetMyPreferencesRequest>,
    ) -> Result<Response<pb::GetMyPreferencesResponse>, Status> {
        let caller = signed_in(&request)?;
        reply(self.preferences(&caller).await)
    }

    async fn update_my_preferences(
        &self,
        request: Request<pb::UpdateMyPreferencesRequest>,
    ) -> Result<Response<pb::UpdateMyPreferencesResponse>, Status> {
        let caller = signed_in(&request)?;
        reply(self.update_preferences(&caller, request.into_inner()).await)
    }

    async fn list_deliveries(
        &self,
        request: Request<pb::ListDeliveriesRequest>,
    ) -> Result<Response<pb::ListDeliveriesResponse>, Status> {
        let caller = signed_in(&request)?;
        reply(self.deliveries(&caller, request.into_inner()).await)
    }
}
