//! The wire format, pinned: what the daemon sends and `ocimcpctl` (or any script on the
//! admin socket) reads. A change here is a protocol change (`docs/admin-protocol.md`).

use serde_json::{Value, json};

use crate::admin::{
    Applied, JSONRPC, LogsParams, PERMISSION_DENIED, Reloaded, Request, Response, RpcError,
};
use crate::backend::{BackendReport, BackendState, EnabledBy};
use crate::local_socket::REFUSED;

fn report() -> BackendReport {
    BackendReport {
        name: "notes".to_owned(),
        state: BackendState::Quarantined,
        state_for_seconds: 1.5,
        since_unix: 1_700_000_000.25,
        transport: "stdio".to_owned(),
        enabled: true,
        enabled_by: EnabledBy::State,
        namespace: "notes".to_owned(),
        tags: vec!["team".to_owned()],
        tools: 3,
        restarts: 2,
        consecutive_failures: 4,
        last_ping_ms: None,
        in_flight: 0,
        queued: 0,
        last_exit: Some("exited with status 1".to_owned()),
        last_error: None,
        pid: None,
        next_attempt_in_seconds: Some(30.0),
        server: None,
        protocol_version: None,
        conflicts: Vec::new(),
    }
}

#[test]
fn a_backend_report_keeps_its_field_names_and_snake_case_states() {
    let value = serde_json::to_value(report()).unwrap();
    assert_eq!(
        value,
        json!({
            "name": "notes", "state": "quarantined", "state_for_seconds": 1.5,
            "since_unix": 1_700_000_000.25, "transport": "stdio", "enabled": true,
            "enabled_by": "state", "namespace": "notes", "tags": ["team"], "tools": 3,
            "restarts": 2, "consecutive_failures": 4, "last_ping_ms": null, "in_flight": 0,
            "queued": 0, "last_exit": "exited with status 1", "last_error": null, "pid": null,
            "next_attempt_in_seconds": 30.0, "server": null, "protocol_version": null,
            "conflicts": [],
        })
    );
    let back: BackendReport = serde_json::from_value(value).unwrap();
    assert_eq!(back.state, BackendState::Quarantined);
    assert_eq!(back.state.to_string(), "quarantined");
}

#[test]
fn an_older_report_without_the_later_fields_still_reads() {
    let mut value = serde_json::to_value(report()).unwrap();
    let fields = value.as_object_mut().unwrap();
    for later in [
        "since_unix",
        "consecutive_failures",
        "last_ping_ms",
        "in_flight",
        "queued",
    ] {
        fields.remove(later);
    }
    let back: BackendReport = serde_json::from_value(value).unwrap();
    assert_eq!(back.in_flight, 0);
}

#[test]
fn a_reload_flattens_what_it_applied() {
    let reloaded = Reloaded {
        applied: Applied {
            added: vec!["a".to_owned()],
            changed: Vec::new(),
            removed: vec!["b".to_owned()],
            unchanged: 2,
        },
        notes: vec!["[gateway] listen changes apply at restart".to_owned()],
    };
    assert_eq!(
        serde_json::to_value(&reloaded).unwrap(),
        json!({
            "added": ["a"], "changed": [], "removed": ["b"], "unchanged": 2,
            "notes": ["[gateway] listen changes apply at restart"],
        })
    );
    assert!(!reloaded.applied.is_empty());
    assert!(Applied::default().is_empty());
}

#[test]
fn requests_and_responses_are_json_rpc_lines() {
    let request = Request {
        jsonrpc: JSONRPC.to_owned(),
        id: Value::from(1),
        method: "status".to_owned(),
        params: Value::Null,
    };
    assert_eq!(
        serde_json::to_string(&request).unwrap(),
        r#"{"jsonrpc":"2.0","id":1,"method":"status"}"#
    );
    let refused = Response::new(
        Value::Null,
        Err(RpcError {
            code: PERMISSION_DENIED,
            message: "no".to_owned(),
        }),
    );
    assert_eq!(
        serde_json::to_string(&refused).unwrap(),
        r#"{"jsonrpc":"2.0","id":null,"error":{"code":-32001,"message":"no"}}"#
    );
    assert_eq!(PERMISSION_DENIED, REFUSED);
}

#[test]
fn params_reject_unknown_fields_and_fill_defaults() {
    let logs: LogsParams = serde_json::from_value(json!({})).unwrap();
    assert_eq!((logs.backend, logs.lines, logs.follow), (None, 50, false));
    assert!(serde_json::from_value::<LogsParams>(json!({ "tail": 5 })).is_err());
}

mod runtime_dir_trust {
    use crate::paths::{DirFacts, distrust};

    const ME: u32 = 1000;
    const SOCKETS: u32 = 990;

    fn dir(uid: u32, gid: u32, mode: u32) -> DirFacts {
        DirFacts {
            is_symlink: false,
            is_dir: true,
            uid,
            gid,
            mode,
        }
    }

