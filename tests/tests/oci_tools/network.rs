//! Network tools: VCNs, subnets and security lists listed with filters and paging; one VCN
//! with what is in it; the ingress analysis finding the fixtures' open SSH (security list)
//! and RDP (NSG) rules, by compartment, VCN, security list or NSG.

use ocimcp_tests::oci_gateway::{COMPARTMENT, OciGateway};
use serde_json::{Value, json};

const VCN: &str = "ocid1.vcn.oc1.iad.v";
const DEV: &str = "ocid1.compartment.oc1..ddd";

fn names(items: &Value) -> Vec<&str> {
    items
        .as_array()
        .expect("an array")
        .iter()
        .filter_map(|i| i["name"].as_str())
        .collect()
}

#[tokio::test]
async fn vcns_subnets_and_security_lists_are_listed_in_both_formats() {
    let gateway = OciGateway::start("").await;
    let vcns = gateway
        .json(
            "oci_network_list_vcns",
            json!({ "compartment_id": COMPARTMENT }),
        )
        .await;
    assert_eq!(names(&vcns["items"]), ["vcn1", "vcn2", "vcn3"]);
    assert_eq!(
        vcns["items"][1]["cidr_blocks"],
        json!(["10.1.0.0/16", "172.16.0.0/20"])
    );
    assert_eq!(
        vcns["items"][1]["ipv6_cidr_blocks"],
        json!(["2603:c020:4000:1f00::/56"])
    );
    assert!(vcns.get("next_cursor").is_none(), "{vcns}");

    // Two at a time: the cursor is OCI's page token and gives the rest.
    let first = gateway
        .json(
            "oci_network_list_vcns",
            json!({ "compartment_id": COMPARTMENT, "limit": 2 }),
        )
        .await;
    assert_eq!(names(&first["items"]), ["vcn1", "vcn2"]);
    let cursor = first["next_cursor"].as_str().expect("a cursor").to_owned();
    let rest = gateway
        .json(
            "oci_network_list_vcns",
            json!({ "compartment_id": COMPARTMENT, "limit": 2, "cursor": cursor }),
        )
        .await;
    assert_eq!(names(&rest["items"]), ["vcn3"]);
    assert!(rest.get("next_cursor").is_none(), "{rest}");
    let asked = gateway.requests_to("/20160918/vcns?");
    assert!(
        asked[1].target.ends_with("limit=2")
            && asked[2].target.ends_with("limit=2&page=vcns%2F2%2B%3D%3D"),
        "{asked:?}"
    );

    let markdown = gateway
        .markdown(
            "oci_network_list_vcns",
            json!({ "compartment_id": COMPARTMENT, "lifecycle_state": "terminating" }),
        )
        .await;
    assert!(
        markdown.starts_with("| name | state | CIDR blocks | DNS label | id |"),
        "{markdown}"
    );
    assert!(
        markdown.contains("| vcn3 | TERMINATING | 10.2.0.0/16 | - | ocid1.vcn.oc1.iad.v3 |"),
        "{markdown}"
    );
    assert!(!markdown.contains("vcn1"), "{markdown}");
    assert!(markdown.ends_with("\n1 item\n"), "{markdown}");
    let last = gateway.requests_to("/20160918/vcns?").pop().expect("asked");
    assert!(
        last.target.contains("lifecycleState=TERMINATING"),
        "{last:?}"
    );

    let subnets = gateway
        .json(
            "oci_network_list_subnets",
            json!({ "compartment_id": COMPARTMENT, "vcn_id": VCN }),
        )
        .await;
    assert_eq!(
        names(&subnets["items"]),
        ["sub1", "sub2-private", "sub3-ad"]
    );
    let access: Vec<&str> = subnets["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|s| s["access"].as_str())
        .collect();
    assert_eq!(access, ["public", "private", "public"]);
    assert_eq!(
        subnets["items"][1]["security_list_ids"],
        json!([
            "ocid1.securitylist.oc1.iad.s",
            "ocid1.securitylist.oc1.iad.s2"
        ])
    );
    let asked = gateway
        .requests_to("/20160918/subnets?")
        .pop()
        .expect("asked");
    assert!(
        asked
            .target
            .contains(&format!("compartmentId={COMPARTMENT}&limit=50&vcnId={VCN}")),
        "{asked:?}"
    );
    let markdown = gateway
        .markdown("oci_network_list_subnets", json!({ "compartment_id": DEV }))
        .await;
    assert!(
        markdown.contains(
            "| dev-public | AVAILABLE | 10.9.0.0/24 | public | regional | 1 | ocid1.subnet.oc1.iad.sdev |"
        ),
        "{markdown}"
    );
    assert!(!markdown.contains("sub1"), "{markdown}");

    let lists = gateway
        .json(
            "oci_network_list_security_lists",
            json!({ "compartment_id": COMPARTMENT }),
        )
        .await;
    let counts: Vec<(u64, u64, u64)> = lists["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|l| {
            (
                l["ingress_rules"].as_u64().unwrap_or(99),
                l["egress_rules"].as_u64().unwrap_or(99),
                l["ingress_from_anywhere"].as_u64().unwrap_or(99),
            )
        })
        .collect();
    assert_eq!(counts, [(1, 1, 1), (2, 1, 2), (1, 0, 0)]);
    let markdown = gateway
        .markdown(
            "oci_network_list_security_lists",
            json!({ "compartment_id": COMPARTMENT, "vcn_id": "ocid1.vcn.oc1.iad.v2" }),
        )
        .await;
    assert!(
        markdown.starts_with("| name | state | ingress | egress | ingress from anywhere | id |"),
        "{markdown}"
    );
    assert!(
        markdown.contains("| dns | AVAILABLE | 1 | 0 | 0 | ocid1.securitylist.oc1.iad.s3 |"),
        "{markdown}"
    );
    assert!(markdown.ends_with("\n1 item\n"), "{markdown}");

    let refused = gateway
        .error(
            "oci_network_list_subnets",
            json!({ "vcn_id": "ocid1.subnet.oc1.iad.s" }),
        )
        .await;
    assert!(
        refused.contains("invalid arguments: `vcn_id` = `ocid1.subnet.oc1.iad.s`")
            && refused.contains("`vcn`"),
        "{refused}"
    );
    assert!(
        gateway.requests_to("/20160918/subnets?").len() == 2,
        "nothing was asked"
    );
    let refused = gateway
        .error(
            "oci_network_list_vcns",
            json!({ "compartment": COMPARTMENT }),
        )
        .await;
    assert!(refused.contains("unknown field `compartment`"), "{refused}");
}

