//! The MCP server of the built-in OCI tools. The daemon connects to it like to any
//! backend (over an in-memory channel of typed messages), so it lists its tools once and answers calls: the
//! mutation switch is checked first, then the arguments, then the handler runs and its
//! result is written as markdown or JSON, always with `structuredContent`.

use std::sync::Arc;

use rmcp::ErrorData as McpError;
use rmcp::handler::server::ServerHandler;
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, ContentBlock, Implementation,
    ListToolsResult, PaginatedRequestParams, ServerCapabilities, ServerConfig, Tool,
    ToolAnnotations,
};
use rmcp::service::{RequestContext, RoleServer};

use super::args::ResponseFormat;
use super::error::ToolError;
use super::toolbox::{Call, Effect, Shared, ToolDef, ToolInfo};
use super::{compute, cost, database, discovery, network, observability, search, security, skills};
use crate::CallerToken;
use crate::settings::Settings;

/// The tool set: every tool, and what they share.
#[derive(Clone)]
pub struct OciToolServer {
    shared: Arc<Shared>,
    tools: Arc<Vec<ToolDef>>,
}

/// Every tool, in the order they are listed.
fn all_tools() -> Vec<ToolDef> {
    [
        discovery::tools(),
        compute::tools(),
        cost::tools(),
        database::tools(),
        network::tools(),
        observability::tools(),
        security::tools(),
        search::tools(),
        skills::tools(),
    ]
    .into_iter()
    .flatten()
    .collect()
}

impl OciToolServer {
    /// The tool set on `settings`.
    pub fn new(settings: Settings) -> Self {
        let tools = all_tools();
        let infos = tools.iter().map(|tool| tool.info.clone()).collect();
        Self {
            shared: Arc::new(Shared::new(settings, infos)),
            tools: Arc::new(tools),
        }
    }

    /// Starts looking for credentials now, so the first call does not wait and the log
    /// says early who the daemon is to OCI.
    pub fn find_credentials_now(&self) {
        let shared = self.shared.clone();
        tokio::spawn(async move {
            let _ = shared.credentials.client().await;
        });
    }
}

/// The MCP form of a tool.
pub fn describe(info: &ToolInfo) -> Tool {
    let annotations = match info.effect {
        Effect::Read => ToolAnnotations::new()
            .read_only(true)
            .destructive(false)
            .idempotent(true)
            .open_world(true),
        Effect::Mutate => ToolAnnotations::new()
            .read_only(false)
            .destructive(true)
            .idempotent(false)
            .open_world(true),
    };
    Tool::new(info.name, info.description, info.input_schema.clone())
        .with_raw_output_schema(info.output_schema.clone())
        .with_annotations(annotations)
}

impl ServerHandler for OciToolServer {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build()).with_server_info(
            Implementation::new("ocimcpd-oci", env!("CARGO_PKG_VERSION")),
        )
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, McpError> {
        Ok(ListToolsResult::with_all_items(
            self.tools.iter().map(|tool| describe(&tool.info)).collect(),
        ))
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, McpError> {
        let Some(tool) = self
            .tools
            .iter()
            .find(|tool| tool.info.name == request.name)
        else {
            return Err(McpError::invalid_params(
                format!("no tool `{}` in the built-in OCI tool set", request.name),
                None,
            ));
        };
        let json = request
            .arguments
            .as_ref()
            .and_then(|args| args.get("response_format"))
            .is_some_and(|format| format == "json");
        if tool.info.effect == Effect::Mutate && !self.shared.settings.allow_mutations {
            let refusal = ToolError::MutationsDisabled(tool.info.name.to_owned());
            return Ok(failure(tool.info.name, &refusal, json).into());
        }
        let progress = context
            .meta
            .get_progress_token()
            .map(|token| (context.peer.clone(), token));
        let caller = context.extensions.get::<CallerToken>();
        let user_client = match caller {
            Some(CallerToken(token)) if self.shared.credentials.propagates_identity() => {
                match self.shared.credentials.user_client(token).await {
                    Ok(client) => Some(client),
                    Err(error) => return Ok(failure(tool.info.name, &error, json).into()),
                }
            }
            _ => None,
        };
        let call = Call::new(self.shared.clone(), user_client, progress);
        let outcome = tokio::select! {
            outcome = tool.run(call, request.arguments) => outcome,
            () = context.ct.cancelled() => {
                return Err(McpError::internal_error("the call was cancelled", None));
            }
        };
        Ok(match outcome {
            Ok((reply, format)) => {
                let text = match format {
                    ResponseFormat::Markdown => reply.markdown,
                    ResponseFormat::Json => reply.structured.to_string(),
                };
                let mut result = CallToolResult::success(vec![ContentBlock::text(text)]);
                result.structured_content = Some(reply.structured);
                result
            }
            Err(error) => {
                tracing::debug!(tool = tool.info.name, "OCI tool failed: {error}");
                failure(tool.info.name, &error, json)
            }
        }
        .into())
    }
}

fn failure(tool: &str, error: &ToolError, json: bool) -> CallToolResult {
    CallToolResult::error(vec![ContentBlock::text(error.render(tool, json))])
}
