//! Compute (`iaas` host, `/20160918`): instances, their power actions, and the VNIC and boot
//! volume attachments that lead from an instance to its addresses and disks.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{
    DefinedTags, FreeformTags, JsonObject, Timestamp, null_as_empty, path_segment, with_json_body,
};
use crate::client::{Client, Error, Pages, Request};
use crate::region::Service;

/// `ListInstances`: the instances of a compartment.
#[derive(Debug, Clone, Default)]
pub struct ListInstances {
    pub compartment_id: String,
    pub availability_domain: Option<String>,
    pub capacity_reservation_id: Option<String>,
    pub compute_cluster_id: Option<String>,
    pub display_name: Option<String>,
    /// Items per page.
    pub limit: Option<u32>,
    /// `TIMECREATED` or `DISPLAYNAME`.
    pub sort_by: Option<String>,
    /// `ASC` or `DESC`.
    pub sort_order: Option<String>,
    /// `RUNNING`, `STOPPED`, `TERMINATED`, ...
    pub lifecycle_state: Option<String>,
}

impl ListInstances {
    pub fn new(compartment_id: impl Into<String>) -> Self {
        ListInstances {
            compartment_id: compartment_id.into(),
            ..Default::default()
        }
    }

    pub fn request(&self) -> Request {
        Request::get("ListInstances", Service::Core, "/instances".to_owned())
            .query_opt("availabilityDomain", self.availability_domain.as_ref())
            .query_opt(
                "capacityReservationId",
                self.capacity_reservation_id.as_ref(),
            )
            .query_opt("computeClusterId", self.compute_cluster_id.as_ref())
            .query("compartmentId", &self.compartment_id)
            .query_opt("displayName", self.display_name.as_ref())
            .query_opt("limit", self.limit)
            .query_opt("sortBy", self.sort_by.as_ref())
            .query_opt("sortOrder", self.sort_order.as_ref())
            .query_opt("lifecycleState", self.lifecycle_state.as_ref())
    }
}

/// `GetInstance`.
pub fn get_instance_request(instance_id: &str) -> Request {
    Request::get(
        "GetInstance",
        Service::Core,
        format!("/instances/{}", path_segment(instance_id)),
    )
}

/// What `InstanceAction` does to an instance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InstancePowerAction {
    Start,
    /// Power off at once.
    Stop,
    /// Power off after asking the OS to shut down (ACPI), up to 15 minutes.
    SoftStop,
    /// Power off and on at once.
    Reset,
    /// Reboot through the OS, then power off and on.
    SoftReset,
    SendDiagnosticInterrupt,
    DiagnosticReboot,
    RebootMigrate,
}

impl InstancePowerAction {
    /// The `action` query value.
    pub fn as_str(self) -> &'static str {
        match self {
            InstancePowerAction::Start => "START",
            InstancePowerAction::Stop => "STOP",
            InstancePowerAction::SoftStop => "SOFTSTOP",
            InstancePowerAction::Reset => "RESET",
            InstancePowerAction::SoftReset => "SOFTRESET",
            InstancePowerAction::SendDiagnosticInterrupt => "SENDDIAGNOSTICINTERRUPT",
            InstancePowerAction::DiagnosticReboot => "DIAGNOSTICREBOOT",
            InstancePowerAction::RebootMigrate => "REBOOTMIGRATE",
        }
    }

    /// The action named by `text` (any case), as the API spells it.
    pub fn from_name(text: &str) -> Option<Self> {
        const ALL: [InstancePowerAction; 8] = [
            InstancePowerAction::Start,
            InstancePowerAction::Stop,
            InstancePowerAction::SoftStop,
            InstancePowerAction::Reset,
            InstancePowerAction::SoftReset,
            InstancePowerAction::SendDiagnosticInterrupt,
            InstancePowerAction::DiagnosticReboot,
            InstancePowerAction::RebootMigrate,
        ];
        ALL.into_iter()
            .find(|action| action.as_str().eq_ignore_ascii_case(text.trim()))
    }
}

