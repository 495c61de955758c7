//! The HTTP listener: the MCP endpoint (Streamable HTTP, both protocol eras) at the
//! configured path, and `/healthz` and `/readyz` without auth.

use std::convert::Infallible;
use std::sync::Arc;

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
use crate::registry::BackendState;

type Body = BoxBody<Bytes, Infallible>;
type McpService = StreamableHttpService<GatewaySession, LocalSessionManager>;

/// Builds the rmcp Streamable HTTP service for `gateway`. Sessions (and their SSE
/// streams) end when `shutdown` fires.
fn mcp_service(gateway: &Arc<Gateway>, shutdown: &CancellationToken) -> McpService {
    let settings = &gateway.settings;
    let mut config = StreamableHttpServerConfig::default()
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
    StreamableHttpService::new(
        move || Ok(GatewaySession::new(factory_gateway.clone())),
        Arc::new(LocalSessionManager::default()),
        config,
    )
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
                route(request, gateway.clone(), mcp.clone())
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
    gateway: Arc<Gateway>,
    mcp: McpService,
) -> Result<Response<Body>, Infallible> {
    let path = request.uri().path();
    let response = if path == gateway.settings.path
        || path.strip_suffix('/') == Some(gateway.settings.path.as_str())
    {
        mcp.handle(request).await
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

/// 200 once every enabled backend has become ready or failed at least once; 503 with the
/// backends still pending otherwise.
fn readiness(gateway: &Gateway) -> Response<Body> {
    let entries = gateway.registry.entries();
    let waiting: Vec<&str> = entries
        .iter()
        .filter(|e| !e.status().settled)
        .map(|e| e.name())
        .collect();
    let ready = entries
        .iter()
        .filter(|e| e.status().state == BackendState::Ready)
        .count();
    if waiting.is_empty() {
        json_response(
            StatusCode::OK,
            json!({ "ready": true, "backends_ready": ready, "backends_total": entries.len() }),
        )
    } else {
        json_response(
            StatusCode::SERVICE_UNAVAILABLE,
            json!({
                "ready": false,
                "reason": format!("waiting for {} backend(s) to become ready or fail once", waiting.len()),
                "waiting_for": waiting,
            }),
        )
    }
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
