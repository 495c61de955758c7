//! Who the client is to OCI: one [`AuthProvider`] per way an operator authenticates, each
//! handing out the [`Signer`] to use now and saying which tenancy and region it is in.
//! [`from_settings`] picks one from `[oci] auth`, `OCI_CLI_AUTH` or the config file;
//! [`TokenExchange`] makes one per end user from their identity-domain JWT.

mod api_key;
mod imds;
mod instance_principal;
mod oke_workload_identity;
mod resource_principal;
mod security_token;
mod session;
mod token_exchange;
mod token_service;

use std::fmt;
use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::str::FromStr;
use std::sync::Arc;

pub use api_key::ApiKey;
pub use imds::Imds;
pub use instance_principal::InstancePrincipal;
pub use oke_workload_identity::OkeWorkloadIdentity;
pub use resource_principal::ResourcePrincipal;
pub use security_token::SecurityToken;
pub use token_exchange::{TokenExchange, UserPrincipal};

use crate::config_file::{ConfigFile, ConfigFileError, DEFAULT_PROFILE, Profile, expand_home};
use crate::endpoints::Endpoints;
use crate::keys::{KeyError, PrivateKey};
use crate::region::Region;
use crate::signer::Signer;

pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Who a provider's credentials are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub kind: AuthKind,
    /// The tenancy OCID the credentials belong to.
    pub tenancy: String,
    /// The region calls go to unless the caller names another.
    pub region: Region,
}

/// A source of OCI credentials.
pub trait AuthProvider: Send + Sync + fmt::Debug {
    fn principal(&self) -> &Principal;

    fn kind(&self) -> AuthKind {
        self.principal().kind
    }

    fn tenancy(&self) -> &str {
        &self.principal().tenancy
    }

    fn region(&self) -> &Region {
        &self.principal().region
    }

    /// The signer for the next request, refreshed first if its token is about to expire.
    fn signer(&self) -> BoxFuture<'_, Result<Signer, AuthError>>;

    /// After a 401: gets fresh credentials if this kind can, and says whether it did (the
    /// client then retries once).
    fn refresh(&self) -> BoxFuture<'_, Result<bool, AuthError>> {
        Box::pin(async { Ok(false) })
    }
}

/// The ways to authenticate, by their `OCI_CLI_AUTH` names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthKind {
    ApiKey,
    SecurityToken,
    InstancePrincipal,
    ResourcePrincipal,
    OkeWorkloadIdentity,
    /// An end user's session from an identity-domain token exchange (not chosen by
    /// `[oci] auth`: made per user by [`TokenExchange`]).
    TokenExchange,
}

impl AuthKind {
    pub fn name(self) -> &'static str {
        match self {
            AuthKind::ApiKey => "api_key",
            AuthKind::SecurityToken => "security_token",
            AuthKind::InstancePrincipal => "instance_principal",
            AuthKind::ResourcePrincipal => "resource_principal",
            AuthKind::OkeWorkloadIdentity => "oke_workload_identity",
            AuthKind::TokenExchange => "token_exchange",
        }
    }
}

