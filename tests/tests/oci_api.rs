//! The OCI client against the fake OCI (tests/src/fake_oci/): every auth provider end to
//! end, pagination, retries, 401 refresh, and config-file mistakes.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use oci_api::auth::{self, AuthSettings, Environment};
use oci_api::{AuthProvider, Client, PrivateKey, Request, RetryPolicy, Service};
use ocimcp_tests::fake_oci::doc_key::{self, FINGERPRINT, TENANCY, USER};
use ocimcp_tests::fake_oci::{FakeOci, Injected};
use serde_json::{Value, json};

const COMPARTMENT: &str = "ocid1.compartment.oc1..c";

fn http() -> reqwest::Client {
    ocimcp_tests::init();
    reqwest::Client::new()
}

/// Writes `config` as the OCI config file in `dir` and reads the provider it chooses.
async fn provider(
    dir: &Path,
    config: &str,
    fake: &FakeOci,
) -> Result<Arc<dyn oci_api::AuthProvider>, oci_api::AuthError> {
    provider_with(dir, config, fake, AuthSettings::default()).await
}

/// [`provider`] with more `settings` than the config file's path.
async fn provider_with(
    dir: &Path,
    config: &str,
    fake: &FakeOci,
    settings: AuthSettings,
) -> Result<Arc<dyn oci_api::AuthProvider>, oci_api::AuthError> {
    let path = dir.join("config");
    std::fs::write(&path, config).expect("write the config");
    let settings = AuthSettings {
        config_file: Some(path),
        ..settings
    };
    auth::from_settings(
        &settings,
        &Environment::default(),
        &fake.endpoints(),
        &http(),
    )
    .await
}

async fn api_key_client(fake: &FakeOci, dir: &Path) -> Client {
    fake.trust_doc_key();
    let client = doc_key::client(fake, dir).await;
    assert_eq!(client.tenancy(), TENANCY);
    assert_eq!(client.region().id(), "us-ashburn-1");
    client
}

fn list_instances() -> Request {
    Request::get("ListInstances", Service::Core, "/instances".to_owned())
        .query("compartmentId", COMPARTMENT)
        .query("limit", 100)
}

#[tokio::test]
async fn a_list_of_1050_is_read_completely_in_order_in_pages_of_100() {
    let fake = FakeOci::start().await;
    fake.add_instances(COMPARTMENT, 1050);
    let dir = tempfile::tempdir().expect("tempdir");
    let client = api_key_client(&fake, dir.path()).await;

    let mut pages = client.pages::<Value>(list_instances());
    let mut sizes = Vec::new();
    let mut ids = Vec::new();
    while let Some(page) = pages.next().await {
        let page = page.expect("a page");
        sizes.push(page.items.len());
        ids.extend(
            page.items
                .iter()
                .filter_map(|i| i["id"].as_str().map(str::to_owned)),
        );
    }
    assert_eq!(
        sizes,
        [100, 100, 100, 100, 100, 100, 100, 100, 100, 100, 50]
    );
    let expected: Vec<String> = (0..1050)
        .map(|i| format!("ocid1.instance.oc1..i{i:04}"))
        .collect();
    assert_eq!(ids, expected);
    // The page tokens (`tok/100+==`) went back percent-encoded and signed as sent.
    let seen = fake.seen();
    assert_eq!(seen.len(), 11);
    assert!(seen.iter().all(|s| s.status == 200), "{seen:?}");
    assert!(
        seen[1].target.contains("page=tok%2F100%2B%3D%3D"),
        "{:?}",
        seen[1]
    );

    let all = client
        .pages::<Value>(list_instances())
        .collect(Some(250))
        .await
        .expect("250");
    assert_eq!(all.len(), 250);
}

