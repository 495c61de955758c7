//! Troubleshooting skills: multi-step diagnoses of one instance or one Autonomous
//! Database. Each step reads real data (state, metrics, alarms, recent audit events,
//! network exposure), tells the caller's progress token how far it is, and never stops
//! the diagnosis when one source fails (the step says why instead). The findings are
//! computed from what was read, each with its evidence and next steps, worst first.
//!
//! The rules, the same for both skills:
//! - a resource that is not running (STOPPED, STOPPING, TERMINATED, UNAVAILABLE, ...) is
//!   a HIGH finding;
//! - every FIRING alarm on the resource is a finding at the alarm's severity (CRITICAL
//!   stays CRITICAL, ERROR is HIGH, WARNING is MEDIUM, INFO is LOW);
//! - a CPU or memory mean above [`BUSY_MEAN`] % or peak above [`BUSY_PEAK`] % is HIGH;
//!   storage above [`STORAGE_FULL`] % is HIGH; a running resource with no metric data is
//!   MEDIUM (the agent or the metrics are missing);
//! - every CRITICAL or HIGH risky ingress rule that reaches the resource (security lists of
//!   its subnets and its NSGs) is a finding at that severity; the MEDIUM and LOW ones are in
//!   the answer's `exposure` list only; a database's public endpoint without an access
//!   control list is HIGH (MEDIUM when mutual TLS is required).

use oci_api::Client;
use oci_api::ops::Timestamp;
use oci_api::ops::logging::SearchLogs;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::args::ocid;
use super::compute::instance_vnics;
use super::database::{AutonomousDetail, get_autonomous};
use super::error::ToolError;
use super::metrics::{self, ADB_NAMESPACE, COMPUTE_NAMESPACE, MetricSummary, round2};
use super::network::{IngressRisk, Severity, exposure};
use super::observability::{AlarmState, alarms_for_resource};
use super::output::{Markdown, Row, table};
use super::toolbox::{Call, Domain, Effect, ToolDef, tool};

/// A mean utilization above this (percent) is a finding.
pub const BUSY_MEAN: f64 = 80.0;
/// A peak utilization above this (percent) is a finding.
pub const BUSY_PEAK: f64 = 95.0;
/// Storage use above this (percent) is a finding.
pub const STORAGE_FULL: f64 = 90.0;
/// Audit events shown at most.
const EVENTS: usize = 10;
/// The steps of each skill, for progress.
const STEPS: u32 = 5;

pub fn tools() -> Vec<ToolDef> {
    vec![
        tool(
            "oci_skill_troubleshoot_instance",
            Domain::Skills,
            Effect::Read,
            "Diagnose a compute instance in five steps (state, CPU and memory metrics, alarms, recent audit events, network exposure of its VNICs) and return findings with evidence and next steps, worst first. Sends progress notifications between steps when the call has a progress token.",
            troubleshoot_instance,
        ),
        tool(
            "oci_skill_troubleshoot_database",
            Domain::Skills,
            Effect::Read,
            "Diagnose an Autonomous Database in five steps (state and storage, CPU/storage/session metrics, alarms, recent audit events, network exposure of its endpoint) and return findings with evidence and next steps, worst first. Sends progress notifications between steps when the call has a progress token.",
            troubleshoot_database,
        ),
    ]
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct InstanceArgs {
    /// Instance OCID.
    instance_id: String,
    /// How far back metrics and events are read, in hours (default 24, at most 168).
    hours: Option<u32>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct DatabaseArgs {
    /// Autonomous Database OCID.
    database_id: String,
    /// How far back metrics and events are read, in hours (default 24, at most 168).
    hours: Option<u32>,
}

/// One problem found.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Finding {
    /// CRITICAL, HIGH, MEDIUM or LOW.
    pub severity: String,
    pub title: String,
    /// The data that shows it.
    pub evidence: Vec<String>,
    pub next_steps: Vec<String>,
}

/// What one step read.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Check {
    pub step: String,
    /// What it found, or why it could not read it.
    pub outcome: String,
    pub ok: bool,
}

/// One audit event about the resource.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct AuditEvent {
    pub time: Option<String>,
    /// `com.oraclecloud.ComputeApi.InstanceAction`, ...
    pub event: Option<String>,
    pub principal: Option<String>,
    /// The HTTP method or action of the request.
    pub action: Option<String>,
}