/// The optional body of `InstanceAction` for the actions that take options.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "actionType")]
pub enum InstancePowerActionDetails {
    #[serde(rename = "reset", rename_all = "camelCase")]
    Reset {
        #[serde(skip_serializing_if = "Option::is_none")]
        allow_dense_reboot_migration: Option<bool>,
    },
    #[serde(rename = "softreset", rename_all = "camelCase")]
    SoftReset {
        #[serde(skip_serializing_if = "Option::is_none")]
        allow_dense_reboot_migration: Option<bool>,
    },
    #[serde(rename = "rebootMigrate", rename_all = "camelCase")]
    RebootMigrate {
        #[serde(skip_serializing_if = "Option::is_none")]
        delete_local_storage: Option<bool>,
        #[serde(skip_serializing_if = "Option::is_none")]
        time_scheduled: Option<Timestamp>,
    },
}

/// `InstanceAction`: start, stop, reset, ... one instance. Answers the instance, usually in
/// `STARTING`/`STOPPING`.
#[derive(Debug, Clone)]
pub struct InstanceAction {
    pub instance_id: String,
    pub action: InstancePowerAction,
    pub details: Option<InstancePowerActionDetails>,
}

impl InstanceAction {
    pub fn new(instance_id: impl Into<String>, action: InstancePowerAction) -> Self {
        InstanceAction {
            instance_id: instance_id.into(),
            action,
            details: None,
        }
    }

    pub fn request(&self) -> Result<Request, Error> {
        let request = Request::post(
            "InstanceAction",
            Service::Core,
            format!("/instances/{}", path_segment(&self.instance_id)),
        )
        .query("action", self.action.as_str())
        .retry_token();
        match &self.details {
            Some(details) => with_json_body(request, details),
            None => Ok(request),
        }
    }
}

/// `ListVnicAttachments`: which VNICs are attached to which instances.
#[derive(Debug, Clone, Default)]
pub struct ListVnicAttachments {
    pub compartment_id: String,
    pub availability_domain: Option<String>,
    pub instance_id: Option<String>,
    pub limit: Option<u32>,
    pub vnic_id: Option<String>,
}

impl ListVnicAttachments {
    pub fn new(compartment_id: impl Into<String>) -> Self {
        ListVnicAttachments {
            compartment_id: compartment_id.into(),
            ..Default::default()
        }
    }

    /// The attachments of one instance.
    pub fn of_instance(compartment_id: impl Into<String>, instance_id: impl Into<String>) -> Self {
        ListVnicAttachments {
            instance_id: Some(instance_id.into()),
            ..ListVnicAttachments::new(compartment_id)
        }
    }

    pub fn request(&self) -> Request {
        Request::get(
            "ListVnicAttachments",
            Service::Core,
            "/vnicAttachments".to_owned(),
        )
        .query_opt("availabilityDomain", self.availability_domain.as_ref())
        .query("compartmentId", &self.compartment_id)
        .query_opt("instanceId", self.instance_id.as_ref())
        .query_opt("limit", self.limit)
        .query_opt("vnicId", self.vnic_id.as_ref())
    }
}

/// `ListBootVolumeAttachments`: needs the availability domain and the compartment (both
/// on the [`Instance`]).
#[derive(Debug, Clone, Default)]
pub struct ListBootVolumeAttachments {
    pub availability_domain: String,
    pub compartment_id: String,
    pub limit: Option<u32>,
    pub instance_id: Option<String>,
    pub boot_volume_id: Option<String>,
}

impl ListBootVolumeAttachments {
    pub fn new(availability_domain: impl Into<String>, compartment_id: impl Into<String>) -> Self {
        ListBootVolumeAttachments {
            availability_domain: availability_domain.into(),
            compartment_id: compartment_id.into(),
            ..Default::default()
        }
    }

    pub fn request(&self) -> Request {
        Request::get(
            "ListBootVolumeAttachments",
            Service::Core,
            "/bootVolumeAttachments".to_owned(),
        )
        .query("availabilityDomain", &self.availability_domain)
        .query("compartmentId", &self.compartment_id)
        .query_opt("limit", self.limit)
        .query_opt("instanceId", self.instance_id.as_ref())
        .query_opt("bootVolumeId", self.boot_volume_id.as_ref())
    }
}

