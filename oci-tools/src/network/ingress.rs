//! The ingress analysis: which rules of security lists and network security groups let
//! the whole internet (0.0.0.0/0, ::/0) reach sensitive ports (remote administration, data
//! stores), all ports or all protocols, or a wide port range; each finding with its
//! severity, where it is and a fix. Pure rules over OCI's models, plus the reads that
//! gather them ([`exposure`], [`analyze_compartment`]).

use std::collections::BTreeSet;

use oci_api::Client;
use oci_api::ops::network::{
    IcmpOptions, IngressSecurityRule, ListInVcn, ListNetworkSecurityGroupSecurityRules,
    ListNetworkSecurityGroups, NetworkSecurityGroup, PortOptions, SecurityList, SecurityRule,
};
use schemars::JsonSchema;
use serde::Serialize;

use super::super::args;
use super::super::error::ToolError;
use super::super::output::{Markdown, Row, table};

/// How bad a finding is, from least to most.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Low => "LOW",
            Severity::Medium => "MEDIUM",
            Severity::High => "HIGH",
            Severity::Critical => "CRITICAL",
        }
    }

    /// `CRITICAL`, `HIGH`, `MEDIUM` or `LOW` (any case); Cloud Guard's `MINOR` is `LOW`.
    pub fn parse(text: &str) -> Option<Severity> {
        match text.to_ascii_uppercase().as_str() {
            "CRITICAL" => Some(Severity::Critical),
            "HIGH" => Some(Severity::High),
            "MEDIUM" => Some(Severity::Medium),
            "LOW" | "MINOR" => Some(Severity::Low),
            _ => None,
        }
    }
}

/// Findings per severity.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, JsonSchema)]
pub struct SeverityCounts {
    pub critical: usize,
    pub high: usize,
    pub medium: usize,
    pub low: usize,
}

impl SeverityCounts {
    pub fn add(&mut self, severity: Severity) {
        match severity {
            Severity::Critical => self.critical += 1,
            Severity::High => self.high += 1,
            Severity::Medium => self.medium += 1,
            Severity::Low => self.low += 1,
        }
    }

    /// Counts of the given severities (unknown names are not counted).
    pub fn of<'a>(severities: impl IntoIterator<Item = &'a str>) -> Self {
        let mut counts = SeverityCounts::default();
        for severity in severities.into_iter().filter_map(Severity::parse) {
            counts.add(severity);
        }
        counts
    }
}

impl std::fmt::Display for SeverityCounts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} critical, {} high, {} medium, {} low",
            self.critical, self.high, self.medium, self.low
        )
    }
}

/// An ingress rule that lets the internet in where it should not.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct IngressRisk {
    /// `CRITICAL`, `HIGH`, `MEDIUM` or `LOW`.
    pub severity: String,
    /// Where the rule is: `security list "<name>"` or `network security group "<name>"`.
    pub location: String,
    /// The OCID of that security list or network security group.
    pub location_id: String,
    /// The rule's source CIDR.
    pub source: String,
    /// `TCP`, `UDP`, `ICMP`, `ICMPv6`, `all` or the protocol number.
    pub protocol: String,
    /// Destination ports: `22`, `1521-1522`, or `all`.
    pub ports: String,
    /// Why it is risky.
    pub reason: String,
    /// How to fix it.
    pub suggestion: String,
    /// The rule's own description, when it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule_description: Option<String>,
}

impl IngressRisk {
    fn severity(&self) -> Severity {
        Severity::parse(&self.severity).unwrap_or(Severity::Low)
    }
}

impl Row for IngressRisk {
    const COLUMNS: &'static [&'static str] = &[
        "severity", "where", "source", "protocol", "ports", "reason", "fix", "id",
    ];
    fn cells(&self) -> Vec<String> {
        vec![
            self.severity.clone(),
            self.location.clone(),
            self.source.clone(),
            self.protocol.clone(),
            self.ports.clone(),
            self.reason.clone(),
            self.suggestion.clone(),
            self.location_id.clone(),
        ]
    }
}

