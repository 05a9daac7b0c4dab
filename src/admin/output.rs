//! What an admin command prints: a table for people (Persian digits and
//! Jalali dates in Persian), the canonical protobuf JSON or YAML of the
//! response for scripts (transcoded through the contracts' descriptors, so
//! it reads as `buf curl` prints it), CSV of a list, or only the ids.

use std::io::Write;

use chrono::{DateTime, FixedOffset, Utc};
use comfy_table::{ContentArrangement, Table, presets};
use hamafza_proto::common::LocalizedText;
use prost_reflect::{DynamicMessage, SerializeOptions};

use super::context::{Failure, Outcome};
use super::input::descriptors;

/// The language of tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Lang {
    /// Persian: Persian digits, Jalali dates, Persian titles.
    Fa,
    /// English.
    En,
}

impl Lang {
    /// `en` when `LANG` starts with `en`, else `fa`.
    pub fn from_env() -> Self {
        match std::env::var("LANG") {
            Ok(lang) if lang.starts_with("en") => Self::En,
            _ => Self::Fa,
        }
    }

    /// The Persian or the English.
    pub fn pick<'a>(self, fa: &'a str, en: &'a str) -> &'a str {
        match self {
            Self::Fa => fa,
            Self::En => en,
        }
    }

    /// A localized text in this language, or the other when this one is empty.
    pub fn text(self, text: &Option<LocalizedText>) -> String {
        let Some(text) = text else {
            return String::new();
        };
        let (first, second) = match self {
            Self::Fa => (&text.fa, &text.en),
            Self::En => (&text.en, &text.fa),
        };
        if first.is_empty() {
            second.clone()
        } else {
            first.clone()
        }
    }

    /// A number, in Persian digits in Persian.
    pub fn number(self, value: impl std::fmt::Display) -> String {
        match self {
            Self::Fa => hamafza_kit::jalali::persian_digits(&value.to_string()),
            Self::En => value.to_string(),
        }
    }

    /// A moment as a date and a time in Tehran: `۱۴۰۵/۱۰/۲۰ ۰۹:۰۰` or
    /// `2027-01-10 09:00`.
    pub fn time(self, timestamp: &Option<prost_types::Timestamp>) -> String {
        let Some(instant) = timestamp
            .as_ref()
            .and_then(|t| DateTime::<Utc>::from_timestamp(t.seconds, 0))
        else {
            return String::new();
        };
        let Some(offset) = FixedOffset::east_opt(3 * 3600 + 30 * 60) else {
            return instant.to_rfc3339();
        };
        let clock = instant.with_timezone(&offset).format("%H:%M").to_string();
        match self {
            Self::Fa => {
                let shown = hamafza_kit::jalali::show(instant);
                format!("{} {}", shown.jalali_short, self.number(clock))
            }
            Self::En => instant
                .with_timezone(&offset)
                .format("%Y-%m-%d %H:%M")
                .to_string(),
        }
    }
}

/// What to print.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Output {
    /// A table (the default).
    Table,
    /// The response as canonical protobuf JSON.
    Json,
    /// The response as YAML (the same mapping as JSON).
    Yaml,
    /// The rows as CSV.
    Csv,
    /// Only the id(s), one a line.
    Id,
    /// An Excel workbook (rosters and exports, with --out).
    Xlsx,
}

/// The rows a command shows in a table or CSV, and the ids `-o id` prints.
pub struct View {
    headers: Vec<(&'static str, &'static str)>,
    rows: Vec<Vec<String>>,
    ids: Vec<String>,
    single: bool,
}

impl View {
    /// A list with these column titles (Persian, English).
    pub fn list(headers: &[(&'static str, &'static str)]) -> Self {
        Self {
            headers: headers.to_vec(),
            rows: Vec::new(),
            ids: Vec::new(),
            single: false,
        }
    }

    /// One thing, shown as a title per line.
    pub fn single(headers: &[(&'static str, &'static str)]) -> Self {
        Self {
            single: true,
            ..Self::list(headers)
        }
    }

    /// Adds a row with the id `-o id` prints for it.
    pub fn row(&mut self, id: impl Into<String>, cells: Vec<String>) {
        self.ids.push(id.into());
        self.rows.push(cells);
    }
}

