//! The gateway with its built-in OCI tools (`[builtin] oci`) signing with the doc key
//! against a [`FakeOci`] that holds the fixture instances (`fixtures/oci/instances.json`)
//! and the catalog: what the OCI tool tests start, and the calls they make through a real
//! MCP client.

use std::time::Duration;

use rmcp::model::CallToolResult;
use serde_json::{Value, json};

use oci_api::ops::Timestamp;

use crate::fake_oci::{FakeOci, doc_key};
use crate::in_process::{InProcessDaemon, fix_oci_clock};
use crate::{Client, Daemon};

/// The fixtures' tenancy and their main compartment.
pub const TENANCY: &str = "ocid1.tenancy.oc1..t";
pub const COMPARTMENT: &str = "ocid1.compartment.oc1..ccc";

/// A running gateway on a fake OCI.
pub struct OciGateway {
    pub fake: FakeOci,
    pub daemon: Running,
    pub client: Client,
    _keys: tempfile::TempDir,
}

/// Where the gateway runs: a child process, as users run it, or in the test's process,
/// where its settings can be adjusted (a fixed clock).
pub enum Running {
    Child(Daemon),
    InProcess(InProcessDaemon),
}

impl Running {
    /// The MCP endpoint.
    pub fn url(&self) -> String {
        match self {
            Running::Child(daemon) => daemon.url(),
            Running::InProcess(daemon) => daemon.url(),
        }
    }
}

/// The fixture instances.
pub fn fixture_instances() -> Vec<Value> {
    let path = crate::fixture("oci/instances.json");
    let text = std::fs::read_to_string(&path).expect("fixtures/oci/instances.json");
    serde_json::from_str(&text).expect("instances.json is a JSON array")
}

impl OciGateway {
    /// Starts the fake and the gateway; `oci_extra` is added to `[oci]`
    /// (`allow_mutations = true`, `compartment_id = "..."`).
    pub async fn start(oci_extra: &str) -> OciGateway {
        Self::start_with_env(oci_extra, &[]).await
    }

    /// Like [`OciGateway::start`], with extra environment for the daemon.
    pub async fn start_with_env(oci_extra: &str, env: &[(&str, &str)]) -> OciGateway {
        Self::start_on(FakeOci::start().await, oci_extra, env).await
    }

    /// Like [`OciGateway::start_with_env`] on a fake the test started (to use its URL in
    /// `oci_extra`).
    pub async fn start_on(fake: FakeOci, oci_extra: &str, env: &[(&str, &str)]) -> OciGateway {
        let (config, keys) = Self::prepare(&fake, oci_extra);
        let daemon = Running::Child(Daemon::start_with(&config, &[], env));
        Self::connect(fake, daemon, keys).await
    }

    /// Like [`OciGateway::start`], with the gateway in the test's process and the OCI
    /// tools reading `now` instead of the system clock, so that answers computed from
    /// "today" are the same on every run.
    pub async fn start_at(now: Timestamp, oci_extra: &str) -> OciGateway {
        let fake = FakeOci::start().await;
        let (config, keys) = Self::prepare(&fake, oci_extra);
        let daemon = InProcessDaemon::start(&config, |settings| {
            fix_oci_clock(settings, oci_tools::Clock::Fixed(now))
        })
        .await;
        Self::connect(fake, Running::InProcess(daemon), keys).await
    }

    /// Plants the tenancy and instances, and writes the key and the gateway's config.
    fn prepare(fake: &FakeOci, oci_extra: &str) -> (String, tempfile::TempDir) {
        fake.trust_doc_key();
        // The tenancy the doc key signs for, besides the catalog's fixture tenancy.
        fake.set_answer(
            &format!("GET /20160918/tenancies/{}", doc_key::TENANCY),
            json!({
                "id": doc_key::TENANCY,
                "name": "ocimcp-tests",
                "description": "the tenancy of the tests' API key",
                "homeRegionKey": "IAD"
            }),
        );
        fake.set_instances(fixture_instances());
        let keys = tempfile::tempdir().expect("temp dir");
        let profile = keys.path().join("oci-config");
        std::fs::write(&profile, doc_key::config()).expect("write the OCI config");
        let config = format!(
            "[gateway]\nlisten = \"127.0.0.1:0\"\n\n[builtin]\noci = true\n\n[oci]\nauth = \"api_key\"\nconfig_file = \"{}\"\nendpoint = \"{}\"\n{oci_extra}\n",
            profile.display(),
            fake.url
        );
        (config, keys)
    }

    /// Connects a client once the tool set answers.
    async fn connect(fake: FakeOci, daemon: Running, keys: tempfile::TempDir) -> OciGateway {
        let client = crate::connect_discover(&daemon.url()).await;
        crate::call_until_ok(
            &client,
            "oci_list_domains",
            json!({}),
            Duration::from_secs(30),
        )
        .await;
        OciGateway {
            fake,
            daemon,
            client,
            _keys: keys,
        }
    }

    /// Calls a tool (`Err` only for a protocol error, not a tool error).
    pub async fn call(&self, tool: &str, arguments: Value) -> CallToolResult {
        crate::call(&self.client, tool, arguments)
            .await
            .unwrap_or_else(|e| panic!("{tool}: protocol error {e}"))
    }

    /// The markdown answer of a call that must succeed.
    pub async fn markdown(&self, tool: &str, arguments: Value) -> String {
        let result = self.call(tool, arguments).await;
        let text = crate::text(&result);
        assert_ne!(result.is_error, Some(true), "{tool} failed: {text}");
        assert!(
            serde_json::from_str::<Value>(&text).is_err() || text.trim().is_empty(),
            "{tool}: markdown expected, got JSON: {text}"
        );
        text
    }

    /// The JSON answer of a call that must succeed: the text, which must be the same
    /// object as `structuredContent`.
    pub async fn json(&self, tool: &str, mut arguments: Value) -> Value {
        arguments["response_format"] = json!("json");
        let result = self.call(tool, arguments).await;
        let text = crate::text(&result);
        assert_ne!(result.is_error, Some(true), "{tool} failed: {text}");
        let parsed: Value = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("{tool}: not JSON ({e}): {text}"));
        assert_eq!(
            result.structured_content.as_ref(),
            Some(&parsed),
            "{tool}: structuredContent and the JSON text differ"
        );
        parsed
    }

    /// The text of a call that must fail as a tool error (`isError: true`).
    pub async fn error(&self, tool: &str, arguments: Value) -> String {
        let result = self.call(tool, arguments).await;
        let text = crate::text(&result);
        assert_eq!(
            result.is_error,
            Some(true),
            "{tool} should have failed: {text}"
        );
        text
    }

    /// The requests the fake saw whose target starts with `prefix`.
    pub fn requests_to(&self, prefix: &str) -> Vec<crate::fake_oci::Seen> {
        self.fake
            .seen()
            .into_iter()
            .filter(|seen| seen.target.starts_with(prefix))
            .collect()
    }
}