#[tokio::test]
async fn the_compartment_defaults_to_the_configured_one() {
    let gateway = OciGateway::start(&format!("compartment_id = \"{DEV}\"")).await;
    let vcns = gateway.json("oci_network_list_vcns", json!({})).await;
    assert_eq!(names(&vcns["items"]), ["vcn-dev"]);
    let lists = gateway
        .json("oci_network_list_security_lists", json!({}))
        .await;
    assert_eq!(names(&lists["items"]), ["dev-wide-open"]);
    assert_eq!(lists["items"][0]["ingress_from_anywhere"], 3);
}

#[tokio::test]
async fn one_vcn_is_shown_with_its_subnets_security_lists_and_nsgs() {
    let gateway = OciGateway::start("").await;
    let vcn = gateway
        .json("oci_network_get_vcn", json!({ "vcn_id": VCN }))
        .await;
    assert_eq!(vcn["name"], "vcn1");
    assert_eq!(vcn["cidr_blocks"], json!(["10.0.0.0/16"]));
    assert_eq!(
        vcn["default_security_list_id"],
        "ocid1.securitylist.oc1.iad.s"
    );
    assert_eq!(names(&vcn["subnets"]), ["sub1", "sub2-private", "sub3-ad"]);
    assert_eq!(
        names(&vcn["security_lists"]),
        ["Default Security List", "web"]
    );
    assert_eq!(vcn["security_lists"][1]["ingress_rules"], 2);
    assert_eq!(names(&vcn["network_security_groups"]), ["nsg", "nsg-web"]);
    for path in ["subnets", "securityLists", "networkSecurityGroups"] {
        let asked = gateway
            .requests_to(&format!("/20160918/{path}?"))
            .pop()
            .unwrap_or_else(|| panic!("{path} listed"));
        assert!(
            asked
                .target
                .contains(&format!("compartmentId={COMPARTMENT}"))
                && asked.target.contains(&format!("vcnId={VCN}")),
            "{asked:?}"
        );
    }

    let markdown = gateway
        .markdown(
            "oci_network_get_vcn",
            json!({ "vcn_id": "ocid1.vcn.oc1.iad.v2", "include_subnets": false }),
        )
        .await;
    assert!(markdown.starts_with("## VCN vcn2\n"), "{markdown}");
    assert!(
        markdown.contains("- CIDR blocks: 10.1.0.0/16, 172.16.0.0/20\n"),
        "{markdown}"
    );
    assert!(
        markdown.contains("- domain name: vcn2.oraclevcn.com\n"),
        "{markdown}"
    );
    assert!(!markdown.contains("### Subnets"), "{markdown}");
    assert!(
        markdown.contains("### Security lists (1)\n")
            && markdown.contains("| dns | AVAILABLE | 1 | 0 | 0 |"),
        "{markdown}"
    );
    assert!(
        markdown.contains("### Network security groups (1)\n")
            && markdown
                .contains("| nsg-db | PROVISIONING | ocid1.networksecuritygroup.oc1.iad.n3 |"),
        "{markdown}"
    );
    let subnet_lists = gateway.requests_to("/20160918/subnets?");
    assert_eq!(subnet_lists.len(), 1, "subnets were not asked for again");

    let missing = gateway
        .error(
            "oci_network_get_vcn",
            json!({ "vcn_id": "ocid1.vcn.oc1.iad.nosuch" }),
        )
        .await;
    assert!(
        missing.contains("NotAuthorizedOrNotFound (404)")
            && missing.contains("Suggestion: check the OCID"),
        "{missing}"
    );
    let refused = gateway
        .error("oci_network_get_vcn", json!({ "vcn_id": "vcn1" }))
        .await;
    assert!(refused.contains("is not an OCID"), "{refused}");
}

