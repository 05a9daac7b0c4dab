//! Admission control for a gRPC server: at most so many calls run at once;
//! a call that finds no room waits briefly for one, and is otherwise refused
//! at once with `RESOURCE_EXHAUSTED` (retry later) instead of queueing without
//! bound. Under overload the accepted calls stay fast and memory stays flat;
//! the excess learns so in microseconds. Health checks are always admitted,
//! so an overloaded replica is not mistaken for a dead one.
//!
//! The caller's `grpc-timeout` is honoured before any work: a call whose
//! caller has given up by the time it would be admitted is answered
//! `DEADLINE_EXCEEDED` without running. Once admitted, a call runs to its end:
//! a caller that hangs up (or whose deadline passes) drops only its wait for
//! the answer, never a half-done transaction (the rest of the work is spawned
//! then, [`RunToEnd`]), so the transaction commits or rolls back whole before
//! its connection goes back to the pool, and whatever answer is sent is the
//! truth. A call whose caller waits is polled in the caller's own task: no
//! task a call, no wake-up across threads on the way back.

use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use futures::FutureExt as _;
use futures::future::CatchUnwind;
use tokio::time::Instant;
use tracing::Instrument as _;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tonic::codegen::http;
use tower::{Layer, Service};

/// The layer: shares one allowance among every service of a server.
#[derive(Debug, Clone)]
pub struct AdmissionLayer {
    permits: Arc<Semaphore>,
    wait: Duration,
}

impl AdmissionLayer {
    /// At most `concurrent` calls at once; a call waits at most `wait` for room.
    pub fn new(concurrent: usize, wait: Duration) -> Self {
        Self {
            permits: Arc::new(Semaphore::new(concurrent.max(1))),
            wait,
        }
    }
}

impl<S> Layer<S> for AdmissionLayer {
    type Service = Admission<S>;

    fn layer(&self, inner: S) -> Self::Service {
        Admission {
            inner,
            permits: Arc::clone(&self.permits),
            wait: self.wait,
        }
    }
}

/// The service made by [`AdmissionLayer`].
#[derive(Debug, Clone)]
pub struct Admission<S> {
    inner: S,
    permits: Arc<Semaphore>,
    wait: Duration,
}

impl<S, B, R> Service<http::Request<B>> for Admission<S>
where
    S: Service<http::Request<B>, Response = http::Response<R>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Send + 'static,
    B: http_body::Body + Send + Unpin + 'static,
    B::Data: Send,
    R: Default + Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = futures::future::BoxFuture<'static, Result<S::Response, S::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<B>) -> Self::Future {
        // The service that was made ready serves this call; a fresh clone
        // waits for the next.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        if request.uri().path().starts_with("/grpc.health.") {
            return Box::pin(inner.call(request));
        }
        let permits = Arc::clone(&self.permits);
        let wait = self.wait;
        let deadline = caller_timeout(request.headers()).map(|timeout| Instant::now() + timeout);
        // The call's span (opened by the telemetry layer around this call),
        // for the rest of the work if it is spawned.
        let span = tracing::Span::current();
        Box::pin(async move {
            if deadline.is_some_and(|deadline| deadline <= Instant::now()) {
                return Ok(refuse(request, caller_gone()).await);
            }
            let permit: OwnedSemaphorePermit = match permits.clone().try_acquire_owned() {
                Ok(permit) => permit,
                Err(_) => {
                    let room = Instant::now() + wait;
                    let until = deadline.map_or(room, |deadline| deadline.min(room));
                    match tokio::time::timeout_at(until, permits.acquire_owned()).await {
                        Ok(Ok(permit)) => permit,
                        _ if until < room => return Ok(refuse(request, caller_gone()).await),
                        _ => return Ok(refuse(request, overloaded()).await),
                    }
                }
            };
            // The permit goes with the work: the call counts against the
            // allowance until its work is done, even if no one waits for it.
            let work = async move {
                let response = inner.call(request).await;
                drop(permit);
                response
            };
            match RunToEnd::new(work, span).await {
                Ok(response) => response,
                Err(panic) => {
                    let message = panic
                        .downcast_ref::<&str>()
                        .copied()
                        .or_else(|| panic.downcast_ref::<String>().map(String::as_str))
                        .unwrap_or("(no message)");
                    tracing::error!(panic = message, "a call's handler panicked");
                    Ok(tonic::Status::internal("internal error").into_http())
                }
            }
        })
    }
}

