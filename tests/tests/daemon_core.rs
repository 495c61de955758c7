//! The daemon core, end to end: real Python MCP backends in their own venvs, a remote
//! Streamable HTTP backend, real clients in both protocol eras, crashes, broken backends,
//! config errors, signals and concurrency.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use nix::sys::signal::Signal;
use ocimcp_tests::in_process::{InProcessDaemon, socket_answers};
use ocimcp_tests::{
    Daemon, RemoteServer, alive, backend, call, call_text, call_until_ok, connect,
    connect_discover, eventually, fixture, group_members, health, python_client, text, venv,
};
use rmcp::model::ProtocolVersion;
use serde_json::{Value, json};

/// The `mcp` 2.3.0 MCPServer backend, importing a helper found only through `pythonpath`.
fn py_backend(name: &str) -> String {
    format!(
        r#"
[[backends]]
name = "{name}"
venv = "{venv}"
command = "python"
args = ["{server}"]
pythonpath = ["lib"]
cwd = "{fixtures}"
env = {{ ECHO_MODE = "test" }}
restart = {{ backoff_min = "200ms", backoff_max = "2s" }}
"#,
        venv = venv("mcp").display(),
        server = fixture("python/mcp_echo_server.py").display(),
        fixtures = fixture("python").display(),
    )
}

/// The FastMCP 4.1.2 backend, from its own venv (no `command`: the venv's python).
fn fastmcp_backend(name: &str) -> String {
    format!(
        r#"
[[backends]]
name = "{name}"
venv = "{venv}"
args = ["{server}"]
"#,
        venv = venv("fastmcp").display(),
        server = fixture("python/fastmcp_server.py").display(),
    )
}

const LISTEN: &str = "[gateway]\nlisten = \"127.0.0.1:0\"\n";

