//! Seed-style JSON backend fragments (`backends.d/*.json`): the Python gateway's
//! `BackendConfig` field names, one object or a list per file, so its users can move over
//! without rewriting. Each entry becomes a [`Draft`] and is validated like a TOML spec.

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;
use serde_json::value::RawValue;

use super::backend::Draft;
use super::error::{self, ConfigError, ConfigIssue, Location};
use super::span::At;

/// One seed `BackendConfig` object. Unknown keys are errors, as in the seed (`extra="forbid"`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SeedBackend {
    name: String,
    description: Option<String>,
    enabled: Option<bool>,
    transport: Option<String>,
    command: Option<String>,
    args: Option<Vec<String>>,
    cwd: Option<String>,
    url: Option<String>,
    /// Only meaningful for the seed's `in_process` transport, which is rejected.
    #[serde(rename = "module")]
    _module: Option<String>,
    #[serde(rename = "server_attr")]
    _server_attr: Option<String>,
    env: Option<BTreeMap<String, String>>,
    auth_method: Option<AuthMethod>,
    oci_profile: Option<String>,
    oci_region: Option<String>,
    oci_config_file: Option<String>,
    bearer_token: Option<String>,
    namespace_tools: Option<bool>,
    health_check_interval: Option<f64>,
    connect_timeout: Option<f64>,
    request_timeout: Option<f64>,
    venv: Option<String>,
    pythonpath: Option<Vec<String>>,
    /// Documentation only, in the seed as here.
    #[serde(rename = "pip_packages")]
    _pip_packages: Option<Vec<String>>,
    tags: Option<Vec<String>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
enum AuthMethod {
    None,
    OciConfig,
    ResourcePrincipal,
    InstancePrincipal,
    BearerToken,
    ApiKey,
}

/// Parses a fragment file into drafts; warnings (accepted but unused seed keys) are
/// returned beside them.
pub(super) fn drafts(
    file: &Arc<Path>,
    text: &str,
    base_dir: &Path,
) -> Result<(Vec<Draft>, Vec<ConfigIssue>), ConfigError> {
    // Each entry is kept as its own slice of the file, so messages point into that entry.
    let listed = text.trim_start().starts_with('[');
    let mut de = serde_json::Deserializer::from_str(text);
    let entries: Vec<&RawValue> = if listed {
        serde_path_to_error::deserialize(&mut de)
    } else {
        serde_path_to_error::deserialize(&mut de).map(|one| vec![one])
    }
    .map_err(|e| ConfigError::single(error::from_json(file, e)))?;

    let mut drafts = Vec::new();
    let mut issues = Vec::new();
    let mut warnings = Vec::new();
    for (index, raw) in entries.into_iter().enumerate() {
        let prefix = listed.then(|| format!("[{index}]"));
        let start = raw.get().as_ptr() as usize - text.as_ptr() as usize;
        let entry = Entry {
            file,
            text,
            region: start..start + raw.get().len(),
        };
        let mut de = serde_json::Deserializer::from_str(raw.get());
        match serde_path_to_error::deserialize::<_, SeedBackend>(&mut de) {
            Ok(seed) => {
                let (draft, mut entry_warnings) = seed.into_draft(&entry, prefix, base_dir);
                warnings.append(&mut entry_warnings);
                drafts.push(draft);
            }
            Err(e) => {
                let path = e.path().to_string();
                let message = e.inner().to_string();
                let message = message
                    .rfind(" at line ")
                    .map_or(message.as_str(), |i| &message[..i])
                    .to_owned();
                let key = match (&prefix, path.as_str()) {
                    (Some(p), ".") => p.clone(),
                    (Some(p), k) => format!("{p}.{k}"),
                    (None, k) => k.to_owned(),
                };
                let unknown = message
                    .strip_prefix("unknown field `")
                    .and_then(|m| m.split('`').next());
                let location =
                    entry.locate(unknown.unwrap_or(path.rsplit('.').next().unwrap_or("")));
                issues.push(ConfigIssue::new(location, Some(&key), message));
            }
        }
    }
    if issues.is_empty() {
        Ok((drafts, warnings))
    } else {
        Err(ConfigError { issues })
    }
}

/// One entry of a fragment file: where it sits in the file.
struct Entry<'a> {
    file: &'a Arc<Path>,
    text: &'a str,
    region: Range<usize>,
}

impl Entry<'_> {
    /// The line of the first `"key":` in this entry, so messages point somewhere useful.
    fn locate(&self, key: &str) -> Location {
        let needle = format!("\"{key}\"");
        match self.text[self.region.clone()].find(&needle) {
            Some(offset) if !key.is_empty() => {
                let at = self.region.start + offset;
                Location::at(self.file, self.text, Some(at..at + needle.len()))
            }
            _ => Location::at(self.file, self.text, Some(self.region.clone())),
        }
    }
}

