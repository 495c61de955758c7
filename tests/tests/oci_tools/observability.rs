//! Observability tools: an instance's metrics filtered to it (with the alarms that concern
//! it), alarms joined with their status and paged, an alarm's history, Logging search with
//! scopes, windows and paging, Log Analytics queries and sources in the tenancy's
//! namespace, and the compartment overview's counts and verdict.

use oci_api::ops::Timestamp;
use ocimcp_tests::fake_oci::doc_key;
use ocimcp_tests::oci_gateway::{COMPARTMENT, OciGateway};
use serde_json::{Value, json};

const WEB: &str = "ocid1.instance.oc1.iad.aaa";
const BATCH: &str = "ocid1.instance.oc1.iad.bbb";
const HIGH_CPU: &str = "ocid1.alarm.oc1.iad.a";

/// The JSON body of a request the fake saw.
fn body(seen: &ocimcp_tests::fake_oci::Seen) -> Value {
    serde_json::from_str(&seen.body).unwrap_or_else(|e| panic!("{e}: {}", seen.body))
}

/// Seconds between two RFC 3339 fields of a body.
fn span(body: &Value, start: &str, end: &str) -> i64 {
    let time = |field: &str| {
        Timestamp::parse(body[field].as_str().expect("a time"))
            .expect("RFC 3339")
            .unix_seconds()
    };
    time(end) - time(start)
}

/// A metric stream of `resource` with these (timestamp minute, value) points.
fn stream(metric: &str, resource: &str, unit: &str, points: &[(u32, f64)]) -> Value {
    json!({
        "namespace": "oci_computeagent",
        "compartmentId": COMPARTMENT,
        "name": metric,
        "dimensions": { "resourceId": resource },
        "metadata": { "unit": unit },
        "resolution": "1m",
        "aggregatedDatapoints": points
            .iter()
            .map(|(minute, value)| json!({
                "timestamp": format!("2024-05-01T12:{minute:02}:00Z"),
                "value": value
            }))
            .collect::<Vec<_>>()
    })
}

