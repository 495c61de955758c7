//! Backend connections: owns one long-lived MCP client session per running backend (over
//! a supervised child's stdio, Streamable HTTP, or an in-memory channel to a built-in tool
//! set), shared by every client session with
//! requests multiplexed by id; the lifecycle task that pings, restarts, quarantines and
//! probes it (see `docs/backend-lifecycle.md`); and [`Backends`], the
//! control that starts, stops, enables and disables backends and applies new specs.
//! Backends start in parallel; one that fails never delays the others.

mod client;
mod connect;
mod control;
mod handle;
mod in_process;
mod lifecycle;
mod load;
mod ordered;
mod overrides;
mod relay;

pub use control::{Backends, ControlError};
pub use handle::{BackendHandle, CallError, Caller, Connection, Limit, Shutdown};
pub use load::Busy;
pub use relay::{Notice, level_rank, wants};
