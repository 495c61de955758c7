//! A fake OCI API for tests, faithful to `shared/reference/oci_api.md`: it verifies every
//! request's signature on its own (not with the client's code) against the API keys it
//! trusts, the `jwk` claim of the tokens it minted, or the instance certificate it issued,
//! refuses what OCI refuses (a missing or bad signature, an unsigned body header, a stale
//! date, an expired or forged token) with `401 NotAuthenticated`, serves compute instances
//! with real `opc-next-page` pagination and their power actions (done once per
//! `opc-retry-token`), every other operation of the reference's §7 from fixtures
//! (`catalog`), refreshes session tokens
//! (`POST /v1/authentication/refresh`), plays an instance's metadata service and the X.509
//! federation (`instance`) and an OKE cluster's proxymux over TLS
//! (`POST /resourcePrincipalSessionTokens`) and an identity domain's token exchange
//! (`POST /oauth2/v1/token`, a user's JWT for a UPST), and answers with injected errors
//! when a test asks.

mod catalog;
mod certs;
pub mod doc_key;
mod instance;

use std::collections::{HashMap, VecDeque};
use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use rsa::pkcs1v15::{Signature, SigningKey, VerifyingKey};
use rsa::pkcs8::DecodePrivateKey;
use rsa::signature::{SignatureEncoding, Signer, Verifier};
use rsa::traits::PublicKeyParts;
use rsa::{BigUint, RsaPrivateKey, RsaPublicKey};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

pub use instance::InstanceIdentity;

/// An error answer the fake gives instead of serving the next request.
#[derive(Debug, Clone)]
pub struct Injected {
    pub status: u16,
    pub code: &'static str,
    pub headers: Vec<(&'static str, String)>,
}

/// What the fake saw of one request.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    pub target: String,
    pub key_id: Option<String>,
    pub status: u16,
    /// The `opc-retry-token` header, for actions.
    pub retry_token: Option<String>,
    /// The request body, as text.
    pub body: String,
}

struct State {
    issuer: RsaPrivateKey,
    api_keys: HashMap<String, RsaPublicKey>,
    instances: Vec<Value>,
    injected: VecDeque<Injected>,
    seen: Vec<Seen>,
    /// Answers a test planted over the catalog's.
    overrides: Vec<catalog::Entry>,
    token_lifetime: Duration,
    next_request_id: u64,
    /// Instance actions done, by retry token: a token seen again gets the same answer.
    actions_done: HashMap<String, Value>,
    instance: Option<InstanceIdentity>,
    /// The service-account token the proxymux accepts.
    service_account_token: Option<String>,
    /// The OAuth client (id, secret) the identity domain's token endpoint accepts.
    oauth_client: Option<(String, String)>,
}

/// The fake, serving on a loopback port until dropped.
pub struct FakeOci {
    pub url: String,
    state: Arc<Mutex<State>>,
    tasks: Mutex<Vec<tokio::task::JoinHandle<()>>>,
}

impl Drop for FakeOci {
    fn drop(&mut self) {
        for task in self.tasks.get_mut().map(std::mem::take).unwrap_or_default() {
            task.abort();
        }
    }
}

/// An OKE cluster's proxymux, as a pod sees it.
pub struct Proxymux {
    /// What `KUBERNETES_SERVICE_HOST` is: a loopback address, port 12250.
    pub host: String,
    /// The cluster CA that signed its TLS certificate.
    pub ca_pem: String,
}

/// The PEM of a certificate authority that signed nothing the fake serves: what a client
/// must refuse to trust the fake's TLS certificate by.
pub fn unrelated_authority_pem() -> String {
    certs::pem(&certs::authority(&certs::leaf_key()))
}

