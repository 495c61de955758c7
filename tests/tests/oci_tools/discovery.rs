//! Discovery tools: who the gateway is to OCI (with a real call and the cache stats), the
//! domains, a ranked tool search at three levels of detail, and one tool's schemas.

use ocimcp_tests::fake_oci::doc_key;
use ocimcp_tests::oci_gateway::{COMPARTMENT, OciGateway};
use serde_json::json;

#[tokio::test]
async fn ping_proves_the_credentials_with_a_real_call_and_shows_the_caches() {
    let gateway = OciGateway::start("").await;
    // Fill the instance-IP cache: one miss, then one hit.
    for _ in 0..2 {
        gateway
            .json(
                "oci_compute_get_instance",
                json!({ "instance_id": "ocid1.instance.oc1.iad.aaa" }),
            )
            .await;
    }
    let ping = gateway.json("oci_ping", json!({})).await;
    assert_eq!(ping["auth"], "api_key");
    assert_eq!(ping["tenancy"], doc_key::TENANCY);
    assert_eq!(ping["region"], "us-ashburn-1");
    assert_eq!(ping["mutations_allowed"], false);
    assert_eq!(ping["default_compartment"], doc_key::TENANCY);
    assert_eq!(ping["check"]["operation"], "GetTenancy");
    let ips = ping["caches"]
        .as_array()
        .and_then(|c| c.iter().find(|c| c["name"] == "instance IPs"))
        .expect("the instance IP cache");
    assert_eq!(
        (ips["hits"].as_u64(), ips["misses"].as_u64()),
        (Some(1), Some(1))
    );
    assert_eq!(ips["ttl_seconds"], 120);
    let asked = gateway.requests_to(&format!("/20160918/tenancies/{}", doc_key::TENANCY));
    assert_eq!(asked.len(), 1, "one real GetTenancy call");

    let configured = OciGateway::start(&format!(
        "allow_mutations = true\ncompartment_id = \"{COMPARTMENT}\""
    ))
    .await;
    let markdown = configured.markdown("oci_ping", json!({})).await;
    assert!(
        markdown.starts_with("## OCI access\n- auth: api_key\n"),
        "{markdown}"
    );
    assert!(
        markdown.contains("- mutations allowed: true\n"),
        "{markdown}"
    );
    assert!(
        markdown.contains(&format!("- default compartment: {COMPARTMENT}\n")),
        "{markdown}"
    );
    assert!(
        markdown.contains("| compartment tree | 300 |"),
        "{markdown}"
    );
}

#[tokio::test]
async fn domains_list_every_tool_once() {
    let gateway = OciGateway::start("").await;
    let domains = gateway.json("oci_list_domains", json!({})).await;
    let domains = domains["domains"].as_array().expect("domains");
    let names: Vec<&str> = domains
        .iter()
        .filter_map(|d| d["domain"].as_str())
        .collect();
    assert_eq!(
        names,
        [
            "discovery",
            "compute",
            "cost",
            "database",
            "network",
            "observability",
            "security",
            "search",
            "skills"
        ]
    );
    let listed: Vec<String> = gateway
        .client
        .list_all_tools()
        .await
        .expect("tools/list")
        .into_iter()
        .map(|t| t.name.to_string())
        .filter(|name| name.starts_with("oci_"))
        .collect();
    let mut in_domains: Vec<String> = domains
        .iter()
        .flat_map(|d| d["tools"].as_array().cloned().unwrap_or_default())
        .filter_map(|t| t.as_str().map(str::to_owned))
        .collect();
    in_domains.sort();
    let mut expected = listed.clone();
    expected.sort();
    assert_eq!(
        in_domains, expected,
        "every listed tool in exactly one domain"
    );
    let compute = &domains[1];
    assert!(
        compute["tools"]
            .as_array()
            .is_some_and(|t| t.contains(&json!("oci_compute_restart_instance"))),
        "{compute}"
    );
    let markdown = gateway.markdown("oci_list_domains", json!({})).await;
    assert!(
        markdown.starts_with("| domain | covers | tools |"),
        "{markdown}"
    );
}

