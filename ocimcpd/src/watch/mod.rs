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
//!
//! Reading files (the config, `backends.d/`, the scan paths) is blocking work: it runs on
//! blocking threads, never on the async runtime, and never while the configuration's lock
//! is held, so a slow scan path delays neither traffic nor `ocimcpctl`.

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

/// What discovery does with scan roots and the configured backends: validated specs and
/// notes on what it skipped.
type Scanner = fn(&[PathBuf], &[BackendSpec]) -> (Vec<BackendSpec>, Vec<String>);

pub struct LiveConfig {
    path: ConfigPath,
    backends: Arc<Backends>,
    current: Mutex<Current>,
    scanner: Scanner,
}

/// Runs blocking file work on a blocking thread; `None` if it panicked (logged).
async fn blocking<T: Send + 'static>(
    what: &str,
    work: impl FnOnce() -> T + Send + 'static,
) -> Option<T> {
    match tokio::task::spawn_blocking(work).await {
        Ok(done) => Some(done),
        Err(e) => {
            tracing::error!("{what} failed: {e}");
            None
        }
    }
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
        Self::start_with(path, settings, backends, scan_specs).await
    }

    async fn start_with(
        path: ConfigPath,
        settings: Settings,
        backends: Arc<Backends>,
        scanner: Scanner,
    ) -> Arc<Self> {
        let roots = settings.scan_paths.clone();
        let configured = settings.backends.clone();
        let discovered = blocking("discovery", move || discover(scanner, &roots, &configured))
            .await
            .unwrap_or_default();
        let live = Arc::new(Self {
            path,
            backends,
            current: Mutex::new(Current {
                settings,
                discovered,
                rejected: BTreeMap::new(),
            }),
            scanner,
        });
        let current = live.current.lock().await;
        live.backends.apply(all_specs(&current)).await;
        drop(current);
        live
    }

    /// Re-reads the whole configuration; applies it only if all of it is valid.
    pub async fn reload(&self) -> Result<Reloaded, String> {
        let path = self.path.clone();
        let scanner = self.scanner;
        let read = blocking("reading the configuration", move || {
            config::load(&path).map(|new| {
                let discovered = discover(scanner, &new.scan_paths, &new.backends);
                (new, discovered)
            })
        })
        .await
        .ok_or_else(|| "reading the configuration failed; see the daemon log".to_owned())?;
        let mut current = self.current.lock().await;
        let (new, discovered) = match read {
            Ok(read) => read,
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
        current.discovered = discovered;
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
        let file = path.to_path_buf();
        let config_path = self.path.clone();
        // The whole configuration is read again only when a rejection may be lifted.
        let any_rejected = !self.current.lock().await.rejected.is_empty();
        let Some((loaded, whole_config_valid)) = blocking("reading a backend file", move || {
            let loaded = file.is_file().then(|| config::load_backend_file(&file));
            (loaded, any_rejected && config::load(&config_path).is_ok())
        })
        .await
        else {
            return;
        };
        let mut current = self.current.lock().await;
        let mut next: Vec<BackendSpec> = current
            .settings
            .backends
            .iter()
            .filter(|spec| *spec.origin.file != *path)
            .cloned()
            .collect();
        match loaded {
            Some(Ok((mut specs, warnings))) => {
                for warning in warnings {
                    tracing::warn!("config: {warning}");
                }
                next.append(&mut specs);
            }
            Some(Err(e)) => {
                let error = format!(
                    "{} rejected; its backends keep running on their last good spec:\n{e}",
                    path.display()
                );
                tracing::error!("{error}");
                reject(&mut current, path.to_path_buf(), error);
                return;
            }
            None => {}
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
        // configuration reads cleanly again.
        if whole_config_valid {
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
        let (roots, configured) = {
            let current = self.current.lock().await;
            (
                current.settings.scan_paths.clone(),
                current.settings.backends.clone(),
            )
        };
        let scanner = self.scanner;
        let (scan_roots, scan_configured) = (roots.clone(), configured.clone());
        let Some(discovered) = blocking("discovery", move || {
            discover(scanner, &scan_roots, &scan_configured)
        })
        .await
        else {
            return;
        };
        let mut current = self.current.lock().await;
        if current.settings.scan_paths != roots || current.settings.backends != configured {
            // The configuration changed during the scan; that change ran its own.
            return;
        }
        current.discovered = discovered;
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
        let (roots, configured) = {
            let current = self.current.lock().await;
            let roots = paths.unwrap_or_else(|| current.settings.scan_paths.clone());
            (roots, current.settings.backends.clone())
        };
        let scanner = self.scanner;
        let scan_roots = roots.clone();
        let (specs, notes) = blocking("discovery", move || scanner(&scan_roots, &configured))
            .await
            .unwrap_or_else(|| {
                (
                    Vec::new(),
                    vec!["the scan failed; see the daemon log".to_owned()],
                )
            });
        let current = self.current.lock().await;
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

/// Discovery over the scan paths, as validated specs; what it skipped is logged.
fn discover(scanner: Scanner, roots: &[PathBuf], configured: &[BackendSpec]) -> Vec<BackendSpec> {
    let (specs, notes) = scanner(roots, configured);
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

#[cfg(test)]
mod tests {
    use std::path::PathBuf;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::{Arc, Condvar, Mutex};
    use std::time::Duration;

    use tokio_util::sync::CancellationToken;
    use tokio_util::task::TaskTracker;

    use super::LiveConfig;
    use crate::backends::Backends;
    use crate::config::{self, BackendSpec, ConfigPath};
    use crate::registry::Registry;

    /// Set: the next scan waits (up to 10 s) for the gate to open.
    static ARMED: AtomicBool = AtomicBool::new(false);
    static GATE: (Mutex<bool>, Condvar) = (Mutex::new(false), Condvar::new());
    /// Whether the scan was let go by the gate (not by its 10 s limit).
    static RELEASED: AtomicBool = AtomicBool::new(false);

    /// A scan of a very slow file system: it blocks its thread until the gate opens.
    fn slow_scan(_: &[PathBuf], _: &[BackendSpec]) -> (Vec<BackendSpec>, Vec<String>) {
        if ARMED.swap(false, Ordering::SeqCst) {
            let (lock, opened) = &GATE;
            let guard = lock.lock().expect("gate");
            let (guard, _) = opened
                .wait_timeout_while(guard, Duration::from_secs(10), |open| !*open)
                .expect("gate");
            RELEASED.store(*guard, Ordering::SeqCst);
        }
        (Vec::new(), Vec::new())
    }

    fn open_gate() {
        let (lock, opened) = &GATE;
        *lock.lock().expect("gate") = true;
        opened.notify_all();
    }

    /// On one runtime thread (the daemon's default on two cores), a scan that blocks
    /// delays neither other tasks nor readers of the configuration.
    #[test]
    fn a_slow_scan_stalls_neither_the_runtime_nor_the_configuration() {
        let dir = tempfile::tempdir().expect("temp dir");
        let file = dir.path().join("ocimcpd.toml");
        std::fs::write(
            &file,
            format!(
                "[discovery]\nscan_paths = [\"{}\"]\n[builtin]\noci = false\n",
                dir.path().display()
            ),
        )
        .expect("config");
        let path = ConfigPath::Explicit(file);
        let settings = config::load(&path).expect("valid config");
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        runtime.block_on(async {
            let backends = Backends::new(
                Arc::new(Registry::new(Vec::new())),
                &dir.path().join("state"),
                TaskTracker::new(),
                CancellationToken::new(),
            );
            let live = LiveConfig::start_with(path, settings, backends, slow_scan).await;
            ARMED.store(true, Ordering::SeqCst);
            let scanning = tokio::spawn({
                let live = live.clone();
                async move { live.rescan().await }
            });
            // The scan is stuck on its thread; this one still runs, and the configuration
            // is still readable.
            tokio::time::sleep(Duration::from_millis(50)).await;
            assert!(live.rejected().await.is_empty());
            open_gate();
            scanning.await.expect("rescan");
        });
        assert!(
            RELEASED.load(Ordering::SeqCst),
            "the scan ran out its 10 s: nothing else could run while it blocked"
        );
    }
}
