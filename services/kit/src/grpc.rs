//! The gRPC server every service runs: its own services plus health
//! (`grpc.health.v1`) and reflection (v1 and v1alpha), a span per call that
//! continues the caller's W3C trace, admission control that honours the
//! caller's deadline (see [`crate::admission`]), and a graceful
//! shutdown that turns health to NOT_SERVING, lets in-flight calls finish and
//! gives up on stragglers after the configured grace period.

use std::convert::Infallible;
use std::time::{Duration, Instant};

use tokio::net::TcpListener;
use tokio_stream::StreamExt as _;
use tokio_stream::wrappers::TcpListenerStream;
use tonic::body::Body;
use tonic::codegen::http;
use tonic::server::NamedService;
use tonic::service::Routes;
use tonic_health::ServingStatus;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus as WireStatus;
use tonic_health::pb::health_client::HealthClient;
use tower::Service;

use crate::config::GrpcConfig;
use crate::shutdown::Shutdown;
use crate::telemetry::RpcMetrics;

/// A gRPC code's canonical name, as the gRPC specification spells it
/// (`INVALID_ARGUMENT`; `Debug` would say `InvalidArgument`): what people
/// and records are shown.
pub fn code_name(code: tonic::Code) -> &'static str {
    use tonic::Code;
    match code {
        Code::Ok => "OK",
        Code::Cancelled => "CANCELLED",
        Code::Unknown => "UNKNOWN",
        Code::InvalidArgument => "INVALID_ARGUMENT",
        Code::DeadlineExceeded => "DEADLINE_EXCEEDED",
        Code::NotFound => "NOT_FOUND",
        Code::AlreadyExists => "ALREADY_EXISTS",
        Code::PermissionDenied => "PERMISSION_DENIED",
        Code::ResourceExhausted => "RESOURCE_EXHAUSTED",
        Code::FailedPrecondition => "FAILED_PRECONDITION",
        Code::Aborted => "ABORTED",
        Code::OutOfRange => "OUT_OF_RANGE",
        Code::Unimplemented => "UNIMPLEMENTED",
        Code::Internal => "INTERNAL",
        Code::Unavailable => "UNAVAILABLE",
        Code::DataLoss => "DATA_LOSS",
        Code::Unauthenticated => "UNAUTHENTICATED",
    }
}

/// Builds and runs one gRPC server.
pub struct GrpcServer {
    config: GrpcConfig,
    routes: Routes,
    service_names: Vec<&'static str>,
}

impl GrpcServer {
    /// A server with no services yet.
    pub fn new(config: &GrpcConfig) -> Self {
        Self {
            config: config.clone(),
            routes: Routes::default(),
            service_names: Vec::new(),
        }
    }

    /// Mounts a service; it is reported SERVING by health while the server runs.
    pub fn add_service<S>(mut self, service: S) -> Self
    where
        S: Service<http::Request<Body>, Error = Infallible>
            + NamedService
            + Clone
            + Send
            + Sync
            + 'static,
        S::Response: axum::response::IntoResponse,
        S::Future: Send + 'static,
    {
        self.service_names.push(S::NAME);
        self.routes = self.routes.add_service(service);
        self
    }

