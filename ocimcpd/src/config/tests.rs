use std::fs;
use std::time::Duration;

use super::*;

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    fs::write(&path, text).unwrap();
    path
}

fn load_dir(dir: &Path, config: &str) -> Result<Settings, ConfigError> {
    let path = write(dir, "ocimcpd.toml", config);
    load(&ConfigPath::Explicit(path))
}

#[test]
fn embedded_default_is_valid() {
    let dir = tempfile::tempdir().unwrap();
    let would_be = dir.path().join("missing.toml");
    let settings = load(&ConfigPath::Default(would_be.clone())).unwrap();
    assert_eq!(settings.source, ConfigSource::Embedded { would_be });
    assert_eq!(settings.gateway.listen.to_string(), "127.0.0.1:9000");
    assert_eq!(settings.gateway.path, "/mcp");
    let [builtin] = &settings.backends[..] else {
        panic!("only the built-in OCI tools: {:?}", settings.backends)
    };
    assert_eq!(
        (builtin.name.as_str(), builtin.namespace.as_str()),
        ("oci", "")
    );
    assert!(matches!(
        builtin.transport,
        Transport::InProcess(Builtin::Oci(_))
    ));
    assert_eq!(settings.backends_dir, dir.path().join("backends.d"));
}

#[test]
fn explicit_missing_file_is_an_error() {
    let err = load(&ConfigPath::Explicit("/nonexistent/ocimcpd.toml".into())).unwrap_err();
    assert!(
        err.to_string()
            .contains("/nonexistent/ocimcpd.toml: config file not found"),
        "{err}"
    );
}

#[test]
fn backend_files_and_inline_entries_merge_in_order() {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir(dir.path().join("backends.d")).unwrap();
    write(
        &dir.path().join("backends.d"),
        "b.toml",
        "command = \"b\"\n",
    );
    write(
        &dir.path().join("backends.d"),
        "a.toml",
        "command = \"a\"\nnamespace = \"\"\n",
    );
    write(&dir.path().join("backends.d"), ".a.toml.swp", "garbage");
    write(&dir.path().join("backends.d"), "notes.txt", "garbage");
    let settings = load_dir(
        dir.path(),
        "[[backends]]\nname = \"inline\"\ntransport = \"streamable_http\"\nurl = \"http://127.0.0.1:1/mcp\"\nheaders = { Authorization = \"Bearer x\" }\n",
    )
    .unwrap();
    let names: Vec<_> = settings.backends.iter().map(|b| b.name.as_str()).collect();
    assert_eq!(
        names,
        ["inline", "a", "b", "oci"],
        "the built-in tools last"
    );
    assert_eq!(settings.backends[1].namespace, "");
    assert_eq!(settings.backends[2].namespace, "b");
    let Transport::StreamableHttp(http) = &settings.backends[0].transport else {
        panic!()
    };
    assert_eq!(http.headers["Authorization"], "Bearer x");
}

#[test]
fn unknown_key_names_file_line_and_key() {
    let dir = tempfile::tempdir().unwrap();
    let backends = dir.path().join("backends.d");
    fs::create_dir(&backends).unwrap();
    write(
        &backends,
        "jira.toml",
        "command = \"python\"\n\ncomand = \"x\"\n",
    );
    let err = load_dir(dir.path(), "").unwrap_err().to_string();
    assert!(err.contains("jira.toml:3:1"), "{err}");
    assert!(err.contains("unknown field `comand`"), "{err}");
}

#[test]
fn bad_nested_value_names_key_path() {
    let dir = tempfile::tempdir().unwrap();
    let backends = dir.path().join("backends.d");
    fs::create_dir(&backends).unwrap();
    write(
        &backends,
        "x.toml",
        "command = \"x\"\n[restart]\npolicy = \"sometimes\"\n",
    );
    let err = load_dir(dir.path(), "").unwrap_err().to_string();
    assert!(err.contains("x.toml:3:"), "{err}");
    assert!(err.contains("key `restart.policy`"), "{err}");
    assert!(err.contains("sometimes"), "{err}");
}

