//! The daemon's identity in OCI: at start, the credential provider `[oci]` chooses is
//! built once (reading the OCI config file, or asking the instance metadata service, the
//! resource principal's files or the OKE proxymux), and the log says who the daemon is to
//! OCI, or exactly why it has no OCI credentials. A failure never stops the daemon: the
//! backends it serves do not need OCI.

use oci_api::auth::{self, Environment};
use oci_api::{AuthProvider, Client};

use crate::config::OciSettings;

/// The OCI client of `settings`, or `None` (logged as a warning with the reason).
pub async fn connect(settings: &OciSettings) -> Option<Client> {
    let http = reqwest::Client::new();
    let env = Environment::from_process();
    match auth::from_settings(&settings.auth, &env, &settings.endpoints, &http).await {
        Ok(provider) => {
            describe(provider.as_ref());
            Some(Client::new(http, provider, settings.endpoints.clone()))
        }
        Err(e) => {
            tracing::warn!("no OCI credentials: {e}");
            None
        }
    }
}

fn describe(provider: &dyn AuthProvider) {
    tracing::info!(
        "OCI credentials: {} of tenancy {} in region {}",
        provider.kind(),
        provider.tenancy(),
        provider.region().id()
    );
}
