//! Virtual Network (`iaas` host, `/20160918`): VNICs (an instance's addresses), VCNs,
//! subnets, security lists, route tables and network security groups with their rules.

use serde::Deserialize;

use super::{DefinedTags, FreeformTags, null_as_empty, path_segment};
use crate::client::{Client, Error, Pages, Request};
use crate::region::Service;

/// `GetVnic`: a VNIC with its private and public IP.
pub fn get_vnic_request(vnic_id: &str) -> Request {
    Request::get(
        "GetVnic",
        Service::Core,
        format!("/vnics/{}", path_segment(vnic_id)),
    )
}

/// `GetVcn`.
pub fn get_vcn_request(vcn_id: &str) -> Request {
    Request::get(
        "GetVcn",
        Service::Core,
        format!("/vcns/{}", path_segment(vcn_id)),
    )
}

/// `GetSubnet`.
pub fn get_subnet_request(subnet_id: &str) -> Request {
    Request::get(
        "GetSubnet",
        Service::Core,
        format!("/subnets/{}", path_segment(subnet_id)),
    )
}

/// `GetSecurityList`: a security list with its rules.
pub fn get_security_list_request(security_list_id: &str) -> Request {
    Request::get(
        "GetSecurityList",
        Service::Core,
        format!("/securityLists/{}", path_segment(security_list_id)),
    )
}

/// `GetNetworkSecurityGroup` (without its rules: see
/// [`ListNetworkSecurityGroupSecurityRules`]).
pub fn get_network_security_group_request(nsg_id: &str) -> Request {
    Request::get(
        "GetNetworkSecurityGroup",
        Service::Core,
        format!("/networkSecurityGroups/{}", path_segment(nsg_id)),
    )
}

/// `ListVcns`.
#[derive(Debug, Clone, Default)]
pub struct ListVcns {
    pub compartment_id: String,
    pub limit: Option<u32>,
    pub display_name: Option<String>,
    /// `TIMECREATED` or `DISPLAYNAME`.
    pub sort_by: Option<String>,
    /// `ASC` or `DESC`.
    pub sort_order: Option<String>,
    /// `AVAILABLE`, `PROVISIONING`, ...
    pub lifecycle_state: Option<String>,
}

impl ListVcns {
    pub fn new(compartment_id: impl Into<String>) -> Self {
        ListVcns {
            compartment_id: compartment_id.into(),
            ..Default::default()
        }
    }

    pub fn request(&self) -> Request {
        Request::get("ListVcns", Service::Core, "/vcns".to_owned())
            .query("compartmentId", &self.compartment_id)
            .query_opt("limit", self.limit)
            .query_opt("displayName", self.display_name.as_ref())
            .query_opt("sortBy", self.sort_by.as_ref())
            .query_opt("sortOrder", self.sort_order.as_ref())
            .query_opt("lifecycleState", self.lifecycle_state.as_ref())
    }
}

/// The filters `ListSubnets`, `ListSecurityLists` and `ListRouteTables` share: a
/// compartment, optionally one VCN of it.
#[derive(Debug, Clone, Default)]
pub struct ListInVcn {
    pub compartment_id: String,
    pub vcn_id: Option<String>,
    pub limit: Option<u32>,
    pub display_name: Option<String>,
    /// `TIMECREATED` or `DISPLAYNAME`.
    pub sort_by: Option<String>,
    /// `ASC` or `DESC`.
    pub sort_order: Option<String>,
    pub lifecycle_state: Option<String>,
}

impl ListInVcn {
    pub fn new(compartment_id: impl Into<String>) -> Self {
        ListInVcn {
            compartment_id: compartment_id.into(),
            ..Default::default()
        }
    }

    /// What is in one VCN of the compartment.
    pub fn of_vcn(compartment_id: impl Into<String>, vcn_id: impl Into<String>) -> Self {
        ListInVcn {
            vcn_id: Some(vcn_id.into()),
            ..ListInVcn::new(compartment_id)
        }
    }

