//! The benchmark's Rust echo backend: an rmcp MCP server that answers `echo` with its
//! `message` argument at once, so that in a benchmark the gateway, not the backend, is the
//! bottleneck. `--tools M` adds M more tools (`tool_0` … `tool_{M-1}`, each echoing too),
//! for catalogs of many backends × many tools.
//!
//! Usage: `echo-backend [--tools M]` serves stdio; `echo-backend --http 127.0.0.1:PORT`
//! serves Streamable HTTP at `/mcp` (the same rmcp server stack the gateway uses), for
//! measuring the backend directly; it prints the bound address on stdout.

use std::os::fd::AsFd;
use std::sync::Arc;

use clap::Parser;
use rmcp::ErrorData as McpError;
use rmcp::ServerHandler;
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, ContentBlock, Implementation,
    ListToolsResult, PaginatedRequestParams, ServerCapabilities, ServerConfig, Tool,
};
use rmcp::service::{RequestContext, RoleServer};
use serde_json::{Map, Value, json};
use tokio::net::unix::pipe;

#[derive(Parser)]
#[command(about = "An MCP echo server for benchmarks")]
struct Args {
    /// Extra tools to list besides `echo`.
    #[arg(long, default_value_t = 0)]
    tools: usize,
    /// Serve Streamable HTTP at this address (path /mcp) instead of stdio.
    #[arg(long, value_name = "ADDR")]
    http: Option<String>,
}

#[derive(Clone)]
struct Echo {
    tools: Arc<Vec<Tool>>,
}

impl Echo {
    fn new(extra: usize) -> Self {
        let schema: Map<String, Value> = match json!({
            "type": "object",
            "properties": { "message": { "type": "string", "description": "Text to send back" } },
            "required": ["message"],
        }) {
            Value::Object(map) => map,
            _ => Map::new(),
        };
        let schema = Arc::new(schema);
        let mut tools = vec![Tool::new("echo", "Send the message back", schema.clone())];
        tools.extend((0..extra).map(|i| {
            Tool::new(
                format!("tool_{i}"),
                format!("Benchmark tool number {i}: sends the message back"),
                schema.clone(),
            )
        }));
        Echo {
            tools: Arc::new(tools),
        }
    }
}

impl ServerHandler for Echo {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
            .with_server_info(Implementation::new("ocimcp-bench-echo", "1.0.0"))
    }

    async fn list_tools(
        &self,
        _: Option<PaginatedRequestParams>,
        _: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, McpError> {
        Ok(ListToolsResult::with_all_items(self.tools.to_vec()))
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        _: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, McpError> {
        if !self.tools.iter().any(|t| t.name == request.name) {
            return Err(McpError::invalid_params(
                format!("no tool named `{}`", request.name),
                None,
            ));
        }
        let message = request
            .arguments
            .as_ref()
            .and_then(|a| a.get("message"))
            .and_then(Value::as_str)
            .unwrap_or_default();
        Ok(CallToolResult::success(vec![ContentBlock::text(message)]).into())
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let echo = Echo::new(args.tools);
    match args.http {
        None => match async_stdio() {
            Ok(pipes) => {
                rmcp::ServiceExt::serve(echo, pipes)
                    .await?
                    .waiting()
                    .await?;
            }
            // Not pipes (a terminal, a file): tokio's blocking stdio instead.
            Err(_) => {
                rmcp::ServiceExt::serve(echo, rmcp::transport::stdio())
                    .await?
                    .waiting()
                    .await?;
            }
        },
        // rmcp's defaults (sessions, SSE answers), as the gateway's own front has.
        Some(addr) => ocimcp_tests::serve_http_backend(&addr, move || echo.clone()).await?,
    }
    Ok(())
}

/// stdin and stdout as non-blocking pipes on the runtime's reactor. tokio's own stdio
/// hands every read and write to a blocking thread, which would cost more than the echo.
fn async_stdio() -> std::io::Result<(pipe::Receiver, pipe::Sender)> {
    let stdin = std::io::stdin().as_fd().try_clone_to_owned()?;
    let stdout = std::io::stdout().as_fd().try_clone_to_owned()?;
    Ok((
        pipe::Receiver::from_owned_fd(stdin)?,
        pipe::Sender::from_owned_fd(stdout)?,
    ))
}
