//! The tracing subscriber: stderr, journald-friendly (no colours unless stderr is a
//! terminal), text or JSON, level from `RUST_LOG` or the config.

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

use crate::config::{DaemonSettings, LogFormat};

/// Installs the global subscriber. `RUST_LOG`, when set, wins over `log_level`.
pub fn init(settings: &DaemonSettings) {
    let filter = match std::env::var("RUST_LOG") {
        Ok(directives) if !directives.trim().is_empty() => EnvFilter::new(directives),
        _ => EnvFilter::new(quiet_dependencies(&settings.log_level)),
    };
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let result = match settings.log_format {
        LogFormat::Json => builder.json().with_current_span(true).try_init(),
        LogFormat::Text => builder
            .with_ansi(std::io::stderr().is_terminal())
            .try_init(),
    };
    if let Err(e) = result {
        eprintln!("ocimcpd: logging was already initialised: {e}");
    }
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
    use super::quiet_dependencies;

    #[test]
    fn rmcp_is_quieted_only_at_plain_levels() {
        assert_eq!(quiet_dependencies("info"), "info,rmcp=warn");
        assert_eq!(quiet_dependencies("debug"), "debug");
        assert_eq!(quiet_dependencies("info,rmcp=debug"), "info,rmcp=debug");
    }
}
