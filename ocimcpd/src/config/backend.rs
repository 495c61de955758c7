//! Backend specs: the validated form every part of the daemon uses, the TOML form of a
//! `backends.d/*.toml` file or `[[backends]]` entry, and the one validator both the TOML
//! and the seed-style JSON forms go through.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;
use toml::Spanned;

use super::duration::ConfigDuration;
use super::error::{ConfigIssue, Location};
use super::glob::Glob;
use super::guards::{
    self, CallLimits, HealthDraft, HealthSettings, Limits, LimitsDraft, RawHealth, RawLimits,
    RawToolTimeouts, ToolTimeouts, ToolTimeoutsDraft,
};
use super::span::{At, Scope, spanned, spanned_duration};

/// A validated backend: one MCP server the daemon connects to.
#[derive(Debug, Clone, PartialEq)]
pub struct BackendSpec {
    pub name: String,
    pub description: String,
    pub enabled: bool,
    /// Prefix for tool and prompt names and resource URIs; empty means unprefixed.
    pub namespace: String,
    pub tags: Vec<String>,
    pub transport: Transport,
    pub restart: RestartSettings,
    pub timeouts: Timeouts,
    pub health: HealthSettings,
    pub limits: Limits,
    pub tools: ToolFilter,
    /// Where the spec was written (its `name` key when it has one), for messages.
    pub origin: Location,
    /// Where `namespace` was written; `origin` when it was not.
    pub namespace_origin: Location,
}

impl BackendSpec {
    /// True when `other` runs the same backend the same way: everything but where it was
    /// written and whether it is enabled. A spec that changes only those needs no restart.
    pub fn runs_like(&self, other: &Self) -> bool {
        let mut other = other.clone();
        other.origin = self.origin.clone();
        other.namespace_origin = self.namespace_origin.clone();
        other.enabled = self.enabled;
        *self == other
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Transport {
    Stdio(StdioSpec),
    StreamableHttp(HttpSpec),
    /// One of the daemon's own tool sets, served in-process (`[builtin]`).
    InProcess(Builtin),
}

impl Transport {
    pub fn kind(&self) -> &'static str {
        match self {
            Transport::Stdio(_) => "stdio",
            Transport::StreamableHttp(_) => "streamable_http",
            Transport::InProcess(_) => "in_process",
        }
    }
}

/// The daemon's built-in tool sets, with the settings they run on: a change to those
/// settings restarts the tool set on reload.
#[derive(Debug, Clone, PartialEq)]
pub enum Builtin {
    /// The OCI tools (`[builtin] oci`), configured by `[oci]`.
    Oci(oci_tools::Settings),
}

impl Builtin {
    /// The backend name and what `ocimcpctl show` says it is.
    pub fn name(&self) -> &'static str {
        match self {
            Builtin::Oci(_) => "oci",
        }
    }

    /// The backend spec that serves this tool set: unprefixed, so tool names are the
    /// tool set's own; `origin` is where `[builtin]` is (or the config file).
    pub fn spec(self, origin: Location) -> BackendSpec {
        let description = match &self {
            Builtin::Oci(_) => {
                "built-in OCI tools (compute, cost, database, network, observability, security, search, skills)"
            }
        };
        BackendSpec {
            name: self.name().to_owned(),
            description: description.to_owned(),
            enabled: true,
            namespace: String::new(),
            tags: vec!["builtin".to_owned()],
            transport: Transport::InProcess(self),
            restart: RestartSettings::default(),
            timeouts: Timeouts::default(),
            health: HealthSettings::default(),
            limits: Limits::default(),
            tools: ToolFilter::default(),
            namespace_origin: origin.clone(),
            origin,
        }
    }
}

/// A child process speaking MCP on stdin/stdout. `Debug` leaves out `env` values, which
/// often hold tokens.
#[derive(Clone, PartialEq)]
pub struct StdioSpec {
    /// Program to run; `None` means the venv's python.
    pub command: Option<String>,
    pub args: Vec<String>,
    /// Absolute working directory, if set.
    pub cwd: Option<PathBuf>,
    /// Absolute path of a Python virtual environment.
    pub venv: Option<PathBuf>,
    /// PYTHONPATH entries as written; relative ones are resolved against `cwd` at spawn.
    pub pythonpath: Vec<String>,
    pub env: BTreeMap<String, String>,
    /// Directory of the file that defined the backend; relative `command` paths resolve here.
    pub base_dir: PathBuf,
    /// The user to run as (a name or a numeric uid); `None` keeps the daemon's. Needs a
    /// daemon that may switch users (root, or CAP_SETUID and CAP_SETGID).
    pub user: Option<String>,
    /// The group to run as (a name or a numeric gid); `None` means the user's primary group.
    pub group: Option<String>,
}

