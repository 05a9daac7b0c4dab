//! Logs, traces and metrics.
//!
//! Logs go to stderr as pretty text or JSON; every request's span carries its
//! `trace_id` and `span_id`, so a log line leads to its trace, and W3C trace
//! context flows between services with or without a collector. When
//! `OTEL_EXPORTER_OTLP_ENDPOINT` is set, spans are OpenTelemetry spans and
//! they and the metrics are exported over OTLP/gRPC; without it, spans carry
//! only their ids ([`ids`]), since nothing would read the rest. Keep the
//! returned guard alive: dropping it flushes both.

mod ids;

use std::time::Duration;

use opentelemetry::KeyValue;
use opentelemetry::metrics::{Counter, Histogram};
use opentelemetry::trace::{SpanId, TraceContextExt as _, TraceId, TracerProvider as _};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::metrics::{PeriodicReader, SdkMeterProvider};
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing_opentelemetry::OpenTelemetrySpanExt as _;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

use crate::config::{LogConfig, LogFormat};

/// The standard variable naming the OTLP collector.
pub const OTLP_ENDPOINT_ENV: &str = "OTEL_EXPORTER_OTLP_ENDPOINT";
/// The standard variable setting how often metrics are exported (milliseconds).
pub const METRIC_INTERVAL_ENV: &str = "OTEL_METRIC_EXPORT_INTERVAL";

/// Whether spans and metrics go to a collector (set once by [`init`]).
static EXPORTING: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Whether spans and metrics go to a collector. Without one, what only an
/// exported span or metric would carry (a finished call's status, its
/// duration) is not worth computing per call: no log line comes after it.
pub fn exporting() -> bool {
    EXPORTING.load(std::sync::atomic::Ordering::Relaxed)
}

/// Flushes and shuts the exporters down when dropped.
#[must_use = "dropping the guard stops trace and metric export"]
pub struct TelemetryGuard {
    tracer: Option<SdkTracerProvider>,
    meter: Option<SdkMeterProvider>,
}

impl Drop for TelemetryGuard {
    fn drop(&mut self) {
        if let Some(provider) = self.tracer.take()
            && let Err(error) = provider.shutdown()
        {
            eprintln!("flushing traces failed: {error}");
        }
        if let Some(provider) = self.meter.take()
            && let Err(error) = provider.shutdown()
        {
            eprintln!("flushing metrics failed: {error}");
        }
    }
}

