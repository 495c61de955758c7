//! Network tools: VCNs, subnets and security lists, and an analysis of ingress rules in
//! security lists and network security groups that finds what the internet can reach
//! (sensitive ports, all ports, all protocols, wide port ranges), each finding with a fix.
//! The rules live in [`ingress`]; [`exposure`] runs them for given subnets and NSGs (the
//! troubleshooting skills), [`analyze_compartment`] for one compartment (the security
//! audit). Owns no state and changes nothing in OCI.

mod ingress;

use oci_api::ops::network::{
    ListInVcn, ListNetworkSecurityGroups, ListVcns, SecurityList, Subnet, Vcn,
};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::args::{self, ocid, ocid_opt};
use super::error::ToolError;
use super::output::{Markdown, Paged, Row, fields, opt, table};
use super::toolbox::{Call, Domain, Effect, ToolDef, tool};

pub use ingress::{
    IngressRisk, SecurityAnalysis, Severity, SeverityCounts, analyze_compartment, exposure,
};
use ingress::{from_anywhere, nsg_ingress_rules};

pub fn tools() -> Vec<ToolDef> {
    vec![
        tool(
            "oci_network_list_vcns",
            Domain::Network,
            Effect::Read,
            "List the VCNs of a compartment (default: the configured compartment, else the tenancy) with their CIDR blocks, DNS label and state, optionally filtered by lifecycle state or display name. Pages with limit and cursor.",
            list_vcns,
        ),
        tool(
            "oci_network_get_vcn",
            Domain::Network,
            Effect::Read,
            "Get one VCN (CIDRs, DNS, default route table and security list) with the subnets, security lists (with rule counts) and network security groups found in the VCN's compartment.",
            get_vcn,
        ),
        tool(
            "oci_network_list_subnets",
            Domain::Network,
            Effect::Read,
            "List the subnets of a compartment (default: the configured compartment, else the tenancy), optionally of one VCN: CIDR, public or private, regional or AD-specific, security lists. Pages with limit and cursor.",
            list_subnets,
        ),
        tool(
            "oci_network_list_security_lists",
            Domain::Network,
            Effect::Read,
            "List the security lists of a compartment (default: the configured compartment, else the tenancy), optionally of one VCN, with their ingress and egress rule counts and how many ingress rules accept traffic from anywhere (0.0.0.0/0 or ::/0). Pages with limit and cursor.",
            list_security_lists,
        ),
        tool(
            "oci_network_analyze_security",
            Domain::Network,
            Effect::Read,
            "Find risky ingress rules in security lists and network security groups: sources 0.0.0.0/0 or ::/0 reaching remote-admin ports (SSH 22, RDP 3389, VNC, SMB, ...) or data stores (Oracle DB 1521/1522, MySQL 3306, PostgreSQL 5432, Redis 6379, Elasticsearch 9200, MongoDB 27017, ...), all protocols or all ports open to the internet, and wide port ranges. Checks one security list or NSG, one VCN, or a whole compartment (default: the configured compartment, else the tenancy). Each finding has a severity (CRITICAL, HIGH, MEDIUM, LOW), where it is, the rule and a fix.",
            analyze_security,
        ),
    ]
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct AnalyzeArgs {
    /// Compartment whose security lists and NSGs to check; default: the VCN's compartment
    /// when `vcn_id` is given, else the configured compartment, else the tenancy.
    compartment_id: Option<String>,
    /// Only the security lists and NSGs of this VCN.
    vcn_id: Option<String>,
    /// Check only this security list (with `nsg_id`, this list and that NSG).
    security_list_id: Option<String>,
    /// Check only this network security group (with `security_list_id`, both).
    nsg_id: Option<String>,
    /// Also check the network security groups (default true).
    #[serde(default = "args::default_true")]
    include_nsgs: bool,
}

async fn analyze_security(call: Call, args: AnalyzeArgs) -> Result<SecurityAnalysis, ToolError> {
    ocid_opt("vcn_id", args.vcn_id.as_deref(), &["vcn"])?;
    ocid_opt(
        "security_list_id",
        args.security_list_id.as_deref(),
        &["securitylist"],
    )?;
    ocid_opt("nsg_id", args.nsg_id.as_deref(), &["networksecuritygroup"])?;
    if let Some(given) = &args.compartment_id {
        ocid("compartment_id", given, &["compartment", "tenancy"])?;
    }
    let client = call.client().await?;
    if args.security_list_id.is_some() || args.nsg_id.is_some() {
        let mut scope = Vec::new();
        let mut analysis = SecurityAnalysis::new(String::new());
        if let Some(id) = &args.security_list_id {
            let list = client.get_security_list(id).await?;
            scope.push(format!(
                "security list \"{}\"",
                list.display_name.as_deref().unwrap_or(id)
            ));
            analysis.add_security_list(&list);
        }
        if let Some(id) = &args.nsg_id {
            let group = client.get_network_security_group(id).await?;
            let rules = nsg_ingress_rules(&client, id).await?;
            scope.push(format!(
                "network security group \"{}\"",
                group.display_name.as_deref().unwrap_or(id)
            ));
            analysis.add_nsg(&group, &rules);
        }
        analysis.scope = scope.join(" and ");
        return Ok(analysis.finish());
    }
    let (compartment, scope) = match (&args.vcn_id, args.compartment_id) {
        (Some(vcn_id), given) => {
            let vcn = client.get_vcn(vcn_id).await?;
            let compartment = match given {
                Some(given) => given,
                None => vcn
                    .compartment_id
                    .clone()
                    .unwrap_or_else(|| client.tenancy().to_owned()),
            };
            let name = vcn.display_name.as_deref().unwrap_or(vcn_id);
            (compartment, format!("VCN \"{name}\" ({vcn_id})"))
        }
        (None, given) => {
            let compartment = call.compartment(given).await?;
            let scope = format!("compartment {compartment}");
            (compartment, scope)
        }
    };
    analyze_compartment(
        &client,
        &compartment,
        args.vcn_id.as_deref(),
        args.include_nsgs,
        scope,
    )
    .await
}

// ---------------------------------------------------------------------------------------
// Listing.

/// The items of one page of a list, and the token of the next.

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct ListVcnsArgs {
    /// Compartment OCID; default: the configured compartment, else the tenancy.
    compartment_id: Option<String>,
    /// AVAILABLE, PROVISIONING, UPDATING, TERMINATING or TERMINATED.
    lifecycle_state: Option<String>,
    /// Only VCNs with exactly this display name.
    display_name: Option<String>,
    /// Items per page (default 50, at most 100).
    limit: Option<u32>,
    /// `next_cursor` of the previous page.
    cursor: Option<String>,
}

/// A VCN as lists show it.
#[derive(Debug, Serialize, JsonSchema)]
pub struct VcnItem {
    pub id: String,
    pub name: Option<String>,
    pub lifecycle_state: Option<String>,
    pub compartment_id: Option<String>,
    pub cidr_blocks: Vec<String>,
    pub ipv6_cidr_blocks: Vec<String>,
    pub dns_label: Option<String>,
    pub time_created: Option<String>,
}

impl VcnItem {
    fn of(vcn: Vcn) -> Self {
        let cidr_blocks = if vcn.cidr_blocks.is_empty() {
            vcn.cidr_block.into_iter().collect()
        } else {
            vcn.cidr_blocks
        };
        VcnItem {
            id: vcn.id,
            name: vcn.display_name,
            lifecycle_state: vcn.lifecycle_state,
            compartment_id: vcn.compartment_id,
            cidr_blocks,
            ipv6_cidr_blocks: vcn.ipv6_cidr_blocks,
            dns_label: vcn.dns_label,
            time_created: vcn.time_created,
        }
    }
}

impl Row for VcnItem {
    const COLUMNS: &'static [&'static str] = &["name", "state", "CIDR blocks", "DNS label", "id"];
    fn cells(&self) -> Vec<String> {
        let cidrs: Vec<&str> = self
            .cidr_blocks
            .iter()
            .chain(&self.ipv6_cidr_blocks)
            .map(String::as_str)
            .collect();
        vec![
            opt(self.name.as_deref()),
            opt(self.lifecycle_state.as_deref()),
            cidrs.join(", "),
            opt(self.dns_label.as_deref()),
            self.id.clone(),
        ]
    }
}

