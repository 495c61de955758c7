//! Troubleshooting skills: a planted sick instance (stopped, a firing CPU alarm, SSH open
//! to the world) and a planted sick database are diagnosed with those causes named, with
//! evidence; progress reaches a real Python client between the steps.

use std::process::Command;

use ocimcp_tests::oci_gateway::{COMPARTMENT, OciGateway};
use ocimcp_tests::{fixture, venv};
use serde_json::{Value, json};

const SICK: &str = "ocid1.instance.oc1.iad.sick";
const SICK_DB: &str = "ocid1.autonomousdatabase.oc1.iad.sickdb";

/// A stopped instance whose VNIC sits in a subnet with SSH open to 0.0.0.0/0, watched by
/// a firing CPU alarm.
fn plant_sick_instance(gateway: &OciGateway) {
    let fake = &gateway.fake;
    fake.set_instances(vec![json!({
        "id": SICK,
        "compartmentId": COMPARTMENT,
        "displayName": "sick-1",
        "lifecycleState": "STOPPED",
        "availabilityDomain": "Uocm:US-ASHBURN-AD-1",
        "shape": "VM.Standard.E4.Flex",
        "timeCreated": "2024-05-01T12:00:00Z"
    })]);
    fake.set_answer(
        "GET /20160918/vnicAttachments",
        json!([{
            "id": "ocid1.vnicattachment.oc1.iad.sick",
            "instanceId": SICK,
            "compartmentId": COMPARTMENT,
            "lifecycleState": "ATTACHED",
            "vnicId": "ocid1.vnic.oc1.iad.sick"
        }]),
    );
    fake.set_answer(
        "GET /20160918/vnics/{id}",
        json!([{
            "id": "ocid1.vnic.oc1.iad.sick",
            "isPrimary": true,
            "privateIp": "10.9.0.2",
            "publicIp": "203.0.113.50",
            "subnetId": "ocid1.subnet.oc1.iad.sick",
            "nsgIds": []
        }]),
    );
    fake.set_answer(
        "GET /20160918/subnets/{id}",
        json!([{
            "id": "ocid1.subnet.oc1.iad.sick",
            "compartmentId": COMPARTMENT,
            "vcnId": "ocid1.vcn.oc1.iad.v",
            "cidrBlock": "10.9.0.0/24",
            "displayName": "public-sick",
            "lifecycleState": "AVAILABLE",
            "securityListIds": ["ocid1.securitylist.oc1.iad.sick"]
        }]),
    );
    fake.set_answer(
        "GET /20160918/securityLists/{id}",
        json!([{
            "id": "ocid1.securitylist.oc1.iad.sick",
            "compartmentId": COMPARTMENT,
            "vcnId": "ocid1.vcn.oc1.iad.v",
            "displayName": "wide-open",
            "lifecycleState": "AVAILABLE",
            "egressSecurityRules": [],
            "ingressSecurityRules": [{
                "protocol": "6",
                "source": "0.0.0.0/0",
                "sourceType": "CIDR_BLOCK",
                "isStateless": false,
                "tcpOptions": { "destinationPortRange": { "min": 22, "max": 22 } }
            }]
        }]),
    );
    let query = format!("CpuUtilization[1m]{{resourceId = \"{SICK}\"}}.mean() > 90");
    fake.set_answer(
        "GET /20180401/alarms",
        json!([{
            "id": "ocid1.alarm.oc1.iad.sickcpu",
            "displayName": "cpu-high-sick",
            "compartmentId": COMPARTMENT,
            "metricCompartmentId": COMPARTMENT,
            "namespace": "oci_computeagent",
            "query": query,
            "severity": "CRITICAL",
            "isEnabled": true,
            "lifecycleState": "ACTIVE",
            "destinations": []
        }]),
    );
    fake.set_answer(
        "GET /20180401/alarms/status",
        json!([{
            "id": "ocid1.alarm.oc1.iad.sickcpu",
            "displayName": "cpu-high-sick",
            "severity": "CRITICAL",
            "status": "FIRING",
            "timestampTriggered": "2024-05-01T11:00:00Z"
        }]),
    );
}

