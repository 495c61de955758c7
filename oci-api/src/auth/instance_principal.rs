//! Instance-principal auth: the compute instance's own identity. IMDS hands out a leaf
//! certificate and key (whose subject names the tenancy) and an intermediate CA; the auth
//! service's X.509 federation (`POST /v1/x509`, signed with the leaf key) exchanges them
//! and a fresh session public key for a security token. Calls are then signed with
//! `ST$<token>` and the session key. A new token (with a new session key and a fresh
//! certificate, which IMDS rotates) is fetched 60 s before the old one expires and after
//! a 401.

use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use sha1::{Digest, Sha1};
use tokio::sync::Mutex;
use x509_cert::Certificate;
use x509_cert::der::{DecodePem, Encode, Tag, Tagged};

use super::imds::Imds;
use super::session::Session;
use super::token_service::request_token;
use super::{AuthError, AuthKind, AuthProvider, AuthSettings, BoxFuture, Environment, Principal};
use crate::endpoints::Endpoints;
use crate::keys::PrivateKey;
use crate::region::Service;
use crate::signer::{Coverage, Signer};

/// Renew when less than this is left of the token's life (the SDK's jitter; half the life
/// of tokens shorter than two minutes).
const REFRESH_MARGIN: Duration = Duration::from_secs(60);

#[derive(Debug)]
pub struct InstancePrincipal {
    principal: Principal,
    imds: Imds,
    federation_url: String,
    http: reqwest::Client,
    session: Mutex<Session>,
}

impl InstancePrincipal {
    /// Reads the instance's identity from IMDS and gets a first token, so that a machine
    /// that is not an OCI instance (or may not federate) is reported at start.
    pub async fn new(
        settings: &AuthSettings,
        env: &Environment,
        endpoints: &Endpoints,
        http: reqwest::Client,
    ) -> Result<Self, AuthError> {
        let imds = Imds::new(env, http.clone());
        let found = match settings.region {
            Some(_) => None,
            None => Some(imds.get("instance/region").await?),
        };
        let region = settings
            .choose_region(env, found.as_deref())
            .ok_or(AuthError::Exchange {
                what: "reading the instance metadata service",
                reason: "it named no region".to_owned(),
            })?;
        let identity = InstanceIdentity::fetch(&imds).await?;
        let federation_url = format!("{}/v1/x509", endpoints.base(Service::Auth, &region));
        let session = federate(&http, &federation_url, &identity).await?;
        tracing::info!(
            "instance principal of tenancy {} in {}; token valid until {:?}",
            identity.tenancy,
            region.id(),
            session.claims.expires()
        );
        Ok(InstancePrincipal {
            principal: Principal {
                kind: AuthKind::InstancePrincipal,
                tenancy: identity.tenancy,
                region,
            },
            imds,
            federation_url,
            http,
            session: Mutex::new(session),
        })
    }

    /// A new token from a freshly read identity.
    async fn renew(&self) -> Result<Session, AuthError> {
        let identity = InstanceIdentity::fetch(&self.imds).await?;
        let tenancy = &self.principal.tenancy;
        if identity.tenancy != *tenancy {
            return Err(AuthError::Exchange {
                what: "renewing the instance-principal token",
                reason: format!(
                    "the instance certificate now names tenancy {}, not {}; restart to use it",
                    identity.tenancy, tenancy
                ),
            });
        }
        federate(&self.http, &self.federation_url, &identity).await
    }
}

/// What IMDS says the instance is.
struct InstanceIdentity {
    leaf_der: Vec<u8>,
    leaf_key: Arc<PrivateKey>,
    intermediate_der: Vec<u8>,
    tenancy: String,
}

