//! The current session of a token-based principal: the security token, its claims, and
//! the session key it was issued for.

use std::fmt;
use std::sync::Arc;

use crate::jwt::{Claims, NotAJwt};
use crate::keys::PrivateKey;
use crate::signer::Signer;

pub(crate) struct Session {
    pub token: String,
    pub claims: Claims,
    pub key: Arc<PrivateKey>,
}

impl fmt::Debug for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never the token: its claims say whose it is and until when.
        f.debug_struct("Session")
            .field("token", &"<redacted>")
            .field("subject", &self.claims.str("sub"))
            .field("expires", &self.claims.expires())
            .field("key", &self.key)
            .finish()
    }
}

impl Session {
    /// `token` (with or without the `ST$` some services put before it) for `key`.
    pub fn new(token: &str, key: Arc<PrivateKey>) -> Result<Self, NotAJwt> {
        let token = token.trim();
        let token = token.strip_prefix("ST$").unwrap_or(token).to_owned();
        let claims = Claims::of(&token)?;
        Ok(Session { token, claims, key })
    }

    pub fn signer(&self) -> Signer {
        Signer::for_token(&self.token, self.key.clone())
    }

    /// The tenancy a resource or user token names (`res_tenant`, else `tenant`).
    pub fn tenancy(&self) -> Option<&str> {
        self.claims
            .str("res_tenant")
            .or_else(|| self.claims.str("tenant"))
    }
}
