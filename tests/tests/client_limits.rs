//! What clients may take of the gateway: request size (`max_request_bytes`) over HTTP and
//! `mcp.sock`, and open sessions per client (`max_sessions_per_client`). Each limit
//! answers with an error that names the setting, and what is already open keeps working.

use std::time::Duration;

use ocimcp_tests::{Daemon, call, call_until_ok, connect, fixture, text};
use rmcp::model::ProtocolVersion;
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::net::UnixStream;
use tokio::net::unix::{OwnedReadHalf, OwnedWriteHalf};

fn start(gateway: &str) -> Daemon {
    let backend = format!(
        "command = \"python3\"\nargs = [\"{}\"]\n",
        fixture("python/faulty_server.py").display()
    );
    Daemon::start_with(
        &format!("[gateway]\nlisten = \"127.0.0.1:0\"\n{gateway}"),
        &[("b.toml", &backend)],
        &[],
    )
}

/// A JSON-RPC line client on `mcp.sock`.
struct Socket {
    lines: Lines<BufReader<OwnedReadHalf>>,
    write: OwnedWriteHalf,
}

impl Socket {
    async fn open(daemon: &Daemon) -> Socket {
        let stream = UnixStream::connect(daemon.runtime_dir().join("mcp.sock"))
            .await
            .expect("connect to mcp.sock");
        let (read, write) = stream.into_split();
        Socket {
            lines: BufReader::new(read).lines(),
            write,
        }
    }

    async fn send(&mut self, message: &Value) {
        self.write
            .write_all(format!("{message}\n").as_bytes())
            .await
            .expect("write to mcp.sock");
    }

    /// The next message with `id` (or with no id: a refusal).
    async fn answer(&mut self, id: i64) -> Value {
        loop {
            let line = tokio::time::timeout(Duration::from_secs(10), self.lines.next_line())
                .await
                .expect("an answer within 10s")
                .expect("read mcp.sock")
                .expect("a line");
            let message: Value = serde_json::from_str(&line).expect("JSON");
            if message["id"] == id || message["id"].is_null() {
                return message;
            }
        }
    }

    async fn initialize(&mut self) -> Value {
        self.send(
            &json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "protocolVersion": "2025-06-18", "capabilities": {},
            "clientInfo": {"name": "limits-test", "version": "1"}}}),
        )
        .await;
        let answer = self.answer(1).await;
        if answer.get("result").is_some() {
            self.send(&json!({"jsonrpc": "2.0", "method": "notifications/initialized"}))
                .await;
        }
        answer
    }

    async fn echo(&mut self, id: i64, message: &str) -> Value {
        self.send(&json!({"jsonrpc": "2.0", "id": id, "method": "tools/call",
            "params": {"name": "b_echo", "arguments": {"text": message}}}))
            .await;
        self.answer(id).await
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_requests_are_refused_with_a_clear_error() {
    let daemon = start("max_request_bytes = \"64KiB\"\n");
    let client = connect(&daemon.url(), ProtocolVersion::V_2025_11_25).await;
    call_until_ok(
        &client,
        "b_echo",
        json!({"text": "up"}),
        Duration::from_secs(30),
    )
    .await;
    let big = "z".repeat(100 * 1024);

    // HTTP: the body is refused with 413 before it is read whole.
    let error = call(&client, "b_echo", json!({ "text": big }))
        .await
        .expect_err("a 100 KiB request over a 64 KiB limit fails");
    assert!(error.contains("413"), "{error}");
    let after = call(&client, "b_echo", json!({"text": "small"}))
        .await
        .expect("the session goes on");
    assert_eq!(text(&after), "small");

    // mcp.sock: the request is answered with an error naming the setting.
    let mut socket = Socket::open(&daemon).await;
    assert!(socket.initialize().await["result"].is_object());
    let refused = socket.echo(2, &big).await;
    assert_eq!(refused["error"]["code"], -32014, "{refused}");
    let message = refused["error"]["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("over the limit of 64 KiB")
            && message.contains("[gateway] max_request_bytes"),
        "{refused}"
    );
    let small = socket.echo(3, "fits").await;
    assert_eq!(small["result"]["content"][0]["text"], "fits", "{small}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sessions_are_bounded_per_client() {
    let daemon = start("max_sessions_per_client = 2\n");
    let first = connect(&daemon.url(), ProtocolVersion::V_2025_11_25).await;
    call_until_ok(
        &first,
        "b_echo",
        json!({"text": "up"}),
        Duration::from_secs(30),
    )
    .await;
    let second = connect(&daemon.url(), ProtocolVersion::V_2025_11_25).await;

    // A third session from the same address is refused over HTTP...
    let response = reqwest::Client::new()
        .post(daemon.url())
        .header("accept", "application/json, text/event-stream")
        .json(
            &json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "protocolVersion": "2025-06-18", "capabilities": {},
            "clientInfo": {"name": "third", "version": "1"}}}),
        )
        .send()
        .await
        .expect("POST initialize");
    assert_eq!(response.status(), 503);
    assert!(response.headers().contains_key("retry-after"));
    let body: Value = response.json().await.expect("JSON error body");
    let message = body["error"]["message"].as_str().unwrap_or_default();
    assert!(message.contains("max_sessions_per_client = 2"), "{body}");
    // ...while the open ones keep working.
    for client in [&first, &second] {
        let result = call(client, "b_echo", json!({"text": "still"}))
            .await
            .expect("echo");
        assert_eq!(text(&result), "still");
    }

    // mcp.sock counts per local user: two sessions, then a refusal.
    let mut one = Socket::open(&daemon).await;
    let mut two = Socket::open(&daemon).await;
    assert!(one.initialize().await["result"].is_object());
    assert!(two.initialize().await["result"].is_object());
    let mut three = Socket::open(&daemon).await;
    let refused = three.answer(0).await;
    let message = refused["error"]["message"].as_str().unwrap_or_default();
    assert!(message.contains("max_sessions_per_client = 2"), "{refused}");
    drop(one);
    // A closed session frees its place.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let mut again = Socket::open(&daemon).await;
        if again.initialize().await["result"].is_object() {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the closed session's place was not freed"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