async fn list_vcns(call: Call, args: ListVcnsArgs) -> Result<Paged<VcnItem>, ToolError> {
    let compartment = call.compartment(args.compartment_id).await?;
    let client = call.client().await?;
    let list = ListVcns {
        lifecycle_state: args.lifecycle_state.map(|s| s.to_ascii_uppercase()),
        display_name: args.display_name,
        limit: Some(args::limit(args.limit)),
        ..ListVcns::new(compartment)
    };
    let (vcns, next) = args::one_page(client.list_vcns(&list), args.cursor).await?;
    Ok(Paged::new(
        vcns.into_iter().map(VcnItem::of).collect(),
        next,
    ))
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct ListInVcnArgs {
    /// Compartment OCID; default: the configured compartment, else the tenancy.
    compartment_id: Option<String>,
    /// Only those of this VCN.
    vcn_id: Option<String>,
    /// AVAILABLE, PROVISIONING, TERMINATING, TERMINATED (subnets also UPDATING).
    lifecycle_state: Option<String>,
    /// Only those with exactly this display name.
    display_name: Option<String>,
    /// Items per page (default 50, at most 100).
    limit: Option<u32>,
    /// `next_cursor` of the previous page.
    cursor: Option<String>,
}

impl ListInVcnArgs {
    async fn list(self, call: &Call) -> Result<(ListInVcn, Option<String>), ToolError> {
        ocid_opt("vcn_id", self.vcn_id.as_deref(), &["vcn"])?;
        let compartment = call.compartment(self.compartment_id).await?;
        let list = ListInVcn {
            vcn_id: self.vcn_id,
            lifecycle_state: self.lifecycle_state.map(|s| s.to_ascii_uppercase()),
            display_name: self.display_name,
            limit: Some(args::limit(self.limit)),
            ..ListInVcn::new(compartment)
        };
        Ok((list, self.cursor))
    }
}

/// A subnet as lists show it.
#[derive(Debug, Serialize, JsonSchema)]
pub struct SubnetItem {
    pub id: String,
    pub name: Option<String>,
    pub lifecycle_state: Option<String>,
    pub vcn_id: Option<String>,
    pub cidr_block: Option<String>,
    /// `public` (VNICs may get public IPs) or `private`.
    pub access: String,
    /// The availability domain of an AD-specific subnet; absent for a regional one.
    pub availability_domain: Option<String>,
    pub route_table_id: Option<String>,
    pub security_list_ids: Vec<String>,
    pub dns_label: Option<String>,
}

impl SubnetItem {
    fn of(subnet: Subnet) -> Self {
        let private = subnet.prohibit_public_ip_on_vnic == Some(true);
        SubnetItem {
            id: subnet.id,
            name: subnet.display_name,
            lifecycle_state: subnet.lifecycle_state,
            vcn_id: subnet.vcn_id,
            cidr_block: subnet.cidr_block,
            access: if private { "private" } else { "public" }.to_owned(),
            availability_domain: subnet.availability_domain,
            route_table_id: subnet.route_table_id,
            security_list_ids: subnet.security_list_ids,
            dns_label: subnet.dns_label,
        }
    }
}

impl Row for SubnetItem {
    const COLUMNS: &'static [&'static str] = &[
        "name",
        "state",
        "CIDR",
        "access",
        "availability domain",
        "security lists",
        "id",
    ];
    fn cells(&self) -> Vec<String> {
        vec![
            opt(self.name.as_deref()),
            opt(self.lifecycle_state.as_deref()),
            opt(self.cidr_block.as_deref()),
            self.access.clone(),
            self.availability_domain
                .clone()
                .unwrap_or_else(|| "regional".to_owned()),
            self.security_list_ids.len().to_string(),
            self.id.clone(),
        ]
    }
}