    /// `ListSubnets`.
    pub fn subnets_request(&self) -> Request {
        self.request("ListSubnets", "/subnets")
    }

    /// `ListSecurityLists`.
    pub fn security_lists_request(&self) -> Request {
        self.request("ListSecurityLists", "/securityLists")
    }

    /// `ListRouteTables`.
    pub fn route_tables_request(&self) -> Request {
        self.request("ListRouteTables", "/routeTables")
    }

    fn request(&self, operation: &'static str, path: &str) -> Request {
        Request::get(operation, Service::Core, path.to_owned())
            .query("compartmentId", &self.compartment_id)
            .query_opt("limit", self.limit)
            .query_opt("vcnId", self.vcn_id.as_ref())
            .query_opt("displayName", self.display_name.as_ref())
            .query_opt("sortBy", self.sort_by.as_ref())
            .query_opt("sortOrder", self.sort_order.as_ref())
            .query_opt("lifecycleState", self.lifecycle_state.as_ref())
    }
}

/// `ListNetworkSecurityGroups`: OCI wants exactly one of `compartment_id` and `vlan_id`.
#[derive(Debug, Clone, Default)]
pub struct ListNetworkSecurityGroups {
    pub compartment_id: Option<String>,
    pub vlan_id: Option<String>,
    pub vcn_id: Option<String>,
    pub limit: Option<u32>,
    pub display_name: Option<String>,
    /// `TIMECREATED` or `DISPLAYNAME`.
    pub sort_by: Option<String>,
    /// `ASC` or `DESC`.
    pub sort_order: Option<String>,
    pub lifecycle_state: Option<String>,
}

impl ListNetworkSecurityGroups {
    pub fn in_compartment(compartment_id: impl Into<String>) -> Self {
        ListNetworkSecurityGroups {
            compartment_id: Some(compartment_id.into()),
            ..Default::default()
        }
    }

    pub fn request(&self) -> Request {
        Request::get(
            "ListNetworkSecurityGroups",
            Service::Core,
            "/networkSecurityGroups".to_owned(),
        )
        .query_opt("compartmentId", self.compartment_id.as_ref())
        .query_opt("vlanId", self.vlan_id.as_ref())
        .query_opt("vcnId", self.vcn_id.as_ref())
        .query_opt("limit", self.limit)
        .query_opt("displayName", self.display_name.as_ref())
        .query_opt("sortBy", self.sort_by.as_ref())
        .query_opt("sortOrder", self.sort_order.as_ref())
        .query_opt("lifecycleState", self.lifecycle_state.as_ref())
    }
}

/// `ListNetworkSecurityGroupSecurityRules`: the rules of one network security group.
#[derive(Debug, Clone, Default)]
pub struct ListNetworkSecurityGroupSecurityRules {
    pub network_security_group_id: String,
    /// `INGRESS` or `EGRESS`; both when absent.
    pub direction: Option<String>,
    pub limit: Option<u32>,
    /// `TIMECREATED`.
    pub sort_by: Option<String>,
    /// `ASC` or `DESC`.
    pub sort_order: Option<String>,
}

impl ListNetworkSecurityGroupSecurityRules {
    pub fn new(network_security_group_id: impl Into<String>) -> Self {
        ListNetworkSecurityGroupSecurityRules {
            network_security_group_id: network_security_group_id.into(),
            ..Default::default()
        }
    }

    /// Only the ingress rules of the group.
    pub fn ingress(network_security_group_id: impl Into<String>) -> Self {
        ListNetworkSecurityGroupSecurityRules {
            direction: Some("INGRESS".to_owned()),
            ..ListNetworkSecurityGroupSecurityRules::new(network_security_group_id)
        }
    }

