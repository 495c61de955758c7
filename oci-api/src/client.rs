//! The HTTP side: builds each call's URL from the service's endpoint, signs it with the
//! provider's current signer, sends it on the shared reqwest client, retries what OCI says
//! may be retried (429, 409 IncorrectState, 5xx but 501, connection errors) with
//! exponential backoff and jitter or the server's `Retry-After`, refreshes token
//! credentials once on 401, and turns error answers into [`ServiceError`]s. Lists are read
//! page by page over `opc-next-page` with [`Pages`].

use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::{HeaderMap, Method, StatusCode};
use serde::de::DeserializeOwned;

use crate::auth::{AuthError, AuthProvider};
use crate::endpoints::Endpoints;
use crate::ops::{InvalidPathSegment, check_path_segment};
use crate::region::{Region, Service};
use crate::signer::Coverage;
use crate::wire::{error_chain, new_request_id, query_string, random_fraction, signed_request};

/// What a call can fail with.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Service(#[from] ServiceError),
    #[error("OCI credentials: {0}")]
    Auth(#[from] AuthError),
    #[error("{method} {url}: {reason}")]
    Transport {
        method: Method,
        url: String,
        reason: String,
    },
    #[error("{operation}: the answer is not what OCI documents: {reason}")]
    Decode { operation: String, reason: String },
    /// A value put into the request's path would change which resource it addresses
    /// (`..`, `.`, or empty); nothing was sent.
    #[error("{operation}: {source}")]
    InvalidPath {
        operation: &'static str,
        source: InvalidPathSegment,
    },
}

/// An error answer from an OCI service: `NotAuthorizedOrNotFound (404): ... [opc-request-id: ...]`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ServiceError {
    pub status: u16,
    pub code: String,
    pub message: String,
    pub request_id: Option<String>,
}

impl fmt::Display for ServiceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({}): {}", self.code, self.status, self.message)?;
        if let Some(id) = &self.request_id {
            write!(f, " [opc-request-id: {id}]")?;
        }
        Ok(())
    }
}

impl ServiceError {
    fn from_answer(status: StatusCode, request_id: Option<String>, body: &[u8]) -> Self {
        #[derive(serde::Deserialize)]
        struct Body {
            code: Option<String>,
            message: Option<String>,
        }
        let parsed = serde_json::from_slice::<Body>(body).ok();
        let code = parsed
            .as_ref()
            .and_then(|b| b.code.clone())
            .unwrap_or_else(|| {
                status
                    .canonical_reason()
                    .unwrap_or("Unknown")
                    .replace(' ', "")
            });
        let message = parsed.and_then(|b| b.message).unwrap_or_else(|| {
            let text = String::from_utf8_lossy(body);
            if text.trim().is_empty() {
                "(no message)".to_owned()
            } else {
                text.chars().take(300).collect()
            }
        });
        ServiceError {
            status: status.as_u16(),
            code,
            message,
            request_id,
        }
    }

    /// Whether OCI says trying again may work.
    fn retryable(&self) -> bool {
        match self.status {
            429 => true,
            409 => matches!(
                self.code.as_str(),
                "IncorrectState" | "ExternalServerIncorrectState" | "LockConflict"
            ),
            501 => false,
            500..=599 => true,
            _ => false,
        }
    }
}

/// How hard to try.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    /// Attempts in all, the first included.
    pub max_attempts: u32,
    /// The first backoff; each next one doubles, up to `max_delay`.
    pub base_delay: Duration,
    pub max_delay: Duration,
    /// No retry starts after this much time since the first attempt.
    pub budget: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 5,
            base_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(30),
            budget: Duration::from_secs(120),
        }
    }
}

impl RetryPolicy {
    /// The wait before attempt `attempt + 1`: the server's `Retry-After` if it gave one,
    /// else base × 2^attempt with "equal jitter" (half fixed, half random).
    fn delay(&self, attempt: u32, retry_after: Option<Duration>) -> Duration {
        if let Some(wait) = retry_after {
            return wait.min(self.max_delay);
        }
        let full = self
            .base_delay
            .saturating_mul(1 << attempt.min(16))
            .min(self.max_delay);
        let half = full / 2;
        half + half.mul_f64(random_fraction())
    }
}

