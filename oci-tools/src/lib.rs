//! oci-tools: the built-in OCI tool set, an MCP server of `oci_*` tools over `oci-api`.
//! `ocimcpd` serves it in-process as the unprefixed backend `oci`, so the gateway treats it
//! like any other backend (catalog, progress, cancellation, health) and tool names stay
//! as users know them.
//!
//! It owns the tools and what they share; it knows nothing of the daemon: no config
//! file, no sockets, no environment switches. The daemon builds its [`Settings`] (from
//! `[oci]`) and hands each call's caller, when it has one, in the request's extensions as
//! a [`CallerToken`].
//!
//! - [`settings`]: what the tool set runs on, as plain data, including the [`Clock`].
//! - `server`: the MCP server ([`OciToolServer`]); runs a call from arguments to result.
//! - `toolbox`: what a tool is (name, domain, schemas, annotations, handler) and the
//!   `Call` a handler gets: the OCI client, defaults, caches, progress, the time.
//! - `args`, `output`, `error`: the rules every tool shares: OCID checks, paging with a
//!   cursor, `response_format` (markdown tables or JSON with `structuredContent`), errors
//!   with the OCI code, request id and a suggestion.
//! - `credentials`: finds the OCI credentials once, and says which ways were tried when
//!   there are none; with identity propagation, signs a caller's calls as that user
//!   instead (the identity-domain token exchange); `cache`: the shared caches of
//!   short-lived lookups, with stats.
//! - One module per domain: `discovery`, `compute`, `cost`, `database`, `network`,
//!   `observability`, `security`, `search`, `skills`.

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
pub mod settings;
mod skills;
mod toolbox;

pub use server::OciToolServer;
pub use settings::{Clock, IdentityDomain, Settings};

/// The bearer token of the caller a tool call is made for, put by the daemon into the
/// call's request extensions (never into anything a backend could read). With identity
/// propagation on, the tool set exchanges it for the caller's own OCI session.
#[derive(Clone, PartialEq, Eq)]
pub struct CallerToken(pub String);

impl std::fmt::Debug for CallerToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // A credential: never written to a log.
        f.write_str("CallerToken(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_caller_token_is_not_in_the_debug_output() {
        let token = super::CallerToken("eyJhbGciOiJSUzI1NiJ9.e30.c2ln".to_owned());
        let debug = format!("{token:?}");
        assert!(!debug.contains("eyJhbGciOiJSUzI1NiJ9"), "{debug}");
    }
}
