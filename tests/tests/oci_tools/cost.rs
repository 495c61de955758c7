//! Cost tools: the summary of the fixture usage per day and month, breakdowns by service
//! and by compartment (named from the compartment tree, or from the usage data when the
//! tree cannot be read), the monthly trend and its least-squares forecast, and anomalies:
//! a planted spike is flagged, a flat series gives none. Every test checks the Usage API
//! request the fake saw (tenancy, range, granularity, groupBy, filter).

use oci_api::ops::Timestamp;
use ocimcp_tests::fake_oci::{Injected, doc_key};
use ocimcp_tests::oci_gateway::{COMPARTMENT, OciGateway};
use serde_json::{Value, json};

const DAY: i64 = 86_400;
const USAGE: &str = "POST /20200107/usage";

/// The body of the last Usage API request, and how many were made.
fn last_usage_request(gateway: &OciGateway) -> (Value, usize) {
    let seen = gateway.requests_to("/20200107/usage");
    let last = seen.last().expect("a usage request");
    assert_eq!(last.method, "POST");
    let body = serde_json::from_str(&last.body).expect("a JSON body");
    (body, seen.len())
}

/// A cost item as the Usage API answers it.
fn item(service: &str, started: Timestamp, amount: f64) -> Value {
    json!({
        "service": service,
        "timeUsageStarted": started.to_string(),
        "computedAmount": amount,
        "currency": "USD",
        "tags": []
    })
}

fn aggregation(group_by: &[&str], items: Vec<Value>) -> Value {
    json!({ "groupBy": group_by, "items": items })
}

fn at(text: &str) -> Timestamp {
    Timestamp::parse(text).expect("a time")
}

/// "Now" for the tests whose answers depend on today: the gateway's OCI tools run on a
/// clock fixed at this instant, so no run crosses a midnight or a month's end.
fn now() -> Timestamp {
    at("2026-05-14T10:00:00Z")
}

/// Midnight UTC `days` days before [`now`]'s.
fn days_ago(days: i64) -> Timestamp {
    Timestamp::from_unix(now().start_of_day().unix_seconds() - days * DAY)
}

fn previous_month(month: Timestamp) -> Timestamp {
    Timestamp::from_unix(month.start_of_month().unix_seconds() - DAY).start_of_month()
}

fn next_month(month: Timestamp) -> Timestamp {
    Timestamp::from_unix(month.start_of_month().unix_seconds() + 32 * DAY).start_of_month()
}

/// `2024-05-01` or `2024-05`.
fn label(time: Timestamp, width: usize) -> String {
    time.to_string()[..width].to_owned()
}