/// Serves `state` on `listener` (through `tls` when given) until aborted.
fn serve(
    listener: tokio::net::TcpListener,
    tls: Option<tokio_rustls::TlsAcceptor>,
    state: Arc<Mutex<State>>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let state = state.clone();
            let tls = tls.clone();
            tokio::spawn(async move {
                let service = hyper::service::service_fn(move |request| {
                    let state = state.clone();
                    async move { Ok::<_, Infallible>(handle(&state, request).await) }
                });
                let http = hyper::server::conn::http1::Builder::new();
                let _ = match tls {
                    None => {
                        http.serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                            .await
                    }
                    Some(tls) => match tls.accept(stream).await {
                        Ok(stream) => {
                            http.serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                                .await
                        }
                        Err(_) => return,
                    },
                };
            });
        }
    })
}

fn lock(state: &Mutex<State>) -> std::sync::MutexGuard<'_, State> {
    state
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn lock_tasks(
    tasks: &Mutex<Vec<tokio::task::JoinHandle<()>>>,
) -> std::sync::MutexGuard<'_, Vec<tokio::task::JoinHandle<()>>> {
    tasks
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// 1 to 254, from the random keys every `RandomState` gets.
fn random_byte() -> u8 {
    use std::hash::{BuildHasher, Hasher};
    let hasher = std::collections::hash_map::RandomState::new().build_hasher();
    (hasher.finish() % 254) as u8 + 1
}

fn now_seconds() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

impl FakeOci {
    pub async fn start() -> FakeOci {
        let issuer_pem = std::fs::read_to_string(crate::fixture("oci/issuer_key.pem"))
            .expect("tests/fixtures/oci/issuer_key.pem");
        let issuer = RsaPrivateKey::from_pkcs8_pem(&issuer_pem).expect("the issuer key");
        let state = Arc::new(Mutex::new(State {
            issuer,
            api_keys: HashMap::new(),
            instances: Vec::new(),
            injected: VecDeque::new(),
            seen: Vec::new(),
            overrides: Vec::new(),
            token_lifetime: Duration::from_secs(3600),
            next_request_id: 1,
            actions_done: HashMap::new(),
            instance: None,
            service_account_token: None,
            oauth_client: None,
        }));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the fake OCI");
        let url = format!("http://{}", listener.local_addr().expect("its address"));
        let task = serve(listener, None, state.clone());
        FakeOci {
            url,
            state,
            tasks: Mutex::new(vec![task]),
        }
    }

    /// Every OCI service at this fake.
    pub fn endpoints(&self) -> oci_api::Endpoints {
        oci_api::Endpoints::everything_at(&self.url).expect("the fake's URL is an http URL")
    }

    /// Trusts the [`doc_key`] tests sign with.
    pub fn trust_doc_key(&self) {
        self.trust_api_key(&doc_key::key_id(), doc_key::key().public());
    }

    /// Trusts an API key: requests signed with `key_id` verify against `public`.
    pub fn trust_api_key(&self, key_id: &str, public: RsaPublicKey) {
        lock(&self.state).api_keys.insert(key_id.to_owned(), public);
    }

    /// `count` compute instances in one compartment, `ocid1.instance.oc1..i0000` onwards.
    pub fn add_instances(&self, compartment: &str, count: usize) {
        let mut state = lock(&self.state);
        state.instances = (0..count)
            .map(|i| {
                json!({
                    "id": format!("ocid1.instance.oc1..i{i:04}"),
                    "compartmentId": compartment,
                    "displayName": format!("instance-{i:04}"),
                    "lifecycleState": "RUNNING",
                    "availabilityDomain": "Uocm:US-ASHBURN-AD-1",
                    "shape": "VM.Standard.E4.Flex",
                    "region": "iad",
                    "timeCreated": "2024-05-01T12:00:00.123Z"
                })
            })
            .collect();
    }

    /// Replaces the compute instances with these (OCI `Instance` bodies).
    pub fn set_instances(&self, instances: Vec<Value>) {
        lock(&self.state).instances = instances;
    }

    /// Answers `"METHOD /apiVersion/path"` (`{id}` for any one segment) with `body` from
    /// now on, over the catalog's answer; lists are filtered and paged the same way.
    pub fn set_answer(&self, key: &str, body: Value) {
        let entry = catalog::Entry::parse(key, body).expect("a `METHOD /path` key");
        lock(&self.state).overrides.push(entry);
    }

