//! The conformance backend: an MCP server (rmcp) exposing the fixture surface the official
//! MCP conformance suite's server scenarios exercise, so the suite can be run against the
//! gateway with this server behind it. Written from the scenarios' descriptions.
//!
//! Usage: `conformance_backend` (stdio) or `conformance_backend --http 127.0.0.1:PORT`
//! (Streamable HTTP at /mcp; prints the bound address on stdout).
//!
//! Beyond the suite's fixtures it has two tools for the gateway's own tests:
//! `test_dynamic_tool` (adds a tool and announces it) and `test_update_watched_resource`
//! (sends `notifications/resources/updated` for `test://watched-resource`), and a
//! `test_slow` tool that waits until cancelled and counts cancellations.

// Sampling and logging are deprecated by SEP-2577 but are exactly what is tested here.
#![allow(deprecated)]

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rmcp::ErrorData as McpError;
use rmcp::ServerHandler;
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, ClientResult, CompleteRequestParams,
    CompleteResult, CompletionInfo, ContentBlock, GetPromptRequestParams, GetPromptResponse,
    GetPromptResult, Implementation, ListPromptsResult, ListResourceTemplatesResult,
    ListResourcesResult, ListToolsResult, LoggingLevel, LoggingMessageNotificationParam,
    PaginatedRequestParams, ProgressNotificationParam, Prompt, PromptMessage,
    ReadResourceRequestParams, ReadResourceResponse, ReadResourceResult, Request, Resource,
    ResourceContents, ResourceTemplate, ResourceUpdatedNotificationParam, Role, ServerCapabilities,
    ServerConfig, ServerRequest, SetLevelRequestParams, SubscribeRequestParams, Tool,
    UnsubscribeRequestParams,
};
use rmcp::service::{RequestContext, RoleServer};
use serde_json::{Value, json};

/// A 1×1 PNG, standard base64.
const PNG: &str = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==";
/// A 44-byte WAV header with no samples, standard base64.
const WAV: &str = "UklGRiQAAABXQVZFZm10IBAAAAABAAEAQB8AAIA+AAACABAAZGF0YQAAAAA=";

#[derive(Clone, Default)]
struct Conformance {
    state: Arc<State>,
}

#[derive(Default)]
struct State {
    subscriptions: Mutex<HashSet<String>>,
    dynamic_tool: AtomicBool,
    /// How many `test_slow` calls were cancelled (reported by `test_cancelled_count`).
    cancelled: AtomicUsize,
}

fn tool(name: &str, description: &str, schema: Value) -> Tool {
    let schema = match schema {
        Value::Object(map) => map,
        _ => serde_json::Map::new(),
    };
    Tool::new(name.to_owned(), description.to_owned(), Arc::new(schema))
}

fn no_args() -> Value {
    json!({ "type": "object", "properties": {} })
}

fn string_args(names: &[&str]) -> Value {
    let properties: serde_json::Map<String, Value> = names
        .iter()
        .map(|n| ((*n).to_owned(), json!({ "type": "string" })))
        .collect();
    json!({ "type": "object", "properties": properties, "required": names })
}

fn text(text: impl Into<String>) -> CallToolResult {
    CallToolResult::success(vec![ContentBlock::text(text)])
}

fn embedded(uri: &str, mime: &str, text: &str) -> ContentBlock {
    serde_json::from_value(
        json!({ "type": "resource", "resource": { "uri": uri, "mimeType": mime, "text": text } }),
    )
    .expect("a valid embedded resource")
}

fn image() -> ContentBlock {
    ContentBlock::image(PNG, "image/png")
}

fn arg<'a>(request: &'a CallToolRequestParams, name: &str) -> Option<&'a str> {
    request.arguments.as_ref()?.get(name)?.as_str()
}

