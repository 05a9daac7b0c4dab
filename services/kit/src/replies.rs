//! Encoded answers kept for a moment: a read that answers every caller of a
//! kind alike (the public catalog, which any trainee sees the same) is
//! served again as the bytes already sent, without decoding, reading,
//! converting or encoding anything.
//!
//! [`ReplyCache`] wraps one generated gRPC server, inside the
//! [`AuthInterceptor`](crate::auth::AuthInterceptor) (so the caller is
//! known) and inside the server's admission, tracing and metrics (so a
//! served-again call is admitted, traced and counted like any other). For the
//! methods it is given, a call whose caller `shared` accepts is answered from
//! the answer to the same request bytes (by their SHA-256) given at most
//! `max_age` ago, keeping at most [`MAX_REPLIES`]; any
//! other call, and any answer that is not a plain success, passes through
//! untouched. Loads are single-flight ([`Recent`]).

use std::convert::Infallible;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use futures::future::BoxFuture;
use http_body::Frame;
use http_body_util::{BodyExt, Limited, StreamBody};
use sha2::{Digest, Sha256};
use tonic::body::Body;
use tonic::codegen::{Bytes, http};
use tonic::server::NamedService;

use crate::auth::Caller;
use crate::recent::Recent;

/// The largest request a cached method reads to make its key; a larger one
/// is refused (no cached method's request comes near it).
const MAX_REQUEST_BYTES: usize = 64 * 1024;

/// The most answers kept at once (a page of the catalog is tens of KiB):
/// callers asking for more distinct pages within the age are answered by
/// the server, and nothing more is kept.
const MAX_REPLIES: usize = 256;

/// An answer as it was sent: status line, headers, body and trailers.
#[derive(Debug)]
struct Reply {
    status: http::StatusCode,
    headers: http::HeaderMap,
    body: Bytes,
    trailers: http::HeaderMap,
}

impl Reply {
    /// The answer again, as a response.
    fn response(&self) -> http::Response<Body> {
        let frames = [
            Ok::<_, Infallible>(Frame::data(self.body.clone())),
            Ok(Frame::trailers(self.trailers.clone())),
        ];
        let mut response =
            http::Response::new(Body::new(StreamBody::new(futures::stream::iter(frames))));
        *response.status_mut() = self.status;
        *response.headers_mut() = self.headers.clone();
        response
    }
}

/// A gRPC server whose `methods` answer callers `shared` accepts from
/// answers at most `max_age` old (see the module).
pub struct ReplyCache<S> {
    inner: S,
    methods: &'static [&'static str],
    shared: fn(&Caller) -> bool,
    replies: Arc<Recent<Key, Arc<Reply>>>,
}

/// A kept answer's key: the method, and the SHA-256 of the request's bytes.
type Key = (&'static str, [u8; 32]);

impl<S: Clone> Clone for ReplyCache<S> {
    fn clone(&self) -> Self {
        Self {
            inner: self.inner.clone(),
            methods: self.methods,
            shared: self.shared,
            replies: Arc::clone(&self.replies),
        }
    }
}

impl<S> ReplyCache<S> {
    /// Wraps `inner`: the calls of `methods` (full paths,
    /// `/package.Service/Method`) by callers `shared` accepts are answered
    /// from answers at most `max_age` old.
    pub fn new(
        inner: S,
        methods: &'static [&'static str],
        shared: fn(&Caller) -> bool,
        max_age: Duration,
    ) -> Self {
        Self {
            inner,
            methods,
            shared,
            replies: Arc::new(Recent::new(max_age, MAX_REPLIES)),
        }
    }
}

impl<S: NamedService> NamedService for ReplyCache<S> {
    const NAME: &'static str = S::NAME;
}