fn tool_names(tools: &[rmcp::model::Tool]) -> HashSet<String> {
    tools.iter().map(|t| t.name.to_string()).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn aggregates_two_venvs_and_a_remote_backend_for_every_client() {
    let remote = RemoteServer::start("s3cret-token");
    let config = format!(
        "{LISTEN}{}{}\n[[backends]]\nname = \"remote\"\ntransport = \"streamable_http\"\nurl = \"{}\"\nheaders = {{ Authorization = \"Bearer s3cret-token\" }}\n",
        py_backend("py"),
        fastmcp_backend("fm"),
        remote.url
    );
    let daemon = Daemon::start_with(&config, &[], &[("OCIMCP_TEST_SECRET", "must-not-leak")]);
    daemon.wait_ready(Duration::from_secs(60)).await;

    let expected: HashSet<String> = [
        "gateway_health",
        "gateway_list_backends",
        "py_echo",
        "py_greet",
        "py_slow_echo",
        "py_env",
        "py_grow",
        "py_meta",
        "py_link",
        "fm_shout",
        "fm_count",
        "fm_forecast",
        "remote_reverse",
    ]
    .map(String::from)
    .into();
    let calls = json!([
        ["py_echo", {"message": "hi"}],
        ["py_greet", {"name": "operator"}],
        ["fm_shout", {"text": "loud"}],
        ["remote_reverse", {"text": "gateway"}]
    ]);
    let wanted = [
        "py-echo: hi",
        "hello, operator, from echo_helpers",
        "LOUD!",
        "yawetag",
    ];

    // The official Python client, in both protocol eras.
    for (mode, version) in [("auto", "2026-07-28"), ("legacy", "2025-11-25")] {
        let report = python_client(&daemon.url(), mode, &calls);
        assert_eq!(report["protocol_version"], version, "{report}");
        let names: HashSet<String> = report["tools"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t.as_str().unwrap().to_owned())
            .collect();
        assert_eq!(names, expected, "Python client ({mode}) tool list");
        for (result, want) in report["results"].as_array().unwrap().iter().zip(wanted) {
            assert_eq!(result["is_error"], false, "{result}");
            assert_eq!(result["text"][0], want, "Python client ({mode}): {result}");
        }
    }

    // rmcp clients: two handshake versions, and the 2026-07-28 discover lifecycle.
    for version in [ProtocolVersion::V_2025_03_26, ProtocolVersion::V_2025_11_25] {
        let client = connect(&daemon.url(), version.clone()).await;
        assert_eq!(client.peer_info().unwrap().protocol_version, version);
        assert_eq!(
            tool_names(&client.list_all_tools().await.unwrap()),
            expected
        );
        for ((name, args), want) in [
            ("py_echo", json!({"message": "hi"})),
            ("py_greet", json!({"name": "operator"})),
            ("fm_shout", json!({"text": "loud"})),
            ("remote_reverse", json!({"text": "gateway"})),
        ]
        .into_iter()
        .zip(wanted)
        {
            let result = call(&client, name, args).await.unwrap();
            assert_eq!(
                text(&result),
                want,
                "rmcp client ({version}) calling {name}"
            );
        }
        client.cancel().await.unwrap();
    }
    let modern = connect_discover(&daemon.url()).await;
    assert_eq!(
        modern.peer_info().unwrap().protocol_version,
        ProtocolVersion::V_2026_07_28
    );
    assert_eq!(
        call_text(&modern, "fm_shout", json!({"text": "new"})).await,
        "NEW!"
    );

    // The child got a clean environment: the spec's env and the venv, not the daemon's.
    let client = connect(&daemon.url(), ProtocolVersion::V_2025_11_25).await;
    let env = |name: &'static str| {
        let client = &client;
        async move { call_text(client, "py_env", json!({ "name": name })).await }
    };
    assert_eq!(env("OCIMCP_TEST_SECRET").await, "");
    assert_eq!(env("ECHO_MODE").await, "test");
    assert_eq!(env("VIRTUAL_ENV").await, venv("mcp").display().to_string());
    assert!(env("PYTHONPATH").await.ends_with("fixtures/python/lib"));

    let health = health(&client).await;
    for name in ["py", "fm", "remote"] {
        assert_eq!(backend(&health, name)["state"], "ready", "{health}");
    }
    assert_eq!(backend(&health, "remote")["transport"], "streamable_http");
    assert_eq!(health["tool_count"], 13);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_killed_backend_fails_fast_then_comes_back() {
    let daemon = Daemon::start(&format!(
        "{LISTEN}{}{}",
        py_backend("py"),
        fastmcp_backend("fm")
    ));
    daemon.wait_ready(Duration::from_secs(60)).await;
    let client = connect(&daemon.url(), ProtocolVersion::V_2025_11_25).await;
    let pid = backend_pid(&daemon, "py");

    nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), Signal::SIGKILL).unwrap();
    eventually(
        Duration::from_secs(5),
        "the killed backend to be reaped",
        || !alive(pid),
    )
    .await;
    // Give the daemon a moment to notice; then the call must fail at once, naming the backend.
    tokio::time::sleep(Duration::from_millis(100)).await;
    let started = Instant::now();
    let error = call(&client, "py_echo", json!({"message": "x"}))
        .await
        .expect_err("py is down");
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "failing took {:?}",
        started.elapsed()
    );
    assert!(error.contains("backend `py`"), "{error}");
    // The other backend is untouched.
    assert_eq!(
        call_text(&client, "fm_shout", json!({"text": "ok"})).await,
        "OK!"
    );

    // Back well within the backoff (200ms..2s here).
    let back = call_until_ok(
        &client,
        "py_echo",
        json!({"message": "back"}),
        Duration::from_secs(10),
    )
    .await;
    assert_eq!(text(&back), "py-echo: back");
    let health = health(&client).await;
    let py = backend(&health, "py");
    assert_eq!(py["restarts"], 1, "{py}");
    assert_eq!(py["last_exit"], "killed by signal 9 (SIGKILL)", "{py}");
    assert_eq!(py["state"], "ready");
    // Clients are not told process ids; the operator is.
    assert!(py["pid"].is_null(), "{py}");
    assert_ne!(backend_pid(&daemon, "py"), pid);
}