#[test]
fn bad_duration_and_backoff_order() {
    let dir = tempfile::tempdir().unwrap();
    let backends = dir.path().join("backends.d");
    fs::create_dir(&backends).unwrap();
    write(
        &backends,
        "x.toml",
        "command = \"x\"\n[restart]\nbackoff_min = \"10s\"\nbackoff_max = \"1s\"\n[timeouts]\ncall = \"soon\"\n",
    );
    let err = load_dir(dir.path(), "").unwrap_err().to_string();
    assert!(err.contains("key `timeouts.call`"), "{err}");
    assert!(err.contains("`soon` is not a duration"), "{err}");

    write(
        &backends,
        "x.toml",
        "command = \"x\"\n[restart]\nbackoff_min = \"10s\"\nbackoff_max = \"1s\"\n",
    );
    let err = load_dir(dir.path(), "").unwrap_err().to_string();
    assert!(
        err.contains("x.toml:4:15: key `restart.backoff_max`"),
        "{err}"
    );
}

#[test]
fn duplicate_names_are_reported_with_both_places() {
    let dir = tempfile::tempdir().unwrap();
    let backends = dir.path().join("backends.d");
    fs::create_dir(&backends).unwrap();
    write(&backends, "one.toml", "name = \"tools\"\ncommand = \"a\"\n");
    write(&backends, "two.toml", "command = \"b\"\nname = \"tools\"\n");
    let err = load_dir(dir.path(), "").unwrap_err().to_string();
    assert!(
        err.contains("two.toml:2:8: key `name`: backend name `tools` is already used"),
        "{err}"
    );
    assert!(err.contains("one.toml:1:8"), "{err}");
}

#[test]
fn duplicate_namespaces_collide() {
    let dir = tempfile::tempdir().unwrap();
    let err = load_dir(
        dir.path(),
        "[[backends]]\nname = \"a\"\ncommand = \"a\"\nnamespace = \"x\"\n[[backends]]\nname = \"b\"\ncommand = \"b\"\nnamespace = \"x\"\n",
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("ocimcpd.toml:8:13: key `namespace`: backend `b` uses namespace `x`"),
        "{err}"
    );
    assert!(
        err.contains("backend `a` (") && err.contains("ocimcpd.toml:4:13)"),
        "{err}"
    );
}

#[test]
fn reserved_namespace_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let err = load_dir(
        dir.path(),
        "[[backends]]\nname = \"gateway\"\ncommand = \"a\"\n",
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("reserved for the gateway's own tools"),
        "{err}"
    );
}

#[test]
fn transport_specific_keys_are_checked() {
    let dir = tempfile::tempdir().unwrap();
    let err = load_dir(dir.path(), "[[backends]]\nname = \"a\"\n")
        .unwrap_err()
        .to_string();
    assert!(err.contains("key `backends[0].command`: missing"), "{err}");

    let err = load_dir(
        dir.path(),
        "[[backends]]\nname = \"a\"\ntransport = \"streamable_http\"\ncommand = \"x\"\n",
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("key `backends[0].command`: `command` is for `stdio` backends"),
        "{err}"
    );
    assert!(err.contains("key `backends[0].url`: missing"), "{err}");

    let err = load_dir(
        dir.path(),
        "[[backends]]\nname = \"a\"\ntransport = \"streamable_http\"\nurl = \"ftp://x\"\n",
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("ocimcpd.toml:4:7: key `backends[0].url`"),
        "{err}"
    );

    let err = load_dir(
        dir.path(),
        "[[backends]]\nname = \"a\"\ntransport = \"in_process\"\n",
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("in_process is reserved"), "{err}");
}

#[test]
fn venv_alone_is_enough_for_stdio() {
    let dir = tempfile::tempdir().unwrap();
    let settings = load_dir(dir.path(), "[[backends]]\nname = \"py\"\nvenv = \"venvs/py\"\nargs = [\"-m\", \"srv\"]\ncwd = \"proj\"\n").unwrap();
    let Transport::Stdio(stdio) = &settings.backends[0].transport else {
        panic!()
    };
    assert_eq!(stdio.command, None);
    assert_eq!(
        stdio.venv.as_deref(),
        Some(dir.path().join("venvs/py").as_path())
    );
    assert_eq!(
        stdio.cwd.as_deref(),
        Some(dir.path().join("proj").as_path())
    );
}

