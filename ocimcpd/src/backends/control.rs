//! The one place backends are started and stopped: at start-up, by `ocimcpctl`
//! (enable, disable, start, stop, restart) and when the configuration changes (a new,
//! changed or removed spec). Operations are serialized, so two commands for the same
//! backend cannot interleave. Every change lands in the registry, whose rebuild tells
//! connected clients (`list_changed`).

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use ocimcp_proto::admin::Applied;
use ocimcp_proto::backend::EnabledBy;
use tokio::sync::Mutex;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::lifecycle;
use super::overrides::{Found, Overrides, SaveError, Verdict};
use crate::config::{BackendSpec, DISCOVERED_TAG, Transport};
use crate::registry::{BackendEntry, Enabled, Registry};

#[derive(Debug, thiserror::Error)]
pub enum ControlError {
    #[error("no backend is named `{0}`; `ocimcpctl list` shows the backends there are")]
    Unknown(String),
    #[error(
        "backend `{0}` is disabled; enable it first (`ocimcpctl enable {0}`), which also starts it"
    )]
    Disabled(String),
    #[error(transparent)]
    Save(#[from] SaveError),
}

/// A backend's lifecycle task, while it has one.
struct Task {
    stop: CancellationToken,
    handle: JoinHandle<()>,
}

struct Inner {
    overrides: Overrides,
    tasks: HashMap<String, Task>,
}

pub struct Backends {
    registry: Arc<Registry>,
    tracker: TaskTracker,
    shutdown: CancellationToken,
    inner: Mutex<Inner>,
}

impl std::fmt::Debug for Backends {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Backends").finish_non_exhaustive()
    }
}

impl Backends {
    /// Lifecycle tasks are spawned on `tracker` and stop when `shutdown` fires.
    pub fn new(
        registry: Arc<Registry>,
        state_dir: &Path,
        tracker: TaskTracker,
        shutdown: CancellationToken,
    ) -> Arc<Self> {
        Arc::new(Self {
            registry,
            tracker,
            shutdown,
            inner: Mutex::new(Inner {
                overrides: Overrides::load(state_dir),
                tasks: HashMap::new(),
            }),
        })
    }

    /// Makes the running set match `specs`: new backends are added (and started when
    /// enabled), changed ones restarted on their new spec, removed ones stopped and
    /// dropped. Backends whose spec did not change keep running untouched.
    pub async fn apply(&self, specs: Vec<BackendSpec>) -> Applied {
        let mut inner = self.inner.lock().await;
        let mut applied = Applied::default();
        let wanted: Vec<&str> = specs.iter().map(|s| s.name.as_str()).collect();
        for entry in self.registry.entries().iter() {
            if !wanted.contains(&entry.name()) {
                let name = entry.name().to_owned();
                self.stop_task(&mut inner, &name).await;
                self.registry.remove(&name);
                tracing::info!(backend = %name, "backend removed from the configuration; stopped");
                applied.removed.push(name);
            }
        }
        for spec in specs {
            let enabled = effective(&inner.overrides, &spec);
            let name = spec.name.clone();
            match self.registry.entry(&name) {
                Some(old) if old.spec().runs_like(&spec) => {
                    applied.unchanged += 1;
                    let was = old.status().enabled;
                    if was.enabled != enabled.enabled {
                        // Only `enabled` changed in the spec (no override in the way).
                        if enabled.enabled {
                            old.set_enabled(enabled);
                            self.start_task(&mut inner, &old);
                        } else {
                            self.stop_task(&mut inner, &name).await;
                            old.set_enabled(enabled);
                        }
                        self.registry.rebuild();
                    }
                }
                old => {
                    if old.is_some() {
                        self.stop_task(&mut inner, &name).await;
                        tracing::info!(backend = %name, "backend spec changed; restarting it on the new spec");
                        applied.changed.push(name.clone());
                    } else {
                        applied.added.push(name.clone());
                    }
                    let entry = Arc::new(match &old {
                        // Its stderr history (and `logs -f` followers) carry over.
                        Some(old) => BackendEntry::replacing(old, spec, enabled),
                        None => BackendEntry::new(spec, enabled),
                    });
                    self.registry.put(entry.clone());
                    if enabled.enabled {
                        self.start_task(&mut inner, &entry);
                    } else if old.is_none() {
                        tracing::info!(backend = %name, "backend added, disabled (`ocimcpctl enable {name}` starts it)");
                    }
                }
            }
        }
        self.registry.mark_loaded();
        applied
    }

    /// Enables a backend persistently and starts it if it is not running.
    pub async fn enable(&self, name: &str) -> Result<(), ControlError> {
        let mut inner = self.inner.lock().await;
        let entry = self.find(name)?;
        let launch = launch_digest(entry.spec());
        inner
            .overrides
            .set(name, true, found(entry.spec(), &launch))?;
        entry.set_enabled(Enabled {
            enabled: true,
            by: EnabledBy::State,
        });
        self.start_task(&mut inner, &entry);
        Ok(())
    }