    /// Serves on `listener` until `shutdown` fires, then drains.
    pub async fn serve(self, listener: TcpListener, shutdown: Shutdown) -> Result<(), ServeError> {
        let local_addr = listener.local_addr().ok();
        let (health, health_service) = tonic_health::server::health_reporter();
        for name in &self.service_names {
            health
                .set_service_status(*name, ServingStatus::Serving)
                .await;
        }
        health.set_service_status("", ServingStatus::Serving).await;

        let reflection = || {
            // List only what this server serves; every contract's descriptors
            // stay resolvable by symbol.
            self.service_names
                .iter()
                .chain(
                    [
                        "grpc.health.v1.Health",
                        "grpc.reflection.v1.ServerReflection",
                    ]
                    .iter(),
                )
                .fold(reflection(), |builder, name| {
                    builder.with_service_name(*name)
                })
        };
        let routes = self
            .routes
            .add_service(health_service)
            .add_service(reflection().build_v1()?)
            .add_service(reflection().build_v1alpha()?);
        let grace = self.config.shutdown_grace();
        let names = self.service_names;
        let mut server = tonic::transport::Server::builder()
            // No server-side timeout of our own. A call that has started runs
            // to its end even when its future is dropped (tonic drops it at
            // the caller's grpc-timeout, hyper when the caller hangs up): the
            // admission layer then spawns the rest (`RunToEnd`), so a write
            // is never cut off half-done. Calls queued for longer than the
            // request timeout (or the caller's grpc-timeout) never start.
            .http2_keepalive_interval(Some(Duration::from_secs(30)))
            .http2_keepalive_timeout(Some(Duration::from_secs(10)))
            .tcp_nodelay(true)
            .layer(RpcTelemetryLayer::default())
            .layer(crate::admission::AdmissionLayer::new(
                self.config.max_concurrent_calls,
                Duration::from_millis(self.config.admission_wait_millis)
                    .min(Duration::from_secs(self.config.request_timeout_seconds)),
            ));
        let router = server.add_routes(routes.prepare());

        let drain_signal = shutdown.clone();
        let on_shutdown = async move {
            drain_signal.requested().await;
            for name in &names {
                health
                    .set_service_status(*name, ServingStatus::NotServing)
                    .await;
            }
            health
                .set_service_status("", ServingStatus::NotServing)
                .await;
            tracing::info!(addr = ?local_addr, "draining in-flight calls");
        };
        // The builder's tcp_nodelay covers only listeners tonic binds itself:
        // without it, a reply larger than one segment waits for the
        // client's delayed ACK (~40 ms).
        let incoming = TcpListenerStream::new(listener).map(|stream| {
            stream.inspect(|stream| {
                if let Err(error) = stream.set_nodelay(true) {
                    tracing::warn!(%error, "could not set TCP_NODELAY on a connection");
                }
            })
        });
        let serve = router.serve_with_incoming_shutdown(incoming, on_shutdown);
        tokio::pin!(serve);
        // Idle clients may keep connections open; the grace period bounds the wait.
        let deadline = async move {
            shutdown.requested().await;
            tokio::time::sleep(grace).await;
        };
        tokio::select! {
            result = &mut serve => {
                tracing::info!(addr = ?local_addr, "server stopped");
                Ok(result?)
            }
            () = deadline => {
                tracing::warn!(
                    addr = ?local_addr,
                    grace_seconds = grace.as_secs(),
                    "shutdown grace elapsed; dropping remaining connections"
                );
                Ok(())
            }
        }
    }
}

