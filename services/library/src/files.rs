//! The library's files: where they are kept (an object store: a directory
//! for `hamafza up` and tests, S3-compatible storage in compose and
//! Kubernetes), what they may be (decided by their bytes, never their name),
//! and what they may be called.

use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use bytes::Bytes;
use futures::stream::BoxStream;
use hamafza_kit::config::Config;
use object_store::aws::AmazonS3Builder;
use object_store::local::LocalFileSystem;
use object_store::path::Path as ObjectPath;
use object_store::prefix::PrefixStore;
use object_store::{ObjectStore, PutPayload};
use uuid::Uuid;

/// The types a file may be, by its bytes: (MIME type, extension).
pub const ALLOWED: [(&str, &str); 7] = [
    ("application/pdf", "pdf"),
    ("image/png", "png"),
    ("image/jpeg", "jpg"),
    (
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "pptx",
    ),
    (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "docx",
    ),
    (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "xlsx",
    ),
    ("application/zip", "zip"),
];

/// Longest file name kept, in characters.
const NAME_CHARS: usize = 150;

/// The type of `content` as its bytes say, when it is one the library
/// takes: `(MIME type, extension)`.
pub fn sniff(content: &[u8]) -> Option<(&'static str, &'static str)> {
    let kind = infer::get(content)?;
    ALLOWED
        .into_iter()
        .find(|(mime, _)| *mime == kind.mime_type())
}

/// A file name fit to keep and to send back in a `Content-Disposition`: the
/// last part of whatever path the browser sent, without control, direction
/// or quoting characters, trimmed, at most 150 characters, Persian letters
/// kept; it ends in the extension its bytes call for.
pub fn sanitize_name(name: &str, extension: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or_default();
    let cleaned: String = base
        .chars()
        .filter(|c| {
            !c.is_control()
                && !matches!(
                    c,
                    '"' | '<' | '>' | ':' | '|' | '?' | '*' | ';'
                        | '\u{202A}'..='\u{202E}'
                        | '\u{2066}'..='\u{2069}'
                        | '\u{200B}'
                        | '\u{2060}'
                        | '\u{FEFF}'
                )
        })
        .collect();
    let cleaned = cleaned.trim().trim_start_matches('.').trim();
    let mut name: String = cleaned.chars().take(NAME_CHARS).collect();
    if name.is_empty() {
        name = "file".to_owned();
    }
    let suffix = format!(".{extension}");
    let has_extension = name.to_lowercase().ends_with(&suffix)
        || (extension == "jpg" && name.to_lowercase().ends_with(".jpeg"));
    if !has_extension {
        name.push_str(&suffix);
    }
    name
}

/// Where the library's files are kept.
#[derive(Clone)]
pub struct Files {
    store: Arc<dyn ObjectStore>,
    /// What the store is, for logs (`directory …`, `s3://bucket`).
    pub describe: String,
}

impl std::fmt::Debug for Files {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Files")
            .field("store", &self.describe)
            .finish()
    }
}

impl Files {
    /// The store `library_store` configures: `file://DIR`, `s3://BUCKET[/PREFIX]`,
    /// or `DATA_DIR/library` when unset.
    pub fn from_config(config: &Config) -> anyhow::Result<Self> {
        let settings = &config.library_store;
        let url = settings.url.as_deref().map(str::trim).unwrap_or_default();
        if url.is_empty() {
            return Self::directory(&config.data_dir.join("library"));
        }
        if let Some(dir) = url.strip_prefix("file://") {
            return Self::directory(Path::new(dir));
        }
        let Some(rest) = url.strip_prefix("s3://") else {
            anyhow::bail!("library_store.url ({url}) must be file://DIR or s3://BUCKET");
        };
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        anyhow::ensure!(
            !bucket.is_empty(),
            "library_store.url ({url}) names no bucket"
        );
        let mut builder = AmazonS3Builder::new()
            .with_bucket_name(bucket)
            .with_region(&settings.region);
        if let Some(endpoint) = Self::given(&settings.endpoint) {
            builder = builder
                .with_allow_http(endpoint.starts_with("http://"))
                .with_endpoint(endpoint);
        }
        if let Some(key) = Self::given(&settings.access_key_id) {
            builder = builder.with_access_key_id(key);
        }
        if let Some(secret) = settings.secret()? {
            builder = builder.with_secret_access_key(secret);
        }
        let s3 = builder.build().context("library_store: the S3 settings")?;
        let prefix = prefix.trim_matches('/');
        let store: Arc<dyn ObjectStore> = if prefix.is_empty() {
            Arc::new(s3)
        } else {
            Arc::new(PrefixStore::new(s3, prefix))
        };
        Ok(Self {
            store,
            describe: format!("s3://{bucket}"),
        })
    }

