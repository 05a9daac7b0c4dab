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
/// each parsed or with what is wrong. Accepts a UTF-8 BOM, CRLF line ends and
/// double-quoted fields.
pub fn parse(csv: &str) -> Result<Vec<NumberedRow>, String> {
    let csv = csv.strip_prefix('\u{feff}').unwrap_or(csv);
    let mut lines = csv
        .lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty());
    let Some((_, header)) = lines.next() else {
        return Err("is empty: expected a header row `subject,name,organization_id`".to_owned());
    };
    let columns: Vec<String> = split(header)
        .into_iter()
        .map(|c| c.trim().to_ascii_lowercase())
        .collect();
    let position = |name: &str| columns.iter().position(|c| c == name);
    let (Some(subject_at), Some(org_at)) = (position("subject"), position("organization_id"))
    else {
        return Err(
            "needs a header row naming the columns subject, name and organization_id".to_owned(),
        );
    };
    let name_at = position("name");
    let mut rows = Vec::new();
    for (line_index, line) in lines {
        let number = u32::try_from(line_index).unwrap_or(u32::MAX);
        if rows.len() >= MAX_ROWS {
            return Err(format!(
                "has more than {MAX_ROWS} rows; split it into several requests"
            ));
        }
        let fields = split(line);
        let field = |at: usize| {
            fields
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
        } else if fields.len() < columns.len() {
            Err(format!(
                "has {} fields where the header has {}",
                fields.len(),
                columns.len()
            ))
        } else {
            Ok(row)
        };
        rows.push((number, parsed));
    }
    Ok(rows)
}

/// Splits one CSV line on commas, honouring double quotes ("" is a quote).
fn split(line: &str) -> Vec<String> {
    let mut fields = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            ('"', _) => quoted = !quoted,
            (',', false) => fields.push(std::mem::take(&mut field)),
            (c, _) => field.push(c),
        }
    }
    fields.push(field);
    fields
}

/// Quotes a field for CSV output when needed.
pub fn quote(field: &str) -> String {
    if field.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", field.replace('"', "\"\""))
    } else {
        field.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn good_bad_and_quoted_rows() {
        let csv = "\u{feff}subject,name,organization_id\r\nu1,\"Ahmadi, Sara\",msc\r\n,No Subject,msc\r\nu3,Ali\r\n\r\nu4,\"Say \"\"hi\"\"\",ksc\r\n";
        let rows = parse(csv).unwrap();
        assert_eq!(rows.len(), 4);
        assert_eq!(rows[0].1.as_ref().unwrap().name, "Ahmadi, Sara");
        assert!(rows[1].1.is_err());
        assert!(rows[2].1.is_err());
        assert_eq!(rows[3].1.as_ref().unwrap().name, "Say \"hi\"");
        assert_eq!(rows[0].0, 1);
        assert_eq!(rows[3].0, 5);
    }

    #[test]
    fn a_missing_header_is_refused() {
        assert!(parse("").is_err());
        assert!(parse("a,b,c\n").is_err());
    }

    #[test]
    fn quoting() {
        assert_eq!(quote("a,b"), "\"a,b\"");
        assert_eq!(quote("plain"), "plain");
    }
}
