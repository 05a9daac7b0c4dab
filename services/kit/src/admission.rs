//! Admission control for a gRPC server: at most so many calls run at once;
//! a call that finds no room waits briefly for one, and is otherwise refused
//! at once with `RESOURCE_EXHAUSTED` (retry later) instead of queueing without
//! bound. Under overload the accepted calls stay fast and memory stays flat;
//! the excess learns so in microseconds. Health checks are always admitted,
//! so an overloaded replica is not mistaken for a dead one.

use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

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
        Box::pin(async move {
            let permit: OwnedSemaphorePermit = match permits.clone().try_acquire_owned() {
                Ok(permit) => permit,
                Err(_) => match tokio::time::timeout(wait, permits.acquire_owned()).await {
                    Ok(Ok(permit)) => permit,
                    _ => {
                        // Read the (small) request before answering: a stream
                        // answered unread is reset, and a burst of resets
                        // makes HTTP/2 close the whole connection, every
                        // other call on it included.
                        let body = request.into_body();
                        let _ = tokio::time::timeout(
                            Duration::from_millis(100),
                            http_body_util::BodyExt::collect(body),
                        )
                        .await;
                        return Ok(overloaded());
                    }
                },
            };
            let response = inner.call(request).await;
            drop(permit);
            response
        })
    }
}

/// A trailers-only `RESOURCE_EXHAUSTED` answer.
fn overloaded<R: Default>() -> http::Response<R> {
    tonic::Status::resource_exhausted("the service is at capacity; retry shortly").into_http()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    /// A handler that takes `delay` per call.
    #[derive(Clone)]
    struct Slow(Duration);

    impl Service<http::Request<String>> for Slow {
        type Response = http::Response<String>;
        type Error = std::convert::Infallible;
        type Future = futures::future::BoxFuture<'static, Result<Self::Response, Self::Error>>;

        fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
            Poll::Ready(Ok(()))
        }

        fn call(&mut self, _: http::Request<String>) -> Self::Future {
            let delay = self.0;
            Box::pin(async move {
                tokio::time::sleep(delay).await;
                Ok(http::Response::new("done".to_owned()))
            })
        }
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
        let service = layer.layer(Slow(Duration::from_millis(200)));
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
    async fn a_call_waits_briefly_for_room_and_health_is_always_admitted() {
        let layer = AdmissionLayer::new(1, Duration::from_secs(2));
        let service = layer.layer(Slow(Duration::from_millis(50)));
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
