//! OCI request signatures ("Signature version 1", draft-cavage-http-signatures-08 with
//! rsa-sha256): the signing string of `date`, `(request-target)` and `host`, plus
//! `content-length`, `content-type` and `x-content-sha256` for POST, PUT and PATCH (even
//! with an empty body), and the `Authorization` header that carries it.

use std::sync::Arc;
use std::time::SystemTime;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use sha2::{Digest, Sha256};

use crate::keys::PrivateKey;

/// Who signs: the `keyId` the service looks the key up by, and the private key.
///
/// keyIds are `<tenancy>/<user>/<fingerprint>` for API keys and `ST$<token>` for every
/// token-based principal (session token, instance and resource principals, UPSTs).
#[derive(Clone)]
pub struct Signer {
    key_id: String,
    key: Arc<PrivateKey>,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // A token's keyId is the token: never shown. An API key's names the key only.
        let key_id = if self.key_id.starts_with("ST$") {
            "ST$<redacted>"
        } else {
            &self.key_id
        };
        f.debug_struct("Signer")
            .field("key_id", &key_id)
            .field("key", &self.key)
            .finish()
    }
}

/// What is signed of one request. `path_and_query` must be the exact bytes of the
/// request line (percent-encoded); `host` the Host header, with a non-default port.
#[derive(Debug, Clone, Copy)]
pub struct Unsigned<'a> {
    pub method: &'a str,
    pub path_and_query: &'a str,
    pub host: &'a str,
    pub body: &'a [u8],
    pub content_type: &'a str,
}

/// The headers a signed request must carry, exactly as signed.
#[derive(Clone, PartialEq, Eq)]
pub struct Signed {
    pub date: String,
    pub authorization: String,
    /// `content-length`, `content-type` and `x-content-sha256`, for body methods.
    pub body_headers: Option<BodyHeaders>,
}

impl std::fmt::Debug for Signed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The Authorization header carries the keyId (a token, for token principals)
        // and a signature that is valid for a few minutes.
        f.debug_struct("Signed")
            .field("date", &self.date)
            .field("authorization", &"<redacted>")
            .field("body_headers", &self.body_headers)
            .finish()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BodyHeaders {
    pub content_length: usize,
    pub content_type: String,
    pub content_sha256: String,
}

/// Which headers go into the signing string.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Coverage {
    /// What the SDKs sign for service calls.
    Standard,
    /// The X.509 federation request: like `Standard` but without `host`.
    WithoutHost,
}

impl Signer {
    pub fn new(key_id: impl Into<String>, key: Arc<PrivateKey>) -> Self {
        Signer {
            key_id: key_id.into(),
            key,
        }
    }

    /// A signer for a security token (`keyId="ST$<token>"`).
    pub fn for_token(token: &str, key: Arc<PrivateKey>) -> Self {
        Signer::new(format!("ST${token}"), key)
    }

    pub fn key_id(&self) -> &str {
        &self.key_id
    }

    pub fn key(&self) -> &Arc<PrivateKey> {
        &self.key
    }

    /// Signs `request` as of now.
    pub fn sign(&self, request: &Unsigned<'_>) -> Signed {
        self.sign_at(
            request,
            &httpdate::fmt_http_date(SystemTime::now()),
            Coverage::Standard,
        )
    }

    /// Signs `request` with a given `date` header value (RFC 7231 IMF-fixdate), which is
    /// how the test vectors freeze time.
    pub fn sign_at(&self, request: &Unsigned<'_>, date: &str, coverage: Coverage) -> Signed {
        let method = request.method.to_ascii_lowercase();
        let body_headers =
            matches!(method.as_str(), "post" | "put" | "patch").then(|| BodyHeaders {
                content_length: request.body.len(),
                content_type: request.content_type.to_owned(),
                content_sha256: STANDARD.encode(Sha256::digest(request.body)),
            });
        let mut names = vec!["date", "(request-target)"];
        let mut lines = vec![
            format!("date: {date}"),
            format!("(request-target): {method} {}", request.path_and_query),
        ];
        if coverage == Coverage::Standard {
            names.push("host");
            lines.push(format!("host: {}", request.host));
        }
        if let Some(body) = &body_headers {
            names.extend(["content-length", "content-type", "x-content-sha256"]);
            lines.push(format!("content-length: {}", body.content_length));
            lines.push(format!("content-type: {}", body.content_type));
            lines.push(format!("x-content-sha256: {}", body.content_sha256));
        }
        let signature = self.signature(&lines.join("\n"));
        // The parameter order is the Python SDK's; services accept any order, and the OKE
        // token (which embeds this header) then matches `oci ce cluster generate-token`.
        let authorization = format!(
            "Signature algorithm=\"rsa-sha256\",headers=\"{}\",keyId=\"{}\",signature=\"{signature}\",version=\"1\"",
            names.join(" "),
            self.key_id,
        );
        Signed {
            date: date.to_owned(),
            authorization,
            body_headers,
        }
    }

