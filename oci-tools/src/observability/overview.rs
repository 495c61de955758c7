//! A compartment's health on one screen: alarm counts and the firing alarms, instances by
//! state, the error-level log lines of a window, and a verdict computed from them.

use std::collections::BTreeMap;

use oci_api::Client;
use oci_api::ops::Timestamp;
use oci_api::ops::compute::ListInstances;
use oci_api::ops::logging::SearchLogs;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::super::error::ToolError;
use super::super::output::{Markdown, Row, fields, table};
use super::super::toolbox::Call;
use super::alarms::{
    AlarmState, active_alarms, alarm_statuses, firing_by_severity, join, severity_rank, sort_alarms,
};
use super::logs::{ERROR_LEVELS, LOG_COLUMNS, LogRow};
use super::{LOG_HOURS, SCAN_MAX, SCAN_PAGE, counts_text, hours_arg};

/// Error log lines the overview reads at most, and shows.
const OVERVIEW_LOG_LINES: u32 = 100;
const OVERVIEW_LATEST_LINES: usize = 5;

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct OverviewArgs {
    /// Compartment OCID; default: the configured compartment, else the tenancy.
    compartment_id: Option<String>,
    /// The window of the error log count, in hours (default 1, at most 24).
    hours: Option<u32>,
    /// Count the error-level log lines of the window (one Logging search; default true).
    include_logs: Option<bool>,
}

/// The longest overview log window, in hours.
const OVERVIEW_MAX_HOURS: u32 = 24;

/// The alarm counts of a compartment.
#[derive(Debug, Serialize, JsonSchema)]
pub struct AlarmCounts {
    /// Active alarms.
    pub total: usize,
    pub enabled: usize,
    /// Alarms whose status is SUSPENDED.
    pub suppressed: usize,
    pub firing: usize,
    pub firing_by_severity: BTreeMap<String, usize>,
}

/// The compute instances of a compartment by lifecycle state.
#[derive(Debug, Serialize, JsonSchema)]
pub struct InstanceCounts {
    pub total: usize,
    pub by_state: BTreeMap<String, usize>,
}

/// The error-level log lines of the window.
#[derive(Debug, Serialize, JsonSchema)]
pub struct ErrorLogs {
    pub hours: u32,
    /// Lines at an error level (ERROR, CRITICAL, FATAL, ...), of those read.
    pub count: usize,
    /// True when more lines matched than the overview reads (100): `count` is a floor.
    pub more: bool,
    /// The newest of them.
    pub latest: Vec<LogRow>,
}

/// One screen of a compartment's health.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Overview {
    pub compartment_id: String,
    /// critical: a CRITICAL or ERROR alarm fires; warning: another alarm fires, or error
    /// lines were logged; ok: neither.
    pub health: String,
    pub alarms: AlarmCounts,
    /// The firing alarms, most severe first.
    pub firing: Vec<AlarmState>,
    pub instances: InstanceCounts,
    /// Absent when not asked for or when the search failed (see `notes`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_logs: Option<ErrorLogs>,
    pub notes: Vec<String>,
}

