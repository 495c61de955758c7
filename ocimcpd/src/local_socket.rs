//! Local Unix sockets (`admin.sock`, `mcp.sock`): owns binding them safely (a live daemon's
//! socket is never taken over, a stale one is replaced), their mode and group, and deciding
//! from the peer's credentials (SO_PEERCRED) who may use them: root, the daemon's own
//! user, and members of the group `ocimcp` (when the socket has that group); and, for the
//! admin socket only, refusing the daemon's own descendants (its backends).

use std::fs::Permissions;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use nix::sys::socket::{getsockopt, sockopt::PeerCredentials};
use nix::unistd::{Gid, Group, Uid, User};
use ocimcp_proto::local_socket::{REFUSED, SOCKET_GROUP};
use ocimcp_proto::paths;
use tokio::net::{UnixListener, UnixStream};

#[derive(Debug, thiserror::Error)]
pub enum BindError {
    #[error(
        "cannot create the runtime directory {dir}: {source}; set [daemon] runtime_dir to a writable folder"
    )]
    RuntimeDir {
        dir: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "the runtime directory {dir} is not safe for the daemon's sockets: {why}; remove it, or set [daemon] runtime_dir to a folder of the daemon's own"
    )]
    UnsafeDir { dir: PathBuf, why: String },
    #[error(
        "another ocimcpd is already serving {path}; stop it first (`ocimcpctl status` shows it), or give this one another [daemon] runtime_dir"
    )]
    InUse { path: PathBuf },
    #[error("cannot listen on {path}: {source}")]
    Bind {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// Binds `path` with mode 0660 and, where the group `ocimcp` exists, that group. A socket
/// file nobody answers on (left by a daemon that died) is replaced.
pub async fn bind(path: &Path) -> Result<UnixListener, BindError> {
    let dir = path.parent().unwrap_or(Path::new("/"));
    if std::fs::symlink_metadata(dir).is_err() {
        std::fs::create_dir_all(dir).map_err(|source| BindError::RuntimeDir {
            dir: dir.to_path_buf(),
            source,
        })?;
        // Members of `ocimcp` must be able to reach the sockets inside; nobody else.
        let mode = match socket_group() {
            Some(gid) => {
                let _ = nix::unistd::chown(dir, None, Some(gid));
                0o750
            }
            None => 0o700,
        };
        let _ = std::fs::set_permissions(dir, Permissions::from_mode(mode));
    }
    check_dir(dir)?;
    if path.exists() {
        if UnixStream::connect(path).await.is_ok() {
            return Err(BindError::InUse {
                path: path.to_path_buf(),
            });
        }
        let _ = std::fs::remove_file(path);
    }
    let bind_error = |source| BindError::Bind {
        path: path.to_path_buf(),
        source,
    };
    let listener = UnixListener::bind(path).map_err(bind_error)?;
    std::fs::set_permissions(path, Permissions::from_mode(0o660)).map_err(bind_error)?;
    if let Some(gid) = socket_group() {
        // Not fatal: without the group only root and the daemon's user get in.
        if let Err(e) = nix::unistd::chown(path, None, Some(gid)) {
            tracing::warn!(
                "cannot give {} to group {SOCKET_GROUP}: {e}",
                path.display()
            );
        }
    }
    Ok(listener)
}

/// A runtime dir that is a symlink, that someone else owns, or that others may write to
/// could have its sockets swapped under us: refuse it (`ocimcp_proto::paths::distrust`
/// has the rules `ocimcpctl` applies too). Read with `symlink_metadata`, so a link is
/// seen as one rather than followed.
fn check_dir(dir: &Path) -> Result<(), BindError> {
    let meta = std::fs::symlink_metadata(dir).map_err(|source| BindError::RuntimeDir {
        dir: dir.to_path_buf(),
        source,
    })?;
    let facts = paths::DirFacts::from(&meta);
    let me = Uid::effective().as_raw();
    match paths::distrust(&facts, &[0, me], socket_group().map(Gid::as_raw)) {
        Some(why) => Err(BindError::UnsafeDir {
            dir: dir.to_path_buf(),
            why,
        }),
        None => Ok(()),
    }
}

fn socket_group() -> Option<Gid> {
    Group::from_name(SOCKET_GROUP).ok().flatten().map(|g| g.gid)
}

/// The next connection whose peer may use the socket at `path`. Refused peers are told
/// why (see [`refuse`]) and logged under `socket` ("admin socket", "MCP socket"); accept
/// errors (running out of file descriptors, say) are logged and retried.
pub async fn accept(listener: &UnixListener, path: &Path, socket: &str) -> (UnixStream, Peer) {
    loop {
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            Err(e) => {
                tracing::warn!("{socket}: accepting a connection failed: {e}");
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                continue;
            }
        };
        let peer = match peer(&stream) {
            Ok(peer) => peer,
            Err(e) => {
                tracing::warn!(
                    "{socket}: cannot read the peer's credentials ({e}); connection closed"
                );
                continue;
            }
        };
        match authorize(&peer, path) {
            Ok(()) => return (stream, peer),
            Err(refusal) => {
                tracing::warn!(uid = peer.uid, pid = peer.pid, "{socket}: {refusal}");
                refuse(stream, refusal);
            }
        }
    }
}

/// Who is on the other end of a local socket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Peer {
    pub uid: u32,
    pub gid: u32,
    pub pid: i32,
}