#[tokio::test]
async fn a_429_with_retry_after_is_retried_once_and_a_404_is_not() {
    let fake = FakeOci::start().await;
    fake.add_instances(COMPARTMENT, 3);
    let dir = tempfile::tempdir().expect("tempdir");
    let client = api_key_client(&fake, dir.path()).await;

    fake.inject(Injected {
        status: 429,
        code: "TooManyRequests",
        headers: vec![("retry-after", "1".to_owned())],
    });
    let started = std::time::Instant::now();
    let get = |id: &str| Request::get("GetInstance", Service::Core, format!("/instances/{id}"));
    let instance: Value = client
        .call(&get("ocid1.instance.oc1..i0001"))
        .await
        .expect("after one retry");
    assert_eq!(instance["displayName"], "instance-0001");
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "Retry-After: 1 was honoured"
    );
    let statuses: Vec<u16> = fake.seen().iter().map(|s| s.status).collect();
    assert_eq!(statuses, [429, 200]);

    let error = client
        .call::<Value>(&get("ocid1.instance.oc1..nosuch"))
        .await
        .expect_err("404");
    let text = error.to_string();
    assert!(
        text.starts_with(
            "NotAuthorizedOrNotFound (404): Authorization failed or requested resource not found. [opc-request-id: fake-"
        ),
        "{text}"
    );
    assert_eq!(fake.seen().len(), 3, "the 404 was not retried");

    // 5xx is retried up to the policy's attempts.
    let client = client.with_retry(RetryPolicy {
        max_attempts: 2,
        base_delay: Duration::from_millis(10),
        max_delay: Duration::from_millis(20),
        budget: Duration::from_secs(5),
    });
    for _ in 0..2 {
        fake.inject(Injected {
            status: 503,
            code: "ServiceUnavailable",
            headers: Vec::new(),
        });
    }
    let error = client
        .call::<Value>(&get("ocid1.instance.oc1..i0001"))
        .await
        .expect_err("503 twice");
    assert!(
        error.to_string().starts_with("ServiceUnavailable (503)"),
        "{error}"
    );
    assert_eq!(fake.seen().len(), 5);
}

#[tokio::test]
async fn a_key_the_service_does_not_know_is_refused_and_not_retried() {
    let fake = FakeOci::start().await;
    let dir = tempfile::tempdir().expect("tempdir");
    // The fake trusts another key under this keyId.
    let other = PrivateKey::from_pem(
        &std::fs::read_to_string(ocimcp_tests::fixture("oci/session_key.pem")).expect("key"),
        None,
    )
    .expect("readable");
    fake.trust_api_key(&doc_key::key_id(), other.public());
    let auth = provider(dir.path(), &doc_key::config(), &fake)
        .await
        .expect("provider");
    let client = Client::new(http(), auth, fake.endpoints());
    let error = client.send(&list_instances()).await.expect_err("401");
    assert!(
        error
            .to_string()
            .starts_with("NotAuthenticated (401): the signature does not verify"),
        "{error}"
    );
    assert_eq!(fake.seen().len(), 1);
}