impl Markdown for Overview {
    fn markdown(&self) -> String {
        let mut text = format!(
            "## Observability overview of {}\nHealth: {}\n\n### Alarms\n",
            self.compartment_id,
            self.health.to_ascii_uppercase()
        );
        let mut firing = self.alarms.firing.to_string();
        if !self.alarms.firing_by_severity.is_empty() {
            firing.push_str(&format!(
                " ({})",
                counts_text(&self.alarms.firing_by_severity)
            ));
        }
        text.push_str(&fields(&[
            (
                "total",
                Some(format!(
                    "{} ({} enabled, {} suppressed)",
                    self.alarms.total, self.alarms.enabled, self.alarms.suppressed
                )),
            ),
            ("firing", Some(firing)),
        ]));
        if !self.firing.is_empty() {
            text.push('\n');
            text.push_str(&table(
                AlarmState::COLUMNS,
                self.firing.iter().map(Row::cells),
            ));
        }
        text.push_str("\n### Instances\n");
        let states = if self.instances.by_state.is_empty() {
            String::new()
        } else {
            format!(": {}", counts_text(&self.instances.by_state))
        };
        text.push_str(&format!("- total {}{states}\n", self.instances.total));
        if let Some(logs) = &self.error_logs {
            text.push_str(&format!(
                "\n### Error log lines (last {} h)\n- {}{}\n",
                logs.hours,
                logs.count,
                if logs.more { "+" } else { "" }
            ));
            if !logs.latest.is_empty() {
                text.push('\n');
                text.push_str(&table(LOG_COLUMNS, logs.latest.iter().map(LogRow::cells)));
            }
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

/// The verdict: critical when a CRITICAL or ERROR alarm fires, warning when another alarm
/// fires or error lines were logged, else ok.
fn health(firing: &[AlarmState], error_lines: usize) -> &'static str {
    if firing
        .iter()
        .any(|a| severity_rank(a.severity.as_deref()) <= severity_rank(Some("ERROR")))
    {
        "critical"
    } else if !firing.is_empty() || error_lines > 0 {
        "warning"
    } else {
        "ok"
    }
}

/// The error-level lines of a compartment's logs over the last `hours`.
async fn error_logs(
    client: &Client,
    compartment_id: &str,
    hours: u32,
    end: Timestamp,
) -> Result<ErrorLogs, ToolError> {
    let start = Timestamp::from_unix(end.unix_seconds() - i64::from(hours) * 3600);
    let levels = ERROR_LEVELS
        .iter()
        .map(|level| format!("data.level = '{level}'"))
        .collect::<Vec<_>>()
        .join(" or ");
    let query = format!("search \"{compartment_id}\" | where {levels} | sort by datetime desc");
    let search = SearchLogs {
        limit: Some(OVERVIEW_LOG_LINES),
        ..SearchLogs::new(start, end, query)
    };
    let page = client.search_logs(&search, None).await?;
    let errors: Vec<LogRow> = page
        .response
        .results
        .iter()
        .map(|r| LogRow::of(&r.data))
        .filter(LogRow::is_error)
        .collect();
    Ok(ErrorLogs {
        hours,
        count: errors.len(),
        more: page.next_page.is_some(),
        latest: errors.into_iter().take(OVERVIEW_LATEST_LINES).collect(),
    })
}

pub(super) async fn overview(call: Call, args: OverviewArgs) -> Result<Overview, ToolError> {
    let hours = hours_arg("hours", args.hours, LOG_HOURS, OVERVIEW_MAX_HOURS)?;
    let compartment = call.compartment(args.compartment_id).await?;
    let client = call.client().await?;
    let alarms = active_alarms(&client, &compartment).await?;
    let statuses = alarm_statuses(&client, &compartment, None).await?;
    let mut states = join(&alarms, &statuses);
    sort_alarms(&mut states);
    let instances = client
        .list_instances(&ListInstances {
            limit: Some(SCAN_PAGE),
            ..ListInstances::new(compartment.clone())
        })
        .collect(Some(SCAN_MAX))
        .await?;
    let mut by_state = BTreeMap::new();
    for instance in &instances {
        let state = instance
            .lifecycle_state
            .clone()
            .unwrap_or_else(|| "(unknown)".to_owned());
        *by_state.entry(state).or_insert(0) += 1;
    }
    let mut notes = Vec::new();
    let error_logs = if args.include_logs.unwrap_or(true) {
        match error_logs(&client, &compartment, hours, call.now()).await {
            Ok(logs) => Some(logs),
            Err(e) => {
                notes.push(format!(
                    "the error log count is missing: the Logging search failed: {e}"
                ));
                None
            }
        }
    } else {
        None
    };
    let firing: Vec<AlarmState> = states.iter().filter(|a| a.is_firing()).cloned().collect();
    if alarms.len() >= SCAN_MAX || instances.len() >= SCAN_MAX {
        notes.push(format!(
            "only the first {SCAN_MAX} alarms and instances were counted"
        ));
    }
    let disabled_firing = firing
        .iter()
        .filter(|a| a.is_enabled == Some(false))
        .count();
    if disabled_firing > 0 {
        notes.push(format!(
            "{disabled_firing} firing alarm(s) are disabled: they send no notifications"
        ));
    }
    Ok(Overview {
        health: health(&firing, error_logs.as_ref().map_or(0, |l| l.count)).to_owned(),
        alarms: AlarmCounts {
            total: states.len(),
            enabled: states.iter().filter(|a| a.is_enabled == Some(true)).count(),
            suppressed: states
                .iter()
                .filter(|a| a.status.as_deref() == Some("SUSPENDED"))
                .count(),
            firing: firing.len(),
            firing_by_severity: firing_by_severity(&firing),
        },
        firing,
        instances: InstanceCounts {
            total: instances.len(),
            by_state,
        },
        error_logs,
        compartment_id: compartment,
        notes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_verdict_follows_the_firing_severities_and_error_lines() {
        let firing = |severity: &str| AlarmState {
            severity: Some(severity.into()),
            status: Some("FIRING".into()),
            ..AlarmState::of("a", None, None)
        };
        assert_eq!(health(&[firing("WARNING"), firing("ERROR")], 0), "critical");
        assert_eq!(health(&[firing("CRITICAL")], 0), "critical");
        assert_eq!(health(&[firing("INFO")], 0), "warning");
        assert_eq!(health(&[], 1), "warning");
        assert_eq!(health(&[], 0), "ok");
    }
}
