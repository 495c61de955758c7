//! Identity propagation: calling OCI as the end user. The user's identity-domain access
//! token (a JWT) and the public half of a fresh session key are exchanged at the domain's
//! `/oauth2/v1/token` (token-exchange grant, `requested_token_type=urn:oci:token-type:
//! oci-upst`, the gateway's OAuth client in Basic auth) for a user principal session token
//! (UPST); calls are then signed with `ST$<UPST>` and that key. One [`UserPrincipal`] per
//! subject is kept and reused until its UPST expires; it exchanges again once half of the
//! UPST's life is gone (with the newest JWT the user presented) and after a 401.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use tokio::sync::Mutex;

use super::session::Session;
use super::{AuthError, AuthKind, AuthProvider, BoxFuture, Principal};
use crate::jwt::Claims;
use crate::keys::PrivateKey;
use crate::region::Region;
use crate::signer::Signer;
use crate::wire::{error_chain, query_string};

const WHAT: &str = "exchanging the user's token for an OCI session (identity propagation)";
const TIMEOUT: Duration = Duration::from_secs(30);

fn failed(reason: impl Into<String>) -> AuthError {
    AuthError::Exchange {
        what: WHAT,
        reason: reason.into(),
    }
}

/// The identity domain's token endpoint and the gateway's OAuth client there.
#[derive(Debug)]
struct Exchanger {
    token_url: String,
    client_id: String,
    client_secret: String,
    http: reqwest::Client,
}

/// Turns users' JWTs into OCI credentials, one [`UserPrincipal`] per subject.
#[derive(Debug)]
pub struct TokenExchange {
    exchanger: Arc<Exchanger>,
    region: Region,
    users: Mutex<HashMap<String, Arc<UserPrincipal>>>,
}

impl TokenExchange {
    /// `domain_url` is the identity domain's URL (`https://idcs-<guid>.identity.
    /// oraclecloud.com`); the client must be allowed the token-exchange grant by an
    /// identity propagation trust.
    pub fn new(
        domain_url: &str,
        client_id: &str,
        client_secret: &str,
        region: Region,
        http: reqwest::Client,
    ) -> Result<Self, AuthError> {
        if !(domain_url.starts_with("https://") || domain_url.starts_with("http://")) {
            return Err(failed(format!(
                "the identity domain URL `{domain_url}` must start with https:// (the console shows it as \"Domain URL\")"
            )));
        }
        Ok(TokenExchange {
            exchanger: Arc::new(Exchanger {
                token_url: format!("{}/oauth2/v1/token", domain_url.trim_end_matches('/')),
                client_id: client_id.to_owned(),
                client_secret: client_secret.to_owned(),
                http,
            }),
            region,
            users: Mutex::new(HashMap::new()),
        })
    }

    /// The principal of the user `subject_token` belongs to: the one already made from
    /// this same token while its session lasts, else a new exchange (which the identity
    /// domain verifies).
    pub async fn principal_for(
        &self,
        subject_token: &str,
    ) -> Result<Arc<UserPrincipal>, AuthError> {
        let claims =
            Claims::of(subject_token).map_err(|e| failed(format!("the user's token: {e}")))?;
        let subject = claims
            .str("sub")
            .ok_or_else(|| failed("the user's token has no `sub` claim"))?
            .to_owned();
        if !claims.valid_for(Duration::ZERO) {
            return Err(failed(format!(
                "the token of {subject} has expired; sign in again"
            )));
        }
        let mut users = self.users.lock().await;
        // Reused only for the very token it was made from: the claims of a token are read
        // here without checking its signature, so another token naming the same `sub` is
        // exchanged (and so verified by the identity domain) before it is trusted.
        if let Some(user) = users.get(&subject) {
            let session = user.session.lock().await;
            if session.subject_token == subject_token
                && session.upst.claims.valid_for(Duration::ZERO)
            {
                return Ok(user.clone());
            }
        }
        let session = self.exchanger.exchange(subject_token).await?;
        let tenancy = session
            .upst
            .tenancy()
            .ok_or_else(|| failed("the UPST has no `tenant` claim"))?
            .to_owned();
        let user = Arc::new(UserPrincipal {
            subject: subject.clone(),
            principal: Principal {
                kind: AuthKind::TokenExchange,
                tenancy,
                region: self.region.clone(),
            },
            exchanger: self.exchanger.clone(),
            session: Mutex::new(session),
        });
        // Forget users whose sessions are over.
        let mut over = Vec::new();
        for (name, known) in users.iter() {
            if !known
                .session
                .lock()
                .await
                .upst
                .claims
                .valid_for(Duration::ZERO)
            {
                over.push(name.clone());
            }
        }
        for name in over {
            users.remove(&name);
        }
        users.insert(subject, user.clone());
        Ok(user)
    }
}