/// One call to describe: the service, method, path below the API version, query and body.
#[derive(Debug, Clone)]
pub struct Request {
    pub service: Service,
    pub method: Method,
    pub path: String,
    pub query: Vec<(String, String)>,
    pub body: Option<Bytes>,
    pub accept: &'static str,
    /// Headers besides the signed ones (`opc-retry-token`, `if-match`).
    pub headers: Vec<(&'static str, String)>,
    /// Whether a failure after the service may have acted (5xx, a dropped connection) may
    /// be retried: true for reads and for POSTs that only search.
    pub idempotent: bool,
    /// A name for messages, `ListInstances`.
    pub operation: &'static str,
}

impl Request {
    pub fn new(operation: &'static str, service: Service, method: Method, path: String) -> Self {
        let idempotent = method == Method::GET;
        Request {
            service,
            method,
            path,
            query: Vec::new(),
            body: None,
            accept: "application/json",
            headers: Vec::new(),
            idempotent,
            operation,
        }
    }

    pub fn get(operation: &'static str, service: Service, path: String) -> Self {
        Request::new(operation, service, Method::GET, path)
    }

    pub fn post(operation: &'static str, service: Service, path: String) -> Self {
        Request::new(operation, service, Method::POST, path)
    }

    pub fn query(mut self, name: &str, value: impl ToString) -> Self {
        self.query.push((name.to_owned(), value.to_string()));
        self
    }

    pub fn query_opt(self, name: &str, value: Option<impl ToString>) -> Self {
        match value {
            Some(value) => self.query(name, value),
            None => self,
        }
    }

    /// The JSON body; fails only for values JSON cannot hold (maps with non-string keys).
    pub fn json<T: serde::Serialize>(mut self, body: &T) -> Result<Self, serde_json::Error> {
        self.body = Some(Bytes::from(serde_json::to_vec(body)?));
        Ok(self)
    }

    pub fn header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }

    /// An `opc-retry-token` for an action that takes one: OCI performs the action once
    /// for all attempts carrying the token, so the call may be retried after a 5xx.
    pub fn retry_token(mut self) -> Self {
        self.idempotent = true;
        self.header("opc-retry-token", new_request_id())
    }

    /// Marks a POST that only reads (a search): safe to retry after a 5xx.
    pub fn read_only(mut self) -> Self {
        self.idempotent = true;
        self
    }
}

/// Refuses a path with a `.` or `..` segment, or an empty one before its end (a trailing
/// `/` is part of some OCI paths): the URL parser would resolve them, so a caller's
/// `namespace` of `..` would address another resource. Each parameter is put in the path
/// with `ops::path_segment`, which encodes every byte but letters, digits and `-._~`, so
/// any such segment came from a parameter.
fn check_path(request: &Request) -> Result<(), Error> {
    let mut segments = request.path.split('/').skip(1).peekable();
    while let Some(segment) = segments.next() {
        let last = segments.peek().is_none();
        if (segment.is_empty() && last) || check_path_segment(segment).is_ok() {
            continue;
        }
        return Err(Error::InvalidPath {
            operation: request.operation,
            source: InvalidPathSegment {
                value: segment.to_owned(),
            },
        });
    }
    Ok(())
}

/// A successful answer.
#[derive(Debug, Clone)]
pub struct Response {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
    pub operation: &'static str,
}

impl Response {
    pub fn request_id(&self) -> Option<&str> {
        header(&self.headers, "opc-request-id")
    }

    pub fn next_page(&self) -> Option<&str> {
        header(&self.headers, "opc-next-page")
    }

    pub fn json<T: DeserializeOwned>(&self) -> Result<T, Error> {
        serde_json::from_slice(&self.body).map_err(|e| Error::Decode {
            operation: self.operation.to_owned(),
            reason: e.to_string(),
        })
    }
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// The OCI client: one per set of credentials.
#[derive(Debug, Clone)]
pub struct Client {
    http: reqwest::Client,
    auth: Arc<dyn AuthProvider>,
    endpoints: Endpoints,
    region: Region,
    retry: RetryPolicy,
    timeout: Duration,
}

impl Client {
    pub fn new(http: reqwest::Client, auth: Arc<dyn AuthProvider>, endpoints: Endpoints) -> Self {
        let region = auth.region().clone();
        Client {
            http,
            auth,
            endpoints,
            region,
            retry: RetryPolicy::default(),
            timeout: Duration::from_secs(60),
        }
    }

    pub fn with_retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// Each attempt's time limit.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The same credentials in another region.
    pub fn in_region(&self, region: Region) -> Self {
        Client {
            region,
            ..self.clone()
        }
    }

    pub fn auth(&self) -> &Arc<dyn AuthProvider> {
        &self.auth
    }

    pub fn region(&self) -> &Region {
        &self.region
    }

    pub fn tenancy(&self) -> &str {
        self.auth.tenancy()
    }

