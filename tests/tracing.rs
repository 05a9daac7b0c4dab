//! One trainee's click is one trace: the services run as separate processes
//! exporting over OTLP to a real OTLP/gRPC receiver in this test, and the
//! enrolment made through the gateway arrives as one trace with spans from
//! the gateway, enrolments and courses, each linked to its caller. The same
//! processes export per-RPC metrics, and their logs name the trace.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod topology;

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

use opentelemetry_proto::tonic::collector::metrics::v1::metrics_service_server::{
    MetricsService, MetricsServiceServer,
};
use opentelemetry_proto::tonic::collector::metrics::v1::{
    ExportMetricsServiceRequest, ExportMetricsServiceResponse,
};
use opentelemetry_proto::tonic::collector::trace::v1::trace_service_server::{
    TraceService, TraceServiceServer,
};
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue, any_value};
use opentelemetry_proto::tonic::metrics::v1::metric;
use topology::{Topology, free_port};

/// What an OpenTelemetry collector would receive.
#[derive(Clone, Default)]
struct Receiver {
    traces: Arc<Mutex<Vec<ExportTraceServiceRequest>>>,
    metrics: Arc<Mutex<Vec<ExportMetricsServiceRequest>>>,
}

#[tonic::async_trait]
impl TraceService for Receiver {
    async fn export(
        &self,
        request: tonic::Request<ExportTraceServiceRequest>,
    ) -> Result<tonic::Response<ExportTraceServiceResponse>, tonic::Status> {
        self.traces.lock().unwrap().push(request.into_inner());
        Ok(tonic::Response::new(ExportTraceServiceResponse::default()))
    }
}

#[tonic::async_trait]
impl MetricsService for Receiver {
    async fn export(
        &self,
        request: tonic::Request<ExportMetricsServiceRequest>,
    ) -> Result<tonic::Response<ExportMetricsServiceResponse>, tonic::Status> {
        self.metrics.lock().unwrap().push(request.into_inner());
        Ok(tonic::Response::new(ExportMetricsServiceResponse::default()))
    }
}

/// One received span, flattened.
#[derive(Debug, Clone)]
struct Span {
    service: String,
    name: String,
    trace_id: String,
    span_id: String,
    parent_span_id: String,
    attributes: Vec<KeyValue>,
}

impl Span {
    fn attribute(&self, key: &str) -> Option<String> {
        attribute(&self.attributes, key)
    }
}