/// An instance (`Instance`; list items have the same shape).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Instance {
    pub id: String,
    pub display_name: Option<String>,
    pub compartment_id: Option<String>,
    pub availability_domain: Option<String>,
    pub fault_domain: Option<String>,
    /// `RUNNING`, `STOPPED`, ...
    pub lifecycle_state: Option<String>,
    pub shape: Option<String>,
    pub shape_config: Option<InstanceShapeConfig>,
    pub image_id: Option<String>,
    pub source_details: Option<InstanceSourceDetails>,
    /// The region's short code or id, as the service gives it (`iad`).
    pub region: Option<String>,
    pub time_created: Option<String>,
    pub time_maintenance_reboot_due: Option<String>,
    pub capacity_reservation_id: Option<String>,
    pub dedicated_vm_host_id: Option<String>,
    pub launch_mode: Option<String>,
    pub launch_options: Option<LaunchOptions>,
    pub agent_config: Option<InstanceAgentConfig>,
    /// `ssh_authorized_keys`, `user_data`, ...
    #[serde(default, deserialize_with = "null_as_empty")]
    pub metadata: BTreeMap<String, String>,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub extended_metadata: JsonObject,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub freeform_tags: FreeformTags,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub defined_tags: DefinedTags,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub system_tags: DefinedTags,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InstanceShapeConfig {
    pub ocpus: Option<f64>,
    #[serde(rename = "memoryInGBs")]
    pub memory_in_gbs: Option<f64>,
    pub vcpus: Option<i64>,
    pub baseline_ocpu_utilization: Option<String>,
    pub processor_description: Option<String>,
    pub networking_bandwidth_in_gbps: Option<f64>,
    pub max_vnic_attachments: Option<i64>,
    pub gpus: Option<i64>,
    pub gpu_description: Option<String>,
    pub local_disks: Option<i64>,
    #[serde(rename = "localDisksTotalSizeInGBs")]
    pub local_disks_total_size_in_gbs: Option<f64>,
}

/// What an instance booted from: `sourceType` `image` (with `imageId`) or `bootVolume`
/// (with `bootVolumeId`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InstanceSourceDetails {
    pub source_type: Option<String>,
    pub image_id: Option<String>,
    pub boot_volume_id: Option<String>,
    #[serde(rename = "bootVolumeSizeInGBs")]
    pub boot_volume_size_in_gbs: Option<i64>,
    #[serde(rename = "bootVolumeVpusPerGB")]
    pub boot_volume_vpus_per_gb: Option<i64>,
    pub kms_key_id: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LaunchOptions {
    pub boot_volume_type: Option<String>,
    pub firmware: Option<String>,
    pub network_type: Option<String>,
    pub remote_data_volume_type: Option<String>,
    pub is_pv_encryption_in_transit_enabled: Option<bool>,
    pub is_consistent_volume_naming_enabled: Option<bool>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InstanceAgentConfig {
    pub is_monitoring_disabled: Option<bool>,
    pub is_management_disabled: Option<bool>,
    pub are_all_plugins_disabled: Option<bool>,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub plugins_config: Vec<InstanceAgentPluginConfig>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InstanceAgentPluginConfig {
    pub name: Option<String>,
    /// `ENABLED` or `DISABLED`.
    pub desired_state: Option<String>,
}

/// A VNIC attached to an instance (`VnicAttachment`); read the addresses with
/// [`Client::get_vnic`] on `vnic_id`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VnicAttachment {
    pub id: String,
    pub instance_id: Option<String>,
    pub vnic_id: Option<String>,
    pub subnet_id: Option<String>,
    pub vlan_id: Option<String>,
    pub display_name: Option<String>,
    pub compartment_id: Option<String>,
    pub availability_domain: Option<String>,
    /// `ATTACHING`, `ATTACHED`, `DETACHING`, `DETACHED`.
    pub lifecycle_state: Option<String>,
    pub nic_index: Option<i64>,
    pub vlan_tag: Option<i64>,
    pub time_created: Option<String>,
}

/// A boot volume attached to an instance (`BootVolumeAttachment`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BootVolumeAttachment {
    pub id: String,
    pub instance_id: Option<String>,
    pub boot_volume_id: Option<String>,
    pub display_name: Option<String>,
    pub compartment_id: Option<String>,
    pub availability_domain: Option<String>,
    /// `ATTACHING`, `ATTACHED`, `DETACHING`, `DETACHED`.
    pub lifecycle_state: Option<String>,
    pub time_created: Option<String>,
    pub time_updated: Option<String>,
    pub is_pv_encryption_in_transit_enabled: Option<bool>,
    pub encryption_in_transit_type: Option<String>,
}

