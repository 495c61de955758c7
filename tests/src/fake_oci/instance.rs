//! The fake's compute-instance identity: the certificates IMDS v2 serves
//! (`/opc/v2/identity/{cert,key,intermediate}.pem`, `/opc/v2/instance/region`, only with
//! `Authorization: Bearer Oracle`), and the check of an X.509 federation request
//! (`POST /v1/x509`): signed by the leaf key under `<tenancy>/fed-x509/<SHA-1>`, carrying
//! the same leaf and intermediate certificates and a session public key.
//!
//! The certificates are made at test time: an intermediate CA (the fake's issuer key) and
//! a leaf whose subject carries `opc-tenant:` and `opc-instance:` as OCI's do.

use std::str::FromStr;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use rsa::pkcs1v15::SigningKey;
use rsa::pkcs8::{DecodePrivateKey, DecodePublicKey, EncodePrivateKey};
use rsa::{RsaPrivateKey, RsaPublicKey};
use serde_json::Value;
use sha2::Sha256;
use x509_cert::builder::{Builder, CertificateBuilder, Profile};
use x509_cert::der::{Encode, EncodePem};
use x509_cert::name::Name;
use x509_cert::serial_number::SerialNumber;
use x509_cert::spki::SubjectPublicKeyInfoOwned;
use x509_cert::time::Validity;

/// What the fake instance is, and what its IMDS serves.
pub struct InstanceIdentity {
    pub tenancy: String,
    pub instance_id: String,
    pub region: String,
    leaf_pem: String,
    leaf_der: Vec<u8>,
    leaf_key_pem: String,
    pub leaf_public: RsaPublicKey,
    intermediate_pem: String,
    intermediate_der: Vec<u8>,
}

impl InstanceIdentity {
    /// An instance of `tenancy` in `region` (as IMDS words it: `iad` or `us-ashburn-1`),
    /// its certificates issued by `issuer`.
    pub fn new(issuer: &RsaPrivateKey, tenancy: &str, region: &str) -> InstanceIdentity {
        let leaf_key_pem = std::fs::read_to_string(crate::fixture("oci/instance_leaf_key.pem"))
            .expect("tests/fixtures/oci/instance_leaf_key.pem");
        let leaf_key = RsaPrivateKey::from_pkcs8_pem(&leaf_key_pem).expect("the leaf key");
        let ca_signer = SigningKey::<Sha256>::new(issuer.clone());
        let ca_name =
            Name::from_str("CN=PKISVC Identity Intermediate r2,O=Fake OCI").expect("a valid name");
        let intermediate = CertificateBuilder::new(
            Profile::SubCA {
                issuer: ca_name.clone(),
                path_len_constraint: None,
            },
            SerialNumber::from(1u32),
            Validity::from_now(Duration::from_secs(86_400)).expect("a validity"),
            ca_name.clone(),
            SubjectPublicKeyInfoOwned::from_key(issuer.to_public_key()).expect("an spki"),
            &ca_signer,
        )
        .expect("an intermediate builder")
        .build::<rsa::pkcs1v15::Signature>()
        .expect("the intermediate certificate");
        let instance_id = "ocid1.instance.oc1.iad.fakeinstance".to_owned();
        let subject = Name::from_str(&format!(
            "CN={instance_id},OU=opc-certtype:instance,OU=opc-compartment:ocid1.compartment.oc1..fakecompartment,OU=opc-instance:{instance_id},OU=opc-tenant:{tenancy}"
        ))
        .expect("a valid subject");
        let leaf = CertificateBuilder::new(
            Profile::Leaf {
                issuer: ca_name,
                enable_key_agreement: false,
                enable_key_encipherment: false,
            },
            SerialNumber::from(2u32),
            Validity::from_now(Duration::from_secs(86_400)).expect("a validity"),
            subject,
            SubjectPublicKeyInfoOwned::from_key(leaf_key.to_public_key()).expect("an spki"),
            &ca_signer,
        )
        .expect("a leaf builder")
        .build::<rsa::pkcs1v15::Signature>()
        .expect("the leaf certificate");
        let pem = |cert: &x509_cert::Certificate| {
            cert.to_pem(x509_cert::der::pem::LineEnding::LF)
                .expect("PEM")
        };
        InstanceIdentity {
            tenancy: tenancy.to_owned(),
            instance_id,
            region: region.to_owned(),
            leaf_pem: pem(&leaf),
            leaf_der: leaf.to_der().expect("DER"),
            leaf_key_pem: leaf_key
                .to_pkcs8_pem(rsa::pkcs8::LineEnding::LF)
                .expect("PEM")
                .to_string(),
            leaf_public: leaf_key.to_public_key(),
            intermediate_pem: pem(&intermediate),
            intermediate_der: intermediate.to_der().expect("DER"),
        }
    }

    /// The keyId a federation request must be signed under.
    pub fn federation_key_id(&self) -> String {
        use sha1::Digest;
        let fingerprint = sha1::Sha1::digest(&self.leaf_der)
            .iter()
            .map(|b| format!("{b:02X}"))
            .collect::<Vec<_>>()
            .join(":");
        format!("{}/fed-x509/{fingerprint}", self.tenancy)
    }

    /// IMDS: the answer to `GET /opc/v2/<path>`, `None` for paths it does not serve.
    pub fn metadata(&self, path: &str) -> Option<String> {
        Some(match path {
            "identity/cert.pem" => self.leaf_pem.clone(),
            "identity/key.pem" => self.leaf_key_pem.clone(),
            "identity/intermediate.pem" => self.intermediate_pem.clone(),
            "instance/region" => self.region.clone(),
            "instance/id" => self.instance_id.clone(),
            _ => return None,
        })
    }

    /// Checks a federation body and returns the session public key to put in the token.
    pub fn check_federation(&self, body: &[u8]) -> Result<RsaPublicKey, String> {
        let body: Value =
            serde_json::from_slice(body).map_err(|_| "the body is not JSON".to_owned())?;
        let text = |name: &str| {
            body.get(name)
                .and_then(Value::as_str)
                .ok_or(format!("`{name}` is missing"))
        };
        if text("certificate")? != STANDARD.encode(&self.leaf_der) {
            return Err("`certificate` is not this instance's certificate".to_owned());
        }
        let intermediates = body
            .get("intermediateCertificates")
            .and_then(Value::as_array)
            .ok_or("`intermediateCertificates` is missing")?;
        if intermediates.first().and_then(Value::as_str)
            != Some(STANDARD.encode(&self.intermediate_der).as_str())
        {
            return Err("`intermediateCertificates` does not hold the intermediate".to_owned());
        }
        let public = STANDARD
            .decode(text("publicKey")?)
            .map_err(|_| "`publicKey` is not base64".to_owned())?;
        RsaPublicKey::from_public_key_der(&public)
            .map_err(|_| "`publicKey` is not a DER SubjectPublicKeyInfo".to_owned())
    }
}
