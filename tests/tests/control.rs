//! The control plane end to end: the real `ocimcpctl` against a real daemon (every
//! command, both output modes, the exit codes), backends.d changes applied live,
//! discovery with enablement that survives a restart, the stdio bridge across a daemon
//! restart, and the admin socket refusing a peer without permission.

use std::io::{BufRead, BufReader, Lines, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Child, ChildStdout, Command, Stdio};
use std::time::Duration;

use ocimcp_tests::{
    Daemon, ToolListWatcher, binary, call_text, connect, ctl_in, eventually, fixture, venv,
};
use rmcp::model::ProtocolVersion;
use serde_json::{Value, json};

const LISTEN: &str = "[gateway]\nlisten = \"127.0.0.1:0\"\n";

/// A `backends.d/` file for the `mcp` echo fixture; `marker` ends up in its environment,
/// so changing it changes the spec.
fn echo_file(marker: &str) -> String {
    format!(
        r#"venv = "{venv}"
command = "python"
args = ["{server}"]
pythonpath = ["lib"]
cwd = "{fixtures}"
env = {{ ECHO_MODE = "{marker}" }}
restart = {{ backoff_min = "200ms", backoff_max = "2s" }}
"#,
        venv = venv("mcp").display(),
        server = fixture("python/mcp_echo_server.py").display(),
        fixtures = fixture("python").display(),
    )
}

/// `ocimcpctl check-config` runs the real `ocimcpd --check-config` beside it: its verdict,
/// its exit status, and with `--json` the report scripts read. No daemon runs.
#[test]
fn check_config_is_the_daemons_own_verdict() {
    // Both binaries must be built and fresh: ocimcpctl runs the ocimcpd beside it.
    binary("ocimcpd");
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good.toml");
    std::fs::write(&good, "[gateway]\nlisten = \"127.0.0.1:9100\"\n").unwrap();
    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, "[gateway]\nlisten = \"nowhere\"\n").unwrap();
    let nowhere = dir.path().join("run");

    let ok = ctl_in(&nowhere, &["check-config", good.to_str().unwrap()]);
    assert_eq!(ok.code, 0, "{ok:?}");
    assert!(ok.stdout.contains("configuration OK"), "{ok:?}");
    let report = ctl_in(
        &nowhere,
        &["--json", "check-config", good.to_str().unwrap()],
    )
    .json();
    assert_eq!(report["valid"], true, "{report}");
    assert_eq!(report["source"], good.display().to_string(), "{report}");

    let failed = ctl_in(&nowhere, &["check-config", bad.to_str().unwrap()]);
    assert_eq!(failed.code, 1, "{failed:?}");
    assert!(
        failed.stderr.contains("invalid configuration"),
        "{failed:?}"
    );
    assert!(failed.stderr.contains("bad.toml:2"), "{failed:?}");
    let failed = ctl_in(&nowhere, &["--json", "check-config", bad.to_str().unwrap()]);
    assert_eq!(failed.code, 1, "{failed:?}");
    let report = failed.json();
    assert_eq!(report["valid"], false, "{report}");
    assert!(
        report["errors"][0].as_str().unwrap().contains("bad.toml:2"),
        "{report}"
    );
}

fn state_of(daemon: &Daemon, name: &str) -> String {
    daemon
        .listed(name)
        .map(|b| b["state"].as_str().unwrap_or("").to_owned())
        .unwrap_or_default()
}

fn pid_of(daemon: &Daemon, name: &str) -> Option<i64> {
    daemon.listed(name).and_then(|b| b["pid"].as_i64())
}