impl Conformance {
    fn tools(&self) -> Vec<Tool> {
        let mut tools = vec![
            tool(
                "test_simple_text",
                "Returns a simple text response",
                no_args(),
            ),
            tool("test_image_content", "Returns an image", no_args()),
            tool("test_audio_content", "Returns audio", no_args()),
            tool(
                "test_embedded_resource",
                "Returns an embedded resource",
                no_args(),
            ),
            tool(
                "test_multiple_content_types",
                "Returns text, an image and a resource",
                no_args(),
            ),
            tool(
                "test_tool_with_logging",
                "Sends log messages while it runs",
                no_args(),
            ),
            tool(
                "test_error_handling",
                "Always fails, as a tool error",
                no_args(),
            ),
            tool(
                "test_tool_with_progress",
                "Reports progress while it runs",
                no_args(),
            ),
            tool(
                "test_sampling",
                "Asks the client's model to answer a prompt",
                string_args(&["prompt"]),
            ),
            tool(
                "test_elicitation",
                "Asks the user for a username and email",
                string_args(&["message"]),
            ),
            tool(
                "test_elicitation_sep1034_defaults",
                "Asks the user, with defaults for every field",
                no_args(),
            ),
            tool(
                "test_elicitation_sep1330_enums",
                "Asks the user to pick from five kinds of enum",
                no_args(),
            ),
            tool(
                "json_schema_2020_12_tool",
                "Tool with JSON Schema 2020-12 features",
                json!({
                    "$schema": "https://json-schema.org/draft/2020-12/schema",
                    "type": "object",
                    "$defs": { "address": { "type": "object", "properties": {
                        "street": { "type": "string" }, "city": { "type": "string" } } } },
                    "properties": { "name": { "type": "string" }, "address": { "$ref": "#/$defs/address" } },
                    "additionalProperties": false
                }),
            ),
            tool(
                "test_dynamic_tool",
                "Adds the tool test_dynamic_tool_added and announces the change",
                no_args(),
            ),
            tool(
                "test_update_watched_resource",
                "Sends resources/updated for test://watched-resource",
                no_args(),
            ),
            tool("test_slow", "Waits until cancelled (or 60 s)", no_args()),
            tool(
                "test_cancelled_count",
                "How many test_slow calls were cancelled",
                no_args(),
            ),
        ];
        if self.state.dynamic_tool.load(Ordering::SeqCst) {
            tools.push(tool(
                "test_dynamic_tool_added",
                "Added by test_dynamic_tool",
                no_args(),
            ));
        }
        tools
    }

    async fn log(context: &RequestContext<RoleServer>, message: &str) {
        let params = LoggingMessageNotificationParam::new(LoggingLevel::Info, json!(message))
            .with_logger("conformance");
        let _ = context.peer.notify_logging_message(params).await;
    }

    /// Sends a request to the client (sampling, elicitation) and returns its answer.
    async fn ask(
        context: &RequestContext<RoleServer>,
        request: ServerRequest,
    ) -> Result<Value, McpError> {
        match context.peer.send_request(request).await {
            Ok(ClientResult::CreateMessageResult(result)) => {
                Ok(serde_json::to_value(result).unwrap_or_default())
            }
            Ok(ClientResult::ElicitResult(result)) => {
                Ok(serde_json::to_value(result).unwrap_or_default())
            }
            Ok(other) => Ok(serde_json::to_value(other).unwrap_or_default()),
            Err(e) => Err(McpError::internal_error(
                format!("the client did not answer: {e}"),
                None,
            )),
        }
    }

    async fn elicit(
        context: &RequestContext<RoleServer>,
        message: &str,
        schema: Value,
    ) -> Result<CallToolResult, McpError> {
        let params =
            serde_json::from_value(json!({ "message": message, "requestedSchema": schema }))
                .map_err(|e| McpError::internal_error(format!("bad elicitation: {e}"), None))?;
        let answer = Self::ask(context, ServerRequest::ElicitRequest(Request::new(params))).await?;
        Ok(text(format!(
            "Elicitation completed: action={}, content={}",
            answer["action"], answer["content"]
        )))
    }