#[test]
fn gateway_section_is_validated() {
    let dir = tempfile::tempdir().unwrap();
    let err = load_dir(dir.path(), "[gateway]\nlisten = \"0.0.0.0:9000\"\n")
        .unwrap_err()
        .to_string();
    assert!(err.contains("key `gateway.allowed_hosts`"), "{err}");
    assert!(err.contains("not a loopback address"), "{err}");

    let settings = load_dir(
        dir.path(),
        "[gateway]\nlisten = \"0.0.0.0:9000\"\nallowed_hosts = [\"gw.example.com\"]\n",
    )
    .unwrap();
    assert_eq!(settings.gateway.allowed_hosts, ["gw.example.com"]);

    let err = load_dir(
        dir.path(),
        "[gateway]\nlisten = \"nowhere\"\npath = \"/healthz\"\n",
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("ocimcpd.toml:2:10: key `gateway.listen`"),
        "{err}"
    );
    assert!(err.contains("key `gateway.path`"), "{err}");

    let err = load_dir(
        dir.path(),
        "[gateway]\nlisten = \"127.0.0.1:1\"\nport = 3\n",
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("ocimcpd.toml:3:1: key `gateway.port`: unknown field `port`"),
        "{err}"
    );

    let err = load_dir(dir.path(), "[daemon]\nlog_level = \"=[\"\n")
        .unwrap_err()
        .to_string();
    assert!(err.contains("key `daemon.log_level`"), "{err}");

    let err = load_dir(dir.path(), "[daemon]\nworker_threads = 0\n")
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("ocimcpd.toml:2:18: key `daemon.worker_threads`: must be at least 1"),
        "{err}"
    );
    let settings = load_dir(dir.path(), "[daemon]\nworker_threads = 3\n").unwrap();
    assert_eq!(settings.daemon.worker_threads, 3);
    let settings = load_dir(dir.path(), "").unwrap();
    assert_eq!(
        settings.daemon.worker_threads,
        super::daemon::default_worker_threads()
    );
    assert!(settings.daemon.worker_threads >= 1);
}

#[test]
fn gateway_limits_have_defaults_and_are_checked() {
    let dir = tempfile::tempdir().unwrap();
    let gateway = load_dir(dir.path(), "").unwrap().gateway;
    assert_eq!(gateway.max_request_bytes, 4 << 20);
    assert_eq!(gateway.max_inflight_request_bytes, 16 << 20);
    assert_eq!(gateway.max_connections, 4096);
    assert_eq!(gateway.max_connections_per_client, 256);
    assert_eq!(gateway.header_read_timeout, Duration::from_secs(10));
    assert_eq!(gateway.idle_timeout, Duration::from_secs(120));
    assert_eq!(gateway.body_read_timeout, Duration::from_secs(30));

    // A larger request size lifts the in-flight default with it.
    let gateway = load_dir(dir.path(), "[gateway]\nmax_request_bytes = \"32MiB\"\n")
        .unwrap()
        .gateway;
    assert_eq!(gateway.max_inflight_request_bytes, 32 << 20);

    let err = load_dir(
        dir.path(),
        "[gateway]\nmax_request_bytes = \"8MiB\"\nmax_inflight_request_bytes = \"4MiB\"\nmax_connections = 0\nidle_timeout = \"0s\"\n",
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("key `gateway.max_inflight_request_bytes`: must be at least 8388608"),
        "{err}"
    );
    assert!(
        err.contains("key `gateway.max_connections`: must be at least 1"),
        "{err}"
    );
    assert!(
        err.contains("key `gateway.idle_timeout`: must be longer than zero"),
        "{err}"
    );
}

