//! Cost tools, from the Usage API (`RequestSummarizedUsages` over the whole tenancy,
//! `queryType` COST): a summary per day or month, breakdowns by service and by compartment,
//! a monthly trend with a least-squares forecast, and daily anomalies by z-score.
//!
//! Every figure is summed here from the usage items OCI returns: an item counts in the
//! day or month its `timeUsageStarted` falls in, items outside the range asked for are
//! ignored, and a day or month without items costs zero. Ranges are whole UTC days (whole
//! months for MONTHLY), the end excluded, as the Usage API wants them.
//!
//! - this module: the range of a query ([`Window`]), the one Usage API call ([`fetch`]) and
//!   the sums and shares every tool shows;
//! - [`breakdown`], `oci_cost_get_summary`, `oci_cost_by_service`, `oci_cost_by_compartment`;
//! - [`trend`], `oci_cost_monthly_trend` and its forecast;
//! - [`anomalies`], `oci_cost_detect_anomalies`.

mod anomalies;
mod breakdown;
mod trend;

use std::collections::{BTreeMap, HashMap};

use oci_api::ops::Timestamp;
use oci_api::ops::usage::{
    Filter, Granularity, RequestSummarizedUsages, UsageQueryType, UsageSummary,
};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::error::ToolError;
use super::metrics::round2;
use super::output::table;
use super::toolbox::{Call, ToolDef};

pub fn tools() -> Vec<ToolDef> {
    [breakdown::tools(), trend::tools(), anomalies::tools()]
        .into_iter()
        .flatten()
        .collect()
}

/// Seconds in a day.
const DAY: i64 = 86_400;
/// Default range of the summary and breakdowns, in days.
const DEFAULT_DAYS: u32 = 30;
/// The longest DAILY range, in days, and the longest MONTHLY one, in months.
const MAX_DAYS: usize = 366;
const MAX_MONTHS: usize = 36;
/// Services listed by `oci_cost_get_summary`; services of an anomalous day.
const SUMMARY_SERVICES: usize = 5;
const DAY_SERVICES: usize = 3;
/// The name of a group OCI left without a value.
const UNKNOWN: &str = "(unknown)";

/// How finely costs are bucketed in time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "UPPERCASE")]
pub enum Period {
    /// One row per UTC day.
    #[default]
    #[serde(alias = "daily")]
    Daily,
    /// One row per calendar month (the range is widened to whole months).
    #[serde(alias = "monthly")]
    Monthly,
}

impl Period {
    fn granularity(self) -> Granularity {
        match self {
            Period::Daily => Granularity::Daily,
            Period::Monthly => Granularity::Monthly,
        }
    }

    fn noun(self) -> &'static str {
        match self {
            Period::Daily => "day",
            Period::Monthly => "month",
        }
    }

    /// The start of the period `time` falls in.
    fn floor(self, time: Timestamp) -> Timestamp {
        match self {
            Period::Daily => time.start_of_day(),
            Period::Monthly => time.start_of_month(),
        }
    }

    /// The start of the period after the one `time` falls in.
    fn next(self, time: Timestamp) -> Timestamp {
        let start = self.floor(time).unix_seconds();
        match self {
            Period::Daily => Timestamp::from_unix(start + DAY),
            Period::Monthly => Timestamp::from_unix(start + 32 * DAY).start_of_month(),
        }
    }

    /// `time` when it starts a period, else the start of the next one.
    fn ceil(self, time: Timestamp) -> Timestamp {
        if self.floor(time) == time {
            time
        } else {
            self.next(time)
        }
    }

    /// `2024-05-01` for a day, `2024-05` for a month.
    fn label(self, time: Timestamp) -> String {
        let text = time.to_string();
        let width = match self {
            Period::Daily => 10,
            Period::Monthly => 7,
        };
        text.get(..width).unwrap_or(&text).to_owned()
    }
}

/// The start of the month before the one `time` falls in.
fn previous_month(time: Timestamp) -> Timestamp {
    Timestamp::from_unix(time.start_of_month().unix_seconds() - DAY).start_of_month()
}

/// A cost query's range: whole periods, `start` included, `end` excluded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Window {
    start: Timestamp,
    end: Timestamp,
    period: Period,
}

