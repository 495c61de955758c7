//! What the tool set runs on, as plain data: which credentials, where the OCI services
//! are, the default compartment, the mutation switch, identity propagation, and the clock.
//! The daemon's config builds these from `[oci]` (and its environment); the tool set reads
//! no config file and no environment switch of its own.

use std::path::PathBuf;

use oci_api::ops::Timestamp;
use oci_api::{AuthSettings, Endpoints};

/// The tool set's settings. The default finds credentials on its own, allows no
/// mutations and reads the system clock.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Settings {
    pub auth: AuthSettings,
    pub endpoints: Endpoints,
    /// Where the tools look when a call names no compartment; else the tenancy.
    pub compartment_id: Option<String>,
    /// Whether the tools may start, stop and restart resources.
    pub allow_mutations: bool,
    /// Where callers' identity-domain tokens are exchanged for their own OCI sessions,
    /// when identity propagation is on.
    pub identity_propagation: Option<IdentityDomain>,
    /// What "now" is for time windows (cost, metrics, logs, audits).
    pub clock: Clock,
}

/// The OAuth client the tool set exchanges callers' tokens with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdentityDomain {
    /// `https://idcs-....identity.oraclecloud.com`.
    pub url: String,
    pub client_id: String,
    /// A file holding the client secret (read when the tool set starts).
    pub client_secret_file: PathBuf,
}

/// Where the tools read the time from. Time windows ("the last 30 days", "this month")
/// are computed from it, so a fixed clock makes answers over fixed data repeatable (the
/// generated tool reference is built on one).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Clock {
    /// The system's clock.
    #[default]
    System,
    /// Always this instant.
    Fixed(Timestamp),
}

impl Clock {
    pub fn now(self) -> Timestamp {
        match self {
            Clock::System => Timestamp::now(),
            Clock::Fixed(at) => at,
        }
    }
}
