//! The rules every OCI tool follows: without credentials they say which ways were tried;
//! errors carry OCI's code, request id and a suggestion, as text or JSON; arguments are
//! checked (unknown ones named) before anything is sent.

use std::time::Duration;

use ocimcp_tests::fake_oci::{FakeOci, Injected, doc_key};
use ocimcp_tests::oci_gateway::OciGateway;
use serde_json::{Value, json};

#[tokio::test]
async fn without_credentials_the_daemon_serves_and_the_tools_say_what_was_tried() {
    let home = tempfile::tempdir().expect("temp dir");
    let home_path = home.path().display().to_string();
    let daemon = ocimcp_tests::Daemon::start_with(
        "[gateway]\nlisten = \"127.0.0.1:0\"\n\n[builtin]\noci = true\n",
        &[],
        &[
            ("HOME", home_path.as_str()),
            // Nothing listens there: the metadata service is refused at once.
            ("OCI_METADATA_BASE_URL", "http://127.0.0.1:9/opc/v2"),
        ],
    );
    let client = ocimcp_tests::connect_discover(&daemon.url()).await;
    let result = ocimcp_tests::call_until_ok(
        &client,
        "oci_compute_list_instances",
        json!({}),
        Duration::from_secs(30),
    )
    .await;
    let text = ocimcp_tests::text(&result);
    assert_eq!(result.is_error, Some(true), "{text}");
    assert!(
        text.contains("no OCI credentials: no way to authenticate worked; tried api_key: ")
            && text.contains("; instance_principal: ")
            && text.contains("Set `[oci] auth` to the one meant for this machine"),
        "{text}"
    );
    assert!(
        text.contains("Suggestion: configure one of the ways in `[oci]`"),
        "{text}"
    );
    // Tools that need no OCI still work.
    let domains = ocimcp_tests::call_text(&client, "oci_list_domains", json!({})).await;
    assert!(domains.contains("| compute |"), "{domains}");
    assert!(
        daemon
            .log()
            .contains("no OCI credentials: no way to authenticate worked"),
        "the log says it too"
    );
}

#[tokio::test]
async fn oci_errors_carry_code_request_id_and_suggestion_in_both_formats() {
    let gateway = OciGateway::start("").await;
    let missing =
        json!({ "instance_id": "ocid1.instance.oc1.iad.gone", "response_format": "json" });
    let result = gateway.call("oci_compute_get_instance", missing).await;
    assert_eq!(result.is_error, Some(true));
    let error: Value = serde_json::from_str(&ocimcp_tests::text(&result)).expect("a JSON error");
    let error = &error["error"];
    assert_eq!(error["tool"], "oci_compute_get_instance");
    assert_eq!(error["code"], "NotAuthorizedOrNotFound");
    assert_eq!(error["status"], 404);
    assert!(
        error["request_id"]
            .as_str()
            .is_some_and(|id| !id.is_empty()),
        "{error}"
    );
    assert!(
        error["suggestion"]
            .as_str()
            .is_some_and(|s| s.contains("IAM policy")),
        "{error}"
    );

    gateway.fake.inject(Injected {
        status: 403,
        code: "NotAuthorized",
        headers: Vec::new(),
    });
    let conflict = gateway
        .error(
            "oci_compute_get_instance",
            json!({ "instance_id": "ocid1.instance.oc1.iad.aaa" }),
        )
        .await;
    assert!(conflict.contains("NotAuthorized (403)"), "{conflict}");
    assert!(
        conflict.contains("Suggestion: the principal lacks an IAM policy"),
        "{conflict}"
    );
}