    async fn call(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResult, McpError> {
        match request.name.as_ref() {
            "test_simple_text" => Ok(text("This is a simple text response for testing.")),
            "test_image_content" => Ok(CallToolResult::success(vec![image()])),
            "test_audio_content" => Ok(CallToolResult::success(vec![ContentBlock::audio(WAV, "audio/wav")])),
            "test_embedded_resource" => Ok(CallToolResult::success(vec![embedded(
                "test://embedded-resource",
                "text/plain",
                "This is an embedded resource content.",
            )])),
            "test_multiple_content_types" => Ok(CallToolResult::success(vec![
                ContentBlock::text("Multiple content types test:"),
                image(),
                embedded("test://mixed-content-resource", "application/json", r#"{"test":"data","value":123}"#),
            ])),
            "test_tool_with_logging" => {
                for (i, message) in ["Tool execution started", "Tool processing data", "Tool execution completed"].iter().enumerate() {
                    if i > 0 {
                        tokio::time::sleep(Duration::from_millis(50)).await;
                    }
                    Self::log(&context, message).await;
                }
                Ok(text("Tool with logging executed successfully"))
            }
            "test_error_handling" => {
                Ok(CallToolResult::error(vec![ContentBlock::text("This tool intentionally returns an error for testing")]))
            }
            "test_tool_with_progress" => {
                if let Some(token) = context.meta.get_progress_token() {
                    for (i, progress) in [0.0, 50.0, 100.0].into_iter().enumerate() {
                        if i > 0 {
                            tokio::time::sleep(Duration::from_millis(50)).await;
                        }
                        let params = ProgressNotificationParam::new(token.clone(), progress).with_total(100.0);
                        let _ = context.peer.notify_progress(params).await;
                    }
                }
                Ok(text("Tool with progress executed successfully"))
            }
            "test_sampling" => {
                let prompt = arg(&request, "prompt").unwrap_or("Test prompt for sampling");
                let params = serde_json::from_value(json!({
                    "messages": [{ "role": "user", "content": { "type": "text", "text": prompt } }],
                    "maxTokens": 100
                }))
                .map_err(|e| McpError::internal_error(format!("bad sampling request: {e}"), None))?;
                let answer = Self::ask(&context, ServerRequest::CreateMessageRequest(Request::new(params))).await?;
                let said = answer["content"]["text"].as_str().unwrap_or_default();
                Ok(text(format!("LLM response: {said}")))
            }
            "test_elicitation" => {
                let message = arg(&request, "message").unwrap_or("Please provide your information");
                Self::elicit(
                    &context,
                    message,
                    json!({
                        "type": "object",
                        "properties": {
                            "username": { "type": "string", "description": "User's response" },
                            "email": { "type": "string", "description": "User's email address" }
                        },
                        "required": ["username", "email"]
                    }),
                )
                .await
            }
            "test_elicitation_sep1034_defaults" => {
                Self::elicit(
                    &context,
                    "Please review your profile",
                    json!({
                        "type": "object",
                        "properties": {
                            "name": { "type": "string", "description": "User name", "default": "John Doe" },
                            "age": { "type": "integer", "description": "User age", "default": 30 },
                            "score": { "type": "number", "description": "User score", "default": 95.5 },
                            "status": { "type": "string", "description": "User status",
                                        "enum": ["active", "inactive", "pending"], "default": "active" },
                            "verified": { "type": "boolean", "description": "Verification status", "default": true }
                        }
                    }),
                )
                .await
            }
            "test_elicitation_sep1330_enums" => {
                let choices = |a: &str, b: &str, c: &str, word: &str| {
                    json!([
                        { "const": a, "title": format!("First {word}") },
                        { "const": b, "title": format!("Second {word}") },
                        { "const": c, "title": format!("Third {word}") }
                    ])
                };
                Self::elicit(
                    &context,
                    "Please choose",
                    json!({
                        "type": "object",
                        "properties": {
                            "untitledSingle": { "type": "string", "enum": ["option1", "option2", "option3"] },
                            "titledSingle": { "type": "string", "oneOf": choices("value1", "value2", "value3", "Option") },
                            "legacyEnum": { "type": "string", "enum": ["opt1", "opt2", "opt3"],
                                            "enumNames": ["Option One", "Option Two", "Option Three"] },
                            "untitledMulti": { "type": "array",
                                               "items": { "type": "string", "enum": ["option1", "option2", "option3"] } },
                            "titledMulti": { "type": "array", "items": { "anyOf": choices("value1", "value2", "value3", "Choice") } }
                        }
                    }),
                )
                .await
            }
            "json_schema_2020_12_tool" => Ok(text(format!("name: {}", arg(&request, "name").unwrap_or("-")))),
            "test_dynamic_tool" => {
                self.state.dynamic_tool.store(true, Ordering::SeqCst);
                let _ = context.peer.notify_tool_list_changed().await;
                Ok(text("test_dynamic_tool_added is now listed"))
            }
            "test_dynamic_tool_added" if self.state.dynamic_tool.load(Ordering::SeqCst) => Ok(text("dynamic tool called")),
            "test_update_watched_resource" => {
                let subscribed = self.state.subscriptions.lock().expect("lock").contains("test://watched-resource");
                if subscribed {
                    let params = ResourceUpdatedNotificationParam::new("test://watched-resource");
                    let _ = context.peer.notify_resource_updated(params).await;
                }
                Ok(text(if subscribed { "update sent" } else { "nobody is subscribed" }))
            }
            "test_slow" => {
                tokio::select! {
                    _ = context.ct.cancelled() => {
                        self.state.cancelled.fetch_add(1, Ordering::SeqCst);
                        Ok(text("cancelled"))
                    }
                    _ = tokio::time::sleep(Duration::from_secs(60)) => Ok(text("finished")),
                }
            }
            "test_cancelled_count" => Ok(text(self.state.cancelled.load(Ordering::SeqCst).to_string())),
            other => Err(McpError::invalid_params(format!("unknown tool `{other}`"), None)),
        }
    }
}

fn prompt(name: &str, description: &str, arguments: &[&str]) -> Prompt {
    let arguments: Vec<Value> = arguments
        .iter()
        .map(|a| json!({ "name": a, "required": true }))
        .collect();
    serde_json::from_value(
        json!({ "name": name, "description": description, "arguments": arguments }),
    )
    .expect("a valid prompt")
}

impl ServerHandler for Conformance {
    fn get_info(&self) -> ServerConfig {
        let capabilities = ServerCapabilities::builder()
            .enable_logging()
            .enable_completions()
            .enable_prompts()
            .enable_resources()
            .enable_resources_subscribe()
            .enable_tools()
            .enable_tool_list_changed()
            .build();
        ServerConfig::new(capabilities)
            .with_server_info(Implementation::new("ocimcp-conformance-backend", "1.0.0"))
    }

    async fn list_tools(
        &self,
        _: Option<PaginatedRequestParams>,
        _: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, McpError> {
        Ok(ListToolsResult::with_all_items(self.tools()))
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, McpError> {
        self.call(request, context).await.map(Into::into)
    }

    async fn list_resources(
        &self,
        _: Option<PaginatedRequestParams>,
        _: RequestContext<RoleServer>,
    ) -> Result<ListResourcesResult, McpError> {
        Ok(ListResourcesResult::with_all_items(vec![
            Resource::new("test://static-text", "static-text")
                .with_description("A static text resource")
                .with_mime_type("text/plain"),
            Resource::new("test://static-binary", "static-binary")
                .with_description("A static image")
                .with_mime_type("image/png"),
            Resource::new("test://watched-resource", "watched-resource")
                .with_description("A resource to subscribe to")
                .with_mime_type("text/plain"),
        ]))
    }

    async fn list_resource_templates(
        &self,
        _: Option<PaginatedRequestParams>,
        _: RequestContext<RoleServer>,
    ) -> Result<ListResourceTemplatesResult, McpError> {
        Ok(ListResourceTemplatesResult::with_all_items(vec![
            ResourceTemplate::new("test://template/{id}/data", "template-data")
                .with_description("Data for an id")
                .with_mime_type("application/json"),
        ]))
    }

    async fn read_resource(
        &self,
        request: ReadResourceRequestParams,
        _: RequestContext<RoleServer>,
    ) -> Result<ReadResourceResponse, McpError> {
        let uri = request.uri.as_str();
        let contents = match uri {
            "test://static-text" => ResourceContents::text("This is the content of the static text resource.", uri),
            "test://static-binary" => ResourceContents::BlobResourceContents {
                uri: uri.to_owned(),
                mime_type: Some("image/png".to_owned()),
                blob: PNG.to_owned(),
                meta: None,
            },
            "test://watched-resource" => ResourceContents::text("This resource is watched.", uri),
            _ => match uri.strip_prefix("test://template/").and_then(|rest| rest.strip_suffix("/data")) {
                Some(id) if !id.is_empty() && !id.contains('/') => ResourceContents::TextResourceContents {
                    uri: uri.to_owned(),
                    mime_type: Some("application/json".to_owned()),
                    text: json!({ "id": id, "templateTest": true, "data": format!("Data for ID: {id}") }).to_string(),
                    meta: None,
                },
                _ => return Err(McpError::resource_not_found(format!("no resource `{uri}`"), None)),
            },
        };
        Ok(ReadResourceResult::new(vec![contents]).into())
    }

    async fn subscribe(
        &self,
        request: SubscribeRequestParams,
        _: RequestContext<RoleServer>,
    ) -> Result<(), McpError> {
        self.state
            .subscriptions
            .lock()
            .expect("lock")
            .insert(request.uri);
        Ok(())
    }

    async fn unsubscribe(
        &self,
        request: UnsubscribeRequestParams,
        _: RequestContext<RoleServer>,
    ) -> Result<(), McpError> {
        self.state
            .subscriptions
            .lock()
            .expect("lock")
            .remove(&request.uri);
        Ok(())
    }

    async fn list_prompts(
        &self,
        _: Option<PaginatedRequestParams>,
        _: RequestContext<RoleServer>,
    ) -> Result<ListPromptsResult, McpError> {
        Ok(ListPromptsResult::with_all_items(vec![
            prompt("test_simple_prompt", "A simple prompt", &[]),
            prompt(
                "test_prompt_with_arguments",
                "A prompt with two arguments",
                &["arg1", "arg2"],
            ),
            prompt(
                "test_prompt_with_embedded_resource",
                "A prompt embedding a resource",
                &["resourceUri"],
            ),
            prompt("test_prompt_with_image", "A prompt with an image", &[]),
        ]))
    }

    async fn get_prompt(
        &self,
        request: GetPromptRequestParams,
        _: RequestContext<RoleServer>,
    ) -> Result<GetPromptResponse, McpError> {
        let argument = |name: &str| {
            request
                .arguments
                .as_ref()
                .and_then(|a| a.get(name))
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned()
        };
        let messages = match request.name.as_str() {
            "test_simple_prompt" => vec![PromptMessage::new_text(
                Role::User,
                "This is a simple prompt for testing.",
            )],
            "test_prompt_with_arguments" => vec![PromptMessage::new_text(
                Role::User,
                format!(
                    "Prompt with arguments: arg1='{}', arg2='{}'",
                    argument("arg1"),
                    argument("arg2")
                ),
            )],
            "test_prompt_with_embedded_resource" => vec![
                PromptMessage::new(
                    Role::User,
                    embedded(
                        &argument("resourceUri"),
                        "text/plain",
                        "Embedded resource content for testing.",
                    ),
                ),
                PromptMessage::new_text(Role::User, "Please process the embedded resource above."),
            ],
            "test_prompt_with_image" => vec![
                PromptMessage::new(Role::User, image()),
                PromptMessage::new_text(Role::User, "Please analyze the image above."),
            ],
            other => {
                return Err(McpError::invalid_params(
                    format!("unknown prompt `{other}`"),
                    None,
                ));
            }
        };
        Ok(GetPromptResult::new(messages).into())
    }

    async fn complete(
        &self,
        request: CompleteRequestParams,
        _: RequestContext<RoleServer>,
    ) -> Result<CompleteResult, McpError> {
        let candidates: &[&str] = match request.argument.name.as_str() {
            "arg1" | "arg2" => &["paris", "park", "party", "test-value"],
            "id" => &["1", "2", "123"],
            _ => &[],
        };
        let values = candidates
            .iter()
            .filter(|v| v.starts_with(&request.argument.value))
            .map(|v| (*v).to_owned())
            .collect();
        Ok(CompleteResult::new(
            CompletionInfo::new(values).map_err(|e| McpError::internal_error(e, None))?,
        ))
    }

    async fn set_level(
        &self,
        _: SetLevelRequestParams,
        _: RequestContext<RoleServer>,
    ) -> Result<(), McpError> {
        Ok(())
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    match args.get(1).map(String::as_str) {
        None => {
            let running =
                rmcp::ServiceExt::serve(Conformance::default(), rmcp::transport::stdio()).await?;
            running.waiting().await?;
        }
        Some("--http") => {
            let addr = args.get(2).map_or("127.0.0.1:0", String::as_str);
            let shared = Conformance::default();
            ocimcp_tests::serve_http_backend(addr, move || shared.clone()).await?;
        }
        Some(other) => {
            anyhow::bail!("unknown argument `{other}`; usage: conformance_backend [--http ADDR]")
        }
    }
    Ok(())
}
