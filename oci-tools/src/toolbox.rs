//! What a built-in tool is and what its handler gets. A tool is declared with [`tool`]:
//! name, domain, whether it changes resources, a description, and an async handler from
//! its argument type to its result type; both types give the input and output schemas,
//! so what a tool accepts and answers cannot drift from what it says.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use oci_api::Client;
use oci_api::ops::Timestamp;
use oci_api::ops::identity::{Compartment, ListCompartments};
use rmcp::model::{JsonObject, ProgressNotificationParam, ProgressToken};
use rmcp::service::{Peer, RoleServer};
use schemars::JsonSchema;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use super::args::{self, ResponseFormat};
use super::cache::Caches;
use super::credentials::Credentials;
use super::error::ToolError;
use super::output::Markdown;
use crate::settings::Settings;

/// The groups tools are listed in (`oci_list_domains`, `oci_search_tools`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Domain {
    Discovery,
    Compute,
    Cost,
    Database,
    Network,
    Observability,
    Security,
    Search,
    Skills,
}

impl Domain {
    pub const ALL: [Domain; 9] = [
        Domain::Discovery,
        Domain::Compute,
        Domain::Cost,
        Domain::Database,
        Domain::Network,
        Domain::Observability,
        Domain::Security,
        Domain::Search,
        Domain::Skills,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Domain::Discovery => "discovery",
            Domain::Compute => "compute",
            Domain::Cost => "cost",
            Domain::Database => "database",
            Domain::Network => "network",
            Domain::Observability => "observability",
            Domain::Security => "security",
            Domain::Search => "search",
            Domain::Skills => "skills",
        }
    }

    pub fn about(self) -> &'static str {
        match self {
            Domain::Discovery => "find tools and check the gateway's OCI access",
            Domain::Compute => "list, inspect, start, stop and restart compute instances",
            Domain::Cost => {
                "spend from the Usage API: summaries, breakdowns, trend with forecast, anomalies"
            }
            Domain::Database => "Autonomous Databases, DB systems, backups and database metrics",
            Domain::Network => {
                "VCNs, subnets, security lists and a security analysis of ingress rules"
            }
            Domain::Observability => {
                "metrics, alarms, alarm history, Logging search and Log Analytics"
            }
            Domain::Security => {
                "IAM users, groups and policies, Cloud Guard problems and a security audit"
            }
            Domain::Search => "Resource Search: find any resource by name or structured query",
            Domain::Skills => {
                "multi-step diagnoses of an instance or a database, with findings and next steps"
            }
        }
    }
}

/// Whether a tool only reads, or changes resources (refused unless mutations are on).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    Read,
    Mutate,
}

/// What a handler produced: the JSON answer and its markdown.
pub struct Reply {
    pub structured: Value,
    pub markdown: String,
}

type Handler = Box<
    dyn Fn(
            Call,
            Option<Map<String, Value>>,
        )
            -> Pin<Box<dyn Future<Output = Result<(Reply, ResponseFormat), ToolError>> + Send>>
        + Send
        + Sync,
>;

/// A tool's description, without its handler.
#[derive(Debug, Clone)]
pub struct ToolInfo {
    pub name: &'static str,
    pub domain: Domain,
    pub effect: Effect,
    pub description: &'static str,
    pub input_schema: Arc<JsonObject>,
    pub output_schema: Arc<JsonObject>,
}

/// A tool: its description and handler.
pub struct ToolDef {
    pub info: ToolInfo,
    handler: Handler,
}

impl ToolDef {
    /// Parses the arguments and runs the handler.
    pub async fn run(
        &self,
        call: Call,
        arguments: Option<Map<String, Value>>,
    ) -> Result<(Reply, ResponseFormat), ToolError> {
        (self.handler)(call, arguments).await
    }
}

/// Declares a tool. `A` is its arguments (flat, `deny_unknown_fields`; `response_format`
/// is added for every tool), `O` its result.
pub fn tool<A, O, F, Fut>(
    name: &'static str,
    domain: Domain,
    effect: Effect,
    description: &'static str,
    handler: F,
) -> ToolDef
where
    A: DeserializeOwned + JsonSchema + Send + 'static,
    O: Serialize + JsonSchema + Markdown + 'static,
    F: Fn(Call, A) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<O, ToolError>> + Send + 'static,
{
    let handler = Arc::new(handler);
    ToolDef {
        info: ToolInfo {
            name,
            domain,
            effect,
            description,
            input_schema: Arc::new(input_schema::<A>()),
            output_schema: Arc::new(schema_object::<O>()),
        },
        handler: Box::new(move |call, arguments| {
            let handler = handler.clone();
            Box::pin(async move {
                let (args, format) = args::parse::<A>(arguments)?;
                let output = handler(call, args).await?;
                let structured = serde_json::to_value(&output).map_err(|e| {
                    ToolError::Failed(format!("the result could not be written as JSON: {e}"))
                })?;
                Ok((
                    Reply {
                        structured,
                        markdown: output.markdown(),
                    },
                    format,
                ))
            })
        }),
    }
}

