//! The bridge to a remote gateway's Streamable HTTP endpoint: each client message is
//! POSTed (with the bearer token and headers given), answers come back as JSON or as an
//! SSE stream and are written to stdout as lines; a GET stream carries what the server
//! says unasked. If the server forgets the session (404), the bridge initializes a new one
//! with the client's `initialize` and sends the message again.

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use http::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue};
use reqwest::StatusCode;
use serde_json::Value;
use tokio::sync::mpsc;

use super::{Kind, Session, error_line, kind};
use crate::Failure;

const SESSION_HEADER: &str = "mcp-session-id";
const VERSION_HEADER: &str = "mcp-protocol-version";

/// The headers every request carries: the bearer token (from its file) and `--header`s.
/// Refuses to send credentials (a token or headers) over plain `http://` to a host other
/// than this machine, unless the user said so (`--allow-insecure-http`).
pub fn check_transport(url: &str, credentials: bool, allow_insecure: bool) -> Result<(), Failure> {
    let parsed = reqwest::Url::parse(url)
        .map_err(|e| Failure::Failed(format!("--url `{url}` is not a URL: {e}")))?;
    let host = parsed.host_str().unwrap_or("");
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let local = host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    if parsed.scheme() == "http" && !local && credentials && !allow_insecure {
        return Err(Failure::Failed(format!(
            "--url {url} is plain http:// to another host: the token and headers would cross the network unencrypted; use https://, or pass --allow-insecure-http if the path is trusted"
        )));
    }
    Ok(())
}

pub fn headers(token_file: Option<&Path>, extra: &[String]) -> Result<HeaderMap, Failure> {
    let mut headers = HeaderMap::new();
    if let Some(file) = token_file {
        let token = std::fs::read_to_string(file).map_err(|e| {
            Failure::Failed(format!(
                "cannot read the token file {}: {e}",
                file.display()
            ))
        })?;
        let value = HeaderValue::from_str(&format!("Bearer {}", token.trim())).map_err(|_| {
            Failure::Failed(format!(
                "the token in {} has characters a header cannot carry",
                file.display()
            ))
        })?;
        headers.insert(AUTHORIZATION, value);
    }
    for header in extra {
        let Some((name, value)) = header.split_once(':') else {
            return Err(Failure::Failed(format!(
                "--header `{header}` must look like `Name: value`"
            )));
        };
        let name = HeaderName::from_bytes(name.trim().as_bytes())
            .map_err(|_| Failure::Failed(format!("`{}` is not a header name", name.trim())))?;
        let value = HeaderValue::from_str(value.trim())
            .map_err(|_| Failure::Failed(format!("the value of header `{name}` is not valid")))?;
        headers.insert(name, value);
    }
    Ok(headers)
}

/// The HTTP side's shared state.
struct Remote {
    http: reqwest::Client,
    url: String,
    headers: HeaderMap,
    session_id: Mutex<Option<String>>,
    protocol_version: Mutex<Option<String>>,
    client: Mutex<Session>,
    stdout: mpsc::UnboundedSender<String>,
    /// Counts sessions made; requests that all find the session gone make one new one.
    generation: AtomicU64,
    reinitializing: tokio::sync::Mutex<()>,
}

pub async fn run(
    url: String,
    headers: HeaderMap,
    mut stdin: mpsc::Receiver<String>,
    stdout: mpsc::UnboundedSender<String>,
) -> Result<(), Failure> {
    let http = reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(10))
        .build()
        .map_err(|e| Failure::Failed(format!("cannot set up HTTP: {e}")))?;
    let remote = Arc::new(Remote {
        http,
        url,
        headers,
        session_id: Mutex::new(None),
        protocol_version: Mutex::new(None),
        client: Mutex::new(Session::default()),
        stdout,
        generation: AtomicU64::new(0),
        reinitializing: tokio::sync::Mutex::new(()),
    });
    let mut listening = false;
    while let Some(line) = stdin.recv().await {
        let message: Option<Value> = serde_json::from_str(&line).ok();
        let is_initialized = message.as_ref().is_some_and(|m| {
            matches!(kind(m), Kind::Notification { ref method } if method == "notifications/initialized")
        });
        lock(&remote.client).client_sent(&line);
        let is_initialize = message.as_ref().is_some_and(
            |m| matches!(kind(m), Kind::Request { ref method, .. } if method == "initialize"),
        );
        if is_initialize {
            // The session id comes with the answer: nothing else may go out before it.
            remote.post(line, message).await;
        } else {
            let remote = remote.clone();
            tokio::spawn(async move { remote.post(line, message).await });
        }
        if is_initialized && !listening {
            listening = true;
            tokio::spawn(remote.clone().listen());
        }
    }
    Ok(())
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

