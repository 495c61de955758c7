//! Alarms: their definitions (`ListAlarms`) joined with their current status
//! (`ListAlarmsStatus`), the alarms that concern one resource, and an alarm's history.

use std::collections::{BTreeMap, HashMap, HashSet};

use oci_api::Client;
use oci_api::ops::monitoring::{
    Alarm, AlarmHistoryType, AlarmStatus, GetAlarmHistory, ListAlarms, ListAlarmsStatus,
};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::super::args::{self, ocid};
use super::super::error::ToolError;
use super::super::output::{Markdown, Row, fields, opt, page_footer, table};
use super::super::toolbox::Call;
use super::{SCAN_MAX, SCAN_PAGE, Window, counts_text};

/// Default and longest alarm history windows, in hours (OCI keeps 90 days).
const HISTORY_HOURS: u32 = 24;
const HISTORY_MAX_HOURS: u32 = 2160;

/// An alarm with its current status: what `ListAlarms` and `ListAlarmsStatus` say of it.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct AlarmState {
    pub alarm_id: String,
    pub name: Option<String>,
    /// CRITICAL, ERROR, WARNING or INFO (the firing rule's when it fires).
    pub severity: Option<String>,
    /// FIRING, OK or SUSPENDED; absent when OCI reported no status for the alarm.
    pub status: Option<String>,
    /// The MQL condition, `CpuUtilization[1m]{resourceId = "..."}.mean() > 90`.
    pub query: Option<String>,
    /// The metric the query reads (its text before `[`).
    pub metric: Option<String>,
    pub namespace: Option<String>,
    /// When the alarm last changed to its current status (RFC 3339).
    pub timestamp_triggered: Option<String>,
    /// The alarm's summary text (the firing rule's when it fires).
    pub alarm_summary: Option<String>,
    pub is_enabled: Option<bool>,
    pub lifecycle_state: Option<String>,
    /// The end of the alarm's suppression, when it is suppressed.
    pub suppressed_until: Option<String>,
}

impl AlarmState {
    /// The state of an alarm from its definition and status, either of which may be missing.
    pub(super) fn of(id: &str, alarm: Option<&Alarm>, status: Option<&AlarmStatus>) -> Self {
        let query = alarm.and_then(|a| a.query.clone());
        let suppression = status
            .and_then(|s| s.suppression.as_ref())
            .or_else(|| alarm.and_then(|a| a.suppression.as_ref()));
        AlarmState {
            alarm_id: id.to_owned(),
            name: alarm
                .and_then(|a| a.display_name.clone())
                .or_else(|| status.and_then(|s| s.display_name.clone())),
            severity: status
                .and_then(|s| s.severity.clone())
                .or_else(|| alarm.and_then(|a| a.severity.clone())),
            status: status.and_then(|s| s.status.clone()),
            metric: query.as_deref().and_then(metric_of),
            query,
            namespace: alarm.and_then(|a| a.namespace.clone()),
            timestamp_triggered: status.and_then(|s| s.timestamp_triggered.clone()),
            alarm_summary: status
                .and_then(|s| s.alarm_summary.clone())
                .or_else(|| alarm.and_then(|a| a.alarm_summary.clone())),
            is_enabled: alarm.and_then(|a| a.is_enabled),
            lifecycle_state: alarm.and_then(|a| a.lifecycle_state.clone()),
            suppressed_until: suppression.and_then(|s| s.time_suppress_until.clone()),
        }
    }

    pub(super) fn is_firing(&self) -> bool {
        self.status.as_deref() == Some("FIRING")
    }
}

impl Row for AlarmState {
    const COLUMNS: &'static [&'static str] = &[
        "name",
        "severity",
        "status",
        "triggered",
        "metric",
        "enabled",
        "id",
    ];
    fn cells(&self) -> Vec<String> {
        vec![
            opt(self.name.as_deref()),
            opt(self.severity.as_deref()),
            opt(self.status.as_deref()),
            opt(self.timestamp_triggered.as_deref()),
            opt(self.metric.as_deref()),
            opt(self.is_enabled),
            self.alarm_id.clone(),
        ]
    }
}

/// The metric an MQL query reads: `CpuUtilization` of `CpuUtilization[1m].mean() > 90`.
fn metric_of(query: &str) -> Option<String> {
    let name = query.split(['[', '{', '.', ' ']).next()?.trim();
    (!name.is_empty()).then(|| name.to_owned())
}

/// How urgent a severity is: CRITICAL first.
pub(super) fn severity_rank(severity: Option<&str>) -> u8 {
    match severity {
        Some("CRITICAL") => 0,
        Some("ERROR") => 1,
        Some("WARNING") => 2,
        Some("INFO") => 3,
        _ => 4,
    }
}