impl<S> tower::Service<http::Request<Body>> for ReplyCache<S>
where
    S: tower::Service<http::Request<Body>, Response = http::Response<Body>, Error = Infallible>
        + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
{
    type Response = http::Response<Body>;
    type Error = Infallible;
    type Future = BoxFuture<'static, Result<Self::Response, Infallible>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<Body>) -> Self::Future {
        let method = self
            .methods
            .iter()
            .copied()
            .find(|method| request.uri().path() == *method);
        let shared = request
            .extensions()
            .get::<Arc<Caller>>()
            .is_some_and(|caller| (self.shared)(caller));
        // The service that was made ready answers this call; a clone takes
        // its place for the next (tower's rule for services called later).
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let Some(method) = method.filter(|_| shared) else {
            return Box::pin(inner.call(request));
        };
        let replies = Arc::clone(&self.replies);
        Box::pin(async move {
            let (parts, body) = request.into_parts();
            let bytes = match Limited::new(body, MAX_REQUEST_BYTES).collect().await {
                Ok(collected) => collected.to_bytes(),
                Err(_) => {
                    let status = tonic::Status::invalid_argument(format!(
                        "the request could not be read whole, or is over {MAX_REQUEST_BYTES} bytes"
                    ));
                    return Ok(status.into_http());
                }
            };
            let key = (method, Sha256::digest(&bytes).into());
            let request =
                http::Request::from_parts(parts, Body::new(http_body_util::Full::new(bytes)));
            let load = async move {
                let Ok(response) = inner.call(request).await;
                keep(response).await
            };
            Ok(match replies.get_or_load(key, load).await {
                Ok(reply) => reply.response(),
                Err(response) => response,
            })
        })
    }
}

