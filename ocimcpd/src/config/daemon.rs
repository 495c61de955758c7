//! The daemon-wide sections of the config file: `[daemon]`, `[gateway]`, `[discovery]`
//! (`[oci]` is in `oci.rs`; `[builtin]` is read here and turned into backend specs in `mod.rs`).

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use ocimcp_proto::paths;
use serde::Deserialize;
use toml::Spanned;

use super::backend::{RawBackend, resolve};
use super::duration::ConfigDuration;
use super::error::{ConfigIssue, Location};
use super::size::ConfigSize;

/// The whole config file as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawConfig {
    pub daemon: Option<RawDaemon>,
    pub gateway: Option<RawGateway>,
    pub auth: Option<super::auth::RawAuth>,
    pub discovery: Option<RawDiscovery>,
    pub oci: Option<super::oci::RawOci>,
    pub builtin: Option<Spanned<RawBuiltin>>,
    pub backends: Option<Vec<Spanned<RawBackend>>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawDaemon {
    log_level: Option<Spanned<String>>,
    log_format: Option<LogFormat>,
    runtime_dir: Option<String>,
    state_dir: Option<String>,
    shutdown_grace: Option<ConfigDuration>,
    worker_threads: Option<Spanned<usize>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawGateway {
    listen: Option<Spanned<String>>,
    path: Option<Spanned<String>>,
    stateless: Option<bool>,
    allowed_hosts: Option<Vec<String>>,
    allowed_origins: Option<Vec<String>>,
    max_request_bytes: Option<Spanned<ConfigSize>>,
    max_sessions: Option<Spanned<usize>>,
    max_sessions_per_client: Option<Spanned<usize>>,
    max_inflight_request_bytes: Option<Spanned<ConfigSize>>,
    max_connections: Option<Spanned<usize>>,
    max_connections_per_client: Option<Spanned<usize>>,
    header_read_timeout: Option<Spanned<ConfigDuration>>,
    idle_timeout: Option<Spanned<ConfigDuration>>,
    body_read_timeout: Option<Spanned<ConfigDuration>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawDiscovery {
    backends_dir: Option<String>,
    scan_paths: Option<Vec<String>>,
}

/// `[builtin]`: which of the daemon's own tool sets it serves.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawBuiltin {
    oci: Option<bool>,
}

impl RawBuiltin {
    /// Whether the OCI tools are served: yes unless `oci = false`.
    pub fn oci(raw: Option<&Spanned<Self>>) -> bool {
        raw.and_then(|builtin| builtin.get_ref().oci)
            .unwrap_or(true)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    #[default]
    Text,
    Json,
}

/// `[daemon]`: process-wide settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DaemonSettings {
    /// A tracing filter; `RUST_LOG` wins when set.
    pub log_level: String,
    pub log_format: LogFormat,
    /// Sockets: `admin.sock` and `mcp.sock`.
    pub runtime_dir: PathBuf,
    /// What the daemon keeps across restarts (enable/disable overrides).
    pub state_dir: PathBuf,
    /// On SIGTERM, how long requests in flight may take to finish before they are
    /// cancelled and the backends stopped.
    pub shutdown_grace: std::time::Duration,
    /// Threads running the daemon's async work (HTTP, sessions, backend connections).
    pub worker_threads: usize,
}

/// Half the CPUs, at least one: the gateway shuffles messages; the other half is left to
/// the backends it runs, which do the work. Measured on 2 cores, one thread carried more
/// calls with less latency than two (fewer wake-ups across threads); see docs/BENCHMARKS.md.
pub fn default_worker_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| (n.get() / 2).max(1))
}

pub const DEFAULT_SHUTDOWN_GRACE: std::time::Duration = std::time::Duration::from_secs(10);

