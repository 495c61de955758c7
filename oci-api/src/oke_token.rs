//! The bearer token an OKE cluster's API server accepts, minted exactly as
//! `oci ce cluster generate-token` does, so the host needs no `oci` CLI: a signed
//! `GET https://containerengine.<region>.<domain>/cluster_request/<cluster>`, its
//! `authorization` and `date` headers put into the URL's query, the whole URL in
//! base64url (padding kept).

use std::time::{Duration, SystemTime};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE;

use crate::region::Region;
use crate::signer::{Coverage, Signer, Unsigned};

/// How long kubectl may use a token (the CLI says 4 minutes).
pub const LIFETIME: Duration = Duration::from_secs(240);

/// The token for `cluster_id` in `region`, signed as of `date` (RFC 7231).
pub fn token_at(signer: &Signer, region: &Region, cluster_id: &str, date: &str) -> String {
    // The CLI uses the legacy host without `.oci.`.
    let host = format!("containerengine.{}.{}", region.id(), region.domain());
    let path = format!("/cluster_request/{cluster_id}");
    let signed = signer.sign_at(
        &Unsigned {
            method: "GET",
            path_and_query: &path,
            host: &host,
            body: b"",
            content_type: "application/json",
        },
        date,
        Coverage::Standard,
    );
    let query = crate::wire::query_string(&[
        ("authorization", &signed.authorization),
        ("date", &signed.date),
    ]);
    URL_SAFE.encode(format!("https://{host}{path}?{query}"))
}

/// The token as of now, and when it stops being good.
pub fn token(signer: &Signer, region: &Region, cluster_id: &str) -> (String, SystemTime) {
    let now = SystemTime::now();
    (
        token_at(signer, region, cluster_id, &httpdate::fmt_http_date(now)),
        now + LIFETIME,
    )
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::keys::PrivateKey;

    #[test]
    fn the_token_matches_the_cli_vector() {
        let key = PrivateKey::from_pem(include_str!("../tests/fixtures/doc_key_pkcs1.pem"), None)
            .expect("the doc key");
        let signer = Signer::new(
            "ocid1.tenancy.oc1..aaaaaaaaba3pv6wkcr4jqae5f15p2b2m2yt2j6rx32uzr4h25vqstifsfdsq/ocid1.user.oc1..aaaaaaaat5nvwcna5j6aqzjcaty5eqbb6qt2jvpkanghtgdaqedqw3rynjq/73:61:a2:21:67:e0:df:be:7e:4b:93:1e:15:98:a5:b7",
            Arc::new(key),
        );
        let token = token_at(
            &signer,
            &Region::new("us-ashburn-1"),
            "ocid1.cluster.oc1.iad.aaaaaaaaexample",
            "Thu, 05 Jan 2014 21:31:40 GMT",
        );
        assert_eq!(
            token,
            include_str!("../tests/fixtures/oke_token.txt").trim()
        );
    }
}