#[tokio::test]
async fn the_summary_adds_up_the_fixture_per_day_and_per_month() {
    let gateway = OciGateway::start_at(now(), "").await;
    let summary = gateway
        .json(
            "oci_cost_get_summary",
            json!({ "start_date": "2024-05-01", "end_date": "2024-05-07" }),
        )
        .await;
    assert_eq!(summary["total"], json!(16.25));
    assert_eq!(summary["currency"], "USD");
    assert_eq!(summary["granularity"], "DAILY");
    assert_eq!(
        summary["range"],
        json!({ "start": "2024-05-01T00:00:00Z", "end": "2024-05-08T00:00:00Z" })
    );
    let periods = summary["periods"].as_array().expect("periods");
    assert_eq!(periods.len(), 7, "every day, empty ones too");
    assert_eq!(periods[0], json!({ "period": "2024-05-01", "cost": 12.5 }));
    assert_eq!(periods[1], json!({ "period": "2024-05-02", "cost": 3.75 }));
    assert_eq!(periods[6], json!({ "period": "2024-05-07", "cost": 0.0 }));
    assert_eq!(summary["average_per_period"], json!(2.32), "16.25 / 7");
    assert_eq!(
        summary["top_services"],
        json!([
            { "service": "COMPUTE", "cost": 12.5, "share_percent": 76.9 },
            { "service": "BLOCK_STORAGE", "cost": 3.75, "share_percent": 23.1 },
            { "service": "NETWORK", "cost": 0.0, "share_percent": 0.0 }
        ])
    );
    let (body, _) = last_usage_request(&gateway);
    assert_eq!(
        body,
        json!({
            "tenantId": doc_key::TENANCY,
            "timeUsageStarted": "2024-05-01T00:00:00Z",
            "timeUsageEnded": "2024-05-08T00:00:00Z",
            "granularity": "DAILY",
            "queryType": "COST",
            "groupBy": ["service"]
        })
    );

    // MONTHLY widens the range to whole months.
    let markdown = gateway
        .markdown(
            "oci_cost_get_summary",
            json!({ "start_date": "2024-05-03", "end_date": "2024-05-20", "granularity": "MONTHLY" }),
        )
        .await;
    assert!(
        markdown.starts_with(
            "## Cost 2024-05-01T00:00:00Z to 2024-06-01T00:00:00Z (end excluded)\n- total: 16.25 USD\n- average per month: 16.25 USD\n"
        ),
        "{markdown}"
    );
    assert!(
        markdown.contains("| month | cost |\n|---|---|\n| 2024-05 | 16.25 USD |\n"),
        "{markdown}"
    );
    assert!(
        markdown.contains("| COMPUTE | 12.50 USD | 76.9% |"),
        "{markdown}"
    );
    let (body, _) = last_usage_request(&gateway);
    assert_eq!(body["granularity"], "MONTHLY");
    assert_eq!(body["timeUsageStarted"], "2024-05-01T00:00:00Z");
    assert_eq!(body["timeUsageEnded"], "2024-06-01T00:00:00Z");

    // By default: the last 30 days, today included.
    gateway.json("oci_cost_get_summary", json!({})).await;
    let (body, _) = last_usage_request(&gateway);
    let tomorrow = days_ago(-1);
    assert_eq!(body["timeUsageEnded"], tomorrow.to_string());
    assert_eq!(
        body["timeUsageStarted"],
        Timestamp::from_unix(tomorrow.unix_seconds() - 30 * DAY).to_string()
    );
}

#[tokio::test]
async fn bad_ranges_are_refused_before_any_call_and_oci_errors_are_told() {
    let gateway = OciGateway::start("").await;
    let cases = [
        (json!({ "start_date": "2024-05-01", "days": 7 }), "not both"),
        (json!({ "end_date": "soon" }), "`end_date`"),
        (
            json!({ "start_date": "2024-05-09", "end_date": "2024-05-01" }),
            "on or before",
        ),
        (json!({ "granularity": "HOURLY" }), "granularity"),
        (json!({ "days": 0 }), "give 1 to 366"),
        (
            json!({ "start_date": "2020-01-01", "end_date": "2024-01-01" }),
            "use MONTHLY",
        ),
    ];
    for (args, expected) in cases {
        let refused = gateway.error("oci_cost_get_summary", args).await;
        assert!(refused.contains(expected), "{expected}: {refused}");
    }
    assert!(
        gateway.requests_to("/20200107/usage").is_empty(),
        "nothing was asked"
    );

    gateway.fake.inject(Injected {
        status: 400,
        code: "InvalidParameter",
        headers: Vec::new(),
    });
    let failed = gateway
        .error("oci_cost_by_service", json!({ "days": 7 }))
        .await;
    assert!(failed.contains("InvalidParameter (400)"), "{failed}");
    assert!(
        failed.contains("Suggestion: OCI rejected a parameter"),
        "{failed}"
    );

    let tools = gateway.client.list_all_tools().await.expect("tools/list");
    for cost in [
        "oci_cost_get_summary",
        "oci_cost_by_service",
        "oci_cost_by_compartment",
        "oci_cost_monthly_trend",
        "oci_cost_detect_anomalies",
    ] {
        let tool = tools.iter().find(|t| t.name == cost).expect("listed");
        assert_eq!(
            tool.annotations.as_ref().and_then(|a| a.read_only_hint),
            Some(true),
            "{cost}"
        );
        assert!(tool.output_schema.is_some(), "{cost}");
    }
}

