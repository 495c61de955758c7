//! Compute tools: listing with filters, IPs and paging; one instance with its VNICs and
//! metrics; power actions refused by default and sent exactly when allowed.

use ocimcp_tests::fake_oci::doc_key;
use ocimcp_tests::oci_gateway::{COMPARTMENT, OciGateway};
use serde_json::json;

#[tokio::test]
async fn instances_are_listed_with_their_ips_in_both_formats() {
    let gateway = OciGateway::start("").await;
    let listed = gateway
        .json(
            "oci_compute_list_instances",
            json!({ "compartment_id": COMPARTMENT, "include_ips": true }),
        )
        .await;
    let items = listed["items"].as_array().expect("items");
    let names: Vec<&str> = items.iter().filter_map(|i| i["name"].as_str()).collect();
    assert_eq!(names, ["web-1", "batch-1"]);
    assert_eq!(items[0]["private_ips"], json!(["10.0.0.5", "10.0.1.7"]));
    assert_eq!(items[0]["public_ips"], json!(["129.1.2.3"]));
    assert_eq!(items[1]["private_ips"], json!(["10.0.1.9"]));
    assert!(listed.get("next_cursor").is_none(), "one page: {listed}");

    let markdown = gateway
        .markdown(
            "oci_compute_list_instances",
            json!({ "compartment_id": COMPARTMENT, "lifecycle_state": "stopped" }),
        )
        .await;
    assert!(markdown.starts_with("| name | state |"), "{markdown}");
    assert!(markdown.contains("| batch-1 | STOPPED |"), "{markdown}");
    assert!(!markdown.contains("web-1"), "filtered by state: {markdown}");
    assert!(markdown.contains("\n1 item\n"), "{markdown}");
}

#[tokio::test]
async fn the_compartment_defaults_to_the_configured_one_then_the_tenancy() {
    let configured = OciGateway::start("compartment_id = \"ocid1.compartment.oc1..dev\"").await;
    let listed = configured
        .json("oci_compute_list_instances", json!({}))
        .await;
    assert_eq!(listed["items"][0]["name"], "dev-box");

    let plain = OciGateway::start("").await;
    let listed = plain.json("oci_compute_list_instances", json!({})).await;
    assert_eq!(
        listed["items"],
        json!([]),
        "no instance sits in the tenancy itself"
    );
    let asked = plain.requests_to("/20160918/instances?");
    assert!(
        asked[0]
            .target
            .contains(&format!("compartmentId={}", doc_key::TENANCY)),
        "{:?}",
        asked[0].target
    );
}

#[tokio::test]
async fn two_hundred_fifty_instances_come_in_three_pages_each_once() {
    let gateway = OciGateway::start("").await;
    gateway.fake.add_instances(COMPARTMENT, 250);
    let mut seen = Vec::new();
    let mut sizes = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut args = json!({ "compartment_id": COMPARTMENT, "limit": 100 });
        if let Some(cursor) = &cursor {
            args["cursor"] = json!(cursor);
        }
        let page = gateway.json("oci_compute_list_instances", args).await;
        let items = page["items"].as_array().expect("items");
        sizes.push(items.len());
        seen.extend(
            items
                .iter()
                .filter_map(|i| i["id"].as_str().map(str::to_owned)),
        );
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    assert_eq!(sizes, [100, 100, 50]);
    let mut unique = seen.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), 250, "every instance exactly once");
    assert_eq!(seen.len(), 250);

    // A larger limit is capped at 100.
    let capped = gateway
        .json(
            "oci_compute_list_instances",
            json!({ "compartment_id": COMPARTMENT, "limit": 1000 }),
        )
        .await;
    assert_eq!(capped["items"].as_array().map(Vec::len), Some(100));
}

