//! Public reads answered from a recent copy: the same answer for everyone,
//! kept for [`PUBLIC_READ_AGE`] after it was read from the services, sent
//! with a strong `ETag` (a digest of the body) and `Cache-Control: public,
//! max-age=<what is left of that age>`, and `304 Not Modified` to a request
//! whose `If-None-Match` names the body it would get.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use hamafza_kit::ApiError;
use hamafza_kit::recent::Recent;
use sha2::{Digest, Sha256};

/// How long a public answer is served again before it is read afresh: the
/// catalog changes seldom, and a course published appears within this (plus
/// the second courses keeps its public listing).
pub const PUBLIC_READ_AGE: Duration = Duration::from_secs(5);

/// One public answer as sent.
#[derive(Debug)]
pub struct Snapshot {
    body: axum::body::Bytes,
    etag: HeaderValue,
    read_at: Instant,
}

impl Snapshot {
    /// `value` as JSON, read now.
    fn of<T: serde::Serialize>(value: &T) -> Result<Self, ApiError> {
        let body = serde_json::to_vec(value).map_err(ApiError::internal)?;
        let digest = Sha256::digest(&body);
        let hex: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
        let etag = HeaderValue::from_str(&format!("\"{hex}\"")).map_err(ApiError::internal)?;
        Ok(Self {
            body: body.into(),
            etag,
            read_at: Instant::now(),
        })
    }

    /// Whole seconds this copy is still served for.
    fn max_age(&self) -> u64 {
        PUBLIC_READ_AGE
            .saturating_sub(self.read_at.elapsed())
            .as_secs()
    }

    /// Whether `If-None-Match` in `headers` names this body (weak comparison,
    /// as RFC 9110 says for `If-None-Match`; `*` matches any).
    fn matches(&self, headers: &HeaderMap) -> bool {
        let ours = self.etag.as_bytes();
        headers
            .get_all(header::IF_NONE_MATCH)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(','))
            .map(|tag| tag.trim())
            .any(|tag| tag == "*" || tag.trim_start_matches("W/").as_bytes() == ours)
    }

    /// The answer to a request with `headers`: 304 when it has this body
    /// already, else the body; both with the validator and the freshness.
    pub fn respond(&self, headers: &HeaderMap) -> Response {
        let cache_control = HeaderValue::from_str(&format!("public, max-age={}", self.max_age()))
            .unwrap_or_else(|_| HeaderValue::from_static("no-cache"));
        let mut response = if self.matches(headers) {
            StatusCode::NOT_MODIFIED.into_response()
        } else {
            let mut response = Response::new(Body::from(self.body.clone()));
            response.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
            response
        };
        let answer = response.headers_mut();
        answer.insert(header::ETAG, self.etag.clone());
        answer.insert(header::CACHE_CONTROL, cache_control);
        response
    }
}

/// Recent public answers by what was asked.
#[derive(Clone)]
pub struct PublicReads {
    answers: Arc<Recent<String, Arc<Snapshot>>>,
}

impl Default for PublicReads {
    fn default() -> Self {
        Self {
            answers: Arc::new(Recent::new(PUBLIC_READ_AGE, 1_000)),
        }
    }
}

impl std::fmt::Debug for PublicReads {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PublicReads").finish_non_exhaustive()
    }
}

impl PublicReads {
    /// The answer to `key` read less than [`PUBLIC_READ_AGE`] ago, else
    /// `read`'s answer now (one read for all who ask meanwhile).
    pub async fn get_or_read<T, F>(&self, key: String, read: F) -> Result<Arc<Snapshot>, ApiError>
    where
        T: serde::Serialize,
        F: Future<Output = Result<T, ApiError>>,
    {
        self.answers
            .get_or_load(key, async { Ok(Arc::new(Snapshot::of(&read.await?)?)) })
            .await
    }
}