/// A diagnosis.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Diagnosis {
    pub resource_type: String,
    pub resource_id: String,
    pub name: Option<String>,
    pub lifecycle_state: Option<String>,
    /// The findings in one line.
    pub summary: String,
    /// Worst first.
    pub findings: Vec<Finding>,
    pub checks: Vec<Check>,
    pub metrics: Vec<MetricSummary>,
    pub alarms: Vec<AlarmState>,
    pub recent_events: Vec<AuditEvent>,
    pub exposure: Vec<IngressRisk>,
}

impl Markdown for Diagnosis {
    fn markdown(&self) -> String {
        let mut text = format!(
            "## Diagnosis of {} {} ({})\n{}\n\n### Findings\n",
            self.resource_type,
            self.name.as_deref().unwrap_or(&self.resource_id),
            self.lifecycle_state.as_deref().unwrap_or("state unknown"),
            self.summary
        );
        if self.findings.is_empty() {
            text.push_str("(none)\n");
        }
        for (n, finding) in self.findings.iter().enumerate() {
            text.push_str(&format!(
                "{}. [{}] {}\n",
                n + 1,
                finding.severity,
                finding.title
            ));
            for evidence in &finding.evidence {
                text.push_str(&format!("   - evidence: {evidence}\n"));
            }
            for step in &finding.next_steps {
                text.push_str(&format!("   - next: {step}\n"));
            }
        }
        text.push_str("\n### Checked\n");
        text.push_str(&table(
            &["step", "ok", "outcome"],
            self.checks
                .iter()
                .map(|c| vec![c.step.clone(), c.ok.to_string(), c.outcome.clone()]),
        ));
        if !self.metrics.is_empty() {
            text.push_str("\n### Metrics\n");
            text.push_str(&table(
                MetricSummary::COLUMNS,
                self.metrics.iter().map(Row::cells),
            ));
        }
        text
    }
}

/// What a diagnosis gathers, step by step.
struct Gathered {
    findings: Vec<Finding>,
    checks: Vec<Check>,
    metrics: Vec<MetricSummary>,
    alarms: Vec<AlarmState>,
    events: Vec<AuditEvent>,
    exposure: Vec<IngressRisk>,
}

impl Gathered {
    fn new() -> Self {
        Self {
            findings: Vec::new(),
            checks: Vec::new(),
            metrics: Vec::new(),
            alarms: Vec::new(),
            events: Vec::new(),
            exposure: Vec::new(),
        }
    }

    fn check(&mut self, step: &str, outcome: Result<String, ToolError>) {
        let (outcome, ok) = match outcome {
            Ok(text) => (text, true),
            Err(error) => (format!("could not read it: {error}"), false),
        };
        self.checks.push(Check {
            step: step.to_owned(),
            outcome,
            ok,
        });
    }

    fn find(&mut self, severity: &str, title: String, evidence: Vec<String>, next: Vec<String>) {
        self.findings.push(Finding {
            severity: severity.to_owned(),
            title,
            evidence,
            next_steps: next,
        });
    }

    /// Findings of the metrics read: busy CPU or memory, full storage, or no data.
    fn judge_metrics(&mut self, running: bool, storage_metric: &str) {
        let mut findings = Vec::new();
        for metric in &self.metrics {
            let (Some(mean), Some(max)) = (metric.mean, metric.max) else {
                continue;
            };
            let evidence = vec![format!(
                "{} over {} data points: latest {}, mean {}, max {}",
                metric.metric,
                metric.datapoints,
                metric.latest.map(round2).unwrap_or_default(),
                round2(mean),
                round2(max)
            )];
            if metric.metric == storage_metric {
                if max > STORAGE_FULL {
                    findings.push((
                        format!("storage is nearly full ({}% used at peak)", round2(max)),
                        evidence,
                        "free space or grow the storage (enable storage auto scaling)",
                    ));
                }
            } else if metric.metric.ends_with("Utilization")
                && (mean > BUSY_MEAN || max > BUSY_PEAK)
            {
                findings.push((
                    format!(
                        "{} is high (mean {}%, peak {}%)",
                        metric.metric,
                        round2(mean),
                        round2(max)
                    ),
                    evidence,
                    "find the busy workload, or scale the shape or compute count up",
                ));
            }
        }
        for (title, evidence, next) in findings {
            self.find("HIGH", title, evidence, vec![next.to_owned()]);
        }
        let read_all = self.checks.iter().any(|c| c.step == "metrics" && c.ok);
        if running && read_all && self.metrics.iter().all(|m| m.datapoints == 0) {
            self.find(
                "MEDIUM",
                "no metric data although the resource is running".to_owned(),
                self.metrics
                    .iter()
                    .map(|m| format!("{} ({}): no data points", m.metric, m.namespace))
                    .collect(),
                vec!["check that the Oracle Cloud Agent and its monitoring plugin run, and that the principal may read metrics".to_owned()],
            );
        }
    }

