//! Regions, realms and service endpoints: `iad` or `us-ashburn-1` to
//! `https://iaas.us-ashburn-1.oraclecloud.com`, for every realm the Python SDK 2.189.0
//! knows, with the per-service host templates and API version prefixes.

use std::fmt;

/// A region and the second-level domain of its realm.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Region {
    id: String,
    domain: String,
}

impl Region {
    /// A region id (`us-ashburn-1`) or short code (`iad`, any case). Regions this table does
    /// not know are taken as they are, in the commercial realm (`oraclecloud.com`) unless
    /// `OCI_DEFAULT_REALM` names another domain, as the SDKs do.
    pub fn new(text: &str) -> Self {
        let text = text.trim().to_ascii_lowercase();
        let known = REGIONS
            .iter()
            .find(|(id, code, _)| *id == text || *code == text);
        match known {
            Some((id, _, realm)) => Region {
                id: (*id).to_owned(),
                domain: realm_domain(realm).to_owned(),
            },
            None => Region {
                id: text,
                domain: std::env::var("OCI_DEFAULT_REALM")
                    .ok()
                    .filter(|d| !d.is_empty())
                    .unwrap_or_else(|| "oraclecloud.com".to_owned()),
            },
        }
    }

    /// The canonical region id, `us-ashburn-1`.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The realm's domain, `oraclecloud.com`.
    pub fn domain(&self) -> &str {
        &self.domain
    }
}

impl fmt::Display for Region {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.id)
    }
}

/// The OCI services this client calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Service {
    /// Compute, Virtual Network, Block Storage.
    Core,
    Monitoring,
    Usage,
    Database,
    LoggingSearch,
    Identity,
    ContainerEngine,
    CloudGuard,
    ResourceSearch,
    /// Log Analytics (Logging Analytics): namespaces, sources, queries.
    LogAnalytics,
    /// The auth service: X.509 federation and session refresh.
    Auth,
}

impl Service {
    pub const ALL: [Service; 11] = [
        Service::Core,
        Service::Monitoring,
        Service::Usage,
        Service::Database,
        Service::LoggingSearch,
        Service::Identity,
        Service::ContainerEngine,
        Service::CloudGuard,
        Service::ResourceSearch,
        Service::LogAnalytics,
        Service::Auth,
    ];

    /// The name used in `[oci.endpoints]`.
    pub fn name(self) -> &'static str {
        match self {
            Service::Core => "core",
            Service::Monitoring => "monitoring",
            Service::Usage => "usage",
            Service::Database => "database",
            Service::LoggingSearch => "logging",
            Service::Identity => "identity",
            Service::ContainerEngine => "containerengine",
            Service::CloudGuard => "cloudguard",
            Service::ResourceSearch => "search",
            Service::LogAnalytics => "loganalytics",
            Service::Auth => "auth",
        }
    }

    pub fn from_name(name: &str) -> Option<Service> {
        Service::ALL.into_iter().find(|s| s.name() == name)
    }

    /// The API version prefix of every path.
    pub fn base_path(self) -> &'static str {
        match self {
            Service::Core | Service::Database | Service::Identity => "/20160918",
            Service::Monitoring => "/20180401",
            Service::Usage => "/20200107",
            Service::LoggingSearch => "/20190909",
            Service::ContainerEngine => "/20180222",
            Service::CloudGuard => "/20200131",
            Service::ResourceSearch => "/20180409",
            Service::LogAnalytics => "/20200601",
            Service::Auth => "",
        }
    }

    /// `https://<host>` for `region`.
    pub fn endpoint(self, region: &Region) -> String {
        let (r, d) = (region.id(), region.domain());
        match self {
            Service::Core => format!("https://iaas.{r}.{d}"),
            Service::Monitoring => format!("https://telemetry.{r}.{d}"),
            Service::Usage => format!("https://usageapi.{r}.oci.{d}"),
            Service::Database => format!("https://database.{r}.{d}"),
            Service::LoggingSearch => format!("https://logging.{r}.oci.{d}"),
            Service::Identity => format!("https://identity.{r}.oci.{d}"),
            Service::ContainerEngine => format!("https://containerengine.{r}.oci.{d}"),
            Service::CloudGuard => format!("https://cloudguard-cp-api.{r}.oci.{d}"),
            Service::ResourceSearch => format!("https://query.{r}.oci.{d}"),
            Service::LogAnalytics => format!("https://loganalytics.{r}.oci.{d}"),
            Service::Auth => format!("https://auth.{r}.{d}"),
        }
    }
}

