//! What backends send back while serving a client: server→client requests (sampling) to
//! the right client, cancellation to the right backend, resource updates to subscribers,
//! progress from a FastMCP backend to the Python client, and tool definitions unchanged.

// Sampling and resources/subscribe are deprecated by SEP-2577 but are what is tested here.
#![allow(deprecated)]
// Test code: a panic is the failure report.
#![allow(clippy::unwrap_used)]

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ocimcp_tests::{Daemon, binary, call, call_text, connect, connect_with, fixture, venv};
use rmcp::ErrorData as McpError;
use rmcp::model::{
    CallToolRequestParams, ClientCapabilities, ClientConfig, ClientRequest,
    CreateMessageRequestParams, CreateMessageResult, Implementation, ProtocolVersion, Request,
    ResourceUpdatedNotificationParam, SubscribeRequestParams, UnsubscribeRequestParams,
};
use rmcp::service::{NotificationContext, PeerRequestOptions, RequestContext, RoleClient};
use serde_json::{Value, json};
use tokio::sync::Notify;

const LISTEN: &str = "[gateway]\nlisten = \"127.0.0.1:0\"\n";

/// A gateway with one stdio conformance backend per name, ready.
async fn gateway_with_backends(names: &[&str]) -> Daemon {
    let command = binary("conformance_backend").display().to_string();
    let backends: String = names
        .iter()
        .map(|name| format!("[[backends]]\nname = \"{name}\"\ncommand = \"{command}\"\n"))
        .collect();
    let daemon = Daemon::start(&format!("{LISTEN}{backends}"));
    daemon.wait_ready(Duration::from_secs(30)).await;
    daemon
}

/// The conformance backend served over Streamable HTTP; killed on drop.
struct HttpBackend {
    child: Child,
    url: String,
}

impl HttpBackend {
    fn start() -> HttpBackend {
        let mut child = Command::new(binary("conformance_backend"))
            .args(["--http", "127.0.0.1:0"])
            .stdout(Stdio::piped())
            .spawn()
            .expect("start the conformance backend");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("its address");
        HttpBackend {
            child,
            url: format!("http://{}/mcp", line.trim()),
        }
    }
}

impl Drop for HttpBackend {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A client that can sample: it records the prompts it is asked and answers with its
/// own name, after `gate` is opened (if any).
#[derive(Clone)]
struct Sampler {
    name: &'static str,
    prompts: Arc<Mutex<Vec<String>>>,
    asked: Arc<Notify>,
    gate: Option<Arc<Notify>>,
}

impl Sampler {
    fn new(name: &'static str, gate: Option<Arc<Notify>>) -> Self {
        Self {
            name,
            prompts: Arc::default(),
            asked: Arc::new(Notify::new()),
            gate,
        }
    }
}

impl rmcp::ClientHandler for Sampler {
    fn get_info(&self) -> ClientConfig {
        ClientConfig::new(
            ClientCapabilities::builder().enable_sampling().build(),
            Implementation::new(self.name, "1"),
        )
    }

