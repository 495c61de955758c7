//! The MCP server handler: one per client session (or per request, when stateless). It
//! reads the registry's catalog snapshot, routes each request to the backend that owns
//! the name, and forwards it over that backend's shared connection.

// logging/setLevel is deprecated by SEP-2577 but still part of the protocol.
#![allow(deprecated)]

use std::borrow::Cow;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use rmcp::ErrorData as McpError;
use rmcp::ServerHandler;
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CompleteRequestParams, CompleteResult, ContentBlock,
    GetPromptRequestParams, GetPromptResponse, Implementation, ListPromptsResult,
    ListResourceTemplatesResult, ListResourcesResult, ListToolsResult, PaginatedRequestParams,
    ReadResourceRequestParams, ReadResourceResponse, Reference, RequestMetaObject,
    ResourceContents, ResultType, ServerCapabilities, ServerConfig, SetLevelRequestParams,
    SubscriptionFilter,
};
use rmcp::service::{
    NotificationContext, RequestContext, RoleServer, ServiceError, SubscriptionContext,
};

use super::{Gateway, errors, tools};
use crate::registry::{BackendEntry, Route, exposed_uri};

/// How long a request sent to every backend (logging/setLevel) waits for each one.
const FAN_OUT_TIMEOUT: Duration = Duration::from_secs(5);

#[derive(Clone)]
pub struct GatewaySession {
    gateway: Arc<Gateway>,
}

impl GatewaySession {
    pub fn new(gateway: Arc<Gateway>) -> Self {
        Self { gateway }
    }
}

const INSTRUCTIONS: &str = "ocimcpd aggregates several MCP servers. Backend tools and prompts are named \
<namespace>_<name>; resources are scheme://<namespace>/path. The gateway_health and gateway_list_backends \
tools report which backends are up.";

// Results forwarded from a backend on an older protocol carry no `resultType`; clients on
// 2026-07-28 require it, and rmcp strips it again for older clients. So every forwarded
// final result is marked complete.

/// The client's `_meta` (rmcp keeps it in the request context, not in the params) minus
/// the keys that belong to the client's own hop: its progress token (the backend
/// connection sets its own) and the 2026-07-28 per-request protocol fields.
fn forwardable(context: &RequestContext<RoleServer>) -> Option<RequestMetaObject> {
    let mut meta = context.meta.clone();
    meta.0
        .0
        .retain(|key, _| key != "progressToken" && !key.starts_with("io.modelcontextprotocol/"));
    (!meta.0.0.is_empty()).then_some(meta)
}

/// Resource URIs inside content (links, embedded resources) in the client's terms.
fn expose_uris(namespace: &str, content: &mut ContentBlock) {
    match content {
        ContentBlock::ResourceLink(link) => link.uri = exposed_uri(namespace, &link.uri),
        ContentBlock::Resource(embedded) => expose_contents_uri(namespace, &mut embedded.resource),
        _ => {}
    }
}

fn expose_contents_uri(namespace: &str, contents: &mut ResourceContents) {
    if let ResourceContents::TextResourceContents { uri, .. }
    | ResourceContents::BlobResourceContents { uri, .. } = contents
    {
        *uri = exposed_uri(namespace, uri);
    }
}

/// Sends one request to a route's backend: fails at once if it has no connection, gives
/// up after `timeouts.call` (dropping the request sends `notifications/cancelled`), and
/// stops when the client cancels.
async fn forward<T, F, Fut>(
    route: &Route,
    context: &RequestContext<RoleServer>,
    send: F,
) -> Result<T, McpError>
where
    F: FnOnce(rmcp::service::Peer<rmcp::service::RoleClient>) -> Fut,
    Fut: Future<Output = Result<T, ServiceError>>,
{
    let backend: &BackendEntry = &route.backend;
    let connection = backend
        .connection()
        .ok_or_else(|| errors::unavailable(backend))?;
    let limit: Duration = backend.spec().timeouts.call;
    tokio::select! {
        _ = context.ct.cancelled() => Err(McpError::invalid_request("request cancelled by the client", None)),
        result = tokio::time::timeout(limit, send(connection.peer.clone())) => match result {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(error)) => Err(errors::from_service(backend, error)),
            Err(_) => Err(errors::timed_out(backend, limit)),
        },
    }
}

impl ServerHandler for GatewaySession {
    fn get_info(&self) -> ServerConfig {
        let capabilities = ServerCapabilities::builder()
            .enable_logging()
            .enable_completions()
            .enable_prompts()
            .enable_prompts_list_changed()
            .enable_resources()
            .enable_resources_list_changed()
            .enable_tools()
            .enable_tool_list_changed()
            .build();
        ServerConfig::new(capabilities)
            .with_server_info(Implementation::new("ocimcpd", env!("CARGO_PKG_VERSION")))
            .with_instructions(INSTRUCTIONS)
    }

