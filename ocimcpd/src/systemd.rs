//! What the daemon tells its service manager (systemd `Type=notify`), and the sockets it
//! may be handed:
//!
//! - `READY=1` once every socket listens (backends may still be starting), with `STATUS=`
//!   saying how many backends are ready, updated as they come up or go down;
//! - `RELOADING=1` (with `MONOTONIC_USEC`) while SIGHUP re-reads the configuration, then
//!   `READY=1` again; `STOPPING=1` when the drain begins;
//! - `WATCHDOG=1` every half `WATCHDOG_USEC` from a thread of its own, only after a runtime
//!   worker has just run a task it handed over, so a stuck daemon is restarted rather than
//!   vouched for;
//! - socket activation: with `LISTEN_FDS` (`ocimcpd.socket`), the passed TCP socket is the
//!   HTTP listener and the passed Unix socket is `mcp.sock`, instead of binding them (told
//!   apart by kind: systemd names both after the socket unit).
//!
//! Without `NOTIFY_SOCKET` (not started by systemd) nothing is sent.

use std::os::fd::{FromRawFd, OwnedFd, RawFd};
use std::sync::Arc;
use std::time::Duration;

use nix::sys::socket::{AddressFamily, SockaddrLike, SockaddrStorage, getsockname};
use ocimcp_proto::backend::BackendState;
use sd_notify::NotifyState;
use tokio_util::sync::CancellationToken;

use crate::registry::Registry;

/// How often the backend count in `STATUS=` is checked.
const STATUS_EVERY: Duration = Duration::from_secs(1);

/// `READY=1`: the listeners are bound and serving; `STATUS=` with the backends.
pub fn ready(registry: &Registry) {
    let status = backend_status(registry);
    send(&[NotifyState::Ready, NotifyState::Status(&status)]);
}

/// `RELOADING=1` with the monotonic time systemd requires beside it.
pub fn reloading() {
    match NotifyState::monotonic_usec_now() {
        Ok(now) => send(&[NotifyState::Reloading, now]),
        Err(e) => tracing::debug!("not telling systemd about the reload: no monotonic clock: {e}"),
    }
}

/// `STOPPING=1`: the drain has begun.
pub fn stopping() {
    send(&[NotifyState::Stopping]);
}

fn send(states: &[NotifyState]) {
    if let Err(e) = sd_notify::notify(states) {
        tracing::warn!("could not notify systemd (NOTIFY_SOCKET): {e}");
    }
}

/// `N of M backends ready` (M counts the enabled ones).
fn backend_status(registry: &Registry) -> String {
    let entries = registry.entries();
    let states: Vec<BackendState> = entries.iter().map(|e| e.status().state).collect();
    let enabled = states
        .iter()
        .filter(|s| !matches!(s, BackendState::Disabled | BackendState::Stopped))
        .count();
    let ready = states
        .iter()
        .filter(|s| matches!(s, BackendState::Ready | BackendState::Degraded))
        .count();
    format!("{ready} of {enabled} backends ready")
}

/// Keeps `STATUS=` current until `stop`.
pub async fn report_status(registry: Arc<Registry>, stop: CancellationToken) {
    if std::env::var_os("NOTIFY_SOCKET").is_none() {
        return;
    }
    let mut last = backend_status(&registry);
    loop {
        tokio::select! {
            () = stop.cancelled() => return,
            () = tokio::time::sleep(STATUS_EVERY) => {}
        }
        let now = backend_status(&registry);
        if now != last {
            send(&[NotifyState::Status(&now)]);
            last = now;
        }
    }
}

/// Pings the watchdog at half its period, until `stop`, from a thread of its own: each
/// time it hands the runtime a task through its shared queue and pings only once a worker
/// ran it, so a daemon whose workers are all stuck is restarted rather than vouched for.
pub fn watchdog(runtime: tokio::runtime::Handle, stop: CancellationToken) {
    let Some(period) = sd_notify::watchdog_enabled() else {
        return;
    };
    let every = period / 2;
    tracing::info!("systemd watchdog: {period:?}; pinging every {every:?}");
    let spawned = std::thread::Builder::new()
        .name("watchdog".to_owned())
        .spawn(move || {
            loop {
                std::thread::sleep(every);
                if stop.is_cancelled() {
                    return;
                }
                let (ran, answered) = std::sync::mpsc::channel();
                runtime.spawn(async move {
                    let _ = ran.send(());
                });
                match answered.recv_timeout(every / 2) {
                    Ok(()) => send(&[NotifyState::Watchdog]),
                    Err(_) => tracing::warn!(
                        "no worker ran a task within {:?}; not pinging the watchdog",
                        every / 2
                    ),
                }
            }
        });
    if let Err(e) = spawned {
        tracing::warn!("the watchdog thread did not start ({e}); systemd will restart the daemon");
    }
}

/// Sockets the service manager passed (`ocimcpd.socket`).
#[derive(Debug, Default)]
pub struct Activated {
    /// A TCP listening socket: the HTTP endpoint.
    pub http: Option<std::net::TcpListener>,
    /// A Unix listening socket: `mcp.sock`.
    pub mcp: Option<std::os::unix::net::UnixListener>,
}

/// Why passed sockets cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ActivationError {
    #[error("LISTEN_FDS: {0}")]
    Environment(std::io::Error),
    #[error("passed socket {fd} ({name}): {reason}")]
    Socket {
        fd: RawFd,
        name: String,
        reason: String,
    },
}

impl Activated {
    /// Takes the sockets of `LISTEN_FDS` (when `LISTEN_PID` is this process) by kind: the
    /// TCP socket is HTTP, the Unix socket is mcp.sock. Names are only for messages.
    pub fn take() -> Result<Self, ActivationError> {
        let mut activated = Activated::default();
        let passed = sd_notify::listen_fds_with_names().map_err(ActivationError::Environment)?;
        for (fd, name) in passed {
            let failed = |reason: String| ActivationError::Socket {
                fd,
                name: name.clone(),
                reason,
            };
            let family = getsockname::<SockaddrStorage>(fd)
                .map_err(|e| failed(e.to_string()))?
                .family();
            // SAFETY: systemd passed this descriptor to this process (LISTEN_PID is ours)
            // and nothing else in the process owns it; it is taken exactly once, here.
            #[allow(unsafe_code)]
            let owned = unsafe { OwnedFd::from_raw_fd(fd) };
            // Told apart by kind: systemd names every socket of one unit after the unit
            // (`ocimcpd.socket`), unless each has its own FileDescriptorName=.
            match family {
                Some(AddressFamily::Inet | AddressFamily::Inet6) if activated.http.is_none() => {
                    let listener = std::net::TcpListener::from(owned);
                    listener
                        .set_nonblocking(true)
                        .map_err(|e| failed(e.to_string()))?;
                    activated.http = Some(listener);
                }
                Some(AddressFamily::Unix) if activated.mcp.is_none() => {
                    let listener = std::os::unix::net::UnixListener::from(owned);
                    listener
                        .set_nonblocking(true)
                        .map_err(|e| failed(e.to_string()))?;
                    activated.mcp = Some(listener);
                }
                family => {
                    return Err(failed(format!(
                        "not a socket ocimcpd serves (a {family:?} socket; it takes one TCP socket for HTTP and one Unix socket for mcp.sock)"
                    )));
                }
            }
        }
        Ok(activated)
    }
}
