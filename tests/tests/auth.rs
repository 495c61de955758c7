//! Inbound auth over HTTP, as built so far: static bearer tokens from `[[auth.tokens]]`
//! (hashes from `ocimcpctl token hash`), the 401/400 challenges with the protected-resource
//! metadata's URL, the metadata itself (RFC 9728), and what needs no token (health checks,
//! `mcp.sock`).

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::Duration;

use ocimcp_tests::{Daemon, binary, call, call_until_ok, connect_with_token, faulty_backend, text};
use serde_json::{Value, json};

const TOKEN: &str = "ocimcp-test-token-9f2c41d7e8a6";

/// `ocimcpctl token hash` of `token`, as the operator would run it.
fn token_hash(token: &str) -> String {
    let mut child = Command::new(binary("ocimcpctl"))
        .args(["token", "hash"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("run ocimcpctl token hash");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(format!("{token}\n").as_bytes())
        .expect("write the token");
    let output = child.wait_with_output().expect("ocimcpctl token hash");
    assert!(output.status.success(), "{output:?}");
    let hash = String::from_utf8_lossy(&output.stdout).trim().to_owned();
    assert!(
        !hash.contains(token),
        "the token itself is never printed: {hash}"
    );
    hash
}

fn start() -> Daemon {
    Daemon::start_with(
        &format!(
            "[gateway]\nlisten = \"127.0.0.1:0\"\n\n[auth]\nrequired = true\nscopes_supported = [\"oci.read\"]\n\n[[auth.tokens]]\nname = \"ci-bot\"\nhash = \"{}\"\nscopes = [\"oci.read\"]\n",
            token_hash(TOKEN)
        ),
        &[("b.toml", &faulty_backend())],
        &[],
    )
}

fn initialize() -> Value {
    json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-06-18", "capabilities": {},
        "clientInfo": {"name": "auth-test", "version": "1"}}})
}

/// POSTs `initialize` with the given extra header; the status and `WWW-Authenticate`.
async fn post(url: &str, header: Option<(&str, &str)>) -> (u16, String, Value) {
    let mut request = reqwest::Client::new()
        .post(url)
        .header("accept", "application/json, text/event-stream")
        .json(&initialize());
    if let Some((name, value)) = header {
        request = request.header(name, value);
    }
    let response = request.send().await.expect("POST");
    let status = response.status().as_u16();
    let challenge = response
        .headers()
        .get("www-authenticate")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let body = response.json().await.unwrap_or(Value::Null);
    (status, challenge, body)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_required_token_is_checked_and_refusals_say_where_to_get_one() {
    let daemon = start();
    let url = daemon.url();
    let origin = url.trim_end_matches("/mcp").to_owned();
    let metadata_url = format!("{origin}/.well-known/oauth-protected-resource/mcp");

    // No token: 401 and where the metadata is, nothing else.
    let (status, challenge, body) = post(&url, None).await;
    assert_eq!(status, 401, "{body}");
    assert_eq!(
        challenge,
        format!("Bearer resource_metadata=\"{metadata_url}\"")
    );
    // A token the gateway does not know, a malformed header, a token in the query string.
    let (status, challenge, _) = post(&url, Some(("authorization", "Bearer not-the-token"))).await;
    assert_eq!(status, 401);
    assert!(challenge.contains("error=\"invalid_token\""), "{challenge}");
    assert!(challenge.contains(&metadata_url), "{challenge}");
    let (status, challenge, _) = post(&url, Some(("authorization", TOKEN))).await;
    assert_eq!(status, 400);
    assert!(
        challenge.contains("error=\"invalid_request\""),
        "{challenge}"
    );
    let (status, challenge, body) = post(&format!("{url}?access_token={TOKEN}"), None).await;
    assert_eq!(status, 400);
    assert!(
        challenge.contains("error=\"invalid_request\""),
        "{challenge}"
    );
    assert!(
        body["error"]
            .as_str()
            .unwrap_or_default()
            .contains("query string"),
        "{body}"
    );

    // The metadata, without a token.
    for path in [
        "/.well-known/oauth-protected-resource/mcp",
        "/.well-known/oauth-protected-resource",
    ] {
        let metadata: Value = reqwest::get(format!("{origin}{path}"))
            .await
            .expect("GET metadata")
            .json()
            .await
            .expect("metadata JSON");
        assert_eq!(metadata["resource"], url, "{metadata}");
        assert_eq!(metadata["scopes_supported"], json!(["oci.read"]));
        assert_eq!(metadata["bearer_methods_supported"], json!(["header"]));
    }
    // Health checks need no token.
    let health = reqwest::get(daemon.http_url("/healthz"))
        .await
        .expect("healthz");
    assert_eq!(health.status(), 200);

    // A real MCP client with the token is served.
    let client = connect_with_token(&url, TOKEN).await;
    call_until_ok(
        &client,
        "b_echo",
        json!({"text": "up"}),
        Duration::from_secs(30),
    )
    .await;
    let echoed = call(&client, "b_echo", json!({"text": "with a token"}))
        .await
        .expect("a call with the token");
    assert_eq!(text(&echoed), "with a token");

    // mcp.sock is local: its callers are judged by their Unix user, not by a token.
    let called = daemon.ctl(&["call", "b_echo", "--arg", "text=locally"]);
    assert_eq!(called.code, 0, "{called:?}");
    assert!(called.stdout.contains("locally"), "{called:?}");
}

/// Without `required`, the loopback endpoint stays open: a request without a token, or with
/// one the gateway does not know (a user's identity-domain token for identity propagation),
/// is served; a token in the query string is still refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_required_auth_the_endpoint_stays_open() {
    let daemon = Daemon::start("[gateway]\nlisten = \"127.0.0.1:0\"\n");
    let url = daemon.url();
    let (status, _, _) = post(&url, None).await;
    assert_eq!(status, 200);
    let (status, _, _) = post(&url, Some(("authorization", "Bearer a-users-jwt"))).await;
    assert_eq!(status, 200);
    let (status, _, _) = post(&format!("{url}?access_token=x"), None).await;
    assert_eq!(status, 400);
}

#[test]
fn bad_auth_config_is_refused_with_the_key() {
    let dir = tempfile::tempdir().expect("temp dir");
    let config = dir.path().join("ocimcpd.toml");
    std::fs::write(
        &config,
        "[auth]\nrequired = true\n\n[[auth.tokens]]\nname = \"ci bot\"\nhash = \"md5:abc\"\n",
    )
    .expect("write config");
    let output = Command::new(binary("ocimcpd"))
        .arg("--check-config")
        .arg("--config")
        .arg(&config)
        .output()
        .expect("ocimcpd --check-config");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(stderr.contains("key `auth.tokens.name`"), "{stderr}");
    assert!(stderr.contains("key `auth.tokens.hash`"), "{stderr}");
    assert!(stderr.contains("ocimcpctl token hash"), "{stderr}");
}
