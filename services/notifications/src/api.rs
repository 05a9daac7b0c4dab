//! `hamafza.notifications.v1.NotificationService`: checks each call and
//! answers it. Publishing turns an event into one notification per recipient
//! and kind, with its email written once, here.

use hamafza_kit::auth::{Caller, Role, signed_in};
use hamafza_kit::error::parse_id;
use hamafza_kit::grpc::{PeerChannel, reply};
use hamafza_kit::peers::{CoursesClient, PeerAuth};
use hamafza_kit::{ApiError, Violations, time};
use hamafza_proto::certification::certification_service_client::CertificationServiceClient;
use hamafza_proto::enrolments::enrolment_service_client::EnrolmentServiceClient;
use hamafza_proto::notifications as pb;
use hamafza_proto::notifications::NotificationKind;
use hamafza_proto::notifications::notification_service_server::NotificationService;
use lettre::message::Mailbox;
use tonic::service::interceptor::InterceptedService;
use tonic::{Request, Response, Status};
use uuid::Uuid;

use crate::kind::{self, Language};
use crate::store::Store;
use crate::store::entities::{delivery, notification};
use crate::store::queries::{DeliveryFilter, state};

/// Enrolments, called with the service's identity (who holds a seat).
pub type EnrolmentsClient = EnrolmentServiceClient<InterceptedService<PeerChannel, PeerAuth>>;
/// Certification, called with the service's identity (expiring
/// certificates).
pub type CertificationClient =
    CertificationServiceClient<InterceptedService<PeerChannel, PeerAuth>>;

/// The state every handler shares.
#[derive(Clone)]
pub struct NotificationsApi {
    pub(crate) store: Store,
    pub(crate) courses: CoursesClient,
    pub(crate) enrolments: EnrolmentsClient,
    pub(crate) certification: CertificationClient,
    pub(crate) from: Mailbox,
    pub(crate) public_base_url: String,
}

impl std::fmt::Debug for NotificationsApi {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NotificationsApi").finish_non_exhaustive()
    }
}

impl NotificationsApi {
    /// Handlers over `store`, reading people and sessions from `courses`,
    /// who holds a seat from `enrolments` and expiring certificates from
    /// `certification`.
    pub fn new(
        store: Store,
        courses: CoursesClient,
        enrolments: EnrolmentsClient,
        certification: CertificationClient,
        from: Mailbox,
        public_base_url: String,
    ) -> Self {
        Self {
            store,
            courses,
            enrolments,
            certification,
            from,
            public_base_url: public_base_url.trim_end_matches('/').to_owned(),
        }
    }

    async fn inbox(
        &self,
        caller: &Caller,
        request: pb::ListMyNotificationsRequest,
    ) -> Result<pb::ListMyNotificationsResponse, ApiError> {
        let limit = page_size(request.page_size)?;
        let english = match request.language.as_str() {
            "" => self.language_of(&caller.subject).await? == Language::En,
            language => language == "en",
        };
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
            language: self.chosen_language(&caller.subject).await?,
        })
    }

    /// The code of the language `subject` chose; empty when they never did.
    async fn chosen_language(&self, subject: &str) -> Result<String, ApiError> {
        Ok(self
            .store
            .language(subject)
            .await
            .map_err(hamafza_kit::db::api_error)?
            .as_deref()
            .and_then(Language::parse)
            .map(|language| language.code().to_owned())
            .unwrap_or_default())
    }

    /// The language `subject` chose; Persian when none.
    pub(crate) async fn language_of(&self, subject: &str) -> Result<Language, ApiError> {
        Ok(self
            .store
            .language(subject)
            .await
            .map_err(hamafza_kit::db::api_error)?
            .as_deref()
            .and_then(Language::parse)
            .unwrap_or_default())
    }

    async fn update_preferences(
        &self,
        caller: &Caller,
        request: pb::UpdateMyPreferencesRequest,
    ) -> Result<pb::UpdateMyPreferencesResponse, ApiError> {
        let mut v = Violations::new();
        let language = match request.language.as_str() {
            "" => None,
            code => {
                let parsed = Language::parse(code);
                if parsed.is_none() {
                    v.add("language", "must be \"fa\" or \"en\"");
                }
                parsed
            }
        };
        if request.only_language && request.language.is_empty() {
            v.add("language", "is required when only the language changes");
        }
        let mut kinds = Vec::new();
        let muted = if request.only_language {
            &[][..]
        } else {
            request.muted_kinds.as_slice()
        };
        for (i, value) in muted.iter().enumerate() {
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
        let db = |error| hamafza_kit::db::api_error(error);
        if let Some(language) = language {
            self.store
                .set_language(&caller.subject, language.code(), time::now())
                .await
                .map_err(db)?;
        }
        let kinds = if request.only_language {
            self.store.muted(&caller.subject).await.map_err(db)?
        } else {
            self.store
                .set_muted(&caller.subject, &kinds)
                .await
                .map_err(db)?;
            kinds
        };
        Ok(pb::UpdateMyPreferencesResponse {
            muted_kinds: kinds,
            language: self.chosen_language(&caller.subject).await?,
        })
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

    async fn publish_events(
        &self,
        request: Request<pb::PublishEventsRequest>,
    ) -> Result<Response<pb::PublishEventsResponse>, Status> {
        let caller = signed_in(&request)?;
        reply(NotificationsApi::publish_events(self, &caller, request.into_inner()).await)
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
