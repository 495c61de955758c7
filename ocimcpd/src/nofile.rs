//! The daemon's limit on open file descriptors: raised at start from the soft limit
//! (often 1024) to the hard one, so HTTP clients, backends' pipes and OCI connections fit.
//! The HTTP listener keeps part of it for the daemon's own work whatever clients do.

use nix::sys::resource::{Resource, getrlimit, setrlimit};

/// What the soft limit was and is now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Raised {
    pub before: u64,
    pub now: u64,
}

/// Raises the soft limit on open files to the hard limit.
pub fn raise() -> nix::Result<Raised> {
    let (soft, hard) = getrlimit(Resource::RLIMIT_NOFILE)?;
    if soft < hard {
        setrlimit(Resource::RLIMIT_NOFILE, hard, hard)?;
    }
    let (now, _) = getrlimit(Resource::RLIMIT_NOFILE)?;
    Ok(Raised { before: soft, now })
}