#[tokio::test]
async fn services_are_ranked_by_cost_with_shares_and_the_rest_summed() {
    let gateway = OciGateway::start("").await;
    gateway.fake.set_answer(
        USAGE,
        aggregation(
            &["service"],
            vec![
                item("COMPUTE", at("2024-06-01T00:00:00Z"), 50.0),
                item("DATABASE", at("2024-06-01T00:00:00Z"), 40.0),
                item("COMPUTE", at("2024-06-02T00:00:00Z"), 30.0),
                item("OBJECT_STORAGE", at("2024-06-03T00:00:00Z"), 5.0),
                item("NETWORK", at("2024-06-04T00:00:00Z"), 3.0),
                item("LOGGING", at("2024-06-05T00:00:00Z"), 2.0),
                // Outside the range asked for: not counted.
                item("DATABASE", at("2024-07-15T00:00:00Z"), 1000.0),
            ],
        ),
    );
    let range = json!({ "start_date": "2024-06-01", "end_date": "2024-06-30", "top_n": 2 });
    let by_service = gateway.json("oci_cost_by_service", range.clone()).await;
    assert_eq!(by_service["total"], json!(130.0));
    assert_eq!(
        by_service["services"],
        json!([
            { "service": "COMPUTE", "cost": 80.0, "share_percent": 61.5 },
            { "service": "DATABASE", "cost": 40.0, "share_percent": 30.8 }
        ])
    );
    assert_eq!(
        by_service["rest"],
        json!({ "count": 3, "cost": 10.0, "share_percent": 7.7 })
    );
    let (body, _) = last_usage_request(&gateway);
    assert_eq!(body["groupBy"], json!(["service"]));
    assert_eq!(body["granularity"], "DAILY");
    assert_eq!(body["timeUsageEnded"], "2024-07-01T00:00:00Z");
    assert!(body.get("filter").is_none(), "the whole tenancy: {body}");

    let mut in_compartment = range;
    in_compartment["compartment_id"] = json!(COMPARTMENT);
    let markdown = gateway
        .markdown("oci_cost_by_service", in_compartment)
        .await;
    assert!(
        markdown.contains(&format!("- compartment: {COMPARTMENT}\n")),
        "{markdown}"
    );
    assert!(
        markdown.contains("| COMPUTE | 80.00 USD | 61.5% |\n| DATABASE | 40.00 USD | 30.8% |\n"),
        "{markdown}"
    );
    assert!(
        markdown.contains("3 more services: 10.00 USD (7.7%)"),
        "{markdown}"
    );
    let (body, count) = last_usage_request(&gateway);
    assert_eq!(
        body["filter"],
        json!({ "operator": "AND", "dimensions": [{ "key": "compartmentId", "value": COMPARTMENT }] })
    );

    let refused = gateway
        .error(
            "oci_cost_by_service",
            json!({ "compartment_id": "ocid1.instance.oc1.iad.aaa" }),
        )
        .await;
    assert!(
        refused.contains("`compartment_id` = `ocid1.instance.oc1.iad.aaa`"),
        "{refused}"
    );
    assert_eq!(
        gateway.requests_to("/20200107/usage").len(),
        count,
        "refused before any call"
    );
}

