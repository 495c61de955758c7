//! Container Engine for Kubernetes (`containerengine` host, `/20180222`): clusters, their
//! node pools, and the kubeconfig of a cluster (YAML text). The bearer token that
//! kubeconfig's exec entry fetches is [`oke_token`](crate::oke_token)'s.

use serde::{Deserialize, Serialize};

use super::{DefinedTags, FreeformTags, null_as_empty, path_segment, with_json_body};
use crate::client::{Client, Error, Pages, Request};
use crate::region::Service;

/// `ListClusters`.
#[derive(Debug, Clone, Default)]
pub struct ListClusters {
    pub compartment_id: String,
    /// Any of `ACTIVE`, `CREATING`, `UPDATING`, `DELETING`, `DELETED`, `FAILED`; sent as
    /// repeated `lifecycleState` parameters.
    pub lifecycle_states: Vec<String>,
    pub name: Option<String>,
    pub limit: Option<u32>,
    /// `ASC` or `DESC`.
    pub sort_order: Option<String>,
    /// `ID`, `NAME` or `TIME_CREATED`.
    pub sort_by: Option<String>,
}

impl ListClusters {
    pub fn new(compartment_id: impl Into<String>) -> Self {
        ListClusters {
            compartment_id: compartment_id.into(),
            ..Default::default()
        }
    }

    pub fn request(&self) -> Request {
        let mut request = Request::get(
            "ListClusters",
            Service::ContainerEngine,
            "/clusters".to_owned(),
        )
        .query("compartmentId", &self.compartment_id);
        for state in &self.lifecycle_states {
            request = request.query("lifecycleState", state);
        }
        request
            .query_opt("name", self.name.as_ref())
            .query_opt("limit", self.limit)
            .query_opt("sortOrder", self.sort_order.as_ref())
            .query_opt("sortBy", self.sort_by.as_ref())
    }
}

/// `GetCluster`; `should_include_oidc_config_file` adds the OIDC discovery document.
pub fn get_cluster_request(
    cluster_id: &str,
    should_include_oidc_config_file: Option<bool>,
) -> Request {
    Request::get(
        "GetCluster",
        Service::ContainerEngine,
        format!("/clusters/{}", path_segment(cluster_id)),
    )
    .query_opt(
        "shouldIncludeOidcConfigFile",
        should_include_oidc_config_file,
    )
}

/// Which API server address a kubeconfig points at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum KubeconfigEndpoint {
    PublicEndpoint,
    PrivateEndpoint,
    VcnHostname,
    LegacyKubernetes,
}

/// `CreateKubeconfig`: answers the kubeconfig as YAML text.
#[derive(Debug, Clone)]
pub struct CreateKubeconfig {
    pub cluster_id: String,
    /// `2.0.0`: the kubeconfig runs `oci ce cluster generate-token` for its token.
    pub token_version: Option<String>,
    /// OCI's default when absent.
    pub endpoint: Option<KubeconfigEndpoint>,
}

/// The body of `CreateKubeconfig`, fields in the SDK's order.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct CreateClusterKubeconfigContentDetails<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    token_version: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    endpoint: Option<KubeconfigEndpoint>,
}

impl CreateKubeconfig {
    /// Token version `2.0.0`, the service's default endpoint.
    pub fn new(cluster_id: impl Into<String>) -> Self {
        CreateKubeconfig {
            cluster_id: cluster_id.into(),
            token_version: Some("2.0.0".to_owned()),
            endpoint: None,
        }
    }

    pub fn request(&self) -> Result<Request, Error> {
        let mut request = Request::post(
            "CreateKubeconfig",
            Service::ContainerEngine,
            format!(
                "/clusters/{}/kubeconfig/content",
                path_segment(&self.cluster_id)
            ),
        );
        request.accept = "application/x-yaml";
        with_json_body(
            request,
            &CreateClusterKubeconfigContentDetails {
                token_version: self.token_version.as_deref(),
                endpoint: self.endpoint,
            },
        )
    }
}

/// `ListNodePools`.
#[derive(Debug, Clone, Default)]
pub struct ListNodePools {
    pub compartment_id: String,
    pub cluster_id: Option<String>,
    pub name: Option<String>,
    pub limit: Option<u32>,
    /// `ASC` or `DESC`.
    pub sort_order: Option<String>,
    /// `ID`, `NAME` or `TIME_CREATED`.
    pub sort_by: Option<String>,
    /// Sent as repeated `lifecycleState` parameters.
    pub lifecycle_states: Vec<String>,
}

