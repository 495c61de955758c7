//! An instance's metrics: the compute agent's CPU, memory, network and disk metrics, each
//! queried with the instance's `resourceId`, summarized, optionally with every point, and
//! the alarms that concern the instance.

use oci_api::ops::Timestamp;
use oci_api::ops::monitoring::{MetricData, SummarizeMetricsData};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::super::args::ocid;
use super::super::error::ToolError;
use super::super::metrics::{self, COMPUTE_NAMESPACE, MetricSummary, round2};
use super::super::output::{Markdown, Row, fields, table};
use super::super::toolbox::Call;
use super::{AlarmState, alarms_for_resource, hours_arg};

/// Default and longest metric windows, in hours.
const METRICS_HOURS: u32 = 1;
const METRICS_MAX_HOURS: u32 = 168;
/// The compute agent's metrics the tool reads; disk ones with `include_disk`.
const INSTANCE_METRICS: [&str; 4] = [
    "CpuUtilization",
    "MemoryUtilization",
    "NetworksBytesIn",
    "NetworksBytesOut",
];
const DISK_METRICS: [&str; 2] = ["DiskBytesRead", "DiskBytesWritten"];

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct InstanceMetricsArgs {
    /// Instance OCID.
    instance_id: String,
    /// The window in hours, ending now (default 1, at most 168).
    hours: Option<u32>,
    /// Also read DiskBytesRead and DiskBytesWritten (default true).
    include_disk: Option<bool>,
    /// Also return every data point of every metric (default false).
    #[serde(default)]
    include_points: bool,
    /// Also list the alarms that concern the instance, with their status (default true).
    include_alarms: Option<bool>,
}

/// One data point.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Point {
    /// RFC 3339.
    pub timestamp: String,
    pub value: f64,
}

/// One metric of the instance.
#[derive(Debug, Serialize, JsonSchema)]
pub struct InstanceMetric {
    #[serde(flatten)]
    pub summary: MetricSummary,
    /// With `include_points`: the data points in time order.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub points: Option<Vec<Point>>,
}

/// An instance's metrics over a window.
#[derive(Debug, Serialize, JsonSchema)]
pub struct InstanceMetrics {
    pub instance_id: String,
    pub name: Option<String>,
    pub lifecycle_state: Option<String>,
    pub compartment_id: String,
    pub hours: u32,
    /// The MQL interval of the queries (`1m`, `5m`, `1h`).
    pub interval: String,
    pub metrics: Vec<InstanceMetric>,
    /// With `include_alarms`: the alarms that concern the instance, firing ones first.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alarms: Option<Vec<AlarmState>>,
    /// What the data says beyond the numbers (metrics without data, a stopped instance).
    pub notes: Vec<String>,
}

impl Markdown for InstanceMetrics {
    fn markdown(&self) -> String {
        let mut text = format!(
            "## Metrics of {} ({}), last {} h\n",
            self.name.as_deref().unwrap_or(&self.instance_id),
            self.lifecycle_state.as_deref().unwrap_or("state unknown"),
            self.hours
        );
        text.push_str(&fields(&[
            ("id", Some(self.instance_id.clone())),
            ("interval", Some(self.interval.clone())),
        ]));
        text.push('\n');
        text.push_str(&table(
            MetricSummary::COLUMNS,
            self.metrics.iter().map(|m| m.summary.cells()),
        ));
        for metric in &self.metrics {
            if let Some(points) = metric.points.as_ref().filter(|p| !p.is_empty()) {
                text.push_str(&format!("\n### {} points\n", metric.summary.metric));
                text.push_str(&table(
                    &["time", "value"],
                    points
                        .iter()
                        .map(|p| vec![p.timestamp.clone(), round2(p.value).to_string()]),
                ));
            }
        }
        if let Some(alarms) = &self.alarms {
            text.push_str("\n### Alarms\n");
            text.push_str(&table(AlarmState::COLUMNS, alarms.iter().map(Row::cells)));
        }
        if !self.notes.is_empty() {
            text.push_str("\n### Notes\n");
            for note in &self.notes {
                text.push_str(&format!("- {note}\n"));
            }
        }
        text
    }
}