/// Why a server could not run.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// The reflection descriptors are unusable (a build defect).
    #[error("reflection: {0}")]
    Reflection(#[from] tonic_reflection::server::Error),
    /// The transport failed.
    #[error("transport: {0}")]
    Transport(#[from] tonic::transport::Error),
    /// The service could not prepare what it serves (e.g. storage was down).
    #[error("starting: {0}")]
    Startup(String),
}

/// Reflection over every Hamafza contract and the health service.
fn reflection() -> tonic_reflection::server::Builder<'static> {
    tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(hamafza_proto::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
}

/// Wraps every call in a span named after the RPC (continuing the caller's
/// trace when it sent a `traceparent` header) and records its status code on
/// the span and in the [`RpcMetrics`].
#[derive(Clone, Default)]
pub struct RpcTelemetryLayer {
    metrics: RpcMetrics,
}

impl<S> tower::Layer<S> for RpcTelemetryLayer {
    type Service = RpcTelemetry<S>;

    fn layer(&self, inner: S) -> Self::Service {
        RpcTelemetry {
            inner,
            metrics: self.metrics.clone(),
        }
    }
}

/// The service made by [`RpcTelemetryLayer`].
#[derive(Clone)]
pub struct RpcTelemetry<S> {
    inner: S,
    metrics: RpcMetrics,
}

impl<S, B, R> Service<http::Request<B>> for RpcTelemetry<S>
where
    S: Service<http::Request<B>, Response = http::Response<R>>,
    S::Future: Send + 'static,
    S::Error: Send + 'static,
    R: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = futures::future::BoxFuture<'static, Result<S::Response, S::Error>>;

    fn poll_ready(
        &mut self,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<B>) -> Self::Future {
        use tracing::Instrument as _;
        let started = Instant::now();
        let (service, method) = rpc_name(request.uri().path());
        let span = call_span(&service, &method, request.headers());
        let call = span.in_scope(|| self.inner.call(request));
        let metrics = self.metrics.clone();
        Box::pin(
            async move {
                let mut result = call.await;
                if let Ok(response) = &mut result {
                    undecodable_is_invalid_argument(response.headers_mut());
                }
                // An error status travels in the headers ("trailers only");
                // a success's OK comes later in the trailers.
                let code = match &result {
                    Ok(response) => response
                        .headers()
                        .get("grpc-status")
                        .and_then(|value| value.to_str().ok())
                        .and_then(|value| value.parse::<i32>().ok())
                        .map_or(tonic::Code::Ok, tonic::Code::from_i32),
                    Err(_) => tonic::Code::Unknown,
                };
                if crate::telemetry::exporting() {
                    let span = tracing::Span::current();
                    span.record("rpc.grpc.status_code", code as i32);
                    if is_server_error(code) {
                        span.record("otel.status_code", "ERROR");
                    }
                    metrics.record(&service, &method, code, started.elapsed());
                }
                result
            }
            .instrument(span),
        )
    }
}

/// What tonic says when a request's bytes are not a valid message (truncated
/// varints, wrong wire types, bad UTF-8, broken framing): it answers
/// INTERNAL, as the gRPC status guide suggests for a peer's parse failure,
/// but the bytes are the caller's, so the caller hears INVALID_ARGUMENT.
/// Our own internal errors never say these words (they say "internal error").
const UNDECODABLE: [&str; 5] = [
    "failed to decode Protobuf message",
    "protocol error",
    "Unexpected EOF decoding stream",
    "Error decompressing",
    "Error, decoded message length",
];

/// Rewrites a trailers-only INTERNAL answer to an undecodable request into
/// INVALID_ARGUMENT (tonic reads and writes the status headers).
fn undecodable_is_invalid_argument(headers: &mut http::HeaderMap) {
    let Some(status) = tonic::Status::from_header_map(headers) else {
        return;
    };
    if status.code() == tonic::Code::Internal
        && UNDECODABLE
            .iter()
            .any(|prefix| status.message().starts_with(prefix))
    {
        let _ = tonic::Status::invalid_argument(
            "invalid request: the message is not a valid protobuf encoding of the request",
        )
        .add_header(headers);
    }
}

/// `/hamafza.courses.v1.CourseService/GetCourse` → service and method.
fn rpc_name(path: &str) -> (String, String) {
    match path.trim_start_matches('/').split_once('/') {
        Some((service, method)) => (service.to_owned(), method.to_owned()),
        None => ("unknown".to_owned(), path.to_owned()),
    }
}

/// Codes that mean the server failed (OpenTelemetry's rule for gRPC servers);
/// a caller's mistake (invalid argument, not found, …) is not a failed span.
fn is_server_error(code: tonic::Code) -> bool {
    matches!(
        code,
        tonic::Code::Unknown
            | tonic::Code::DeadlineExceeded
            | tonic::Code::Unimplemented
            | tonic::Code::Internal
            | tonic::Code::Unavailable
            | tonic::Code::DataLoss
    )
}

fn call_span(service: &str, method: &str, headers: &http::HeaderMap) -> tracing::Span {
    crate::telemetry::request_span(headers, |ids| {
        let (trace_id, span_id) = ids.unzip();
        tracing::info_span!(
            parent: None,
            "grpc.request",
            otel.name = %format!("{service}/{method}"),
            otel.kind = "server",
            otel.status_code = tracing::field::Empty,
            rpc.system = "grpc",
            rpc.service = %service,
            rpc.method = %method,
            rpc.grpc.status_code = tracing::field::Empty,
            trace_id = trace_id.map(tracing::field::display),
            span_id = span_id.map(tracing::field::display),
        )
    })
}