    pub fn request(&self) -> Request {
        Request::get(
            "ListNetworkSecurityGroupSecurityRules",
            Service::Core,
            format!(
                "/networkSecurityGroups/{}/securityRules",
                path_segment(&self.network_security_group_id)
            ),
        )
        .query_opt("direction", self.direction.as_ref())
        .query_opt("limit", self.limit)
        .query_opt("sortBy", self.sort_by.as_ref())
        .query_opt("sortOrder", self.sort_order.as_ref())
    }
}

/// A VNIC (`Vnic`): where an instance's addresses are.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Vnic {
    pub id: String,
    pub display_name: Option<String>,
    pub compartment_id: Option<String>,
    pub availability_domain: Option<String>,
    pub lifecycle_state: Option<String>,
    pub is_primary: Option<bool>,
    pub private_ip: Option<String>,
    /// Absent when the VNIC has no public IP.
    pub public_ip: Option<String>,
    pub hostname_label: Option<String>,
    pub mac_address: Option<String>,
    pub subnet_id: Option<String>,
    pub vlan_id: Option<String>,
    pub route_table_id: Option<String>,
    pub skip_source_dest_check: Option<bool>,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub nsg_ids: Vec<String>,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub ipv6_addresses: Vec<String>,
    pub time_created: Option<String>,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub freeform_tags: FreeformTags,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub defined_tags: DefinedTags,
}

/// A virtual cloud network (`Vcn`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Vcn {
    pub id: String,
    pub display_name: Option<String>,
    pub compartment_id: Option<String>,
    pub lifecycle_state: Option<String>,
    /// The first of `cidr_blocks` (deprecated by OCI, still sent).
    pub cidr_block: Option<String>,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub cidr_blocks: Vec<String>,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub ipv6_cidr_blocks: Vec<String>,
    pub dns_label: Option<String>,
    pub vcn_domain_name: Option<String>,
    pub default_dhcp_options_id: Option<String>,
    pub default_route_table_id: Option<String>,
    pub default_security_list_id: Option<String>,
    pub time_created: Option<String>,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub freeform_tags: FreeformTags,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub defined_tags: DefinedTags,
}

/// A subnet (`Subnet`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Subnet {
    pub id: String,
    pub display_name: Option<String>,
    pub compartment_id: Option<String>,
    pub vcn_id: Option<String>,
    pub lifecycle_state: Option<String>,
    pub cidr_block: Option<String>,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub ipv6_cidr_blocks: Vec<String>,
    /// Absent for regional subnets.
    pub availability_domain: Option<String>,
    /// True for a private subnet.
    pub prohibit_public_ip_on_vnic: Option<bool>,
    pub prohibit_internet_ingress: Option<bool>,
    pub route_table_id: Option<String>,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub security_list_ids: Vec<String>,
    pub dhcp_options_id: Option<String>,
    pub dns_label: Option<String>,
    pub subnet_domain_name: Option<String>,
    pub virtual_router_ip: Option<String>,
    pub virtual_router_mac: Option<String>,
    pub time_created: Option<String>,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub freeform_tags: FreeformTags,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub defined_tags: DefinedTags,
}

/// A security list (`SecurityList`) with its rules.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SecurityList {
    pub id: String,
    pub display_name: Option<String>,
    pub compartment_id: Option<String>,
    pub vcn_id: Option<String>,
    pub lifecycle_state: Option<String>,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub ingress_security_rules: Vec<IngressSecurityRule>,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub egress_security_rules: Vec<EgressSecurityRule>,
    pub time_created: Option<String>,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub freeform_tags: FreeformTags,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub defined_tags: DefinedTags,
}

/// An ingress rule. `protocol` is a number as text (`"6"` TCP, `"17"` UDP, `"1"` ICMP,
/// `"58"` ICMPv6) or `"all"`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IngressSecurityRule {
    pub protocol: Option<String>,
    pub source: Option<String>,
    /// `CIDR_BLOCK` or `SERVICE_CIDR_BLOCK`.
    pub source_type: Option<String>,
    pub is_stateless: Option<bool>,
    pub tcp_options: Option<PortOptions>,
    pub udp_options: Option<PortOptions>,
    pub icmp_options: Option<IcmpOptions>,
    pub description: Option<String>,
}