#[tokio::test]
async fn tool_search_ranks_by_name_description_and_parameters() {
    let gateway = OciGateway::start("").await;
    let found = gateway
        .json("oci_search_tools", json!({ "query": "restart instance" }))
        .await;
    let matches = found["matches"].as_array().expect("matches");
    assert_eq!(
        matches[0]["name"], "oci_compute_restart_instance",
        "{found}"
    );
    assert_eq!(matches[0]["read_only"], false);
    assert!(
        matches[0]["description"]
            .as_str()
            .is_some_and(|d| d.ends_with('.'))
    );
    assert!(
        matches[0].get("input_schema").is_none(),
        "summary has no schema"
    );
    let scores: Vec<u64> = matches.iter().filter_map(|m| m["score"].as_u64()).collect();
    assert!(
        scores.windows(2).all(|w| w[0] >= w[1]),
        "best first: {scores:?}"
    );

    // A parameter name is found too, and `domain` narrows.
    let by_parameter = gateway
        .json(
            "oci_search_tools",
            json!({ "query": "include_ips", "domain": "compute", "detail_level": "name_only" }),
        )
        .await;
    let first = &by_parameter["matches"][0];
    assert_eq!(
        first["name"], "oci_compute_list_instances",
        "{by_parameter}"
    );
    assert!(first.get("description").is_none() && first.get("domain").is_none());

    let full = gateway
        .json(
            "oci_search_tools",
            json!({ "query": "ping", "detail_level": "full", "limit": 1 }),
        )
        .await;
    assert_eq!(full["matches"].as_array().map(Vec::len), Some(1));
    assert_eq!(full["matches"][0]["name"], "oci_ping");
    assert_eq!(full["matches"][0]["input_schema"]["type"], "object");

    let markdown = gateway
        .markdown("oci_search_tools", json!({ "query": "stop instance" }))
        .await;
    assert!(
        markdown.starts_with("| tool | score | domain | read only | description |\n"),
        "{markdown}"
    );
    assert!(
        markdown.contains("| oci_compute_stop_instance |"),
        "{markdown}"
    );
    let nothing = gateway
        .json("oci_search_tools", json!({ "query": "zzzz qqqq" }))
        .await;
    assert_eq!(nothing["matches"], json!([]));
    let empty = gateway
        .error("oci_search_tools", json!({ "query": " , " }))
        .await;
    assert!(empty.contains("`query` needs at least one word"), "{empty}");
}

#[tokio::test]
async fn a_tool_schema_is_given_in_full_and_a_wrong_name_gets_suggestions() {
    let gateway = OciGateway::start("").await;
    let schema = gateway
        .json(
            "oci_get_tool_schema",
            json!({ "tool_name": "oci_compute_stop_instance" }),
        )
        .await;
    assert_eq!(schema["domain"], "compute");
    assert_eq!(schema["read_only"], false);
    let properties = &schema["input_schema"]["properties"];
    assert_eq!(properties["force"]["type"], "boolean");
    assert_eq!(
        properties["response_format"]["enum"],
        json!(["markdown", "json"])
    );
    assert_eq!(schema["input_schema"]["additionalProperties"], false);
    assert_eq!(schema["input_schema"]["required"], json!(["instance_id"]));
    assert_eq!(schema["output_schema"]["type"], "object");

    let markdown = gateway
        .markdown("oci_get_tool_schema", json!({ "tool_name": "oci_ping" }))
        .await;
    assert!(markdown.starts_with("## oci_ping\n"), "{markdown}");
    assert!(
        markdown.contains("### Input schema\n```json\n"),
        "{markdown}"
    );

    let wrong = gateway
        .error(
            "oci_get_tool_schema",
            json!({ "tool_name": "oci_compute_reboot_instances" }),
        )
        .await;
    assert!(
        wrong.contains("there is no OCI tool `oci_compute_reboot_instances`"),
        "{wrong}"
    );
    assert!(wrong.contains("did you mean oci_compute_"), "{wrong}");
}
