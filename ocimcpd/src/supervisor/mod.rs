//! Child processes: owns turning a stdio spec into a process (venv, PYTHONPATH, cwd, clean
//! environment), its process group and death signal, reading its stderr into a log ring,
//! stopping it, the restart backoff, and (as a subreaper) reaping the orphans backends
//! leave behind. It knows nothing of MCP; `backends/` runs MCP over the pipes.

mod backoff;
mod launch;
mod process;
mod reaper;
mod stderr;

pub use backoff::Backoff;
pub use launch::plan;
pub use process::{ChildProcess, describe_exit, kill_group, spawn};
pub use reaper::{become_subreaper, parent_of, reap_orphans};