/// Why telemetry could not start.
#[derive(Debug, thiserror::Error)]
pub enum TelemetryError {
    /// The OTLP exporter could not be built.
    #[error("OTLP exporter: {0}")]
    Exporter(#[from] opentelemetry_otlp::ExporterBuildError),
    /// A global subscriber was already installed.
    #[error("tracing subscriber: {0}")]
    Subscriber(#[from] tracing_subscriber::util::TryInitError),
}

/// Installs the global subscriber, tracer and meter. Must run inside the tokio
/// runtime: the OTLP batch exporter spawns onto it and would otherwise drop
/// spans silently.
pub fn init(service_name: &str, log: &LogConfig) -> Result<TelemetryGuard, TelemetryError> {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(log.filter.clone()));
    opentelemetry::global::set_text_map_propagator(TraceContextPropagator::new());
    let resource = Resource::builder()
        .with_service_name(service_name.to_owned())
        .build();

    let endpoint = std::env::var(OTLP_ENDPOINT_ENV)
        .ok()
        .filter(|endpoint| !endpoint.trim().is_empty());
    let mut tracer = None;
    let mut meter = None;
    if endpoint.is_some() {
        let spans = opentelemetry_otlp::SpanExporter::builder()
            .with_tonic()
            .build()?;
        let provider = SdkTracerProvider::builder()
            .with_resource(resource.clone())
            .with_batch_exporter(spans)
            .build();
        opentelemetry::global::set_tracer_provider(provider.clone());
        tracer = Some(provider);
        let metrics = opentelemetry_otlp::MetricExporter::builder()
            .with_tonic()
            .build()?;
        let interval = std::env::var(METRIC_INTERVAL_ENV)
            .ok()
            .and_then(|millis| millis.parse().ok())
            .map_or(Duration::from_secs(15), Duration::from_millis);
        let provider = SdkMeterProvider::builder()
            .with_reader(
                PeriodicReader::builder(metrics)
                    .with_interval(interval)
                    .build(),
            )
            .with_resource(resource)
            .build();
        opentelemetry::global::set_meter_provider(provider.clone());
        meter = Some(provider);
        EXPORTING.store(true, std::sync::atomic::Ordering::Relaxed);
    }
    // With a collector, OpenTelemetry spans: no busy/idle timings (two clock
    // reads on every poll of every call's future) and no OpenTelemetry
    // context attached on each enter (outgoing calls take their trace from
    // the tracing span, `inject_trace_context`). Without one, only the ids.
    let otel_layer = tracer.as_ref().map(|provider| {
        tracing_opentelemetry::layer()
            .with_tracked_inactivity(false)
            .with_context_activation(false)
            .with_tracer(provider.tracer(service_name.to_owned()))
    });
    let ids_layer = tracer.is_none().then(ids::TraceIdsLayer::default);

    let registry = tracing_subscriber::registry()
        .with(filter)
        .with(otel_layer)
        .with(ids_layer);
    match log.format {
        LogFormat::Json => registry
            .with(
                tracing_subscriber::fmt::layer()
                    .json()
                    .with_current_span(true)
                    .with_span_list(true)
                    .with_writer(std::io::stderr),
            )
            .try_init()?,
        LogFormat::Pretty => registry
            .with(
                tracing_subscriber::fmt::layer()
                    .compact()
                    .with_target(false)
                    .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
                    .with_writer(std::io::stderr),
            )
            .try_init()?,
    }
    if let Some(endpoint) = endpoint {
        tracing::info!(endpoint, "exporting traces and metrics over OTLP");
    }
    Ok(TelemetryGuard { tracer, meter })
}

/// Makes a request's root span with `make` and continues in it the trace a
/// caller sent (W3C `traceparent` and `tracestate` in `headers`, if any).
///
/// Without a collector the span's ids are chosen first and `make` is given
/// them, to write into the span's `trace_id` and `span_id` fields as it makes
/// it: the JSON log layer formats a span's fields once when it is made, and
/// parses and formats them all again at every later record, which
/// [`continue_trace`] would cost each call. With a collector (`make` gets
/// `None`) its layer chooses the ids, and they are recorded after.
pub fn request_span(
    headers: &tonic::codegen::http::HeaderMap,
    make: impl FnOnce(Option<(TraceId, SpanId)>) -> tracing::Span,
) -> tracing::Span {
    if exporting() {
        let span = make(None);
        continue_trace(&span, headers);
        return span;
    }
    let remote = caller_context(headers).span().span_context().clone();
    let ids = ids::TraceIds::continuing(&remote);
    let chosen = (ids.trace_id, ids.span_id);
    // Forgotten even if `make` panics, so no later span takes them.
    let preset = ids::preset(ids);
    let span = make(Some(chosen));
    if preset.unused() {
        // No ids layer saw the span (none installed, or the span is
        // filtered out): as for any span.
        continue_trace(&span, headers);
    }
    span
}

/// The caller's trace context, from W3C trace context in `headers` (with an
/// invalid span if none).
fn caller_context(headers: &tonic::codegen::http::HeaderMap) -> opentelemetry::Context {
    opentelemetry::global::get_text_map_propagator(|propagator| {
        propagator.extract(&crate::grpc::HeaderExtractor(headers))
    })
}

/// Continues the trace a caller sent (W3C `traceparent` and `tracestate` in
/// `headers`, if any) in `span`, a request's root span (`parent: None`) made
/// before any span inside it, and writes the
/// span's ids into its `trace_id` and `span_id` fields (declared `Empty`), so
/// every log line inside it names its trace.
pub(crate) fn continue_trace(span: &tracing::Span, headers: &tonic::codegen::http::HeaderMap) {
    let parent = caller_context(headers);
    let remote = parent.span().span_context().clone();
    let adopted = ids::with_ids_mut(span, |ids| {
        if remote.is_valid() {
            ids.trace_id = remote.trace_id();
            ids.flags = remote.trace_flags();
            ids.state = remote.trace_state().clone();
        }
    });
    if adopted.is_none() {
        // The OpenTelemetry layer (or none at all, in some tests: then there
        // is nothing to link).
        let _ = span.set_parent(parent);
    }
    record_ids(span);
}

/// The trace context of `span`, to carry into an outgoing call.
pub(crate) fn context_of(span: &tracing::Span) -> opentelemetry::Context {
    ids::ids_of(span).map_or_else(
        || span.context(),
        |ids| opentelemetry::Context::new().with_remote_span_context(ids.span_context()),
    )
}

/// Writes the span's ids into its `trace_id` and `span_id` fields (declared
/// `Empty` by the caller), so every log line inside it names its trace.
fn record_ids(span: &tracing::Span) {
    let ids = context_of(span).span().span_context().clone();
    if ids.is_valid() {
        // One record of both: every layer handles each record call (the
        // JSON log layer reparses the span's fields each time).
        tracing::record_all!(span, trace_id = %ids.trace_id(), span_id = %ids.span_id());
    }
}

/// Histogram bucket bounds of request durations, in seconds: 1 ms to 10 s.
const LATENCY_BUCKETS: [f64; 13] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// Request count, errors and duration per RPC, as OpenTelemetry metrics:
/// `rpc.server.requests`, `rpc.server.errors` (counters) and
/// `rpc.server.call.duration` (seconds), each with `rpc.system`,
/// `rpc.service`, `rpc.method` and `rpc.grpc.status_code`.
#[derive(Clone)]
pub struct RpcMetrics {
    requests: Counter<u64>,
    errors: Counter<u64>,
    duration: Histogram<f64>,
}

impl RpcMetrics {
    /// Instruments from the global meter (set by [`init`]; a no-op before).
    pub fn new() -> Self {
        let meter = opentelemetry::global::meter("hamafza");
        Self {
            requests: meter
                .u64_counter("rpc.server.requests")
                .with_description("Calls answered, by RPC and status code")
                .build(),
            errors: meter
                .u64_counter("rpc.server.errors")
                .with_description("Calls answered with a status other than OK")
                .build(),
            duration: meter
                .f64_histogram("rpc.server.call.duration")
                .with_unit("s")
                .with_description("Time from the request to the response headers")
                .with_boundaries(LATENCY_BUCKETS.to_vec())
                .build(),
        }
    }