#[tokio::test]
async fn instance_metrics_are_the_instances_own_with_the_alarms_that_concern_it() {
    let gateway = OciGateway::start("").await;
    // The fake cannot read the MQL in the body: it answers every metric with these
    // streams, and the tool keeps those of the metric and instance it asked for.
    gateway.fake.set_answer(
        "POST /20180401/metrics/actions/summarizeMetricsData",
        json!([
            stream(
                "CpuUtilization",
                WEB,
                "percent",
                &[(2, 30.0), (0, 10.0), (1, 20.0)]
            ),
            stream("CpuUtilization", BATCH, "percent", &[(0, 99.0)]),
            stream("MemoryUtilization", WEB, "percent", &[(0, 40.0), (1, 44.0)]),
            stream("NetworksBytesIn", WEB, "bytes", &[(0, 1000.0), (1, 3000.0)]),
            stream("NetworksBytesOut", WEB, "bytes", &[(0, 500.0)]),
        ]),
    );
    let metrics = gateway
        .json(
            "oci_observability_get_instance_metrics",
            json!({ "instance_id": WEB, "hours": 3, "include_points": true }),
        )
        .await;
    assert_eq!(metrics["name"], "web-1");
    assert_eq!(metrics["lifecycle_state"], "RUNNING");
    assert_eq!(metrics["compartment_id"], COMPARTMENT);
    assert_eq!(metrics["interval"], "1m");
    let list = metrics["metrics"].as_array().expect("metrics");
    let names: Vec<&str> = list.iter().filter_map(|m| m["metric"].as_str()).collect();
    assert_eq!(
        names,
        [
            "CpuUtilization",
            "MemoryUtilization",
            "NetworksBytesIn",
            "NetworksBytesOut",
            "DiskBytesRead",
            "DiskBytesWritten"
        ]
    );
    let cpu = &list[0];
    assert_eq!(
        cpu["datapoints"], 3,
        "the other instance's stream is left out"
    );
    assert_eq!(cpu["mean"], 20.0);
    assert_eq!((&cpu["min"], &cpu["max"]), (&json!(10.0), &json!(30.0)));
    assert_eq!(cpu["latest"], 30.0);
    assert_eq!(cpu["unit"], "percent");
    let times: Vec<&str> = cpu["points"]
        .as_array()
        .expect("points")
        .iter()
        .filter_map(|p| p["timestamp"].as_str())
        .collect();
    assert_eq!(
        times,
        [
            "2024-05-01T12:00:00Z",
            "2024-05-01T12:01:00Z",
            "2024-05-01T12:02:00Z"
        ]
    );
    assert_eq!(list[1]["mean"], 42.0);
    assert_eq!(list[2]["latest"], 3000.0);
    assert_eq!(list[4]["datapoints"], 0);
    let notes = metrics["notes"].as_array().expect("notes");
    assert_eq!(notes.len(), 1, "{notes:?}");
    assert!(
        notes[0]
            .as_str()
            .is_some_and(|n| n.contains("DiskBytesRead, DiskBytesWritten")),
        "{notes:?}"
    );
    let alarms = metrics["alarms"].as_array().expect("alarms");
    assert_eq!(alarms.len(), 1, "only the alarm watching web-1: {alarms:?}");
    assert_eq!(alarms[0]["name"], "High memory");
    assert_eq!(alarms[0]["status"], "OK");

    let queries = gateway.requests_to("/20180401/metrics/actions/summarizeMetricsData");
    assert_eq!(queries.len(), 6);
    for (query, metric) in queries.iter().zip(&names) {
        assert!(
            query
                .target
                .ends_with(&format!("?compartmentId={COMPARTMENT}")),
            "{}",
            query.target
        );
        let sent = body(query);
        assert_eq!(sent["namespace"], "oci_computeagent");
        assert_eq!(
            sent["query"],
            format!("{metric}[1m]{{resourceId = \"{WEB}\"}}.mean()")
        );
        assert_eq!(span(&sent, "startTime", "endTime"), 3 * 3600);
    }
    let statuses = gateway.requests_to("/20180401/alarms/status?");
    assert!(
        statuses
            .iter()
            .any(|s| s.target.contains(&format!("resourceId={WEB}"))),
        "OCI is asked which alarms watch the instance: {statuses:?}"
    );

    // A stopped instance: no disk asked for, its own CPU stream, its firing alarm.
    let markdown = gateway
        .markdown(
            "oci_observability_get_instance_metrics",
            json!({ "instance_id": BATCH, "include_disk": false }),
        )
        .await;
    assert!(
        markdown.starts_with("## Metrics of batch-1 (STOPPED), last 1 h\n"),
        "{markdown}"
    );
    assert!(
        markdown.contains("| CpuUtilization | percent | 1 | 99 | 99 | 99 | 99 |"),
        "{markdown}"
    );
    assert!(
        markdown.contains("| High CPU | CRITICAL | FIRING | 2024-05-01T12:00:00Z | CpuUtilization | true | ocid1.alarm.oc1.iad.a |"),
        "{markdown}"
    );
    assert!(!markdown.contains("High memory"), "{markdown}");
    assert!(markdown.contains("- the instance is STOPPED"), "{markdown}");
    assert!(!markdown.contains("DiskBytesRead"), "{markdown}");
    assert_eq!(
        gateway
            .requests_to("/20180401/metrics/actions/summarizeMetricsData")
            .len(),
        6 + 4
    );

    let refused = gateway
        .error(
            "oci_observability_get_instance_metrics",
            json!({ "instance_id": "ocid1.vcn.oc1.iad.v" }),
        )
        .await;
    assert!(
        refused.contains("of type `vcn`; expected type `instance`"),
        "{refused}"
    );
    let refused = gateway
        .error(
            "oci_observability_get_instance_metrics",
            json!({ "instance_id": WEB, "hours": 500 }),
        )
        .await;
    assert!(
        refused.contains("`hours` = 500: give 1 to 168"),
        "{refused}"
    );
    let missing = gateway
        .error(
            "oci_observability_get_instance_metrics",
            json!({ "instance_id": "ocid1.instance.oc1.iad.nope" }),
        )
        .await;
    assert!(missing.contains("NotAuthorizedOrNotFound"), "{missing}");
    assert!(missing.contains("Suggestion: check the OCID"), "{missing}");
}