#[test]
fn seed_json_fragments_map_to_specs() {
    let dir = tempfile::tempdir().unwrap();
    let backends = dir.path().join("backends.d");
    fs::create_dir(&backends).unwrap();
    write(
        &backends,
        "seed.json",
        r#"[
  {"name": "oci-compute", "command": "python", "args": ["-m", "srv"], "pythonpath": ["src"],
   "env": {"ALLOW_MUTATIONS": "false"}, "oci_profile": "DEV", "namespace_tools": false,
   "request_timeout": 12.5, "health_check_interval": 30},
  {"name": "remote", "transport": "streamable_http", "url": "https://mcp.example.com/mcp",
   "auth_method": "bearer_token", "bearer_token": "s3cret"}
]"#,
    );
    let settings = load_dir(dir.path(), "[builtin]\noci = false\n").unwrap();
    let [compute, remote] = &settings.backends[..] else {
        panic!("{:?}", settings.backends)
    };
    assert_eq!(compute.namespace, "");
    assert_eq!(
        compute.timeouts.call,
        std::time::Duration::from_millis(12500)
    );
    let Transport::Stdio(stdio) = &compute.transport else {
        panic!()
    };
    assert_eq!(stdio.env["OCI_PROFILE"], "DEV");
    assert_eq!(stdio.env["ALLOW_MUTATIONS"], "false");
    assert_eq!(stdio.pythonpath, ["src"]);
    let Transport::StreamableHttp(http) = &remote.transport else {
        panic!()
    };
    assert_eq!(http.headers["Authorization"], "Bearer s3cret");
    assert_eq!(compute.health.interval, std::time::Duration::from_secs(30));
    assert!(settings.warnings.is_empty(), "{:?}", settings.warnings);
}

#[test]
fn seed_json_unknown_key_has_line() {
    let dir = tempfile::tempdir().unwrap();
    let backends = dir.path().join("backends.d");
    fs::create_dir(&backends).unwrap();
    write(
        &backends,
        "one.json",
        "{\n  \"name\": \"x\",\n  \"command\": \"y\",\n  \"colour\": \"red\"\n}\n",
    );
    let err = load_dir(dir.path(), "").unwrap_err().to_string();
    assert!(
        err.contains("one.json:4:3: key `colour`: unknown field `colour`"),
        "{err}"
    );

    write(
        &backends,
        "one.json",
        "{\n  \"name\": \"x\",\n  \"enabled\": \"yes\"\n}\n",
    );
    let err = load_dir(dir.path(), "").unwrap_err().to_string();
    assert!(
        err.contains("one.json:3:3: key `enabled`: invalid type"),
        "{err}"
    );

    write(&backends, "one.json", "{\n  \"name\": \"x\",\n");
    let err = load_dir(dir.path(), "").unwrap_err().to_string();
    assert!(err.contains("one.json:3:"), "{err}");
}

#[test]
fn file_stem_must_be_a_valid_name() {
    let dir = tempfile::tempdir().unwrap();
    let backends = dir.path().join("backends.d");
    fs::create_dir(&backends).unwrap();
    write(&backends, "bad name.toml", "command = \"x\"\n");
    let err = load_dir(dir.path(), "").unwrap_err().to_string();
    assert!(err.contains("bad name.toml:1:1: key `name`"), "{err}");
    assert!(err.contains("set `name` in the file"), "{err}");
}

#[test]
fn tool_filters() {
    let dir = tempfile::tempdir().unwrap();
    let settings = load_dir(dir.path(), "[[backends]]\nname = \"a\"\ncommand = \"a\"\n[backends.tools]\nallow = [\"list_*\", \"get_*\"]\ndeny = [\"*_secret\"]\n").unwrap();
    let filter = &settings.backends[0].tools;
    assert!(filter.admits("list_things"));
    assert!(!filter.admits("list_secret"));
    assert!(!filter.admits("delete_things"));
}

#[test]
fn possible_runtime_clashes_are_warned_about() {
    let dir = tempfile::tempdir().unwrap();
    let settings = load_dir(
        dir.path(),
        "[[backends]]\nname = \"a\"\ncommand = \"a\"\nnamespace = \"\"\n[[backends]]\nname = \"b\"\ncommand = \"b\"\nnamespace = \"\"\n\
         [[backends]]\nname = \"c\"\ncommand = \"c\"\n[[backends]]\nname = \"c_d\"\ncommand = \"d\"\n",
    )
    .unwrap();
    let warnings: Vec<String> = settings.warnings.iter().map(ToString::to_string).collect();
    assert_eq!(warnings.len(), 2, "{warnings:?}");
    assert!(
        warnings[0]
            .contains("backends `a` and `b` may expose the same tool names: both are unprefixed"),
        "{warnings:?}"
    );
    assert!(
        warnings[1].contains("namespace `c` is a prefix of `c_d`"),
        "{warnings:?}"
    );
}