    /// base64(RSASSA-PKCS1-v1_5(SHA-256(text))).
    pub fn signature(&self, text: &str) -> String {
        STANDARD.encode(self.key.sign(text.as_bytes()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_signer_and_its_signatures_print_no_token() {
        let key = Arc::new(
            PrivateKey::from_pem(include_str!("../tests/fixtures/doc_key_pkcs1.pem"), None)
                .expect("the doc key"),
        );
        let token = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzZWNyZXQifQ.c2lnbmF0dXJl";
        let signer = Signer::for_token(token, key.clone());
        let signed = signer.sign(&Unsigned {
            method: "GET",
            path_and_query: "/",
            host: "example.com",
            body: b"",
            content_type: "application/json",
        });
        for debug in [format!("{signer:?}"), format!("{signed:?}")] {
            assert!(!debug.contains(token), "{debug}");
            assert!(!debug.contains("c2lnbmF0dXJl"), "{debug}");
        }
        let signature = signed
            .authorization
            .split("signature=\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .expect("a signature");
        assert!(!format!("{signed:?}").contains(signature));
        // An API key's keyId names the key, not a secret: it stays readable.
        let api = Signer::new("ocid1.tenancy.oc1..t/ocid1.user.oc1..u/aa:bb", key);
        assert!(format!("{api:?}").contains("ocid1.user.oc1..u/aa:bb"));
    }

    const DATE: &str = "Thu, 05 Jan 2014 21:31:40 GMT";
    const HOST: &str = "iaas.us-phoenix-1.oraclecloud.com";
    const KEY_ID: &str = "ocid1.tenancy.oc1..aaaaaaaaba3pv6wkcr4jqae5f15p2b2m2yt2j6rx32uzr4h25vqstifsfdsq/ocid1.user.oc1..aaaaaaaat5nvwcna5j6aqzjcaty5eqbb6qt2jvpkanghtgdaqedqw3rynjq/73:61:a2:21:67:e0:df:be:7e:4b:93:1e:15:98:a5:b7";

    fn signer() -> Signer {
        let pem = include_str!("../tests/fixtures/doc_key_pkcs1.pem");
        let key = PrivateKey::from_pem(pem, None).expect("the doc key");
        Signer::new(KEY_ID, Arc::new(key))
    }

    fn signature_of(authorization: &str) -> &str {
        authorization
            .split("signature=\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .unwrap_or("")
    }

    #[test]
    fn vector_a_get() {
        let signed = signer().sign_at(
            &Unsigned {
                method: "GET",
                path_and_query: "/20160918/instances?availabilityDomain=Pjwf%3A%20PHX-AD-1&compartmentId=ocid1.compartment.oc1..aaaaaaaam3we6vgnherjq5q2idnccdflvjsnog7mlr6rtdb25gilchfeyjxa&displayName=TeamXInstances&volumeId=ocid1.volume.oc1.phx.abyhqljrgvttnlx73nmrwfaux7kcvzfs3s66izvxf2h4lgvyndsdsnoiwr5q",
                host: HOST,
                body: b"",
                content_type: "application/json",
            },
            DATE,
            Coverage::Standard,
        );
        assert_eq!(
            signature_of(&signed.authorization),
            "GBas7grhyrhSKHP6AVIj/h5/Vp8bd/peM79H9Wv8kjoaCivujVXlpbKLjMPeDUhxkFIWtTtLBj3sUzaFj34XE6YZAHc9r2DmE4pMwOAy/kiITcZxa1oHPOeRheC0jP2dqbTll8fmTZVwKZOKHYPtrLJIJQHJjNvxFWeHQjMaR7M="
        );
        assert!(
            signed
                .authorization
                .contains("headers=\"date (request-target) host\"")
        );
        assert_eq!(signed.body_headers, None);
    }

    #[test]
    fn vector_b_post_with_body() {
        let body = "{\n    \"compartmentId\": \"ocid1.compartment.oc1..aaaaaaaam3we6vgnherjq5q2idnccdflvjsnog7mlr6rtdb25gilchfeyjxa\",\n    \"instanceId\": \"ocid1.instance.oc1.phx.abuw4ljrlsfiqw6vzzxb43vyypt4pkodawglp3wqxjqofakrwvou52gb6s5a\",\n    \"volumeId\": \"ocid1.volume.oc1.phx.abyhqljrgvttnlx73nmrwfaux7kcvzfs3s66izvxf2h4lgvyndsdsnoiwr5q\"\n}";
        assert_eq!(body.len(), 316);
        let signed = signer().sign_at(
            &Unsigned {
                method: "POST",
                path_and_query: "/20160918/volumeAttachments",
                host: HOST,
                body: body.as_bytes(),
                content_type: "application/json",
            },
            DATE,
            Coverage::Standard,
        );
        let body_headers = signed.body_headers.clone().expect("body headers");
        assert_eq!(
            body_headers.content_sha256,
            "V9Z20UJTvkvpJ50flBzKE32+6m2zJjweHpDMX/U4Uy0="
        );
        assert_eq!(body_headers.content_length, 316);
        assert_eq!(
            signature_of(&signed.authorization),
            "Mje8vIDPlwIHmD/cTDwRxE7HaAvBg16JnVcsuqaNRim23fFPgQfLoOOxae6WqKb1uPjYEl0qIdazWaBy/Ml8DRhqlocMwoSXv0fbukP8J5N80LCmzT/FFBvIvTB91XuXI3hYfP9Zt1l7S6ieVadHUfqBedWH0itrtPJBgKmrWso="
        );
        assert!(signed.authorization.contains(
            "headers=\"date (request-target) host content-length content-type x-content-sha256\""
        ));
    }

    #[test]
    fn vector_c_bodyless_post_signs_the_empty_body() {
        let signed = signer().sign_at(
            &Unsigned {
                method: "POST",
                path_and_query: "/20160918/instances/ocid1.instance.oc1.phx.abuw4ljrlsfiqw6vzzxb43vyypt4pkodawglp3wqxjqofakrwvou52gb6s5a?action=STOP",
                host: HOST,
                body: b"",
                content_type: "application/json",
            },
            DATE,
            Coverage::Standard,
        );
        assert_eq!(
            signed
                .body_headers
                .map(|b| (b.content_length, b.content_sha256)),
            Some((0, "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=".to_owned()))
        );
        assert_eq!(
            signature_of(&signed.authorization),
            "qAuvrAi9pixs96VVF+2onw1P80uJ8+rmY2md8XuJkFPXFkd70xhTm5beuLx1Xm/+v3Y+1jitpT3nLcyYazi8hi5Pd11Duqv/YdQxxH+tlUjP6wIOKJH1hMzikHZdIhrElY9T95OIpqCrCX23SBcJRCUUvX7SUJmebjn9xZrRs4M="
        );
    }

    #[test]
    fn vector_d_token_key_id_signs_the_same() {
        let plain = signer();
        let token = Signer::for_token("eyJhbGciOiJSUzI1NiJ9.e30.sig", plain.key().clone());
        let request = Unsigned {
            method: "GET",
            path_and_query: "/20160918/instances",
            host: HOST,
            body: b"",
            content_type: "application/json",
        };
        let a = plain.sign_at(&request, DATE, Coverage::Standard);
        let d = token.sign_at(&request, DATE, Coverage::Standard);
        assert_eq!(
            signature_of(&a.authorization),
            signature_of(&d.authorization)
        );
        assert!(
            d.authorization
                .contains("keyId=\"ST$eyJhbGciOiJSUzI1NiJ9.e30.sig\"")
        );
    }

    #[test]
    fn federation_coverage_leaves_out_host() {
        let signed = signer().sign_at(
            &Unsigned {
                method: "POST",
                path_and_query: "/v1/x509",
                host: HOST,
                body: b"{}",
                content_type: "application/json",
            },
            DATE,
            Coverage::WithoutHost,
        );
        assert!(signed.authorization.contains(
            "headers=\"date (request-target) content-length content-type x-content-sha256\""
        ));
    }
}
