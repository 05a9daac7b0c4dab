//! The tonic interceptors: [`AuthInterceptor`] verifies the bearer token of
//! incoming calls; [`crate::peers::PeerAuth`] adds credentials to outgoing ones.

use std::sync::Arc;

use super::TokenVerifier;
use crate::error::ApiError;

/// Verifies the `authorization: Bearer …` header of every call and puts the
/// [`Caller`](super::Caller) into the request's extensions. Calls without the
/// header pass through without a caller (handlers of public calls accept that,
/// every other handler answers `UNAUTHENTICATED` via
/// [`caller`](super::caller)); calls with a bad token are refused here.
#[derive(Debug, Clone)]
pub struct AuthInterceptor {
    verifier: Arc<TokenVerifier>,
}

impl AuthInterceptor {
    /// An interceptor using `verifier`.
    pub fn new(verifier: Arc<TokenVerifier>) -> Self {
        Self { verifier }
    }
}

impl tonic::service::Interceptor for AuthInterceptor {
    fn call(
        &mut self,
        mut request: tonic::Request<()>,
    ) -> Result<tonic::Request<()>, tonic::Status> {
        let Some(value) = request.metadata().get("authorization") else {
            return Ok(request);
        };
        let token = value
            .to_str()
            .ok()
            .and_then(|value| {
                value
                    .strip_prefix("Bearer ")
                    .or_else(|| value.strip_prefix("bearer "))
            })
            .map(str::trim)
            .ok_or_else(|| {
                tonic::Status::from(ApiError::unauthenticated(
                    "the authorization header must be `Bearer <token>`",
                ))
            })?;
        let caller = self.verifier.verify(token).map_err(tonic::Status::from)?;
        request.extensions_mut().insert(caller);
        Ok(request)
    }
}