/// An egress rule; `protocol` as in [`IngressSecurityRule`].
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EgressSecurityRule {
    pub protocol: Option<String>,
    pub destination: Option<String>,
    /// `CIDR_BLOCK` or `SERVICE_CIDR_BLOCK`.
    pub destination_type: Option<String>,
    pub is_stateless: Option<bool>,
    pub tcp_options: Option<PortOptions>,
    pub udp_options: Option<PortOptions>,
    pub icmp_options: Option<IcmpOptions>,
    pub description: Option<String>,
}

/// `TcpOptions` and `UdpOptions`: absent ranges mean all ports.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PortOptions {
    pub destination_port_range: Option<PortRange>,
    pub source_port_range: Option<PortRange>,
}

/// Ports `min` to `max`, both included.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
pub struct PortRange {
    pub min: u16,
    pub max: u16,
}

/// ICMP `type` and, when given, `code`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
pub struct IcmpOptions {
    #[serde(rename = "type")]
    pub icmp_type: Option<i64>,
    pub code: Option<i64>,
}

/// A route table (`RouteTable`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RouteTable {
    pub id: String,
    pub display_name: Option<String>,
    pub compartment_id: Option<String>,
    pub vcn_id: Option<String>,
    pub lifecycle_state: Option<String>,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub route_rules: Vec<RouteRule>,
    pub time_created: Option<String>,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub freeform_tags: FreeformTags,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub defined_tags: DefinedTags,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RouteRule {
    pub destination: Option<String>,
    /// `CIDR_BLOCK` or `SERVICE_CIDR_BLOCK`.
    pub destination_type: Option<String>,
    /// The gateway or private IP the traffic goes to.
    pub network_entity_id: Option<String>,
    /// `STATIC` or `LOCAL`.
    pub route_type: Option<String>,
    pub description: Option<String>,
    /// Deprecated for `destination`, still sent by older rules.
    pub cidr_block: Option<String>,
}

/// A network security group (`NetworkSecurityGroup`); its rules are a separate call.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NetworkSecurityGroup {
    pub id: String,
    pub display_name: Option<String>,
    pub compartment_id: Option<String>,
    pub vcn_id: Option<String>,
    pub lifecycle_state: Option<String>,
    pub time_created: Option<String>,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub freeform_tags: FreeformTags,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub defined_tags: DefinedTags,
}

/// A rule of a network security group (`SecurityRule`). `protocol` as in
/// [`IngressSecurityRule`]; `source`/`destination` is a CIDR, a service CIDR label or
/// another group's OCID, as `source_type`/`destination_type` says.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SecurityRule {
    pub id: Option<String>,
    /// `INGRESS` or `EGRESS`.
    pub direction: Option<String>,
    pub protocol: Option<String>,
    pub source: Option<String>,
    /// `CIDR_BLOCK`, `SERVICE_CIDR_BLOCK` or `NETWORK_SECURITY_GROUP`.
    pub source_type: Option<String>,
    pub destination: Option<String>,
    /// `CIDR_BLOCK`, `SERVICE_CIDR_BLOCK` or `NETWORK_SECURITY_GROUP`.
    pub destination_type: Option<String>,
    pub is_stateless: Option<bool>,
    /// False when the rule names something that no longer exists.
    pub is_valid: Option<bool>,
    pub tcp_options: Option<PortOptions>,
    pub udp_options: Option<PortOptions>,
    pub icmp_options: Option<IcmpOptions>,
    pub description: Option<String>,
    pub time_created: Option<String>,
}

impl Client {
    pub async fn get_vcn(&self, vcn_id: &str) -> Result<Vcn, Error> {
        self.call(&get_vcn_request(vcn_id)).await
    }

