//! The parts of a backend spec that say how the daemon guards it: `[health]` (pings,
//! degraded and quarantined thresholds, recovery probes), `[limits]` (concurrency, queue,
//! response size) and `[[timeouts.tools]]` (per-tool call and idle limits). Their TOML
//! forms, drafts and validation live here; `backend.rs` wires them into the spec.

use std::time::Duration;

use serde::Deserialize;
use toml::Spanned;

use super::duration::ConfigDuration;
use super::error::{ConfigIssue, Location};
use super::glob::Glob;
use super::size::{self, ConfigSize};
use super::span::{At, Locate, Scope, spanned, spanned_duration};

/// `[health]`: how a running backend is checked, and when it is taken out of service.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HealthSettings {
    /// Time between MCP pings to a ready backend.
    pub interval: Duration,
    /// How long a ping may take before it counts as failed.
    pub timeout: Duration,
    /// Consecutive failed pings after which the backend is `degraded` (still served).
    pub failures_to_degrade: u32,
    /// Consecutive failed pings after which it is `quarantined`: out of the catalog,
    /// restarted, and probed on a slow schedule until it answers again.
    pub failures_to_quarantine: u32,
    /// Delay before the first recovery probe of a quarantined backend; it doubles after
    /// each failed probe up to `probe_max`.
    pub probe_min: Duration,
    pub probe_max: Duration,
}

impl Default for HealthSettings {
    fn default() -> Self {
        Self {
            interval: Duration::from_secs(30),
            timeout: Duration::from_secs(10),
            failures_to_degrade: 1,
            failures_to_quarantine: 3,
            probe_min: Duration::from_secs(30),
            probe_max: Duration::from_secs(600),
        }
    }
}

/// `[limits]`: what one backend may take of the daemon.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Requests forwarded to the backend at once.
    pub max_concurrency: usize,
    /// Requests waiting for a free slot; more are refused as busy.
    pub max_queue: usize,
    /// Largest message read from the backend; a larger response fails its request.
    pub max_response_bytes: usize,
}

/// The default for `limits.max_response_bytes`.
pub const DEFAULT_MAX_MESSAGE_BYTES: usize = 16 << 20;

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_concurrency: 32,
            max_queue: 256,
            max_response_bytes: DEFAULT_MAX_MESSAGE_BYTES,
        }
    }
}

/// Smallest `max_response_bytes` accepted: below it not even a tool listing fits.
const MIN_MESSAGE_BYTES: usize = 4096;

/// `[[timeouts.tools]]`: call and idle limits for the tools whose (backend's own) names
/// match one of `tools`. The first matching entry wins.
#[derive(Debug, Clone, PartialEq)]
pub struct ToolTimeouts {
    pub tools: Vec<Glob>,
    pub call: Option<Duration>,
    pub idle: Option<Duration>,
}

/// The limits that apply to one forwarded request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CallLimits {
    /// The longest the request may take in all.
    pub call: Duration,
    /// The longest the backend may go without a word (progress) about it.
    pub idle: Duration,
}

#[derive(Debug, Clone, Default)]
pub(super) struct HealthDraft {
    pub interval: Option<At<Duration>>,
    pub timeout: Option<At<Duration>>,
    pub failures_to_degrade: Option<At<u32>>,
    pub failures_to_quarantine: Option<At<u32>>,
    pub probe_min: Option<At<Duration>>,
    pub probe_max: Option<At<Duration>>,
}

#[derive(Debug, Clone, Default)]
pub(super) struct LimitsDraft {
    pub max_concurrency: Option<At<usize>>,
    pub max_queue: Option<At<usize>>,
    pub max_response_bytes: Option<At<usize>>,
}

