//! The official MCP conformance suite (`@modelcontextprotocol/conformance`, pinned in
//! tests/node/) run against the gateway, with our conformance backend behind it as an
//! unprefixed stdio backend: every check of the active suite must pass through the hop, as
//! it does against the suite's own reference fixture (40/40).

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use ocimcp_tests::{Daemon, binary, cache, root};

fn config(stateless: bool) -> String {
    format!(
        "[gateway]\nlisten = \"127.0.0.1:0\"\nstateless = {stateless}\n\n[[backends]]\nname = \"conformance\"\nnamespace = \"\"\ncommand = \"{}\"\n",
        binary("conformance_backend").display()
    )
}

/// Runs the suite's server scenarios against `url`; returns (success, output).
fn run_suite(url: &str, extra: &[&str]) -> (bool, String) {
    let node = cache().join("node/node_modules");
    let cli = node.join("@modelcontextprotocol/conformance/dist/index.js");
    assert!(
        cli.exists(),
        "the conformance suite is missing: run tests/bootstrap.sh (tests/run-all.sh does it)"
    );
    let results = tempfile::tempdir().expect("results dir");
    let output = Command::new(node.join(".bin/node"))
        .arg(cli)
        .args(["server", "--url", url, "-o"])
        .arg(results.path())
        .args(extra)
        .output()
        .expect("run the conformance suite");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), text)
}

/// The suite's summary block.
fn summary(output: &str) -> &str {
    output
        .find("=== SUMMARY ===")
        .map_or(output, |i| &output[i..])
}

/// The scenarios check that the URL is a loopback *name*, so use `localhost`.
fn localhost(daemon: &Daemon) -> String {
    daemon.url().replace("127.0.0.1", "localhost")
}

#[tokio::test(flavor = "multi_thread")]
async fn the_active_suite_passes_through_the_gateway() {
    let daemon = Daemon::start(&config(false));
    daemon.wait_ready(Duration::from_secs(30)).await;
    let (ok, output) = run_suite(&localhost(&daemon), &[]);
    assert!(
        ok,
        "conformance failures through the gateway:\n{}",
        summary(&output)
    );
    assert!(
        summary(&output).contains("Total: 40 passed, 0 failed"),
        "{}",
        summary(&output)
    );

    // The pending (draft) scenarios are run and reported, not required.
    let (_, pending) = run_suite(&localhost(&daemon), &["--suite", "pending"]);
    println!(
        "conformance, pending suite, through the gateway:\n{}",
        summary(&pending)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn stateless_mode_passes_all_but_the_documented_scenarios() {
    let daemon = Daemon::start(&config(true));
    daemon.wait_ready(Duration::from_secs(30)).await;
    let baseline: PathBuf = root().join("tests/conformance/stateless-expected-failures.yml");
    let baseline = baseline.display().to_string();
    // With a baseline the suite fails on any failure or warning not listed, and on any
    // listed scenario that passes (a stale entry).
    let (ok, output) = run_suite(&localhost(&daemon), &["--expected-failures", &baseline]);
    assert!(
        ok,
        "stateless conformance differs from tests/conformance/stateless-expected-failures.yml:\n{}",
        summary(&output)
    );
    println!("conformance in stateless mode:\n{}", summary(&output));
}