impl Window {
    /// The range of the `start_date`, `end_date` and `days` arguments: from `start_date`
    /// (or `days` days before the end; `DEFAULT_DAYS` without either) through `end_date`
    /// (default: `today`), both whole UTC days included, widened to whole months for MONTHLY.
    fn of_dates(
        today: Timestamp,
        start_date: Option<&str>,
        end_date: Option<&str>,
        days: Option<u32>,
        period: Period,
    ) -> Result<Window, ToolError> {
        let last_day = match end_date {
            Some(text) => date("end_date", text)?,
            None => today,
        };
        let end = Period::Daily.next(last_day);
        let start = match (start_date, days) {
            (Some(_), Some(_)) => {
                return Err(ToolError::invalid("give `start_date` or `days`, not both"));
            }
            (Some(text), None) => date("start_date", text)?.start_of_day(),
            (None, days) => {
                let days = days.unwrap_or(DEFAULT_DAYS);
                if days == 0 || days as usize > MAX_DAYS {
                    return Err(ToolError::invalid(format!(
                        "`days` = {days}: give 1 to {MAX_DAYS}"
                    )));
                }
                Timestamp::from_unix(end.unix_seconds() - i64::from(days) * DAY)
            }
        };
        if start >= end {
            return Err(ToolError::invalid(
                "`start_date` must be on or before `end_date`",
            ));
        }
        let window = Window {
            start: period.floor(start),
            end: period.ceil(end),
            period,
        };
        let count = window.periods().len();
        let most = match period {
            Period::Daily => MAX_DAYS,
            Period::Monthly => MAX_MONTHS,
        };
        if count > most {
            return Err(ToolError::invalid(format!(
                "the range covers {count} {}s; at most {most} (use MONTHLY or a shorter range)",
                period.noun()
            )));
        }
        Ok(window)
    }

    /// The start of every period of the range.
    fn periods(&self) -> Vec<Timestamp> {
        let mut periods = Vec::new();
        let mut at = self.start;
        while at < self.end {
            periods.push(at);
            at = self.period.next(at);
        }
        periods
    }

    /// The period `item` counts in, when it falls inside the range.
    fn period_of(&self, item: &UsageSummary) -> Option<Timestamp> {
        let started = Timestamp::parse(item.time_usage_started.as_deref()?).ok()?;
        (self.start <= started && started < self.end).then(|| self.period.floor(started))
    }

    /// Zero for every period of the range.
    fn zeros(&self) -> BTreeMap<Timestamp, f64> {
        self.periods().into_iter().map(|p| (p, 0.0)).collect()
    }
}

/// A date argument (`2024-05-01`, or an RFC 3339 time: its UTC day).
fn date(field: &str, text: &str) -> Result<Timestamp, ToolError> {
    Timestamp::parse(text)
        .map(Timestamp::start_of_day)
        .map_err(|e| ToolError::invalid(format!("`{field}`: {e}")))
}

/// The cost items of `window`, grouped by `group_by`, tenancy-wide unless `filter`ed;
/// forecast items are left out.
async fn fetch(
    call: &Call,
    window: &Window,
    group_by: &[&str],
    filter: Option<Filter>,
) -> Result<Vec<UsageSummary>, ToolError> {
    let client = call.client().await?;
    let request = RequestSummarizedUsages {
        query_type: Some(UsageQueryType::Cost),
        group_by: group_by.iter().map(|&g| g.to_owned()).collect(),
        filter,
        ..RequestSummarizedUsages::new(
            client.tenancy(),
            window.start,
            window.end,
            window.period.granularity(),
        )
    };
    let items = client
        .request_summarized_usages(&request)?
        .collect(None)
        .await?;
    Ok(items
        .into_iter()
        .filter(|item| item.is_forecast != Some(true))
        .collect())
}

/// The cost of an item (0 when OCI gives none).
fn amount(item: &UsageSummary) -> f64 {
    item.computed_amount
        .filter(|amount| amount.is_finite())
        .unwrap_or(0.0)
}

/// The currency of the items (a tenancy is billed in one).
fn currency(items: &[UsageSummary]) -> Option<String> {
    items
        .iter()
        .find_map(|item| item.currency.clone().filter(|c| !c.is_empty()))
}

fn service_of(item: &UsageSummary) -> String {
    item.service
        .clone()
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| UNKNOWN.to_owned())
}

/// `part` as a percentage of `total`, one decimal.
fn share(part: f64, total: f64) -> f64 {
    if total > 0.0 {
        (part / total * 1000.0).round() / 10.0
    } else {
        0.0
    }
}

/// Costs by name, most expensive first (then by name).
fn ranked(costs: HashMap<String, f64>) -> Vec<(String, f64)> {
    let mut ranked: Vec<(String, f64)> = costs.into_iter().collect();
    ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    ranked
}