#[derive(Debug, Clone)]
pub(super) struct ToolTimeoutsDraft {
    pub at: Location,
    pub tools: Vec<String>,
    pub call: Option<At<Duration>>,
    pub idle: Option<At<Duration>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawHealth {
    interval: Option<Spanned<ConfigDuration>>,
    timeout: Option<Spanned<ConfigDuration>>,
    failures_to_degrade: Option<Spanned<u32>>,
    failures_to_quarantine: Option<Spanned<u32>>,
    probe_min: Option<Spanned<ConfigDuration>>,
    probe_max: Option<Spanned<ConfigDuration>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawLimits {
    max_concurrency: Option<Spanned<usize>>,
    max_queue: Option<Spanned<usize>>,
    max_response_bytes: Option<Spanned<ConfigSize>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawToolTimeouts {
    tools: Spanned<Vec<String>>,
    call: Option<Spanned<ConfigDuration>>,
    idle: Option<Spanned<ConfigDuration>>,
}

impl RawHealth {
    pub fn into_draft(self, locate: Locate<'_>) -> HealthDraft {
        HealthDraft {
            interval: spanned_duration(self.interval, locate),
            timeout: spanned_duration(self.timeout, locate),
            failures_to_degrade: spanned(self.failures_to_degrade, locate),
            failures_to_quarantine: spanned(self.failures_to_quarantine, locate),
            probe_min: spanned_duration(self.probe_min, locate),
            probe_max: spanned_duration(self.probe_max, locate),
        }
    }
}

impl RawLimits {
    pub fn into_draft(self, locate: Locate<'_>) -> LimitsDraft {
        LimitsDraft {
            max_concurrency: spanned(self.max_concurrency, locate),
            max_queue: spanned(self.max_queue, locate),
            max_response_bytes: spanned(self.max_response_bytes, locate).map(|s| At {
                value: s.value.0,
                at: s.at,
            }),
        }
    }
}

impl RawToolTimeouts {
    pub fn into_draft(self, locate: Locate<'_>) -> ToolTimeoutsDraft {
        ToolTimeoutsDraft {
            at: locate(self.tools.span()),
            tools: self.tools.into_inner(),
            call: spanned_duration(self.call, locate),
            idle: spanned_duration(self.idle, locate),
        }
    }
}

impl HealthDraft {
    /// `[health]`, checked; the defaults where a key is absent.
    pub(super) fn settings(
        &self,
        scope: Scope<'_>,
        issues: &mut Vec<ConfigIssue>,
    ) -> HealthSettings {
        let default = HealthSettings::default();
        let draft = self;
        let mut positive = |value: &Option<At<Duration>>, key: &str, fallback: Duration| {
            scope.positive(value, key, fallback, issues)
        };
        let interval = positive(&draft.interval, "health.interval", default.interval);
        let timeout = positive(&draft.timeout, "health.timeout", default.timeout);
        let probe_min = positive(&draft.probe_min, "health.probe_min", default.probe_min);
        let probe_max = positive(&draft.probe_max, "health.probe_max", default.probe_max);
        let degrade = draft
            .failures_to_degrade
            .as_ref()
            .map_or(default.failures_to_degrade, |n| n.value);
        let quarantine = draft
            .failures_to_quarantine
            .as_ref()
            .map_or(default.failures_to_quarantine, |n| n.value);
        if let Some(n) = &draft.failures_to_degrade
            && n.value == 0
        {
            issues.push(scope.issue(&n.at, "health.failures_to_degrade", "must be at least 1"));
        }
        if quarantine < degrade {
            let at = draft
                .failures_to_quarantine
                .as_ref()
                .or(draft.failures_to_degrade.as_ref())
                .map_or(scope.origin, |n| &n.at);
            issues.push(scope.issue(
                at,
                "health.failures_to_quarantine",
                format!(
                    "failures_to_quarantine ({quarantine}) is smaller than failures_to_degrade ({degrade}): a backend is degraded before it is quarantined"
                ),
            ));
        }
        if probe_min > probe_max {
            let at = draft
                .probe_max
                .as_ref()
                .or(draft.probe_min.as_ref())
                .map_or(scope.origin, |d| &d.at);
            issues.push(scope.issue(
                at,
                "health.probe_max",
                format!("probe_max ({probe_max:?}) is smaller than probe_min ({probe_min:?})"),
            ));
        }
        HealthSettings {
            interval,
            timeout,
            failures_to_degrade: degrade,
            failures_to_quarantine: quarantine,
            probe_min,
            probe_max,
        }
    }
}

impl LimitsDraft {
    /// `[limits]`, checked; the defaults where a key is absent.
    pub(super) fn settings(&self, scope: Scope<'_>, issues: &mut Vec<ConfigIssue>) -> Limits {
        let default = Limits::default();
        let draft = self;
        if let Some(n) = &draft.max_concurrency
            && n.value == 0
        {
            issues.push(scope.issue(
                &n.at,
                "limits.max_concurrency",
                "must be at least 1 (the number of requests the backend is sent at once)",
            ));
        }
        if let Some(n) = &draft.max_response_bytes
            && n.value < MIN_MESSAGE_BYTES
        {
            issues.push(scope.issue(
                &n.at,
                "limits.max_response_bytes",
                format!(
                    "{} is too small: allow at least {} so tool listings fit",
                    size::describe(n.value),
                    size::describe(MIN_MESSAGE_BYTES)
                ),
            ));
        }
        Limits {
            max_concurrency: draft
                .max_concurrency
                .as_ref()
                .map_or(default.max_concurrency, |n| n.value.max(1)),
            max_queue: draft
                .max_queue
                .as_ref()
                .map_or(default.max_queue, |n| n.value),
            max_response_bytes: draft
                .max_response_bytes
                .as_ref()
                .map_or(default.max_response_bytes, |n| n.value),
        }
    }
}

/// `[[timeouts.tools]]`, checked.
pub(super) fn tool_timeouts(
    drafts: &[ToolTimeoutsDraft],
    scope: Scope<'_>,
    issues: &mut Vec<ConfigIssue>,
) -> Vec<ToolTimeouts> {
    let mut out = Vec::new();
    for (i, draft) in drafts.iter().enumerate() {
        let key = format!("timeouts.tools[{i}]");
        if draft.tools.is_empty() {
            issues.push(scope.issue(
                &draft.at,
                &format!("{key}.tools"),
                "list at least one tool name or glob such as \"export_*\"",
            ));
        }
        if draft.call.is_none() && draft.idle.is_none() {
            issues.push(scope.issue(
                &draft.at,
                &key,
                "sets neither `call` nor `idle`: give at least one",
            ));
        }
        let tools = draft
            .tools
            .iter()
            .filter_map(|pattern| match Glob::new(pattern) {
                Ok(glob) => Some(glob),
                Err(e) => {
                    issues.push(scope.issue(&draft.at, &format!("{key}.tools"), e));
                    None
                }
            })
            .collect();
        let mut optional = |value: &Option<At<Duration>>, name: &str| {
            value
                .as_ref()
                .map(|_| scope.positive(value, &format!("{key}.{name}"), Duration::ZERO, issues))
        };
        let call = optional(&draft.call, "call");
        let idle = optional(&draft.idle, "idle");
        out.push(ToolTimeouts { tools, call, idle });
    }
    out
}
