//! Resource Search: structured and free-text searches send the right `SearchDetails`,
//! rows carry type, name, state, compartment, creation time and OCID, pages follow the
//! cursor, and a search that is not exactly one of `query` and `text` is refused before
//! any call.

use ocimcp_tests::oci_gateway::{COMPARTMENT, OciGateway};
use serde_json::{Value, json};

const RESOURCES: &str = "/20180409/resources";

/// The body of the last search request.
fn last_search_body(gateway: &OciGateway) -> Value {
    let seen = gateway.requests_to(RESOURCES);
    let last = seen.last().expect("a search request");
    assert_eq!(last.method, "POST");
    serde_json::from_str(&last.body).expect("a JSON body")
}

#[tokio::test]
async fn a_structured_query_finds_resources_in_both_formats() {
    let gateway = OciGateway::start("").await;
    let query = "query instance resources where displayName =~ 'web'";
    let found = gateway
        .json("oci_search_resources", json!({ "query": query }))
        .await;
    let items = found["items"].as_array().expect("items");
    assert_eq!(items.len(), 3);
    assert_eq!(
        items[0],
        json!({
            "resource_type": "Instance",
            "name": "web-1",
            "id": "ocid1.instance.oc1.iad.aaa",
            "compartment_id": COMPARTMENT,
            "lifecycle_state": "RUNNING",
            "availability_domain": "Uocm:US-ASHBURN-AD-1",
            "time_created": "2024-05-01T12:00:00Z"
        })
    );
    assert_eq!(items[2]["resource_type"], "Vcn");
    assert_eq!(items[2]["availability_domain"], Value::Null, "regional");
    assert!(found.get("next_cursor").is_none(), "one page: {found}");
    assert_eq!(
        last_search_body(&gateway),
        json!({ "type": "Structured", "matchingContextType": "NONE", "query": query })
    );
    let seen = gateway.requests_to(RESOURCES);
    assert_eq!(
        seen[0].target,
        format!("{RESOURCES}?limit=50"),
        "the default page size"
    );

    let markdown = gateway
        .markdown("oci_search_resources", json!({ "text": "web" }))
        .await;
    assert!(
        markdown.starts_with("| type | name | state | compartment | created | id |\n"),
        "{markdown}"
    );
    assert!(
        markdown.contains(&format!(
            "| Instance | web-1 | RUNNING | {COMPARTMENT} | 2024-05-01T12:00:00Z | ocid1.instance.oc1.iad.aaa |"
        )),
        "{markdown}"
    );
    assert!(
        markdown.contains("| Vcn | vcn1 | AVAILABLE |"),
        "{markdown}"
    );
    assert!(markdown.ends_with("\n3 items\n"), "{markdown}");
    assert_eq!(
        last_search_body(&gateway),
        json!({ "type": "FreeText", "matchingContextType": "NONE", "text": "web" })
    );
}

#[tokio::test]
async fn results_page_with_the_cursor_each_once() {
    let gateway = OciGateway::start("").await;
    let args = json!({ "query": "query all resources", "limit": 2 });
    let first = gateway.json("oci_search_resources", args.clone()).await;
    assert_eq!(first["items"].as_array().map(Vec::len), Some(2));
    let cursor = first["next_cursor"].as_str().expect("a next page");
    let mut next = args;
    next["cursor"] = json!(cursor);
    let markdown = gateway.markdown("oci_search_resources", next.clone()).await;
    assert!(markdown.contains("| Vcn | vcn1 |"), "{markdown}");
    assert!(
        markdown.ends_with("\n1 item\n"),
        "the last page has no cursor: {markdown}"
    );
    let second = gateway.json("oci_search_resources", next).await;
    let mut ids: Vec<&str> = first["items"]
        .as_array()
        .into_iter()
        .chain(second["items"].as_array())
        .flatten()
        .filter_map(|item| item["id"].as_str())
        .collect();
    ids.sort_unstable();
    assert_eq!(
        ids,
        [
            "ocid1.instance.oc1.iad.aaa",
            "ocid1.instance.oc1.iad.bbb",
            "ocid1.vcn.oc1.iad.v"
        ]
    );
    let seen = gateway.requests_to(RESOURCES);
    assert!(
        seen[1]
            .target
            .starts_with(&format!("{RESOURCES}?limit=2&page=")),
        "{}",
        seen[1].target
    );

    // A larger limit is capped at 100.
    gateway
        .json(
            "oci_search_resources",
            json!({ "text": "web", "limit": 1000 }),
        )
        .await;
    let seen = gateway.requests_to(RESOURCES);
    assert_eq!(
        seen.last().map(|s| s.target.clone()),
        Some(format!("{RESOURCES}?limit=100"))
    );
}

#[tokio::test]
async fn rows_come_from_what_oci_answers() {
    let gateway = OciGateway::start("").await;
    gateway.fake.set_answer(
        &format!("POST {RESOURCES}"),
        json!({ "items": [{
            "resourceType": "AutonomousDatabase",
            "identifier": "ocid1.autonomousdatabase.oc1.iad.x",
            "compartmentId": "ocid1.compartment.oc1..ddd",
            "displayName": "orders-db",
            "lifecycleState": "STOPPED",
            "timeCreated": "2024-06-01T08:00:00Z"
        }] }),
    );
    let markdown = gateway
        .markdown(
            "oci_search_resources",
            json!({ "query": "query autonomousdatabase resources where lifecycleState = 'STOPPED'" }),
        )
        .await;
    assert!(
        markdown.contains("| AutonomousDatabase | orders-db | STOPPED | ocid1.compartment.oc1..ddd | 2024-06-01T08:00:00Z | ocid1.autonomousdatabase.oc1.iad.x |"),
        "{markdown}"
    );
    gateway
        .fake
        .set_answer(&format!("POST {RESOURCES}"), json!({ "items": [] }));
    let none = gateway
        .json(
            "oci_search_resources",
            json!({ "text": "nothing-like-this" }),
        )
        .await;
    assert_eq!(none, json!({ "items": [] }));
    let markdown = gateway
        .markdown(
            "oci_search_resources",
            json!({ "text": "nothing-like-this" }),
        )
        .await;
    assert_eq!(markdown, "(none)\n\n0 items\n");
}

#[tokio::test]
async fn a_search_must_be_exactly_one_query_or_text() {
    let gateway = OciGateway::start("").await;
    let cases = [
        (
            json!({ "query": "query all resources", "text": "web" }),
            "not both",
        ),
        (json!({}), "give `query`"),
        (json!({ "text": "   " }), "give `query`"),
        (
            json!({ "query": "instances named web" }),
            "is not a structured query",
        ),
        (
            json!({ "query": "query all resources", "page": "x" }),
            "unknown field `page`",
        ),
    ];
    for (args, expected) in cases {
        let refused = gateway.error("oci_search_resources", args).await;
        assert!(refused.contains(expected), "{expected}: {refused}");
    }
    assert!(
        gateway.requests_to(RESOURCES).is_empty(),
        "refused before any call"
    );
    let tools = gateway.client.list_all_tools().await.expect("tools/list");
    let search = tools
        .iter()
        .find(|t| t.name == "oci_search_resources")
        .expect("listed");
    assert_eq!(
        search.annotations.as_ref().and_then(|a| a.read_only_hint),
        Some(true)
    );
}