/// `(severity, location, ports)` of each finding.
fn findings(analysis: &Value) -> Vec<(String, String, String)> {
    analysis["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            let text = |k: &str| f[k].as_str().unwrap_or_default().to_owned();
            (text("severity"), text("location"), text("ports"))
        })
        .collect()
}

fn finding(severity: &str, location: &str, ports: &str) -> (String, String, String) {
    (severity.to_owned(), location.to_owned(), ports.to_owned())
}

#[tokio::test]
async fn the_analysis_finds_open_ssh_in_a_security_list_and_rdp_in_an_nsg() {
    let gateway = OciGateway::start("").await;
    let analysis = gateway
        .json(
            "oci_network_analyze_security",
            json!({ "compartment_id": COMPARTMENT }),
        )
        .await;
    assert_eq!(
        findings(&analysis),
        [
            finding("HIGH", "security list \"Default Security List\"", "22"),
            finding("HIGH", "network security group \"nsg-web\"", "3389"),
        ]
    );
    assert_eq!(analysis["security_lists_checked"], 3);
    assert_eq!(analysis["nsgs_checked"], 3);
    assert_eq!(analysis["ingress_rules_checked"], 8);
    assert_eq!(
        analysis["summary"],
        json!({ "critical": 0, "high": 2, "medium": 0, "low": 0 })
    );
    let ssh = &analysis["findings"][0];
    assert_eq!(ssh["source"], "0.0.0.0/0");
    assert_eq!(ssh["protocol"], "TCP");
    assert_eq!(ssh["location_id"], "ocid1.securitylist.oc1.iad.s");
    assert_eq!(ssh["reason"], "SSH (22) is open to the internet");
    assert!(
        ssh["suggestion"]
            .as_str()
            .is_some_and(|s| s.contains("bastion")),
        "{ssh}"
    );
    assert_eq!(
        analysis["findings"][1]["rule_description"],
        "vendor RDP access"
    );
    // Every NSG's ingress rules were read, and only those.
    let rules = gateway.requests_to("/20160918/networkSecurityGroups/");
    let targets: Vec<&str> = rules.iter().map(|r| r.target.as_str()).collect();
    assert_eq!(
        targets,
        [
            "/20160918/networkSecurityGroups/ocid1.networksecuritygroup.oc1.iad.n/securityRules?direction=INGRESS&limit=100",
            "/20160918/networkSecurityGroups/ocid1.networksecuritygroup.oc1.iad.n2/securityRules?direction=INGRESS&limit=100",
            "/20160918/networkSecurityGroups/ocid1.networksecuritygroup.oc1.iad.n3/securityRules?direction=INGRESS&limit=100",
        ]
    );

    // By VCN: its compartment comes from the VCN; vcn2's list and NSG are left out.
    let markdown = gateway
        .markdown("oci_network_analyze_security", json!({ "vcn_id": VCN }))
        .await;
    assert!(
        markdown.starts_with(&format!("## Ingress analysis of VCN \"vcn1\" ({VCN})\n")),
        "{markdown}"
    );
    assert!(
        markdown.contains("Checked 2 security lists and 2 network security groups (6 ingress rules): 0 critical, 2 high, 0 medium, 0 low."),
        "{markdown}"
    );
    assert!(
        markdown.contains("| HIGH | security list \"Default Security List\" | 0.0.0.0/0 | TCP | 22 | SSH (22) is open to the internet |"),
        "{markdown}"
    );
    assert!(
        markdown.contains("| HIGH | network security group \"nsg-web\" | 0.0.0.0/0 | TCP | 3389 | RDP (3389) is open to the internet |"),
        "{markdown}"
    );

    // One security list: all protocols and MongoDB over IPv6 are critical, the wide
    // range medium, worst first.
    let dev = gateway
        .json(
            "oci_network_analyze_security",
            json!({ "security_list_id": "ocid1.securitylist.oc1.iad.sdev" }),
        )
        .await;
    let list = "security list \"dev-wide-open\"";
    assert_eq!(
        findings(&dev),
        [
            finding("CRITICAL", list, "all"),
            finding("CRITICAL", list, "27017"),
            finding("MEDIUM", list, "8000-9000"),
        ]
    );
    assert_eq!(dev["findings"][0]["protocol"], "all");
    assert_eq!(dev["findings"][1]["source"], "::/0");
    assert_eq!(
        dev["findings"][2]["reason"],
        "a wide range of 1001 TCP ports is open to the internet"
    );
    assert_eq!(dev["scope"], list);
    assert_eq!(dev["nsgs_checked"], 0);

    // One NSG; NSGs left out.
    let web = gateway
        .json(
            "oci_network_analyze_security",
            json!({ "nsg_id": "ocid1.networksecuritygroup.oc1.iad.n2" }),
        )
        .await;
    assert_eq!(
        findings(&web),
        [finding(
            "HIGH",
            "network security group \"nsg-web\"",
            "3389"
        )]
    );
    let before = gateway.requests_to("/20160918/networkSecurityGroups").len();
    let lists_only = gateway
        .json(
            "oci_network_analyze_security",
            json!({ "compartment_id": COMPARTMENT, "include_nsgs": false }),
        )
        .await;
    assert_eq!(lists_only["nsgs_checked"], 0);
    assert_eq!(findings(&lists_only).len(), 1);
    assert_eq!(
        gateway.requests_to("/20160918/networkSecurityGroups").len(),
        before,
        "no NSG was read"
    );

    // An NSG open only inside the VCN has nothing to report.
    let markdown = gateway
        .markdown(
            "oci_network_analyze_security",
            json!({ "nsg_id": "ocid1.networksecuritygroup.oc1.iad.g" }),
        )
        .await;
    assert!(
        markdown.contains("No ingress rule opens a risky port to the internet."),
        "{markdown}"
    );

    let refused = gateway
        .error(
            "oci_network_analyze_security",
            json!({ "security_list_id": VCN }),
        )
        .await;
    assert!(
        refused.contains("invalid arguments: `security_list_id`")
            && refused.contains("securitylist"),
        "{refused}"
    );
    let missing = gateway
        .error(
            "oci_network_analyze_security",
            json!({ "nsg_id": "ocid1.networksecuritygroup.oc1.iad.nosuch" }),
        )
        .await;
    assert!(missing.contains("NotAuthorizedOrNotFound"), "{missing}");
}
