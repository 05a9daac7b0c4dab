//! Where an admin command calls and as whom (channels, the bearer token, the
//! request id of a change), and how a failure becomes a message and an exit
//! code.

use std::process::ExitCode;
use std::time::Duration;

use hamafza_kit::config::Config;
use hamafza_kit::grpc::PeerChannel;
use hamafza_proto::certification::certification_service_client::CertificationServiceClient;
use hamafza_proto::courses::course_service_client::CourseServiceClient;
use hamafza_proto::courses::event_service_client::EventServiceClient;
use hamafza_proto::courses::organization_service_client::OrganizationServiceClient;
use hamafza_proto::courses::person_service_client::PersonServiceClient;
use hamafza_proto::courses::session_service_client::SessionServiceClient;
use hamafza_proto::enrolments::enrolment_service_client::EnrolmentServiceClient;
use tonic::metadata::{Ascii, MetadataValue};
use tonic::transport::Endpoint;
use tonic_types::StatusExt;

use super::Global;
use super::output::{Lang, Output};

/// Why a command did not succeed; each kind has its exit code.
#[derive(Debug)]
pub enum Failure {
    /// A service refused or could not be reached.
    Status(tonic::Status),
    /// Bad input found before anything was sent (exit 2).
    Usage(String),
    /// A code or name that names nothing (exit 4).
    NotFound(String),
    /// A certificate verified as not valid (exit 1): its verdict.
    Verdict(String),
    /// Whoever read the output stopped reading (`| head`): not an error.
    ClosedOutput,
    /// Anything else (exit 1).
    Other(anyhow::Error),
}

impl From<tonic::Status> for Failure {
    fn from(status: tonic::Status) -> Self {
        Self::Status(status)
    }
}

impl From<anyhow::Error> for Failure {
    fn from(error: anyhow::Error) -> Self {
        Self::Other(error)
    }
}

impl From<std::io::Error> for Failure {
    fn from(error: std::io::Error) -> Self {
        if error.kind() == std::io::ErrorKind::BrokenPipe {
            Self::ClosedOutput
        } else {
            Self::Other(error.into())
        }
    }
}

/// The exit code of a gRPC status (see [`super::EXIT_CODES`]).
pub fn exit_code(code: tonic::Code) -> u8 {
    use tonic::Code;
    match code {
        Code::Ok => 0,
        Code::Unauthenticated | Code::PermissionDenied => 3,
        Code::NotFound => 4,
        Code::Unavailable | Code::DeadlineExceeded => 5,
        Code::AlreadyExists | Code::Aborted | Code::FailedPrecondition => 6,
        Code::InvalidArgument
        | Code::OutOfRange
        | Code::Cancelled
        | Code::Unknown
        | Code::ResourceExhausted
        | Code::Unimplemented
        | Code::Internal
        | Code::DataLoss => 1,
    }
}

impl Failure {
    /// Prints the failure to stderr and returns its exit code.
    pub fn report(self) -> ExitCode {
        match self {
            Self::Status(status) => {
                let details = status.get_error_details();
                let reason = details
                    .error_info()
                    .map(|info| info.reason.clone())
                    .filter(|reason| !reason.is_empty());
                let code = hamafza_kit::grpc::code_name(status.code());
                match reason {
                    Some(reason) => eprintln!("error: {reason} ({code}): {}", status.message()),
                    None => eprintln!("error: {code}: {}", status.message()),
                }
                if let Some(bad) = details.bad_request() {
                    for violation in &bad.field_violations {
                        eprintln!("  {}: {}", violation.field, violation.description);
                    }
                }
                ExitCode::from(exit_code(status.code()))
            }
            Self::Usage(message) => {
                eprintln!("error: {message}");
                ExitCode::from(2)
            }
            Self::NotFound(message) => {
                eprintln!("error: NOT_FOUND: {message}");
                ExitCode::from(4)
            }
            Self::ClosedOutput => ExitCode::SUCCESS,
            Self::Verdict(verdict) => {
                eprintln!("not valid: {verdict}");
                ExitCode::FAILURE
            }
            Self::Other(error) => {
                eprintln!("error: {error:#}");
                ExitCode::FAILURE
            }
        }
    }
}

/// Result of a command.
pub type Outcome<T = ()> = Result<T, Failure>;

/// Channels, credentials and output settings of one command.
pub struct Context {
    courses: PeerChannel,
    enrolments: PeerChannel,
    certification: PeerChannel,
    token: Option<MetadataValue<Ascii>>,
    timeout: Duration,
    request_id: Option<String>,
    /// The language of tables.
    pub lang: Lang,
    /// What to print.
    pub output: Output,
}