    pub async fn get_subnet(&self, subnet_id: &str) -> Result<Subnet, Error> {
        self.call(&get_subnet_request(subnet_id)).await
    }

    pub async fn get_security_list(&self, security_list_id: &str) -> Result<SecurityList, Error> {
        self.call(&get_security_list_request(security_list_id))
            .await
    }

    pub async fn get_network_security_group(
        &self,
        nsg_id: &str,
    ) -> Result<NetworkSecurityGroup, Error> {
        self.call(&get_network_security_group_request(nsg_id)).await
    }

    pub fn list_network_security_group_security_rules(
        &self,
        list: &ListNetworkSecurityGroupSecurityRules,
    ) -> Pages<'_, SecurityRule> {
        self.pages(list.request())
    }

    pub async fn get_vnic(&self, vnic_id: &str) -> Result<Vnic, Error> {
        self.call(&get_vnic_request(vnic_id)).await
    }

    pub fn list_vcns(&self, list: &ListVcns) -> Pages<'_, Vcn> {
        self.pages(list.request())
    }

    pub fn list_subnets(&self, list: &ListInVcn) -> Pages<'_, Subnet> {
        self.pages(list.subnets_request())
    }

    pub fn list_security_lists(&self, list: &ListInVcn) -> Pages<'_, SecurityList> {
        self.pages(list.security_lists_request())
    }

    pub fn list_route_tables(&self, list: &ListInVcn) -> Pages<'_, RouteTable> {
        self.pages(list.route_tables_request())
    }

    pub fn list_network_security_groups(
        &self,
        list: &ListNetworkSecurityGroups,
    ) -> Pages<'_, NetworkSecurityGroup> {
        self.pages(list.request())
    }
}

#[cfg(test)]
mod tests {
    use http::Method;

    use super::*;
    use crate::ops::testing::pairs;

    #[test]
    fn get_vnic_puts_the_ocid_in_the_path() {
        let request = get_vnic_request("ocid1.vnic.oc1.iad.n");
        assert_eq!(request.method, Method::GET);
        assert_eq!(request.service, Service::Core);
        assert_eq!(request.path, "/vnics/ocid1.vnic.oc1.iad.n");
        assert!(request.query.is_empty());
    }

    #[test]
    fn single_network_reads_put_the_ocid_in_the_path() {
        for (request, operation, path) in [
            (
                get_vcn_request("ocid1.vcn.oc1.iad.v"),
                "GetVcn",
                "/vcns/ocid1.vcn.oc1.iad.v",
            ),
            (
                get_subnet_request("ocid1.subnet.oc1.iad.s"),
                "GetSubnet",
                "/subnets/ocid1.subnet.oc1.iad.s",
            ),
            (
                get_security_list_request("ocid1.securitylist.oc1.iad.s"),
                "GetSecurityList",
                "/securityLists/ocid1.securitylist.oc1.iad.s",
            ),
            (
                get_network_security_group_request("ocid1.networksecuritygroup.oc1.iad.n"),
                "GetNetworkSecurityGroup",
                "/networkSecurityGroups/ocid1.networksecuritygroup.oc1.iad.n",
            ),
        ] {
            assert_eq!(request.method, Method::GET);
            assert_eq!(request.service, Service::Core);
            assert_eq!(request.operation, operation);
            assert_eq!(request.path, path);
            assert!(request.query.is_empty(), "{operation}");
        }
        // An id cannot reach another path.
        assert_eq!(get_vcn_request("a/b?c").path, "/vcns/a%2Fb%3Fc");
    }

