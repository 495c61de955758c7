//! The tool set's OCI credentials, found once when it starts and again (at most every
//! [`RETRY_AFTER`]) while there are none. `[oci] auth` (or `OCI_CLI_AUTH`) names one way;
//! without either, the ways are tried in this order: `api_key` (the OCI config file),
//! `resource_principal` and `oke_workload_identity` (only where their environment says
//! so), then `instance_principal` (the instance metadata service, given
//! [`IMDS_PATIENCE`]). The first that works is used; if none does, every tool says
//! which were tried and why each failed.
//!
//! With `[oci] identity_propagation`, a call that arrives with the caller's identity-domain
//! token is signed as that user instead: the token is exchanged for a user principal
//! session token (UPST) at `[oci.identity_domain]`, one session per user, renewed as it
//! ages, so OCI's audit names the user, not the gateway.

use std::sync::Arc;
use std::time::{Duration, Instant};

use oci_api::auth::{self, AuthKind, Environment, TokenExchange};
use oci_api::{AuthProvider, Client, Region};
use tokio::sync::{Mutex, OnceCell};

use super::error::ToolError;
use crate::settings::{IdentityDomain, Settings};

/// How long a failed search for credentials is remembered before trying again.
pub const RETRY_AFTER: Duration = Duration::from_secs(30);
/// How long the instance metadata service may take to answer when it is only tried.
pub const IMDS_PATIENCE: Duration = Duration::from_secs(5);
/// How long one search for credentials may take in all.
pub const SEARCH_PATIENCE: Duration = Duration::from_secs(20);

/// The credentials, or why there are none.
pub struct Credentials {
    settings: Settings,
    http: reqwest::Client,
    state: Mutex<State>,
    /// The token exchange of `[oci.identity_domain]`, made on first use (tried again on
    /// the next call while it cannot be made).
    exchange: OnceCell<TokenExchange>,
}

#[derive(Debug)]
enum State {
    Unknown,
    Found(Client),
    Missing { reason: String, at: Instant },
}

impl Credentials {
    pub fn new(settings: Settings) -> Self {
        Self {
            settings,
            http: reqwest::Client::new(),
            state: Mutex::new(State::Unknown),
            exchange: OnceCell::new(),
        }
    }

    /// Whether calls with a caller's token are signed as that user.
    pub fn propagates_identity(&self) -> bool {
        self.settings.identity_propagation.is_some()
    }

    /// A client signing as the user whose identity-domain token this is.
    pub async fn user_client(&self, token: &str) -> Result<Client, ToolError> {
        let Some(domain) = &self.settings.identity_propagation else {
            return self.client().await;
        };
        let exchange = self
            .exchange
            .get_or_try_init(|| self.token_exchange(domain))
            .await
            .map_err(|e| ToolError::UserSession(e.clone()))?;
        let principal = exchange
            .principal_for(token)
            .await
            .map_err(|e| ToolError::UserSession(e.to_string()))?;
        Ok(Client::new(
            self.http.clone(),
            principal,
            self.settings.endpoints.clone(),
        ))
    }

    /// The token exchange: the client secret from its file, the region of the daemon's
    /// own credentials (else `[oci] region`).
    async fn token_exchange(&self, domain: &IdentityDomain) -> Result<TokenExchange, String> {
        let secret = std::fs::read_to_string(&domain.client_secret_file).map_err(|e| {
            format!(
                "the identity domain's client secret ({}): {e}",
                domain.client_secret_file.display()
            )
        })?;
        let region = match self.client().await {
            Ok(client) => client.region().clone(),
            Err(_) => match &self.settings.auth.region {
                Some(region) => Region::new(region),
                None => {
                    return Err(
                        "no region for the user sessions: set `[oci] region` (the daemon has no credentials to take it from)".to_owned(),
                    );
                }
            },
        };
        TokenExchange::new(
            &domain.url,
            &domain.client_id,
            secret.trim(),
            region,
            self.http.clone(),
        )
        .map_err(|e| e.to_string())
    }

