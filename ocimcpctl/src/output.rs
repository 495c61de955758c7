//! Output for people: aligned tables, and colour only when stdout is a terminal (and
//! `NO_COLOR` is not set).

use std::io::IsTerminal;

use ocimcp_proto::backend::BackendState;

/// Whether to colour stdout.
pub fn colour() -> bool {
    std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// A table: a header row and rows of cells, printed with columns aligned. The last column
/// is not padded (it may be long: errors, descriptions).
#[derive(Debug)]
pub struct Table {
    header: Vec<String>,
    rows: Vec<Vec<Cell>>,
}

/// A cell: its text, and the colour it is shown in on a terminal.
#[derive(Debug, Clone)]
pub struct Cell {
    text: String,
    style: Option<&'static str>,
}

impl From<String> for Cell {
    fn from(text: String) -> Self {
        Cell { text, style: None }
    }
}

impl From<&str> for Cell {
    fn from(text: &str) -> Self {
        Cell::from(text.to_owned())
    }
}

const GREEN: &str = "32";
const YELLOW: &str = "33";
const RED: &str = "31";
const DIM: &str = "2";

/// A backend state, coloured by how healthy it is.
pub fn state(state: BackendState) -> Cell {
    let style = match state {
        BackendState::Ready => GREEN,
        BackendState::Starting | BackendState::Restarting | BackendState::Degraded => YELLOW,
        BackendState::Failed | BackendState::Quarantined => RED,
        BackendState::Disabled | BackendState::Stopped => DIM,
    };
    Cell {
        text: state.to_string(),
        style: Some(style),
    }
}

/// Text shown in red on a terminal (errors).
pub fn alarming(text: String) -> Cell {
    Cell {
        text,
        style: Some(RED),
    }
}

impl Table {
    pub fn new(header: &[&str]) -> Self {
        Self {
            header: header.iter().map(|h| (*h).to_owned()).collect(),
            rows: Vec::new(),
        }
    }

    pub fn row(&mut self, cells: Vec<Cell>) {
        self.rows.push(cells);
    }

    pub fn render(&self, colour: bool) -> String {
        let columns = self.header.len();
        let mut widths: Vec<usize> = self.header.iter().map(|h| h.chars().count()).collect();
        for row in &self.rows {
            for (i, cell) in row.iter().enumerate().take(columns) {
                widths[i] = widths[i].max(cell.text.chars().count());
            }
        }
        let mut out = String::new();
        let header: Vec<Cell> = self.header.iter().map(|h| Cell::from(h.as_str())).collect();
        push_row(&mut out, &header, &widths, colour, true);
        for row in &self.rows {
            push_row(&mut out, row, &widths, colour, false);
        }
        out
    }
}

fn push_row(out: &mut String, row: &[Cell], widths: &[usize], colour: bool, header: bool) {
    let last = row.len().saturating_sub(1);
    let mut line = String::new();
    for (i, cell) in row.iter().enumerate() {
        let pad = if i == last {
            0
        } else {
            widths[i].saturating_sub(cell.text.chars().count()) + 2
        };
        let style = if header { Some("1") } else { cell.style };
        match style {
            Some(style) if colour => {
                line.push_str(&format!("\u{1b}[{style}m{}\u{1b}[0m", cell.text));
            }
            _ => line.push_str(&cell.text),
        }
        line.push_str(&" ".repeat(pad));
    }
    out.push_str(line.trim_end());
    out.push('\n');
}

/// The first line of `text`, cut to `max` characters with an ellipsis.
pub fn one_line(text: &str, max: usize) -> String {
    let first = text.lines().next().unwrap_or("").trim();
    if first.chars().count() <= max {
        first.to_owned()
    } else {
        let cut: String = first.chars().take(max.saturating_sub(1)).collect();
        format!("{cut}…")
    }
}

/// "3s", "5m", "2h", "4d": how long ago, for people.
pub fn age(seconds: f64) -> String {
    let s = seconds.max(0.0) as u64;
    match s {
        0..=59 => format!("{s}s"),
        60..=3599 => format!("{}m", s / 60),
        3600..=86399 => format!("{}h", s / 3600),
        _ => format!("{}d", s / 86400),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_align_and_colour_only_when_asked() {
        let mut table = Table::new(&["NAME", "STATE", "ERROR"]);
        table.row(vec!["a".into(), state(BackendState::Ready), "".into()]);
        table.row(vec![
            "longer".into(),
            state(BackendState::Failed),
            alarming("boom".into()),
        ]);
        let plain = table.render(false);
        assert_eq!(
            plain,
            "NAME    STATE   ERROR\na       ready\nlonger  failed  boom\n"
        );
        let coloured = table.render(true);
        assert!(coloured.contains("\u{1b}[31mfailed\u{1b}[0m"));
    }

    #[test]
    fn long_text_is_cut_to_one_line() {
        assert_eq!(one_line("abc\ndef", 10), "abc");
        assert_eq!(one_line("abcdefghijkl", 5), "abcd…");
        assert_eq!(age(59.9), "59s");
        assert_eq!(age(7200.0), "2h");
    }
}
