//! Issue 19, items 4 and 8: who may drive the daemon, and whom `ocimcpctl` trusts.
//! A backend (and an orphan it leaves behind) is refused on `admin.sock` while an
//! operator's `ocimcpctl` is not; the daemon reaps such orphans; `user`/`group` switch a
//! backend's account only when the daemon may, and say so when it may not; `ocimcpctl`
//! refuses a runtime dir others may write to, own, or that is a symlink, and a server that
//! runs as another user; neither binary falls back to a predictable folder in /tmp.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use ocimcp_tests::{Daemon, binary, ctl_in, eventually, fixture, write_config};
use serde_json::Value;

const LISTEN: &str = "[gateway]\nlisten = \"127.0.0.1:0\"\n";

fn is_root() -> bool {
    nix::unistd::geteuid().is_root()
}

fn chmod(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).expect("chmod");
}

fn read_json(path: &Path) -> Option<Value> {
    serde_json::from_str(&std::fs::read_to_string(path).ok()?).ok()
}

/// A zombie or a live process with this pid.
fn exists(pid: i64) -> bool {
    Path::new(&format!("/proc/{pid}")).exists()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_backend_and_its_orphans_are_refused_on_the_admin_socket() {
    let probe = format!(
        r#"command = "python3"
args = ["{server}"]
env = {{ ADMIN_SOCK = "{{dir}}/run/admin.sock", PROBE_DIR = "{{dir}}" }}
"#,
        server = fixture("python/admin_probe_server.py").display(),
    );
    let daemon = Daemon::start_with(LISTEN, &[("probe.toml", &probe)], &[]);
    daemon.wait_ready(Duration::from_secs(60)).await;
    let dir = daemon.dir.path().to_path_buf();
    let mut answers = Vec::new();
    for name in ["direct.json", "orphan.json"] {
        let path = dir.join(name);
        eventually(Duration::from_secs(30), name, || path.exists()).await;
        answers.push(read_json(&path).expect("the probe's JSON"));
    }
    let [direct, orphan] = &answers[..] else {
        unreachable!()
    };
    for answer in [direct, orphan] {
        assert_eq!(answer["error"]["code"], -32001, "{answer}");
        let message = answer["error"]["message"].as_str().unwrap_or_default();
        assert!(
            message.contains("ocimcpd refuses admin connections from its own backends"),
            "{answer}"
        );
        assert!(message.contains("descends from the daemon"), "{answer}");
    }
    // The orphan's parent exited: as a subreaper the daemon adopted it, rather than init.
    assert_eq!(orphan["parent"], daemon.pid(), "{orphan}");
    eventually(Duration::from_secs(5), "the refusals in the log", || {
        daemon
            .log()
            .matches("admin socket: ocimcpd refuses admin connections")
            .count()
            >= 2
    })
    .await;
    // When the orphan exits, the daemon reaps it: no zombie is left behind.
    let orphan_pid = orphan["pid"].as_i64().unwrap();
    eventually(
        Duration::from_secs(15),
        "the exited orphan to be reaped",
        || !exists(orphan_pid),
    )
    .await;

    // An operator's ocimcpctl (not a descendant) still gets in, and the backend serves.
    let status = daemon.ctl_json(&["status"]);
    assert_eq!(status["backends"][0]["state"], "ready", "{status}");
    let called = daemon.ctl(&["call", "probe_hello"]);
    assert_eq!(called.code, 0, "{called:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_daemon_that_may_not_switch_users_says_so_when_the_backend_starts() {
    // As root, drop every capability so that the daemon may not switch users; otherwise
    // (as CI runs) the daemon is a plain user already.
    let wrapper: &[&str] = if is_root() {
        &["setpriv", "--inh-caps=-all", "--bounding-set=-all"]
    } else {
        &[]
    };
    let backend = format!(
        "command = \"python3\"\nargs = [\"{}\"]\nuser = \"nobody\"\nrestart = {{ policy = \"never\" }}\n",
        fixture("python/raw_stdio_server.py").display()
    );
    let daemon = Daemon::start_wrapped(wrapper, LISTEN, &[("as-nobody.toml", &backend)], &[]);
    let mut last_error = String::new();
    eventually(Duration::from_secs(30), "the start to fail", || {
        last_error = daemon
            .listed("as-nobody")
            .and_then(|b| b["last_error"].as_str().map(str::to_owned))
            .unwrap_or_default();
        !last_error.is_empty()
    })
    .await;
    assert!(
        last_error.contains("cannot run as user `nobody`")
            && last_error.contains("may not switch users"),
        "{last_error}"
    );
    let show = daemon.ctl(&["show", "as-nobody"]);
    assert!(show.stdout.contains("may not switch users"), "{show:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_privileged_daemon_runs_a_backend_as_its_user_and_group() {
    if !is_root() {
        eprintln!("skipped: only root may switch users (the unprivileged case has its own test)");
        return;
    }
    // The system python: nobody cannot reach a python under /root.
    let backend = format!(
        "command = \"/usr/bin/python3\"\nargs = [\"{}\"]\nuser = \"nobody\"\ngroup = \"{}\"\n",
        fixture("python/raw_stdio_server.py").display(),
        65534,
    );
    let daemon = Daemon::start_with(LISTEN, &[("as-nobody.toml", &backend)], &[]);
    daemon.wait_ready(Duration::from_secs(60)).await;
    let listed = daemon.listed("as-nobody").unwrap();
    assert_eq!(listed["state"], "ready", "{listed}");
    let pid = listed["pid"].as_i64().unwrap();
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .map(|l| l.split_whitespace().skip(1).collect::<Vec<_>>().join(" "))
            .unwrap_or_default()
    };
    assert_eq!(field("Uid:"), "65534 65534 65534 65534", "{status}");
    assert_eq!(field("Gid:"), "65534 65534 65534 65534", "{status}");
    assert_eq!(field("Groups:"), "65534", "{status}");
}

#[tokio::test(flavor = "multi_thread")]
async fn ocimcpctl_refuses_a_runtime_dir_others_control_or_a_symlink() {
    let daemon = Daemon::start(LISTEN);
    let run = daemon.runtime_dir();
    assert_eq!(daemon.ctl(&["status"]).code, 0);

    chmod(&run, 0o777);
    let refused = daemon.ctl(&["status"]);
    assert_eq!(refused.code, 1, "{refused:?}");
    assert!(
        refused
            .stderr
            .contains("refusing to use the runtime directory")
            && refused
                .stderr
                .contains("anyone may write to it (mode 0777)"),
        "{refused:?}"
    );
    chmod(&run, 0o1777);
    let refused = daemon.ctl(&["status"]);
    assert!(refused.stderr.contains("anyone may write"), "{refused:?}");
    // Group-writable: refused unless the group is the socket group (`ocimcp`), which the
    // daemon gives its folder when that group exists; root moves it to another group.
    let gid_of =
        |path: &Path| std::os::unix::fs::MetadataExt::gid(&std::fs::metadata(path).unwrap());
    let group = gid_of(&run);
    if is_root() {
        nix::unistd::chown(&run, None, Some(nix::unistd::Gid::from_raw(65534))).unwrap();
    }
    chmod(&run, 0o770);
    let refused = daemon.ctl(&["status"]);
    let socket_group = nix::unistd::Group::from_name("ocimcp")
        .unwrap()
        .map(|g| g.gid.as_raw());
    if socket_group != Some(gid_of(&run)) {
        assert!(
            refused.stderr.contains("may write to it (mode 0770)"),
            "{refused:?}"
        );
    }
    if is_root() {
        nix::unistd::chown(&run, None, Some(nix::unistd::Gid::from_raw(group))).unwrap();
    }
    chmod(&run, 0o750);
    assert_eq!(daemon.ctl(&["status"]).code, 0);

    // A link to the very same folder is refused: whoever can make the link chooses it.
    let link = daemon.dir.path().join("link");
    std::os::unix::fs::symlink(&run, &link).unwrap();
    let refused = ctl_in(&link, &["status"]);
    assert_eq!(refused.code, 1, "{refused:?}");
    assert!(refused.stderr.contains("symbolic link"), "{refused:?}");
    let refused = Command::new(binary("ocimcpctl"))
        .arg("--socket")
        .arg(link.join("admin.sock"))
        .arg("status")
        .output()
        .unwrap();
    assert_eq!(refused.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("symbolic link"));

    if is_root() {
        // Owned by another user (only root can arrange it; the rule has unit tests too).
        nix::unistd::chown(&run, Some(nix::unistd::Uid::from_raw(65534)), None).unwrap();
        let refused = daemon.ctl(&["status"]);
        assert!(
            refused.stderr.contains("it belongs to uid 65534"),
            "{refused:?}"
        );
        nix::unistd::chown(&run, Some(nix::unistd::Uid::from_raw(0)), None).unwrap();
        assert_eq!(daemon.ctl(&["status"]).code, 0);
    }
}

/// A server that runs as another user, in a folder that passes every check: only root
/// can set that up (bind as root, become nobody, then listen: SO_PEERCRED records the
/// listener's credentials at listen()).
#[test]
fn ocimcpctl_refuses_a_server_that_runs_as_another_user() {
    if !is_root() {
        eprintln!("skipped: only root can start a listener as another user");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let socket = dir.path().join("admin.sock");
    let script = r#"
import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(sys.argv[1])
os.setgid(65534); os.setuid(65534)
s.listen(1)
print("listening", flush=True)
conn, _ = s.accept()
conn.recv(4096)
"#;
    let mut server = Command::new("python3")
        .args(["-c", script])
        .arg(&socket)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(server.stdout.take().unwrap()),
        &mut line,
    )
    .unwrap();
    assert_eq!(line.trim(), "listening");
    let refused = ctl_in(dir.path(), &["status"]);
    let _ = server.kill();
    let _ = server.wait();
    assert_eq!(refused.code, 1, "{refused:?}");
    assert!(
        refused.stderr.contains("refusing to talk to")
            && refused.stderr.contains("runs as uid 65534"),
        "{refused:?}"
    );
}

#[test]
fn the_daemon_refuses_a_symlinked_runtime_dir() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), LISTEN, "");
    let real = dir.path().join("real");
    std::fs::create_dir(&real).unwrap();
    chmod(&real, 0o700);
    let link = dir.path().join("run");
    std::os::unix::fs::symlink(&real, &link).unwrap();
    let output = Command::new(binary("ocimcpd"))
        .arg("--config")
        .arg(&config)
        .env("OCIMCPD_RUNTIME_DIR", &link)
        .env("OCIMCPD_STATE_DIR", dir.path().join("state"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("is not safe for the daemon's sockets: it is a symbolic link"),
        "{stderr}"
    );
    assert!(!real.join("admin.sock").exists());
}