    /// Findings of the firing alarms.
    fn judge_alarms(&mut self) {
        let firing: Vec<AlarmState> = self
            .alarms
            .iter()
            .filter(|a| a.status.as_deref() == Some("FIRING"))
            .cloned()
            .collect();
        for alarm in firing {
            let severity = match alarm.severity.as_deref() {
                Some("CRITICAL") => "CRITICAL",
                Some("ERROR") => "HIGH",
                Some("WARNING") => "MEDIUM",
                _ => "LOW",
            };
            let name = alarm.name.clone().unwrap_or_else(|| alarm.alarm_id.clone());
            let mut evidence = vec![format!(
                "alarm `{name}` is FIRING{}",
                alarm
                    .timestamp_triggered
                    .as_deref()
                    .map(|t| format!(" since {t}"))
                    .unwrap_or_default()
            )];
            if let Some(query) = &alarm.query {
                evidence.push(format!("condition: {query}"));
            }
            self.find(
                severity,
                format!("alarm `{name}` is firing"),
                evidence,
                vec![format!(
                    "see its history with oci_observability_get_alarm_history (alarm_id {})",
                    alarm.alarm_id
                )],
            );
        }
    }

    /// Findings of the exposure read.
    fn judge_exposure(&mut self) {
        let risks: Vec<IngressRisk> = self
            .exposure
            .iter()
            .filter(|r| Severity::parse(&r.severity) >= Some(Severity::High))
            .cloned()
            .collect();
        for risk in risks {
            self.find(
                &risk.severity,
                format!(
                    "{} port {} open to {} ({})",
                    risk.protocol, risk.ports, risk.source, risk.location
                ),
                vec![
                    format!(
                        "ingress rule in {} ({}): {} {} from {}",
                        risk.location, risk.location_id, risk.protocol, risk.ports, risk.source
                    ),
                    risk.reason.clone(),
                ],
                vec![risk.suggestion.clone()],
            );
        }
    }

    fn into_diagnosis(
        mut self,
        resource_type: &str,
        resource_id: String,
        name: Option<String>,
        lifecycle_state: Option<String>,
    ) -> Diagnosis {
        self.findings
            .sort_by_key(|finding| std::cmp::Reverse(Severity::parse(&finding.severity)));
        let summary = if self.findings.is_empty() {
            "No problems found in the data read.".to_owned()
        } else {
            let titles: Vec<&str> = self
                .findings
                .iter()
                .take(3)
                .map(|f| f.title.as_str())
                .collect();
            format!(
                "{} finding(s); most important: {}.",
                self.findings.len(),
                titles.join("; ")
            )
        };
        Diagnosis {
            resource_type: resource_type.to_owned(),
            resource_id,
            name,
            lifecycle_state,
            summary,
            findings: self.findings,
            checks: self.checks,
            metrics: self.metrics,
            alarms: self.alarms,
            recent_events: self.events,
            exposure: self.exposure,
        }
    }
}

/// The resource a diagnosis is about, and where and how far back to read.
struct Resource<'a> {
    client: &'a Client,
    compartment: &'a str,
    id: &'a str,
    hours: u32,
    /// The end of the window read.
    now: Timestamp,
}

impl Gathered {
    /// Step: `names` of `namespace` for the resource, summarized.
    async fn read_metrics(&mut self, resource: &Resource<'_>, namespace: &str, names: &[&str]) {
        let mut read = Ok(());
        for metric in names {
            let summary = metrics::summarize(
                resource.client,
                resource.compartment,
                namespace,
                metric,
                resource.id,
                resource.hours,
                resource.now,
            )
            .await;
            match summary {
                Ok(summary) => self.metrics.push(summary),
                Err(error) => read = Err(error),
            }
        }
        let outcome = read.map(|()| {
            self.metrics
                .iter()
                .map(|m| format!("{}: {} points", m.metric, m.datapoints))
                .collect::<Vec<_>>()
                .join(", ")
        });
        self.check("metrics", outcome);
    }