/// The peer's credentials, as the kernel recorded them at connect.
pub fn peer(stream: &UnixStream) -> std::io::Result<Peer> {
    let creds = getsockopt(stream, PeerCredentials).map_err(std::io::Error::from)?;
    Ok(Peer {
        uid: creds.uid(),
        gid: creds.gid(),
        pid: creds.pid(),
    })
}

/// `Ok` if `peer` may use the socket at `path`; else a refusal saying why and what to do.
pub fn authorize(peer: &Peer, path: &Path) -> Result<(), String> {
    let me = Uid::effective();
    if peer.uid == 0 || peer.uid == me.as_raw() {
        return Ok(());
    }
    // Group members are admitted only when the group is `ocimcp`: a socket that merely
    // has the daemon user's primary group (which may be shared) admits no one by group.
    let group = socket_group();
    let socket_gid = std::fs::metadata(path).map(|m| m.gid()).ok();
    if let Some(gid) = group.map(Gid::as_raw)
        && socket_gid == Some(gid)
        && (peer.gid == gid || in_group(peer.uid, gid))
    {
        return Ok(());
    }
    let group = format!("group `{SOCKET_GROUP}`");
    let daemon_user = User::from_uid(me)
        .ok()
        .flatten()
        .map_or_else(|| format!("uid {me}"), |u| format!("`{}`", u.name));
    Err(format!(
        "permission denied: uid {} may not use {}: only root, the daemon's user ({daemon_user}) and members of {group} may; add the user to that group (e.g. `usermod -aG {SOCKET_GROUP} USER`, then log in again) or use sudo",
        peer.uid,
        path.display()
    ))
}

/// Where a peer stands in the process tree, seen from the daemon.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lineage {
    /// The daemon itself, or a process that does not descend from it.
    Outside,
    /// A descendant of the daemon: a backend, or something a backend started (the daemon
    /// is a subreaper, so even a backend's orphans stay below it).
    Descendant,
    /// Its ancestry could not be read (it exited, or `/proc` hides it).
    Unknown,
}

/// How many parents are followed before giving up (a loop would be a kernel bug, a
/// chain this deep is not a shell's).
const MAX_ANCESTORS: usize = 4096;

/// Whether the process `pid` descends from this daemon, by its chain of parent pids in
/// `/proc`. A pid of 0 is a peer outside the daemon's pid namespace: not a descendant.
pub fn lineage(pid: i32) -> Lineage {
    let me = std::process::id();
    let Ok(start) = u32::try_from(pid) else {
        return Lineage::Unknown;
    };
    if start == 0 || start == me {
        return Lineage::Outside;
    }
    // A parent may exit while the chain is read (its children then move up): read again.
    for _ in 0..3 {
        let mut current = start;
        let mut complete = true;
        for _ in 0..MAX_ANCESTORS {
            match crate::supervisor::parent_of(current) {
                Some(parent) if parent == me => return Lineage::Descendant,
                Some(parent) if parent <= 1 => return Lineage::Outside,
                Some(parent) => current = parent,
                None => {
                    complete = false;
                    break;
                }
            }
        }
        if complete {
            return Lineage::Unknown;
        }
    }
    Lineage::Unknown
}

/// A refusal if `peer` must not use the admin socket because it is one of the daemon's
/// backends (or started by one): a backend is not an administrator. A peer of the
/// daemon's own uid whose ancestry cannot be read is refused too (a backend could hide
/// itself); one of another uid cannot be a same-uid backend, and has passed [`authorize`].
pub fn backend_refusal(peer: &Peer) -> Option<String> {
    let me = std::process::id();
    match lineage(peer.pid) {
        Lineage::Outside => None,
        Lineage::Descendant => Some(format!(
            "ocimcpd refuses admin connections from its own backends: pid {} descends from the daemon (pid {me}), so it is a backend or was started by one; run ocimcpctl from a shell or a service of its own",
            peer.pid
        )),
        Lineage::Unknown if peer.uid == Uid::effective().as_raw() => Some(format!(
            "ocimcpd cannot tell whether pid {} (the daemon's own uid) is one of its backends: its ancestry in /proc cannot be read; connection refused",
            peer.pid
        )),
        Lineage::Unknown => None,
    }
}

/// True if the user `uid` lists `gid` among its supplementary groups.
fn in_group(uid: u32, gid: u32) -> bool {
    let Some(user) = User::from_uid(Uid::from_raw(uid)).ok().flatten() else {
        return false;
    };
    Group::from_gid(Gid::from_raw(gid))
        .ok()
        .flatten()
        .is_some_and(|group| group.mem.contains(&user.name))
}

/// Tells a refused peer why, in one JSON-RPC error line (`id: null`), then closes. What
/// the peer sent meanwhile is read and dropped for a moment first, so its writes do not
/// fail before it reads the reason. Runs on its own task: the accept loop never waits.
pub fn refuse(stream: UnixStream, message: String) {
    tokio::spawn(async move {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let mut stream = stream;
        let error = serde_json::json!({
            "jsonrpc": "2.0", "id": null,
            "error": { "code": REFUSED, "message": message },
        });
        if stream
            .write_all(format!("{error}\n").as_bytes())
            .await
            .is_err()
        {
            return;
        }
        let _ = stream.shutdown().await;
        let mut sink = [0u8; 4096];
        let drain = async { while matches!(stream.read(&mut sink).await, Ok(n) if n > 0) {} };
        let _ = tokio::time::timeout(std::time::Duration::from_secs(2), drain).await;
    });
}
