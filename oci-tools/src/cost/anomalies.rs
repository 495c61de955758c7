//! `oci_cost_detect_anomalies`: daily costs scored by z-score against the window's mean
//! and (population) standard deviation; a flat series has no anomalies.

use std::collections::{BTreeMap, HashMap};

use oci_api::ops::Timestamp;
use oci_api::ops::usage::Filter;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{
    DAY, DAY_SERVICES, DEFAULT_DAYS, MAX_DAYS, Period, Range, ServiceCost, Window, amount,
    currency, fetch, money, ranked, service_costs, service_of,
};
use crate::error::ToolError;
use crate::metrics::round2;
use crate::output::{Markdown, fields, table};
use crate::toolbox::{Call, Domain, Effect, ToolDef, tool};

pub(super) fn tools() -> Vec<ToolDef> {
    vec![tool(
        "oci_cost_detect_anomalies",
        Domain::Cost,
        Effect::Read,
        "Find cost spikes: the daily cost over the last `days` complete days (default 30), each day's z-score against the window's mean and standard deviation, and the days above `threshold` (default 2.5) costing at least `min_cost`, with the services that cost most that day. Per service with per_service; one service with `service`. A flat series (deviation 0) has no anomalies. With n days no z-score can exceed sqrt(n-1), so use 10 days or more.",
        detect_anomalies,
    )]
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct AnomalyArgs {
    /// The window: the last N complete UTC days, today excluded (3 to 366, default 30).
    days: Option<u32>,
    /// Flag days whose z-score (standard deviations above the window's mean) exceeds this
    /// (default 2.5).
    threshold: Option<f64>,
    /// Never flag a day that cost less than this (default 1.0, in the billing currency).
    min_cost: Option<f64>,
    /// Only this service's cost, as the Usage API names it (`COMPUTE`, ...).
    service: Option<String>,
    /// Score each service's daily series on its own instead of the daily total.
    #[serde(default)]
    per_service: bool,
}

/// How far above normal an anomalous day is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// z-score up to 2.5.
    Low,
    /// Above 2.5.
    Medium,
    /// Above 3.
    High,
    /// Above 4.
    Critical,
}

impl Severity {
    fn of(z: f64) -> Self {
        match z {
            z if z > 4.0 => Severity::Critical,
            z if z > 3.0 => Severity::High,
            z if z > 2.5 => Severity::Medium,
            _ => Severity::Low,
        }
    }
}

/// A day's cost that stands out.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Anomaly {
    /// `2024-05-01`.
    pub date: String,
    /// `total`, or the service with per_service.
    pub series: String,
    pub cost: f64,
    /// The series' mean over the window.
    pub mean: f64,
    pub z_score: f64,
    pub severity: Severity,
    /// The services that cost most that day (of the whole day, whatever the series).
    pub top_services: Vec<ServiceCost>,
}

/// One daily series scored.
#[derive(Debug, Serialize, JsonSchema)]
pub struct SeriesStats {
    /// `total`, or a service.
    pub series: String,
    pub mean: f64,
    /// Population standard deviation over the window; 0 means flat: no anomalies.
    pub stddev: f64,
    pub max_cost: f64,
    pub anomalies: usize,
}

/// `oci_cost_detect_anomalies`'s answer.
#[derive(Debug, Serialize, JsonSchema)]
pub struct AnomalyReport {
    pub range: Range,
    pub currency: Option<String>,
    pub days: u32,
    pub threshold: f64,
    pub min_cost: f64,
    pub service: Option<String>,
    pub per_service: bool,
    /// The series scored.
    pub series: Vec<SeriesStats>,
    /// The flagged days, highest z-score first.
    pub anomalies: Vec<Anomaly>,
}

impl Markdown for AnomalyReport {
    fn markdown(&self) -> String {
        let currency = self.currency.as_deref();
        let mut text = format!("## Cost anomalies, {}\n", self.range.text());
        text.push_str(&fields(&[
            (
                "rule",
                Some(format!(
                    "z-score > {} against the window's mean and standard deviation, cost >= {}",
                    self.threshold,
                    money(self.min_cost, currency)
                )),
            ),
            ("service", self.service.clone()),
        ]));
        text.push_str("\n### Series\n");
        text.push_str(&table(
            &["series", "mean", "stddev", "max", "anomalies"],
            self.series.iter().map(|s| {
                vec![
                    s.series.clone(),
                    money(s.mean, currency),
                    format!("{:.2}", s.stddev),
                    money(s.max_cost, currency),
                    s.anomalies.to_string(),
                ]
            }),
        ));
        text.push_str("\n### Anomalies\n");
        if self.anomalies.is_empty() {
            text.push_str("No anomalies: no day stands out.\n");
            return text;
        }
        text.push_str(&table(
            &[
                "date",
                "series",
                "cost",
                "mean",
                "z",
                "severity",
                "top services",
            ],
            self.anomalies.iter().map(|a| {
                let services: Vec<String> = a
                    .top_services
                    .iter()
                    .map(|s| format!("{} {}", s.service, money(s.cost, currency)))
                    .collect();
                vec![
                    a.date.clone(),
                    a.series.clone(),
                    money(a.cost, currency),
                    money(a.mean, currency),
                    format!("{:.2}", a.z_score),
                    format!("{:?}", a.severity).to_lowercase(),
                    services.join(", "),
                ]
            }),
        ));
        text
    }
}