    #[test]
    fn a_private_folder_of_root_or_the_user_is_trusted() {
        assert_eq!(distrust(&dir(ME, ME, 0o700), &[0, ME], None), None);
        assert_eq!(distrust(&dir(0, 0, 0o755), &[0, ME], None), None);
        // The packaged /run/ocimcpd: the service's user, its group, 0750 (or 0770).
        let packaged = [0, ME, SOCKETS];
        assert_eq!(
            distrust(&dir(SOCKETS, SOCKETS, 0o750), &packaged, Some(SOCKETS)),
            None
        );
        assert_eq!(
            distrust(&dir(SOCKETS, SOCKETS, 0o770), &packaged, Some(SOCKETS)),
            None
        );
    }

    #[test]
    fn another_users_folder_is_refused() {
        let why = distrust(&dir(1001, 1001, 0o700), &[0, ME], None).unwrap();
        assert_eq!(why, "it belongs to uid 1001, not to uid 0 or uid 1000");
    }

    #[test]
    fn a_folder_others_may_write_to_is_refused_even_with_the_sticky_bit() {
        let why = distrust(&dir(ME, ME, 0o1777), &[0, ME], None).unwrap();
        assert_eq!(why, "anyone may write to it (mode 1777)");
        let why = distrust(&dir(0, 0, 0o777), &[0, ME], Some(0)).unwrap();
        assert!(why.starts_with("anyone may write"), "{why}");
    }

    #[test]
    fn a_group_writable_folder_is_refused_unless_the_group_is_the_socket_group() {
        let why = distrust(&dir(ME, 100, 0o770), &[0, ME], Some(SOCKETS)).unwrap();
        assert_eq!(why, "its group (gid 100) may write to it (mode 0770)");
        assert_eq!(
            distrust(&dir(ME, SOCKETS, 0o770), &[0, ME], Some(SOCKETS)),
            None
        );
    }

    #[test]
    fn a_symlink_or_a_file_is_refused() {
        let mut link = dir(ME, ME, 0o777);
        link.is_symlink = true;
        link.is_dir = false;
        assert!(
            distrust(&link, &[0, ME], None)
                .unwrap()
                .contains("symbolic link")
        );
        let mut file = dir(ME, ME, 0o600);
        file.is_dir = false;
        assert_eq!(
            distrust(&file, &[0, ME], None).unwrap(),
            "it is not a directory"
        );
    }
}

mod default_dirs {
    use std::ffi::OsString;
    use std::path::PathBuf;

    use crate::paths::{runtime_dir_in, state_dir_in};

    fn env(vars: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<OsString> {
        move |name| {
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| OsString::from(v))
        }
    }

    #[test]
    fn a_user_gets_xdg_runtime_dir_then_a_folder_in_home_and_never_tmp() {
        let xdg = env(&[("XDG_RUNTIME_DIR", "/run/user/1000"), ("HOME", "/home/al")]);
        assert_eq!(
            runtime_dir_in(&xdg, false).unwrap(),
            PathBuf::from("/run/user/1000/ocimcpd")
        );
        let home = env(&[("XDG_RUNTIME_DIR", ""), ("HOME", "/home/al")]);
        assert_eq!(
            runtime_dir_in(&home, false).unwrap(),
            PathBuf::from("/home/al/.local/state/ocimcpd/run")
        );
        assert_eq!(
            state_dir_in(&home, false).unwrap(),
            PathBuf::from("/home/al/.local/state/ocimcpd")
        );
        let nothing = env(&[]);
        let error = runtime_dir_in(&nothing, false).unwrap_err().to_string();
        assert!(
            error.contains("set OCIMCPD_RUNTIME_DIR or [daemon] runtime_dir"),
            "{error}"
        );
        assert!(!error.contains("/tmp/ocimcpd"), "{error}");
        let error = state_dir_in(&nothing, false).unwrap_err().to_string();
        assert!(
            error.contains("set OCIMCPD_STATE_DIR or [daemon] state_dir"),
            "{error}"
        );
    }

    #[test]
    fn root_gets_the_system_folders_and_the_variables_win() {
        let nothing = env(&[]);
        assert_eq!(
            runtime_dir_in(&nothing, true).unwrap(),
            PathBuf::from("/run/ocimcpd")
        );
        assert_eq!(
            state_dir_in(&nothing, true).unwrap(),
            PathBuf::from("/var/lib/ocimcpd")
        );
        let named = env(&[
            ("OCIMCPD_RUNTIME_DIR", "/srv/run"),
            ("OCIMCPD_STATE_DIR", "/srv/state"),
        ]);
        assert_eq!(
            runtime_dir_in(&named, false).unwrap(),
            PathBuf::from("/srv/run")
        );
        assert_eq!(
            state_dir_in(&named, true).unwrap(),
            PathBuf::from("/srv/state")
        );
    }
}
