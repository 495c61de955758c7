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

fn client_peer() -> Peer {
    Peer {
        who: "an mcp.sock client".to_owned(),
        setting: "[gateway] max_request_bytes",
    }
}

fn pong(id: i64) -> TxJsonRpcMessage<RoleServer> {
    JsonRpcMessage::response(
        rmcp::model::ServerResult::empty(()),
        NumberOrString::Number(id),
    )
}

#[tokio::test]
async fn a_peer_that_does_not_read_is_cut_off_when_its_queue_is_full() {
    // The peer's end is kept open and never read: after 1 KiB, writes cannot go on.
    let (_peer, ours) = tokio::io::duplex(1024);
    let (read, write) = tokio::io::split(ours);
    let mut transport = JsonLines::<RoleServer, _, _>::new(read, write, 4096, client_peer());
    let mut failed = None;
    for i in 0..(10 * MAX_QUEUED_MESSAGES as i64) {
        // A send queues its message and never waits for the peer to read.
        let sent = tokio::time::timeout(Duration::from_secs(5), transport.send(pong(i)))
            .await
            .unwrap_or_else(|_| panic!("send {i} waited for the peer to read"));
        if let Err(e) = sent {
            failed = Some((i, e));
            break;
        }
    }
    let (sent, error) = failed.expect("a send fails once the queue is full");
    // The writer holds one batch, the duplex takes 1 KiB, the queue the rest.
    assert!(
        sent as usize <= MAX_QUEUED_MESSAGES + 100,
        "{sent} messages were taken before the limit"
    );
    let text = error.to_string();
    assert!(
        text.contains("an mcp.sock client") && text.contains(&MAX_QUEUED_MESSAGES.to_string()),
        "{text}"
    );
    // The connection is over: reading ends, and later sends fail at once.
    let end = tokio::time::timeout(
        Duration::from_secs(5),
        Transport::<RoleServer>::receive(&mut transport),
    )
    .await
    .expect("reading ends at once");
    assert!(end.is_none());
    assert!(transport.send(pong(0)).await.is_err());
}

#[tokio::test]
async fn a_large_message_is_queued_alone_but_many_are_bounded_by_bytes() {
    let (_peer, ours) = tokio::io::duplex(1024);
    let (read, write) = tokio::io::split(ours);
    let mut transport = JsonLines::<RoleServer, _, _>::new(read, write, 4096, client_peer());
    let big = |id: i64| -> TxJsonRpcMessage<RoleServer> {
        let text = "z".repeat(MAX_QUEUED_BYTES / 4);
        JsonRpcMessage::response(
            rmcp::model::ServerResult::CallToolResult(rmcp::model::CallToolResult::success(vec![
                rmcp::model::ContentBlock::text(text),
            ])),
            NumberOrString::Number(id),
        )
    };
    let mut sent = 0;
    loop {
        let result = tokio::time::timeout(Duration::from_secs(5), transport.send(big(sent)))
            .await
            .unwrap_or_else(|_| panic!("send {sent} waited for the peer to read"));
        if let Err(e) = result {
            assert!(e.to_string().contains("64 MiB"), "{e}");
            break;
        }
        sent += 1;
        assert!(sent < 10, "the byte bound does not hold");
    }
    // Each is a little over a quarter of the bound: the first (being written) and two
    // more fit.
    assert_eq!(sent, 3);
}

/// Answers pings (the default handler).
struct Pong;
impl rmcp::ServerHandler for Pong {}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_floods_requests_and_never_reads_is_disconnected() {
    use rmcp::ServiceExt;
    let (client, ours) = tokio::io::duplex(4096);
    let (read, write) = tokio::io::split(ours);
    let transport = JsonLines::<RoleServer, _, _>::new(read, write, 1 << 20, client_peer());
    // The client's reading half is held and never read.
    let (_client_read, mut client_write) = tokio::io::split(client);
    let flood = tokio::spawn(async move {
        let mut text = String::from(
            "{\"jsonrpc\":\"2.0\",\"id\":0,\"method\":\"initialize\",\"params\":{\"protocolVersion\":\"2025-06-18\",\"capabilities\":{},\"clientInfo\":{\"name\":\"flood\",\"version\":\"1\"}}}\n{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}\n",
        );
        for id in 1..20_000 {
            text.push_str(&format!(
                "{{\"jsonrpc\":\"2.0\",\"id\":{id},\"method\":\"ping\"}}\n"
            ));
        }
        // Fails once the gateway hangs up.
        let _ = client_write.write_all(text.as_bytes()).await;
    });
    let running = Pong.serve(transport).await.expect("initialized");
    tokio::time::timeout(Duration::from_secs(20), running.waiting())
        .await
        .expect("the session ends: the client is disconnected")
        .expect("join");
    let _ = flood.await;
    // Nothing is left waiting to write to it (the last handlers end soon after).
    let metrics = tokio::runtime::Handle::current().metrics();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while metrics.num_alive_tasks() > 10 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "{} tasks still alive",
            metrics.num_alive_tasks()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
