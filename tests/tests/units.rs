//! The systemd units and the packaged /etc/ocimcpd tree, as shipped: every setting the
//! service needs (readiness, watchdog, reload, user, directories, hardening) is in
//! `units/ocimcpd.service`, `systemd-analyze verify` accepts both units, the security
//! rating stays "OK" or better, the socket unit matches the packaged config, and the
//! packaged config, each of its commented examples and each backend example are valid.
//!
//! `systemd-analyze verify` needs the unit's `ExecStart=` binary to exist: the units are
//! checked as copies whose `ExecStart=` names the `ocimcpd` this workspace built (the one
//! other tests run), since `/usr/bin/ocimcpd` is only there once the package is installed
//! (tests/tests/packaging.rs verifies the installed units in place). The copies skip the
//! check of `Documentation=man:` pages (`--man=no`) for the same reason.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

use ocimcp_tests::{binary, root};

/// `(section, key) -> values`, in file order; an empty assignment (`Key=`) is an empty value.
type Unit = HashMap<(String, String), Vec<String>>;

fn parse_unit(path: &Path) -> Unit {
    let text =
        std::fs::read_to_string(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    let mut unit = Unit::new();
    let mut section = String::new();
    for line in text.lines().map(str::trim) {
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            section = name.to_owned();
            continue;
        }
        let (key, value) = line
            .split_once('=')
            .unwrap_or_else(|| panic!("{}: not KEY=VALUE: {line}", path.display()));
        unit.entry((section.clone(), key.trim().to_owned()))
            .or_default()
            .push(value.trim().to_owned());
    }
    unit
}

fn values<'a>(unit: &'a Unit, section: &str, key: &str) -> &'a [String] {
    unit.get(&(section.to_owned(), key.to_owned()))
        .map_or(&[], Vec::as_slice)
}

/// The one value of `key`; panics if it is missing or set more than once.
fn value<'a>(unit: &'a Unit, section: &str, key: &str) -> &'a str {
    match values(unit, section, key) {
        [one] => one,
        [] => panic!("[{section}] {key}= is missing"),
        many => panic!("[{section}] {key}= is set {} times: {many:?}", many.len()),
    }
}

/// A systemd or ocimcpd duration: `30s`, `500ms`, `2min`, `5m`, `1h`, or bare seconds.
fn duration(text: &str) -> Duration {
    let text = text.trim().trim_matches('"');
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let n: u64 = number
        .parse()
        .unwrap_or_else(|_| panic!("not a duration: {text}"));
    match unit {
        "" | "s" | "sec" => Duration::from_secs(n),
        "ms" => Duration::from_millis(n),
        "m" | "min" => Duration::from_secs(n * 60),
        "h" => Duration::from_secs(n * 3600),
        _ => panic!("not a duration: {text}"),
    }
}

fn units_dir() -> PathBuf {
    root().join("units")
}

fn packaged_config() -> PathBuf {
    root().join("etc/ocimcpd/ocimcpd.toml")
}

/// The active (uncommented) `key = value` of `[section]` in a TOML text, unquoted.
fn toml_value(text: &str, section: &str, key: &str) -> Option<String> {
    let mut current = String::new();
    for line in text.lines().map(str::trim) {
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.split(']').next()) {
            current = name.trim_start_matches('[').to_owned();
        } else if current == section
            && let Some((k, v)) = line.split_once('=')
            && k.trim() == key
        {
            let v = v.split(" #").next().unwrap_or(v).trim();
            return Some(v.trim_matches('"').to_owned());
        }
    }
    None
}

fn systemd_analyze() -> Command {
    let found = Command::new("systemd-analyze")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        found,
        "systemd-analyze is missing: install Debian's systemd package (tests/bootstrap.sh does, as root)"
    );
    Command::new("systemd-analyze")
}

/// Copies of both units in a temp dir, `ExecStart=` pointed at the workspace's ocimcpd.
fn unit_copies(exec: &Path) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    for name in ["ocimcpd.service", "ocimcpd.socket"] {
        let text = std::fs::read_to_string(units_dir().join(name)).expect("read unit");
        let text = text.replace(
            "ExecStart=/usr/bin/ocimcpd ",
            &format!("ExecStart={} ", exec.display()),
        );
        std::fs::write(dir.path().join(name), text).expect("write unit copy");
    }
    dir
}

fn verify(dir: &Path) -> Output {
    systemd_analyze()
        .args(["verify", "--man=no"])
        .arg(dir.join("ocimcpd.service"))
        .arg(dir.join("ocimcpd.socket"))
        .output()
        .expect("run systemd-analyze verify")
}

