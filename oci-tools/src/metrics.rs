//! Monitoring metrics as the tools show them: one MQL query per metric, always filtered
//! to the resource asked about (`{resourceId = "..."}`), summarized to the numbers a
//! diagnosis needs (latest, mean, min, max) over a window ending now.

use oci_api::Client;
use oci_api::ops::Timestamp;
use oci_api::ops::monitoring::{MetricData, SummarizeMetricsData};
use schemars::JsonSchema;
use serde::Serialize;

use super::error::ToolError;
use super::output::{Row, opt};

/// The compute agent's namespace: `CpuUtilization`, `MemoryUtilization`, ...
pub const COMPUTE_NAMESPACE: &str = "oci_computeagent";
/// Autonomous Databases: `CpuUtilization`, `StorageUtilization`, `Sessions`, ...
pub const ADB_NAMESPACE: &str = "oci_autonomous_database";

/// One metric of one resource over a window.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct MetricSummary {
    pub metric: String,
    pub namespace: String,
    /// The unit OCI gives (`percent`, `count`, ...), when it gives one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
    /// How many data points the window had.
    pub datapoints: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latest: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mean: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
    /// When the latest data point is from (RFC 3339).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latest_at: Option<String>,
}

impl Row for MetricSummary {
    const COLUMNS: &'static [&'static str] = &[
        "metric",
        "unit",
        "points",
        "latest",
        "mean",
        "min",
        "max",
        "latest at",
    ];
    fn cells(&self) -> Vec<String> {
        vec![
            self.metric.clone(),
            opt(self.unit.as_deref()),
            self.datapoints.to_string(),
            opt(self.latest.map(round2)),
            opt(self.mean.map(round2)),
            opt(self.min.map(round2)),
            opt(self.max.map(round2)),
            opt(self.latest_at.as_deref()),
        ]
    }
}

/// Two decimals, for tables.
pub fn round2(value: f64) -> f64 {
    (value * 100.0).round() / 100.0
}

/// The MQL query for `metric` of one resource: `CpuUtilization[5m]{resourceId = "..."}.mean()`.
pub fn resource_query(metric: &str, interval: &str, resource_id: &str) -> String {
    format!("{metric}[{interval}]{{resourceId = \"{resource_id}\"}}.mean()")
}

/// The interval for a window of `hours`: minutes for a few hours, coarser beyond.
pub fn interval_for(hours: u32) -> &'static str {
    match hours {
        0..=6 => "1m",
        7..=48 => "5m",
        _ => "1h",
    }
}

/// `metric` of `resource_id` over the last `hours`, summarized.
pub async fn summarize(
    client: &Client,
    compartment_id: &str,
    namespace: &str,
    metric: &str,
    resource_id: &str,
    hours: u32,
    now: Timestamp,
) -> Result<MetricSummary, ToolError> {
    let interval = interval_for(hours);
    let request = SummarizeMetricsData {
        start_time: Some(Timestamp::from_unix(
            now.unix_seconds() - i64::from(hours) * 3600,
        )),
        end_time: Some(now),
        // One point per interval (OCI's default resolution is 1m whatever the interval).
        resolution: Some(interval.to_owned()),
        ..SummarizeMetricsData::new(
            compartment_id,
            namespace,
            resource_query(metric, interval, resource_id),
        )
    };
    let data = client.summarize_metrics_data(&request).await?;
    Ok(summary_of(namespace, metric, &data))
}

/// The summary of the streams OCI answered (the points of all of them, in time order).
pub fn summary_of(namespace: &str, metric: &str, data: &[MetricData]) -> MetricSummary {
    let mut points: Vec<(&str, f64)> = data
        .iter()
        .flat_map(|stream| stream.aggregated_datapoints.iter())
        .map(|point| (point.timestamp.as_str(), point.value))
        .collect();
    points.sort_by(|a, b| a.0.cmp(b.0));
    let values: Vec<f64> = points.iter().map(|(_, value)| *value).collect();
    let count = values.len();
    let mean = (count > 0).then(|| values.iter().sum::<f64>() / count as f64);
    MetricSummary {
        metric: metric.to_owned(),
        namespace: namespace.to_owned(),
        unit: data
            .iter()
            .find_map(|stream| stream.metadata.get("unit").cloned()),
        datapoints: count,
        latest: values.last().copied(),
        mean,
        min: values.iter().copied().reduce(f64::min),
        max: values.iter().copied().reduce(f64::max),
        latest_at: points.last().map(|(at, _)| (*at).to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use oci_api::ops::monitoring::AggregatedDatapoint;

    #[test]
    fn points_of_every_stream_are_summarized_in_time_order() {
        let point = |timestamp: &str, value| AggregatedDatapoint {
            timestamp: timestamp.to_owned(),
            value,
        };
        let data = vec![MetricData {
            aggregated_datapoints: vec![
                point("2024-05-01T12:02:00Z", 30.0),
                point("2024-05-01T12:00:00Z", 10.0),
                point("2024-05-01T12:01:00Z", 20.0),
            ],
            ..MetricData::default()
        }];
        let summary = summary_of(COMPUTE_NAMESPACE, "CpuUtilization", &data);
        assert_eq!(summary.datapoints, 3);
        assert_eq!(summary.latest, Some(30.0));
        assert_eq!(summary.mean, Some(20.0));
        assert_eq!((summary.min, summary.max), (Some(10.0), Some(30.0)));
        assert_eq!(summary.latest_at.as_deref(), Some("2024-05-01T12:02:00Z"));
        assert_eq!(
            resource_query("CpuUtilization", "1m", "ocid1.instance.oc1..a"),
            "CpuUtilization[1m]{resourceId = \"ocid1.instance.oc1..a\"}.mean()"
        );
    }
}
