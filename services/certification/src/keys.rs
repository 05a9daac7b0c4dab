//! The issuer's keys: the one that signs new credentials, and every key that
//! ever signed one, published as a JWKS so that old certificates keep
//! verifying after a rotation.

use std::path::Path;

use hamafza_kit::auth::{KeyError, SigningKeyFile};
use hamafza_kit::config::Config;
use jsonwebtoken::jwk::{Jwk, JwkSet};

use crate::store::Store;

/// The development signing key's file name in the data directory.
pub const DEV_KEY_FILE: &str = "certification-signing.pem";

/// The issuer's signing key.
pub struct IssuerKeys {
    signing: SigningKeyFile,
}

impl IssuerKeys {
    /// The configured signing key (see `credentials.signing_key_file`).
    pub fn from_config(config: &Config) -> Result<Self, KeyError> {
        let path = match &config.credentials.signing_key_file {
            Some(path) => {
                let pem = std::fs::read_to_string(path).map_err(|source| KeyError::Io {
                    path: path.clone(),
                    source,
                })?;
                return Ok(Self {
                    signing: SigningKeyFile::from_pem(&pem)?,
                });
            }
            None if config.auth.allow_dev_issuer => config.data_dir.join(DEV_KEY_FILE),
            None => {
                return Err(KeyError::Invalid(
                    "no certificate signing key: set HAMAFZA_CREDENTIALS_SIGNING_KEY_FILE"
                        .to_owned(),
                ));
            }
        };
        Self::load_or_create(&path)
    }

    /// The key at `path`, created if missing.
    pub fn load_or_create(path: &Path) -> Result<Self, KeyError> {
        Ok(Self {
            signing: SigningKeyFile::load_or_create(path)?,
        })
    }

    /// The signing key.
    pub fn signing(&self) -> &SigningKeyFile {
        &self.signing
    }

    /// Records the signing key among the published keys.
    pub async fn publish(&self, store: &Store) -> Result<(), crate::domain::CertificationError> {
        let jwk = serde_json::to_string(self.signing.public_jwk())
            .map_err(|error| crate::domain::CertificationError::Signing(error.to_string()))?;
        store
            .publish_key(self.signing.kid(), &jwk, hamafza_kit::time::now())
            .await
    }
}

/// Every published key as a JWKS.
pub async fn published(store: &Store) -> Result<JwkSet, crate::domain::CertificationError> {
    let keys = store
        .keys()
        .await?
        .into_iter()
        .filter_map(|row| serde_json::from_str::<Jwk>(&row.jwk).ok())
        .collect();
    Ok(JwkSet { keys })
}
