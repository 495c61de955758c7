//! The fault-injection suite: one row per backend fault, each with the outcome clients and
//! operators must see. Every row runs a daemon with two backends, `faulty`
//! (`fixtures/python/faulty_server.py`, misbehaving as the row asks) and `healthy` (the
//! same server, behaving), and a watchdog that calls `healthy_echo` every 100 ms for the
//! whole row and must see every call answered correctly.
//!
//! | row | fault | expected |
//! |---|---|---|
//! | exits_at_start | exits before `initialize` | restarted, then quarantined as a crash loop; last error quotes its stderr |
//! | exits_during_initialize | exits after reading `initialize` | same, "exited during initialize" |
//! | crashes_mid_call | exits while serving a call | that call fails within 1 s naming the backend; the next call after the restart works |
//! | hangs_on_one_call | one call never answers | timeout error; other calls to it answered meanwhile; not restarted |
//! | hangs_completely | stops answering anything | the timed-out call's check finds it hung; restarted; calls work again |
//! | stops_answering_pings | pings go unanswered | degraded, then quarantined (tools gone), then recovered by a probe |
//! | crash_loop | crashes at every start | quarantined, tools gone, calls fail naming it; recovered when fixed; both `list_changed` seen |
//! | garbage_on_stdout | non-JSON-RPC lines on stdout | skipped; every call answered; not restarted |
//! | stderr_flood | 50 MB/s on stderr | daemon RSS stays under 200 MB; calls answered |
//! | oversized_response | a 100 MB response | clear error naming the limit; backend kept |
//! | slow_start | 30 s to `initialize` | others serve meanwhile; `/readyz` names it until it is up |
//! | slow_but_progressing | a long call that sends progress | not timed out by the idle limit; one without progress is |
//! | excess_calls | more calls than slots and queue | queued calls wait; beyond the queue, a "busy" error |
//! | restart_keeps_subscriptions | crash with a resource subscription held | re-subscribed after the restart; no `list_changed` |
//! | sigterm_with_calls_in_flight | SIGTERM with 20 calls in flight | finished ones answered, new ones refused, exit 0, no orphans |
//! | a_second_sigterm_skips_the_drain | SIGTERM twice with a long call in flight | the drain stops waiting; the call gets "shutting down"; exit 0 |
//! | daemon_sigkill | the daemon is SIGKILLed | no backend process survives |

// resources/subscribe is deprecated by SEP-2577 but still part of the protocol.
#![allow(deprecated)]

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use nix::sys::signal::Signal;
use ocimcp_tests::{
    Client, Daemon, ToolListWatcher, call, call_until_ok, connect, connect_with, eventually,
    fixture, group_members, text,
};
use rmcp::model::{CallToolRequestParams, CallToolResult, ProtocolVersion, SubscribeRequestParams};
use serde_json::{Value, json};
use tokio::task::JoinHandle;

const CONFIG: &str = "[gateway]\nlisten = \"127.0.0.1:0\"\n[daemon]\nshutdown_grace = \"3s\"\n";

/// Restarts come quickly, so a crash loop shows within seconds.
const QUICK_RESTARTS: &str = "[restart]\nbackoff_min = \"100ms\"\nbackoff_max = \"300ms\"\n";

/// Quarantine is probed often, so recovery shows within seconds.
const QUICK_PROBES: &str = "[health]\nprobe_min = \"500ms\"\nprobe_max = \"1s\"\n";

/// A daemon with `healthy` and `faulty`, a client, and the watchdog on `healthy`.
struct Row {
    daemon: Daemon,
    client: Client,
    watchdog: Watchdog,
}

struct Watchdog {
    stop: Arc<AtomicBool>,
    handle: JoinHandle<(usize, Vec<String>)>,
}