/// What a service port is for, which decides the severity and the fix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Exposure {
    /// Remote administration: log-in or control of the host.
    Admin,
    /// A data store: its data, and often weak or no authentication.
    Data,
}

/// Which transport a sensitive port is sensitive on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Transport {
    Tcp,
    Udp,
}

/// A port that should never be reachable from the whole internet.
struct SensitivePort {
    port: u16,
    transport: Transport,
    service: &'static str,
    severity: Severity,
    exposure: Exposure,
}

const fn tcp(
    port: u16,
    service: &'static str,
    severity: Severity,
    exposure: Exposure,
) -> SensitivePort {
    SensitivePort {
        port,
        transport: Transport::Tcp,
        service,
        severity,
        exposure,
    }
}

const fn udp(
    port: u16,
    service: &'static str,
    severity: Severity,
    exposure: Exposure,
) -> SensitivePort {
    SensitivePort {
        port,
        transport: Transport::Udp,
        service,
        severity,
        exposure,
    }
}

/// Ports that should never be reachable from the whole internet.
const SENSITIVE_PORTS: &[SensitivePort] = &[
    tcp(22, "SSH", Severity::High, Exposure::Admin),
    tcp(23, "Telnet", Severity::Critical, Exposure::Admin),
    tcp(135, "MS RPC", Severity::High, Exposure::Admin),
    tcp(139, "NetBIOS", Severity::High, Exposure::Admin),
    tcp(445, "SMB", Severity::Critical, Exposure::Admin),
    tcp(1433, "SQL Server", Severity::Critical, Exposure::Data),
    tcp(1521, "Oracle DB", Severity::Critical, Exposure::Data),
    tcp(1522, "Oracle DB", Severity::Critical, Exposure::Data),
    tcp(2375, "Docker API", Severity::Critical, Exposure::Admin),
    tcp(2376, "Docker API (TLS)", Severity::High, Exposure::Admin),
    tcp(2379, "etcd", Severity::Critical, Exposure::Data),
    tcp(3306, "MySQL", Severity::Critical, Exposure::Data),
    tcp(3389, "RDP", Severity::High, Exposure::Admin),
    tcp(5432, "PostgreSQL", Severity::Critical, Exposure::Data),
    tcp(5601, "Kibana", Severity::High, Exposure::Admin),
    tcp(5900, "VNC", Severity::High, Exposure::Admin),
    tcp(5984, "CouchDB", Severity::Critical, Exposure::Data),
    tcp(6379, "Redis", Severity::Critical, Exposure::Data),
    tcp(9042, "Cassandra", Severity::Critical, Exposure::Data),
    tcp(9200, "Elasticsearch", Severity::Critical, Exposure::Data),
    tcp(9300, "Elasticsearch", Severity::Critical, Exposure::Data),
    tcp(10250, "kubelet", Severity::Critical, Exposure::Admin),
    tcp(11211, "Memcached", Severity::Critical, Exposure::Data),
    tcp(27017, "MongoDB", Severity::Critical, Exposure::Data),
    tcp(33060, "MySQL X", Severity::Critical, Exposure::Data),
    udp(161, "SNMP", Severity::High, Exposure::Admin),
    udp(623, "IPMI", Severity::High, Exposure::Admin),
    udp(11211, "Memcached", Severity::Critical, Exposure::Data),
];

/// Ports meant to be public: a rule opening only these is not a finding.
const PUBLIC_PORTS: [u16; 2] = [80, 443];

/// A range wider than this, open to the internet, is a finding of its own.
const WIDE_RANGE: u32 = 100;

