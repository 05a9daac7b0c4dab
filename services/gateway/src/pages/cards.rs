//! Tables that fold into cards on a phone: every data cell is given its
//! column's header as `data-label`, so the stylesheet alone can stack a row
//! into a card and name each value (`td::before { content: attr(data-label) }`).
//!
//! Done once over the rendered page rather than at every `td` of every page:
//! the headers already come from the fa/en catalogue, and a table added later
//! folds without anyone remembering to label its cells. The input is maud's
//! output, so text and attribute values have `&`, `<`, `>` and `"` escaped and
//! a `<` always opens a tag or a comment.

/// A table being read: the text of its header cells, the column of the cell
/// the reader is in, and where its opening tag ends in the output.
struct Table {
    headers: Vec<String>,
    in_head: bool,
    header: Option<String>,
    column: usize,
    open_end: usize,
    folds: bool,
    marked: bool,
}

/// `html` with `data-label` on the body cells of every table that has a
/// header row (`thead`), and `data-cards` on those tables. A table marked
/// `data-no-cards` (the calendar's month grid) keeps its shape.
pub fn label_cells(html: &str) -> String {
    let mut out = String::with_capacity(html.len() + html.len() / 8);
    let mut tables: Vec<Table> = Vec::new();
    let mut rest = html;
    while let Some(start) = rest.find('<') {
        let text = &rest[..start];
        if let Some(header) = tables.last_mut().and_then(|t| t.header.as_mut()) {
            header.push_str(text);
        }
        out.push_str(text);
        rest = &rest[start..];
        if rest.starts_with("<!--") {
            let end = rest.find("-->").map_or(rest.len(), |i| i + 3);
            out.push_str(&rest[..end]);
            rest = &rest[end..];
            continue;
        }
        let Some(end) = rest.find('>') else { break };
        let tag = &rest[..=end];
        rest = &rest[end + 1..];
        let (closing, name) = tag_name(tag);
        match (closing, name.as_str()) {
            (false, "table") => {
                out.push_str(tag);
                tables.push(Table {
                    headers: Vec::new(),
                    in_head: false,
                    header: None,
                    column: 0,
                    open_end: out.len() - 1,
                    folds: !tag.contains("data-no-cards"),
                    marked: false,
                });
            }
            (true, "table") => {
                tables.pop();
                out.push_str(tag);
            }
            (false, "thead") => {
                if let Some(table) = tables.last_mut() {
                    table.in_head = true;
                    if table.folds && !table.marked {
                        out.insert_str(table.open_end, " data-cards");
                        table.marked = true;
                    }
                }
                out.push_str(tag);
            }
            (true, "thead") => {
                if let Some(table) = tables.last_mut() {
                    table.in_head = false;
                }
                out.push_str(tag);
            }
            (false, "tr") => {
                if let Some(table) = tables.last_mut() {
                    table.column = 0;
                }
                out.push_str(tag);
            }
            (false, "th") if tables.last().is_some_and(|t| t.in_head) => {
                if let Some(table) = tables.last_mut() {
                    table.header = Some(String::new());
                }
                out.push_str(tag);
            }
            (true, "th") if tables.last().is_some_and(|t| t.in_head) => {
                if let Some(table) = tables.last_mut()
                    && let Some(header) = table.header.take()
                {
                    table.headers.push(collapse_spaces(&header));
                }
                out.push_str(tag);
            }
            (false, "td" | "th") => {
                let label = tables.last_mut().and_then(|table| {
                    let column = table.column;
                    table.column += 1;
                    table
                        .marked
                        .then(|| table.headers.get(column).cloned())
                        .flatten()
                        .filter(|label| !label.is_empty())
                });
                match label {
                    Some(label) if !tag.contains("data-label=") => {
                        let body = tag.trim_end_matches('>').trim_end_matches('/');
                        out.push_str(body);
                        out.push_str(" data-label=\"");
                        out.push_str(&label);
                        out.push_str("\">");
                    }
                    _ => out.push_str(tag),
                }
            }
            _ => out.push_str(tag),
        }
    }
    out.push_str(rest);
    out
}

/// Whether `tag` closes, and its lowercase name.
fn tag_name(tag: &str) -> (bool, String) {
    let inner = tag.trim_start_matches('<');
    let (closing, inner) = match inner.strip_prefix('/') {
        Some(inner) => (true, inner),
        None => (false, inner),
    };
    let name: String = inner
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect();
    (closing, name)
}

/// A header's words on one line (its markup's line breaks and indentation gone).
fn collapse_spaces(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::label_cells;

    #[test]
    fn body_cells_carry_their_column_header() {
        let html = r#"<main><div class="scroll"><table class="admin-list"><thead><tr><th scope="col">نام</th><th><span class="visually-hidden">کارها</span></th><th>Code &amp; &quot;year&quot;</th></tr></thead><tbody><tr><td>رضا</td><td class="actions"><form><button>x</button></form></td><td>PR-101</td></tr><tr><th scope="row">b</th><td>c</td></tr></tbody></table></div></main>"#;
        let labelled = label_cells(html);
        assert!(
            labelled.contains(r#"<table class="admin-list" data-cards>"#),
            "{labelled}"
        );
        assert!(
            labelled.contains(r#"<td data-label="نام">رضا</td>"#),
            "{labelled}"
        );
        assert!(
            labelled.contains(r#"<td class="actions" data-label="کارها">"#),
            "{labelled}"
        );
        assert!(
            labelled.contains(r#"<td data-label="Code &amp; &quot;year&quot;">PR-101"#),
            "{labelled}"
        );
        assert!(
            labelled.contains(
                r#"<th scope="row" data-label="نام">b</th><td data-label="کارها">c</td>"#
            ),
            "{labelled}"
        );
        // The header cells themselves are left alone.
        assert!(
            labelled.contains(r#"<th scope="col">نام</th>"#),
            "{labelled}"
        );
    }

    #[test]
    fn tables_without_a_header_row_or_opting_out_keep_their_shape() {
        let details = r#"<table class="details"><tr><th>Title</th><td>x</td></tr></table>"#;
        assert_eq!(label_cells(details), details);
        let month = r#"<table class="month-grid" data-no-cards><thead><tr><th>ش</th></tr></thead><tbody><tr><td>1</td></tr></tbody></table>"#;
        assert_eq!(label_cells(month), month);
    }

    #[test]
    fn a_nested_table_labels_its_own_cells() {
        let html = "<table><thead><tr><th>A</th><th>B</th></tr></thead><tbody><tr><td><table><thead><tr><th>X</th></tr></thead><tbody><tr><td>in</td></tr></tbody></table></td><td>out</td></tr></tbody></table>";
        let labelled = label_cells(html);
        assert!(
            labelled.contains(r#"<td data-label="X">in</td>"#),
            "{labelled}"
        );
        assert!(
            labelled.contains(r#"<td data-label="B">out</td>"#),
            "{labelled}"
        );
        assert!(
            labelled.starts_with(r#"<table data-cards><thead>"#),
            "{labelled}"
        );
    }

    #[test]
    fn text_outside_tables_and_comments_pass_through() {
        let html = "<p>a &lt; b</p><!-- <table><thead> --><svg><text>1</text></svg>";
        assert_eq!(label_cells(html), html);
    }
}
