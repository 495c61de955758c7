//! What clients may take of the gateway: request size (`max_request_bytes`) over HTTP and
//! `mcp.sock`, and open sessions per client (`max_sessions_per_client`). Each limit
//! answers with an error that names the setting, and what is already open keeps working.

use std::time::Duration;

use ocimcp_tests::{Daemon, call, call_until_ok, connect, faulty_backend, text};
use rmcp::model::ProtocolVersion;
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::net::UnixStream;
use tokio::net::unix::{OwnedReadHalf, OwnedWriteHalf};

fn start(gateway: &str) -> Daemon {
    Daemon::start_with(
        &format!("[gateway]\nlisten = \"127.0.0.1:0\"\n{gateway}"),
        &[("b.toml", &faulty_backend())],
        &[],
    )
}

/// A client whose first call to `b_echo` went through.
async fn ready_client(daemon: &Daemon) -> ocimcp_tests::Client {
    let client = connect(&daemon.url(), ProtocolVersion::V_2025_11_25).await;
    call_until_ok(
        &client,
        "b_echo",
        json!({"text": "up"}),
        Duration::from_secs(30),
    )
    .await;
    client
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
    let client = ready_client(&daemon).await;
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
    let first = ready_client(&daemon).await;
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

/// The daemon's address, from its MCP URL.
fn address(daemon: &Daemon) -> std::net::SocketAddr {
    let url = daemon.url();
    let authority = url
        .trim_start_matches("http://")
        .split('/')
        .next()
        .unwrap_or_default()
        .to_owned();
    authority.parse().expect("daemon address")
}

/// Raises this test's own open-file limit to its hard limit, which must allow `want`.
fn raise_own_nofile(want: u64) {
    use nix::sys::resource::{Resource, getrlimit, setrlimit};
    let (_, hard) = getrlimit(Resource::RLIMIT_NOFILE).expect("getrlimit");
    assert!(
        hard >= want,
        "this test needs {want} open files; the hard limit is {hard}"
    );
    setrlimit(Resource::RLIMIT_NOFILE, hard, hard).expect("setrlimit");
}

/// A TCP connection to `to` from the loopback address `from` (each address is its own
/// client for the per-client limits).
async fn connect_from(from: std::net::Ipv4Addr, to: std::net::SocketAddr) -> tokio::net::TcpStream {
    let socket = tokio::net::TcpSocket::new_v4().expect("socket");
    socket
        .bind(std::net::SocketAddr::new(from.into(), 0))
        .expect("bind a loopback address");
    socket.connect(to).await.expect("connect")
}

/// Whether a connection that sent nothing is still open (nothing to read yet), rather
/// than closed or answered.
fn is_open(stream: &tokio::net::TcpStream) -> bool {
    let mut buf = [0u8; 1024];
    matches!(stream.try_read(&mut buf), Err(e) if e.kind() == std::io::ErrorKind::WouldBlock)
}

/// 1,100 connections that send nothing, from eleven addresses, against a daemon whose
/// open-file limit is 1024 and cannot be raised: the daemon keeps half its descriptors for
/// itself and, once its 512 places are taken, closes the connection idle longest for each
/// newcomer; its admin socket, an open session (on new connections too) and a backend
/// restart all keep working, and the idle connections are closed once the header-read
/// timeout has passed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_connections_cannot_starve_the_daemon() {
    const IDLE: usize = 1100;
    raise_own_nofile(IDLE as u64 + 256);
    let daemon = Daemon::start_with_nofile(
        "[gateway]\nlisten = \"127.0.0.1:0\"\nheader_read_timeout = \"30s\"\nmax_connections_per_client = 100\n",
        &[("b.toml", &faulty_backend())],
        (1024, 1024),
    );
    let client = ready_client(&daemon).await;

    let to = address(&daemon);
    let mut idle = Vec::with_capacity(IDLE);
    for i in 0..IDLE {
        let from = std::net::Ipv4Addr::new(127, 0, 0, 2 + (i / 100) as u8);
        idle.push(connect_from(from, to).await);
    }
    let opened = std::time::Instant::now();
    // The daemon holds at most 512 connections (its own client's among them); the oldest
    // idle ones made room for the rest.
    let deadline = opened + Duration::from_secs(20);
    let mut open;
    loop {
        open = idle.iter().filter(|s| is_open(s)).count();
        if open <= 512 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{open} idle connections are open: the cap is 512"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(open >= 500, "only {open} connections kept a place");
    assert!(
        idle[IDLE - 1..].iter().all(is_open),
        "the newest connection got a place"
    );
    let log = daemon.log();
    assert!(log.contains("HTTP connections are capped at 512"), "{log}");
    assert!(
        log.contains("closed the HTTP connection idle longest to make room: 512 connections are open ([gateway] max_connections = 512)"),
        "{log}"
    );

    // The admin socket, the open session (on a new connection too) and a backend restart
    // still work.
    let status = daemon.ctl(&["status"]);
    assert_eq!(status.code, 0, "{status:?}");
    let echoed = call(&client, "b_echo", json!({"text": "still here"}))
        .await
        .expect("a call on the open session");
    assert_eq!(text(&echoed), "still here");
    let other = connect(&daemon.url(), ProtocolVersion::V_2025_11_25).await;
    let echoed = call(&other, "b_echo", json!({"text": "a new client"}))
        .await
        .expect("a call from a new client");
    assert_eq!(text(&echoed), "a new client");
    let restarted = daemon.ctl(&["restart", "b"]);
    assert_eq!(restarted.code, 0, "{restarted:?}");
    call_until_ok(
        &client,
        "b_echo",
        json!({"text": "back"}),
        Duration::from_secs(30),
    )
    .await;

    // All of that happened while the idle connections held their places (but the few
    // that made room for the clients' connections) ...
    let still_open = idle.iter().filter(|s| is_open(s)).count();
    assert!(
        still_open + 20 >= open,
        "{still_open} of {open} idle connections are left before the 30 s header-read timeout"
    );
    // ... which they lose once the header-read timeout has passed.
    let deadline = opened + Duration::from_secs(90);
    loop {
        let still_open = idle.iter().filter(|s| is_open(s)).count();
        if still_open == 0 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{still_open} idle connections are still open 90 s on"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    assert!(opened.elapsed() >= Duration::from_secs(30));
}

/// The start of a POST whose 10-byte body never comes: a request in progress.
const STALLED_POST: &[u8] =
    b"POST /mcp HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\ncontent-length: 10\r\n\r\n";

/// One address may hold only `max_connections_per_client` connections: when all of them
/// are busy, another is refused with 503, and other addresses are not affected. Idle
/// connections are closed after the header-read timeout. The daemon raises its soft
/// open-file limit to the hard one at start.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_are_bounded_per_client_and_the_file_limit_is_raised() {
    let daemon = Daemon::start_with_nofile(
        "[gateway]\nlisten = \"127.0.0.1:0\"\nmax_connections_per_client = 4\nheader_read_timeout = \"1s\"\nbody_read_timeout = \"300s\"\n",
        &[],
        (1024, 4096),
    );
    let limits = std::fs::read_to_string(format!("/proc/{}/limits", daemon.pid()))
        .expect("the daemon's limits");
    let files = limits
        .lines()
        .find(|l| l.starts_with("Max open files"))
        .expect("a Max open files line");
    assert_eq!(
        files.split_whitespace().collect::<Vec<_>>()[3..5],
        ["4096", "4096"],
        "{files}"
    );

    let to = address(&daemon);
    let attacker = std::net::Ipv4Addr::new(127, 0, 0, 9);
    let mut busy = Vec::new();
    for _ in 0..4 {
        let mut stream = connect_from(attacker, to).await;
        tokio::io::AsyncWriteExt::write_all(&mut stream, STALLED_POST)
            .await
            .expect("send a request's headers");
        busy.push(stream);
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let mut fifth = connect_from(attacker, to).await;
    let mut answer = String::new();
    tokio::time::timeout(
        Duration::from_secs(10),
        tokio::io::AsyncReadExt::read_to_string(&mut fifth, &mut answer),
    )
    .await
    .expect("the refusal within 10 s")
    .expect("read the refusal");
    assert!(
        answer.starts_with("HTTP/1.1 503")
            && answer.contains(
                "127.0.0.9 has 4 connections open ([gateway] max_connections_per_client = 4), all busy"
            )
            && answer.to_lowercase().contains("retry-after: 5"),
        "{answer}"
    );
    // Another address is served.
    let health = reqwest::get(daemon.http_url("/healthz"))
        .await
        .expect("GET /healthz");
    assert_eq!(health.status(), 200);
    // Connections that send nothing are closed after the 1 s header-read timeout; the
    // busy ones stay.
    let mut silent = connect_from(std::net::Ipv4Addr::new(127, 0, 0, 10), to).await;
    let mut rest = Vec::new();
    let _ = tokio::time::timeout(
        Duration::from_secs(30),
        tokio::io::AsyncReadExt::read_to_end(&mut silent, &mut rest),
    )
    .await
    .expect("the silent connection is closed within 30 s");
    assert!(rest.is_empty(), "{rest:?}");
    assert!(
        busy.iter().all(is_open),
        "a request in progress is not idle"
    );
}

/// An `initialize` POSTed without a session, by hand.
async fn initialize_raw(http: &reqwest::Client, url: &str) -> reqwest::Response {
    http.post(url)
        .header("accept", "application/json, text/event-stream")
        .json(
            &json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "protocolVersion": "2025-06-18", "capabilities": {},
            "clientInfo": {"name": "raw", "version": "1"}}}),
        )
        .send()
        .await
        .expect("POST initialize")
}

