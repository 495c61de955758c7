//! The benchmark suite, run end to end at a small scale: every scenario starts its real
//! processes (the gateway, the Rust and FastMCP echo backends, FastMCP's proxy, the
//! gateway with its built-in OCI tools) and every load completes without errors, and the
//! results land in Markdown, JSON and the docs' results section; `--only builtin` runs the
//! built-in tool call scenario alone and leaves the docs as they are. Speed is not checked
//! here: the targets are the suite's own report.

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

#[test]
fn a_small_run_measures_every_scenario_and_writes_the_results() {
    let out = tempfile::tempdir().unwrap();
    let docs = out.path().join("BENCHMARKS.md");
    std::fs::write(
        &docs,
        "# Benchmarks\n\nProse stays.\n\n<!-- results:begin (written by ocimcp-bench --update-docs) -->\nold\n<!-- results:end -->\n\nTail stays.\n",
    )
    .unwrap();
    let python = ocimcp_tests::venv("fastmcp").join("bin/python");
    let python = python.display().to_string();
    bench(
        &[
            "--python",
            &python,
            // Long enough that the slowest target (FastMCP's proxy at concurrency 64)
            // answers within the window while the rest of the test suite loads the machine.
            "--rounds",
            "1",
            "--duration",
            "0.5",
            "--warmup",
            "0.5",
            "--many-backends",
            "3",
            "--tools-per-backend",
            "4",
            "--repeats",
            "1",
        ],
        out.path(),
        &docs,
    );

    let files: Vec<_> = std::fs::read_dir(out.path().join("results"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    let json = files
        .iter()
        .find(|p| p.extension().is_some_and(|e| e == "json"))
        .expect("a JSON result");
    assert!(
        files
            .iter()
            .any(|p| p.extension().is_some_and(|e| e == "md"))
    );
    let results: Value = serde_json::from_str(&std::fs::read_to_string(json).unwrap()).unwrap();

    let loads = results["loads"].as_array().unwrap();
    for target in ["direct", "ocimcpd", "fastmcp-proxy"] {
        assert!(
            loads.iter().any(|row| row["target"] == target),
            "no {target} row: {results}"
        );
    }
    for concurrency in [1, 64] {
        assert!(
            loads.iter().any(|row| row["backend"] == "builtin"
                && row["target"] == "ocimcpd"
                && row["concurrency"] == concurrency),
            "no built-in row at concurrency {concurrency}: {results}"
        );
    }
    assert_loads_succeeded(loads);
    assert_eq!(results["tools_list"]["report"]["errors"], 0);
    assert_eq!(results["memory"]["many_backends"], 3);
    assert!(results["memory"]["many_backends_mib"].as_f64().unwrap() > 1.0);
    for startup in results["startup"].as_array().unwrap() {
        let ready = startup["ready_ms"].as_f64().unwrap();
        assert!(ready > 0.0 && ready <= startup["first_list_ms"].as_f64().unwrap());
    }
    assert!(results["drop"]["callable_ms"].as_f64().unwrap() > 0.0);
    assert_eq!(results["targets"].as_array().unwrap().len(), 9);
    assert!(
        results["skipped"][0]
            .as_str()
            .unwrap()
            .contains("mcp-proxy"),
        "a peer left out is said so"
    );

    let docs = std::fs::read_to_string(&docs).unwrap();
    assert!(docs.starts_with("# Benchmarks\n\nProse stays."), "{docs}");
    assert!(
        docs.ends_with("<!-- results:end -->\n\nTail stays.\n"),
        "{docs}"
    );
    assert!(
        !docs.contains("\nold\n")
            && docs.contains("### Targets")
            && docs.contains("### Built-in tool call (`oci_list_domains`)"),
        "{docs}"
    );
}

#[test]
fn only_builtin_measures_the_built_in_tool_call_alone_and_leaves_the_docs() {
    let out = tempfile::tempdir().unwrap();
    let docs = out.path().join("BENCHMARKS.md");
    let before = "# Benchmarks\n\n<!-- results:begin (written by ocimcp-bench --update-docs) -->\nfull run\n<!-- results:end -->\n";
    std::fs::write(&docs, before).unwrap();
    // No --python: this scenario runs no Python.
    let (output, stderr) = bench(
        &[
            "--only",
            "builtin",
            "--rounds",
            "2",
            "--duration",
            "0.3",
            "--warmup",
            "0.1",
        ],
        out.path(),
        &docs,
    );
    assert!(stderr.contains("left as it is"), "{stderr}");
    assert_eq!(std::fs::read_to_string(&docs).unwrap(), before);

    let files: Vec<_> = std::fs::read_dir(out.path().join("results"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    let json = files
        .iter()
        .find(|p| p.extension().is_some_and(|e| e == "json"))
        .expect("a JSON result");
    let markdown = files
        .iter()
        .find(|p| p.extension().is_some_and(|e| e == "md"))
        .expect("a Markdown result");
    let results: Value = serde_json::from_str(&std::fs::read_to_string(json).unwrap()).unwrap();
    assert_eq!(results["only"], "builtin");
    assert!(results["memory"].is_null() && results["drop"].is_null());
    let loads = results["loads"].as_array().unwrap();
    // The built-in tool set, and the Rust echo through the gateway as a yardstick.
    let rows: Vec<(&str, u64)> = loads
        .iter()
        .map(|row| {
            assert_eq!(row["target"], "ocimcpd", "{row}");
            (
                row["backend"].as_str().unwrap(),
                row["concurrency"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        rows,
        [("builtin", 1), ("rust", 1), ("builtin", 64), ("rust", 64)]
    );
    assert_loads_succeeded(loads);

    let markdown = std::fs::read_to_string(markdown).unwrap();
    assert!(
        markdown.contains("### Built-in tool call (`oci_list_domains`)")
            && markdown.contains("A partial run")
            && !markdown.contains("### Targets")
            && !markdown.contains("### Memory")
            && !markdown.contains("### Start-up"),
        "{markdown}"
    );
    // The printed report is the same Markdown.
    assert!(String::from_utf8_lossy(&output.stdout).contains("### Built-in tool call"));
}

/// Runs `ocimcp-bench` with `args`, its results in `out/results` and its docs section in
/// `docs`; it must succeed. Returns its output and its stderr.
fn bench(args: &[&str], out: &Path, docs: &Path) -> (Output, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_ocimcp-bench"))
        .args(args)
        .arg("--out")
        .arg(out.join("results"))
        .arg("--update-docs")
        .arg(docs)
        .output()
        .expect("run ocimcp-bench");
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(output.status.success(), "ocimcp-bench failed:\n{stderr}");
    (output, stderr)
}

/// Every load row made requests, none failed, and latency was measured.
fn assert_loads_succeeded(loads: &[Value]) {
    for row in loads {
        let report = &row["report"];
        assert!(report["requests"].as_u64().expect("requests") > 0, "{row}");
        assert_eq!(report["errors"], 0, "{row}");
        assert!(report["p50_ms"].as_f64().expect("p50_ms") > 0.0, "{row}");
    }
}