#[tokio::test(flavor = "multi_thread")]
async fn broken_backends_never_stop_the_others() {
    let config = format!(
        r#"{LISTEN}
[[backends]]
name = "missing"
command = "ocimcp-no-such-command"

[[backends]]
name = "quitter"
command = "{python}"
args = ["{quitter}"]
restart = {{ backoff_min = "5s" }}
{py}"#,
        python = venv("mcp").join("bin/python").display(),
        quitter = fixture("python/exit_during_init.py").display(),
        py = py_backend("py"),
    );
    let daemon = Daemon::start(&config);
    // Ready means every backend became ready or failed once.
    daemon.wait_ready(Duration::from_secs(60)).await;
    let client = connect(&daemon.url(), ProtocolVersion::V_2025_11_25).await;
    assert_eq!(
        call_text(&client, "py_echo", json!({"message": "fine"})).await,
        "py-echo: fine"
    );

    let health = health(&client).await;
    let missing = backend(&health, "missing");
    assert_ne!(missing["state"], "ready");
    let error = missing["last_error"].as_str().unwrap();
    assert!(
        error.contains("command `ocimcp-no-such-command` not found in PATH"),
        "{error}"
    );

    let quitter = backend(&health, "quitter");
    assert_ne!(quitter["state"], "ready");
    let error = quitter["last_error"].as_str().unwrap();
    assert!(
        error.contains("exited during initialize (exit code 3)"),
        "{error}"
    );
    // Its stderr is for the operator: `ocimcpctl` shows it, clients are told where to look.
    assert!(
        !error.contains("refusing to initialize") && error.contains("ocimcpctl show"),
        "clients get no stderr: {error}"
    );
    assert_eq!(quitter["last_exit"], "exit code 3");
    assert!(quitter["pid"].is_null(), "{quitter}");
    let shown = daemon.listed("quitter").expect("quitter is listed");
    assert!(
        shown["last_error"]
            .as_str()
            .is_some_and(|e| e.contains("refusing to initialize")),
        "the stderr tail belongs in the operator's error: {shown}"
    );

    // Their tools simply are not there; the gateway's and py's are.
    let names = tool_names(&client.list_all_tools().await.unwrap());
    assert!(names.contains("py_echo") && names.contains("gateway_health"));
    assert!(
        !names
            .iter()
            .any(|n| n.starts_with("missing_") || n.starts_with("quitter_"))
    );

    let table = call_text(&client, "gateway_list_backends", json!({})).await;
    assert!(table.starts_with("| backend | state |"), "{table}");
    assert!(table.contains("| py | ready | stdio | py | 7 |"), "{table}");
    let listed = call(
        &client,
        "gateway_list_backends",
        json!({"response_format": "json"}),
    )
    .await
    .unwrap();
    let listed = listed.structured_content.expect("structured JSON");
    assert_eq!(listed["backends"].as_array().unwrap().len(), 3);
}

#[tokio::test(flavor = "multi_thread")]
async fn sigterm_stops_every_backend_process_and_grandchild() {
    let python = venv("mcp").join("bin/python");
    let server = fixture("python/mcp_echo_server.py");
    let lib = fixture("python/lib");
    let config = format!(
        r#"{LISTEN}{py}
# A wrapper leaving a grandchild (sleep) in the backend's process group.
[[backends]]
name = "wrapped"
command = "sh"
args = ["-c", "sleep 300 & exec {python} {server}"]
env = {{ PYTHONPATH = "{lib}" }}

# Ignores SIGTERM: only the SIGKILL after its stop grace ends it.
[[backends]]
name = "stubborn"
command = "sh"
args = ["-c", "trap '' TERM; exec {python} {server}"]
env = {{ PYTHONPATH = "{lib}" }}
timeouts = {{ stop = "1s" }}
"#,
        py = py_backend("py"),
        python = python.display(),
        server = server.display(),
        lib = lib.display(),
    );
    let mut daemon = Daemon::start(&config);
    daemon.wait_ready(Duration::from_secs(60)).await;
    let client = connect(&daemon.url(), ProtocolVersion::V_2025_11_25).await;
    let health = health(&client).await;
    let mut processes = Vec::new();
    for name in ["py", "wrapped", "stubborn"] {
        assert_eq!(backend(&health, name)["state"], "ready", "{health}");
        processes.extend(group_members(backend_pid(&daemon, name)));
    }
    let wrapped = backend_pid(&daemon, "wrapped");
    assert!(
        group_members(wrapped).len() >= 2,
        "the wrapper's sleep should share its group"
    );
    drop(client);

    let started = Instant::now();
    daemon.signal(Signal::SIGTERM);
    let status = daemon
        .wait_exit(Duration::from_secs(10))
        .expect("daemon exits after SIGTERM");
    assert_eq!(status.code(), Some(0), "exit status {status}");
    // The longest stop grace is 5s (py's default); stubborn needs its 1s grace then SIGKILL.
    assert!(
        started.elapsed() < Duration::from_secs(8),
        "shutdown took {:?}",
        started.elapsed()
    );
    let left: Vec<i32> = processes
        .iter()
        .copied()
        .filter(|&pid| alive(pid))
        .collect();
    assert!(left.is_empty(), "processes left after shutdown: {left:?}");
    assert!(daemon.log().contains("backend stopped"), "{}", daemon.log());
}