impl SeedBackend {
    fn into_draft(
        self,
        entry: &Entry<'_>,
        prefix: Option<String>,
        base_dir: &Path,
    ) -> (Draft, Vec<ConfigIssue>) {
        let at = |key: &str| entry.locate(key);
        let origin = at("name");
        let key = |k: &str| match &prefix {
            Some(p) => format!("{p}.{k}"),
            None => k.to_owned(),
        };
        let mut warnings = Vec::new();
        let mut draft = Draft::new(origin, base_dir.to_path_buf());
        draft.key_prefix = prefix.clone();
        draft.name = Some(At {
            value: self.name.clone(),
            at: at("name"),
        });
        draft.description = self.description;
        draft.enabled = self.enabled;
        let transport = self.transport.unwrap_or_else(|| "stdio".to_owned());
        draft.transport = Some(At {
            value: transport.clone(),
            at: at("transport"),
        });
        draft.command = self.command.map(|c| At {
            value: c,
            at: at("command"),
        });
        draft.args = self.args.map(|a| At {
            value: a,
            at: at("args"),
        });
        draft.cwd = self.cwd.map(|c| At {
            value: c,
            at: at("cwd"),
        });
        draft.venv = self.venv.map(|v| At {
            value: v,
            at: at("venv"),
        });
        draft.pythonpath = self.pythonpath.map(|p| At {
            value: p,
            at: at("pythonpath"),
        });
        draft.url = self.url.map(|u| At {
            value: u,
            at: at("url"),
        });
        draft.tags = self.tags;
        if self.namespace_tools == Some(false) {
            draft.namespace = Some(At {
                value: String::new(),
                at: at("namespace_tools"),
            });
        }

        let is_http = matches!(
            transport.as_str(),
            "streamable_http" | "streamable-http" | "http"
        );
        if let Some(token) = self.bearer_token {
            if is_http {
                let mut headers = BTreeMap::new();
                headers.insert("Authorization".to_owned(), format!("Bearer {token}"));
                draft.headers = Some(At {
                    value: headers,
                    at: at("bearer_token"),
                });
            } else {
                warnings.push(ConfigIssue::new(
                    at("bearer_token"),
                    Some(&key("bearer_token")),
                    "ignored: a bearer token is only sent to streamable_http backends",
                ));
            }
        }

        // The seed passes OCI settings to stdio children as environment variables; the
        // auth-derived ones override `env`, as there.
        let mut env = self.env.unwrap_or_default();
        let auth = self.auth_method.unwrap_or(AuthMethod::OciConfig);
        match auth {
            AuthMethod::OciConfig => {
                for (var, value) in [
                    ("OCI_PROFILE", self.oci_profile),
                    ("OCI_REGION", self.oci_region),
                    ("OCI_CONFIG_FILE", self.oci_config_file),
                ] {
                    if let Some(value) = value {
                        env.insert(var.to_owned(), value);
                    }
                }
            }
            AuthMethod::ResourcePrincipal | AuthMethod::InstancePrincipal => {
                let mode = if auth == AuthMethod::ResourcePrincipal {
                    "resource_principal"
                } else {
                    "instance_principal"
                };
                env.insert("OCI_CLI_AUTH".to_owned(), mode.to_owned());
                if let Some(region) = self.oci_region {
                    env.insert("OCI_REGION".to_owned(), region);
                }
            }
            AuthMethod::None | AuthMethod::BearerToken | AuthMethod::ApiKey => {}
        }
        if !env.is_empty() {
            if is_http {
                warnings.push(ConfigIssue::new(
                    at("env"),
                    Some(&key("env")),
                    "ignored: environment variables (and OCI auth settings) only apply to stdio backends",
                ));
            } else {
                draft.env = Some(At {
                    value: env,
                    at: at("env"),
                });
            }
        }

        let seconds = |v: f64, name: &str, warnings: &mut Vec<ConfigIssue>| {
            match Duration::try_from_secs_f64(v) {
                Ok(d) if d > super::duration::MAX => {
                    warnings.push(ConfigIssue::new(
                        at(name),
                        Some(&key(name)),
                        "ignored: longer than the allowed maximum of 365 days",
                    ));
                    None
                }
                Ok(d) => Some(At {
                    value: d,
                    at: at(name),
                }),
                Err(_) => {
                    warnings.push(ConfigIssue::new(
                        at(name),
                        Some(&key(name)),
                        "ignored: not a non-negative number of seconds",
                    ));
                    None
                }
            }
        };
        if let Some(v) = self.connect_timeout {
            draft.timeouts.connect = seconds(v, "connect_timeout", &mut warnings);
        }
        if let Some(v) = self.request_timeout {
            draft.timeouts.call = seconds(v, "request_timeout", &mut warnings);
        }
        if let Some(v) = self.health_check_interval {
            draft.health.interval = seconds(v, "health_check_interval", &mut warnings);
        }
        (draft, warnings)
    }
}
