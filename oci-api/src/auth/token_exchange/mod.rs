//! Identity propagation: calling OCI as the end user. The user's identity-domain access
//! token (a JWT) and the public half of a fresh session key are exchanged at the domain's
//! `/oauth2/v1/token` (token-exchange grant, `requested_token_type=urn:oci:token-type:
//! oci-upst`, the gateway's OAuth client in Basic auth) for a user principal session token
//! (UPST); calls are then signed with `ST$<UPST>` and that key. One [`UserPrincipal`] per
//! subject is kept and reused until its UPST expires; it exchanges again once half of the
//! UPST's life is gone (with the newest JWT the user presented) and after a 401.
//!
//! Anyone who can reach a tool can present a token, forged or not, so an exchange must
//! not be a lever on everyone else (see [`Limits`]):
//!
//! - exchanges of different tokens run side by side; callers presenting the same token
//!   wait for one exchange and share its outcome (a lock per token, keyed by its SHA-256,
//!   not by its unverified `sub`, so a forged token naming a user never queues ahead of
//!   that user);
//! - the session key is generated on a blocking thread, never on an async worker;
//! - a token whose exchange failed is remembered (by its SHA-256) for
//!   [`Limits::remember_failure`] and refused without another POST;
//! - at most [`Limits::max_concurrent`] exchanges are in flight; a caller waits for a turn
//!   at most [`Limits::queue_patience`], then gets an error that says so.
use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex as SyncMutex, PoisonError};
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use sha2::{Digest, Sha256};
use tokio::sync::{Mutex, OwnedMutexGuard, Semaphore};
use tokio::time::Instant;

use super::session::Session;
use super::{AuthError, AuthKind, AuthProvider, BoxFuture, Principal};
use crate::jwt::Claims;
use crate::keys::{KeyError, PrivateKey};
use crate::region::Region;
use crate::signer::Signer;
use crate::wire::{error_chain, query_string};

const WHAT: &str = "exchanging the user's token for an OCI session (identity propagation)";
const TIMEOUT: Duration = Duration::from_secs(30);
/// At most this many failed tokens are remembered; the oldest is forgotten first.
const MAX_REMEMBERED: usize = 4096;

fn failed(reason: impl Into<String>) -> AuthError {
    AuthError::Exchange {
        what: WHAT,
        reason: reason.into(),
    }
}

/// How much of the gateway token exchanges may take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Exchanges in flight at once, across all users (each is a key generation and a POST
    /// to the identity domain). Default 8.
    pub max_concurrent: usize,
    /// How long a caller waits for a turn when `max_concurrent` are in flight before it
    /// is refused. Default 10 s.
    pub queue_patience: Duration,
    /// How long a token whose exchange failed (refused by the identity domain, or the
    /// domain not answering) is refused without asking again. Default 10 s.
    pub remember_failure: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_concurrent: 8,
            queue_patience: Duration::from_secs(10),
            remember_failure: Duration::from_secs(10),
        }
    }
}

/// SHA-256 of a token: what maps are keyed by, so that no map holds a raw token as a key.
type TokenHash = [u8; 32];

fn token_hash(token: &str) -> TokenHash {
    Sha256::digest(token.as_bytes()).into()
}

/// Makes a session key. Tests use a fixed key, since generating RSA keys is slow.
type KeySource = fn() -> Result<PrivateKey, KeyError>;

/// The identity domain's token endpoint and the gateway's OAuth client there.
struct Exchanger {
    token_url: String,
    client_id: String,
    client_secret: String,
    http: reqwest::Client,
    limits: Limits,
    /// One permit per exchange in flight.
    turns: Semaphore,
    /// Tokens whose exchange failed: when, and why.
    failures: SyncMutex<HashMap<TokenHash, (Instant, String)>>,
    new_key: KeySource,
}

impl fmt::Debug for Exchanger {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never the client secret.
        f.debug_struct("Exchanger")
            .field("token_url", &self.token_url)
            .field("client_id", &self.client_id)
            .field("client_secret", &"<redacted>")
            .field("limits", &self.limits)
            .finish_non_exhaustive()
    }
}

