//! The file watcher: `notify` on folders (never single files, so editors' save-by-rename
//! is seen), events gathered until things are quiet for a moment, then handed to
//! [`LiveConfig`] by kind: config file, `backends.d/` file, or scan path.

use std::collections::{BTreeSet, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use notify::{EventKind, RecommendedWatcher, RecursiveMode, Watcher};
use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::{LiveConfig, Watched};
use crate::config::is_backend_file;
use crate::discovery;

/// Quiet time after the last event before acting on a burst of events.
const QUIET: Duration = Duration::from_millis(250);
/// Longest a burst is gathered before acting anyway.
const MAX_WAIT: Duration = Duration::from_secs(2);

/// Watches until `shutdown`. Without a working watcher (no inotify instances left, say),
/// logs why; SIGHUP and `ocimcpctl reload` still apply changes.
pub async fn watch(live: Arc<LiveConfig>, shutdown: CancellationToken) {
    let (tx, mut rx) = mpsc::unbounded_channel();
    let handler = move |event: notify::Result<notify::Event>| {
        // The receiver is gone only when the daemon is stopping.
        let _ = tx.send(event);
    };
    let mut watcher = match notify::recommended_watcher(handler) {
        Ok(watcher) => watcher,
        Err(e) => {
            tracing::error!(
                "cannot watch the configuration for changes ({e}); apply changes with `ocimcpctl reload` or SIGHUP"
            );
            return;
        }
    };
    let mut watching = HashSet::new();
    loop {
        let plan = live.watched().await;
        update_watches(&mut watcher, &mut watching, &plan);
        let mut paths = BTreeSet::new();
        tokio::select! {
            _ = shutdown.cancelled() => return,
            event = rx.recv() => match event {
                Some(event) => collect(event, &plan.config_file, &mut paths),
                None => return,
            },
        }
        let deadline = Instant::now() + MAX_WAIT;
        while Instant::now() < deadline {
            tokio::select! {
                _ = shutdown.cancelled() => return,
                _ = tokio::time::sleep(QUIET) => break,
                event = rx.recv() => match event {
                    Some(event) => collect(event, &plan.config_file, &mut paths),
                    None => return,
                },
            }
        }
        if !paths.is_empty() {
            handle(&live, &plan, &paths).await;
        }
    }
}

/// Gathers the paths an event names. An event that lost track of what changed (the kernel
/// queue overflowed) asks for everything to be re-read: it adds the config file.
fn collect(
    event: notify::Result<notify::Event>,
    config_file: &Path,
    paths: &mut BTreeSet<PathBuf>,
) {
    match event {
        Ok(event) if event.need_rescan() => {
            tracing::warn!("file watcher lost events; re-reading the whole configuration");
            paths.insert(config_file.to_path_buf());
        }
        Ok(event) if matches!(event.kind, EventKind::Access(_)) => {}
        Ok(event) => paths.extend(event.paths),
        Err(e) => tracing::warn!("file watcher: {e}"),
    }
}

async fn handle(live: &LiveConfig, plan: &Watched, paths: &BTreeSet<PathBuf>) {
    let config_changed = paths
        .iter()
        .any(|p| *p == plan.config_file || *p == plan.backends_dir);
    if config_changed {
        tracing::info!(
            "{} changed; reloading the configuration",
            plan.config_file.display()
        );
        // Errors are logged and kept for `ocimcpctl status` by `reload`.
        let _ = live.reload().await;
        return;
    }
    for path in paths {
        if path.parent() == Some(plan.backends_dir.as_path()) && is_backend_file(path) {
            live.backend_file_changed(path).await;
        }
    }
    let in_scan_path = paths
        .iter()
        .any(|p| plan.scan_paths.iter().any(|root| p.starts_with(root)));
    if in_scan_path {
        live.rescan().await;
    }
}

/// Watches exactly the folders `plan` needs (those that exist), non-recursively.
fn update_watches(
    watcher: &mut RecommendedWatcher,
    watching: &mut HashSet<PathBuf>,
    plan: &Watched,
) {
    let mut wanted: HashSet<PathBuf> = HashSet::new();
    if let Some(dir) = plan.config_file.parent() {
        wanted.insert(dir.to_path_buf());
    }
    wanted.insert(plan.backends_dir.clone());
    for root in &plan.scan_paths {
        wanted.extend(discovery::scanned_folders(root));
    }
    wanted.retain(|dir| dir.is_dir());
    for gone in watching.difference(&wanted).cloned().collect::<Vec<_>>() {
        // The folder may already be gone, which removed the watch.
        let _ = watcher.unwatch(&gone);
        watching.remove(&gone);
    }
    // Every pass watches every wanted folder again (cheap, and idempotent for a folder
    // still watched): a folder deleted and created again has lost its watch.
    for dir in wanted {
        match watcher.watch(&dir, RecursiveMode::NonRecursive) {
            Ok(()) => {
                watching.insert(dir);
            }
            Err(e) => tracing::warn!("cannot watch {} for changes: {e}", dir.display()),
        }
    }
}
