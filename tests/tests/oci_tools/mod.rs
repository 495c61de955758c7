//! The built-in OCI tools end to end: the real gateway serving `[builtin] oci`, a real MCP
//! client calling every tool in both formats, and the fake OCI answering from fixtures.
//! One module per domain.

mod compute;
mod cost;
mod database;
mod discovery;
mod docs;
mod network;
mod observability;
mod rules;
mod search;
mod security;
mod skills;