#[tokio::test]
async fn alarms_come_with_their_status_filtered_and_paged() {
    let gateway = OciGateway::start("").await;
    let listed = gateway
        .json(
            "oci_observability_list_alarms",
            json!({ "compartment_id": COMPARTMENT }),
        )
        .await;
    let items = listed["items"].as_array().expect("items");
    let states: Vec<(&str, &str, &str)> = items
        .iter()
        .map(|a| {
            (
                a["name"].as_str().unwrap_or_default(),
                a["severity"].as_str().unwrap_or_default(),
                a["status"].as_str().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        states,
        [
            ("High CPU", "CRITICAL", "FIRING"),
            ("High memory", "WARNING", "OK"),
            ("Database down", "ERROR", "SUSPENDED")
        ]
    );
    assert_eq!(items[0]["metric"], "CpuUtilization");
    assert_eq!(items[0]["timestamp_triggered"], "2024-05-01T12:00:00Z");
    assert_eq!(items[2]["is_enabled"], false);
    assert_eq!(items[2]["suppressed_until"], "2024-05-02T00:00:00Z");
    assert_eq!(listed["firing"], 1);
    assert_eq!(listed["firing_by_severity"], json!({ "CRITICAL": 1 }));
    assert!(listed.get("next_cursor").is_none());

    let firing = gateway
        .json(
            "oci_observability_list_alarms",
            json!({ "compartment_id": COMPARTMENT, "status": "firing" }),
        )
        .await;
    assert_eq!(firing["items"].as_array().map(Vec::len), Some(1));
    let warnings = gateway
        .json(
            "oci_observability_list_alarms",
            json!({ "compartment_id": COMPARTMENT, "severity": "warning" }),
        )
        .await;
    assert_eq!(warnings["items"][0]["name"], "High memory");
    assert_eq!(warnings["firing"], 0);

    let first = gateway
        .json(
            "oci_observability_list_alarms",
            json!({ "compartment_id": COMPARTMENT, "limit": 2, "lifecycle_state": "active" }),
        )
        .await;
    assert_eq!(first["items"].as_array().map(Vec::len), Some(2));
    let cursor = first["next_cursor"].as_str().expect("a second page");
    let second = gateway
        .json(
            "oci_observability_list_alarms",
            json!({ "compartment_id": COMPARTMENT, "limit": 2, "cursor": cursor }),
        )
        .await;
    assert_eq!(second["items"][0]["name"], "Database down");
    assert!(second.get("next_cursor").is_none());
    let asked = gateway.requests_to("/20180401/alarms?");
    assert!(
        asked.iter().any(|a| a.target
            == format!(
                "/20180401/alarms?compartmentId={COMPARTMENT}&limit=2&lifecycleState=ACTIVE"
            )),
        "{asked:?}"
    );
    assert!(
        asked
            .iter()
            .any(|a| a.target.ends_with("&limit=2&page=alarms%2F2%2B%3D%3D"))
    );

    let markdown = gateway
        .markdown(
            "oci_observability_list_alarms",
            json!({ "compartment_id": COMPARTMENT }),
        )
        .await;
    assert!(
        markdown.starts_with("1 firing (CRITICAL 1)\n\n| name | severity | status |"),
        "{markdown}"
    );
    assert!(
        markdown.contains("| Database down | ERROR | SUSPENDED |"),
        "{markdown}"
    );
    assert!(markdown.ends_with("\n3 items\n"), "{markdown}");

    let refused = gateway
        .error(
            "oci_observability_list_alarms",
            json!({ "compartment_id": WEB }),
        )
        .await;
    assert!(refused.contains("of type `instance`"), "{refused}");
    let refused = gateway
        .error(
            "oci_observability_list_alarms",
            json!({ "severity_level": "x" }),
        )
        .await;
    assert!(
        refused.contains("unknown field `severity_level`"),
        "{refused}"
    );
}

#[tokio::test]
async fn an_alarms_history_is_read_over_its_window() {
    let gateway = OciGateway::start("").await;
    let history = gateway
        .json(
            "oci_observability_get_alarm_history",
            json!({ "alarm_id": HIGH_CPU }),
        )
        .await;
    assert_eq!(history["name"], "High CPU");
    assert_eq!(history["severity"], "CRITICAL");
    assert_eq!(history["is_enabled"], true);
    assert_eq!(history["history_type"], "STATE_TRANSITION_HISTORY");
    let entries = history["entries"].as_array().expect("entries");
    assert_eq!(entries.len(), 3);
    assert_eq!(
        entries[0]["summary"],
        "State transitioned from OK to Firing"
    );
    assert_eq!(entries[0]["timestamp_triggered"], "2024-05-01T12:00:00Z");
    assert_eq!(entries[1]["timestamp"], "2024-05-01T09:15:30Z");
    let window = json!({ "since": history["since"], "until": history["until"] });
    assert_eq!(span(&window, "since", "until"), 24 * 3600);

    let markdown = gateway
        .markdown(
            "oci_observability_get_alarm_history",
            json!({ "alarm_id": HIGH_CPU, "hours": 48, "history_type": "STATE_HISTORY", "limit": 10 }),
        )
        .await;
    assert!(
        markdown.starts_with("## Alarm history: High CPU\n"),
        "{markdown}"
    );
    assert!(
        markdown.contains("- entries: STATE_HISTORY\n"),
        "{markdown}"
    );
    assert!(
        markdown.contains("| 2024-05-01T12:00:30Z | State transitioned from OK to Firing | 2024-05-01T12:00:00Z | CPU > 90% |"),
        "{markdown}"
    );
    let asked = gateway.requests_to(&format!("/20180401/alarms/{HIGH_CPU}/history?"));
    assert_eq!(asked.len(), 2);
    assert!(
        asked[0].target.contains(
            "?alarmHistorytype=STATE_TRANSITION_HISTORY&limit=50&timestampGreaterThanOrEqualTo="
        ),
        "{}",
        asked[0].target
    );
    assert!(asked[0].target.contains("&timestampLessThan="));
    assert!(
        asked[1]
            .target
            .contains("?alarmHistorytype=STATE_HISTORY&limit=10&"),
        "{}",
        asked[1].target
    );

    // A fixed window, as a cursor's next page needs: exactly those bounds are asked for.
    let fixed = gateway
        .json(
            "oci_observability_get_alarm_history",
            json!({
                "alarm_id": HIGH_CPU,
                "time_start": "2024-05-01T00:00:00Z",
                "time_end": "2024-05-02T00:00:00Z"
            }),
        )
        .await;
    assert_eq!(fixed["since"], "2024-05-01T00:00:00Z");
    assert_eq!(fixed["until"], "2024-05-02T00:00:00Z");
    let asked = gateway.requests_to(&format!("/20180401/alarms/{HIGH_CPU}/history?"));
    let last = &asked.last().expect("the fixed-window request").target;
    assert!(
        last.contains("timestampGreaterThanOrEqualTo=2024-05-01T00%3A00%3A00")
            && last.contains("timestampLessThan=2024-05-02T00%3A00%3A00"),
        "{last}"
    );
    let both = gateway
        .error(
            "oci_observability_get_alarm_history",
            json!({ "alarm_id": HIGH_CPU, "hours": 2, "time_start": "2024-05-01T00:00:00Z" }),
        )
        .await;
    assert!(
        both.contains("give `hours` or `time_start`, not both"),
        "{both}"
    );

    let missing = gateway
        .error(
            "oci_observability_get_alarm_history",
            json!({ "alarm_id": "ocid1.alarm.oc1.iad.gone" }),
        )
        .await;
    assert!(missing.contains("NotAuthorizedOrNotFound"), "{missing}");
    let refused = gateway
        .error(
            "oci_observability_get_alarm_history",
            json!({ "alarm_id": HIGH_CPU, "history_type": "RULE_HISTORY" }),
        )
        .await;
    assert!(refused.contains("history_type"), "{refused}");
    let refused = gateway
        .error(
            "oci_observability_get_alarm_history",
            json!({ "alarm_id": WEB }),
        )
        .await;
    assert!(refused.contains("expected type `alarm`"), "{refused}");
    assert!(
        gateway
            .requests_to(&format!("/20180401/alarms/{WEB}"))
            .is_empty(),
        "refused before any call"
    );
}

#[tokio::test]
async fn logs_are_searched_in_a_scope_and_window_page_by_page() {
    let gateway = OciGateway::start("").await;
    let found = gateway
        .json(
            "oci_observability_search_logs",
            json!({ "compartment_id": COMPARTMENT, "hours": 2 }),
        )
        .await;
    let query = format!("search \"{COMPARTMENT}\" | sort by datetime desc");
    assert_eq!(found["query"], query);
    assert_eq!(found["result_count"], 3);
    let items = found["items"].as_array().expect("items");
    assert_eq!(items.len(), 3);
    assert_eq!(items[0]["message"], "hello");
    assert_eq!(items[0]["time"], "2024-05-01T12:00:00.000Z");
    assert_eq!(items[0]["type"], "com.oraclecloud.logging.custom.app");
    assert_eq!(items[0]["log_id"], "ocid1.log.oc1.iad.l");
    assert_eq!(items[2]["level"], "ERROR");
    assert_eq!(items[2]["source"], "web-2");
    assert_eq!(items[2]["message"], "connection refused: db-1:1521");
    let sent = gateway.requests_to("/20190909/search");
    assert_eq!(sent[0].target, "/20190909/search?limit=50");
    let sent = body(&sent[0]);
    assert_eq!(sent["searchQuery"], query);
    assert_eq!(sent["isReturnFieldInfo"], false);
    assert_eq!(span(&sent, "timeStart", "timeEnd"), 2 * 3600);
    assert_eq!(sent["timeStart"], found["time_start"]);

    // Two a page: the second page is asked for with the token and the same window.
    let window = json!({
        "compartment_id": COMPARTMENT,
        "time_start": "2024-05-01T11:00:00Z",
        "time_end": "2024-05-01T13:00:00Z",
        "limit": 2
    });
    let first = gateway
        .json("oci_observability_search_logs", window.clone())
        .await;
    assert_eq!(first["items"].as_array().map(Vec::len), Some(2));
    let mut next = window.clone();
    next["cursor"] = first["next_cursor"].clone();
    let second = gateway.json("oci_observability_search_logs", next).await;
    assert_eq!(
        second["items"][0]["message"],
        "connection refused: db-1:1521"
    );
    assert!(second.get("next_cursor").is_none());
    let pages = gateway.requests_to("/20190909/search?limit=2");
    assert_eq!(pages.len(), 2);
    assert!(
        pages[1].target.ends_with("&page=search%2F2%2B%3D%3D"),
        "{}",
        pages[1].target
    );
    assert_eq!(body(&pages[1])["timeStart"], "2024-05-01T11:00:00Z");
    assert_eq!(body(&pages[1]), body(&pages[0]));

    // A filter on one log group; markdown.
    let group = "ocid1.loggroup.oc1.iad.g";
    let markdown = gateway
        .markdown(
            "oci_observability_search_logs",
            json!({ "compartment_id": COMPARTMENT, "log_group_id": group, "query": "where data.level = 'ERROR'" }),
        )
        .await;
    let filtered = format!(
        "search \"{COMPARTMENT}/{group}\" | where data.level = 'ERROR' | sort by datetime desc"
    );
    assert!(
        markdown.starts_with(&format!("Query: `{filtered}`\n")),
        "{markdown}"
    );
    assert!(
        markdown.contains("| time | level | source | type | message |"),
        "{markdown}"
    );
    assert!(
        markdown.contains("| 2024-05-01T12:02:00.000Z | ERROR | web-2 | com.oraclecloud.logging.custom.app | connection refused: db-1:1521 |"),
        "{markdown}"
    );
    let last = gateway.requests_to("/20190909/search");
    assert_eq!(body(last.last().expect("sent"))["searchQuery"], filtered);

    for (args, expected) in [
        (
            json!({ "log_id": "ocid1.log.oc1.iad.l" }),
            "needs its `log_group_id`",
        ),
        (
            json!({ "hours": 1, "time_start": "2024-05-01T00:00:00Z" }),
            "not both",
        ),
        (
            json!({ "time_start": "last tuesday" }),
            "is not an RFC 3339 time",
        ),
        (
            json!({ "log_group_id": "ocid1.log.oc1.iad.l" }),
            "of type `log`; expected type `loggroup`",
        ),
        (json!({ "hours": 1000 }), "give 1 to 336"),
    ] {
        let refused = gateway.error("oci_observability_search_logs", args).await;
        assert!(refused.contains(expected), "{refused}");
    }
    assert_eq!(
        gateway.requests_to("/20190909/search").len(),
        4,
        "refused before any call"
    );
}

#[tokio::test]
async fn log_analytics_queries_and_sources_use_the_tenancys_namespace() {
    let gateway = OciGateway::start("").await;
    let result = gateway
        .json(
            "oci_observability_execute_log_query",
            json!({ "query": "* | stats count by 'Log Source'", "compartment_id": COMPARTMENT, "hours": 24 }),
        )
        .await;
    assert_eq!(result["namespace"], "acmecorp");
    assert_eq!(result["columns"], json!(["Log Source", "Count"]));
    assert_eq!(
        result["rows"][0],
        json!({ "Log Source": "Linux Syslog Logs", "Count": 1842 })
    );
    assert_eq!(result["rows"].as_array().map(Vec::len), Some(3));
    assert_eq!(result["total_count"], 3);
    assert_eq!(result["are_partial_results"], false);
    assert_eq!(result["query_execution_time_ms"], 412);
    let namespaces = gateway.requests_to("/20200601/namespaces?");
    assert_eq!(
        namespaces[0].target,
        format!("/20200601/namespaces?compartmentId={}", doc_key::TENANCY)
    );
    let queries = gateway.requests_to("/20200601/namespaces/acmecorp/search/actions/query");
    assert_eq!(queries[0].method, "POST");
    assert!(
        queries[0].target.ends_with("/query?limit=50"),
        "{}",
        queries[0].target
    );
    let sent = body(&queries[0]);
    assert_eq!(sent["compartmentId"], COMPARTMENT);
    assert_eq!(sent["queryString"], "* | stats count by 'Log Source'");
    assert_eq!(sent["subSystem"], "LOG");
    assert_eq!(sent["shouldIncludeTotalCount"], true);
    assert!(sent.get("compartmentIdInSubtree").is_none());
    assert_eq!(span(&sent["timeFilter"], "timeStart", "timeEnd"), 24 * 3600);

    // A given namespace is used as it is; pages follow OCI's token.
    let first = gateway
        .json(
            "oci_observability_execute_log_query",
            json!({ "query": "*", "namespace": "other", "limit": 2, "include_subcompartments": true }),
        )
        .await;
    assert_eq!(first["rows"].as_array().map(Vec::len), Some(2));
    let cursor = first["next_cursor"].as_str().expect("a next page");
    let markdown = gateway
        .markdown(
            "oci_observability_execute_log_query",
            json!({ "query": "*", "namespace": "other", "limit": 2, "cursor": cursor }),
        )
        .await;
    assert!(
        markdown.starts_with("Query: `*` (namespace other)\n"),
        "{markdown}"
    );
    assert!(markdown.contains("Total: 3 of 3 matched\n"), "{markdown}");
    assert!(
        markdown.contains("| Log Source | Count |\n|---|---|\n| OCI Audit Logs | 57 |\n"),
        "{markdown}"
    );
    assert_eq!(
        gateway.requests_to("/20200601/namespaces?").len(),
        1,
        "no lookup when given"
    );
    let other = gateway.requests_to("/20200601/namespaces/other/search/actions/query");
    assert_eq!(other.len(), 2);
    assert_eq!(body(&other[0])["compartmentIdInSubtree"], true);
    assert!(
        other[1]
            .target
            .ends_with("?page=query%2F2%2B%3D%3D&limit=2"),
        "{}",
        other[1].target
    );

    let sources = gateway
        .json(
            "oci_observability_list_log_sources",
            json!({ "compartment_id": COMPARTMENT, "limit": 3 }),
        )
        .await;
    let items = sources["items"].as_array().expect("items");
    assert_eq!(items.len(), 3);
    assert_eq!(items[0]["display_name"], "Linux Syslog Logs");
    assert_eq!(items[0]["source_type"], "File");
    assert_eq!(items[0]["entity_types"], json!(["Host (Linux)"]));
    assert_eq!(items[0]["association_count"], 3);
    assert!(sources["next_cursor"].is_string());
    let custom = gateway
        .markdown(
            "oci_observability_list_log_sources",
            json!({ "name": "acme-web-json", "origin": "CUSTOM" }),
        )
        .await;
    assert!(
        custom.starts_with("| display name | name | type | built-in |"),
        "{custom}"
    );
    assert!(
        custom.contains(
            "| ACME web application (JSON) | acme-web-json | File | false | Host (Linux) | 1 |"
        ),
        "{custom}"
    );
    assert!(custom.ends_with("\n1 item\n"), "{custom}");
    let listed = gateway.requests_to("/20200601/namespaces/acmecorp/sources?");
    assert_eq!(
        listed[1].target,
        format!(
            "/20200601/namespaces/acmecorp/sources?compartmentId={}&isSystem=CUSTOM&limit=50&name=acme-web-json",
            doc_key::TENANCY
        )
    );

    let refused = gateway
        .error(
            "oci_observability_execute_log_query",
            json!({ "query": "  " }),
        )
        .await;
    assert!(refused.contains("`query` is empty"), "{refused}");
    gateway
        .fake
        .set_answer("GET /20200601/namespaces", json!({ "items": [] }));
    let disabled = gateway
        .error("oci_observability_list_log_sources", json!({}))
        .await;
    assert!(
        disabled.contains("has no Log Analytics namespace"),
        "{disabled}"
    );
}

#[tokio::test]
async fn the_overview_counts_alarms_instances_and_error_lines() {
    let gateway = OciGateway::start("").await;
    let overview = gateway
        .json(
            "oci_observability_overview",
            json!({ "compartment_id": COMPARTMENT, "hours": 6 }),
        )
        .await;
    assert_eq!(overview["health"], "critical");
    assert_eq!(
        overview["alarms"],
        json!({ "total": 3, "enabled": 2, "suppressed": 1, "firing": 1, "firing_by_severity": { "CRITICAL": 1 } })
    );
    assert_eq!(overview["firing"][0]["name"], "High CPU");
    assert_eq!(overview["firing"].as_array().map(Vec::len), Some(1));
    assert_eq!(
        overview["instances"],
        json!({ "total": 2, "by_state": { "RUNNING": 1, "STOPPED": 1 } })
    );
    let logs = &overview["error_logs"];
    assert_eq!(logs["count"], 1, "one of the lines is at level ERROR");
    assert_eq!(logs["hours"], 6);
    assert_eq!(logs["more"], false);
    assert_eq!(
        logs["latest"][0]["message"],
        "connection refused: db-1:1521"
    );
    let searched = gateway.requests_to("/20190909/search");
    let sent = body(&searched[0]);
    assert!(
        sent["searchQuery"]
            .as_str()
            .is_some_and(|q| q.starts_with(&format!(
                "search \"{COMPARTMENT}\" | where data.level = 'ERROR' or "
            ))),
        "{sent}"
    );
    assert_eq!(span(&sent, "timeStart", "timeEnd"), 6 * 3600);
    assert!(
        gateway
            .requests_to("/20160918/instances?")
            .iter()
            .any(|r| r.target.contains(&format!("compartmentId={COMPARTMENT}"))),
        "instances of the compartment"
    );

    let markdown = gateway
        .markdown(
            "oci_observability_overview",
            json!({ "compartment_id": COMPARTMENT, "include_logs": false }),
        )
        .await;
    assert!(
        markdown.starts_with(&format!(
            "## Observability overview of {COMPARTMENT}\nHealth: CRITICAL\n"
        )),
        "{markdown}"
    );
    assert!(
        markdown.contains("- total: 3 (2 enabled, 1 suppressed)\n- firing: 1 (CRITICAL 1)\n"),
        "{markdown}"
    );
    assert!(
        markdown.contains("| High CPU | CRITICAL | FIRING |"),
        "{markdown}"
    );
    assert!(
        markdown.contains("- total 2: RUNNING 1, STOPPED 1\n"),
        "{markdown}"
    );
    assert!(!markdown.contains("Error log lines"), "{markdown}");
    assert_eq!(
        gateway.requests_to("/20190909/search").len(),
        1,
        "logs skipped"
    );

    // No alarm in the dev compartment, but an error line: a warning.
    let dev = gateway
        .json(
            "oci_observability_overview",
            json!({ "compartment_id": "ocid1.compartment.oc1..dev" }),
        )
        .await;
    assert_eq!(dev["health"], "warning");
    assert_eq!(dev["alarms"]["total"], 0);
    assert_eq!(dev["instances"]["by_state"], json!({ "RUNNING": 1 }));

    let refused = gateway
        .error("oci_observability_overview", json!({ "hours": 48 }))
        .await;
    assert!(refused.contains("give 1 to 24"), "{refused}");
}

#[tokio::test(flavor = "multi_thread")]
async fn every_answer_fits_its_output_schema_in_the_python_sdk() {
    let gateway = OciGateway::start("").await;
    let calls = [
        (
            "oci_observability_get_instance_metrics",
            json!({ "instance_id": BATCH, "include_points": true }),
        ),
        (
            "oci_observability_list_alarms",
            json!({ "compartment_id": COMPARTMENT, "limit": 2 }),
        ),
        (
            "oci_observability_get_alarm_history",
            json!({ "alarm_id": HIGH_CPU }),
        ),
        (
            "oci_observability_search_logs",
            json!({ "compartment_id": COMPARTMENT, "limit": 2 }),
        ),
        (
            "oci_observability_execute_log_query",
            json!({ "query": "* | stats count by 'Log Source'" }),
        ),
        ("oci_observability_list_log_sources", json!({ "limit": 2 })),
        (
            "oci_observability_overview",
            json!({ "compartment_id": COMPARTMENT }),
        ),
    ];
    let calls: Vec<Value> = calls
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