    /// A setting's value if it has one: compose passes every setting, an unused
    /// one empty (the endpoint is "empty for AWS"), and empty is not set.
    fn given(value: &Option<String>) -> Option<String> {
        value
            .as_deref()
            .map(str::trim)
            .filter(|value| !value.is_empty())
            .map(str::to_owned)
    }

    /// Files in the directory `dir` (made when missing).
    pub fn directory(dir: &Path) -> anyhow::Result<Self> {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("creating the library directory {}", dir.display()))?;
        let store = LocalFileSystem::new_with_prefix(dir)
            .with_context(|| format!("the library directory {}", dir.display()))?;
        Ok(Self {
            store: Arc::new(store),
            describe: format!("directory {}", dir.display()),
        })
    }

    fn key(item: Uuid, file: Uuid) -> ObjectPath {
        ObjectPath::from(format!("items/{item}/{file}"))
    }

    /// Keeps `content` as `file` of `item`.
    pub async fn put(&self, item: Uuid, file: Uuid, content: Bytes) -> object_store::Result<()> {
        self.store
            .put(&Self::key(item, file), PutPayload::from_bytes(content))
            .await
            .map(|_| ())
    }

    /// The bytes of `file` of `item`, as they come.
    pub async fn get(
        &self,
        item: Uuid,
        file: Uuid,
    ) -> object_store::Result<BoxStream<'static, object_store::Result<Bytes>>> {
        let found = self.store.get(&Self::key(item, file)).await?;
        Ok(found.into_stream())
    }

    /// Forgets `file` of `item` (already gone is fine).
    pub async fn delete(&self, item: Uuid, file: Uuid) -> object_store::Result<()> {
        match self.store.delete(&Self::key(item, file)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(error) => Err(error),
        }
    }
}

/// The hex SHA-256 of `bytes`, kept with each file.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(bytes)
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// A tiny valid PDF (one page, one line of text), for the demo and tests.
pub fn tiny_pdf(text: &str) -> Vec<u8> {
    let text: String = text
        .chars()
        .filter(|c| c.is_ascii_graphic() || *c == ' ')
        .filter(|c| !matches!(c, '(' | ')' | '\\'))
        .collect();
    let stream = format!("BT /F1 18 Tf 72 720 Td ({text}) Tj ET");
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>".to_owned(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_owned(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] \
         /Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>"
            .to_owned(),
        format!(
            "<< /Length {} >>\nstream\n{stream}\nendstream",
            stream.len()
        ),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_owned(),
    ];
    let mut pdf = b"%PDF-1.4\n".to_vec();
    let mut offsets = Vec::new();
    for (index, object) in objects.iter().enumerate() {
        offsets.push(pdf.len());
        pdf.extend_from_slice(format!("{} 0 obj\n{object}\nendobj\n", index + 1).as_bytes());
    }
    let xref = pdf.len();
    pdf.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
    );
    for offset in offsets {
        pdf.extend_from_slice(format!("{offset:010} 00000 n \n").as_bytes());
    }
    pdf.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    pdf
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_setting_is_no_setting() {
        assert_eq!(Files::given(&Some(String::new())), None);
        assert_eq!(Files::given(&Some("  ".into())), None);
        assert_eq!(Files::given(&None), None);
        assert_eq!(
            Files::given(&Some(" http://minio:9000 ".into())).as_deref(),
            Some("http://minio:9000")
        );
    }

    #[test]
    fn bytes_decide_the_type_not_the_name() {
        assert_eq!(sniff(&tiny_pdf("x")), Some(("application/pdf", "pdf")));
        assert_eq!(sniff(b"#!/bin/sh\nrm -rf /\n"), None);
        assert_eq!(
            sniff(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"),
            Some(("image/png", "png"))
        );
        assert_eq!(sniff(b"MZ\x90\0\x03\0\0\0"), None, "a Windows program");
    }

    #[test]
    fn names_lose_paths_and_controls_and_keep_persian() {
        assert_eq!(sanitize_name("../../etc/passwd", "pdf"), "passwd.pdf");
        assert_eq!(sanitize_name("C:\\Users\\x\\گزارش.pdf", "pdf"), "گزارش.pdf");
        assert_eq!(
            sanitize_name("گزارش\u{202e}fdp.exe\n.pdf", "pdf"),
            "گزارشfdp.exe.pdf"
        );
        assert_eq!(sanitize_name("  ..", "png"), "file.png");
        assert_eq!(sanitize_name("عکس.JPEG", "jpg"), "عکس.JPEG");
        assert_eq!(sanitize_name("a\"b;c.pdf", "pdf"), "abc.pdf");
    }
}
