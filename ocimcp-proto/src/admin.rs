//! The admin protocol's wire types: JSON-RPC 2.0, one object per line. The daemon
//! (`ocimcpd/src/admin/`) serializes them and `ocimcpctl` reads them back;
//! `docs/admin-protocol.md` describes every method.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::backend::BackendReport;

pub const JSONRPC: &str = "2.0";

// Method names.
pub const STATUS: &str = "status";
pub const LIST: &str = "list";
pub const SHOW: &str = "show";
pub const ENABLE: &str = "enable";
pub const DISABLE: &str = "disable";
pub const START: &str = "start";
pub const STOP: &str = "stop";
pub const RESTART: &str = "restart";
pub const RELOAD: &str = "reload";
pub const LOGS: &str = "logs";
pub const TOOLS: &str = "tools";
pub const DISCOVER: &str = "discover";

/// Notification methods sent by streaming requests (`logs` with `follow`).
pub const LOG_LINE: &str = "logs/line";
pub const LOG_LAGGED: &str = "logs/lagged";

// Error codes: JSON-RPC's own, then the daemon's.
pub const PARSE_ERROR: i64 = -32700;
pub const INVALID_REQUEST: i64 = -32600;
pub const METHOD_NOT_FOUND: i64 = -32601;
pub const INVALID_PARAMS: i64 = -32602;
/// The peer may not use the socket.
pub const PERMISSION_DENIED: i64 = crate::local_socket::REFUSED;
/// No backend of that name.
pub const NOT_FOUND: i64 = -32004;
/// The operation was understood but did not succeed (a reload with errors, a save that
/// failed).
pub const FAILED: i64 = -32010;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Request {
    pub jsonrpc: String,
    pub id: Value,
    pub method: String,
    #[serde(default, skip_serializing_if = "Value::is_null")]
    pub params: Value,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Response {
    pub jsonrpc: String,
    pub id: Value,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<RpcError>,
}

impl Response {
    /// The answer to request `id`: its result, or why there is none.
    pub fn new(id: Value, outcome: Result<Value, RpcError>) -> Self {
        let (result, error) = match outcome {
            Ok(result) => (Some(result), None),
            Err(error) => (None, Some(error)),
        };
        Self {
            jsonrpc: JSONRPC.to_owned(),
            id,
            result,
            error,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RpcError {
    pub code: i64,
    pub message: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Notification {
    pub jsonrpc: String,
    pub method: String,
    pub params: Value,
}

/// Params of `show`, `enable`, `disable`, `start`, `stop`, `restart`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NameParams {
    pub name: String,
}

/// Params of `logs`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogsParams {
    /// A backend's stderr; the daemon's own log when absent.
    #[serde(default)]
    pub backend: Option<String>,
    /// How many past lines to send first.
    #[serde(default = "default_lines")]
    pub lines: usize,
    /// Keep sending new lines as `logs/line` notifications until the client disconnects.
    #[serde(default)]
    pub follow: bool,
}

fn default_lines() -> usize {
    50
}

/// Params of `tools`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ToolsParams {
    #[serde(default)]
    pub backend: Option<String>,
}

/// Params of `discover`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DiscoverParams {
    /// Absolute folders to scan; the configured scan paths when absent.
    #[serde(default)]
    pub paths: Option<Vec<PathBuf>>,
}

/// The daemon itself, in `status`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DaemonInfo {
    pub version: String,
    pub pid: u32,
    pub uptime_seconds: f64,
    /// Where the configuration came from.
    pub config: String,
    pub backends_dir: PathBuf,
    pub scan_paths: Vec<PathBuf>,
    pub runtime_dir: PathBuf,
    pub state_dir: PathBuf,
    /// The Streamable HTTP endpoint.
    pub mcp_url: String,
    pub mcp_socket: PathBuf,
    /// True once every enabled backend has become ready or failed at least once.
    pub settled: bool,
}

/// Result of `status`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Status {
    pub daemon: DaemonInfo,
    pub backends: Vec<BackendReport>,
    /// Configuration files whose latest version was not applied.
    pub rejected: Vec<Rejected>,
}

/// A configuration file whose latest version was not applied, and why (in `status`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Rejected {
    pub file: PathBuf,
    pub error: String,
    /// Seconds since the Unix epoch.
    pub at: u64,
}

/// Result of `reload`: what the reload did.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Reloaded {
    #[serde(flatten)]
    pub applied: Applied,
    /// Changes read but only applied by a restart, and other things worth knowing.
    pub notes: Vec<String>,
}

/// What applying a new set of backend specs did, by backend name.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Applied {
    pub added: Vec<String>,
    pub changed: Vec<String>,
    pub removed: Vec<String>,
    pub unchanged: usize,
}

impl Applied {
    /// True when no backend was added, changed or removed.
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.changed.is_empty() && self.removed.is_empty()
    }
}

/// Result of `list`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct List {
    pub backends: Vec<BackendReport>,
}

/// Result of `show`: the report plus how the backend runs and what it serves.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Show {
    #[serde(flatten)]
    pub report: BackendReport,
    pub description: String,
    /// Where the spec was written (file:line).
    pub origin: String,
    /// stdio: the command line as it is run; streamable_http: the URL.
    pub target: String,
    pub cwd: Option<PathBuf>,
    pub venv: Option<PathBuf>,
    /// Tool names as clients see them.
    pub exposed_tools: Vec<String>,
    /// The last lines the backend wrote to stderr.
    pub stderr_tail: Vec<String>,
}

/// Result of `enable`, `disable`, `start`, `stop`, `restart`: the backend afterwards.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Changed {
    pub backend: BackendReport,
}

/// Result of `logs` (then, with `follow`, `logs/line` notifications with [`LogLine`]).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Logs {
    /// `ocimcpd`, or the backend's name.
    pub source: String,
    pub lines: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LogLine {
    pub line: String,
}

/// Params of `logs/lagged`: a follower that fell behind missed this many lines.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LogsLagged {
    pub missed: u64,
}

/// Result of `tools`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Tools {
    pub tools: Vec<ToolEntry>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ToolEntry {
    /// The name clients call.
    pub name: String,
    /// The backend serving it; `None` for the gateway's own tools.
    pub backend: Option<String>,
    pub description: Option<String>,
}

/// Result of `discover`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Discovered {
    pub scan_paths: Vec<PathBuf>,
    pub found: Vec<DiscoveredEntry>,
    pub notes: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DiscoveredEntry {
    pub name: String,
    pub transport: String,
    /// The command line or URL.
    pub target: String,
    pub cwd: Option<PathBuf>,
    pub venv: Option<PathBuf>,
    /// The file that identified the project.
    pub evidence: PathBuf,
    /// False when the running daemon already has this backend.
    pub new: bool,
}
