//! Whom `ocimcpctl` talks to. Before it sends anything on a daemon's socket, the folder
//! holding the socket must be a real directory that only root, this user or the packaged
//! service's user (`ocimcp`) owns and that nobody else may write to (the rules are
//! `ocimcp_proto::paths::distrust`, the same the daemon applies), and the process
//! answering must run as one of those users (SO_PEERCRED). Otherwise another local user
//! who got to create the folder, or to bind a socket in it, could read our requests and
//! answer them.

use std::io;
use std::path::{Path, PathBuf};

use nix::sys::socket::{getsockopt, sockopt::PeerCredentials};
use nix::unistd::{Group, Uid, User};
use ocimcp_proto::local_socket::SOCKET_GROUP;
use ocimcp_proto::paths;
use tokio::net::UnixStream;

/// Why a socket was not used.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    /// Connecting failed (nobody listens, permission denied, no such folder).
    #[error("{0}")]
    Io(#[from] io::Error),
    /// The folder or the peer is not one to trust; the message says which and why.
    #[error("{0}")]
    Untrusted(String),
}

/// Connects to the socket at `path` once its folder and then its peer pass the checks.
pub async fn connect(path: &Path) -> Result<UnixStream, ConnectError> {
    let dir = folder_of(path);
    check_dir(&dir)?;
    let stream = UnixStream::connect(path).await?;
    check_peer(&stream, path)?;
    Ok(stream)
}

/// The folder of a socket path (`.` for a bare file name).
fn folder_of(path: &Path) -> PathBuf {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// Root, this user, and the packaged service's user when it exists.
fn trusted_uids() -> Vec<u32> {
    let mut uids = vec![0, Uid::current().as_raw()];
    if let Some(service) = User::from_name(SOCKET_GROUP).ok().flatten() {
        uids.push(service.uid.as_raw());
    }
    uids.dedup();
    uids
}

fn check_dir(dir: &Path) -> Result<(), ConnectError> {
    let meta = std::fs::symlink_metadata(dir)?;
    let facts = paths::DirFacts::from(&meta);
    let group = Group::from_name(SOCKET_GROUP)
        .ok()
        .flatten()
        .map(|g| g.gid.as_raw());
    match paths::distrust(&facts, &trusted_uids(), group) {
        None => Ok(()),
        Some(why) => Err(ConnectError::Untrusted(format!(
            "refusing to use the runtime directory {}: {why}. ocimcpctl talks to a daemon only through a folder that root, you or the service's user `{SOCKET_GROUP}` owns and nobody else may write to; fix the folder, or name the daemon's with --runtime-dir",
            dir.display()
        ))),
    }
}

fn check_peer(stream: &UnixStream, path: &Path) -> Result<(), ConnectError> {
    let creds = getsockopt(stream, PeerCredentials).map_err(io::Error::from)?;
    let trusted = trusted_uids();
    if trusted.contains(&creds.uid()) {
        return Ok(());
    }
    Err(ConnectError::Untrusted(format!(
        "refusing to talk to {}: the process answering there (pid {}) runs as uid {}, not as root, you (uid {}) or the service's user `{SOCKET_GROUP}`; it is not an ocimcpd to trust",
        path.display(),
        creds.pid(),
        creds.uid(),
        Uid::current()
    )))
}