/// 200 `initialize` requests at once from one address with `max_sessions_per_client = 64`:
/// exactly 64 sessions open, the rest are refused with 503 naming the setting.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parallel_initializes_cannot_pass_the_session_limit() {
    let daemon = start("max_sessions_per_client = 64\n");
    let http = reqwest::Client::new();
    let url = daemon.url();
    let mut parallel = tokio::task::JoinSet::new();
    for _ in 0..200 {
        let (http, url) = (http.clone(), url.clone());
        parallel.spawn(async move { initialize_raw(&http, &url).await });
    }
    let mut opened = 0;
    while let Some(answer) = parallel.join_next().await {
        let answer = answer.expect("initialize task");
        match answer.status().as_u16() {
            200 => {
                assert!(answer.headers().contains_key("mcp-session-id"));
                opened += 1;
            }
            503 => {
                let body: Value = answer.json().await.expect("JSON refusal");
                let message = body["error"]["message"].as_str().unwrap_or_default();
                assert!(message.contains("max_sessions_per_client = 64"), "{body}");
            }
            other => panic!("unexpected status {other}"),
        }
    }
    assert_eq!(opened, 64, "sessions opened by 200 parallel initializes");
}

/// The daemon's peak resident memory so far (VmHWM), in KiB.
fn peak_rss_kib(daemon: &Daemon) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{}/status", daemon.pid()))
        .expect("the daemon's status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM")
}