/// `12.50 USD`.
fn money(amount: f64, currency: Option<&str>) -> String {
    match currency {
        Some(currency) => format!("{amount:.2} {currency}"),
        None => format!("{amount:.2}"),
    }
}

/// The first `top_n` (1 to 50, default 10).
fn top_n(top_n: Option<u32>) -> usize {
    top_n.unwrap_or(10).clamp(1, 50) as usize
}

/// The range of an answer.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Range {
    /// The first day counted (RFC 3339).
    pub start: String,
    /// The end of the range, excluded (RFC 3339).
    pub end: String,
}

impl Range {
    fn of(window: &Window) -> Self {
        Range {
            start: window.start.to_string(),
            end: window.end.to_string(),
        }
    }

    fn text(&self) -> String {
        format!("{} to {} (end excluded)", self.start, self.end)
    }
}

/// A service and its cost.
#[derive(Debug, Serialize, JsonSchema)]
pub struct ServiceCost {
    pub service: String,
    pub cost: f64,
    /// Percent of the total.
    pub share_percent: f64,
}

fn service_costs(ranked: &[(String, f64)], total: f64) -> Vec<ServiceCost> {
    ranked
        .iter()
        .map(|(service, cost)| ServiceCost {
            service: service.clone(),
            cost: round2(*cost),
            share_percent: share(*cost, total),
        })
        .collect()
}

fn service_table(services: &[ServiceCost], currency: Option<&str>) -> String {
    table(
        &["service", "cost", "share"],
        services.iter().map(|s| {
            vec![
                s.service.clone(),
                money(s.cost, currency),
                format!("{:.1}%", s.share_percent),
            ]
        }),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2024-05-15T12:00:00Z: the tests' "today".
    const TODAY: Timestamp = Timestamp::from_unix(1_715_774_400);

    fn time(text: &str) -> Timestamp {
        Timestamp::parse(text).expect("a time")
    }

    #[test]
    fn date_ranges_are_whole_days_and_months_end_excluded() {
        let daily = Window::of_dates(
            TODAY,
            Some("2024-05-01"),
            Some("2024-05-07"),
            None,
            Period::Daily,
        )
        .expect("a range");
        assert_eq!(daily.start, time("2024-05-01T00:00:00Z"));
        assert_eq!(daily.end, time("2024-05-08T00:00:00Z"));
        assert_eq!(daily.periods().len(), 7);
        let monthly = Window::of_dates(
            TODAY,
            Some("2024-01-15"),
            Some("2024-03-02T10:00:00Z"),
            None,
            Period::Monthly,
        )
        .expect("a range");
        assert_eq!(monthly.start, time("2024-01-01T00:00:00Z"));
        assert_eq!(monthly.end, time("2024-04-01T00:00:00Z"));
        let labels: Vec<String> = monthly
            .periods()
            .into_iter()
            .map(|p| Period::Monthly.label(p))
            .collect();
        assert_eq!(labels, ["2024-01", "2024-02", "2024-03"]);
        let last_days = Window::of_dates(TODAY, None, Some("2024-03-01"), Some(2), Period::Daily)
            .expect("a range");
        assert_eq!(last_days.start, time("2024-02-29T00:00:00Z"), "a leap day");
        assert_eq!(
            previous_month(time("2024-01-10T05:00:00Z")),
            time("2023-12-01T00:00:00Z")
        );
    }

    #[test]
    fn bad_ranges_are_refused() {
        let both = Window::of_dates(TODAY, Some("2024-05-01"), None, Some(3), Period::Daily);
        assert!(both.is_err_and(|e| e.to_string().contains("not both")));
        let reversed = Window::of_dates(
            TODAY,
            Some("2024-05-09"),
            Some("2024-05-01"),
            None,
            Period::Daily,
        );
        assert!(reversed.is_err_and(|e| e.to_string().contains("on or before")));
        let long = Window::of_dates(
            TODAY,
            Some("2020-01-01"),
            Some("2024-01-01"),
            None,
            Period::Daily,
        );
        assert!(long.is_err_and(|e| e.to_string().contains("use MONTHLY")));
        let garbage = Window::of_dates(TODAY, Some("yesterday"), None, None, Period::Daily);
        assert!(garbage.is_err_and(|e| e.to_string().contains("`start_date`")));
        assert!(Window::of_dates(TODAY, None, None, Some(0), Period::Daily).is_err());
    }
}