    /// The client signing with the daemon's credentials.
    pub async fn client(&self) -> Result<Client, ToolError> {
        let mut state = self.state.lock().await;
        match &*state {
            State::Found(client) => return Ok(client.clone()),
            State::Missing { reason, at } if at.elapsed() < RETRY_AFTER => {
                return Err(ToolError::NoCredentials(reason.clone()));
            }
            _ => {}
        }
        // One search at a time (the others wait for its outcome), and never for long.
        let found = match tokio::time::timeout(SEARCH_PATIENCE, self.find()).await {
            Ok(found) => found,
            Err(_) => Err(format!(
                "finding the credentials took longer than {SEARCH_PATIENCE:?} (is the instance metadata service reachable?)"
            )),
        };
        match found {
            Ok(provider) => {
                tracing::info!(
                    "OCI credentials: {} of tenancy {} in region {}",
                    provider.kind(),
                    provider.tenancy(),
                    provider.region().id()
                );
                let client =
                    Client::new(self.http.clone(), provider, self.settings.endpoints.clone());
                *state = State::Found(client.clone());
                Ok(client)
            }
            Err(reason) => {
                tracing::warn!("no OCI credentials: {reason}");
                *state = State::Missing {
                    reason: reason.clone(),
                    at: Instant::now(),
                };
                Err(ToolError::NoCredentials(reason))
            }
        }
    }

    /// The way the settings name, or the first that works of those worth trying here.
    async fn find(&self) -> Result<Arc<dyn AuthProvider>, String> {
        let env = Environment::from_process();
        let chosen = self.settings.auth.auth.is_some() || env.get("OCI_CLI_AUTH").is_some();
        if chosen {
            let kind = self.settings.auth.kind(&env).map_err(|e| e.to_string())?;
            return self
                .try_kind(kind, &env)
                .await
                .map_err(|e| format!("{kind} (chosen by [oci] auth or OCI_CLI_AUTH): {e}"));
        }
        let mut tried = Vec::new();
        for kind in candidates(&env) {
            match self.try_kind(kind, &env).await {
                Ok(provider) => return Ok(provider),
                Err(e) => tried.push(format!("{kind}: {e}")),
            }
        }
        Err(format!(
            "no way to authenticate worked; tried {}. Set `[oci] auth` to the one meant for this machine",
            tried.join("; ")
        ))
    }

    async fn try_kind(
        &self,
        kind: AuthKind,
        env: &Environment,
    ) -> Result<Arc<dyn AuthProvider>, String> {
        let mut settings = self.settings.auth.clone();
        settings.auth = Some(kind.name().to_owned());
        let attempt = auth::from_settings(&settings, env, &self.settings.endpoints, &self.http);
        if kind == AuthKind::InstancePrincipal && self.settings.auth.auth.is_none() {
            return match tokio::time::timeout(IMDS_PATIENCE, attempt).await {
                Ok(result) => result.map_err(|e| e.to_string()),
                Err(_) => Err(format!(
                    "the instance metadata service did not answer within {IMDS_PATIENCE:?} (not an OCI instance?)"
                )),
            };
        }
        attempt.await.map_err(|e| e.to_string())
    }
}

/// The ways worth trying when none is chosen, in order.
fn candidates(env: &Environment) -> Vec<AuthKind> {
    let mut kinds = vec![AuthKind::ApiKey];
    if env.get("OCI_RESOURCE_PRINCIPAL_VERSION").is_some() {
        if env.get("KUBERNETES_SERVICE_HOST").is_some() {
            kinds.push(AuthKind::OkeWorkloadIdentity);
        }
        kinds.push(AuthKind::ResourcePrincipal);
    }
    kinds.push(AuthKind::InstancePrincipal);
    kinds
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn principals_are_tried_only_where_their_environment_says_so() {
        let plain = Environment::from_vars([("HOME", "/root")]);
        assert_eq!(
            candidates(&plain),
            [AuthKind::ApiKey, AuthKind::InstancePrincipal]
        );
        let pod = Environment::from_vars([
            ("OCI_RESOURCE_PRINCIPAL_VERSION", "2.2"),
            ("KUBERNETES_SERVICE_HOST", "10.0.0.1"),
        ]);
        assert_eq!(
            candidates(&pod),
            [
                AuthKind::ApiKey,
                AuthKind::OkeWorkloadIdentity,
                AuthKind::ResourcePrincipal,
                AuthKind::InstancePrincipal
            ]
        );
    }
}
