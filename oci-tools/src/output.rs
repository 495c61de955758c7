//! How results are written: every result is a typed value that serializes to the JSON
//! answer (`structuredContent`, checked by the tool's `outputSchema`) and renders itself
//! as compact markdown for a model's context. Lists are [`Paged`]: the items of one page
//! and `next_cursor`, the OCI page token to pass back as `cursor`.

use schemars::JsonSchema;
use serde::Serialize;

/// A result that can be written as markdown.
pub trait Markdown {
    fn markdown(&self) -> String;
}

/// An item of a list: one table row.
pub trait Row {
    /// The column headers.
    const COLUMNS: &'static [&'static str];
    /// The cells, one per column.
    fn cells(&self) -> Vec<String>;
}

/// One page of a list.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Paged<T> {
    pub items: Vec<T>,
    /// Pass as `cursor` to read the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

impl<T> Paged<T> {
    pub fn new(items: Vec<T>, next_cursor: Option<String>) -> Self {
        Self { items, next_cursor }
    }
}

impl<T: Row> Markdown for Paged<T> {
    fn markdown(&self) -> String {
        let mut text = table(T::COLUMNS, self.items.iter().map(Row::cells));
        text.push_str(&page_footer(self.items.len(), self.next_cursor.as_deref()));
        text
    }
}

/// "N items" and, when more remain, the cursor to pass for them.
pub fn page_footer(count: usize, next_cursor: Option<&str>) -> String {
    let noun = if count == 1 { "item" } else { "items" };
    match next_cursor {
        Some(cursor) => format!("\n{count} {noun}; more: call again with cursor=`{cursor}`\n"),
        None => format!("\n{count} {noun}\n"),
    }
}

/// A markdown table; `(none)` when there are no rows.
pub fn table<R>(columns: &[&str], rows: impl IntoIterator<Item = R>) -> String
where
    R: IntoIterator<Item = String>,
{
    let mut text = String::new();
    let mut any = false;
    for row in rows {
        if !any {
            text.push_str(&format!("| {} |\n", columns.join(" | ")));
            text.push_str(&format!("|{}\n", "---|".repeat(columns.len())));
            any = true;
        }
        let cells: Vec<String> = row.into_iter().map(|cell| cell_text(&cell)).collect();
        text.push_str(&format!("| {} |\n", cells.join(" | ")));
    }
    if !any {
        text.push_str("(none)\n");
    }
    text
}

/// A cell: pipes escaped, newlines flattened, empty shown as `-`.
fn cell_text(cell: &str) -> String {
    if cell.is_empty() {
        return "-".to_owned();
    }
    cell.replace('|', "\\|").replace(['\n', '\r'], " ")
}

/// `value`, or empty when absent (shown as `-`).
pub fn opt<T: ToString>(value: Option<T>) -> String {
    value.map(|v| v.to_string()).unwrap_or_default()
}

/// `- key: value` lines for a single resource, skipping absent values.
pub fn fields(pairs: &[(&str, Option<String>)]) -> String {
    pairs
        .iter()
        .filter_map(|(key, value)| Some(format!("- {key}: {}\n", value.as_ref()?)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Pair(&'static str, &'static str);

    impl Row for Pair {
        const COLUMNS: &'static [&'static str] = &["name", "value"];
        fn cells(&self) -> Vec<String> {
            vec![self.0.to_owned(), self.1.to_owned()]
        }
    }

    #[test]
    fn pages_render_as_a_table_with_the_cursor() {
        let page = Paged::new(vec![Pair("a|b", ""), Pair("c", "d\ne")], Some("tok".into()));
        assert_eq!(
            page.markdown(),
            "| name | value |\n|---|---|\n| a\\|b | - |\n| c | d e |\n\n2 items; more: call again with cursor=`tok`\n"
        );
        let empty: Paged<Pair> = Paged::new(Vec::new(), None);
        assert_eq!(empty.markdown(), "(none)\n\n0 items\n");
    }
}