/// An ingress rule, from a security list or an NSG.
struct Ingress<'a> {
    protocol: &'a str,
    source: Option<&'a str>,
    source_type: Option<&'a str>,
    tcp: Option<&'a PortOptions>,
    udp: Option<&'a PortOptions>,
    icmp: Option<&'a IcmpOptions>,
    description: Option<&'a str>,
}

impl<'a> From<&'a IngressSecurityRule> for Ingress<'a> {
    fn from(rule: &'a IngressSecurityRule) -> Self {
        Ingress {
            protocol: rule.protocol.as_deref().unwrap_or("all"),
            source: rule.source.as_deref(),
            source_type: rule.source_type.as_deref(),
            tcp: rule.tcp_options.as_ref(),
            udp: rule.udp_options.as_ref(),
            icmp: rule.icmp_options.as_ref(),
            description: rule.description.as_deref(),
        }
    }
}

impl<'a> From<&'a SecurityRule> for Ingress<'a> {
    fn from(rule: &'a SecurityRule) -> Self {
        Ingress {
            protocol: rule.protocol.as_deref().unwrap_or("all"),
            source: rule.source.as_deref(),
            source_type: rule.source_type.as_deref(),
            tcp: rule.tcp_options.as_ref(),
            udp: rule.udp_options.as_ref(),
            icmp: rule.icmp_options.as_ref(),
            description: rule.description.as_deref(),
        }
    }
}

/// Whether a rule's source is the whole internet: a CIDR block with prefix length 0.
pub(super) fn from_anywhere(source: Option<&str>, source_type: Option<&str>) -> bool {
    let is_cidr = matches!(source_type, None | Some("CIDR_BLOCK"));
    is_cidr
        && source
            .and_then(|s| s.trim().split_once('/'))
            .is_some_and(|(_, prefix)| prefix.trim().parse::<u8>() == Ok(0))
}

fn protocol_name(protocol: &str) -> String {
    match protocol {
        "6" => "TCP".to_owned(),
        "17" => "UDP".to_owned(),
        "1" => "ICMP".to_owned(),
        "58" => "ICMPv6".to_owned(),
        other => other.to_owned(),
    }
}

/// What to do about a rule open to the internet.
fn fix_for(exposure: Option<Exposure>) -> &'static str {
    match exposure {
        Some(Exposure::Admin) => {
            "allow this port only from a bastion or VPN CIDR (or use the OCI Bastion service), not 0.0.0.0/0"
        }
        Some(Exposure::Data) => {
            "keep data stores private: allow the port only from the application subnets or NSGs, or use a private endpoint"
        }
        None => "restrict the source to known CIDRs and open only the ports the workload serves",
    }
}