impl InstanceIdentity {
    async fn fetch(imds: &Imds) -> Result<Self, AuthError> {
        let leaf = parse_certificate("identity/cert.pem", &imds.get("identity/cert.pem").await?)?;
        let key_pem = imds.get("identity/key.pem").await?;
        let intermediate = parse_certificate(
            "identity/intermediate.pem",
            &imds.get("identity/intermediate.pem").await?,
        )?;
        let leaf_key = PrivateKey::from_pem(&key_pem, None).map_err(|e| AuthError::Exchange {
            what: "reading the instance identity",
            reason: format!("identity/key.pem: {e}"),
        })?;
        let tenancy = tenancy_of(&leaf).ok_or(AuthError::Exchange {
            what: "reading the instance identity",
            reason: "the certificate's subject has no opc-tenant: (or opc-identity:) value"
                .to_owned(),
        })?;
        let der = |cert: &Certificate, name: &str| {
            cert.to_der().map_err(|e| AuthError::Exchange {
                what: "reading the instance identity",
                reason: format!("{name}: {e}"),
            })
        };
        Ok(InstanceIdentity {
            leaf_der: der(&leaf, "identity/cert.pem")?,
            leaf_key: Arc::new(leaf_key),
            intermediate_der: der(&intermediate, "identity/intermediate.pem")?,
            tenancy,
        })
    }

    /// `<tenancy>/fed-x509/<SHA-1 of the leaf certificate, XX:XX:...>`.
    fn key_id(&self) -> String {
        let fingerprint = Sha1::digest(&self.leaf_der)
            .iter()
            .map(|b| format!("{b:02X}"))
            .collect::<Vec<_>>()
            .join(":");
        format!("{}/fed-x509/{fingerprint}", self.tenancy)
    }
}

fn parse_certificate(name: &str, pem: &str) -> Result<Certificate, AuthError> {
    Certificate::from_pem(pem.trim().as_bytes()).map_err(|e| AuthError::Exchange {
        what: "reading the instance identity",
        reason: format!("{name} is not a PEM certificate: {e}"),
    })
}

/// The tenancy OCID in a leaf certificate's subject: the first `opc-tenant:` (or
/// `opc-identity:`) value, as the SDKs read it.
fn tenancy_of(certificate: &Certificate) -> Option<String> {
    let text_tags = [
        Tag::Utf8String,
        Tag::PrintableString,
        Tag::Ia5String,
        Tag::TeletexString,
    ];
    certificate
        .tbs_certificate
        .subject
        .0
        .iter()
        .flat_map(|rdn| rdn.0.iter())
        .filter(|value| text_tags.contains(&value.value.tag()))
        .filter_map(|value| std::str::from_utf8(value.value.value()).ok())
        .find_map(|text| {
            text.strip_prefix("opc-tenant:")
                .or_else(|| text.strip_prefix("opc-identity:"))
        })
        .map(str::to_owned)
}

/// Exchanges `identity` and a new session key for a token.
async fn federate(
    http: &reqwest::Client,
    url: &str,
    identity: &InstanceIdentity,
) -> Result<Session, AuthError> {
    let failed = |reason: String| AuthError::Exchange {
        what: "getting an instance-principal token (X.509 federation)",
        reason,
    };
    let key = Arc::new(
        PrivateKey::generate_off_runtime()
            .await
            .map_err(|e| failed(e.to_string()))?,
    );
    let body = serde_json::json!({
        "certificate": STANDARD.encode(&identity.leaf_der),
        "publicKey": key.public_base64(),
        "intermediateCertificates": [STANDARD.encode(&identity.intermediate_der)],
    });
    let signer = Signer::new(identity.key_id(), identity.leaf_key.clone());
    let token = request_token(http, &signer, Coverage::WithoutHost, url, &body)
        .await
        .map_err(|refused| failed(refused.reason))?;
    Session::new(&token, key).map_err(|e| failed(format!("the auth service's answer: {e}")))
}

impl AuthProvider for InstancePrincipal {
    fn principal(&self) -> &Principal {
        &self.principal
    }

    fn signer(&self) -> BoxFuture<'_, Result<Signer, AuthError>> {
        Box::pin(async move {
            let mut session = self.session.lock().await;
            if session.claims.renewal_due(REFRESH_MARGIN) {
                *session = self.renew().await?;
                tracing::debug!("instance-principal token renewed before it expired");
            }
            Ok(session.signer())
        })
    }

    fn refresh(&self) -> BoxFuture<'_, Result<bool, AuthError>> {
        Box::pin(async move {
            let mut session = self.session.lock().await;
            *session = self.renew().await?;
            Ok(true)
        })
    }
}