fn check_config(config: &Path) -> Output {
    Command::new(binary("ocimcpd"))
        .arg("--check-config")
        .arg("--config")
        .arg(config)
        .env_remove("OCIMCPD_CONFIG")
        .output()
        .expect("run ocimcpd --check-config")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn service_unit_has_the_settings_the_daemon_and_the_issue_need() {
    let unit = parse_unit(&units_dir().join("ocimcpd.service"));
    let exact = [
        ("Service", "Type", "notify"),
        (
            "Service",
            "ExecStart",
            "/usr/bin/ocimcpd --config /etc/ocimcpd/ocimcpd.toml",
        ),
        ("Service", "ExecReload", "/bin/kill -HUP $MAINPID"),
        ("Service", "Restart", "on-failure"),
        ("Service", "User", "ocimcp"),
        ("Service", "Group", "ocimcp"),
        ("Service", "RuntimeDirectory", "ocimcpd"),
        ("Service", "StateDirectory", "ocimcpd"),
        ("Service", "LogsDirectory", "ocimcpd"),
        ("Service", "ConfigurationDirectory", "ocimcpd"),
        ("Service", "KillMode", "mixed"),
        ("Service", "LimitNOFILE", "65536"),
        ("Service", "NoNewPrivileges", "yes"),
        ("Service", "ProtectSystem", "strict"),
        ("Service", "ProtectHome", "read-only"),
        ("Service", "PrivateTmp", "yes"),
        ("Service", "ProtectKernelTunables", "yes"),
        ("Service", "ProtectKernelModules", "yes"),
        ("Service", "ProtectKernelLogs", "yes"),
        (
            "Service",
            "RestrictAddressFamilies",
            "AF_UNIX AF_INET AF_INET6",
        ),
        ("Service", "LockPersonality", "yes"),
        ("Service", "SystemCallFilter", "@system-service"),
        ("Service", "CapabilityBoundingSet", ""),
        ("Install", "WantedBy", "multi-user.target"),
    ];
    for (section, key, want) in exact {
        assert_eq!(value(&unit, section, key), want, "[{section}] {key}=");
    }

    // The modes the package's scripts give these folders (packaging/deb/postinst), so
    // systemd finds them as it would make them.
    for key in [
        "RuntimeDirectoryMode",
        "StateDirectoryMode",
        "LogsDirectoryMode",
        "ConfigurationDirectoryMode",
    ] {
        assert_eq!(value(&unit, "Service", key), "0750", "{key}=");
    }

    // The watchdog must leave the daemon room: it pings at half the interval.
    let watchdog = duration(value(&unit, "Service", "WatchdogSec"));
    assert!(
        (Duration::from_secs(10)..=Duration::from_secs(120)).contains(&watchdog),
        "WatchdogSec={watchdog:?}"
    );

    // Stopping: the drain (shutdown_grace) and then the backends' own stop (5 s each, in
    // parallel) must fit before systemd's SIGKILL.
    let config = std::fs::read_to_string(packaged_config()).expect("read packaged config");
    let grace = duration(&toml_value(&config, "daemon", "shutdown_grace").expect("shutdown_grace"));
    let stop = duration(value(&unit, "Service", "TimeoutStopSec"));
    assert!(
        stop >= grace + Duration::from_secs(10),
        "TimeoutStopSec={stop:?} leaves too little above shutdown_grace={grace:?} + a backend's 5 s stop"
    );

    // systemd 252 is the floor: Type=notify above, not notify-reload (253); settings it
    // does not know are caught by `units_pass_systemd_analyze_verify`.
    // The daemon finds its directories through these when not root.
    let env = values(&unit, "Service", "Environment").join(" ");
    assert!(
        env.contains("OCIMCPD_RUNTIME_DIR=/run/ocimcpd"),
        "Environment={env}"
    );
    assert!(
        env.contains("OCIMCPD_STATE_DIR=/var/lib/ocimcpd"),
        "Environment={env}"
    );
}

#[test]
fn socket_unit_listens_where_the_packaged_config_does() {
    let socket = parse_unit(&units_dir().join("ocimcpd.socket"));
    let config = std::fs::read_to_string(packaged_config()).expect("read packaged config");
    let listen = toml_value(&config, "gateway", "listen").expect("[gateway] listen");
    let runtime = toml_value(&config, "daemon", "runtime_dir").expect("[daemon] runtime_dir");
    // The daemon takes the passed descriptors in this order: HTTP, then the MCP socket.
    assert_eq!(
        values(&socket, "Socket", "ListenStream"),
        [listen.clone(), format!("{runtime}/mcp.sock")],
        "ListenStream= lines (HTTP first, then mcp.sock)"
    );
    let address: std::net::SocketAddr = listen.parse().expect("listen is IP:PORT");
    assert!(
        address.ip().is_loopback(),
        "the packaged gateway listens on {listen}"
    );
    assert_eq!(value(&socket, "Socket", "Service"), "ocimcpd.service");
    assert_eq!(value(&socket, "Socket", "SocketUser"), "ocimcp");
    assert_eq!(value(&socket, "Socket", "SocketGroup"), "ocimcp");
    assert_eq!(value(&socket, "Socket", "SocketMode"), "0660");
    assert_eq!(value(&socket, "Install", "WantedBy"), "sockets.target");
}

#[test]
fn units_pass_systemd_analyze_verify() {
    let ocimcpd = binary("ocimcpd");
    let copies = unit_copies(&ocimcpd);
    let output = verify(copies.path());
    assert!(
        output.status.success() && output.stderr.is_empty(),
        "systemd-analyze verify on the units (ExecStart={}):\n{}{}",
        ocimcpd.display(),
        text(&output.stdout),
        text(&output.stderr)
    );

    // The same check fails on a unit with a mistake in it, so it is really checking.
    let broken = unit_copies(Path::new("/nonexistent/ocimcpd"));
    let output = verify(broken.path());
    assert!(
        !output.status.success(),
        "systemd-analyze verify accepted an ExecStart= that does not exist"
    );
    assert!(
        text(&output.stderr).contains("/nonexistent/ocimcpd"),
        "{}",
        text(&output.stderr)
    );
}

#[test]
fn service_security_exposure_is_ok_or_better() {
    let copies = unit_copies(&binary("ocimcpd"));
    let output = systemd_analyze()
        .args(["security", "--offline=yes", "--no-pager"])
        .arg(copies.path().join("ocimcpd.service"))
        .output()
        .expect("run systemd-analyze security");
    let report = text(&output.stdout);
    assert!(output.status.success(), "{report}{}", text(&output.stderr));
    let line = report
        .lines()
        .find(|l| l.contains("Overall exposure level for ocimcpd.service:"))
        .unwrap_or_else(|| panic!("no overall exposure level in:\n{report}"));
    let rating = line
        .rsplit(':')
        .next()
        .expect("after the colon")
        .split_whitespace()
        .collect::<Vec<_>>();
    let score: f64 = rating[0].parse().expect("a score");
    let level = rating[1];
    println!("systemd-analyze security ocimcpd.service: {score} {level}");
    for risk in report.lines().filter(|l| l.starts_with('✗')) {
        println!(
            "  {}",
            risk.split_whitespace().collect::<Vec<_>>().join(" ")
        );
    }
    assert!(
        ["OK", "SAFE", "PERFECT"].contains(&level),
        "exposure {score} {level}: the unit must rate OK or better"
    );
    // The level is a band; keep the score where it was measured (1.6) rather than let it
    // drift to the edge of "OK".
    assert!(score <= 2.5, "exposure score {score} (was 1.6)");
}

#[test]
fn packaged_config_is_valid_loopback_and_instance_principal() {
    let output = check_config(&packaged_config());
    let stdout = text(&output.stdout);
    assert!(
        output.status.success(),
        "ocimcpd --check-config etc/ocimcpd/ocimcpd.toml:\n{stdout}{}",
        text(&output.stderr)
    );
    assert!(
        output.stderr.is_empty(),
        "warnings on the packaged config:\n{}",
        text(&output.stderr)
    );
    // The built-in OCI tools are the one enabled backend; every example is disabled.
    let examples = std::fs::read_dir(root().join("etc/ocimcpd/backends.d"))
        .expect("read backends.d")
        .filter_map(Result::ok)
        .filter(|e| {
            let name = e.file_name();
            let name = name.to_string_lossy();
            name.ends_with(".toml") || name.ends_with(".json")
        })
        .count();
    assert!(examples >= 3, "backends.d ships {examples} examples");
    assert!(
        stdout.contains(&format!("{} backend(s), 1 enabled", examples + 1)),
        "{stdout}"
    );
    assert!(
        stdout.contains("MCP endpoint http://127.0.0.1:9000/mcp"),
        "{stdout}"
    );

    let config = std::fs::read_to_string(packaged_config()).expect("read packaged config");
    assert_eq!(
        toml_value(&config, "oci", "auth").as_deref(),
        Some("instance_principal")
    );
    assert_eq!(
        toml_value(&config, "builtin", "oci").as_deref(),
        Some("true")
    );
    assert_eq!(
        toml_value(&config, "daemon", "state_dir").as_deref(),
        Some("/var/lib/ocimcpd"),
        "the service's StateDirectory="
    );
}

/// `# key = value` and `# [section]` lines made live; prose comments stay comments.
fn uncomment(text: &str) -> String {
    let mut out = String::new();
    for line in text.lines() {
        let live = line.strip_prefix("# ").filter(|rest| {
            let key = rest.split(" = ").next().unwrap_or("");
            let is_key = rest.contains(" = ")
                && !key.is_empty()
                && key.chars().all(|c| c.is_ascii_lowercase() || c == '_');
            let is_section =
                rest.starts_with('[') && rest.trim_end().ends_with(']') && !rest.contains(' ');
            is_key || is_section
        });
        out.push_str(live.unwrap_or(line));
        out.push('\n');
    }
    out
}

/// `(section, key)` of every live assignment in a TOML text.
fn keys(text: &str) -> BTreeSet<(String, String)> {
    let mut section = String::new();
    let mut keys = BTreeSet::new();
    for line in text.lines() {
        let line = line.split('#').next().unwrap_or("").trim();
        if let Some(name) = line.strip_prefix('[') {
            section = name
                .trim_start_matches('[')
                .trim_end_matches(']')
                .to_owned();
        } else if let Some((key, _)) = line.split_once('=') {
            keys.insert((section.clone(), key.trim().to_owned()));
        }
    }
    keys
}

#[test]
fn every_commented_example_in_the_packaged_config_is_valid() {
    let packaged = std::fs::read_to_string(packaged_config()).expect("read packaged config");
    let live = uncomment(&packaged);
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::create_dir(dir.path().join("backends.d")).expect("backends.d");
    let path = dir.path().join("ocimcpd.toml");
    std::fs::write(&path, &live).expect("write uncommented config");
    let output = check_config(&path);
    assert!(
        output.status.success(),
        "with every example uncommented, --check-config refuses it:\n{}{}\n--- the file:\n{live}",
        text(&output.stdout),
        text(&output.stderr)
    );

    // Every key of the daemon file that docs/configuration.md documents is shown.
    let docs = std::fs::read_to_string(root().join("docs/configuration.md")).expect("read docs");
    let block = docs
        .split("## The daemon file")
        .nth(1)
        .and_then(|rest| rest.split("```toml").nth(1))
        .and_then(|rest| rest.split("```").next())
        .expect("the daemon file's TOML block in docs/configuration.md");
    let shown = keys(&live);
    let missing: Vec<_> = keys(block).difference(&shown).cloned().collect();
    assert!(
        missing.is_empty(),
        "keys documented in docs/configuration.md but not shown (even commented) in etc/ocimcpd/ocimcpd.toml: {missing:?}"
    );
}

#[test]
fn backend_examples_are_disabled_and_valid_once_enabled() {
    let examples_dir = root().join("etc/ocimcpd/backends.d");
    let mut checked = 0;
    for entry in std::fs::read_dir(&examples_dir).expect("read backends.d") {
        let path = entry.expect("dir entry").path();
        let name = path
            .file_name()
            .expect("a name")
            .to_string_lossy()
            .into_owned();
        let original = std::fs::read_to_string(&path).expect("read example");
        let enabled = if name.ends_with(".toml") {
            assert!(
                original.lines().any(|l| l.trim() == "enabled = false"),
                "{name} is not disabled"
            );
            original.replace("enabled = false", "enabled = true")
        } else if name.ends_with(".json") {
            assert!(
                original.contains("\"enabled\": false"),
                "{name} is not disabled"
            );
            original.replace("\"enabled\": false", "\"enabled\": true")
        } else {
            assert_eq!(name, "README", "an unexpected file in backends.d");
            continue;
        };
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::create_dir(dir.path().join("backends.d")).expect("backends.d");
        std::fs::write(dir.path().join("backends.d").join(&name), enabled).expect("write");
        let config = dir.path().join("ocimcpd.toml");
        std::fs::write(&config, "[builtin]\noci = false\n").expect("write config");
        let output = check_config(&config);
        let stdout = text(&output.stdout);
        assert!(
            output.status.success(),
            "backends.d/{name}, enabled, is refused:\n{stdout}{}",
            text(&output.stderr)
        );
        assert!(
            stdout.contains("1 backend(s), 1 enabled"),
            "{name}: {stdout}"
        );
        checked += 1;
    }
    assert!(checked >= 3, "only {checked} backend examples");
}
