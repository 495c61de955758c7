//! Configuration: owns reading the daemon config file, the inline `[[backends]]` entries
//! and the `backends.d/` folder, validating all of it with file:line:key errors, and
//! merging it into one [`Settings`]. Nothing here starts or touches a running backend.
//!
//! Flow: raw TOML/JSON (unknown keys rejected, spans kept) → drafts → validated
//! [`BackendSpec`]s and section settings → [`Settings`], or a [`ConfigError`] listing every
//! problem found.

mod auth;
mod backend;
mod daemon;
mod discovered;
mod duration;
mod error;
mod glob;
mod guards;
mod oci;
mod seed;
mod size;
mod span;

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub use auth::{AuthSettings, StaticToken, parse_token_hash};
pub use backend::{
    BackendSpec, Builtin, HttpSpec, RESERVED_NAMESPACE, RestartPolicy, RestartSettings, StdioSpec,
    Timeouts, ToolFilter, Transport,
};
pub use daemon::{DaemonSettings, GatewaySettings, LogFormat};
pub use discovered::{DISCOVERED_TAG, DiscoveredBackend, DiscoveredLaunch};
pub use duration::ConfigDuration;
pub use error::{ConfigError, ConfigIssue, Location};
pub use glob::Glob;
pub use guards::{CallLimits, DEFAULT_MAX_MESSAGE_BYTES, HealthSettings, Limits, ToolTimeouts};
pub use size::{ConfigSize, describe as describe_size};

use backend::RawBackend;
use daemon::{RawBuiltin, RawConfig, RawDaemon, RawDiscovery, RawGateway};
use oci::RawOci;

/// The configuration compiled into the binary, used when no config file exists.
pub const DEFAULT_CONFIG: &str = include_str!("default.toml");

/// Where the daemon looks when neither `--config` nor `$OCIMCPD_CONFIG` says otherwise.
pub const DEFAULT_CONFIG_PATH: &str = "/etc/ocimcpd/ocimcpd.toml";

/// Environment variable naming the config file.
pub const CONFIG_ENV: &str = "OCIMCPD_CONFIG";

/// Where the configuration came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigSource {
    File(PathBuf),
    /// No file at the default path: the embedded default, with `backends.d` next to where
    /// the file would be.
    Embedded {
        would_be: PathBuf,
    },
}

impl ConfigSource {
    /// The config file, or where it would be for the embedded default.
    pub fn path(&self) -> &Path {
        match self {
            ConfigSource::File(path) | ConfigSource::Embedded { would_be: path } => path,
        }
    }
}

impl std::fmt::Display for ConfigSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ConfigSource::File(path) => write!(f, "{}", path.display()),
            ConfigSource::Embedded { would_be } => {
                write!(f, "embedded default (no file at {})", would_be.display())
            }
        }
    }
}

/// Everything the daemon needs to run, validated.
#[derive(Debug, Clone)]
pub struct Settings {
    pub source: ConfigSource,
    pub daemon: DaemonSettings,
    pub gateway: GatewaySettings,
    pub backends_dir: PathBuf,
    /// Folders searched for MCP projects (`[discovery] scan_paths`).
    pub scan_paths: Vec<PathBuf>,
    /// Inline `[[backends]]` first, in file order, then `backends.d/` files by file name.
    pub backends: Vec<BackendSpec>,
    /// Things accepted but worth telling the operator (unused seed keys, a missing folder).
    pub warnings: Vec<ConfigIssue>,
}

/// Which file to read: an explicit path must exist; the default path may be absent, and
/// then the embedded default is used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigPath {
    Explicit(PathBuf),
    Default(PathBuf),
}

impl ConfigPath {
    /// `--config` if given, else `$OCIMCPD_CONFIG`, else the default path.
    pub fn resolve(flag: Option<PathBuf>) -> Self {
        if let Some(path) = flag {
            return ConfigPath::Explicit(path);
        }
        match std::env::var_os(CONFIG_ENV) {
            Some(path) if !path.is_empty() => ConfigPath::Explicit(PathBuf::from(path)),
            _ => ConfigPath::Default(PathBuf::from(DEFAULT_CONFIG_PATH)),
        }
    }
}