impl Watchdog {
    fn start(url: String) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let handle = tokio::spawn(async move {
            let client = connect(&url, ProtocolVersion::V_2025_11_25).await;
            let (mut answered, mut failures) = (0, Vec::new());
            let mut n = 0u64;
            // At least one call, however soon the row ends.
            loop {
                n += 1;
                let expected = format!("watchdog {n}");
                match call(&client, "healthy_echo", json!({ "text": expected })).await {
                    Ok(result) if text(&result) == expected => answered += 1,
                    Ok(result) => failures.push(format!("call {n}: wrong answer {result:?}")),
                    Err(e) => failures.push(format!("call {n}: {e}")),
                }
                if flag.load(Ordering::Relaxed) {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            (answered, failures)
        });
        Self { stop, handle }
    }

    /// Stops the watchdog and asserts the healthy backend answered every call.
    async fn finish(self) {
        self.stop.store(true, Ordering::Relaxed);
        let (answered, failures) = self.handle.await.expect("watchdog task");
        assert!(
            failures.is_empty(),
            "the healthy backend failed while the other one misbehaved: {failures:?}"
        );
        assert!(answered > 0, "the watchdog made no calls");
    }
}

fn backend_file(args: &[&str], sections: &str) -> String {
    let mut all = vec![format!(
        "\"{}\"",
        fixture("python/faulty_server.py").display()
    )];
    all.extend(args.iter().map(|a| format!("\"{a}\"")));
    format!(
        "command = \"python3\"\nargs = [{}]\n{sections}",
        all.join(", ")
    )
}

impl Row {
    /// Starts the daemon with `faulty` run with `args` and the backend-file `sections`,
    /// waits for `healthy`, and starts the watchdog.
    async fn start(args: &[&str], sections: &str) -> Row {
        Self::start_in(CONFIG, args, sections).await
    }

    /// Like [`Row::start`], with a daemon config of its own.
    async fn start_in(config: &str, args: &[&str], sections: &str) -> Row {
        let healthy = backend_file(&[], "");
        let faulty = backend_file(args, sections);
        let daemon = Daemon::start_with(
            config,
            &[("healthy.toml", &healthy), ("faulty.toml", &faulty)],
            &[],
        );
        let client = connect(&daemon.url(), ProtocolVersion::V_2025_11_25).await;
        call_until_ok(
            &client,
            "healthy_echo",
            json!({"text": "up"}),
            Duration::from_secs(30),
        )
        .await;
        let watchdog = Watchdog::start(daemon.url());
        Row {
            daemon,
            client,
            watchdog,
        }
    }

    /// `faulty` as the operator sees it (its whole last error, stderr included).
    async fn faulty(&self) -> Value {
        self.daemon.listed("faulty").expect("faulty is listed")
    }

