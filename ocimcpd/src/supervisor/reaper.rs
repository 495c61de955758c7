//! The daemon as a child subreaper. A backend's process may start others and exit (a
//! double fork, `setsid cmd &`); without this their orphans would be re-parented to init
//! and stop being the daemon's descendants, so the admin socket could no longer tell them
//! from an operator's `ocimcpctl`. With PR_SET_CHILD_SUBREAPER they are re-parented to the
//! daemon instead, and the daemon must then reap them when they exit.
//!
//! Reaping takes care not to steal a supervised backend's exit status, which its own
//! waiting task reads: every spawn records its pid here while holding [`SPAWNED`]'s lock,
//! and the orphan reaper waits only for children not in that set, under the same lock.
//! So every process the daemon spawns must go through [`super::spawn`].
//!
//! Only the binary turns this on ([`become_subreaper`]): a test that runs the daemon in
//! its own process keeps its own children to itself.

use std::collections::BTreeSet;
use std::io;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use nix::sys::wait::{WaitPidFlag, WaitStatus, waitpid};
use nix::unistd::Pid;
use tokio::signal::unix::{SignalKind, signal};
use tokio_util::sync::CancellationToken;

/// Pids of the backend processes the daemon spawned and whose own tasks reap them.
static SPAWNED: Mutex<BTreeSet<u32>> = Mutex::new(BTreeSet::new());

static SUBREAPER: AtomicBool = AtomicBool::new(false);

/// How often orphans are looked for even without a SIGCHLD (one may be missed while the
/// previous pass runs).
const SWEEP: Duration = Duration::from_secs(10);

/// Makes this process the subreaper of everything it starts (PR_SET_CHILD_SUBREAPER).
pub fn become_subreaper() -> io::Result<()> {
    nix::sys::prctl::set_child_subreaper(true).map_err(io::Error::from)?;
    SUBREAPER.store(true, Ordering::Relaxed);
    Ok(())
}

/// Whether [`become_subreaper`] succeeded: then orphans come to the daemon to be reaped.
pub fn is_subreaper() -> bool {
    SUBREAPER.load(Ordering::Relaxed)
}

/// The set of supervised pids, locked: hold it from before a spawn until its pid is in.
pub(super) fn spawned() -> MutexGuard<'static, BTreeSet<u32>> {
    SPAWNED
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Forgets a supervised pid once its task has reaped it.
pub(super) fn reaped(pid: u32) {
    spawned().remove(&pid);
}

/// Reaps orphans re-parented to the daemon, on every SIGCHLD and every [`SWEEP`], until
/// `shutdown`. Does nothing unless the daemon is a subreaper.
pub async fn reap_orphans(shutdown: CancellationToken) {
    if !is_subreaper() {
        return;
    }
    let mut child = match signal(SignalKind::child()) {
        Ok(child) => Some(child),
        Err(e) => {
            tracing::warn!("cannot watch SIGCHLD ({e}); orphans are reaped every {SWEEP:?}");
            None
        }
    };
    let mut sweep = tokio::time::interval(SWEEP);
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = sweep.tick() => {}
            Some(()) = async { match child.as_mut() {
                Some(child) => child.recv().await,
                None => std::future::pending().await,
            } } => {}
        }
        let reaped = tokio::task::spawn_blocking(reap_once).await.unwrap_or(0);
        if reaped > 0 {
            tracing::debug!("reaped {reaped} orphaned process(es) of backends");
        }
    }
}

/// One pass: waits (without blocking) for every child of the daemon that is not a
/// supervised backend. Returns how many exited ones were reaped.
pub fn reap_once() -> usize {
    let children = children_of_self();
    let spawned = spawned();
    let mut count = 0;
    for pid in children {
        if spawned.contains(&pid) {
            continue;
        }
        match waitpid(Pid::from_raw(pid as i32), Some(WaitPidFlag::WNOHANG)) {
            Ok(WaitStatus::StillAlive) | Err(_) => {}
            Ok(status) => {
                tracing::debug!(pid, ?status, "reaped an orphan of a backend");
                count += 1;
            }
        }
    }
    count
}

/// The daemon's children: from `/proc/self/task/*/children` where the kernel has it, else
/// by the parent pid of every process in `/proc`.
fn children_of_self() -> Vec<u32> {
    let mut children = Vec::new();
    let mut listed = false;
    if let Ok(tasks) = std::fs::read_dir("/proc/self/task") {
        for task in tasks.flatten() {
            if let Ok(text) = std::fs::read_to_string(task.path().join("children")) {
                listed = true;
                children.extend(
                    text.split_whitespace()
                        .filter_map(|p| p.parse::<u32>().ok()),
                );
            }
        }
    }
    if listed {
        return children;
    }
    let me = std::process::id();
    let Ok(all) = std::fs::read_dir("/proc") else {
        return children;
    };
    for entry in all.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|p| p.parse::<u32>().ok())
        else {
            continue;
        };
        if parent_of(pid) == Some(me) {
            children.push(pid);
        }
    }
    children
}

/// The parent pid of `pid`, from `/proc/<pid>/stat`; `None` when it is gone.
pub fn parent_of(pid: u32) -> Option<u32> {
    let stat =
        std::fs::read_to_string(Path::new("/proc").join(pid.to_string()).join("stat")).ok()?;
    parse_ppid(&stat)
}

/// The fourth field of a `/proc/<pid>/stat` line. The second (the command name, in
/// parentheses) may hold spaces and parentheses, so fields are counted after the last `)`.
fn parse_ppid(stat: &str) -> Option<u32> {
    let (_, rest) = stat.rsplit_once(')')?;
    rest.split_whitespace().nth(1)?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ppid_is_read_past_a_command_name_with_spaces_and_parentheses() {
        assert_eq!(parse_ppid("42 (sleep) S 7 42 42 0 -1"), Some(7));
        assert_eq!(parse_ppid("42 (a b) c) (d) Z 1234 42 42"), Some(1234));
        assert_eq!(parse_ppid("garbage"), None);
    }

    #[test]
    fn the_parent_of_this_process_is_known() {
        assert_eq!(
            parent_of(std::process::id()),
            Some(nix::unistd::getppid().as_raw() as u32)
        );
    }
}