#[test]
fn seed_json_list_errors_point_into_their_entry() {
    let dir = tempfile::tempdir().unwrap();
    let backends = dir.path().join("backends.d");
    fs::create_dir(&backends).unwrap();
    write(
        &backends,
        "two.json",
        "[\n  {\"name\": \"a\", \"command\": \"x\"},\n  {\"name\": \"b\",\n   \"command\": 3}\n]\n",
    );
    let err = load_dir(dir.path(), "").unwrap_err().to_string();
    assert!(
        err.contains("two.json:4:4: key `[1].command`: invalid type"),
        "{err}"
    );
}

#[test]
fn runtime_state_and_scan_paths_resolve_against_the_config_folder() {
    let dir = tempfile::tempdir().unwrap();
    let settings = load_dir(
        dir.path(),
        "[daemon]\nruntime_dir = \"run\"\nstate_dir = \"/var/tmp/ocimcpd-state\"\n[discovery]\nscan_paths = [\"projects\", \"/srv/mcp\"]\n",
    )
    .unwrap();
    let base = std::path::absolute(dir.path()).unwrap();
    assert_eq!(settings.daemon.runtime_dir, base.join("run"));
    assert_eq!(
        settings.daemon.state_dir,
        Path::new("/var/tmp/ocimcpd-state")
    );
    assert_eq!(
        settings.scan_paths,
        [base.join("projects"), PathBuf::from("/srv/mcp")]
    );
}

#[test]
fn resilience_sections_are_read_and_checked() {
    use std::time::Duration;
    let dir = tempfile::tempdir().unwrap();
    let backends = dir.path().join("backends.d");
    fs::create_dir(&backends).unwrap();
    write(
        &backends,
        "slow.toml",
        r#"command = "srv"
[health]
interval = "5s"
timeout = "2s"
failures_to_degrade = 2
failures_to_quarantine = 4
probe_min = "1s"
probe_max = "1m"
[restart]
crash_loop_exits = 3
crash_loop_window = "20s"
[timeouts]
call = "60s"
idle = "10s"
[[timeouts.tools]]
tools = ["export_*", "report"]
call = "30m"
idle = "5m"
[[timeouts.tools]]
tools = ["quick"]
call = "2s"
[limits]
max_concurrency = 4
max_queue = 8
max_response_bytes = "1MiB"
"#,
    );
    let settings = load_dir(dir.path(), "").unwrap();
    let spec = &settings.backends[0];
    assert_eq!(spec.health.interval, Duration::from_secs(5));
    assert_eq!(spec.health.failures_to_quarantine, 4);
    assert_eq!(spec.restart.crash_loop_exits, 3);
    assert_eq!(spec.limits.max_concurrency, 4);
    assert_eq!(spec.limits.max_response_bytes, 1 << 20);
    let export = spec.timeouts.for_request(Some("export_csv"));
    assert_eq!(
        (export.call, export.idle),
        (Duration::from_secs(1800), Duration::from_secs(300))
    );
    let quick = spec.timeouts.for_request(Some("quick"));
    assert_eq!(
        (quick.call, quick.idle),
        // The backend's idle limit is longer than this tool's call limit: the call rules.
        (Duration::from_secs(2), Duration::from_secs(2))
    );
    let other = spec.timeouts.for_request(None);
    assert_eq!(
        (other.call, other.idle),
        (Duration::from_secs(60), Duration::from_secs(10))
    );

    // Without an idle limit, the call limit (the tool's own, where set) is the only one.
    write(
        &backends,
        "slow.toml",
        "command = \"srv\"\n[timeouts]\ncall = \"20s\"\n[[timeouts.tools]]\ntools = [\"long\"]\ncall = \"1h\"\n",
    );
    let settings = load_dir(dir.path(), "").unwrap();
    let timeouts = &settings.backends[0].timeouts;
    assert_eq!(timeouts.idle, None);
    let long = timeouts.for_request(Some("long"));
    assert_eq!(
        (long.call, long.idle),
        (Duration::from_secs(3600), Duration::from_secs(3600))
    );
    let short = timeouts.for_request(Some("other"));
    assert_eq!(short.idle, Duration::from_secs(20));

    write(
        &backends,
        "slow.toml",
        r#"command = "srv"
[health]
failures_to_degrade = 3
failures_to_quarantine = 2
[limits]
max_concurrency = 0
max_response_bytes = "1KiB"
[[timeouts.tools]]
tools = []
"#,
    );
    let error = load_dir(dir.path(), "").unwrap_err().to_string();
    for expected in [
        "health.failures_to_quarantine",
        "limits.max_concurrency",
        "limits.max_response_bytes",
        "timeouts.tools[0].tools",
        "sets neither `call` nor `idle`",
    ] {
        assert!(error.contains(expected), "{expected} missing from: {error}");
    }
}