#[tokio::test]
async fn a_session_token_is_refreshed_after_a_401_and_the_call_retried() {
    let fake = FakeOci::start().await;
    fake.add_instances(COMPARTMENT, 2);
    let dir = tempfile::tempdir().expect("tempdir");
    let session_key = ocimcp_tests::fixture("oci/session_key.pem");
    let key = PrivateKey::from_pem(&std::fs::read_to_string(&session_key).expect("key"), None)
        .expect("readable");
    let token = fake.mint_token(&key.public(), json!({}));
    let token_file = dir.path().join("token");
    std::fs::write(&token_file, format!("{token}\n")).expect("write the token");
    let config = format!(
        "[DEFAULT]\nregion=iad\n\n[SESSION]\nkey_file={}\nsecurity_token_file={}\n",
        session_key.display(),
        token_file.display()
    );
    let settings = AuthSettings {
        auth: Some("security_token".to_owned()),
        profile: Some("SESSION".to_owned()),
        ..AuthSettings::default()
    };
    let auth = provider_with(dir.path(), &config, &fake, settings)
        .await
        .expect("security_token provider");
    assert_eq!(
        auth.tenancy(),
        "ocid1.tenancy.oc1..faketenancy",
        "from the token's claims"
    );
    let client = Client::new(http(), auth, fake.endpoints());

    let first = client
        .pages::<Value>(list_instances())
        .collect(None)
        .await
        .expect("signed with ST$");
    assert_eq!(first.len(), 2);
    assert!(
        fake.seen()[0]
            .key_id
            .as_deref()
            .is_some_and(|k| k.starts_with("ST$"))
    );

    fake.inject(Injected {
        status: 401,
        code: "NotAuthenticated",
        headers: Vec::new(),
    });
    let again = client
        .pages::<Value>(list_instances())
        .collect(None)
        .await
        .expect("after a refresh");
    assert_eq!(again.len(), 2);
    let calls: Vec<(String, u16)> = fake
        .seen()
        .iter()
        .map(|s| (s.target.clone(), s.status))
        .collect();
    assert_eq!(calls[1].1, 401);
    assert_eq!(calls[2], ("/v1/authentication/refresh".to_owned(), 200));
    assert_eq!(calls[3].1, 200);
    let refreshed = std::fs::read_to_string(&token_file).expect("the token file");
    assert_ne!(refreshed.trim(), token, "the new token was written back");
    assert_eq!(
        fake.seen()[3].key_id.as_deref(),
        Some(format!("ST${}", refreshed.trim()).as_str())
    );
}

#[tokio::test]
async fn config_mistakes_name_the_file_the_profile_and_the_key() {
    let fake = FakeOci::start().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("config");
    let where_ = format!("{} [DEFAULT]", file.display());

    let missing = doc_key::config().replace(&format!("fingerprint={FINGERPRINT}\n"), "");
    let error = provider(dir.path(), &missing, &fake)
        .await
        .expect_err("no fingerprint");
    assert_eq!(
        error.to_string(),
        format!(
            "{where_}: `fingerprint` is missing (API-key auth needs user, tenancy, fingerprint, key_file and region)"
        )
    );

    let bad_path = doc_key::config().replace(
        &doc_key::path().display().to_string(),
        "/nonexistent/key.pem",
    );
    let error = provider(dir.path(), &bad_path, &fake)
        .await
        .expect_err("bad key path");
    assert_eq!(
        error.to_string(),
        format!("{where_}: key_file /nonexistent/key.pem: No such file or directory (os error 2)")
    );

    let encrypted = ocimcp_tests::root().join("oci-api/tests/fixtures/doc_key_pkcs8_encrypted.pem");
    let wrong = doc_key::config().replace(
        &doc_key::path().display().to_string(),
        &encrypted.display().to_string(),
    ) + "pass_phrase=not the words\n";
    let error = provider(dir.path(), &wrong, &fake)
        .await
        .expect_err("wrong passphrase");
    assert_eq!(
        error.to_string(),
        format!(
            "{where_}: key_file {}: the pass_phrase does not decrypt the key (wrong pass_phrase?)",
            encrypted.display()
        )
    );

    let right = doc_key::config().replace(
        &doc_key::path().display().to_string(),
        &encrypted.display().to_string(),
    ) + "pass_phrase=secret words\n";
    assert!(provider(dir.path(), &right, &fake).await.is_ok());

    let error = provider(dir.path(), "[PROD]\nuser=u\n", &fake)
        .await
        .expect_err("no DEFAULT");
    assert_eq!(
        error.to_string(),
        format!(
            "the OCI config file {} has no profile [DEFAULT] (it has: PROD)",
            file.display()
        )
    );
}