impl fmt::Display for AuthKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for AuthKind {
    type Err = AuthError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        [
            AuthKind::ApiKey,
            AuthKind::SecurityToken,
            AuthKind::InstancePrincipal,
            AuthKind::ResourcePrincipal,
            AuthKind::OkeWorkloadIdentity,
        ]
        .into_iter()
        .find(|kind| kind.name() == s)
        .ok_or_else(|| AuthError::UnknownKind(s.to_owned()))
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error(
        "unknown OCI auth method `{0}`: use api_key, security_token, instance_principal, resource_principal or oke_workload_identity"
    )]
    UnknownKind(String),
    #[error(transparent)]
    ConfigFile(#[from] ConfigFileError),
    #[error("{profile}: `{key}` is missing ({needs})")]
    MissingKey {
        profile: String,
        key: &'static str,
        needs: &'static str,
    },
    #[error("{profile}: {key} {}: {reason}", path.display())]
    File {
        profile: String,
        key: &'static str,
        path: PathBuf,
        reason: String,
    },
    #[error("{profile}: key_file {}: {source}", path.display())]
    Key {
        profile: String,
        path: PathBuf,
        source: KeyError,
    },
    #[error("{what}: {reason}")]
    Token { what: String, reason: String },
    #[error("{what} failed: {reason}")]
    Exchange { what: &'static str, reason: String },
}

/// What the process environment says about OCI auth, read once so that providers are
/// deterministic and testable.
#[derive(Clone, Default)]
pub struct Environment {
    vars: std::collections::BTreeMap<String, String>,
}

impl fmt::Debug for Environment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // `OCI_RESOURCE_PRINCIPAL_RPST` and `..._PRIVATE_PEM` may hold a token or a key
        // themselves, `..._PASSPHRASE` a passphrase: their values are never shown.
        let secret = |name: &str| {
            [
                "RPST",
                "PEM",
                "PASSPHRASE",
                "PASS_PHRASE",
                "TOKEN",
                "SECRET",
            ]
            .iter()
            .any(|word| name.contains(word))
        };
        f.debug_map()
            .entries(
                self.vars
                    .iter()
                    .map(|(name, value)| (name, if secret(name) { "<redacted>" } else { value })),
            )
            .finish()
    }
}

impl Environment {
    /// The `OCI_*` variables of this process, `HOME`, and `KUBERNETES_SERVICE_HOST` (OKE
    /// workload identity).
    pub fn from_process() -> Self {
        Environment {
            vars: std::env::vars()
                .filter(|(k, _)| {
                    k.starts_with("OCI_") || k == "HOME" || k == "KUBERNETES_SERVICE_HOST"
                })
                .collect(),
        }
    }

    /// These variables only: for tests, and for callers that read them elsewhere.
    pub fn from_vars<K: Into<String>, V: Into<String>>(
        vars: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        Environment {
            vars: vars
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        }
    }

    /// A variable's value; empty counts as unset.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.vars
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }
}

/// How `[oci]` in the daemon's config chooses credentials; every field may be left out.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthSettings {
    /// `api_key`, `security_token`, `instance_principal`, ...; else `OCI_CLI_AUTH`, else
    /// `api_key`.
    pub auth: Option<String>,
    /// The OCI config file; else `OCI_CONFIG_FILE`, `OCI_CLI_CONFIG_FILE`, `~/.oci/config`.
    pub config_file: Option<PathBuf>,
    /// The profile; else `OCI_CLI_PROFILE`, `OCI_CONFIG_PROFILE`, `DEFAULT`.
    pub profile: Option<String>,
    /// The region, over what the credentials say.
    pub region: Option<String>,
}

impl AuthSettings {
    pub fn kind(&self, env: &Environment) -> Result<AuthKind, AuthError> {
        self.auth
            .as_deref()
            .or_else(|| env.get("OCI_CLI_AUTH"))
            .map_or(Ok(AuthKind::ApiKey), str::parse)
    }

    fn config_path(&self, env: &Environment) -> PathBuf {
        if let Some(path) = &self.config_file {
            return path.clone();
        }
        if let Some(path) = env
            .get("OCI_CONFIG_FILE")
            .or_else(|| env.get("OCI_CLI_CONFIG_FILE"))
        {
            return expand_home(path);
        }
        env.get("HOME").map_or_else(
            || PathBuf::from("/root/.oci/config"),
            |home| PathBuf::from(home).join(".oci/config"),
        )
    }

    /// The chosen profile of the chosen config file.
    pub fn profile(&self, env: &Environment) -> Result<Profile, AuthError> {
        let file = ConfigFile::read(&self.config_path(env))?;
        let name = self
            .profile
            .as_deref()
            .or_else(|| env.get("OCI_CLI_PROFILE"))
            .or_else(|| env.get("OCI_CONFIG_PROFILE"))
            .unwrap_or(DEFAULT_PROFILE);
        Ok(file.profile(name)?)
    }

