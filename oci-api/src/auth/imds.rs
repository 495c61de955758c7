//! The instance metadata service (IMDS v2) of an OCI compute instance: plain-text answers
//! at `http://169.254.169.254/opc/v2/...` (or `OCI_METADATA_BASE_URL`, which is how tests
//! point it at a fake), every request carrying `Authorization: Bearer Oracle`.

use std::time::Duration;

use super::{AuthError, Environment};

const DEFAULT_BASE: &str = "http://169.254.169.254/opc/v2";
/// Attempts per read; off OCI nothing answers, so keep the wait short.
const ATTEMPTS: u32 = 3;
const PAUSE: Duration = Duration::from_secs(1);
const TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Debug, Clone)]
pub struct Imds {
    base: String,
    http: reqwest::Client,
}

impl Imds {
    pub fn new(env: &Environment, http: reqwest::Client) -> Self {
        let base = env
            .get("OCI_METADATA_BASE_URL")
            .unwrap_or(DEFAULT_BASE)
            .trim_end_matches('/')
            .to_owned();
        Imds { base, http }
    }

    /// The text at `path` (`identity/cert.pem`, `instance/region`), tried again on
    /// connection errors, 404, 429 and 5xx as the SDK does.
    pub async fn get(&self, path: &str) -> Result<String, AuthError> {
        let url = format!("{}/{path}", self.base);
        let mut attempt = 1;
        loop {
            let sent = self
                .http
                .get(&url)
                .header(http::header::AUTHORIZATION, "Bearer Oracle")
                .timeout(TIMEOUT)
                .send()
                .await;
            let reason = match sent {
                Ok(answer) if answer.status().is_success() => {
                    return answer.text().await.map_err(|e| unreadable(&url, e));
                }
                Ok(answer) => {
                    let status = answer.status();
                    let transient =
                        status.is_server_error() || matches!(status.as_u16(), 404 | 429);
                    if !transient {
                        return Err(unreadable(&url, format!("HTTP {status}")));
                    }
                    format!("HTTP {status}")
                }
                Err(e) => e.to_string(),
            };
            if attempt >= ATTEMPTS {
                return Err(unreadable(&url, reason));
            }
            attempt += 1;
            tokio::time::sleep(PAUSE).await;
        }
    }
}

fn unreadable(url: &str, reason: impl std::fmt::Display) -> AuthError {
    AuthError::Exchange {
        what: "reading the instance metadata service",
        reason: format!(
            "GET {url}: {reason} (instance principals work only on an OCI compute instance; \
             elsewhere choose another [oci] auth)"
        ),
    }
}
