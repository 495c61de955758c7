use rmcp::model::NumberOrString;
use rmcp::service::{RoleClient, RunningService};
use rmcp::{ServerHandler, ServiceExt};

use super::*;

/// A server with nothing on it: only its peer (the handle to "a client") matters here.
struct Nothing;
impl ServerHandler for Nothing {}

/// A real server-side peer, connected over an in-memory pipe, and what keeps it open.
async fn client_peer() -> (
    Peer<RoleServer>,
    RunningService<RoleServer, Nothing>,
    RunningService<RoleClient, ()>,
) {
    let (server_end, client_end) = tokio::io::duplex(64 * 1024);
    let (server, client) = tokio::join!(
        Nothing.serve(tokio::io::split(server_end)),
        ().serve(tokio::io::split(client_end))
    );
    let server = server.expect("server side");
    (server.peer().clone(), server, client.expect("client side"))
}

fn id(n: i64) -> RequestId {
    NumberOrString::Number(n)
}

fn token(n: i64) -> ProgressToken {
    ProgressToken(NumberOrString::Number(n))
}

fn in_flight(client: &Peer<RoleServer>, key: u64, request: i64) -> InFlight {
    InFlight {
        client: client.clone(),
        client_key: key,
        client_request: id(request),
        client_progress: Some(token(1000 + request)),
        log_level: Some(LoggingLevel::Info),
        capabilities: None,
        protocol: None,
        stateless: false,
        progressed: Default::default(),
    }
}

fn relay() -> Arc<Relay> {
    Relay::new("b", broadcast::channel(4).0)
}

#[tokio::test]
async fn exact_origin_and_progress_tokens_map_back() {
    let (peer, _s, _c) = client_peer().await;
    let relay = relay();
    let _one = relay.register(id(1), token(11), in_flight(&peer, 1, 7));
    let _two = relay.register(id(2), token(12), in_flight(&peer, 2, 8));
    assert_eq!(
        relay.find(Some(&id(2))).await.unwrap().client_request,
        id(8)
    );
    assert_eq!(
        relay.by_progress(&token(11)).await.unwrap().client_progress,
        Some(token(1007))
    );
    assert!(relay.by_progress(&token(99)).await.is_none());
}

#[tokio::test]
async fn without_origin_only_a_single_client_is_a_match() {
    let (peer, _s, _c) = client_peer().await;
    let relay = relay();
    let first = relay.register(id(1), token(11), in_flight(&peer, 1, 7));
    let _same_client = relay.register(id(2), token(12), in_flight(&peer, 1, 9));
    // One client with two requests: its latest one.
    assert_eq!(relay.find(None).await.unwrap().client_request, id(9));
    let other = relay.register(id(3), token(13), in_flight(&peer, 2, 1));
    assert_eq!(relay.find(None).await.unwrap_err(), Unrouted::Ambiguous(2));
    assert_eq!(
        relay.log_owner(None).await.unwrap_err(),
        Unrouted::Ambiguous(2)
    );
    drop(other);
    drop(first);
    assert_eq!(relay.log_owner(None).await.unwrap().client_request, id(9));
}

#[tokio::test]
async fn a_log_message_belongs_to_the_request_it_names_or_to_the_sole_client() {
    let (peer, _s, _c) = client_peer().await;
    let relay = relay();
    assert_eq!(
        relay.log_owner(None).await.unwrap_err(),
        Unrouted::NoRequest
    );
    let _one = relay.register(id(1), token(11), in_flight(&peer, 1, 7));
    let _two = relay.register(id(2), token(12), in_flight(&peer, 2, 8));
    // Two clients in flight: only a message that names its request is theirs.
    assert_eq!(
        relay
            .log_owner(Some(&token(12)))
            .await
            .unwrap()
            .client_request,
        id(8)
    );
    assert_eq!(
        relay.log_owner(Some(&token(11))).await.unwrap().client_key,
        1
    );
    assert_eq!(
        relay.log_owner(None).await.unwrap_err(),
        Unrouted::Ambiguous(2)
    );
    // A token of no request in flight is nobody's, even with one client in flight.
    drop(_two);
    assert_eq!(
        relay.log_owner(Some(&token(99))).await.unwrap_err(),
        Unrouted::UnknownToken("99".to_owned())
    );
}

#[tokio::test]
async fn a_registration_on_its_way_is_waited_for() {
    let (peer, _s, _c) = client_peer().await;
    let relay = relay();
    let late = relay.clone();
    let registering = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(30)).await;
        late.register(id(5), token(15), in_flight(&peer, 1, 3))
    });
    assert_eq!(
        relay.find(Some(&id(5))).await.unwrap().client_request,
        id(3)
    );
    let registration = registering.await.unwrap();
    drop(registration);
    // Gone once the request finished, and nothing arrives within the grace.
    assert_eq!(
        relay.find(Some(&id(5))).await.unwrap_err(),
        Unrouted::NoRequest
    );
}

#[test]
fn log_levels_filter_by_severity() {
    assert!(wants(Some(LoggingLevel::Info), LoggingLevel::Error));
    assert!(wants(Some(LoggingLevel::Info), LoggingLevel::Info));
    assert!(!wants(Some(LoggingLevel::Warning), LoggingLevel::Info));
    assert!(!wants(None, LoggingLevel::Emergency));
}
