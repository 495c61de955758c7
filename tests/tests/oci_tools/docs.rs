//! `docs/tools.md` is generated from the tool definitions the gateway lists (names,
//! annotations, descriptions, input schemas) and from real example calls against the fake
//! OCI, so it cannot drift: this test fails when the file differs from what it would write
//! (latencies aside: they change between runs; dates do not, the clock being fixed).
//! `OCIMCP_WRITE_DOCS=1` rewrites it. The same example calls go through the Python MCP SDK
//! in JSON, which checks every `structuredContent` against the tool's `outputSchema`.

use std::collections::BTreeMap;

use oci_api::ops::Timestamp;
use ocimcp_tests::oci_gateway::{COMPARTMENT, OciGateway, TENANCY};
use rmcp::model::Tool;
use serde_json::{Value, json};

/// "Now" for the example calls: the gateway's OCI tools run on a clock fixed here and the
/// planted usage ends here, so the page is the same on every day it is generated.
fn example_now() -> Timestamp {
    Timestamp::parse("2026-06-17T10:00:00Z").expect("a time")
}

/// Lines of example output shown per tool.
const EXAMPLE_LINES: usize = 14;

/// One example call per tool, in the order the tools are listed.
fn examples() -> BTreeMap<&'static str, Value> {
    let instance = "ocid1.instance.oc1.iad.aaa";
    let adb = "ocid1.autonomousdatabase.oc1.iad.x";
    BTreeMap::from([
        ("oci_ping", json!({})),
        ("oci_list_domains", json!({})),
        (
            "oci_search_tools",
            json!({ "query": "restart instance", "limit": 3 }),
        ),
        (
            "oci_get_tool_schema",
            json!({ "tool_name": "oci_compute_stop_instance" }),
        ),
        (
            "oci_compute_list_instances",
            json!({ "compartment_id": COMPARTMENT, "include_ips": true }),
        ),
        (
            "oci_compute_get_instance",
            json!({ "instance_id": instance, "include_metrics": true }),
        ),
        (
            "oci_compute_start_instance",
            json!({ "instance_id": instance }),
        ),
        (
            "oci_compute_stop_instance",
            json!({ "instance_id": instance }),
        ),
        (
            "oci_compute_restart_instance",
            json!({ "instance_id": instance, "force": true }),
        ),
        (
            "oci_skill_troubleshoot_instance",
            json!({ "instance_id": "ocid1.instance.oc1.iad.bbb" }),
        ),
        (
            "oci_skill_troubleshoot_database",
            json!({ "database_id": "ocid1.autonomousdatabase.oc1.iad.y" }),
        ),
        ("oci_cost_get_summary", json!({ "days": 7 })),
        ("oci_cost_by_service", json!({ "days": 30, "top_n": 5 })),
        ("oci_cost_by_compartment", json!({ "days": 30 })),
        ("oci_cost_monthly_trend", json!({ "months": 6 })),
        ("oci_cost_detect_anomalies", json!({ "days": 30 })),
        (
            "oci_database_list_autonomous",
            json!({ "compartment_id": COMPARTMENT }),
        ),
        ("oci_database_get_autonomous", json!({ "database_id": adb })),
        (
            "oci_database_start_autonomous",
            json!({ "database_id": adb }),
        ),
        (
            "oci_database_stop_autonomous",
            json!({ "database_id": adb }),
        ),
        (
            "oci_database_list_dbsystems",
            json!({ "compartment_id": COMPARTMENT }),
        ),
        (
            "oci_database_get_metrics",
            json!({ "database_id": adb, "hours": 6 }),
        ),
        ("oci_database_list_backups", json!({ "database_id": adb })),
        (
            "oci_network_list_vcns",
            json!({ "compartment_id": COMPARTMENT }),
        ),
        (
            "oci_network_get_vcn",
            json!({ "vcn_id": "ocid1.vcn.oc1.iad.v" }),
        ),
        (
            "oci_network_list_subnets",
            json!({ "compartment_id": COMPARTMENT, "vcn_id": "ocid1.vcn.oc1.iad.v" }),
        ),
        (
            "oci_network_list_security_lists",
            json!({ "compartment_id": COMPARTMENT }),
        ),
        (
            "oci_network_analyze_security",
            json!({ "compartment_id": COMPARTMENT }),
        ),
        (
            "oci_observability_get_instance_metrics",
            json!({ "instance_id": instance, "hours": 3 }),
        ),
        (
            "oci_observability_list_alarms",
            json!({ "compartment_id": COMPARTMENT }),
        ),
        (
            "oci_observability_get_alarm_history",
            json!({ "alarm_id": "ocid1.alarm.oc1.iad.a" }),
        ),
        (
            "oci_observability_search_logs",
            json!({ "compartment_id": COMPARTMENT, "query": "level = 'ERROR'", "hours": 1 }),
        ),
        (
            "oci_observability_execute_log_query",
            json!({ "query": "* | stats count by 'Log Source'", "hours": 24 }),
        ),
        ("oci_observability_list_log_sources", json!({ "limit": 5 })),
        (
            "oci_observability_overview",
            json!({ "compartment_id": COMPARTMENT }),
        ),
        (
            "oci_security_list_users",
            json!({ "compartment_id": TENANCY }),
        ),
        (
            "oci_security_get_user",
            json!({ "user_id": "ocid1.user.oc1..u" }),
        ),
        (
            "oci_security_list_groups",
            json!({ "compartment_id": TENANCY }),
        ),
        (
            "oci_security_list_policies",
            json!({ "compartment_id": TENANCY }),
        ),
        (
            "oci_security_list_cloud_guard_problems",
            json!({ "compartment_id": COMPARTMENT }),
        ),
        ("oci_security_audit", json!({ "compartment_id": TENANCY })),
        ("oci_search_resources", json!({ "text": "web" })),
    ])
}

