//! ocimcp-proto: what `ocimcpd` and `ocimcpctl` must agree on, in one place both depend on.
//!
//! - [`admin`]: the admin protocol's messages (JSON-RPC 2.0, one object per line), its
//!   method names and error codes, and the results it carries.
//! - [`backend`]: a backend's states and the serializable report of one backend that
//!   `status`, `list`, `show` and the gateway's own tools send.
//! - [`paths`]: where the daemon's sockets and state live when the config does not say.
//! - [`local_socket`]: the access group of the local sockets and the code of a refusal.
//!
//! This crate is plain data and the rules for naming places: it opens no socket, starts no
//! process, reads no file and holds no daemon state. The daemon builds these values from
//! its own state and serves them; the CLI reads them. Changing a serde attribute here
//! changes the wire format both sides speak (`docs/admin-protocol.md`).

pub mod admin;
pub mod backend;
pub mod local_socket;
pub mod paths;

#[cfg(test)]
mod tests;
