//! The project's own OCI REST client. There is no usable Rust SDK (see DESIGN §2), so this
//! crate owns exactly what the daemon's OCI tools and the OKE tools need:
//!
//! - [`signer`]: OCI HTTP signatures, byte for byte what the Python SDK produces;
//! - [`keys`]: RSA keys in every PEM form OCI users have, with passphrases;
//! - [`config_file`]: `~/.oci/config` read the way the SDK reads it;
//! - [`auth`]: the credential providers behind one trait;
//! - [`region`] and [`endpoints`]: where each service is, overridable for tests and proxies;
//! - [`wire`]: how a request goes on the wire: request ids, queries encoded as the Python
//!   SDK encodes them, signed requests, error chains;
//! - [`client`]: signed calls with retries, 401 refresh, typed errors and pagination;
//! - [`ops`]: the typed operations the tools call, one module per service;
//! - [`oke_token`]: the Kubernetes bearer token of `oci ce cluster generate-token`;
//! - [`jwt`]: the claims of the tokens OCI hands out.
//!
//! It knows no MCP, no tool and no daemon: callers hand it settings and get typed answers
//! or typed errors. It never logs a key, a token or a signature.

pub mod auth;
pub mod client;
pub mod config_file;
pub mod endpoints;
pub mod jwt;
pub mod keys;
pub mod oke_token;
pub mod ops;
pub mod region;
pub mod signer;
pub mod wire;

pub use auth::{AuthError, AuthKind, AuthProvider, AuthSettings, Environment, Principal};
pub use client::{Client, Error, Page, Pages, Request, Response, RetryPolicy, ServiceError};
pub use endpoints::Endpoints;
pub use keys::PrivateKey;
pub use region::{Region, Service};
pub use signer::Signer;
