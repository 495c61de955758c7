//! One supervised child: spawned in its own process group with a death signal, reaped by a
//! task that publishes its exit status, stopped by SIGTERM to the group then SIGKILL.

use std::io;
use std::os::unix::process::ExitStatusExt;
use std::process::{ExitStatus, Stdio};
use std::sync::Arc;
use std::time::Duration;

use nix::sys::signal::{Signal, killpg};
use nix::unistd::{Gid, Pid, Uid};
use tokio::process::{ChildStdin, ChildStdout, Command};
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tracing::Instrument;

use super::launch::{Credentials, LaunchPlan};
use super::reaper;
use super::stderr;
use crate::log_ring::LogRing;

/// A running (or exited) backend process. Dropping it kills the process group.
#[derive(Debug)]
pub struct ChildProcess {
    pid: u32,
    exit: watch::Receiver<Option<ExitStatus>>,
    /// The task copying stderr into the ring; it ends when the stream closes.
    stderr: Option<JoinHandle<()>>,
}

/// A freshly spawned child and the pipes MCP runs over.
#[derive(Debug)]
pub struct Spawned {
    pub process: ChildProcess,
    pub stdin: ChildStdin,
    pub stdout: ChildStdout,
}

/// Starts the process described by `plan`. Its stderr goes to `log`.
pub fn spawn(plan: &LaunchPlan, log: Arc<LogRing>) -> io::Result<Spawned> {
    let mut command = Command::new(&plan.program);
    command
        .args(&plan.args)
        .env_clear()
        .envs(&plan.env)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        // Its own group, so a stop reaches grandchildren (npx → node, sh → python).
        .process_group(0)
        .kill_on_drop(false);
    if let Some(cwd) = &plan.cwd {
        command.current_dir(cwd);
    }
    prepare_child(&mut command, plan.credentials.as_ref());

    // The orphan reaper must not wait for this child: its pid is recorded before the
    // reaper can look (see `reaper`).
    let mut spawned = reaper::spawned();
    let mut child = command.spawn()?;
    let pid = child
        .id()
        .ok_or_else(|| io::Error::other("child exited before its pid was read"))?;
    spawned.insert(pid);
    drop(spawned);
    let (Some(stdin), Some(stdout), Some(stderr)) =
        (child.stdin.take(), child.stdout.take(), child.stderr.take())
    else {
        return Err(io::Error::other("child pipes were not created"));
    };

    let span = tracing::info_span!("backend", name = %log.backend());
    let stderr = tokio::spawn(stderr::pump(stderr, log).instrument(span));

    let (tx, exit) = watch::channel(None);
    tokio::spawn(async move {
        let status = child.wait().await.unwrap_or_else(|e| {
            tracing::warn!(pid, error = %e, "waiting for backend process failed");
            ExitStatus::from_raw(0xff00)
        });
        reaper::reaped(pid);
        let _ = tx.send(Some(status));
    });
    Ok(Spawned {
        process: ChildProcess {
            pid,
            exit,
            stderr: Some(stderr),
        },
        stdin,
        stdout,
    })
}

/// In the child, before exec: switches to `credentials` (supplementary groups, group,
/// then user: each step needs the privilege the next one drops), then sets
/// PR_SET_PDEATHSIG so the child is killed if the daemon dies, even by SIGKILL. The
/// death signal comes last because the kernel clears it when credentials change.
#[allow(unsafe_code)]
fn prepare_child(command: &mut Command, credentials: Option<&Credentials>) {
    let parent = nix::unistd::getpid();
    // Built here: the child may not allocate.
    let switch = credentials.map(|c| {
        (
            c.groups
                .iter()
                .copied()
                .map(Gid::from_raw)
                .collect::<Vec<_>>(),
            Gid::from_raw(c.gid),
            Uid::from_raw(c.uid),
        )
    });
    // SAFETY: the closure runs in the forked child before exec and only makes
    // async-signal-safe calls (setgroups, setgid, setuid, prctl, getppid, _exit) on data
    // prepared before the fork; it allocates nothing.
    unsafe {
        command.pre_exec(move || {
            if let Some((groups, gid, uid)) = &switch {
                nix::unistd::setgroups(groups).map_err(io::Error::from)?;
                nix::unistd::setgid(*gid).map_err(io::Error::from)?;
                nix::unistd::setuid(*uid).map_err(io::Error::from)?;
            }
            nix::sys::prctl::set_pdeathsig(Signal::SIGKILL).map_err(io::Error::from)?;
            // The daemon may have died between fork and prctl.
            if nix::unistd::getppid() != parent {
                nix::libc::_exit(1);
            }
            Ok(())
        });
    }
}

