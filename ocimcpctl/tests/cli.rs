//! The commands that need no daemon: usage errors, "daemon not reachable", completions,
//! the man page and the desktop-client snippet. (Also makes cargo build the `ocimcpctl`
//! binary for workspace test runs.)

use std::process::{Command, Output};

fn ctl(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ocimcpctl"))
        .args(args)
        .env("OCIMCPD_RUNTIME_DIR", "/nonexistent/ocimcpd-test")
        .output()
        .expect("run ocimcpctl")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn no_daemon_exits_3_naming_the_socket() {
    let out = ctl(&["status"]);
    assert_eq!(out.status.code(), Some(3), "{out:?}");
    let err = stderr(&out);
    assert!(
        err.contains("/nonexistent/ocimcpd-test/admin.sock"),
        "{err}"
    );
    assert!(err.contains("Is it running?"), "{err}");
    let out = ctl(&["--socket", "/nonexistent/x/admin.sock", "list"]);
    assert_eq!(out.status.code(), Some(3));
    assert!(stderr(&out).contains("/nonexistent/x/admin.sock"));
}

#[test]
fn usage_errors_exit_2() {
    assert_eq!(ctl(&[]).status.code(), Some(2));
    assert_eq!(ctl(&["enable"]).status.code(), Some(2));
    assert_eq!(ctl(&["logs", "-n", "many"]).status.code(), Some(2));
    assert_eq!(
        ctl(&["--runtime-dir", "a", "--socket", "b", "status"])
            .status
            .code(),
        Some(2)
    );
    assert_eq!(ctl(&["bridge", "--token-file", "t"]).status.code(), Some(2));
}

#[test]
fn completions_and_man_page_come_from_the_command_line_definitions() {
    for shell in ["bash", "zsh", "fish"] {
        let out = ctl(&["completions", shell]);
        assert!(out.status.success(), "{shell}: {out:?}");
        let script = stdout(&out);
        assert!(
            script.contains("ocimcpctl") && script.contains("desktop-config"),
            "{shell}"
        );
    }
    let man = ctl(&["manpage"]);
    assert!(man.status.success());
    let man = stdout(&man);
    assert!(
        man.starts_with(".ie") || man.contains(".TH ocimcpctl"),
        "{man}"
    );
    assert!(man.contains("check\\-config") || man.contains("check-config"));
}

#[test]
fn desktop_config_points_at_this_binary() {
    for client in ["claude", "cursor", "cline"] {
        let out = ctl(&["desktop-config", "--client", client]);
        assert!(out.status.success(), "{out:?}");
        let config: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let server = &config["mcpServers"]["ocimcp"];
        let command = server["command"].as_str().unwrap();
        assert!(command.ends_with("/ocimcpctl"), "{command}");
        assert_eq!(server["args"], serde_json::json!(["bridge"]));
        assert!(!stderr(&out).is_empty(), "says where the snippet goes");
    }
    let out = ctl(&["--runtime-dir", "/srv/run", "desktop-config"]);
    let config: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        config["mcpServers"]["ocimcp"]["args"],
        serde_json::json!(["--runtime-dir", "/srv/run", "bridge"])
    );
}

#[test]
fn check_config_works_without_a_daemon() {
    let dir = std::env::temp_dir().join(format!("ocimcpctl-check-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let good = dir.join("good.toml");
    std::fs::write(&good, "[gateway]\nlisten = \"127.0.0.1:9100\"\n").unwrap();
    let bad = dir.join("bad.toml");
    std::fs::write(&bad, "[gateway]\nlisten = \"nowhere\"\n").unwrap();
    let ok = ctl(&["check-config", good.to_str().unwrap()]);
    assert!(ok.status.success(), "{ok:?}");
    assert!(stdout(&ok).contains("configuration OK"));
    let failed = ctl(&["--json", "check-config", bad.to_str().unwrap()]);
    assert_eq!(failed.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_slice(&failed.stdout).unwrap();
    assert_eq!(report["valid"], false);
    assert!(
        report["errors"][0].as_str().unwrap().contains("bad.toml:2"),
        "{report}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