/// `(method target, status)` of what the fake saw from `from` on, IMDS reads left out.
fn calls_since(fake: &FakeOci, from: usize) -> Vec<(String, u16)> {
    fake.seen()[from..]
        .iter()
        .filter(|s| !s.target.starts_with("/opc/v2/"))
        .map(|s| (format!("{} {}", s.method, s.target), s.status))
        .collect()
}

#[tokio::test]
async fn an_instance_principal_renews_its_token_across_expiry_and_after_a_401() {
    let fake = FakeOci::start().await;
    fake.add_instances(COMPARTMENT, 3);
    fake.set_token_lifetime(Duration::from_secs(4));
    let imds = fake.serve_instance(TENANCY, "iad");
    let env = Environment::from_vars([("OCI_METADATA_BASE_URL", imds)]);
    let settings = AuthSettings {
        auth: Some("instance_principal".to_owned()),
        ..AuthSettings::default()
    };
    let auth = auth::from_settings(&settings, &env, &fake.endpoints(), &http())
        .await
        .expect("an instance principal");
    assert_eq!(auth.tenancy(), TENANCY, "from the certificate's subject");
    assert_eq!(auth.region().id(), "us-ashburn-1", "IMDS said iad");
    let client = Client::new(http(), auth, fake.endpoints());
    let list = || async {
        client
            .pages::<Value>(list_instances())
            .collect(None)
            .await
            .map(|items| items.len())
    };
    let token_of = |index: usize| fake.seen()[index].key_id.clone();

    assert_eq!(list().await.expect("the first call"), 3);
    let seen = fake.seen();
    let first = seen.len() - 1;
    assert!(
        seen.iter()
            .any(|s| s.target == "/opc/v2/identity/cert.pem" && s.status == 200)
    );
    assert_eq!(
        calls_since(&fake, 0),
        vec![
            ("POST /v1/x509".to_owned(), 200),
            (
                format!("GET /20160918/instances?compartmentId={COMPARTMENT}&limit=100"),
                200
            ),
        ]
    );

    // Past the first token's expiry: the provider renews before calling, so the
    // service never sees the expired token.
    tokio::time::sleep(Duration::from_secs(5)).await;
    assert_eq!(list().await.expect("the call after expiry"), 3);
    let after_expiry = calls_since(&fake, first + 1);
    assert_eq!(after_expiry.len(), 2, "{after_expiry:?}");
    assert_eq!(after_expiry[0], ("POST /v1/x509".to_owned(), 200));
    assert_eq!(after_expiry[1].1, 200);
    let second = fake.seen().len() - 1;
    assert_ne!(token_of(first), token_of(second), "a new token");

    // A 401 from the service: a new token, and the call once more.
    fake.inject(Injected {
        status: 401,
        code: "NotAuthenticated",
        headers: Vec::new(),
    });
    assert_eq!(list().await.expect("the call after a 401"), 3);
    let after_401 = calls_since(&fake, second + 1);
    let statuses: Vec<u16> = after_401.iter().map(|(_, status)| *status).collect();
    assert_eq!(statuses, vec![401, 200, 200], "{after_401:?}");
    assert_eq!(after_401[1].0, "POST /v1/x509");
    assert_ne!(token_of(fake.seen().len() - 1), token_of(second));
}

#[tokio::test]
async fn an_instance_principal_off_oci_says_what_is_wrong() {
    let fake = FakeOci::start().await;
    // Nothing answers at the metadata address.
    let env = Environment::from_vars([("OCI_METADATA_BASE_URL", "http://127.0.0.1:9/opc/v2")]);
    let settings = AuthSettings {
        auth: Some("instance_principal".to_owned()),
        ..AuthSettings::default()
    };
    let error = auth::from_settings(&settings, &env, &fake.endpoints(), &http())
        .await
        .expect_err("no IMDS");
    let text = error.to_string();
    assert!(
        text.contains("http://127.0.0.1:9/opc/v2/instance/region")
            && text.contains("only on an OCI compute instance"),
        "{text}"
    );
}