/// Firing alarms first, then by severity, then by name.
pub(super) fn sort_alarms(alarms: &mut [AlarmState]) {
    alarms.sort_by(|a, b| {
        (
            !a.is_firing(),
            severity_rank(a.severity.as_deref()),
            &a.name,
        )
            .cmp(&(
                !b.is_firing(),
                severity_rank(b.severity.as_deref()),
                &b.name,
            ))
    });
}

/// The active alarms of a compartment (every page, up to [`SCAN_MAX`]).
pub(super) async fn active_alarms(
    client: &Client,
    compartment_id: &str,
) -> Result<Vec<Alarm>, ToolError> {
    let list = ListAlarms {
        lifecycle_state: Some("ACTIVE".to_owned()),
        limit: Some(SCAN_PAGE),
        ..ListAlarms::new(compartment_id)
    };
    Ok(client.list_alarms(&list).collect(Some(SCAN_MAX)).await?)
}

/// The statuses of a compartment's alarms, or only of those whose metric streams include
/// `resource_id` (OCI's own filter).
pub(super) async fn alarm_statuses(
    client: &Client,
    compartment_id: &str,
    resource_id: Option<&str>,
) -> Result<Vec<AlarmStatus>, ToolError> {
    let list = ListAlarmsStatus {
        resource_id: resource_id.map(str::to_owned),
        limit: Some(SCAN_PAGE),
        ..ListAlarmsStatus::new(compartment_id)
    };
    Ok(client
        .list_alarms_status(&list)
        .collect(Some(SCAN_MAX))
        .await?)
}

/// The states of `alarms`, each with its status from `statuses`.
pub(super) fn join(alarms: &[Alarm], statuses: &[AlarmStatus]) -> Vec<AlarmState> {
    let by_id: HashMap<&str, &AlarmStatus> = statuses.iter().map(|s| (s.id.as_str(), s)).collect();
    alarms
        .iter()
        .map(|alarm| {
            AlarmState::of(
                &alarm.id,
                Some(alarm),
                by_id.get(alarm.id.as_str()).copied(),
            )
        })
        .collect()
}

/// The alarms of `compartment_id` that concern `resource_id`: those OCI lists as monitoring
/// a metric stream of the resource (`ListAlarmsStatus` with `resourceId`), and those whose
/// query names the resource's OCID; each with its current status, firing ones first, then
/// by severity.
pub async fn alarms_for_resource(
    client: &Client,
    compartment_id: &str,
    resource_id: &str,
) -> Result<Vec<AlarmState>, ToolError> {
    let alarms = active_alarms(client, compartment_id).await?;
    let statuses = alarm_statuses(client, compartment_id, None).await?;
    let monitoring = alarm_statuses(client, compartment_id, Some(resource_id)).await?;
    let by_id: HashMap<&str, &AlarmStatus> = statuses.iter().map(|s| (s.id.as_str(), s)).collect();
    let monitored: HashSet<&str> = monitoring.iter().map(|s| s.id.as_str()).collect();
    let mut found: Vec<AlarmState> = alarms
        .iter()
        .filter(|alarm| {
            monitored.contains(alarm.id.as_str())
                || alarm
                    .query
                    .as_deref()
                    .is_some_and(|q| q.contains(resource_id))
        })
        .map(|alarm| {
            AlarmState::of(
                &alarm.id,
                Some(alarm),
                by_id.get(alarm.id.as_str()).copied(),
            )
        })
        .collect();
    let listed: HashSet<&str> = alarms.iter().map(|a| a.id.as_str()).collect();
    // An alarm OCI says monitors the resource but that is not in the active list
    // (being deleted, say) still counts, with what its status tells.
    found.extend(
        monitoring
            .iter()
            .filter(|status| !listed.contains(status.id.as_str()))
            .map(|status| AlarmState::of(&status.id, None, Some(status))),
    );
    sort_alarms(&mut found);
    Ok(found)
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct ListAlarmsArgs {
    /// Compartment OCID; default: the configured compartment, else the tenancy.
    compartment_id: Option<String>,
    /// ACTIVE, DELETING or DELETED (OCI's filter).
    lifecycle_state: Option<String>,
    /// Only alarms with exactly this display name (OCI's filter).
    display_name: Option<String>,
    /// Only alarms of this severity: CRITICAL, ERROR, WARNING, INFO (within the page).
    severity: Option<String>,
    /// Only alarms in this status: FIRING, OK, SUSPENDED (within the page).
    status: Option<String>,
    /// Alarms per page (default 50, at most 100).
    limit: Option<u32>,
    /// `next_cursor` of the previous page.
    cursor: Option<String>,
}

/// One page of alarms with their status.
#[derive(Debug, Serialize, JsonSchema)]
pub struct AlarmPage {
    pub items: Vec<AlarmState>,
    /// How many of the page's alarms fire.
    pub firing: usize,
    /// The page's firing alarms per severity.
    pub firing_by_severity: BTreeMap<String, usize>,
    /// Pass as `cursor` to read the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

impl Markdown for AlarmPage {
    fn markdown(&self) -> String {
        let mut text = format!("{} firing", self.firing);
        if !self.firing_by_severity.is_empty() {
            text.push_str(&format!(" ({})", counts_text(&self.firing_by_severity)));
        }
        text.push_str("\n\n");
        text.push_str(&table(
            AlarmState::COLUMNS,
            self.items.iter().map(Row::cells),
        ));
        text.push_str(&page_footer(self.items.len(), self.next_cursor.as_deref()));
        text
    }
}

pub(super) fn firing_by_severity<'a>(
    alarms: impl IntoIterator<Item = &'a AlarmState>,
) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for alarm in alarms.into_iter().filter(|a| a.is_firing()) {
        let severity = alarm
            .severity
            .clone()
            .unwrap_or_else(|| "(none)".to_owned());
        *counts.entry(severity).or_insert(0) += 1;
    }
    counts
}

