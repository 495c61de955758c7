//! Observability tools: an instance's metrics (Monitoring, `oci_computeagent`, always
//! filtered to the instance), alarms joined with their current status, an alarm's history,
//! OCI Logging search, Log Analytics queries and sources, and a one-screen overview of a
//! compartment's health. Also [`alarms_for_resource`], which the troubleshooting skills use
//! to find the alarms that concern one resource.
//!
//! Everything shown is computed from OCI's answers: counts, statuses and verdicts are never
//! assumed. Lists page with OCI's own page token as the cursor.
//!
//! - [`alarms`] holds the alarms with their status, the alarms of one resource and an
//!   alarm's history;
//! - [`instance`], an instance's metrics;
//! - [`logs`], Logging search and the rows of its results;
//! - [`log_analytics`], Log Analytics queries and log sources;
//! - [`overview`], a compartment's health on one screen.

mod alarms;
mod instance;
mod log_analytics;
mod logs;
mod overview;

use std::collections::BTreeMap;

use oci_api::ops::Timestamp;

use super::error::ToolError;
use super::toolbox::{Domain, Effect, ToolDef, tool};

pub use alarms::{AlarmState, alarms_for_resource};

pub fn tools() -> Vec<ToolDef> {
    vec![
        tool(
            "oci_observability_get_instance_metrics",
            Domain::Observability,
            Effect::Read,
            "CPU and memory utilization, network bytes in and out and (with include_disk, the default) disk bytes read and written of one compute instance over the last `hours` (default 1, at most 168), from Monitoring (namespace oci_computeagent, queries filtered to the instance's resourceId): latest, mean, min and max per metric, optionally every data point (include_points), and the alarms that concern the instance with their current status.",
            instance::get_instance_metrics,
        ),
        tool(
            "oci_observability_list_alarms",
            Domain::Observability,
            Effect::Read,
            "List the Monitoring alarms of a compartment (default: the configured compartment, else the tenancy) with their current status (FIRING, OK or SUSPENDED, from ListAlarmsStatus), severity, metric, query and when they last triggered; filtered by lifecycle state or display name (by OCI), and by severity or status (within the page). Pages with limit and cursor.",
            alarms::list_alarms,
        ),
        tool(
            "oci_observability_get_alarm_history",
            Domain::Observability,
            Effect::Read,
            "The history of one alarm over the last `hours` (default 24, at most 2160) or time_start..time_end: its state transitions (default) or every state evaluation (history_type STATE_HISTORY), each with its time, summary and when the alarm triggered. Pages with limit and cursor; the answer shows the time range (since, until) to pass again with the cursor.",
            alarms::get_alarm_history,
        ),
        tool(
            "oci_observability_search_logs",
            Domain::Observability,
            Effect::Read,
            "Search OCI Logging (the Logging Search query language) over the last `hours` (default 1) or time_start..time_end: a full query (`search \"<compartment>/<log group>\" | where level = 'ERROR'`), or a filter (`where data.message = '*timeout*'`) applied to the logs of a compartment (default: the configured one), log group or log, newest first. Rows give time, level, source, type and message. Pages with limit and cursor; the answer shows the time range to pass again with the cursor.",
            logs::search_logs,
        ),
        tool(
            "oci_observability_execute_log_query",
            Domain::Observability,
            Effect::Read,
            "Run a Log Analytics query (`'Log Source' = 'Linux Syslog Logs' and Severity = error | stats count by 'Host Name (Server)'`) over the last `hours` (default 1) or time_start..time_end in a compartment (default: the configured one, else the tenancy; include_subcompartments to widen it). The namespace is the tenancy's (looked up unless given). Returns the columns, the rows, the total count and whether the results are partial. Pages with limit and cursor.",
            log_analytics::execute_log_query,
        ),
        tool(
            "oci_observability_list_log_sources",
            Domain::Observability,
            Effect::Read,
            "List the Log Analytics log sources of the tenancy's namespace (built-in and custom): name, type, the entity types they apply to and how many entities use them; filtered by exact name, by text in the name or description, or by origin (BUILT_IN, CUSTOM). Pages with limit and cursor.",
            log_analytics::list_log_sources,
        ),
        tool(
            "oci_observability_overview",
            Domain::Observability,
            Effect::Read,
            "One-screen health of a compartment (default: the configured one, else the tenancy): alarms (total, enabled, suppressed, firing by severity, and which fire), compute instances by lifecycle state, and the error-level log lines of the last `hours` (default 1, from Logging search; include_logs=false skips it), with a verdict: critical when a CRITICAL or ERROR alarm fires, warning when another alarm fires or error lines were logged, else ok.",
            overview::overview,
        ),
    ]
}

