//! Reading submitted forms: urlencoded bodies whose fields may repeat
//! (ticked checkboxes), shared by the staff sections' pages.

use std::collections::HashMap;

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

/// The first value of `key` in a parsed form, or empty.
pub fn first<'a>(values: &'a HashMap<String, Vec<String>>, key: &str) -> &'a str {
    values
        .get(key)
        .and_then(|v| v.first())
        .map_or("", String::as_str)
}