#[tokio::test]
async fn a_resource_principal_signs_with_its_rpst_and_rereads_rotated_files() {
    let fake = FakeOci::start().await;
    fake.add_instances(COMPARTMENT, 2);
    let dir = tempfile::tempdir().expect("tempdir");
    let key_path = ocimcp_tests::fixture("oci/session_key.pem");
    let key_pem = std::fs::read_to_string(&key_path).expect("the key");
    let public = PrivateKey::from_pem(&key_pem, None)
        .expect("readable")
        .public();
    let claims =
        json!({ "res_tenant": TENANCY, "res_compartment": COMPARTMENT, "ptype": "resource" });
    let settings = AuthSettings {
        auth: Some("resource_principal".to_owned()),
        ..AuthSettings::default()
    };
    let env_with = |rpst: &str, pem: &str| {
        Environment::from_vars([
            ("OCI_RESOURCE_PRINCIPAL_VERSION", "2.2"),
            ("OCI_RESOURCE_PRINCIPAL_RPST", rpst),
            ("OCI_RESOURCE_PRINCIPAL_PRIVATE_PEM", pem),
            ("OCI_RESOURCE_PRINCIPAL_REGION", "phx"),
        ])
    };
    let list = |client: Client| async move {
        client
            .pages::<Value>(list_instances())
            .collect(None)
            .await
            .map(|items| items.len())
    };
    let unauthorized = || Injected {
        status: 401,
        code: "NotAuthenticated",
        headers: Vec::new(),
    };

    // The values themselves in the variables.
    let rpst = fake.mint_token(&public, claims.clone());
    let auth = auth::from_settings(
        &settings,
        &env_with(&rpst, &key_pem),
        &fake.endpoints(),
        &http(),
    )
    .await
    .expect("a resource principal from values");
    assert_eq!(auth.tenancy(), TENANCY, "from res_tenant");
    assert_eq!(auth.region().id(), "us-phoenix-1");
    let client = Client::new(http(), auth, fake.endpoints());
    assert_eq!(list(client.clone()).await.expect("signed with the RPST"), 2);
    assert_eq!(
        fake.seen().last().and_then(|s| s.key_id.clone()),
        Some(format!("ST${rpst}"))
    );
    // Values cannot be rotated: a 401 is the caller's answer, not retried.
    fake.inject(unauthorized());
    let error = list(client).await.expect_err("a 401");
    assert!(
        error.to_string().contains("NotAuthenticated (401)"),
        "{error}"
    );

    // Paths: the platform writes a new token, and a 401 makes the provider read it.
    let rpst_file = dir.path().join("rpst");
    std::fs::write(&rpst_file, &rpst).expect("write the RPST");
    let env = env_with(
        &rpst_file.display().to_string(),
        &key_path.display().to_string(),
    );
    let auth = auth::from_settings(&settings, &env, &fake.endpoints(), &http())
        .await
        .expect("a resource principal from files");
    let client = Client::new(http(), auth, fake.endpoints());
    assert_eq!(list(client.clone()).await.expect("from files"), 2);
    let rotated = fake.mint_token(&public, claims);
    std::fs::write(&rpst_file, format!("{rotated}\n")).expect("rotate the RPST");
    fake.inject(unauthorized());
    assert_eq!(list(client).await.expect("after re-reading"), 2);
    assert_eq!(
        fake.seen().last().and_then(|s| s.key_id.clone()),
        Some(format!("ST${rotated}"))
    );

    // Versions that need Oracle-internal endpoints are named.
    let env = Environment::from_vars([("OCI_RESOURCE_PRINCIPAL_VERSION", "2.1")]);
    let error = auth::from_settings(&settings, &env, &fake.endpoints(), &http())
        .await
        .expect_err("version 2.1");
    assert!(
        error
            .to_string()
            .contains("OCI_RESOURCE_PRINCIPAL_VERSION is 2.1"),
        "{error}"
    );
}

