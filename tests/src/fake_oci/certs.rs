//! Certificates the fakes issue at test time: a certificate authority on the fake's
//! issuer key, and certificates it signs for the leaf key (`tests/fixtures/oci/
//! leaf_key.pem`): the instance identity IMDS serves, and the proxymux's TLS certificate.

use std::net::IpAddr;
use std::str::FromStr;
use std::time::Duration;

use rsa::pkcs1v15::SigningKey;
use rsa::pkcs8::DecodePrivateKey;
use rsa::{RsaPrivateKey, RsaPublicKey};
use sha2::Sha256;
use x509_cert::Certificate;
use x509_cert::builder::{Builder, CertificateBuilder, Profile};
use x509_cert::der::EncodePem;
use x509_cert::der::asn1::OctetString;
use x509_cert::ext::pkix::SubjectAltName;
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::name::Name;
use x509_cert::serial_number::SerialNumber;
use x509_cert::spki::SubjectPublicKeyInfoOwned;
use x509_cert::time::Validity;

const AUTHORITY: &str = "CN=PKISVC Identity Intermediate r2,O=Fake OCI";

/// The PEM of the key every issued certificate certifies.
pub fn leaf_key_pem() -> String {
    std::fs::read_to_string(crate::fixture("oci/leaf_key.pem"))
        .expect("tests/fixtures/oci/leaf_key.pem")
}

pub fn leaf_key() -> RsaPrivateKey {
    RsaPrivateKey::from_pkcs8_pem(&leaf_key_pem()).expect("the leaf key")
}

fn name(text: &str) -> Name {
    Name::from_str(text).expect("a valid distinguished name")
}

fn build(
    issuer: &RsaPrivateKey,
    profile: Profile,
    serial: u32,
    subject: Name,
    public: &RsaPublicKey,
    ip: Option<IpAddr>,
) -> Certificate {
    let signer = SigningKey::<Sha256>::new(issuer.clone());
    let mut builder = CertificateBuilder::new(
        profile,
        SerialNumber::from(serial),
        Validity::from_now(Duration::from_secs(86_400)).expect("a validity"),
        subject,
        SubjectPublicKeyInfoOwned::from_key(public.clone()).expect("an SPKI"),
        &signer,
    )
    .expect("a certificate builder");
    if let Some(ip) = ip {
        let octets = match ip {
            IpAddr::V4(v4) => v4.octets().to_vec(),
            IpAddr::V6(v6) => v6.octets().to_vec(),
        };
        builder
            .add_extension(&SubjectAltName(vec![GeneralName::IpAddress(
                OctetString::new(octets).expect("an octet string"),
            )]))
            .expect("a subjectAltName");
    }
    builder
        .build::<rsa::pkcs1v15::Signature>()
        .expect("a signed certificate")
}

/// The authority's own certificate (what clients trust).
pub fn authority(issuer: &RsaPrivateKey) -> Certificate {
    build(
        issuer,
        Profile::SubCA {
            issuer: name(AUTHORITY),
            path_len_constraint: None,
        },
        1,
        name(AUTHORITY),
        &issuer.to_public_key(),
        None,
    )
}

/// A certificate for the leaf key with `subject` (and `ip` as its subjectAltName).
pub fn leaf(issuer: &RsaPrivateKey, serial: u32, subject: &str, ip: Option<IpAddr>) -> Certificate {
    build(
        issuer,
        Profile::Leaf {
            issuer: name(AUTHORITY),
            enable_key_agreement: false,
            enable_key_encipherment: true,
        },
        serial,
        name(subject),
        &leaf_key().to_public_key(),
        ip,
    )
}

pub fn pem(certificate: &Certificate) -> String {
    certificate
        .to_pem(x509_cert::der::pem::LineEnding::LF)
        .expect("PEM")
}
