//! Trace ids without a collector.
//!
//! When no OTLP collector is configured nothing reads an OpenTelemetry span,
//! yet every log line should still name its trace and the trace context
//! should still flow from service to service. Building a full OpenTelemetry
//! span per call for that (attributes converted, a builder kept, an SDK span
//! made and dropped at close) was most of what a cheap call cost beyond the
//! transport. [`TraceIdsLayer`] keeps just the ids: each span inherits its
//! parent's trace (or starts one) and gets a span id of its own, stored in the
//! span's extensions, where [`continue_trace`](super::continue_trace),
//! [`record_ids`](super::record_ids) and
//! [`inject_trace_context`](crate::grpc::inject_trace_context) find them.

use opentelemetry::trace::{SpanContext, SpanId, TraceFlags, TraceId, TraceState};
use opentelemetry_sdk::trace::{IdGenerator, RandomIdGenerator};
use tracing::span;
use tracing_subscriber::Registry;
use tracing_subscriber::layer::Context;
use tracing_subscriber::registry::{Extensions, ExtensionsMut, LookupSpan};

/// A span's place in its trace.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct TraceIds {
    pub(super) trace_id: TraceId,
    pub(super) span_id: SpanId,
    pub(super) flags: TraceFlags,
    /// The caller's vendor state (W3C `tracestate`), passed on unchanged.
    pub(super) state: TraceState,
}

impl TraceIds {
    /// A new span's ids: in the trace of `remote` when it is valid (keeping
    /// its sampling decision and vendor state), else in a new trace.
    pub(super) fn continuing(remote: &SpanContext) -> Self {
        let ids = RandomIdGenerator::default();
        if remote.is_valid() {
            Self {
                trace_id: remote.trace_id(),
                span_id: ids.new_span_id(),
                flags: remote.trace_flags(),
                state: remote.trace_state().clone(),
            }
        } else {
            Self {
                trace_id: ids.new_trace_id(),
                span_id: ids.new_span_id(),
                flags: TraceFlags::SAMPLED,
                state: TraceState::NONE,
            }
        }
    }

    /// As a remote parent, for an outgoing call's `traceparent`.
    pub(super) fn span_context(&self) -> SpanContext {
        SpanContext::new(
            self.trace_id,
            self.span_id,
            self.flags,
            true,
            self.state.clone(),
        )
    }
}

thread_local! {
    /// The ids the next span made on this thread is to have (see [`preset`]).
    static PRESET: std::cell::Cell<Option<TraceIds>> = const { std::cell::Cell::new(None) };
}

/// Gives the next span made on this thread `ids` (instead of ids of its
/// own), when the layer is installed and the span is enabled. Make the span
/// right after; the ids are forgotten when the returned guard goes (so no
/// later span takes them, even if making the span panicked).
pub(super) fn preset(ids: TraceIds) -> Preset {
    PRESET.set(Some(ids));
    Preset(())
}

/// Ids given by [`preset`], until a span takes them or this goes.
pub(super) struct Preset(());

impl Preset {
    /// Whether no span took the ids (forgetting them).
    pub(super) fn unused(self) -> bool {
        take_preset().is_some()
    }
}

impl Drop for Preset {
    fn drop(&mut self) {
        take_preset();
    }
}

/// The preset ids, taken; none while the thread's locals are being torn
/// down (a span made by another local's destructor).
fn take_preset() -> Option<TraceIds> {
    PRESET.try_with(std::cell::Cell::take).ok().flatten()
}

/// Gives every span trace ids, and nothing else. What it does not do: sample
/// (`OTEL_TRACES_SAMPLER` has nothing to decide without a collector; a new
/// trace is marked sampled, as the SDK's default sampler marks it, so a
/// service with a collector downstream still records it, and a caller's
/// decision is passed on).
#[derive(Debug, Default)]
pub struct TraceIdsLayer {
    ids: RandomIdGenerator,
}

impl<S> tracing_subscriber::Layer<S> for TraceIdsLayer
where
    S: tracing::Subscriber + for<'a> LookupSpan<'a>,
{
    fn on_new_span(&self, _attrs: &span::Attributes<'_>, id: &span::Id, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(id) else { return };
        if let Some(ids) = take_preset() {
            span.extensions_mut().insert(ids);
            return;
        }
        let inherited = span
            .parent()
            .and_then(|parent| parent.extensions().get::<TraceIds>().cloned());
        let ids = match inherited {
            Some(parent) => TraceIds {
                span_id: self.ids.new_span_id(),
                ..parent
            },
            None => TraceIds {
                trace_id: self.ids.new_trace_id(),
                span_id: self.ids.new_span_id(),
                flags: TraceFlags::SAMPLED,
                state: TraceState::NONE,
            },
        };
        span.extensions_mut().insert(ids);
    }
}