pub(super) async fn list_alarms(call: Call, args: ListAlarmsArgs) -> Result<AlarmPage, ToolError> {
    let compartment = call.compartment(args.compartment_id).await?;
    let client = call.client().await?;
    let list = ListAlarms {
        lifecycle_state: args.lifecycle_state.map(|s| s.to_ascii_uppercase()),
        display_name: args.display_name,
        limit: Some(args::limit(args.limit)),
        ..ListAlarms::new(compartment.clone())
    };
    let (alarms, next_cursor) = args::one_page(client.list_alarms(&list), args.cursor).await?;
    let statuses = if alarms.is_empty() {
        Vec::new()
    } else {
        alarm_statuses(&client, &compartment, None).await?
    };
    let severity = args.severity.map(|s| s.to_ascii_uppercase());
    let status = args.status.map(|s| s.to_ascii_uppercase());
    let items: Vec<AlarmState> = join(&alarms, &statuses)
        .into_iter()
        .filter(|a| severity.is_none() || a.severity == severity)
        .filter(|a| status.is_none() || a.status == status)
        .collect();
    Ok(AlarmPage {
        firing: items.iter().filter(|a| a.is_firing()).count(),
        firing_by_severity: firing_by_severity(&items),
        items,
        next_cursor,
    })
}

/// Which history entries to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
enum HistoryKind {
    /// Only the changes of state (OK to FIRING and back).
    #[default]
    StateTransitionHistory,
    /// Every evaluation of the alarm's state.
    StateHistory,
}

