//! Ed25519 signing keys kept in PKCS#8 PEM files: creating one safely when
//! missing, its public JWK and `kid`, and signing compact JWS with it.

use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use ed25519_dalek::pkcs8::{DecodePrivateKey, EncodePrivateKey};
use jsonwebtoken::jwk::{Jwk, ThumbprintHash};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde::Serialize;

use super::KeyError;

/// An Ed25519 private key in a PKCS#8 PEM file, with its public JWK.
#[derive(Clone)]
pub struct SigningKeyFile {
    encoding: EncodingKey,
    pub(super) public_jwk: Jwk,
    kid: String,
}

impl SigningKeyFile {
    /// Loads the key at `path`, creating a new one (mode 0600) if it is missing.
    pub fn load_or_create(path: &Path) -> Result<Self, KeyError> {
        let io_error = |source| KeyError::Io {
            path: path.to_path_buf(),
            source,
        };
        let pem = match std::fs::read_to_string(path) {
            Ok(pem) => pem,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                let pem = generate_ed25519_pem()?;
                if let Some(dir) = path.parent() {
                    std::fs::create_dir_all(dir).map_err(io_error)?;
                }
                match write_private(path, &pem) {
                    Ok(()) => {
                        tracing::info!(path = %path.display(), "created a new signing key");
                        pem
                    }
                    // Another process made it first: use theirs.
                    Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => {
                        std::fs::read_to_string(path).map_err(io_error)?
                    }
                    Err(error) => return Err(io_error(error)),
                }
            }
            Err(error) => return Err(io_error(error)),
        };
        Self::from_pem(&pem)
    }

    /// Parses a PKCS#8 PEM Ed25519 private key.
    pub fn from_pem(pem: &str) -> Result<Self, KeyError> {
        let key = ed25519_dalek::SigningKey::from_pkcs8_pem(pem)
            .map_err(|error| KeyError::Invalid(format!("not an Ed25519 PKCS#8 key: {error}")))?;
        // jsonwebtoken wants the 48-byte PKCS#8 v1 form (no embedded public
        // key); files written by other tools may be v2, so re-encode.
        let mut der = Vec::with_capacity(48);
        der.extend_from_slice(&ED25519_PKCS8_V1_PREFIX);
        der.extend_from_slice(key.as_bytes());
        let encoding = EncodingKey::from_ed_der(&der);
        let mut public_jwk = Jwk::from_encoding_key(&encoding, Algorithm::EdDSA)
            .map_err(|error| KeyError::Invalid(error.to_string()))?;
        let kid = public_jwk
            .thumbprint(ThumbprintHash::SHA256)
            .map_err(|error| KeyError::Invalid(error.to_string()))?;
        public_jwk.common.key_id = Some(kid.clone());
        public_jwk.common.public_key_use = Some(jsonwebtoken::jwk::PublicKeyUse::Signature);
        Ok(Self {
            encoding,
            public_jwk,
            kid,
        })
    }

    /// The key id (its RFC 7638 thumbprint).
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The public key as a JWK, with `kid`, `alg` and `use`.
    pub fn public_jwk(&self) -> &Jwk {
        &self.public_jwk
    }

    /// Signs `claims` as a compact JWS with `alg: EdDSA` and this key's `kid`.
    pub fn sign<T: Serialize>(&self, claims: &T) -> Result<String, KeyError> {
        self.sign_with_type(claims, "JWT")
    }

    /// Signs `claims` with a given `typ` header (e.g. `vc+jwt`).
    pub fn sign_with_type<T: Serialize>(&self, claims: &T, typ: &str) -> Result<String, KeyError> {
        let mut header = Header::new(Algorithm::EdDSA);
        header.kid = Some(self.kid.clone());
        header.typ = Some(typ.to_owned());
        jsonwebtoken::encode(&header, claims, &self.encoding)
            .map_err(|error| KeyError::Invalid(format!("signing failed: {error}")))
    }
}

/// The DER header of a PKCS#8 v1 Ed25519 private key, before the 32-byte seed.
const ED25519_PKCS8_V1_PREFIX: [u8; 16] = [
    0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
];

/// A fresh Ed25519 private key as PKCS#8 PEM.
pub fn generate_ed25519_pem() -> Result<String, KeyError> {
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed)
        .map_err(|error| KeyError::Invalid(format!("no randomness available: {error}")))?;
    let key = ed25519_dalek::SigningKey::from_bytes(&seed);
    let pem = key
        .to_pkcs8_pem(ed25519_dalek::pkcs8::spki::der::pem::LineEnding::LF)
        .map_err(|error| KeyError::Invalid(format!("encoding the key failed: {error}")))?;
    Ok(pem.to_string())
}

#[cfg(unix)]
/// Writes a new private file (mode 0600) all at once: it is written under a
/// temporary name and linked into place, so a process starting alongside
/// never reads half a key, and of two writers one wins (the other gets
/// `AlreadyExists`).
fn write_private(path: &Path, content: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.subsec_nanos());
    let temporary = path.with_extension(format!("tmp-{}-{nanos}", std::process::id()));
    let written = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&temporary)
        .and_then(|mut file| {
            file.write_all(content.as_bytes())?;
            file.sync_all()
        })
        .and_then(|()| std::fs::hard_link(&temporary, path));
    let _ = std::fs::remove_file(&temporary);
    written
}

#[cfg(not(unix))]
fn write_private(path: &Path, content: &str) -> std::io::Result<()> {
    std::fs::write(path, content)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn processes_starting_together_share_one_new_key() {
        let dir = std::env::temp_dir().join(format!("hamafza-key-race-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let path = dir.join("key.pem");
        let kids: Vec<String> = (0..8)
            .map(|_| {
                let path = path.clone();
                std::thread::spawn(move || {
                    SigningKeyFile::load_or_create(&path)
                        .unwrap()
                        .public_jwk
                        .common
                        .key_id
                        .unwrap()
                })
            })
            .collect::<Vec<_>>()
            .into_iter()
            .map(|thread| thread.join().unwrap())
            .collect();
        assert!(kids.iter().all(|kid| *kid == kids[0]), "{kids:?}");
        let left: Vec<_> = std::fs::read_dir(&dir).unwrap().collect();
        assert_eq!(left.len(), 1, "no temporary files are left behind");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