    /// Records one answered call.
    pub fn record(&self, service: &str, method: &str, code: tonic::Code, elapsed: Duration) {
        if !exporting() {
            return;
        }
        let attributes = [
            KeyValue::new("rpc.system", "grpc"),
            KeyValue::new("rpc.service", service.to_owned()),
            KeyValue::new("rpc.method", method.to_owned()),
            KeyValue::new("rpc.grpc.status_code", i64::from(code as i32)),
        ];
        self.requests.add(1, &attributes);
        if code != tonic::Code::Ok {
            self.errors.add(1, &attributes);
        }
        self.duration.record(elapsed.as_secs_f64(), &attributes);
    }
}

impl Default for RpcMetrics {
    fn default() -> Self {
        Self::new()
    }
}

/// Request count and duration per route of the web gateway:
/// `http.server.request.duration` (seconds) with `http.request.method`,
/// `http.route` and `http.response.status_code`.
#[derive(Clone)]
pub struct HttpMetrics {
    duration: Histogram<f64>,
}

impl HttpMetrics {
    /// Instruments from the global meter (set by [`init`]; a no-op before).
    pub fn new() -> Self {
        let meter = opentelemetry::global::meter("hamafza");
        Self {
            duration: meter
                .f64_histogram("http.server.request.duration")
                .with_unit("s")
                .with_description("Time from the request to the response headers")
                .with_boundaries(LATENCY_BUCKETS.to_vec())
                .build(),
        }
    }

    /// Records one answered request; `route` is the matched template (never
    /// the raw path, whose ids would make every request its own series).
    pub fn record(&self, method: &str, route: &str, status: u16, elapsed: Duration) {
        if !exporting() {
            return;
        }
        self.duration.record(
            elapsed.as_secs_f64(),
            &[
                KeyValue::new("http.request.method", method.to_owned()),
                KeyValue::new("http.route", route.to_owned()),
                KeyValue::new("http.response.status_code", i64::from(status)),
            ],
        );
    }
}

impl Default for HttpMetrics {
    fn default() -> Self {
        Self::new()
    }
}