/// Prints `message` (the response, of the contract's type `name`) as
/// `context.output` says, with `view` for tables, CSV and ids.
pub fn emit<M: Encoded + ?Sized>(
    lang: Lang,
    output: Output,
    message: &M,
    name: &str,
    view: View,
) -> Outcome {
    let mut stdout = std::io::stdout().lock();
    match output {
        // Serialized straight from the message: fields in the contract's
        // order, as `buf curl` prints them.
        Output::Json => {
            let dynamic = dynamic(message, name)?;
            let mut text = Vec::new();
            let mut serializer = serde_json::Serializer::pretty(&mut text);
            dynamic
                .serialize_with_options(&mut serializer, &SerializeOptions::new())
                .map_err(anyhow::Error::from)?;
            stdout.write_all(&text)?;
            writeln!(stdout)?;
        }
        Output::Yaml => {
            let dynamic = dynamic(message, name)?;
            let text = serde_yaml_ng::to_string(&dynamic).map_err(anyhow::Error::from)?;
            write!(stdout, "{text}")?;
        }
        Output::Id => {
            for id in view.ids.iter().filter(|id| !id.is_empty()) {
                writeln!(stdout, "{id}")?;
            }
        }
        Output::Csv => {
            let mut writer = csv::Writer::from_writer(Vec::new());
            let headers: Vec<&str> = view.headers.iter().map(|(_, en)| *en).collect();
            writer.write_record(&headers).map_err(anyhow::Error::from)?;
            // Numbers and dates as programs read them: Latin digits, whatever
            // the language of the table (names stay as they are).
            for row in &view.rows {
                let row = row
                    .iter()
                    .map(|cell| hamafza_kit::jalali::latin_digits(cell));
                writer.write_record(row).map_err(anyhow::Error::from)?;
            }
            let bytes = writer
                .into_inner()
                .map_err(|error| anyhow::anyhow!("{error}"))?;
            stdout.write_all(&bytes)?;
        }
        Output::Table => {
            let headers: Vec<&str> = view
                .headers
                .iter()
                .map(|(fa, en)| lang.pick(fa, en))
                .collect();
            let table = if view.single {
                let rows: Vec<Vec<String>> = view
                    .rows
                    .first()
                    .map(|row| {
                        headers
                            .iter()
                            .zip(row)
                            .map(|(header, cell)| vec![(*header).to_owned(), cell.clone()])
                            .collect()
                    })
                    .unwrap_or_default();
                render_table(&[], &rows)
            } else {
                render_table(&headers, &view.rows)
            };
            writeln!(stdout, "{table}")?;
        }
        Output::Xlsx => {
            return Err(Failure::Usage(
                "-o xlsx is for rosters and exports (with --out FILE)".into(),
            ));
        }
    }
    Ok(())
}

/// A message serialized as [`emit`] prints it: the canonical JSON mapping,
/// fields in the contract's order.
struct Contract(DynamicMessage);

impl serde::Serialize for Contract {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0
            .serialize_with_options(serializer, &SerializeOptions::new())
    }
}

/// Messages of the contracts printed together as one JSON or YAML document:
/// an object of named parts, in the order given, or a list.
pub enum Document<'a> {
    /// `{"name": message, …}`.
    Parts(Vec<(&'a str, &'a dyn Encoded, &'a str)>),
    /// `[message, …]`, all of the contract's type `name`.
    List(&'a [&'a dyn Encoded], &'a str),
}

/// Prints `document` as one JSON document (`-o json`) or one YAML document
/// (`-o yaml`): what a script reads with one parse.
pub fn emit_document(output: Output, document: &Document<'_>) -> Outcome {
    struct Parts(Vec<(String, Contract)>);
    impl serde::Serialize for Parts {
        fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
            use serde::ser::SerializeMap;
            let mut map = serializer.serialize_map(Some(self.0.len()))?;
            for (name, part) in &self.0 {
                map.serialize_entry(name, part)?;
            }
            map.end()
        }
    }
    let value = match document {
        Document::Parts(parts) => {
            let mut named = Vec::with_capacity(parts.len());
            for (name, message, type_name) in parts {
                named.push(((*name).to_owned(), Contract(dynamic(*message, type_name)?)));
            }
            Either::Parts(Parts(named))
        }
        Document::List(messages, type_name) => {
            let mut list = Vec::with_capacity(messages.len());
            for message in *messages {
                list.push(Contract(dynamic(*message, type_name)?));
            }
            Either::List(list)
        }
    };
    #[derive(serde::Serialize)]
    #[serde(untagged)]
    enum Either {
        Parts(Parts),
        List(Vec<Contract>),
    }
    let mut stdout = std::io::stdout().lock();
    match output {
        Output::Yaml => {
            let text = serde_yaml_ng::to_string(&value).map_err(anyhow::Error::from)?;
            write!(stdout, "{text}")?;
        }
        _ => {
            let mut text = Vec::new();
            let mut serializer = serde_json::Serializer::pretty(&mut text);
            serde::Serialize::serialize(&value, &mut serializer).map_err(anyhow::Error::from)?;
            stdout.write_all(&text)?;
            writeln!(stdout)?;
        }
    }
    Ok(())
}