#[tokio::test]
async fn compartments_are_named_and_placed_from_the_compartment_tree() {
    let compartment_item = |id: &str, name: &str, amount: f64| {
        let mut item = item("COMPUTE", at("2024-06-03T00:00:00Z"), amount);
        item["compartmentId"] = json!(id);
        item["compartmentName"] = json!(name);
        item
    };
    let answer = aggregation(
        &["compartmentId", "compartmentName"],
        vec![
            compartment_item(COMPARTMENT, "prod", 40.0),
            compartment_item("ocid1.compartment.oc1..eee", "prod-secrets", 25.0),
            compartment_item(COMPARTMENT, "prod", 20.0),
            compartment_item(doc_key::TENANCY, "acme", 10.0),
            // Deleted since: not in the tree, named as the usage data has it.
            compartment_item("ocid1.compartment.oc1..gone", "old-team", 5.0),
        ],
    );
    let gateway = OciGateway::start("").await;
    gateway.fake.set_answer(USAGE, answer.clone());
    let range = json!({ "start_date": "2024-06-01", "end_date": "2024-06-30" });
    let by_compartment = gateway.json("oci_cost_by_compartment", range.clone()).await;
    assert_eq!(by_compartment["total"], json!(100.0));
    assert_eq!(
        by_compartment["compartments"],
        json!([
            { "compartment_id": COMPARTMENT, "name": "prod", "path": "prod", "cost": 60.0, "share_percent": 60.0 },
            { "compartment_id": "ocid1.compartment.oc1..eee", "name": "prod-secrets", "path": "prod/prod-secrets", "cost": 25.0, "share_percent": 25.0 },
            { "compartment_id": doc_key::TENANCY, "name": "root", "path": "root", "cost": 10.0, "share_percent": 10.0 },
            { "compartment_id": "ocid1.compartment.oc1..gone", "name": "old-team", "path": null, "cost": 5.0, "share_percent": 5.0 }
        ])
    );
    assert_eq!(by_compartment["note"], Value::Null);
    let (body, _) = last_usage_request(&gateway);
    assert_eq!(body["groupBy"], json!(["compartmentId", "compartmentName"]));
    assert_eq!(body["tenantId"], doc_key::TENANCY);

    let markdown = gateway
        .markdown(
            "oci_cost_by_compartment",
            json!({ "start_date": "2024-06-01", "end_date": "2024-06-30", "service": "COMPUTE", "top_n": 3 }),
        )
        .await;
    assert!(
        markdown.contains(
            "| prod-secrets | prod/prod-secrets | 25.00 USD | 25.0% | ocid1.compartment.oc1..eee |"
        ),
        "{markdown}"
    );
    assert!(markdown.contains("- service: COMPUTE\n"), "{markdown}");
    assert!(
        markdown.contains("1 more compartment: 5.00 USD (5.0%)"),
        "{markdown}"
    );
    let (body, _) = last_usage_request(&gateway);
    assert_eq!(
        body["filter"],
        json!({ "operator": "AND", "dimensions": [{ "key": "service", "value": "COMPUTE" }] })
    );
    assert_eq!(
        gateway.requests_to("/20160918/compartments").len(),
        1,
        "the tree is read once, then cached"
    );

    // A principal that may read costs but not compartments still gets them.
    let no_tree = OciGateway::start("").await;
    no_tree.fake.set_answer(USAGE, answer);
    no_tree.fake.inject(Injected {
        status: 403,
        code: "NotAuthorized",
        headers: Vec::new(),
    });
    let by_compartment = no_tree.json("oci_cost_by_compartment", range).await;
    let note = by_compartment["note"].as_str().expect("a note");
    assert!(
        note.contains("the compartment tree could not be read"),
        "{note}"
    );
    assert!(note.contains("NotAuthorized"), "{note}");
    assert_eq!(by_compartment["compartments"][0]["name"], "prod");
    assert_eq!(by_compartment["compartments"][0]["path"], Value::Null);
    assert_eq!(by_compartment["compartments"][2]["name"], "acme");
}

