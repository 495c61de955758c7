//! Who is calling over HTTP: the bearer token of a request to the MCP endpoint, checked
//! against `[auth]`, and the protected-resource metadata (RFC 9728) that tells a client
//! how to get one. With `[auth] required`, only a token of `[[auth.tokens]]` passes (compared
//! by SHA-256 in constant time). Without it, a request without a token, or with one the
//! gateway does not know, passes as anonymous: such a token may be a user's identity-domain
//! token for `[oci] identity_propagation` (verifying JWTs against issuers is not built yet).
//! A token in the query string is refused either way.

use http::{HeaderMap, HeaderValue, StatusCode, Uri};
use serde_json::json;
use sha2::{Digest, Sha256};

use super::{Body, json_response};
use crate::config::{AuthSettings, GatewaySettings};

/// Where the metadata is served: this, and this with the MCP path appended.
pub const METADATA_PATH: &str = "/.well-known/oauth-protected-resource";

/// Who made a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    /// No credential, or one the gateway does not know (allowed when `[auth] required` is
    /// off).
    Anonymous,
    /// A static token from `[[auth.tokens]]`, by name.
    Token(String),
}

/// The caller of a request to the MCP endpoint, or the response that refuses it.
pub fn authenticate(
    settings: &GatewaySettings,
    uri: &Uri,
    headers: &HeaderMap,
) -> Result<Principal, Box<http::Response<Body>>> {
    let auth = &settings.auth;
    let challenge = |status, error: Option<(&str, &str)>| {
        Box::new(refusal(settings, uri, headers, status, error))
    };
    if uri
        .query()
        .is_some_and(|q| q.split('&').any(|pair| pair.starts_with("access_token=")))
    {
        return Err(challenge(
            StatusCode::BAD_REQUEST,
            Some((
                "invalid_request",
                "a token in the query string is refused (it ends up in logs and histories); send it as `Authorization: Bearer <token>`",
            )),
        ));
    }
    let Some(value) = headers.get(http::header::AUTHORIZATION) else {
        return if auth.required {
            Err(challenge(StatusCode::UNAUTHORIZED, None))
        } else {
            Ok(Principal::Anonymous)
        };
    };
    let token = value
        .to_str()
        .ok()
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim())
        .filter(|token| !token.is_empty());
    let Some(token) = token else {
        return Err(challenge(
            StatusCode::BAD_REQUEST,
            Some((
                "invalid_request",
                "the Authorization header must be `Bearer <token>`",
            )),
        ));
    };
    match static_token(auth, token) {
        Some(name) => Ok(Principal::Token(name)),
        None if !auth.required => Ok(Principal::Anonymous),
        None => Err(challenge(
            StatusCode::UNAUTHORIZED,
            Some(("invalid_token", "the token is not one this gateway knows")),
        )),
    }
}

/// The name of the configured token `token` is, comparing every hash in constant time.
fn static_token(auth: &AuthSettings, token: &str) -> Option<String> {
    let presented: [u8; 32] = Sha256::digest(token.as_bytes()).into();
    let mut found = None;
    for known in &auth.tokens {
        let difference = known
            .sha256
            .iter()
            .zip(presented.iter())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b));
        if difference == 0 {
            found = Some(known.name.clone());
        }
    }
    found
}

/// 401/400 with `WWW-Authenticate: Bearer resource_metadata="..."` (and `error`,
/// `error_description` when a credential was presented or the request was malformed).
fn refusal(
    settings: &GatewaySettings,
    uri: &Uri,
    headers: &HeaderMap,
    status: StatusCode,
    error: Option<(&str, &str)>,
) -> http::Response<Body> {
    let mut challenge = format!(
        "Bearer resource_metadata=\"{}\"",
        metadata_url(settings, uri, headers)
    );
    if let Some((code, description)) = error {
        challenge.push_str(&format!(
            ", error=\"{code}\", error_description=\"{}\"",
            description.replace('"', "'")
        ));
    }
    let message = match error {
        Some((_, description)) => description.to_owned(),
        None => "this MCP endpoint requires a bearer token (`Authorization: Bearer <token>`); the resource metadata in WWW-Authenticate says where to get one".to_owned(),
    };
    let mut response = json_response(status, json!({ "error": message }));
    if let Ok(value) = HeaderValue::from_str(&challenge) {
        response
            .headers_mut()
            .insert(http::header::WWW_AUTHENTICATE, value);
    }
    response
}

/// The endpoint's canonical URI: `[auth] resource`, else built from the request's Host and
/// the MCP path (plain http: behind a TLS proxy, set `resource`).
pub fn resource(settings: &GatewaySettings, uri: &Uri, headers: &HeaderMap) -> String {
    if let Some(resource) = &settings.auth.resource {
        return resource.clone();
    }
    let host = headers
        .get(http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .map(str::to_owned)
        .or_else(|| uri.authority().map(ToString::to_string))
        .unwrap_or_else(|| settings.listen.to_string());
    format!("http://{host}{}", settings.path)
}

/// The absolute URL of the metadata for this endpoint: the well-known path inserted before
/// the resource's path (RFC 9728 §3.1).
fn metadata_url(settings: &GatewaySettings, uri: &Uri, headers: &HeaderMap) -> String {
    let resource = resource(settings, uri, headers);
    match reqwest::Url::parse(&resource) {
        Ok(url) => {
            let path = url.path().trim_end_matches('/');
            format!(
                "{}{METADATA_PATH}{path}",
                url.origin().ascii_serialization()
            )
        }
        Err(_) => format!("{resource}{METADATA_PATH}"),
    }
}

/// `GET /.well-known/oauth-protected-resource[/<path>]`.
pub fn metadata(
    settings: &GatewaySettings,
    uri: &Uri,
    headers: &HeaderMap,
) -> http::Response<Body> {
    json_response(
        StatusCode::OK,
        json!({
            "resource": resource(settings, uri, headers),
            "authorization_servers": [],
            "scopes_supported": settings.auth.scopes_supported,
            "bearer_methods_supported": ["header"],
            "resource_name": "ocimcpd",
        }),
    )
}

#[cfg(test)]
mod tests {
    use sha2::{Digest, Sha256};

    use super::static_token;
    use crate::config::{AuthSettings, StaticToken};

    #[test]
    fn a_token_is_known_by_its_hash_only() {
        let auth = AuthSettings {
            required: true,
            tokens: vec![StaticToken {
                name: "ci-bot".to_owned(),
                sha256: Sha256::digest(b"s3cret").into(),
                scopes: Vec::new(),
            }],
            ..AuthSettings::default()
        };
        assert_eq!(static_token(&auth, "s3cret").as_deref(), Some("ci-bot"));
        assert_eq!(static_token(&auth, "s3cret "), None);
        assert_eq!(static_token(&auth, "other"), None);
    }
}