impl Context {
    /// Channels to the three services (connected at the first call) and the
    /// caller's token.
    pub fn new(global: &Global, config: &Config) -> Outcome<Self> {
        let channel = |name: &'static str,
                       given: &Option<String>,
                       fallback: String|
         -> Outcome<PeerChannel> {
            let url = given.clone().unwrap_or(fallback);
            let endpoint = Endpoint::from_shared(hamafza_kit::grpc::one_endpoint(&url))
                .map_err(|error| Failure::Usage(format!("{url} is not a URL: {error}")))?;
            Ok(PeerChannel::new(
                name,
                endpoint
                    .connect_timeout(Duration::from_secs(5))
                    .connect_lazy(),
            ))
        };
        let token = match (&global.token_file, &global.token) {
            (Some(file), _) => Some(std::fs::read_to_string(file).map_err(|error| {
                Failure::Usage(format!("cannot read {}: {error}", file.display()))
            })?),
            (None, Some(token)) => Some(token.clone()),
            (None, None) => None,
        };
        let token = token
            .map(|token| token.trim().to_owned())
            .filter(|token| !token.is_empty())
            .map(|token| {
                format!("Bearer {token}")
                    .parse::<MetadataValue<Ascii>>()
                    .map_err(|_| {
                        Failure::Usage("the token has characters a header cannot carry".into())
                    })
            })
            .transpose()?;
        if let Some(id) = &global.request_id
            && (id.is_empty()
                || id.len() > 64
                || !id
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-'))
        {
            return Err(Failure::Usage(
                "--request-id: 1-64 characters of A-Z a-z 0-9 _ -".into(),
            ));
        }
        Ok(Self {
            courses: channel("courses", &global.courses, config.courses.url())?,
            enrolments: channel("enrolments", &global.enrolments, config.enrolments.url())?,
            certification: channel(
                "certification",
                &global.certification,
                config.certification.url(),
            )?,
            token,
            timeout: global.timeout,
            request_id: global.request_id.clone(),
            lang: global.lang.unwrap_or_else(Lang::from_env),
            output: if global.quiet {
                Output::Id
            } else {
                global.output
            },
        })
    }

    /// `message` with the caller's token and the call's deadline.
    pub fn request<T>(&self, message: T) -> tonic::Request<T> {
        let mut request = tonic::Request::new(message);
        request.set_timeout(self.timeout);
        if let Some(token) = &self.token {
            request
                .metadata_mut()
                .insert("authorization", token.clone());
        }
        request
    }

    /// The request id of a change: the one given, or a new UUID v7; printed
    /// to stderr so a retry can reuse it.
    pub fn request_id(&self) -> String {
        let id = self
            .request_id
            .clone()
            .unwrap_or_else(|| uuid::Uuid::now_v7().to_string());
        eprintln!("request id: {id}");
        id
    }

    /// The courses service's catalog client.
    pub fn catalog(&self) -> CourseServiceClient<PeerChannel> {
        CourseServiceClient::new(self.courses.clone())
    }

    /// The courses service's session client.
    pub fn sessions(&self) -> SessionServiceClient<PeerChannel> {
        SessionServiceClient::new(self.courses.clone())
    }

    /// The courses service's event client.
    pub fn events(&self) -> EventServiceClient<PeerChannel> {
        EventServiceClient::new(self.courses.clone())
    }

    /// The courses service's organization client.
    pub fn organizations(&self) -> OrganizationServiceClient<PeerChannel> {
        OrganizationServiceClient::new(self.courses.clone())
    }

    /// The courses service's people directory client.
    pub fn people(&self) -> PersonServiceClient<PeerChannel> {
        PersonServiceClient::new(self.courses.clone())
    }

    /// The enrolments service's client.
    pub fn enrolments(&self) -> EnrolmentServiceClient<PeerChannel> {
        EnrolmentServiceClient::new(self.enrolments.clone())
    }

    /// The certification service's client.
    pub fn certification(&self) -> CertificationServiceClient<PeerChannel> {
        CertificationServiceClient::new(self.certification.clone())
    }
}

/// The message of a response that must carry one (`course`, `session`, …).
pub fn present<T>(value: Option<T>, what: &str) -> Outcome<T> {
    value.ok_or_else(|| Failure::Other(anyhow::anyhow!("the answer carries no {what}")))
}

/// Every item of a paged list: `page` asks for the page at a token and
/// answers its items and the next token (empty after the last page).
pub async fn every_page<T>(
    page: impl AsyncFnMut(String) -> Outcome<(Vec<T>, String)>,
) -> Outcome<Vec<T>> {
    pages_until(page, |_| false).await
}

/// The first item of a paged list that `wanted` picks, reading no further
/// page once found.
pub async fn first_in_pages<T>(
    page: impl AsyncFnMut(String) -> Outcome<(Vec<T>, String)>,
    wanted: impl Fn(&T) -> bool,
) -> Outcome<Option<T>> {
    let read = pages_until(page, |items| items.iter().any(&wanted)).await?;
    Ok(read.into_iter().find(wanted))
}

async fn pages_until<T>(
    mut page: impl AsyncFnMut(String) -> Outcome<(Vec<T>, String)>,
    enough: impl Fn(&[T]) -> bool,
) -> Outcome<Vec<T>> {
    let mut all = Vec::new();
    let mut page_token = String::new();
    loop {
        let (items, next) = page(page_token).await?;
        let done = enough(&items) || next.is_empty();
        all.extend(items);
        if done {
            return Ok(all);
        }
        page_token = next;
    }
}