/// Looks `span` up in the installed subscriber's registry (the layer is
/// there when no collector is configured) and runs `f` on its extensions.
fn with_extensions<R>(
    span: &tracing::Span,
    f: impl FnOnce(&tracing_subscriber::registry::SpanRef<'_, Registry>) -> Option<R>,
) -> Option<R> {
    span.with_subscriber(|(id, dispatch)| {
        let registry = dispatch.downcast_ref::<Registry>()?;
        f(&registry.span(id)?)
    })
    .flatten()
}

/// The ids the layer gave `span`, if the layer is installed.
pub(super) fn ids_of(span: &tracing::Span) -> Option<TraceIds> {
    with_extensions(span, |span| {
        let extensions: Extensions<'_> = span.extensions();
        extensions.get::<TraceIds>().cloned()
    })
}

/// Runs `f` on the ids the layer gave `span`, if the layer is installed.
pub(super) fn with_ids_mut<R>(
    span: &tracing::Span,
    f: impl FnOnce(&mut TraceIds) -> R,
) -> Option<R> {
    with_extensions(span, |span| {
        let mut extensions: ExtensionsMut<'_> = span.extensions_mut();
        extensions.get_mut::<TraceIds>().map(f)
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use opentelemetry::trace::TraceContextExt as _;
    use opentelemetry_sdk::propagation::TraceContextPropagator;
    use tonic::codegen::http::HeaderMap;
    use tracing_subscriber::layer::SubscriberExt as _;

    use opentelemetry::trace::{SpanId, TraceId};

    use super::TraceIdsLayer;
    use crate::telemetry::{context_of, continue_trace};

    /// The metadata an outgoing call from inside `span` would carry.
    fn injected(span: &tracing::Span) -> tonic::metadata::MetadataMap {
        let mut metadata = tonic::metadata::MetadataMap::new();
        opentelemetry::global::get_text_map_propagator(|propagator| {
            propagator.inject_context(
                &context_of(span),
                &mut crate::grpc::MetadataInjector(&mut metadata),
            );
        });
        metadata
    }

    /// The `traceparent` an outgoing call from inside `span` would carry.
    fn traceparent(span: &tracing::Span) -> String {
        let metadata = injected(span);
        metadata
            .get("traceparent")
            .unwrap()
            .to_str()
            .unwrap()
            .to_owned()
    }

    fn headers(traceparent: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert("traceparent", traceparent.parse().unwrap());
        headers
    }

    fn ids(span: &tracing::Span) -> (String, String) {
        let context = context_of(span);
        let ids = context.span().span_context().clone();
        assert!(ids.is_valid());
        (ids.trace_id().to_string(), ids.span_id().to_string())
    }

    #[test]
    fn spans_carry_their_trace_to_their_children_and_to_outgoing_calls() {
        opentelemetry::global::set_text_map_propagator(TraceContextPropagator::new());
        // Stacked as `init` stacks it: a filter, the layer as an option, the
        // log layer.
        let subscriber = tracing_subscriber::registry()
            .with(tracing_subscriber::EnvFilter::new("info"))
            .with(Some(TraceIdsLayer::default()))
            .with(tracing_subscriber::fmt::layer().with_writer(std::io::sink));
        tracing::subscriber::with_default(subscriber, || {
            // A request with no caller's trace starts one, sampled.
            let root = tracing::info_span!("request", trace_id = tracing::field::Empty);
            continue_trace(&root, &HeaderMap::new());
            let (trace, root_span) = ids(&root);
            let child = root.in_scope(|| tracing::info_span!("inner"));
            let (child_trace, child_span) = ids(&child);
            assert_eq!(child_trace, trace, "a child is in its parent's trace");
            assert_ne!(child_span, root_span, "with an id of its own");
            assert_eq!(traceparent(&child), format!("00-{trace}-{child_span}-01"));
            let other = tracing::info_span!("request");
            assert_ne!(ids(&other).0, trace, "another request, another trace");
            // Through a span the filter leaves out, and by an explicit parent.
            let below = root.in_scope(|| {
                let _skipped = tracing::debug_span!("skipped").entered();
                tracing::info_span!("below")
            });
            assert_eq!(ids(&below).0, trace);
            assert_eq!(ids(&tracing::info_span!(parent: &root, "named")).0, trace);
            // A request's span is a root even when made inside another.
            let nested = root.in_scope(|| tracing::info_span!(parent: None, "request"));
            continue_trace(&nested, &HeaderMap::new());
            assert_ne!(ids(&nested).0, trace);

            // A caller's trace is continued, sampled or not, by the request
            // and by what it does.
            let caller = "4bf92f3577b34da6a3ce929d0e0e4736";
            for flags in ["01", "00"] {
                let request = tracing::info_span!("request");
                continue_trace(
                    &request,
                    &headers(&format!("00-{caller}-00f067aa0ba902b7-{flags}")),
                );
                let inner = request.in_scope(|| tracing::info_span!("inner"));
                let (trace, span) = ids(&inner);
                assert_eq!(trace, caller);
                assert_eq!(traceparent(&inner), format!("00-{caller}-{span}-{flags}"));
            }

            // The caller's vendor state goes on with its trace.
            let mut sent = headers(&format!("00-{caller}-00f067aa0ba902b7-01"));
            sent.insert("tracestate", "vendor=abc".parse().unwrap());
            let request = tracing::info_span!("request");
            continue_trace(&request, &sent);
            let metadata = injected(&request);
            assert_eq!(metadata.get("tracestate").unwrap(), "vendor=abc");

            // A malformed one is ignored: the request starts its own trace.
            let request = tracing::info_span!("request");
            let before = ids(&request);
            continue_trace(&request, &headers("00-zz-00f067aa0ba902b7-01"));
            assert_eq!(ids(&request), before);
        });
    }

    /// A log written to memory, one JSON line an event.
    #[derive(Clone, Default)]
    struct Lines(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

    impl std::io::Write for Lines {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl Lines {
        /// The `span` object of the last line.
        fn last_span(&self) -> serde_json::Value {
            let text = String::from_utf8(self.0.lock().unwrap().clone()).unwrap();
            let line: serde_json::Value =
                serde_json::from_str(text.lines().last().unwrap()).unwrap();
            line["span"].clone()
        }
    }

    #[test]
    fn a_request_span_is_made_with_its_ids_in_its_fields() {
        use crate::telemetry::request_span;
        opentelemetry::global::set_text_map_propagator(TraceContextPropagator::new());
        let lines = Lines::default();
        let writer = lines.clone();
        let subscriber = tracing_subscriber::registry()
            .with(tracing_subscriber::EnvFilter::new("info"))
            .with(Some(TraceIdsLayer::default()))
            .with(
                tracing_subscriber::fmt::layer()
                    .json()
                    .with_current_span(true)
                    .with_writer(move || writer.clone()),
            );
        let given = std::cell::Cell::new(None);
        let make = |ids: Option<(TraceId, SpanId)>| {
            given.set(ids);
            let (trace_id, span_id) = ids.unzip();
            tracing::info_span!(
                parent: None,
                "request",
                trace_id = trace_id.map(tracing::field::display),
                span_id = span_id.map(tracing::field::display),
            )
        };
        // A request span's ids, which must be those `make` was given: it was
        // made with them, not recorded after.
        let made_with_given_ids = |request: &tracing::Span| {
            let (trace, span) = ids(request);
            let (given_trace, given_span) = given.get().unwrap();
            assert_eq!(
                (given_trace.to_string(), given_span.to_string()),
                (trace.clone(), span.clone())
            );
            (trace, span)
        };
        tracing::subscriber::with_default(subscriber, || {
            // The caller's trace: the span's fields, its ids and what it
            // passes on agree.
            let caller = "4bf92f3577b34da6a3ce929d0e0e4736";
            let request = request_span(&headers(&format!("00-{caller}-00f067aa0ba902b7-00")), make);
            let (trace, span) = made_with_given_ids(&request);
            assert_eq!(trace, caller);
            assert_ne!(span, "00f067aa0ba902b7");
            request.in_scope(|| tracing::info!("inside"));
            let logged = lines.last_span();
            assert_eq!(logged["trace_id"], trace.as_str());
            assert_eq!(logged["span_id"], span.as_str());
            let inner = request.in_scope(|| tracing::info_span!("inner"));
            assert_eq!(
                traceparent(&inner),
                format!("00-{caller}-{}-00", ids(&inner).1)
            );

            // No caller's trace: a new one, sampled.
            let request = request_span(&HeaderMap::new(), make);
            let (trace, span) = made_with_given_ids(&request);
            assert_ne!(trace, caller);
            request.in_scope(|| tracing::info!("inside"));
            assert_eq!(lines.last_span()["trace_id"], trace.as_str());
            assert_eq!(traceparent(&request), format!("00-{trace}-{span}-01"));

            // A span the filter leaves out takes no ids, and leaves none
            // for the next span made (which would be in the caller's trace).
            let skipped = request_span(
                &headers(&format!("00-{caller}-00f067aa0ba902b7-01")),
                |_| tracing::debug_span!("skipped"),
            );
            assert!(skipped.is_disabled());
            let next = tracing::info_span!(parent: None, "next");
            let (next_trace, _) = ids(&next);
            assert_ne!(next_trace, trace);
            assert_ne!(next_trace, caller);
        });
    }
}