/// Items read per call when a tool needs a whole list (alarms, statuses, instances).
const SCAN_PAGE: u32 = 1000;
/// The most items read for a whole list.
const SCAN_MAX: usize = 5000;
/// Default log window, in hours.
const LOG_HOURS: u32 = 1;

/// `value` (default `default`) checked to be 1 to `max` hours.
fn hours_arg(field: &str, value: Option<u32>, default: u32, max: u32) -> Result<u32, ToolError> {
    let hours = value.unwrap_or(default);
    if hours == 0 || hours > max {
        return Err(ToolError::invalid(format!(
            "`{field}` = {hours}: give 1 to {max}"
        )));
    }
    Ok(hours)
}

/// `CRITICAL 1, WARNING 2`.
fn counts_text(counts: &BTreeMap<String, usize>) -> String {
    counts
        .iter()
        .map(|(key, count)| format!("{key} {count}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A search's time range: `start` included, `end` excluded.
#[derive(Debug, Clone, Copy)]
struct Window {
    start: Timestamp,
    end: Timestamp,
}

impl Window {
    /// `time_start`..`time_end` (end default: `now`), or the last `hours` (default
    /// `default`), never longer than `max` hours.
    fn of(
        now: Timestamp,
        hours: Option<u32>,
        time_start: Option<&str>,
        time_end: Option<&str>,
        default: u32,
        max: u32,
    ) -> Result<Window, ToolError> {
        let parse = |field: &str, text: &str| {
            Timestamp::parse(text).map_err(|e| ToolError::invalid(format!("`{field}`: {e}")))
        };
        let end = match time_end {
            Some(text) => parse("time_end", text)?,
            None => now,
        };
        let start = match (time_start, hours) {
            (Some(_), Some(_)) => {
                return Err(ToolError::invalid("give `hours` or `time_start`, not both"));
            }
            (Some(text), None) => parse("time_start", text)?,
            (None, hours) => {
                let hours = hours_arg("hours", hours, default, max)?;
                Timestamp::from_unix(end.unix_seconds() - i64::from(hours) * 3600)
            }
        };
        if start >= end {
            return Err(ToolError::invalid("`time_start` must be before `time_end`"));
        }
        if end.unix_seconds() - start.unix_seconds() > i64::from(max) * 3600 {
            return Err(ToolError::invalid(format!(
                "the time range is longer than {max} hours: narrow it"
            )));
        }
        Ok(Window { start, end })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2024-05-01T12:00:00Z: the tests\' "now".
    const NOW: Timestamp = Timestamp::from_unix(1_714_564_800);

    #[test]
    fn windows_are_checked() {
        let window = Window::of(
            NOW,
            None,
            Some("2024-05-01T00:00:00Z"),
            Some("2024-05-01T02:00:00Z"),
            1,
            24,
        )
        .expect("a window");
        assert_eq!(
            window.end.unix_seconds() - window.start.unix_seconds(),
            7200
        );
        for (hours, start, end) in [
            (Some(1), Some("2024-05-01T00:00:00Z"), None),
            (Some(0), None, None),
            (Some(25), None, None),
            (
                None,
                Some("2024-05-02T00:00:00Z"),
                Some("2024-05-01T00:00:00Z"),
            ),
            (
                None,
                Some("2024-04-01T00:00:00Z"),
                Some("2024-05-01T00:00:00Z"),
            ),
            (None, Some("yesterday"), None),
        ] {
            assert!(
                Window::of(NOW, hours, start, end, 1, 24).is_err(),
                "{hours:?} {start:?} {end:?}"
            );
        }
    }
}
