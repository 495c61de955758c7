//! The HTTP listener: the MCP endpoint (Streamable HTTP, both protocol eras) at the
//! configured path, behind the bearer-token check of `auth.rs`; and, without auth,
//! `/healthz`, `/readyz` and the protected-resource metadata. It bounds what clients
//! may take of the daemon: connections (`connections.rs`: places in all and per address,
//! header-read and idle timeouts), request bodies (`max_request_bytes` each, and
//! `body_budget.rs` across all connections), and sessions (`session_slots.rs`); and it
//! refuses new sessions with 503 while the daemon drains.

mod auth;
mod body_budget;
mod connections;
mod health;
mod session_slots;

use std::collections::HashSet;
use std::convert::Infallible;
use std::net::IpAddr;
use std::sync::Arc;

use bytes::Bytes;
use http::{Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full, combinators::BoxBody};
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
use serde_json::json;
use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use self::body_budget::BodyBudget;
use self::connections::{ConnectionLimits, ConnectionPlace, Made, Tracked};
use self::session_slots::SessionSlots;
use super::Gateway;
use super::handler::GatewaySession;
use crate::log_ring::Throttle;

type Body = BoxBody<Bytes, Infallible>;
type McpService = StreamableHttpService<GatewaySession, LocalSessionManager>;

/// The MCP service and what the listener tracks of its sessions and request bodies.
#[derive(Clone)]
struct Mcp {
    service: McpService,
    sessions: Arc<LocalSessionManager>,
    slots: Arc<SessionSlots>,
    bodies: Arc<BodyBudget>,
}

impl Mcp {
    /// A place for a new session from `client`, or why there is none.
    async fn reserve_session(&self, client: IpAddr) -> Result<session_slots::SessionSlot, String> {
        let epoch = self.slots.epoch();
        let open: HashSet<String> = self
            .sessions
            .sessions
            .read()
            .await
            .keys()
            .map(|id| id.to_string())
            .collect();
        self.slots.reserve(client, &open, epoch)
    }
}

/// Builds the rmcp Streamable HTTP service for `gateway`. Sessions (and their SSE
/// streams) end when `shutdown` fires.
fn mcp_service(gateway: &Arc<Gateway>, shutdown: &CancellationToken) -> Mcp {
    let settings = &gateway.settings;
    let mut config = StreamableHttpServerConfig::default()
        .with_max_request_body_bytes(settings.max_request_bytes)
        .with_cancellation_token(shutdown.child_token())
        // Stateless: every request stands alone, no Mcp-Session-Id; JSON answers when possible.
        .with_legacy_session_mode(!settings.stateless)
        .with_json_response(settings.stateless);
    config = if settings.allowed_hosts.is_empty() {
        config.disable_allowed_hosts()
    } else {
        config.with_allowed_hosts(settings.allowed_hosts.clone())
    };
    if !settings.allowed_origins.is_empty() {
        config = config.with_allowed_origins(settings.allowed_origins.clone());
    }
    let factory_gateway = gateway.clone();
    let sessions = Arc::new(LocalSessionManager::default());
    let service = StreamableHttpService::new(
        move || Ok(GatewaySession::new(factory_gateway.clone())),
        sessions.clone(),
        config,
    );
    Mcp {
        service,
        sessions,
        slots: SessionSlots::new(settings.max_sessions, settings.max_sessions_per_client),
        bodies: BodyBudget::new(settings.max_inflight_request_bytes),
    }
}

/// The current soft limit on open file descriptors (what `ocimcpd` raised it to at start).
fn descriptor_limit() -> u64 {
    nix::sys::resource::getrlimit(nix::sys::resource::Resource::RLIMIT_NOFILE)
        .map_or(1024, |(soft, _)| soft)
}