    async fn create_message(
        &self,
        params: CreateMessageRequestParams,
        _: RequestContext<RoleClient>,
    ) -> Result<CreateMessageResult, McpError> {
        let prompt =
            serde_json::to_value(&params).unwrap_or_default()["messages"][0]["content"]["text"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
        self.prompts.lock().unwrap().push(prompt);
        self.asked.notify_one();
        if let Some(gate) = &self.gate {
            gate.notified().await;
        }
        Ok(serde_json::from_value(json!({
            "role": "assistant",
            "content": { "type": "text", "text": format!("answer from {}", self.name) },
            "model": "test-model",
            "stopReason": "endTurn"
        }))
        .expect("a sampling result"))
    }
}

/// Client A with a call of `c_test_sampling` in flight whose sampling answer is held until
/// `gate` opens, and a second sampling client B.
struct HeldCall {
    gate: Arc<Notify>,
    a: Sampler,
    b: Sampler,
    call_a:
        tokio::task::JoinHandle<Result<rmcp::model::CallToolResult, rmcp::service::ServiceError>>,
    client_b: rmcp::service::RunningService<RoleClient, Sampler>,
    _client_a: rmcp::service::RunningService<RoleClient, Sampler>,
}

async fn hold_a_call(url: &str, prompt_a: &'static str) -> HeldCall {
    let gate = Arc::new(Notify::new());
    let a = Sampler::new("A", Some(gate.clone()));
    let b = Sampler::new("B", None);
    let (client_a, client_b) = (
        connect_with(url, a.clone()).await,
        connect_with(url, b.clone()).await,
    );
    let call_a = tokio::spawn({
        let peer = client_a.peer().clone();
        async move { peer.call_tool(sample(prompt_a)).await }
    });
    tokio::time::timeout(Duration::from_secs(10), a.asked.notified())
        .await
        .expect("A is asked");
    HeldCall {
        gate,
        a,
        b,
        call_a,
        client_b,
        _client_a: client_a,
    }
}

fn sample(prompt: &str) -> CallToolRequestParams {
    CallToolRequestParams::new("c_test_sampling")
        .with_arguments(json!({ "prompt": prompt }).as_object().unwrap().clone())
}

#[tokio::test(flavor = "multi_thread")]
async fn concurrent_sampling_reaches_only_the_client_that_asked() {
    let backend = HttpBackend::start();
    let daemon = Daemon::start(&format!(
        "{LISTEN}[[backends]]\nname = \"c\"\ntransport = \"streamable_http\"\nurl = \"{}\"\n",
        backend.url
    ));
    daemon.wait_ready(Duration::from_secs(30)).await;

    // Both calls are in flight at the same backend at once: A's sampling answer waits until
    // B has been asked too.
    let HeldCall {
        gate,
        a,
        b,
        call_a,
        client_b,
        _client_a: _keep_a_connected,
    } = hold_a_call(&daemon.url(), "prompt from A").await;
    let call_b = tokio::spawn({
        let peer = client_b.peer().clone();
        async move { peer.call_tool(sample("prompt from B")).await }
    });
    tokio::time::timeout(Duration::from_secs(10), b.asked.notified())
        .await
        .expect("B is asked");
    gate.notify_one();

    let (result_a, result_b) = (
        call_a.await.unwrap().unwrap(),
        call_b.await.unwrap().unwrap(),
    );
    assert_eq!(ocimcp_tests::text(&result_a), "LLM response: answer from A");
    assert_eq!(ocimcp_tests::text(&result_b), "LLM response: answer from B");
    assert_eq!(*a.prompts.lock().unwrap(), ["prompt from A"]);
    assert_eq!(*b.prompts.lock().unwrap(), ["prompt from B"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn unroutable_server_requests_get_a_clear_error_not_a_hang() {
    // A stdio backend cannot say which request its sampling serves.
    let daemon = gateway_with_backends(&["c"]).await;

    // One client in flight: it is the one.
    let solo = Sampler::new("solo", None);
    let client = connect_with(&daemon.url(), solo.clone()).await;
    let result = client.call_tool(sample("only me")).await.unwrap();
    assert_eq!(
        ocimcp_tests::text(&result),
        "LLM response: answer from solo"
    );

    // Two clients in flight: the second sampling request cannot be placed.
    let HeldCall {
        gate,
        b,
        call_a,
        client_b,
        _client_a: _keep_a_connected,
        ..
    } = hold_a_call(&daemon.url(), "A").await;
    let error = tokio::time::timeout(Duration::from_secs(10), client_b.call_tool(sample("B")))
        .await
        .expect("B gets an answer, not a hang")
        .expect_err("B's sampling cannot be routed");
    assert!(
        error
            .to_string()
            .contains("cannot pass this sampling/createMessage request to a client"),
        "{error}"
    );
    assert!(b.prompts.lock().unwrap().is_empty());
    gate.notify_one();
    assert_eq!(
        ocimcp_tests::text(&call_a.await.unwrap().unwrap()),
        "LLM response: answer from A"
    );

    // A client that did not declare sampling is not asked.
    let plain = connect(&daemon.url(), ProtocolVersion::V_2025_11_25).await;
    let error = call(&plain, "c_test_sampling", json!({"prompt": "x"}))
        .await
        .expect_err("no sampling capability");
    assert!(
        error.contains("did not declare the `sampling` capability"),
        "{error}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_cancelled_call_is_cancelled_at_its_own_backend_only() {
    let daemon = gateway_with_backends(&["a", "b"]).await;
    let client = connect(&daemon.url(), ProtocolVersion::V_2025_11_25).await;
    let other = connect(&daemon.url(), ProtocolVersion::V_2025_11_25).await;

    // The same kind of call is in flight at both backends (their request ids run alike).
    let at_b = tokio::spawn({
        let peer = other.peer().clone();
        async move {
            peer.call_tool(CallToolRequestParams::new("b_test_slow"))
                .await
        }
    });
    let request =
        ClientRequest::CallToolRequest(Request::new(CallToolRequestParams::new("a_test_slow")));
    let handle = client
        .peer()
        .send_request_with_option(request, PeerRequestOptions::no_options())
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    handle
        .cancel(Some("the user changed their mind".to_owned()))
        .await
        .unwrap();

    // `a` saw the cancellation of its own request; `b` saw nothing and still runs.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while call_text(&client, "a_test_cancelled_count", json!({})).await != "1" {
        assert!(
            tokio::time::Instant::now() < deadline,
            "a never saw the cancellation"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        call_text(&client, "b_test_cancelled_count", json!({})).await,
        "0"
    );
    assert!(!at_b.is_finished(), "b's call must still be running");
    at_b.abort();
}

/// Records resource updates.
#[derive(Clone, Default)]
struct Watcher {
    updates: Arc<Mutex<Vec<String>>>,
}

impl rmcp::ClientHandler for Watcher {
    async fn on_resource_updated(
        &self,
        params: ResourceUpdatedNotificationParam,
        _: NotificationContext<RoleClient>,
    ) {
        self.updates.lock().unwrap().push(params.uri);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn resource_updates_reach_subscribers_of_that_backend_only() {
    let daemon = gateway_with_backends(&["a", "b"]).await;
    let (subscriber, bystander) = (Watcher::default(), Watcher::default());
    let sub = connect_with(&daemon.url(), subscriber.clone()).await;
    let by = connect_with(&daemon.url(), bystander.clone()).await;

    sub.peer()
        .subscribe(SubscribeRequestParams::new("test://a/watched-resource"))
        .await
        .unwrap();
    let call = |name: &str| CallToolRequestParams::new(name.to_owned());
    // b has no subscriber: nothing is subscribed there, and nothing arrives from it.
    assert_eq!(
        ocimcp_tests::text(
            &by.peer()
                .call_tool(call("b_test_update_watched_resource"))
                .await
                .unwrap()
        ),
        "nobody is subscribed"
    );
    assert_eq!(
        ocimcp_tests::text(
            &by.peer()
                .call_tool(call("a_test_update_watched_resource"))
                .await
                .unwrap()
        ),
        "update sent"
    );
    ocimcp_tests::eventually(
        Duration::from_secs(5),
        "the subscriber to get the update",
        || subscriber.updates.lock().unwrap().len() == 1,
    )
    .await;
    assert_eq!(
        *subscriber.updates.lock().unwrap(),
        ["test://a/watched-resource"]
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        bystander.updates.lock().unwrap().is_empty(),
        "only subscribers get updates"
    );

    // The last subscriber leaving unsubscribes at the backend too: by unsubscribing...
    sub.peer()
        .unsubscribe(UnsubscribeRequestParams::new("test://a/watched-resource"))
        .await
        .unwrap();
    assert_eq!(
        ocimcp_tests::text(
            &by.peer()
                .call_tool(call("a_test_update_watched_resource"))
                .await
                .unwrap()
        ),
        "nobody is subscribed"
    );
    // ...or by going away with its subscription held.
    let leaver = connect_with(&daemon.url(), Watcher::default()).await;
    leaver
        .peer()
        .subscribe(SubscribeRequestParams::new("test://a/watched-resource"))
        .await
        .unwrap();
    leaver.cancel().await.unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        // Each update is also what makes the gateway notice the closed session.
        let said = ocimcp_tests::text(
            &by.peer()
                .call_tool(call("a_test_update_watched_resource"))
                .await
                .unwrap(),
        );
        if said == "nobody is subscribed" {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the closed session's subscription was never released"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn python_client_sees_a_fastmcp_backends_progress() {
    let daemon = Daemon::start(&format!(
        "{LISTEN}[[backends]]\nname = \"fm\"\nvenv = \"{}\"\nargs = [\"{}\"]\n",
        venv("fastmcp").display(),
        fixture("python/fastmcp_server.py").display()
    ));
    daemon.wait_ready(Duration::from_secs(60)).await;
    for mode in ["legacy", "auto"] {
        let output = Command::new(venv("mcp").join("bin/python"))
            .arg(fixture("python/progress_client.py"))
            .args([&daemon.url(), mode, "fm_count", "5"])
            .output()
            .expect("run the Python client");
        assert!(
            output.status.success(),
            "{mode}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let report: Value = serde_json::from_slice(&output.stdout).expect("JSON report");
        assert_eq!(report["result"], "counted to 5", "{mode}: {report}");
        let progress: Vec<f64> = report["progress"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p[0].as_f64().unwrap())
            .collect();
        assert_eq!(progress, [1.0, 2.0, 3.0, 4.0, 5.0], "{mode}: {report}");
        assert_eq!(
            report["progress"][4],
            json!([5.0, 5.0, "step 5"]),
            "{mode}: {report}"
        );
    }
}

/// The backend's raw `tools/list` result, read straight off its stdio.
fn raw_tools_from_backend() -> Vec<Value> {
    let mut child = Command::new(venv("fastmcp").join("bin/python"))
        .arg(fixture("python/fastmcp_server.py"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the backend");
    let mut stdin = child.stdin.take().unwrap();
    for message in [
        json!({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}}),
        json!({"jsonrpc": "2.0", "method": "notifications/initialized"}),
        json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list"}),
    ] {
        writeln!(stdin, "{message}").unwrap();
    }
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let tools = loop {
        let line = lines.next().expect("a response").unwrap();
        let message: Value = serde_json::from_str(&line).unwrap();
        if message["id"] == 1 {
            break message["result"]["tools"].as_array().unwrap().clone();
        }
    };
    let _ = child.kill();
    let _ = child.wait();
    tools
}

/// The gateway's raw `tools/list` result (JSON or SSE body).
async fn raw_tools_from_gateway(url: &str) -> Vec<Value> {
    let http = reqwest::Client::new();
    let post = |body: Value, session: Option<String>| {
        let mut request = http
            .post(url)
            .header("accept", "application/json, text/event-stream")
            .json(&body);
        if let Some(session) = session {
            request = request
                .header("mcp-session-id", session)
                .header("mcp-protocol-version", "2025-11-25");
        }
        request.send()
    };
    let init = post(json!({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}}), None)
        .await
        .unwrap();
    let session = init
        .headers()
        .get("mcp-session-id")
        .map(|v| v.to_str().unwrap().to_owned());
    let _ = init.text().await;
    post(
        json!({"jsonrpc": "2.0", "method": "notifications/initialized"}),
        session.clone(),
    )
    .await
    .unwrap();
    let body = post(
        json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list"}),
        session,
    )
    .await
    .unwrap()
    .text()
    .await
    .unwrap();
    let message = body
        .lines()
        .filter_map(|line| line.strip_prefix("data:").map(str::trim).or(Some(line)))
        .filter_map(|data| serde_json::from_str::<Value>(data).ok())
        .find(|m| m["id"] == 1)
        .unwrap_or_else(|| panic!("no tools/list answer in {body}"));
    message["result"]["tools"].as_array().unwrap().clone()
}

#[tokio::test(flavor = "multi_thread")]
async fn tool_definitions_pass_through_unchanged_but_for_the_name() {
    let daemon = Daemon::start(&format!(
        "{LISTEN}[[backends]]\nname = \"fm\"\nvenv = \"{}\"\nargs = [\"{}\"]\n",
        venv("fastmcp").display(),
        fixture("python/fastmcp_server.py").display()
    ));
    daemon.wait_ready(Duration::from_secs(60)).await;
    let direct = raw_tools_from_backend();
    let through = raw_tools_from_gateway(&daemon.url()).await;
    let forecast = direct
        .iter()
        .find(|t| t["name"] == "forecast")
        .expect("the backend lists forecast");
    assert!(
        forecast["outputSchema"].is_object()
            && forecast["annotations"].is_object()
            && forecast["_meta"].is_object()
    );
    for original in &direct {
        let name = original["name"].as_str().unwrap();
        let exposed = through
            .iter()
            .find(|t| t["name"] == format!("fm_{name}"))
            .unwrap_or_else(|| panic!("fm_{name} missing"));
        let (mut original, mut exposed) = (original.clone(), exposed.clone());
        original.as_object_mut().unwrap().remove("name");
        exposed.as_object_mut().unwrap().remove("name");
        assert_eq!(
            exposed, original,
            "definition of {name} changed on the way through"
        );
        // Inside schemas and _meta even the key order (what clients show models) is kept.
        for field in ["inputSchema", "outputSchema", "_meta"] {
            assert_eq!(
                exposed[field].to_string(),
                original[field].to_string(),
                "{name}.{field} bytes"
            );
        }
    }
}

/// Records log messages.
#[derive(Clone, Default)]
struct Listener {
    messages: Arc<Mutex<Vec<String>>>,
}

impl rmcp::ClientHandler for Listener {
    async fn on_logging_message(
        &self,
        params: rmcp::model::LoggingMessageNotificationParam,
        _: NotificationContext<RoleClient>,
    ) {
        self.messages
            .lock()
            .unwrap()
            .push(params.data.as_str().unwrap_or_default().to_owned());
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn backend_log_messages_reach_only_clients_that_asked_for_them() {
    let daemon = gateway_with_backends(&["c"]).await;
    let (asked, quiet) = (Listener::default(), Listener::default());
    let with_level = connect_with(&daemon.url(), asked.clone()).await;
    let without = connect_with(&daemon.url(), quiet.clone()).await;
    with_level
        .peer()
        .set_level(rmcp::model::SetLevelRequestParams::new(
            rmcp::model::LoggingLevel::Info,
        ))
        .await
        .unwrap();

    // The client that set a level gets the messages of its own call...
    with_level
        .peer()
        .call_tool(CallToolRequestParams::new("c_test_tool_with_logging"))
        .await
        .unwrap();
    ocimcp_tests::eventually(Duration::from_secs(5), "three log messages", || {
        asked.messages.lock().unwrap().len() == 3
    })
    .await;
    assert_eq!(asked.messages.lock().unwrap()[0], "Tool execution started");
    // ...but not those of another client's call: its level raised the backend's, not
    // what others receive. The client that did not ask gets none.
    without
        .peer()
        .call_tool(CallToolRequestParams::new("c_test_tool_with_logging"))
        .await
        .unwrap();
    ocimcp_tests::eventually(Duration::from_secs(5), "the backend logged again", || {
        daemon.log().matches("Tool execution started").count() == 2
    })
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(asked.messages.lock().unwrap().len(), 3);
    assert!(
        quiet.messages.lock().unwrap().is_empty(),
        "{:?}",
        quiet.messages.lock().unwrap()
    );
}

impl Listener {
    fn messages(&self) -> Vec<String> {
        self.messages.lock().unwrap().clone()
    }
}

/// A gateway with one backend, `lg`, that logs while it serves (`log_server.py`).
async fn gateway_with_log_server() -> Daemon {
    let daemon = Daemon::start(&format!(
        "{LISTEN}[[backends]]\nname = \"lg\"\ncommand = \"python3\"\nargs = [\"{}\"]\n",
        fixture("python/log_server.py").display()
    ));
    daemon.wait_ready(Duration::from_secs(30)).await;
    daemon
}

/// A client that asked for log messages at `info` and up, and what it hears.
async fn listening(
    url: &str,
) -> (
    Listener,
    rmcp::service::RunningService<RoleClient, Listener>,
) {
    let listener = Listener::default();
    let client = connect_with(url, listener.clone()).await;
    client
        .peer()
        .set_level(rmcp::model::SetLevelRequestParams::new(
            rmcp::model::LoggingLevel::Info,
        ))
        .await
        .unwrap();
    (listener, client)
}

fn log_then_wait(tag: &str, wait_ms: u64, echo_token: bool) -> CallToolRequestParams {
    CallToolRequestParams::new("lg_log_then_wait").with_arguments(
        json!({ "tag": tag, "wait_ms": wait_ms, "echo_token": echo_token })
            .as_object()
            .unwrap()
            .clone(),
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn clients_in_flight_together_get_only_their_own_log_messages() {
    let daemon = gateway_with_log_server().await;
    let (a, client_a) = listening(&daemon.url()).await;
    let (b, client_b) = listening(&daemon.url()).await;

    // Messages that name their request (its progress token in `_meta`) reach its client,
    // however many clients are in flight: B's call runs wholly inside A's.
    let call_a = tokio::spawn({
        let peer = client_a.peer().clone();
        async move { peer.call_tool(log_then_wait("A", 2000, true)).await }
    });
    ocimcp_tests::eventually(Duration::from_secs(10), "A hears `for A`", || {
        a.messages().len() == 1
    })
    .await;
    client_b
        .peer()
        .call_tool(log_then_wait("B", 200, true))
        .await
        .unwrap();
    call_a.await.unwrap().unwrap();
    ocimcp_tests::eventually(Duration::from_secs(5), "both hear their `end`", || {
        a.messages().len() >= 2 && b.messages().len() >= 2
    })
    .await;
    assert_eq!(a.messages(), ["for A", "end A"]);
    assert_eq!(b.messages(), ["for B", "end B"]);

    // Messages that do not name their request belong to the one client in flight; while
    // two are, they reach neither and go to the daemon log.
    let call_a = tokio::spawn({
        let peer = client_a.peer().clone();
        async move { peer.call_tool(log_then_wait("A2", 2000, false)).await }
    });
    ocimcp_tests::eventually(Duration::from_secs(10), "A hears `for A2`", || {
        a.messages().len() == 3
    })
    .await;
    client_b
        .peer()
        .call_tool(log_then_wait("B2", 200, false))
        .await
        .unwrap();
    call_a.await.unwrap().unwrap();
    ocimcp_tests::eventually(Duration::from_secs(5), "A hears `end A2`", || {
        a.messages().len() >= 4
    })
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(a.messages(), ["for A", "end A", "for A2", "end A2"]);
    assert_eq!(b.messages(), ["for B", "end B"]);
    let log = daemon.log();
    assert!(
        log.contains("for B2") && log.contains("end B2") && log.contains("no client"),
        "{log}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_log_message_with_no_request_in_flight_reaches_no_client() {
    let daemon = gateway_with_log_server().await;
    let (a, client_a) = listening(&daemon.url()).await;
    let (b, _client_b) = listening(&daemon.url()).await;
    let answer = client_a
        .peer()
        .call_tool(
            CallToolRequestParams::new("lg_log_after").with_arguments(
                json!({ "tag": "idle", "delay_ms": 300 })
                    .as_object()
                    .unwrap()
                    .clone(),
            ),
        )
        .await
        .unwrap();
    assert_eq!(ocimcp_tests::text(&answer), "later idle");
    ocimcp_tests::eventually(
        Duration::from_secs(5),
        "`after idle` in the daemon log",
        || daemon.log().contains("after idle"),
    )
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(a.messages().is_empty(), "{:?}", a.messages());
    assert!(b.messages().is_empty(), "{:?}", b.messages());
}