#[tokio::test]
async fn oke_workload_identity_trades_the_service_account_token_over_tls() {
    let fake = FakeOci::start().await;
    fake.add_instances(COMPARTMENT, 2);
    fake.set_token_lifetime(Duration::from_secs(4));
    let proxymux = fake.serve_oke_proxymux("service-account-token").await;
    let dir = tempfile::tempdir().expect("tempdir");
    let token_path = dir.path().join("token");
    let ca_path = dir.path().join("ca.crt");
    std::fs::write(&token_path, "service-account-token\n").expect("write the token");
    std::fs::write(&ca_path, &proxymux.ca_pem).expect("write the CA");
    let env = Environment::from_vars([
        ("KUBERNETES_SERVICE_HOST", proxymux.host.clone()),
        ("OCI_RESOURCE_PRINCIPAL_REGION", "us-ashburn-1".to_owned()),
        ("OCI_RESOURCE_PRINCIPAL_VERSION", "2.2".to_owned()),
        (
            "OCI_KUBERNETES_SERVICE_ACCOUNT_TOKEN_PATH",
            token_path.display().to_string(),
        ),
        (
            "OCI_KUBERNETES_SERVICE_ACCOUNT_CERT_PATH",
            ca_path.display().to_string(),
        ),
    ]);
    let settings = AuthSettings {
        auth: Some("oke_workload_identity".to_owned()),
        ..AuthSettings::default()
    };
    let auth = auth::from_settings(&settings, &env, &fake.endpoints(), &http())
        .await
        .expect("a workload identity");
    assert_eq!(auth.tenancy(), "ocid1.tenancy.oc1..faketenancy");
    let client = Client::new(http(), auth, fake.endpoints());
    let list = || async {
        client
            .pages::<Value>(list_instances())
            .collect(None)
            .await
            .map(|items| items.len())
    };
    assert_eq!(list().await.expect("signed with the RPST"), 2);
    assert_eq!(
        calls_since(&fake, 0)
            .iter()
            .map(|(call, _)| call.split('?').next().unwrap_or_default().to_owned())
            .collect::<Vec<_>>(),
        vec![
            "POST /resourcePrincipalSessionTokens",
            "GET /20160918/instances"
        ]
    );

    // Past half of the token's life: a new one first.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let before = fake.seen().len();
    assert_eq!(list().await.expect("after half-life"), 2);
    let calls = calls_since(&fake, before);
    assert_eq!(
        calls[0],
        ("POST /resourcePrincipalSessionTokens".to_owned(), 200)
    );
    assert_eq!(calls.len(), 2, "{calls:?}");

    // A CA that did not sign the proxymux's certificate: TLS refuses it.
    std::fs::write(&ca_path, ocimcp_tests::fake_oci::unrelated_authority_pem())
        .expect("write the other CA");
    let error = auth::from_settings(&settings, &env, &fake.endpoints(), &http())
        .await
        .expect_err("an untrusted proxymux");
    assert!(
        error.to_string().contains(&format!(
            "POST https://{}:12250/resourcePrincipalSessionTokens",
            proxymux.host
        )) && error.to_string().to_lowercase().contains("certificate"),
        "{error}"
    );

    // A token the cluster does not know.
    std::fs::write(&ca_path, &proxymux.ca_pem).expect("write the CA back");
    std::fs::write(&token_path, "stolen").expect("write another token");
    let error = auth::from_settings(&settings, &env, &fake.endpoints(), &http())
        .await
        .expect_err("an unknown service account");
    assert!(error.to_string().contains("HTTP 401"), "{error}");
}