/// `[gateway]`: the MCP front.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GatewaySettings {
    pub listen: SocketAddr,
    pub path: String,
    pub stateless: bool,
    pub allowed_hosts: Vec<String>,
    pub allowed_origins: Vec<String>,
    /// Largest request body (HTTP) or message (`mcp.sock`) a client may send.
    pub max_request_bytes: usize,
    /// Request bytes being read at once across all HTTP connections.
    pub max_inflight_request_bytes: usize,
    /// Open client sessions in all, and per client (remote address, or local user).
    pub max_sessions: usize,
    pub max_sessions_per_client: usize,
    /// Open HTTP connections in all (lowered at run time to keep file descriptors for the
    /// daemon itself), and per remote address.
    pub max_connections: usize,
    pub max_connections_per_client: usize,
    /// How long a new HTTP connection may take to send a request's headers.
    pub header_read_timeout: std::time::Duration,
    /// How long an HTTP connection may stay open with no request in progress.
    pub idle_timeout: std::time::Duration,
    /// How long a client may take to send a request body, once its headers are in.
    pub body_read_timeout: std::time::Duration,
    /// `[auth]`: who may use the HTTP endpoint.
    pub auth: super::auth::AuthSettings,
}

pub const DEFAULT_MAX_SESSIONS: usize = 1024;
pub const DEFAULT_MAX_SESSIONS_PER_CLIENT: usize = 64;
/// A tool call's arguments rarely pass a few KiB; a body of small JSON values takes 10–40
/// times its size once parsed, so the default stays small (a user may raise it).
pub const DEFAULT_MAX_REQUEST_BYTES: usize = 4 << 20;
/// Four bodies of the default maximum size read at once.
pub const DEFAULT_MAX_INFLIGHT_REQUEST_BYTES: usize = 16 << 20;
pub const DEFAULT_MAX_CONNECTIONS: usize = 4096;
pub const DEFAULT_MAX_CONNECTIONS_PER_CLIENT: usize = 256;
pub const DEFAULT_HEADER_READ_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);
pub const DEFAULT_IDLE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(120);
pub const DEFAULT_BODY_READ_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

pub const DEFAULT_LISTEN: SocketAddr = SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 9000);

/// Paths the gateway serves itself; the MCP path may not shadow them.
pub const RESERVED_PATHS: [&str; 2] = ["/healthz", "/readyz"];

/// Parses `IP:PORT`, or `localhost:PORT` for the IPv4 loopback.
pub fn parse_listen(text: &str) -> Result<SocketAddr, String> {
    if let Some(port) = text.strip_prefix("localhost:") {
        let port: u16 = port
            .parse()
            .map_err(|_| format!("`{port}` is not a port number"))?;
        return Ok(SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port));
    }
    text.parse().map_err(|_| {
        format!("`{text}` is not an address to listen on: write IP:PORT, e.g. \"127.0.0.1:9000\" or \"[::1]:9000\"")
    })
}

impl RawDaemon {
    pub fn settle(
        raw: Option<Self>,
        file: &Arc<Path>,
        text: &str,
        config_dir: &Path,
        issues: &mut Vec<ConfigIssue>,
    ) -> DaemonSettings {
        let raw = raw.unwrap_or(RawDaemon {
            log_level: None,
            log_format: None,
            runtime_dir: None,
            state_dir: None,
            shutdown_grace: None,
            worker_threads: None,
        });
        let log_level = match raw.log_level {
            Some(level) => {
                let at = Location::at(file, text, Some(level.span()));
                let level = level.into_inner();
                if let Err(e) = tracing_subscriber::EnvFilter::builder().parse(&level) {
                    issues.push(ConfigIssue::new(
                        at,
                        Some("daemon.log_level"),
                        format!("`{level}` is not a log level or filter ({e}); use e.g. \"info\" or \"ocimcpd=debug\""),
                    ));
                }
                level
            }
            None => "info".to_owned(),
        };
        DaemonSettings {
            log_level,
            log_format: raw.log_format.unwrap_or_default(),
            runtime_dir: match raw.runtime_dir {
                Some(dir) => resolve(config_dir, &dir),
                None => or_issue(paths::default_runtime_dir(), file, issues),
            },
            state_dir: match raw.state_dir {
                Some(dir) => resolve(config_dir, &dir),
                None => or_issue(paths::default_state_dir(), file, issues),
            },
            shutdown_grace: raw.shutdown_grace.map_or(DEFAULT_SHUTDOWN_GRACE, |d| d.0),
            worker_threads: match raw.worker_threads {
                Some(n) if n.get_ref() == &0 => {
                    issues.push(ConfigIssue::new(
                        Location::at(file, text, Some(n.span())),
                        Some("daemon.worker_threads"),
                        "must be at least 1 (leave it out for half the CPUs)".to_owned(),
                    ));
                    default_worker_threads()
                }
                Some(n) => n.into_inner(),
                None => default_worker_threads(),
            },
        }
    }
}