fn realm_domain(realm: &str) -> &'static str {
    match realm {
        "oc2" | "oc3" => "oraclegovcloud.com",
        "oc4" => "oraclegovcloud.uk",
        "oc8" => "oraclecloud8.com",
        "oc9" => "oraclecloud9.com",
        "oc10" => "oraclecloud10.com",
        "oc14" => "oraclecloud14.com",
        "oc15" => "oraclecloud15.com",
        "oc19" => "oraclecloud.eu",
        "oc20" => "oraclecloud20.com",
        "oc21" => "oraclecloud21.com",
        "oc23" => "oraclecloud23.com",
        "oc24" => "oraclecloud24.com",
        "oc26" => "oraclecloud26.com",
        "oc29" => "oraclecloud29.com",
        "oc35" => "oraclecloud35.com",
        "oc42" => "oraclecloud42.com",
        "oc51" => "oraclecloud51.com",
        "oc52" => "oraclecloud52.com",
        _ => "oraclecloud.com",
    }
}

/// Region id, short code, realm (Python SDK 2.189.0).
const REGIONS: &[(&str, &str, &str)] = &[
    ("ap-chuncheon-1", "yny", "oc1"),
    ("ap-hyderabad-1", "hyd", "oc1"),
    ("ap-melbourne-1", "mel", "oc1"),
    ("ap-mumbai-1", "bom", "oc1"),
    ("ap-osaka-1", "kix", "oc1"),
    ("ap-seoul-1", "icn", "oc1"),
    ("ap-sydney-1", "syd", "oc1"),
    ("ap-tokyo-1", "nrt", "oc1"),
    ("ca-montreal-1", "yul", "oc1"),
    ("ca-toronto-1", "yyz", "oc1"),
    ("eu-amsterdam-1", "ams", "oc1"),
    ("eu-frankfurt-1", "fra", "oc1"),
    ("eu-zurich-1", "zrh", "oc1"),
    ("me-jeddah-1", "jed", "oc1"),
    ("me-dubai-1", "dxb", "oc1"),
    ("sa-saopaulo-1", "gru", "oc1"),
    ("uk-cardiff-1", "cwl", "oc1"),
    ("uk-london-1", "lhr", "oc1"),
    ("us-ashburn-1", "iad", "oc1"),
    ("us-phoenix-1", "phx", "oc1"),
    ("us-sanjose-1", "sjc", "oc1"),
    ("sa-vinhedo-1", "vcp", "oc1"),
    ("sa-santiago-1", "scl", "oc1"),
    ("il-jerusalem-1", "mtz", "oc1"),
    ("eu-marseille-1", "mrs", "oc1"),
    ("ap-singapore-1", "sin", "oc1"),
    ("me-abudhabi-1", "auh", "oc1"),
    ("eu-milan-1", "lin", "oc1"),
    ("eu-stockholm-1", "arn", "oc1"),
    ("af-johannesburg-1", "jnb", "oc1"),
    ("eu-paris-1", "cdg", "oc1"),
    ("mx-queretaro-1", "qro", "oc1"),
    ("eu-madrid-1", "mad", "oc1"),
    ("us-chicago-1", "ord", "oc1"),
    ("mx-monterrey-1", "mty", "oc1"),
    ("us-saltlake-2", "aga", "oc1"),
    ("sa-bogota-1", "bog", "oc1"),
    ("sa-valparaiso-1", "vap", "oc1"),
    ("ap-singapore-2", "xsp", "oc1"),
    ("me-riyadh-1", "ruh", "oc1"),
    ("ap-delhi-1", "onm", "oc1"),
    ("ap-batam-1", "hsg", "oc1"),
    ("eu-madrid-3", "orf", "oc1"),
    ("eu-turin-1", "nrq", "oc1"),
    ("ap-kulai-2", "jbp", "oc1"),
    ("af-casablanca-1", "lej", "oc1"),
    ("us-langley-1", "lfi", "oc2"),
    ("us-luke-1", "luf", "oc2"),
    ("us-gov-ashburn-1", "ric", "oc3"),
    ("us-gov-chicago-1", "pia", "oc3"),
    ("us-gov-phoenix-1", "tus", "oc3"),
    ("uk-gov-london-1", "ltn", "oc4"),
    ("uk-gov-cardiff-1", "brs", "oc4"),
    ("ap-chiyoda-1", "nja", "oc8"),
    ("ap-ibaraki-1", "ukb", "oc8"),
    ("me-dcc-muscat-1", "mct", "oc9"),
    ("me-ibri-1", "ibr", "oc9"),
    ("ap-dcc-canberra-1", "wga", "oc10"),
    ("eu-dcc-milan-1", "bgy", "oc14"),
    ("eu-dcc-milan-2", "mxp", "oc14"),
    ("eu-dcc-dublin-2", "snn", "oc14"),
    ("eu-dcc-rating-2", "dtm", "oc14"),
    ("eu-dcc-rating-1", "dus", "oc14"),
    ("eu-dcc-dublin-1", "ork", "oc14"),
    ("ap-dcc-gazipur-1", "dac", "oc15"),
    ("eu-madrid-2", "vll", "oc19"),
    ("eu-frankfurt-2", "str", "oc19"),
    ("eu-jovanovac-1", "beg", "oc20"),
    ("me-dcc-doha-1", "doh", "oc21"),
    ("me-alrayyan-1", "vve", "oc21"),
    ("us-somerset-1", "ebb", "oc23"),
    ("us-thames-1", "ebl", "oc23"),
    ("eu-dcc-zurich-1", "avz", "oc24"),
    ("eu-crissier-1", "avf", "oc24"),
    ("me-abudhabi-3", "ahu", "oc26"),
    ("me-alain-1", "rba", "oc26"),
    ("me-abudhabi-2", "rkt", "oc29"),
    ("me-abudhabi-4", "shj", "oc29"),
    ("ap-seoul-2", "dtz", "oc35"),
    ("ap-suwon-1", "dln", "oc35"),
    ("ap-chuncheon-2", "bno", "oc35"),
    ("us-ashburn-2", "yxj", "oc42"),
    ("us-newark-1", "pgc", "oc42"),
    ("eu-budapest-1", "jsk", "oc51"),
    ("sa-riodejaneiro-1", "hnw", "oc52"),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_codes_and_ids_name_the_same_region() {
        assert_eq!(Region::new("IAD"), Region::new("us-ashburn-1"));
        assert_eq!(
            Service::Core.endpoint(&Region::new("iad")),
            "https://iaas.us-ashburn-1.oraclecloud.com"
        );
        assert_eq!(
            Service::Usage.endpoint(&Region::new("eu-frankfurt-2")),
            "https://usageapi.eu-frankfurt-2.oci.oraclecloud.eu"
        );
        assert_eq!(
            Service::Core.endpoint(&Region::new("us-gov-ashburn-1")),
            "https://iaas.us-gov-ashburn-1.oraclegovcloud.com"
        );
        assert_eq!(
            Service::Auth.endpoint(&Region::new("us-ashburn-1")),
            "https://auth.us-ashburn-1.oraclecloud.com"
        );
    }

    #[test]
    fn every_service_has_a_name_that_reads_back() {
        for service in Service::ALL {
            assert_eq!(Service::from_name(service.name()), Some(service));
        }
        assert_eq!(REGIONS.len(), 85);
    }
}
