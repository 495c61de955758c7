//! A minimal Streamable HTTP MCP client on one hyper HTTP/1.1 connection: `initialize`
//! (then `notifications/initialized`), requests with the session's `Mcp-Session-Id`, and
//! answers read from either a JSON body or an SSE stream. It does only what a benchmark
//! needs, with as little work per request as it can, so the loader is never the bottleneck.

use std::net::SocketAddr;

use bytes::Bytes;
use http::{HeaderValue, Method, Request, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;
use serde::Deserialize;
use serde::de::{DeserializeOwned, IgnoredAny};
use serde_json::Value;
use tokio::net::TcpStream;

/// The protocol version the client asks for.
pub const PROTOCOL_VERSION: &str = "2025-06-18";

/// Where an MCP endpoint is: `http://HOST:PORT/PATH`.
#[derive(Debug, Clone)]
pub struct Endpoint {
    pub addr: SocketAddr,
    pub authority: String,
    pub path: String,
}

impl Endpoint {
    /// Parses `http://127.0.0.1:9000/mcp` (plain HTTP, an IP address: a benchmark endpoint).
    pub fn parse(url: &str) -> anyhow::Result<Self> {
        let rest = url.strip_prefix("http://").ok_or_else(|| {
            anyhow::anyhow!("`{url}` is not an http:// URL (the loader speaks plain HTTP)")
        })?;
        let (authority, path) = match rest.find('/') {
            Some(slash) => (&rest[..slash], &rest[slash..]),
            None => (rest, "/"),
        };
        let addr = authority.parse().map_err(|e| {
            anyhow::anyhow!(
                "`{authority}` in `{url}` is not IP:PORT ({e}); use an address, not a name"
            )
        })?;
        Ok(Endpoint {
            addr,
            authority: authority.to_owned(),
            path: path.to_owned(),
        })
    }
}

/// A JSON-RPC request rendered once but for its id: each request only writes the id
/// between the two halves.
#[derive(Debug, Clone)]
pub struct RequestTemplate {
    head: String,
    tail: String,
}

impl RequestTemplate {
    /// `tools/call` of `tool` with `{"message": message}`.
    pub fn tools_call(tool: &str, message: &str) -> Self {
        Self::tools_call_with(tool, &serde_json::json!({ "message": message }))
    }

    /// `tools/call` of `tool` with `arguments` (`{}` for a tool that takes none).
    pub fn tools_call_with(tool: &str, arguments: &Value) -> Self {
        Self::new(&format!(
            r#""method":"tools/call","params":{{"name":{},"arguments":{arguments}}}}}"#,
            serde_json::Value::from(tool),
        ))
    }

    /// `initialize`, asking for [`PROTOCOL_VERSION`].
    pub fn initialize() -> Self {
        Self::new(&format!(
            r#""method":"initialize","params":{{"protocolVersion":"{PROTOCOL_VERSION}","capabilities":{{}},"clientInfo":{{"name":"mcp-load","version":"1.0.0"}}}}}}"#
        ))
    }

    /// `tools/list`.
    pub fn tools_list() -> Self {
        Self::new(r#""method":"tools/list","params":{}}"#)
    }

    /// `rest` is everything after the id: `"method":…}`.
    fn new(rest: &str) -> Self {
        RequestTemplate {
            head: r#"{"jsonrpc":"2.0","id":"#.to_owned(),
            tail: format!(",{rest}"),
        }
    }

    pub fn with_id(&self, id: u64) -> Bytes {
        let mut text = String::with_capacity(self.head.len() + 20 + self.tail.len());
        text.push_str(&self.head);
        text.push_str(&id.to_string());
        text.push_str(&self.tail);
        Bytes::from(text)
    }
}

/// Why a request failed.
#[derive(Debug, thiserror::Error)]
pub enum CallError {
    #[error("connection: {0}")]
    Connection(String),
    #[error("HTTP {status}: {body}")]
    Status { status: StatusCode, body: String },
    #[error("no answer with id {0} in the response body")]
    NoAnswer(u64),
    #[error("JSON-RPC error {code}: {message}")]
    Rpc { code: i64, message: String },
    #[error("tool error: {0}")]
    Tool(String),
}

/// One HTTP/1.1 connection to an MCP endpoint, with the session it uses.
pub struct Connection {
    sender: SendRequest<Full<Bytes>>,
    endpoint: Endpoint,
    session: Option<HeaderValue>,
}

impl Connection {
    pub async fn open(endpoint: &Endpoint) -> Result<Self, CallError> {
        let stream = TcpStream::connect(endpoint.addr)
            .await
            .map_err(|e| CallError::Connection(format!("connect {}: {e}", endpoint.addr)))?;
        let _ = stream.set_nodelay(true);
        let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .map_err(|e| CallError::Connection(e.to_string()))?;
        tokio::spawn(connection);
        Ok(Connection {
            sender,
            endpoint: endpoint.clone(),
            session: None,
        })
    }

    /// The session id in use, if any.
    pub fn session(&self) -> Option<&HeaderValue> {
        self.session.as_ref()
    }

    /// Uses an existing session (opened on another connection).
    pub fn join(&mut self, session: Option<HeaderValue>) {
        self.session = session;
    }

    /// `initialize` and `notifications/initialized`; keeps the session id the server gave.
    pub async fn initialize(&mut self) -> Result<Value, CallError> {
        let (status, headers, bytes) = self.post(RequestTemplate::initialize().with_id(0)).await?;
        if !status.is_success() {
            return Err(status_error(status, &bytes));
        }
        self.session = headers.get("mcp-session-id").cloned();
        let result = answer(&bytes, 0)?;
        let notification = r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#;
        let (status, _, bytes) = self
            .post(Bytes::from_static(notification.as_bytes()))
            .await?;
        if !status.is_success() {
            return Err(status_error(status, &bytes));
        }
        Ok(result)
    }

    /// Sends one JSON-RPC request (`body` must carry `id`) and returns its result, read
    /// as `T`: a loader that only needs to know the answer came reads it as a type that
    /// skips what it does not need (see [`ListedTools`]) instead of building a tree.
    pub async fn request<T: DeserializeOwned>(
        &mut self,
        body: Bytes,
        id: u64,
    ) -> Result<T, CallError> {
        let (status, _, bytes) = self.post(body).await?;
        if !status.is_success() {
            return Err(status_error(status, &bytes));
        }
        answer(&bytes, id)
    }

    /// `tools/call`: a result with `isError: true` is an error too.
    pub async fn call_tool(&mut self, body: Bytes, id: u64) -> Result<Value, CallError> {
        let result: Value = self.request(body, id).await?;
        if result.get("isError").and_then(Value::as_bool) == Some(true) {
            let text = result
                .pointer("/content/0/text")
                .and_then(Value::as_str)
                .unwrap_or("(no text)");
            return Err(CallError::Tool(text.to_owned()));
        }
        Ok(result)
    }

    /// Ends the session (HTTP DELETE); errors are ignored: the server may have ended it.
    pub async fn close_session(&mut self) {
        if self.session.is_some() {
            let _ = self.send(Method::DELETE, Bytes::new()).await;
        }
    }

    async fn post(
        &mut self,
        body: Bytes,
    ) -> Result<(StatusCode, http::HeaderMap, Bytes), CallError> {
        self.send(Method::POST, body).await
    }

    async fn send(
        &mut self,
        method: Method,
        body: Bytes,
    ) -> Result<(StatusCode, http::HeaderMap, Bytes), CallError> {
        let mut request = Request::builder()
            .method(method)
            .uri(self.endpoint.path.as_str())
            .header(http::header::HOST, self.endpoint.authority.as_str())
            .header(http::header::CONTENT_TYPE, "application/json")
            .header(http::header::ACCEPT, "application/json, text/event-stream")
            .header("mcp-protocol-version", PROTOCOL_VERSION);
        if let Some(session) = &self.session {
            request = request.header("mcp-session-id", session.clone());
        }
        let request = request
            .body(Full::new(body))
            .map_err(|e| CallError::Connection(e.to_string()))?;
        self.sender
            .ready()
            .await
            .map_err(|e| CallError::Connection(e.to_string()))?;
        let response = self
            .sender
            .send_request(request)
            .await
            .map_err(|e| CallError::Connection(e.to_string()))?;
        let (parts, body) = response.into_parts();
        let bytes = body
            .collect()
            .await
            .map_err(|e| CallError::Connection(e.to_string()))?
            .to_bytes();
        Ok((parts.status, parts.headers, bytes))
    }
}

fn status_error(status: StatusCode, body: &[u8]) -> CallError {
    let text = String::from_utf8_lossy(body);
    CallError::Status {
        status,
        body: text.chars().take(300).collect(),
    }
}

/// A `tools/list` result, checked for its `tools` without reading them into memory: the
/// list of a big catalog is a megabyte, and building a `Value` of it would cost the loader
/// more than the gateway's answer.
#[derive(Debug, Deserialize)]
pub struct ListedTools {
    pub tools: IgnoredAny,
}

/// The result of the answer to request `id` in a JSON body or an SSE stream.
fn answer<T: DeserializeOwned>(body: &[u8], id: u64) -> Result<T, CallError> {
    let text = std::str::from_utf8(body).map_err(|_| CallError::NoAnswer(id))?;
    let trimmed = text.trim_start();
    if trimmed.starts_with('{') {
        return result_of(trimmed, id).ok_or(CallError::NoAnswer(id))?;
    }
    // SSE: events separated by blank lines; the answer is the `data:` with our id.
    for line in text.lines() {
        if let Some(data) = line.strip_prefix("data:") {
            let data = data.trim();
            if data.is_empty() {
                continue;
            }
            if let Some(found) = result_of(data, id) {
                return found;
            }
        }
    }
    Err(CallError::NoAnswer(id))
}

/// A JSON-RPC message as far as the loader reads it.
#[derive(Deserialize)]
struct Message<T> {
    id: Option<u64>,
    result: Option<T>,
    error: Option<RpcError>,
}

#[derive(Deserialize)]
struct RpcError {
    #[serde(default)]
    code: i64,
    message: Option<String>,
}

/// `Some` when `json` is the answer to `id`: its result, or its error.
fn result_of<T: DeserializeOwned>(json: &str, id: u64) -> Option<Result<T, CallError>> {
    let message: Message<T> = serde_json::from_str(json).ok()?;
    if message.id != Some(id) {
        return None;
    }
    Some(match (message.error, message.result) {
        (Some(error), _) => Err(CallError::Rpc {
            code: error.code,
            message: error.message.unwrap_or_else(|| "(no message)".to_owned()),
        }),
        (None, Some(result)) => Ok(result),
        (None, None) => Err(CallError::NoAnswer(id)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_are_found_in_json_and_sse_bodies() {
        let json = br#"{"jsonrpc":"2.0","id":7,"result":{"ok":true}}"#;
        assert_eq!(
            answer::<Value>(json, 7).ok(),
            Some(serde_json::json!({"ok": true}))
        );
        assert!(matches!(
            answer::<Value>(json, 8),
            Err(CallError::NoAnswer(8))
        ));
        let listed = br#"{"jsonrpc":"2.0","id":2,"result":{"tools":[{"name":"a"}]}}"#;
        assert!(answer::<ListedTools>(listed, 2).is_ok());
        assert!(
            answer::<ListedTools>(json, 7).is_err(),
            "a result without tools"
        );

        let sse = b"id: 0\ndata: \n\nevent: message\ndata: {\"jsonrpc\":\"2.0\",\"method\":\"notifications/progress\"}\n\ndata: {\"jsonrpc\":\"2.0\",\"id\":3,\"error\":{\"code\":-32015,\"message\":\"busy\"}}\n\n";
        match answer::<Value>(sse, 3) {
            Err(CallError::Rpc { code, message }) => {
                assert_eq!((code, message.as_str()), (-32015, "busy"))
            }
            other => panic!("expected the error answer, got {other:?}"),
        }
    }

    #[test]
    fn templates_are_valid_requests_with_the_id_given() {
        let call = RequestTemplate::tools_call("echo_echo", "say \"hi\"");
        let parsed: Value = serde_json::from_slice(&call.with_id(42)).expect("JSON");
        assert_eq!(
            parsed,
            serde_json::json!({"jsonrpc": "2.0", "id": 42, "method": "tools/call",
                "params": {"name": "echo_echo", "arguments": {"message": "say \"hi\""}}})
        );
        let bare = RequestTemplate::tools_call_with("oci_list_domains", &serde_json::json!({}));
        let parsed: Value = serde_json::from_slice(&bare.with_id(3)).expect("JSON");
        assert_eq!(
            parsed,
            serde_json::json!({"jsonrpc": "2.0", "id": 3, "method": "tools/call",
                "params": {"name": "oci_list_domains", "arguments": {}}})
        );
        let list: Value =
            serde_json::from_slice(&RequestTemplate::tools_list().with_id(7)).expect("JSON");
        assert_eq!(
            list,
            serde_json::json!({"jsonrpc": "2.0", "id": 7, "method": "tools/list", "params": {}})
        );
    }

    #[test]
    fn endpoints_need_an_ip_and_a_path() {
        let endpoint = Endpoint::parse("http://127.0.0.1:9000/mcp").expect("valid");
        assert_eq!(
            (endpoint.authority.as_str(), endpoint.path.as_str()),
            ("127.0.0.1:9000", "/mcp")
        );
        assert!(Endpoint::parse("https://127.0.0.1:9000/mcp").is_err());
        assert!(Endpoint::parse("http://localhost:9000/mcp").is_err());
    }
}
