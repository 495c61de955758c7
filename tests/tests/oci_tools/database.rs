//! Database tools: Autonomous Databases listed with filters and paging and shown in detail
//! (endpoints, connection strings, storage, backups); start and stop refused by default and
//! sent exactly when allowed; DB systems; metrics filtered to the one database asked about;
//! backups of a database or a compartment, of either kind.

use ocimcp_tests::oci_gateway::{COMPARTMENT, OciGateway};
use serde_json::{Value, json};

const ADB1: &str = "ocid1.autonomousdatabase.oc1.iad.x";
const ADW2: &str = "ocid1.autonomousdatabase.oc1.iad.y";
const AJD3: &str = "ocid1.autonomousdatabase.oc1.iad.z";
const DEV: &str = "ocid1.compartment.oc1..dev";

fn names(page: &Value) -> Vec<&str> {
    page["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|item| item["name"].as_str())
        .collect()
}

#[tokio::test]
async fn autonomous_databases_are_listed_with_filters_in_both_formats() {
    let gateway = OciGateway::start("").await;
    let listed = gateway
        .json(
            "oci_database_list_autonomous",
            json!({ "compartment_id": COMPARTMENT }),
        )
        .await;
    assert_eq!(names(&listed), ["adb1", "adw2", "ajd3"]);
    let items = listed["items"].as_array().expect("items");
    assert_eq!(items[0]["workload"], "OLTP");
    assert_eq!(items[0]["compute_model"], "ECPU");
    assert_eq!(items[0]["compute_count"], json!(2.0));
    assert_eq!(items[1]["lifecycle_state"], "STOPPED");
    assert_eq!(items[1]["is_free_tier"], json!(true));
    assert_eq!(
        items[2]["compute_count"],
        json!(1.0),
        "OCPUs when there is no computeCount"
    );
    assert!(listed.get("next_cursor").is_none(), "one page: {listed}");

    let stopped = gateway
        .json(
            "oci_database_list_autonomous",
            json!({ "compartment_id": COMPARTMENT, "lifecycle_state": "stopped" }),
        )
        .await;
    assert_eq!(names(&stopped), ["adw2"]);
    let warehouses = gateway
        .markdown(
            "oci_database_list_autonomous",
            json!({ "compartment_id": COMPARTMENT, "workload_type": "dw" }),
        )
        .await;
    assert!(
        warehouses.starts_with("| name | state | workload | compute |"),
        "{warehouses}"
    );
    assert!(
        warehouses.contains("| adw2 | STOPPED | DW | 2 ECPU | 1 | 23ai | true |"),
        "{warehouses}"
    );
    assert!(!warehouses.contains("adb1"), "filtered: {warehouses}");
    assert!(warehouses.contains("\n1 item\n"), "{warehouses}");
    let named = gateway
        .json(
            "oci_database_list_autonomous",
            json!({ "compartment_id": DEV, "display_name": "apex-dev" }),
        )
        .await;
    assert_eq!(names(&named), ["apex-dev"]);
    assert_eq!(named["items"][0]["workload"], "APEX");

    let asked = gateway.requests_to("/20160918/autonomousDatabases?");
    assert!(
        asked[1].target.contains("lifecycleState=STOPPED"),
        "{:?}",
        asked[1].target
    );
    assert!(
        asked[2].target.contains("dbWorkload=DW"),
        "{:?}",
        asked[2].target
    );
    assert!(
        asked[3].target.contains("displayName=apex-dev"),
        "{:?}",
        asked[3].target
    );
    assert!(asked.iter().all(|a| a.target.contains("limit=50")));
}

#[tokio::test]
async fn autonomous_databases_page_with_the_oci_token() {
    let gateway = OciGateway::start("").await;
    let first = gateway
        .json(
            "oci_database_list_autonomous",
            json!({ "compartment_id": COMPARTMENT, "limit": 2 }),
        )
        .await;
    assert_eq!(names(&first), ["adb1", "adw2"]);
    let cursor = first["next_cursor"].as_str().expect("a next cursor");
    let second = gateway
        .json(
            "oci_database_list_autonomous",
            json!({ "compartment_id": COMPARTMENT, "limit": 2, "cursor": cursor }),
        )
        .await;
    assert_eq!(names(&second), ["ajd3"]);
    assert!(second.get("next_cursor").is_none());
    let markdown = gateway
        .markdown(
            "oci_database_list_autonomous",
            json!({ "compartment_id": COMPARTMENT, "limit": 1 }),
        )
        .await;
    assert!(
        markdown.contains("1 item; more: call again with cursor=`"),
        "{markdown}"
    );
    let asked = gateway.requests_to("/20160918/autonomousDatabases?");
    assert!(asked[1].target.contains("page="), "{:?}", asked[1].target);
}

#[tokio::test]
async fn one_autonomous_database_shows_endpoints_storage_and_connection_strings() {
    let gateway = OciGateway::start("").await;
    let detail = gateway
        .json(
            "oci_database_get_autonomous",
            json!({ "database_id": ADB1 }),
        )
        .await;
    assert_eq!(detail["name"], "adb1");
    assert_eq!(detail["lifecycle_state"], "AVAILABLE");
    assert_eq!(detail["compartment_id"], COMPARTMENT);
    assert_eq!(detail["workload"], "OLTP");
    assert_eq!(detail["compute_count"], json!(2.0));
    assert_eq!(detail["backup_retention_days"], json!(60));
    assert_eq!(detail["is_free_tier"], json!(false));
    assert_eq!(detail["used_storage_gbs"], json!(312.0));
    assert_eq!(detail["storage_used_percent"], json!(30.47));
    assert_eq!(detail["subnet_id"], Value::Null);
    assert_eq!(detail["nsg_ids"], json!([]));
    assert_eq!(
        detail["access_control_list"],
        json!(["203.0.113.0/24", "198.51.100.7"])
    );
    let strings = detail["connection_strings"].as_array().expect("strings");
    let string_names: Vec<&str> = strings.iter().filter_map(|s| s["name"].as_str()).collect();
    assert_eq!(
        string_names,
        ["adb1_high", "high", "medium", "low"],
        "the profile, then the services no profile has, once each"
    );
    assert_eq!(strings[0]["tls_authentication"], "MUTUAL");
    assert_eq!(
        strings[1]["value"],
        "adb.us-ashburn-1.oraclecloud.com:1522/x_adb1_high.adb.oraclecloud.com"
    );
    assert_eq!(detail["tool_urls"][0]["tool"], "SQL Developer Web");
    let text = detail.to_string().to_ascii_lowercase();
    assert!(
        !text.contains("password") && !text.contains("wallet"),
        "no secrets: {text}"
    );

    let private = gateway
        .json(
            "oci_database_get_autonomous",
            json!({ "database_id": AJD3 }),
        )
        .await;
    assert_eq!(private["subnet_id"], "ocid1.subnet.oc1.iad.s2");
    assert_eq!(
        private["nsg_ids"],
        json!(["ocid1.networksecuritygroup.oc1.iad.n3"])
    );
    assert_eq!(private["private_endpoint_ip"], "10.0.1.20");
    assert_eq!(private["compute_model"], "OCPU");

    let markdown = gateway
        .markdown(
            "oci_database_get_autonomous",
            json!({ "database_id": ADW2 }),
        )
        .await;
    assert!(
        markdown.starts_with("## Autonomous Database adw2\n"),
        "{markdown}"
    );
    assert!(
        markdown.contains("- state: STOPPED (Stopped by the owner)\n"),
        "{markdown}"
    );
    assert!(markdown.contains("- free tier: true\n"), "{markdown}");
    assert!(
        markdown.contains("- storage: 1 TB, 20 GB used (1.95%)\n"),
        "{markdown}"
    );
    assert!(
        markdown.contains("- free database deleted on: 2024-08-01T12:00:00Z\n"),
        "{markdown}"
    );
    assert!(
        markdown.contains(
            "| high | HIGH | - | - | adb.us-ashburn-1.oraclecloud.com:1522/y_adw2_high.adb.oraclecloud.com |"
        ),
        "{markdown}"
    );

    let refused = gateway
        .error(
            "oci_database_get_autonomous",
            json!({ "database_id": "ocid1.instance.oc1.iad.aaa" }),
        )
        .await;
    assert!(
        refused.contains("`database_id` = `ocid1.instance.oc1.iad.aaa`")
            && refused.contains("instance")
            && refused.contains("autonomousdatabase"),
        "the wrong kind is named: {refused}"
    );
    let missing = gateway
        .error(
            "oci_database_get_autonomous",
            json!({ "database_id": "ocid1.autonomousdatabase.oc1.iad.nope" }),
        )
        .await;
    assert!(
        missing.contains("NotAuthorizedOrNotFound (404)"),
        "{missing}"
    );
    assert!(missing.contains("Suggestion: check the OCID"), "{missing}");
    let unknown = gateway
        .error(
            "oci_database_get_autonomous",
            json!({ "database_id": ADB1, "include_wallet": true }),
        )
        .await;
    assert!(
        unknown.contains("unknown field `include_wallet`"),
        "{unknown}"
    );
    assert_eq!(
        gateway
            .requests_to("/20160918/autonomousDatabases/ocid1.instance")
            .len(),
        0,
        "a wrong OCID is refused before any call"
    );
}

#[tokio::test]
async fn start_and_stop_are_refused_by_default() {
    let gateway = OciGateway::start("").await;
    for tool in [
        "oci_database_start_autonomous",
        "oci_database_stop_autonomous",
    ] {
        let refused = gateway.error(tool, json!({ "database_id": ADW2 })).await;
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
            .all(|seen| !seen.target.contains("/actions/")),
        "nothing was sent"
    );
    let tools = gateway.client.list_all_tools().await.expect("tools/list");
    let stop = tools
        .iter()
        .find(|t| t.name == "oci_database_stop_autonomous")
        .expect("listed");
    let hints = stop.annotations.as_ref().expect("annotations");
    assert_eq!(hints.read_only_hint, Some(false));
    assert_eq!(hints.destructive_hint, Some(true));
    for read in [
        "oci_database_list_autonomous",
        "oci_database_get_autonomous",
        "oci_database_list_dbsystems",
        "oci_database_get_metrics",
        "oci_database_list_backups",
    ] {
        let tool = tools.iter().find(|t| t.name == read).expect("listed");
        assert_eq!(
            tool.annotations.as_ref().and_then(|a| a.read_only_hint),
            Some(true),
            "{read}"
        );
        assert!(tool.output_schema.is_some(), "{read}: an output schema");
    }
}

#[tokio::test]
async fn start_and_stop_send_exactly_the_action_when_allowed() {
    let gateway = OciGateway::start("allow_mutations = true").await;
    // The catalog's start answer is adb1's; adw2's is planted.
    gateway.fake.set_answer(
        "POST /20160918/autonomousDatabases/{id}/actions/start",
        json!({
            "id": ADW2,
            "compartmentId": COMPARTMENT,
            "displayName": "adw2",
            "lifecycleState": "STARTING",
            "dbWorkload": "DW",
        }),
    );

    let started = gateway
        .json(
            "oci_database_start_autonomous",
            json!({ "database_id": ADW2 }),
        )
        .await;
    assert_eq!(started["action"], "start");
    assert_eq!(started["sent"], json!(true));
    assert_eq!(started["previous_state"], "STOPPED");
    assert_eq!(started["lifecycle_state"], "STARTING");
    let sent = gateway.requests_to(&format!("/20160918/autonomousDatabases/{ADW2}/actions/"));
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].method, "POST");
    assert_eq!(
        sent[0].target,
        format!("/20160918/autonomousDatabases/{ADW2}/actions/start")
    );
    assert_eq!(sent[0].body, "", "start has no body");

    let stopped = gateway
        .markdown(
            "oci_database_stop_autonomous",
            json!({ "database_id": ADB1 }),
        )
        .await;
    assert_eq!(
        stopped,
        format!("stop sent to adb1 ({ADB1}); state AVAILABLE → STOPPING\n")
    );
    let sent = gateway.requests_to(&format!("/20160918/autonomousDatabases/{ADB1}/actions/"));
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].method, "POST");
    assert_eq!(
        sent[0].target,
        format!("/20160918/autonomousDatabases/{ADB1}/actions/stop")
    );

    // Already where the action leads: nothing is sent.
    let noop = gateway
        .json(
            "oci_database_start_autonomous",
            json!({ "database_id": ADB1 }),
        )
        .await;
    assert_eq!(noop["sent"], json!(false));
    assert_eq!(noop["lifecycle_state"], "AVAILABLE");
    let markdown = gateway
        .markdown(
            "oci_database_stop_autonomous",
            json!({ "database_id": ADW2 }),
        )
        .await;
    assert_eq!(
        markdown,
        format!("adw2 ({ADW2}) is already STOPPED; no stop sent\n")
    );
    let actions: Vec<String> = gateway
        .fake
        .seen()
        .into_iter()
        .filter(|seen| seen.target.contains("/actions/"))
        .map(|seen| seen.target)
        .collect();
    assert_eq!(actions.len(), 2, "only the two real actions: {actions:?}");

    let missing = gateway
        .error(
            "oci_database_stop_autonomous",
            json!({ "database_id": "ocid1.autonomousdatabase.oc1.iad.nope" }),
        )
        .await;
    assert!(missing.contains("404"), "{missing}");
}

