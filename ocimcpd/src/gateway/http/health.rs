//! `/healthz` and `/readyz`. Both answer any Host, so probes that reach the daemon by pod
//! IP or container name keep working; only a request whose Host header is one of
//! `[gateway] allowed_hosts` sees the backends' names and states (a page that rebinds a
//! DNS name to this address learns no more than whether the daemon is ready).

use http::{HeaderMap, StatusCode, Uri};
use serde_json::json;

use super::{Body, json_response};
use crate::gateway::Gateway;

pub fn healthz() -> http::Response<Body> {
    json_response(StatusCode::OK, json!({ "status": "ok" }))
}

/// 200 once the configuration is loaded and every enabled backend has become ready or
/// failed at least once; 503 with the backends still pending otherwise, and while the
/// daemon drains.
pub fn readyz(gateway: &Gateway, uri: &Uri, headers: &HeaderMap) -> http::Response<Body> {
    let entries = gateway.registry.entries();
    let statuses: Vec<_> = entries.iter().map(|e| (e.name(), e.status())).collect();
    let waiting: Vec<&str> = statuses
        .iter()
        .filter(|(_, s)| !s.settled)
        .map(|(name, _)| *name)
        .collect();
    let ready = statuses.iter().filter(|(_, s)| s.state.serves()).count();
    // Why it is not ready, if it is not.
    let reason = if gateway.draining.is_cancelled() {
        Some("shutting down".to_owned())
    } else if !gateway.registry.loaded() {
        Some("loading the configuration".to_owned())
    } else if waiting.is_empty() {
        None
    } else {
        Some(format!(
            "waiting for {} backend(s) to become ready or fail once",
            waiting.len()
        ))
    };
    let status = match reason {
        None => StatusCode::OK,
        Some(_) => StatusCode::SERVICE_UNAVAILABLE,
    };
    let mut body = json!({
        "ready": reason.is_none(),
        "reason": reason,
        "backends_ready": ready,
        "backends_total": entries.len(),
    });
    if host_allowed(uri, headers, &gateway.settings.allowed_hosts) {
        let backends: serde_json::Map<String, serde_json::Value> = statuses
            .iter()
            .map(|(name, s)| ((*name).to_owned(), json!(s.state)))
            .collect();
        body["waiting_for"] = json!(waiting);
        body["backends"] = json!(backends);
    }
    json_response(status, body)
}

/// Whether the request names one of `allowed` as its host (the Host header, or the
/// URI's authority for HTTP/2), with the port when the entry has one. An empty list
/// allows every host, as it does for the MCP endpoint.
fn host_allowed(uri: &Uri, headers: &HeaderMap, allowed: &[String]) -> bool {
    if allowed.is_empty() {
        return true;
    }
    let named = match headers.get(http::header::HOST) {
        Some(host) => host
            .to_str()
            .ok()
            .and_then(|h| http::uri::Authority::try_from(h).ok()),
        None => uri.authority().cloned(),
    };
    let Some(named) = named else { return false };
    let host = normalize(named.host());
    allowed.iter().any(|entry| {
        let (entry_host, entry_port) = match http::uri::Authority::try_from(entry.trim()) {
            Ok(authority) => (normalize(authority.host()), authority.port_u16()),
            Err(_) => (normalize(entry.trim()), None),
        };
        entry_host == host && entry_port.is_none_or(|port| named.port_u16() == Some(port))
    })
}

fn normalize(host: &str) -> String {
    host.trim_matches(['[', ']']).to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use http::{HeaderMap, HeaderValue, Uri};

    use super::host_allowed;

    fn host(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(
            http::header::HOST,
            HeaderValue::from_str(value).expect("header"),
        );
        headers
    }

    #[test]
    fn hosts_match_by_name_and_by_port_when_the_entry_has_one() {
        let uri = Uri::from_static("/readyz");
        let allowed = [
            "localhost".to_owned(),
            "::1".to_owned(),
            "gw.example.com:8443".to_owned(),
        ];
        assert!(host_allowed(&uri, &host("localhost:9000"), &allowed));
        assert!(host_allowed(&uri, &host("LOCALHOST"), &allowed));
        assert!(host_allowed(&uri, &host("[::1]:9000"), &allowed));
        assert!(host_allowed(&uri, &host("gw.example.com:8443"), &allowed));
        assert!(!host_allowed(&uri, &host("gw.example.com:9000"), &allowed));
        assert!(!host_allowed(&uri, &host("evil.example:9000"), &allowed));
        assert!(
            !host_allowed(&uri, &HeaderMap::new(), &allowed),
            "no host at all"
        );
        assert!(
            host_allowed(&uri, &host("anything"), &[]),
            "an empty list allows all"
        );
    }
}