impl Client {
    pub fn list_instances(&self, list: &ListInstances) -> Pages<'_, Instance> {
        self.pages(list.request())
    }

    pub async fn get_instance(&self, instance_id: &str) -> Result<Instance, Error> {
        self.call(&get_instance_request(instance_id)).await
    }

    /// Carries an `opc-retry-token`, so a 5xx or a dropped connection is retried without
    /// the action happening twice.
    pub async fn instance_action(&self, action: &InstanceAction) -> Result<Instance, Error> {
        self.call(&action.request()?).await
    }

    pub fn list_vnic_attachments(&self, list: &ListVnicAttachments) -> Pages<'_, VnicAttachment> {
        self.pages(list.request())
    }

    pub fn list_boot_volume_attachments(
        &self,
        list: &ListBootVolumeAttachments,
    ) -> Pages<'_, BootVolumeAttachment> {
        self.pages(list.request())
    }
}

#[cfg(test)]
mod tests {
    use http::Method;

    use super::*;
    use crate::ops::testing::{body_text, pairs, wire_query};

    #[test]
    fn list_instances_sends_the_filters_in_the_sdk_order() {
        let list = ListInstances {
            availability_domain: Some("Uocm:US-ASHBURN-AD-1".to_owned()),
            lifecycle_state: Some("RUNNING".to_owned()),
            limit: Some(50),
            ..ListInstances::new("ocid1.compartment.oc1..c")
        };
        let request = list.request();
        assert_eq!(request.method, Method::GET);
        assert_eq!(request.service, Service::Core);
        assert_eq!(request.path, "/instances");
        assert_eq!(
            request.query,
            pairs(&[
                ("availabilityDomain", "Uocm:US-ASHBURN-AD-1"),
                ("compartmentId", "ocid1.compartment.oc1..c"),
                ("limit", "50"),
                ("lifecycleState", "RUNNING"),
            ])
        );
        assert!(request.body.is_none());
        assert!(request.idempotent);
    }

    #[test]
    fn list_instances_query_is_encoded_as_the_captured_sdk_request() {
        let mut request = ListInstances {
            availability_domain: Some("Uocm:US-ASHBURN-AD-1".to_owned()),
            ..ListInstances::new("<c>")
        }
        .request();
        // Pages adds the token after the filters.
        request
            .query
            .push(("page".to_owned(), "tok/en==".to_owned()));
        assert_eq!(
            wire_query(&request),
            "availabilityDomain=Uocm%3AUS-ASHBURN-AD-1&compartmentId=%3Cc%3E&page=tok%2Fen%3D%3D"
        );
    }

    #[test]
    fn get_instance_puts_the_ocid_in_the_path() {
        let request = get_instance_request("ocid1.instance.oc1.iad.aaa");
        assert_eq!(request.method, Method::GET);
        assert_eq!(request.path, "/instances/ocid1.instance.oc1.iad.aaa");
        assert!(request.query.is_empty());
        assert_eq!(request.operation, "GetInstance");
    }

    #[test]
    fn instance_action_is_a_post_with_the_action_in_the_query() {
        let request =
            InstanceAction::new("ocid1.instance.oc1.iad.aaa", InstancePowerAction::SoftStop)
                .request()
                .expect("builds");
        assert_eq!(request.method, Method::POST);
        assert_eq!(request.path, "/instances/ocid1.instance.oc1.iad.aaa");
        assert_eq!(request.query, pairs(&[("action", "SOFTSTOP")]));
        assert!(request.body.is_none());
        let token = request
            .headers
            .iter()
            .find(|(name, _)| *name == "opc-retry-token")
            .map(|(_, value)| value.clone());
        assert!(
            token.is_some_and(|t| t.len() == 32),
            "{:?}",
            request.headers
        );
        assert!(request.idempotent, "with a retry token it may be retried");
        let again = InstanceAction::new("i", InstancePowerAction::SoftStop)
            .request()
            .expect("builds");
        assert_ne!(again.headers, request.headers, "a new token per action");
    }