/// Turns users' JWTs into OCI credentials, one [`UserPrincipal`] per subject.
#[derive(Debug)]
pub struct TokenExchange {
    exchanger: Arc<Exchanger>,
    region: Region,
    /// The principal of each subject; never locked across an `.await`.
    users: SyncMutex<HashMap<String, Arc<UserPrincipal>>>,
    /// One lock per token being exchanged now; entries leave when their last user does.
    exchanging: Arc<SyncMutex<HashMap<TokenHash, Arc<Mutex<()>>>>>,
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
        let limits = Limits::default();
        Ok(TokenExchange {
            exchanger: Arc::new(Exchanger {
                token_url: format!("{}/oauth2/v1/token", domain_url.trim_end_matches('/')),
                client_id: client_id.to_owned(),
                client_secret: client_secret.to_owned(),
                http,
                limits,
                turns: Semaphore::new(limits.max_concurrent),
                failures: SyncMutex::new(HashMap::new()),
                new_key: PrivateKey::generate,
            }),
            region,
            users: SyncMutex::new(HashMap::new()),
            exchanging: Arc::new(SyncMutex::new(HashMap::new())),
        })
    }

    /// The same exchange with other [`Limits`] (before its first use).
    pub fn with_limits(mut self, limits: Limits) -> Self {
        if let Some(exchanger) = Arc::get_mut(&mut self.exchanger) {
            exchanger.turns = Semaphore::new(limits.max_concurrent.max(1));
            exchanger.limits = limits;
        }
        self
    }

    #[cfg(test)]
    fn with_keys(mut self, new_key: KeySource) -> Self {
        if let Some(exchanger) = Arc::get_mut(&mut self.exchanger) {
            exchanger.new_key = new_key;
        }
        self
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
        let hash = token_hash(subject_token);
        if let Some(user) = self.known(&subject, &hash).await {
            return Ok(user);
        }
        self.exchanger.remembered(&hash)?;
        // Callers with this same token wait here for one exchange, then share its outcome.
        let _turn = self.turn(hash).await;
        if let Some(user) = self.known(&subject, &hash).await {
            return Ok(user);
        }
        let session = self.exchanger.exchange(subject_token, hash).await?;
        let tenancy = session
            .upst
            .tenancy()
            .ok_or_else(|| failed("the UPST has no `tenant` claim"))?
            .to_owned();
        let user = Arc::new(UserPrincipal {
            subject: subject.clone(),
            token_hash: hash,
            principal: Principal {
                kind: AuthKind::TokenExchange,
                tenancy,
                region: self.region.clone(),
            },
            exchanger: self.exchanger.clone(),
            session: Mutex::new(session),
        });
        let mut users = self.users.lock().unwrap_or_else(PoisonError::into_inner);
        // Forget users whose sessions are over (one renewing now is in use: kept).
        users.retain(|_, known| {
            known.session.try_lock().map_or(true, |session| {
                session.upst.claims.valid_for(Duration::ZERO)
            })
        });
        users.insert(subject, user.clone());
        Ok(user)
    }

    /// The principal made from this very token, while its session lasts. Reused only for
    /// the token it was made from: the claims of a token are read here without checking
    /// its signature, so another token naming the same `sub` is exchanged (and so
    /// verified by the identity domain) before it is trusted.
    async fn known(&self, subject: &str, hash: &TokenHash) -> Option<Arc<UserPrincipal>> {
        let user = self
            .users
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(subject)
            .filter(|user| user.token_hash == *hash)
            .cloned()?;
        let valid = user
            .session
            .lock()
            .await
            .upst
            .claims
            .valid_for(Duration::ZERO);
        valid.then_some(user)
    }

    /// The lock of one token's exchange, held until the returned turn is dropped.
    async fn turn(&self, hash: TokenHash) -> Turn {
        let lock = self
            .exchanging
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .entry(hash)
            .or_default()
            .clone();
        let guard = lock.clone().lock_owned().await;
        Turn {
            exchanging: self.exchanging.clone(),
            hash,
            lock,
            guard: Some(guard),
        }
    }
}

/// One caller's hold on a token's exchange lock. When the last holder or waiter lets go,
/// the token's entry leaves the map (also when a caller is cancelled mid-way).
struct Turn {
    exchanging: Arc<SyncMutex<HashMap<TokenHash, Arc<Mutex<()>>>>>,
    hash: TokenHash,
    lock: Arc<Mutex<()>>,
    guard: Option<OwnedMutexGuard<()>>,
}

