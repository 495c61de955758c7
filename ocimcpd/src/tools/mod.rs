//! The built-in OCI tool set (`[builtin] oci`): the `oci_*` tools, served in-process as
//! the unprefixed backend `oci`, so the gateway treats it like any other backend
//! (catalog, progress, cancellation, health) and tool names stay as users know them.
//!
//! - [`server`]: the MCP server the backend connection talks to; runs a call from
//!   arguments to result.
//! - [`toolbox`]: what a tool is (name, domain, schemas, annotations, handler) and the
//!   [`Call`](toolbox::Call) a handler gets: the OCI client, defaults, cache, progress.
//! - [`args`], [`output`], [`error`]: the rules every tool shares: OCID checks, paging
//!   with a cursor, `response_format` (markdown tables or JSON with `structuredContent`),
//!   errors with the OCI code, request id and a suggestion.
//! - [`credentials`]: finds the daemon's OCI credentials once, and says which ways were
//!   tried when there are none; with `[oci] identity_propagation`, signs a caller's calls
//!   as that user instead (the identity-domain token exchange); [`cache`]: short-lived
//!   lookups with stats.
//! - One module per domain: [`discovery`], [`compute`], [`cost`], [`database`],
//!   [`network`], [`observability`], [`security`], [`search`], [`skills`].

mod args;
mod cache;
mod compute;
mod cost;
mod credentials;
mod database;
mod discovery;
mod error;
mod metrics;
mod network;
mod observability;
mod output;
mod search;
mod security;
mod server;
mod skills;
mod toolbox;

pub use server::OciToolServer;

/// The `_meta` key under which the gateway hands the caller's bearer token to the
/// in-process tool set (and to no other backend; a client's own value is dropped).
pub const CALLER_TOKEN_META: &str = "dev.ocimcp/caller-token";
