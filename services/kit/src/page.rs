//! Keyset pagination: page sizes and opaque page tokens. A token holds the
//! sort key of the last item returned, so the next page starts right after it
//! and rows inserted meanwhile are neither skipped nor repeated.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Serialize;
use serde::de::DeserializeOwned;

/// Page size when the caller asks for 0.
pub const DEFAULT_PAGE_SIZE: u64 = 50;
/// Largest page served; larger requests are served this many.
pub const MAX_PAGE_SIZE: u64 = 200;

/// The page size to serve for a requested `page_size`.
pub fn size(requested: i32) -> Result<u64, &'static str> {
    match requested {
        0 => Ok(DEFAULT_PAGE_SIZE),
        n if n < 0 => Err("must not be negative"),
        n => Ok(u64::try_from(n).unwrap_or(MAX_PAGE_SIZE).min(MAX_PAGE_SIZE)),
    }
}

/// Encodes a cursor as an opaque token.
pub fn encode<C: Serialize>(cursor: &C) -> String {
    // Serializing a plain cursor struct cannot fail; an empty token would
    // only end the listing early.
    serde_json::to_vec(cursor)
        .map(|json| URL_SAFE_NO_PAD.encode(json))
        .unwrap_or_default()
}

/// Decodes a `page_token`; empty means the first page. The error describes
/// the problem for a field violation on `page_token`.
pub fn decode<C: DeserializeOwned>(token: &str) -> Result<Option<C>, &'static str> {
    if token.is_empty() {
        return Ok(None);
    }
    URL_SAFE_NO_PAD
        .decode(token)
        .ok()
        .and_then(|json| serde_json::from_slice(&json).ok())
        .map(Some)
        .ok_or("is not a token this service issued")
}

/// Splits one extra fetched row off `rows` (fetch `size + 1` to know whether
/// another page exists) and returns the next token, built from the last row kept.
pub fn finish<T, C: Serialize>(
    rows: &mut Vec<T>,
    size: u64,
    cursor_of: impl Fn(&T) -> C,
) -> String {
    let size = usize::try_from(size).unwrap_or(usize::MAX);
    if rows.len() > size {
        rows.truncate(size);
        rows.last()
            .map(|row| encode(&cursor_of(row)))
            .unwrap_or_default()
    } else {
        String::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(size(0).unwrap(), DEFAULT_PAGE_SIZE);
        assert_eq!(size(7).unwrap(), 7);
        assert_eq!(size(10_000).unwrap(), MAX_PAGE_SIZE);
        assert!(size(-1).is_err());
    }

    #[test]
    fn tokens_round_trip_and_garbage_is_refused() {
        let token = encode(&("2026-01-01T00:00:00Z", 42));
        assert_eq!(
            decode::<(String, i32)>(&token).unwrap(),
            Some(("2026-01-01T00:00:00Z".to_owned(), 42))
        );
        assert_eq!(decode::<(String, i32)>("").unwrap(), None);
        assert!(decode::<(String, i32)>("not-a-token!").is_err());
    }

    #[test]
    fn finish_trims_the_lookahead_row() {
        let mut rows = vec![1, 2, 3];
        let token = finish(&mut rows, 2, |row| *row);
        assert_eq!(rows, [1, 2]);
        assert_eq!(decode::<i32>(&token).unwrap(), Some(2));
        let mut rows = vec![1, 2];
        assert_eq!(finish(&mut rows, 2, |row| *row), "");
    }
}
