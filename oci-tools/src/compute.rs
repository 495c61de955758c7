//! Compute tools: list and inspect instances (with their IP addresses through the VNIC
//! attachments, and their CPU and memory metrics), and start, stop or restart one.
//! Stopping and restarting are graceful (`SOFTSTOP`, `SOFTRESET`) unless `force` asks
//! for the immediate `STOP` or `RESET`.

use oci_api::Client;
use oci_api::ops::compute::{
    Instance, InstanceAction, InstancePowerAction, ListInstances, ListVnicAttachments,
};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::args::{self, ocid};
use super::cache::InstanceVnic;
use super::error::ToolError;
use super::metrics::{self, COMPUTE_NAMESPACE, MetricSummary};
use super::output::{Markdown, Paged, Row, fields, opt, table};
use super::toolbox::{Call, Domain, Effect, ToolDef, tool};

pub fn tools() -> Vec<ToolDef> {
    vec![
        tool(
            "oci_compute_list_instances",
            Domain::Compute,
            Effect::Read,
            "List compute instances in a compartment (default: the configured compartment, else the tenancy), optionally filtered by lifecycle state, display name or availability domain. With include_ips, each instance's private and public IPs are looked up through its VNIC attachments. Pages with limit and cursor.",
            list_instances,
        ),
        tool(
            "oci_compute_get_instance",
            Domain::Compute,
            Effect::Read,
            "Get one compute instance: state, shape, OCPUs and memory, placement, image, IP addresses; with include_metrics, its CPU and memory utilization over the last hours.",
            get_instance,
        ),
        tool(
            "oci_compute_start_instance",
            Domain::Compute,
            Effect::Mutate,
            "Start a stopped compute instance (action START). Needs mutations enabled on the gateway.",
            start_instance,
        ),
        tool(
            "oci_compute_stop_instance",
            Domain::Compute,
            Effect::Mutate,
            "Stop a compute instance: gracefully (SOFTSTOP, the OS shuts down) or, with force, immediately (STOP). Needs mutations enabled on the gateway.",
            stop_instance,
        ),
        tool(
            "oci_compute_restart_instance",
            Domain::Compute,
            Effect::Mutate,
            "Restart a compute instance: gracefully (SOFTRESET) or, with force, immediately (RESET). Needs mutations enabled on the gateway.",
            restart_instance,
        ),
    ]
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct ListInstancesArgs {
    /// Compartment OCID; default: the configured compartment, else the tenancy.
    compartment_id: Option<String>,
    /// RUNNING, STOPPED, STARTING, STOPPING, PROVISIONING, TERMINATED, ...
    lifecycle_state: Option<String>,
    /// Only instances with exactly this display name.
    display_name: Option<String>,
    /// Only instances in this availability domain (`Uocm:US-ASHBURN-AD-1`).
    availability_domain: Option<String>,
    /// Also look up each instance's private and public IPs (one more call per instance).
    #[serde(default)]
    include_ips: bool,
    /// Items per page (default 50, at most 100).
    limit: Option<u32>,
    /// `next_cursor` of the previous page.
    cursor: Option<String>,
}

/// An instance as lists show it.
#[derive(Debug, Serialize, JsonSchema)]
pub struct InstanceItem {
    pub id: String,
    pub name: Option<String>,
    pub lifecycle_state: Option<String>,
    pub shape: Option<String>,
    pub availability_domain: Option<String>,
    pub time_created: Option<String>,
    /// With `include_ips`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub private_ips: Option<Vec<String>>,
    /// With `include_ips`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub public_ips: Option<Vec<String>>,
}

impl InstanceItem {
    fn of(instance: &Instance, vnics: Option<&[InstanceVnic]>) -> Self {
        Self {
            id: instance.id.clone(),
            name: instance.display_name.clone(),
            lifecycle_state: instance.lifecycle_state.clone(),
            shape: instance.shape.clone(),
            availability_domain: instance.availability_domain.clone(),
            time_created: instance.time_created.clone(),
            private_ips: vnics.map(|v| v.iter().filter_map(|n| n.private_ip.clone()).collect()),
            public_ips: vnics.map(|v| v.iter().filter_map(|n| n.public_ip.clone()).collect()),
        }
    }
}

impl Row for InstanceItem {
    const COLUMNS: &'static [&'static str] =
        &["name", "state", "shape", "availability domain", "IPs", "id"];
    fn cells(&self) -> Vec<String> {
        let ips: Vec<String> = self
            .private_ips
            .iter()
            .flatten()
            .cloned()
            .chain(
                self.public_ips
                    .iter()
                    .flatten()
                    .map(|ip| format!("{ip} (public)")),
            )
            .collect();
        vec![
            opt(self.name.as_deref()),
            opt(self.lifecycle_state.as_deref()),
            opt(self.shape.as_deref()),
            opt(self.availability_domain.as_deref()),
            ips.join(", "),
            self.id.clone(),
        ]
    }
}