/// A session opened by hand; its id.
async fn raw_session(http: &reqwest::Client, url: &str) -> String {
    let answer = initialize_raw(http, url).await;
    assert_eq!(answer.status(), 200);
    let session = answer
        .headers()
        .get("mcp-session-id")
        .and_then(|v| v.to_str().ok())
        .expect("a session id")
        .to_owned();
    let initialized = http
        .post(url)
        .header("accept", "application/json, text/event-stream")
        .header("mcp-session-id", &session)
        .header("mcp-protocol-version", "2025-06-18")
        .json(&json!({"jsonrpc": "2.0", "method": "notifications/initialized"}))
        .send()
        .await
        .expect("POST initialized");
    assert!(initialized.status().is_success());
    session
}

/// Request bodies are read only within a budget across all connections
/// (`max_inflight_request_bytes`, 16 MiB by default; `max_request_bytes` is 4 MiB): bodies
/// announced but not yet read hold it, and another request is refused with 503 and
/// `Retry-After` until they are done. A body is counted at what it will take once parsed:
/// eight concurrent 4 MiB bodies of small JSON values (two million numbers each, which
/// would take many times their size) are refused unparsed (413, or 503 while four others are read), and eight that just fit
/// take turns; the daemon's peak memory stays under 150 MiB (measured: see
/// docs/configuration.md).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn request_bodies_are_read_within_a_budget() {
    let daemon = start("");
    let http = reqwest::Client::new();
    let url = daemon.url();
    let session = raw_session(&http, &url).await;
    let post = |body: String| {
        http.post(&url)
            .header("accept", "application/json, text/event-stream")
            .header("content-type", "application/json")
            .header("mcp-session-id", &session)
            .header("mcp-protocol-version", "2025-06-18")
            .body(body)
            .send()
    };
    let echo = |id: usize, pad: usize| {
        let mut body = format!(
            r#"{{"jsonrpc":"2.0","id":{id},"method":"tools/call","params":{{"name":"b_echo","arguments":{{"text":"hi","pad":["#
        );
        body.push_str(&"1,".repeat(pad));
        body.push_str("1]}}}");
        body
    };

    // Four bodies of 4 MiB announced and not sent take the budget.
    let to = address(&daemon);
    let announce = |length: usize| {
        let session = session.clone();
        async move {
            let mut stream = connect_from(std::net::Ipv4Addr::new(127, 0, 0, 1), to).await;
            let head = format!(
                "POST /mcp HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\naccept: application/json, text/event-stream\r\nmcp-session-id: {session}\r\ncontent-length: {length}\r\n\r\n["
            );
            tokio::io::AsyncWriteExt::write_all(&mut stream, head.as_bytes())
                .await
                .expect("send the head");
            stream
        }
    };
    // Five bodies of 4 MiB announced and not sent: four take the budget, the fifth is
    // refused before it is read (which one depends on the order they are read in).
    let mut stalled = Vec::new();
    for _ in 0..5 {
        stalled.push(announce(4 << 20).await);
    }
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    let mut buf = [0u8; 4096];
    let refused = loop {
        let answered: Vec<(usize, String)> = stalled
            .iter()
            .enumerate()
            .filter_map(|(i, s)| match s.try_read(&mut buf) {
                Ok(n) => Some((i, String::from_utf8_lossy(&buf[..n]).into_owned())),
                Err(_) => None,
            })
            .collect();
        if let Some((i, answer)) = answered.into_iter().next() {
            stalled.remove(i);
            break answer;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "none of five 4 MiB bodies was refused"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(
        stalled.iter().all(is_open),
        "only one body is refused: four fit the budget"
    );
    let lower = refused.to_lowercase();
    assert!(
        refused.starts_with("HTTP/1.1 503")
            && lower.contains("retry-after: 5")
            && refused.contains("[gateway] max_inflight_request_bytes = 16 MiB"),
        "{refused}"
    );
    // Once they are gone, requests are read again.
    drop(stalled);
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        let answer = post(echo(3, 1)).await.expect("POST");
        if answer.status() == 200 {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "{}", answer.status());
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // Eight bodies of 4 MiB of small values (two million numbers each) at once: each would
    // take far more than the budget once parsed, and is refused without being parsed.
    let pad = (4 << 20) / 2 - 200;
    let before = peak_rss_kib(&daemon);
    let mut parallel = tokio::task::JoinSet::new();
    for id in 0..8 {
        let answer = post(echo(10 + id, pad));
        parallel.spawn(async move {
            let answer = answer.await.expect("POST a large body");
            let status = answer.status().as_u16();
            (status, answer.text().await.unwrap_or_default())
        });
    }
    let mut too_large = 0;
    while let Some(done) = parallel.join_next().await {
        let (status, body) = done.expect("task");
        assert!(
            body.contains("max_inflight_request_bytes = 16 MiB"),
            "{body}"
        );
        match status {
            413 => {
                assert!(body.contains("once parsed"), "{body}");
                too_large += 1;
            }
            // Four others were being read at the time.
            503 => {}
            other => panic!("a body of two million values got {other}: {body}"),
        }
    }
    assert!(too_large >= 1);
    // Eight at once that each just fit the budget once parsed: they take turns (the others
    // are told to retry), and memory stays bounded.
    let pad = 230_000;
    let mut parallel = tokio::task::JoinSet::new();
    for id in 0..8 {
        let answer = post(echo(20 + id, pad));
        parallel.spawn(async move {
            let answer = answer.await.expect("POST a body that fits");
            let status = answer.status().as_u16();
            let retry = answer.headers().contains_key("retry-after");
            let _ = answer.bytes().await;
            (status, retry)
        });
    }
    let mut served = 0;
    while let Some(done) = parallel.join_next().await {
        let (status, retry) = done.expect("task");
        assert!(status == 200 || (status == 503 && retry), "{status}");
        served += usize::from(status == 200);
    }
    assert!(served >= 1, "none of the bodies that fit was served");
    let peak = peak_rss_kib(&daemon);
    eprintln!("peak RSS: {before} KiB before, {peak} KiB after the large bodies");
    assert!(peak < 150 << 10, "peak RSS {peak} KiB");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_mcp_sock_client_that_never_reads_is_disconnected() {
    let daemon = start("");
    let _ready = ready_client(&daemon).await;
    let mut other = Socket::open(&daemon).await;
    assert!(other.initialize().await["result"].is_object());

    // 5,000 pings whose answers (each about 1 KiB: the id comes back) are never read.
    let mut flood = Socket::open(&daemon).await;
    assert!(flood.initialize().await["result"].is_object());
    let Socket {
        mut lines,
        mut write,
    } = flood;
    let mut pings = String::new();
    for i in 0..5_000 {
        let id = format!("{i:0>1000}");
        pings.push_str(&json!({"jsonrpc": "2.0", "id": id, "method": "ping"}).to_string());
        pings.push('\n');
    }
    let writer = tokio::spawn(async move {
        // Fails once the daemon hangs up.
        let _ = write.write_all(pings.as_bytes()).await;
        write
    });
    ocimcp_tests::eventually(
        Duration::from_secs(30),
        "the daemon cuts off the client that does not read",
        || {
            daemon
                .log()
                .contains("does not read what the gateway sends")
        },
    )
    .await;
    let log = daemon.log();
    assert!(
        log.contains("mcp.sock client") && log.contains("limit is 1024 messages"),
        "{log}"
    );
    // Its connection is closed: what was written before is there, then the end.
    let ended = tokio::time::timeout(Duration::from_secs(20), async {
        while let Ok(Some(_)) = lines.next_line().await {}
    })
    .await;
    assert!(ended.is_ok(), "the connection stays open");
    let _ = writer.await;

    // The other client is served as before.
    let answer = other.echo(2, "still here").await;
    assert_eq!(
        answer["result"]["content"][0]["text"], "still here",
        "{answer}"
    );
}