    /// The next requests get these answers, one each, before anything is checked.
    pub fn inject(&self, answer: Injected) {
        lock(&self.state).injected.push_back(answer);
    }

    pub fn seen(&self) -> Vec<Seen> {
        lock(&self.state).seen.clone()
    }

    /// How long the tokens minted from now on live.
    pub fn set_token_lifetime(&self, lifetime: Duration) {
        lock(&self.state).token_lifetime = lifetime;
    }

    /// Plays a compute instance of `tenancy` in `region`: serves its identity at
    /// `<url>/opc/v2` (what `OCI_METADATA_BASE_URL` is set to; returned) and federates it
    /// at `POST /v1/x509`.
    pub fn serve_instance(&self, tenancy: &str, region: &str) -> String {
        let mut state = lock(&self.state);
        let identity = InstanceIdentity::new(&state.issuer, tenancy, region);
        state.instance = Some(identity);
        format!("{}/opc/v2", self.url)
    }

    /// Plays an OKE cluster's proxymux for pods holding `service_account_token`: HTTPS on
    /// port 12250 of a random loopback address, with a certificate for that address.
    pub async fn serve_oke_proxymux(&self, service_account_token: &str) -> Proxymux {
        let (listener, ip) = loop {
            let ip = std::net::Ipv4Addr::new(127, random_byte(), random_byte(), random_byte());
            if let Ok(listener) = tokio::net::TcpListener::bind((ip, 12250)).await {
                break (listener, ip);
            }
        };
        let (authority, certificate) = {
            let mut state = lock(&self.state);
            state.service_account_token = Some(service_account_token.to_owned());
            (
                certs::authority(&state.issuer),
                certs::leaf(&state.issuer, 3, "CN=proxymux", Some(ip.into())),
            )
        };
        use rsa::pkcs8::EncodePrivateKey;
        use x509_cert::der::Encode;
        let key = certs::leaf_key()
            .to_pkcs8_der()
            .expect("the leaf key as PKCS#8");
        let config = rustls::ServerConfig::builder()
            .with_no_client_auth()
            .with_single_cert(
                vec![certificate.to_der().expect("DER").into()],
                rustls::pki_types::PrivateKeyDer::Pkcs8(key.as_bytes().to_vec().into()),
            )
            .expect("a TLS server configuration");
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
        let task = serve(listener, Some(acceptor), self.state.clone());
        lock_tasks(&self.tasks).push(task);
        Proxymux {
            host: ip.to_string(),
            ca_pem: certs::pem(&authority),
        }
    }

    /// Plays an identity domain (at [`FakeOci::url`]) whose token endpoint exchanges the
    /// JWTs this fake minted for UPSTs, for the OAuth client `client_id`/`secret`.
    pub fn serve_identity_domain(&self, client_id: &str, secret: &str) {
        lock(&self.state).oauth_client = Some((client_id.to_owned(), secret.to_owned()));
    }

    /// A security token (JWT signed by the fake's issuer) for the holder of `public`.
    pub fn mint_token(&self, public: &RsaPublicKey, claims: Value) -> String {
        let state = lock(&self.state);
        mint(&state, public, claims)
    }
}