/// The attached VNICs of an instance, cached for
/// [`INSTANCE_IPS_TTL`](super::cache::INSTANCE_IPS_TTL) (calls made as a user are not).
pub async fn instance_vnics(
    call: &Call,
    client: &Client,
    compartment_id: &str,
    instance_id: &str,
) -> Result<Vec<InstanceVnic>, ToolError> {
    let load = async {
        let list = ListVnicAttachments::of_instance(compartment_id, instance_id);
        let attachments = client.list_vnic_attachments(&list).collect(None).await?;
        let mut vnics = Vec::new();
        for attachment in attachments {
            if attachment.lifecycle_state.as_deref() != Some("ATTACHED") {
                continue;
            }
            let Some(vnic_id) = attachment.vnic_id else {
                continue;
            };
            let vnic = client.get_vnic(&vnic_id).await?;
            vnics.push(InstanceVnic {
                vnic_id,
                is_primary: vnic.is_primary,
                private_ip: vnic.private_ip,
                public_ip: vnic.public_ip,
                subnet_id: vnic.subnet_id,
                nsg_ids: vnic.nsg_ids,
            });
        }
        Ok::<_, ToolError>(vnics)
    };
    if !call.uses_shared_cache() {
        return load.await;
    }
    call.shared()
        .caches
        .instance_ips
        .get_or_load(instance_id, load)
        .await
}

