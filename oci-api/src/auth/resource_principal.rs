//! Resource-principal auth, version 2.2 (OCI Functions, Data Science, Container Instances):
//! the platform hands the process a resource-principal session token (RPST) and its
//! private key in `OCI_RESOURCE_PRINCIPAL_*` variables, each either the value itself or
//! the absolute path of a file that holds it. Files are read again when the token they
//! hold has expired or a call got 401, because the platform rotates them.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Mutex;

use super::session::Session;
use super::{AuthError, AuthKind, AuthProvider, AuthSettings, BoxFuture, Environment, Principal};
use crate::keys::PrivateKey;
use crate::signer::Signer;

const WHAT: &str = "resource principal";

#[derive(Debug)]
pub struct ResourcePrincipal {
    principal: Principal,
    source: Source,
    current: Mutex<Session>,
}

/// Where the token and key come from.
#[derive(Debug)]
struct Source {
    rpst: Material,
    key: Material,
    passphrase: Option<Material>,
}

/// A variable's content: the value itself, or the file an absolute path names.
enum Material {
    Value(String),
    File {
        variable: &'static str,
        path: PathBuf,
    },
}

impl std::fmt::Debug for Material {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            // A token, a PEM private key or its passphrase: never shown.
            Material::Value(_) => f.write_str("Value(<redacted>)"),
            Material::File { variable, path } => f
                .debug_struct("File")
                .field("variable", variable)
                .field("path", path)
                .finish(),
        }
    }
}

impl Material {
    fn from_env(env: &Environment, variable: &'static str) -> Option<Material> {
        env.get(variable).map(|value| {
            if value.starts_with('/') {
                Material::File {
                    variable,
                    path: PathBuf::from(value),
                }
            } else {
                Material::Value(value.to_owned())
            }
        })
    }

    fn read(&self) -> Result<String, AuthError> {
        match self {
            Material::Value(value) => Ok(value.clone()),
            Material::File { variable, path } => std::fs::read_to_string(path)
                .map(|text| text.trim().to_owned())
                .map_err(|e| AuthError::Token {
                    what: format!("{WHAT}: {variable} {}", path.display()),
                    reason: e.to_string(),
                }),
        }
    }

    fn is_file(&self) -> bool {
        matches!(self, Material::File { .. })
    }
}

impl Source {
    /// The token and key as they are now.
    fn load(&self) -> Result<Session, AuthError> {
        let token = self.rpst.read()?;
        let passphrase = self.passphrase.as_ref().map(Material::read).transpose()?;
        let key = PrivateKey::from_pem(&self.key.read()?, passphrase.as_deref()).map_err(|e| {
            AuthError::Token {
                what: format!("{WHAT}: OCI_RESOURCE_PRINCIPAL_PRIVATE_PEM"),
                reason: e.to_string(),
            }
        })?;
        Session::new(&token, Arc::new(key)).map_err(|e| AuthError::Token {
            what: format!("{WHAT}: OCI_RESOURCE_PRINCIPAL_RPST"),
            reason: e.to_string(),
        })
    }

    fn rotates(&self) -> bool {
        self.rpst.is_file() || self.key.is_file()
    }
}

impl ResourcePrincipal {
    pub fn from_env(settings: &AuthSettings, env: &Environment) -> Result<Self, AuthError> {
        let missing = |variable: &str, needs: &str| AuthError::Token {
            what: WHAT.to_owned(),
            reason: format!("{variable} is not set ({needs})"),
        };
        match env.get("OCI_RESOURCE_PRINCIPAL_VERSION") {
            Some("2.2") => {}
            Some(other) => {
                return Err(AuthError::Token {
                    what: WHAT.to_owned(),
                    reason: format!(
                        "OCI_RESOURCE_PRINCIPAL_VERSION is {other}; ocimcp reads version 2.2 (OCI Functions, Data Science, Container Instances) and, on OKE, oke_workload_identity"
                    ),
                });
            }
            None => {
                return Err(missing(
                    "OCI_RESOURCE_PRINCIPAL_VERSION",
                    "the platform sets it; outside a resource choose another [oci] auth",
                ));
            }
        }
        let rpst = Material::from_env(env, "OCI_RESOURCE_PRINCIPAL_RPST")
            .ok_or_else(|| missing("OCI_RESOURCE_PRINCIPAL_RPST", "the token or its path"))?;
        let key = Material::from_env(env, "OCI_RESOURCE_PRINCIPAL_PRIVATE_PEM")
            .ok_or_else(|| missing("OCI_RESOURCE_PRINCIPAL_PRIVATE_PEM", "the key or its path"))?;
        let passphrase = Material::from_env(env, "OCI_RESOURCE_PRINCIPAL_PRIVATE_PEM_PASSPHRASE");
        let region = settings
            .choose_region(env, env.get("OCI_RESOURCE_PRINCIPAL_REGION"))
            .ok_or_else(|| missing("OCI_RESOURCE_PRINCIPAL_REGION", "the resource's region"))?;
        let source = Source {
            rpst,
            key,
            passphrase,
        };
        let current = source.load()?;
        let tenancy = current
            .tenancy()
            .ok_or_else(|| AuthError::Token {
                what: format!("{WHAT}: OCI_RESOURCE_PRINCIPAL_RPST"),
                reason: "the token has no res_tenant claim".to_owned(),
            })?
            .to_owned();
        Ok(ResourcePrincipal {
            principal: Principal {
                kind: AuthKind::ResourcePrincipal,
                tenancy,
                region,
            },
            source,
            current: Mutex::new(current),
        })
    }
}

impl AuthProvider for ResourcePrincipal {
    fn principal(&self) -> &Principal {
        &self.principal
    }

    fn signer(&self) -> BoxFuture<'_, Result<Signer, AuthError>> {
        Box::pin(async move {
            let mut current = self.current.lock().await;
            if self.source.rotates() && !current.claims.valid_for(Duration::ZERO) {
                *current = self.source.load()?;
            }
            Ok(current.signer())
        })
    }

    fn refresh(&self) -> BoxFuture<'_, Result<bool, AuthError>> {
        Box::pin(async move {
            if !self.source.rotates() {
                return Ok(false);
            }
            let mut current = self.current.lock().await;
            let fresh = self.source.load()?;
            let changed = fresh.token != current.token;
            *current = fresh;
            Ok(changed)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn material_given_as_a_value_is_not_in_the_debug_output() {
        let source = Source {
            rpst: Material::Value("rpst-token-value".to_owned()),
            key: Material::File {
                variable: "OCI_RESOURCE_PRINCIPAL_PRIVATE_PEM",
                path: PathBuf::from("/var/run/key.pem"),
            },
            passphrase: Some(Material::Value("pem-passphrase".to_owned())),
        };
        let debug = format!("{source:?}");
        assert!(!debug.contains("rpst-token-value"), "{debug}");
        assert!(!debug.contains("pem-passphrase"), "{debug}");
        assert!(debug.contains("/var/run/key.pem"), "{debug}");
    }
}
