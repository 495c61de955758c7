//! `ocimcpctl bridge`: a desktop client launches it as a stdio MCP server, and it relays
//! newline-delimited JSON-RPC between stdin/stdout and the daemon's MCP socket ([`local`],
//! reconnecting across daemon restarts) or a remote gateway's Streamable HTTP endpoint
//! ([`remote`]). Messages pass through unchanged; the bridge looks only at what it needs
//! to replay a session: the client's `initialize`, and which requests await an answer.

mod local;
mod remote;

use std::collections::HashMap;

use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::sync::mpsc;

use crate::Failure;
use crate::admin::Sockets;
use crate::cli::BridgeArgs;

/// JSON-RPC error code for requests the bridge could not deliver or get answered.
const BRIDGE_ERROR: i64 = -32000;

pub async fn run(sockets: &Sockets, args: BridgeArgs) -> Result<(), Failure> {
    let stdin = read_stdin();
    let stdout = write_stdout();
    match args.url {
        Some(url) => {
            let headers = remote::headers(args.token_file.as_deref(), &args.headers)?;
            remote::check_transport(&url, !headers.is_empty(), args.allow_insecure_http)?;
            remote::run(url, headers, stdin, stdout).await
        }
        None => local::run(&sockets.mcp, stdin, stdout).await,
    }
}

/// Lines from stdin; the channel closes at end of input.
fn read_stdin() -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel(64);
    tokio::spawn(async move {
        let mut lines = BufReader::new(tokio::io::stdin()).lines();
        while let Ok(Some(line)) = lines.next_line().await {
            if line.trim().is_empty() {
                continue;
            }
            if tx.send(line).await.is_err() {
                break;
            }
        }
    });
    rx
}

/// Lines to stdout, written in order by one task.
fn write_stdout() -> mpsc::UnboundedSender<String> {
    let (tx, mut rx) = mpsc::unbounded_channel::<String>();
    tokio::spawn(async move {
        let mut stdout = tokio::io::stdout();
        while let Some(mut line) = rx.recv().await {
            line.push('\n');
            if stdout.write_all(line.as_bytes()).await.is_err() || stdout.flush().await.is_err() {
                break;
            }
        }
    });
    tx
}

/// What the bridge remembers of the client's side of the session.
#[derive(Debug, Default)]
struct Session {
    /// The client's `initialize` request, as sent.
    initialize: Option<Value>,
    /// Whether the server has answered it (to the client).
    initialize_answered: bool,
    /// The client's `notifications/initialized`, as sent.
    initialized: Option<String>,
    /// Requests sent and not yet answered: id (as JSON text) → id.
    pending: HashMap<String, Value>,
}

/// A message's kind, as far as the bridge cares.
enum Kind {
    Request { id: Value, method: String },
    Notification { method: String },
    Response { id: Value },
    Other,
}

fn kind(message: &Value) -> Kind {
    let method = message.get("method").and_then(Value::as_str);
    let id = message.get("id").filter(|id| !id.is_null()).cloned();
    match (method, id) {
        (Some(method), Some(id)) => Kind::Request {
            id,
            method: method.to_owned(),
        },
        (Some(method), None) => Kind::Notification {
            method: method.to_owned(),
        },
        (None, Some(id)) => Kind::Response { id },
        (None, None) => Kind::Other,
    }
}

impl Session {
    /// Notes a client message that is being sent to the server.
    fn client_sent(&mut self, line: &str) {
        let Ok(message) = serde_json::from_str::<Value>(line) else {
            return;
        };
        match kind(&message) {
            Kind::Request { id, method } => {
                if method == "initialize" {
                    self.initialize = Some(message.clone());
                    self.initialize_answered = false;
                }
                self.pending.insert(id.to_string(), id);
            }
            Kind::Notification { method } if method == "notifications/initialized" => {
                self.initialized = Some(line.to_owned());
            }
            _ => {}
        }
    }

    /// Notes a server message on its way to the client.
    fn server_sent(&mut self, message: &Value) {
        if let Kind::Response { id } = kind(message) {
            self.pending.remove(&id.to_string());
            let answers_initialize = self
                .initialize
                .as_ref()
                .and_then(|i| i.get("id"))
                .is_some_and(|init| *init == id);
            if answers_initialize {
                self.initialize_answered = true;
            }
        }
    }

    /// Error answers for every request still waiting, which are forgotten.
    fn fail_pending(&mut self, why: &str) -> Vec<String> {
        self.pending
            .drain()
            .map(|(_, id)| error_line(&id, why))
            .collect()
    }
}

fn error_line(id: &Value, message: &str) -> String {
    json!({
        "jsonrpc": "2.0",
        "id": id,
        "error": { "code": BRIDGE_ERROR, "message": message },
    })
    .to_string()
}