async fn list_subnets(call: Call, args: ListInVcnArgs) -> Result<Paged<SubnetItem>, ToolError> {
    let (list, cursor) = args.list(&call).await?;
    let client = call.client().await?;
    let (subnets, next) = args::one_page(client.list_subnets(&list), cursor).await?;
    Ok(Paged::new(
        subnets.into_iter().map(SubnetItem::of).collect(),
        next,
    ))
}

/// A security list with its rule counts.
#[derive(Debug, Serialize, JsonSchema)]
pub struct SecurityListItem {
    pub id: String,
    pub name: Option<String>,
    pub lifecycle_state: Option<String>,
    pub vcn_id: Option<String>,
    pub ingress_rules: usize,
    pub egress_rules: usize,
    /// Ingress rules whose source is 0.0.0.0/0 or ::/0.
    pub ingress_from_anywhere: usize,
}

impl SecurityListItem {
    fn of(list: &SecurityList) -> Self {
        SecurityListItem {
            id: list.id.clone(),
            name: list.display_name.clone(),
            lifecycle_state: list.lifecycle_state.clone(),
            vcn_id: list.vcn_id.clone(),
            ingress_rules: list.ingress_security_rules.len(),
            egress_rules: list.egress_security_rules.len(),
            ingress_from_anywhere: list
                .ingress_security_rules
                .iter()
                .filter(|r| from_anywhere(r.source.as_deref(), r.source_type.as_deref()))
                .count(),
        }
    }
}

