//! Tables people download and upload: CSV and Excel (.xlsx), Persian text
//! intact, safe to open in a spreadsheet.
//!
//! Writing: CSV is UTF-8 with a byte-order mark (so Excel reads Persian
//! right) and every cell goes through [`spreadsheet_safe`] (a cell starting
//! with `=`, `+`, `-`, `@` is never taken for a formula); .xlsx cells are
//! written as strings, which a spreadsheet never evaluates, on a
//! right-to-left sheet when the table is Persian, except in the columns the
//! caller marks as numbers ([`Table::numbers`]): there a cell that reads as
//! a number (in Persian or Latin digits, grouped or not, a decimal, a
//! percentage) is a number cell, shown as it was (the same decimals,
//! grouping and percent sign), so that a spreadsheet sums and sorts it.
//! Dates are the caller's text (Jalali in Persian): Excel has no portable
//! Solar Hijri date cell.
//!
//! Reading: [`read`] takes either format (an .xlsx is recognised by its zip
//! signature), its first sheet, trimmed cells, blank rows skipped, with
//! limits on size and rows that say what was too much.

use std::io::Cursor;

use crate::text::spreadsheet_safe;

/// A table of text: a header row and data rows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Table {
    /// Column titles.
    pub headers: Vec<String>,
    /// Data rows; each as long as `headers` or shorter.
    pub rows: Vec<Vec<String>>,
    /// The columns holding numbers (see [`Table::numbers`]).
    numbers: std::collections::BTreeSet<usize>,
}

impl Table {
    /// A table with these column titles and no rows.
    pub fn new<S: Into<String>>(headers: impl IntoIterator<Item = S>) -> Self {
        Self {
            headers: headers.into_iter().map(Into::into).collect(),
            rows: Vec::new(),
            numbers: std::collections::BTreeSet::new(),
        }
    }

    /// Marks `columns` (positions) as holding numbers: in a workbook each
    /// of their cells that reads as a number is a number cell; one that
    /// does not ("—", a note) stays text. CSV is unchanged.
    pub fn numbers(&mut self, columns: impl IntoIterator<Item = usize>) {
        self.numbers.extend(columns);
    }

    /// Adds a row.
    pub fn push<S: Into<String>>(&mut self, row: impl IntoIterator<Item = S>) {
        self.rows.push(row.into_iter().map(Into::into).collect());
    }

    /// The position of the column titled `name` (ignoring case and spaces
    /// around it).
    pub fn column(&self, name: &str) -> Option<usize> {
        self.headers
            .iter()
            .position(|header| header.trim().eq_ignore_ascii_case(name))
    }
}

/// The downloadable formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Comma-separated values, UTF-8.
    Csv,
    /// Office Open XML workbook.
    Xlsx,
}

impl Format {
    /// From a `format=` value: `csv` or `xlsx`.
    pub fn parse(value: &str) -> Option<Self> {
        match value.trim().to_ascii_lowercase().as_str() {
            "csv" => Some(Self::Csv),
            "xlsx" | "excel" => Some(Self::Xlsx),
            _ => None,
        }
    }

    /// The file name extension.
    pub fn extension(self) -> &'static str {
        match self {
            Self::Csv => "csv",
            Self::Xlsx => "xlsx",
        }
    }

    /// The media type.
    pub fn content_type(self) -> &'static str {
        match self {
            Self::Csv => "text/csv; charset=utf-8",
            Self::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        }
    }
}

/// Why a table could not be written or read.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SheetError {
    /// The file is larger than allowed.
    #[error("the file is larger than {max_bytes} bytes")]
    TooLarge {
        /// The limit.
        max_bytes: usize,
    },
    /// The file has more data rows than allowed.
    #[error("the file has more than {max_rows} rows")]
    TooManyRows {
        /// The limit.
        max_rows: usize,
    },
    /// The file has no header row.
    #[error("the file is empty")]
    Empty,
    /// Neither CSV in UTF-8 nor a readable .xlsx workbook.
    #[error("not a CSV (UTF-8) or Excel (.xlsx) file: {0}")]
    Unreadable(String),
    /// The workbook could not be produced.
    #[error("cannot write the workbook: {0}")]
    Write(String),
}

/// Limits on an upload.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Largest file accepted.
    pub max_bytes: usize,
    /// Most data rows accepted.
    pub max_rows: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_bytes: 2 * 1024 * 1024,
            max_rows: 2_000,
        }
    }
}

/// Writes `table` in `format`. `right_to_left` lays the .xlsx sheet out
/// right to left (for Persian).
pub fn write(table: &Table, format: Format, right_to_left: bool) -> Result<Vec<u8>, SheetError> {
    match format {
        Format::Csv => Ok(to_csv(table)),
        Format::Xlsx => to_xlsx(table, right_to_left),
    }
}

