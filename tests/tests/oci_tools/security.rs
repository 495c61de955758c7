//! Security tools: IAM users (one with its groups, capabilities and API keys), groups and
//! policies listed with paging; Cloud Guard problems filtered and paged; the audit finding
//! the fixtures' user without MFA, over-broad policies, open problems and open SSH/RDP,
//! with its documented score; failing areas reported, not fatal.

use ocimcp_tests::fake_oci::{Injected, doc_key};
use ocimcp_tests::oci_gateway::{COMPARTMENT, OciGateway, TENANCY};
use serde_json::{Value, json};

const BOB: &str = "ocid1.user.oc1..u2";

fn texts<'a>(items: &'a Value, field: &str) -> Vec<&'a str> {
    items
        .as_array()
        .expect("an array")
        .iter()
        .filter_map(|i| i[field].as_str())
        .collect()
}

#[tokio::test]
async fn users_and_groups_are_listed_and_one_user_is_shown() {
    let gateway = OciGateway::start("").await;
    let users = gateway
        .json(
            "oci_security_list_users",
            json!({ "compartment_id": TENANCY }),
        )
        .await;
    assert_eq!(
        texts(&users["items"], "name"),
        ["alice@example.com", "bob@example.com", "ci-bot"]
    );
    let mfa: Vec<&Value> = users["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|u| &u["mfa_activated"])
        .collect();
    assert_eq!(mfa, [&json!(true), &json!(false), &json!(false)]);
    assert_eq!(
        users["items"][1]["last_successful_login"],
        "2024-05-10T08:00:00Z"
    );

    let first = gateway
        .json(
            "oci_security_list_users",
            json!({ "compartment_id": TENANCY, "limit": 2 }),
        )
        .await;
    assert_eq!(first["items"].as_array().map(Vec::len), Some(2));
    let cursor = first["next_cursor"].as_str().expect("a cursor");
    let markdown = gateway
        .markdown(
            "oci_security_list_users",
            json!({ "compartment_id": TENANCY, "limit": 2, "cursor": cursor }),
        )
        .await;
    assert!(
        markdown.starts_with("| name | email | state | MFA | last login | id |"),
        "{markdown}"
    );
    assert!(
        markdown.contains("| ci-bot | - | INACTIVE | no | - | ocid1.user.oc1..u3 |"),
        "{markdown}"
    );
    assert!(markdown.ends_with("\n1 item\n"), "{markdown}");
    let asked = gateway.requests_to("/20160918/users?");
    assert!(
        asked[2].target.ends_with(&format!(
            "compartmentId={TENANCY}&limit=2&page=users%2F2%2B%3D%3D"
        )),
        "{asked:?}"
    );
    // Users live in the tenancy: that of the credentials by default.
    let own = gateway
        .json(
            "oci_security_list_users",
            json!({ "lifecycle_state": "active" }),
        )
        .await;
    assert_eq!(own["items"], json!([]));
    let asked = gateway
        .requests_to("/20160918/users?")
        .pop()
        .expect("asked");
    assert!(
        asked.target.contains(&format!(
            "compartmentId={}&limit=50&lifecycleState=ACTIVE",
            doc_key::TENANCY
        )),
        "{asked:?}"
    );

    let bob = gateway
        .json("oci_security_get_user", json!({ "user_id": BOB }))
        .await;
    assert_eq!(bob["email"], "bob@example.com");
    assert_eq!(bob["mfa_activated"], false);
    assert_eq!(bob["lifecycle_state"], "ACTIVE");
    assert_eq!(bob["capabilities"]["console_password"], true);
    assert_eq!(bob["capabilities"]["auth_tokens"], false);
    assert_eq!(texts(&bob["groups"], "name"), ["NetworkAdmins", "Auditors"]);
    assert_eq!(
        texts(&bob["api_keys"], "lifecycle_state"),
        ["ACTIVE", "INACTIVE"]
    );
    assert!(
        bob["api_keys"][0]["age_days"]
            .as_i64()
            .is_some_and(|d| d > 100),
        "{bob}"
    );
    let memberships = gateway.requests_to("/20160918/userGroupMemberships?");
    assert_eq!(
        memberships[0].target,
        format!("/20160918/userGroupMemberships?compartmentId={TENANCY}&userId={BOB}&limit=100")
    );
    assert_eq!(
        gateway
            .requests_to(&format!("/20160918/users/{BOB}/apiKeys/"))
            .len(),
        1
    );

    let markdown = gateway
        .markdown(
            "oci_security_get_user",
            json!({ "user_id": "ocid1.user.oc1..u" }),
        )
        .await;
    assert!(
        markdown.starts_with("## User alice@example.com\n"),
        "{markdown}"
    );
    assert!(markdown.contains("- MFA: yes\n"), "{markdown}");
    assert!(
        markdown.contains("- may use: console password, API keys, auth tokens\n"),
        "{markdown}"
    );
    assert!(
        markdown.contains(
            "### Groups (1)\n| name | id |\n|---|---|\n| Administrators | ocid1.group.oc1..g |"
        ),
        "{markdown}"
    );
    assert!(
        markdown.contains("### API keys (0)\n(none)\n"),
        "{markdown}"
    );

    let before = gateway.fake.seen().len();
    let plain = gateway
        .json(
            "oci_security_get_user",
            json!({ "user_id": BOB, "include_groups": false, "include_api_keys": false }),
        )
        .await;
    assert!(
        plain.get("groups").is_none() && plain.get("api_keys").is_none(),
        "{plain}"
    );
    assert_eq!(gateway.fake.seen().len(), before + 1, "only GetUser");

    let refused = gateway
        .error(
            "oci_security_get_user",
            json!({ "user_id": "ocid1.group.oc1..g" }),
        )
        .await;
    assert!(
        refused.contains("invalid arguments: `user_id`") && refused.contains("`user`"),
        "{refused}"
    );
    let missing = gateway
        .error(
            "oci_security_get_user",
            json!({ "user_id": "ocid1.user.oc1..nosuch" }),
        )
        .await;
    assert!(
        missing.contains("NotAuthorizedOrNotFound (404)"),
        "{missing}"
    );

    let groups = gateway
        .json(
            "oci_security_list_groups",
            json!({ "compartment_id": TENANCY }),
        )
        .await;
    assert_eq!(
        texts(&groups["items"], "name"),
        ["Administrators", "NetworkAdmins", "Auditors"]
    );
    let markdown = gateway
        .markdown(
            "oci_security_list_groups",
            json!({ "compartment_id": TENANCY, "name": "Auditors" }),
        )
        .await;
    assert!(
        markdown.contains(
            "| Auditors | read only | ACTIVE | 2024-05-03T12:00:00Z | ocid1.group.oc1..g3 |"
        ),
        "{markdown}"
    );
    assert!(markdown.ends_with("\n1 item\n"), "{markdown}");
    let asked = gateway
        .requests_to("/20160918/groups?")
        .pop()
        .expect("asked");
    assert!(asked.target.contains("name=Auditors"), "{asked:?}");
}

#[tokio::test]
async fn policies_are_listed_with_their_statements() {
    let gateway = OciGateway::start("").await;
    let policies = gateway
        .json(
            "oci_security_list_policies",
            json!({ "compartment_id": TENANCY }),
        )
        .await;
    assert_eq!(
        texts(&policies["items"], "name"),
        ["p1", "network-admins", "prod-readers"]
    );
    assert_eq!(
        policies["items"][1]["statements"],
        json!([
            "Allow group NetworkAdmins to manage virtual-network-family in tenancy",
            "Allow group NetworkAdmins to read instances in tenancy"
        ])
    );

    let first = gateway
        .markdown(
            "oci_security_list_policies",
            json!({ "compartment_id": TENANCY, "limit": 1 }),
        )
        .await;
    assert!(first.starts_with("### p1 (ACTIVE)\n"), "{first}");
    assert!(
        first.contains("  - `Allow group Admins to manage all-resources in tenancy`\n"),
        "{first}"
    );
    assert!(
        first.contains("1 item; more: call again with cursor=`policies/1+==`"),
        "{first}"
    );
    let prod = gateway
        .markdown(
            "oci_security_list_policies",
            json!({ "compartment_id": COMPARTMENT }),
        )
        .await;
    assert!(prod.starts_with("### prod-developers (ACTIVE)\n"), "{prod}");
    assert!(
        prod.contains("  - `Allow any-user to read buckets in compartment prod`\n"),
        "{prod}"
    );
    assert!(!prod.contains("p1"), "{prod}");
    let refused = gateway
        .error(
            "oci_security_list_policies",
            json!({ "compartment_id": "ocid1.vcn.oc1.iad.v" }),
        )
        .await;
    assert!(
        refused.contains("invalid arguments: `compartment_id`"),
        "{refused}"
    );
}

#[tokio::test]
async fn cloud_guard_problems_are_filtered_and_paged() {
    let gateway = OciGateway::start("").await;
    let problems = gateway
        .json(
            "oci_security_list_cloud_guard_problems",
            json!({ "compartment_id": COMPARTMENT }),
        )
        .await;
    assert_eq!(
        texts(&problems["items"], "risk_level"),
        ["CRITICAL", "HIGH", "MEDIUM"]
    );
    assert_eq!(problems["items"][0]["rule"], "BUCKET_IS_PUBLIC");
    assert_eq!(
        problems["items"][1]["labels"],
        json!(["CIS_OCI_V1.1_NETWORK"])
    );
    let asked = gateway.requests_to("/20200131/problems?");
    assert_eq!(
        asked[0].target,
        format!(
            "/20200131/problems?compartmentId={COMPARTMENT}&compartmentIdInSubtree=true&accessLevel=ACCESSIBLE&limit=50"
        )
    );

    let open = gateway
        .json(
            "oci_security_list_cloud_guard_problems",
            json!({ "compartment_id": COMPARTMENT, "lifecycle_detail": "open", "lifecycle_state": "ACTIVE" }),
        )
        .await;
    assert_eq!(
        texts(&open["items"], "rule"),
        ["BUCKET_IS_PUBLIC", "INSTANCE_HAS_PUBLIC_IP"]
    );
    let markdown = gateway
        .markdown(
            "oci_security_list_cloud_guard_problems",
            json!({ "compartment_id": COMPARTMENT, "risk_level": "critical", "include_subcompartments": false }),
        )
        .await;
    assert!(
        markdown
            .starts_with("| risk | problem | resource | status | region | last detected | id |"),
        "{markdown}"
    );
    assert!(
        markdown.contains(
            "| CRITICAL | BUCKET_IS_PUBLIC | b1 (Bucket) | OPEN / ACTIVE | us-ashburn-1 |"
        ),
        "{markdown}"
    );
    assert!(markdown.ends_with("\n1 item\n"), "{markdown}");
    let asked = gateway.requests_to("/20200131/problems?");
    assert!(
        asked[1]
            .target
            .contains("lifecycleDetail=OPEN&lifecycleState=ACTIVE&compartmentId="),
        "{asked:?}"
    );
    assert_eq!(
        asked[2].target,
        format!("/20200131/problems?compartmentId={COMPARTMENT}&riskLevel=CRITICAL&limit=50")
    );

    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut args = json!({ "compartment_id": COMPARTMENT, "limit": 1 });
        if let Some(cursor) = &cursor {
            args["cursor"] = json!(cursor);
        }
        let page = gateway
            .json("oci_security_list_cloud_guard_problems", args)
            .await;
        seen.extend(texts(&page["items"], "id").into_iter().map(str::to_owned));
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    assert_eq!(
        seen,
        [
            "ocid1.cloudguardproblem.oc1.iad.p",
            "ocid1.cloudguardproblem.oc1.iad.p2",
            "ocid1.cloudguardproblem.oc1.iad.p3"
        ]
    );

    let refused = gateway
        .error(
            "oci_security_list_cloud_guard_problems",
            json!({ "risk_level": "severe" }),
        )
        .await;
    assert!(
        refused
            .contains("`risk_level` = `severe` is not one of CRITICAL, HIGH, MEDIUM, LOW, MINOR"),
        "{refused}"
    );
}

/// `(area, severity)` of each finding, in order.
fn findings(report: &Value) -> Vec<(String, String)> {
    report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            (
                f["area"].as_str().unwrap_or_default().to_owned(),
                f["severity"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

/// The findings of an area whose `finding` or `resource` mentions `text`.
fn about<'a>(report: &'a Value, text: &str) -> Vec<&'a Value> {
    report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| {
            f["finding"].as_str().is_some_and(|s| s.contains(text))
                || f["resource"].as_str().is_some_and(|s| s.contains(text))
        })
        .collect()
}

#[tokio::test]
async fn the_audit_scores_iam_cloud_guard_and_network_findings() {
    let gateway = OciGateway::start("").await;
    let report = gateway
        .json("oci_security_audit", json!({ "compartment_id": TENANCY }))
        .await;
    // The tenancy, prod and dev; prod-secrets may not be inspected.
    assert_eq!(report["compartments"], 3);
    assert_eq!(report["tenancy_id"], TENANCY);
    // IAM: bob has no MFA (HIGH) and has not logged in since May 2024 (MEDIUM), ci-bot is
    // blocked (LOW); `Admins` may manage all-resources in the tenancy (HIGH), Developers
    // all-resources in prod and any-user may read buckets there (MEDIUM each).
    // Cloud Guard: the open CRITICAL and HIGH problems; the resolved one is not counted.
    // Network: SSH (prod security list) and RDP (prod NSG) are HIGH; in dev, all
    // protocols and MongoDB are CRITICAL, 8000-9000 MEDIUM.
    let areas: Vec<(String, Value, Value)> = report["areas"]
        .as_array()
        .expect("areas")
        .iter()
        .map(|a| {
            (
                a["area"].as_str().unwrap_or_default().to_owned(),
                a["findings"].clone(),
                a["score"].clone(),
            )
        })
        .collect();
    assert_eq!(
        areas,
        [
            (
                "iam".to_owned(),
                json!({ "critical": 0, "high": 2, "medium": 3, "low": 1 }),
                json!(83)
            ),
            (
                "cloud_guard".to_owned(),
                json!({ "critical": 1, "high": 1, "medium": 0, "low": 0 }),
                json!(85)
            ),
            (
                "network".to_owned(),
                json!({ "critical": 2, "high": 2, "medium": 1, "low": 0 }),
                json!(68)
            ),
        ]
    );
    assert_eq!(
        report["summary"],
        json!({ "critical": 3, "high": 5, "medium": 4, "low": 1 })
    );
    // 100 - (10 x 3 + 5 x 5 + 2 x 4 + 1 x 1)
    assert_eq!(report["score"], 36);
    assert_eq!(
        report["score_formula"],
        "max(0, 100 - (10 x critical + 5 x high + 2 x medium + 1 x low))"
    );
    let severities: Vec<String> = findings(&report).into_iter().map(|(_, s)| s).collect();
    let mut sorted = severities.clone();
    sorted.sort_by_key(|s| {
        ["CRITICAL", "HIGH", "MEDIUM", "LOW"]
            .iter()
            .position(|x| x == s)
    });
    assert_eq!(severities, sorted, "worst first");

    let bob = about(&report, "bob@example.com");
    let bob: Vec<(&str, &str)> = bob
        .iter()
        .map(|f| {
            (
                f["severity"].as_str().unwrap_or_default(),
                f["finding"].as_str().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        bob[0],
        ("HIGH", "active user with console access has no MFA")
    );
    assert_eq!(bob[1].0, "MEDIUM");
    assert!(bob[1].1.starts_with("no successful login for "), "{bob:?}");
    assert!(about(&report, "alice").is_empty(), "alice has MFA");
    let admins = about(
        &report,
        "group Admins may manage all-resources in the whole tenancy",
    );
    assert_eq!(admins.len(), 1);
    assert_eq!(admins[0]["resource"], "policy p1 (ocid1.policy.oc1..p)");
    assert!(about(&report, "NetworkAdmins").is_empty());
    let public_bucket = about(&report, "BUCKET_IS_PUBLIC");
    assert_eq!(public_bucket[0]["severity"], "CRITICAL");
    assert_eq!(public_bucket[0]["resource"], "b1 (Bucket)");
    assert!(
        about(&report, "SUSPICIOUS_IP_ACTIVITY").is_empty(),
        "resolved"
    );
    let ssh = about(&report, "SSH (22)");
    assert_eq!(ssh[0]["area"], "network");
    assert_eq!(
        ssh[0]["resource"],
        "security list \"Default Security List\" (ocid1.securitylist.oc1.iad.s)"
    );

    // Policies were read in the tenancy and each audited compartment; problems only open.
    let policies: Vec<String> = gateway
        .requests_to("/20160918/policies?")
        .into_iter()
        .map(|r| r.target)
        .collect();
    assert_eq!(
        policies,
        [
            format!("/20160918/policies?compartmentId={TENANCY}&limit=100"),
            format!("/20160918/policies?compartmentId={COMPARTMENT}&limit=100"),
            "/20160918/policies?compartmentId=ocid1.compartment.oc1..ddd&limit=100".to_owned(),
        ]
    );
    let problems = gateway.requests_to("/20200131/problems?");
    assert_eq!(
        problems[0].target,
        format!(
            "/20200131/problems?lifecycleDetail=OPEN&lifecycleState=ACTIVE&compartmentId={TENANCY}&compartmentIdInSubtree=true&accessLevel=ACCESSIBLE&limit=100"
        )
    );

    let markdown = gateway
        .markdown(
            "oci_security_audit",
            json!({ "compartment_id": TENANCY, "include_cloud_guard": false, "include_network": false }),
        )
        .await;
    assert!(
        markdown.starts_with(&format!("## Security audit of {TENANCY}\n")),
        "{markdown}"
    );
    assert!(
        markdown.contains(
            "Score: **83/100** = max(0, 100 - (10 x critical + 5 x high + 2 x medium + 1 x low))"
        ),
        "{markdown}"
    );
    assert!(
        markdown.contains("| iam | 3 users, 4 policies (7 statements) | 0 | 2 | 3 | 1 | 83 |"),
        "{markdown}"
    );
    assert!(!markdown.contains("| network |"), "{markdown}");
    assert!(
        markdown.contains("| HIGH | iam | active user with console access has no MFA | bob@example.com (ocid1.user.oc1..u2) |"),
        "{markdown}"
    );
}

#[tokio::test]
async fn an_area_that_fails_is_reported_and_the_others_still_count() {
    let gateway = OciGateway::start("").await;
    // Only prod: IAM in the credentials' tenancy (no users there), prod's policy.
    gateway.fake.inject(Injected {
        status: 404,
        code: "NotAuthorizedOrNotFound",
        headers: Vec::new(),
    });
    let report = gateway
        .json(
            "oci_security_audit",
            json!({ "compartment_id": COMPARTMENT, "include_subcompartments": false, "include_iam": false }),
        )
        .await;
    assert_eq!(report["compartments"], 1);
    assert_eq!(report["tenancy_id"], doc_key::TENANCY);
    let cloud_guard = &report["areas"][0];
    assert_eq!(cloud_guard["area"], "cloud_guard");
    assert!(
        cloud_guard.get("score").is_some_and(Value::is_null),
        "{cloud_guard}"
    );
    assert!(
        cloud_guard["error"]
            .as_str()
            .is_some_and(|e| e.contains("NotAuthorizedOrNotFound")),
        "{cloud_guard}"
    );
    assert_eq!(report["areas"][1]["area"], "network");
    assert_eq!(report["areas"][1]["score"], 90);
    assert_eq!(report["score"], 90);
    assert_eq!(findings(&report).len(), 2);

    let iam = gateway
        .json(
            "oci_security_audit",
            json!({ "compartment_id": COMPARTMENT, "include_subcompartments": false, "include_cloud_guard": false, "include_network": false }),
        )
        .await;
    assert_eq!(
        iam["areas"][0]["checked"],
        "0 users, 1 policies (3 statements)"
    );
    assert_eq!(
        iam["summary"],
        json!({ "critical": 0, "high": 0, "medium": 2, "low": 0 })
    );

    gateway.fake.inject(Injected {
        status: 404,
        code: "NotAuthorizedOrNotFound",
        headers: Vec::new(),
    });
    let failed = gateway
        .error(
            "oci_security_audit",
            json!({ "compartment_id": COMPARTMENT, "include_subcompartments": false, "include_iam": false, "include_network": false }),
        )
        .await;
    assert!(
        failed.contains("no area could be audited (cloud_guard: "),
        "{failed}"
    );
    let refused = gateway
        .error("oci_security_audit", json!({ "compartment_id": "prod" }))
        .await;
    assert!(refused.contains("is not an OCID"), "{refused}");
}