#[derive(Debug)]
struct UserSession {
    /// The newest JWT the user presented: what the next exchange uses.
    subject_token: String,
    upst: Session,
}

impl Exchanger {
    async fn exchange(&self, subject_token: &str) -> Result<UserSession, AuthError> {
        let key = Arc::new(PrivateKey::generate().map_err(|e| failed(e.to_string()))?);
        let public_key = key.public_base64();
        let form = query_string(&[
            (
                "grant_type",
                "urn:ietf:params:oauth:grant-type:token-exchange",
            ),
            ("requested_token_type", "urn:oci:token-type:oci-upst"),
            ("subject_token", subject_token),
            ("subject_token_type", "jwt"),
            ("public_key", &public_key),
        ]);
        let credentials = STANDARD.encode(format!("{}:{}", self.client_id, self.client_secret));
        let url = &self.token_url;
        let answer = self
            .http
            .post(url)
            .header(http::header::AUTHORIZATION, format!("Basic {credentials}"))
            .header(
                http::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded",
            )
            .header(http::header::ACCEPT, "application/json")
            .body(form)
            .timeout(TIMEOUT)
            .send()
            .await
            .map_err(|e| failed(format!("POST {url}: {}", error_chain(&e))))?;
        let status = answer.status();
        let text = answer.text().await.unwrap_or_default();
        let json = serde_json::from_str::<serde_json::Value>(&text).ok();
        if !status.is_success() {
            // OAuth errors: {"error": "invalid_client", "error_description": "..."}.
            let described = json.as_ref().and_then(|v| {
                let error = v.get("error")?.as_str()?;
                let description = v.get("error_description").and_then(|d| d.as_str());
                Some(match description {
                    Some(description) => format!("{error}: {description}"),
                    None => error.to_owned(),
                })
            });
            return Err(failed(format!(
                "POST {url}: HTTP {status}: {}",
                described.unwrap_or_else(|| text.trim().to_owned())
            )));
        }
        let upst = json
            .as_ref()
            .and_then(|v| v.get("token")?.as_str())
            .ok_or_else(|| failed(format!("POST {url}: the answer has no `token`")))?;
        Ok(UserSession {
            subject_token: subject_token.to_owned(),
            upst: Session::new(upst, key).map_err(|e| failed(format!("POST {url}: {e}")))?,
        })
    }
}

/// One end user's OCI credentials.
#[derive(Debug)]
pub struct UserPrincipal {
    subject: String,
    principal: Principal,
    exchanger: Arc<Exchanger>,
    session: Mutex<UserSession>,
}

impl UserPrincipal {
    /// The `sub` of the user's token.
    pub fn subject(&self) -> &str {
        &self.subject
    }
}

impl AuthProvider for UserPrincipal {
    fn principal(&self) -> &Principal {
        &self.principal
    }

    fn signer(&self) -> BoxFuture<'_, Result<Signer, AuthError>> {
        Box::pin(async move {
            let mut session = self.session.lock().await;
            if session.upst.claims.past_half_life() {
                let subject_token = session.subject_token.clone();
                *session = self.exchanger.exchange(&subject_token).await?;
            }
            Ok(session.upst.signer())
        })
    }

    fn refresh(&self) -> BoxFuture<'_, Result<bool, AuthError>> {
        Box::pin(async move {
            let mut session = self.session.lock().await;
            let subject_token = session.subject_token.clone();
            *session = self.exchanger.exchange(&subject_token).await?;
            Ok(true)
        })
    }
}
