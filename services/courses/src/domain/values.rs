//! Validated values, parsed once at the edge. Each `parse` returns a short
//! description of what is wrong, which the API turns into a field violation.

use sea_orm::entity::prelude::StringLen;
use sea_orm::{DeriveActiveEnum, EnumIter};

pub use hamafza_kit::ids::OrganizationId;

/// A course or program code: 2-32 of `A-Z`, `0-9`, `-`. Lowercase input is
/// accepted and upper-cased, and digits typed on a Persian or Arabic
/// keyboard read as theirs, so `pr-101`, `PR-۱۰۱` and `PR-101` are the same
/// code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Code(String);

impl Code {
    /// Parses a code.
    pub fn parse(value: &str) -> Result<Self, &'static str> {
        let value = hamafza_kit::jalali::latin_digits(value.trim()).to_ascii_uppercase();
        if value.is_empty() {
            return Err("is required");
        }
        let ok = (2..=32).contains(&value.len())
            && value
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'-')
            && value
                .bytes()
                .next()
                .is_some_and(|b| b.is_ascii_alphanumeric());
        if ok {
            Ok(Self(value))
        } else {
            Err("must be 2-32 characters of A-Z, 0-9 and '-'")
        }
    }

    /// The code as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A category slug: 2-40 of `a-z`, `0-9`, `-`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Category(String);

impl Category {
    /// Parses a category.
    pub fn parse(value: &str) -> Result<Self, &'static str> {
        let value = value.trim();
        if value.is_empty() {
            return Err("is required");
        }
        let ok = (2..=40).contains(&value.len())
            && value
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if ok {
            Ok(Self(value.to_owned()))
        } else {
            Err("must be 2-40 lowercase letters, digits or '-'")
        }
    }

    /// The category as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Text in Persian and English, trimmed, each within a length limit.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Bilingual {
    /// Persian.
    pub fa: String,
    /// English.
    pub en: String,
}

/// Which languages of a [`Bilingual`] must be present.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Required {
    /// Both Persian and English.
    Both,
    /// Persian only; English optional.
    Persian,
    /// Neither.
    Optional,
}

impl Bilingual {
    /// Validates both languages, reporting problems per language as
    /// `(language, problem)`.
    pub fn parse(
        fa: &str,
        en: &str,
        max_chars: usize,
        required: Required,
    ) -> Result<Self, Vec<(&'static str, String)>> {
        let mut problems = Vec::new();
        let fa = fa.trim();
        let en = en.trim();
        let need_fa = matches!(required, Required::Both | Required::Persian);
        let need_en = matches!(required, Required::Both);
        for (lang, text, needed) in [("fa", fa, need_fa), ("en", en, need_en)] {
            if needed && text.is_empty() {
                problems.push((lang, "is required".to_owned()));
            } else if text.chars().count() > max_chars {
                problems.push((lang, format!("must be at most {max_chars} characters")));
            } else if text
                .chars()
                .any(|c| c.is_control() && c != '\n' && c != '\t')
            {
                problems.push((lang, "must not contain control characters".to_owned()));
            }
        }
        if problems.is_empty() {
            Ok(Self {
                fa: fa.to_owned(),
                en: en.to_owned(),
            })
        } else {
            Err(problems)
        }
    }
}

/// An `https://` (or `http://` for a local address) URL of at most 500 characters.
pub fn parse_url(value: &str) -> Result<String, &'static str> {
    let value = value.trim();
    if value.len() > 500 {
        return Err("must be at most 500 characters");
    }
    let Some(rest) = value
        .strip_prefix("https://")
        .or_else(|| value.strip_prefix("http://"))
    else {
        return Err("must be an https:// URL");
    };
    if rest.is_empty() || rest.starts_with('/') || value.chars().any(char::is_whitespace) {
        return Err("must be an https:// URL with a host");
    }
    Ok(value.to_owned())
}

/// What kind of company an organization is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(24))")]
pub enum OrganizationKind {
    /// A holding.
    #[sea_orm(string_value = "holding")]
    Holding,
    /// Steel.
    #[sea_orm(string_value = "steel")]
    Steel,
    /// Mining.
    #[sea_orm(string_value = "mining")]
    Mining,
    /// Aluminium.
    #[sea_orm(string_value = "aluminium")]
    Aluminium,
    /// An industrial zone.
    #[sea_orm(string_value = "industrial_zone")]
    IndustrialZone,
    /// Anything else.
    #[sea_orm(string_value = "other")]
    Other,
}

/// How a course is delivered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum DeliveryMode {
    /// In a classroom.
    #[sea_orm(string_value = "in_person")]
    InPerson,
    /// Online.
    #[sea_orm(string_value = "online")]
    Online,
    /// Both.
    #[sea_orm(string_value = "blended")]
    Blended,
}

/// What kind of event a calendar entry is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum EventKind {
    /// An exhibition.
    #[sea_orm(string_value = "exhibition")]
    Exhibition,
    /// A conference.
    #[sea_orm(string_value = "conference")]
    Conference,
    /// A seminar.
    #[sea_orm(string_value = "seminar")]
    Seminar,
    /// Anything else.
    #[sea_orm(string_value = "other")]
    Other,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_upper_cased() {
        assert_eq!(Code::parse(" pr-101 ").unwrap().as_str(), "PR-101");
        assert_eq!(Code::parse("PR-۱۰۱").unwrap().as_str(), "PR-101");
        assert_eq!(Code::parse("pr-١٠١").unwrap().as_str(), "PR-101");
        assert!(Code::parse("PR 101").is_err());
        assert!(Code::parse("-PR").is_err());
    }

    #[test]
    fn bilingual_text_reports_each_language() {
        let problems =
            Bilingual::parse(" ", "x".repeat(11).as_str(), 10, Required::Both).unwrap_err();
        assert_eq!(problems.len(), 2);
        assert_eq!(
            Bilingual::parse("روابط عمومی", "", 20, Required::Persian)
                .unwrap()
                .fa,
            "روابط عمومی"
        );
    }

    #[test]
    fn urls() {
        assert!(parse_url("https://meet.example/pr-101").is_ok());
        assert!(parse_url("ftp://x").is_err());
        assert!(parse_url("https://").is_err());
    }
}