/// CSV for people: a UTF-8 byte-order mark, every cell formula-safe.
pub fn to_csv(table: &Table) -> Vec<u8> {
    let mut out = "\u{feff}".as_bytes().to_vec();
    out.extend(csv_bytes(table, |cell| spreadsheet_safe(cell).into_owned()));
    out
}

/// CSV for programs: the cells exactly as they are, no byte-order mark (what
/// a CSV parser, e.g. the enrolments service's bulk import, expects).
pub fn to_plain_csv(table: &Table) -> Vec<u8> {
    csv_bytes(table, str::to_owned)
}

fn csv_bytes(table: &Table, cell: impl Fn(&str) -> String) -> Vec<u8> {
    let mut writer = csv::WriterBuilder::new()
        .flexible(true)
        .from_writer(Vec::new());
    for row in std::iter::once(&table.headers).chain(&table.rows) {
        // Writing into a Vec cannot fail.
        let _ = writer.write_record(row.iter().map(|value| cell(value)));
    }
    writer.into_inner().unwrap_or_default()
}

/// An .xlsx workbook of one sheet: a bold, frozen header row, string cells,
/// columns wide enough for their text.
pub fn to_xlsx(table: &Table, right_to_left: bool) -> Result<Vec<u8>, SheetError> {
    use rust_xlsxwriter::{Format as CellFormat, Workbook};
    let error = |e: rust_xlsxwriter::XlsxError| SheetError::Write(e.to_string());
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet.set_right_to_left(right_to_left);
    let bold = CellFormat::new().set_bold();
    let mut widths: Vec<usize> = table.headers.iter().map(|h| h.chars().count()).collect();
    for (col, header) in table.headers.iter().enumerate() {
        sheet
            .write_string_with_format(0, column(col)?, header, &bold)
            .map_err(error)?;
    }
    for (index, row) in table.rows.iter().enumerate() {
        let line = u32::try_from(index + 1).map_err(|_| SheetError::TooManyRows {
            max_rows: u32::MAX as usize,
        })?;
        for (col, value) in row.iter().enumerate() {
            let number = table
                .numbers
                .contains(&col)
                .then(|| number_of(value))
                .flatten();
            if let Some((number, shown)) = number {
                let shown = CellFormat::new().set_num_format(shown);
                sheet
                    .write_number_with_format(line, column(col)?, number, &shown)
                    .map_err(error)?;
            } else if !value.is_empty() {
                sheet
                    .write_string(line, column(col)?, value)
                    .map_err(error)?;
            }
            if widths.len() <= col {
                widths.resize(col + 1, 0);
            }
            widths[col] = widths[col].max(value.chars().count());
        }
    }
    for (col, width) in widths.iter().enumerate() {
        sheet
            .set_column_width(column(col)?, (*width).clamp(6, 60) as f64 + 2.0)
            .map_err(error)?;
    }
    sheet.set_freeze_panes(1, 0).map_err(error)?;
    workbook.save_to_buffer().map_err(error)
}

/// A cell's text as a number and the spreadsheet number format that shows
/// it as it was: Persian (۰–۹) or Arabic-Indic digits read as Latin, `٫` or
/// `.` before decimals, `٬` or `,` grouping thousands (in groups of three
/// only), a leading minus, a trailing `٪` or `%` (the number is then a
/// fraction, shown as a percentage). `None` for anything else, and for a
/// leading zero (`007` is a code, not seven).
fn number_of(text: &str) -> Option<(f64, String)> {
    let latin: String = text
        .trim()
        .chars()
        .map(|c| match c {
            '۰'..='۹' => char::from(b'0' + (u32::from(c) - u32::from('۰')) as u8),
            '٠'..='٩' => char::from(b'0' + (u32::from(c) - u32::from('٠')) as u8),
            '٫' => '.',
            '٬' => ',',
            '٪' => '%',
            '−' => '-',
            c => c,
        })
        .collect();
    let (unsigned, negative) = match latin.strip_prefix('-') {
        Some(rest) => (rest, true),
        None => (latin.as_str(), false),
    };
    let (unsigned, percent) = match unsigned.strip_suffix('%') {
        Some(rest) => (rest, true),
        None => (unsigned, false),
    };
    let (whole, decimals) = match unsigned.split_once('.') {
        Some((whole, decimals)) => (whole, Some(decimals)),
        None => (unsigned, None),
    };
    let groups: Vec<&str> = whole.split(',').collect();
    let grouped = groups.len() > 1;
    let digits = |part: &str| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit());
    let whole_fits = groups.iter().enumerate().all(|(i, group)| {
        digits(group)
            && (!grouped
                || (if i == 0 {
                    group.len() <= 3
                } else {
                    group.len() == 3
                }))
    });
    let first = groups.first().copied().unwrap_or_default();
    let leading_zero = first.starts_with('0') && (first.len() > 1 || grouped);
    if !whole_fits || leading_zero {
        return None;
    }
    if decimals.is_some_and(|d| !digits(d)) {
        return None;
    }
    let plain = format!("{}.{}", groups.concat(), decimals.unwrap_or("0"));
    let mut number: f64 = plain.parse().ok()?;
    // A spreadsheet keeps 15 significant digits; more stays text.
    let significant = groups.concat().trim_start_matches('0').len() + decimals.map_or(0, str::len);
    if !number.is_finite() || significant > 15 {
        return None;
    }
    if negative && number != 0.0 {
        number = -number;
    }
    let mut shown = if grouped { "#,##0" } else { "0" }.to_owned();
    if let Some(decimals) = decimals {
        shown.push('.');
        shown.push_str(&"0".repeat(decimals.len()));
    }
    if percent {
        number /= 100.0;
        shown.push('%');
    }
    Some((number, shown))
}