    #[test]
    fn nsg_rules_are_listed_under_the_group_with_the_sdk_query_order() {
        let request = ListNetworkSecurityGroupSecurityRules {
            limit: Some(100),
            sort_by: Some("TIMECREATED".to_owned()),
            sort_order: Some("ASC".to_owned()),
            ..ListNetworkSecurityGroupSecurityRules::ingress("ocid1.networksecuritygroup.oc1.iad.n")
        }
        .request();
        assert_eq!(request.method, Method::GET);
        assert_eq!(request.operation, "ListNetworkSecurityGroupSecurityRules");
        assert_eq!(
            request.path,
            "/networkSecurityGroups/ocid1.networksecuritygroup.oc1.iad.n/securityRules"
        );
        assert_eq!(
            request.query,
            pairs(&[
                ("direction", "INGRESS"),
                ("limit", "100"),
                ("sortBy", "TIMECREATED"),
                ("sortOrder", "ASC"),
            ])
        );
        let all = ListNetworkSecurityGroupSecurityRules::new("n").request();
        assert!(all.query.is_empty());
    }

    #[test]
    fn the_sample_nsg_rules_parse() {
        let rules: Vec<SecurityRule> = serde_json::from_str(
            r#"[{"description":"RDP","direction":"INGRESS","id":"04ABEC","isStateless":false,"isValid":true,"protocol":"6","source":"0.0.0.0/0","sourceType":"CIDR_BLOCK","tcpOptions":{"destinationPortRange":{"max":3389,"min":3389}},"timeCreated":"2024-05-01T12:00:00Z"},{"direction":"INGRESS","protocol":"all","source":"ocid1.networksecuritygroup.oc1.iad.n","sourceType":"NETWORK_SECURITY_GROUP"},{"direction":"EGRESS","protocol":"all","destination":"0.0.0.0/0","destinationType":"CIDR_BLOCK"}]"#,
        )
        .expect("parses");
        assert_eq!(rules[0].direction.as_deref(), Some("INGRESS"));
        assert_eq!(
            rules[0]
                .tcp_options
                .as_ref()
                .and_then(|tcp| tcp.destination_port_range),
            Some(PortRange {
                min: 3389,
                max: 3389
            })
        );
        assert_eq!(rules[0].is_valid, Some(true));
        assert_eq!(
            rules[1].source_type.as_deref(),
            Some("NETWORK_SECURITY_GROUP")
        );
        assert_eq!(rules[2].destination.as_deref(), Some("0.0.0.0/0"));
        assert_eq!(rules[2].source, None);
    }

    #[test]
    fn list_vcns_sends_its_filters_in_the_sdk_order() {
        let request = ListVcns {
            limit: Some(100),
            display_name: Some("vcn 1".to_owned()),
            sort_by: Some("DISPLAYNAME".to_owned()),
            sort_order: Some("ASC".to_owned()),
            lifecycle_state: Some("AVAILABLE".to_owned()),
            ..ListVcns::new("c")
        }
        .request();
        assert_eq!(request.path, "/vcns");
        assert_eq!(request.operation, "ListVcns");
        assert_eq!(
            request.query,
            pairs(&[
                ("compartmentId", "c"),
                ("limit", "100"),
                ("displayName", "vcn 1"),
                ("sortBy", "DISPLAYNAME"),
                ("sortOrder", "ASC"),
                ("lifecycleState", "AVAILABLE"),
            ])
        );
    }

    #[test]
    fn subnets_security_lists_and_route_tables_share_their_filters() {
        let list = ListInVcn {
            lifecycle_state: Some("AVAILABLE".to_owned()),
            ..ListInVcn::of_vcn("c", "ocid1.vcn.oc1.iad.v")
        };
        let expected = pairs(&[
            ("compartmentId", "c"),
            ("vcnId", "ocid1.vcn.oc1.iad.v"),
            ("lifecycleState", "AVAILABLE"),
        ]);
        for (request, operation, path) in [
            (list.subnets_request(), "ListSubnets", "/subnets"),
            (
                list.security_lists_request(),
                "ListSecurityLists",
                "/securityLists",
            ),
            (
                list.route_tables_request(),
                "ListRouteTables",
                "/routeTables",
            ),
        ] {
            assert_eq!(request.method, Method::GET);
            assert_eq!(request.operation, operation);
            assert_eq!(request.path, path);
            assert_eq!(request.query, expected, "{operation}");
        }
    }

