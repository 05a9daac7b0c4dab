//! The notifications service: tells people what happened to their
//! enrolments, in the web app's inbox and by email (Persian first, English
//! alongside, Jalali dates on Tehran's clock), with calendar invitations for
//! the meetings of a seat they hold.
//!
//! `api` checks calls and turns a published event into notifications,
//! `wording` holds every word, `invitation` and `email` write iCalendar and
//! MIME through kept crates, `store` the SQL, `delivery` the mail worker.
//! People and sessions come from courses over its contract only.

pub mod api;
pub mod delivery;
pub mod email;
pub mod expiry;
pub mod invitation;
pub mod kind;
pub mod publish;
pub mod reminders;
pub mod store;
pub mod wording;

use std::sync::Arc;

use anyhow::Context;
use hamafza_kit::auth::{AuthInterceptor, TokenVerifier};
use hamafza_kit::config::{Config, GrpcConfig, ServiceName};
use hamafza_kit::grpc::{GrpcServer, ServeError, peer};
use hamafza_kit::peers::{CoursesClient, PeerAuth};
use hamafza_kit::service::{Service, Shared};
use hamafza_kit::shutdown::Shutdown;
use hamafza_proto::certification::certification_service_client::CertificationServiceClient;
use hamafza_proto::enrolments::enrolment_service_client::EnrolmentServiceClient;
use hamafza_proto::notifications::notification_service_server::NotificationServiceServer;
use lettre::message::Mailbox;
use tokio::net::TcpListener;
use tonic::service::interceptor::InterceptedService;

pub use api::NotificationsApi;
pub use store::{Migrator, Store};

use crate::delivery::Courier;
use crate::email::Outbound;

/// The notifications service, ready to serve: its store, courses for people
/// and sessions, and its mail worker.
pub struct NotificationsService {
    store: Store,
    verifier: Arc<TokenVerifier>,
    courses: CoursesClient,
    enrolments: api::EnrolmentsClient,
    certification: api::CertificationClient,
    courier: Courier,
    public_base_url: String,
    grpc: GrpcConfig,
}

impl NotificationsService {
    /// The store.
    pub fn store(&self) -> &Store {
        &self.store
    }
}

impl Service for NotificationsService {
    const NAME: &'static str = "notifications";

    fn addr(config: &Config) -> std::net::SocketAddr {
        config.notifications.addr
    }

    async fn build(config: &Config, shared: &Shared) -> anyhow::Result<Self> {
        let db = shared
            .database::<Migrator>(config, ServiceName::Notifications)
            .await?;
        let store = Store::new(db);
        let identity = shared
            .identity(Self::NAME)
            .context("the notifications service's own identity")?;
        // Lazily connected: notifications may start before courses.
        let courses = CoursesClient::as_service(
            peer("courses", &config.courses.url())?,
            Arc::clone(&identity),
        );
        // Who holds a seat (a session's change), from enrolments.
        let enrolments = EnrolmentServiceClient::with_interceptor(
            peer("enrolments", &config.enrolments.url())?,
            PeerAuth::service(Arc::clone(&identity)),
        );
        // Expiring certificates, for the expiry notices.
        let certification = CertificationServiceClient::with_interceptor(
            peer("certification", &config.certification.url())?,
            PeerAuth::service(identity),
        );
        let from: Mailbox = config
            .mail
            .from
            .parse()
            .with_context(|| format!("mail.from ({}) is not a mailbox", config.mail.from))?;
        let relay = config.mail.relay()?;
        let outbound = Outbound::from_url(relay.as_deref()).context("mail.smtp_url")?;
        tracing::info!(
            relay = if relay.is_some() {
                "smtp"
            } else {
                "development mailbox"
            },
            "notifications: where emails go"
        );
        Ok(Self {
            courier: Courier {
                store: store.clone(),
                outbound,
                from,
                workers: config.workers.clone(),
                mail: config.mail.clone(),
            },
            store,
            verifier: Arc::clone(&shared.verifier),
            courses,
            enrolments,
            certification,
            public_base_url: config.credentials.public_base_url.clone(),
            grpc: config.grpc.clone(),
        })
    }

    async fn serve(self, listener: TcpListener, shutdown: Shutdown) -> Result<(), ServeError> {
        let purge = tokio::spawn(hamafza_kit::retention::run(
            self.store.connection().clone(),
            self.store.purges(&self.courier.workers),
            self.courier.workers.purge_every(),
            shutdown.clone(),
        ));
        let api = NotificationsApi::new(
            self.store,
            self.courses,
            self.enrolments,
            self.certification,
            self.courier.from.clone(),
            self.public_base_url,
        );
        let every =
            std::time::Duration::from_secs(self.courier.workers.reminder_interval_seconds.max(1));
        let reminders = tokio::spawn(reminders::run(api.clone(), every, shutdown.clone()));
        let worker = tokio::spawn(delivery::run(self.courier, shutdown.clone()));
        let limit = self.grpc.max_message_bytes;
        let served = GrpcServer::new(&self.grpc)
            .add_service(InterceptedService::new(
                NotificationServiceServer::new(api)
                    .max_decoding_message_size(limit)
                    .max_encoding_message_size(limit),
                AuthInterceptor::new(self.verifier),
            ))
            .serve(listener, shutdown)
            .await;
        worker.abort();
        reminders.abort();
        purge.abort();
        served
    }
}
