//! Where each service is reached: the public endpoint of the region's realm, or an
//! override from `[oci] endpoint` (every service at one URL, as tests and proxies need) or
//! `[oci.endpoints] <service> = URL`.

use std::collections::BTreeMap;

use crate::region::{Region, Service};

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Endpoints {
    all: Option<String>,
    per_service: BTreeMap<Service, String>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum EndpointError {
    #[error("[oci.endpoints] names `{0}`, which is not a service (known: {known})", known = Service::ALL.map(Service::name).join(", "))]
    UnknownService(String),
    #[error("endpoint `{0}` is not an http:// or https:// URL")]
    NotAUrl(String),
}

impl Endpoints {
    /// `all` for every service not in `per_service` (keyed by [`Service::name`]).
    pub fn new(
        all: Option<&str>,
        per_service: &BTreeMap<String, String>,
    ) -> Result<Self, EndpointError> {
        let mut endpoints = Endpoints::default();
        if let Some(url) = all {
            endpoints.set_all(url)?;
        }
        for (name, url) in per_service {
            endpoints.set_service(name, url)?;
        }
        Ok(endpoints)
    }

    /// Every service not set on its own at `url`.
    pub fn set_all(&mut self, url: &str) -> Result<(), EndpointError> {
        self.all = Some(check_url(url)?);
        Ok(())
    }

    /// The service `name` (a [`Service::name`]) at `url`.
    pub fn set_service(&mut self, name: &str, url: &str) -> Result<(), EndpointError> {
        let service = Service::from_name(name)
            .ok_or_else(|| EndpointError::UnknownService(name.to_owned()))?;
        self.per_service.insert(service, check_url(url)?);
        Ok(())
    }

    /// Every service at `url`.
    pub fn everything_at(url: &str) -> Result<Self, EndpointError> {
        Endpoints::new(Some(url), &BTreeMap::new())
    }

    /// The URL a service's paths are appended to (no trailing slash, no API version).
    pub fn base(&self, service: Service, region: &Region) -> String {
        self.per_service
            .get(&service)
            .or(self.all.as_ref())
            .cloned()
            .unwrap_or_else(|| service.endpoint(region))
    }
}

/// `url` without a trailing slash, if it is an http(s) URL.
fn check_url(url: &str) -> Result<String, EndpointError> {
    if url.starts_with("http://") || url.starts_with("https://") {
        Ok(url.trim_end_matches('/').to_owned())
    } else {
        Err(EndpointError::NotAUrl(url.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overrides_win_over_the_realm() {
        let per = BTreeMap::from([("monitoring".to_owned(), "http://127.0.0.1:9/".to_owned())]);
        let endpoints = Endpoints::new(Some("http://127.0.0.1:8"), &per).expect("valid");
        let region = Region::new("iad");
        assert_eq!(
            endpoints.base(Service::Monitoring, &region),
            "http://127.0.0.1:9"
        );
        assert_eq!(endpoints.base(Service::Core, &region), "http://127.0.0.1:8");
        assert_eq!(
            Endpoints::default().base(Service::Core, &region),
            "https://iaas.us-ashburn-1.oraclecloud.com"
        );
    }

    #[test]
    fn bad_overrides_are_named() {
        let per = BTreeMap::from([("compute".to_owned(), "http://x".to_owned())]);
        assert!(matches!(
            Endpoints::new(None, &per),
            Err(EndpointError::UnknownService(name)) if name == "compute"
        ));
        assert_eq!(
            Endpoints::everything_at("127.0.0.1:8").err(),
            Some(EndpointError::NotAUrl("127.0.0.1:8".to_owned()))
        );
    }
}
