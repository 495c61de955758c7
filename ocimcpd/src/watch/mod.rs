//! Live configuration: owns the last good configuration, the files rejected since, and
//! applying changes to the running backends. Changes come from `notify` watching the
//! config file's folder, `backends.d/` and the scan paths (debounced here), from SIGHUP and
//! from `ocimcpctl reload`.
//!
//! - A `backends.d/` file that changes is applied on its own: its backends are added,
//!   restarted or removed; a file that does not parse or validate is rejected and its
//!   backends keep running on their last good spec.
//! - The config file changing, SIGHUP and `reload` re-read everything, atomically: the
//!   whole new configuration is validated before anything changes.
//! - A scan path changing re-runs discovery.

mod watcher;

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::SystemTime;

use ocimcp_proto::admin::{Rejected, Reloaded};
use tokio::sync::Mutex;

use crate::backends::Backends;
use crate::config::{self, BackendSpec, ConfigPath, Settings};
use crate::discovery;

pub use watcher::watch;

struct Current {
    settings: Settings,
    discovered: Vec<BackendSpec>,
    rejected: BTreeMap<PathBuf, Rejected>,
}

pub struct LiveConfig {
    path: ConfigPath,
    backends: Arc<Backends>,
    current: Mutex<Current>,
}

impl std::fmt::Debug for LiveConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LiveConfig")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl LiveConfig {
    /// Runs discovery and starts the configured backends.
    pub async fn start(path: ConfigPath, settings: Settings, backends: Arc<Backends>) -> Arc<Self> {
        let discovered = discover(&settings);
        let live = Arc::new(Self {
            path,
            backends,
            current: Mutex::new(Current {
                settings,
                discovered,
                rejected: BTreeMap::new(),
            }),
        });
        let current = live.current.lock().await;
        live.backends.apply(all_specs(&current)).await;
        drop(current);
        live
    }

    /// Re-reads the whole configuration; applies it only if all of it is valid.
    pub async fn reload(&self) -> Result<Reloaded, String> {
        let mut current = self.current.lock().await;
        let new = match config::load(&self.path) {
            Ok(new) => new,
            Err(e) => {
                let file = current.settings.source.path().to_path_buf();
                let error = format!(
                    "configuration not reloaded; the running configuration stays as it was:\n{e}"
                );
                tracing::error!("{error}");
                reject(&mut current, file, error.clone());
                return Err(error);
            }
        };
        let mut notes = Vec::new();
        if new.gateway != current.settings.gateway {
            notes.push(
                "[gateway] changed: the new settings take effect when ocimcpd restarts".to_owned(),
            );
        }
        if new.daemon != current.settings.daemon {
            notes.push(
                "[daemon] changed: the new settings take effect when ocimcpd restarts".to_owned(),
            );
        }
        for warning in &new.warnings {
            notes.push(format!("warning: {warning}"));
        }
        current.discovered = discover(&new);
        current.settings = new;
        current.rejected.clear();
        let applied = self.backends.apply(all_specs(&current)).await;
        tracing::info!(
            added = ?applied.added, changed = ?applied.changed, removed = ?applied.removed,
            "configuration reloaded"
        );
        for note in &notes {
            tracing::warn!("reload: {note}");
        }
        Ok(Reloaded { applied, notes })
    }

    /// Applies one `backends.d/` file: added, changed or removed.
    pub async fn backend_file_changed(&self, path: &Path) {
        let mut current = self.current.lock().await;
        let mut next: Vec<BackendSpec> = current
            .settings
            .backends
            .iter()
            .filter(|spec| *spec.origin.file != *path)
            .cloned()
            .collect();
        if path.is_file() {
            match config::load_backend_file(path) {
                Ok((mut specs, warnings)) => {
                    for warning in warnings {
                        tracing::warn!("config: {warning}");
                    }
                    next.append(&mut specs);
                }
                Err(e) => {
                    let error = format!(
                        "{} rejected; its backends keep running on their last good spec:\n{e}",
                        path.display()
                    );
                    tracing::error!("{error}");
                    reject(&mut current, path.to_path_buf(), error);
                    return;
                }
            }
        }
        let clashes = config::check_unique(&next);
        if !clashes.is_empty() {
            let list: Vec<String> = clashes.iter().map(ToString::to_string).collect();
            let error = format!(
                "{} rejected; its backends keep running on their last good spec:\n{}",
                path.display(),
                list.join("\n")
            );
            tracing::error!("{error}");
            reject(&mut current, path.to_path_buf(), error);
            return;
        }
        current.rejected.remove(path);
        // A whole-config rejection may have been about this file: drop it once the whole
        // configuration reads cleanly again (read only when something is still rejected).
        if !current.rejected.is_empty() && config::load(&self.path).is_ok() {
            current.rejected.clear();
        }
        current.settings.backends = next;
        let applied = self.backends.apply(all_specs(&current)).await;
        if !applied.is_empty() {
            tracing::info!(
                file = %path.display(), added = ?applied.added, changed = ?applied.changed,
                removed = ?applied.removed, "backend file applied"
            );
        }
    }

    /// Runs discovery again over the scan paths and applies what changed.
    pub async fn rescan(&self) {
        let mut current = self.current.lock().await;
        current.discovered = discover(&current.settings);
        let applied = self.backends.apply(all_specs(&current)).await;
        if !applied.is_empty() {
            tracing::info!(added = ?applied.added, changed = ?applied.changed, removed = ?applied.removed, "scan paths changed");
        }
    }

    /// Files whose latest version was rejected, oldest first.
    pub async fn rejected(&self) -> Vec<Rejected> {
        let current = self.current.lock().await;
        let mut rejected: Vec<Rejected> = current.rejected.values().cloned().collect();
        rejected.sort_by_key(|r| r.at);
        rejected
    }

    /// What `ocimcpctl discover` shows: what a scan of `paths` (or the configured scan
    /// paths) finds, each marked new or already known.
    pub async fn dry_run(&self, paths: Option<Vec<PathBuf>>) -> DryRun {
        let current = self.current.lock().await;
        let roots = paths.unwrap_or_else(|| current.settings.scan_paths.clone());
        let (specs, notes) = scan_specs(&roots, &current.settings.backends);
        let found = specs
            .into_iter()
            .map(|spec| DryRunEntry {
                new: !current
                    .discovered
                    .iter()
                    .any(|known| known.runs_like(&spec)),
                spec,
            })
            .collect();
        DryRun {
            scan_paths: roots,
            found,
            notes,
        }
    }

    /// Where the watcher looks: the config file's folder, `backends.d/`, the scan paths.
    async fn watched(&self) -> Watched {
        let current = self.current.lock().await;
        Watched {
            config_file: current.settings.source.path().to_path_buf(),
            backends_dir: current.settings.backends_dir.clone(),
            scan_paths: current.settings.scan_paths.clone(),
        }
    }
}