impl Drop for Turn {
    fn drop(&mut self) {
        self.guard.take();
        let mut exchanging = self
            .exchanging
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        // The map's reference and this one: nobody else holds or waits for the lock.
        if Arc::strong_count(&self.lock) == 2 {
            exchanging.remove(&self.hash);
        }
    }
}

struct UserSession {
    /// The JWT the user presented: what the next exchange uses.
    subject_token: String,
    upst: Session,
}

impl fmt::Debug for UserSession {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never the user's token.
        f.debug_struct("UserSession")
            .field("subject_token", &"<redacted>")
            .field("upst", &self.upst)
            .finish()
    }
}

impl Exchanger {
    /// Refuses a token whose exchange failed less than [`Limits::remember_failure`] ago,
    /// with the reason it failed then.
    fn remembered(&self, hash: &TokenHash) -> Result<(), AuthError> {
        let failures = self.failures.lock().unwrap_or_else(PoisonError::into_inner);
        match failures.get(hash) {
            Some((at, reason)) if at.elapsed() < self.limits.remember_failure => {
                Err(failed(format!(
                    "{reason} (this token's exchange failed {}s ago; it is not tried again for {}s)",
                    at.elapsed().as_secs(),
                    self.limits.remember_failure.as_secs()
                )))
            }
            _ => Ok(()),
        }
    }

    fn remember_failure(&self, hash: TokenHash, reason: String) {
        let mut failures = self.failures.lock().unwrap_or_else(PoisonError::into_inner);
        let patience = self.limits.remember_failure;
        failures.retain(|_, (at, _)| at.elapsed() < patience);
        if failures.len() >= MAX_REMEMBERED {
            let oldest = failures
                .iter()
                .min_by_key(|(_, (at, _))| *at)
                .map(|(hash, _)| *hash);
            if let Some(oldest) = oldest {
                failures.remove(&oldest);
            }
        }
        failures.insert(hash, (Instant::now(), reason));
    }

    /// One exchange of `subject_token` (whose SHA-256 is `hash`), in its turn among at
    /// most [`Limits::max_concurrent`]; a failure is remembered.
    async fn exchange(
        &self,
        subject_token: &str,
        hash: TokenHash,
    ) -> Result<UserSession, AuthError> {
        self.remembered(&hash)?;
        let patience = self.limits.queue_patience;
        let _permit = match tokio::time::timeout(patience, self.turns.acquire()).await {
            Ok(Ok(permit)) => permit,
            Ok(Err(_)) => return Err(failed("the token exchange is shutting down")),
            Err(_) => {
                return Err(failed(format!(
                    "{} token exchanges are already in flight and none finished within {}s (the identity domain is slow, or many tokens arrive at once); try again shortly",
                    self.limits.max_concurrent,
                    patience.as_secs_f64()
                )));
            }
        };
        let result = self.post(subject_token).await;
        if let Err(AuthError::Exchange { reason, .. }) = &result {
            self.remember_failure(hash, reason.clone());
        }
        result
    }

    async fn post(&self, subject_token: &str) -> Result<UserSession, AuthError> {
        let new_key = self.new_key;
        let key = Arc::new(
            tokio::task::spawn_blocking(new_key)
                .await
                .map_err(|e| failed(format!("the session key was not generated: {e}")))?
                .map_err(|e| failed(e.to_string()))?,
        );
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
                described.unwrap_or_else(|| text.trim().chars().take(300).collect())
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
    /// SHA-256 of the JWT this principal was made from.
    token_hash: TokenHash,
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
                *session = self
                    .exchanger
                    .exchange(&subject_token, self.token_hash)
                    .await?;
            }
            Ok(session.upst.signer())
        })
    }

    fn refresh(&self) -> BoxFuture<'_, Result<bool, AuthError>> {
        Box::pin(async move {
            let mut session = self.session.lock().await;
            let subject_token = session.subject_token.clone();
            *session = self
                .exchanger
                .exchange(&subject_token, self.token_hash)
                .await?;
            Ok(true)
        })
    }
}

#[cfg(test)]
mod tests;
