//! OKE workload-identity auth: a pod of an enhanced OKE cluster trades its Kubernetes
//! service-account token and a fresh session public key for a resource-principal session
//! token at the cluster's proxymux (`POST https://$KUBERNETES_SERVICE_HOST:12250/
//! resourcePrincipalSessionTokens`, TLS checked against the service account's CA). The
//! answer is base64 of `{"token": "ST$<jwt>"}`. A new token (and session key) is fetched
//! once half of the old one's life is gone, and after a 401.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use tokio::sync::Mutex;

use super::session::Session;
use super::{AuthError, AuthKind, AuthProvider, AuthSettings, BoxFuture, Environment, Principal};
use crate::keys::PrivateKey;
use crate::signer::Signer;

const WHAT: &str = "OKE workload identity";
const PROXYMUX_PORT: u16 = 12250;
const SERVICE_ACCOUNT: &str = "/var/run/secrets/kubernetes.io/serviceaccount";
const TIMEOUT: Duration = Duration::from_secs(30);

#[derive(Debug)]
pub struct OkeWorkloadIdentity {
    principal: Principal,
    url: String,
    token_path: PathBuf,
    /// Trusts only the cluster's CA.
    http: reqwest::Client,
    session: Mutex<Session>,
}

fn failed(reason: impl Into<String>) -> AuthError {
    AuthError::Token {
        what: WHAT.to_owned(),
        reason: reason.into(),
    }
}

impl OkeWorkloadIdentity {
    /// Reads the pod's environment and gets a first token.
    pub async fn new(settings: &AuthSettings, env: &Environment) -> Result<Self, AuthError> {
        let host = env.get("KUBERNETES_SERVICE_HOST").ok_or_else(|| {
            failed("KUBERNETES_SERVICE_HOST is not set: it works only in a pod of an OKE cluster")
        })?;
        let region = settings
            .choose_region(env, env.get("OCI_RESOURCE_PRINCIPAL_REGION"))
            .ok_or_else(|| {
                failed("OCI_RESOURCE_PRINCIPAL_REGION is not set (the cluster's region; set it in the pod spec)")
            })?;
        let token_path = env
            .get("OCI_KUBERNETES_SERVICE_ACCOUNT_TOKEN_PATH")
            .map_or_else(
                || PathBuf::from(SERVICE_ACCOUNT).join("token"),
                PathBuf::from,
            );
        let ca_path = env
            .get("OCI_KUBERNETES_SERVICE_ACCOUNT_CERT_PATH")
            .map_or_else(
                || PathBuf::from(SERVICE_ACCOUNT).join("ca.crt"),
                PathBuf::from,
            );
        let ca = std::fs::read(&ca_path)
            .map_err(|e| failed(format!("the cluster CA {}: {e}", ca_path.display())))?;
        let ca = reqwest::Certificate::from_pem(&ca).map_err(|e| {
            failed(format!(
                "the cluster CA {} is not a PEM certificate: {e}",
                ca_path.display()
            ))
        })?;
        let http = reqwest::Client::builder()
            .tls_certs_only([ca])
            .build()
            .map_err(|e| failed(format!("an HTTPS client for the proxymux: {e}")))?;
        let host = if host.contains(':') && !host.starts_with('[') {
            format!("[{host}]")
        } else {
            host.to_owned()
        };
        let url = format!("https://{host}:{PROXYMUX_PORT}/resourcePrincipalSessionTokens");
        let session = request_session(&http, &url, &token_path).await?;
        let tenancy = session
            .tenancy()
            .ok_or_else(|| failed("the token has no res_tenant claim"))?
            .to_owned();
        Ok(OkeWorkloadIdentity {
            principal: Principal {
                kind: AuthKind::OkeWorkloadIdentity,
                tenancy,
                region,
            },
            url,
            token_path,
            http,
            session: Mutex::new(session),
        })
    }
}

/// Asks the proxymux for a token for a new session key.
async fn request_session(
    http: &reqwest::Client,
    url: &str,
    token_path: &PathBuf,
) -> Result<Session, AuthError> {
    // The kubelet rotates the service-account token: read it every time.
    let service_token = std::fs::read_to_string(token_path).map_err(|e| {
        failed(format!(
            "the service-account token {}: {e}",
            token_path.display()
        ))
    })?;
    let key = Arc::new(
        PrivateKey::generate_off_runtime()
            .await
            .map_err(|e| failed(e.to_string()))?,
    );
    let body = serde_json::json!({ "podKey": key.public_base64() });
    let answer = http
        .post(url)
        .bearer_auth(service_token.trim())
        .header(http::header::CONTENT_TYPE, "application/json")
        .header("opc-request-id", crate::wire::new_request_id())
        .body(body.to_string())
        .timeout(TIMEOUT)
        .send()
        .await
        .map_err(|e| failed(format!("POST {url}: {}", crate::wire::error_chain(&e))))?;
    let status = answer.status();
    let text = answer.text().await.unwrap_or_default();
    if status == http::StatusCode::FORBIDDEN {
        return Err(failed(format!(
            "POST {url}: 403: workload identity needs an enhanced OKE cluster and a policy that allows this service account ({})",
            text.trim()
        )));
    }
    if !status.is_success() {
        return Err(failed(format!(
            "POST {url}: HTTP {status}: {}",
            text.trim()
        )));
    }
    let token = STANDARD
        .decode(text.trim())
        .ok()
        .and_then(|json| serde_json::from_slice::<serde_json::Value>(&json).ok())
        .and_then(|v| v.get("token")?.as_str().map(str::to_owned))
        .ok_or_else(|| {
            failed(format!(
                "POST {url}: the answer is not base64 of {{\"token\": ...}}"
            ))
        })?;
    Session::new(&token, key).map_err(|e| failed(format!("POST {url}: {e}")))
}

impl AuthProvider for OkeWorkloadIdentity {
    fn principal(&self) -> &Principal {
        &self.principal
    }

    fn signer(&self) -> BoxFuture<'_, Result<Signer, AuthError>> {
        Box::pin(async move {
            let mut session = self.session.lock().await;
            if session.claims.past_half_life() {
                *session = request_session(&self.http, &self.url, &self.token_path).await?;
            }
            Ok(session.signer())
        })
    }

    fn refresh(&self) -> BoxFuture<'_, Result<bool, AuthError>> {
        Box::pin(async move {
            let mut session = self.session.lock().await;
            *session = request_session(&self.http, &self.url, &self.token_path).await?;
            Ok(true)
        })
    }
}