    /// The region: the settings', else what `found` (the credentials') says, else `OCI_REGION`
    /// / `OCI_CLI_REGION`.
    fn choose_region(&self, env: &Environment, found: Option<&str>) -> Option<Region> {
        self.region
            .as_deref()
            .or(found)
            .or_else(|| env.get("OCI_REGION"))
            .or_else(|| env.get("OCI_CLI_REGION"))
            .map(Region::new)
    }

    /// [`Self::choose_region`] with the profile's `region`; none anywhere is an error that
    /// says what the auth method `needs`.
    fn profile_region(
        &self,
        profile: &Profile,
        env: &Environment,
        needs: &'static str,
    ) -> Result<Region, AuthError> {
        self.choose_region(env, profile.get("region"))
            .ok_or(AuthError::MissingKey {
                profile: profile.describe(),
                key: "region",
                needs,
            })
    }
}

/// The provider `settings` and `env` choose.
pub async fn from_settings(
    settings: &AuthSettings,
    env: &Environment,
    endpoints: &Endpoints,
    http: &reqwest::Client,
) -> Result<Arc<dyn AuthProvider>, AuthError> {
    let kind = settings.kind(env)?;
    Ok(match kind {
        AuthKind::ApiKey => Arc::new(ApiKey::from_profile(
            &settings.profile(env)?,
            settings,
            env,
        )?),
        AuthKind::SecurityToken => Arc::new(SecurityToken::from_profile(
            &settings.profile(env)?,
            settings,
            env,
            endpoints,
            http.clone(),
        )?),
        AuthKind::InstancePrincipal => {
            Arc::new(InstancePrincipal::new(settings, env, endpoints, http.clone()).await?)
        }
        AuthKind::ResourcePrincipal => Arc::new(ResourcePrincipal::from_env(settings, env)?),
        AuthKind::OkeWorkloadIdentity => Arc::new(OkeWorkloadIdentity::new(settings, env).await?),
        // Never parsed from a setting: user principals come from a TokenExchange.
        AuthKind::TokenExchange => return Err(AuthError::UnknownKind(kind.name().to_owned())),
    })
}

/// Reads the private key a profile names in `key_file` (with its `pass_phrase`).
fn profile_key(profile: &Profile) -> Result<PrivateKey, AuthError> {
    let path = profile.path("key_file").ok_or(AuthError::MissingKey {
        profile: profile.describe(),
        key: "key_file",
        needs: "the path of the PEM private key",
    })?;
    let pem = std::fs::read_to_string(&path).map_err(|e| AuthError::File {
        profile: profile.describe(),
        key: "key_file",
        path: path.clone(),
        reason: e.to_string(),
    })?;
    PrivateKey::from_pem(&pem, profile.get("pass_phrase")).map_err(|source| AuthError::Key {
        profile: profile.describe(),
        path,
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_variables_are_not_in_the_debug_output() {
        let env = Environment::from_vars([
            ("OCI_RESOURCE_PRINCIPAL_VERSION", "2.2"),
            ("OCI_RESOURCE_PRINCIPAL_RPST", "rpst-token-value"),
            (
                "OCI_RESOURCE_PRINCIPAL_PRIVATE_PEM",
                "-----BEGIN PRIVATE KEY-----pem-body",
            ),
            (
                "OCI_RESOURCE_PRINCIPAL_PRIVATE_PEM_PASSPHRASE",
                "pem-passphrase",
            ),
        ]);
        let debug = format!("{env:?}");
        for secret in ["rpst-token-value", "pem-body", "pem-passphrase"] {
            assert!(!debug.contains(secret), "{debug}");
        }
        assert!(
            debug.contains("\"OCI_RESOURCE_PRINCIPAL_VERSION\": \"2.2\""),
            "{debug}"
        );
    }
}