/// A table whose columns line up in a terminal, Persian included (widths are
/// measured in terminal cells, not bytes or characters).
pub fn render_table(headers: &[&str], rows: &[Vec<String>]) -> String {
    let mut table = Table::new();
    table
        .load_preset(presets::UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Disabled);
    if !headers.is_empty() {
        table.set_header(headers.to_vec());
    }
    for row in rows {
        table.add_row(row.clone());
    }
    table.to_string()
}

/// `message` as a message of the contract's type `name`, which serializes
/// to the canonical protobuf JSON mapping (camelCase names, enum names,
/// RFC 3339 timestamps, 64-bit integers as strings, defaults left out).
fn dynamic<M: Encoded + ?Sized>(message: &M, name: &str) -> Outcome<DynamicMessage> {
    let descriptor = descriptors()?
        .get_message_by_name(name)
        .ok_or_else(|| Failure::Other(anyhow::anyhow!("no message {name} in the contracts")))?;
    DynamicMessage::decode(descriptor, message.encoded().as_slice())
        .map_err(|error| Failure::Other(anyhow::anyhow!("transcoding {name}: {error}")))
}

/// A message of the contracts, whatever its type: what [`emit`] prints
/// (a course's and a program's answers are printed by one piece of code).
pub trait Encoded {
    /// The message in protobuf's binary encoding.
    fn encoded(&self) -> Vec<u8>;
}

impl<M: prost::Message> Encoded for M {
    fn encoded(&self) -> Vec<u8> {
        self.encode_to_vec()
    }
}

/// The last part of an enum value's name, in lower case: `in-person` for
/// `DELIVERY_MODE_IN_PERSON` given the prefix `DELIVERY_MODE_`.
pub fn enum_name(full: &str, prefix: &str) -> String {
    full.strip_prefix(prefix)
        .unwrap_or(full)
        .to_ascii_lowercase()
        .replace('_', "-")
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use unicode_width::UnicodeWidthStr;

    #[test]
    fn persian_cells_line_up() {
        let rows = vec![
            vec![
                "PR-210".to_owned(),
                "سخنگویی سازمانی".to_owned(),
                "۸".to_owned(),
            ],
            vec![
                "PR-101".to_owned(),
                // A zero-width non-joiner (U+200C) takes no cell on a terminal.
                "روابط‌عمومی دیجیتال و رسانه‌های نو".to_owned(),
                "۱۲".to_owned(),
            ],
            vec!["X".to_owned(), "Media".to_owned(), "3".to_owned()],
        ];
        let table = render_table(&["کد", "عنوان", "ساعت"], &rows);
        let widths: Vec<usize> = table.lines().map(UnicodeWidthStr::width).collect();
        assert!(widths.len() >= 5, "{table}");
        assert!(
            widths.iter().all(|w| *w == widths[0]),
            "every line is as wide as the first: {widths:?}\n{table}"
        );
        // The column holds the longest title exactly, with one space each side.
        let longest = UnicodeWidthStr::width("روابط‌عمومی دیجیتال و رسانه‌های نو");
        assert_eq!(
            longest,
            "روابط‌عمومی دیجیتال و رسانه‌های نو".chars().count() - 2
        );
        assert_eq!(widths[0], 1 + (6 + 2) + 1 + (longest + 2) + 1 + (4 + 2) + 1);
    }

    #[test]
    fn dates_and_numbers_in_both_languages() {
        let at = Some(prost_types::Timestamp {
            seconds: 1_799_559_000, // 2027-01-10T05:30:00Z
            nanos: 0,
        });
        assert_eq!(Lang::Fa.time(&at), "۱۴۰۵/۱۰/۲۰ ۰۹:۰۰");
        assert_eq!(Lang::En.time(&at), "2027-01-10 09:00");
        assert_eq!(Lang::Fa.number(25), "۲۵");
        assert_eq!(
            enum_name("DELIVERY_MODE_IN_PERSON", "DELIVERY_MODE_"),
            "in-person"
        );
    }
}