#[tokio::test]
async fn db_systems_are_listed_with_shape_version_and_nodes() {
    let gateway = OciGateway::start("").await;
    let listed = gateway
        .json(
            "oci_database_list_dbsystems",
            json!({ "compartment_id": COMPARTMENT }),
        )
        .await;
    assert_eq!(names(&listed), ["dbsys1", "dbsys2", "dbsys3"]);
    let items = listed["items"].as_array().expect("items");
    assert_eq!(items[0]["shape"], "VM.Standard.E4.Flex");
    assert_eq!(items[0]["version"], "19.22.0.0.0");
    assert_eq!(items[0]["memory_gbs"], json!(64.0));
    assert_eq!(items[1]["node_count"], json!(2));
    assert_eq!(items[1]["lifecycle_state"], "UPDATING");
    assert_eq!(items[2]["compute_model"], "ECPU");

    let markdown = gateway
        .markdown(
            "oci_database_list_dbsystems",
            json!({ "compartment_id": COMPARTMENT, "limit": 2 }),
        )
        .await;
    assert!(
        markdown.starts_with("| name | state | shape | version | edition | nodes |"),
        "{markdown}"
    );
    assert!(
        markdown.contains(
            "| dbsys2 | UPDATING (patching) | VM.Standard2.2 | 21.13.0.0.0 | ENTERPRISE_EDITION_EXTREME_PERFORMANCE | 2 | 2 cores |"
        ),
        "{markdown}"
    );
    assert!(!markdown.contains("dbsys3"), "{markdown}");
    assert!(
        markdown.contains("more: call again with cursor="),
        "{markdown}"
    );

    let failed = gateway
        .markdown(
            "oci_database_list_dbsystems",
            json!({ "compartment_id": DEV, "lifecycle_state": "failed" }),
        )
        .await;
    assert!(
        failed.contains("| dev-db | FAILED (provisioning failed: subnet has no free IPs) |"),
        "{failed}"
    );
    let asked = gateway.requests_to("/20160918/dbSystems?");
    assert!(asked[1].target.contains("limit=2"), "{:?}", asked[1].target);
    assert!(
        asked[2].target.contains("lifecycleState=FAILED"),
        "{:?}",
        asked[2].target
    );

    let refused = gateway
        .error(
            "oci_database_list_dbsystems",
            json!({ "compartment_id": "ccc" }),
        )
        .await;
    assert!(refused.contains("is not an OCID"), "{refused}");
}