#[tokio::test]
async fn the_monthly_trend_forecasts_the_current_month_by_least_squares() {
    let gateway = OciGateway::start_at(now(), "").await;
    let current = now().start_of_month();
    let mut months = Vec::new();
    let mut month = current;
    for _ in 0..6 {
        month = previous_month(month);
        months.push(month);
    }
    months.reverse();
    let mut items: Vec<Value> = months
        .iter()
        .zip([100.0, 110.0, 120.0, 130.0, 140.0, 100.0])
        .map(|(month, cost)| item("COMPUTE", *month, cost))
        .collect();
    items.push(item("DATABASE", months[5], 50.0));
    items.push(item("COMPUTE", current, 60.0));
    items.push(item("COMPUTE", previous_month(months[0]), 999.0));
    gateway.fake.set_answer(USAGE, aggregation(&[], items));

    let trend = gateway.json("oci_cost_monthly_trend", json!({})).await;
    let rows = trend["months"].as_array().expect("months");
    let labels: Vec<&str> = rows.iter().filter_map(|m| m["month"].as_str()).collect();
    let expected: Vec<String> = months.iter().map(|m| label(*m, 7)).collect();
    assert_eq!(labels, expected);
    let costs: Vec<f64> = rows.iter().filter_map(|m| m["cost"].as_f64()).collect();
    assert_eq!(costs, [100.0, 110.0, 120.0, 130.0, 140.0, 150.0]);
    assert_eq!(rows[0]["change_percent"], Value::Null);
    assert_eq!(rows[1]["change_percent"], json!(10.0));
    assert_eq!(rows[2]["change_percent"], json!(9.1));
    assert_eq!(trend["total"], json!(750.0));
    assert_eq!(trend["average_per_month"], json!(125.0));
    assert_eq!(
        trend["current_month"],
        json!({ "month": label(current, 7), "cost": 60.0, "change_percent": null }),
        "a partial month is not compared with a whole one"
    );
    let forecast = &trend["forecast"];
    assert_eq!(forecast["month"], label(current, 7));
    assert_eq!(forecast["cost"], json!(160.0));
    assert_eq!(forecast["change_per_month"], json!(10.0));
    assert!(
        forecast["method"]
            .as_str()
            .is_some_and(|m| m.contains("least-squares") && m.contains("6 complete months")),
        "{forecast}"
    );
    let (body, _) = last_usage_request(&gateway);
    assert_eq!(body["granularity"], "MONTHLY");
    assert_eq!(body["queryType"], "COST");
    assert_eq!(body["timeUsageStarted"], months[0].to_string());
    assert_eq!(body["timeUsageEnded"], next_month(current).to_string());
    assert!(body.get("groupBy").is_none(), "one total per month: {body}");

    let markdown = gateway.markdown("oci_cost_monthly_trend", json!({})).await;
    assert!(
        markdown.starts_with("## Monthly cost, last 6 months\n"),
        "{markdown}"
    );
    assert!(
        markdown.contains(&format!(
            "| {} | 110.00 USD | +10.0% |",
            label(months[1], 7)
        )),
        "{markdown}"
    );
    assert!(
        markdown.contains(&format!(
            "Forecast for {}: 160.00 USD (+10.00 per month). Method: least-squares",
            label(current, 7)
        )),
        "{markdown}"
    );

    // A falling cost is forecast down to 0, not below.
    let falling: Vec<Value> = months[3..]
        .iter()
        .zip([300.0, 200.0, 100.0])
        .map(|(month, cost)| item("COMPUTE", *month, cost))
        .collect();
    gateway.fake.set_answer(USAGE, aggregation(&[], falling));
    let trend = gateway
        .json(
            "oci_cost_monthly_trend",
            json!({ "months": 3, "service": "COMPUTE" }),
        )
        .await;
    assert_eq!(trend["forecast"]["cost"], json!(0.0));
    assert_eq!(trend["forecast"]["change_per_month"], json!(-100.0));
    assert_eq!(trend["service"], "COMPUTE");
    let (body, count) = last_usage_request(&gateway);
    assert_eq!(body["timeUsageStarted"], months[3].to_string());
    assert_eq!(
        body["filter"],
        json!({ "operator": "AND", "dimensions": [{ "key": "service", "value": "COMPUTE" }] })
    );

    let refused = gateway
        .error("oci_cost_monthly_trend", json!({ "months": 1 }))
        .await;
    assert!(refused.contains("give 2 to 24"), "{refused}");
    assert_eq!(gateway.requests_to("/20200107/usage").len(), count);
}

/// Thirty days of COMPUTE 10 and BLOCK_STORAGE 2 a day; COMPUTE costs `spike` on day 20.
fn thirty_days(spike: Option<f64>) -> (Vec<Timestamp>, Value) {
    let days: Vec<Timestamp> = (1..=30).rev().map(days_ago).collect();
    let mut items = Vec::new();
    for (i, day) in days.iter().enumerate() {
        let compute = if i == 20 { spike.unwrap_or(10.0) } else { 10.0 };
        items.push(item("COMPUTE", *day, compute));
        items.push(item("BLOCK_STORAGE", *day, 2.0));
    }
    (days, aggregation(&["service"], items))
}

