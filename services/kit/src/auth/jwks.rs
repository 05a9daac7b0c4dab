//! The issuer's public keys: reading a JWKS file or fetching a JWKS URL, and
//! turning it into the set of asymmetric keys (by `kid`) that verify tokens.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use jsonwebtoken::jwk::{AlgorithmParameters, Jwk, JwkSet, KeyAlgorithm};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};

use super::KeyError;

/// Clock skew tolerated on `exp`.
pub(super) const LEEWAY_SECONDS: u64 = 30;

/// A public key of the issuer with the algorithm it verifies.
pub(super) struct IssuerKey {
    pub(super) key: DecodingKey,
    pub(super) validation: Validation,
}

/// The issuer's keys, by `kid`.
#[derive(Default)]
pub(super) struct KeySet {
    pub(super) by_kid: HashMap<String, Arc<IssuerKey>>,
    /// A key without a `kid`, used for tokens without one.
    pub(super) anonymous: Option<Arc<IssuerKey>>,
}

pub(super) fn build_key_set(
    jwks: &JwkSet,
    issuer: &str,
    audience: &str,
) -> Result<KeySet, KeyError> {
    let mut set = KeySet::default();
    for jwk in &jwks.keys {
        // Symmetric, unsupported or encryption-only keys are never used to
        // verify tokens: an HMAC key would let anyone holding it mint them.
        if matches!(
            jwk.common.public_key_use,
            Some(jsonwebtoken::jwk::PublicKeyUse::Encryption)
        ) {
            continue;
        }
        let Some(algorithm) = asymmetric_algorithm(jwk) else {
            continue;
        };
        let key = match DecodingKey::from_jwk(jwk) {
            Ok(key) => key,
            Err(error) => {
                tracing::warn!(
                    kid = ?jwk.common.key_id,
                    %error,
                    "skipping an unusable key of the issuer's key set"
                );
                continue;
            }
        };
        let mut validation = Validation::new(algorithm);
        validation.set_issuer(&[issuer]);
        validation.set_audience(&[audience]);
        validation.set_required_spec_claims(&["iss", "aud", "sub", "exp"]);
        validation.leeway = LEEWAY_SECONDS;
        validation.validate_nbf = true;
        let key = Arc::new(IssuerKey { key, validation });
        match &jwk.common.key_id {
            Some(kid) => {
                set.by_kid.insert(kid.clone(), key);
            }
            None => set.anonymous = Some(key),
        }
    }
    if set.by_kid.is_empty() && set.anonymous.is_none() {
        return Err(KeyError::Invalid(
            "the key set holds no asymmetric signing key".to_owned(),
        ));
    }
    Ok(set)
}

/// The signature algorithm a JWK verifies, if it is an asymmetric one.
fn asymmetric_algorithm(jwk: &Jwk) -> Option<Algorithm> {
    let declared = jwk.common.key_algorithm;
    match (&jwk.algorithm, declared) {
        (AlgorithmParameters::OctetKeyPair(_), None | Some(KeyAlgorithm::EdDSA)) => {
            Some(Algorithm::EdDSA)
        }
        (AlgorithmParameters::EllipticCurve(params), declared) => match declared {
            Some(KeyAlgorithm::ES384) => Some(Algorithm::ES384),
            Some(KeyAlgorithm::ES256) => Some(Algorithm::ES256),
            None => match params.curve {
                jsonwebtoken::jwk::EllipticCurve::P384 => Some(Algorithm::ES384),
                _ => Some(Algorithm::ES256),
            },
            Some(_) => None,
        },
        (AlgorithmParameters::RSA(_), declared) => match declared {
            None | Some(KeyAlgorithm::RS256) => Some(Algorithm::RS256),
            Some(KeyAlgorithm::RS384) => Some(Algorithm::RS384),
            Some(KeyAlgorithm::RS512) => Some(Algorithm::RS512),
            Some(KeyAlgorithm::PS256) => Some(Algorithm::PS256),
            Some(KeyAlgorithm::PS384) => Some(Algorithm::PS384),
            Some(KeyAlgorithm::PS512) => Some(Algorithm::PS512),
            Some(_) => None,
        },
        _ => None,
    }
}

/// Reads a JWKS JSON file.
pub fn read_jwks(path: &Path) -> Result<JwkSet, KeyError> {
    let text = std::fs::read_to_string(path).map_err(|source| KeyError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    serde_json::from_str(&text)
        .map_err(|error| KeyError::Invalid(format!("{}: not a JWKS: {error}", path.display())))
}

pub(super) async fn fetch_jwks(url: &str) -> Result<JwkSet, KeyError> {
    let fetch_error = |message: String| KeyError::Fetch {
        url: url.to_owned(),
        message,
    };
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .map_err(|error| fetch_error(error.to_string()))?;
    let response = client
        .get(url)
        .send()
        .await
        .and_then(reqwest::Response::error_for_status)
        .map_err(|error| fetch_error(error.to_string()))?;
    response
        .json::<JwkSet>()
        .await
        .map_err(|error| fetch_error(format!("not a JWKS: {error}")))
}

#[cfg(test)]
mod tests {
    use jsonwebtoken::jwk::JwkSet;

    use crate::auth::TokenVerifier;

    #[test]
    fn a_key_set_without_asymmetric_keys_is_refused() {
        let jwks: JwkSet = serde_json::from_value(serde_json::json!({
            "keys": [{"kty": "oct", "k": "c2VjcmV0", "kid": "hmac"}]
        }))
        .unwrap();
        assert!(TokenVerifier::from_jwks(&jwks, "i", "a", 10).is_err());
    }
}