    /// The full URL of `request`, its query encoded as the Python SDK encodes it.
    fn url(&self, request: &Request) -> Result<reqwest::Url, Error> {
        check_path(request)?;
        let mut text = format!(
            "{}{}{}",
            self.endpoints.base(request.service, &self.region),
            request.service.base_path(),
            request.path
        );
        if !request.query.is_empty() {
            let pairs: Vec<(&str, &str)> = request
                .query
                .iter()
                .map(|(name, value)| (name.as_str(), value.as_str()))
                .collect();
            text.push('?');
            text.push_str(&query_string(&pairs));
        }
        reqwest::Url::parse(&text).map_err(|e| Error::Transport {
            method: request.method.clone(),
            url: text.clone(),
            reason: format!("not a valid URL: {e}"),
        })
    }

    /// Sends `request`, retrying and refreshing as the module doc says.
    pub async fn send(&self, request: &Request) -> Result<Response, Error> {
        let url = self.url(request)?;
        let body = request.body.clone().unwrap_or_default();
        let started = Instant::now();
        let request_id = new_request_id();
        let mut refreshed = false;
        let mut attempt = 0;
        loop {
            let signer = self.auth.signer().await?;
            let mut builder = signed_request(
                &self.http,
                &signer,
                Coverage::Standard,
                request.method.clone(),
                url.clone(),
                body.clone(),
            );
            for (name, value) in &request.headers {
                builder = builder.header(*name, value);
            }
            let sent = builder
                .header(http::header::ACCEPT, request.accept)
                .header("opc-request-id", &request_id)
                .timeout(self.timeout)
                .send()
                .await;
            let retry_after;
            let failure = match sent {
                Err(e) => {
                    let failure = Error::Transport {
                        method: request.method.clone(),
                        url: url.to_string(),
                        reason: error_chain(&e),
                    };
                    // A request that never connected can always be tried again.
                    let may_retry = request.idempotent || e.is_connect();
                    if !may_retry {
                        return Err(failure);
                    }
                    retry_after = None;
                    failure
                }
                Ok(answer) => {
                    let status = answer.status();
                    let headers = answer.headers().clone();
                    let bytes = answer.bytes().await.map_err(|e| Error::Transport {
                        method: request.method.clone(),
                        url: url.to_string(),
                        reason: error_chain(&e),
                    })?;
                    if status.is_success() {
                        return Ok(Response {
                            status,
                            headers,
                            body: bytes,
                            operation: request.operation,
                        });
                    }
                    let error = ServiceError::from_answer(
                        status,
                        header(&headers, "opc-request-id").map(str::to_owned),
                        &bytes,
                    );
                    if status == StatusCode::UNAUTHORIZED && !refreshed {
                        refreshed = true;
                        if self.auth.refresh().await? {
                            tracing::debug!(
                                "{}: 401, credentials refreshed, trying again",
                                request.operation
                            );
                            continue;
                        }
                    }
                    // A 429 or 409 means the service did nothing; a 5xx may have acted.
                    let unprocessed = matches!(status.as_u16(), 429 | 409);
                    if !error.retryable() || !(request.idempotent || unprocessed) {
                        return Err(error.into());
                    }
                    retry_after = header(&headers, "retry-after")
                        .and_then(|v| v.trim().parse::<u64>().ok())
                        .map(Duration::from_secs);
                    Error::Service(error)
                }
            };
            attempt += 1;
            let delay = self.retry.delay(attempt - 1, retry_after);
            if attempt >= self.retry.max_attempts || started.elapsed() + delay > self.retry.budget {
                return Err(failure);
            }
            tracing::debug!(
                "{}: {failure}; attempt {} in {delay:?}",
                request.operation,
                attempt + 1
            );
            tokio::time::sleep(delay).await;
        }
    }

    /// Sends `request` and reads its JSON answer.
    pub async fn call<T: DeserializeOwned>(&self, request: &Request) -> Result<T, Error> {
        self.send(request).await?.json()
    }

    /// The pages of a list call, in order.
    pub fn pages<T: DeserializeOwned>(&self, request: Request) -> Pages<'_, T> {
        Pages {
            client: self,
            request,
            next: Some(None),
            item: PhantomData,
        }
    }
}

/// One page of a list.
#[derive(Debug, Clone)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_page: Option<String>,
    pub request_id: Option<String>,
}

/// The pages of a list call; [`Pages::next`] reads the next one.
pub struct Pages<'c, T> {
    client: &'c Client,
    request: Request,
    /// `None` once the last page was read; `Some(token)` for the page to read next.
    next: Option<Option<String>>,
    item: PhantomData<fn() -> T>,
}

impl<T> fmt::Debug for Pages<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pages")
            .field("operation", &self.request.operation)
            .field("next", &self.next)
            .finish()
    }
}

/// A list answer: a bare array (core, identity, database, ...) or `{"items": [...]}`.
#[derive(serde::Deserialize)]
#[serde(untagged)]
enum ListBody<T> {
    Array(Vec<T>),
    Collection { items: Vec<T> },
}