/// Reads and validates the whole configuration.
pub fn load(path: &ConfigPath) -> Result<Settings, ConfigError> {
    let (source, file, text) = match path {
        ConfigPath::Explicit(path) => {
            let path = &absolute(path);
            let text = fs::read_to_string(path).map_err(|e| {
                let mut error = ConfigError::io(path, &e);
                if e.kind() == std::io::ErrorKind::NotFound {
                    error.issues[0].message = format!(
                        "config file not found; create it (see `ocimcpd --print-default-config`) or drop --config/${CONFIG_ENV} to run the embedded default"
                    );
                }
                error
            })?;
            (ConfigSource::File(path.clone()), path.clone(), text)
        }
        ConfigPath::Default(path) => match fs::read_to_string(path) {
            Ok(text) => (ConfigSource::File(path.clone()), path.clone(), text),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => (
                ConfigSource::Embedded {
                    would_be: path.clone(),
                },
                PathBuf::from("<embedded default>"),
                DEFAULT_CONFIG.to_owned(),
            ),
            Err(e) => return Err(ConfigError::io(path, &e)),
        },
    };
    let config_dir = absolute(source.path().parent().unwrap_or(Path::new(".")));
    parse(source, &file, &text, &config_dir)
}

/// Validates config text; `config_dir` anchors relative paths.
pub fn parse(
    source: ConfigSource,
    file: &Path,
    text: &str,
    config_dir: &Path,
) -> Result<Settings, ConfigError> {
    let file: Arc<Path> = Arc::from(file);
    let raw: RawConfig = parse_toml(&file, text, None)?;
    let mut issues = Vec::new();
    let mut warnings = Vec::new();

    let daemon = RawDaemon::settle(raw.daemon, &file, text, config_dir, &mut issues);
    let mut gateway = RawGateway::settle(raw.gateway, &file, text, &mut issues);
    gateway.auth = auth::RawAuth::settle(raw.auth, &file, text, &mut issues);
    let oci = RawOci::settle(raw.oci, &file, text, config_dir, &mut issues);
    let (backends_dir, dir_explicit) =
        RawDiscovery::backends_dir(raw.discovery.as_ref(), config_dir);
    let scan_paths = RawDiscovery::scan_paths(raw.discovery.as_ref(), config_dir);

    let mut drafts = Vec::new();
    for (index, entry) in raw.backends.unwrap_or_default().into_iter().enumerate() {
        let origin = Location::at(&file, text, Some(entry.span()));
        let mut draft =
            entry
                .into_inner()
                .into_draft(&file, text, origin, config_dir.to_path_buf());
        draft.key_prefix = Some(format!("backends[{index}]"));
        drafts.push(draft);
    }
    match read_backends_dir(&backends_dir) {
        Ok(Some(files)) => {
            for path in files {
                match draft_file(&path) {
                    Ok((mut file_drafts, mut file_warnings)) => {
                        drafts.append(&mut file_drafts);
                        warnings.append(&mut file_warnings);
                    }
                    Err(e) => issues.extend(e.issues),
                }
            }
        }
        Ok(None) if dir_explicit && matches!(source, ConfigSource::File(_)) => {
            warnings.push(ConfigIssue::new(
                Location::file(&file),
                Some("discovery.backends_dir"),
                format!(
                    "{} does not exist; no backend files are read",
                    backends_dir.display()
                ),
            ))
        }
        Ok(None) => {}
        Err(e) => issues.extend(e.issues),
    }

    let mut backends = Vec::new();
    for draft in drafts {
        match draft.validate() {
            Ok(spec) => backends.push(spec),
            Err(mut found) => issues.append(&mut found),
        }
    }
    // The built-in tool sets come after the operator's own backends.
    if RawBuiltin::oci(raw.builtin.as_ref()) {
        let origin = raw.builtin.as_ref().map_or_else(
            || Location::file(&file),
            |builtin| Location::at(&file, text, Some(builtin.span())),
        );
        let settings = oci::tool_settings(oci, |key| std::env::var(key).ok());
        backends.push(Builtin::Oci(settings).spec(origin));
    }
    issues.extend(check_unique(&backends));
    warnings.extend(check_overlaps(&backends));

    if issues.is_empty() {
        Ok(Settings {
            source,
            daemon,
            gateway,
            backends_dir,
            scan_paths,
            backends,
            warnings,
        })
    } else {
        Err(ConfigError { issues })
    }
}