fn mint(state: &State, public: &RsaPublicKey, extra: Value) -> String {
    let jwk = json!({
        "kid": "session",
        "kty": "RSA",
        "alg": "RS256",
        "use": "sig",
        "n": URL_SAFE_NO_PAD.encode(public.n().to_bytes_be()),
        "e": URL_SAFE_NO_PAD.encode(public.e().to_bytes_be()),
    })
    .to_string();
    static MINTED: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let jti = MINTED.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let now = now_seconds();
    let mut claims = json!({
        "jti": format!("fake-token-{jti}"),
        "iss": "authService.oracle.com",
        "aud": "oci",
        "iat": now,
        "exp": now + state.token_lifetime.as_secs(),
        "tenant": "ocid1.tenancy.oc1..faketenancy",
        "ptype": "user",
        "jwk": jwk,
    });
    if let (Some(claims), Value::Object(extra)) = (claims.as_object_mut(), extra) {
        claims.extend(extra);
    }
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"RS256","typ":"JWT","kid":"fake-issuer"}"#);
    let payload = URL_SAFE_NO_PAD.encode(claims.to_string());
    let signing_input = format!("{header}.{payload}");
    let signature = SigningKey::<Sha256>::new(state.issuer.clone()).sign(signing_input.as_bytes());
    format!(
        "{signing_input}.{}",
        URL_SAFE_NO_PAD.encode(signature.to_bytes())
    )
}

fn answer(
    status: u16,
    request_id: u64,
    body: Value,
    headers: &[(&str, String)],
) -> Response<Full<Bytes>> {
    // A body given its own content type (the kubeconfig's YAML) is text, sent as it is.
    let has_content_type = headers.iter().any(|(name, _)| *name == "content-type");
    let mut response = Response::builder()
        .status(StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR))
        .header("opc-request-id", format!("fake-{request_id:06}"));
    if !has_content_type {
        response = response.header("content-type", "application/json");
    }
    for (name, value) in headers {
        response = response.header(*name, value);
    }
    let body = match body {
        Value::String(text) if has_content_type => text,
        json => json.to_string(),
    };
    response
        .body(Full::new(Bytes::from(body)))
        .unwrap_or_else(|_| Response::new(Full::new(Bytes::new())))
}

fn error_body(code: &str, message: &str) -> Value {
    json!({ "code": code, "message": message })
}

async fn handle(state: &Mutex<State>, request: Request<Incoming>) -> Response<Full<Bytes>> {
    let (parts, body) = request.into_parts();
    let body = body
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    let method = parts.method.as_str().to_owned();
    let target = parts
        .uri
        .path_and_query()
        .map_or_else(|| parts.uri.path().to_owned(), |pq| pq.as_str().to_owned());
    let body_text = String::from_utf8_lossy(&body).into_owned();
    let mut state = lock(state);
    let request_id = state.next_request_id;
    state.next_request_id += 1;
    // What is not signed: IMDS, the identity domain, the proxymux.
    let unsigned = if let Some(path) = target.strip_prefix("/opc/v2/") {
        let (status, text) = metadata(&state, &parts.headers, path);
        Some(text_answer(status, text))
    } else if target == "/oauth2/v1/token" {
        let (status, body) = token_exchange(&state, &parts.headers, &body);
        Some(answer(status, request_id, body, &[]))
    } else if target == "/resourcePrincipalSessionTokens" {
        let (status, text) = proxymux(&state, &parts.headers, &body);
        Some(text_answer(status, text))
    } else {
        None
    };
    if let Some(response) = unsigned {
        state.seen.push(Seen {
            method,
            target,
            key_id: None,
            status: response.status().as_u16(),
            retry_token: None,
            body: body_text,
        });
        return response;
    }
    let key_id = authorization_params(&parts.headers).and_then(|p| p.get("keyId").cloned());
    let retry_token = parts
        .headers
        .get("opc-retry-token")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let (status, body, headers) = if let Some(injected) = state.injected.pop_front() {
        (
            injected.status,
            error_body(injected.code, "injected by the test"),
            injected.headers,
        )
    } else {
        match verify(&state, &parts, &target, &body) {
            Err(reason) => (401, error_body("NotAuthenticated", &reason), Vec::new()),
            Ok(signer) => route(
                &mut state,
                &method,
                &target,
                &body,
                &signer,
                retry_token.as_deref(),
            ),
        }
    };
    state.seen.push(Seen {
        method,
        target,
        key_id,
        status,
        retry_token,
        body: body_text,
    });
    answer(status, request_id, body, &headers)
}