impl<T: DeserializeOwned> Pages<'_, T> {
    /// Starts from a page token a caller kept (a cursor handed to an MCP client).
    pub fn from_page(mut self, page: Option<String>) -> Self {
        self.next = Some(page);
        self
    }

    /// The next page, or `None` after the last.
    pub async fn next(&mut self) -> Option<Result<Page<T>, Error>> {
        let token = self.next.take()?;
        let mut request = self.request.clone();
        if let Some(token) = token {
            request.query.push(("page".to_owned(), token));
        }
        let response = match self.client.send(&request).await {
            Ok(response) => response,
            Err(e) => return Some(Err(e)),
        };
        let items = match response.json::<ListBody<T>>() {
            Ok(ListBody::Array(items) | ListBody::Collection { items }) => items,
            Err(e) => return Some(Err(e)),
        };
        let next_page = response.next_page().map(str::to_owned);
        self.next = next_page.clone().map(Some);
        Some(Ok(Page {
            items,
            next_page,
            request_id: response.request_id().map(str::to_owned),
        }))
    }

    /// Every item of every page, up to `limit` items.
    pub async fn collect(mut self, limit: Option<usize>) -> Result<Vec<T>, Error> {
        let mut all = Vec::new();
        while let Some(page) = self.next().await {
            all.extend(page?.items);
            if let Some(limit) = limit
                && all.len() >= limit
            {
                all.truncate(limit);
                break;
            }
        }
        Ok(all)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn service_errors_render_with_their_request_id() {
        let error = ServiceError::from_answer(
            StatusCode::NOT_FOUND,
            Some("ABC123".to_owned()),
            br#"{"code":"NotAuthorizedOrNotFound","message":"Authorization failed or requested resource not found."}"#,
        );
        assert_eq!(
            error.to_string(),
            "NotAuthorizedOrNotFound (404): Authorization failed or requested resource not found. [opc-request-id: ABC123]"
        );
        assert!(!error.retryable());
        let gateway = ServiceError::from_answer(StatusCode::BAD_GATEWAY, None, b"<html>");
        assert_eq!(gateway.to_string(), "BadGateway (502): <html>");
        assert!(gateway.retryable());
    }

    #[test]
    fn dot_segments_and_empty_ones_never_reach_the_wire() {
        use crate::ops::log_analytics::ListSources;
        let refused = |request: Request| match check_path(&request) {
            Err(Error::InvalidPath { operation, source }) => {
                format!("{operation}: {}", source.value)
            }
            other => panic!("{} was not refused: {other:?}", request.path),
        };
        let request =
            |namespace: &str| ListSources::new(namespace, "ocid1.compartment.oc1..c").request();
        assert_eq!(refused(request("..")), "ListSources: ..");
        assert_eq!(refused(request(".")), "ListSources: .");
        assert_eq!(refused(request("")), "ListSources: ");
        let error = check_path(&request("..")).expect_err("refused");
        assert!(
            error
                .to_string()
                .contains("`..` cannot be an OCI path segment"),
            "{error}"
        );
        assert_eq!(
            refused(crate::ops::compute::get_instance_request("..")),
            "GetInstance: .."
        );
        // Values that only contain dots or slashes are encoded, and OCI's own trailing
        // slash stays allowed.
        check_path(&request("..a")).expect("a name with dots");
        check_path(&request("../x")).expect("encoded: ..%2Fx");
        check_path(&crate::ops::identity::list_api_keys_request(
            "ocid1.user.oc1..u",
        ))
        .expect("/users/{id}/apiKeys/");
    }

    #[test]
    fn what_is_retried() {
        let error = |status: u16, code: &str| ServiceError {
            status,
            code: code.to_owned(),
            message: String::new(),
            request_id: None,
        };
        assert!(error(429, "TooManyRequests").retryable());
        assert!(error(409, "IncorrectState").retryable());
        assert!(!error(409, "Conflict").retryable());
        assert!(error(503, "ServiceUnavailable").retryable());
        assert!(!error(501, "MethodNotImplemented").retryable());
        assert!(!error(400, "InvalidParameter").retryable());
    }

    #[test]
    fn backoff_doubles_with_jitter_and_honours_retry_after() {
        let policy = RetryPolicy::default();
        for attempt in 0..8 {
            let full = Duration::from_secs(1 << attempt).min(policy.max_delay);
            let delay = policy.delay(attempt, None);
            assert!(delay >= full / 2 && delay <= full, "{attempt}: {delay:?}");
        }
        assert_eq!(
            policy.delay(3, Some(Duration::from_secs(1))),
            Duration::from_secs(1)
        );
    }
}