#[tokio::test(flavor = "multi_thread")]
async fn sigkill_to_the_daemon_takes_its_children_along() {
    let mut daemon = Daemon::start(&format!(
        "{LISTEN}{}{}",
        py_backend("py"),
        fastmcp_backend("fm")
    ));
    daemon.wait_ready(Duration::from_secs(60)).await;
    let pids: Vec<i32> = ["py", "fm"]
        .iter()
        .map(|n| backend_pid(&daemon, n))
        .collect();
    assert!(pids.iter().all(|&pid| alive(pid)));

    daemon.signal(Signal::SIGKILL);
    daemon
        .wait_exit(Duration::from_secs(5))
        .expect("daemon killed");
    for pid in pids {
        eventually(
            Duration::from_secs(5),
            &format!("backend process {pid} to die with the daemon"),
            || !alive(pid),
        )
        .await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn two_hundred_concurrent_calls_over_twenty_sessions_never_cross() {
    let daemon = Daemon::start(&format!("{LISTEN}{}", py_backend("py")));
    daemon.wait_ready(Duration::from_secs(60)).await;

    let mut clients = Vec::new();
    for _ in 0..20 {
        clients.push(connect(&daemon.url(), ProtocolVersion::V_2025_11_25).await);
    }
    let mut calls = tokio::task::JoinSet::new();
    for (session, client) in clients.iter().enumerate() {
        for n in 0..10 {
            let peer = client.peer().clone();
            // Delays make the shared backend answer out of order.
            let delay = (session * 7 + n * 13) % 60;
            calls.spawn(async move {
                let message = format!("session {session} call {n}");
                let params = rmcp::model::CallToolRequestParams::new("py_slow_echo")
                    .with_arguments(
                        json!({"message": message, "delay_ms": delay})
                            .as_object()
                            .unwrap()
                            .clone(),
                    );
                let result = peer.call_tool(params).await.map_err(|e| e.to_string());
                (message, result)
            });
        }
    }
    let mut done = 0;
    while let Some(joined) = calls.join_next().await {
        let (message, result) = joined.unwrap();
        let result = result.unwrap_or_else(|e| panic!("{message}: {e}"));
        assert_eq!(text(&result), message);
        done += 1;
    }
    assert_eq!(done, 200);
    let client = &clients[0];
    assert_eq!(backend(&health(client).await, "py")["restarts"], 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_hanging_backend_delays_neither_the_others_nor_health() {
    let daemon = Daemon::start(&format!(
        "{LISTEN}\n[[backends]]\nname = \"slow\"\ncommand = \"sh\"\nargs = [\"-c\", \"sleep 30\"]\ntimeouts = {{ connect = \"25s\" }}\n{}",
        py_backend("py")
    ));
    let http = reqwest::Client::new();
    let healthz = http.get(daemon.http_url("/healthz")).send().await.unwrap();
    assert_eq!(healthz.status(), 200);
    let missing = http.get(daemon.http_url("/nope")).send().await.unwrap();
    assert_eq!(missing.status(), 404);

    // `py` comes up and serves while `slow` still hangs in initialize.
    let client = connect(&daemon.url(), ProtocolVersion::V_2025_11_25).await;
    call_until_ok(
        &client,
        "py_echo",
        json!({"message": "meanwhile"}),
        Duration::from_secs(20),
    )
    .await;
    let health = health(&client).await;
    assert_eq!(backend(&health, "slow")["state"], "starting");
    assert_eq!(health["settled"], false);

    // `slow` has neither answered nor failed yet: not ready, and /readyz says who.
    let readyz = http.get(daemon.http_url("/readyz")).send().await.unwrap();
    assert_eq!(readyz.status(), 503);
    let body: Value = readyz.json().await.unwrap();
    assert_eq!(body["waiting_for"], json!(["slow"]));
    // A page that rebinds a DNS name to the gateway learns whether it is ready, not what
    // runs behind it.
    let rebound = http
        .get(daemon.http_url("/readyz"))
        .header("host", "attacker.example")
        .send()
        .await
        .unwrap();
    assert_eq!(rebound.status(), 503);
    let body: Value = rebound.json().await.unwrap();
    assert_eq!(body["ready"], false);
    assert!(
        body.get("waiting_for").is_none() && body.get("backends").is_none(),
        "{body}"
    );
    assert!(!body.to_string().contains("slow"), "{body}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_remote_backend_that_goes_away_is_noticed_and_reconnected() {
    let remote = RemoteServer::start("tok");
    let config = format!(
        "{LISTEN}\n[[backends]]\nname = \"remote\"\ntransport = \"streamable_http\"\nurl = \"{}\"\nheaders = {{ Authorization = \"Bearer tok\" }}\nrestart = {{ backoff_min = \"200ms\", backoff_max = \"1s\" }}\n",
        remote.url
    );
    let daemon = Daemon::start(&config);
    daemon.wait_ready(Duration::from_secs(60)).await;
    let client = connect(&daemon.url(), ProtocolVersion::V_2025_11_25).await;
    assert_eq!(
        call_text(&client, "remote_reverse", json!({"text": "ab"})).await,
        "ba"
    );

    let port = remote.port;
    drop(remote);
    let error = call(&client, "remote_reverse", json!({"text": "ab"}))
        .await
        .expect_err("the remote is gone");
    assert!(error.contains("backend `remote`"), "{error}");
    // The broken request makes the gateway check the backend; it does not answer, so it is
    // no longer reported ready and reconnection starts.
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let health = health(&client).await;
        let remote = backend(&health, "remote");
        if remote["state"] != "ready" {
            let error = remote["last_error"].as_str().unwrap_or_default();
            assert!(error.contains("ping"), "{remote}");
            break;
        }
        assert!(
            Instant::now() < deadline,
            "remote still reported ready: {remote}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    let _back = RemoteServer::start_on("tok", port);
    let back = call_until_ok(
        &client,
        "remote_reverse",
        json!({"text": "back"}),
        Duration::from_secs(20),
    )
    .await;
    assert_eq!(text(&back), "kcab");
    assert!(
        backend(&health(&client).await, "remote")["restarts"]
            .as_u64()
            .unwrap()
            >= 1
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_second_sigterm_stops_without_waiting() {
    let python = venv("mcp").join("bin/python");
    let config = format!(
        r#"{LISTEN}
# Ignores SIGTERM and has a long stop grace; leaves a grandchild in its group.
[[backends]]
name = "stubborn"
command = "sh"
args = ["-c", "trap '' TERM; sleep 300 & exec {python} {server}"]
env = {{ PYTHONPATH = "{lib}" }}
timeouts = {{ stop = "60s" }}
"#,
        python = python.display(),
        server = fixture("python/mcp_echo_server.py").display(),
        lib = fixture("python/lib").display(),
    );
    let mut daemon = Daemon::start(&config);
    daemon.wait_ready(Duration::from_secs(60)).await;
    let client = connect(&daemon.url(), ProtocolVersion::V_2025_11_25).await;
    let pid = backend_pid(&daemon, "stubborn");
    let processes = group_members(pid);
    assert!(
        processes.len() >= 2,
        "the backend and its sleep: {processes:?}"
    );
    drop(client);

    daemon.signal(Signal::SIGTERM);
    // The first signal waits for the 60s grace; a second one must not.
    assert!(
        daemon.wait_exit(Duration::from_millis(700)).is_none(),
        "exited before the second signal"
    );
    let started = Instant::now();
    daemon.signal(Signal::SIGTERM);
    let status = daemon
        .wait_exit(Duration::from_secs(10))
        .expect("exit after the second SIGTERM");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "took {:?}",
        started.elapsed()
    );
    assert_eq!(status.code(), Some(0), "{status}");
    eventually(
        Duration::from_secs(5),
        "the backend's whole process group to be gone",
        || processes.iter().all(|&p| !alive(p)),
    )
    .await;
}

/// The seam the binary uses: `ocimcpd::run` on listeners bound by its caller (here the
/// test, on 127.0.0.1:0 and a temp dir), serving MCP and the admin socket until its
/// shutdown token fires, then removing its sockets.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_serves_on_listeners_bound_by_its_caller_and_stops_on_its_token() {
    let config = format!(
        "[gateway]\nlisten = \"127.0.0.1:0\"\n\n[builtin]\noci = false\n{}",
        py_backend("py")
    );
    let daemon = InProcessDaemon::start(&config, |_| {}).await;
    let runtime = daemon.runtime_dir();
    let client = connect_discover(&daemon.url()).await;
    let answer = call_until_ok(
        &client,
        "py_echo",
        json!({ "message": "in process" }),
        Duration::from_secs(30),
    )
    .await;
    assert!(text(&answer).contains("in process"), "{answer:?}");
    let tools = client.list_all_tools().await.expect("tools/list");
    assert!(tools.iter().any(|t| t.name == "gateway_health"));
    assert!(socket_answers(&runtime.join("admin.sock")));
    assert!(socket_answers(&runtime.join("mcp.sock")));
    drop(client);
    tokio::time::timeout(Duration::from_secs(30), daemon.stop())
        .await
        .expect("run returns after its shutdown token fires");
    assert!(!runtime.join("admin.sock").exists());
    assert!(!runtime.join("mcp.sock").exists());
}

/// A backend's process id, as the operator sees it (`ocimcpctl list`).
fn backend_pid(daemon: &Daemon, name: &str) -> i32 {
    daemon
        .listed(name)
        .and_then(|b| b["pid"].as_i64())
        .unwrap_or_else(|| panic!("{name} has no pid")) as i32
}