/// The risk of one ingress rule at `location`, if it has one.
fn assess(rule: &Ingress<'_>, location: &str, location_id: &str) -> Option<IngressRisk> {
    if !from_anywhere(rule.source, rule.source_type) {
        return None;
    }
    let risk = |severity: Severity, ports: String, reason: String, suggestion: &str| {
        Some(IngressRisk {
            severity: severity.as_str().to_owned(),
            location: location.to_owned(),
            location_id: location_id.to_owned(),
            source: rule.source.unwrap_or_default().to_owned(),
            protocol: protocol_name(rule.protocol),
            ports,
            reason,
            suggestion: suggestion.to_owned(),
            rule_description: rule.description.map(str::to_owned),
        })
    };
    let (transport, options) = match rule.protocol {
        "all" => {
            return risk(
                Severity::Critical,
                "all".to_owned(),
                "every protocol and port is open to the internet".to_owned(),
                fix_for(None),
            );
        }
        "6" => (Transport::Tcp, rule.tcp),
        "17" => (Transport::Udp, rule.udp),
        "1" | "58" => {
            return match rule.icmp {
                Some(_) => None,
                None => risk(
                    Severity::Low,
                    "all".to_owned(),
                    "every ICMP type is accepted from the internet (host discovery)".to_owned(),
                    "allow only ICMP type 3 code 4 (path MTU discovery) from anywhere, other types from known CIDRs",
                ),
            };
        }
        other => {
            return risk(
                Severity::Medium,
                "all".to_owned(),
                format!("IP protocol {other} is open to the internet"),
                fix_for(None),
            );
        }
    };
    let range = options.and_then(|o| o.destination_port_range);
    let (min, max) = range.map_or((1, 65535), |r| (r.min, r.max));
    let transport_name = protocol_name(rule.protocol);
    if min <= 1 && max == 65535 {
        return risk(
            Severity::Critical,
            "all".to_owned(),
            format!("every {transport_name} port is open to the internet"),
            fix_for(None),
        );
    }
    let ports = if min == max {
        min.to_string()
    } else {
        format!("{min}-{max}")
    };
    let hit: Vec<&SensitivePort> = SENSITIVE_PORTS
        .iter()
        .filter(|p| p.transport == transport && (min..=max).contains(&p.port))
        .collect();
    if let Some(worst) = hit.iter().max_by_key(|p| p.severity) {
        let names: Vec<String> = hit
            .iter()
            .take(6)
            .map(|p| format!("{} ({})", p.service, p.port))
            .collect();
        let more = match hit.len().saturating_sub(6) {
            0 => String::new(),
            n => format!(" and {n} more"),
        };
        let verb = if hit.len() == 1 { "is" } else { "are" };
        let reason = if min == max {
            format!("{} {verb} open to the internet", names.join(", "))
        } else {
            format!(
                "the range {ports} opens {}{more} to the internet",
                names.join(", ")
            )
        };
        return risk(worst.severity, ports, reason, fix_for(Some(worst.exposure)));
    }
    let width = u32::from(max) - u32::from(min) + 1;
    if width > WIDE_RANGE {
        return risk(
            Severity::Medium,
            ports,
            format!("a wide range of {width} {transport_name} ports is open to the internet"),
            "open only the ports the service listens on, and only to the clients that need them",
        );
    }
    if (min..=max).all(|port| PUBLIC_PORTS.contains(&port)) {
        return None;
    }
    let which = if min == max { "port" } else { "ports" };
    let reason = format!(
        "{transport_name} {which} {ports} is reachable from the internet; confirm it is meant to be public"
    );
    risk(Severity::Low, ports, reason, fix_for(None))
}

/// The risky ingress rules of a security list.
pub fn security_list_risks(list: &SecurityList) -> Vec<IngressRisk> {
    let location = format!(
        "security list \"{}\"",
        list.display_name.as_deref().unwrap_or(&list.id)
    );
    list.ingress_security_rules
        .iter()
        .filter_map(|rule| assess(&Ingress::from(rule), &location, &list.id))
        .collect()
}

/// The risky ingress rules of a network security group (egress rules are skipped).
pub fn nsg_risks(group: &NetworkSecurityGroup, rules: &[SecurityRule]) -> Vec<IngressRisk> {
    let location = format!(
        "network security group \"{}\"",
        group.display_name.as_deref().unwrap_or(&group.id)
    );
    rules
        .iter()
        .filter(|rule| rule.direction.as_deref().is_none_or(|d| d == "INGRESS"))
        .filter_map(|rule| assess(&Ingress::from(rule), &location, &group.id))
        .collect()
}

/// Worst first; equal ones keep their order.
fn sort_risks(risks: &mut [IngressRisk]) {
    risks.sort_by_key(|risk| std::cmp::Reverse(risk.severity()));
}

/// The ingress rules of a network security group, every page.
pub(super) async fn nsg_ingress_rules(
    client: &Client,
    nsg_id: &str,
) -> Result<Vec<SecurityRule>, ToolError> {
    let list = ListNetworkSecurityGroupSecurityRules {
        limit: Some(args::MAX_LIMIT),
        ..ListNetworkSecurityGroupSecurityRules::ingress(nsg_id)
    };
    Ok(client
        .list_network_security_group_security_rules(&list)
        .collect(None)
        .await?)
}