/// Reads and validates one `backends.d/` file on its own (for live changes): its specs,
/// and warnings worth logging. Uniqueness against the other backends is the caller's check
/// ([`check_unique`]).
pub fn load_backend_file(path: &Path) -> Result<(Vec<BackendSpec>, Vec<ConfigIssue>), ConfigError> {
    let (drafts, warnings) = draft_file(path)?;
    let mut specs = Vec::new();
    let mut issues = Vec::new();
    for draft in drafts {
        match draft.validate() {
            Ok(spec) => specs.push(spec),
            Err(mut found) => issues.append(&mut found),
        }
    }
    if issues.is_empty() {
        Ok((specs, warnings))
    } else {
        Err(ConfigError { issues })
    }
}

/// Reads one backend file from `backends.d/`: `NAME.toml` (name defaults to the stem) or
/// a seed-style `*.json` fragment.
fn draft_file(path: &Path) -> Result<(Vec<backend::Draft>, Vec<ConfigIssue>), ConfigError> {
    let text = fs::read_to_string(path).map_err(|e| ConfigError::io(path, &e))?;
    let file: Arc<Path> = Arc::from(path);
    let base_dir = absolute(path.parent().unwrap_or(Path::new(".")));
    match path.extension().and_then(|e| e.to_str()) {
        Some("json") => seed::drafts(&file, &text, &base_dir),
        _ => {
            let raw: RawBackend = parse_toml(&file, &text, None)?;
            let origin = Location::line_col(&file, 1, 1);
            let mut draft = raw.into_draft(&file, &text, origin, base_dir);
            draft.default_name = path.file_stem().and_then(|s| s.to_str()).map(str::to_owned);
            Ok((vec![draft], Vec::new()))
        }
    }
}

/// The backend files in `dir`, sorted by name: `*.toml` and `*.json`, hidden files skipped
/// (editors' swap and backup files). `None` when the folder does not exist.
fn read_backends_dir(dir: &Path) -> Result<Option<Vec<PathBuf>>, ConfigError> {
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(ConfigError::io(dir, &e)),
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| is_backend_file(path) && path.is_file())
        .collect();
    files.sort();
    Ok(Some(files))
}

/// True for the file names `backends.d/` reads.
pub fn is_backend_file(path: &Path) -> bool {
    let hidden = path
        .file_name()
        .and_then(|n| n.to_str())
        .is_none_or(|n| n.starts_with('.'));
    let ext = path.extension().and_then(|e| e.to_str());
    !hidden && matches!(ext, Some("toml" | "json"))
}