    #[test]
    fn list_network_security_groups_may_go_by_vlan_instead_of_compartment() {
        let by_compartment = ListNetworkSecurityGroups {
            vcn_id: Some("v".to_owned()),
            ..ListNetworkSecurityGroups::in_compartment("c")
        }
        .request();
        assert_eq!(by_compartment.path, "/networkSecurityGroups");
        assert_eq!(
            by_compartment.query,
            pairs(&[("compartmentId", "c"), ("vcnId", "v")])
        );
        let by_vlan = ListNetworkSecurityGroups {
            vlan_id: Some("vlan".to_owned()),
            limit: Some(5),
            ..Default::default()
        }
        .request();
        assert_eq!(by_vlan.query, pairs(&[("vlanId", "vlan"), ("limit", "5")]));
    }

    #[test]
    fn the_sample_vnic_parses() {
        let vnic: Vnic = serde_json::from_str(
            r#"{"availabilityDomain":"Uocm:US-ASHBURN-AD-1","compartmentId":"ocid1.compartment.oc1..ccc","displayName":"web-1","hostnameLabel":"web-1","id":"ocid1.vnic.oc1.iad.n","isPrimary":true,"lifecycleState":"AVAILABLE","macAddress":"02:00:17:00:00:01","nsgIds":[],"privateIp":"10.0.0.5","publicIp":"129.1.2.3","subnetId":"ocid1.subnet.oc1.iad.s","timeCreated":"2024-05-01T12:00:00Z"}"#,
        )
        .expect("parses");
        assert_eq!(vnic.private_ip.as_deref(), Some("10.0.0.5"));
        assert_eq!(vnic.public_ip.as_deref(), Some("129.1.2.3"));
        assert_eq!(vnic.is_primary, Some(true));
        assert_eq!(vnic.hostname_label.as_deref(), Some("web-1"));
        assert!(vnic.nsg_ids.is_empty());
        let private: Vnic = serde_json::from_str(
            r#"{"id":"n","privateIp":"10.0.0.6","publicIp":null,"nsgIds":null}"#,
        )
        .expect("parses");
        assert_eq!(private.public_ip, None);
        assert!(private.nsg_ids.is_empty());
    }

    #[test]
    fn the_sample_vcn_and_subnet_parse() {
        let vcn: Vcn = serde_json::from_str(
            r#"{"cidrBlock":"10.0.0.0/16","cidrBlocks":["10.0.0.0/16"],"compartmentId":"ocid1.compartment.oc1..ccc","defaultDhcpOptionsId":"ocid1.dhcpoptions.oc1.iad.d","defaultRouteTableId":"ocid1.routetable.oc1.iad.r","defaultSecurityListId":"ocid1.securitylist.oc1.iad.s","displayName":"vcn1","dnsLabel":"vcn1","id":"ocid1.vcn.oc1.iad.v","lifecycleState":"AVAILABLE","timeCreated":"2024-05-01T12:00:00Z"}"#,
        )
        .expect("parses");
        assert_eq!(vcn.cidr_blocks, ["10.0.0.0/16"]);
        assert_eq!(
            vcn.default_route_table_id.as_deref(),
            Some("ocid1.routetable.oc1.iad.r")
        );
        let subnet: Subnet = serde_json::from_str(
            r#"{"cidrBlock":"10.0.0.0/24","compartmentId":"ocid1.compartment.oc1..ccc","displayName":"sub1","id":"ocid1.subnet.oc1.iad.s","lifecycleState":"AVAILABLE","prohibitPublicIpOnVnic":false,"routeTableId":"ocid1.routetable.oc1.iad.r","securityListIds":["ocid1.securitylist.oc1.iad.s"],"timeCreated":"2024-05-01T12:00:00Z","vcnId":"ocid1.vcn.oc1.iad.v","virtualRouterIp":"10.0.0.1","virtualRouterMac":"00:00:17:00:00:00"}"#,
        )
        .expect("parses");
        assert_eq!(subnet.cidr_block.as_deref(), Some("10.0.0.0/24"));
        assert_eq!(subnet.prohibit_public_ip_on_vnic, Some(false));
        assert_eq!(subnet.security_list_ids, ["ocid1.securitylist.oc1.iad.s"]);
        assert_eq!(subnet.availability_domain, None);
    }

