//! The API key tests sign with: the key of OCI's signing documentation
//! (`oci-api/tests/fixtures/doc_key_pkcs1.pem`), the user and tenancy it belongs to, a
//! config-file profile naming it, and a client built from that profile.

use std::path::{Path, PathBuf};

use oci_api::auth::{self, AuthSettings, Environment};
use oci_api::{Client, PrivateKey};

use super::FakeOci;

pub const TENANCY: &str =
    "ocid1.tenancy.oc1..aaaaaaaaba3pv6wkcr4jqae5f15p2b2m2yt2j6rx32uzr4h25vqstifsfdsq";
pub const USER: &str =
    "ocid1.user.oc1..aaaaaaaat5nvwcna5j6aqzjcaty5eqbb6qt2jvpkanghtgdaqedqw3rynjq";
pub const FINGERPRINT: &str = "73:61:a2:21:67:e0:df:be:7e:4b:93:1e:15:98:a5:b7";

/// `<tenancy>/<user>/<fingerprint>`: what requests signed with the key carry.
pub fn key_id() -> String {
    format!("{TENANCY}/{USER}/{FINGERPRINT}")
}

pub fn path() -> PathBuf {
    crate::root().join("oci-api/tests/fixtures/doc_key_pkcs1.pem")
}

pub fn key() -> PrivateKey {
    let pem = std::fs::read_to_string(path()).expect("the doc key");
    PrivateKey::from_pem(&pem, None).expect("readable")
}

/// An OCI config file whose `[DEFAULT]` profile is this key's, in us-ashburn-1.
pub fn config() -> String {
    format!(
        "[DEFAULT]\nuser={USER}\nfingerprint={FINGERPRINT}\ntenancy={TENANCY}\nregion=us-ashburn-1\nkey_file={}\n",
        path().display()
    )
}

/// A client of `fake` signing with the key, from [`config`] written in `dir`. The fake
/// accepts its requests once it [trusts](FakeOci::trust_doc_key) the key.
pub async fn client(fake: &FakeOci, dir: &Path) -> Client {
    let config_file = dir.join("config");
    std::fs::write(&config_file, config()).expect("write the config");
    let settings = AuthSettings {
        config_file: Some(config_file),
        ..AuthSettings::default()
    };
    crate::init();
    let http = reqwest::Client::new();
    let auth = auth::from_settings(&settings, &Environment::default(), &fake.endpoints(), &http)
        .await
        .expect("api_key provider");
    Client::new(http, auth, fake.endpoints())
}