    /// Disables a backend persistently and stops it.
    pub async fn disable(&self, name: &str) -> Result<(), ControlError> {
        let mut inner = self.inner.lock().await;
        let entry = self.find(name)?;
        let launch = launch_digest(entry.spec());
        inner
            .overrides
            .set(name, false, found(entry.spec(), &launch))?;
        self.stop_task(&mut inner, name).await;
        entry.set_enabled(Enabled {
            enabled: false,
            by: EnabledBy::State,
        });
        self.registry.rebuild();
        Ok(())
    }

    /// Starts a stopped or failed backend now (until the daemon restarts).
    pub async fn start(&self, name: &str) -> Result<(), ControlError> {
        let mut inner = self.inner.lock().await;
        let entry = self.find(name)?;
        if !entry.status().enabled.enabled {
            return Err(ControlError::Disabled(name.to_owned()));
        }
        self.start_task(&mut inner, &entry);
        Ok(())
    }

    /// Stops a backend now; it starts again with the daemon, or with `start`.
    pub async fn stop(&self, name: &str) -> Result<(), ControlError> {
        let mut inner = self.inner.lock().await;
        self.find(name)?;
        self.stop_task(&mut inner, name).await;
        Ok(())
    }

    /// Stops (if running) and starts a backend: a fresh process, a fresh connection.
    pub async fn restart(&self, name: &str) -> Result<(), ControlError> {
        let mut inner = self.inner.lock().await;
        let entry = self.find(name)?;
        if !entry.status().enabled.enabled {
            return Err(ControlError::Disabled(name.to_owned()));
        }
        self.stop_task(&mut inner, name).await;
        self.start_task(&mut inner, &entry);
        Ok(())
    }

    /// The current entry. Called with `inner` held, so `apply` cannot swap it meanwhile.
    fn find(&self, name: &str) -> Result<Arc<BackendEntry>, ControlError> {
        self.registry
            .entry(name)
            .ok_or_else(|| ControlError::Unknown(name.to_owned()))
    }

    /// Spawns the backend's lifecycle task unless one is running.
    fn start_task(&self, inner: &mut Inner, entry: &Arc<BackendEntry>) {
        let name = entry.name().to_owned();
        if inner
            .tasks
            .get(&name)
            .is_some_and(|task| !task.handle.is_finished())
        {
            return;
        }
        if self.shutdown.is_cancelled() {
            return;
        }
        let stop = self.shutdown.child_token();
        entry.start_over();
        let handle = self.tracker.spawn(lifecycle::run(
            entry.clone(),
            self.registry.clone(),
            stop.clone(),
        ));
        inner.tasks.insert(name, Task { stop, handle });
    }

    /// Stops the backend's lifecycle task, if any, and waits until its process is gone.
    async fn stop_task(&self, inner: &mut Inner, name: &str) {
        if let Some(task) = inner.tasks.remove(name) {
            task.stop.cancel();
            if let Err(e) = task.handle.await {
                tracing::error!(backend = %name, "the backend's lifecycle task failed: {e}");
            }
        }
    }
}

/// The spec's `enabled`, unless `ocimcpctl enable/disable` said otherwise; a discovered
/// backend enabled for what it used to run is disabled until enabled again.
fn effective(overrides: &Overrides, spec: &BackendSpec) -> Enabled {
    let launch = launch_digest(spec);
    match overrides.get(&spec.name, found(spec, &launch)) {
        Some(Verdict::Enabled(enabled)) => Enabled {
            enabled,
            by: EnabledBy::State,
        },
        Some(Verdict::Changed) => {
            tracing::warn!(
                backend = %spec.name,
                "discovered backend disabled: its command, args, env or venv changed since it was enabled (review it with `ocimcpctl show {0}`, then `ocimcpctl enable {0}`)",
                spec.name
            );
            Enabled {
                enabled: false,
                by: EnabledBy::Changed,
            }
        }
        None => Enabled::by_spec(spec),
    }
}

/// What an override of a discovered backend is bound to: the file it was found in, so a
/// different project that later gets the same name does not inherit it, and what it
/// runs. Overrides of configured backends follow the name.
fn found<'a>(spec: &'a BackendSpec, launch: &'a str) -> Option<Found<'a>> {
    spec.tags
        .iter()
        .any(|t| t == DISCOVERED_TAG)
        .then(|| Found {
            source: &spec.origin.file,
            launch,
        })
}

/// A digest of what a backend runs: for a process its command, args, env, venv, working
/// folder and PYTHONPATH; for a remote server its URL and headers. (A digest, not the
/// values, since env and headers hold tokens and the state file keeps it.)
fn launch_digest(spec: &BackendSpec) -> String {
    use sha2::{Digest, Sha256};
    let launch = match &spec.transport {
        Transport::Stdio(stdio) => serde_json::json!({
            "command": stdio.command,
            "args": stdio.args,
            "env": stdio.env,
            "venv": stdio.venv,
            "cwd": stdio.cwd,
            "pythonpath": stdio.pythonpath,
        }),
        Transport::StreamableHttp(http) => serde_json::json!({
            "url": http.url,
            "headers": http.headers,
        }),
        Transport::InProcess(_) => serde_json::json!({ "kind": spec.transport.kind() }),
    };
    let digest = Sha256::digest(launch.to_string().as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}
