//! The tracing subscriber: stderr, journald-friendly (no colours unless stderr is a
//! terminal), text or JSON, level from `RUST_LOG` or the config. Every line also goes to
//! an in-memory ring, which `ocimcpctl logs` reads and follows.

use std::io::{IsTerminal, Write};
use std::sync::Arc;

use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;

use crate::config::{DaemonSettings, LogFormat};
use crate::log_ring::{LogRing, RING_LINES};

/// Installs the global subscriber and returns the ring its lines are kept in.
/// `RUST_LOG`, when set, wins over `log_level`.
pub fn init(settings: &DaemonSettings) -> Arc<LogRing> {
    let ring = Arc::new(LogRing::new("ocimcpd", RING_LINES));
    let filter = match std::env::var("RUST_LOG") {
        Ok(directives) if !directives.trim().is_empty() => EnvFilter::new(directives),
        _ => EnvFilter::new(quiet_dependencies(&settings.log_level)),
    };
    let ansi = std::io::stderr().is_terminal();
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(Tee { ring: ring.clone() });
    let result = match settings.log_format {
        LogFormat::Json => builder.json().with_current_span(true).try_init(),
        LogFormat::Text => builder.with_ansi(ansi).try_init(),
    };
    if let Err(e) = result {
        eprintln!("ocimcpd: logging was already initialised: {e}");
    }
    ring
}

/// Writes each formatted event to stderr and its lines (colour codes removed) to the ring.
struct Tee {
    ring: Arc<LogRing>,
}

impl<'a> MakeWriter<'a> for Tee {
    type Writer = TeeWriter<'a>;

    fn make_writer(&'a self) -> Self::Writer {
        TeeWriter { ring: &self.ring }
    }
}

struct TeeWriter<'a> {
    ring: &'a LogRing,
}

impl Write for TeeWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        // The formatter hands over one whole event per call.
        let written = std::io::stderr().write_all(buf);
        for line in String::from_utf8_lossy(buf).lines() {
            self.ring.push(strip_ansi(line));
        }
        written.map(|()| buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        std::io::stderr().flush()
    }
}

/// Removes terminal colour sequences (`ESC [ ... letter`).
fn strip_ansi(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// rmcp logs every session at `info`; at the daemon's ordinary levels keep it to warnings
/// unless the filter names it.
fn quiet_dependencies(level: &str) -> String {
    let plain = matches!(
        level.trim().to_ascii_lowercase().as_str(),
        "info" | "warn" | "error"
    );
    if plain && !level.contains("rmcp") {
        format!("{level},rmcp=warn")
    } else {
        level.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::{quiet_dependencies, strip_ansi};

    #[test]
    fn colour_codes_do_not_reach_the_ring() {
        assert_eq!(
            strip_ansi("\u{1b}[2m2026\u{1b}[0m \u{1b}[32m INFO\u{1b}[0m ready"),
            "2026  INFO ready"
        );
    }

    #[test]
    fn rmcp_is_quieted_only_at_plain_levels() {
        assert_eq!(quiet_dependencies("info"), "info,rmcp=warn");
        assert_eq!(quiet_dependencies("debug"), "debug");
        assert_eq!(quiet_dependencies("info,rmcp=debug"), "info,rmcp=debug");
    }
}