    #[test]
    fn the_sample_security_list_parses_with_its_rules() {
        let list: SecurityList = serde_json::from_str(
            r#"{"compartmentId":"ocid1.compartment.oc1..ccc","displayName":"Default Security List","egressSecurityRules":[{"destination":"0.0.0.0/0","destinationType":"CIDR_BLOCK","isStateless":false,"protocol":"all"}],"id":"ocid1.securitylist.oc1.iad.s","ingressSecurityRules":[{"isStateless":false,"protocol":"6","source":"0.0.0.0/0","sourceType":"CIDR_BLOCK","tcpOptions":{"destinationPortRange":{"max":22,"min":22}}},{"protocol":"1","source":"10.0.0.0/16","icmpOptions":{"type":3,"code":4}}],"lifecycleState":"AVAILABLE","timeCreated":"2024-05-01T12:00:00Z","vcnId":"ocid1.vcn.oc1.iad.v"}"#,
        )
        .expect("parses");
        let ssh = &list.ingress_security_rules[0];
        assert_eq!(ssh.protocol.as_deref(), Some("6"));
        assert_eq!(ssh.source.as_deref(), Some("0.0.0.0/0"));
        let ports = ssh
            .tcp_options
            .as_ref()
            .and_then(|tcp| tcp.destination_port_range);
        assert_eq!(ports, Some(PortRange { min: 22, max: 22 }));
        assert_eq!(
            list.ingress_security_rules[1].icmp_options,
            Some(IcmpOptions {
                icmp_type: Some(3),
                code: Some(4)
            })
        );
        assert_eq!(
            list.egress_security_rules[0].protocol.as_deref(),
            Some("all")
        );
        assert_eq!(
            list.egress_security_rules[0].destination_type.as_deref(),
            Some("CIDR_BLOCK")
        );
    }

    #[test]
    fn the_sample_route_table_and_nsg_parse() {
        let table: RouteTable = serde_json::from_str(
            r#"{"compartmentId":"ocid1.compartment.oc1..ccc","displayName":"rt","id":"ocid1.routetable.oc1.iad.r","lifecycleState":"AVAILABLE","routeRules":[{"destination":"0.0.0.0/0","destinationType":"CIDR_BLOCK","networkEntityId":"ocid1.internetgateway.oc1.iad.i","routeType":"STATIC"}],"timeCreated":"2024-05-01T12:00:00Z","vcnId":"ocid1.vcn.oc1.iad.v"}"#,
        )
        .expect("parses");
        assert_eq!(
            table.route_rules[0].network_entity_id.as_deref(),
            Some("ocid1.internetgateway.oc1.iad.i")
        );
        assert_eq!(table.route_rules[0].route_type.as_deref(), Some("STATIC"));
        let groups: Vec<NetworkSecurityGroup> = serde_json::from_str(
            r#"[{"compartmentId":"ocid1.compartment.oc1..ccc","displayName":"nsg","id":"ocid1.networksecuritygroup.oc1.iad.n","lifecycleState":"AVAILABLE","timeCreated":"2024-05-01T12:00:00Z","vcnId":"ocid1.vcn.oc1.iad.v"}]"#,
        )
        .expect("parses");
        assert_eq!(groups[0].display_name.as_deref(), Some("nsg"));
        assert_eq!(groups[0].vcn_id.as_deref(), Some("ocid1.vcn.oc1.iad.v"));
    }
}
