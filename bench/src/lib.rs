//! The benchmark harness's shared parts: a lean Streamable HTTP MCP client ([`client`]),
//! the closed-loop load it drives ([`load`]), and readings of a process's memory and CPU
//! from `/proc` ([`procfs`]). The binaries: `mcp-load` (one load run, a JSON report on
//! stdout), `echo-backend` (the Rust echo MCP server), and `ocimcp-bench` (the suite that
//! starts every target, runs the loads alternating between them, and writes the results).

pub mod client;
pub mod load;
pub mod procfs;