fn attribute(attributes: &[KeyValue], key: &str) -> Option<String> {
    attributes
        .iter()
        .find(|kv| kv.key == key)
        .and_then(|kv| kv.value.as_ref())
        .and_then(|AnyValue { value }| match value.as_ref()? {
            any_value::Value::StringValue(text) => Some(text.clone()),
            any_value::Value::IntValue(number) => Some(number.to_string()),
            any_value::Value::BoolValue(flag) => Some(flag.to_string()),
            _ => None,
        })
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn spans(receiver: &Receiver) -> Vec<Span> {
    let mut spans = Vec::new();
    for export in receiver.traces.lock().unwrap().iter() {
        for resource_spans in &export.resource_spans {
            let service = resource_spans
                .resource
                .as_ref()
                .and_then(|resource| attribute(&resource.attributes, "service.name"))
                .unwrap_or_default();
            for scope in &resource_spans.scope_spans {
                for span in &scope.spans {
                    spans.push(Span {
                        service: service.clone(),
                        name: span.name.clone(),
                        trace_id: hex(&span.trace_id),
                        span_id: hex(&span.span_id),
                        parent_span_id: hex(&span.parent_span_id),
                        attributes: span.attributes.clone(),
                    });
                }
            }
        }
    }
    spans
}

/// A fresh W3C trace id (32 hex digits), unique per call.
fn new_trace_id() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(1);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!(
        "{:016x}{:016x}",
        nanos as u64,
        u64::from(std::process::id()) << 32 | NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

/// The caller's span in the `traceparent` the tests send (as a browser's
/// instrumentation or a proxy would start the trace).
const CALLER_SPAN: &str = "00f067aa0ba902b7";

/// Enrols the demo trainee through the gateway in the first open session
/// that confirms, each try under a new trace the caller starts; returns that
/// enrolment's trace id.
async fn enrol_under_a_new_trace(topology: &Topology, request_prefix: &str) -> String {
    let trainee = topology.token("trainee-msc-1", "msc", &["trainee"]);
    let gateway = topology.url("gateway");
    let http = reqwest::Client::new();
    let sessions: Vec<serde_json::Value> = http
        .get(format!("{gateway}/api/v1/sessions"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(!sessions.is_empty(), "the demo catalog has open sessions");
    for session in &sessions {
        let session_id = session["id"].as_str().unwrap();
        let trace_id = new_trace_id();
        let response = http
            .post(format!("{gateway}/api/v1/sessions/{session_id}/enrolments"))
            .bearer_auth(&trainee)
            .header("traceparent", format!("00-{trace_id}-{CALLER_SPAN}-01"))
            .json(&serde_json::json!({ "request_id": format!("{request_prefix}-{session_id}") }))
            .send()
            .await
            .unwrap();
        if response.status().is_success() {
            let body: serde_json::Value = response.json().await.unwrap();
            if body["status"] == "confirmed" {
                return trace_id;
            }
        }
    }
    panic!("the demo trainee is confirmed in no open session");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_enrolment_through_the_gateway_is_one_trace_across_the_services() {
    let receiver = Receiver::default();
    let collector_port = free_port();
    {
        let receiver = receiver.clone();
        tokio::spawn(
            tonic::transport::Server::builder()
                .add_service(TraceServiceServer::new(receiver.clone()))
                .add_service(MetricsServiceServer::new(receiver))
                .serve(format!("127.0.0.1:{collector_port}").parse().unwrap()),
        );
    }
    let endpoint = format!("http://127.0.0.1:{collector_port}");
    let mut topology = Topology::new(&[
        ("OTEL_EXPORTER_OTLP_ENDPOINT", &endpoint),
        ("OTEL_METRIC_EXPORT_INTERVAL", "500"),
    ])
    .await;
    for service in ["courses", "enrolments", "certification", "gateway"] {
        topology.start(service, service, &[]).await;
    }

    let trace_id = enrol_under_a_new_trace(&topology, "trace").await;

    // Stopping flushes every process's spans and metrics (the telemetry guard).
    for (name, status) in topology.stop().await {
        assert!(status.success(), "{name} exited {status} after SIGTERM");
    }

    let all = spans(&receiver);
    let trace: Vec<&Span> = all.iter().filter(|s| s.trace_id == trace_id).collect();
    let services: BTreeSet<&str> = trace.iter().map(|s| s.service.as_str()).collect();
    for service in ["gateway", "enrolments", "courses"] {
        assert!(
            services.contains(service),
            "the trace has spans from {service}; it has {services:?}: {trace:#?}"
        );
    }

    let gateway_span = trace
        .iter()
        .find(|s| s.service == "gateway")
        .expect("a gateway span");
    assert_eq!(
        gateway_span.name, "POST /api/v1/sessions/{id}/enrolments",
        "named after the route, not the raw path"
    );
    assert_eq!(
        gateway_span.parent_span_id, CALLER_SPAN,
        "the gateway continues the caller's trace"
    );
    assert_eq!(
        gateway_span
            .attribute("http.response.status_code")
            .as_deref(),
        Some("200")
    );

    let enrol = trace
        .iter()
        .find(|s| {
            s.service == "enrolments" && s.attribute("rpc.method").as_deref() == Some("Enrol")
        })
        .expect("the enrolments service's Enrol span");
    assert_eq!(enrol.name, "hamafza.enrolments.v1.EnrolmentService/Enrol");
    assert_eq!(enrol.attribute("rpc.system").as_deref(), Some("grpc"));
    assert_eq!(
        enrol.attribute("rpc.service").as_deref(),
        Some("hamafza.enrolments.v1.EnrolmentService")
    );
    assert_eq!(
        enrol.attribute("rpc.grpc.status_code").as_deref(),
        Some("0")
    );
    assert_eq!(
        enrol.parent_span_id, gateway_span.span_id,
        "enrolments continues the gateway's span"
    );

    let lookup = trace
        .iter()
        .find(|s| s.service == "courses")
        .expect("a courses span");
    assert_eq!(
        lookup.attribute("rpc.service").as_deref(),
        Some("hamafza.courses.v1.SessionService")
    );
    assert_eq!(
        lookup.parent_span_id, enrol.span_id,
        "courses continues the enrolments span that called it"
    );

    // Per-RPC metrics: the Enrol call was counted and timed by enrolments.
    let metrics = receiver.metrics.lock().unwrap().clone();
    let mut counted = false;
    let mut timed = false;
    for export in &metrics {
        for resource in &export.resource_metrics {
            let service = resource
                .resource
                .as_ref()
                .and_then(|r| attribute(&r.attributes, "service.name"));
            if service.as_deref() != Some("enrolments") {
                continue;
            }
            for scope in &resource.scope_metrics {
                for metric in &scope.metrics {
                    match (&metric.name[..], &metric.data) {
                        ("rpc.server.requests", Some(metric::Data::Sum(sum))) => {
                            counted |= sum.data_points.iter().any(|point| {
                                attribute(&point.attributes, "rpc.method").as_deref()
                                    == Some("Enrol")
                                    && attribute(&point.attributes, "rpc.grpc.status_code")
                                        .as_deref()
                                        == Some("0")
                            });
                        }
                        ("rpc.server.call.duration", Some(metric::Data::Histogram(h))) => {
                            timed |= h.data_points.iter().any(|point| {
                                attribute(&point.attributes, "rpc.method").as_deref()
                                    == Some("Enrol")
                                    && point.count >= 1
                            });
                        }
                        _ => {}
                    }
                }
            }
        }
    }
    assert!(counted, "rpc.server.requests counts Enrol with status 0");
    assert!(timed, "rpc.server.call.duration has Enrol");

    // The log line of the enrolment names its trace.
    let log = topology.log("enrolments");
    let recorded = log
        .lines()
        .filter(|line| line.contains("enrolment recorded"))
        .find(|line| line.contains(&trace_id));
    assert!(
        recorded.is_some(),
        "a JSON log line 'enrolment recorded' with trace_id {trace_id}:\n{log}"
    );
}

/// Without a collector the spans carry only their ids, and still: the trace a
/// caller started flows through the gateway into enrolments, and the log
/// lines name it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_collector_the_logs_still_follow_the_callers_trace() {
    let mut topology = Topology::new(&[]).await;
    for service in ["courses", "enrolments", "certification", "gateway"] {
        topology.start(service, service, &[]).await;
    }
    let trace_id = enrol_under_a_new_trace(&topology, "ids").await;
    for (name, status) in topology.stop().await {
        assert!(status.success(), "{name} exited {status} after SIGTERM");
    }

    // The enrolment's log line, written by enrolments inside the call the
    // gateway made for the caller, names the caller's trace and a span of
    // its own.
    let log = topology.log("enrolments");
    let line = log
        .lines()
        .filter(|line| line.contains("enrolment recorded"))
        .find(|line| line.contains(&trace_id))
        .unwrap_or_else(|| {
            panic!("a log line 'enrolment recorded' with trace_id {trace_id}:\n{log}")
        });
    let line: serde_json::Value = serde_json::from_str(line).unwrap();
    let span = &line["span"];
    assert_eq!(span["trace_id"], trace_id.as_str(), "{line}");
    let span_id = span["span_id"].as_str().unwrap();
    assert_eq!(span_id.len(), 16, "{line}");
    assert_ne!(span_id, CALLER_SPAN, "{line}");
}
