//! `oci_cost_monthly_trend`: the cost of the last complete months, the current month so
//! far, and a forecast of the current month from the least-squares line through the
//! complete months.

use oci_api::ops::usage::Filter;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{Period, Window, amount, currency, fetch, money, previous_month};
use crate::error::ToolError;
use crate::metrics::round2;
use crate::output::{Markdown, fields, table};
use crate::toolbox::{Call, Domain, Effect, ToolDef, tool};

pub(super) fn tools() -> Vec<ToolDef> {
    vec![tool(
        "oci_cost_monthly_trend",
        Domain::Cost,
        Effect::Read,
        "Cost per month over the last `months` complete months (default 6), with the change from month to month, the current month to date, and a forecast of the current month's total: the least-squares straight line through the complete months' costs, extended one month, never below 0. Optionally one service only.",
        monthly_trend,
    )]
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct TrendArgs {
    /// How many complete months to look back over (2 to 24, default 6).
    months: Option<u32>,
    /// Only this service's cost, as the Usage API names it (`COMPUTE`, ...).
    service: Option<String>,
}

/// The cost of one month.
#[derive(Debug, Serialize, JsonSchema)]
pub struct MonthCost {
    /// `2024-05`.
    pub month: String,
    pub cost: f64,
    /// Percent change from the month before; absent for the first month, after a month
    /// that cost nothing, and for the current (partial) month.
    pub change_percent: Option<f64>,
}

/// The forecast of the month after the complete months.
#[derive(Debug, Serialize, JsonSchema)]
pub struct TrendForecast {
    /// `2024-06`: the current month.
    pub month: String,
    pub cost: f64,
    /// The fitted line's change per month (its slope).
    pub change_per_month: f64,
    /// How the forecast is made.
    pub method: String,
}

/// `oci_cost_monthly_trend`'s answer.
#[derive(Debug, Serialize, JsonSchema)]
pub struct MonthlyTrend {
    pub currency: Option<String>,
    /// The service the costs were limited to, when one was given.
    pub service: Option<String>,
    /// The complete months, oldest first.
    pub months: Vec<MonthCost>,
    pub total: f64,
    pub average_per_month: f64,
    /// The current month so far.
    pub current_month: MonthCost,
    pub forecast: TrendForecast,
}

impl Markdown for MonthlyTrend {
    fn markdown(&self) -> String {
        let currency = self.currency.as_deref();
        let mut text = format!("## Monthly cost, last {} months\n", self.months.len());
        text.push_str(&fields(&[
            ("service", self.service.clone()),
            ("total", Some(money(self.total, currency))),
            (
                "average per month",
                Some(money(self.average_per_month, currency)),
            ),
        ]));
        text.push('\n');
        let change = |c: Option<f64>| c.map(|c| format!("{c:+.1}%")).unwrap_or_default();
        text.push_str(&table(
            &["month", "cost", "change"],
            self.months.iter().map(|m| {
                vec![
                    m.month.clone(),
                    money(m.cost, currency),
                    change(m.change_percent),
                ]
            }),
        ));
        text.push_str(&format!(
            "\n{} so far: {}\nForecast for {}: {} ({:+.2} per month). Method: {}\n",
            self.current_month.month,
            money(self.current_month.cost, currency),
            self.forecast.month,
            money(self.forecast.cost, currency),
            self.forecast.change_per_month,
            self.forecast.method
        ));
        text
    }
}

/// The least-squares line through `(0, ys[0])`, `(1, ys[1])`, ...: `(intercept, slope)`.
fn linear_fit(ys: &[f64]) -> (f64, f64) {
    let n = ys.len() as f64;
    if ys.is_empty() {
        return (0.0, 0.0);
    }
    let mean_x = (n - 1.0) / 2.0;
    let mean_y = ys.iter().sum::<f64>() / n;
    let (mut covariance, mut variance) = (0.0, 0.0);
    for (x, y) in ys.iter().enumerate() {
        let dx = x as f64 - mean_x;
        covariance += dx * (y - mean_y);
        variance += dx * dx;
    }
    let slope = if variance > 0.0 {
        covariance / variance
    } else {
        0.0
    };
    (mean_y - slope * mean_x, slope)
}

/// The next value of the least-squares line through `ys`, never below 0.
fn forecast_next(ys: &[f64]) -> f64 {
    let (intercept, slope) = linear_fit(ys);
    (intercept + slope * ys.len() as f64).max(0.0)
}

fn change_percent(before: f64, now: f64) -> Option<f64> {
    (before > 0.0).then(|| ((now - before) / before * 1000.0).round() / 10.0)
}

async fn monthly_trend(call: Call, args: TrendArgs) -> Result<MonthlyTrend, ToolError> {
    let months = args.months.unwrap_or(6);
    if !(2..=24).contains(&months) {
        return Err(ToolError::invalid(format!(
            "`months` = {months}: give 2 to 24"
        )));
    }
    let current = call.now().start_of_month();
    let mut start = current;
    for _ in 0..months {
        start = previous_month(start);
    }
    let window = Window {
        start,
        end: Period::Monthly.next(current),
        period: Period::Monthly,
    };
    let filter = args
        .service
        .as_ref()
        .map(|service| Filter::equals("service", service.clone()));
    let items = fetch(&call, &window, &[], filter).await?;
    let mut costs = window.zeros();
    for item in &items {
        if let Some(at) = window.period_of(item) {
            *costs.entry(at).or_default() += amount(item);
        }
    }
    let month_to_date = costs.remove(&current).unwrap_or(0.0);
    let complete: Vec<f64> = costs.values().copied().collect();
    let total: f64 = complete.iter().sum();
    let (_, slope) = linear_fit(&complete);
    let mut rows = Vec::new();
    let mut before: Option<f64> = None;
    for (at, cost) in &costs {
        rows.push(MonthCost {
            month: Period::Monthly.label(*at),
            cost: round2(*cost),
            change_percent: before.and_then(|b| change_percent(b, *cost)),
        });
        before = Some(*cost);
    }
    let label = Period::Monthly.label(current);
    Ok(MonthlyTrend {
        currency: currency(&items),
        service: args.service,
        total: round2(total),
        average_per_month: round2(total / complete.len().max(1) as f64),
        current_month: MonthCost {
            month: label.clone(),
            cost: round2(month_to_date),
            // Month to date against a whole month would only say how early in the month
            // it is.
            change_percent: None,
        },
        forecast: TrendForecast {
            month: label,
            cost: round2(forecast_next(&complete)),
            change_per_month: round2(slope),
            method: format!(
                "least-squares straight line through the {} complete months' costs, extended one month, floored at 0",
                complete.len()
            ),
        },
        months: rows,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_forecast_extends_the_least_squares_line_and_never_goes_negative() {
        let (intercept, slope) = linear_fit(&[100.0, 110.0, 120.0, 130.0]);
        assert!((intercept - 100.0).abs() < 1e-9 && (slope - 10.0).abs() < 1e-9);
        assert!((forecast_next(&[100.0, 110.0, 120.0, 130.0]) - 140.0).abs() < 1e-9);
        assert!((forecast_next(&[50.0, 50.0, 50.0]) - 50.0).abs() < 1e-9);
        assert_eq!(forecast_next(&[300.0, 200.0, 100.0]), 0.0, "floored at 0");
        // Noisy: y = 1, 3, 2, 4 gives slope 0.8, intercept 1.3, next 4.5.
        assert!((forecast_next(&[1.0, 3.0, 2.0, 4.0]) - 4.5).abs() < 1e-9);
        assert_eq!(change_percent(0.0, 10.0), None);
        assert_eq!(change_percent(100.0, 125.0), Some(25.0));
    }
}