/// The JSON schema of `T` as an object (what MCP wants for input and output schemas).
fn schema_object<T: JsonSchema>() -> JsonObject {
    let schema = schemars::generate::SchemaSettings::draft2020_12()
        .into_generator()
        .into_root_schema_for::<T>();
    match serde_json::to_value(schema) {
        Ok(Value::Object(mut object)) => {
            object.remove("$schema");
            object
        }
        _ => JsonObject::new(),
    }
}

/// `A`'s schema with `response_format` added.
fn input_schema<A: JsonSchema>() -> JsonObject {
    let mut schema = schema_object::<A>();
    schema.insert("type".to_owned(), Value::String("object".to_owned()));
    let properties = schema
        .entry("properties")
        .or_insert_with(|| Value::Object(Map::new()));
    if let Value::Object(properties) = properties {
        properties.insert(
            "response_format".to_owned(),
            serde_json::json!({
                "type": "string",
                "enum": ["markdown", "json"],
                "default": "markdown",
                "description": "markdown: compact tables for reading; json: the structured result as JSON text"
            }),
        );
    }
    schema
}

/// What the tool set shares across calls.
pub struct Shared {
    pub settings: Settings,
    pub credentials: Credentials,
    pub caches: Caches,
    pub tools: Vec<ToolInfo>,
}

impl Shared {
    pub fn new(settings: Settings, tools: Vec<ToolInfo>) -> Self {
        Self {
            credentials: Credentials::new(settings.clone()),
            settings,
            caches: Caches::new(),
            tools,
        }
    }
}

/// One tool call: what its handler may use.
#[derive(Clone)]
pub struct Call {
    shared: Arc<Shared>,
    /// A client for this call's caller when identity propagation applies.
    client: Option<Client>,
    progress: Option<(Peer<RoleServer>, ProgressToken)>,
}

impl Call {
    pub fn new(
        shared: Arc<Shared>,
        client: Option<Client>,
        progress: Option<(Peer<RoleServer>, ProgressToken)>,
    ) -> Self {
        Self {
            shared,
            client,
            progress,
        }
    }

    pub fn shared(&self) -> &Shared {
        &self.shared
    }

    /// What time it is for this call's windows (the settings' clock).
    pub fn now(&self) -> Timestamp {
        self.shared.settings.clock.now()
    }

    /// The OCI client to call with.
    pub async fn client(&self) -> Result<Client, ToolError> {
        match &self.client {
            Some(client) => Ok(client.clone()),
            None => self.shared.credentials.client().await,
        }
    }

    /// The compartment to look in: `given` (checked), else `[oci] compartment_id`, else
    /// the tenancy.
    pub async fn compartment(&self, given: Option<String>) -> Result<String, ToolError> {
        if let Some(given) = given {
            args::ocid("compartment_id", &given, &["compartment", "tenancy"])?;
            return Ok(given);
        }
        if let Some(configured) = &self.shared.settings.compartment_id {
            return Ok(configured.clone());
        }
        Ok(self.client().await?.tenancy().to_owned())
    }

    /// Every compartment of the tenancy (active ones, the whole tree), cached for
    /// [`COMPARTMENTS_TTL`](super::cache::COMPARTMENTS_TTL).
    pub async fn compartment_tree(&self) -> Result<Vec<Compartment>, ToolError> {
        let client = self.client().await?;
        let tenancy = client.tenancy().to_owned();
        let load = async {
            let list = ListCompartments::whole_tree(tenancy.clone());
            Ok(client.list_compartments(&list).collect(None).await?)
        };
        if !self.uses_shared_cache() {
            return load.await;
        }
        self.shared
            .caches
            .compartments
            .get_or_load(&tenancy, load)
            .await
    }

    /// Whether this call may read and fill the caches: not when it runs as a user (identity
    /// propagation), who may see less than the daemon's principal.
    pub fn uses_shared_cache(&self) -> bool {
        self.client.is_none()
    }

    /// Tells the caller how far a multi-step tool is (when it asked for progress).
    pub async fn progress(&self, step: u32, total: u32, message: impl Into<String>) {
        if let Some((peer, token)) = &self.progress {
            let param = ProgressNotificationParam::new(token.clone(), f64::from(step))
                .with_total(f64::from(total))
                .with_message(message);
            if let Err(e) = peer.notify_progress(param).await {
                tracing::debug!("progress notification not sent: {e}");
            }
        }
    }
}
