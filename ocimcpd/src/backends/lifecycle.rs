//! One task per enabled backend runs its whole life: start, serve, notice the end, back
//! off, start again, until the restart policy or the daemon's shutdown says stop. It is
//! the only writer of its backend's registry entry.

use std::process::ExitStatus;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use rmcp::model::{ClientRequest, PingRequest};
use rmcp::service::{Peer, RoleClient};
use tokio::task::JoinHandle;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::client::BackendEvent;
use super::connect::{self, Session, StartFailure};
use crate::config::RestartPolicy;
use crate::registry::{BackendEntry, BackendState, Connection, Listing, Registry};
use crate::supervisor::{Backoff, ChildProcess, describe_exit};

/// How long a suspected backend has to answer a ping.
const PING_TIMEOUT: Duration = Duration::from_secs(5);

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
        let attempt = tokio::select! {
            // Dropping the half-started session kills its process group.
            _ = shutdown.cancelled() => break,
            attempt = connect::connect(&entry, registry.notice_sender()) => attempt,
        };
        let (ended, served_for) = match attempt {
            Ok(session) => {
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
        // A backend that served well for a while starts over from the shortest delay.
        if served_for >= backoff.settle_time() {
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

/// Serves a ready session until it ends: watches the process, the connection, shutdown,
/// list changes (re-listed in a task of their own) and suspicion raised by failed requests.
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
        Connection {
            peer: peer.clone(),
            relay,
        },
        listing,
        server,
        protocol,
    );
    registry.rebuild();
    entry.mark_settled();

    let stop_service = running.cancellation_token();
    let mut service = std::pin::pin!(running.waiting());
    let spec = entry.spec();
    let mut relist: Option<JoinHandle<Result<Listing, String>>> = None;
    let mut relist_again = false;
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
                    Err(e) => tracing::warn!(backend = %spec.name, "re-listing after list_changed: {e}; keeping the previous listing"),
                }
                if std::mem::take(&mut relist_again) {
                    relist = Some(spawn_relist(&peer, spec.timeouts.connect));
                }
            }
            _ = entry.suspected() => {
                if let Err(why) = ping(&peer).await {
                    stop_service.cancel();
                    let exit = match child.as_mut() {
                        Some(child) => {
                            let status = child.stop(spec.timeouts.stop).await;
                            child.stderr_drained(connect::STDERR_DRAIN).await;
                            Some(describe_exit(status))
                        }
                        None => None,
                    };
                    let error = connect::with_stderr_tail(entry, format!("a request to the backend broke and it then {why}"));
                    break Ended::Lost { error, exit, clean: false };
                }
            }
        }
    };
    if let Some(relist) = relist {
        relist.abort();
    }
    ended
}

fn spawn_relist(peer: &Peer<RoleClient>, limit: Duration) -> JoinHandle<Result<Listing, String>> {
    let peer = peer.clone();
    tokio::spawn(async move {
        match tokio::time::timeout(limit, connect::list_everything(&peer)).await {
            Ok(result) => result.map_err(|e| e.to_string()),
            Err(_) => Err(format!("no answer within {limit:?} (timeouts.connect)")),
        }
    })
}

/// Resolves with the re-listing's result, if one is running; never otherwise.
async fn relisted(
    relist: &mut Option<JoinHandle<Result<Listing, String>>>,
) -> Result<Listing, String> {
    match relist {
        Some(handle) => handle
            .await
            .unwrap_or_else(|e| Err(format!("the re-listing task failed: {e}"))),
        None => std::future::pending().await,
    }
}

/// Whether the backend still answers a ping; `Err` says how it did not.
async fn ping(peer: &Peer<RoleClient>) -> Result<(), String> {
    match tokio::time::timeout(
        PING_TIMEOUT,
        peer.send_request(ClientRequest::PingRequest(PingRequest::default())),
    )
    .await
    {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(e)) => Err(format!("failed a ping ({e})")),
        Err(_) => Err(format!("did not answer a ping within {PING_TIMEOUT:?}")),
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
