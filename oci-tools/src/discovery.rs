//! Discovery tools: what the gateway's OCI access is (`oci_ping`, with a real call to
//! prove the credentials work), which domains and tools exist, a ranked tool search, and
//! a tool's full schema, so a model can find the one tool it needs without reading all.

use std::time::Instant;

use rmcp::model::JsonObject;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::args::NoArgs;
use super::cache::CacheStats;
use super::error::ToolError;
use super::output::{Markdown, Row, fields, opt, table};
use super::toolbox::{Call, Domain, Effect, ToolDef, ToolInfo, tool};

pub fn tools() -> Vec<ToolDef> {
    vec![
        tool(
            "oci_ping",
            Domain::Discovery,
            Effect::Read,
            "Check the gateway's OCI access: which credentials it uses (auth mode, tenancy, region), whether mutations are allowed, the default compartment, the cache statistics, and a real GetTenancy call proving the credentials work.",
            ping,
        ),
        tool(
            "oci_list_domains",
            Domain::Discovery,
            Effect::Read,
            "List the OCI tool domains (compute, cost, database, network, observability, security, search, skills) with what each covers and its tools.",
            list_domains,
        ),
        tool(
            "oci_search_tools",
            Domain::Discovery,
            Effect::Read,
            "Find OCI tools by what they do: ranked by how well the query matches each tool's name, description and parameters. detail_level name_only, summary (default) or full (with the input schema); domain narrows the search.",
            search_tools,
        ),
        tool(
            "oci_get_tool_schema",
            Domain::Discovery,
            Effect::Read,
            "Get one OCI tool's description, input schema and output schema.",
            get_tool_schema,
        ),
    ]
}

/// What `oci_ping` found.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Ping {
    /// api_key, security_token, instance_principal, resource_principal, oke_workload_identity.
    pub auth: String,
    pub tenancy: String,
    pub tenancy_name: Option<String>,
    pub region: String,
    pub home_region_key: Option<String>,
    pub mutations_allowed: bool,
    /// Where tools look when a call names no compartment.
    pub default_compartment: String,
    /// The call made to prove the credentials work.
    pub check: PingCheck,
    pub caches: Vec<CacheStats>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct PingCheck {
    pub operation: String,
    pub latency_ms: u64,
}

impl Markdown for Ping {
    fn markdown(&self) -> String {
        let mut text = String::from("## OCI access\n");
        text.push_str(&fields(&[
            ("auth", Some(self.auth.clone())),
            ("tenancy", Some(self.tenancy.clone())),
            ("tenancy name", self.tenancy_name.clone()),
            ("region", Some(self.region.clone())),
            ("home region", self.home_region_key.clone()),
            (
                "mutations allowed",
                Some(self.mutations_allowed.to_string()),
            ),
            (
                "default compartment",
                Some(self.default_compartment.clone()),
            ),
            (
                "check",
                Some(format!(
                    "{} ok in {} ms",
                    self.check.operation, self.check.latency_ms
                )),
            ),
        ]));
        text.push_str("\n### Caches\n");
        text.push_str(&table(
            &["cache", "ttl (s)", "entries", "hits", "misses"],
            self.caches.iter().map(|c| {
                vec![
                    c.name.to_owned(),
                    c.ttl_seconds.to_string(),
                    c.entries.to_string(),
                    c.hits.to_string(),
                    c.misses.to_string(),
                ]
            }),
        ));
        text
    }
}

async fn ping(call: Call, _args: NoArgs) -> Result<Ping, ToolError> {
    let client = call.client().await?;
    let started = Instant::now();
    let tenancy = client.get_tenancy(client.tenancy()).await?;
    let latency_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    let shared = call.shared();
    Ok(Ping {
        auth: client.auth().kind().to_string(),
        tenancy: client.tenancy().to_owned(),
        tenancy_name: tenancy.name,
        region: client.region().id().to_owned(),
        home_region_key: tenancy.home_region_key,
        mutations_allowed: shared.settings.allow_mutations,
        default_compartment: call.compartment(None).await?,
        check: PingCheck {
            operation: "GetTenancy".to_owned(),
            latency_ms,
        },
        caches: shared.caches.stats(),
    })
}