impl ListNodePools {
    pub fn new(compartment_id: impl Into<String>) -> Self {
        ListNodePools {
            compartment_id: compartment_id.into(),
            ..Default::default()
        }
    }

    /// The node pools of one cluster.
    pub fn of_cluster(compartment_id: impl Into<String>, cluster_id: impl Into<String>) -> Self {
        ListNodePools {
            cluster_id: Some(cluster_id.into()),
            ..ListNodePools::new(compartment_id)
        }
    }

    pub fn request(&self) -> Request {
        let mut request = Request::get(
            "ListNodePools",
            Service::ContainerEngine,
            "/nodePools".to_owned(),
        )
        .query("compartmentId", &self.compartment_id)
        .query_opt("clusterId", self.cluster_id.as_ref())
        .query_opt("name", self.name.as_ref())
        .query_opt("limit", self.limit)
        .query_opt("sortOrder", self.sort_order.as_ref())
        .query_opt("sortBy", self.sort_by.as_ref());
        for state in &self.lifecycle_states {
            request = request.query("lifecycleState", state);
        }
        request
    }
}

/// A cluster: both `Cluster` (one read) and the list items `ClusterSummary`, which lack
/// only the OIDC and KMS fields.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Cluster {
    pub id: String,
    pub name: Option<String>,
    pub compartment_id: Option<String>,
    pub vcn_id: Option<String>,
    /// `v1.30.1`.
    pub kubernetes_version: Option<String>,
    /// `ACTIVE`, `CREATING`, `UPDATING`, `DELETING`, `DELETED`, `FAILED`.
    pub lifecycle_state: Option<String>,
    pub lifecycle_details: Option<String>,
    /// `BASIC_CLUSTER` or `ENHANCED_CLUSTER`.
    #[serde(rename = "type")]
    pub cluster_type: Option<String>,
    pub endpoints: Option<ClusterEndpoints>,
    pub endpoint_config: Option<ClusterEndpointConfig>,
    pub metadata: Option<ClusterMetadata>,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub available_kubernetes_upgrades: Vec<String>,
    pub kms_key_id: Option<String>,
    pub open_id_connect_discovery_endpoint: Option<String>,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub freeform_tags: FreeformTags,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub defined_tags: DefinedTags,
}

/// The API server addresses, `host:port` without a scheme (`129.146.1.2:6443`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClusterEndpoints {
    pub kubernetes: Option<String>,
    pub public_endpoint: Option<String>,
    pub private_endpoint: Option<String>,
    pub vcn_hostname_endpoint: Option<String>,
    pub ipv6_endpoint: Option<String>,
}

/// Where the API server endpoint is placed (`ClusterEndpointConfig`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClusterEndpointConfig {
    pub subnet_id: Option<String>,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub nsg_ids: Vec<String>,
    pub is_public_ip_enabled: Option<bool>,
}

/// Who made and changed a cluster, and when (`ClusterMetadata`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClusterMetadata {
    pub time_created: Option<String>,
    pub created_by_user_id: Option<String>,
    pub time_updated: Option<String>,
    pub updated_by_user_id: Option<String>,
    pub time_deleted: Option<String>,
    pub time_credential_expiration: Option<String>,
}

/// A node pool (`NodePoolSummary`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NodePool {
    pub id: String,
    pub name: Option<String>,
    pub compartment_id: Option<String>,
    pub cluster_id: Option<String>,
    /// `ACTIVE`, `NEEDS_ATTENTION`, `UPDATING`, ...
    pub lifecycle_state: Option<String>,
    pub lifecycle_details: Option<String>,
    pub kubernetes_version: Option<String>,
    pub node_shape: Option<String>,
    pub node_shape_config: Option<NodeShapeConfig>,
    pub node_image_id: Option<String>,
    pub node_image_name: Option<String>,
    pub node_config_details: Option<NodePoolNodeConfig>,
    pub quantity_per_subnet: Option<i64>,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub subnet_ids: Vec<String>,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub initial_node_labels: Vec<KeyValue>,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub freeform_tags: FreeformTags,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub defined_tags: DefinedTags,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NodeShapeConfig {
    pub ocpus: Option<f64>,
    #[serde(rename = "memoryInGBs")]
    pub memory_in_gbs: Option<f64>,
}

