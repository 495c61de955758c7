//! Backend connections: owns one long-lived MCP client session per running backend (over
//! a supervised child's stdio, Streamable HTTP, or an in-memory channel to a built-in tool
//! set), shared by every client session with requests multiplexed by id; the
//! [`BackendHandle`] that owns every call to it (admission against its load, time limits,
//! cancellation, the relay that brings what the backend sends back to the caller, and a
//! typed [`CallError`]); the lifecycle task that pings, restarts, quarantines and probes
//! it (see `docs/backend-lifecycle.md`); and [`Backends`], the control that starts,
//! stops, enables and disables backends and applies new specs. Backends start in
//! parallel; one that fails never delays the others. The relay and the load counters are
//! private here; the gateway sees only the handle, its errors and the relay's notices.

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
pub use relay::{Notice, level_rank};