impl RawGateway {
    pub fn settle(
        raw: Option<Self>,
        file: &Arc<Path>,
        text: &str,
        issues: &mut Vec<ConfigIssue>,
    ) -> GatewaySettings {
        let raw = raw.unwrap_or(RawGateway {
            listen: None,
            path: None,
            stateless: None,
            allowed_hosts: None,
            allowed_origins: None,
            max_request_bytes: None,
            max_sessions: None,
            max_sessions_per_client: None,
            max_inflight_request_bytes: None,
            max_connections: None,
            max_connections_per_client: None,
            header_read_timeout: None,
            idle_timeout: None,
            body_read_timeout: None,
        });
        let listen_at = raw
            .listen
            .as_ref()
            .map(|l| Location::at(file, text, Some(l.span())));
        let listen = match raw.listen {
            Some(listen) => match parse_listen(listen.get_ref()) {
                Ok(addr) => addr,
                Err(e) => {
                    issues.push(ConfigIssue::new(
                        Location::at(file, text, Some(listen.span())),
                        Some("gateway.listen"),
                        e,
                    ));
                    DEFAULT_LISTEN
                }
            },
            None => DEFAULT_LISTEN,
        };
        let path = match raw.path {
            Some(path) => {
                let at = Location::at(file, text, Some(path.span()));
                let path = path.into_inner();
                if !path.starts_with('/') || path.contains(char::is_whitespace) {
                    issues.push(ConfigIssue::new(
                        at,
                        Some("gateway.path"),
                        format!("`{path}` must be an absolute URL path such as \"/mcp\""),
                    ));
                } else if RESERVED_PATHS.contains(&path.as_str())
                    || path.starts_with("/.well-known/")
                {
                    issues.push(ConfigIssue::new(at, Some("gateway.path"), format!("`{path}` is the gateway's own (health checks, metadata); choose another path such as \"/mcp\"")));
                }
                path
            }
            None => "/mcp".to_owned(),
        };
        let loopback = listen.ip().is_loopback();
        let allowed_hosts = match raw.allowed_hosts {
            Some(hosts) => hosts,
            None if loopback => vec!["localhost".into(), "127.0.0.1".into(), "::1".into()],
            None => {
                issues.push(ConfigIssue::new(
                    listen_at.unwrap_or_else(|| Location::file(file)),
                    Some("gateway.allowed_hosts"),
                    format!(
                        "listening on {listen}, which is not a loopback address, needs an explicit `allowed_hosts` list: the host names clients use to reach this gateway (checked against the Host header against DNS rebinding)"
                    ),
                ));
                Vec::new()
            }
        };
        let allowed_origins = match raw.allowed_origins {
            Some(origins) => origins,
            None if loopback => ["http://localhost:*", "http://127.0.0.1:*", "http://[::1]:*"]
                .map(String::from)
                .to_vec(),
            None => Vec::new(),
        };
        let mut at_least =
            |value: Option<Spanned<usize>>, key: &str, min: usize, default: usize| match value {
                Some(v) if *v.get_ref() < min => {
                    issues.push(ConfigIssue::new(
                        Location::at(file, text, Some(v.span())),
                        Some(key),
                        format!("must be at least {min}"),
                    ));
                    default
                }
                Some(v) => v.into_inner(),
                None => default,
            };
        let max_request_bytes = at_least(
            raw.max_request_bytes
                .map(|s| Spanned::new(s.span(), s.into_inner().0)),
            "gateway.max_request_bytes",
            4096,
            DEFAULT_MAX_REQUEST_BYTES,
        );
        let max_inflight_request_bytes = at_least(
            raw.max_inflight_request_bytes
                .map(|s| Spanned::new(s.span(), s.into_inner().0)),
            "gateway.max_inflight_request_bytes",
            max_request_bytes,
            DEFAULT_MAX_INFLIGHT_REQUEST_BYTES.max(max_request_bytes),
        );
        let max_sessions = at_least(
            raw.max_sessions,
            "gateway.max_sessions",
            1,
            DEFAULT_MAX_SESSIONS,
        );
        let max_sessions_per_client = at_least(
            raw.max_sessions_per_client,
            "gateway.max_sessions_per_client",
            1,
            DEFAULT_MAX_SESSIONS_PER_CLIENT,
        );
        let max_connections = at_least(
            raw.max_connections,
            "gateway.max_connections",
            1,
            DEFAULT_MAX_CONNECTIONS,
        );
        let max_connections_per_client = at_least(
            raw.max_connections_per_client,
            "gateway.max_connections_per_client",
            1,
            DEFAULT_MAX_CONNECTIONS_PER_CLIENT,
        );
        let mut positive = |value: Option<Spanned<ConfigDuration>>, key: &str, default| match value
        {
            Some(v) if v.get_ref().0.is_zero() => {
                issues.push(ConfigIssue::new(
                    Location::at(file, text, Some(v.span())),
                    Some(key),
                    "must be longer than zero".to_owned(),
                ));
                default
            }
            Some(v) => v.into_inner().0,
            None => default,
        };
        let header_read_timeout = positive(
            raw.header_read_timeout,
            "gateway.header_read_timeout",
            DEFAULT_HEADER_READ_TIMEOUT,
        );
        let idle_timeout = positive(
            raw.idle_timeout,
            "gateway.idle_timeout",
            DEFAULT_IDLE_TIMEOUT,
        );
        let body_read_timeout = positive(
            raw.body_read_timeout,
            "gateway.body_read_timeout",
            DEFAULT_BODY_READ_TIMEOUT,
        );
        GatewaySettings {
            listen,
            path,
            stateless: raw.stateless.unwrap_or(false),
            allowed_hosts,
            allowed_origins,
            max_request_bytes,
            max_inflight_request_bytes,
            max_sessions,
            max_sessions_per_client,
            max_connections,
            max_connections_per_client,
            header_read_timeout,
            idle_timeout,
            body_read_timeout,
            auth: super::auth::AuthSettings::default(),
        }
    }
}

