//! Reading (not verifying) the claims of the JWTs OCI hands out: security tokens, instance
//! and resource principal tokens, UPSTs. The service verifies them; the client only needs
//! `exp` to know when to refresh and claims like `tenant`.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value};

#[derive(Debug, Clone)]
pub struct Claims {
    values: Map<String, Value>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("the token is not a JWT ({0})")]
pub struct NotAJwt(&'static str);

impl Claims {
    /// The payload of `token` (`header.payload.signature`).
    pub fn of(token: &str) -> Result<Self, NotAJwt> {
        let payload = token
            .trim()
            .split('.')
            .nth(1)
            .ok_or(NotAJwt("it has no payload part"))?;
        let bytes = URL_SAFE_NO_PAD
            .decode(payload.trim_end_matches('='))
            .map_err(|_| NotAJwt("its payload is not base64url"))?;
        match serde_json::from_slice(&bytes) {
            Ok(Value::Object(values)) => Ok(Claims { values }),
            _ => Err(NotAJwt("its payload is not a JSON object")),
        }
    }

    pub fn str(&self, name: &str) -> Option<&str> {
        self.values.get(name).and_then(Value::as_str)
    }

    fn time(&self, name: &str) -> Option<SystemTime> {
        let seconds = self.values.get(name).and_then(Value::as_u64)?;
        UNIX_EPOCH.checked_add(Duration::from_secs(seconds))
    }

    /// `exp`, when the token stops being valid.
    pub fn expires(&self) -> Option<SystemTime> {
        self.time("exp")
    }

    /// `iat`, when the token was issued.
    pub fn issued(&self) -> Option<SystemTime> {
        self.time("iat")
    }

    /// Whether the token is still good `margin` from now (no `exp`: assume it is).
    pub fn valid_for(&self, margin: Duration) -> bool {
        self.expires()
            .is_none_or(|exp| SystemTime::now() + margin < exp)
    }

    /// Whether a token should be replaced now: less than `margin` of its life is left, or,
    /// for a token that lives less than twice `margin`, less than half.
    pub fn renewal_due(&self, margin: Duration) -> bool {
        let lifetime = match (self.issued(), self.expires()) {
            (Some(iat), Some(exp)) => exp.duration_since(iat).unwrap_or_default(),
            _ => margin * 2,
        };
        !self.valid_for(margin.min(lifetime / 2))
    }

    /// Whether less than half of the token's lifetime is left (OKE workload identity and
    /// token exchange refresh then).
    pub fn past_half_life(&self) -> bool {
        match (self.issued(), self.expires()) {
            (Some(iat), Some(exp)) => {
                let half = exp.duration_since(iat).unwrap_or_default() / 2;
                SystemTime::now() + half > exp
            }
            _ => !self.valid_for(Duration::ZERO),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token(payload: &str) -> String {
        format!(
            "eyJhbGciOiJSUzI1NiJ9.{}.sig",
            URL_SAFE_NO_PAD.encode(payload)
        )
    }

    #[test]
    fn claims_and_expiry_are_read() {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let claims = Claims::of(&token(&format!(
            r#"{{"tenant":"ocid1.tenancy.oc1..t","iat":{},"exp":{}}}"#,
            now - 100,
            now + 1000
        )))
        .expect("a JWT");
        assert_eq!(claims.str("tenant"), Some("ocid1.tenancy.oc1..t"));
        assert!(claims.valid_for(Duration::from_secs(60)));
        assert!(!claims.valid_for(Duration::from_secs(2000)));
        assert!(!claims.past_half_life());
        let old = Claims::of(&token(&format!(
            r#"{{"iat":{},"exp":{}}}"#,
            now - 1000,
            now + 100
        )))
        .expect("a JWT");
        assert!(old.past_half_life());
    }

    #[test]
    fn renewal_is_due_a_margin_before_expiry_or_at_half_life_for_short_tokens() {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let lived = |iat: u64, exp: u64| {
            Claims::of(&token(&format!(r#"{{"iat":{iat},"exp":{exp}}}"#))).expect("a JWT")
        };
        let margin = Duration::from_secs(60);
        // A 20-minute token: due in its last minute only.
        assert!(!lived(now - 600, now + 600).renewal_due(margin));
        assert!(lived(now - 1150, now + 50).renewal_due(margin));
        // A 10-second token: due after 5 s.
        assert!(!lived(now - 2, now + 8).renewal_due(margin));
        assert!(lived(now - 6, now + 4).renewal_due(margin));
    }

    #[test]
    fn what_is_not_a_jwt_says_why() {
        assert_eq!(
            Claims::of("opaque").err(),
            Some(NotAJwt("it has no payload part"))
        );
        assert_eq!(
            Claims::of("a.!!!.c").err(),
            Some(NotAJwt("its payload is not base64url"))
        );
    }
}