/// What `discover` found.
#[derive(Debug)]
pub struct DryRun {
    pub scan_paths: Vec<PathBuf>,
    pub found: Vec<DryRunEntry>,
    pub notes: Vec<String>,
}

#[derive(Debug)]
pub struct DryRunEntry {
    /// Its `origin` is the file that identified the project.
    pub spec: BackendSpec,
    /// False when the running daemon already has this backend.
    pub new: bool,
}

struct Watched {
    config_file: PathBuf,
    backends_dir: PathBuf,
    scan_paths: Vec<PathBuf>,
}

fn reject(current: &mut Current, file: PathBuf, error: String) {
    let at = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    current
        .rejected
        .insert(file.clone(), Rejected { file, error, at });
}

/// Configured backends first, then discovered ones that clash with none of them.
fn all_specs(current: &Current) -> Vec<BackendSpec> {
    let mut specs = current.settings.backends.clone();
    for spec in &current.discovered {
        let mut candidate = specs.clone();
        candidate.push(spec.clone());
        if config::check_unique(&candidate).is_empty() {
            specs = candidate;
        } else {
            tracing::warn!(backend = %spec.name, "discovered backend skipped: its name or namespace is taken by a configured backend");
        }
    }
    specs
}

/// Discovery over the configured scan paths, as validated specs; what it skipped is
/// logged.
fn discover(settings: &Settings) -> Vec<BackendSpec> {
    let (specs, notes) = scan_specs(&settings.scan_paths, &settings.backends);
    for note in notes {
        tracing::warn!("discovery: {note}");
    }
    specs
}

/// Discovery over `roots` as validated specs, named clear of the `configured` backends;
/// what was skipped, and why, as notes.
fn scan_specs(roots: &[PathBuf], configured: &[BackendSpec]) -> (Vec<BackendSpec>, Vec<String>) {
    let taken: HashSet<String> = configured.iter().map(|s| s.name.clone()).collect();
    let scan = discovery::scan(roots, &taken);
    let mut notes = scan.notes;
    let mut specs = Vec::new();
    for candidate in scan.found {
        let evidence = candidate.evidence.clone();
        match candidate.into_spec() {
            Ok(spec) => specs.push(spec),
            Err(e) => notes.push(format!("{} skipped: {e}", evidence.display())),
        }
    }
    (specs, notes)
}
