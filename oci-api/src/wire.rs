//! How a request goes on the wire: client-made request ids, query strings encoded as the
//! Python SDK encodes them, requests signed over exactly the headers they carry, and the
//! text of an error with its causes. Both the `client` and the credential providers of
//! `auth` build on it, so it imports from neither.

use std::hash::{BuildHasher, Hasher};
use std::time::SystemTime;

use bytes::Bytes;
use http::Method;

use crate::signer::{Coverage, Signer, Unsigned};

/// 64 bits that differ between calls (std's randomly keyed hasher over the time): enough
/// for jitter and request ids, not for secrets.
fn random_u64() -> u64 {
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u128(
        SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos()),
    );
    hasher.finish()
}

/// A number in [0, 1).
pub(crate) fn random_fraction() -> f64 {
    (random_u64() >> 11) as f64 / (1u64 << 53) as f64
}

/// A client-made `opc-request-id`: 32 upper-case hex digits, as the SDKs send.
pub(crate) fn new_request_id() -> String {
    format!("{:016X}{:016X}", random_u64(), random_u64())
}

/// Percent-encodes `text` as Python's `quote_plus` does (what the SDK's `requests` sends):
/// letters, digits and `-._~` stay, a space becomes `+`, every other byte `%XX`.
pub fn quote_plus(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                out.push(byte as char)
            }
            b' ' => out.push('+'),
            other => out.push_str(&format!("%{other:02X}")),
        }
    }
    out
}

/// `name=value&...`, each side [`quote_plus`]ed.
pub fn query_string(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(name, value)| format!("{}={}", quote_plus(name), quote_plus(value)))
        .collect::<Vec<_>>()
        .join("&")
}

/// The Host header for `url`: the authority, with the port when it is not the default.
fn host_header(url: &reqwest::Url) -> String {
    let host = url.host_str().unwrap_or_default();
    match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_owned(),
    }
}

/// `method url` with `body`, signed by `signer` as of now over the headers `coverage`
/// names: the request carries exactly the headers that were signed, and the body whose
/// hash was signed (reqwest sets its Content-Length from it; it is never chunked).
pub(crate) fn signed_request(
    http: &reqwest::Client,
    signer: &Signer,
    coverage: Coverage,
    method: Method,
    url: reqwest::Url,
    body: Bytes,
) -> reqwest::RequestBuilder {
    let path_and_query = match url.query() {
        Some(query) => format!("{}?{query}", url.path()),
        None => url.path().to_owned(),
    };
    let signed = signer.sign_at(
        &Unsigned {
            method: method.as_str(),
            path_and_query: &path_and_query,
            host: &host_header(&url),
            body: &body,
            content_type: "application/json",
        },
        &httpdate::fmt_http_date(SystemTime::now()),
        coverage,
    );
    let mut builder = http
        .request(method, url)
        .header(http::header::DATE, &signed.date)
        .header(http::header::AUTHORIZATION, &signed.authorization)
        .header(
            http::header::USER_AGENT,
            concat!("ocimcp/", env!("CARGO_PKG_VERSION")),
        );
    if let Some(body_headers) = &signed.body_headers {
        builder = builder
            .header(http::header::CONTENT_TYPE, &body_headers.content_type)
            .header(http::header::CONTENT_LENGTH, body_headers.content_length)
            .header("x-content-sha256", &body_headers.content_sha256)
            .body(body);
    }
    builder
}

pub(crate) fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_are_encoded_like_python_quote_plus() {
        assert_eq!(
            query_string(&[("page", "tok/en== +~*"), ("ad", "Uocm:US-ASHBURN-AD-1")]),
            "page=tok%2Fen%3D%3D+%2B~%2A&ad=Uocm%3AUS-ASHBURN-AD-1"
        );
        assert_eq!(quote_plus("é"), "%C3%A9");
    }
}