#[tokio::test]
async fn one_instance_shows_its_vnics_and_metrics_filtered_to_it() {
    let gateway = OciGateway::start("").await;
    let id = "ocid1.instance.oc1.iad.aaa";
    let detail = gateway
        .json(
            "oci_compute_get_instance",
            json!({ "instance_id": id, "include_metrics": true }),
        )
        .await;
    assert_eq!(detail["name"], "web-1");
    assert_eq!(detail["ocpus"], json!(2.0));
    assert_eq!(detail["vnics"][0]["public_ip"], "129.1.2.3");
    assert_eq!(
        detail["vnics"][1]["nsg_ids"],
        json!(["ocid1.networksecuritygroup.oc1.iad.g"])
    );
    let metrics = detail["metrics"].as_array().expect("metrics");
    assert_eq!(metrics[0]["metric"], "CpuUtilization");
    assert!(metrics[0]["datapoints"].as_u64() > Some(0), "{detail}");
    let queries = gateway.requests_to("/20180401/metrics/actions/summarizeMetricsData");
    assert_eq!(queries.len(), 2, "CPU and memory");
    for query in &queries {
        assert!(
            query.body.contains(&format!("resourceId = \\\"{id}\\\"")),
            "filtered to the instance: {}",
            query.body
        );
    }

    let markdown = gateway
        .markdown("oci_compute_get_instance", json!({ "instance_id": id }))
        .await;
    assert!(markdown.starts_with("## Instance web-1\n"), "{markdown}");
    assert!(
        markdown.contains("| 10.0.0.5 | 129.1.2.3 | true |"),
        "{markdown}"
    );

    let refused = gateway
        .error(
            "oci_compute_get_instance",
            json!({ "instance_id": "i-123" }),
        )
        .await;
    assert!(
        refused.contains("`instance_id` = `i-123` is not an OCID"),
        "{refused}"
    );
    let missing = gateway
        .error(
            "oci_compute_get_instance",
            json!({ "instance_id": "ocid1.instance.oc1.iad.nope" }),
        )
        .await;
    assert!(
        missing.contains("NotAuthorizedOrNotFound (404)"),
        "{missing}"
    );
    assert!(missing.contains("[opc-request-id: "), "{missing}");
    assert!(missing.contains("Suggestion: check the OCID"), "{missing}");
    assert_eq!(
        gateway.requests_to("/20160918/instances/i-123").len(),
        0,
        "a malformed OCID is refused before any call"
    );
}

#[tokio::test]
async fn power_actions_are_refused_by_default() {
    let gateway = OciGateway::start("").await;
    for tool in [
        "oci_compute_start_instance",
        "oci_compute_stop_instance",
        "oci_compute_restart_instance",
    ] {
        let refused = gateway
            .error(tool, json!({ "instance_id": "ocid1.instance.oc1.iad.aaa" }))
            .await;
        assert!(
            refused.contains("mutations are turned off")
                && refused.contains("allow_mutations = true"),
            "{refused}"
        );
    }
    assert!(
        gateway
            .fake
            .seen()
            .iter()
            .all(|seen| seen.method != "POST" || !seen.target.contains("action=")),
        "nothing was sent"
    );
    let tools = gateway.client.list_all_tools().await.expect("tools/list");
    let restart = tools
        .iter()
        .find(|t| t.name == "oci_compute_restart_instance")
        .expect("listed");
    let hints = restart.annotations.as_ref().expect("annotations");
    assert_eq!(hints.read_only_hint, Some(false));
    assert_eq!(hints.destructive_hint, Some(true));
    let list = tools
        .iter()
        .find(|t| t.name == "oci_compute_list_instances")
        .expect("listed");
    assert_eq!(
        list.annotations.as_ref().and_then(|a| a.read_only_hint),
        Some(true)
    );
    assert!(list.output_schema.is_some(), "an output schema");
}

#[tokio::test]
async fn power_actions_send_exactly_the_action_asked_for_when_allowed() {
    let gateway = OciGateway::start("allow_mutations = true").await;
    let id = "ocid1.instance.oc1.iad.aaa";
    let cases = [
        ("oci_compute_restart_instance", json!({}), "SOFTRESET"),
        (
            "oci_compute_restart_instance",
            json!({ "force": true }),
            "RESET",
        ),
        ("oci_compute_stop_instance", json!({}), "SOFTSTOP"),
        (
            "oci_compute_stop_instance",
            json!({ "force": true }),
            "STOP",
        ),
        ("oci_compute_start_instance", json!({}), "START"),
    ];
    for (tool, mut args, action) in cases {
        args["instance_id"] = json!(id);
        let done = gateway.json(tool, args).await;
        assert_eq!(done["action"], action);
        let sent = gateway.requests_to(&format!("/20160918/instances/{id}?action="));
        let last = sent.last().expect("an action was sent");
        assert_eq!(last.method, "POST");
        assert!(
            last.target.ends_with(&format!("action={action}")),
            "{tool}: {}",
            last.target
        );
        assert!(last.retry_token.is_some(), "actions carry a retry token");
    }
    let markdown = gateway
        .markdown("oci_compute_start_instance", json!({ "instance_id": id }))
        .await;
    assert!(markdown.starts_with("START sent to web-1"), "{markdown}");

    // ALLOW_MUTATIONS=true in the daemon's environment does the same.
    let by_env = OciGateway::start_with_env("", &[("ALLOW_MUTATIONS", "true")]).await;
    let done = by_env
        .json("oci_compute_stop_instance", json!({ "instance_id": id }))
        .await;
    assert_eq!(done["action"], "SOFTSTOP");
}