/// The streams of `data` that are `metric` of `resource_id` (all of them for OCI, which
/// answers only what the query selects; a stream naming another metric or resource is
/// left out rather than mixed in).
fn streams_of(data: Vec<MetricData>, metric: &str, resource_id: &str) -> Vec<MetricData> {
    data.into_iter()
        .filter(|s| s.name.as_deref().is_none_or(|name| name == metric))
        .filter(|s| {
            s.dimensions
                .get("resourceId")
                .is_none_or(|id| id == resource_id)
        })
        .collect()
}

pub(super) async fn get_instance_metrics(
    call: Call,
    args: InstanceMetricsArgs,
) -> Result<InstanceMetrics, ToolError> {
    ocid("instance_id", &args.instance_id, &["instance"])?;
    let hours = hours_arg("hours", args.hours, METRICS_HOURS, METRICS_MAX_HOURS)?;
    let client = call.client().await?;
    let instance = client.get_instance(&args.instance_id).await?;
    let compartment = instance
        .compartment_id
        .clone()
        .unwrap_or_else(|| client.tenancy().to_owned());
    let interval = metrics::interval_for(hours);
    let end = call.now();
    let start = Timestamp::from_unix(end.unix_seconds() - i64::from(hours) * 3600);
    let mut names: Vec<&str> = INSTANCE_METRICS.to_vec();
    if args.include_disk.unwrap_or(true) {
        names.extend(DISK_METRICS);
    }
    let mut found = Vec::with_capacity(names.len());
    let mut empty = Vec::new();
    for name in names {
        let request = SummarizeMetricsData {
            start_time: Some(start),
            end_time: Some(end),
            // One point per interval (OCI's default resolution is 1m).
            resolution: Some(interval.to_owned()),
            ..SummarizeMetricsData::new(
                compartment.clone(),
                COMPUTE_NAMESPACE,
                metrics::resource_query(name, interval, &instance.id),
            )
        };
        let data = client.summarize_metrics_data(&request).await?;
        let streams = streams_of(data, name, &instance.id);
        let summary = metrics::summary_of(COMPUTE_NAMESPACE, name, &streams);
        if summary.datapoints == 0 {
            empty.push(name);
        }
        let points = args.include_points.then(|| {
            let mut points: Vec<Point> = streams
                .iter()
                .flat_map(|s| s.aggregated_datapoints.iter())
                .map(|p| Point {
                    timestamp: p.timestamp.clone(),
                    value: p.value,
                })
                .collect();
            points.sort_by(|a, b| a.timestamp.cmp(&b.timestamp));
            points
        });
        found.push(InstanceMetric { summary, points });
    }
    let mut notes = Vec::new();
    if let Some(state) = instance
        .lifecycle_state
        .as_deref()
        .filter(|s| *s != "RUNNING")
    {
        notes.push(format!(
            "the instance is {state}: the compute agent reports no new data points until it runs"
        ));
    }
    if !empty.is_empty() {
        notes.push(format!(
            "no data in the window for {}: the Compute Instance Monitoring plugin of the Oracle Cloud Agent may be off, or the instance was not running",
            empty.join(", ")
        ));
    }
    let alarms = if args.include_alarms.unwrap_or(true) {
        Some(alarms_for_resource(&client, &compartment, &instance.id).await?)
    } else {
        None
    };
    Ok(InstanceMetrics {
        instance_id: instance.id,
        name: instance.display_name,
        lifecycle_state: instance.lifecycle_state,
        compartment_id: compartment,
        hours,
        interval: interval.to_owned(),
        metrics: found,
        alarms,
        notes,
    })
}
