//! The admin socket (`<runtime_dir>/admin.sock`): owns serving the control protocol
//! `ocimcpctl` speaks: JSON-RPC 2.0, one object per line, requests answered in order. The
//! messages themselves are `ocimcp_proto::admin`, shared with `ocimcpctl`. The peer's
//! credentials are checked once per connection, and a peer that descends from the daemon
//! (a backend, or anything a backend started) is refused: backends are not
//! administrators. `mcp.sock` has no such rule: a backend may be an MCP client. `logs` with `follow` turns the connection
//! into a stream of notifications until the client disconnects.
//!
//! The methods read the registry and the live configuration, and change things only
//! through [`Backends`] and [`LiveConfig`].

use std::path::PathBuf;
use std::sync::Arc;

use ocimcp_proto::admin::*;
use rmcp::model::Tool;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{UnixListener, UnixStream};
use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::backends::{Backends, ControlError};
use crate::config::Transport;
use crate::local_socket;
use crate::log_ring::LogRing;
use crate::registry::{Registry, report, reports, round_seconds};
use crate::watch::LiveConfig;

/// Longest request line accepted.
const MAX_LINE: u64 = 1024 * 1024;

/// Everything the admin methods read or act on.
pub struct Admin {
    pub registry: Arc<Registry>,
    pub backends: Arc<Backends>,
    pub live: Arc<LiveConfig>,
    /// The daemon's own log lines.
    pub daemon_log: Arc<LogRing>,
    /// The gateway's own tools, as clients see them.
    pub gateway_tools: Vec<Tool>,
    /// What `status` says about the daemon; `uptime_seconds` and `settled` are filled in
    /// when asked.
    pub daemon: DaemonInfo,
}

impl std::fmt::Debug for Admin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Admin").finish_non_exhaustive()
    }
}

/// Serves the admin socket at `path` until `shutdown`.
pub async fn serve(
    listener: UnixListener,
    path: PathBuf,
    admin: Arc<Admin>,
    shutdown: CancellationToken,
) {
    let connections = TaskTracker::new();
    loop {
        let (stream, peer) = tokio::select! {
            _ = shutdown.cancelled() => break,
            next = local_socket::accept(&listener, &path, "admin socket") => next,
        };
        // Reading /proc is quick but blocking: off the runtime.
        let refusal = tokio::task::spawn_blocking(move || local_socket::backend_refusal(&peer))
            .await
            .unwrap_or_else(|e| Some(format!("checking the peer failed: {e}")));
        if let Some(refusal) = refusal {
            tracing::warn!(uid = peer.uid, pid = peer.pid, "admin socket: {refusal}");
            local_socket::refuse(stream, refusal);
            continue;
        }
        let admin = admin.clone();
        let shutdown = shutdown.clone();
        connections.spawn(async move {
            tokio::select! {
                _ = shutdown.cancelled() => {}
                _ = connection(stream, admin) => {}
            }
        });
    }
    connections.close();
    connections.wait().await;
}

async fn connection(stream: UnixStream, admin: Arc<Admin>) {
    let (read, mut write) = stream.into_split();
    let mut reader = BufReader::new(read);
    let mut line = Vec::new();
    loop {
        line.clear();
        let read = (&mut reader)
            .take(MAX_LINE + 1)
            .read_until(b'\n', &mut line)
            .await;
        match read {
            Ok(0) | Err(_) => return,
            Ok(_) if line.len() as u64 > MAX_LINE => {
                let response = Response::new(
                    Value::Null,
                    Err(rpc_error(
                        INVALID_REQUEST,
                        format!("request longer than {MAX_LINE} bytes"),
                    )),
                );
                let _ = write_line(&mut write, &response).await;
                return;
            }
            Ok(_) => {}
        }
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let request: Request = match serde_json::from_slice(&line) {
            Ok(request) => request,
            Err(e) => {
                let code = if serde_json::from_slice::<Value>(&line).is_ok() {
                    INVALID_REQUEST
                } else {
                    PARSE_ERROR
                };
                let response = Response::new(
                    Value::Null,
                    Err(rpc_error(code, format!("not a JSON-RPC 2.0 request: {e}"))),
                );
                if write_line(&mut write, &response).await.is_err() {
                    return;
                }
                continue;
            }
        };
        if request.method == LOGS {
            match parse::<LogsParams>(&request.params) {
                Ok(params) if params.follow => {
                    follow_logs(&admin, request.id, params, &mut reader, &mut write).await;
                    return;
                }
                _ => {}
            }
        }
        let id = request.id.clone();
        let response = Response::new(id, dispatch(&admin, request).await);
        if write_line(&mut write, &response).await.is_err() {
            return;
        }
    }
}

