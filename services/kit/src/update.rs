//! Conditional and partial updates, as the Google API conventions have them:
//! entity tags (AIP-154) that make an update conditional on nothing having
//! changed since the caller read the resource, and update masks (AIP-134)
//! that name the fields an update changes.
//!
//! An etag is the resource's revision (a counter its service bumps on every
//! write of the resource) in double quotes, `"7"`, as HTTP writes a strong
//! entity tag. Callers treat it as opaque: they only echo it back.

use std::fmt;

use crate::{ApiError, ErrorCode, Violations};

/// The reason of an update refused because its etag is stale.
pub const ETAG_MISMATCH: &str = "ETAG_MISMATCH";

/// The etag of a resource at `revision`.
pub fn etag(revision: i64) -> String {
    format!("\"{revision}\"")
}

/// Parses the etag of an update request into the revision it names: `None`
/// for an empty etag (no check) or for a malformed one, which is recorded
/// against `field`.
pub fn parse_etag(violations: &mut Violations, field: &str, value: &str) -> Option<i64> {
    if value.is_empty() {
        return None;
    }
    let revision = value
        .strip_prefix('"')
        .and_then(|rest| rest.strip_suffix('"'))
        .filter(|digits| !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|digits| digits.parse::<i64>().ok());
    if revision.is_none() {
        violations.add(
            field,
            "is not an etag of this service; send the etag of the resource as read, or none",
        );
    }
    revision
}

/// `ABORTED` for an update whose etag no longer matches: the resource changed
/// since the caller read it, and nothing was written.
pub fn etag_mismatch(kind: &str, id: impl fmt::Display) -> ApiError {
    ApiError::new(
        ErrorCode::Aborted,
        ETAG_MISMATCH,
        format!(
            "the {kind} {id} has changed since it was read; read it again and reapply the change"
        ),
    )
}

/// The paths of an update mask; `None` when every editable field is to be
/// replaced (no mask, an empty one, or `*`).
pub fn mask_paths(mask: Option<&prost_types::FieldMask>) -> Option<Vec<String>> {
    let paths = &mask?.paths;
    if paths.is_empty() || paths.iter().any(|path| path == "*") {
        return None;
    }
    Some(paths.clone())
}

/// Records every path of `paths` that `known` refuses against `field`.
pub fn check_mask(
    violations: &mut Violations,
    field: &str,
    paths: Option<&[String]>,
    known: impl Fn(&str) -> bool,
) {
    for path in paths.unwrap_or_default() {
        if !known(path) {
            violations.add(
                field,
                format!("{path:?} is not a field this update can change"),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(value: &str) -> (Option<i64>, bool) {
        let mut v = Violations::new();
        let revision = parse_etag(&mut v, "etag", value);
        (revision, v.is_empty())
    }

    #[test]
    fn etags_round_trip_and_malformed_ones_are_violations() {
        assert_eq!(parse(&etag(42)), (Some(42), true));
        assert_eq!(parse(""), (None, true));
        for bad in [
            "42",
            "\"\"",
            "\"4x\"",
            "W/\"4\"",
            "\"-1\"",
            "\"99999999999999999999\"",
        ] {
            assert_eq!(parse(bad), (None, false), "{bad}");
        }
    }

    #[test]
    fn an_empty_mask_or_a_star_replaces_everything() {
        let mask = |paths: &[&str]| prost_types::FieldMask {
            paths: paths.iter().map(|p| (*p).to_owned()).collect(),
        };
        assert_eq!(mask_paths(None), None);
        assert_eq!(mask_paths(Some(&mask(&[]))), None);
        assert_eq!(mask_paths(Some(&mask(&["a", "*"]))), None);
        assert_eq!(
            mask_paths(Some(&mask(&["capacity"]))),
            Some(vec!["capacity".to_owned()])
        );
        let mut v = Violations::new();
        check_mask(
            &mut v,
            "update_mask",
            Some(&["a".to_owned(), "b".to_owned()]),
            |p| p == "a",
        );
        let error = v.finish().err().map(|e| e.violations().to_vec());
        assert_eq!(error.map(|v| v.len()), Some(1));
    }
}
