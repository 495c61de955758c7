//! `[auth]`: who may use the HTTP endpoint. So far: whether a credential is required, the
//! endpoint's canonical URI and advertised scopes (for the protected-resource metadata),
//! and static bearer tokens kept in the config as SHA-256 hashes (`[[auth.tokens]]`,
//! hashes printed by `ocimcpctl token hash`).

use std::path::Path;
use std::sync::Arc;

use serde::Deserialize;
use toml::Spanned;

use super::error::{ConfigIssue, Location};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawAuth {
    required: Option<bool>,
    resource: Option<Spanned<String>>,
    scopes_supported: Option<Vec<String>>,
    tokens: Option<Vec<Spanned<RawToken>>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawToken {
    name: Spanned<String>,
    hash: Spanned<String>,
    #[serde(default)]
    scopes: Vec<String>,
}

/// `[auth]`, validated.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AuthSettings {
    /// HTTP requests to the MCP endpoint must carry a valid credential.
    pub required: bool,
    /// The endpoint's canonical URI (RFC 8707/9728); `None`: built from the request.
    pub resource: Option<String>,
    pub scopes_supported: Vec<String>,
    pub tokens: Vec<StaticToken>,
}

/// A bearer token from the config: its name (the principal `token:NAME`), the SHA-256 of
/// the token, and its scopes.
#[derive(Clone, PartialEq, Eq)]
pub struct StaticToken {
    pub name: String,
    pub sha256: [u8; 32],
    pub scopes: Vec<String>,
}

impl std::fmt::Debug for StaticToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StaticToken")
            .field("name", &self.name)
            .field("scopes", &self.scopes)
            .finish_non_exhaustive()
    }
}

/// Parses `sha256:<64 hex digits>`.
pub fn parse_token_hash(text: &str) -> Result<[u8; 32], String> {
    let hex = text.strip_prefix("sha256:").ok_or_else(|| {
        format!("`{text}` is not a token hash: write `sha256:` and 64 hex digits, as `ocimcpctl token hash` prints them")
    })?;
    if hex.len() != 64 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(format!(
            "`{text}` is not a token hash: `sha256:` must be followed by 64 hex digits (`ocimcpctl token hash` prints them)"
        ));
    }
    let mut hash = [0u8; 32];
    for (i, byte) in hash.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16)
            .map_err(|_| format!("`{text}` is not a token hash"))?;
    }
    Ok(hash)
}

impl RawAuth {
    pub fn settle(
        raw: Option<Self>,
        file: &Arc<Path>,
        text: &str,
        issues: &mut Vec<ConfigIssue>,
    ) -> AuthSettings {
        let Some(raw) = raw else {
            return AuthSettings::default();
        };
        let resource = raw.resource.map(|resource| {
            let at = Location::at(file, text, Some(resource.span()));
            let resource = resource.into_inner();
            let valid = reqwest::Url::parse(&resource)
                .is_ok_and(|url| matches!(url.scheme(), "https" | "http") && url.fragment().is_none());
            if !valid {
                issues.push(ConfigIssue::new(
                    at,
                    Some("auth.resource"),
                    format!("`{resource}` must be the absolute http(s) URL clients use for this MCP endpoint, e.g. \"https://gw.example.com/mcp\""),
                ));
            }
            resource
        });
        let mut tokens: Vec<StaticToken> = Vec::new();
        for token in raw.tokens.unwrap_or_default() {
            let token = token.into_inner();
            let name_at = Location::at(file, text, Some(token.name.span()));
            let name = token.name.into_inner();
            if name.is_empty()
                || !name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_.@".contains(c))
            {
                issues.push(ConfigIssue::new(
                    name_at.clone(),
                    Some("auth.tokens.name"),
                    format!(
                        "`{name}` is not a token name: use letters, digits, `-`, `_`, `.` or `@`"
                    ),
                ));
            }
            if tokens.iter().any(|t| t.name == name) {
                issues.push(ConfigIssue::new(
                    name_at,
                    Some("auth.tokens.name"),
                    format!(
                        "a token named `{name}` is already defined; each name is one principal"
                    ),
                ));
            }
            let hash_at = Location::at(file, text, Some(token.hash.span()));
            match parse_token_hash(token.hash.get_ref()) {
                Ok(sha256) => tokens.push(StaticToken {
                    name,
                    sha256,
                    scopes: token.scopes,
                }),
                Err(e) => issues.push(ConfigIssue::new(hash_at, Some("auth.tokens.hash"), e)),
            }
        }
        if raw.required == Some(true) && tokens.is_empty() {
            issues.push(ConfigIssue::new(
                Location::file(file),
                Some("auth.required"),
                "no credential could ever pass: add an [[auth.tokens]] entry (its hash from `ocimcpctl token hash`)".to_owned(),
            ));
        }
        AuthSettings {
            required: raw.required.unwrap_or(false),
            resource,
            scopes_supported: raw.scopes_supported.unwrap_or_default(),
            tokens,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::parse_token_hash;

    #[test]
    fn token_hashes_are_sha256_and_64_hex_digits() {
        let hash = parse_token_hash(&format!("sha256:{}", "ab".repeat(32))).expect("valid");
        assert_eq!(hash, [0xab; 32]);
        for bad in [
            "ab".repeat(32),
            format!("sha256:{}", "ab".repeat(31)),
            format!("sha256:{}", "zz".repeat(32)),
            "md5:00".to_owned(),
        ] {
            let error = parse_token_hash(&bad).expect_err(&bad);
            assert!(error.contains("ocimcpctl token hash"), "{error}");
        }
    }
}