async fn dispatch(admin: &Admin, request: Request) -> Result<Value, RpcError> {
    if request.jsonrpc != JSONRPC {
        return Err(rpc_error(INVALID_REQUEST, "`jsonrpc` must be \"2.0\""));
    }
    let params = &request.params;
    match request.method.as_str() {
        STATUS => to_value(status(admin).await),
        LIST => to_value(List {
            backends: reports(&admin.registry),
        }),
        SHOW => {
            let NameParams { name } = parse(params)?;
            to_value(show(admin, &name)?)
        }
        ENABLE | DISABLE | START | STOP | RESTART => {
            let NameParams { name } = parse(params)?;
            let backends = &admin.backends;
            let done = match request.method.as_str() {
                ENABLE => backends.enable(&name).await,
                DISABLE => backends.disable(&name).await,
                START => backends.start(&name).await,
                STOP => backends.stop(&name).await,
                _ => backends.restart(&name).await,
            };
            done.map_err(control_error)?;
            let entry = admin
                .registry
                .entry(&name)
                .ok_or_else(|| control_error(ControlError::Unknown(name.clone())))?;
            to_value(Changed {
                backend: report(&admin.registry, &entry),
            })
        }
        RELOAD => match admin.live.reload().await {
            Ok(reloaded) => to_value(reloaded),
            Err(error) => Err(rpc_error(FAILED, error)),
        },
        LOGS => {
            let params: LogsParams = parse(params)?;
            let (source, log) = log_source(admin, params.backend.as_deref())?;
            to_value(Logs {
                source,
                lines: log.tail(params.lines),
            })
        }
        TOOLS => {
            let params: ToolsParams = if params.is_null() {
                ToolsParams::default()
            } else {
                parse(params)?
            };
            tools(admin, params.backend.as_deref())
        }
        DISCOVER => {
            let params: DiscoverParams = if params.is_null() {
                DiscoverParams::default()
            } else {
                parse(params)?
            };
            to_value(discover(admin, params.paths).await)
        }
        other => Err(rpc_error(
            METHOD_NOT_FOUND,
            format!("unknown method `{other}`; docs/admin-protocol.md lists the methods"),
        )),
    }
}

async fn status(admin: &Admin) -> Status {
    Status {
        daemon: DaemonInfo {
            uptime_seconds: round_seconds(admin.registry.uptime()),
            settled: admin.registry.settled(),
            ..admin.daemon.clone()
        },
        backends: reports(&admin.registry),
        rejected: admin.live.rejected().await,
    }
}

fn show(admin: &Admin, name: &str) -> Result<Show, RpcError> {
    let entry = admin
        .registry
        .entry(name)
        .ok_or_else(|| control_error(ControlError::Unknown(name.to_owned())))?;
    let spec = entry.spec();
    let (target, cwd, venv) = describe_transport(&spec.transport);
    let catalog = admin.registry.catalog();
    Ok(Show {
        report: report(&admin.registry, &entry),
        description: spec.description.clone(),
        origin: spec.origin.to_string(),
        target,
        cwd,
        venv,
        exposed_tools: catalog.tools_of(name).map(|t| t.name.to_string()).collect(),
        stderr_tail: entry.stderr().tail(20),
    })
}

/// The command line (or URL), working directory and venv of a transport.
fn describe_transport(transport: &Transport) -> (String, Option<PathBuf>, Option<PathBuf>) {
    match transport {
        Transport::Stdio(stdio) => {
            let mut words = vec![stdio.command.clone().unwrap_or_else(|| "python".to_owned())];
            words.extend(stdio.args.iter().cloned());
            (words.join(" "), stdio.cwd.clone(), stdio.venv.clone())
        }
        Transport::StreamableHttp(http) => (http.url.clone(), None, None),
        Transport::InProcess(builtin) => (
            format!("built-in {} tool set (in-process)", builtin.name()),
            None,
            None,
        ),
    }
}

fn tools(admin: &Admin, backend: Option<&str>) -> Result<Value, RpcError> {
    if let Some(name) = backend
        && admin.registry.entry(name).is_none()
    {
        return Err(control_error(ControlError::Unknown(name.to_owned())));
    }
    let catalog = admin.registry.catalog();
    let mut tools: Vec<ToolEntry> = Vec::new();
    if backend.is_none() {
        tools.extend(admin.gateway_tools.iter().map(|t| ToolEntry {
            name: t.name.to_string(),
            backend: None,
            description: t.description.as_ref().map(|d| d.to_string()),
        }));
    }
    for tool in catalog.tools() {
        let Some(route) = catalog.tool(&tool.name) else {
            continue;
        };
        if backend.is_some_and(|b| b != route.backend.name()) {
            continue;
        }
        tools.push(ToolEntry {
            name: tool.name.to_string(),
            backend: Some(route.backend.name().to_owned()),
            description: tool.description.as_ref().map(|d| d.to_string()),
        });
    }
    to_value(Tools { tools })
}

