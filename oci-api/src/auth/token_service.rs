//! The calls that hand out OCI security tokens: a signed JSON POST to the auth service
//! (X.509 federation, session refresh) answered with `{"token": "..."}`, tried again on
//! connection errors and 5xx (not 501) as the SDKs' federation client does.

use std::time::Duration;

use http::{Method, StatusCode};

use crate::signer::{Coverage, Signer};
use crate::wire::signed_request;

/// Attempts per token request, and the pause before each retry.
const ATTEMPTS: u32 = 3;
const PAUSE: Duration = Duration::from_secs(1);
const TIMEOUT: Duration = Duration::from_secs(30);

/// Why no token came back.
#[derive(Debug)]
pub(crate) struct Refused {
    /// The service's status, when it answered at all.
    pub status: Option<StatusCode>,
    pub reason: String,
}

/// POSTs `body` to `url`, signed by `signer` over `coverage`, and returns the answer's
/// `token`.
pub(crate) async fn request_token(
    http: &reqwest::Client,
    signer: &Signer,
    coverage: Coverage,
    url: &str,
    body: &serde_json::Value,
) -> Result<String, Refused> {
    let url = reqwest::Url::parse(url).map_err(|e| Refused {
        status: None,
        reason: format!("`{url}` is not a URL: {e}"),
    })?;
    let body = bytes::Bytes::from(body.to_string());
    let mut attempt = 1;
    loop {
        let sent = signed_request(
            http,
            signer,
            coverage,
            Method::POST,
            url.clone(),
            body.clone(),
        )
        .timeout(TIMEOUT)
        .send()
        .await;
        let refused = match sent {
            Err(e) => Refused {
                status: None,
                reason: format!("POST {url}: {e}"),
            },
            Ok(answer) => {
                let status = answer.status();
                let text = answer.text().await.unwrap_or_default();
                if status.is_success() {
                    return serde_json::from_str::<serde_json::Value>(&text)
                        .ok()
                        .and_then(|v| v.get("token")?.as_str().map(str::to_owned))
                        .ok_or_else(|| Refused {
                            status: Some(status),
                            reason: format!("POST {url}: the answer has no `token`"),
                        });
                }
                Refused {
                    status: Some(status),
                    reason: format!("POST {url}: HTTP {status}: {}", text.trim()),
                }
            }
        };
        let transient = refused
            .status
            .is_none_or(|s| s.is_server_error() && s != StatusCode::NOT_IMPLEMENTED);
        if !transient || attempt >= ATTEMPTS {
            return Err(refused);
        }
        tracing::debug!("{}; trying again", refused.reason);
        attempt += 1;
        tokio::time::sleep(PAUSE).await;
    }
}