/// The risky ingress rules that apply to the given subnets (through their security lists)
/// and network security groups, worst first. Security lists shared by several subnets, and
/// repeated ids, are checked once.
pub async fn exposure(
    client: &Client,
    subnet_ids: &[String],
    nsg_ids: &[String],
) -> Result<Vec<IngressRisk>, ToolError> {
    let mut seen = BTreeSet::new();
    let mut list_ids: Vec<String> = Vec::new();
    for subnet_id in subnet_ids.iter().filter(|id| seen.insert(id.as_str())) {
        let subnet = client.get_subnet(subnet_id).await?;
        for id in subnet.security_list_ids {
            if !list_ids.contains(&id) {
                list_ids.push(id);
            }
        }
    }
    let mut risks = Vec::new();
    for id in &list_ids {
        risks.extend(security_list_risks(&client.get_security_list(id).await?));
    }
    for nsg_id in nsg_ids.iter().filter(|id| seen.insert(id.as_str())) {
        let group = client.get_network_security_group(nsg_id).await?;
        let rules = nsg_ingress_rules(client, nsg_id).await?;
        risks.extend(nsg_risks(&group, &rules));
    }
    sort_risks(&mut risks);
    Ok(risks)
}

/// The ingress analysis of some security lists and NSGs.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct SecurityAnalysis {
    /// What was checked: a compartment, a VCN, a security list or an NSG.
    pub scope: String,
    pub security_lists_checked: usize,
    pub nsgs_checked: usize,
    pub ingress_rules_checked: usize,
    pub summary: SeverityCounts,
    /// Worst first.
    pub findings: Vec<IngressRisk>,
}

impl SecurityAnalysis {
    pub(super) fn new(scope: String) -> Self {
        SecurityAnalysis {
            scope,
            security_lists_checked: 0,
            nsgs_checked: 0,
            ingress_rules_checked: 0,
            summary: SeverityCounts::default(),
            findings: Vec::new(),
        }
    }

    pub(super) fn add_security_list(&mut self, list: &SecurityList) {
        self.security_lists_checked += 1;
        self.ingress_rules_checked += list.ingress_security_rules.len();
        self.findings.extend(security_list_risks(list));
    }

    pub(super) fn add_nsg(&mut self, group: &NetworkSecurityGroup, rules: &[SecurityRule]) {
        self.nsgs_checked += 1;
        self.ingress_rules_checked += rules
            .iter()
            .filter(|rule| rule.direction.as_deref().is_none_or(|d| d == "INGRESS"))
            .count();
        self.findings.extend(nsg_risks(group, rules));
    }

    pub(super) fn finish(mut self) -> Self {
        sort_risks(&mut self.findings);
        self.summary = SeverityCounts::of(self.findings.iter().map(|f| f.severity.as_str()));
        self
    }
}

impl Markdown for SecurityAnalysis {
    fn markdown(&self) -> String {
        let mut text = format!("## Ingress analysis of {}\n", self.scope);
        text.push_str(&format!(
            "Checked {} security lists and {} network security groups ({} ingress rules): {}.\n\n",
            self.security_lists_checked,
            self.nsgs_checked,
            self.ingress_rules_checked,
            self.summary
        ));
        if self.findings.is_empty() {
            text.push_str("No ingress rule opens a risky port to the internet.\n");
        } else {
            text.push_str(&table(
                IngressRisk::COLUMNS,
                self.findings.iter().map(Row::cells),
            ));
        }
        text
    }
}