#[tokio::test]
async fn arguments_are_checked_before_anything_is_sent() {
    let gateway = OciGateway::start("").await;
    let before = gateway.fake.seen().len();
    let unknown = gateway
        .error("oci_compute_list_instances", json!({ "compartment": "x" }))
        .await;
    assert!(
        unknown.contains("invalid arguments: `compartment`: unknown field `compartment`"),
        "{unknown}"
    );
    let wrong_type = gateway
        .error("oci_compute_list_instances", json!({ "limit": "ten" }))
        .await;
    assert!(wrong_type.contains("`limit`: invalid type"), "{wrong_type}");
    let not_a_compartment = gateway
        .error(
            "oci_compute_list_instances",
            json!({ "compartment_id": "ocid1.instance.oc1.iad.aaa" }),
        )
        .await;
    assert!(
        not_a_compartment
            .contains("is an OCID of type `instance`; expected type `compartment` or `tenancy`"),
        "{not_a_compartment}"
    );
    let format = gateway
        .error("oci_list_domains", json!({ "response_format": "yaml" }))
        .await;
    assert!(format.contains("`response_format` must be"), "{format}");
    assert_eq!(gateway.fake.seen().len(), before, "nothing reached OCI");
}

#[tokio::test]
async fn with_identity_propagation_a_callers_calls_are_signed_as_that_user() {
    let fake = FakeOci::start().await;
    fake.serve_identity_domain("gateway-client", "gateway-secret");
    let secret = tempfile::NamedTempFile::new().expect("temp file");
    std::fs::write(secret.path(), "gateway-secret\n").expect("write the secret");
    let extra = format!(
        "identity_propagation = true\n\n[oci.identity_domain]\nurl = \"{}\"\nclient_id = \"gateway-client\"\nclient_secret_file = \"{}\"\n",
        fake.url,
        secret.path().display()
    );
    let alice = fake.mint_token(
        &doc_key::key().public(),
        json!({ "sub": "alice", "user_ocid": "ocid1.user.oc1..alice" }),
    );
    let gateway = OciGateway::start_on(fake, &extra, &[]).await;

    // Alice's client sends her identity-domain token; her calls are signed with her UPST.
    let as_alice = ocimcp_tests::connect_with_token(&gateway.daemon.url(), &alice).await;
    let listed = ocimcp_tests::call(
        &as_alice,
        "oci_compute_list_instances",
        json!({ "compartment_id": ocimcp_tests::oci_gateway::COMPARTMENT }),
    )
    .await
    .expect("a tool result");
    assert_ne!(
        listed.is_error,
        Some(true),
        "{}",
        ocimcp_tests::text(&listed)
    );
    let list_call = gateway
        .requests_to("/20160918/instances?")
        .pop()
        .expect("the list call");
    assert!(
        list_call
            .key_id
            .as_deref()
            .is_some_and(|k| k.starts_with("ST$")),
        "signed with a session token: {:?}",
        list_call.key_id
    );
    assert_eq!(
        gateway.requests_to("/oauth2/v1/token").len(),
        1,
        "one exchange"
    );

    // A caller without a token: the daemon's own key signs.
    gateway
        .json(
            "oci_compute_list_instances",
            json!({ "compartment_id": ocimcp_tests::oci_gateway::COMPARTMENT }),
        )
        .await;
    let own = gateway
        .requests_to("/20160918/instances?")
        .pop()
        .expect("the call");
    assert_eq!(own.key_id, Some(doc_key::key_id()));

    // A token put in the request's `_meta`, under the key the gateway once used to hand
    // it over, is only the client's data: the caller reaches the tool set as a typed
    // extension the gateway alone sets, so the daemon's own key still signs.
    let mut meta = rmcp::model::RequestMetaObject::default();
    meta.0
        .0
        .insert("dev.ocimcp/caller-token".to_owned(), json!(alice));
    let mut params = rmcp::model::CallToolRequestParams::new("oci_compute_list_instances")
        .with_arguments(
            json!({ "compartment_id": ocimcp_tests::oci_gateway::COMPARTMENT })
                .as_object()
                .cloned()
                .unwrap_or_default(),
        );
    params.meta = Some(meta);
    let forged = gateway
        .client
        .peer()
        .call_tool(params)
        .await
        .expect("a tool result");
    assert_ne!(
        forged.is_error,
        Some(true),
        "{}",
        ocimcp_tests::text(&forged)
    );
    let signed = gateway
        .requests_to("/20160918/instances?")
        .pop()
        .expect("the call");
    assert_eq!(signed.key_id, Some(doc_key::key_id()));
    assert_eq!(
        gateway.requests_to("/oauth2/v1/token").len(),
        1,
        "no exchange for a token in _meta"
    );
}
