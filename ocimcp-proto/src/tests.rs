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