/// Two backends may not share a name, nor a (non-empty) namespace.
pub fn check_unique(backends: &[BackendSpec]) -> Vec<ConfigIssue> {
    let mut issues = Vec::new();
    let mut names: HashMap<&str, &BackendSpec> = HashMap::new();
    let mut namespaces: HashMap<&str, &BackendSpec> = HashMap::new();
    for spec in backends {
        if let Some(first) = names.insert(&spec.name, spec) {
            let (own, builtin) = match (&first.transport, &spec.transport) {
                (_, Transport::InProcess(builtin)) => (first, Some(builtin)),
                (Transport::InProcess(builtin), _) => (spec, Some(builtin)),
                _ => (spec, None),
            };
            if let Some(builtin) = builtin {
                issues.push(ConfigIssue::new(
                    own.origin.clone(),
                    Some("name"),
                    format!(
                        "backend name `{}` is the name of the built-in {} tool set; rename this backend, or set `[builtin] {} = false` to turn the built-in tools off",
                        own.name, builtin.name(), builtin.name()
                    ),
                ));
                continue;
            }
            issues.push(ConfigIssue::new(
                spec.origin.clone(),
                Some("name"),
                format!(
                    "backend name `{}` is already used by the backend defined at {}; backend names must be unique",
                    spec.name, first.origin
                ),
            ));
            continue;
        }
        if spec.namespace.is_empty() {
            continue;
        }
        if let Some(first) = namespaces.insert(&spec.namespace, spec) {
            issues.push(ConfigIssue::new(
                spec.namespace_origin.clone(),
                Some("namespace"),
                format!(
                    "backend `{}` uses namespace `{}`, already used by backend `{}` ({}); their tool names would collide: give one a different `namespace`",
                    spec.name, spec.namespace, first.name, first.namespace_origin
                ),
            ));
        }
    }
    issues
}

/// Collisions that only real tool names can confirm: two unprefixed backends, or one
/// namespace that is another's prefix (`a` with tool `b_x` and `a_b` with tool `x` both give
/// `a_b_x`). The catalog reports real clashes; this warns at load.
fn check_overlaps(backends: &[BackendSpec]) -> Vec<ConfigIssue> {
    let mut warnings = Vec::new();
    // The built-in tool sets' names (`oci_*`) are known; the catalog reports a real clash.
    let enabled: Vec<&BackendSpec> = backends
        .iter()
        .filter(|b| b.enabled && !matches!(b.transport, Transport::InProcess(_)))
        .collect();
    for (i, a) in enabled.iter().enumerate() {
        for b in &enabled[i + 1..] {
            let (x, y) = (a.namespace.as_str(), b.namespace.as_str());
            let why = if x.is_empty() && y.is_empty() {
                "both are unprefixed (namespace = \"\")".to_owned()
            } else if !x.is_empty() && y.starts_with(&format!("{x}_")) {
                format!("namespace `{x}` is a prefix of `{y}`")
            } else if !y.is_empty() && x.starts_with(&format!("{y}_")) {
                format!("namespace `{y}` is a prefix of `{x}`")
            } else {
                continue;
            };
            warnings.push(ConfigIssue::new(
                b.namespace_origin.clone(),
                Some("namespace"),
                format!(
                    "backends `{}` and `{}` may expose the same tool names: {why}. On a clash `{}` keeps the name and the other's tool is not exposed (gateway_health shows it)",
                    a.name, b.name, a.name
                ),
            ));
        }
    }
    warnings
}

fn parse_toml<T: serde::de::DeserializeOwned>(
    file: &Arc<Path>,
    text: &str,
    key_prefix: Option<&str>,
) -> Result<T, ConfigError> {
    let de = toml::de::Deserializer::parse(text).map_err(|e| {
        ConfigError::single(ConfigIssue::new(
            Location::at(file, text, e.span()),
            key_prefix,
            e.message().trim_end(),
        ))
    })?;
    serde_path_to_error::deserialize(de)
        .map_err(|e| ConfigError::single(error::from_toml(file, text, e, key_prefix)))
}

/// `path` made absolute against the current directory (which "" means).
fn absolute(path: &Path) -> PathBuf {
    let path = if path.as_os_str().is_empty() {
        Path::new(".")
    } else {
        path
    };
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}

#[cfg(test)]
mod tests;

/// A backend spec from the body of one `[[backends]]` entry, read and validated as the
/// daemon reads it (for unit tests of the parts that run a backend).
#[cfg(test)]
pub(crate) fn backend_spec(entry: &str) -> BackendSpec {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("ocimcpd.toml");
    std::fs::write(
        &path,
        format!("[builtin]\noci = false\n\n[[backends]]\n{entry}"),
    )
    .expect("write config");
    match load(&ConfigPath::Explicit(path)) {
        Ok(settings) => settings.backends.into_iter().next().expect("one backend"),
        Err(e) => panic!("the test's backend entry is invalid: {e}"),
    }
}