impl Remote {
    fn request(&self, method: reqwest::Method) -> reqwest::RequestBuilder {
        let mut request = self
            .http
            .request(method, &self.url)
            .headers(self.headers.clone())
            .header(ACCEPT, "application/json, text/event-stream");
        if let Some(id) = lock(&self.session_id).clone() {
            request = request.header(SESSION_HEADER, id);
        }
        if let Some(version) = lock(&self.protocol_version).clone() {
            request = request.header(VERSION_HEADER, version);
        }
        request
    }

    /// POSTs one client message and relays the answer; a lost session is re-made once.
    async fn post(&self, line: String, message: Option<Value>) {
        let request_id = message.as_ref().and_then(|m| match kind(m) {
            Kind::Request { id, .. } => Some(id),
            _ => None,
        });
        for attempt in 0..2 {
            let generation = self.generation.load(Ordering::Acquire);
            match self.send(&line).await {
                Ok(response)
                    if response.status() == StatusCode::NOT_FOUND
                        && attempt == 0
                        && lock(&self.session_id).is_some() =>
                {
                    let _one_at_a_time = self.reinitializing.lock().await;
                    // Another request may have made the new session meanwhile.
                    if self.generation.load(Ordering::Acquire) == generation {
                        eprintln!(
                            "ocimcpctl bridge: the gateway no longer knows the session; starting a new one"
                        );
                        if let Err(e) = self.reinitialize().await {
                            self.fail(request_id.as_ref(), &e);
                            return;
                        }
                        self.generation.fetch_add(1, Ordering::AcqRel);
                    }
                }
                Ok(response) => {
                    if let Err(e) = self.relay(response, request_id.as_ref()).await {
                        self.fail(request_id.as_ref(), &e);
                    }
                    return;
                }
                Err(e) => {
                    self.fail(
                        request_id.as_ref(),
                        &format!("cannot reach {}: {e}", self.url),
                    );
                    return;
                }
            }
        }
    }

    async fn send(&self, line: &str) -> reqwest::Result<reqwest::Response> {
        self.request(reqwest::Method::POST)
            .header(CONTENT_TYPE, "application/json")
            .body(line.to_owned())
            .send()
            .await
    }

    /// A new session with the client's own `initialize` (answer kept from the client).
    async fn reinitialize(&self) -> Result<(), String> {
        *lock(&self.session_id) = None;
        let (initialize, initialized) = {
            let client = lock(&self.client);
            (client.initialize.clone(), client.initialized.clone())
        };
        let Some(mut initialize) = initialize else {
            return Err("the session was lost before it was initialized".to_owned());
        };
        initialize["id"] = Value::String("ocimcpctl-bridge-reinitialize".to_owned());
        let response = self
            .send(&initialize.to_string())
            .await
            .map_err(|e| format!("cannot reach {}: {e}", self.url))?;
        if !response.status().is_success() {
            return Err(format!(
                "the gateway refused a new session: HTTP {}",
                response.status()
            ));
        }
        self.remember_session(&response);
        // Read the answer to completion (JSON or SSE) and drop it.
        let _ = response.bytes().await;
        if let Some(initialized) = initialized {
            let _ = self.send(&initialized).await;
        }
        Ok(())
    }

    fn remember_session(&self, response: &reqwest::Response) {
        if let Some(id) = response
            .headers()
            .get(SESSION_HEADER)
            .and_then(|v| v.to_str().ok())
        {
            *lock(&self.session_id) = Some(id.to_owned());
        }
    }