fn column(index: usize) -> Result<u16, SheetError> {
    u16::try_from(index).map_err(|_| SheetError::Write("too many columns".to_owned()))
}

/// Reads an uploaded CSV or .xlsx file: the first row is the header.
pub fn read(bytes: &[u8], limits: Limits) -> Result<Table, SheetError> {
    if bytes.len() > limits.max_bytes {
        return Err(SheetError::TooLarge {
            max_bytes: limits.max_bytes,
        });
    }
    let mut rows = if bytes.starts_with(b"PK\x03\x04") {
        read_xlsx(bytes, limits)?
    } else {
        read_csv(bytes, limits)?
    };
    rows.retain(|row| row.iter().any(|cell| !cell.is_empty()));
    if rows.is_empty() {
        return Err(SheetError::Empty);
    }
    let headers = rows.remove(0);
    if rows.len() > limits.max_rows {
        return Err(SheetError::TooManyRows {
            max_rows: limits.max_rows,
        });
    }
    Ok(Table {
        headers,
        rows,
        ..Table::default()
    })
}

fn read_csv(bytes: &[u8], limits: Limits) -> Result<Vec<Vec<String>>, SheetError> {
    let text = std::str::from_utf8(bytes)
        .map_err(|_| SheetError::Unreadable("the text is not UTF-8".to_owned()))?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| SheetError::Unreadable(e.to_string()))?;
        rows.push(record.iter().map(|cell| cell.trim().to_owned()).collect());
        // The header and blank lines are not data rows: allow a few more.
        if rows.len() > limits.max_rows.saturating_add(1_000) {
            return Err(SheetError::TooManyRows {
                max_rows: limits.max_rows,
            });
        }
    }
    Ok(rows)
}