/// `program` as a plain user with an empty environment: as itself when the tests do not
/// run as root, else as nobody (from a copy nobody may run).
fn as_plain_user(program: &Path, bin: &Path) -> Command {
    if is_root() {
        let copy = bin.join(program.file_name().expect("a file name"));
        std::fs::copy(program, &copy).expect("copy the binary");
        let mut command = Command::new("setpriv");
        command
            .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
            .arg(copy)
            .env_clear();
        command
    } else {
        let mut command = Command::new(program);
        command.env_clear();
        command
    }
}

#[test]
fn without_xdg_runtime_dir_or_home_there_is_no_tmp_fallback() {
    let dir = tempfile::tempdir().unwrap();
    chmod(dir.path(), 0o755);
    let config: PathBuf = write_config(dir.path(), LISTEN, "");
    chmod(&config, 0o644);

    let check = as_plain_user(&binary("ocimcpd"), dir.path())
        .arg("--config")
        .arg(&config)
        .arg("--check-config")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&check.stderr);
    assert_eq!(check.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("no runtime directory")
            && stderr.contains("set OCIMCPD_RUNTIME_DIR or [daemon] runtime_dir"),
        "{stderr}"
    );
    assert!(stderr.contains("no state directory"), "{stderr}");

    // With a HOME, a user's daemon keeps its sockets in it.
    let home = dir.path().join("home");
    let check = as_plain_user(&binary("ocimcpd"), dir.path())
        .arg("--config")
        .arg(&config)
        .args(["--check-config", "--json"])
        .env("HOME", &home)
        .output()
        .unwrap();
    assert_eq!(
        check.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&check.stderr)
    );

    // ocimcpctl looks for the system service, never in /tmp.
    let ctl = as_plain_user(&binary("ocimcpctl"), dir.path())
        .arg("status")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&ctl.stderr);
    assert_eq!(ctl.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("/run/ocimcpd/admin.sock"), "{stderr}");
    assert!(!stderr.contains("/tmp/ocimcpd"), "{stderr}");
}