    async fn on_initialized(&self, context: NotificationContext<RoleServer>) {
        self.gateway.sessions.add(context.peer);
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, McpError> {
        let catalog = self.gateway.registry.catalog();
        let mut all = self.gateway.tools.clone();
        all.extend(catalog.tools().iter().cloned());
        Ok(ListToolsResult::with_all_items(all))
    }

    async fn call_tool(
        &self,
        mut request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, McpError> {
        match request.name.as_ref() {
            tools::HEALTH => return Ok(tools::health(&self.gateway.registry).into()),
            tools::LIST_BACKENDS => {
                return tools::list_backends(&self.gateway.registry, request.arguments.as_ref())
                    .map(Into::into);
            }
            _ => {}
        }
        let catalog = self.gateway.registry.catalog();
        let route = catalog
            .tool(&request.name)
            .ok_or_else(|| errors::unknown("tool", &request.name))?;
        request.name = Cow::Owned(route.original.clone());
        request.meta = forwardable(&context);
        let mut response = forward(route, &context, |peer| async move {
            peer.call_tool_once(request).await
        })
        .await?;
        if let CallToolResponse::Complete(result) = &mut response {
            result.result_type.get_or_insert(ResultType::COMPLETE);
            for content in &mut result.content {
                expose_uris(&route.backend.spec().namespace, content);
            }
        }
        Ok(response)
    }

    async fn list_prompts(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListPromptsResult, McpError> {
        Ok(ListPromptsResult::with_all_items(
            self.gateway.registry.catalog().prompts().to_vec(),
        ))
    }

    async fn get_prompt(
        &self,
        mut request: GetPromptRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<GetPromptResponse, McpError> {
        let catalog = self.gateway.registry.catalog();
        let route = catalog
            .prompt(&request.name)
            .ok_or_else(|| errors::unknown("prompt", &request.name))?;
        request.name = route.original.clone();
        request.meta = forwardable(&context);
        let mut response = forward(route, &context, |peer| async move {
            peer.get_prompt_once(request).await
        })
        .await?;
        if let GetPromptResponse::Complete(result) = &mut response {
            result.result_type.get_or_insert(ResultType::COMPLETE);
            for message in &mut result.messages {
                expose_uris(&route.backend.spec().namespace, &mut message.content);
            }
        }
        Ok(response)
    }

    async fn list_resources(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListResourcesResult, McpError> {
        Ok(ListResourcesResult::with_all_items(
            self.gateway.registry.catalog().resources().to_vec(),
        ))
    }

    async fn list_resource_templates(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListResourceTemplatesResult, McpError> {
        Ok(ListResourceTemplatesResult::with_all_items(
            self.gateway.registry.catalog().templates().to_vec(),
        ))
    }

    async fn read_resource(
        &self,
        mut request: ReadResourceRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<ReadResourceResponse, McpError> {
        let catalog = self.gateway.registry.catalog();
        let route = catalog.resource(&request.uri).ok_or_else(|| {
            McpError::resource_not_found(
                format!("no backend serves resource `{}`; list resources and templates to see what exists", request.uri),
                None,
            )
        })?;
        request.uri = route.original.clone();
        request.meta = forwardable(&context);
        let mut response = forward(&route, &context, |peer| async move {
            peer.read_resource_once(request).await
        })
        .await?;
        // Contents carry URIs in the backend's terms; give the client the exposed ones.
        if let ReadResourceResponse::Complete(result) = &mut response {
            result.result_type.get_or_insert(ResultType::COMPLETE);
            for contents in &mut result.contents {
                expose_contents_uri(&route.backend.spec().namespace, contents);
            }
        }
        Ok(response)
    }

    async fn complete(
        &self,
        mut request: CompleteRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CompleteResult, McpError> {
        let catalog = self.gateway.registry.catalog();
        let route = match &mut request.r#ref {
            Reference::Prompt(prompt) => {
                let route = catalog
                    .prompt(&prompt.name)
                    .cloned()
                    .ok_or_else(|| errors::unknown("prompt", &prompt.name))?;
                prompt.name = route.original.clone();
                route
            }
            Reference::Resource(resource) => {
                let route = catalog
                    .template(&resource.uri)
                    .ok_or_else(|| errors::unknown("resource template", &resource.uri))?;
                resource.uri = route.original.clone();
                route
            }
            other => {
                return Err(McpError::invalid_params(
                    format!(
                        "unsupported completion reference `{}`",
                        other.reference_type()
                    ),
                    None,
                ));
            }
        };
        request.meta = forwardable(&context);
        let mut result = forward(&route, &context, |peer| async move {
            peer.complete(request).await
        })
        .await?;
        result.result_type.get_or_insert(ResultType::COMPLETE);
        Ok(result)
    }

    async fn set_level(
        &self,
        request: SetLevelRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<(), McpError> {
        // Backends are shared, so the level is applied to each one that offers logging,
        // all at once: a slow backend delays the answer by FAN_OUT_TIMEOUT at most.
        let mut sent = tokio::task::JoinSet::new();
        for entry in self.gateway.registry.entries() {
            let Some(connection) = entry.connection() else {
                continue;
            };
            let offers_logging = connection
                .peer
                .peer_info()
                .is_some_and(|info| info.capabilities.logging.is_some());
            if !offers_logging {
                continue;
            }
            let (name, request) = (entry.name().to_owned(), request.clone());
            sent.spawn(async move {
                match tokio::time::timeout(FAN_OUT_TIMEOUT, connection.peer.set_level(request)).await {
                    Ok(Ok(())) => {}
                    Ok(Err(e)) => tracing::warn!(backend = %name, "logging/setLevel failed: {e}"),
                    Err(_) => tracing::warn!(backend = %name, "logging/setLevel got no answer within {FAN_OUT_TIMEOUT:?}"),
                }
            });
        }
        sent.join_all().await;
        Ok(())
    }

    fn accepted_subscription_filter(
        &self,
        requested: &SubscriptionFilter,
    ) -> Option<SubscriptionFilter> {
        let mut accepted = requested.clone();
        accepted.resource_subscriptions = None;
        Some(accepted)
    }

    async fn listen(&self, subscription: SubscriptionContext) -> Result<(), McpError> {
        super::notify::listen(&self.gateway.registry, subscription).await;
        Ok(())
    }
}
