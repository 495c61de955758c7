//! Backend connections: owns one long-lived MCP client session per running backend (over
//! a supervised child's stdio, Streamable HTTP, or an in-memory pipe to a built-in tool
//! set), shared by every client session with
//! requests multiplexed by id; the lifecycle task that pings, restarts, quarantines and
//! probes it (see `docs/backend-lifecycle.md`); and [`Backends`], the
//! control that starts, stops, enables and disables backends and applies new specs.
//! Backends start in parallel; one that fails never delays the others.

mod client;
mod connect;
mod control;
mod lifecycle;
mod ordered;
mod overrides;

pub use control::{Backends, ControlError};
pub use overrides::SaveError;