/// The pool's size and node placement (`NodePoolNodeConfigDetails`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NodePoolNodeConfig {
    /// Nodes in the pool.
    pub size: Option<i64>,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub nsg_ids: Vec<String>,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub placement_configs: Vec<NodePoolPlacementConfig>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NodePoolPlacementConfig {
    pub availability_domain: Option<String>,
    pub subnet_id: Option<String>,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub fault_domains: Vec<String>,
}

/// A Kubernetes label on a pool's nodes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct KeyValue {
    pub key: Option<String>,
    pub value: Option<String>,
}

impl Client {
    pub fn list_clusters(&self, list: &ListClusters) -> Pages<'_, Cluster> {
        self.pages(list.request())
    }

    pub async fn get_cluster(
        &self,
        cluster_id: &str,
        should_include_oidc_config_file: Option<bool>,
    ) -> Result<Cluster, Error> {
        self.call(&get_cluster_request(
            cluster_id,
            should_include_oidc_config_file,
        ))
        .await
    }

    /// The kubeconfig YAML.
    pub async fn create_kubeconfig(&self, kubeconfig: &CreateKubeconfig) -> Result<String, Error> {
        let response = self.send(&kubeconfig.request()?).await?;
        String::from_utf8(response.body.to_vec()).map_err(|e| Error::Decode {
            operation: response.operation.to_owned(),
            reason: format!("the kubeconfig is not UTF-8 text: {e}"),
        })
    }

    pub fn list_node_pools(&self, list: &ListNodePools) -> Pages<'_, NodePool> {
        self.pages(list.request())
    }
}

#[cfg(test)]
mod tests {
    use http::Method;

    use super::*;
    use crate::ops::testing::{body_text, pairs, wire_query};

    #[test]
    fn list_clusters_repeats_lifecycle_state_as_the_sdk_does() {
        let request = ListClusters {
            lifecycle_states: vec!["ACTIVE".to_owned(), "CREATING".to_owned()],
            ..ListClusters::new("<c>")
        }
        .request();
        assert_eq!(request.method, Method::GET);
        assert_eq!(request.service, Service::ContainerEngine);
        assert_eq!(request.path, "/clusters");
        assert_eq!(
            wire_query(&request),
            "compartmentId=%3Cc%3E&lifecycleState=ACTIVE&lifecycleState=CREATING"
        );
        let named = ListClusters {
            name: Some("oke1".to_owned()),
            sort_by: Some("NAME".to_owned()),
            ..ListClusters::new("c")
        }
        .request();
        assert_eq!(
            named.query,
            pairs(&[("compartmentId", "c"), ("name", "oke1"), ("sortBy", "NAME")])
        );
    }

    #[test]
    fn get_cluster_may_ask_for_the_oidc_file() {
        let plain = get_cluster_request("ocid1.cluster.oc1.iad.k", None);
        assert_eq!(plain.path, "/clusters/ocid1.cluster.oc1.iad.k");
        assert!(plain.query.is_empty());
        let with_oidc = get_cluster_request("ocid1.cluster.oc1.iad.k", Some(true));
        assert_eq!(
            with_oidc.query,
            pairs(&[("shouldIncludeOidcConfigFile", "true")])
        );
    }

    #[test]
    fn create_kubeconfig_is_the_captured_sdk_request() {
        let kubeconfig = CreateKubeconfig {
            endpoint: Some(KubeconfigEndpoint::PublicEndpoint),
            ..CreateKubeconfig::new("ocid1.cluster.oc1.iad.k")
        };
        let request = kubeconfig.request().expect("builds");
        assert_eq!(request.method, Method::POST);
        assert_eq!(
            request.path,
            "/clusters/ocid1.cluster.oc1.iad.k/kubeconfig/content"
        );
        assert_eq!(request.accept, "application/x-yaml");
        assert!(request.query.is_empty());
        assert_eq!(
            body_text(&request),
            r#"{"tokenVersion":"2.0.0","endpoint":"PUBLIC_ENDPOINT"}"#
        );
    }

