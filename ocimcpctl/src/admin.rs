//! The admin socket client: finds the daemon's sockets, sends JSON-RPC requests one line
//! at a time and reads the answers (and, for streaming methods, the notifications after).

use std::io::ErrorKind;
use std::path::{Path, PathBuf};

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use ocimcp_proto::admin::{self as protocol, JSONRPC, Notification, Request, Response};
use ocimcp_proto::local_socket::SOCKET_GROUP;
use ocimcp_proto::paths;

use crate::Failure;
use crate::line_socket::LineSocket;
use crate::trust::ConnectError;

/// Where the daemon's two sockets are.
#[derive(Debug, Clone)]
pub struct Sockets {
    pub admin: PathBuf,
    pub mcp: PathBuf,
}

impl Sockets {
    /// `--socket`, else `--runtime-dir`, else `$OCIMCPD_RUNTIME_DIR`, else the daemon's
    /// own default runtime dir for this user, else (when only it has a daemon) the system
    /// service's `/run/ocimcpd`.
    pub fn locate(socket: Option<PathBuf>, runtime_dir: Option<PathBuf>) -> Self {
        match socket {
            Some(admin) => {
                let dir = admin.parent().unwrap_or(Path::new(".")).to_path_buf();
                Self {
                    mcp: dir.join(paths::MCP_SOCKET),
                    admin,
                }
            }
            None => {
                let dir = runtime_dir.unwrap_or_else(|| {
                    // A user in the `ocimcp` group talks to the system service. Either
                    // folder is checked before it is used (`trust`).
                    let system = PathBuf::from(paths::SYSTEM_RUNTIME_DIR);
                    match paths::default_runtime_dir() {
                        Ok(own)
                            if own.join(paths::ADMIN_SOCKET).exists()
                                || !system.join(paths::ADMIN_SOCKET).exists() =>
                        {
                            own
                        }
                        _ => system,
                    }
                });
                Self {
                    admin: dir.join(paths::ADMIN_SOCKET),
                    mcp: dir.join(paths::MCP_SOCKET),
                }
            }
        }
    }
}

/// Connecting to one of the daemon's sockets failed: not running, or not allowed.
pub fn connect_failure(path: &Path, error: &ConnectError) -> Failure {
    let error = match error {
        ConnectError::Untrusted(why) => return Failure::Failed(why.clone()),
        ConnectError::Io(error) => error,
    };
    match error.kind() {
        ErrorKind::PermissionDenied => Failure::Failed(format!(
            "permission denied on {}: only root, the daemon's user and members of the `{SOCKET_GROUP}` group may use it (add yourself with `usermod -aG {SOCKET_GROUP} $USER` and log in again, or use sudo)",
            path.display(),
        )),
        _ => Failure::Unreachable(format!(
            "cannot reach ocimcpd at {} ({error}). Is it running? Start it with `systemctl start ocimcpd` (or run `ocimcpd`); if it uses another runtime dir, pass --runtime-dir DIR or set {}",
            path.display(),
            paths::RUNTIME_DIR_ENV
        )),
    }
}

/// One connection to the admin socket.
pub struct AdminClient {
    socket: LineSocket,
    next_id: u64,
}

impl AdminClient {
    pub async fn connect(path: &Path) -> Result<Self, Failure> {
        let socket = LineSocket::connect(path)
            .await
            .map_err(|e| connect_failure(path, &e))?;
        Ok(Self { socket, next_id: 1 })
    }

    /// Sends a request and decodes its result.
    pub async fn call<T: DeserializeOwned>(
        &mut self,
        method: &str,
        params: impl Serialize,
    ) -> Result<T, Failure> {
        let value = self.call_value(method, params).await?;
        serde_json::from_value(value).map_err(|e| {
            Failure::Failed(format!(
                "the daemon's answer to `{method}` was not understood ({e}); is ocimcpctl the same version as ocimcpd?"
            ))
        })
    }

    pub async fn call_value(
        &mut self,
        method: &str,
        params: impl Serialize,
    ) -> Result<Value, Failure> {
        let id = self.next_id;
        self.next_id += 1;
        let request = Request {
            jsonrpc: JSONRPC.to_owned(),
            id: Value::from(id),
            method: method.to_owned(),
            params: serde_json::to_value(params).unwrap_or(Value::Null),
        };
        let line = serde_json::to_string(&request).map_err(|e| Failure::Failed(e.to_string()))?;
        if let Err(e) = self.socket.send(&line).await {
            // The daemon may have refused the connection before reading: its refusal is
            // waiting to be read.
            return match self.read_message::<Response>().await {
                Ok(Response {
                    error: Some(error), ..
                }) => Err(Failure::Failed(error.message)),
                _ => Err(Failure::Failed(format!(
                    "sending to the daemon failed: {e}"
                ))),
            };
        }
        let response: Response = self.read_message().await?;
        match (response.result, response.error) {
            // A refusal (PERMISSION_DENIED) says itself what to do.
            (_, Some(error)) => Err(Failure::Failed(error.message)),
            (Some(result), None) => Ok(result),
            (None, None) => Err(Failure::Failed(format!(
                "the daemon answered `{method}` with neither a result nor an error"
            ))),
        }
    }

    /// The next notification of a streaming method; `None` when the daemon closed.
    pub async fn notification(&mut self) -> Result<Option<Notification>, Failure> {
        match self.read_line().await? {
            Some(line) => serde_json::from_str(&line)
                .map(Some)
                .map_err(|e| Failure::Failed(format!("unexpected message from the daemon: {e}"))),
            None => Ok(None),
        }
    }

    async fn read_message<T: DeserializeOwned>(&mut self) -> Result<T, Failure> {
        let line = self.read_line().await?.ok_or_else(|| {
            Failure::Failed("the daemon closed the connection without answering".to_owned())
        })?;
        serde_json::from_str(&line)
            .map_err(|e| Failure::Failed(format!("unexpected message from the daemon: {e}")))
    }

    async fn read_line(&mut self) -> Result<Option<String>, Failure> {
        self.socket
            .next()
            .await
            .map_err(|e| Failure::Failed(format!("reading from the daemon failed: {e}")))
    }
}

/// `{"name": NAME}`, the params of the per-backend methods.
pub fn name(name: &str) -> protocol::NameParams {
    protocol::NameParams {
        name: name.to_owned(),
    }
}