/// The ingress analysis of every security list and NSG of a compartment (of one VCN
/// when `vcn_id` is given). `include_nsgs` false skips the NSGs.
pub async fn analyze_compartment(
    client: &Client,
    compartment_id: &str,
    vcn_id: Option<&str>,
    include_nsgs: bool,
    scope: String,
) -> Result<SecurityAnalysis, ToolError> {
    let mut analysis = SecurityAnalysis::new(scope);
    let in_vcn = ListInVcn {
        vcn_id: vcn_id.map(str::to_owned),
        limit: Some(args::MAX_LIMIT),
        ..ListInVcn::new(compartment_id)
    };
    for list in client.list_security_lists(&in_vcn).collect(None).await? {
        analysis.add_security_list(&list);
    }
    if include_nsgs {
        let groups = ListNetworkSecurityGroups {
            vcn_id: vcn_id.map(str::to_owned),
            limit: Some(args::MAX_LIMIT),
            ..ListNetworkSecurityGroups::in_compartment(compartment_id)
        };
        for group in client
            .list_network_security_groups(&groups)
            .collect(None)
            .await?
        {
            let rules = nsg_ingress_rules(client, &group.id).await?;
            analysis.add_nsg(&group, &rules);
        }
    }
    Ok(analysis.finish())
}

#[cfg(test)]
mod tests {
    use oci_api::ops::network::PortRange;

    use super::*;

    fn tcp(source: &str, min: u16, max: u16) -> IngressSecurityRule {
        IngressSecurityRule {
            protocol: Some("6".into()),
            source: Some(source.into()),
            source_type: Some("CIDR_BLOCK".into()),
            tcp_options: Some(PortOptions {
                destination_port_range: Some(PortRange { min, max }),
                source_port_range: None,
            }),
            ..Default::default()
        }
    }

    fn risk_of(rule: &IngressSecurityRule) -> Option<IngressRisk> {
        assess(
            &Ingress::from(rule),
            "security list \"x\"",
            "ocid1.securitylist.oc1..x",
        )
    }

    #[test]
    fn only_rules_open_to_the_whole_internet_are_risks() {
        assert!(risk_of(&tcp("10.0.0.0/16", 22, 22)).is_none());
        assert!(risk_of(&tcp("203.0.113.0/24", 3389, 3389)).is_none());
        let ssh = risk_of(&tcp("0.0.0.0/0", 22, 22)).expect("SSH from anywhere");
        assert_eq!(
            (
                ssh.severity.as_str(),
                ssh.ports.as_str(),
                ssh.protocol.as_str()
            ),
            ("HIGH", "22", "TCP")
        );
        assert_eq!(ssh.reason, "SSH (22) is open to the internet");
        assert!(ssh.suggestion.contains("bastion"), "{}", ssh.suggestion);
        let v6 = risk_of(&tcp("::/0", 5432, 5432)).expect("PostgreSQL from anywhere");
        assert_eq!(v6.severity, "CRITICAL");
        assert!(v6.suggestion.contains("private"), "{}", v6.suggestion);
        let service = IngressSecurityRule {
            source_type: Some("SERVICE_CIDR_BLOCK".into()),
            source: Some("all-iad-services-in-oracle-services-network".into()),
            ..tcp("", 22, 22)
        };
        assert!(risk_of(&service).is_none());
    }

