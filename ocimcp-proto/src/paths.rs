//! Where the daemon puts its sockets and its state when the config does not say: the
//! system locations when running as root (as the packaged service does), per-user ones
//! otherwise. `ocimcpctl` uses the same rules to find a daemon.

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

fn from_env(name: &str) -> Option<PathBuf> {
    std::env::var_os(name)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
}

fn is_root() -> bool {
    nix::unistd::geteuid().is_root()
}

/// `$OCIMCPD_RUNTIME_DIR`; else `/run/ocimcpd` as root; else `$XDG_RUNTIME_DIR/ocimcpd`,
/// or `/tmp/ocimcpd-$UID`.
pub fn default_runtime_dir() -> PathBuf {
    if let Some(dir) = from_env(RUNTIME_DIR_ENV) {
        return dir;
    }
    if is_root() {
        return PathBuf::from(SYSTEM_RUNTIME_DIR);
    }
    match std::env::var_os("XDG_RUNTIME_DIR") {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir).join("ocimcpd"),
        _ => PathBuf::from(format!("/tmp/ocimcpd-{}", nix::unistd::geteuid())),
    }
}

/// `$OCIMCPD_STATE_DIR`; else `/var/lib/ocimcpd` as root; else `$XDG_STATE_HOME/ocimcpd`,
/// or `~/.local/state/ocimcpd`.
pub fn default_state_dir() -> PathBuf {
    if let Some(dir) = from_env(STATE_DIR_ENV) {
        return dir;
    }
    if is_root() {
        return PathBuf::from("/var/lib/ocimcpd");
    }
    if let Some(dir) = std::env::var_os("XDG_STATE_HOME").filter(|d| !d.is_empty()) {
        return PathBuf::from(dir).join("ocimcpd");
    }
    match std::env::var_os("HOME") {
        Some(home) if !home.is_empty() => PathBuf::from(home).join(".local/state/ocimcpd"),
        _ => PathBuf::from(format!("/tmp/ocimcpd-{}-state", nix::unistd::geteuid())),
    }
}
