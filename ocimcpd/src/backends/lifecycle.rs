//! One task per enabled backend runs its whole life: start, serve, notice the end, back
//! off, start again, until the restart policy or the daemon's shutdown says stop. It is
//! the only writer of its backend's registry entry.

use std::process::ExitStatus;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::client::BackendEvent;
use super::connect::{self, Session, StartFailure};
use crate::config::RestartPolicy;
use crate::registry::{BackendEntry, BackendState, Connection, Registry};
use crate::supervisor::{Backoff, ChildProcess, describe_exit};

/// How a served session ended.
enum Ended {
    /// The daemon is shutting down; the backend has been stopped.
    Shutdown,
    /// The backend went away on its own or never came up.
    Lost {
        error: String,
        exit: Option<String>,
        clean: bool,
    },
}

pub(super) async fn run(
    entry: Arc<BackendEntry>,
    registry: Arc<Registry>,
    shutdown: CancellationToken,
) {
    let spec = entry.spec().clone();
    let mut backoff = Backoff::new(spec.restart.backoff_min, spec.restart.backoff_max);
    loop {
        entry.starting();
        let started = Instant::now();
        let attempt = tokio::select! {
            // Dropping the half-started session kills its process group.
            _ = shutdown.cancelled() => break,
            attempt = connect::connect(&entry) => attempt,
        };
        let ended = match attempt {
            Ok(session) => serve(&entry, &registry, session, &shutdown).await,
            Err(StartFailure { error, exit }) => Ended::Lost {
                error,
                exit,
                clean: false,
            },
        };
        let Ended::Lost { error, exit, clean } = ended else {
            break;
        };

        entry.lost(exit, error.clone());
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
        if started.elapsed() >= backoff.settle_time() {
            backoff.reset();
        }
        let delay = backoff.next_delay();
        tracing::warn!(backend = %spec.name, "backend unavailable: {error}; restarting in {:.1}s", delay.as_secs_f64());
        entry.restarting(SystemTime::now() + delay);
        tokio::select! {
            _ = shutdown.cancelled() => break,
            _ = tokio::time::sleep(delay) => {}
        }
    }
    entry.ended(BackendState::Stopped);
    registry.rebuild();
}

/// Serves a ready session until it ends, re-listing when the backend says its lists changed.
async fn serve(
    entry: &BackendEntry,
    registry: &Registry,
    session: Session,
    shutdown: &CancellationToken,
) -> Ended {
    let Session {
        running,
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
    entry.ready(Connection { peer: peer.clone() }, listing, server, protocol);
    registry.rebuild();

    let stop_service = running.cancellation_token();
    let mut service = std::pin::pin!(running.waiting());
    let spec = entry.spec();
    loop {
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
                return Ended::Shutdown;
            }
            _ = &mut service => {
                return match child.as_mut() {
                    Some(child) => {
                        let status = match child.exited_within(Duration::from_secs(1)).await {
                            Some(status) => status,
                            // It closed stdout but lives on: it cannot serve, so stop it.
                            None => child.stop(spec.timeouts.stop).await,
                        };
                        process_ended(entry, Some(child), status)
                    }
                    None => Ended::Lost {
                        error: "the connection to the backend closed".to_owned(),
                        exit: None,
                        clean: false,
                    },
                };
            }
            status = exited(&mut child) => {
                // Its stdout may still hold unread output; the transport is of no use now.
                stop_service.cancel();
                return process_ended(entry, child.as_ref(), status);
            }
            Some(BackendEvent::ListChanged) = events.recv() => {
                match tokio::time::timeout(spec.timeouts.connect, connect::list_everything(&peer)).await {
                    Ok(Ok(listing)) => {
                        entry.relisted(listing);
                        let changed = registry.rebuild();
                        tracing::info!(backend = %spec.name, ?changed, "backend lists re-read after list_changed");
                    }
                    Ok(Err(e)) => tracing::warn!(backend = %spec.name, "re-listing after list_changed failed: {e}; keeping the previous listing"),
                    Err(_) => tracing::warn!(backend = %spec.name, "re-listing after list_changed timed out; keeping the previous listing"),
                }
            }
        }
    }
}

fn process_ended(entry: &BackendEntry, child: Option<&ChildProcess>, status: ExitStatus) -> Ended {
    // Leftover grandchildren must not outlive their parent backend.
    if let Some(child) = child {
        child.kill_group();
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
