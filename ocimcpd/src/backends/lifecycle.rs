//! One task per enabled backend runs its whole life: start, serve (pinging it every
//! `health.interval`), notice the end, back off, start again; quarantine it when it keeps
//! failing and probe it until it recovers; until the restart policy or the daemon's
//! shutdown says stop. It is the only writer of its backend's registry entry. The states
//! and transitions are drawn in `docs/backend-lifecycle.md`.

use std::collections::VecDeque;
use std::process::ExitStatus;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use ocimcp_proto::backend::BackendState;
use rmcp::model::{ClientRequest, PingRequest};
use rmcp::service::{Peer, RoleClient, ServiceError};
use tokio::task::JoinHandle;
use tokio::time::{Instant, MissedTickBehavior};
use tokio_util::sync::CancellationToken;

use super::client::BackendEvent;
use super::connect::{self, Session, StartFailure};
use super::handle::{Connection, Suspicion};
use crate::config::{BackendSpec, RestartPolicy};
use crate::registry::{BackendEntry, Listing, Registry};
use crate::supervisor::{Backoff, ChildProcess, describe_exit};

/// Why a health ping or a re-listing did not succeed; the words follow "the backend".
#[derive(Debug, thiserror::Error)]
enum CheckFailed {
    #[error("failed a ping ({0})")]
    Ping(#[source] ServiceError),
    #[error("did not answer a ping within {0:?} (health.timeout)")]
    PingTimedOut(Duration),
    #[error("answered a re-listing with an error: {0}")]
    List(#[source] connect::ListError),
    #[error("did not answer a re-listing within {0:?} (timeouts.connect)")]
    ListTimedOut(Duration),
    #[error("could not be checked: the {0} task failed ({1})")]
    Task(&'static str, #[source] tokio::task::JoinError),
}

/// How a served session ended.
enum Ended {
    /// The daemon is shutting down; the backend has been stopped.
    Shutdown,
    /// The backend went away on its own, never came up, or hung and was stopped.
    Lost {
        error: String,
        exit: Option<String>,
        clean: bool,
    },
    /// It failed `health.failures_to_quarantine` pings in a row and was stopped.
    Quarantine { error: String, exit: Option<String> },
}

pub(super) async fn run(
    entry: Arc<BackendEntry>,
    registry: Arc<Registry>,
    shutdown: CancellationToken,
) {
    let spec = entry.spec().clone();
    let mut backoff = Backoff::new(spec.restart.backoff_min, spec.restart.backoff_max);
    let mut probes = Backoff::new(spec.health.probe_min, spec.health.probe_max);
    let mut crashes = CrashWindow::new(&spec);
    loop {
        entry.starting();
        let mut probing = entry.status().state == BackendState::Quarantined;
        let attempt = tokio::select! {
            // Dropping the half-started session kills its process group.
            _ = shutdown.cancelled() => break,
            attempt = connect::connect(&entry, registry.notice_sender()) => attempt,
        };
        let (ended, served_for) = match attempt {
            Ok(session) => {
                if probing {
                    tracing::info!(backend = %spec.name, "recovery probe succeeded: the backend is back in service");
                    probes.reset();
                    // From here on it is an ordinary backend: its next exit restarts it.
                    probing = false;
                }
                let serving = Instant::now();
                let ended = serve(&entry, &registry, session, &shutdown).await;
                (ended, serving.elapsed())
            }
            Err(StartFailure { error, exit }) => (
                Ended::Lost {
                    error,
                    exit,
                    clean: false,
                },
                Duration::ZERO,
            ),
        };
        let delay = match ended {
            Ended::Shutdown => break,
            Ended::Quarantine { error, exit } => {
                entry.lost(exit, error.clone());
                quarantine(&entry, &registry, &mut probes, &error)
            }
            Ended::Lost { error, exit, clean } => {
                entry.lost(exit, error.clone());
                if probing {
                    let failures = entry.check_failed(error.clone(), u32::MAX);
                    let delay = probes.next_delay();
                    tracing::warn!(backend = %spec.name, "recovery probe failed ({failures} failure(s) in a row): {error}; next probe in {:.1}s", delay.as_secs_f64());
                    entry.quarantined(
                        SystemTime::now() + delay,
                        format!("recovery probe failed: {error}"),
                    );
                    delay
                } else {
                    let restart = match spec.restart.policy {
                        RestartPolicy::Always => true,
                        RestartPolicy::OnFailure => !clean,
                        RestartPolicy::Never => false,
                    };
                    if !restart {
                        tracing::error!(backend = %spec.name, "backend stopped: {error}; not restarting (restart.policy = {:?})", spec.restart.policy);
                        entry.ended(BackendState::Failed);
                        registry.rebuild();
                        return;
                    }
                    if let Some(loop_error) = crashes.record(&error) {
                        quarantine(&entry, &registry, &mut probes, &loop_error)
                    } else {
                        // A backend that served well for a while starts over from the
                        // shortest delay.
                        if served_for >= backoff.settle_time() {
                            backoff.reset();
                        }
                        let delay = backoff.next_delay();
                        tracing::warn!(backend = %spec.name, "backend unavailable: {error}; restarting in {:.1}s", delay.as_secs_f64());
                        entry.restarting(SystemTime::now() + delay);
                        delay
                    }
                }
            }
        };
        tokio::select! {
            _ = shutdown.cancelled() => break,
            _ = tokio::time::sleep(delay) => {}
        }
    }
    entry.ended(BackendState::Stopped);
    registry.rebuild();
}

/// Takes the backend out of service until its next recovery probe; returns the delay.
fn quarantine(
    entry: &BackendEntry,
    registry: &Registry,
    probes: &mut Backoff,
    why: &str,
) -> Duration {
    let delay = probes.next_delay();
    entry.quarantined(SystemTime::now() + delay, why.to_owned());
    registry.rebuild();
    tracing::error!(backend = %entry.name(), "backend quarantined: {why}. Its tools, prompts and resources are out of the catalog; next recovery probe in {:.1}s (`ocimcpctl restart {}` retries now)", delay.as_secs_f64(), entry.name());
    delay
}

/// Exits and failed starts within `restart.crash_loop_window`.
struct CrashWindow {
    limit: u32,
    window: Duration,
    exits: VecDeque<Instant>,
}

impl CrashWindow {
    fn new(spec: &BackendSpec) -> Self {
        Self {
            limit: spec.restart.crash_loop_exits,
            window: spec.restart.crash_loop_window,
            exits: VecDeque::new(),
        }
    }

    /// Records an exit; returns why the backend counts as crash-looping, if it does.
    fn record(&mut self, error: &str) -> Option<String> {
        if self.limit == 0 {
            return None;
        }
        let now = Instant::now();
        self.exits.push_back(now);
        while self
            .exits
            .front()
            .is_some_and(|t| now.duration_since(*t) > self.window)
        {
            self.exits.pop_front();
        }
        if self.exits.len() < self.limit as usize {
            return None;
        }
        self.exits.clear();
        Some(format!(
            "crash loop: {} exits or failed starts within {:?} (restart.crash_loop_exits, restart.crash_loop_window); last: {error}",
            self.limit, self.window
        ))
    }
}

/// Why a health check runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CheckReason {
    /// Every `health.interval`.
    Scheduled,
    /// A request broke or timed out.
    Suspected(Suspicion),
}

/// A health ping under way.
struct Check {
    reason: CheckReason,
    started: Instant,
    ping: JoinHandle<Result<Duration, CheckFailed>>,
}

/// Serves a ready session until it ends: watches the process, the connection, shutdown,
/// list changes (re-listed in a task of their own), health pings and suspicion raised by
/// failed requests.
async fn serve(
    entry: &BackendEntry,
    registry: &Registry,
    session: Session,
    shutdown: &CancellationToken,
) -> Ended {
    let Session {
        running,
        relay,
        mut child,
        mut events,
        listing,
    } = session;
    let peer = running.peer().clone();
    let server = peer.peer_info().and_then(|info| {
        info.server_info
            .as_ref()
            .map(|s| format!("{} {}", s.name, s.version))
    });
    let protocol = peer
        .peer_info()
        .map(|info| info.protocol_version.to_string())
        .unwrap_or_default();
    tracing::info!(
        backend = %entry.name(),
        tools = listing.tools.len(),
        prompts = listing.prompts.len(),
        resources = listing.resources.len(),
        protocol = %protocol,
        "backend ready"
    );
    entry.ready(
        Connection::new(peer.clone(), relay.clone()),
        listing,
        server,
        protocol,
    );
    registry.rebuild();
    entry.mark_settled();
    // Clients' resource subscriptions are held again on the new connection.
    registry.announce_connected(entry.name());

    // Suspicions raised against the previous connection do not concern this one.
    entry.handle().clear_suspicion().await;
    let stop_service = running.cancellation_token();
    let mut service = std::pin::pin!(running.waiting());
    let spec = entry.spec();
    let mut relist: Option<JoinHandle<Result<Listing, CheckFailed>>> = None;
    let mut relist_again = false;
    let mut health =
        tokio::time::interval_at(Instant::now() + spec.health.interval, spec.health.interval);
    health.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut check: Option<Check> = None;
    let ended = loop {
        tokio::select! {
            _ = shutdown.cancelled() => {
                // Closing the transport closes the child's stdin: the polite way to ask an
                // MCP stdio server to exit. Then SIGTERM, then SIGKILL.
                stop_service.cancel();
                let _ = tokio::time::timeout(Duration::from_millis(500), &mut service).await;
                if let Some(child) = child.as_mut() {
                    let status = child.stop(spec.timeouts.stop).await;
                    tracing::info!(backend = %spec.name, "backend stopped ({})", describe_exit(status));
                }
                break Ended::Shutdown;
            }
            _ = &mut service => {
                break match child.as_mut() {
                    Some(child) => {
                        let status = match child.exited_within(Duration::from_secs(1)).await {
                            Some(status) => status,
                            // It closed stdout but lives on: it cannot serve, so stop it.
                            None => child.stop(spec.timeouts.stop).await,
                        };
                        process_ended(entry, Some(child), status).await
                    }
                    None => Ended::Lost { error: "the connection to the backend closed".to_owned(), exit: None, clean: false },
                };
            }
            status = exited(&mut child) => {
                // Its stdout may still hold unread output; the transport is of no use now.
                stop_service.cancel();
                break process_ended(entry, child.as_mut(), status).await;
            }
            Some(BackendEvent::ListChanged) = events.recv() => {
                if relist.is_some() {
                    relist_again = true;
                } else {
                    relist = Some(spawn_relist(&peer, spec.timeouts.connect));
                }
            }
            result = relisted(&mut relist) => {
                relist = None;
                match result {
                    Ok(listing) => {
                        entry.relisted(listing);
                        let changed = registry.rebuild();
                        tracing::info!(backend = %spec.name, ?changed, "backend lists re-read after list_changed");
                    }
                    Err(e) => tracing::warn!(backend = %spec.name, "after list_changed, the backend {e}; keeping the previous listing"),
                }
                if std::mem::take(&mut relist_again) {
                    relist = Some(spawn_relist(&peer, spec.timeouts.connect));
                }
            }
            _ = health.tick() => {
                if check.is_none() {
                    check = Some(start_check(&peer, spec.health.timeout, CheckReason::Scheduled));
                }
            }
            why = entry.handle().suspected() => {
                let reason = CheckReason::Suspected(why);
                match check.as_mut() {
                    // A request's trouble outranks a routine ping already under way.
                    Some(running) if running.reason != CheckReason::Suspected(Suspicion::Broken) => running.reason = reason,
                    Some(_) => {}
                    None => check = Some(start_check(&peer, spec.health.timeout, reason)),
                }
            }
            (reason, started, outcome) = checked(&mut check) => {
                check = None;
                let why = match outcome {
                    Ok(latency) => {
                        if entry.ping_answered(latency) {
                            tracing::info!(backend = %spec.name, "backend answers pings again: no longer degraded");
                        }
                        continue;
                    }
                    Err(why) => why,
                };
                if relay.heard_since(started) && reason != CheckReason::Suspected(Suspicion::Broken) {
                    // It is sending progress or answers: busy, not hung.
                    tracing::debug!(backend = %spec.name, "backend {why}, but it is sending messages: busy, not hung");
                    continue;
                }
                match reason {
                    CheckReason::Suspected(suspicion) => {
                        stop_service.cancel();
                        let exit = stop_child(&mut child, spec).await;
                        let what = match suspicion {
                            Suspicion::Broken => "a request to the backend broke",
                            Suspicion::TimedOut => "a request to the backend timed out",
                        };
                        let error = connect::with_stderr_tail(entry, format!("{what} and it then {why}: it is hung or broken, so it was stopped"));
                        break Ended::Lost { error, exit, clean: false };
                    }
                    CheckReason::Scheduled if entry.handle().load().in_flight() > 0 => {
                        // A backend that serves one request at a time cannot answer a ping
                        // while it works; its requests' own limits decide whether it hangs.
                        tracing::debug!(backend = %spec.name, "backend {why} while serving requests: busy, not counted");
                    }
                    CheckReason::Scheduled => {
                        let error = format!("health check: the backend {why}");
                        let failures = entry.check_failed(error.clone(), spec.health.failures_to_degrade);
                        if failures >= spec.health.failures_to_quarantine {
                            stop_service.cancel();
                            let exit = stop_child(&mut child, spec).await;
                            let error = format!("{failures} health checks failed in a row (health.failures_to_quarantine = {}); last: {error}", spec.health.failures_to_quarantine);
                            break Ended::Quarantine { error, exit };
                        }
                        if failures >= spec.health.failures_to_degrade {
                            tracing::warn!(backend = %spec.name, "backend degraded: {error} ({failures} in a row; quarantined at {})", spec.health.failures_to_quarantine);
                        }
                    }
                }
            }
        }
    };
    if let Some(relist) = relist {
        relist.abort();
    }
    if let Some(check) = check {
        check.ping.abort();
    }
    ended
}

fn start_check(peer: &Peer<RoleClient>, limit: Duration, reason: CheckReason) -> Check {
    let peer = peer.clone();
    Check {
        reason,
        started: Instant::now(),
        ping: tokio::spawn(async move { ping(&peer, limit).await }),
    }
}

/// Resolves with the running check's reason, start and outcome; never if none runs.
async fn checked(
    check: &mut Option<Check>,
) -> (CheckReason, Instant, Result<Duration, CheckFailed>) {
    match check {
        Some(check) => {
            let outcome = (&mut check.ping)
                .await
                .unwrap_or_else(|e| Err(CheckFailed::Task("ping", e)));
            (check.reason, check.started, outcome)
        }
        None => std::future::pending().await,
    }
}

/// Stops the child, if any, and describes how it ended.
async fn stop_child(child: &mut Option<ChildProcess>, spec: &BackendSpec) -> Option<String> {
    let child = child.as_mut()?;
    let status = child.stop(spec.timeouts.stop).await;
    child.stderr_drained(connect::STDERR_DRAIN).await;
    Some(describe_exit(status))
}

fn spawn_relist(
    peer: &Peer<RoleClient>,
    limit: Duration,
) -> JoinHandle<Result<Listing, CheckFailed>> {
    let peer = peer.clone();
    tokio::spawn(async move {
        match tokio::time::timeout(limit, connect::list_everything(&peer)).await {
            Ok(result) => result.map_err(CheckFailed::List),
            Err(_) => Err(CheckFailed::ListTimedOut(limit)),
        }
    })
}

/// Resolves with the re-listing's result, if one is running; never otherwise.
async fn relisted(
    relist: &mut Option<JoinHandle<Result<Listing, CheckFailed>>>,
) -> Result<Listing, CheckFailed> {
    match relist {
        Some(handle) => handle
            .await
            .unwrap_or_else(|e| Err(CheckFailed::Task("re-listing", e))),
        None => std::future::pending().await,
    }
}

/// How long the backend took to answer a ping; `Err` says how it did not.
async fn ping(peer: &Peer<RoleClient>, limit: Duration) -> Result<Duration, CheckFailed> {
    let started = Instant::now();
    match tokio::time::timeout(
        limit,
        peer.send_request(ClientRequest::PingRequest(PingRequest::default())),
    )
    .await
    {
        // An error answer (a server without `ping`, say) still proves it is alive.
        Ok(Ok(_) | Err(ServiceError::McpError(_))) => Ok(started.elapsed()),
        Ok(Err(e)) => Err(CheckFailed::Ping(e)),
        Err(_) => Err(CheckFailed::PingTimedOut(limit)),
    }
}

async fn process_ended(
    entry: &BackendEntry,
    child: Option<&mut ChildProcess>,
    status: ExitStatus,
) -> Ended {
    // Leftover grandchildren must not outlive their parent backend.
    if let Some(child) = child {
        child.kill_group();
        child.stderr_drained(connect::STDERR_DRAIN).await;
    }
    let exit = describe_exit(status);
    let clean = status.success();
    let error = if clean {
        format!("process exited on its own ({exit})")
    } else {
        connect::with_stderr_tail(entry, format!("process died ({exit})"))
    };
    Ended::Lost {
        error,
        exit: Some(exit),
        clean,
    }
}

/// Resolves when the child (if any) exits; never, for HTTP backends.
async fn exited(child: &mut Option<ChildProcess>) -> ExitStatus {
    match child {
        Some(child) => child.exited().await,
        None => std::future::pending().await,
    }
}

#[cfg(test)]
mod tests;