/// Reads W3C trace context from HTTP/2 headers.
pub struct HeaderExtractor<'a>(pub &'a http::HeaderMap);

impl opentelemetry::propagation::Extractor for HeaderExtractor<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|value| value.to_str().ok())
    }

    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(http::HeaderName::as_str).collect()
    }
}

/// Turns a handler's result into a gRPC reply.
pub fn reply<T>(result: Result<T, crate::ApiError>) -> Result<tonic::Response<T>, tonic::Status> {
    result
        .map(tonic::Response::new)
        .map_err(tonic::Status::from)
}

/// Writes W3C trace context into gRPC metadata.
pub struct MetadataInjector<'a>(pub &'a mut tonic::metadata::MetadataMap);

impl opentelemetry::propagation::Injector for MetadataInjector<'_> {
    fn set(&mut self, key: &str, value: String) {
        if let (Ok(key), Ok(value)) = (
            tonic::metadata::MetadataKey::from_bytes(key.as_bytes()),
            tonic::metadata::MetadataValue::try_from(value.as_str()),
        ) {
            self.0.insert(key, value);
        }
    }
}

/// Carries the current span's trace into an outgoing call, so that one
/// click in the web app is one trace across the services.
pub fn inject_trace_context(metadata: &mut tonic::metadata::MetadataMap) {
    let context = crate::telemetry::context_of(&tracing::Span::current());
    opentelemetry::global::get_text_map_propagator(|propagator| {
        propagator.inject_context(&context, &mut MetadataInjector(metadata));
    });
}

/// What a health check found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Health {
    /// The server answers and reports SERVING.
    Serving,
    /// The server answers but is not serving (e.g. shutting down).
    NotServing,
}

/// One endpoint's URL for a peer's `url`: `dns:///host:port` (gRPC's
/// naming, which [`peer_channel`] balances over every address) becomes
/// `http://host:port`, for a caller that makes a few calls and needs no
/// balancing (a health check, the admin CLI); any other URL is itself.
pub fn one_endpoint(url: &str) -> String {
    url.strip_prefix("dns:///")
        .map_or_else(|| url.to_owned(), |target| format!("http://{target}"))
}

/// Asks the server at `url` (e.g. `http://127.0.0.1:50051`, or
/// `dns:///courses:50051`: one of its addresses) whether `service` (empty
/// for the whole server) is serving.
pub async fn check_health(url: &str, service: &str, timeout: Duration) -> Result<Health, String> {
    let endpoint = tonic::transport::Endpoint::from_shared(one_endpoint(url))
        .map_err(|error| format!("invalid address {url}: {error}"))?
        .connect_timeout(timeout)
        .timeout(timeout);
    let channel = endpoint
        .connect()
        .await
        .map_err(|error| format!("cannot connect to {url}: {error}"))?;
    let response = HealthClient::new(channel)
        .check(HealthCheckRequest {
            service: service.to_owned(),
        })
        .await
        .map_err(|status| format!("health check failed: {}", status.message()))?;
    Ok(match response.into_inner().status() {
        WireStatus::Serving => Health::Serving,
        _ => Health::NotServing,
    })
}

/// How often a `dns:///` peer's name is resolved again.
const RESOLVE_EVERY: Duration = Duration::from_secs(15);

/// How long a service waits to connect to a peer it calls.
pub const PEER_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// How long one call from a service to a peer may take.
pub const PEER_CALL_TIMEOUT: Duration = Duration::from_secs(15);

/// [`peer_channel`] with the timeouts services use between each other.
pub fn peer(name: &'static str, url: &str) -> Result<PeerChannel, tonic::transport::Error> {
    peer_channel(name, url, PEER_CONNECT_TIMEOUT, PEER_CALL_TIMEOUT)
}