    #[test]
    fn instance_action_options_go_in_a_body_tagged_by_action_type() {
        let reset = InstanceAction {
            details: Some(InstancePowerActionDetails::Reset {
                allow_dense_reboot_migration: Some(true),
            }),
            ..InstanceAction::new("i", InstancePowerAction::Reset)
        };
        let request = reset.request().expect("builds");
        assert_eq!(request.query, pairs(&[("action", "RESET")]));
        assert_eq!(
            body_text(&request),
            r#"{"actionType":"reset","allowDenseRebootMigration":true}"#
        );
        let migrate = InstanceAction {
            details: Some(InstancePowerActionDetails::RebootMigrate {
                delete_local_storage: Some(false),
                time_scheduled: Some(Timestamp::from_unix(1_714_521_600)),
            }),
            ..InstanceAction::new("i", InstancePowerAction::RebootMigrate)
        };
        assert_eq!(
            body_text(&migrate.request().expect("builds")),
            r#"{"actionType":"rebootMigrate","deleteLocalStorage":false,"timeScheduled":"2024-05-01T00:00:00Z"}"#
        );
        let soft = InstancePowerActionDetails::SoftReset {
            allow_dense_reboot_migration: None,
        };
        assert_eq!(
            serde_json::to_string(&soft).expect("serializes"),
            r#"{"actionType":"softreset"}"#
        );
    }

    #[test]
    fn power_actions_are_read_by_name_in_any_case() {
        assert_eq!(
            InstancePowerAction::from_name("softstop"),
            Some(InstancePowerAction::SoftStop)
        );
        assert_eq!(
            InstancePowerAction::from_name(" START "),
            Some(InstancePowerAction::Start)
        );
        assert_eq!(InstancePowerAction::from_name("terminate"), None);
    }

    #[test]
    fn attachment_lists_send_their_filters() {
        let vnics = ListVnicAttachments::of_instance("c", "ocid1.instance.oc1.iad.aaa").request();
        assert_eq!(vnics.path, "/vnicAttachments");
        assert_eq!(
            vnics.query,
            pairs(&[
                ("compartmentId", "c"),
                ("instanceId", "ocid1.instance.oc1.iad.aaa")
            ])
        );
        let boot = ListBootVolumeAttachments {
            instance_id: Some("i".to_owned()),
            limit: Some(10),
            ..ListBootVolumeAttachments::new("Uocm:US-ASHBURN-AD-1", "c")
        }
        .request();
        assert_eq!(boot.path, "/bootVolumeAttachments");
        assert_eq!(
            boot.query,
            pairs(&[
                ("availabilityDomain", "Uocm:US-ASHBURN-AD-1"),
                ("compartmentId", "c"),
                ("limit", "10"),
                ("instanceId", "i"),
            ])
        );
    }