/// A remote Streamable HTTP MCP server. `Debug` leaves out `headers` values (bearer
/// tokens, API keys).
#[derive(Clone, PartialEq)]
pub struct HttpSpec {
    pub url: String,
    pub headers: BTreeMap<String, String>,
}

/// The names of a map of secrets, their values redacted.
struct Redacted<'a>(&'a BTreeMap<String, String>);

impl std::fmt::Debug for Redacted<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_map()
            .entries(self.0.keys().map(|key| (key, "<redacted>")))
            .finish()
    }
}

impl std::fmt::Debug for StdioSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StdioSpec")
            .field("command", &self.command)
            .field("args", &self.args)
            .field("cwd", &self.cwd)
            .field("venv", &self.venv)
            .field("pythonpath", &self.pythonpath)
            .field("env", &Redacted(&self.env))
            .field("base_dir", &self.base_dir)
            .field("user", &self.user)
            .field("group", &self.group)
            .finish()
    }
}

impl std::fmt::Debug for HttpSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpSpec")
            .field("url", &self.url)
            .field("headers", &Redacted(&self.headers))
            .finish()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RestartPolicy {
    /// Restart whenever the backend stops, whatever its exit status.
    Always,
    /// Restart only after a non-zero exit, a signal, or a failed start.
    #[serde(alias = "on_failure")]
    OnFailure,
    /// Never restart; the backend stays failed until the daemon restarts.
    Never,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RestartSettings {
    pub policy: RestartPolicy,
    pub backoff_min: Duration,
    pub backoff_max: Duration,
    /// This many exits (or failed starts) within `crash_loop_window` quarantine the
    /// backend instead of restarting it again at once; 0 turns the rule off.
    pub crash_loop_exits: u32,
    pub crash_loop_window: Duration,
}

impl Default for RestartSettings {
    fn default() -> Self {
        Self {
            policy: RestartPolicy::Always,
            backoff_min: Duration::from_secs(1),
            backoff_max: Duration::from_secs(60),
            crash_loop_exits: 5,
            crash_loop_window: Duration::from_secs(60),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Timeouts {
    /// From spawn (or first HTTP request) to a successful `initialize` and first listing.
    pub connect: Duration,
    /// Longest a single forwarded request may take.
    pub call: Duration,
    /// Longest a forwarded request may go without progress from the backend; unset, the
    /// call limit alone applies.
    pub idle: Option<Duration>,
    /// Grace between SIGTERM and SIGKILL when stopping a stdio backend.
    pub stop: Duration,
    /// Per-tool `call` and `idle`, first match wins.
    pub tools: Vec<ToolTimeouts>,
}

impl Default for Timeouts {
    fn default() -> Self {
        Self {
            connect: Duration::from_secs(30),
            call: Duration::from_secs(300),
            idle: None,
            stop: Duration::from_secs(5),
            tools: Vec::new(),
        }
    }
}

impl Timeouts {
    /// The limits for a request: a tool's own (`[[timeouts.tools]]`, by its backend-side
    /// name) where set, the backend's otherwise. `tool` is `None` for other requests.
    pub fn for_request(&self, tool: Option<&str>) -> CallLimits {
        let own = tool.and_then(|name| {
            self.tools
                .iter()
                .find(|t| t.tools.iter().any(|g| g.matches(name)))
        });
        let call = own.and_then(|t| t.call).unwrap_or(self.call);
        CallLimits {
            call,
            idle: own
                .and_then(|t| t.idle)
                .or(self.idle)
                .map_or(call, |idle| idle.min(call)),
        }
    }
}

/// Which of a backend's tools are exposed: allowed by `allow` (all when empty) and not
/// matched by `deny`. Names are the backend's own, before prefixing.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ToolFilter {
    pub allow: Vec<Glob>,
    pub deny: Vec<Glob>,
}

impl ToolFilter {
    pub fn admits(&self, tool: &str) -> bool {
        (self.allow.is_empty() || self.allow.iter().any(|g| g.matches(tool)))
            && !self.deny.iter().any(|g| g.matches(tool))
    }
}

/// Backend names: what operators type in `ocimcpctl` and what the default namespace is made of.
pub fn check_name(name: &str) -> Result<(), String> {
    let valid_chars = name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
    if name.is_empty() || name.len() > 64 || !valid_chars {
        return Err(format!(
            "`{name}` is not a valid backend name: use 1-64 letters, digits, `_`, `-` or `.`"
        ));
    }
    if !name.starts_with(|c: char| c.is_ascii_alphanumeric()) {
        return Err(format!(
            "backend name `{name}` must start with a letter or digit"
        ));
    }
    Ok(())
}

/// Namespaces end up inside tool names, which clients restrict to `[A-Za-z0-9_-]`.
pub fn check_namespace(namespace: &str) -> Result<(), String> {
    let valid = namespace.len() <= 64
        && namespace
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-'));
    if !valid {
        return Err(format!(
            "`{namespace}` is not a valid namespace: use up to 64 letters, digits, `_` or `-` (\"\" for none)"
        ));
    }
    if namespace == RESERVED_NAMESPACE {
        return Err(format!(
            "namespace `{RESERVED_NAMESPACE}` is reserved for the gateway's own tools; choose another"
        ));
    }
    Ok(())
}

/// `user` and `group` name an account: a name as in /etc/passwd and /etc/group, or a
/// number. Whether it exists is checked when the backend starts, on the machine it runs on.
fn check_account(key: &str, value: &str) -> Result<(), String> {
    let valid = !value.is_empty()
        && value.len() <= 256
        && !value.contains(|c: char| c.is_whitespace() || c.is_control() || c == ':');
    if valid {
        Ok(())
    } else {
        Err(format!(
            "`{value}` is not a {key} name or number (names have no spaces or `:`)"
        ))
    }
}

/// The gateway's own tools (`gateway_health`, ...) live under this prefix.
pub const RESERVED_NAMESPACE: &str = "gateway";

/// The namespace a backend gets when none is given: its name, with `.` made `_`.
pub fn default_namespace(name: &str) -> String {
    name.replace('.', "_")
}

/// Headers the Streamable HTTP transport manages; a backend's `headers` may not set them.
const RESERVED_HEADERS: [&str; 4] = [
    "accept",
    "mcp-session-id",
    "mcp-protocol-version",
    "last-event-id",
];

/// A backend as written, from TOML or JSON, before validation.
#[derive(Debug, Clone)]
pub(super) struct Draft {
    /// The entry itself (start of the file, or of the `[[backends]]` table).
    pub origin: Location,
    /// Key-path prefix for messages (`backends[2]` for inline entries, none for files).
    pub key_prefix: Option<String>,
    pub base_dir: PathBuf,
    pub name: Option<At<String>>,
    /// Used when `name` is absent: the file stem.
    pub default_name: Option<String>,
    pub description: Option<String>,
    pub enabled: Option<bool>,
    pub transport: Option<At<String>>,
    pub command: Option<At<String>>,
    pub args: Option<At<Vec<String>>>,
    pub cwd: Option<At<String>>,
    pub venv: Option<At<String>>,
    pub pythonpath: Option<At<Vec<String>>>,
    pub env: Option<At<BTreeMap<String, String>>>,
    pub user: Option<At<String>>,
    pub group: Option<At<String>>,
    pub url: Option<At<String>>,
    pub headers: Option<At<BTreeMap<String, String>>>,
    pub namespace: Option<At<String>>,
    pub tags: Option<Vec<String>>,
    pub restart: RestartDraft,
    pub timeouts: TimeoutsDraft,
    pub tool_timeouts: Vec<ToolTimeoutsDraft>,
    pub health: HealthDraft,
    pub limits: LimitsDraft,
    pub tools_allow: Option<At<Vec<String>>>,
    pub tools_deny: Option<At<Vec<String>>>,
}

#[derive(Debug, Clone, Default)]
pub(super) struct RestartDraft {
    pub policy: Option<RestartPolicy>,
    pub backoff_min: Option<At<Duration>>,
    pub backoff_max: Option<At<Duration>>,
    pub crash_loop_exits: Option<u32>,
    pub crash_loop_window: Option<At<Duration>>,
}

#[derive(Debug, Clone, Default)]
pub(super) struct TimeoutsDraft {
    pub connect: Option<At<Duration>>,
    pub call: Option<At<Duration>>,
    pub idle: Option<At<Duration>>,
    pub stop: Option<At<Duration>>,
}

impl Draft {
    pub fn new(origin: Location, base_dir: PathBuf) -> Self {
        Self {
            origin,
            key_prefix: None,
            base_dir,
            name: None,
            default_name: None,
            description: None,
            enabled: None,
            transport: None,
            command: None,
            args: None,
            cwd: None,
            venv: None,
            pythonpath: None,
            env: None,
            user: None,
            group: None,
            url: None,
            headers: None,
            namespace: None,
            tags: None,
            restart: RestartDraft::default(),
            timeouts: TimeoutsDraft::default(),
            tool_timeouts: Vec::new(),
            health: HealthDraft::default(),
            limits: LimitsDraft::default(),
            tools_allow: None,
            tools_deny: None,
        }
    }

    /// How problems with this entry are reported.
    pub(super) fn scope(&self) -> Scope<'_> {
        Scope {
            origin: &self.origin,
            key_prefix: self.key_prefix.as_deref(),
        }
    }

    /// Checks everything and builds the spec, or returns every problem found.
    pub fn validate(self) -> Result<BackendSpec, Vec<ConfigIssue>> {
        let mut issues = Vec::new();

        let name = match (&self.name, &self.default_name) {
            (Some(name), _) => {
                if let Err(e) = check_name(&name.value) {
                    issues.push(self.scope().issue(&name.at, "name", e));
                }
                name.value.clone()
            }
            (None, Some(stem)) => {
                if let Err(e) = check_name(stem) {
                    issues.push(self.scope().issue(
                        &self.origin,
                        "name",
                        format!("{e} (the name comes from the file name; set `name` in the file)"),
                    ));
                }
                stem.clone()
            }
            (None, None) => {
                issues.push(self.scope().issue(
                    &self.origin,
                    "name",
                    "missing: every backend needs a `name`",
                ));
                String::new()
            }
        };

        let namespace = match &self.namespace {
            Some(ns) => {
                if let Err(e) = check_namespace(&ns.value) {
                    issues.push(self.scope().issue(&ns.at, "namespace", e));
                }
                ns.value.clone()
            }
            None => {
                let ns = default_namespace(&name);
                if ns == RESERVED_NAMESPACE {
                    issues.push(self.scope().issue(
                        &self.origin,
                        "namespace",
                        format!(
                            "backend `{name}` would get the namespace `{RESERVED_NAMESPACE}`, which is reserved for the gateway's own tools; set `namespace` to something else"
                        ),
                    ));
                }
                ns
            }
        };

        let transport_kind = self
            .transport
            .as_ref()
            .map_or("stdio", |t| t.value.as_str());
        let transport = match transport_kind {
            "stdio" => self.stdio(&mut issues).map(Transport::Stdio),
            "streamable_http" | "streamable-http" | "http" => {
                self.http(&mut issues).map(Transport::StreamableHttp)
            }
            other => {
                let at = self.transport.as_ref().map_or(&self.origin, |t| &t.at);
                let hint = if other == "in_process" {
                    " (in_process is reserved for the daemon's built-in tool sets; run a Python server as `stdio` with `command = \"python\"` and `args = [\"-m\", \"module\"]`)"
                } else {
                    ""
                };
                issues.push(self.scope().issue(
                    at,
                    "transport",
                    format!("unknown transport `{other}`: use `stdio` or `streamable_http`{hint}"),
                ));
                None
            }
        };

        let restart = self.restart_settings(&mut issues);
        let timeouts = self.timeouts(&mut issues);
        let health = self.health.settings(self.scope(), &mut issues);
        let limits = self.limits.settings(self.scope(), &mut issues);
        let tools = ToolFilter {
            allow: self.globs(self.tools_allow.as_ref(), "tools.allow", &mut issues),
            deny: self.globs(self.tools_deny.as_ref(), "tools.deny", &mut issues),
        };

        // Messages about the backend as a whole point at its name when it has one.
        let origin = self
            .name
            .as_ref()
            .map_or_else(|| self.origin.clone(), |n| n.at.clone());
        match transport {
            Some(transport) if issues.is_empty() => Ok(BackendSpec {
                name,
                description: self.description.clone().unwrap_or_default(),
                enabled: self.enabled.unwrap_or(true),
                namespace,
                tags: self.tags.clone().unwrap_or_default(),
                transport,
                restart,
                timeouts,
                health,
                limits,
                tools,
                namespace_origin: self
                    .namespace
                    .as_ref()
                    .map_or_else(|| origin.clone(), |n| n.at.clone()),
                origin,
            }),
            _ => Err(issues),
        }
    }

    fn stdio(&self, issues: &mut Vec<ConfigIssue>) -> Option<StdioSpec> {
        for (key, value) in [
            ("url", self.url.as_ref().map(|u| &u.at)),
            ("headers", self.headers.as_ref().map(|h| &h.at)),
        ] {
            if let Some(at) = value {
                issues.push(self.scope().issue(
                    at,
                    key,
                    format!("`{key}` is for `streamable_http` backends; set `transport = \"streamable_http\"` or remove it"),
                ));
            }
        }
        let venv = self
            .venv
            .as_ref()
            .map(|v| resolve(&self.base_dir, &v.value));
        let command = self.command.as_ref().map(|c| c.value.clone());
        match &command {
            None if venv.is_none() => {
                issues.push(self.scope().issue(
                    &self.origin,
                    "command",
                    "missing: a stdio backend needs `command` (or `venv`, to run that venv's python)",
                ));
            }
            Some(c) if c.trim().is_empty() => {
                let at = self.command.as_ref().map_or(&self.origin, |c| &c.at);
                issues.push(self.scope().issue(at, "command", "cannot be empty"));
            }
            _ => {}
        }
        for (key, value) in [("user", &self.user), ("group", &self.group)] {
            if let Some(value) = value
                && let Err(e) = check_account(key, &value.value)
            {
                issues.push(self.scope().issue(&value.at, key, e));
            }
        }
        if let Some(env) = &self.env {
            for key in env.value.keys() {
                if key.is_empty() || key.contains('=') || key.contains('\0') {
                    issues.push(self.scope().issue(
                        &env.at,
                        "env",
                        format!("`{key}` is not a valid environment variable name"),
                    ));
                }
            }
        }
        Some(StdioSpec {
            command,
            args: self
                .args
                .as_ref()
                .map(|a| a.value.clone())
                .unwrap_or_default(),
            cwd: self.cwd.as_ref().map(|c| resolve(&self.base_dir, &c.value)),
            venv,
            pythonpath: self
                .pythonpath
                .as_ref()
                .map(|p| p.value.clone())
                .unwrap_or_default(),
            env: self
                .env
                .as_ref()
                .map(|e| e.value.clone())
                .unwrap_or_default(),
            base_dir: self.base_dir.clone(),
            user: self.user.as_ref().map(|u| u.value.clone()),
            group: self.group.as_ref().map(|g| g.value.clone()),
        })
    }

    fn http(&self, issues: &mut Vec<ConfigIssue>) -> Option<HttpSpec> {
        let stdio_only = [
            ("command", self.command.as_ref().map(|v| &v.at)),
            ("args", self.args.as_ref().map(|v| &v.at)),
            ("cwd", self.cwd.as_ref().map(|v| &v.at)),
            ("venv", self.venv.as_ref().map(|v| &v.at)),
            ("pythonpath", self.pythonpath.as_ref().map(|v| &v.at)),
            ("env", self.env.as_ref().map(|v| &v.at)),
            ("user", self.user.as_ref().map(|v| &v.at)),
            ("group", self.group.as_ref().map(|v| &v.at)),
        ];
        for (key, at) in stdio_only {
            if let Some(at) = at {
                issues.push(self.scope().issue(at, key, format!("`{key}` is for `stdio` backends; a `streamable_http` backend has only `url` and `headers`")));
            }
        }
        let Some(url) = &self.url else {
            issues.push(self.scope().issue(
                &self.origin,
                "url",
                "missing: a `streamable_http` backend needs `url`",
            ));
            return None;
        };
        let valid = ["http://", "https://"]
            .iter()
            .any(|scheme| url.value.len() > scheme.len() && url.value.starts_with(scheme));
        if !valid || url.value.contains(char::is_whitespace) {
            issues.push(self.scope().issue(
                &url.at,
                "url",
                format!("`{}` is not an http:// or https:// URL", url.value),
            ));
        }
        let headers = self
            .headers
            .as_ref()
            .map(|h| h.value.clone())
            .unwrap_or_default();
        if let Some(h) = &self.headers {
            for (name, value) in &h.value {
                if http::HeaderName::from_bytes(name.as_bytes()).is_err() {
                    issues.push(self.scope().issue(
                        &h.at,
                        "headers",
                        format!("`{name}` is not a valid HTTP header name"),
                    ));
                } else if RESERVED_HEADERS
                    .iter()
                    .any(|r| r.eq_ignore_ascii_case(name))
                {
                    issues.push(self.scope().issue(
                        &h.at,
                        "headers",
                        format!(
                            "`{name}` is set by the MCP transport itself and cannot be configured"
                        ),
                    ));
                }
                if http::HeaderValue::from_str(value).is_err() {
                    issues.push(self.scope().issue(
                        &h.at,
                        "headers",
                        format!("the value of `{name}` is not a valid HTTP header value"),
                    ));
                }
            }
        }
        Some(HttpSpec {
            url: url.value.clone(),
            headers,
        })
    }

    fn restart_settings(&self, issues: &mut Vec<ConfigIssue>) -> RestartSettings {
        let default = RestartSettings::default();
        let min = self
            .restart
            .backoff_min
            .as_ref()
            .map_or(default.backoff_min, |d| d.value);
        let max = self
            .restart
            .backoff_max
            .as_ref()
            .map_or(default.backoff_max, |d| d.value);
        if let Some(d) = &self.restart.backoff_min
            && d.value.is_zero()
        {
            issues.push(self.scope().issue(
                &d.at,
                "restart.backoff_min",
                "must be greater than zero",
            ));
        }
        if min > max {
            let at = self
                .restart
                .backoff_max
                .as_ref()
                .or(self.restart.backoff_min.as_ref())
                .map_or(&self.origin, |d| &d.at);
            issues.push(self.scope().issue(
                at,
                "restart.backoff_max",
                format!("backoff_max ({max:?}) is smaller than backoff_min ({min:?})"),
            ));
        }
        let crash_loop_window = self.scope().positive(
            &self.restart.crash_loop_window,
            "restart.crash_loop_window",
            default.crash_loop_window,
            issues,
        );
        RestartSettings {
            policy: self.restart.policy.unwrap_or(default.policy),
            backoff_min: min,
            backoff_max: max,
            crash_loop_exits: self
                .restart
                .crash_loop_exits
                .unwrap_or(default.crash_loop_exits),
            crash_loop_window,
        }
    }

    fn timeouts(&self, issues: &mut Vec<ConfigIssue>) -> Timeouts {
        let default = Timeouts::default();
        let t = &self.timeouts;
        let connect =
            self.scope()
                .positive(&t.connect, "timeouts.connect", default.connect, issues);
        let call = self
            .scope()
            .positive(&t.call, "timeouts.call", default.call, issues);
        let stop = self
            .scope()
            .positive(&t.stop, "timeouts.stop", default.stop, issues);
        let idle = t.idle.as_ref().map(|_| {
            self.scope()
                .positive(&t.idle, "timeouts.idle", call, issues)
        });
        Timeouts {
            connect,
            call,
            idle,
            stop,
            tools: guards::tool_timeouts(&self.tool_timeouts, self.scope(), issues),
        }
    }

    fn globs(
        &self,
        patterns: Option<&At<Vec<String>>>,
        key: &str,
        issues: &mut Vec<ConfigIssue>,
    ) -> Vec<Glob> {
        let Some(patterns) = patterns else {
            return Vec::new();
        };
        patterns
            .value
            .iter()
            .filter_map(|p| match Glob::new(p) {
                Ok(g) => Some(g),
                Err(e) => {
                    issues.push(self.scope().issue(&patterns.at, key, e));
                    None
                }
            })
            .collect()
    }
}

/// A path from a config file: `~/` expands to $HOME, relative paths are taken from `base`.
pub(super) fn resolve(base: &Path, path: &str) -> PathBuf {
    if let Some(rest) = path.strip_prefix("~/")
        && let Some(home) = std::env::var_os("HOME")
    {
        return PathBuf::from(home).join(rest);
    }
    let path = Path::new(path);
    if path.is_absolute() {
        path.to_path_buf()
    } else {
        base.join(path)
    }
}

/// The TOML form of one backend (a `backends.d/NAME.toml` file or a `[[backends]]` entry).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawBackend {
    name: Option<Spanned<String>>,
    description: Option<String>,
    enabled: Option<bool>,
    transport: Option<Spanned<String>>,
    command: Option<Spanned<String>>,
    args: Option<Spanned<Vec<String>>>,
    cwd: Option<Spanned<String>>,
    venv: Option<Spanned<String>>,
    pythonpath: Option<Spanned<Vec<String>>>,
    env: Option<Spanned<BTreeMap<String, String>>>,
    user: Option<Spanned<String>>,
    group: Option<Spanned<String>>,
    url: Option<Spanned<String>>,
    headers: Option<Spanned<BTreeMap<String, String>>>,
    namespace: Option<Spanned<String>>,
    tags: Option<Vec<String>>,
    restart: Option<RawRestart>,
    timeouts: Option<RawTimeouts>,
    health: Option<RawHealth>,
    limits: Option<RawLimits>,
    tools: Option<RawTools>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRestart {
    policy: Option<RestartPolicy>,
    backoff_min: Option<Spanned<ConfigDuration>>,
    backoff_max: Option<Spanned<ConfigDuration>>,
    crash_loop_exits: Option<u32>,
    crash_loop_window: Option<Spanned<ConfigDuration>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTimeouts {
    connect: Option<Spanned<ConfigDuration>>,
    call: Option<Spanned<ConfigDuration>>,
    idle: Option<Spanned<ConfigDuration>>,
    stop: Option<Spanned<ConfigDuration>>,
    tools: Option<Vec<RawToolTimeouts>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTools {
    allow: Option<Spanned<Vec<String>>>,
    deny: Option<Spanned<Vec<String>>>,
}

impl RawBackend {
    /// Converts to a draft; `text` is the file's source, for turning spans into lines.
    pub fn into_draft(
        self,
        file: &Arc<Path>,
        text: &str,
        origin: Location,
        base_dir: PathBuf,
    ) -> Draft {
        let at = |span: std::ops::Range<usize>| Location::at(file, text, Some(span));
        let duration = |d: Option<Spanned<ConfigDuration>>| spanned_duration(d, &at);
        let mut draft = Draft::new(origin, base_dir);
        draft.name = spanned(self.name, &at);
        draft.description = self.description;
        draft.enabled = self.enabled;
        draft.transport = spanned(self.transport, &at);
        draft.command = spanned(self.command, &at);
        draft.args = spanned(self.args, &at);
        draft.cwd = spanned(self.cwd, &at);
        draft.venv = spanned(self.venv, &at);
        draft.pythonpath = spanned(self.pythonpath, &at);
        draft.env = spanned(self.env, &at);
        draft.user = spanned(self.user, &at);
        draft.group = spanned(self.group, &at);
        draft.url = spanned(self.url, &at);
        draft.headers = spanned(self.headers, &at);
        draft.namespace = spanned(self.namespace, &at);
        draft.tags = self.tags;
        if let Some(r) = self.restart {
            draft.restart = RestartDraft {
                policy: r.policy,
                backoff_min: duration(r.backoff_min),
                backoff_max: duration(r.backoff_max),
                crash_loop_exits: r.crash_loop_exits,
                crash_loop_window: duration(r.crash_loop_window),
            };
        }
        if let Some(t) = self.timeouts {
            draft.timeouts = TimeoutsDraft {
                connect: duration(t.connect),
                call: duration(t.call),
                idle: duration(t.idle),
                stop: duration(t.stop),
            };
            draft.tool_timeouts = t
                .tools
                .unwrap_or_default()
                .into_iter()
                .map(|raw| raw.into_draft(&at))
                .collect();
        }
        if let Some(h) = self.health {
            draft.health = h.into_draft(&at);
        }
        if let Some(l) = self.limits {
            draft.limits = l.into_draft(&at);
        }
        if let Some(t) = self.tools {
            draft.tools_allow = spanned(t.allow, &at);
            draft.tools_deny = spanned(t.deny, &at);
        }
        draft
    }
}