/// A plain-text answer.
fn text_answer(status: u16, text: String) -> Response<Full<Bytes>> {
    Response::builder()
        .status(status)
        .header("content-type", "text/plain")
        .body(Full::new(Bytes::from(text)))
        .unwrap_or_else(|_| Response::new(Full::new(Bytes::new())))
}

/// IMDS v2: plain text, only for `Authorization: Bearer Oracle`.
fn metadata(state: &State, headers: &http::HeaderMap, path: &str) -> (u16, String) {
    let authorized = headers
        .get("authorization")
        .is_some_and(|v| v.as_bytes() == b"Bearer Oracle");
    if !authorized {
        return (
            401,
            "IMDS v2 needs `Authorization: Bearer Oracle`".to_owned(),
        );
    }
    match state.instance.as_ref().and_then(|i| i.metadata(path)) {
        Some(text) => (200, text),
        None => (404, format!("no metadata at {path}")),
    }
}

/// The proxymux: a service-account bearer token and a pod key in, base64 of
/// `{"token": "ST$<RPST>"}` out.
fn proxymux(state: &State, headers: &http::HeaderMap, body: &[u8]) -> (u16, String) {
    let bearer = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    if bearer.is_none() || bearer != state.service_account_token.as_deref() {
        return (
            401,
            "not a service-account token of this cluster".to_owned(),
        );
    }
    let pod_key = serde_json::from_slice::<Value>(body)
        .ok()
        .and_then(|v| v.get("podKey")?.as_str().map(str::to_owned))
        .and_then(|key| STANDARD.decode(key).ok())
        .and_then(|der| {
            use rsa::pkcs8::DecodePublicKey;
            RsaPublicKey::from_public_key_der(&der).ok()
        });
    let Some(pod_key) = pod_key else {
        return (
            400,
            "podKey is not a base64 SubjectPublicKeyInfo".to_owned(),
        );
    };
    let claims = json!({
        "sub": "ocid1.serviceaccount.oc1..fake",
        "res_tenant": "ocid1.tenancy.oc1..faketenancy",
        "res_compartment": "ocid1.compartment.oc1..fakecompartment",
        "ptype": "resource",
        "res_type": "workload",
    });
    let answer = json!({ "token": format!("ST${}", mint(state, &pod_key, claims)) });
    (200, STANDARD.encode(answer.to_string()))
}

/// The token-exchange grant: Basic auth of the OAuth client, a JWT this fake issued as
/// `subject_token`, the session public key; a UPST for that key out. Errors are OAuth's.
fn token_exchange(state: &State, headers: &http::HeaderMap, body: &[u8]) -> (u16, Value) {
    let oauth_error = |status: u16, error: &str, description: &str| {
        (
            status,
            json!({ "error": error, "error_description": description }),
        )
    };
    let basic = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .and_then(|v| STANDARD.decode(v).ok())
        .and_then(|v| String::from_utf8(v).ok());
    let expected = state
        .oauth_client
        .as_ref()
        .map(|(id, secret)| format!("{id}:{secret}"));
    if basic.is_none() || basic != expected {
        return oauth_error(401, "invalid_client", "Client authentication failed.");
    }
    let form: HashMap<String, String> = form_urlencoded::parse(body).into_owned().collect();
    let field = |name: &str| form.get(name).map(String::as_str);
    if field("grant_type") != Some("urn:ietf:params:oauth:grant-type:token-exchange")
        || field("requested_token_type") != Some("urn:oci:token-type:oci-upst")
        || field("subject_token_type") != Some("jwt")
    {
        return oauth_error(400, "unsupported_grant_type", "Not a UPST token exchange.");
    }
    let subject = match field("subject_token").map(|token| issued_claims(state, token)) {
        Some(Ok(claims)) => claims,
        Some(Err(reason)) => return oauth_error(400, "invalid_grant", &reason),
        None => return oauth_error(400, "invalid_request", "subject_token is missing."),
    };
    let public = field("public_key")
        .and_then(|key| STANDARD.decode(key).ok())
        .and_then(|der| {
            use rsa::pkcs8::DecodePublicKey;
            RsaPublicKey::from_public_key_der(&der).ok()
        });
    let Some(public) = public else {
        return oauth_error(
            400,
            "invalid_request",
            "public_key is not a base64 SubjectPublicKeyInfo.",
        );
    };
    let user = subject
        .get("user_ocid")
        .or_else(|| subject.get("sub"))
        .cloned()
        .unwrap_or(Value::Null);
    let claims = json!({ "sub": user, "ptype": "user", "ttype": "upst" });
    (200, json!({ "token": mint(state, &public, claims) }))
}