#[test]
fn the_builtin_oci_tools_are_on_unless_turned_off_and_their_name_is_taken() {
    let dir = tempfile::tempdir().unwrap();
    let off = load_dir(dir.path(), "[builtin]\noci = false\n").unwrap();
    assert!(off.backends.is_empty());

    let configured = load_dir(
        dir.path(),
        "[oci]\ncompartment_id = \"ocid1.compartment.oc1..ccc\"\nallow_mutations = true\n",
    )
    .unwrap();
    let Transport::InProcess(Builtin::Oci(oci)) = &configured.backends[0].transport else {
        panic!("{:?}", configured.backends)
    };
    assert_eq!(
        oci.compartment_id.as_deref(),
        Some("ocid1.compartment.oc1..ccc")
    );
    assert!(oci.allow_mutations);

    let clash = load_dir(
        dir.path(),
        "[[backends]]\nname = \"oci\"\ncommand = \"x\"\n",
    )
    .unwrap_err()
    .to_string();
    assert!(
        clash.contains("ocimcpd.toml:2:8: key `name`: backend name `oci` is the name of the built-in oci tool set; rename this backend, or set `[builtin] oci = false`"),
        "{clash}"
    );

    let bad = load_dir(dir.path(), "[oci]\ncompartment_id = \"ocid1.vcn.oc1..x\"\n")
        .unwrap_err()
        .to_string();
    assert!(
        bad.contains("ocimcpd.toml:2:18: key `oci.compartment_id`: `ocid1.vcn.oc1..x` is not a compartment OCID"),
        "{bad}"
    );
    let half = load_dir(dir.path(), "[oci]\nidentity_propagation = true\n")
        .unwrap_err()
        .to_string();
    assert!(
        half.contains(
            "key `oci.identity_propagation`: identity propagation needs `[oci.identity_domain]`"
        ),
        "{half}"
    );
    let whole = load_dir(
        dir.path(),
        "[oci]\nidentity_propagation = true\n[oci.identity_domain]\nurl = \"https://idcs.example.com\"\nclient_id = \"c\"\nclient_secret_file = \"secret\"\n",
    )
    .unwrap();
    let Transport::InProcess(Builtin::Oci(oci)) = &whole.backends[0].transport else {
        panic!("{:?}", whole.backends)
    };
    let domain = oci
        .identity_propagation
        .as_ref()
        .expect("the identity domain");
    assert_eq!(domain.client_secret_file, dir.path().join("secret"));
    let plain = load_dir(
        dir.path(),
        "[oci]\nidentity_propagation = true\n[oci.identity_domain]\nurl = \"http://idcs.example.com\"\nclient_id = \"c\"\nclient_secret_file = \"secret\"\n",
    )
    .unwrap_err()
    .to_string();
    assert!(
        plain.contains("ocimcpd.toml:4:7: key `oci.identity_domain.url`: `http://idcs.example.com` sends the client secret and users' tokens unencrypted to `idcs.example.com`, which is not this machine: use the identity domain's https:// URL"),
        "{plain}"
    );
    let domain_url = |url: &str| {
        load_dir(
            dir.path(),
            &format!("[oci]\nidentity_propagation = true\n[oci.identity_domain]\nurl = \"{url}\"\nclient_id = \"c\"\nclient_secret_file = \"secret\"\n"),
        )
        .map(|_| ())
        .map_err(|e| e.to_string())
    };
    for local in [
        "http://127.0.0.1:8080",
        "http://localhost:8080/",
        "http://[::1]:8080",
        "http://127.0.0.2",
        "https://idcs-abc.identity.oraclecloud.com",
        "https://127.0.0.1:80@idcs.example.com",
    ] {
        domain_url(local).unwrap_or_else(|e| panic!("{local}: {e}"));
    }
    // Whatever comes before `@` is a user name: the request goes to the host after it.
    for (remote, host) in [
        ("http://127.0.0.1:80@evil.example", "evil.example"),
        ("http://localhost@evil.example/", "evil.example"),
        ("http://localhost.evil.example", "localhost.evil.example"),
        ("http://127.0.0.1.evil.example", "127.0.0.1.evil.example"),
        ("http://[::ffff:7f00:1]", "[::ffff:7f00:1]"),
    ] {
        let error = domain_url(remote).expect_err(remote);
        assert!(
            error.contains(&format!(
                "unencrypted to `{host}`, which is not this machine"
            )),
            "{remote}: {error}"
        );
    }
    for (odd, says) in [
        ("idcs.example.com", "is not a URL"),
        ("ftp://idcs.example.com", "is not an https:// URL"),
    ] {
        let error = domain_url(odd).expect_err(odd);
        assert!(
            error.contains(says) && error.contains("Domain URL"),
            "{odd}: {error}"
        );
    }
    let unknown = load_dir(dir.path(), "[builtin]\noke = true\n")
        .unwrap_err()
        .to_string();
    assert!(unknown.contains("unknown field `oke`"), "{unknown}");
}

