//! Plain text from callers: trimmed, bounded, and free of control characters
//! (PostgreSQL refuses NUL, and no other control character belongs in a name,
//! reason or comment).

/// The Persian alphabet in its order (آ before ا, as dictionaries have it).
const PERSIAN_ALPHABET: &str = "آابپتثجچحخدذرزژسشصضطظعغفقکگلمنوهی";

/// A key that orders names as a Persian reader expects: by the Persian
/// alphabet (پ after ب, گ after ک, ی last; code points put پ چ ژ ک گ ی after
/// و and ه), the Arabic forms of letters as their Persian ones (ي ك ة أ إ ؤ
/// ئ), a zero-width non-joiner ignored, a space before any letter (so «علی
/// احمدی» comes before «علیرضا»), digits in any script as theirs, Persian
/// names before Latin ones, Latin letters without case.
pub fn persian_order(name: &str) -> Vec<u32> {
    name.trim()
        .chars()
        .filter(|c| *c != '\u{200c}')
        .map(|c| {
            let c = match crate::jalali::latin_digit(c) {
                'ي' | 'ى' | 'ئ' => 'ی',
                'ك' => 'ک',
                'ة' => 'ه',
                'أ' | 'إ' | 'ٱ' => 'ا',
                'ؤ' => 'و',
                other => other,
            };
            if c.is_whitespace() {
                return 1;
            }
            if let Some(at) = PERSIAN_ALPHABET.chars().position(|letter| letter == c) {
                // After the digits, before every other letter.
                return 0x100 + u32::try_from(at).unwrap_or(0);
            }
            let c = c.to_lowercase().next().unwrap_or(c);
            if c.is_ascii_digit() {
                return 0x10 + u32::from(c);
            }
            0x1000 + u32::from(c)
        })
        .collect()
}

/// A yes or a no as people write one in a table: `true`/`false`,
/// `yes`/`no`, `1`/`0` (in any digits), `بله`/`خیر`, `فعال`/`غیرفعال`
/// (with or without its zero-width non-joiner); empty is yes (the default
/// of a column one may leave blank). `None` for anything else.
pub fn yes_or_no(value: &str) -> Option<bool> {
    let value = crate::jalali::latin_digits(value.trim())
        .to_lowercase()
        .replace(['\u{200c}', ' '], "");
    match value.as_str() {
        "" | "true" | "yes" | "1" | "بله" | "آری" | "فعال" => Some(true),
        "false" | "no" | "0" | "خیر" | "نه" | "غیرفعال" => Some(false),
        _ => None,
    }
}

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
    if value.chars().any(is_hidden_format) {
        return Err(
            "must not contain invisible direction or formatting characters \
             (U+202A–U+202E, U+2066–U+2069, U+200B, U+2060, U+FEFF)"
                .to_owned(),
        );
    }
    if !value.is_empty() && value.chars().all(|c| c.is_whitespace() || is_joiner(c)) {
        return Err("must contain visible text".to_owned());
    }
    Ok(value.to_owned())
}

/// Characters that change how text around them is shown without being seen:
/// a name with U+202E prints reversed on a certificate ("Ali \u{202e}redliub"
/// reads "Ali builder"). ZWNJ and ZWJ are not among them: Persian words need
/// them (می‌خواهم).
fn is_hidden_format(c: char) -> bool {
    matches!(
        c,
        '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200B}' | '\u{2060}' | '\u{FEFF}'
    )
}

/// ZWNJ, ZWJ and the marks of direction: allowed inside text, not as all of it.
fn is_joiner(c: char) -> bool {
    matches!(c, '\u{200C}' | '\u{200D}' | '\u{200E}' | '\u{200F}')
}

/// A cell a spreadsheet shows as text, never runs as a formula: a value that
/// begins with `=`, `+`, `-`, `@`, a tab or a carriage return gets a leading
/// apostrophe (OWASP's advice for CSV injection). Everything the platform
/// writes as CSV or a spreadsheet passes its cells through this.
pub fn spreadsheet_safe(value: &str) -> std::borrow::Cow<'_, str> {
    if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        std::borrow::Cow::Owned(format!("'{value}"))
    } else {
        std::borrow::Cow::Borrowed(value)
    }
}

/// A cell as it was before [`spreadsheet_safe`]: for a CSV read back into a
/// workbook, whose string cells need no guard (the apostrophe would show).
pub fn spreadsheet_plain(value: &str) -> &str {
    match value.strip_prefix('\'') {
        Some(rest) if rest.starts_with(['=', '+', '-', '@', '\t', '\r']) => rest,
        _ => value,
    }
}

