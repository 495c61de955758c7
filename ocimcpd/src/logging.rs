//! The tracing subscriber: stderr, journald-friendly (no colours unless stderr is a
//! terminal), text or JSON, level from `RUST_LOG` or the config. Every line also goes to
//! an in-memory ring, which `ocimcpctl logs` reads and follows. Whatever the level, events
//! that carry what clients and backends send (requests with their arguments and tokens,
//! results, notifications) never reach the log: see [`carries_payload`].

use std::io::{IsTerminal, Write};
use std::sync::Arc;

use tracing::{Level, Metadata, Subscriber};
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::{Filter, Layer, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, filter::FilterExt, filter::filter_fn};

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
    let layer = layer(
        Tee { ring: ring.clone() },
        settings.log_format,
        ansi,
        filter,
    );
    if let Err(e) = tracing_subscriber::registry().with(layer).try_init() {
        eprintln!("ocimcpd: logging was already initialised: {e}");
    }
    ring
}

/// The formatting layer: `filter`'s events, less those that carry payloads.
fn layer<S, W>(
    writer: W,
    format: LogFormat,
    ansi: bool,
    filter: impl Filter<S> + Send + Sync + 'static,
) -> Box<dyn Layer<S> + Send + Sync>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    W: for<'a> MakeWriter<'a> + Send + Sync + 'static,
{
    let filter = filter.and(filter_fn(|metadata| !carries_payload(metadata)));
    let layer = tracing_subscriber::fmt::layer().with_writer(writer);
    match format {
        LogFormat::Json => layer
            .json()
            .with_current_span(true)
            .with_filter(filter)
            .boxed(),
        LogFormat::Text => layer.with_ansi(ansi).with_filter(filter).boxed(),
    }
}

/// Fields under which rmcp logs whole messages: requests (with their arguments, `_meta`
/// and the tokens in them), results, notifications, transport events.
const PAYLOAD_FIELDS: [&str; 7] = [
    "request",
    "result",
    "notification",
    "evt",
    "item",
    "params",
    "headers",
];

/// Whether an event may carry a message's content, and so must not be logged at any level:
/// rmcp's events below warnings (it logs whole requests at debug, every notification at
/// info), its warnings with a message attached, and the HTTP stack's trace events (frames
/// and headers).
fn carries_payload(metadata: &Metadata<'_>) -> bool {
    let target = metadata.target();
    if target.starts_with("rmcp") {
        let fields = metadata.fields();
        return *metadata.level() > Level::WARN
            || fields.iter().any(|f| PAYLOAD_FIELDS.contains(&f.name()))
            // `warn!(?message, "...")`: a message logged beside the text.
            || fields.iter().filter(|f| f.name() == "message").count() > 1;
    }
    let transport = ["h2", "hyper", "hyper_util", "reqwest", "rustls"]
        .iter()
        .any(|t| {
            target
                .strip_prefix(t)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with("::"))
        });
    transport && *metadata.level() == Level::TRACE
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
/// unless the filter names it (even then, [`carries_payload`] has the last word).
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
    use std::sync::{Arc, Mutex};

    use tracing_subscriber::EnvFilter;
    use tracing_subscriber::layer::SubscriberExt;

    use super::{LogFormat, layer, quiet_dependencies, strip_ansi};

    /// Collects what the layer writes.
    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Captured {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().expect("buffer").extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn messages_and_tokens_never_reach_the_log_even_at_trace() {
        for format in [LogFormat::Text, LogFormat::Json] {
            let captured = Captured::default();
            let writer = captured.clone();
            let subscriber = tracing_subscriber::registry().with(layer(
                move || writer.clone(),
                format,
                false,
                EnvFilter::new("trace"),
            ));
            tracing::subscriber::with_default(subscriber, || {
                let secret = "Bearer s3cret-token";
                tracing::debug!(target: "rmcp::service", request = ?secret, "received request");
                tracing::debug!(target: "rmcp::service", result = ?secret, "response message");
                tracing::info!(target: "rmcp::service", notification = ?secret, "received notification");
                tracing::trace!(target: "rmcp::service", evt = ?secret, "new event");
                tracing::warn!(target: "rmcp::service::client", message = ?secret, "Received unexpected message");
                tracing::trace!(target: "h2::codec", "encoding headers {secret}");
                tracing::warn!(target: "rmcp::service", "response error id=1");
                tracing::debug!(target: "ocimcpd::gateway", "the daemon's own debug line");
            });
            let text = String::from_utf8_lossy(&captured.0.lock().expect("buffer")).into_owned();
            assert!(!text.contains("s3cret"), "{format:?}: {text}");
            assert!(text.contains("response error id=1"), "{format:?}: {text}");
            assert!(
                text.contains("the daemon's own debug line"),
                "{format:?}: {text}"
            );
        }
    }

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