/// Every SummarizeMetricsData body the fake saw, parsed.
fn metric_queries(gateway: &OciGateway) -> Vec<Value> {
    gateway
        .requests_to("/20180401/metrics/actions/summarizeMetricsData")
        .iter()
        .map(|seen| serde_json::from_str(&seen.body).expect("a JSON body"))
        .collect()
}

#[tokio::test]
async fn metrics_are_those_of_the_one_database_asked_about() {
    let gateway = OciGateway::start("").await;
    gateway.fake.set_answer(
        "POST /20180401/metrics/actions/summarizeMetricsData",
        json!([{
            "namespace": "oci_autonomous_database",
            "compartmentId": COMPARTMENT,
            "name": "CpuUtilization",
            "dimensions": { "resourceId": ADB1, "resourceName": "ADB1" },
            "metadata": { "unit": "percent" },
            "aggregatedDatapoints": [
                { "timestamp": "2024-05-01T12:00:00Z", "value": 20.0 },
                { "timestamp": "2024-05-01T12:05:00Z", "value": 60.0 },
                { "timestamp": "2024-05-01T12:10:00Z", "value": 40.0 }
            ]
        }]),
    );
    let metrics = gateway
        .json("oci_database_get_metrics", json!({ "database_id": ADB1 }))
        .await;
    assert_eq!(metrics["kind"], "autonomous_database");
    assert_eq!(metrics["namespace"], "oci_autonomous_database");
    assert_eq!(metrics["name"], "adb1");
    assert_eq!(metrics["hours"], json!(24));
    let summaries = metrics["metrics"].as_array().expect("metrics");
    let metric_names: Vec<&str> = summaries
        .iter()
        .filter_map(|m| m["metric"].as_str())
        .collect();
    assert_eq!(
        metric_names,
        [
            "CpuUtilization",
            "StorageUtilization",
            "Sessions",
            "ExecuteCount"
        ]
    );
    assert_eq!(summaries[0]["datapoints"], json!(3));
    assert_eq!(summaries[0]["latest"], json!(40.0));
    assert_eq!(summaries[0]["mean"], json!(40.0));
    assert_eq!(summaries[0]["max"], json!(60.0));

    let queries = metric_queries(&gateway);
    assert_eq!(queries.len(), 4, "one query per metric");
    for (query, metric) in queries.iter().zip(&metric_names) {
        assert_eq!(query["namespace"], "oci_autonomous_database");
        assert_eq!(
            query["query"],
            format!("{metric}[5m]{{resourceId = \"{ADB1}\"}}.mean()")
        );
    }
    let asked = gateway.requests_to("/20180401/metrics/actions/summarizeMetricsData?");
    assert!(
        asked
            .iter()
            .all(|a| a.target.contains(&format!("compartmentId={COMPARTMENT}")))
    );

    let markdown = gateway
        .markdown(
            "oci_database_get_metrics",
            json!({ "database_id": "ocid1.database.oc1.iad.db1", "metric_names": ["CurrentLogons"], "hours": 2 }),
        )
        .await;
    assert!(
        markdown.starts_with("## Metrics of SALES_iad1x (database, oci_database, last 2 h)\n"),
        "{markdown}"
    );
    assert!(
        markdown.contains("| CurrentLogons | percent | 3 | 40 | 40 | 20 | 60 |"),
        "{markdown}"
    );
    let system = gateway
        .json(
            "oci_database_get_metrics",
            json!({ "database_id": "ocid1.dbsystem.oc1.iad.d1", "hours": 1000 }),
        )
        .await;
    assert_eq!(system["namespace"], "oci_database_cluster");
    assert_eq!(system["hours"], json!(168), "capped");
    assert_eq!(system["metrics"][1]["metric"], "MemoryUtilization");

    let all = metric_queries(&gateway);
    assert_eq!(all.len(), 4 + 1 + 4);
    for query in &all {
        let text = query["query"].as_str().expect("a query");
        assert!(
            [
                ADB1,
                "ocid1.database.oc1.iad.db1",
                "ocid1.dbsystem.oc1.iad.d1"
            ]
            .iter()
            .any(|id| text.contains(&format!("{{resourceId = \"{id}\"}}"))),
            "every query names its resource: {text}"
        );
    }
    assert!(
        all[4]["query"]
            .as_str()
            .is_some_and(|q| q.starts_with("CurrentLogons[1m]"))
    );
    assert!(
        all[5..]
            .iter()
            .all(|q| q["namespace"] == "oci_database_cluster")
    );

    for (args, expected) in [
        (
            json!({ "database_id": "ocid1.instance.oc1.iad.aaa" }),
            "`autonomousdatabase` or `database` or `dbsystem`",
        ),
        (
            json!({ "database_id": ADB1, "metric_names": ["Cpu[1m]{x}"] }),
            "is not a metric name",
        ),
        (
            json!({ "database_id": ADB1, "metric_names": [] }),
            "`metric_names` is empty",
        ),
    ] {
        let refused = gateway.error("oci_database_get_metrics", args).await;
        assert!(refused.contains(expected), "{refused}");
    }
    assert_eq!(
        metric_queries(&gateway).len(),
        9,
        "refused before any query"
    );
}

