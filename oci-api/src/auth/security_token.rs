//! Session-token auth (`oci session authenticate`): a profile's `security_token_file` and
//! the session key in `key_file`. The token file is read again whenever it changes (the
//! CLI or another tool may refresh it), and this provider refreshes it itself through the
//! auth service (`POST /v1/authentication/refresh`) when it is about to expire or a call
//! got 401, writing the new token back to the file as `oci session refresh` does.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use tokio::sync::Mutex;

use super::token_service::request_token;
use super::{
    AuthError, AuthKind, AuthProvider, AuthSettings, BoxFuture, Environment, Principal, profile_key,
};
use crate::config_file::Profile;
use crate::endpoints::Endpoints;
use crate::jwt::Claims;
use crate::keys::PrivateKey;
use crate::region::Service;
use crate::signer::{Coverage, Signer};

const NEEDS: &str = "session-token auth needs security_token_file, key_file and region";

/// Refresh when less than this is left of the token's life.
const REFRESH_MARGIN: Duration = Duration::from_secs(120);

#[derive(Debug)]
pub struct SecurityToken {
    principal: Principal,
    profile: String,
    token_file: PathBuf,
    key: Arc<PrivateKey>,
    refresh_url: String,
    http: reqwest::Client,
    current: Mutex<Current>,
}

struct Current {
    token: String,
    /// The file's modification time when `token` was read.
    read_at: Option<SystemTime>,
}

impl std::fmt::Debug for Current {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the session token.
        f.debug_struct("Current")
            .field("token", &"<redacted>")
            .field("read_at", &self.read_at)
            .finish()
    }
}

impl SecurityToken {
    pub fn from_profile(
        profile: &Profile,
        settings: &AuthSettings,
        env: &Environment,
        endpoints: &Endpoints,
        http: reqwest::Client,
    ) -> Result<Self, AuthError> {
        let token_file = profile
            .path("security_token_file")
            .ok_or(AuthError::MissingKey {
                profile: profile.describe(),
                key: "security_token_file",
                needs: NEEDS,
            })?;
        let region = settings.profile_region(profile, env, NEEDS)?;
        let key = Arc::new(profile_key(profile)?);
        let (token, read_at) = read_token(&profile.describe(), &token_file)?;
        let claims = Claims::of(&token).map_err(|e| AuthError::Token {
            what: format!(
                "{}: security_token_file {}",
                profile.describe(),
                token_file.display()
            ),
            reason: e.to_string(),
        })?;
        let tenancy = profile
            .get("tenancy")
            .or_else(|| claims.str("tenant"))
            .ok_or(AuthError::MissingKey {
                profile: profile.describe(),
                key: "tenancy",
                needs: "the token carries no `tenant` claim",
            })?
            .to_owned();
        let refresh_url = format!(
            "{}/v1/authentication/refresh",
            endpoints.base(Service::Auth, &region)
        );
        Ok(SecurityToken {
            principal: Principal {
                kind: AuthKind::SecurityToken,
                tenancy,
                region,
            },
            profile: profile.describe(),
            token_file,
            key,
            refresh_url,
            http,
            current: Mutex::new(Current {
                token,
                read_at: Some(read_at),
            }),
        })
    }

    /// Exchanges the current token for a new one and writes it to the token file.
    async fn refresh_now(&self, current: &mut Current) -> Result<(), AuthError> {
        let failed = |reason: String| AuthError::Exchange {
            what: "refreshing the OCI session token",
            reason,
        };
        let signer = Signer::for_token(&current.token, self.key.clone());
        let body = serde_json::json!({ "currentToken": current.token });
        let token = request_token(
            &self.http,
            &signer,
            Coverage::Standard,
            &self.refresh_url,
            &body,
        )
        .await
        .map_err(|refused| match refused.status {
            Some(http::StatusCode::UNAUTHORIZED) => failed(format!(
                "the session can no longer be refreshed (401); sign in again with `oci session authenticate` for {}",
                self.profile
            )),
            _ => failed(refused.reason),
        })?;
        write_token(&self.token_file, &token)
            .map_err(|e| failed(format!("writing {}: {e}", self.token_file.display())))?;
        current.read_at = std::fs::metadata(&self.token_file)
            .and_then(|m| m.modified())
            .ok();
        current.token = token;
        tracing::info!("refreshed the OCI session token of {}", self.profile);
        Ok(())
    }
}

fn read_token(profile: &str, path: &PathBuf) -> Result<(String, SystemTime), AuthError> {
    let unreadable = |e: std::io::Error| AuthError::File {
        profile: profile.to_owned(),
        key: "security_token_file",
        path: path.clone(),
        reason: e.to_string(),
    };
    let modified = std::fs::metadata(path)
        .and_then(|m| m.modified())
        .map_err(unreadable)?;
    let token = std::fs::read_to_string(path).map_err(unreadable)?;
    Ok((token.trim().to_owned(), modified))
}

/// Replaces the token file's content in one step (write beside it, then rename).
fn write_token(path: &PathBuf, token: &str) -> std::io::Result<()> {
    let staging = path.with_extension("refreshing");
    std::fs::write(&staging, token)?;
    std::fs::rename(&staging, path)
}

impl AuthProvider for SecurityToken {
    fn principal(&self) -> &Principal {
        &self.principal
    }

    fn signer(&self) -> BoxFuture<'_, Result<Signer, AuthError>> {
        Box::pin(async move {
            let mut current = self.current.lock().await;
            // Someone else (the CLI) may have written a new token.
            let modified = std::fs::metadata(&self.token_file)
                .and_then(|m| m.modified())
                .ok();
            if modified.is_some() && modified != current.read_at {
                let (token, read_at) = read_token(&self.profile, &self.token_file)?;
                *current = Current {
                    token,
                    read_at: Some(read_at),
                };
            }
            if let Ok(claims) = Claims::of(&current.token) {
                let expired = !claims.valid_for(Duration::ZERO);
                if !expired
                    && !claims.valid_for(REFRESH_MARGIN)
                    && let Err(e) = self.refresh_now(&mut current).await
                {
                    tracing::warn!("{e}");
                }
            }
            Ok(Signer::for_token(&current.token, self.key.clone()))
        })
    }

    fn refresh(&self) -> BoxFuture<'_, Result<bool, AuthError>> {
        Box::pin(async move {
            let mut current = self.current.lock().await;
            self.refresh_now(&mut current).await.map(|()| true)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_session_token_is_not_in_the_debug_output() {
        let current = Current {
            token: "session-token-value".to_owned(),
            read_at: None,
        };
        let debug = format!("{current:?}");
        assert!(!debug.contains("session-token-value"), "{debug}");
    }
}