#[tokio::test(flavor = "multi_thread")]
async fn every_command_in_both_output_modes_with_exit_codes() {
    let daemon = Daemon::start_with(
        LISTEN,
        &[
            ("alpha.toml", &echo_file("a")),
            ("beta.toml", &echo_file("b")),
        ],
        &[],
    );
    daemon.wait_ready(Duration::from_secs(60)).await;

    // status / list / show, human and JSON.
    let status = daemon.ctl(&["status"]);
    assert_eq!(status.code, 0, "{status:?}");
    assert!(status.stdout.contains("NAME") && status.stdout.contains("LAST ERROR"));
    let alpha_line = status
        .stdout
        .lines()
        .find(|l| l.starts_with("alpha"))
        .unwrap();
    assert!(
        alpha_line.contains("ready") && alpha_line.contains("stdio"),
        "{alpha_line}"
    );
    assert!(
        !status.stdout.contains('\u{1b}'),
        "no colour when not on a terminal"
    );
    let status = daemon.ctl_json(&["status"]);
    assert_eq!(status["daemon"]["pid"], daemon.pid());
    assert_eq!(status["backends"].as_array().unwrap().len(), 2);
    assert_eq!(daemon.listed("beta").unwrap()["state"], "ready");
    let show = daemon.ctl(&["show", "alpha"]);
    assert_eq!(show.code, 0, "{show:?}");
    assert!(show.stdout.contains("alpha_echo") && show.stdout.contains("mcp_echo_server.py"));
    let show = daemon.ctl_json(&["show", "alpha"]);
    assert_eq!(show["enabled_by"], "spec");
    assert!(show["origin"].as_str().unwrap().ends_with("alpha.toml:1:1"));

    // tools and call.
    let tools = daemon.ctl(&["tools"]);
    assert!(tools.stdout.contains("gateway_health") && tools.stdout.contains("beta_echo"));
    let only_alpha = daemon.ctl_json(&["tools", "--backend", "alpha"]);
    let names: Vec<&str> = only_alpha["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"alpha_echo") && names.iter().all(|n| n.starts_with("alpha_")));
    let called = daemon.ctl(&["call", "alpha_echo", "--arg", "message=hello"]);
    assert_eq!(called.code, 0, "{called:?}");
    assert_eq!(called.stdout.trim(), "py-echo: hello");
    let called = daemon.ctl_json(&["call", "beta_echo", "--json-args", r#"{"message": "x"}"#]);
    assert_eq!(called["content"][0]["text"], "py-echo: x");
    let unknown_tool = daemon.ctl(&["call", "nope_tool"]);
    assert_eq!(unknown_tool.code, 1);
    assert!(
        unknown_tool.stderr.contains("not in the gateway's catalog"),
        "{unknown_tool:?}"
    );

    // A client session sees stop/start/disable/enable as list changes.
    let client = connect(&daemon.url(), ProtocolVersion::V_2025_06_18).await;
    let stopped = daemon.ctl(&["stop", "beta"]);
    assert_eq!(stopped.code, 0, "{stopped:?}");
    assert!(
        stopped.stdout.contains("beta: stopped; now stopped"),
        "{stopped:?}"
    );
    let listed = client.list_all_tools().await.unwrap();
    assert!(!listed.iter().any(|t| t.name == "beta_echo"));
    let started = daemon.ctl(&["start", "beta"]);
    assert_eq!(started.code, 0, "{started:?}");
    assert!(started.stdout.contains("now ready"), "{started:?}");
    assert_eq!(
        call_text(&client, "beta_echo", json!({"message": "back"})).await,
        "py-echo: back"
    );

    let before = pid_of(&daemon, "alpha").unwrap();
    let restarted = daemon.ctl_json(&["restart", "alpha"]);
    assert_eq!(restarted["backend"]["state"], "ready");
    assert_ne!(restarted["backend"]["pid"].as_i64().unwrap(), before);

    let (changes, mut changed) = tokio::sync::mpsc::unbounded_channel();
    let watcher = ocimcp_tests::connect_with(&daemon.url(), ToolListWatcher { changes }).await;
    let disabled = daemon.ctl(&["disable", "alpha"]);
    assert_eq!(disabled.code, 0, "{disabled:?}");
    assert_eq!(state_of(&daemon, "alpha"), "disabled");
    tokio::time::timeout(Duration::from_secs(10), changed.recv())
        .await
        .expect("tools/list_changed after disable")
        .expect("watcher alive");
    let tools = watcher.list_all_tools().await.unwrap();
    assert!(!tools.iter().any(|t| t.name.starts_with("alpha_")));
    let refused = daemon.ctl(&["start", "alpha"]);
    assert_eq!(refused.code, 1);
    assert!(refused.stderr.contains("enable it first"), "{refused:?}");
    let enabled = daemon.ctl_json(&["enable", "alpha"]);
    assert_eq!(enabled["backend"]["state"], "ready");
    assert_eq!(enabled["backend"]["enabled_by"], "state");
    tokio::time::timeout(Duration::from_secs(10), changed.recv())
        .await
        .expect("tools/list_changed after enable")
        .expect("watcher alive");
    let tools = watcher.list_all_tools().await.unwrap();
    assert!(tools.iter().any(|t| t.name == "alpha_echo"));
    let state_file: Value = serde_json::from_str(
        &std::fs::read_to_string(daemon.dir.path().join("state/enabled.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(state_file["backends"]["alpha"], true);

    // reload with nothing changed.
    let reloaded = daemon.ctl(&["reload"]);
    assert_eq!(reloaded.code, 0, "{reloaded:?}");
    assert!(
        reloaded.stdout.contains("no backend changed"),
        "{reloaded:?}"
    );
    assert_eq!(daemon.ctl_json(&["reload"])["unchanged"], 2);

    // logs: the daemon's, a backend's, and following.
    let logs = daemon.ctl(&["logs", "-n", "200"]);
    assert!(logs.stdout.contains("backend ready"), "{logs:?}");
    let json_lines = daemon.ctl(&["--json", "logs", "-n", "3"]);
    let parsed: Vec<Value> = json_lines
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(parsed.len(), 3, "{json_lines:?}");
    assert!(
        parsed
            .iter()
            .all(|l| l["source"] == "ocimcpd" && l["line"].is_string())
    );
    assert_eq!(daemon.ctl(&["logs", "alpha"]).code, 0);
    let mut follow = Command::new(binary("ocimcpctl"))
        .arg("--runtime-dir")
        .arg(daemon.runtime_dir())
        .args(["logs", "-f", "-n", "0"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut followed = BufReader::new(follow.stdout.take().unwrap()).lines();
    // Give the follower a moment to subscribe, then make the daemon log something.
    tokio::time::sleep(Duration::from_millis(500)).await;
    daemon.ctl(&["restart", "beta"]);
    let line = followed.next().unwrap().unwrap();
    assert!(line.contains("beta") || line.contains("backend"), "{line}");
    follow.kill().unwrap();
    let _ = follow.wait();

    // discover with nothing configured, check-config against the daemon's file.
    let nothing = daemon.ctl(&["discover"]);
    assert!(
        nothing.stdout.contains("No scan paths are configured"),
        "{nothing:?}"
    );
    let config = daemon.dir.path().join("ocimcpd.toml");
    let check = daemon.ctl(&["check-config", config.to_str().unwrap()]);
    assert_eq!(check.code, 0, "{check:?}");
    assert!(check.stdout.contains("2 backend(s)"), "{check:?}");

    // Failures: unknown backend 1, usage 2, no daemon 3.
    let unknown = daemon.ctl(&["show", "nope"]);
    assert_eq!(unknown.code, 1);
    assert!(
        unknown.stderr.contains("no backend is named `nope`"),
        "{unknown:?}"
    );
    assert_eq!(daemon.ctl(&["show"]).code, 2);
    assert_eq!(daemon.ctl(&["frobnicate"]).code, 2);
    let missing = daemon.dir.path().join("nowhere");
    let unreachable = ctl_in(&missing, &["status"]);
    assert_eq!(unreachable.code, 3, "{unreachable:?}");
    assert!(
        unreachable
            .stderr
            .contains(&missing.join("admin.sock").display().to_string())
    );
    assert!(
        unreachable.stderr.contains("systemctl start ocimcpd"),
        "{unreachable:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn backends_d_changes_apply_live_without_disturbing_other_backends() {
    let daemon = Daemon::start_with(LISTEN, &[("stable.toml", &echo_file("s"))], &[]);
    daemon.wait_ready(Duration::from_secs(60)).await;
    let client = connect(&daemon.url(), ProtocolVersion::V_2025_06_18).await;
    let stable_pid = pid_of(&daemon, "stable").unwrap();
    let dir = daemon.dir.path().join("backends.d");

    // A new file: its backend starts and its tools become callable.
    // (The time it takes is measured by the benchmarks, not asserted here: the limit is
    // generous for a loaded CI machine.)
    let dropped = std::time::Instant::now();
    std::fs::write(dir.join("fresh.toml"), echo_file("one")).unwrap();
    eventually(Duration::from_secs(20), "fresh to be ready", || {
        state_of(&daemon, "fresh") == "ready"
    })
    .await;
    assert_eq!(
        call_text(&client, "fresh_echo", json!({"message": "hi"})).await,
        "py-echo: hi"
    );
    eprintln!(
        "backends.d file to a callable tool: {:?}",
        dropped.elapsed()
    );

    // Editing it restarts it alone; the client session on the other backend carries on.
    let fresh_pid = pid_of(&daemon, "fresh").unwrap();
    let edited = dir.join(".fresh.toml.swp");
    std::fs::write(&edited, echo_file("two")).unwrap();
    std::fs::rename(&edited, dir.join("fresh.toml")).unwrap();
    eventually(
        Duration::from_secs(20),
        "fresh to restart on its new spec",
        || {
            pid_of(&daemon, "fresh").is_some_and(|pid| pid != fresh_pid)
                && state_of(&daemon, "fresh") == "ready"
        },
    )
    .await;
    assert_eq!(pid_of(&daemon, "stable"), Some(stable_pid));
    assert_eq!(
        call_text(&client, "stable_echo", json!({"message": "still"})).await,
        "py-echo: still"
    );

    // A broken edit is rejected: the backend runs on, the error shows in status.
    let running_pid = pid_of(&daemon, "fresh").unwrap();
    std::fs::write(dir.join("fresh.toml"), "command = [\n").unwrap();
    eventually(
        Duration::from_secs(10),
        "the broken file to be reported",
        || {
            daemon.ctl_json(&["status"])["rejected"]
                .as_array()
                .is_some_and(|r| !r.is_empty())
        },
    )
    .await;
    let status = daemon.ctl(&["status"]);
    assert!(
        status.stdout.contains("Rejected configuration"),
        "{status:?}"
    );
    assert!(status.stdout.contains("fresh.toml:1"), "{status:?}");
    assert_eq!(pid_of(&daemon, "fresh"), Some(running_pid));
    assert_eq!(
        call_text(&client, "fresh_echo", json!({"message": "ok"})).await,
        "py-echo: ok"
    );

    // SIGHUP with the broken file: rejected as a whole, nothing changes.
    daemon.signal(nix::sys::signal::Signal::SIGHUP);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(pid_of(&daemon, "fresh"), Some(running_pid));
    let reload = daemon.ctl(&["reload"]);
    assert_eq!(reload.code, 1);
    assert!(reload.stderr.contains("not reloaded"), "{reload:?}");

    // The folder itself replaced (a deploy, a checkout): watched again, applied again.
    std::fs::remove_dir_all(&dir).unwrap();
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("stable.toml"), echo_file("s")).unwrap();
    std::fs::write(dir.join("fresh.toml"), echo_file("three")).unwrap();
    eventually(
        Duration::from_secs(20),
        "backends of the new folder to be ready",
        || state_of(&daemon, "fresh") == "ready" && state_of(&daemon, "stable") == "ready",
    )
    .await;
    let fresh_pid = pid_of(&daemon, "fresh").unwrap();
    std::fs::write(dir.join("fresh.toml"), echo_file("four")).unwrap();
    eventually(
        Duration::from_secs(20),
        "an edit in the new folder to apply",
        || {
            pid_of(&daemon, "fresh").is_some_and(|pid| pid != fresh_pid)
                && state_of(&daemon, "fresh") == "ready"
        },
    )
    .await;
    let stable_pid = pid_of(&daemon, "stable").unwrap();

    // Removing the file stops the backend and drops it.
    std::fs::remove_file(dir.join("fresh.toml")).unwrap();
    eventually(Duration::from_secs(10), "fresh to be removed", || {
        daemon.listed("fresh").is_none()
    })
    .await;
    let rejected = daemon.ctl_json(&["status"])["rejected"].clone();
    assert_eq!(
        rejected,
        json!([]),
        "a removed file has nothing left to reject"
    );
    assert_eq!(pid_of(&daemon, "stable"), Some(stable_pid));
}

/// Writes the three kinds of project discovery knows into `root`.
fn write_projects(root: &Path) {
    let server = |name: &str, tool: &str| {
        format!(
            "from mcp.server.mcpserver import MCPServer\n\nmcp = MCPServer(\"{name}\")\n\n\n@mcp.tool()\ndef {tool}(text: str) -> str:\n    return \"{name}: \" + text\n\n\ndef main() -> None:\n    mcp.run()\n\n\nif __name__ == \"__main__\":\n    main()\n"
        )
    };
    let mcp_venv = venv("mcp");

    let notes = root.join("notes");
    std::fs::create_dir_all(&notes).expect("write a project fixture");
    std::fs::write(notes.join("notes_server.py"), server("notes", "jot"))
        .expect("write a project fixture");
    let python = mcp_venv.join("bin/python");
    std::fs::write(
        notes.join(".mcp.json"),
        json!({"mcpServers": {"notes": {"command": python, "args": ["notes_server.py"]}}})
            .to_string(),
    )
    .expect("write a project fixture");

    let weather = root.join("weather");
    std::fs::create_dir_all(weather.join("src/weather_pkg")).expect("write a project fixture");
    std::fs::write(weather.join("src/weather_pkg/__init__.py"), "")
        .expect("write a project fixture");
    std::fs::write(
        weather.join("src/weather_pkg/server.py"),
        server("weather", "forecast"),
    )
    .expect("write a project fixture");
    std::fs::write(
        weather.join("pyproject.toml"),
        "[project]\nname = \"weather\"\nversion = \"0.1\"\n\n[project.scripts]\nweather-mcp = \"weather_pkg.server:main\"\n",
    )
    .expect("write a project fixture");
    std::os::unix::fs::symlink(&mcp_venv, weather.join(".venv")).expect("write a project fixture");

    let plain = root.join("plain");
    std::fs::create_dir_all(&plain).expect("write a project fixture");
    std::fs::write(plain.join("server.py"), server("plain", "shout"))
        .expect("write a project fixture");
    std::os::unix::fs::symlink(&mcp_venv, plain.join(".venv")).expect("write a project fixture");
}

#[tokio::test(flavor = "multi_thread")]
async fn discovered_projects_start_disabled_and_enablement_survives_a_restart() {
    let scan = tempfile::tempdir().unwrap();
    write_projects(scan.path());
    let config = format!(
        "{LISTEN}[discovery]\nscan_paths = [\"{}\"]\n",
        scan.path().display()
    );

    // The dry run, before any daemon knows the folder.
    let daemon = Daemon::start(LISTEN);
    let dry = daemon.ctl_json(&["discover", scan.path().to_str().unwrap()]);
    let mut names: Vec<&str> = dry["found"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    names.sort();
    assert_eq!(names, ["notes", "plain", "weather-mcp"], "{dry}");
    assert!(
        dry["found"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["new"] == true)
    );
    let human = daemon.ctl(&["discover", scan.path().to_str().unwrap()]);
    assert!(human.stdout.contains("weather-mcp") && human.stdout.contains("enable NAME"));
    // A project folder anyone may write to is not run, and discover says why.
    let open = scan.path().join("open");
    std::fs::create_dir_all(&open).unwrap();
    std::fs::write(
        open.join("server.py"),
        "from mcp.server.mcpserver import MCPServer\nmcp = MCPServer(\"open\")\nmcp.run()\n",
    )
    .unwrap();
    std::fs::set_permissions(&open, std::fs::Permissions::from_mode(0o777)).unwrap();
    let dry = daemon.ctl_json(&["discover", scan.path().to_str().unwrap()]);
    assert!(
        dry["found"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["name"] != "open"),
        "{dry}"
    );
    let skipped = format!(
        "{} skipped: others may write to it (mode 0777)",
        open.display()
    );
    assert!(dry["notes"].to_string().contains(&skipped), "{dry}");
    assert!(daemon.listed("notes").is_none(), "a dry run adds nothing");
    drop(daemon);

    let daemon = Daemon::start(&config);
    daemon.wait_ready(Duration::from_secs(30)).await;
    for name in ["notes", "plain", "weather-mcp"] {
        let listed = daemon
            .listed(name)
            .unwrap_or_else(|| panic!("{name} not discovered"));
        assert_eq!(listed["state"], "disabled");
        assert_eq!(listed["tags"], json!(["discovered"]));
    }
    for name in ["notes", "plain", "weather-mcp"] {
        let enabled = daemon.ctl(&["enable", name]);
        assert_eq!(
            enabled.code,
            0,
            "{enabled:?}\n{}",
            daemon.ctl(&["show", name]).stdout
        );
    }
    let client = connect(&daemon.url(), ProtocolVersion::V_2025_06_18).await;
    assert_eq!(
        call_text(&client, "notes_jot", json!({"text": "a"})).await,
        "notes: a"
    );
    assert_eq!(
        call_text(&client, "plain_shout", json!({"text": "b"})).await,
        "plain: b"
    );
    assert_eq!(
        call_text(&client, "weather-mcp_forecast", json!({"text": "c"})).await,
        "weather: c"
    );

    // A new project appears (disabled) without a restart.
    let extra = scan.path().join("extra");
    std::fs::create_dir_all(&extra).unwrap();
    std::fs::write(
        extra.join("app.py"),
        "from mcp.server.mcpserver import MCPServer\nmcp = MCPServer(\"extra\")\nmcp.run()\n",
    )
    .unwrap();
    eventually(
        Duration::from_secs(10),
        "the new project to be discovered",
        || {
            daemon
                .listed("extra")
                .is_some_and(|b| b["state"] == "disabled")
        },
    )
    .await;

    // An enabled project whose command line changes is not run on trust: it is disabled
    // until enabled again, and status says why.
    let python = venv("mcp").join("bin/python");
    std::fs::write(
        scan.path().join("notes/.mcp.json"),
        json!({"mcpServers": {"notes": {"command": python, "args": ["notes_server.py"], "env": {"NOTES_MODE": "changed"}}}})
            .to_string(),
    )
    .unwrap();
    eventually(
        Duration::from_secs(10),
        "the changed project to be disabled",
        || {
            daemon
                .listed("notes")
                .is_some_and(|b| b["state"] == "disabled" && b["enabled_by"] == "changed")
        },
    )
    .await;
    let status = daemon.ctl(&["status"]);
    assert!(status.stdout.contains("no (changed)"), "{status:?}");
    let shown = daemon.ctl(&["show", "notes"]);
    assert!(
        shown.stdout.contains("changed since it was enabled"),
        "{shown:?}"
    );
    let enabled = daemon.ctl(&["enable", "notes"]);
    assert_eq!(enabled.code, 0, "{enabled:?}");
    assert_eq!(
        call_text(&client, "notes_jot", json!({"text": "trusted again"})).await,
        "notes: trusted again"
    );

    drop(client);
    let daemon = daemon.restart();
    daemon.wait_ready(Duration::from_secs(60)).await;
    for name in ["notes", "plain", "weather-mcp"] {
        assert_eq!(state_of(&daemon, name), "ready", "{name} after the restart");
    }
    assert_eq!(state_of(&daemon, "extra"), "disabled");
    let client = connect(&daemon.url(), ProtocolVersion::V_2025_06_18).await;
    assert_eq!(
        call_text(&client, "notes_jot", json!({"text": "again"})).await,
        "notes: again"
    );
}

/// The Python desktop-style client (`bridge_client.py`) launching `ocimcpctl ARGS`, calling
/// `echo_echo` with `message`; its stdout lines, one JSON object per call.
fn bridge_client(args: &Value, message: &str) -> (Child, Lines<BufReader<ChildStdout>>) {
    let mut client = Command::new(venv("mcp").join("bin/python"))
        .arg(fixture("python/bridge_client.py"))
        .arg(binary("ocimcpctl"))
        .arg(args.to_string())
        .arg("echo_echo")
        .arg(json!({ "message": message }).to_string())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("python bridge client");
    let stdout = client.stdout.take().expect("piped stdout");
    (client, BufReader::new(stdout).lines())
}

#[tokio::test(flavor = "multi_thread")]
async fn the_bridge_carries_a_desktop_client_across_a_daemon_restart() {
    let daemon = Daemon::start_with(LISTEN, &[("echo.toml", &echo_file("bridge"))], &[]);
    daemon.wait_ready(Duration::from_secs(60)).await;
    let bridge_args = json!(["--runtime-dir", daemon.runtime_dir(), "bridge"]);
    let (mut client, mut lines) = bridge_client(&bridge_args, "via bridge");
    let first: Value = serde_json::from_str(&lines.next().unwrap().unwrap()).unwrap();
    assert_eq!(first["text"], json!(["py-echo: via bridge"]), "{first}");
    assert!(
        first["tools"]
            .as_array()
            .unwrap()
            .contains(&json!("echo_echo"))
    );

    let daemon = daemon.restart();
    daemon.wait_ready(Duration::from_secs(60)).await;
    writeln!(client.stdin.as_mut().unwrap(), "go").unwrap();
    let second: Value = serde_json::from_str(&lines.next().unwrap().unwrap()).unwrap();
    assert_eq!(second["is_error"], false, "{second}");
    assert_eq!(second["text"], json!(["py-echo: via bridge"]), "{second}");
    drop(client.stdin.take());
    assert!(client.wait().unwrap().success());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_peer_without_permission_is_refused() {
    let daemon = Daemon::start(LISTEN);
    // A copy of ocimcpctl that another user may run.
    let bin = tempfile::tempdir().unwrap();
    let ctl = bin.path().join("ocimcpctl");
    std::fs::copy(binary("ocimcpctl"), &ctl).unwrap();
    let open_up = |path: &Path, mode: u32| {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
    };
    open_up(bin.path(), 0o755);
    let as_nobody = |args: &[&str]| {
        let output = Command::new("setpriv")
            .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
            .arg(&ctl)
            .arg("--runtime-dir")
            .arg(daemon.runtime_dir())
            .args(args)
            .output()
            .expect("setpriv");
        (
            output.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        )
    };

    // As created: the socket (0660) and its folder keep others out at the file level.
    let (code, stderr) = as_nobody(&["status"]);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("permission denied"), "{stderr}");

    // With the file permissions opened up, the daemon's own peer check still refuses.
    open_up(daemon.dir.path(), 0o755);
    open_up(&daemon.runtime_dir(), 0o755);
    open_up(&daemon.runtime_dir().join("admin.sock"), 0o666);
    let (code, stderr) = as_nobody(&["status"]);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("uid 65534 may not use"), "{stderr}");
    eventually(
        Duration::from_secs(5),
        "the refusal in the daemon's log",
        || daemon.log().contains("admin socket: permission denied"),
    )
    .await;

    // A refused bridge says so and exits, rather than retrying for ever.
    open_up(&daemon.runtime_dir().join("mcp.sock"), 0o666);
    let mut bridge = Command::new("setpriv")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
        .arg(&ctl)
        .arg("--runtime-dir")
        .arg(daemon.runtime_dir())
        .arg("bridge")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("setpriv bridge");
    let mut stdin = bridge.stdin.take().expect("piped stdin");
    writeln!(
        stdin,
        "{}",
        json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "protocolVersion": "2025-06-18", "capabilities": {},
            "clientInfo": {"name": "refused", "version": "1"}}})
    )
    .expect("write initialize");
    let stdout = bridge.stdout.take().expect("piped stdout");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = BufReader::new(stdout).read_line(&mut line);
        let _ = tx.send(line);
    });
    let Ok(answer) = rx.recv_timeout(Duration::from_secs(30)) else {
        let _ = bridge.kill();
        let output = bridge.wait_with_output().expect("bridge output");
        panic!(
            "the refused bridge did not answer within 30 s: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    };
    let answer: Value = serde_json::from_str(&answer).expect("JSON answer");
    assert_eq!(answer["id"], 1, "{answer}");
    assert!(
        answer["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("may not use")),
        "{answer}"
    );
    drop(stdin);
    let status = bridge.wait().expect("the bridge exits");
    assert_eq!(status.code(), Some(1));

    // Root (this test) still gets in.
    assert_eq!(daemon.ctl(&["status"]).code, 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_bridge_reaches_a_remote_gateway_and_survives_a_lost_session() {
    // A fixed port, so the restarted daemon is at the same URL (its sessions are gone).
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let config = format!("[gateway]\nlisten = \"127.0.0.1:{port}\"\n");
    let daemon = Daemon::start_with(&config, &[("echo.toml", &echo_file("remote"))], &[]);
    daemon.wait_ready(Duration::from_secs(60)).await;
    let token = daemon.dir.path().join("token");
    std::fs::write(&token, "not-checked-yet\n").unwrap();
    let bridge_args = json!([
        "bridge",
        "--url",
        daemon.url(),
        "--token-file",
        token,
        "--header",
        "X-Team: blue"
    ]);
    let (mut client, mut lines) = bridge_client(&bridge_args, "remote");
    let first: Value = serde_json::from_str(&lines.next().unwrap().unwrap()).unwrap();
    assert_eq!(first["text"], json!(["py-echo: remote"]), "{first}");

    let daemon = daemon.restart();
    daemon.wait_ready(Duration::from_secs(60)).await;
    writeln!(client.stdin.as_mut().unwrap(), "go").unwrap();
    let second: Value = serde_json::from_str(&lines.next().unwrap().unwrap()).unwrap();
    assert_eq!(second["text"], json!(["py-echo: remote"]), "{second}");
    drop(client.stdin.take());
    assert!(client.wait().unwrap().success());
}

/// The bridge at the wire level: a request in flight when the daemon goes away is answered
/// with an error, and the next request, on the same pipe, succeeds.
#[tokio::test(flavor = "multi_thread")]
async fn the_bridge_fails_requests_in_flight_and_carries_on() {
    let daemon = Daemon::start_with(LISTEN, &[("echo.toml", &echo_file("wire"))], &[]);
    daemon.wait_ready(Duration::from_secs(60)).await;
    let mut bridge = Command::new(binary("ocimcpctl"))
        .arg("--runtime-dir")
        .arg(daemon.runtime_dir())
        .arg("bridge")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("ocimcpctl bridge");
    let mut stdin = bridge.stdin.take().expect("piped stdin");
    let mut stdout = BufReader::new(bridge.stdout.take().expect("piped stdout")).lines();
    let mut send = |message: Value| writeln!(stdin, "{message}").expect("write to the bridge");
    let mut answer = |id: i64| loop {
        let line = stdout.next().expect("bridge output").expect("a line");
        let message: Value = serde_json::from_str(&line).expect("JSON from the bridge");
        if message["id"] == id {
            return message;
        }
    };

    send(
        json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-06-18", "capabilities": {},
        "clientInfo": {"name": "wire-test", "version": "1"}}}),
    );
    assert!(answer(1)["result"]["serverInfo"].is_object());
    send(json!({"jsonrpc": "2.0", "method": "notifications/initialized"}));
    send(
        json!({"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {
        "name": "echo_slow_echo", "arguments": {"message": "late", "delay_ms": 30000}}}),
    );
    tokio::time::sleep(Duration::from_millis(500)).await;

    let daemon = daemon.restart();
    // The daemon cancels it as it stops; if the session closes before that answer is
    // written, the bridge answers instead. Either way the client hears why.
    let failed = answer(2);
    let message = failed["error"]["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("shutting down") || message.contains("went away"),
        "{failed}"
    );

    // A daemon that dies cannot answer: the bridge does.
    daemon.wait_ready(Duration::from_secs(60)).await;
    send(
        json!({"jsonrpc": "2.0", "id": 3, "method": "tools/call", "params": {
        "name": "echo_slow_echo", "arguments": {"message": "lost", "delay_ms": 30000}}}),
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    daemon.signal(nix::sys::signal::Signal::SIGKILL);
    let failed = answer(3);
    let message = failed["error"]["message"].as_str().unwrap_or_default();
    assert!(message.contains("went away"), "{failed}");

    // Its socket file is left behind; the next daemon replaces it and the pipe carries on.
    let daemon = daemon.restart();
    daemon.wait_ready(Duration::from_secs(60)).await;
    send(
        json!({"jsonrpc": "2.0", "id": 4, "method": "tools/call", "params": {
        "name": "echo_echo", "arguments": {"message": "after"}}}),
    );
    let after = answer(4);
    assert_eq!(
        after["result"]["content"][0]["text"], "py-echo: after",
        "{after}"
    );
    bridge.kill().expect("stop the bridge");
    let _ = bridge.wait();
}