    /// Writes the answer to stdout: a JSON body, or each event of an SSE stream.
    async fn relay(
        &self,
        mut response: reqwest::Response,
        request_id: Option<&Value>,
    ) -> Result<(), String> {
        let status = response.status();
        if status == StatusCode::ACCEPTED {
            return Ok(());
        }
        self.remember_session(&response);
        let is_sse = response
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("text/event-stream"));
        if !status.is_success() {
            let body = response.text().await.unwrap_or_default();
            let body: String = body.chars().take(300).collect();
            return Err(format!(
                "the gateway answered HTTP {status}: {}",
                body.trim()
            ));
        }
        if !is_sse {
            let body = response.bytes().await.map_err(|e| e.to_string())?;
            if let Ok(text) = std::str::from_utf8(&body) {
                let text = text.trim();
                if !text.is_empty() {
                    self.deliver(text.to_owned());
                }
            }
            return Ok(());
        }
        let mut events = SseParser::default();
        while let Some(chunk) = response.chunk().await.map_err(|e| e.to_string())? {
            for data in events.push(&chunk) {
                self.deliver(data);
            }
        }
        let answered =
            request_id.is_none_or(|id| !lock(&self.client).pending.contains_key(&id.to_string()));
        if answered {
            Ok(())
        } else {
            Err("the gateway closed the stream before answering".to_owned())
        }
    }

    /// One server message to the client.
    fn deliver(&self, line: String) {
        if let Ok(message) = serde_json::from_str::<Value>(&line) {
            // The protocol version the server chose goes on every later request.
            if let Some(version) = message
                .get("result")
                .and_then(|r| r.get("protocolVersion"))
                .and_then(Value::as_str)
            {
                *lock(&self.protocol_version) = Some(version.to_owned());
            }
            lock(&self.client).server_sent(&message);
        }
        let _ = self.stdout.send(line);
    }

    fn fail(&self, request_id: Option<&Value>, why: &str) {
        eprintln!("ocimcpctl bridge: {why}");
        if let Some(id) = request_id {
            lock(&self.client).pending.remove(&id.to_string());
            let _ = self.stdout.send(error_line(id, why));
        }
    }

    /// The GET stream for server-initiated messages, kept open (reopened with backoff).
    async fn listen(self: Arc<Self>) {
        let mut delay = Duration::from_millis(500);
        loop {
            match self.request(reqwest::Method::GET).send().await {
                Ok(response) if response.status() == StatusCode::METHOD_NOT_ALLOWED => return,
                Ok(mut response) if response.status().is_success() => {
                    delay = Duration::from_millis(500);
                    let mut events = SseParser::default();
                    while let Ok(Some(chunk)) = response.chunk().await {
                        for data in events.push(&chunk) {
                            self.deliver(data);
                        }
                    }
                }
                _ => {}
            }
            tokio::time::sleep(delay).await;
            delay = (delay * 2).min(Duration::from_secs(30));
        }
    }
}

/// Splits an SSE byte stream into the `data` of each event.
#[derive(Debug, Default)]
struct SseParser {
    buffer: Vec<u8>,
    data: Vec<String>,
}

impl SseParser {
    fn push(&mut self, chunk: &[u8]) -> Vec<String> {
        self.buffer.extend_from_slice(chunk);
        let mut out = Vec::new();
        while let Some(end) = self.buffer.iter().position(|b| *b == b'\n') {
            let raw: Vec<u8> = self.buffer.drain(..=end).collect();
            let line = String::from_utf8_lossy(&raw);
            let line = line.trim_end_matches(['\n', '\r']);
            if line.is_empty() {
                if !self.data.is_empty() {
                    out.push(self.data.join("\n"));
                    self.data.clear();
                }
            } else if let Some(data) = line.strip_prefix("data:") {
                self.data
                    .push(data.strip_prefix(' ').unwrap_or(data).to_owned());
            }
        }
        out.retain(|d| !d.trim().is_empty());
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sse_events_are_split_across_chunks() {
        let mut parser = SseParser::default();
        assert!(parser.push(b"id: 1\ndata: {\"a\"").is_empty());
        let events = parser.push(b":1}\n\nevent: message\r\ndata: x\r\ndata: y\r\n\r\ndata:\n\n");
        assert_eq!(events, ["{\"a\":1}", "x\ny"]);
    }

    #[test]
    fn credentials_cross_plain_http_only_to_this_machine_or_when_allowed() {
        use super::check_transport;
        assert!(check_transport("http://127.0.0.1:9000/mcp", true, false).is_ok());
        assert!(check_transport("http://localhost:9000/mcp", true, false).is_ok());
        assert!(check_transport("http://[::1]:9000/mcp", true, false).is_ok());
        assert!(check_transport("https://gw.example.com/mcp", true, false).is_ok());
        assert!(check_transport("http://gw.example.com/mcp", false, false).is_ok());
        let Err(crate::Failure::Failed(refused)) =
            check_transport("http://gw.example.com/mcp", true, false)
        else {
            panic!("a token over plain http to another host must be refused")
        };
        assert!(refused.contains("--allow-insecure-http"), "{refused}");
        // The user-info trick: the host is evil.example, not 127.0.0.1.
        assert!(check_transport("http://127.0.0.1:80@evil.example/mcp", true, false).is_err());
        assert!(check_transport("http://localhost.evil.example/mcp", true, false).is_err());
        assert!(check_transport("http://gw.example.com/mcp", true, true).is_ok());
    }

    #[test]
    fn headers_come_from_the_token_file_and_flags() {
        let dir = std::env::temp_dir().join(format!("ocimcpctl-token-{}", std::process::id()));
        std::fs::write(&dir, "  secret\n").unwrap();
        let headers = headers(Some(&dir), &["X-Team: blue".to_owned()]).unwrap();
        std::fs::remove_file(&dir).unwrap();
        assert_eq!(headers[AUTHORIZATION], "Bearer secret");
        assert_eq!(headers["x-team"], "blue");
        assert!(super::headers(None, &["nocolon".to_owned()]).is_err());
    }
}
