//! A minimal MCP client over the daemon's MCP socket, for `ocimcpctl call`: initialize,
//! one `tools/call`, done. It sees exactly what any MCP client sees.

use std::path::Path;

use serde_json::{Map, Value, json};

use crate::Failure;
use crate::admin::connect_failure;
use crate::line_socket::LineSocket;

/// The protocol version this client asks for.
const PROTOCOL_VERSION: &str = "2025-06-18";

/// Calls `tool` with `arguments`; the JSON-RPC result (a `CallToolResult`) on success.
pub async fn call_tool(
    socket: &Path,
    tool: &str,
    arguments: Map<String, Value>,
) -> Result<Value, Failure> {
    let mut connection = Connection(
        LineSocket::connect(socket)
            .await
            .map_err(|e| connect_failure(socket, &e))?,
    );
    connection
        .request(
            1,
            "initialize",
            json!({
                "protocolVersion": PROTOCOL_VERSION,
                "capabilities": {},
                "clientInfo": { "name": "ocimcpctl", "version": env!("CARGO_PKG_VERSION") },
            }),
        )
        .await?;
    connection
        .send(&json!({ "jsonrpc": "2.0", "method": "notifications/initialized" }))
        .await?;
    connection
        .request(
            2,
            "tools/call",
            json!({ "name": tool, "arguments": arguments }),
        )
        .await
}

struct Connection(LineSocket);

impl Connection {
    async fn send(&mut self, message: &Value) -> Result<(), Failure> {
        self.0
            .send(&message.to_string())
            .await
            .map_err(|e| Failure::Failed(format!("sending to the daemon's MCP socket failed: {e}")))
    }

    /// Sends a request and waits for its answer. Notifications on the way are skipped;
    /// requests from the server (sampling, elicitation) are declined.
    async fn request(&mut self, id: u64, method: &str, params: Value) -> Result<Value, Failure> {
        self.send(&json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params }))
            .await?;
        loop {
            let read = self.0.next().await.map_err(|e| {
                Failure::Failed(format!("reading from the daemon's MCP socket failed: {e}"))
            })?;
            let Some(line) = read else {
                return Err(Failure::Failed(format!(
                    "the daemon closed the MCP connection during `{method}`"
                )));
            };
            let Ok(message) = serde_json::from_str::<Value>(&line) else {
                continue;
            };
            let is_request = message.get("method").is_some() && message.get("id").is_some();
            if is_request {
                let decline = json!({
                    "jsonrpc": "2.0", "id": message["id"],
                    "error": { "code": -32601, "message": "ocimcpctl call cannot answer server requests" },
                });
                self.send(&decline).await?;
                continue;
            }
            if message.get("id") != Some(&Value::from(id)) {
                continue;
            }
            if let Some(error) = message.get("error") {
                let text = error
                    .get("message")
                    .and_then(Value::as_str)
                    .unwrap_or("no message");
                return Err(Failure::Failed(format!("`{method}` failed: {text}")));
            }
            return Ok(message.get("result").cloned().unwrap_or(Value::Null));
        }
    }
}