async fn list_instances(
    call: Call,
    args: ListInstancesArgs,
) -> Result<Paged<InstanceItem>, ToolError> {
    let compartment = call.compartment(args.compartment_id).await?;
    let client = call.client().await?;
    let list = ListInstances {
        lifecycle_state: args.lifecycle_state.map(|s| s.to_ascii_uppercase()),
        display_name: args.display_name,
        availability_domain: args.availability_domain,
        limit: Some(args::limit(args.limit)),
        ..ListInstances::new(compartment)
    };
    let page = args::one_page(client.list_instances(&list), args.cursor).await?;
    let (instances, next) = page;
    let mut items = Vec::with_capacity(instances.len());
    for instance in &instances {
        let vnics = if args.include_ips {
            let compartment = instance
                .compartment_id
                .as_deref()
                .unwrap_or(&list.compartment_id);
            Some(instance_vnics(&call, &client, compartment, &instance.id).await?)
        } else {
            None
        };
        items.push(InstanceItem::of(instance, vnics.as_deref()));
    }
    Ok(Paged::new(items, next))
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct GetInstanceArgs {
    /// Instance OCID.
    instance_id: String,
    /// Also summarize CPU and memory utilization (oci_computeagent) over `metrics_hours`.
    #[serde(default)]
    include_metrics: bool,
    /// The metrics window in hours (default 1, at most 168).
    metrics_hours: Option<u32>,
}

/// One instance in detail.
#[derive(Debug, Serialize, JsonSchema)]
pub struct InstanceDetail {
    pub id: String,
    pub name: Option<String>,
    pub lifecycle_state: Option<String>,
    pub compartment_id: Option<String>,
    pub shape: Option<String>,
    pub ocpus: Option<f64>,
    pub memory_gbs: Option<f64>,
    pub availability_domain: Option<String>,
    pub fault_domain: Option<String>,
    pub region: Option<String>,
    pub image_id: Option<String>,
    pub time_created: Option<String>,
    pub vnics: Vec<InstanceVnic>,
    /// With `include_metrics`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metrics: Option<Vec<MetricSummary>>,
}

impl Markdown for InstanceDetail {
    fn markdown(&self) -> String {
        let mut text = format!("## Instance {}\n", self.name.as_deref().unwrap_or(&self.id));
        text.push_str(&fields(&[
            ("id", Some(self.id.clone())),
            ("state", self.lifecycle_state.clone()),
            ("compartment", self.compartment_id.clone()),
            ("shape", self.shape.clone()),
            ("OCPUs", self.ocpus.map(|o| o.to_string())),
            ("memory (GB)", self.memory_gbs.map(|m| m.to_string())),
            ("availability domain", self.availability_domain.clone()),
            ("fault domain", self.fault_domain.clone()),
            ("region", self.region.clone()),
            ("image", self.image_id.clone()),
            ("created", self.time_created.clone()),
        ]));
        text.push_str("\n### VNICs\n");
        text.push_str(&table(
            &[
                "private IP",
                "public IP",
                "primary",
                "subnet",
                "NSGs",
                "vnic",
            ],
            self.vnics.iter().map(|v| {
                vec![
                    opt(v.private_ip.as_deref()),
                    opt(v.public_ip.as_deref()),
                    opt(v.is_primary),
                    opt(v.subnet_id.as_deref()),
                    v.nsg_ids.join(", "),
                    v.vnic_id.clone(),
                ]
            }),
        ));
        if let Some(metrics) = &self.metrics {
            text.push_str("\n### Metrics\n");
            text.push_str(&table(
                MetricSummary::COLUMNS,
                metrics.iter().map(Row::cells),
            ));
        }
        text
    }
}

async fn get_instance(call: Call, args: GetInstanceArgs) -> Result<InstanceDetail, ToolError> {
    ocid("instance_id", &args.instance_id, &["instance"])?;
    let client = call.client().await?;
    let instance = client.get_instance(&args.instance_id).await?;
    let compartment = instance
        .compartment_id
        .clone()
        .unwrap_or_else(|| client.tenancy().to_owned());
    let vnics = instance_vnics(&call, &client, &compartment, &instance.id).await?;
    let metrics = if args.include_metrics {
        let hours = args.metrics_hours.unwrap_or(1).clamp(1, 168);
        let mut metrics = Vec::new();
        for metric in ["CpuUtilization", "MemoryUtilization"] {
            metrics.push(
                metrics::summarize(
                    &client,
                    &compartment,
                    COMPUTE_NAMESPACE,
                    metric,
                    &instance.id,
                    hours,
                    call.now(),
                )
                .await?,
            );
        }
        Some(metrics)
    } else {
        None
    };
    let shape = instance.shape_config.as_ref();
    Ok(InstanceDetail {
        ocpus: shape.and_then(|s| s.ocpus),
        memory_gbs: shape.and_then(|s| s.memory_in_gbs),
        id: instance.id,
        name: instance.display_name,
        lifecycle_state: instance.lifecycle_state,
        compartment_id: instance.compartment_id,
        shape: instance.shape,
        availability_domain: instance.availability_domain,
        fault_domain: instance.fault_domain,
        region: instance.region,
        image_id: instance.image_id,
        time_created: instance.time_created,
        vnics,
        metrics,
    })
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct StartArgs {
    /// Instance OCID.
    instance_id: String,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct PowerArgs {
    /// Instance OCID.
    instance_id: String,
    /// Skip the graceful OS shutdown: STOP or RESET instead of SOFTSTOP or SOFTRESET.
    #[serde(default)]
    force: bool,
}

/// What an instance action did.
#[derive(Debug, Serialize, JsonSchema)]
pub struct ActionResult {
    pub instance_id: String,
    pub name: Option<String>,
    /// The action sent: START, STOP, SOFTSTOP, RESET or SOFTRESET.
    pub action: String,
    /// The state OCI reported right after accepting it.
    pub lifecycle_state: Option<String>,
}

impl Markdown for ActionResult {
    fn markdown(&self) -> String {
        format!(
            "{} sent to {} ({}); state now {}\n",
            self.action,
            self.name.as_deref().unwrap_or("instance"),
            self.instance_id,
            self.lifecycle_state.as_deref().unwrap_or("unknown"),
        )
    }
}

async fn act(
    call: Call,
    instance_id: String,
    action: InstancePowerAction,
) -> Result<ActionResult, ToolError> {
    ocid("instance_id", &instance_id, &["instance"])?;
    let client = call.client().await?;
    let instance = client
        .instance_action(&InstanceAction::new(instance_id.clone(), action))
        .await?;
    Ok(ActionResult {
        instance_id,
        name: instance.display_name,
        action: action.as_str().to_owned(),
        lifecycle_state: instance.lifecycle_state,
    })
}

async fn start_instance(call: Call, args: StartArgs) -> Result<ActionResult, ToolError> {
    act(call, args.instance_id, InstancePowerAction::Start).await
}

async fn stop_instance(call: Call, args: PowerArgs) -> Result<ActionResult, ToolError> {
    let action = if args.force {
        InstancePowerAction::Stop
    } else {
        InstancePowerAction::SoftStop
    };
    act(call, args.instance_id, action).await
}

async fn restart_instance(call: Call, args: PowerArgs) -> Result<ActionResult, ToolError> {
    let action = if args.force {
        InstancePowerAction::Reset
    } else {
        InstancePowerAction::SoftReset
    };
    act(call, args.instance_id, action).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instance_rows_show_private_then_public_ips() {
        let item = InstanceItem {
            id: "ocid1.instance.oc1..a".into(),
            name: Some("web".into()),
            lifecycle_state: Some("RUNNING".into()),
            shape: None,
            availability_domain: None,
            time_created: None,
            private_ips: Some(vec!["10.0.0.2".into()]),
            public_ips: Some(vec!["203.0.113.9".into()]),
        };
        assert_eq!(item.cells()[4], "10.0.0.2, 203.0.113.9 (public)");
    }
}
