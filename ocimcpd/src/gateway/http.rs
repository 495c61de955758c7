//! The HTTP listener: the MCP endpoint (Streamable HTTP, both protocol eras) at the
//! configured path, and `/healthz` and `/readyz` without auth. It bounds what clients
//! may take: request bodies (`max_request_bytes`), open sessions in all and per remote
//! address; and it refuses new sessions with 503 while the daemon drains.

use std::collections::{HashMap, HashSet};
use std::convert::Infallible;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http::{Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full, combinators::BoxBody};
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
use serde_json::json;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::Gateway;
use super::handler::GatewaySession;
use super::session::lock;

type Body = BoxBody<Bytes, Infallible>;
type McpService = StreamableHttpService<GatewaySession, LocalSessionManager>;

/// The MCP service and what the listener tracks of its sessions.
#[derive(Clone)]
struct Mcp {
    service: McpService,
    sessions: Arc<LocalSessionManager>,
    /// Which remote address opened each session (by `Mcp-Session-Id`).
    owners: Arc<Mutex<HashMap<String, IpAddr>>>,
}

impl Mcp {
    /// Why a new session from `client` must be refused, if it must: too many open in all,
    /// or from that address. Sessions that ended (closed or idle too long) are forgotten.
    async fn refusal(
        &self,
        settings: &crate::config::GatewaySettings,
        client: IpAddr,
    ) -> Option<String> {
        let open: HashSet<String> = self
            .sessions
            .sessions
            .read()
            .await
            .keys()
            .map(|id| id.to_string())
            .collect();
        let mut owners = lock(&self.owners);
        owners.retain(|id, _| open.contains(id));
        if open.len() >= settings.max_sessions {
            return Some(format!(
                "{} sessions are open ([gateway] max_sessions = {})",
                open.len(),
                settings.max_sessions
            ));
        }
        let mine = owners.values().filter(|ip| **ip == client).count();
        (mine >= settings.max_sessions_per_client).then(|| {
            format!(
                "{client} has {mine} sessions open ([gateway] max_sessions_per_client = {})",
                settings.max_sessions_per_client
            )
        })
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
        owners: Arc::default(),
    }
}

/// Accepts connections until `shutdown`, then lets open ones finish gracefully.
pub async fn serve(listener: TcpListener, gateway: Arc<Gateway>, shutdown: CancellationToken) {
    let mcp = mcp_service(&gateway, &shutdown);
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
        let _ = stream.set_nodelay(true);
        let gateway = gateway.clone();
        let mcp = mcp.clone();
        let shutdown = shutdown.clone();
        connections.spawn(async move {
            let service = hyper::service::service_fn(move |request| {
                route(request, peer.ip(), gateway.clone(), mcp.clone())
            });
            let builder = auto::Builder::new(TokioExecutor::new());
            let connection = builder.serve_connection_with_upgrades(TokioIo::new(stream), service);
            let mut connection = std::pin::pin!(connection);
            tokio::select! {
                result = connection.as_mut() => {
                    if let Err(e) = result {
                        tracing::debug!(%peer, "HTTP connection ended with an error: {e}");
                    }
                }
                _ = shutdown.cancelled() => {
                    connection.as_mut().graceful_shutdown();
                    let _ = connection.await;
                }
            }
        });
    }
    connections.close();
    connections.wait().await;
}

async fn route(
    request: Request<Incoming>,
    client: IpAddr,
    gateway: Arc<Gateway>,
    mcp: Mcp,
) -> Result<Response<Body>, Infallible> {
    let path = request.uri().path();
    let response = if path == gateway.settings.path
        || path.strip_suffix('/') == Some(gateway.settings.path.as_str())
    {
        serve_mcp(request, client, &gateway, &mcp).await
    } else {
        match (request.method(), path) {
            (&Method::GET | &Method::HEAD, "/healthz") => {
                json_response(StatusCode::OK, json!({ "status": "ok" }))
            }
            (&Method::GET | &Method::HEAD, "/readyz") => readiness(&gateway),
            _ => json_response(
                StatusCode::NOT_FOUND,
                json!({
                    "error": format!("nothing is served at {path}"),
                    "hint": format!("the MCP endpoint is {}; health checks are /healthz and /readyz", gateway.settings.path),
                }),
            ),
        }
    };
    Ok(response)
}

/// A request to the MCP path. A request that opens a session (no `Mcp-Session-Id`) is
/// refused with 503 while draining or when too many sessions are open; the rest go to
/// rmcp, whose answers to new sessions are noted with the client's address.
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
    if opens_session && let Some(why) = mcp.refusal(&gateway.settings, client).await {
        tracing::warn!(%client, "new MCP session refused: {why}");
        return refuse(&format!(
            "ocimcpd refused a new session: {why}; close idle sessions (DELETE with their Mcp-Session-Id) and retry"
        ));
    }
    let response = mcp.service.handle(request).await;
    if opens_session
        && let Some(id) = response
            .headers()
            .get("mcp-session-id")
            .and_then(|v| v.to_str().ok())
    {
        lock(&mcp.owners).insert(id.to_owned(), client);
    }
    response
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

/// 200 once every enabled backend has become ready or failed at least once; 503 with the
/// backends still pending otherwise, and while the daemon drains. Either way the body
/// lists every backend's state.
fn readiness(gateway: &Gateway) -> Response<Body> {
    let entries = gateway.registry.entries();
    let statuses: Vec<_> = entries.iter().map(|e| (e.name(), e.status())).collect();
    let waiting: Vec<&str> = statuses
        .iter()
        .filter(|(_, s)| !s.settled)
        .map(|(name, _)| *name)
        .collect();
    let ready = statuses.iter().filter(|(_, s)| s.state.serves()).count();
    let backends: serde_json::Map<String, serde_json::Value> = statuses
        .iter()
        .map(|(name, s)| ((*name).to_owned(), json!(s.state)))
        .collect();
    // Why it is not ready, if it is not.
    let reason = if gateway.draining.is_cancelled() {
        Some("shutting down".to_owned())
    } else if waiting.is_empty() {
        None
    } else {
        Some(format!(
            "waiting for {} backend(s) to become ready or fail once",
            waiting.len()
        ))
    };
    let status = match reason {
        None => StatusCode::OK,
        Some(_) => StatusCode::SERVICE_UNAVAILABLE,
    };
    json_response(
        status,
        json!({
            "ready": reason.is_none(),
            "reason": reason,
            "waiting_for": waiting,
            "backends_ready": ready,
            "backends_total": entries.len(),
            "backends": backends,
        }),
    )
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
