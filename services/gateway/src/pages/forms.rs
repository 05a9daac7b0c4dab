//! Reading submitted forms: urlencoded bodies whose fields may repeat
//! (ticked checkboxes), and multipart bodies that carry a file, shared by the
//! staff sections' pages.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::Multipart;
use hamafza_kit::{ApiError, ErrorCode};

use crate::i18n::Lang;
use crate::web::PageError;

/// Form values that may repeat (checkboxes), from an urlencoded body.
pub fn form_values(body: &[u8]) -> HashMap<String, Vec<String>> {
    let mut values: HashMap<String, Vec<String>> = HashMap::new();
    for (key, value) in form_urlencoded::parse(body) {
        values
            .entry(key.into_owned())
            .or_default()
            .push(value.into_owned());
    }
    values
}

/// `value` encoded for a URL's query or path.
pub fn urlencode(value: &str) -> String {
    form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

/// The first value of `key` in a parsed form, or empty.
pub fn first<'a>(values: &'a HashMap<String, Vec<String>>, key: &str) -> &'a str {
    values
        .get(key)
        .and_then(|v| v.first())
        .map_or("", String::as_str)
}

/// One field of a multipart form.
pub struct Part {
    /// The field's name.
    pub name: String,
    /// The name of the file it carries, when it is a file.
    pub file_name: Option<String>,
    /// What was sent.
    pub bytes: Bytes,
}

impl Part {
    /// The value as text (invalid UTF-8 replaced, never refused).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.bytes).into_owned()
    }
}

/// Every field of a multipart form, in the order sent. A body over the
/// route's limit, or one that breaks off, is a `FILE_TOO_LARGE` page.
pub async fn multipart_parts(
    multipart: &mut Multipart,
    lang: Lang,
) -> Result<Vec<Part>, PageError> {
    let too_large = || {
        PageError::api(
            lang,
            ApiError::new(
                ErrorCode::InvalidArgument,
                "FILE_TOO_LARGE",
                "the upload is too large",
            ),
        )
    };
    let mut parts = Vec::new();
    while let Some(field) = multipart.next_field().await.map_err(|_| too_large())? {
        let name = field.name().unwrap_or_default().to_owned();
        let file_name = field.file_name().map(str::to_owned);
        let bytes = field.bytes().await.map_err(|_| too_large())?;
        parts.push(Part {
            name,
            file_name,
            bytes,
        });
    }
    Ok(parts)
}
