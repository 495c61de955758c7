//! Our signer against the Python OCI SDK (the `oci-sdk` venv from tests/bootstrap.sh):
//! 200 randomized requests (methods, hosts with and without ports, encoded paths and
//! queries, UTF-8 bodies, every key form, API-key and token keyIds) must give the very
//! same Authorization header, byte for byte, and the same request line (our query
//! encoding is the SDK's).

use std::io::Write;
use std::process::{Command, Stdio};
use std::sync::Arc;

use oci_api::PrivateKey;
use oci_api::signer::{Coverage, Signer, Unsigned};
use oci_api::wire::{query_string, quote_plus};
use serde_json::{Value, json};

/// A small deterministic generator (xorshift), so a failure can be reproduced.
struct Random(u64);

impl Random {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }

    fn text(&mut self, len: usize) -> String {
        const CHARS: &[&str] = &[
            "a", "Z", "0", " ", "/", "+", "=", ":", "&", "?", "é", "日", "\"", "%", "~", "*",
        ];
        (0..len).map(|_| self.pick(CHARS)).collect()
    }
}

#[test]
fn two_hundred_random_requests_sign_exactly_as_the_python_sdk_signs_them() {
    let python = ocimcp_tests::venv("oci-sdk").join("bin/python");
    let fixtures = ocimcp_tests::root().join("oci-api/tests/fixtures");
    let keys = [
        ("doc_key_pkcs1.pem", None),
        ("doc_key_pkcs8.pem", None),
        ("doc_key_pkcs8_encrypted.pem", Some("secret words")),
        ("doc_key_legacy_aes128.pem", Some("secret words")),
    ];
    let mut random = Random(0x5eed_0c1a_b1e5_0001);
    let mut requests = Vec::new();
    let mut ours = Vec::new();
    for i in 0..200 {
        let (file, passphrase) = keys[i % keys.len()];
        let key_file = fixtures.join(file);
        let pem = std::fs::read_to_string(&key_file).expect("key fixture");
        let key = Arc::new(PrivateKey::from_pem(&pem, passphrase).expect("readable"));
        let signer = if random.below(3) == 0 {
            Signer::for_token(&format!("eyJhbGciOiJSUzI1NiJ9.e30.{}", random.next()), key)
        } else {
            Signer::new(
                format!(
                    "ocid1.tenancy.oc1..t{i}/ocid1.user.oc1..u{i}/{}",
                    key.fingerprint()
                ),
                key,
            )
        };
        let method = random.pick(&["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"]);
        let host = match random.below(3) {
            0 => "iaas.us-ashburn-1.oraclecloud.com".to_owned(),
            1 => format!("127.0.0.1:{}", 1024 + random.below(60000)),
            _ => "telemetry.eu-frankfurt-1.oraclecloud.com".to_owned(),
        };
        let mut path = format!("/2016{:04}/", random.below(10000));
        path.push_str(random.pick(&[
            "instances",
            "vcns",
            "metrics/actions/summarizeMetricsData",
            "compartments",
        ]));
        let segment_count = random.below(3);
        for _ in 0..segment_count {
            let len = 1 + random.below(12);
            let segment = random.text(len);
            path.push('/');
            path.push_str(&quote_plus(&segment));
        }
        let mut pairs = Vec::new();
        let count = random.below(4);
        for _ in 0..count {
            let name = random.pick(&[
                "compartmentId",
                "limit",
                "page",
                "displayName",
                "lifecycleState",
            ]);
            let len = random.below(20);
            let value = random.text(len);
            pairs.push((name, value));
        }
        let pairs: Vec<(&str, &str)> = pairs.iter().map(|(n, v)| (*n, v.as_str())).collect();
        let query = query_string(&pairs);
        let path_and_query = if query.is_empty() {
            path
        } else {
            format!("{path}?{query}")
        };
        let body_method = matches!(method, "POST" | "PUT" | "PATCH");
        let body = body_method.then(|| {
            if random.below(4) == 0 {
                String::new()
            } else {
                let len = random.below(40);
                json!({ "displayName": random.text(len), "count": random.next() % 1000 })
                    .to_string()
            }
        });
        let date = format!(
            "{}, {:02} {} 20{:02} {:02}:{:02}:{:02} GMT",
            random.pick(&["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]),
            1 + random.below(28),
            random.pick(&[
                "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"
            ]),
            random.below(40),
            random.below(24),
            random.below(60),
            random.below(60)
        );
        let signed = signer.sign_at(
            &Unsigned {
                method,
                path_and_query: &path_and_query,
                host: &host,
                body: body.as_deref().unwrap_or("").as_bytes(),
                content_type: "application/json",
            },
            &date,
            Coverage::Standard,
        );
        ours.push(json!({
            "authorization": signed.authorization,
            "x-content-sha256": signed.body_headers.map(|b| b.content_sha256),
            "request_target": path_and_query,
        }));
        let scheme = if host.starts_with("127.") {
            "http"
        } else {
            "https"
        };
        requests.push(json!({
            "method": method,
            "url": format!("{scheme}://{host}{path_and_query}"),
            "body": body,
            "date": date,
            "key_file": key_file,
            "pass_phrase": passphrase,
            "key_id": signer.key_id(),
        }));
    }

    let mut child = Command::new(&python)
        .arg(ocimcp_tests::root().join("tests/python/oci_sign.py"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the Python signer");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(Value::from(requests.clone()).to_string().as_bytes())
        .expect("write the requests");
    let output = child.wait_with_output().expect("the Python signer");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let theirs: Vec<Value> = serde_json::from_slice(&output.stdout).expect("JSON from Python");
    assert_eq!(theirs.len(), 200);
    let mismatches: Vec<String> = ours
        .iter()
        .zip(&theirs)
        .zip(&requests)
        .filter(|((a, b), _)| a != b)
        .map(|((a, b), request)| format!("{request}\n  rust:   {a}\n  python: {b}"))
        .collect();
    assert!(
        mismatches.is_empty(),
        "{} of 200 differ:\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );
}