/// Who signed a verified request.
#[derive(Debug)]
enum Principal {
    ApiKey,
    Token {
        token: String,
        public: RsaPublicKey,
    },
    /// The instance's leaf key, for X.509 federation.
    Instance,
}

fn authorization_params(headers: &http::HeaderMap) -> Option<HashMap<String, String>> {
    let value = headers.get("authorization")?.to_str().ok()?;
    let rest = value.strip_prefix("Signature ")?;
    let mut params = HashMap::new();
    for part in rest.split("\",") {
        let (name, value) = part.split_once("=\"")?;
        params.insert(
            name.trim().to_owned(),
            value.trim_end_matches('"').to_owned(),
        );
    }
    Some(params)
}

fn verify(
    state: &State,
    parts: &http::request::Parts,
    target: &str,
    body: &[u8],
) -> Result<Principal, String> {
    let params = authorization_params(&parts.headers)
        .ok_or("no valid `Authorization: Signature ...` header")?;
    if params.get("algorithm").map(String::as_str) != Some("rsa-sha256") {
        return Err("algorithm must be rsa-sha256".to_owned());
    }
    let names: Vec<&str> = params
        .get("headers")
        .ok_or("no headers=")?
        .split(' ')
        .collect();
    let key_id = params.get("keyId").ok_or("no keyId")?;
    // Federation requests are signed without `host`.
    let federation = key_id.contains("/fed-x509/");
    let mut required = vec!["date", "(request-target)"];
    if !federation {
        required.push("host");
    }
    let body_method = matches!(parts.method.as_str(), "POST" | "PUT" | "PATCH");
    if body_method {
        required.extend(["content-length", "content-type", "x-content-sha256"]);
    }
    if let Some(missing) = required.iter().find(|name| !names.contains(name)) {
        return Err(format!("the signature does not cover `{missing}`"));
    }
    let header = |name: &str| {
        parts
            .headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
            .ok_or(format!("signed header `{name}` is missing"))
    };
    let mut lines = Vec::new();
    for name in &names {
        let value = match *name {
            "(request-target)" => {
                format!("{} {target}", parts.method.as_str().to_ascii_lowercase())
            }
            other => header(other)?,
        };
        lines.push(format!("{name}: {value}"));
    }
    let date =
        httpdate::parse_http_date(&header("date")?).map_err(|_| "the date is not an HTTP date")?;
    let skew = SystemTime::now()
        .duration_since(date)
        .unwrap_or_else(|e| e.duration());
    if skew > Duration::from_secs(300) {
        return Err("the date is more than 5 minutes off".to_owned());
    }
    if body_method {
        let digest = STANDARD.encode(Sha256::digest(body));
        if header("x-content-sha256")? != digest {
            return Err("x-content-sha256 is not the SHA-256 of the body".to_owned());
        }
        if header("content-length")? != body.len().to_string() {
            return Err("content-length is not the body's length".to_owned());
        }
    }
    let (public, principal) = if federation {
        let instance = state
            .instance
            .as_ref()
            .filter(|i| i.federation_key_id() == *key_id)
            .ok_or_else(|| format!("no instance certificate is {key_id}"))?;
        (instance.leaf_public.clone(), Principal::Instance)
    } else if let Some(token) = key_id.strip_prefix("ST$") {
        let public = token_key(state, token)?;
        (
            public.clone(),
            Principal::Token {
                token: token.to_owned(),
                public,
            },
        )
    } else {
        let public = state
            .api_keys
            .get(key_id)
            .ok_or_else(|| format!("unknown keyId {key_id}"))?
            .clone();
        (public, Principal::ApiKey)
    };
    let signature = STANDARD
        .decode(params.get("signature").ok_or("no signature")?)
        .map_err(|_| "the signature is not base64")?;
    let signature =
        Signature::try_from(signature.as_slice()).map_err(|_| "a malformed signature")?;
    VerifyingKey::<Sha256>::new(public)
        .verify(lines.join("\n").as_bytes(), &signature)
        .map_err(|_| "the signature does not verify".to_owned())?;
    Ok(principal)
}

