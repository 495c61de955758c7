//! The commands that need no daemon: usage errors, "daemon not reachable", completions,
//! the man page, the desktop-client snippet, and how `check-config` finds and relays
//! `ocimcpd` (a stand-in here; tests/tests/control.rs runs the real one). (Also makes
//! cargo build the `ocimcpctl` binary for workspace test runs.)

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
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

/// A copy of `ocimcpctl` in a folder of its own (a hard link where it can be), so that
/// what sits beside it is the test's choice.
fn ctl_alone() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).expect("temp dir");
    let exe = dir.path().join("ocimcpctl");
    let built = Path::new(env!("CARGO_BIN_EXE_ocimcpctl"));
    if std::fs::hard_link(built, &exe).is_err() {
        std::fs::copy(built, &exe).expect("copy ocimcpctl");
    }
    (dir, exe)
}

/// Runs `exe ARGS` with nothing on PATH but `path`.
fn run_with_path(exe: &Path, path: &str, args: &[&str]) -> Output {
    Command::new(exe)
        .args(args)
        .env("PATH", path)
        .output()
        .expect("run ocimcpctl")
}

#[test]
fn check_config_relays_the_ocimcpd_beside_it() {
    let (dir, exe) = ctl_alone();
    let fake = dir.path().join("ocimcpd");
    std::fs::write(
        &fake,
        "#!/bin/sh\necho \"args: $*\"\necho \"the verdict\" >&2\nexit \"${FAKE_EXIT:-0}\"\n",
    )
    .unwrap();
    std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).unwrap();

    let ok = run_with_path(&exe, "/nonexistent/bin", &["check-config"]);
    assert!(ok.status.success(), "{ok:?}");
    assert_eq!(stdout(&ok), "args: --check-config\n");
    assert_eq!(stderr(&ok), "the verdict\n");

    let failed = Command::new(&exe)
        .args(["--json", "check-config", "/etc/x.toml"])
        .env("PATH", "/nonexistent/bin")
        .env("FAKE_EXIT", "7")
        .output()
        .unwrap();
    assert_eq!(failed.status.code(), Some(7), "{failed:?}");
    assert_eq!(
        stdout(&failed),
        "args: --check-config --config /etc/x.toml --json\n"
    );
    // ocimcpd said why; ocimcpctl adds nothing.
    assert_eq!(stderr(&failed), "the verdict\n");
}

#[test]
fn check_config_without_ocimcpd_says_where_it_looked() {
    let (dir, exe) = ctl_alone();
    let out = run_with_path(&exe, "/nonexistent/bin", &["check-config"]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let err = stderr(&out);
    assert!(err.contains("cannot find `ocimcpd`"), "{err}");
    assert!(
        err.contains(&dir.path().display().to_string()),
        "names the folder beside: {err}"
    );
    assert!(err.contains("/nonexistent/bin"), "names PATH: {err}");
}
