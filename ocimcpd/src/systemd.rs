//! What the daemon tells its service manager (systemd `Type=notify`): ready once every
//! socket listens, reloading while SIGHUP re-reads the configuration, stopping when the
//! drain begins. Without `NOTIFY_SOCKET` (not started by systemd) nothing is sent.

use sd_notify::NotifyState;

/// `READY=1`: the listeners are bound and serving.
pub fn ready() {
    send(&[NotifyState::Ready]);
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
