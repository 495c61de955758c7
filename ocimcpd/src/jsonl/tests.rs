use rmcp::model::{JsonRpcMessage, NumberOrString};
use rmcp::service::{RoleClient, RoleServer};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

use super::*;

fn peer() -> Peer {
    Peer {
        who: "backend `b`".to_owned(),
        setting: "limits.max_response_bytes",
    }
}

#[tokio::test]
async fn an_oversized_response_fails_its_request_and_reading_goes_on() {
    let (mut backend, ours) = tokio::io::duplex(1024);
    let (read, write) = tokio::io::split(ours);
    let mut transport = JsonLines::<RoleClient, _, _>::new(read, write, 4096, peer());
    let big = "x".repeat(100_000);
    let writer = tokio::spawn(async move {
        let text = format!(
            "not json at all\n{{\"jsonrpc\":\"2.0\",\"id\":4,\"result\":{{\"content\":[{{\"type\":\"text\",\"text\":\"{big}\"}}]}}}}\n{{\"jsonrpc\":\"2.0\",\"id\":5,\"result\":{{}}}}\n"
        );
        backend.write_all(text.as_bytes()).await.expect("write");
        backend
    });
    let first = Transport::<RoleClient>::receive(&mut transport)
        .await
        .expect("an error for request 4");
    let JsonRpcMessage::Error(error) = first else {
        panic!("expected an error, got {first:?}")
    };
    assert_eq!(error.id, Some(NumberOrString::Number(4)));
    assert_eq!(error.error.code, TOO_LARGE);
    assert!(
        error.error.message.contains("backend `b`")
            && error.error.message.contains("limit of 4 KiB")
            && error.error.message.contains("limits.max_response_bytes"),
        "{}",
        error.error.message
    );
    let second = Transport::<RoleClient>::receive(&mut transport)
        .await
        .expect("response 5");
    assert!(matches!(second, JsonRpcMessage::Response(r) if r.id == NumberOrString::Number(5)));
    drop(writer.await.expect("writer"));
    assert!(
        Transport::<RoleClient>::receive(&mut transport)
            .await
            .is_none()
    );
}

#[tokio::test]
async fn an_oversized_request_is_answered_with_an_error() {
    let (client, ours) = tokio::io::duplex(1024);
    let (read, write) = tokio::io::split(ours);
    let mut transport = JsonLines::<RoleServer, _, _>::new(
        read,
        write,
        4096,
        Peer {
            who: "an mcp.sock client".to_owned(),
            setting: "[gateway] max_request_bytes",
        },
    );
    let (client_read, mut client_write) = tokio::io::split(client);
    let big = "y".repeat(10_000);
    tokio::spawn(async move {
        let text = format!(
            "{{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{{\"name\":\"t\",\"arguments\":{{\"a\":\"{big}\"}}}}}}\n{{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"ping\"}}\n"
        );
        client_write
            .write_all(text.as_bytes())
            .await
            .expect("write");
        client_write
    });
    let next = Transport::<RoleServer>::receive(&mut transport)
        .await
        .expect("the ping");
    assert!(matches!(next, JsonRpcMessage::Request(r) if r.id == NumberOrString::Number(2)));
    let mut lines = BufReader::new(client_read).lines();
    let answer: serde_json::Value =
        serde_json::from_str(&lines.next_line().await.expect("read").expect("a line"))
            .expect("json");
    assert_eq!(answer["id"], 1);
    assert_eq!(answer["error"]["code"], TOO_LARGE.0);
    assert!(
        answer["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("[gateway] max_request_bytes")),
        "{answer}"
    );
}

#[tokio::test]
async fn a_backend_request_that_cannot_be_read_is_answered() {
    let (backend, ours) = tokio::io::duplex(4096);
    let (read, write) = tokio::io::split(ours);
    let mut transport = JsonLines::<RoleClient, _, _>::new(read, write, 4096, peer());
    let (backend_read, mut backend_write) = tokio::io::split(backend);
    backend_write
        .write_all(b"{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":\"sampling/createMessage\",\"params\":\"bad\"}\n{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{}}\n")
        .await
        .expect("write");
    let next = Transport::<RoleClient>::receive(&mut transport)
        .await
        .expect("the response after it");
    assert!(matches!(next, JsonRpcMessage::Response(r) if r.id == NumberOrString::Number(1)));
    let mut lines = BufReader::new(backend_read).lines();
    let answer: serde_json::Value =
        serde_json::from_str(&lines.next_line().await.expect("read").expect("a line"))
            .expect("json");
    assert_eq!(answer["id"], 9);
    assert_eq!(answer["error"]["code"], -32600, "{answer}");
}