/// 400 days of cost for three services in two compartments, with a spike five days
/// before [`example_now`], ending there: what the cost examples read (the catalog's
/// fixture rows are from 2024).
fn recent_usage() -> Value {
    const DAY: i64 = 86_400;
    let today = example_now().start_of_day().unix_seconds();
    let mut items = Vec::new();
    for back in 1..=400_i64 {
        let started = Timestamp::from_unix(today - back * DAY).to_string();
        let spike = if back == 5 { 9.0 } else { 1.0 };
        for (service, compartment, name, amount) in [
            ("COMPUTE", COMPARTMENT, "prod", 40.0 + (back % 3) as f64),
            ("BLOCK_STORAGE", "ocid1.compartment.oc1..ddd", "dev", 6.5),
            ("DATABASE", COMPARTMENT, "prod", 25.0 * spike),
        ] {
            items.push(json!({
                "service": service,
                "compartmentId": compartment,
                "compartmentName": name,
                "timeUsageStarted": started,
                "computedAmount": amount,
                "currency": "USD",
                "tags": []
            }));
        }
    }
    json!({ "groupBy": ["service"], "items": items })
}

/// A tool's inputs as a markdown table, from its input schema.
fn inputs(tool: &Tool) -> String {
    let schema = tool.input_schema.as_ref();
    let required: Vec<&str> = schema
        .get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let mut text = String::from("| input | type | required | description |\n|---|---|---|---|\n");
    if let Some(Value::Object(properties)) = schema.get("properties") {
        for (name, property) in properties {
            text.push_str(&format!(
                "| `{name}` | {} | {} | {} |\n",
                type_of(schema, property),
                if required.contains(&name.as_str()) {
                    "yes"
                } else {
                    "no"
                },
                property
                    .get("description")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .replace('\n', " ")
                    .replace('|', "\\|")
            ));
        }
    }
    text
}

/// A property's JSON type in words (`string`, `integer or null`, the enum's values), with
/// `$ref`s into the schema's `$defs` followed.
fn type_of(schema: &rmcp::model::JsonObject, property: &Value) -> String {
    if let Some(target) = property.get("$ref").and_then(Value::as_str) {
        let name = target.rsplit('/').next().unwrap_or_default();
        return match schema.get("$defs").and_then(|defs| defs.get(name)) {
            Some(definition) => type_of(schema, definition),
            None => "object".to_owned(),
        };
    }
    for key in ["anyOf", "oneOf"] {
        if let Some(choices) = property.get(key).and_then(Value::as_array) {
            let kinds: Vec<String> = choices
                .iter()
                .map(|choice| match choice.get("const").and_then(Value::as_str) {
                    Some(value) => format!("`{value}`"),
                    None => type_of(schema, choice),
                })
                .collect();
            return kinds.join(", ");
        }
    }
    if let Some(values) = property.get("enum").and_then(Value::as_array) {
        let values: Vec<String> = values
            .iter()
            .filter_map(Value::as_str)
            .map(|v| format!("`{v}`"))
            .collect();
        return values.join(", ");
    }
    match property.get("type") {
        Some(Value::String(kind)) => kind.clone(),
        Some(Value::Array(kinds)) => kinds
            .iter()
            .filter_map(Value::as_str)
            .collect::<Vec<_>>()
            .join(" or "),
        _ => "any".to_owned(),
    }
}

/// The first lines of an example output.
fn shortened(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = lines
        .iter()
        .take(EXAMPLE_LINES)
        .copied()
        .collect::<Vec<_>>()
        .join("\n");
    if lines.len() > EXAMPLE_LINES {
        out.push_str(&format!("\n… ({} more lines)", lines.len() - EXAMPLE_LINES));
    }
    out
}