    #[test]
    fn ranges_all_ports_and_all_protocols_are_rated() {
        let range = risk_of(&tcp("0.0.0.0/0", 1500, 3400)).expect("range");
        assert_eq!(range.severity, "CRITICAL");
        assert_eq!(range.ports, "1500-3400");
        assert_eq!(
            range.reason,
            "the range 1500-3400 opens Oracle DB (1521), Oracle DB (1522), Docker API (2375), Docker API (TLS) (2376), etcd (2379), MySQL (3306) and 1 more to the internet"
        );
        let wide = risk_of(&tcp("0.0.0.0/0", 40000, 41000)).expect("wide");
        assert_eq!(wide.severity, "MEDIUM");
        assert!(wide.reason.contains("1001 TCP ports"), "{}", wide.reason);
        assert!(risk_of(&tcp("0.0.0.0/0", 443, 443)).is_none());
        assert!(risk_of(&tcp("0.0.0.0/0", 80, 80)).is_none());
        let other = risk_of(&tcp("0.0.0.0/0", 8080, 8080)).expect("8080");
        assert_eq!(other.severity, "LOW");
        assert!(
            other.reason.starts_with("TCP port 8080 is reachable"),
            "{}",
            other.reason
        );
        let every_tcp = IngressSecurityRule {
            tcp_options: None,
            ..tcp("0.0.0.0/0", 0, 0)
        };
        let every = risk_of(&every_tcp).expect("all TCP ports");
        assert_eq!(
            (every.severity.as_str(), every.ports.as_str()),
            ("CRITICAL", "all")
        );
        let all = IngressSecurityRule {
            protocol: Some("all".into()),
            source: Some("0.0.0.0/0".into()),
            ..Default::default()
        };
        let all = risk_of(&all).expect("all protocols");
        assert_eq!(
            (all.severity.as_str(), all.protocol.as_str()),
            ("CRITICAL", "all")
        );
        let mtu = IngressSecurityRule {
            protocol: Some("1".into()),
            source: Some("0.0.0.0/0".into()),
            icmp_options: Some(IcmpOptions {
                icmp_type: Some(3),
                code: Some(4),
            }),
            ..Default::default()
        };
        assert!(risk_of(&mtu).is_none(), "path MTU discovery is expected");
        let udp_snmp = IngressSecurityRule {
            protocol: Some("17".into()),
            source: Some("0.0.0.0/0".into()),
            udp_options: Some(PortOptions {
                destination_port_range: Some(PortRange { min: 161, max: 161 }),
                source_port_range: None,
            }),
            ..Default::default()
        };
        let snmp = risk_of(&udp_snmp).expect("SNMP");
        assert_eq!(
            (snmp.severity.as_str(), snmp.protocol.as_str()),
            ("HIGH", "UDP")
        );
        // SSH is a TCP service: UDP 22 is only a low finding.
        let udp_22 = IngressSecurityRule {
            udp_options: Some(PortOptions {
                destination_port_range: Some(PortRange { min: 22, max: 22 }),
                source_port_range: None,
            }),
            ..udp_snmp
        };
        assert_eq!(risk_of(&udp_22).expect("udp 22").severity, "LOW");
    }

    #[test]
    fn nsg_egress_rules_are_not_ingress_risks() {
        let group = NetworkSecurityGroup {
            id: "ocid1.networksecuritygroup.oc1..n".into(),
            display_name: Some("web".into()),
            ..Default::default()
        };
        let rules = [
            SecurityRule {
                direction: Some("EGRESS".into()),
                protocol: Some("all".into()),
                destination: Some("0.0.0.0/0".into()),
                ..Default::default()
            },
            SecurityRule {
                direction: Some("INGRESS".into()),
                protocol: Some("6".into()),
                source: Some("0.0.0.0/0".into()),
                source_type: Some("CIDR_BLOCK".into()),
                tcp_options: Some(PortOptions {
                    destination_port_range: Some(PortRange {
                        min: 3389,
                        max: 3389,
                    }),
                    source_port_range: None,
                }),
                description: Some("RDP".into()),
                ..Default::default()
            },
        ];
        let risks = nsg_risks(&group, &rules);
        assert_eq!(risks.len(), 1);
        assert_eq!(risks[0].location, "network security group \"web\"");
        assert_eq!(risks[0].rule_description.as_deref(), Some("RDP"));
    }

    #[test]
    fn severities_parse_and_count() {
        assert_eq!(Severity::parse("minor"), Some(Severity::Low));
        assert_eq!(Severity::parse("bad"), None);
        let counts = SeverityCounts::of(["HIGH", "CRITICAL", "HIGH", "LOW", "x"]);
        assert_eq!(
            (counts.critical, counts.high, counts.medium, counts.low),
            (1, 2, 0, 1)
        );
    }
}