    #[test]
    fn every_kubeconfig_endpoint_has_the_api_spelling() {
        let endpoints = [
            KubeconfigEndpoint::PublicEndpoint,
            KubeconfigEndpoint::PrivateEndpoint,
            KubeconfigEndpoint::VcnHostname,
            KubeconfigEndpoint::LegacyKubernetes,
        ];
        assert_eq!(
            serde_json::to_string(&endpoints).expect("serializes"),
            r#"["PUBLIC_ENDPOINT","PRIVATE_ENDPOINT","VCN_HOSTNAME","LEGACY_KUBERNETES"]"#
        );
        let bare = CreateKubeconfig {
            token_version: None,
            ..CreateKubeconfig::new("k")
        };
        assert_eq!(body_text(&bare.request().expect("builds")), "{}");
    }

    #[test]
    fn list_node_pools_repeats_lifecycle_state_last() {
        let request = ListNodePools {
            lifecycle_states: vec!["ACTIVE".to_owned(), "NEEDS_ATTENTION".to_owned()],
            limit: Some(20),
            ..ListNodePools::of_cluster("c", "k")
        }
        .request();
        assert_eq!(request.path, "/nodePools");
        assert_eq!(
            request.query,
            pairs(&[
                ("compartmentId", "c"),
                ("clusterId", "k"),
                ("limit", "20"),
                ("lifecycleState", "ACTIVE"),
                ("lifecycleState", "NEEDS_ATTENTION"),
            ])
        );
    }

    #[test]
    fn the_sample_clusters_parse() {
        let clusters: Vec<Cluster> = serde_json::from_str(
            r#"[{"id":"ocid1.cluster.oc1.iad.k","name":"oke1","compartmentId":"ocid1.compartment.oc1..ccc","endpointConfig":{"subnetId":"ocid1.subnet.oc1.iad.s","isPublicIpEnabled":true},"vcnId":"ocid1.vcn.oc1.iad.v","kubernetesVersion":"v1.30.1","metadata":{"timeCreated":"2024-05-01T12:00:00Z"},"lifecycleState":"ACTIVE","endpoints":{"kubernetes":"","publicEndpoint":"129.1.2.4:6443","privateEndpoint":"10.0.0.10:6443"},"type":"ENHANCED_CLUSTER"}]"#,
        )
        .expect("parses");
        let cluster = &clusters[0];
        assert_eq!(cluster.name.as_deref(), Some("oke1"));
        assert_eq!(cluster.kubernetes_version.as_deref(), Some("v1.30.1"));
        assert_eq!(cluster.cluster_type.as_deref(), Some("ENHANCED_CLUSTER"));
        let endpoints = cluster.endpoints.as_ref().expect("endpoints");
        assert_eq!(endpoints.public_endpoint.as_deref(), Some("129.1.2.4:6443"));
        assert_eq!(
            endpoints.private_endpoint.as_deref(),
            Some("10.0.0.10:6443")
        );
        assert_eq!(
            cluster
                .endpoint_config
                .as_ref()
                .and_then(|config| config.is_public_ip_enabled),
            Some(true)
        );
        assert_eq!(
            cluster
                .metadata
                .as_ref()
                .and_then(|metadata| metadata.time_created.as_deref()),
            Some("2024-05-01T12:00:00Z")
        );
    }

    #[test]
    fn the_sample_node_pools_parse() {
        let pools: Vec<NodePool> = serde_json::from_str(
            r#"[{"id":"ocid1.nodepool.oc1.iad.np","lifecycleState":"ACTIVE","compartmentId":"ocid1.compartment.oc1..ccc","clusterId":"ocid1.cluster.oc1.iad.k","name":"pool1","kubernetesVersion":"v1.30.1","nodeShapeConfig":{"ocpus":2.0,"memoryInGBs":32.0},"nodeShape":"VM.Standard.E4.Flex","nodeConfigDetails":{"size":3}}]"#,
        )
        .expect("parses");
        let pool = &pools[0];
        assert_eq!(pool.node_shape.as_deref(), Some("VM.Standard.E4.Flex"));
        let shape = pool.node_shape_config.as_ref().expect("shape");
        assert_eq!((shape.ocpus, shape.memory_in_gbs), (Some(2.0), Some(32.0)));
        assert_eq!(
            pool.node_config_details
                .as_ref()
                .and_then(|config| config.size),
            Some(3)
        );
        assert!(pool.subnet_ids.is_empty());
    }
}