/// The answer to keep, when `response` is a plain success; else `response`
/// itself, read back into a response, to send as it is.
async fn keep(response: http::Response<Body>) -> Result<Arc<Reply>, http::Response<Body>> {
    let succeeded = response.status() == http::StatusCode::OK
        && !response.headers().contains_key("grpc-status");
    if !succeeded {
        return Err(response);
    }
    let (parts, body) = response.into_parts();
    let collected = match body.collect().await {
        Ok(collected) => collected,
        Err(status) => return Err(status.into_http()),
    };
    let trailers = collected.trailers().cloned().unwrap_or_default();
    let reply = Reply {
        status: parts.status,
        headers: parts.headers,
        body: collected.to_bytes(),
        trailers,
    };
    if reply.trailers.get("grpc-status").is_some_and(|s| s == "0") {
        Ok(Arc::new(reply))
    } else {
        Err(reply.response())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use std::sync::atomic::{AtomicUsize, Ordering};

    use tower::Service as _;

    use super::*;
    use crate::auth::Role;

    type Inner =
        tower::util::BoxCloneService<http::Request<Body>, http::Response<Body>, Infallible>;

    const CACHED: &str = "/test.v1.Things/ListThings";
    const OTHER: &str = "/test.v1.Things/GetThing";

    fn caller(roles: &[Role]) -> Arc<Caller> {
        Arc::new(Caller {
            subject: "someone".to_owned(),
            name: String::new(),
            organization_id: "msc".to_owned(),
            roles: roles.to_vec(),
        })
    }

    fn request(path: &str, who: Option<Arc<Caller>>, body: &'static [u8]) -> http::Request<Body> {
        let mut request = http::Request::new(Body::new(http_body_util::Full::new(
            Bytes::from_static(body),
        )));
        *request.uri_mut() = path.parse().unwrap();
        if let Some(who) = who {
            request.extensions_mut().insert(who);
        }
        request
    }

    /// A server answering with the call's number, and `grpc-status` `status`
    /// for requests whose body is `fail`.
    fn numbered(calls: Arc<AtomicUsize>) -> ReplyCache<Inner> {
        let inner = tower::service_fn(move |request: http::Request<Body>| {
            let calls = Arc::clone(&calls);
            async move {
                let asked = request.into_body().collect().await.unwrap().to_bytes();
                let n = calls.fetch_add(1, Ordering::SeqCst) + 1;
                if asked.as_ref() == b"fail" {
                    return Ok::<_, Infallible>(
                        tonic::Status::not_found("no such thing").into_http(),
                    );
                }
                // A failure told after the data, in the trailers.
                let status = if asked.as_ref() == b"late" { "13" } else { "0" };
                let mut trailers = http::HeaderMap::new();
                trailers.insert("grpc-status", status.parse().unwrap());
                let frames = [
                    Ok::<_, Infallible>(Frame::data(Bytes::from(format!("answer {n}")))),
                    Ok(Frame::trailers(trailers)),
                ];
                let mut response =
                    http::Response::new(Body::new(StreamBody::new(futures::stream::iter(frames))));
                response
                    .headers_mut()
                    .insert("content-type", "application/grpc".parse().unwrap());
                Ok(response)
            }
        });
        ReplyCache::new(
            Inner::new(inner),
            &[CACHED],
            |caller| !caller.has(Role::PlatformAdmin),
            Duration::from_millis(300),
        )
    }

    async fn answer(
        service: &mut ReplyCache<Inner>,
        request: http::Request<Body>,
    ) -> (String, http::HeaderMap, Option<http::HeaderMap>) {
        let Ok(response) = service.call(request).await;
        let (parts, body) = response.into_parts();
        let collected = body.collect().await.unwrap();
        let trailers = collected.trailers().cloned();
        let body = String::from_utf8(collected.to_bytes().to_vec()).unwrap();
        (body, parts.headers, trailers)
    }

    #[tokio::test]
    async fn a_shared_answer_is_sent_again_as_it_was_until_it_is_too_old() {
        let calls = Arc::new(AtomicUsize::new(0));
        let mut service = numbered(Arc::clone(&calls));
        let trainee = || Some(caller(&[Role::Trainee]));

        let (first, headers, trailers) =
            answer(&mut service, request(CACHED, trainee(), b"page 1")).await;
        assert_eq!(first, "answer 1");
        assert_eq!(headers["content-type"], "application/grpc");
        assert_eq!(trailers.unwrap()["grpc-status"], "0");
        // The same request again, by another trainee: the same bytes, the
        // server not asked.
        let (again, headers, trailers) =
            answer(&mut service, request(CACHED, trainee(), b"page 1")).await;
        assert_eq!(again, "answer 1");
        assert_eq!(headers["content-type"], "application/grpc");
        assert_eq!(trailers.unwrap()["grpc-status"], "0");
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        // Another request is another answer.
        let (other, ..) = answer(&mut service, request(CACHED, trainee(), b"page 2")).await;
        assert_eq!(other, "answer 2");
        // Too old: asked again.
        tokio::time::sleep(Duration::from_millis(350)).await;
        let (later, ..) = answer(&mut service, request(CACHED, trainee(), b"page 1")).await;
        assert_eq!(later, "answer 3");
    }

    #[tokio::test]
    async fn other_callers_methods_and_failures_pass_through() {
        let calls = Arc::new(AtomicUsize::new(0));
        let mut service = numbered(Arc::clone(&calls));
        let admin = || Some(caller(&[Role::PlatformAdmin]));
        let trainee = || Some(caller(&[Role::Trainee]));

        // Callers the cache does not serve, and calls without a caller.
        for who in [admin(), admin(), None, None] {
            answer(&mut service, request(CACHED, who, b"page 1")).await;
        }
        assert_eq!(calls.load(Ordering::SeqCst), 4);
        // Methods it does not serve.
        answer(&mut service, request(OTHER, trainee(), b"page 1")).await;
        answer(&mut service, request(OTHER, trainee(), b"page 1")).await;
        assert_eq!(calls.load(Ordering::SeqCst), 6);
        // A failure is sent as it is, and never kept.
        for _ in 0..2 {
            let (body, headers, _) =
                answer(&mut service, request(CACHED, trainee(), b"fail")).await;
            assert_eq!(body, "");
            assert_eq!(headers["grpc-status"], "5");
        }
        assert_eq!(calls.load(Ordering::SeqCst), 8);
        for _ in 0..2 {
            let (_, _, trailers) = answer(&mut service, request(CACHED, trainee(), b"late")).await;
            assert_eq!(trailers.unwrap()["grpc-status"], "13");
        }
        assert_eq!(calls.load(Ordering::SeqCst), 10);
    }

    #[tokio::test]
    async fn an_oversized_request_is_refused_without_reaching_the_server() {
        static LARGE: [u8; MAX_REQUEST_BYTES + 1] = [b'x'; MAX_REQUEST_BYTES + 1];
        let calls = Arc::new(AtomicUsize::new(0));
        let mut service = numbered(Arc::clone(&calls));
        let (_, headers, _) = answer(
            &mut service,
            request(CACHED, Some(caller(&[Role::Trainee])), &LARGE),
        )
        .await;
        assert_eq!(headers["grpc-status"], "3");
        assert_eq!(calls.load(Ordering::SeqCst), 0);
    }
}