impl RawDiscovery {
    /// The backends directory: relative paths are taken from the config file's folder.
    pub fn backends_dir(raw: Option<&Self>, config_dir: &Path) -> (PathBuf, bool) {
        match raw.and_then(|d| d.backends_dir.as_deref()) {
            Some(dir) => (resolve(config_dir, dir), true),
            None => (config_dir.join("backends.d"), false),
        }
    }

    /// Folders scanned for MCP projects, relative ones taken from the config file's folder.
    pub fn scan_paths(raw: Option<&Self>, config_dir: &Path) -> Vec<PathBuf> {
        raw.and_then(|d| d.scan_paths.as_ref())
            .map(|paths| paths.iter().map(|p| resolve(config_dir, p)).collect())
            .unwrap_or_default()
    }
}

/// A default directory, or an issue saying how to name one (the path is then never used:
/// the configuration is rejected).
fn or_issue(
    dir: Result<PathBuf, paths::NoDefaultDir>,
    file: &Arc<Path>,
    issues: &mut Vec<ConfigIssue>,
) -> PathBuf {
    dir.unwrap_or_else(|missing| {
        let key = format!("daemon.{}", missing.key);
        issues.push(ConfigIssue::new(
            Location::file(file),
            Some(&key),
            missing.to_string(),
        ));
        PathBuf::new()
    })
}