#[tokio::test]
async fn a_users_jwt_is_exchanged_for_a_upst_once_per_subject_and_renewed() {
    let fake = FakeOci::start().await;
    fake.add_instances(COMPARTMENT, 2);
    fake.serve_identity_domain("gateway-client", "gateway-secret");
    let anyone = doc_key::key().public();
    let jwt_of = |user: &str| {
        fake.mint_token(
            &anyone,
            json!({ "sub": user, "user_ocid": format!("ocid1.user.oc1..{user}") }),
        )
    };
    let exchange = auth::TokenExchange::new(
        &fake.url,
        "gateway-client",
        "gateway-secret",
        oci_api::Region::new("iad"),
        http(),
    )
    .expect("a token exchange");
    let exchanges = || {
        fake.seen()
            .iter()
            .filter(|s| s.target == "/oauth2/v1/token" && s.status == 200)
            .count()
    };

    // Alice's own token lives long (the fake's default); the UPSTs exchanged for it live
    // 4 s. A 4 s user token could expire before the renewal below on a loaded machine
    // (its `exp` is in whole seconds), and the renewal exchanges that same token again.
    let alice_jwt = jwt_of("alice");
    fake.set_token_lifetime(Duration::from_secs(4));
    let alice = exchange
        .principal_for(&alice_jwt)
        .await
        .expect("alice's principal");
    assert_eq!(alice.tenancy(), "ocid1.tenancy.oc1..faketenancy");
    let client = Client::new(http(), alice.clone(), fake.endpoints());
    let items = client
        .pages::<Value>(list_instances())
        .collect(None)
        .await
        .expect("signed with alice's UPST");
    assert_eq!(items.len(), 2);
    let upst = fake.seen().last().and_then(|s| s.key_id.clone());
    assert!(upst.as_deref().is_some_and(|k| k.starts_with("ST$")));

    // The same token again: the same principal, no new exchange.
    let again = exchange
        .principal_for(&alice_jwt)
        .await
        .expect("alice again");
    assert!(Arc::ptr_eq(&alice, &again));
    assert_eq!(exchanges(), 1);
    // Another token naming alice (it might be forged: its signature is not checked here)
    // is exchanged, so the identity domain verifies it; a forged one is refused there.
    let forged = format!(
        "e30.{}.c2ln",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(r#"{"sub":"alice"}"#)
    );
    let refused = exchange.principal_for(&forged).await;
    assert!(
        refused.is_err(),
        "a forged token never gets alice's session"
    );
    assert_eq!(exchanges(), 1, "refused by the identity domain");
    // Another user: another exchange.
    let bob = exchange.principal_for(&jwt_of("bob")).await.expect("bob");
    assert_eq!(bob.subject(), "bob");
    assert_eq!(exchanges(), 2);

    // Past half of the UPST's life: exchanged again before the call.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    client
        .pages::<Value>(list_instances())
        .collect(None)
        .await
        .expect("after renewal");
    assert_eq!(exchanges(), 3);
    assert_ne!(fake.seen().last().and_then(|s| s.key_id.clone()), upst);

    // A wrong client secret and an expired user token are both explained.
    let wrong = auth::TokenExchange::new(
        &fake.url,
        "gateway-client",
        "guessed",
        oci_api::Region::new("iad"),
        http(),
    )
    .expect("a token exchange");
    let error = wrong
        .principal_for(&jwt_of("carol"))
        .await
        .expect_err("a wrong secret");
    assert!(
        error
            .to_string()
            .contains("HTTP 401 Unauthorized: invalid_client: Client authentication failed."),
        "{error}"
    );
    fake.set_token_lifetime(Duration::from_secs(1));
    let short = jwt_of("dave");
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let error = exchange
        .principal_for(&short)
        .await
        .expect_err("an expired JWT");
    assert!(
        error
            .to_string()
            .contains("the token of dave has expired; sign in again"),
        "{error}"
    );
}

#[tokio::test]
async fn the_daemon_says_who_it_is_to_oci_or_why_it_has_no_credentials() {
    let fake = FakeOci::start().await;
    fake.trust_doc_key();
    let daemon = ocimcp_tests::Daemon::start(&format!(
        "[gateway]\nlisten = \"127.0.0.1:0\"\n\n[builtin]\noci = true\n\n[oci]\nauth = \"api_key\"\nconfig_file = \"oci-config\"\nendpoint = \"{}\"\n",
        fake.url
    ));
    // The config file sits beside ocimcpd.toml, named relative to it.
    std::fs::write(daemon.dir.path().join("oci-config"), doc_key::config()).expect("write");
    let daemon = daemon.restart();
    ocimcp_tests::eventually(Duration::from_secs(20), "the OCI line", || {
        daemon.log().contains(&format!(
            "OCI credentials: api_key of tenancy {TENANCY} in region us-ashburn-1"
        ))
    })
    .await;

    // A profile without its key: the daemon still serves, and says what is missing.
    std::fs::write(
        daemon.dir.path().join("oci-config"),
        format!("[DEFAULT]\nuser={USER}\ntenancy={TENANCY}\nregion=iad\n"),
    )
    .expect("write");
    let daemon = daemon.restart();
    ocimcp_tests::eventually(Duration::from_secs(20), "the warning", || {
        daemon.log().contains("no OCI credentials:")
            && daemon.log().contains("`fingerprint` is missing")
    })
    .await;
    let client = ocimcp_tests::connect_discover(&daemon.url()).await;
    assert!(
        client.list_all_tools().await.is_ok(),
        "the gateway serves without OCI"
    );
    // The OCI tools say why they cannot work.
    let result = ocimcp_tests::call_until_ok(
        &client,
        "oci_ping",
        serde_json::json!({}),
        Duration::from_secs(20),
    )
    .await;
    let text = ocimcp_tests::text(&result);
    assert_eq!(result.is_error, Some(true), "{text}");
    assert!(
        text.contains("no OCI credentials: api_key (chosen by [oci] auth or OCI_CLI_AUTH)")
            && text.contains("`fingerprint` is missing"),
        "{text}"
    );
}

#[tokio::test]
async fn typed_calls_list_instances_and_an_action_retried_after_a_503_happens_once() {
    use oci_api::ops::compute::{InstanceAction, InstancePowerAction, ListInstances};
    let fake = FakeOci::start().await;
    fake.add_instances(COMPARTMENT, 250);
    let dir = tempfile::tempdir().expect("tempdir");
    let client = api_key_client(&fake, dir.path())
        .await
        .with_retry(RetryPolicy {
            base_delay: Duration::from_millis(10),
            ..RetryPolicy::default()
        });
    let list = ListInstances {
        limit: Some(100),
        ..ListInstances::new(COMPARTMENT)
    };
    let instances = client
        .list_instances(&list)
        .collect(None)
        .await
        .expect("typed pages");
    assert_eq!(instances.len(), 250);
    assert_eq!(
        instances[249].display_name.as_deref(),
        Some("instance-0249")
    );
    assert_eq!(instances[0].lifecycle_state.as_deref(), Some("RUNNING"));

    fake.inject(Injected {
        status: 503,
        code: "ServiceUnavailable",
        headers: Vec::new(),
    });
    let stopped = client
        .instance_action(&InstanceAction::new(
            "ocid1.instance.oc1..i0007",
            InstancePowerAction::Stop,
        ))
        .await
        .expect("the action after a retry");
    assert_eq!(stopped.lifecycle_state.as_deref(), Some("STOPPING"));
    let posts: Vec<_> = fake
        .seen()
        .into_iter()
        .filter(|s| s.method == "POST")
        .collect();
    assert_eq!(
        posts.iter().map(|s| s.status).collect::<Vec<_>>(),
        vec![503, 200]
    );
    assert!(posts[0].retry_token.is_some());
    assert_eq!(
        posts[0].retry_token, posts[1].retry_token,
        "the retry carries the same token, so OCI acts once"
    );
}