/// A lazily connected channel to the peer service `name` (named in the
/// refusals of calls that cannot reach it: [`PeerChannel`]); nothing is
/// dialled until the first call, so the peer may start later.
///
/// `http://host:port` is one endpoint (HTTP/2 keeps one connection, so a
/// load balancer in between sees one client). `dns:///host:port` (gRPC's
/// naming) balances every call across all addresses the name resolves to,
/// resolving again every 15 s: with a headless Kubernetes Service (one DNS
/// record per ready pod) calls spread over the replicas and follow them as
/// they come and go.
pub fn peer_channel(
    name: &'static str,
    url: &str,
    connect_timeout: Duration,
    timeout: Duration,
) -> Result<PeerChannel, tonic::transport::Error> {
    Ok(PeerChannel::new(
        name,
        channel_to(url, connect_timeout, timeout)?,
    ))
}

/// The channel of [`peer_channel`], before it is named.
fn channel_to(
    url: &str,
    connect_timeout: Duration,
    timeout: Duration,
) -> Result<tonic::transport::Channel, tonic::transport::Error> {
    use tonic::transport::Endpoint;
    let endpoint = move |url: String| -> Result<Endpoint, tonic::transport::Error> {
        Ok(Endpoint::from_shared(url)?
            .connect_timeout(connect_timeout)
            .timeout(timeout)
            .tcp_nodelay(true))
    };
    let Some(target) = url.strip_prefix("dns:///") else {
        return Ok(endpoint(url.to_owned())?.connect_lazy());
    };
    // Validates the target as an authority before anything runs.
    let probe = endpoint(format!("http://{target}"))?;
    if tokio::runtime::Handle::try_current().is_err() {
        return Ok(probe.connect_lazy());
    }
    let host = probe.uri().host().unwrap_or_default().to_owned();
    let port = probe.uri().port_u16().unwrap_or(80);
    let resolve = move || {
        let host = host.clone();
        async move {
            tokio::net::lookup_host((host.as_str(), port))
                .await
                .map(Iterator::collect)
        }
    };
    Ok(balanced(
        target.to_owned(),
        move |addr| endpoint(format!("http://{addr}")).ok(),
        resolve,
        RESOLVE_EVERY,
    ))
}

/// A channel to a peer service that names it: a call that cannot reach the
/// peer, or gets no answer in time, is refused with the peer's name and the
/// cause (`courses could not be reached: tcp connect error (Connection
/// refused (os error 111))`), so a refusal relayed further says which hop
/// failed. The code is tonic's (UNAVAILABLE, ...), except that a call whose
/// deadline passes is DEADLINE_EXCEEDED (tonic says CANCELLED); what the
/// peer answers passes unchanged.
#[derive(Clone, Debug)]
pub struct PeerChannel {
    name: &'static str,
    channel: tonic::transport::Channel,
}

impl PeerChannel {
    /// `channel` to the peer called `name`.
    pub fn new(name: &'static str, channel: tonic::transport::Channel) -> Self {
        Self { name, channel }
    }

    /// A call's failure on the way to the peer `name`, as tonic would
    /// refuse it, with what happened in words and the deepest cause.
    fn failed(name: &'static str, error: tonic::transport::Error) -> tonic::Status {
        let chain = || {
            std::iter::successors(Some(&error as &(dyn std::error::Error + 'static)), |e| {
                e.source()
            })
        };
        // tonic says CANCELLED when the call's deadline passes; gRPC's
        // table says DEADLINE_EXCEEDED (the caller did not cancel anything),
        // and a caller tells a slow peer from an abandoned call by it.
        let (what, code) = if chain().any(|e| e.is::<tonic::ConnectError>()) {
            (format!("{name} could not be reached"), None)
        } else if chain().any(|e| e.is::<tonic::TimeoutExpired>()) {
            (
                format!("{name} did not answer in time"),
                Some(tonic::Code::DeadlineExceeded),
            )
        } else {
            (format!("the call to {name} failed"), None)
        };
        let cause = chain().last().map(ToString::to_string).unwrap_or_default();
        let status = tonic::Status::from_error(Box::new(error));
        let message = if cause == status.message() {
            format!("{what}: {cause}")
        } else {
            format!("{what}: {} ({cause})", status.message())
        };
        let mut named = tonic::Status::new(code.unwrap_or(status.code()), message);
        named.set_source(std::sync::Arc::new(status));
        named
    }
}

impl Service<http::Request<Body>> for PeerChannel {
    type Response = http::Response<Body>;
    type Error = tonic::Status;
    type Future = std::pin::Pin<
        Box<dyn Future<Output = Result<http::Response<Body>, tonic::Status>> + Send + 'static>,
    >;

