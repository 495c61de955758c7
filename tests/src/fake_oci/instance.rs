//! The fake's compute-instance identity: the certificates IMDS v2 serves
//! (`/opc/v2/identity/{cert,key,intermediate}.pem`, `/opc/v2/instance/region`, only with
//! `Authorization: Bearer Oracle`), and the check of an X.509 federation request
//! (`POST /v1/x509`): signed by the leaf key under `<tenancy>/fed-x509/<SHA-1>`, carrying
//! the same leaf and intermediate certificates and a session public key.
//!
//! The leaf certificate's subject carries `opc-tenant:` and `opc-instance:` as OCI's do.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use rsa::pkcs8::DecodePublicKey;
use rsa::{RsaPrivateKey, RsaPublicKey};
use serde_json::Value;
use x509_cert::der::Encode;

use super::certs;

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
        let intermediate = certs::authority(issuer);
        let instance_id = "ocid1.instance.oc1.iad.fakeinstance".to_owned();
        let leaf = certs::leaf(
            issuer,
            2,
            &format!(
                "CN={instance_id},OU=opc-certtype:instance,OU=opc-compartment:ocid1.compartment.oc1..fakecompartment,OU=opc-instance:{instance_id},OU=opc-tenant:{tenancy}"
            ),
            None,
        );
        InstanceIdentity {
            tenancy: tenancy.to_owned(),
            instance_id,
            region: region.to_owned(),
            leaf_pem: certs::pem(&leaf),
            leaf_der: leaf.to_der().expect("DER"),
            leaf_key_pem: certs::leaf_key_pem(),
            leaf_public: certs::leaf_key().to_public_key(),
            intermediate_pem: certs::pem(&intermediate),
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