/// Accepts connections until `shutdown`, then lets open ones finish gracefully.
pub async fn serve(listener: TcpListener, gateway: Arc<Gateway>, shutdown: CancellationToken) {
    let mcp = mcp_service(&gateway, &shutdown);
    let settings = &gateway.settings;
    let nofile = descriptor_limit();
    let max_connections = connections::descriptor_cap(settings.max_connections, nofile);
    if max_connections < settings.max_connections {
        tracing::warn!(
            "HTTP connections are capped at {max_connections}, below [gateway] max_connections = {}, to keep file descriptors for the daemon's own work (the limit is {nofile}; raise LimitNOFILE= to allow more)",
            settings.max_connections
        );
    }
    let limits = ConnectionLimits::new(max_connections, settings.max_connections_per_client);
    let mut refusals = Throttle::new(5, std::time::Duration::from_secs(10));
    let mut evictions = Throttle::new(5, std::time::Duration::from_secs(10));
    let connections = TaskTracker::new();
    loop {
        let (stream, peer) = tokio::select! {
            _ = shutdown.cancelled() => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Usually EMFILE; keep serving the connections we have.
                    tracing::warn!("accepting an HTTP connection failed: {e}");
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let place = match limits.admit(peer.ip()) {
            Ok((place, made)) => {
                if let Made::Evicted(why) = made
                    && let Some(held_back) = evictions.admit()
                {
                    tracing::info!(%peer, held_back, "closed the HTTP connection idle longest to make room: {why}");
                }
                place
            }
            Err(why) => {
                if let Some(held_back) = refusals.admit() {
                    tracing::warn!(%peer, held_back, "HTTP connection refused: {why}");
                }
                refuse_connection(&stream, &why);
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let gateway = gateway.clone();
        let mcp = mcp.clone();
        let shutdown = shutdown.clone();
        connections.spawn(serve_connection(
            stream, peer, place, gateway, mcp, shutdown,
        ));
    }
    connections.close();
    connections.wait().await;
}

/// Tells a refused client why, if its socket takes the few bytes at once, and closes it.
fn refuse_connection(stream: &TcpStream, why: &str) {
    let _ = stream.try_write(&connections::refusal_bytes(why));
}

/// Serves one connection until it ends, sits idle too long, gives its place to a
/// newcomer, or the daemon stops.
async fn serve_connection(
    stream: TcpStream,
    peer: std::net::SocketAddr,
    place: ConnectionPlace,
    gateway: Arc<Gateway>,
    mcp: Mcp,
    shutdown: CancellationToken,
) {
    let settings = &gateway.settings;
    let (header_read, idle) = (settings.header_read_timeout, settings.idle_timeout);
    let activity = place.activity.clone();
    let service_activity = activity.clone();
    let service_gateway = gateway.clone();
    let service = hyper::service::service_fn(move |request| {
        let in_progress = service_activity.start();
        let (gateway, mcp) = (service_gateway.clone(), mcp.clone());
        async move {
            let response = route(request, peer.ip(), gateway, mcp).await;
            Ok::<_, Infallible>(response.map(|body| Tracked::new(body, in_progress)))
        }
    });
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(header_read);
    builder.http2().timer(TokioTimer::new());
    let connection = builder.serve_connection_with_upgrades(TokioIo::new(stream), service);
    let mut connection = std::pin::pin!(connection);
    tokio::select! {
        result = connection.as_mut() => {
            if let Err(e) = result {
                tracing::debug!(%peer, "HTTP connection ended with an error: {e}");
            }
        }
        // Nothing in progress for too long: close it (dropping it closes the socket).
        () = activity.expired(header_read, idle) => {
            tracing::debug!(%peer, "HTTP connection closed: idle too long");
        }
        // It was idle when its place went to a newcomer; a request that started since
        // may finish.
        _ = place.evicted.cancelled() => {
            connection.as_mut().graceful_shutdown();
            let _ = tokio::time::timeout(header_read, connection).await;
        }
        _ = shutdown.cancelled() => {
            connection.as_mut().graceful_shutdown();
            let _ = connection.await;
        }
    }
}

async fn route(
    request: Request<Incoming>,
    client: IpAddr,
    gateway: Arc<Gateway>,
    mcp: Mcp,
) -> Response<Body> {
    let path = request.uri().path();
    if path == gateway.settings.path
        || path.strip_suffix('/') == Some(gateway.settings.path.as_str())
    {
        let mut request = request;
        match auth::authenticate(&gateway.settings, request.uri(), request.headers()) {
            // A gateway token has done its work here: it is not a user's token for identity
            // propagation, and nothing past this point may see it.
            Ok(auth::Principal::Token(_)) => {
                request.headers_mut().remove(http::header::AUTHORIZATION);
            }
            Ok(auth::Principal::Anonymous) => {}
            Err(refusal) => return *refusal,
        }
        return serve_mcp(request, client, &gateway, &mcp).await;
    }
    let metadata_here = path == auth::METADATA_PATH
        || path.strip_prefix(auth::METADATA_PATH) == Some(gateway.settings.path.as_str());
    match (request.method(), path) {
        (&Method::GET | &Method::HEAD, _) if metadata_here => {
            auth::metadata(&gateway.settings, request.uri(), request.headers())
        }
        (&Method::GET | &Method::HEAD, "/healthz") => health::healthz(),
        (&Method::GET | &Method::HEAD, "/readyz") => {
            health::readyz(&gateway, request.uri(), request.headers())
        }
        _ => json_response(
            StatusCode::NOT_FOUND,
            json!({
                "error": format!("nothing is served at {path}"),
                "hint": format!("the MCP endpoint is {}; health checks are /healthz and /readyz", gateway.settings.path),
            }),
        ),
    }
}

/// A request to the MCP path. A request that opens a session (no `Mcp-Session-Id`) is
/// refused with 503 while draining or when no place for a session is left; a body is
/// read only once the body budget has room for it; the rest is rmcp's.
async fn serve_mcp(
    request: Request<Incoming>,
    client: IpAddr,
    gateway: &Gateway,
    mcp: &Mcp,
) -> Response<Body> {
    let in_session = request.headers().contains_key("mcp-session-id");
    let opens_session =
        !gateway.settings.stateless && request.method() == Method::POST && !in_session;
    if gateway.draining.is_cancelled() && !in_session {
        return refuse(
            "ocimcpd is shutting down and takes no new sessions or requests; retry once it is back",
        );
    }
    let slot = if opens_session {
        match mcp.reserve_session(client).await {
            Ok(slot) => Some(slot),
            Err(why) => {
                tracing::warn!(%client, "new MCP session refused: {why}");
                return refuse(&format!(
                    "ocimcpd refused a new session: {why}; close idle sessions (DELETE with their Mcp-Session-Id) and retry"
                ));
            }
        }
    } else {
        None
    };
    let response = if request.method() == Method::POST {
        let (request, share) = match read_body(request, &gateway.settings, mcp).await {
            Ok(read) => read,
            Err(mut refusal) => {
                // What is left of the body is not worth reading: close the connection.
                refusal.headers_mut().insert(
                    http::header::CONNECTION,
                    http::HeaderValue::from_static("close"),
                );
                return refusal;
            }
        };
        // The message lives (parsed, many times the body's size) until its answer is
        // done: the share is held that long.
        mcp.service
            .handle(request)
            .await
            .map(|body| Tracked::new(body, share).boxed())
    } else {
        mcp.service.handle(request).await
    };
    if let Some(slot) = slot
        && let Some(id) = response
            .headers()
            .get("mcp-session-id")
            .and_then(|v| v.to_str().ok())
    {
        slot.fill(id.to_owned());
    }
    response
}

/// Reads a POST body within `max_request_bytes` and `body_read_timeout`, holding a share
/// of the body budget for it: its `Content-Length` up front (for a body sent without one,
/// what has arrived so far), then what it will take once parsed. Refusals are whole
/// responses: 413 for a body over the limit or one that alone would take more than the
/// budget, 503 with `Retry-After` when the budget is spent for now, 408 for a body too
/// slow to arrive, 400 for one that breaks off.
async fn read_body(
    request: Request<Incoming>,
    settings: &crate::config::GatewaySettings,
    mcp: &Mcp,
) -> Result<(Request<Full<Bytes>>, body_budget::BodyShare), Response<Body>> {
    let limit = settings.max_request_bytes;
    let declared = request
        .headers()
        .get(http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let too_large = |bytes: String| {
        json_response(
            StatusCode::PAYLOAD_TOO_LARGE,
            json!({
                "error": format!(
                    "the request body of {bytes} is over the limit of {} ([gateway] max_request_bytes)",
                    crate::config::describe_size(limit)
                ),
            }),
        )
    };
    let spent = |why: String| {
        tracing::warn!("request refused: {why}");
        refuse(&format!(
            "ocimcpd is reading too many request bodies at once: {why}; retry shortly"
        ))
    };
    let up_front = match declared {
        Some(n) if n > limit as u64 => return Err(too_large(format!("{n} bytes"))),
        Some(n) => usize::try_from(n).unwrap_or(limit),
        None => 0,
    };
    let mut share = mcp.bodies.take(up_front).map_err(spent)?;
    let (parts, mut body) = request.into_parts();
    let mut bytes = bytes::BytesMut::with_capacity(up_front);
    let reading = async {
        while let Some(frame) = body.frame().await {
            let frame = frame.map_err(|e| {
                json_response(
                    StatusCode::BAD_REQUEST,
                    json!({ "error": format!("the request body could not be read: {e}") }),
                )
            })?;
            let Ok(data) = frame.into_data() else {
                continue;
            };
            if bytes.len() + data.len() > limit {
                return Err(too_large(format!("more than {limit} bytes")));
            }
            if bytes.len() + data.len() > share.bytes() {
                share
                    .grow(bytes.len() + data.len() - share.bytes())
                    .map_err(spent)?;
            }
            bytes.extend_from_slice(&data);
        }
        Ok(())
    };
    match tokio::time::timeout(settings.body_read_timeout, reading).await {
        Ok(Ok(())) => {}
        Ok(Err(refusal)) => return Err(refusal),
        Err(_) => {
            return Err(json_response(
                StatusCode::REQUEST_TIMEOUT,
                json!({ "error": format!(
                    "the request body did not arrive within {:?} ([gateway] body_read_timeout)",
                    settings.body_read_timeout
                ) }),
            ));
        }
    }
    // What the message will take once parsed, before it is.
    let cost = body_budget::parsed_cost(&bytes);
    if cost > mcp.bodies.total() {
        return Err(json_response(
            StatusCode::PAYLOAD_TOO_LARGE,
            json!({
                "error": format!(
                    "the request of {} would take about {} once parsed (it holds many small JSON values), more than all requests together may take ([gateway] max_inflight_request_bytes = {})",
                    crate::config::describe_size(bytes.len()),
                    crate::config::describe_size(cost),
                    crate::config::describe_size(mcp.bodies.total()),
                ),
            }),
        ));
    }
    if cost > share.bytes() {
        share.grow(cost - share.bytes()).map_err(spent)?;
    }
    Ok((Request::from_parts(parts, Full::new(bytes.freeze())), share))
}

/// 503 with a JSON-RPC error body (the request's id is unknown here) and `Retry-After`.
fn refuse(message: &str) -> Response<Body> {
    let mut response = json_response(
        StatusCode::SERVICE_UNAVAILABLE,
        json!({
            "jsonrpc": "2.0",
            "id": null,
            "error": { "code": crate::error_codes::GATEWAY_STOPPING.0, "message": message },
        }),
    );
    response.headers_mut().insert(
        http::header::RETRY_AFTER,
        http::HeaderValue::from_static("5"),
    );
    response
}

fn json_response(status: StatusCode, body: serde_json::Value) -> Response<Body> {
    let mut response = Response::new(Full::new(Bytes::from(body.to_string())).boxed());
    *response.status_mut() = status;
    response.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/json"),
    );
    response
}
