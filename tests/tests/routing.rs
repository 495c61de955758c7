//! Routing beyond tools: prompts, resources, templates and completions under a namespace;
//! list_changed from a backend reaching clients; stateless mode; JSON logs.

use std::time::Duration;

use ocimcp_tests::{
    Daemon, ToolListWatcher, call, call_text, connect, fixture, python_client, text, venv,
};
use rmcp::model::{
    ArgumentInfo, CompleteRequestParams, GetPromptRequestParams, ProtocolVersion,
    ReadResourceRequestParams, Reference, ResourceContents,
};
use serde_json::{Value, json};
use tokio::sync::mpsc;

fn config(extra_gateway: &str, extra_daemon: &str) -> String {
    format!(
        r#"
[daemon]
{extra_daemon}
[gateway]
listen = "127.0.0.1:0"
{extra_gateway}

[[backends]]
name = "py"
venv = "{venv}"
args = ["{server}"]
pythonpath = ["{lib}"]
"#,
        venv = venv("mcp").display(),
        server = fixture("python/mcp_echo_server.py").display(),
        lib = fixture("python/lib").display(),
    )
}

fn resource_text(contents: &ResourceContents) -> (&str, &str) {
    match contents {
        ResourceContents::TextResourceContents { uri, text, .. } => (uri, text),
        other => panic!("expected text contents, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn prompts_resources_templates_and_completions_are_namespaced_and_routed() {
    let daemon = Daemon::start(&config("", ""));
    daemon.wait_ready(Duration::from_secs(60)).await;
    let client = connect(&daemon.url(), ProtocolVersion::V_2025_11_25).await;
    let peer = client.peer();

    let prompts = peer.list_all_prompts().await.unwrap();
    assert_eq!(
        prompts.iter().map(|p| p.name.as_str()).collect::<Vec<_>>(),
        ["py_review"]
    );
    let prompt = peer
        .get_prompt(
            GetPromptRequestParams::new("py_review")
                .with_arguments(json!({"code": "x = 1"}).as_object().unwrap().clone()),
        )
        .await
        .unwrap();
    let message = prompt.messages[0]
        .content
        .as_text()
        .map(|t| t.text.as_str());
    assert_eq!(message, Some("Please review:\nx = 1"), "{prompt:?}");

    let resources = peer.list_all_resources().await.unwrap();
    assert_eq!(
        resources.iter().map(|r| r.uri.as_str()).collect::<Vec<_>>(),
        ["config://py/settings"]
    );
    let read = peer
        .read_resource(ReadResourceRequestParams::new("config://py/settings"))
        .await
        .unwrap();
    assert_eq!(
        resource_text(&read.contents[0]),
        ("config://py/settings", "mode=test")
    );

    let templates = peer.list_all_resource_templates().await.unwrap();
    assert_eq!(
        templates
            .iter()
            .map(|t| t.uri_template.as_str())
            .collect::<Vec<_>>(),
        ["notes://py/note/{note_id}"]
    );
    let read = peer
        .read_resource(ReadResourceRequestParams::new("notes://py/note/42"))
        .await
        .unwrap();
    assert_eq!(
        resource_text(&read.contents[0]),
        ("notes://py/note/42", "note 42")
    );

    let completed = peer
        .complete(CompleteRequestParams::new(
            Reference::for_resource("notes://py/note/{note_id}"),
            ArgumentInfo::new("note_id", "a"),
        ))
        .await
        .unwrap();
    assert_eq!(completed.completion.values, ["alpha"]);
    let completed = peer
        .complete(CompleteRequestParams::new(
            Reference::for_prompt("py_review"),
            ArgumentInfo::new("code", ""),
        ))
        .await
        .unwrap();
    assert_eq!(completed.completion.values, ["print(1)"]);

    // Unknown names are clear errors, not hangs.
    let missing = peer
        .read_resource(ReadResourceRequestParams::new("config://nobody/settings"))
        .await
        .unwrap_err();
    assert!(
        missing
            .to_string()
            .contains("no backend serves resource `config://nobody/settings`"),
        "{missing}"
    );
    let unknown = call(&client, "py_nonexistent", json!({}))
        .await
        .unwrap_err();
    assert!(
        unknown.contains("unknown tool `py_nonexistent`"),
        "{unknown}"
    );
    // A backend's own error comes through as it is.
    let bad = call(&client, "py_echo", json!({"wrong": 1})).await;
    match bad {
        Ok(result) => assert_eq!(result.is_error, Some(true), "{result:?}"),
        Err(message) => assert!(message.contains("message"), "{message}"),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_backend_list_change_reaches_connected_clients() {
    let daemon = Daemon::start(&config("", ""));
    daemon.wait_ready(Duration::from_secs(60)).await;
    let (changes, mut changed) = mpsc::unbounded_channel();
    let client = ocimcp_tests::connect_with(&daemon.url(), ToolListWatcher { changes }).await;
    let before = client.list_all_tools().await.unwrap();
    assert!(!before.iter().any(|t| t.name == "py_extra"));

    let grown = client
        .call_tool(rmcp::model::CallToolRequestParams::new("py_grow"))
        .await
        .unwrap();
    assert_eq!(text(&grown), "grown");
    tokio::time::timeout(Duration::from_secs(10), changed.recv())
        .await
        .expect("notifications/tools/list_changed within 10s")
        .expect("watcher alive");

    let after = client.list_all_tools().await.unwrap();
    assert!(
        after.iter().any(|t| t.name == "py_extra"),
        "{:?}",
        after.iter().map(|t| &t.name).collect::<Vec<_>>()
    );
    let doubled = client
        .call_tool(
            rmcp::model::CallToolRequestParams::new("py_extra")
                .with_arguments(json!({"x": 21}).as_object().unwrap().clone()),
        )
        .await
        .unwrap();
    assert_eq!(text(&doubled), "42");
}

#[tokio::test(flavor = "multi_thread")]
async fn stateless_mode_serves_without_sessions() {
    let daemon = Daemon::start(&config("stateless = true", ""));
    daemon.wait_ready(Duration::from_secs(60)).await;

    let response = reqwest::Client::new()
        .post(daemon.url())
        .header("accept", "application/json, text/event-stream")
        .json(&json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "curl", "version": "1"}}}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(
        response.headers().get("mcp-session-id").is_none(),
        "stateless mode hands out no session"
    );

    let client = connect(&daemon.url(), ProtocolVersion::V_2025_11_25).await;
    assert_eq!(
        call_text(&client, "py_echo", json!({"message": "stateless"})).await,
        "py-echo: stateless"
    );
    for mode in ["auto", "legacy"] {
        let report = python_client(
            &daemon.url(),
            mode,
            &json!([["py_echo", {"message": mode}]]),
        );
        assert_eq!(
            report["results"][0]["text"][0],
            format!("py-echo: {mode}"),
            "{report}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn json_logs_are_one_object_per_line() {
    let daemon = Daemon::start(&config("", "log_format = \"json\""));
    daemon.wait_ready(Duration::from_secs(60)).await;
    let log = daemon.log();
    assert!(log.contains("backend ready"), "{log}");
    for line in log.lines() {
        let parsed: Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
        assert!(
            parsed["level"].is_string() && parsed["fields"].is_object(),
            "{line}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_clients_meta_reaches_the_backend_without_hop_keys() {
    let daemon = Daemon::start(&config("", ""));
    daemon.wait_ready(Duration::from_secs(60)).await;
    let client = connect(&daemon.url(), ProtocolVersion::V_2025_11_25).await;
    let mut params = rmcp::model::CallToolRequestParams::new("py_meta");
    let meta = json!({"traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", "com.example/user": "alice"});
    params.meta = Some(serde_json::from_value(meta).unwrap());
    let result = client.call_tool(params).await.unwrap();
    let seen: Value = serde_json::from_str(&text(&result)).unwrap();
    assert_eq!(
        seen["traceparent"], "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
        "{seen}"
    );
    assert_eq!(seen["com.example/user"], "alice", "{seen}");

    // A 2026-07-28 client puts its protocol fields in every request's _meta; they are its
    // own hop's and do not reach the backend.
    let report = python_client(&daemon.url(), "auto", &json!([["py_meta", {}]]));
    assert_eq!(report["protocol_version"], "2026-07-28");
    let seen = report["results"][0]["text"][0].as_str().unwrap();
    assert!(!seen.contains("io.modelcontextprotocol/"), "{seen}");
}

#[tokio::test(flavor = "multi_thread")]
async fn resource_links_in_results_use_exposed_uris() {
    let daemon = Daemon::start(&config("", ""));
    daemon.wait_ready(Duration::from_secs(60)).await;
    let client = connect(&daemon.url(), ProtocolVersion::V_2025_11_25).await;
    let result = call(&client, "py_link", json!({})).await.unwrap();
    let rmcp::model::ContentBlock::ResourceLink(link) = &result.content[0] else {
        panic!("{result:?}")
    };
    assert_eq!(link.uri, "config://py/settings");
    let read = client
        .peer()
        .read_resource(ReadResourceRequestParams::new(link.uri.clone()))
        .await
        .unwrap();
    assert_eq!(resource_text(&read.contents[0]).1, "mode=test");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_backend_without_optional_lists_still_serves() {
    let daemon = Daemon::start(&format!(
        "[gateway]\nlisten = \"127.0.0.1:0\"\n[[backends]]\nname = \"raw\"\ncommand = \"python3\"\nargs = [\"{}\"]\n",
        fixture("python/raw_stdio_server.py").display()
    ));
    daemon.wait_ready(Duration::from_secs(30)).await;
    let client = connect(&daemon.url(), ProtocolVersion::V_2025_11_25).await;
    assert_eq!(
        call_text(&client, "raw_hello", json!({})).await,
        "hello from raw"
    );
    let resources = client.peer().list_all_resources().await.unwrap();
    assert_eq!(resources[0].uri, "raw://raw/readme");
    assert!(
        client
            .peer()
            .list_all_resource_templates()
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn foreign_hosts_and_origins_are_refused() {
    let daemon = Daemon::start(&config("", ""));
    daemon.wait_ready(Duration::from_secs(60)).await;
    let initialize = json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}});
    let post = |host: Option<&'static str>, origin: Option<&'static str>| {
        let mut request = reqwest::Client::new()
            .post(daemon.url())
            .header("accept", "application/json, text/event-stream")
            .json(&initialize);
        if let Some(host) = host {
            request = request.header("host", host);
        }
        if let Some(origin) = origin {
            request = request.header("origin", origin);
        }
        request.send()
    };
    // A page on another site reaching the loopback gateway (DNS rebinding).
    assert_eq!(
        post(Some("evil.example.com"), None).await.unwrap().status(),
        403
    );
    assert_eq!(
        post(None, Some("http://evil.example.com"))
            .await
            .unwrap()
            .status(),
        403
    );
    // The gateway's own names and origins, and clients that send no Origin, are served.
    assert_eq!(
        post(None, Some("http://localhost:3000"))
            .await
            .unwrap()
            .status(),
        200
    );
    assert_eq!(post(None, None).await.unwrap().status(), 200);
}