/// A call's work, polled where its caller waits (no task of its own, no
/// wake-up across threads on the way back), yet run to its end: when the
/// caller stops waiting (it hung up, or its deadline passed) and drops this,
/// the rest of the work is spawned, in the call's span, and finishes alone.
/// A panic in the work is its output's `Err`, not the caller's.
struct RunToEnd<F>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    work: Option<Pin<Box<CatchUnwind<AssertUnwindSafe<F>>>>>,
    span: tracing::Span,
}

impl<F> RunToEnd<F>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    fn new(work: F, span: tracing::Span) -> Self {
        Self {
            work: Some(Box::pin(AssertUnwindSafe(work).catch_unwind())),
            span,
        }
    }
}

impl<F> Future for RunToEnd<F>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    type Output = std::thread::Result<F::Output>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let Some(work) = self.work.as_mut() else {
            // Polled after it was ready, which a future's caller never does.
            return Poll::Pending;
        };
        let output = std::task::ready!(work.as_mut().poll(cx));
        self.work = None;
        Poll::Ready(output)
    }
}

impl<F> Drop for RunToEnd<F>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    fn drop(&mut self) {
        let Some(rest) = self.work.take() else {
            return;
        };
        // Dropped mid-call: inside a runtime (a connection's task), the rest
        // runs on. Outside one (the runtime is going away) there is nowhere
        // to run it, as there was not for a task of its own.
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(rest.instrument(self.span.clone()));
        }
    }
}

/// Answers `answer` trailers-only, after reading the (small) request: a
/// stream answered unread is reset, and a burst of resets makes HTTP/2 close
/// the whole connection, every other call on it included.
async fn refuse<B, R>(request: http::Request<B>, answer: tonic::Status) -> http::Response<R>
where
    B: http_body::Body,
    R: Default,
{
    let _ = tokio::time::timeout(
        Duration::from_millis(100),
        http_body_util::BodyExt::collect(request.into_body()),
    )
    .await;
    answer.into_http()
}

/// `RESOURCE_EXHAUSTED`: no room in time.
fn overloaded() -> tonic::Status {
    tonic::Status::resource_exhausted("the service is at capacity; retry shortly")
}

/// `DEADLINE_EXCEEDED`: the caller's deadline passed before the call started;
/// nothing was done.
fn caller_gone() -> tonic::Status {
    tonic::Status::deadline_exceeded(
        "the caller's deadline passed before the call could start; nothing was done",
    )
}