    /// Step: the alarms on the resource, and the firing ones as findings.
    async fn read_alarms(&mut self, resource: &Resource<'_>) {
        let alarms = alarms_for_resource(resource.client, resource.compartment, resource.id).await;
        let outcome = alarms.map(|alarms| {
            let firing = alarms
                .iter()
                .filter(|a| a.status.as_deref() == Some("FIRING"))
                .count();
            self.alarms = alarms;
            format!("{} alarm(s), {firing} firing", self.alarms.len())
        });
        self.check("alarms", outcome);
        self.judge_alarms();
    }

    /// Step: the recent audit events about the resource.
    async fn read_events(&mut self, resource: &Resource<'_>) {
        let events = audit_events(
            resource.client,
            resource.compartment,
            resource.id,
            resource.hours,
            resource.now,
        )
        .await;
        let hours = resource.hours;
        let outcome = events.map(|events| {
            self.events = events;
            format!("{} audit event(s) in {hours} h", self.events.len())
        });
        self.check("recent events", outcome);
    }
}

fn hours(given: Option<u32>) -> u32 {
    given.unwrap_or(24).clamp(1, 168)
}

/// The audit events about `resource_id` in the last `hours`, newest first.
async fn audit_events(
    client: &Client,
    compartment_id: &str,
    resource_id: &str,
    hours: u32,
    now: Timestamp,
) -> Result<Vec<AuditEvent>, ToolError> {
    let start = Timestamp::from_unix(now.unix_seconds() - i64::from(hours) * 3600);
    let query = format!(
        "search \"{compartment_id}/_Audit\" | where data.resourceId = '{resource_id}' | sort by datetime desc"
    );
    let search = SearchLogs {
        limit: Some(u32::try_from(EVENTS).unwrap_or(10)),
        ..SearchLogs::new(start, now, query)
    };
    let page = client.search_logs(&search, None).await?;
    Ok(page
        .response
        .results
        .iter()
        .take(EVENTS)
        .map(|result| audit_event(&result.data))
        .collect())
}

fn audit_event(data: &Value) -> AuditEvent {
    let content = data.get("logContent").unwrap_or(data);
    let text = |value: Option<&Value>| value.and_then(Value::as_str).map(str::to_owned);
    let payload = content.get("data");
    AuditEvent {
        time: text(content.get("time")).or_else(|| {
            data.get("datetime")
                .and_then(Value::as_i64)
                .map(|ms| Timestamp::from_unix(ms.div_euclid(1000)).to_string())
        }),
        event: text(content.get("type")).or_else(|| text(payload.and_then(|p| p.get("eventName")))),
        principal: text(
            payload
                .and_then(|p| p.get("identity"))
                .and_then(|i| i.get("principalName")),
        ),
        action: text(
            payload
                .and_then(|p| p.get("request"))
                .and_then(|r| r.get("action")),
        ),
    }
}

/// States in which a resource does not serve.
fn not_running(state: Option<&str>) -> bool {
    !matches!(
        state,
        Some("RUNNING" | "AVAILABLE" | "AVAILABLE_NEEDS_ATTENTION")
    )
}