impl Row for SecurityListItem {
    const COLUMNS: &'static [&'static str] = &[
        "name",
        "state",
        "ingress",
        "egress",
        "ingress from anywhere",
        "id",
    ];
    fn cells(&self) -> Vec<String> {
        vec![
            opt(self.name.as_deref()),
            opt(self.lifecycle_state.as_deref()),
            self.ingress_rules.to_string(),
            self.egress_rules.to_string(),
            self.ingress_from_anywhere.to_string(),
            self.id.clone(),
        ]
    }
}

async fn list_security_lists(
    call: Call,
    args: ListInVcnArgs,
) -> Result<Paged<SecurityListItem>, ToolError> {
    let (list, cursor) = args.list(&call).await?;
    let client = call.client().await?;
    let (lists, next) = args::one_page(client.list_security_lists(&list), cursor).await?;
    Ok(Paged::new(
        lists.iter().map(SecurityListItem::of).collect(),
        next,
    ))
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct GetVcnArgs {
    /// VCN OCID.
    vcn_id: String,
    /// List the VCN's subnets (default true).
    #[serde(default = "args::default_true")]
    include_subnets: bool,
    /// List the VCN's security lists with their rule counts (default true).
    #[serde(default = "args::default_true")]
    include_security_lists: bool,
    /// List the VCN's network security groups (default true).
    #[serde(default = "args::default_true")]
    include_nsgs: bool,
}

/// A network security group of a VCN.
#[derive(Debug, Serialize, JsonSchema)]
pub struct NsgItem {
    pub id: String,
    pub name: Option<String>,
    pub lifecycle_state: Option<String>,
}

/// One VCN with what is in it.
#[derive(Debug, Serialize, JsonSchema)]
pub struct VcnDetail {
    #[serde(flatten)]
    pub vcn: VcnItem,
    pub vcn_domain_name: Option<String>,
    pub default_route_table_id: Option<String>,
    pub default_security_list_id: Option<String>,
    pub default_dhcp_options_id: Option<String>,
    /// With `include_subnets`: those in the VCN's compartment.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subnets: Option<Vec<SubnetItem>>,
    /// With `include_security_lists`: those in the VCN's compartment.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub security_lists: Option<Vec<SecurityListItem>>,
    /// With `include_nsgs`: those in the VCN's compartment.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub network_security_groups: Option<Vec<NsgItem>>,
}

impl Markdown for VcnDetail {
    fn markdown(&self) -> String {
        let vcn = &self.vcn;
        let mut text = format!("## VCN {}\n", vcn.name.as_deref().unwrap_or(&vcn.id));
        let list = |items: &[String]| (!items.is_empty()).then(|| items.join(", "));
        text.push_str(&fields(&[
            ("id", Some(vcn.id.clone())),
            ("state", vcn.lifecycle_state.clone()),
            ("compartment", vcn.compartment_id.clone()),
            ("CIDR blocks", list(&vcn.cidr_blocks)),
            ("IPv6 CIDR blocks", list(&vcn.ipv6_cidr_blocks)),
            ("DNS label", vcn.dns_label.clone()),
            ("domain name", self.vcn_domain_name.clone()),
            ("default route table", self.default_route_table_id.clone()),
            (
                "default security list",
                self.default_security_list_id.clone(),
            ),
            ("default DHCP options", self.default_dhcp_options_id.clone()),
            ("created", vcn.time_created.clone()),
        ]));
        if let Some(subnets) = &self.subnets {
            text.push_str(&format!("\n### Subnets ({})\n", subnets.len()));
            text.push_str(&table(SubnetItem::COLUMNS, subnets.iter().map(Row::cells)));
        }
        if let Some(lists) = &self.security_lists {
            text.push_str(&format!("\n### Security lists ({})\n", lists.len()));
            text.push_str(&table(
                SecurityListItem::COLUMNS,
                lists.iter().map(Row::cells),
            ));
        }
        if let Some(groups) = &self.network_security_groups {
            text.push_str(&format!(
                "\n### Network security groups ({})\n",
                groups.len()
            ));
            text.push_str(&table(
                &["name", "state", "id"],
                groups.iter().map(|g| {
                    vec![
                        opt(g.name.as_deref()),
                        opt(g.lifecycle_state.as_deref()),
                        g.id.clone(),
                    ]
                }),
            ));
        }
        text
    }
}

async fn get_vcn(call: Call, args: GetVcnArgs) -> Result<VcnDetail, ToolError> {
    ocid("vcn_id", &args.vcn_id, &["vcn"])?;
    let client = call.client().await?;
    let vcn = client.get_vcn(&args.vcn_id).await?;
    let compartment = vcn
        .compartment_id
        .clone()
        .unwrap_or_else(|| client.tenancy().to_owned());
    let in_vcn = ListInVcn {
        limit: Some(args::MAX_LIMIT),
        ..ListInVcn::of_vcn(&compartment, &vcn.id)
    };
    let subnets = if args.include_subnets {
        let subnets = client.list_subnets(&in_vcn).collect(None).await?;
        Some(subnets.into_iter().map(SubnetItem::of).collect())
    } else {
        None
    };
    let security_lists = if args.include_security_lists {
        let lists = client.list_security_lists(&in_vcn).collect(None).await?;
        Some(lists.iter().map(SecurityListItem::of).collect())
    } else {
        None
    };
    let network_security_groups = if args.include_nsgs {
        let list = ListNetworkSecurityGroups {
            vcn_id: Some(vcn.id.clone()),
            limit: Some(args::MAX_LIMIT),
            ..ListNetworkSecurityGroups::in_compartment(&compartment)
        };
        let groups = client
            .list_network_security_groups(&list)
            .collect(None)
            .await?;
        Some(
            groups
                .into_iter()
                .map(|g| NsgItem {
                    id: g.id,
                    name: g.display_name,
                    lifecycle_state: g.lifecycle_state,
                })
                .collect(),
        )
    } else {
        None
    };
    Ok(VcnDetail {
        vcn_domain_name: vcn.vcn_domain_name.clone(),
        default_route_table_id: vcn.default_route_table_id.clone(),
        default_security_list_id: vcn.default_security_list_id.clone(),
        default_dhcp_options_id: vcn.default_dhcp_options_id.clone(),
        vcn: VcnItem::of(vcn),
        subnets,
        security_lists,
        network_security_groups,
    })
}