#[test]
fn user_and_group_are_read_for_stdio_backends_only() {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir(dir.path().join("backends.d")).unwrap();
    write(
        &dir.path().join("backends.d"),
        "jira.toml",
        "command = \"jira-mcp\"\nuser = \"mcp-jira\"\ngroup = \"1234\"\n",
    );
    let settings = load_dir(dir.path(), "[builtin]\noci = false\n").unwrap();
    let Transport::Stdio(stdio) = &settings.backends[0].transport else {
        panic!("stdio: {:?}", settings.backends[0]);
    };
    assert_eq!(stdio.user.as_deref(), Some("mcp-jira"));
    assert_eq!(stdio.group.as_deref(), Some("1234"));

    // Unset, the backend runs as the daemon.
    let settings = load_dir(
        dir.path(),
        "[builtin]\noci = false\n[[backends]]\nname = \"a\"\ncommand = \"x\"\n",
    )
    .unwrap();
    let a = settings.backends.iter().find(|b| b.name == "a").unwrap();
    let Transport::Stdio(stdio) = &a.transport else {
        panic!("stdio: {a:?}");
    };
    assert_eq!(
        (stdio.user.as_deref(), stdio.group.as_deref()),
        (None, None)
    );

    let err = load_dir(
        dir.path(),
        "[[backends]]\nname = \"b\"\ncommand = \"x\"\nuser = \"two words\"\ngroup = \"\"\n",
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.contains(
            "ocimcpd.toml:4:8: key `backends[0].user`: `two words` is not a user name or number"
        ),
        "{err}"
    );
    assert!(
        err.contains("key `backends[0].group`: `` is not a group name"),
        "{err}"
    );

    let err = load_dir(
        dir.path(),
        "[[backends]]\nname = \"c\"\ntransport = \"streamable_http\"\nurl = \"http://127.0.0.1:1/mcp\"\nuser = \"x\"\n",
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("key `backends[0].user`: `user` is for `stdio` backends"),
        "{err}"
    );
}

#[test]
fn backend_specs_print_no_env_or_header_values() {
    let dir = tempfile::tempdir().unwrap();
    let settings = load_dir(
        dir.path(),
        "[[backends]]\nname = \"a\"\ncommand = \"x\"\nenv = { API_KEY = \"s3cret-env\" }\n\n[[backends]]\nname = \"b\"\ntransport = \"streamable_http\"\nurl = \"https://mcp.example.com/mcp\"\nheaders = { Authorization = \"Bearer s3cret-header\" }\n",
    )
    .unwrap();
    let printed = format!("{:?}", settings.backends);
    assert!(!printed.contains("s3cret"), "{printed}");
    assert!(
        printed.contains("API_KEY") && printed.contains("Authorization"),
        "{printed}"
    );
}