#[tokio::test]
async fn backups_of_a_database_or_a_compartment_of_either_kind() {
    let gateway = OciGateway::start("").await;
    let adb = gateway
        .json("oci_database_list_backups", json!({ "database_id": ADB1 }))
        .await;
    let items = adb["items"].as_array().expect("items");
    let types: Vec<&str> = items
        .iter()
        .filter_map(|b| b["backup_type"].as_str())
        .collect();
    assert_eq!(types, ["INCREMENTAL", "FULL", "LONGTERM"]);
    assert!(items.iter().all(|b| b["database_id"] == ADB1));
    assert_eq!(items[0]["database_type"], "autonomous");
    assert_eq!(items[0]["is_automatic"], json!(true));
    assert_eq!(items[0]["database_size_gbs"], json!(51.2));
    assert_eq!(items[1]["time_expires"], "2024-08-02T12:00:00Z");
    assert_eq!(items[2]["retention_days"], json!(365));

    let compartment = gateway
        .json(
            "oci_database_list_backups",
            json!({ "compartment_id": COMPARTMENT, "lifecycle_state": "active", "limit": 2 }),
        )
        .await;
    assert_eq!(compartment["items"].as_array().map(Vec::len), Some(2));
    let cursor = compartment["next_cursor"].as_str().expect("more");
    let rest = gateway
        .json(
            "oci_database_list_backups",
            json!({ "compartment_id": COMPARTMENT, "lifecycle_state": "active", "limit": 2, "cursor": cursor }),
        )
        .await;
    assert_eq!(rest["items"][0]["database_id"], ADW2, "{rest}");

    let db = gateway
        .markdown(
            "oci_database_list_backups",
            json!({ "database_id": "ocid1.database.oc1.iad.db1", "backup_type": "full" }),
        )
        .await;
    assert!(
        db.starts_with("| name | type | state | automatic |"),
        "{db}"
    );
    assert!(
        db.contains("| before-upgrade | FULL | ACTIVE | - | 40 | 2024-05-02T12:00:00Z | 2024-05-02T12:45:00Z |"),
        "{db}"
    );
    assert!(db.contains("\n1 item\n"), "{db}");
    let dev = gateway
        .json(
            "oci_database_list_backups",
            json!({ "compartment_id": DEV, "database_type": "db_system" }),
        )
        .await;
    assert_eq!(dev["items"][0]["lifecycle_state"], "FAILED");
    assert_eq!(dev["items"][0]["database_type"], "db_system");

    let adb_lists = gateway.requests_to("/20160918/autonomousDatabaseBackups?");
    assert_eq!(
        adb_lists[0].target,
        format!("/20160918/autonomousDatabaseBackups?autonomousDatabaseId={ADB1}&limit=50")
    );
    assert!(
        adb_lists[1]
            .target
            .contains(&format!("compartmentId={COMPARTMENT}"))
    );
    assert!(adb_lists[1].target.contains("lifecycleState=ACTIVE"));
    let db_lists = gateway.requests_to("/20160918/backups?");
    assert_eq!(
        db_lists[0].target,
        "/20160918/backups?databaseId=ocid1.database.oc1.iad.db1&limit=50&type=FULL"
    );
    assert!(db_lists[1].target.contains(&format!("compartmentId={DEV}")));

    for (args, expected) in [
        (
            json!({ "database_id": ADB1, "compartment_id": COMPARTMENT }),
            "not both",
        ),
        (
            json!({ "database_id": "ocid1.dbsystem.oc1.iad.d1" }),
            "backups belong to its databases",
        ),
        (
            json!({ "database_id": ADB1, "database_type": "db_system" }),
            "does not match",
        ),
        (
            json!({ "database_type": "mysql" }),
            "unknown variant `mysql`",
        ),
    ] {
        let refused = gateway.error("oci_database_list_backups", args).await;
        assert!(refused.contains(expected), "{refused}");
    }
}