/// The claims of a token the fake minted: its issuer signature must verify and it must not
/// have expired.
fn issued_claims(state: &State, token: &str) -> Result<Value, String> {
    let mut parts = token.split('.');
    let (Some(header), Some(payload), Some(signature)) = (parts.next(), parts.next(), parts.next())
    else {
        return Err("the token is not a JWT".to_owned());
    };
    let signature = URL_SAFE_NO_PAD
        .decode(signature)
        .map_err(|_| "a malformed token signature")?;
    let signature =
        Signature::try_from(signature.as_slice()).map_err(|_| "a malformed token signature")?;
    VerifyingKey::<Sha256>::new(state.issuer.to_public_key())
        .verify(format!("{header}.{payload}").as_bytes(), &signature)
        .map_err(|_| "the token was not issued here".to_owned())?;
    let claims: Value = URL_SAFE_NO_PAD
        .decode(payload)
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .ok_or("the token's claims are not JSON")?;
    if claims.get("exp").and_then(Value::as_u64).unwrap_or(0) <= now_seconds() {
        return Err("the token has expired".to_owned());
    }
    Ok(claims)
}

/// The public key of a token the fake minted (its `jwk` claim).
fn token_key(state: &State, token: &str) -> Result<RsaPublicKey, String> {
    let claims = issued_claims(state, token)?;
    let jwk: Value = claims
        .get("jwk")
        .and_then(Value::as_str)
        .and_then(|text| serde_json::from_str(text).ok())
        .ok_or("the token has no jwk claim")?;
    let number = |name: &str| {
        jwk.get(name)
            .and_then(Value::as_str)
            .and_then(|v| URL_SAFE_NO_PAD.decode(v).ok())
            .map(|bytes| BigUint::from_bytes_be(&bytes))
            .ok_or(format!("the jwk has no {name}"))
    };
    RsaPublicKey::new(number("n")?, number("e")?).map_err(|e| e.to_string())
}