    fn poll_ready(
        &mut self,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), tonic::Status>> {
        let name = self.name;
        self.channel
            .poll_ready(cx)
            .map_err(|error| Self::failed(name, error))
    }

    fn call(&mut self, request: http::Request<Body>) -> Self::Future {
        let name = self.name;
        let response = self.channel.call(request);
        Box::pin(async move { response.await.map_err(|error| Self::failed(name, error)) })
    }
}

/// A channel balancing over the addresses `resolve` returns, asked again
/// every `every`; the resolving task ends when the channel is dropped.
fn balanced<M, R, F>(
    peer: String,
    make: M,
    mut resolve: R,
    every: Duration,
) -> tonic::transport::Channel
where
    M: Fn(std::net::SocketAddr) -> Option<tonic::transport::Endpoint> + Send + 'static,
    R: FnMut() -> F + Send + 'static,
    F: std::future::Future<Output = std::io::Result<Vec<std::net::SocketAddr>>> + Send,
{
    use std::collections::HashSet;
    use tonic::transport::channel::Change;
    let (channel, changes) = tonic::transport::Channel::balance_channel(16);
    tokio::spawn(async move {
        let mut known: HashSet<std::net::SocketAddr> = HashSet::new();
        while !changes.is_closed() {
            match resolve().await {
                Ok(found) => {
                    let found: HashSet<_> = found.into_iter().collect();
                    for addr in found.difference(&known) {
                        if let Some(endpoint) = make(*addr) {
                            tracing::info!(%peer, %addr, "peer address added");
                            if changes.send(Change::Insert(*addr, endpoint)).await.is_err() {
                                return;
                            }
                        }
                    }
                    for addr in known.difference(&found) {
                        tracing::info!(%peer, %addr, "peer address removed");
                        if changes.send(Change::Remove(*addr)).await.is_err() {
                            return;
                        }
                    }
                    known = found;
                }
                // Keep the last known addresses: a DNS hiccup is not an outage.
                Err(error) => tracing::warn!(%peer, %error, "resolving a peer failed"),
            }
            tokio::time::sleep(every).await;
        }
    });
    channel
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use std::collections::HashSet;
    use std::net::SocketAddr;
    use std::sync::{Arc, Mutex};
    use std::time::Duration;

    use tonic_health::ServingStatus;
    use tonic_health::pb::HealthCheckRequest;
    use tonic_health::pb::health_client::HealthClient;

    /// A health server that reports service "replica" as `status`, so an
    /// answer tells which replica gave it.
    async fn replica(status: ServingStatus) -> SocketAddr {
        let (reporter, service) = tonic_health::server::health_reporter();
        reporter.set_service_status("replica", status).await;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            let _keep = reporter;
            tonic::transport::Server::builder()
                .add_service(service)
                .serve_with_incoming(tokio_stream::wrappers::TcpListenerStream::new(listener))
                .await
        });
        addr
    }

    async fn answers(channel: &tonic::transport::Channel, calls: usize) -> HashSet<i32> {
        let mut seen = HashSet::new();
        for _ in 0..calls {
            let answer = HealthClient::new(channel.clone())
                .check(HealthCheckRequest {
                    service: "replica".to_owned(),
                })
                .await
                .unwrap();
            seen.insert(answer.into_inner().status);
        }
        seen
    }

    #[tokio::test]
    async fn a_health_check_reaches_a_dns_named_peer() {
        // The gateway's /readyz and the admin CLI are given the peers' URLs
        // as services are (dns:///courses:50051 in Kubernetes).
        let serving = replica(ServingStatus::Serving).await;
        let named = format!("dns:///localhost:{}", serving.port());
        let health = super::check_health(&named, "replica", Duration::from_secs(5)).await;
        assert_eq!(health, Ok(super::Health::Serving));
        let not_serving = replica(ServingStatus::NotServing).await;
        let named = format!("dns:///127.0.0.1:{}", not_serving.port());
        let health = super::check_health(&named, "replica", Duration::from_secs(5)).await;
        assert_eq!(health, Ok(super::Health::NotServing));
        assert_eq!(super::one_endpoint("http://a:1"), "http://a:1");
    }

    #[tokio::test]
    async fn a_dns_peer_spreads_calls_over_every_address_and_follows_changes() {
        let serving = replica(ServingStatus::Serving).await;
        let not_serving = replica(ServingStatus::NotServing).await;
        let records = Arc::new(Mutex::new(vec![serving, not_serving]));
        let resolve = {
            let records = Arc::clone(&records);
            move || {
                let found = records.lock().unwrap().clone();
                async move { Ok(found) }
            }
        };
        let channel = super::balanced(
            "replicas".to_owned(),
            |addr| tonic::transport::Endpoint::from_shared(format!("http://{addr}")).ok(),
            resolve,
            Duration::from_millis(50),
        );
        assert_eq!(
            answers(&channel, 60).await.len(),
            2,
            "both replicas answer some of the calls"
        );
        // One replica leaves the records: calls stop going to it.
        records.lock().unwrap().retain(|addr| *addr == serving);
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(
            answers(&channel, 30).await,
            HashSet::from([tonic_health::pb::health_check_response::ServingStatus::Serving as i32]),
        );
    }

    #[tokio::test]
    async fn an_http_peer_url_is_one_lazy_endpoint_and_a_bad_one_is_refused() {
        let addr = replica(ServingStatus::Serving).await;
        let channel = super::peer_channel(
            "replica",
            &format!("http://{addr}"),
            Duration::from_secs(1),
            Duration::from_secs(1),
        )
        .unwrap();
        assert_eq!(answers(&channel.channel, 2).await.len(), 1);
        let by_name = super::peer_channel(
            "replica",
            &format!("dns:///localhost:{}", addr.port()),
            Duration::from_secs(1),
            Duration::from_secs(1),
        )
        .unwrap();
        assert_eq!(
            answers(&by_name.channel, 2).await.len(),
            1,
            "dns:/// resolves and calls"
        );
        assert!(
            super::peer_channel(
                "replica",
                "dns:///not a host",
                Duration::from_secs(1),
                Duration::from_secs(1)
            )
            .is_err()
        );
    }

    /// How a health check through a channel to `addr`, named `name`, with a
    /// call timeout of `timeout`, is refused.
    async fn refusal(name: &'static str, addr: SocketAddr, timeout: Duration) -> tonic::Status {
        let channel = super::peer_channel(
            name,
            &format!("http://{addr}"),
            Duration::from_secs(1),
            timeout,
        )
        .unwrap();
        HealthClient::new(channel)
            .check(HealthCheckRequest::default())
            .await
            .unwrap_err()
    }

    #[tokio::test]
    async fn a_peer_that_cannot_be_reached_is_named_in_the_refusal() {
        // A port nothing listens on: bound, then released.
        let addr = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap();
        let refused = refusal("courses", addr, Duration::from_secs(1)).await;
        assert_eq!(refused.code(), tonic::Code::Unavailable);
        assert!(
            refused
                .message()
                .starts_with("courses could not be reached: tcp connect error"),
            "{}",
            refused.message()
        );
        assert!(
            refused.message().contains("refused"),
            "the cause: {}",
            refused.message()
        );
    }

    #[tokio::test]
    async fn a_peer_that_does_not_answer_in_time_is_named_in_the_refusal() {
        // Connections are taken (the kernel's backlog) and never answered.
        let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = silent.local_addr().unwrap();
        let refused = refusal("enrolments", addr, Duration::from_millis(300)).await;
        assert_eq!(refused.code(), tonic::Code::DeadlineExceeded);
        assert!(
            refused
                .message()
                .starts_with("enrolments did not answer in time: "),
            "{}",
            refused.message()
        );
    }
}