impl HistoryKind {
    fn oci(self) -> AlarmHistoryType {
        match self {
            HistoryKind::StateTransitionHistory => AlarmHistoryType::StateTransitionHistory,
            HistoryKind::StateHistory => AlarmHistoryType::StateHistory,
        }
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct AlarmHistoryArgs {
    /// Alarm OCID.
    alarm_id: String,
    /// The window in hours, ending now (default 24, at most 2160); or give time_start.
    hours: Option<u32>,
    /// Start of the window (RFC 3339, included).
    time_start: Option<String>,
    /// End of the window (RFC 3339, excluded); default now.
    time_end: Option<String>,
    /// STATE_TRANSITION_HISTORY (default) or STATE_HISTORY.
    #[serde(default)]
    history_type: HistoryKind,
    /// Entries per page (default 50, at most 100).
    limit: Option<u32>,
    /// `next_cursor` of the previous page (pass the same time range: the answer's `since`
    /// and `until`).
    cursor: Option<String>,
}

/// One entry of an alarm's history.
#[derive(Debug, Serialize, JsonSchema)]
pub struct HistoryEntry {
    /// When the entry was recorded (RFC 3339).
    pub timestamp: Option<String>,
    /// What happened, `State transitioned from OK to Firing`.
    pub summary: Option<String>,
    /// For a transition: when the alarm's state changed.
    pub timestamp_triggered: Option<String>,
    pub alarm_summary: Option<String>,
}

/// An alarm and one page of its history.
#[derive(Debug, Serialize, JsonSchema)]
pub struct AlarmHistory {
    pub alarm_id: String,
    pub name: Option<String>,
    pub severity: Option<String>,
    pub query: Option<String>,
    pub is_enabled: Option<bool>,
    /// STATE_TRANSITION_HISTORY or STATE_HISTORY.
    pub history_type: String,
    /// The window (RFC 3339): entries from `since`, before `until`.
    pub since: String,
    pub until: String,
    pub entries: Vec<HistoryEntry>,
    /// Pass as `cursor` to read the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

impl Markdown for AlarmHistory {
    fn markdown(&self) -> String {
        let mut text = format!(
            "## Alarm history: {}\n",
            self.name.as_deref().unwrap_or(&self.alarm_id)
        );
        text.push_str(&fields(&[
            ("id", Some(self.alarm_id.clone())),
            ("severity", self.severity.clone()),
            ("query", self.query.clone()),
            ("enabled", self.is_enabled.map(|e| e.to_string())),
            ("entries", Some(self.history_type.clone())),
            ("window", Some(format!("{} .. {}", self.since, self.until))),
        ]));
        text.push('\n');
        text.push_str(&table(
            &["time", "summary", "triggered", "alarm summary"],
            self.entries.iter().map(|e| {
                vec![
                    opt(e.timestamp.as_deref()),
                    opt(e.summary.as_deref()),
                    opt(e.timestamp_triggered.as_deref()),
                    opt(e.alarm_summary.as_deref()),
                ]
            }),
        ));
        text.push_str(&page_footer(
            self.entries.len(),
            self.next_cursor.as_deref(),
        ));
        text
    }
}

pub(super) async fn get_alarm_history(
    call: Call,
    args: AlarmHistoryArgs,
) -> Result<AlarmHistory, ToolError> {
    ocid("alarm_id", &args.alarm_id, &["alarm"])?;
    let window = Window::of(
        call.now(),
        args.hours,
        args.time_start.as_deref(),
        args.time_end.as_deref(),
        HISTORY_HOURS,
        HISTORY_MAX_HOURS,
    )?;
    let (since, until) = (window.start, window.end);
    let client = call.client().await?;
    let alarm = client.get_alarm(&args.alarm_id).await?;
    let request = GetAlarmHistory {
        alarm_historytype: Some(args.history_type.oci()),
        limit: Some(args::limit(args.limit)),
        timestamp_greater_than_or_equal_to: Some(since),
        timestamp_less_than: Some(until),
        ..GetAlarmHistory::new(args.alarm_id.clone())
    };
    let page = client
        .get_alarm_history(&request, args.cursor.as_deref())
        .await?;
    Ok(AlarmHistory {
        alarm_id: args.alarm_id,
        name: alarm.display_name,
        severity: alarm.severity,
        query: alarm.query,
        is_enabled: page.history.is_enabled.or(alarm.is_enabled),
        history_type: args.history_type.oci().as_str().to_owned(),
        since: since.to_string(),
        until: until.to_string(),
        entries: page
            .history
            .entries
            .into_iter()
            .map(|e| HistoryEntry {
                timestamp: e.timestamp,
                summary: e.summary,
                timestamp_triggered: e.timestamp_triggered,
                alarm_summary: e.alarm_summary,
            })
            .collect(),
        next_cursor: page.next_page,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_metric_of_an_alarm_query_is_its_first_word() {
        assert_eq!(
            metric_of("CpuUtilization[1m].mean() > 90").as_deref(),
            Some("CpuUtilization")
        );
        assert_eq!(
            metric_of("MemoryUtilization{resourceId = \"x\"}[5m].max() > 95").as_deref(),
            Some("MemoryUtilization")
        );
        assert_eq!(metric_of(""), None);
    }

    #[test]
    fn alarm_states_join_definition_and_status() {
        let alarm = Alarm {
            id: "a".into(),
            display_name: Some("High CPU".into()),
            query: Some("CpuUtilization[1m].mean() > 90".into()),
            severity: Some("WARNING".into()),
            is_enabled: Some(true),
            ..Alarm::default()
        };
        let status = AlarmStatus {
            id: "a".into(),
            severity: Some("CRITICAL".into()),
            status: Some("FIRING".into()),
            timestamp_triggered: Some("2024-05-01T12:00:00Z".into()),
            ..AlarmStatus::default()
        };
        let state = AlarmState::of("a", Some(&alarm), Some(&status));
        assert_eq!(
            state.severity.as_deref(),
            Some("CRITICAL"),
            "the firing rule's"
        );
        assert_eq!(state.metric.as_deref(), Some("CpuUtilization"));
        assert!(state.is_firing());
        let without = AlarmState::of("a", Some(&alarm), None);
        assert_eq!(without.status, None);
        assert_eq!(without.severity.as_deref(), Some("WARNING"));
    }

    #[test]
    fn firing_alarms_sort_first_then_by_severity() {
        let state = |name: &str, severity: &str, status: &str| AlarmState {
            name: Some(name.into()),
            severity: Some(severity.into()),
            status: Some(status.into()),
            ..AlarmState::of(name, None, None)
        };
        let mut alarms = vec![
            state("b", "CRITICAL", "OK"),
            state("c", "WARNING", "FIRING"),
            state("a", "CRITICAL", "FIRING"),
        ];
        sort_alarms(&mut alarms);
        let names: Vec<_> = alarms.iter().filter_map(|a| a.name.as_deref()).collect();
        assert_eq!(names, ["a", "c", "b"]);
    }
}
