//! The gateway owns no business data: every page is built from calls to the
//! three services, made with the signed-in user's own token (so each service
//! applies its own access rules), or with the gateway's service identity for
//! what anyone may see (the published catalog).

use std::sync::Arc;

use hamafza_kit::auth::ServiceToken;
use hamafza_kit::grpc::PeerChannel;
use hamafza_kit::peers::PeerAuth;
use hamafza_proto::certification::certification_service_client::CertificationServiceClient;
use hamafza_proto::courses::course_service_client::CourseServiceClient;
use hamafza_proto::courses::event_service_client::EventServiceClient;
use hamafza_proto::courses::organization_service_client::OrganizationServiceClient;
use hamafza_proto::courses::person_service_client::PersonServiceClient;
use hamafza_proto::courses::session_service_client::SessionServiceClient;
use hamafza_proto::enrolments::enrolment_service_client::EnrolmentServiceClient;
use hamafza_proto::enrolments::evaluation_service_client::EvaluationServiceClient;
use hamafza_proto::enrolments::report_service_client::ReportServiceClient;
use hamafza_proto::library::library_service_client::LibraryServiceClient;
use hamafza_proto::notifications::notification_service_client::NotificationServiceClient;
use tonic::service::interceptor::InterceptedService;

/// Channels to the services.
#[derive(Clone)]
pub struct Backends {
    /// Courses.
    pub courses: PeerChannel,
    /// Enrolments.
    pub enrolments: PeerChannel,
    /// Certification.
    pub certification: PeerChannel,
    /// Notifications (not part of readiness: the web app works without
    /// its inbox).
    pub notifications: PeerChannel,
    /// The library (not part of readiness either: only its pages need it).
    pub library: PeerChannel,
    /// The largest file the library takes, in bytes (the upload form's limit).
    pub library_max_file_bytes: usize,
    /// Their URLs, for readiness checks.
    pub urls: [String; 3],
    /// The gateway's identity for public reads.
    pub identity: Arc<ServiceToken>,
}

impl Backends {
    /// Lazily connected channels to the configured services.
    pub fn from_config(
        config: &hamafza_kit::config::Config,
        identity: Arc<ServiceToken>,
    ) -> Result<Self, tonic::transport::Error> {
        let lazy = |name: &'static str, url: &str| {
            hamafza_kit::grpc::peer_channel(
                name,
                url,
                std::time::Duration::from_secs(3),
                std::time::Duration::from_secs(10),
            )
        };
        let urls = [
            config.courses.url(),
            config.enrolments.url(),
            config.certification.url(),
        ];
        Ok(Self {
            courses: lazy("courses", &urls[0])?,
            enrolments: lazy("enrolments", &urls[1])?,
            certification: lazy("certification", &urls[2])?,
            notifications: lazy("notifications", &config.notifications.url())?,
            library: lazy("library", &config.library.url())?,
            library_max_file_bytes: config.library_store.max_file_bytes,
            urls,
            identity,
        })
    }

    /// The catalog client.
    pub fn courses(&self) -> CourseServiceClient<PeerChannel> {
        CourseServiceClient::new(self.courses.clone())
    }

    /// The sessions client.
    pub fn sessions(&self) -> SessionServiceClient<PeerChannel> {
        SessionServiceClient::new(self.courses.clone())
    }

    /// The events client.
    pub fn events(&self) -> EventServiceClient<PeerChannel> {
        EventServiceClient::new(self.courses.clone())
    }

    /// The enrolments client.
    pub fn enrolments(&self) -> EnrolmentServiceClient<PeerChannel> {
        EnrolmentServiceClient::new(self.enrolments.clone())
    }

    /// The reports client.
    pub fn reports(&self) -> ReportServiceClient<PeerChannel> {
        ReportServiceClient::new(self.enrolments.clone())
    }

    /// The certification client.
    pub fn certification(&self) -> CertificationServiceClient<PeerChannel> {
        CertificationServiceClient::new(self.certification.clone())
    }

    /// The services' clients calling as the person whose `token` this is,
    /// with the trace context: every call site passes messages only.
    pub fn as_caller(&self, token: &str) -> AsCaller {
        AsCaller {
            backends: self.clone(),
            auth: PeerAuth::bearer(token),
        }
    }

    /// The notifications client calling as the gateway itself (the
    /// development mailbox).
    pub fn notifications_as_gateway(
        &self,
    ) -> NotificationServiceClient<InterceptedService<PeerChannel, PeerAuth>> {
        NotificationServiceClient::with_interceptor(
            self.notifications.clone(),
            PeerAuth::service(Arc::clone(&self.identity)),
        )
    }

    /// The gateway's own bearer token, for public reads.
    pub fn public_token(&self) -> String {
        self.identity.bearer().unwrap_or_default()
    }
}

type Authed = InterceptedService<PeerChannel, PeerAuth>;

/// The services' clients, calling as one person ([`Backends::as_caller`]).
pub struct AsCaller {
    backends: Backends,
    auth: PeerAuth,
}

impl AsCaller {
    /// The catalog client.
    pub fn courses(&self) -> CourseServiceClient<Authed> {
        CourseServiceClient::with_interceptor(self.backends.courses.clone(), self.auth.clone())
    }

    /// The sessions client.
    pub fn sessions(&self) -> SessionServiceClient<Authed> {
        SessionServiceClient::with_interceptor(self.backends.courses.clone(), self.auth.clone())
    }

    /// The events client.
    pub fn events(&self) -> EventServiceClient<Authed> {
        EventServiceClient::with_interceptor(self.backends.courses.clone(), self.auth.clone())
    }

    /// The organizations client.
    pub fn organizations(&self) -> OrganizationServiceClient<Authed> {
        OrganizationServiceClient::with_interceptor(
            self.backends.courses.clone(),
            self.auth.clone(),
        )
    }

    /// The people directory client.
    pub fn people(&self) -> PersonServiceClient<Authed> {
        PersonServiceClient::with_interceptor(self.backends.courses.clone(), self.auth.clone())
    }

    /// The enrolments client.
    pub fn enrolments(&self) -> EnrolmentServiceClient<Authed> {
        EnrolmentServiceClient::with_interceptor(
            self.backends.enrolments.clone(),
            self.auth.clone(),
        )
    }

    /// The reports client.
    pub fn reports(&self) -> ReportServiceClient<Authed> {
        ReportServiceClient::with_interceptor(self.backends.enrolments.clone(), self.auth.clone())
    }

    /// The course evaluations client.
    pub fn evaluations(&self) -> EvaluationServiceClient<Authed> {
        EvaluationServiceClient::with_interceptor(
            self.backends.enrolments.clone(),
            self.auth.clone(),
        )
    }

    /// The notifications client.
    pub fn notifications(&self) -> NotificationServiceClient<Authed> {
        NotificationServiceClient::with_interceptor(
            self.backends.notifications.clone(),
            self.auth.clone(),
        )
    }

    /// The library client.
    pub fn library(&self) -> LibraryServiceClient<Authed> {
        LibraryServiceClient::with_interceptor(self.backends.library.clone(), self.auth.clone())
    }

    /// The certification client.
    pub fn certification(&self) -> CertificationServiceClient<Authed> {
        CertificationServiceClient::with_interceptor(
            self.backends.certification.clone(),
            self.auth.clone(),
        )
    }
}

/// `message` with the current trace context (for public calls).
pub fn traced<T>(message: T) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    hamafza_kit::grpc::inject_trace_context(request.metadata_mut());
    request
}