/// A flagged point of a series: (index, z-score).
type Flag = (usize, f64);

/// Mean, population standard deviation and the points whose z-score exceeds `threshold`
/// and whose value is at least `min_value`. A series with (numerically) no deviation has
/// no flagged points.
fn score(values: &[f64], threshold: f64, min_value: f64) -> (f64, f64, Vec<Flag>) {
    if values.is_empty() {
        return (0.0, 0.0, Vec::new());
    }
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    let stddev = (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n).sqrt();
    // Equal values can leave a rounding residue instead of an exact 0.
    if stddev <= mean.abs() * 1e-9 + 1e-12 {
        return (mean, 0.0, Vec::new());
    }
    let flags = values
        .iter()
        .enumerate()
        .map(|(i, v)| (i, (v - mean) / stddev))
        .filter(|&(i, z)| z > threshold && values[i] >= min_value)
        .collect();
    (mean, stddev, flags)
}

async fn detect_anomalies(call: Call, args: AnomalyArgs) -> Result<AnomalyReport, ToolError> {
    let days = args.days.unwrap_or(DEFAULT_DAYS);
    if !(3..=MAX_DAYS as u32).contains(&days) {
        return Err(ToolError::invalid(format!(
            "`days` = {days}: give 3 to {MAX_DAYS}"
        )));
    }
    let threshold = args.threshold.unwrap_or(2.5);
    if !(threshold.is_finite() && threshold > 0.0) {
        return Err(ToolError::invalid("`threshold` must be a number above 0"));
    }
    let min_cost = args.min_cost.unwrap_or(1.0);
    if !(min_cost.is_finite() && min_cost >= 0.0) {
        return Err(ToolError::invalid("`min_cost` must be a number, 0 or more"));
    }
    let end = call.now().start_of_day();
    let window = Window {
        start: Timestamp::from_unix(end.unix_seconds() - i64::from(days) * DAY),
        end,
        period: Period::Daily,
    };
    let filter = args
        .service
        .as_ref()
        .map(|service| Filter::equals("service", service.clone()));
    let items = fetch(&call, &window, &["service"], filter).await?;
    let days_of_window = window.periods();
    let index: HashMap<Timestamp, usize> = days_of_window
        .iter()
        .enumerate()
        .map(|(i, day)| (*day, i))
        .collect();
    let mut totals = vec![0.0; days_of_window.len()];
    let mut per_service: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    for item in &items {
        let Some(&i) = window.period_of(item).and_then(|day| index.get(&day)) else {
            continue;
        };
        totals[i] += amount(item);
        per_service
            .entry(service_of(item))
            .or_insert_with(|| vec![0.0; days_of_window.len()])[i] += amount(item);
    }
    let series: Vec<(String, &[f64])> = if args.per_service {
        per_service
            .iter()
            .map(|(name, values)| (name.clone(), values.as_slice()))
            .collect()
    } else {
        vec![("total".to_owned(), totals.as_slice())]
    };
    let mut stats = Vec::new();
    let mut anomalies = Vec::new();
    for (name, values) in series {
        let (mean, stddev, flags) = score(values, threshold, min_cost);
        stats.push(SeriesStats {
            series: name.clone(),
            mean: round2(mean),
            stddev: round2(stddev),
            max_cost: round2(values.iter().copied().fold(0.0, f64::max)),
            anomalies: flags.len(),
        });
        for (i, z) in flags {
            let day_services: HashMap<String, f64> = per_service
                .iter()
                .map(|(service, values)| (service.clone(), values[i]))
                .filter(|(_, cost)| *cost > 0.0)
                .collect();
            let mut top = ranked(day_services);
            top.truncate(DAY_SERVICES);
            anomalies.push(Anomaly {
                date: Period::Daily.label(days_of_window[i]),
                series: name.clone(),
                cost: round2(values[i]),
                mean: round2(mean),
                z_score: round2(z),
                severity: Severity::of(z),
                top_services: service_costs(&top, totals[i]),
            });
        }
    }
    anomalies.sort_by(|a, b| {
        b.z_score
            .total_cmp(&a.z_score)
            .then_with(|| a.date.cmp(&b.date))
    });
    Ok(AnomalyReport {
        range: Range::of(&window),
        currency: currency(&items),
        days,
        threshold,
        min_cost,
        service: args.service,
        per_service: args.per_service,
        series: stats,
        anomalies,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_spike_is_flagged_and_a_flat_series_is_not() {
        let mut spiky = vec![10.0; 29];
        spiky.push(100.0);
        let (mean, stddev, flags) = score(&spiky, 2.5, 1.0);
        assert!((mean - 13.0).abs() < 1e-9);
        assert!(stddev > 0.0);
        assert_eq!(flags.len(), 1);
        assert_eq!(flags[0].0, 29);
        assert!(flags[0].1 > 5.0, "{}", flags[0].1);
        assert!(score(&spiky, 2.5, 200.0).2.is_empty(), "below min_cost");
        // Equal values whose mean is not exact in binary.
        let (_, stddev, flags) = score(&[0.1; 30], 2.5, 0.0);
        assert_eq!(stddev, 0.0);
        assert!(flags.is_empty());
        assert!(score(&[], 2.5, 0.0).2.is_empty());
        assert_eq!(Severity::of(5.2), Severity::Critical);
        assert_eq!(Severity::of(2.6), Severity::Medium);
    }
}
