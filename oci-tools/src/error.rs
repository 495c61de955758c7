//! Why a tool call failed, told to the model as an MCP tool error (`isError: true`): what
//! went wrong (with OCI's code, message and request id) and one line on what to do.

use oci_api::{Error as OciError, ServiceError};
use serde_json::json;

/// A failed tool call.
#[derive(Debug, thiserror::Error)]
pub enum ToolError {
    /// The arguments do not fit the tool's input schema, or an OCID has the wrong shape.
    #[error("invalid arguments: {0}")]
    InvalidArguments(String),
    /// The tool changes resources and `[oci] allow_mutations` is off.
    #[error(
        "`{0}` changes OCI resources, and mutations are turned off on this gateway. To allow them, set `allow_mutations = true` in the `[oci]` section of ocimcpd.toml (or ALLOW_MUTATIONS=true in the daemon's environment) and reload the daemon"
    )]
    MutationsDisabled(String),
    /// The daemon has no OCI credentials.
    #[error("no OCI credentials: {0}")]
    NoCredentials(String),
    /// The caller's token could not be exchanged for their own OCI session.
    #[error("the caller's identity could not be used with OCI: {0}")]
    UserSession(String),
    /// OCI (or the way to it) failed.
    #[error("{0}")]
    Oci(#[from] OciError),
    /// The data did not allow an answer (an empty metric series, say).
    #[error("{0}")]
    Failed(String),
}

impl ToolError {
    pub fn invalid(message: impl Into<String>) -> Self {
        ToolError::InvalidArguments(message.into())
    }

    /// What to do about it, in one line.
    pub fn suggestion(&self) -> String {
        match self {
            ToolError::InvalidArguments(_) => {
                "fix the arguments; oci_get_tool_schema shows this tool's input schema".to_owned()
            }
            ToolError::MutationsDisabled(_) => {
                "ask the operator to enable mutations, or use a read-only tool".to_owned()
            }
            ToolError::UserSession(_) => "sign in again; if it persists, check `[oci.identity_domain]` (its OAuth client must be allowed to exchange tokens)".to_owned(),
            ToolError::NoCredentials(_) => "configure one of the ways in `[oci]` of ocimcpd.toml (docs/configuration.md) and run `ocimcpctl restart oci`".to_owned(),
            ToolError::Oci(OciError::Service(service)) => service_suggestion(service).to_owned(),
            ToolError::Oci(OciError::Auth(_)) => {
                "the daemon's OCI credentials did not work: check them (oci_ping shows which are in use)".to_owned()
            }
            ToolError::Oci(OciError::Transport { .. }) => {
                "OCI could not be reached: check the network path (proxy, egress rules) to the endpoint and retry".to_owned()
            }
            ToolError::Oci(OciError::InvalidPath { .. }) => {
                "fix the argument named in the error: it must be a name or OCID, not empty, `.` or `..`".to_owned()
            }
            ToolError::Oci(OciError::Decode { .. }) => {
                "OCI answered in an unexpected form: retry, and report it if it persists".to_owned()
            }
            ToolError::Failed(_) => "try a wider time range or other arguments".to_owned(),
        }
    }

    /// The error as the tool's text: a few lines, or one JSON object.
    pub fn render(&self, tool: &str, json: bool) -> String {
        let service = match self {
            ToolError::Oci(OciError::Service(service)) => Some(service),
            _ => None,
        };
        if json {
            let body = json!({
                "error": {
                    "tool": tool,
                    "code": service.map(|s| s.code.as_str()),
                    "status": service.map(|s| s.status),
                    "message": service.map_or_else(|| self.to_string(), |s| s.message.clone()),
                    "request_id": service.and_then(|s| s.request_id.as_deref()),
                    "suggestion": self.suggestion(),
                }
            });
            return body.to_string();
        }
        format!("{tool} failed: {self}\nSuggestion: {}", self.suggestion())
    }
}

/// The suggestion for an OCI error answer, by its code (then its status).
fn service_suggestion(error: &ServiceError) -> &'static str {
    match (error.code.as_str(), error.status) {
        ("NotAuthorizedOrNotFound", _) | (_, 404) => {
            "check the OCID (and its region), and that an IAM policy lets this gateway's principal read it"
        }
        ("NotAuthenticated", _) | (_, 401) => {
            "OCI did not accept the credentials: check the key and fingerprint, or renew the session token"
        }
        ("NotAuthorized", _) | (_, 403) => {
            "the principal lacks an IAM policy for this operation: add one that allows it"
        }
        ("IncorrectState", _) | (_, 409) => {
            "the resource is not in a state that allows this; check its lifecycle state and retry when it settles"
        }
        ("TooManyRequests", _) | (_, 429) => {
            "OCI is throttling requests: wait a little and retry, or narrow the request"
        }
        ("LimitExceeded", _) => "a service limit was reached: raise the limit or free resources",
        ("InvalidParameter" | "MissingParameter", _) | (_, 400) => {
            "OCI rejected a parameter: check the arguments' values"
        }
        (_, 500..) => "OCI had an internal error: retry in a moment",
        _ => "check the arguments and the principal's IAM policies",
    }
}