    #[test]
    fn the_sample_instance_parses() {
        let instance: Instance = serde_json::from_str(
            r#"{"availabilityDomain":"Uocm:US-ASHBURN-AD-1","compartmentId":"ocid1.compartment.oc1..ccc","definedTags":{},"displayName":"web-1","faultDomain":"FAULT-DOMAIN-1","freeformTags":{"env":"prod"},"id":"ocid1.instance.oc1.iad.aaa","imageId":"ocid1.image.oc1.iad.img","lifecycleState":"RUNNING","metadata":{"ssh_authorized_keys":"ssh-rsa AAA..."},"region":"iad","shape":"VM.Standard.E4.Flex","shapeConfig":{"ocpus":1.0,"memoryInGBs":16.0,"vcpus":2},"sourceDetails":{"sourceType":"image","bootVolumeSizeInGBs":50,"imageId":"ocid1.image.oc1.iad.img"},"timeCreated":"2024-05-01T12:00:00Z"}"#,
        )
        .expect("parses");
        assert_eq!(instance.id, "ocid1.instance.oc1.iad.aaa");
        assert_eq!(instance.display_name.as_deref(), Some("web-1"));
        assert_eq!(instance.lifecycle_state.as_deref(), Some("RUNNING"));
        assert_eq!(instance.freeform_tags["env"], "prod");
        assert_eq!(instance.metadata["ssh_authorized_keys"], "ssh-rsa AAA...");
        let shape = instance.shape_config.expect("shape config");
        assert_eq!(shape.ocpus, Some(1.0));
        assert_eq!(shape.memory_in_gbs, Some(16.0));
        assert_eq!(shape.vcpus, Some(2));
        let source = instance.source_details.expect("source");
        assert_eq!(source.source_type.as_deref(), Some("image"));
        assert_eq!(source.boot_volume_size_in_gbs, Some(50));
        assert_eq!(
            instance.time_created.as_deref(),
            Some("2024-05-01T12:00:00Z")
        );
    }

    #[test]
    fn an_instance_with_nulls_new_fields_and_new_states_parses() {
        let instance: Instance = serde_json::from_str(
            r#"{"id":"i","lifecycleState":"HIBERNATING","freeformTags":null,"definedTags":{"Oracle-Tags":{"CreatedBy":"alice","n":1}},"metadata":null,"somethingNew":[1,2],"sourceDetails":{"sourceType":"bootVolume","bootVolumeId":"b"},"agentConfig":{"pluginsConfig":[{"name":"OS Management Service Agent","desiredState":"ENABLED"}]}}"#,
        )
        .expect("parses");
        assert_eq!(instance.lifecycle_state.as_deref(), Some("HIBERNATING"));
        assert!(instance.freeform_tags.is_empty() && instance.metadata.is_empty());
        assert_eq!(instance.defined_tags["Oracle-Tags"]["CreatedBy"], "alice");
        assert_eq!(
            instance
                .source_details
                .and_then(|source| source.boot_volume_id)
                .as_deref(),
            Some("b")
        );
        let plugins = instance.agent_config.expect("agent").plugins_config;
        assert_eq!(plugins[0].desired_state.as_deref(), Some("ENABLED"));
    }

    #[test]
    fn the_sample_attachments_parse() {
        let vnics: Vec<VnicAttachment> = serde_json::from_str(
            r#"[{"availabilityDomain":"Uocm:US-ASHBURN-AD-1","compartmentId":"ocid1.compartment.oc1..ccc","displayName":"vnic","id":"ocid1.vnicattachment.oc1.iad.v","instanceId":"ocid1.instance.oc1.iad.aaa","lifecycleState":"ATTACHED","nicIndex":0,"subnetId":"ocid1.subnet.oc1.iad.s","timeCreated":"2024-05-01T12:00:00Z","vnicId":"ocid1.vnic.oc1.iad.n"}]"#,
        )
        .expect("parses");
        assert_eq!(vnics[0].vnic_id.as_deref(), Some("ocid1.vnic.oc1.iad.n"));
        assert_eq!(vnics[0].nic_index, Some(0));
        assert_eq!(vnics[0].lifecycle_state.as_deref(), Some("ATTACHED"));
        let boot: BootVolumeAttachment = serde_json::from_str(
            r#"{"availabilityDomain":"Uocm:US-ASHBURN-AD-1","bootVolumeId":"ocid1.bootvolume.oc1.iad.b","compartmentId":"ocid1.compartment.oc1..ccc","id":"ocid1.instance.oc1.iad.aaa","instanceId":"ocid1.instance.oc1.iad.aaa","lifecycleState":"ATTACHED","timeCreated":"2024-05-01T12:00:00Z"}"#,
        )
        .expect("parses");
        assert_eq!(
            boot.boot_volume_id.as_deref(),
            Some("ocid1.bootvolume.oc1.iad.b")
        );
        assert_eq!(
            boot.instance_id.as_deref(),
            Some("ocid1.instance.oc1.iad.aaa")
        );
    }
}
