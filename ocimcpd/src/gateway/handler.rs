//! The MCP server handler: one per client session (or per request, when stateless). It
//! reads the registry's catalog snapshot, routes each request to the backend that owns
//! the name, and hands it to that backend's handle, which owns the call (admission,
//! limits, cancellation, and the relay that brings progress, log messages and
//! server→client requests back to this client).

// logging/setLevel, resources/subscribe and sampling are deprecated by SEP-2577 but still
// part of the protocol.
#![allow(deprecated)]

use std::sync::Arc;
use std::time::Duration;

use rmcp::ErrorData as McpError;
use rmcp::ServerHandler;
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, ClientRequest, CompleteRequestParams, CompleteResult,
    ContentBlock, GetPromptRequestParams, GetPromptResponse, Implementation, ListPromptsResult,
    ListResourceTemplatesResult, ListResourcesResult, ListToolsResult, LoggingLevel,
    PaginatedRequestParams, ProtocolVersion, ReadResourceRequestParams, ReadResourceResponse,
    Reference, Request, RequestMetaObject, ResourceContents, ResultType, ServerCapabilities,
    ServerConfig, ServerResult, SetLevelRequestParams, SubscribeRequestParams, SubscriptionFilter,
    UnsubscribeRequestParams,
};
use rmcp::service::{NotificationContext, RequestContext, RoleServer, SubscriptionContext};

use super::session::ClientSession;
use super::{Gateway, errors, gateway_tools};
use crate::backends::{Caller, Shutdown};
use crate::config::Transport;
use crate::registry::{Route, exposed_uri};

/// How long a request sent to every backend (logging/setLevel) waits for each one.
const FAN_OUT_TIMEOUT: Duration = Duration::from_secs(5);

#[derive(Clone)]
pub struct GatewaySession {
    gateway: Arc<Gateway>,
    session: Arc<ClientSession>,
}

impl GatewaySession {
    pub fn new(gateway: Arc<Gateway>) -> Self {
        let session = gateway.sessions.create();
        Self { gateway, session }
    }

    /// The least severe log level the client wants for this request: a 2026-07-28 request
    /// names it in `_meta`; a session keeps the one it set with logging/setLevel. A
    /// session-era request served statelessly cannot have set one that lasts, so it gets
    /// every log message its backend sends while serving it, on its own stream.
    fn log_level(&self, context: &RequestContext<RoleServer>) -> Option<LoggingLevel> {
        let modern = context
            .protocol_version()
            .is_some_and(|v| v >= ProtocolVersion::V_2026_07_28);
        context
            .meta
            .log_level()
            .or_else(|| self.session.log_level())
            .or_else(|| (self.gateway.settings.stateless && !modern).then_some(LoggingLevel::Debug))
    }