impl ChildProcess {
    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// The exit status, if the process has been reaped.
    pub fn exit_status(&self) -> Option<ExitStatus> {
        *self.exit.borrow()
    }

    /// Waits for the process to exit.
    pub async fn exited(&mut self) -> ExitStatus {
        // The reaper only drops its sender after sending, so an error still has the status.
        let _ = self.exit.wait_for(Option::is_some).await;
        self.exit_status()
            .unwrap_or_else(|| ExitStatus::from_raw(0xff00))
    }

    /// Waits up to `limit` for everything the process wrote to stderr to reach the ring,
    /// so an error message built next includes its last words.
    pub async fn stderr_drained(&mut self, limit: Duration) {
        if let Some(pump) = self.stderr.as_mut()
            && tokio::time::timeout(limit, pump).await.is_ok()
        {
            self.stderr = None;
        }
    }

    /// Waits up to `limit` for the process to exit.
    pub async fn exited_within(&mut self, limit: Duration) -> Option<ExitStatus> {
        tokio::time::timeout(limit, self.exited()).await.ok()
    }

    /// Stops the whole process group: SIGTERM, then SIGKILL to whatever is left after
    /// `grace`. Returns the leader's exit status.
    pub async fn stop(&mut self, grace: Duration) -> ExitStatus {
        self.signal_group(Signal::SIGTERM);
        let deadline = tokio::time::Instant::now() + grace;
        let status = tokio::time::timeout_at(deadline, self.exited()).await.ok();
        // The leader may be gone while grandchildren still run; give them the rest of the grace.
        while tokio::time::Instant::now() < deadline && self.group_alive() {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        self.signal_group(Signal::SIGKILL);
        match status {
            Some(status) => status,
            None => self.exited().await,
        }
    }

    /// SIGKILL to the group: clears stragglers after the leader died on its own.
    pub fn kill_group(&self) {
        kill_group(self.pid);
    }

    fn group_alive(&self) -> bool {
        killpg(self.pgid(), None).is_ok()
    }

    fn signal_group(&self, signal: Signal) {
        match killpg(self.pgid(), signal) {
            Ok(()) | Err(nix::errno::Errno::ESRCH) => {}
            Err(e) => {
                tracing::warn!(pid = self.pid, %signal, error = %e, "signalling backend process group failed")
            }
        }
    }

    fn pgid(&self) -> Pid {
        // The child leads its own group (process_group(0)), so its pid is the group id.
        Pid::from_raw(self.pid as i32)
    }
}

impl Drop for ChildProcess {
    fn drop(&mut self) {
        self.kill_group();
    }
}

/// SIGKILL to the process group led by `pid` (a backend and anything it started).
pub fn kill_group(pid: u32) {
    if let Err(e) = killpg(Pid::from_raw(pid as i32), Signal::SIGKILL)
        && e != nix::errno::Errno::ESRCH
    {
        tracing::warn!(pid, error = %e, "killing backend process group failed");
    }
}

/// "exit code 3", "killed by signal 9 (SIGKILL)".
pub fn describe_exit(status: ExitStatus) -> String {
    if let Some(code) = status.code() {
        return format!("exit code {code}");
    }
    match status.signal() {
        Some(signal) => match Signal::try_from(signal) {
            Ok(name) => format!("killed by signal {signal} ({name})"),
            Err(_) => format!("killed by signal {signal}"),
        },
        None => "unknown exit status".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_descriptions() {
        assert_eq!(describe_exit(ExitStatus::from_raw(3 << 8)), "exit code 3");
        assert_eq!(
            describe_exit(ExitStatus::from_raw(9)),
            "killed by signal 9 (SIGKILL)"
        );
    }
}