fn read_xlsx(bytes: &[u8], limits: Limits) -> Result<Vec<Vec<String>>, SheetError> {
    use calamine::{Data, Reader, Xlsx};
    let unreadable = |e: calamine::XlsxError| SheetError::Unreadable(e.to_string());
    let mut workbook: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).map_err(unreadable)?;
    let range = workbook
        .worksheet_range_at(0)
        .ok_or(SheetError::Empty)?
        .map_err(unreadable)?;
    if range.height() > limits.max_rows.saturating_add(1_000) {
        return Err(SheetError::TooManyRows {
            max_rows: limits.max_rows,
        });
    }
    Ok(range
        .rows()
        .map(|row| {
            row.iter()
                .map(|cell| match cell {
                    Data::Empty => String::new(),
                    Data::Float(value) if value.fract() == 0.0 && value.abs() < 1e15 => {
                        format!("{value:.0}")
                    }
                    other => other.to_string().trim().to_owned(),
                })
                .collect()
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Table {
        let mut table = Table::new(["شناسه", "نام", "note"]);
        table.push(["trainee-1", "زهرا نوری", "=HYPERLINK(\"x\")"]);
        table.push(["trainee-2", "Ali", ""]);
        table
    }

    #[test]
    fn csv_for_people_has_a_bom_and_defuses_formulas() {
        let bytes = to_csv(&sample());
        let text = String::from_utf8(bytes).unwrap();
        assert!(text.starts_with('\u{feff}'));
        assert!(text.contains("'=HYPERLINK"));
        assert!(text.contains("زهرا نوری"));
    }

    #[test]
    fn csv_and_xlsx_read_back_as_written() {
        let table = sample();
        let from_csv = read(&to_plain_csv(&table), Limits::default()).unwrap();
        assert_eq!(from_csv, table);
        let from_xlsx = read(&to_xlsx(&table, true).unwrap(), Limits::default()).unwrap();
        // Empty cells at the end of a row are not kept in a workbook.
        assert_eq!(from_xlsx.headers, table.headers);
        assert_eq!(from_xlsx.rows[0], table.rows[0]);
        assert_eq!(from_xlsx.rows[1][..2], table.rows[1][..2]);
        // With the byte-order mark and the formula guard, as people get it.
        let people = read(&to_csv(&table), Limits::default()).unwrap();
        assert_eq!(people.headers, table.headers);
        assert_eq!(people.rows[0][2], "'=HYPERLINK(\"x\")");
    }

    #[test]
    fn limits_and_garbage_are_refused_with_a_reason() {
        let table = sample();
        let tight = Limits {
            max_bytes: 10,
            max_rows: 1,
        };
        assert_eq!(
            read(&to_plain_csv(&table), tight),
            Err(SheetError::TooLarge { max_bytes: 10 })
        );
        let few_rows = Limits {
            max_bytes: 1 << 20,
            max_rows: 1,
        };
        assert_eq!(
            read(&to_plain_csv(&table), few_rows),
            Err(SheetError::TooManyRows { max_rows: 1 })
        );
        assert_eq!(read(b"\n\n", Limits::default()), Err(SheetError::Empty));
        assert!(matches!(
            read(b"\xff\xfe\x00", Limits::default()),
            Err(SheetError::Unreadable(_))
        ));
        assert!(matches!(
            read(b"PK\x03\x04 not really a zip", Limits::default()),
            Err(SheetError::Unreadable(_))
        ));
    }

    #[test]
    fn number_columns_are_number_cells_shown_as_they_were() {
        assert_eq!(number_of("۱۲٬۳۴۵"), Some((12_345.0, "#,##0".to_owned())));
        assert_eq!(number_of("12,345"), Some((12_345.0, "#,##0".to_owned())));
        assert_eq!(number_of("۸۵٪"), Some((0.85, "0%".to_owned())));
        assert_eq!(number_of("۴٫۵"), Some((4.5, "0.0".to_owned())));
        assert_eq!(number_of("-3.25"), Some((-3.25, "0.00".to_owned())));
        assert_eq!(number_of("0"), Some((0.0, "0".to_owned())));
        assert_eq!(number_of("-0"), Some((0.0, "0".to_owned())));
        assert_eq!(number_of("0.5"), Some((0.5, "0.0".to_owned())));
        let fifteen = "123456789012345";
        assert_eq!(
            number_of(fifteen),
            Some((123_456_789_012_345.0, "0".to_owned()))
        );
        for not_a_number in [
            "—",
            "",
            "007",
            "1,23",
            "0,123",
            "1234567890123456",
            "12,3456",
            "1.2.3",
            "۱۲ نفر",
            "1e5",
            "-",
            "%",
        ] {
            assert_eq!(number_of(not_a_number), None, "{not_a_number}");
        }

        let mut table = Table::new(["سازمان", "آموزش‌دیدگان", "نرخ تکمیل", "کد"]);
        table.push(["فولاد", "۱٬۲۳۴", "۸۵٪", "007"]);
        table.push(["مس", "—", "۱۲٫۵٪", "42"]);
        table.numbers([1, 2]);
        let bytes = to_xlsx(&table, true).unwrap();
        use calamine::{Data, Reader, Xlsx};
        let mut workbook: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).unwrap();
        let range = workbook.worksheet_range_at(0).unwrap().unwrap();
        let cell = |row: u32, col: u32| range.get_value((row, col)).cloned();
        assert_eq!(cell(1, 1), Some(Data::Float(1234.0)));
        assert_eq!(cell(1, 2), Some(Data::Float(0.85)));
        assert_eq!(cell(2, 2), Some(Data::Float(0.125)));
        // Text where it is no number, and in the columns not marked.
        assert_eq!(cell(2, 1), Some(Data::String("—".to_owned())));
        assert_eq!(cell(1, 3), Some(Data::String("007".to_owned())));
        assert_eq!(cell(2, 3), Some(Data::String("42".to_owned())));
        assert_eq!(cell(1, 0), Some(Data::String("فولاد".to_owned())));
    }

    #[test]
    fn numbers_in_a_workbook_read_as_people_typed_them() {
        let mut bytes = Vec::new();
        {
            use rust_xlsxwriter::Workbook;
            let mut workbook = Workbook::new();
            let sheet = workbook.add_worksheet();
            sheet.write_string(0, 0, "code").unwrap();
            sheet.write_number(1, 0, 101.0).unwrap();
            sheet.write_number(2, 0, 2.5).unwrap();
            bytes.extend(workbook.save_to_buffer().unwrap());
        }
        let read_back = read(&bytes, Limits::default()).unwrap();
        assert_eq!(read_back.rows, vec![vec!["101"], vec!["2.5"]]);
    }
}