    /// Sends one request to a route's backend through its handle (admission, time
    /// limits, cancellation, the relay back to this client) and waits for the answer. A
    /// new request while the gateway drains is refused here. `tool` is the backend's own
    /// tool name, for per-tool limits.
    async fn forward(
        &self,
        route: &Route,
        context: &RequestContext<RoleServer>,
        request: ClientRequest,
        tool: Option<&str>,
    ) -> Result<ServerResult, McpError> {
        if self.gateway.draining.is_cancelled() {
            return Err(errors::draining());
        }
        let caller = Caller {
            client: context.peer.clone(),
            client_key: self.session.key,
            request: context.id.clone(),
            progress: context.meta.get_progress_token(),
            log_level: self.log_level(context),
            capabilities: context.client_capabilities(),
            protocol: context.protocol_version(),
            stateless: self.gateway.settings.stateless,
            cancelled: context.ct.clone(),
        };
        let shutdown = Shutdown {
            cutoff: &self.gateway.cutoff,
            stopping: &self.gateway.stopping,
        };
        // Boxed: rmcp moves each request's whole future into the task it spawns, and the
        // call's (timers, selects) would make every handler's future kilobytes long; the
        // profile showed those copies. A box keeps the moved part to a pointer.
        Box::pin(route.backend.handle().call(request, tool, caller, shutdown))
            .await
            .map_err(|error| errors::from_call(&route.backend, error, tool))
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

/// The bearer token of the HTTP request that carried this call, if any.
fn caller_token(context: &RequestContext<RoleServer>) -> Option<String> {
    let parts = context.extensions.get::<http::request::Parts>()?;
    let value = parts
        .headers
        .get(http::header::AUTHORIZATION)?
        .to_str()
        .ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim().to_owned())
        .filter(|token| !token.is_empty())
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

impl ServerHandler for GatewaySession {
    fn get_info(&self) -> ServerConfig {
        let capabilities = ServerCapabilities::builder()
            .enable_logging()
            .enable_completions()
            .enable_prompts()
            .enable_prompts_list_changed()
            .enable_resources()
            .enable_resources_list_changed()
            .enable_resources_subscribe()
            .enable_tools()
            .enable_tool_list_changed()
            .build();
        ServerConfig::new(capabilities)
            .with_server_info(Implementation::new("ocimcpd", env!("CARGO_PKG_VERSION")))
            .with_instructions(INSTRUCTIONS)
    }

    async fn on_initialized(&self, context: NotificationContext<RoleServer>) {
        self.gateway
            .sessions
            .add(self.session.clone(), context.peer);
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
            gateway_tools::HEALTH => {
                return Ok(gateway_tools::health(&self.gateway.registry).into());
            }
            gateway_tools::LIST_BACKENDS => {
                return gateway_tools::list_backends(
                    &self.gateway.registry,
                    request.arguments.as_ref(),
                )
                .map(Into::into);
            }
            _ => {}
        }
        let catalog = self.gateway.registry.catalog();
        let route = catalog
            .tool(&request.name)
            .ok_or_else(|| errors::not_found(&catalog, "tool", &request.name))?;
        request.name = route.original.clone().into();
        request.meta = forwardable(&context);
        let mut call = Request::new(request);
        // Only the daemon's own tool sets get the caller's token (for identity
        // propagation), as a typed extension: it never leaves the process, and no other
        // backend's transport carries extensions.
        if matches!(route.backend.spec().transport, Transport::InProcess(_))
            && let Some(token) = caller_token(&context)
        {
            call.extensions.insert(oci_tools::CallerToken(token));
        }
        match self
            .forward(
                route,
                &context,
                ClientRequest::CallToolRequest(call),
                Some(&route.original),
            )
            .await?
        {
            ServerResult::CallToolResult(mut result) => {
                result.result_type.get_or_insert(ResultType::COMPLETE);
                for content in &mut result.content {
                    expose_uris(&route.backend.spec().namespace, content);
                }
                Ok(CallToolResponse::Complete(result))
            }
            ServerResult::InputRequiredResult(result) => {
                Ok(CallToolResponse::InputRequired(result))
            }
            ServerResult::CreateTaskResult(result) => Ok(CallToolResponse::Task(result)),
            other => Err(errors::unexpected(&route.backend, "tools/call", &other)),
        }
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
            .ok_or_else(|| errors::not_found(&catalog, "prompt", &request.name))?;
        request.name = route.original.clone();
        request.meta = forwardable(&context);
        match self
            .forward(
                route,
                &context,
                ClientRequest::GetPromptRequest(Request::new(request)),
                None,
            )
            .await?
        {
            ServerResult::GetPromptResult(mut result) => {
                result.result_type.get_or_insert(ResultType::COMPLETE);
                for message in &mut result.messages {
                    expose_uris(&route.backend.spec().namespace, &mut message.content);
                }
                Ok(GetPromptResponse::Complete(result))
            }
            ServerResult::InputRequiredResult(result) => {
                Ok(GetPromptResponse::InputRequired(result))
            }
            other => Err(errors::unexpected(&route.backend, "prompts/get", &other)),
        }
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
        let route = self.gateway.resource_route(&request.uri)?;
        request.uri = route.original.clone();
        request.meta = forwardable(&context);
        match self
            .forward(
                &route,
                &context,
                ClientRequest::ReadResourceRequest(Request::new(request)),
                None,
            )
            .await?
        {
            ServerResult::ReadResourceResult(mut result) => {
                result.result_type.get_or_insert(ResultType::COMPLETE);
                // Contents carry URIs in the backend's terms; give the client the exposed ones.
                for contents in &mut result.contents {
                    expose_contents_uri(&route.backend.spec().namespace, contents);
                }
                Ok(ReadResourceResponse::Complete(result))
            }
            ServerResult::InputRequiredResult(result) => {
                Ok(ReadResourceResponse::InputRequired(result))
            }
            other => Err(errors::unexpected(&route.backend, "resources/read", &other)),
        }
    }

    async fn subscribe(
        &self,
        request: SubscribeRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<(), McpError> {
        let route = self.gateway.resource_route(&request.uri)?;
        // Without sessions there is nowhere to deliver updates to (2026-07-28 clients use
        // subscriptions/listen); the request is acknowledged and nothing is held upstream.
        if self.gateway.settings.stateless || !self.session.subscribe(&request.uri) {
            return Ok(());
        }
        if self
            .gateway
            .sessions
            .hold(route.backend.name(), &route.original)
        {
            let upstream = SubscribeRequestParams::new(route.original.clone());
            let subscribed = self
                .forward(
                    &route,
                    &context,
                    ClientRequest::SubscribeRequest(Request::new(upstream)),
                    None,
                )
                .await;
            if let Err(error) = subscribed {
                // Not subscribed after all: undo both counts.
                self.session.unsubscribe(&request.uri);
                self.gateway
                    .sessions
                    .release(route.backend.name(), &route.original);
                return Err(error);
            }
        }
        Ok(())
    }

    async fn unsubscribe(
        &self,
        request: UnsubscribeRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<(), McpError> {
        let route = self.gateway.resource_route(&request.uri)?;
        if self.gateway.settings.stateless {
            return Ok(());
        }
        if self.session.unsubscribe(&request.uri)
            && self
                .gateway
                .sessions
                .release(route.backend.name(), &route.original)
        {
            let upstream = UnsubscribeRequestParams::new(route.original.clone());
            self.forward(
                &route,
                &context,
                ClientRequest::UnsubscribeRequest(Request::new(upstream)),
                None,
            )
            .await?;
        }
        Ok(())
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
                    .ok_or_else(|| errors::not_found(&catalog, "prompt", &prompt.name))?;
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
        match self
            .forward(
                &route,
                &context,
                ClientRequest::CompleteRequest(Request::new(request)),
                None,
            )
            .await?
        {
            ServerResult::CompleteResult(mut result) => {
                result.result_type.get_or_insert(ResultType::COMPLETE);
                Ok(result)
            }
            other => Err(errors::unexpected(
                &route.backend,
                "completion/complete",
                &other,
            )),
        }
    }

    async fn set_level(
        &self,
        request: SetLevelRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<(), McpError> {
        self.session.set_log_level(request.level);
        // Backends are shared: each is set to the most verbose level any client asked for.
        // That gives no client more: each gets only the messages of its own requests, at
        // or above its own level (`backends::relay`).
        let Some(level) = self
            .gateway
            .sessions
            .most_verbose_level()
            .or(Some(request.level))
        else {
            return Ok(());
        };
        let mut sent = tokio::task::JoinSet::new();
        for entry in self.gateway.registry.entries().iter() {
            let Some(connection) = entry.connection() else {
                continue;
            };
            if !connection.offers_logging() {
                continue;
            }
            let name = entry.name().to_owned();
            sent.spawn(async move {
                match tokio::time::timeout(FAN_OUT_TIMEOUT, connection.set_level(level)).await {
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
        Some(requested.clone())
    }

    async fn listen(&self, subscription: SubscriptionContext) -> Result<(), McpError> {
        super::notify::listen(&self.gateway, subscription).await;
        Ok(())
    }
}
