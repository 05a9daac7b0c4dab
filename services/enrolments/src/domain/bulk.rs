//! Bulk enrolment rows from CSV: `subject,name,organization_id`, a header row
//! first. Each row is parsed on its own, so a bad row never hides good ones.

/// One trainee named by a CSV row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BulkRow {
    /// The trainee's token `sub`.
    pub subject: String,
    /// Display name.
    pub name: String,
    /// Organization id.
    pub organization_id: String,
}

/// A row number (1 = the first after the header) and the parsed row or what
/// is wrong with it.
pub type NumberedRow = (u32, Result<BulkRow, String>);

/// Most rows one bulk request may hold.
pub const MAX_ROWS: usize = 2000;

/// Splits `csv` into numbered rows (1 = the first row after the header),
/// each parsed or with what is wrong. Accepts a UTF-8 BOM, CRLF line ends,
/// blank lines and double-quoted fields (the `csv` crate reads them, RFC 4180).
pub fn parse(csv: &str) -> Result<Vec<NumberedRow>, String> {
    let csv = csv.strip_prefix('\u{feff}').unwrap_or(csv);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .from_reader(csv.as_bytes());
    let columns: Vec<String> = match reader.headers() {
        Ok(header) if header.iter().any(|c| !c.trim().is_empty()) => header
            .iter()
            .map(|c| c.trim().to_ascii_lowercase())
            .collect(),
        Ok(_) => {
            return Err(
                "is empty: expected a header row `subject,name,organization_id`".to_owned(),
            );
        }
        Err(error) => return Err(format!("cannot be read as CSV: {error}")),
    };
    let position = |name: &str| columns.iter().position(|c| c == name);
    let (Some(subject_at), Some(org_at)) = (position("subject"), position("organization_id"))
    else {
        return Err(
            "needs a header row naming the columns subject, name and organization_id".to_owned(),
        );
    };
    let name_at = position("name");
    let mut rows = Vec::new();
    for record in reader.records() {
        if rows.len() >= MAX_ROWS {
            return Err(format!(
                "has more than {MAX_ROWS} rows; split it into several requests"
            ));
        }
        // A broken quote ends the reading: the rows after it cannot be told apart.
        let record = record.map_err(|error| format!("cannot be read as CSV: {error}"))?;
        // Row 1 is the first record after the header (blank lines are not
        // rows; a quoted field may span lines).
        let number = record
            .position()
            .map_or(u32::MAX, |p| u32::try_from(p.record()).unwrap_or(u32::MAX));
        let field = |at: usize| {
            record
                .get(at)
                .map(|f| f.trim().to_owned())
                .unwrap_or_default()
        };
        let row = BulkRow {
            subject: field(subject_at),
            name: name_at.map(field).unwrap_or_default(),
            organization_id: field(org_at),
        };
        let parsed = if row.subject.is_empty() {
            Err("the subject is empty".to_owned())
        } else if row.subject.len() > 200 || row.name.chars().count() > 200 {
            Err("the subject or name is longer than 200 characters".to_owned())
        } else if row.organization_id.is_empty() {
            Err("the organization_id is empty".to_owned())
        } else if record.len() < columns.len() {
            Err(format!(
                "has {} fields where the header has {}",
                record.len(),
                columns.len()
            ))
        } else {
            Ok(row)
        };
        rows.push((number, parsed));
    }
    Ok(rows)
}

/// Writes rows as CSV for a spreadsheet: a UTF-8 BOM (so Excel reads Persian
/// right), CRLF line ends, quoting by the `csv` crate, and every cell a
/// spreadsheet would run as a formula neutralised
/// ([`hamafza_kit::text::spreadsheet_safe`]).
pub fn write<R, F>(header: &[&str], rows: impl IntoIterator<Item = R>) -> Result<Vec<u8>, String>
where
    R: IntoIterator<Item = F>,
    F: AsRef<str>,
{
    let mut writer = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer("\u{feff}".as_bytes().to_vec());
    writer.write_record(header).map_err(|e| e.to_string())?;
    for row in rows {
        writer
            .write_record(
                row.into_iter()
                    .map(|cell| hamafza_kit::text::spreadsheet_safe(cell.as_ref()).into_owned()),
            )
            .map_err(|e| e.to_string())?;
    }
    writer.into_inner().map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn good_bad_and_quoted_rows() {
        let csv = "\u{feff}subject,name,organization_id\r\n\
                   u1,\"Ahmadi, Sara\",msc\r\n\
                   ,No Subject,msc\r\n\
                   u3,Ali\r\n\r\n\
                   u4,\"Say \"\"hi\"\"\",ksc\r\n";
        let rows = parse(csv).unwrap();
        assert_eq!(rows.len(), 4);
        assert_eq!(rows[0].1.as_ref().unwrap().name, "Ahmadi, Sara");
        assert!(rows[1].1.is_err());
        assert!(rows[2].1.is_err());
        assert_eq!(rows[3].1.as_ref().unwrap().name, "Say \"hi\"");
        assert_eq!(rows[0].0, 1);
        assert_eq!(rows[3].0, 4, "the fourth record, the blank line is no row");
    }

    #[test]
    fn a_missing_header_is_refused() {
        assert!(parse("").is_err());
        assert!(parse("a,b,c\n").is_err());
    }

    #[test]
    fn a_broken_quote_is_refused_not_guessed() {
        let rows = parse("subject,name,organization_id\nu1,\"unclosed,msc\n");
        assert!(
            rows.as_ref()
                .map_or(true, |rows| rows.iter().all(|(_, row)| row.is_err())),
            "{rows:?}"
        );
    }

    #[test]
    fn written_cells_are_quoted_and_never_formulas() {
        let rows = [
            ["Ahmadi, Sara", "say \"hi\""],
            ["=HYPERLINK(\"http://x\",\"click\")", "+cmd|' /C calc'!A0"],
            ["@SUM(1+1)", "-2+3"],
            ["\tx", "\rx"],
        ];
        let written = String::from_utf8(write(&["name", "note"], rows).unwrap()).unwrap();
        assert!(written.starts_with("\u{feff}name,note\r\n"), "{written}");
        let body = written.trim_start_matches('\u{feff}');
        let mut reader = csv::Reader::from_reader(body.as_bytes());
        let cells: Vec<Vec<String>> = reader
            .records()
            .map(|r| r.unwrap().iter().map(str::to_owned).collect())
            .collect();
        assert_eq!(cells[0], ["Ahmadi, Sara", "say \"hi\""]);
        for cell in cells.iter().skip(1).flatten() {
            assert!(cell.starts_with('\''), "{cell:?} is neutralised");
        }
    }
}
