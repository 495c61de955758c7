//! The `ocimcpd` command line: config checking (for people and as JSON), the embedded
//! default, usage errors.

use std::path::Path;
use std::process::{Command, Output};

fn ocimcpd(args: &[&str], config: Option<&Path>) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_ocimcpd"));
    command.args(args).env_remove("OCIMCPD_CONFIG");
    if let Some(config) = config {
        command.arg("--config").arg(config);
    }
    command.output().expect("run ocimcpd")
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn check_config_names_file_line_and_key() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("ocimcpd.toml");
    let backends = dir.path().join("backends.d");
    std::fs::create_dir(&backends).unwrap();
    std::fs::write(&config, "[gateway]\nlisten = \"127.0.0.1:0\"\n").unwrap();

    // A name collision: two backends claiming one namespace.
    std::fs::write(
        backends.join("alpha.toml"),
        "command = \"python3\"\nnamespace = \"tools\"\n",
    )
    .unwrap();
    std::fs::write(
        backends.join("beta.toml"),
        "# second\ncommand = \"python3\"\nnamespace = \"tools\"\n",
    )
    .unwrap();
    let output = ocimcpd(&["--check-config"], Some(&config));
    assert_eq!(output.status.code(), Some(1));
    let err = stderr(&output);
    assert!(
        err.contains("beta.toml:3:13: key `namespace`: backend `beta` uses namespace `tools`"),
        "{err}"
    );
    assert!(
        err.contains("alpha.toml:2:13"),
        "the first definition is named too: {err}"
    );

    // An unknown key.
    std::fs::write(
        backends.join("beta.toml"),
        "command = \"python3\"\n\n[restart]\nbackof_max = \"9s\"\n",
    )
    .unwrap();
    let output = ocimcpd(&["--check-config"], Some(&config));
    assert_eq!(output.status.code(), Some(1));
    let err = stderr(&output);
    assert!(
        err.contains("beta.toml:4:1: key `restart.backof_max`: unknown field `backof_max`"),
        "{err}"
    );

    // Both backends named the same (one by file stem, one by `name`).
    std::fs::write(
        backends.join("beta.toml"),
        "name = \"alpha\"\ncommand = \"python3\"\nnamespace = \"other\"\n",
    )
    .unwrap();
    let output = ocimcpd(&["--check-config"], Some(&config));
    assert_eq!(output.status.code(), Some(1));
    let err = stderr(&output);
    assert!(
        err.contains("beta.toml:1:8: key `name`: backend name `alpha` is already used"),
        "{err}"
    );

    std::fs::remove_file(backends.join("beta.toml")).unwrap();
    let output = ocimcpd(&["--check-config"], Some(&config));
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(String::from_utf8_lossy(&output.stdout).contains("configuration OK"));
}

#[test]
fn missing_explicit_config_is_an_error() {
    let output = ocimcpd(
        &["--check-config"],
        Some(Path::new("/nonexistent/ocimcpd.toml")),
    );
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("config file not found"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn embedded_default_prints_and_validates() {
    let output = ocimcpd(&["--print-default-config"], None);
    assert!(output.status.success());
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(text.contains("listen = \"127.0.0.1:9000\""));

    // The printed default, used as a file, is valid as it is.
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("ocimcpd.toml");
    std::fs::write(&config, &text).unwrap();
    let output = ocimcpd(&["--check-config"], Some(&config));
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
}

#[test]
fn usage_errors_exit_2() {
    let output = ocimcpd(&["--no-such-flag"], None);
    assert_eq!(output.status.code(), Some(2));
    // --json only qualifies --check-config.
    assert_eq!(ocimcpd(&["--json"], None).status.code(), Some(2));
}

/// `--check-config --json`: the report `ocimcpctl --json check-config` relays.
#[test]
fn check_config_reports_as_json() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("ocimcpd.toml");
    std::fs::write(&config, "[gateway]\nlisten = \"127.0.0.1:0\"\n").unwrap();
    let output = ocimcpd(&["--check-config", "--json"], Some(&config));
    assert!(output.status.success(), "{output:?}");
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["valid"], true, "{report}");
    assert_eq!(report["source"], config.display().to_string(), "{report}");
    assert!(
        report["backends"].is_u64() && report["enabled"].is_u64(),
        "{report}"
    );
    assert!(report["warnings"].is_array(), "{report}");

    std::fs::write(&config, "[gateway]\nlisten = \"nowhere\"\n").unwrap();
    let output = ocimcpd(&["--check-config", "--json"], Some(&config));
    assert_eq!(output.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["valid"], false, "{report}");
    let first = report["errors"][0].as_str().unwrap();
    assert!(first.contains("ocimcpd.toml:2:10"), "{report}");
    // People still read why on stderr.
    assert!(stderr(&output).contains("invalid configuration"));
}

#[test]
fn check_config_names_oci_mistakes_by_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("ocimcpd.toml");
    std::fs::write(
        &config,
        "[oci]\nauth = \"password\"\nendpoint = \"127.0.0.1:8080\"\n\n[oci.endpoints]\ncompute = \"http://127.0.0.1:1\"\nmonitoring = \"http://127.0.0.1:2\"\n",
    )
    .expect("write the config");
    let output = ocimcpd(&["--check-config"], Some(&config));
    assert_eq!(output.status.code(), Some(1));
    let err = stderr(&output);
    for expected in [
        "ocimcpd.toml:2:8: key `oci.auth`: unknown OCI auth method `password`: use api_key, security_token, instance_principal, resource_principal or oke_workload_identity",
        "ocimcpd.toml:3:12: key `oci.endpoint`: endpoint `127.0.0.1:8080` is not an http:// or https:// URL",
        "ocimcpd.toml:6:11: key `oci.endpoints.compute`: [oci.endpoints] names `compute`, which is not a service",
    ] {
        assert!(err.contains(expected), "missing {expected:?} in:\n{err}");
    }
    assert!(
        !err.contains("oci.endpoints.monitoring"),
        "a good entry is not reported: {err}"
    );

    std::fs::write(
        &config,
        "[oci]\nauth = \"instance_principal\"\nregion = \"iad\"\n\n[oci.endpoints]\nmonitoring = \"http://127.0.0.1:2\"\n",
    )
    .expect("write the config");
    let output = ocimcpd(&["--check-config"], Some(&config));
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
}
