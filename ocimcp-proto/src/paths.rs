//! Where the daemon puts its sockets and its state when the config does not say: the
//! system locations when running as root (as the packaged service does), per-user ones
//! otherwise; and which runtime directories either side may trust. `ocimcpctl` uses the
//! same rules to find a daemon.
//!
//! There is no fallback to a predictable folder under `/tmp`: another local user could
//! create it first and hand out sockets of their own.

use std::ffi::OsString;
use std::path::PathBuf;

/// The admin socket's file name inside the runtime dir.
pub const ADMIN_SOCKET: &str = "admin.sock";
/// The MCP socket's file name inside the runtime dir.
pub const MCP_SOCKET: &str = "mcp.sock";
/// The system service's runtime dir.
pub const SYSTEM_RUNTIME_DIR: &str = "/run/ocimcpd";

/// Names the runtime dir when `[daemon] runtime_dir` does not (read by both binaries).
pub const RUNTIME_DIR_ENV: &str = "OCIMCPD_RUNTIME_DIR";
/// Names the state dir when `[daemon] state_dir` does not.
pub const STATE_DIR_ENV: &str = "OCIMCPD_STATE_DIR";

/// A default directory cannot be chosen: the environment names no per-user place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoDefaultDir {
    /// "runtime" or "state".
    pub which: &'static str,
    /// The environment variable that would name it.
    pub env: &'static str,
    /// The `[daemon]` key that would name it.
    pub key: &'static str,
}

impl std::fmt::Display for NoDefaultDir {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let Self { which, env, key } = self;
        let xdg = if *which == "runtime" {
            "XDG_RUNTIME_DIR, "
        } else {
            "XDG_STATE_HOME, "
        };
        write!(
            f,
            "no {which} directory: not running as root, and neither {xdg}nor HOME is set; set {env} or [daemon] {key} to a folder of your own (not a folder others may write to, such as /tmp)"
        )
    }
}

impl std::error::Error for NoDefaultDir {}

/// Reads one environment variable; empty counts as unset.
type Env<'a> = &'a dyn Fn(&str) -> Option<OsString>;

fn from_env(env: Env<'_>, name: &str) -> Option<PathBuf> {
    env(name).filter(|v| !v.is_empty()).map(PathBuf::from)
}

fn is_root() -> bool {
    nix::unistd::geteuid().is_root()
}

/// `$OCIMCPD_RUNTIME_DIR`; else `/run/ocimcpd` as root; else `$XDG_RUNTIME_DIR/ocimcpd`;
/// else `run` inside the per-user state dir (`~/.local/state/ocimcpd/run`); else none.
pub fn default_runtime_dir() -> Result<PathBuf, NoDefaultDir> {
    runtime_dir_in(&|name| std::env::var_os(name), is_root())
}

/// [`default_runtime_dir`] for the environment `env`, as root or not.
pub fn runtime_dir_in(env: Env<'_>, root: bool) -> Result<PathBuf, NoDefaultDir> {
    if let Some(dir) = from_env(env, RUNTIME_DIR_ENV) {
        return Ok(dir);
    }
    if root {
        return Ok(PathBuf::from(SYSTEM_RUNTIME_DIR));
    }
    if let Some(dir) = from_env(env, "XDG_RUNTIME_DIR") {
        return Ok(dir.join("ocimcpd"));
    }
    user_state_dir(env)
        .map(|dir| dir.join("run"))
        .ok_or(NoDefaultDir {
            which: "runtime",
            env: RUNTIME_DIR_ENV,
            key: "runtime_dir",
        })
}

/// `$OCIMCPD_STATE_DIR`; else `/var/lib/ocimcpd` as root; else `$XDG_STATE_HOME/ocimcpd`,
/// or `~/.local/state/ocimcpd`; else none.
pub fn default_state_dir() -> Result<PathBuf, NoDefaultDir> {
    state_dir_in(&|name| std::env::var_os(name), is_root())
}

/// [`default_state_dir`] for the environment `env`, as root or not.
pub fn state_dir_in(env: Env<'_>, root: bool) -> Result<PathBuf, NoDefaultDir> {
    if let Some(dir) = from_env(env, STATE_DIR_ENV) {
        return Ok(dir);
    }
    if root {
        return Ok(PathBuf::from("/var/lib/ocimcpd"));
    }
    user_state_dir(env).ok_or(NoDefaultDir {
        which: "state",
        env: STATE_DIR_ENV,
        key: "state_dir",
    })
}

fn user_state_dir(env: Env<'_>) -> Option<PathBuf> {
    if let Some(dir) = from_env(env, "XDG_STATE_HOME") {
        return Some(dir.join("ocimcpd"));
    }
    from_env(env, "HOME").map(|home| home.join(".local/state/ocimcpd"))
}

/// What `symlink_metadata` says of a runtime dir: enough to judge it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DirFacts {
    pub is_symlink: bool,
    pub is_dir: bool,
    pub uid: u32,
    pub gid: u32,
    /// The permission bits (`st_mode & 0o7777`).
    pub mode: u32,
}

impl From<&std::fs::Metadata> for DirFacts {
    /// The facts of what `symlink_metadata` returned.
    fn from(meta: &std::fs::Metadata) -> Self {
        use std::os::unix::fs::MetadataExt;
        Self {
            is_symlink: meta.file_type().is_symlink(),
            is_dir: meta.is_dir(),
            uid: meta.uid(),
            gid: meta.gid(),
            mode: meta.mode() & 0o7777,
        }
    }
}

/// Why a runtime dir must not be used, or `None` when it may. `owners` are the uids
/// trusted to own it (root, the user asking, and for `ocimcpctl` the packaged service's
/// user); `group` is the socket group's gid, whose members may write to it (the packaged
/// service's folder). A symlink, a folder owned by anyone else, and one others may write
/// to are refused: whoever controls the folder controls which socket answers there.
pub fn distrust(facts: &DirFacts, owners: &[u32], group: Option<u32>) -> Option<String> {
    if facts.is_symlink {
        return Some("it is a symbolic link; name the real folder instead".to_owned());
    }
    if !facts.is_dir {
        return Some("it is not a directory".to_owned());
    }
    if !owners.contains(&facts.uid) {
        let trusted: Vec<String> = owners.iter().map(|u| format!("uid {u}")).collect();
        return Some(format!(
            "it belongs to uid {}, not to {}",
            facts.uid,
            trusted.join(" or ")
        ));
    }
    if facts.mode & 0o002 != 0 {
        return Some(format!(
            "anyone may write to it (mode {:04o})",
            facts.mode & 0o7777
        ));
    }
    if facts.mode & 0o020 != 0 && group != Some(facts.gid) {
        return Some(format!(
            "its group (gid {}) may write to it (mode {:04o})",
            facts.gid,
            facts.mode & 0o7777
        ));
    }
    None
}
