//! Child processes: owns turning a stdio spec into a process (venv, PYTHONPATH, cwd, clean
//! environment), its process group and death signal, reading its stderr into a log ring,
//! stopping it, and the
//! restart backoff. It knows nothing of MCP; `backends/` runs MCP over the pipes.

mod backoff;
mod launch;
mod process;
mod stderr;

pub use backoff::Backoff;
pub use launch::plan;
pub use process::{ChildProcess, describe_exit, kill_group, spawn};