fn titles(diagnosis: &Value) -> Vec<String> {
    diagnosis["findings"]
        .as_array()
        .map(|f| {
            f.iter()
                .filter_map(|f| f["title"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn the_instance_skill_names_the_planted_causes_with_evidence() {
    let gateway = OciGateway::start("").await;
    plant_sick_instance(&gateway);
    let diagnosis = gateway
        .json(
            "oci_skill_troubleshoot_instance",
            json!({ "instance_id": SICK }),
        )
        .await;
    assert_eq!(diagnosis["lifecycle_state"], "STOPPED");
    let titles = titles(&diagnosis);
    assert_eq!(
        titles.first().map(String::as_str),
        Some("alarm `cpu-high-sick` is firing"),
        "the CRITICAL alarm first: {titles:?}"
    );
    assert!(
        titles
            .iter()
            .any(|t| t == "the instance is not running (STOPPED)"),
        "{titles:?}"
    );
    assert!(
        titles
            .iter()
            .any(|t| t.contains("port 22 open to 0.0.0.0/0") && t.contains("wide-open")),
        "{titles:?}"
    );
    let alarm = &diagnosis["findings"][0];
    assert_eq!(alarm["severity"], "CRITICAL");
    assert!(
        alarm["evidence"][1]
            .as_str()
            .is_some_and(|e| e.contains(SICK)),
        "the alarm's condition is evidence: {alarm}"
    );
    let summary = diagnosis["summary"].as_str().unwrap_or_default();
    assert!(
        summary.contains("alarm `cpu-high-sick` is firing"),
        "{summary}"
    );
    let steps: Vec<&str> = diagnosis["checks"]
        .as_array()
        .map(|c| c.iter().filter_map(|c| c["step"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(
        steps,
        [
            "state",
            "metrics",
            "alarms",
            "recent events",
            "network exposure"
        ]
    );
    // Every metric query is about this instance.
    for query in gateway.requests_to("/20180401/metrics/actions/summarizeMetricsData") {
        assert!(query.body.contains(SICK), "{}", query.body);
    }

    let markdown = gateway
        .markdown(
            "oci_skill_troubleshoot_instance",
            json!({ "instance_id": SICK }),
        )
        .await;
    assert!(
        markdown.starts_with("## Diagnosis of instance sick-1 (STOPPED)\n"),
        "{markdown}"
    );
    assert!(
        markdown.contains("1. [CRITICAL] alarm `cpu-high-sick` is firing\n"),
        "{markdown}"
    );
    assert!(markdown.contains("   - next: "), "{markdown}");
}

#[tokio::test]
async fn a_healthy_instance_gets_no_not_running_finding() {
    let gateway = OciGateway::start("").await;
    let diagnosis = gateway
        .json(
            "oci_skill_troubleshoot_instance",
            json!({ "instance_id": "ocid1.instance.oc1.iad.aaa", "hours": 2 }),
        )
        .await;
    assert_eq!(diagnosis["lifecycle_state"], "RUNNING");
    assert!(
        !titles(&diagnosis).iter().any(|t| t.contains("not running")),
        "{diagnosis}"
    );
    assert!(
        diagnosis["checks"]
            .as_array()
            .is_some_and(|c| c.iter().all(|c| c["ok"] == true)),
        "every step read its data: {diagnosis}"
    );
}

#[tokio::test]
async fn the_database_skill_names_a_stopped_open_database() {
    let gateway = OciGateway::start("").await;
    gateway.fake.set_answer(
        "GET /20160918/autonomousDatabases/{id}",
        json!([{
            "id": SICK_DB,
            "compartmentId": COMPARTMENT,
            "displayName": "sick-db",
            "dbName": "SICKDB",
            "lifecycleState": "STOPPED",
            "dbWorkload": "OLTP",
            "isFreeTier": false,
            "isAccessControlEnabled": false,
            "isMtlsConnectionRequired": false,
            "dataStorageSizeInTBs": 1,
            "actualUsedDataStorageSizeInTBs": 0.95,
            "allocatedStorageSizeInTBs": 1
        }]),
    );
    let diagnosis = gateway
        .json(
            "oci_skill_troubleshoot_database",
            json!({ "database_id": SICK_DB }),
        )
        .await;
    let titles = titles(&diagnosis);
    assert!(
        titles
            .iter()
            .any(|t| t == "the database is not available (STOPPED)"),
        "{titles:?}"
    );
    assert!(
        titles
            .iter()
            .any(|t| t == "the database's public endpoint accepts connections from any IP"),
        "{titles:?}"
    );
    for query in gateway.requests_to("/20180401/metrics/actions/summarizeMetricsData") {
        assert!(query.body.contains(SICK_DB), "{}", query.body);
    }
    let markdown = gateway
        .markdown(
            "oci_skill_troubleshoot_database",
            json!({ "database_id": SICK_DB }),
        )
        .await;
    assert!(
        markdown.starts_with("## Diagnosis of autonomous database sick-db (STOPPED)\n"),
        "{markdown}"
    );
    let wrong = gateway
        .error(
            "oci_skill_troubleshoot_database",
            json!({ "database_id": SICK }),
        )
        .await;
    assert!(
        wrong.contains("expected type `autonomousdatabase`"),
        "{wrong}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_python_client_sees_progress_between_the_steps() {
    let gateway = OciGateway::start("").await;
    plant_sick_instance(&gateway);
    let output = Command::new(venv("mcp").join("bin/python"))
        .arg(fixture("python/progress_client.py"))
        .args([
            &gateway.daemon.url(),
            "legacy",
            "oci_skill_troubleshoot_instance",
            &json!({ "instance_id": SICK }).to_string(),
        ])
        .output()
        .expect("run the Python client");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report: Value = serde_json::from_slice(&output.stdout).expect("JSON report");
    let progress = report["progress"].as_array().cloned().unwrap_or_default();
    let steps: Vec<f64> = progress.iter().filter_map(|p| p[0].as_f64()).collect();
    assert_eq!(steps, [0.0, 1.0, 2.0, 3.0, 4.0, 5.0], "{report}");
    assert_eq!(
        progress[4],
        json!([4.0, 5.0, "checking the network exposure of its VNICs"])
    );
    assert!(
        report["result"]
            .as_str()
            .is_some_and(|r| r.starts_with("## Diagnosis of instance sick-1 (STOPPED)")),
        "{report}"
    );
}
