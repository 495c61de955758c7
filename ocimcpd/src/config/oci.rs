//! `[oci]`: the settings of the built-in OCI tool set: which OCI credentials it uses (the same choices as the OCI CLI's
//! `--auth`, config file and profile) and where the OCI services are (`endpoint` for all,
//! `[oci.endpoints]` per service, for proxies and tests).

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use oci_api::auth::AuthKind;
use oci_api::{AuthSettings, Endpoints};
use serde::Deserialize;
use toml::Spanned;

use super::backend::resolve;
use super::error::{ConfigIssue, Location};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawOci {
    auth: Option<Spanned<String>>,
    config_file: Option<String>,
    profile: Option<String>,
    region: Option<String>,
    endpoint: Option<Spanned<String>>,
    endpoints: Option<BTreeMap<String, Spanned<String>>>,
    compartment_id: Option<Spanned<String>>,
    allow_mutations: Option<bool>,
    identity_propagation: Option<Spanned<bool>>,
    identity_domain: Option<RawIdentityDomain>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawIdentityDomain {
    url: Spanned<String>,
    client_id: String,
    client_secret_file: String,
}

impl RawOci {
    /// The settings, or `None` when the file has no `[oci]` section; problems go to
    /// `issues` with the line they are on.
    pub fn settle(
        raw: Option<Self>,
        file: &Arc<Path>,
        text: &str,
        config_dir: &Path,
        issues: &mut Vec<ConfigIssue>,
    ) -> Option<oci_tools::Settings> {
        let raw = raw?;
        let at = |span| Location::at(file, text, Some(span));
        if let Some(auth) = &raw.auth
            && let Err(e) = auth.get_ref().parse::<AuthKind>()
        {
            issues.push(ConfigIssue::new(
                at(auth.span()),
                Some("oci.auth"),
                e.to_string(),
            ));
        }
        // Entry by entry, so that an error names its line.
        let mut endpoints = Endpoints::default();
        if let Some(url) = &raw.endpoint
            && let Err(e) = endpoints.set_all(url.get_ref())
        {
            issues.push(ConfigIssue::new(
                at(url.span()),
                Some("oci.endpoint"),
                e.to_string(),
            ));
        }
        for (name, url) in raw.endpoints.iter().flatten() {
            if let Err(e) = endpoints.set_service(name, url.get_ref()) {
                let key = format!("oci.endpoints.{name}");
                issues.push(ConfigIssue::new(at(url.span()), Some(&key), e.to_string()));
            }
        }
        if let Some(compartment) = &raw.compartment_id {
            let value = compartment.get_ref();
            let parts: Vec<&str> = value.split('.').collect();
            let shaped = parts.len() >= 5
                && parts[0] == "ocid1"
                && matches!(parts[1], "compartment" | "tenancy")
                && parts.last().is_some_and(|unique| !unique.is_empty());
            if !shaped {
                issues.push(ConfigIssue::new(
                    at(compartment.span()),
                    Some("oci.compartment_id"),
                    format!(
                        "`{value}` is not a compartment OCID (`ocid1.compartment.oc1..<id>` or the tenancy's `ocid1.tenancy.oc1..<id>`)"
                    ),
                ));
            }
        }
        let identity_propagation = match (&raw.identity_propagation, raw.identity_domain) {
            (Some(on), Some(domain)) if *on.get_ref() => {
                if let Err(reason) = check_domain_url(domain.url.get_ref()) {
                    issues.push(ConfigIssue::new(
                        at(domain.url.span()),
                        Some("oci.identity_domain.url"),
                        reason,
                    ));
                }
                Some(oci_tools::IdentityDomain {
                    url: domain.url.into_inner(),
                    client_id: domain.client_id,
                    client_secret_file: resolve(config_dir, &domain.client_secret_file),
                })
            }
            (Some(on), None) if *on.get_ref() => {
                issues.push(ConfigIssue::new(
                    at(on.span()),
                    Some("oci.identity_propagation"),
                    "identity propagation needs `[oci.identity_domain]` with `url`, `client_id` and `client_secret_file` (the OAuth client that may exchange users' tokens)".to_owned(),
                ));
                None
            }
            _ => None,
        };
        Some(oci_tools::Settings {
            auth: AuthSettings {
                auth: raw.auth.map(Spanned::into_inner),
                config_file: raw.config_file.map(|path| resolve(config_dir, &path)),
                profile: raw.profile,
                region: raw.region,
            },
            endpoints,
            compartment_id: raw.compartment_id.map(Spanned::into_inner),
            allow_mutations: raw.allow_mutations.unwrap_or(false),
            identity_propagation,
            clock: oci_tools::Clock::System,
        })
    }
}

/// The OCI tool set's settings: `[oci]` (or the defaults), with mutations also allowed
/// by `ALLOW_MUTATIONS=true` (or `1`) in the daemon's environment, as the Python servers
/// read it.
pub fn tool_settings(
    oci: Option<oci_tools::Settings>,
    env: impl Fn(&str) -> Option<String>,
) -> oci_tools::Settings {
    let mut settings = oci.unwrap_or_default();
    let from_env = env("ALLOW_MUTATIONS")
        .is_some_and(|value| value.eq_ignore_ascii_case("true") || value == "1");
    settings.allow_mutations |= from_env;
    settings
}

/// `https://...`, or `http://` to a loopback host (a local proxy, a test double): the
/// client secret and users' tokens are sent there. The URL is parsed, so the host is the
/// one a request would go to (`http://127.0.0.1:80@evil.example` goes to evil.example).
fn check_domain_url(text: &str) -> Result<(), String> {
    const WHAT_TO_DO: &str = "use the identity domain's https:// URL (the console shows it as \"Domain URL\"); plain http:// is allowed only to this machine (localhost, 127.0.0.1, [::1]), for a local proxy or a test double";
    let url = reqwest::Url::parse(text)
        .map_err(|e| format!("`{text}` is not a URL ({e}): {WHAT_TO_DO}"))?;
    let host = url.host_str().unwrap_or_default();
    match url.scheme() {
        "https" if !host.is_empty() => Ok(()),
        "http" if is_loopback(host) => Ok(()),
        "http" => Err(format!(
            "`{text}` sends the client secret and users' tokens unencrypted to `{host}`, which is not this machine: {WHAT_TO_DO}"
        )),
        _ => Err(format!("`{text}` is not an https:// URL: {WHAT_TO_DO}")),
    }
}

/// `localhost` or a loopback address (`host_str` brackets IPv6 addresses).
fn is_loopback(host: &str) -> bool {
    let bare = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    host.eq_ignore_ascii_case("localhost")
        || bare
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}