    /// Waits until `faulty` is in `state`; returns its entry.
    async fn wait_for_state(&self, state: &str, limit: Duration) -> Value {
        let deadline = Instant::now() + limit;
        loop {
            let faulty = self.faulty().await;
            if faulty["state"] == state {
                return faulty;
            }
            assert!(
                Instant::now() < deadline,
                "faulty did not become {state} within {limit:?}; it is: {faulty:#}\nlog:\n{}",
                self.daemon.log()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn tool_names(&self) -> Vec<String> {
        self.client
            .peer()
            .list_all_tools()
            .await
            .expect("tools/list")
            .into_iter()
            .map(|t| t.name.to_string())
            .collect()
    }

    /// Waits until `faulty` answers calls.
    async fn faulty_up(&self) {
        call_until_ok(
            &self.client,
            "faulty_echo",
            json!({"text": "up"}),
            Duration::from_secs(30),
        )
        .await;
    }

    /// Process ids (and process groups) of both backends.
    fn backend_pids(&self) -> Vec<i32> {
        ["faulty", "healthy"]
            .iter()
            .map(|name| {
                let pid = self.daemon.listed(name).and_then(|b| b["pid"].as_i64());
                pid.and_then(|p| i32::try_from(p).ok())
                    .expect("a backend pid")
            })
            .collect()
    }

    async fn finish(self) {
        self.watchdog.finish().await;
    }

    /// Finishes the watchdog (asserting as `finish` does) and hands back the daemon and
    /// client, for rows that stop the daemon.
    async fn without_watchdog(self) -> (Daemon, Client) {
        self.watchdog.finish().await;
        (self.daemon, self.client)
    }
}

/// Calls `faulty_sleep` in a task of its own; bounded, so a call that never hears back
/// fails the test instead of hanging it.
fn sleep_call(client: &Client, seconds: f64) -> JoinHandle<Result<CallToolResult, String>> {
    let peer = client.peer().clone();
    tokio::spawn(async move {
        let arguments = json!({ "seconds": seconds })
            .as_object()
            .cloned()
            .unwrap_or_default();
        let params = CallToolRequestParams::new("faulty_sleep").with_arguments(arguments);
        tokio::time::timeout(Duration::from_secs(30), peer.call_tool(params))
            .await
            .map_err(|_| "no answer within 30s".to_owned())
            .and_then(|r| r.map_err(|e| e.to_string()))
    })
}

/// Waits until `faulty` has `n` requests in flight, as `ocimcpctl list` reports.
async fn wait_in_flight(daemon: &Daemon, n: u64) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while daemon
        .listed("faulty")
        .and_then(|b| b["in_flight"].as_u64())
        != Some(n)
    {
        assert!(Instant::now() < deadline, "{n} calls did not get in flight");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn assert_contains(haystack: &str, needles: &[&str]) {
    for needle in needles {
        assert!(haystack.contains(needle), "`{needle}` not in: {haystack}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exits_at_start() {
    let row = Row::start(&["--exit-at-start"], QUICK_RESTARTS).await;
    let faulty = row
        .wait_for_state("quarantined", Duration::from_secs(30))
        .await;
    assert!(faulty["restarts"].as_u64() >= Some(4), "{faulty}");
    assert_contains(
        faulty["last_error"].as_str().unwrap_or_default(),
        &["crash loop", "exit code 1", "exiting at start as asked"],
    );
    row.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exits_during_initialize() {
    let row = Row::start(&["--exit-during-init"], QUICK_RESTARTS).await;
    let faulty = row
        .wait_for_state("quarantined", Duration::from_secs(30))
        .await;
    assert_contains(
        faulty["last_error"].as_str().unwrap_or_default(),
        &[
            "exited during initialize",
            "exit code 2",
            "exiting during initialize as asked",
        ],
    );
    row.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crashes_mid_call() {
    let row = Row::start(&[], "").await;
    row.faulty_up().await;
    let started = Instant::now();
    let error = call(&row.client, "faulty_crash", json!({}))
        .await
        .expect_err("a crash mid-call is an error");
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "the error took {:?}",
        started.elapsed()
    );
    assert_contains(&error, &["backend `faulty`"]);
    let after = call_until_ok(
        &row.client,
        "faulty_echo",
        json!({"text": "back"}),
        Duration::from_secs(30),
    )
    .await;
    assert_eq!(text(&after), "back");
    assert_eq!(row.faulty().await["restarts"], 1);
    row.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hangs_on_one_call() {
    let row = Row::start(&[], "[timeouts]\ncall = \"2s\"\n").await;
    row.faulty_up().await;
    let peer = row.client.peer().clone();
    let hung = tokio::spawn(async move {
        let params = CallToolRequestParams::new("faulty_hang");
        peer.call_tool(params).await.map_err(|e| e.to_string())
    });
    // Others are answered while that one hangs.
    for n in 0..5 {
        let expected = format!("meanwhile {n}");
        let result = call(&row.client, "faulty_echo", json!({ "text": expected }))
            .await
            .expect("echo while another call hangs");
        assert_eq!(text(&result), expected);
    }
    let error = hung
        .await
        .expect("join")
        .expect_err("the hung call times out");
    assert_contains(
        &error,
        &[
            "backend `faulty`",
            "did not answer `hang` within 2s",
            "timeouts.call",
        ],
    );
    // The check after the timeout found it answering pings: kept, not restarted.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let faulty = row.faulty().await;
    assert_eq!(faulty["state"], "ready", "{faulty}");
    assert_eq!(faulty["restarts"], 0, "{faulty}");
    row.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hangs_completely() {
    let row = Row::start(
        &[],
        "[timeouts]\ncall = \"2s\"\n[health]\ntimeout = \"1s\"\n",
    )
    .await;
    row.faulty_up().await;
    let error = call(&row.client, "faulty_freeze", json!({}))
        .await
        .expect_err("a frozen backend times out");
    assert_contains(&error, &["timeouts.call"]);
    let after = call_until_ok(
        &row.client,
        "faulty_echo",
        json!({"text": "thawed"}),
        Duration::from_secs(30),
    )
    .await;
    assert_eq!(text(&after), "thawed");
    let faulty = row.faulty().await;
    assert_eq!(faulty["restarts"], 1, "{faulty}");
    assert_contains(
        faulty["last_error"].as_str().unwrap_or_default(),
        &["timed out", "did not answer a ping", "hung"],
    );
    row.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stops_answering_pings() {
    let flag_dir = tempfile::tempdir().expect("temp dir");
    let flag = flag_dir.path().join("freeze");
    let flag_arg = flag.display().to_string();
    let row = Row::start(
        &["--freeze-if-exists", &flag_arg],
        "[health]\ninterval = \"300ms\"\ntimeout = \"300ms\"\nfailures_to_degrade = 1\nfailures_to_quarantine = 4\nprobe_min = \"1s\"\nprobe_max = \"1s\"\n",
    )
    .await;
    row.faulty_up().await;
    let deadline = Instant::now() + Duration::from_secs(10);
    while row.faulty().await["last_ping_ms"].as_f64().is_none() {
        assert!(
            Instant::now() < deadline,
            "a successful ping's latency is reported"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // No call in flight: only the pings notice.
    std::fs::write(&flag, "freeze").expect("freeze the backend");
    let degraded = row
        .wait_for_state("degraded", Duration::from_secs(10))
        .await;
    assert!(
        degraded["consecutive_failures"].as_u64() >= Some(1),
        "{degraded}"
    );
    let quarantined = row
        .wait_for_state("quarantined", Duration::from_secs(10))
        .await;
    assert_contains(
        quarantined["last_error"].as_str().unwrap_or_default(),
        &["health checks failed in a row", "did not answer a ping"],
    );
    assert!(!row.tool_names().await.contains(&"faulty_echo".to_owned()));
    // Fixed, the next probe starts it afresh and it is back by itself.
    std::fs::remove_file(&flag).expect("unfreeze");
    row.wait_for_state("ready", Duration::from_secs(15)).await;
    let after = call_until_ok(
        &row.client,
        "faulty_echo",
        json!({"text": "back"}),
        Duration::from_secs(10),
    )
    .await;
    assert_eq!(text(&after), "back");
    row.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crash_loop() {
    let flag_dir = tempfile::tempdir().expect("temp dir");
    let flag = flag_dir.path().join("crash");
    let flag_arg = flag.display().to_string();
    let row = Row::start(
        &["--crash-if-exists", &flag_arg],
        &format!("{QUICK_RESTARTS}{QUICK_PROBES}"),
    )
    .await;
    row.faulty_up().await;
    let (changes, mut changed) = tokio::sync::mpsc::unbounded_channel();
    let watcher = connect_with(&row.daemon.url(), ToolListWatcher { changes }).await;

    std::fs::write(&flag, "crash").expect("write the crash flag");
    let _ = call(&row.client, "faulty_crash", json!({})).await;
    let quarantined = row
        .wait_for_state("quarantined", Duration::from_secs(30))
        .await;
    assert_contains(
        quarantined["last_error"].as_str().unwrap_or_default(),
        &["crash loop", "exit code 4"],
    );
    tokio::time::timeout(Duration::from_secs(10), changed.recv())
        .await
        .expect("list_changed when quarantined")
        .expect("watcher open");
    let tools = row.tool_names().await;
    assert!(!tools.iter().any(|t| t.starts_with("faulty_")), "{tools:?}");
    assert!(tools.contains(&"healthy_echo".to_owned()));
    let error = call(&row.client, "faulty_echo", json!({"text": "x"}))
        .await
        .expect_err("a quarantined backend's tool fails");
    let shown = row.daemon.ctl(&["show", "faulty"]).stdout;
    assert_contains(
        &shown,
        &[
            "quarantined",
            "next probe",
            "consecutive failures",
            "in flight",
        ],
    );
    let status = row.daemon.ctl(&["status"]).stdout;
    assert_contains(&status, &["IN FLIGHT", "FAILS", "PING", "quarantined"]);
    assert_contains(
        &error,
        &[
            "backend `faulty`",
            "quarantined",
            "last error",
            "exit code 4",
        ],
    );

    std::fs::remove_file(&flag).expect("fix the backend");
    row.wait_for_state("ready", Duration::from_secs(30)).await;
    tokio::time::timeout(Duration::from_secs(10), changed.recv())
        .await
        .expect("list_changed when recovered")
        .expect("watcher open");
    assert!(row.tool_names().await.contains(&"faulty_echo".to_owned()));
    let after = call_until_ok(
        &row.client,
        "faulty_echo",
        json!({"text": "fixed"}),
        Duration::from_secs(10),
    )
    .await;
    assert_eq!(text(&after), "fixed");
    drop(watcher);
    row.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garbage_on_stdout() {
    let row = Row::start(&["--garbage-stdout"], "").await;
    row.faulty_up().await;
    for n in 0..30 {
        let expected = format!("through the garbage {n}");
        let result = call(&row.client, "faulty_echo", json!({ "text": expected }))
            .await
            .expect("echo despite garbage");
        assert_eq!(text(&result), expected);
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let faulty = row.faulty().await;
    assert_eq!(
        (faulty["state"].as_str(), faulty["restarts"].as_u64()),
        (Some("ready"), Some(0))
    );
    assert!(row.daemon.log().contains("not JSON"), "garbage is logged");
    row.finish().await;
}

/// Resident memory of `pid`, in bytes.
fn rss(pid: i32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("proc status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map(|kb| kb * 1024)
        .expect("VmRSS")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stderr_flood() {
    let row = Row::start(&["--stderr-flood", "50"], "").await;
    row.faulty_up().await;
    let mut peak = 0;
    let until = Instant::now() + Duration::from_secs(6);
    while Instant::now() < until {
        peak = peak.max(rss(row.daemon.pid()));
        let result = call(&row.client, "faulty_echo", json!({"text": "loud"}))
            .await
            .expect("echo while flooding");
        assert_eq!(text(&result), "loud");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(
        peak < 200 * 1024 * 1024,
        "daemon RSS reached {} MB",
        peak >> 20
    );
    assert!(
        row.daemon.log().contains("earlier stderr lines not logged"),
        "the flood is throttled in the log"
    );
    row.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_response() {
    let row = Row::start(&[], "").await;
    row.faulty_up().await;
    let error = call(&row.client, "faulty_huge", json!({"mb": 100}))
        .await
        .expect_err("a 100 MB response is refused");
    assert_contains(
        &error,
        &[
            "backend `faulty`",
            "limit of 16 MiB",
            "limits.max_response_bytes",
        ],
    );
    let after = call(&row.client, "faulty_echo", json!({"text": "still here"}))
        .await
        .expect("the backend is kept");
    assert_eq!(text(&after), "still here");
    assert_eq!(row.faulty().await["restarts"], 0);
    assert!(rss(row.daemon.pid()) < 200 * 1024 * 1024);
    row.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_start() {
    let row = Row::start(&["--slow-start", "30"], "[timeouts]\nconnect = \"60s\"\n").await;
    let http = reqwest::Client::new();
    let readyz = |http: reqwest::Client, url: String| async move {
        let response = http.get(url).send().await.expect("GET /readyz");
        let status = response.status().as_u16();
        (status, response.json::<Value>().await.expect("readyz JSON"))
    };
    let (status, body) = readyz(http.clone(), row.daemon.http_url("/readyz")).await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["waiting_for"], json!(["faulty"]));
    assert_eq!(body["backends"]["faulty"], "starting");
    assert_eq!(body["backends"]["healthy"], "ready");
    let after = call_until_ok(
        &row.client,
        "faulty_echo",
        json!({"text": "late"}),
        Duration::from_secs(60),
    )
    .await;
    assert_eq!(text(&after), "late");
    let (status, body) = readyz(http, row.daemon.http_url("/readyz")).await;
    assert_eq!(status, 200, "{body}");
    row.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_but_progressing() {
    let row = Row::start(&[], "[timeouts]\nidle = \"1s\"\n").await;
    row.faulty_up().await;
    let result = call(
        &row.client,
        "faulty_sleep",
        json!({"seconds": 3, "progress_every": 0.3}),
    )
    .await
    .expect("progress keeps a long call alive");
    assert_eq!(text(&result), "slept 3.0s");
    let error = call(&row.client, "faulty_sleep", json!({"seconds": 3}))
        .await
        .expect_err("silence past the idle limit times out");
    assert_contains(
        &error,
        &["sent no progress on `sleep` for 1s", "timeouts.idle"],
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    let faulty = row.faulty().await;
    assert_eq!(
        (faulty["state"].as_str(), faulty["restarts"].as_u64()),
        (Some("ready"), Some(0)),
        "busy is not hung: {faulty}"
    );
    row.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn excess_calls() {
    let row = Row::start(&[], "[limits]\nmax_concurrency = 1\nmax_queue = 1\n").await;
    row.faulty_up().await;
    let mut calls = Vec::new();
    for _ in 0..3 {
        calls.push(sleep_call(&row.client, 2.0));
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let mut answered = 0;
    let mut busy = Vec::new();
    for call in calls {
        match call.await.expect("join") {
            Ok(_) => answered += 1,
            Err(e) => busy.push(e),
        }
    }
    assert_eq!(
        answered, 2,
        "one in flight and one queued are answered: {busy:?}"
    );
    assert_eq!(busy.len(), 1);
    assert_contains(
        &busy[0],
        &[
            "backend `faulty` is busy",
            "limits.max_concurrency = 1",
            "limits.max_queue = 1",
        ],
    );
    row.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restart_keeps_subscriptions() {
    let row = Row::start(&[], QUICK_RESTARTS).await;
    row.faulty_up().await;
    let resources = row
        .client
        .peer()
        .list_all_resources()
        .await
        .expect("resources/list");
    let counter = resources
        .iter()
        .find(|r| r.uri.starts_with("faulty://"))
        .map(|r| r.uri.clone())
        .expect("the faulty backend's resource");
    row.client
        .peer()
        .subscribe(SubscribeRequestParams::new(counter.clone()))
        .await
        .expect("subscribe");
    assert_eq!(held(&row.client).await, "[\"faulty://counter\"]");
    let (changes, mut changed) = tokio::sync::mpsc::unbounded_channel();
    let watcher = connect_with(&row.daemon.url(), ToolListWatcher { changes }).await;

    let _ = call(&row.client, "faulty_crash", json!({})).await;
    row.wait_for_state("ready", Duration::from_secs(30)).await;
    let deadline = Instant::now() + Duration::from_secs(10);
    while held(&row.client).await != "[\"faulty://counter\"]" {
        assert!(
            Instant::now() < deadline,
            "the subscription was not made again after the restart"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(row.faulty().await["restarts"], 1);
    // Same definitions after the restart: clients are not told the lists changed.
    assert!(
        tokio::time::timeout(Duration::from_millis(500), changed.recv())
            .await
            .is_err(),
        "a restart with the same tools must not send list_changed"
    );
    drop(watcher);
    row.finish().await;
}

/// The resources a fresh `faulty` process was asked to subscribe to, as it reports them.
async fn held(client: &Client) -> String {
    call(client, "faulty_subscriptions", json!({}))
        .await
        .map(|r| text(&r))
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_with_calls_in_flight() {
    let row = Row::start(&[], "").await;
    row.faulty_up().await;
    let pids = row.backend_pids();
    // The daemon is about to stop: the watchdog's part is over.
    let (mut daemon, client) = row.without_watchdog().await;

    // Half finish within the grace, half would take a minute.
    let calls: Vec<(f64, _)> = (0..20)
        .map(|n| {
            let seconds = if n % 2 == 0 { 1.5 } else { 60.0 };
            (seconds, sleep_call(&client, seconds))
        })
        .collect();
    wait_in_flight(&daemon, 20).await;
    daemon.signal(Signal::SIGTERM);
    tokio::time::sleep(Duration::from_millis(200)).await;
    let refused = call(&client, "faulty_echo", json!({"text": "late"}))
        .await
        .expect_err("a new call while draining is refused");
    assert_contains(&refused, &["shutting down", "takes no new requests"]);

    let mut answered = 0;
    for (seconds, call) in calls {
        let outcome = call.await.expect("join");
        if seconds < 2.0 {
            let result = outcome
                .unwrap_or_else(|e| panic!("a call that finished within the grace failed: {e}"));
            assert_eq!(text(&result), "slept 1.5s");
            answered += 1;
        } else {
            let error = outcome.expect_err("a minute-long call cannot have finished");
            assert_contains(&error, &["shutting down"]);
        }
    }
    assert_eq!(answered, 10);
    let status = tokio::task::spawn_blocking(move || {
        let status = daemon.wait_exit(Duration::from_secs(20));
        (status, daemon)
    })
    .await
    .expect("join");
    let (status, daemon) = status;
    let status = status.expect("the daemon exits after the drain");
    assert!(status.success(), "exit status {status}");
    for pid in pids {
        assert!(
            group_members(pid).is_empty(),
            "backend group {pid} outlived the daemon"
        );
    }
    drop(daemon);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn daemon_sigkill() {
    let row = Row::start(&[], "").await;
    row.faulty_up().await;
    let pids = row.backend_pids();
    row.watchdog.stop.store(true, Ordering::Relaxed);
    row.daemon.signal(Signal::SIGKILL);
    eventually(
        Duration::from_secs(10),
        "backends die with the daemon",
        || pids.iter().all(|pid| group_members(*pid).is_empty()),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_sigterm_skips_the_drain() {
    let row = Row::start_in(
        "[gateway]\nlisten = \"127.0.0.1:0\"\n[daemon]\nshutdown_grace = \"60s\"\n",
        &[],
        "",
    )
    .await;
    row.faulty_up().await;
    // The daemon is about to stop: the watchdog's part is over.
    let (mut daemon, client) = row.without_watchdog().await;
    let long = sleep_call(&client, 120.0);
    wait_in_flight(&daemon, 1).await;
    daemon.signal(Signal::SIGTERM);
    // The drain waits for the call (grace 60s)...
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert!(
        daemon.wait_exit(Duration::ZERO).is_none(),
        "exited before the second signal"
    );
    // ...until a second signal says not to.
    daemon.signal(Signal::SIGTERM);
    let error = long.await.expect("join").expect_err("the call is cut off");
    assert_contains(&error, &["shutting down"]);
    let (status, daemon) = tokio::task::spawn_blocking(move || {
        let status = daemon.wait_exit(Duration::from_secs(15));
        (status, daemon)
    })
    .await
    .expect("join");
    let status = status.expect("the daemon exits after the second signal");
    assert!(status.success(), "exit status {status}");
    drop(daemon);
}