async fn troubleshoot_instance(call: Call, args: InstanceArgs) -> Result<Diagnosis, ToolError> {
    ocid("instance_id", &args.instance_id, &["instance"])?;
    let hours = hours(args.hours);
    let client = call.client().await?;
    let mut found = Gathered::new();

    call.progress(0, STEPS, "reading the instance's state")
        .await;
    let instance = client.get_instance(&args.instance_id).await?;
    let state = instance.lifecycle_state.clone();
    let compartment = instance
        .compartment_id
        .clone()
        .unwrap_or_else(|| client.tenancy().to_owned());
    found.check(
        "state",
        Ok(format!(
            "{} ({}, {})",
            state.as_deref().unwrap_or("unknown"),
            instance.shape.as_deref().unwrap_or("shape unknown"),
            instance
                .availability_domain
                .as_deref()
                .unwrap_or("AD unknown")
        )),
    );
    let running = !not_running(state.as_deref());

    call.progress(1, STEPS, "reading CPU and memory metrics")
        .await;
    let resource = Resource {
        client: &client,
        compartment: &compartment,
        id: &instance.id,
        hours,
        now: call.now(),
    };
    found
        .read_metrics(
            &resource,
            COMPUTE_NAMESPACE,
            &["CpuUtilization", "MemoryUtilization"],
        )
        .await;
    found.judge_metrics(running, "");

    call.progress(2, STEPS, "reading the alarms on the instance")
        .await;
    found.read_alarms(&resource).await;

    call.progress(3, STEPS, "reading recent audit events").await;
    found.read_events(&resource).await;

    call.progress(4, STEPS, "checking the network exposure of its VNICs")
        .await;
    let exposed = async {
        let vnics = instance_vnics(&call, &client, &compartment, &instance.id).await?;
        let subnets: Vec<String> = vnics.iter().filter_map(|v| v.subnet_id.clone()).collect();
        let nsgs: Vec<String> = vnics.iter().flat_map(|v| v.nsg_ids.clone()).collect();
        let public = vnics.iter().filter(|v| v.public_ip.is_some()).count();
        let risks = exposure(&client, &subnets, &nsgs).await?;
        Ok::<_, ToolError>((risks, vnics.len(), public))
    }
    .await;
    let outcome = exposed.map(|(risks, vnics, public)| {
        found.exposure = risks;
        format!(
            "{vnics} VNIC(s), {public} with a public IP; {} risky ingress rule(s)",
            found.exposure.len()
        )
    });
    found.check("network exposure", outcome);
    found.judge_exposure();

    if !running {
        let who = found
            .events
            .iter()
            .find(|e| {
                e.event
                    .as_deref()
                    .is_some_and(|e| e.contains("InstanceAction"))
            })
            .map(|e| {
                format!(
                    "latest instance action by {} at {}",
                    e.principal.as_deref().unwrap_or("unknown"),
                    e.time.as_deref().unwrap_or("unknown time")
                )
            });
        let mut evidence = vec![format!(
            "lifecycle state is {}",
            state.as_deref().unwrap_or("unknown")
        )];
        evidence.extend(who);
        found.find(
            "HIGH",
            format!(
                "the instance is not running ({})",
                state.as_deref().unwrap_or("unknown")
            ),
            evidence,
            vec![
                "if it should serve, start it with oci_compute_start_instance".to_owned(),
                "check the recent audit events for who stopped it and why".to_owned(),
            ],
        );
    }
    call.progress(STEPS, STEPS, "diagnosis done").await;
    Ok(found.into_diagnosis("instance", instance.id, instance.display_name, state))
}

async fn troubleshoot_database(call: Call, args: DatabaseArgs) -> Result<Diagnosis, ToolError> {
    ocid("database_id", &args.database_id, &["autonomousdatabase"])?;
    let hours = hours(args.hours);
    let client = call.client().await?;
    let mut found = Gathered::new();

    call.progress(0, STEPS, "reading the database's state")
        .await;
    let database = get_autonomous(&client, &args.database_id).await?;
    let state = database.lifecycle_state.clone();
    let compartment = database
        .compartment_id
        .clone()
        .unwrap_or_else(|| client.tenancy().to_owned());
    found.check(
        "state",
        Ok(format!(
            "{} ({}, {} storage used)",
            state.as_deref().unwrap_or("unknown"),
            database.workload.as_deref().unwrap_or("workload unknown"),
            database
                .storage_used_percent
                .map(|p| format!("{}%", round2(p)))
                .unwrap_or_else(|| "unknown".to_owned())
        )),
    );
    let running = !not_running(state.as_deref());

    call.progress(1, STEPS, "reading CPU, storage and session metrics")
        .await;
    let resource = Resource {
        client: &client,
        compartment: &compartment,
        id: &database.id,
        hours,
        now: call.now(),
    };
    found
        .read_metrics(
            &resource,
            ADB_NAMESPACE,
            &["CpuUtilization", "StorageUtilization", "Sessions"],
        )
        .await;
    found.judge_metrics(running, "StorageUtilization");
    if let Some(used) = database.storage_used_percent
        && used > STORAGE_FULL
        && !found
            .findings
            .iter()
            .any(|f| f.title.starts_with("storage"))
    {
        found.find(
            "HIGH",
            format!("storage is nearly full ({}% used)", round2(used)),
            vec![format!(
                "{} GB used of the allocated storage",
                database.used_storage_gbs.map(round2).unwrap_or_default()
            )],
            vec!["free space or grow the storage (enable storage auto scaling)".to_owned()],
        );
    }

    call.progress(2, STEPS, "reading the alarms on the database")
        .await;
    found.read_alarms(&resource).await;

    call.progress(3, STEPS, "reading recent audit events").await;
    found.read_events(&resource).await;

    call.progress(4, STEPS, "checking the network exposure of its endpoint")
        .await;
    database_exposure(&client, &database, &mut found).await;

    if !running {
        found.find(
            "HIGH",
            format!(
                "the database is not available ({})",
                state.as_deref().unwrap_or("unknown")
            ),
            {
                let mut evidence = vec![format!(
                    "lifecycle state is {}",
                    state.as_deref().unwrap_or("unknown")
                )];
                evidence.extend(database.lifecycle_details.clone());
                evidence.extend(
                    database
                        .time_deletion_of_free_autonomous_database
                        .as_ref()
                        .map(|t| {
                            format!("Always Free database: OCI deletes it if left stopped, at {t}")
                        }),
                );
                evidence
            },
            vec![
                "if it should serve, start it with oci_database_start_autonomous".to_owned(),
                "check the recent audit events for who stopped it and why".to_owned(),
            ],
        );
    }
    call.progress(STEPS, STEPS, "diagnosis done").await;
    Ok(found.into_diagnosis("autonomous database", database.id, database.name, state))
}