/// The domains.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Domains {
    pub domains: Vec<DomainItem>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct DomainItem {
    pub domain: Domain,
    pub about: String,
    pub tools: Vec<String>,
}

impl Markdown for Domains {
    fn markdown(&self) -> String {
        table(
            &["domain", "covers", "tools"],
            self.domains.iter().map(|d| {
                vec![
                    d.domain.name().to_owned(),
                    d.about.clone(),
                    d.tools.join(", "),
                ]
            }),
        )
    }
}

async fn list_domains(call: Call, _args: NoArgs) -> Result<Domains, ToolError> {
    let tools = &call.shared().tools;
    Ok(Domains {
        domains: Domain::ALL
            .iter()
            .map(|&domain| DomainItem {
                domain,
                about: domain.about().to_owned(),
                tools: tools
                    .iter()
                    .filter(|t| t.domain == domain)
                    .map(|t| t.name.to_owned())
                    .collect(),
            })
            .collect(),
    })
}

/// How much of each tool `oci_search_tools` shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
enum DetailLevel {
    NameOnly,
    #[default]
    Summary,
    Full,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct SearchToolsArgs {
    /// Words describing what you want to do ("restart instance", "cost by service").
    query: String,
    /// Only tools of this domain.
    domain: Option<Domain>,
    /// name_only, summary (default) or full.
    #[serde(default)]
    detail_level: DetailLevel,
    /// At most this many tools (default 10).
    limit: Option<u32>,
}

/// Tools matching a search, best first.
#[derive(Debug, Serialize, JsonSchema)]
pub struct ToolMatches {
    pub matches: Vec<ToolMatch>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct ToolMatch {
    pub name: String,
    /// How well it matched; higher is better.
    pub score: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub domain: Option<Domain>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub read_only: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub input_schema: Option<JsonObject>,
}

impl Row for ToolMatch {
    const COLUMNS: &'static [&'static str] =
        &["tool", "score", "domain", "read only", "description"];
    fn cells(&self) -> Vec<String> {
        vec![
            self.name.clone(),
            self.score.to_string(),
            opt(self.domain.map(Domain::name)),
            opt(self.read_only),
            opt(self.description.as_deref()),
        ]
    }
}

impl Markdown for ToolMatches {
    fn markdown(&self) -> String {
        let mut text = table(ToolMatch::COLUMNS, self.matches.iter().map(Row::cells));
        for found in &self.matches {
            if let Some(schema) = &found.input_schema {
                text.push_str(&format!(
                    "\n### {}\n```json\n{}\n```\n",
                    found.name,
                    serde_json::Value::Object(schema.clone())
                ));
            }
        }
        text
    }
}

/// Lower-case words of `text`, split at anything but letters and digits.
fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_ascii_lowercase)
        .collect()
}

/// Whether `word` matches `query`: equal, or one a prefix of the other of at least 4
/// letters (`instance` and `instances`, `db` only as `db`).
fn matches(word: &str, query: &str) -> bool {
    word == query
        || (query.len() >= 4 && word.starts_with(query))
        || (word.len() >= 4 && query.starts_with(word))
}

/// Parameter names and descriptions of a tool's input schema.
fn parameter_text(info: &ToolInfo) -> (Vec<String>, Vec<String>) {
    let mut names = Vec::new();
    let mut descriptions = Vec::new();
    if let Some(serde_json::Value::Object(properties)) = info.input_schema.get("properties") {
        for (name, property) in properties {
            names.extend(words(name));
            if let Some(text) = property.get("description").and_then(|d| d.as_str()) {
                descriptions.extend(words(text));
            }
        }
    }
    (names, descriptions)
}

/// The relevance of a tool to the query words: a name word counts 6, a parameter name 3,
/// a description word 2, a parameter description word 1; every query word found in the
/// name adds 4 more when all are (so "list instances" ranks the list tool first).
pub fn score(info: &ToolInfo, query: &[String]) -> u32 {
    let name = words(info.name);
    let description = words(info.description);
    let (parameters, parameter_descriptions) = parameter_text(info);
    let found = |words: &[String], q: &str| words.iter().any(|w| matches(w, q));
    let mut score = 0;
    let mut all_in_name = !query.is_empty();
    for q in query {
        let in_name = found(&name, q);
        all_in_name &= in_name;
        score += u32::from(in_name) * 6
            + u32::from(found(&parameters, q)) * 3
            + u32::from(found(&description, q)) * 2
            + u32::from(found(&parameter_descriptions, q));
    }
    if all_in_name {
        score += 4 * u32::try_from(query.len()).unwrap_or(u32::MAX);
    }
    score
}

