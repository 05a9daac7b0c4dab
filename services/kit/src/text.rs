//! Plain text from callers: trimmed, bounded, and free of control characters
//! (PostgreSQL refuses NUL, and no other control character belongs in a name,
//! reason or comment).

/// Trims `value` and checks it is at most `max_chars` characters without
/// control characters other than newline and tab. The error describes the
/// problem for a field violation.
pub fn plain(value: &str, max_chars: usize) -> Result<String, String> {
    let value = value.trim();
    if value.chars().count() > max_chars {
        return Err(format!("must be at most {max_chars} characters"));
    }
    if value
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t')
    {
        return Err("must not contain control characters".to_owned());
    }
    Ok(value.to_owned())
}

/// Like [`plain`], and also single-line (no newline or tab): ids and names.
pub fn single_line(value: &str, max_chars: usize) -> Result<String, String> {
    let value = plain(value, max_chars)?;
    if value.contains(['\n', '\t']) {
        return Err("must be on one line".to_owned());
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_and_length() {
        assert_eq!(plain("  سلام\n", 10).unwrap(), "سلام");
        assert!(plain("a\0b", 10).is_err());
        assert!(plain("abc", 2).is_err());
        assert!(single_line("a\nb", 10).is_err());
    }
}