/// The caller's `grpc-timeout` (gRPC over HTTP/2: at most 8 digits and a
/// unit), or `None` when it sent none or one that does not parse.
fn caller_timeout(headers: &http::HeaderMap) -> Option<Duration> {
    let value = headers.get("grpc-timeout")?.to_str().ok()?;
    let unit_at = value.len().checked_sub(1)?;
    let (digits, unit) = value.split_at(unit_at);
    if digits.is_empty() || digits.len() > 8 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let amount: u64 = digits.parse().ok()?;
    Some(match unit {
        "H" => Duration::from_secs(amount * 3600),
        "M" => Duration::from_secs(amount * 60),
        "S" => Duration::from_secs(amount),
        "m" => Duration::from_millis(amount),
        "u" => Duration::from_micros(amount),
        "n" => Duration::from_nanos(amount),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    use std::sync::atomic::{AtomicUsize, Ordering};

    /// A handler that takes `delay` per call and counts the calls it began
    /// and finished.
    #[derive(Clone)]
    struct Slow(Duration, Arc<(AtomicUsize, AtomicUsize)>, bool);

    impl Slow {
        fn new(delay: Duration) -> Self {
            Self(delay, Arc::default(), false)
        }

        /// A handler that panics, after yielding once.
        fn panicking() -> Self {
            Self(Duration::ZERO, Arc::default(), true)
        }

        fn began(&self) -> usize {
            self.1.0.load(Ordering::SeqCst)
        }

        fn finished(&self) -> usize {
            self.1.1.load(Ordering::SeqCst)
        }
    }

    impl Service<http::Request<String>> for Slow {
        type Response = http::Response<String>;
        type Error = std::convert::Infallible;
        type Future = futures::future::BoxFuture<'static, Result<Self::Response, Self::Error>>;

        fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
            Poll::Ready(Ok(()))
        }

        fn call(&mut self, _: http::Request<String>) -> Self::Future {
            let (delay, panics) = (self.0, self.2);
            let counts = Arc::clone(&self.1);
            Box::pin(async move {
                counts.0.fetch_add(1, Ordering::SeqCst);
                tokio::time::sleep(delay).await;
                assert!(!panics, "a bug in a handler");
                counts.1.fetch_add(1, Ordering::SeqCst);
                Ok(http::Response::new("done".to_owned()))
            })
        }
    }

    fn request(path: &str, timeout: Option<&str>) -> http::Request<String> {
        let mut builder = http::Request::builder().uri(path);
        if let Some(timeout) = timeout {
            builder = builder.header("grpc-timeout", timeout);
        }
        builder.body(String::new()).unwrap()
    }

    const RPC: &str = "/hamafza.courses.v1.CourseService/ListCourses";

    #[tokio::test]
    async fn a_call_whose_caller_hangs_up_still_runs_to_its_end() {
        let handler = Slow::new(Duration::from_millis(200));
        let mut service = AdmissionLayer::new(4, Duration::from_millis(10)).layer(handler.clone());
        // The caller gives up after 20 ms: its future is dropped mid-call.
        let cut = tokio::time::timeout(
            Duration::from_millis(20),
            service.call(request(RPC, Some("20m"))),
        )
        .await;
        assert!(cut.is_err());
        assert_eq!(handler.began(), 1);
        // The work (a transaction, in a service) is finished, not cut off.
        tokio::time::sleep(Duration::from_millis(400)).await;
        assert_eq!(handler.finished(), 1);
    }

    #[tokio::test]
    async fn a_call_whose_caller_hangs_up_keeps_its_place_until_its_work_ends() {
        let handler = Slow::new(Duration::from_millis(200));
        let service = AdmissionLayer::new(1, Duration::from_millis(10)).layer(handler.clone());
        let call = || {
            let mut service = service.clone();
            async move { service.call(request(RPC, None)).await.unwrap() }
        };
        let cut = tokio::time::timeout(Duration::from_millis(20), call()).await;
        assert!(cut.is_err());
        // The rest of the first call runs on, holding the only place.
        let meanwhile = call().await;
        assert_eq!(status(&meanwhile), Some("8"), "RESOURCE_EXHAUSTED");
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(handler.finished(), 1);
        let after = call().await;
        assert_eq!(status(&after), None, "the place was given back");
        assert_eq!(handler.finished(), 2);
    }

    #[tokio::test]
    async fn a_handler_that_panics_is_answered_internal_and_gives_its_place_back() {
        let service = AdmissionLayer::new(1, Duration::from_millis(10)).layer(Slow::panicking());
        for _ in 0..2 {
            let mut service = service.clone();
            let response = service.call(request(RPC, None)).await.unwrap();
            // INTERNAL both times: the first call's place was given back.
            assert_eq!(status(&response), Some("13"));
        }
    }

    #[tokio::test]
    async fn a_call_whose_deadline_passes_before_it_starts_is_never_run() {
        let handler = Slow::new(Duration::from_millis(300));
        let layer = AdmissionLayer::new(1, Duration::from_secs(2));
        let service = layer.layer(handler.clone());
        let call = |timeout: Option<&'static str>| {
            let mut service = service.clone();
            async move {
                let at = std::time::Instant::now();
                let response = service.call(request(RPC, timeout)).await.unwrap();
                (status(&response).map(str::to_owned), at.elapsed())
            }
        };
        // The first call holds the only place; the second's caller waits
        // 50 ms at most; the third's deadline has passed on arrival.
        let (first, second, third) = tokio::join!(call(None), call(Some("50m")), call(Some("0n")));
        assert_eq!(first.0, None);
        assert_eq!(second.0.as_deref(), Some("4"), "DEADLINE_EXCEEDED");
        assert!(second.1 < Duration::from_millis(250), "{:?}", second.1);
        assert_eq!(third.0.as_deref(), Some("4"));
        assert_eq!(handler.began(), 1, "neither late call touched anything");
    }

    #[test]
    fn grpc_timeouts_parse_as_the_protocol_writes_them() {
        let parse = |value: &str| {
            let mut headers = http::HeaderMap::new();
            headers.insert("grpc-timeout", value.parse().unwrap());
            caller_timeout(&headers)
        };
        assert_eq!(parse("5S"), Some(Duration::from_secs(5)));
        assert_eq!(parse("250m"), Some(Duration::from_millis(250)));
        assert_eq!(parse("2H"), Some(Duration::from_secs(7200)));
        assert_eq!(parse("99999999u"), Some(Duration::from_micros(99_999_999)));
        assert_eq!(parse("123456789S"), None, "more than 8 digits");
        assert_eq!(parse("S"), None);
        assert_eq!(parse("5x"), None);
        assert_eq!(parse("-5S"), None);
    }

    fn status(response: &http::Response<String>) -> Option<&str> {
        response
            .headers()
            .get("grpc-status")
            .and_then(|v| v.to_str().ok())
    }

    #[tokio::test]
    async fn the_excess_is_refused_at_once_and_the_rest_served() {
        let layer = AdmissionLayer::new(4, Duration::from_millis(10));
        let service = layer.layer(Slow::new(Duration::from_millis(200)));
        let started = std::time::Instant::now();
        let calls = (0..40).map(|_| {
            let mut service = service.clone();
            async move {
                let at = std::time::Instant::now();
                let request = http::Request::builder()
                    .uri("/hamafza.courses.v1.CourseService/ListCourses")
                    .body(String::new())
                    .unwrap();
                let response = service.call(request).await.unwrap();
                (status(&response).map(str::to_owned), at.elapsed())
            }
        });
        let answers = futures::future::join_all(calls).await;
        let served = answers.iter().filter(|(s, _)| s.is_none()).count();
        let refused: Vec<_> = answers.iter().filter(|(s, _)| s.is_some()).collect();
        assert_eq!(served, 4, "{answers:?}");
        assert_eq!(refused.len(), 36);
        for (code, took) in refused {
            assert_eq!(code.as_deref(), Some("8"));
            assert!(*took < Duration::from_millis(150), "refused after {took:?}");
        }
        assert!(started.elapsed() < Duration::from_secs(2));
    }

    #[tokio::test]
    async fn the_limit_and_the_wait_are_the_configured_ones() {
        // Two places, 40 ms of waiting: two long calls hold the places; a
        // third waits its 40 ms (not less, not much more) and is refused.
        let layer = AdmissionLayer::new(2, Duration::from_millis(40));
        let handler = Slow::new(Duration::from_millis(400));
        let service = layer.layer(handler.clone());
        let call = || {
            let mut service = service.clone();
            async move {
                let at = std::time::Instant::now();
                let response = service.call(request(RPC, None)).await.unwrap();
                (status(&response).map(str::to_owned), at.elapsed())
            }
        };
        let (first, second, third) = tokio::join!(call(), call(), async {
            // After the first two have taken their places.
            tokio::task::yield_now().await;
            call().await
        });
        assert_eq!((first.0, second.0), (None, None));
        assert_eq!(third.0.as_deref(), Some("8"), "RESOURCE_EXHAUSTED");
        assert!(third.1 >= Duration::from_millis(40), "{:?}", third.1);
        assert!(third.1 < Duration::from_secs(1), "{:?}", third.1);
        assert_eq!(handler.began(), 2);

        // A place that frees within the wait is taken: a 20 ms call ahead of
        // a caller allowed 200 ms.
        let layer = AdmissionLayer::new(1, Duration::from_millis(200));
        let handler = Slow::new(Duration::from_millis(20));
        let service = layer.layer(handler.clone());
        let call = || {
            let mut service = service.clone();
            async move { service.call(request(RPC, None)).await.unwrap() }
        };
        let (first, second) = tokio::join!(call(), call());
        assert_eq!((status(&first), status(&second)), (None, None));
        assert_eq!(handler.finished(), 2);
    }

    #[tokio::test]
    async fn a_call_waits_briefly_for_room_and_health_is_always_admitted() {
        let layer = AdmissionLayer::new(1, Duration::from_secs(2));
        let service = layer.layer(Slow::new(Duration::from_millis(50)));
        let call = |path: &'static str| {
            let mut service = service.clone();
            async move {
                let request = http::Request::builder()
                    .uri(path)
                    .body(String::new())
                    .unwrap();
                service.call(request).await.unwrap()
            }
        };
        let (first, second, health) = tokio::join!(
            call("/hamafza.courses.v1.CourseService/ListCourses"),
            call("/hamafza.courses.v1.CourseService/ListCourses"),
            call("/grpc.health.v1.Health/Check"),
        );
        assert_eq!(status(&first), None);
        assert_eq!(status(&second), None, "it waited for the first to finish");
        assert_eq!(status(&health), None);
    }
}