async fn search_tools(call: Call, args: SearchToolsArgs) -> Result<ToolMatches, ToolError> {
    let query = words(&args.query);
    if query.is_empty() {
        return Err(ToolError::invalid("`query` needs at least one word"));
    }
    let limit = usize::try_from(args.limit.unwrap_or(10).clamp(1, 100)).unwrap_or(10);
    let mut scored: Vec<(u32, &ToolInfo)> = call
        .shared()
        .tools
        .iter()
        .filter(|info| args.domain.is_none_or(|d| info.domain == d))
        .map(|info| (score(info, &query), info))
        .filter(|(score, _)| *score > 0)
        .collect();
    scored.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.name.cmp(b.1.name)));
    let detail = args.detail_level;
    Ok(ToolMatches {
        matches: scored
            .into_iter()
            .take(limit)
            .map(|(score, info)| ToolMatch {
                name: info.name.to_owned(),
                score,
                domain: (detail != DetailLevel::NameOnly).then_some(info.domain),
                read_only: (detail != DetailLevel::NameOnly).then_some(info.effect == Effect::Read),
                description: match detail {
                    DetailLevel::NameOnly => None,
                    DetailLevel::Summary => Some(first_sentence(info.description)),
                    DetailLevel::Full => Some(info.description.to_owned()),
                },
                input_schema: (detail == DetailLevel::Full)
                    .then(|| info.input_schema.as_ref().clone()),
            })
            .collect(),
    })
}

/// The text up to the first ". " (the whole text when there is none).
fn first_sentence(text: &str) -> String {
    match text.find(". ") {
        Some(end) => text[..=end].to_owned(),
        None => text.to_owned(),
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct GetToolSchemaArgs {
    /// The tool's name, `oci_compute_list_instances`.
    tool_name: String,
}

/// One tool in full.
#[derive(Debug, Serialize, JsonSchema)]
pub struct ToolSchema {
    pub name: String,
    pub domain: Domain,
    pub read_only: bool,
    pub description: String,
    pub input_schema: JsonObject,
    pub output_schema: JsonObject,
}

impl Markdown for ToolSchema {
    fn markdown(&self) -> String {
        format!(
            "## {}\n{}\n- domain: {}\n- read only: {}\n\n### Input schema\n```json\n{}\n```\n\n### Output schema\n```json\n{}\n```\n",
            self.name,
            self.description,
            self.domain.name(),
            self.read_only,
            serde_json::Value::Object(self.input_schema.clone()),
            serde_json::Value::Object(self.output_schema.clone()),
        )
    }
}

async fn get_tool_schema(call: Call, args: GetToolSchemaArgs) -> Result<ToolSchema, ToolError> {
    let tools = &call.shared().tools;
    let Some(info) = tools.iter().find(|t| t.name == args.tool_name) else {
        let query = words(&args.tool_name);
        let mut close: Vec<(u32, &str)> = tools
            .iter()
            .map(|t| (score(t, &query), t.name))
            .filter(|(score, _)| *score > 0)
            .collect();
        close.sort_by_key(|c| std::cmp::Reverse(c.0));
        let names: Vec<&str> = close.iter().take(3).map(|(_, name)| *name).collect();
        let hint = if names.is_empty() {
            "oci_search_tools finds tools by what they do".to_owned()
        } else {
            format!("did you mean {}?", names.join(", "))
        };
        return Err(ToolError::invalid(format!(
            "there is no OCI tool `{}`; {hint}",
            args.tool_name
        )));
    };
    Ok(ToolSchema {
        name: info.name.to_owned(),
        domain: info.domain,
        read_only: info.effect == Effect::Read,
        description: info.description.to_owned(),
        input_schema: info.input_schema.as_ref().clone(),
        output_schema: info.output_schema.as_ref().clone(),
    })
}