/// A private endpoint: the risky rules of its subnet and NSGs. A public endpoint: open to
/// any IP unless an access control list limits it.
async fn database_exposure(client: &Client, database: &AutonomousDetail, found: &mut Gathered) {
    if let Some(subnet) = &database.subnet_id {
        let risks = exposure(client, std::slice::from_ref(subnet), &database.nsg_ids).await;
        let outcome = risks.map(|risks| {
            found.exposure = risks;
            format!(
                "private endpoint; {} risky ingress rule(s)",
                found.exposure.len()
            )
        });
        found.check("network exposure", outcome);
        found.judge_exposure();
        return;
    }
    let limited = database.is_access_control_enabled == Some(true)
        && !database.access_control_list.is_empty();
    found.check(
        "network exposure",
        Ok(if limited {
            format!(
                "public endpoint limited to {} entr(ies)",
                database.access_control_list.len()
            )
        } else {
            "public endpoint open to any IP".to_owned()
        }),
    );
    if !limited {
        let mtls = database.is_mtls_connection_required != Some(false);
        found.find(
            if mtls { "MEDIUM" } else { "HIGH" },
            "the database's public endpoint accepts connections from any IP".to_owned(),
            vec![format!(
                "no access control list; mutual TLS {}",
                if mtls { "required" } else { "not required" }
            )],
            vec!["add an access control list of the client IPs or VCNs, or move it to a private endpoint".to_owned()],
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn audit_entries_give_time_event_and_principal() {
        let entry = serde_json::json!({
            "datetime": 1_714_564_800_000_i64,
            "logContent": {
                "type": "com.oraclecloud.ComputeApi.InstanceAction",
                "data": {
                    "identity": { "principalName": "alice" },
                    "request": { "action": "POST" }
                }
            }
        });
        let event = audit_event(&entry);
        assert_eq!(
            event.event.as_deref(),
            Some("com.oraclecloud.ComputeApi.InstanceAction")
        );
        assert_eq!(event.principal.as_deref(), Some("alice"));
        assert_eq!(event.action.as_deref(), Some("POST"));
        assert_eq!(event.time.as_deref(), Some("2024-05-01T12:00:00Z"));
    }

    #[test]
    fn findings_are_ordered_worst_first() {
        let mut found = Gathered::new();
        found.find("LOW", "a".into(), Vec::new(), Vec::new());
        found.find("CRITICAL", "b".into(), Vec::new(), Vec::new());
        found.find("HIGH", "c".into(), Vec::new(), Vec::new());
        let diagnosis = found.into_diagnosis("instance", "id".into(), None, None);
        let order: Vec<&str> = diagnosis
            .findings
            .iter()
            .map(|f| f.title.as_str())
            .collect();
        assert_eq!(order, ["b", "c", "a"]);
        assert!(
            diagnosis
                .summary
                .starts_with("3 finding(s); most important: b; c; a.")
        );
    }
}