fn route(
    state: &mut State,
    method: &str,
    target: &str,
    body: &[u8],
    principal: &Principal,
    retry_token: Option<&str>,
) -> (u16, Value, Vec<(&'static str, String)>) {
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let pairs: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect();
    let query: HashMap<String, String> = pairs.iter().cloned().collect();
    match (method, path) {
        ("POST", "/v1/authentication/refresh") => {
            let Principal::Token { token, public } = principal else {
                return (
                    401,
                    error_body(
                        "NotAuthenticated",
                        "refresh needs a session token signature",
                    ),
                    Vec::new(),
                );
            };
            let current = serde_json::from_slice::<Value>(body).ok().and_then(|v| {
                v.get("currentToken")
                    .and_then(Value::as_str)
                    .map(str::to_owned)
            });
            if current.as_deref() != Some(token.as_str()) {
                return (
                    400,
                    error_body("InvalidParameter", "currentToken is not the signing token"),
                    Vec::new(),
                );
            }
            (
                200,
                json!({ "token": mint(state, public, json!({})) }),
                Vec::new(),
            )
        }
        ("POST", "/v1/x509") => {
            let (Principal::Instance, Some(instance)) = (principal, &state.instance) else {
                return (
                    401,
                    error_body(
                        "NotAuthenticated",
                        "federation needs the instance certificate's signature",
                    ),
                    Vec::new(),
                );
            };
            match instance.check_federation(body) {
                Ok(session) => {
                    let claims = json!({
                        "sub": instance.instance_id,
                        "tenant": instance.tenancy,
                        "opc-instance": instance.instance_id,
                        "opc-certtype": "instance",
                        "ptype": "instance",
                        "ttype": "x509",
                    });
                    (
                        200,
                        json!({ "token": mint(state, &session, claims) }),
                        Vec::new(),
                    )
                }
                Err(reason) => (400, error_body("InvalidParameter", &reason), Vec::new()),
            }
        }
        ("GET", "/20160918/instances") => {
            if !query.contains_key("compartmentId") {
                return (
                    400,
                    error_body("MissingParameter", "compartmentId is required"),
                    Vec::new(),
                );
            }
            let limit = query
                .get("limit")
                .and_then(|l| l.parse::<usize>().ok())
                .unwrap_or(100)
                .clamp(1, 1000);
            // Page tokens carry characters that must be percent-encoded on the way back.
            let start = match query.get("page") {
                None => 0,
                Some(page) => match page
                    .strip_prefix("tok/")
                    .and_then(|p| p.strip_suffix("+=="))
                {
                    Some(offset) => offset.parse().unwrap_or(usize::MAX),
                    None => {
                        return (
                            400,
                            error_body("InvalidParameter", "not a page token of this list"),
                            Vec::new(),
                        );
                    }
                },
            };
            // Filtered like the catalog's lists: compartment, state, name, domain.
            let matching = catalog::filtered(&state.instances, &pairs);
            let page: Vec<&Value> = matching.iter().skip(start).take(limit).collect();
            let next = start + page.len();
            let headers = if next < matching.len() {
                vec![("opc-next-page", format!("tok/{next}+=="))]
            } else {
                Vec::new()
            };
            (200, json!(page), headers)
        }
        ("POST", path) if path.starts_with("/20160918/instances/") => {
            let id = &path["/20160918/instances/".len()..];
            if let Some(done) = retry_token.and_then(|token| state.actions_done.get(token)) {
                return (200, done.clone(), Vec::new());
            }
            let state_after = match query.get("action").map(String::as_str) {
                Some("START") => "STARTING",
                Some("STOP" | "SOFTSTOP") => "STOPPING",
                Some("RESET" | "SOFTRESET") => "RUNNING",
                _ => {
                    return (
                        400,
                        error_body(
                            "InvalidParameter",
                            "action must be START, STOP, SOFTSTOP, RESET or SOFTRESET",
                        ),
                        Vec::new(),
                    );
                }
            };
            let Some(instance) = state
                .instances
                .iter_mut()
                .find(|i| i.get("id").and_then(Value::as_str) == Some(id))
            else {
                return (
                    404,
                    error_body(
                        "NotAuthorizedOrNotFound",
                        "Authorization failed or requested resource not found.",
                    ),
                    Vec::new(),
                );
            };
            instance["lifecycleState"] = json!(state_after);
            let answer = instance.clone();
            if let Some(token) = retry_token {
                state.actions_done.insert(token.to_owned(), answer.clone());
            }
            (200, answer, Vec::new())
        }
        ("GET", path) if path.starts_with("/20160918/instances/") => {
            let id = &path["/20160918/instances/".len()..];
            match state
                .instances
                .iter()
                .find(|i| i.get("id").and_then(Value::as_str) == Some(id))
            {
                Some(instance) => (
                    200,
                    instance.clone(),
                    vec![("etag", "fake-etag".to_owned())],
                ),
                None => (
                    404,
                    error_body(
                        "NotAuthorizedOrNotFound",
                        "Authorization failed or requested resource not found.",
                    ),
                    Vec::new(),
                ),
            }
        }
        _ => catalog::answer(method, path, &pairs, &state.overrides).unwrap_or_else(|| {
            (
                404,
                error_body("NotFound", &format!("no route {method} {path}")),
                Vec::new(),
            )
        }),
    }
}