/// The form of text that search compares: what a Persian reader takes for
/// the same word matches whatever keyboard typed it. Arabic letter forms fold
/// to Persian (ي ى ئ → ی, ك → ک, ة ۀ → ه, أ إ آ ٱ → ا, ؤ → و), Persian and
/// Arabic-Indic digits to ASCII, letters to lower case; ZWNJ, ZWJ, tatweel,
/// diacritics (harakat, tanwin, superscript alef), whitespace and
/// punctuation are dropped, so «پیام‌رسانی», «پیامرسانی» and «پیام رسانی» are
/// one key. The stored key of a searchable thing and the query's key are made
/// by this one function.
pub fn search_key(value: &str) -> String {
    let mut key = String::with_capacity(value.len());
    for c in value.chars() {
        let folded = match c {
            'ي' | 'ى' | 'ئ' => 'ی',
            'ك' => 'ک',
            'ة' | 'ۀ' => 'ه',
            'أ' | 'إ' | 'آ' | 'ٱ' => 'ا',
            'ؤ' => 'و',
            '۰'..='۹' | '٠'..='٩' => crate::jalali::latin_digit(c),
            // ZWNJ, ZWJ, marks of direction, tatweel, Arabic diacritics.
            '\u{200C}' | '\u{200D}' | '\u{200E}' | '\u{200F}' | 'ـ' => continue,
            '\u{064B}'..='\u{065F}' | '\u{0670}' => continue,
            c if c.is_whitespace() || (c.is_ascii_punctuation() && c != '@') => continue,
            '،' | '؛' | '؟' | '«' | '»' => continue,
            c => c,
        };
        key.extend(folded.to_lowercase());
    }
    key
}

/// The stored search key of a thing with several searchable texts (code,
/// titles in both languages, …): each part's [`search_key`], joined by `|`,
/// which no query key contains, so a match never spans two parts.
pub fn search_key_of(parts: &[&str]) -> String {
    parts
        .iter()
        .map(|part| search_key(part))
        .collect::<Vec<_>>()
        .join("|")
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
    fn a_guarded_cell_reads_back_as_it_was() {
        for value in ["-", "=1+1", "@x", "+98 21", "'quoted", "plain", ""] {
            assert_eq!(spreadsheet_plain(&spreadsheet_safe(value)), value);
        }
    }

    #[test]
    fn names_in_the_persian_alphabets_order() {
        let mut names = vec![
            "لطفی",
            "Zahra Amini",
            "کاظمی",
            "علیرضا",
            "پارسا",
            "احمدی",
            "يوسفي",
            "گودرزی",
            "علی احمدی",
            "آرش",
            "ali",
        ];
        names.sort_by_key(|name| persian_order(name));
        assert_eq!(
            names,
            [
                "آرش",
                "احمدی",
                "پارسا",
                "علی احمدی",
                "علیرضا",
                "کاظمی",
                "گودرزی",
                "لطفی",
                "يوسفي",
                "ali",
                "Zahra Amini",
            ]
        );
        assert_eq!(persian_order("كريمي"), persian_order("کریمی"));
        assert_eq!(persian_order("نیک\u{200c}نام"), persian_order("نیکنام"));
    }

    #[test]
    fn yes_and_no_in_the_ways_people_write_them() {
        for yes in ["", "true", "Yes", "1", "۱", "بله", "فعال", " TRUE "] {
            assert_eq!(yes_or_no(yes), Some(true), "{yes}");
        }
        for no in [
            "false",
            "NO",
            "0",
            "۰",
            "٠",
            "خیر",
            "غیرفعال",
            "غیر فعال",
            "غیر\u{200c}فعال",
        ] {
            assert_eq!(yes_or_no(no), Some(false), "{no}");
        }
        assert_eq!(yes_or_no("maybe"), None);
        assert_eq!(yes_or_no("2"), None);
    }

    #[test]
    fn search_keys_fold_what_persian_readers_take_for_the_same() {
        assert_eq!(search_key("عمومي"), search_key("عمومی"));
        assert_eq!(search_key("كارشناس"), search_key("کارشناس"));
        assert_eq!(search_key("پیام‌رسانی"), search_key("پیام رسانی"));
        assert_eq!(search_key("پیامرسانی"), search_key("پیام‌رسانی"));
        assert_eq!(search_key("PR-۱۰۱"), "pr101");
        assert_eq!(search_key("٢٠٢٦"), "2026");
        assert_eq!(search_key("مدرّسـه"), search_key("مدرسه"));
        assert_eq!(search_key("Zahra.Noori@MSC.ir"), "zahranoori@mscir");
        assert_ne!(search_key("علی"), search_key("عالی"));
    }

    #[test]
    fn control_characters_and_length() {
        assert_eq!(plain("  سلام\n", 10).unwrap(), "سلام");
        assert!(plain("a\0b", 10).is_err());
        assert!(plain("abc", 2).is_err());
        assert!(single_line("a\nb", 10).is_err());
    }

    #[test]
    fn bidi_overrides_and_invisible_text_are_refused_but_zwnj_in_words_is_kept() {
        assert!(plain("Ali \u{202e}redliub", 50).is_err());
        for c in [
            '\u{2066}', '\u{2067}', '\u{2068}', '\u{2069}', '\u{202a}', '\u{feff}',
        ] {
            assert!(plain(&format!("x{c}y"), 50).is_err(), "{c:?}");
        }
        assert!(plain("\u{200c}\u{200d}\u{200c}", 50).is_err());
        assert_eq!(plain("می‌خواهم", 50).unwrap(), "می‌خواهم");
        assert_eq!(plain("", 50).unwrap(), "");
    }

    #[test]
    fn formulas_are_neutralised_for_spreadsheets() {
        for formula in [
            "=HYPERLINK(\"http://x\",\"click\")",
            "+cmd|' /C calc'!A0",
            "@SUM(1+1)",
            "-1+1",
            "\tx",
            "\rx",
        ] {
            assert!(spreadsheet_safe(formula).starts_with('\''), "{formula}");
        }
        assert_eq!(spreadsheet_safe("سارا احمدی"), "سارا احمدی");
        assert_eq!(spreadsheet_safe("92"), "92");
    }
}