/// The page as it should be.
async fn generate(gateway: &OciGateway) -> String {
    gateway
        .fake
        .set_answer("POST /20200107/usage", recent_usage());
    let tools: Vec<Tool> = gateway
        .client
        .list_all_tools()
        .await
        .expect("tools/list")
        .into_iter()
        .filter(|t| t.name.starts_with("oci_"))
        .collect();
    let examples = examples();
    let missing: Vec<&str> = tools
        .iter()
        .map(|t| t.name.as_ref())
        .filter(|name| !examples.contains_key(name))
        .collect();
    assert!(missing.is_empty(), "add an example call for {missing:?}");
    let mut page = String::from(
        "# The built-in OCI tools\n\n\
         Generated from the tool definitions and real example calls against the tests' fake OCI\n\
         (`tests/tests/oci_tools/docs.rs`; `OCIMCP_WRITE_DOCS=1 cargo nextest run -p ocimcp-tests\n\
         --test e2e oci_tools::docs::` rewrites it). Every tool takes `response_format`: `markdown`\n\
         (default, shown below) or `json` (the same object as the result's `structuredContent`,\n\
         which its `outputSchema` describes). Lists take `limit` (default 50, at most 100) and\n\
         `cursor` (a page's `next_cursor`). Tools marked *changes resources* are refused unless\n\
         `[oci] allow_mutations = true`.\n\n",
    );
    page.push_str(&format!("{} tools:\n\n", tools.len()));
    for tool in &tools {
        page.push_str(&format!("- [`{}`](#{})\n", tool.name, tool.name));
    }
    for tool in &tools {
        let read_only = tool
            .annotations
            .as_ref()
            .and_then(|a| a.read_only_hint)
            .unwrap_or(false);
        page.push_str(&format!(
            "\n## {}\n\n{}\n\n*{}*\n\n{}\n",
            tool.name,
            tool.description.as_deref().unwrap_or(""),
            if read_only {
                "read-only"
            } else {
                "changes resources"
            },
            inputs(tool)
        ));
        let arguments = &examples[tool.name.as_ref()];
        let output = gateway.markdown(&tool.name, arguments.clone()).await;
        page.push_str(&format!(
            "Example: `{}`\n\n```\n{}\n```\n",
            arguments,
            shortened(output.trim_end())
        ));
    }
    page
}

/// The page with each latency (a number before ` ms`) replaced by `0`: latencies change
/// between runs; nothing else may, the clock being fixed.
fn without_latencies(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut digits = String::new();
    let mut chars = text.char_indices().peekable();
    while let Some((at, c)) = chars.next() {
        if c.is_ascii_digit() {
            digits.push(c);
            if chars.peek().is_some_and(|(_, next)| next.is_ascii_digit()) {
                continue;
            }
            if text[at + 1..].starts_with(" ms") {
                out.push('0');
            } else {
                out.push_str(&digits);
            }
            digits.clear();
        } else {
            out.push(c);
        }
    }
    out
}

#[tokio::test]
async fn the_tools_page_is_what_the_tool_definitions_say() {
    let gateway = OciGateway::start_at(example_now(), "allow_mutations = true").await;
    let page = generate(&gateway).await;
    let path = ocimcp_tests::root().join("docs/tools.md");
    if std::env::var_os("OCIMCP_WRITE_DOCS").is_some() {
        std::fs::write(&path, &page).expect("write docs/tools.md");
        return;
    }
    let written = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        without_latencies(&written) == without_latencies(&page),
        "docs/tools.md is out of date: run `OCIMCP_WRITE_DOCS=1 cargo nextest run -p ocimcp-tests --test e2e oci_tools::docs::` and commit it"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn every_example_is_valid_for_its_output_schema_in_the_python_sdk() {
    let gateway = OciGateway::start_at(example_now(), "allow_mutations = true").await;
    gateway
        .fake
        .set_answer("POST /20200107/usage", recent_usage());
    let calls: Vec<Value> = examples()
        .into_iter()
        .map(|(name, mut arguments)| {
            arguments["response_format"] = json!("json");
            json!([name, arguments])
        })
        .collect();
    let report = ocimcp_tests::python_client(&gateway.daemon.url(), "legacy", &json!(calls));
    let results = report["results"].as_array().expect("results");
    assert_eq!(results.len(), calls.len());
    for result in results {
        assert_eq!(result["is_error"], false, "{result}");
        let text: Value = result["text"][0]
            .as_str()
            .and_then(|t| serde_json::from_str(t).ok())
            .unwrap_or(Value::Null);
        assert_eq!(result["structured"], text, "{}", result["name"]);
    }
}