async fn discover(admin: &Admin, paths: Option<Vec<PathBuf>>) -> Discovered {
    let run = admin.live.dry_run(paths).await;
    Discovered {
        scan_paths: run.scan_paths,
        found: run
            .found
            .into_iter()
            .map(|entry| {
                let (target, cwd, venv) = describe_transport(&entry.spec.transport);
                DiscoveredEntry {
                    name: entry.spec.name.clone(),
                    transport: entry.spec.transport.kind().to_owned(),
                    target,
                    cwd,
                    venv,
                    evidence: entry.spec.origin.file.to_path_buf(),
                    new: entry.new,
                }
            })
            .collect(),
        notes: run.notes,
    }
}

fn log_source(admin: &Admin, backend: Option<&str>) -> Result<(String, Arc<LogRing>), RpcError> {
    match backend {
        None => Ok(("ocimcpd".to_owned(), admin.daemon_log.clone())),
        Some(name) => {
            let entry = admin
                .registry
                .entry(name)
                .ok_or_else(|| control_error(ControlError::Unknown(name.to_owned())))?;
            Ok((name.to_owned(), entry.stderr().clone()))
        }
    }
}

/// Sends the last lines, then every new line, until the client disconnects.
async fn follow_logs(
    admin: &Admin,
    id: Value,
    params: LogsParams,
    reader: &mut BufReader<tokio::net::unix::OwnedReadHalf>,
    write: &mut tokio::net::unix::OwnedWriteHalf,
) {
    let (source, log) = match log_source(admin, params.backend.as_deref()) {
        Ok(found) => found,
        Err(error) => {
            let response = Response::new(id, Err(error));
            let _ = write_line(write, &response).await;
            return;
        }
    };
    let mut feed = log.follow();
    let first = Logs {
        source,
        lines: log.tail(params.lines),
    };
    let response = Response::new(id, to_value(first));
    if write_line(write, &response).await.is_err() {
        return;
    }
    let mut ignored = [0u8; 256];
    loop {
        let notification = tokio::select! {
            // Anything the client sends is ignored; end of input ends the stream.
            read = reader.read(&mut ignored) => match read {
                Ok(0) | Err(_) => return,
                Ok(_) => continue,
            },
            line = feed.recv() => match line {
                Ok(line) => notification(LOG_LINE, LogLine { line: line.to_string() }),
                Err(broadcast::error::RecvError::Lagged(missed)) => {
                    notification(LOG_LAGGED, LogsLagged { missed })
                }
                Err(broadcast::error::RecvError::Closed) => return,
            },
        };
        if write_line(write, &notification).await.is_err() {
            return;
        }
    }
}

fn notification(method: &str, params: impl Serialize) -> Notification {
    Notification {
        jsonrpc: JSONRPC.to_owned(),
        method: method.to_owned(),
        params: serde_json::to_value(params).unwrap_or(Value::Null),
    }
}

fn parse<T: DeserializeOwned>(params: &Value) -> Result<T, RpcError> {
    serde_json::from_value(params.clone())
        .map_err(|e| rpc_error(INVALID_PARAMS, format!("invalid params: {e}")))
}

fn to_value(result: impl Serialize) -> Result<Value, RpcError> {
    serde_json::to_value(result).map_err(|e| rpc_error(FAILED, format!("encoding the result: {e}")))
}

fn control_error(error: ControlError) -> RpcError {
    let code = match error {
        ControlError::Unknown(_) => NOT_FOUND,
        ControlError::Disabled(_) | ControlError::Save(_) => FAILED,
    };
    rpc_error(code, error.to_string())
}

fn rpc_error(code: i64, message: impl Into<String>) -> RpcError {
    RpcError {
        code,
        message: message.into(),
    }
}

async fn write_line(
    write: &mut (impl AsyncWriteExt + Unpin),
    message: &impl Serialize,
) -> std::io::Result<()> {
    let mut bytes = serde_json::to_vec(message).map_err(std::io::Error::other)?;
    bytes.push(b'\n');
    write.write_all(&bytes).await
}