#[tokio::test]
async fn a_planted_spike_is_flagged_and_a_flat_series_gives_nothing() {
    let gateway = OciGateway::start_at(now(), "").await;
    let (days, spiky) = thirty_days(Some(110.0));
    gateway.fake.set_answer(USAGE, spiky);
    let report = gateway.json("oci_cost_detect_anomalies", json!({})).await;
    let spike_day = label(days[20], 10);
    assert_eq!(
        report["anomalies"],
        json!([{
            "date": spike_day,
            "series": "total",
            "cost": 112.0,
            "mean": 15.33,
            "z_score": 5.39,
            "severity": "critical",
            "top_services": [
                { "service": "COMPUTE", "cost": 110.0, "share_percent": 98.2 },
                { "service": "BLOCK_STORAGE", "cost": 2.0, "share_percent": 1.8 }
            ]
        }])
    );
    assert_eq!(
        report["series"],
        json!([{ "series": "total", "mean": 15.33, "stddev": 17.95, "max_cost": 112.0, "anomalies": 1 }])
    );
    assert_eq!(report["threshold"], json!(2.5));
    let (body, _) = last_usage_request(&gateway);
    assert_eq!(body["granularity"], "DAILY");
    assert_eq!(body["groupBy"], json!(["service"]));
    assert_eq!(body["timeUsageStarted"], days_ago(30).to_string());
    assert_eq!(
        body["timeUsageEnded"],
        days_ago(0).to_string(),
        "today excluded"
    );

    let markdown = gateway
        .markdown("oci_cost_detect_anomalies", json!({}))
        .await;
    assert!(
        markdown.contains(&format!(
            "| {spike_day} | total | 112.00 USD | 15.33 USD | 5.39 | critical | COMPUTE 110.00 USD, BLOCK_STORAGE 2.00 USD |"
        )),
        "{markdown}"
    );

    // The parameters are used: a higher threshold, a higher floor.
    for args in [json!({ "threshold": 6.0 }), json!({ "min_cost": 500.0 })] {
        let report = gateway.json("oci_cost_detect_anomalies", args).await;
        assert_eq!(report["anomalies"], json!([]), "{report}");
    }
    // Per service: only COMPUTE moves.
    let report = gateway
        .json(
            "oci_cost_detect_anomalies",
            json!({ "per_service": true, "service": "COMPUTE", "days": 30 }),
        )
        .await;
    assert_eq!(report["series"][0]["series"], "BLOCK_STORAGE");
    assert_eq!(report["series"][0]["stddev"], json!(0.0));
    assert_eq!(report["series"][0]["anomalies"], json!(0));
    assert_eq!(report["anomalies"][0]["series"], "COMPUTE");
    assert_eq!(report["anomalies"][0]["cost"], json!(110.0));
    assert_eq!(report["anomalies"].as_array().map(Vec::len), Some(1));
    let (body, count) = last_usage_request(&gateway);
    assert_eq!(
        body["filter"],
        json!({ "operator": "AND", "dimensions": [{ "key": "service", "value": "COMPUTE" }] })
    );

    // Flat: a deviation of 0 flags nothing (and divides by nothing).
    let (_, flat) = thirty_days(None);
    gateway.fake.set_answer(USAGE, flat);
    let report = gateway
        .json(
            "oci_cost_detect_anomalies",
            json!({ "threshold": 0.1, "min_cost": 0.0 }),
        )
        .await;
    assert_eq!(report["anomalies"], json!([]));
    assert_eq!(report["series"][0]["stddev"], json!(0.0));
    assert_eq!(report["series"][0]["mean"], json!(12.0));
    let markdown = gateway
        .markdown("oci_cost_detect_anomalies", json!({}))
        .await;
    assert!(
        markdown.contains("No anomalies: no day stands out."),
        "{markdown}"
    );

    for (args, expected) in [
        (json!({ "days": 2 }), "give 3 to 366"),
        (json!({ "threshold": 0 }), "`threshold`"),
        (json!({ "min_cost": -1 }), "`min_cost`"),
    ] {
        let refused = gateway.error("oci_cost_detect_anomalies", args).await;
        assert!(refused.contains(expected), "{expected}: {refused}");
    }
    assert_eq!(
        gateway.requests_to("/20200107/usage").len(),
        count + 2,
        "the refused calls asked nothing"
    );
}
