//! Typed OCI operations: for each call the tools make, a request type that builds the exact
//! [`Request`] the Python SDK sends (method, path, query names and order, camelCase JSON body
//! without absent fields) and the answer's model with the fields the tools read. Each
//! service's module adds its calls to [`Client`]:
//!
//! ```no_run
//! # async fn example(client: &oci_api::Client) -> Result<(), oci_api::Error> {
//! use oci_api::ops::compute::ListInstances;
//! let running = ListInstances {
//!     lifecycle_state: Some("RUNNING".to_owned()),
//!     ..ListInstances::new("ocid1.compartment.oc1..ccc")
//! };
//! let instances = client.list_instances(&running).collect(Some(100)).await?;
//! # Ok(()) }
//! ```
//!
//! Conventions throughout:
//! - list calls return [`Pages`](crate::Pages) (the `page` token is added by it, after the
//!   other query parameters); single reads and actions are `async fn`s returning the model;
//! - `Type::request()` (or `<operation>_request(...)` for calls with one or two arguments) is
//!   public, so a caller that needs a header of the answer (`etag`, `opc-work-request-id`) can
//!   [`Client::send`] it itself;
//! - filters whose values OCI validates (`lifecycleState`, `sortBy`, ...) are plain strings;
//!   closed choices that change what a call does (an instance action, a usage granularity)
//!   are enums;
//! - answer fields are `Option`s, or empty when absent or `null`, and unknown fields are
//!   ignored, so a new or missing field never fails a call; enumerations in answers are
//!   strings, so new values pass through; times in answers stay RFC 3339 text;
//! - times sent to OCI are [`Timestamp`]s, written in UTC with `Z` as the SDK writes them.
//! - `InstanceAction` carries an `opc-retry-token` and is retried like a read; the
//!   Autonomous Database start and stop take none and are sent once.

pub mod cloud_guard;
pub mod compute;
pub mod container_engine;
pub mod database;
pub mod identity;
pub mod log_analytics;
pub mod logging;
pub mod monitoring;
pub mod network;
pub mod search;
mod time;
pub mod usage;

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer, Serialize};

use crate::client::{Error, Request};

pub use time::{Timestamp, TimestampError};

#[cfg(doc)]
use crate::client::Client;

/// `freeformTags`: tag name to value.
pub type FreeformTags = BTreeMap<String, String>;

/// `definedTags` and `systemTags`: namespace to tag name to value.
pub type DefinedTags = BTreeMap<String, BTreeMap<String, serde_json::Value>>;

/// A free-form JSON object (`dict(str, object)` in the SDK models).
pub type JsonObject = BTreeMap<String, serde_json::Value>;

/// Why a value cannot be one segment of an OCI path: the URL parser resolves `.` and `..`
/// (also percent-encoded), and an empty segment joins its neighbours, so each would
/// address another resource than the one named.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "`{value}` cannot be an OCI path segment (an empty, `.` or `..` segment would address another resource); give the name or OCID itself"
)]
pub struct InvalidPathSegment {
    pub value: String,
}

/// Whether `value` may be put into a path as one segment (with [`path_segment`]).
pub fn check_path_segment(value: &str) -> Result<(), InvalidPathSegment> {
    if matches!(value, "" | "." | "..") {
        return Err(InvalidPathSegment {
            value: value.to_owned(),
        });
    }
    Ok(())
}

/// `value` percent-encoded for one path segment, as the SDK's strict mode encodes path
/// parameters (`quote(value, safe='')`): OCIDs, which are letters, digits, `.`, `-` and `_`,
/// are unchanged, while a `/` or `?` in a caller's id cannot reach another path.
pub(crate) fn path_segment(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                out.push(byte as char)
            }
            other => out.push_str(&format!("%{other:02X}")),
        }
    }
    out
}

/// `request` with `body` as its JSON. The bodies of this module are structs with string
/// keys, which JSON always holds; should one ever fail, the call fails before sending.
pub(crate) fn with_json_body<T: Serialize>(request: Request, body: &T) -> Result<Request, Error> {
    let method = request.method.clone();
    let url = request.path.clone();
    let operation = request.operation;
    request.json(body).map_err(|e| Error::Transport {
        method,
        url,
        reason: format!("{operation}: the request body cannot be written as JSON: {e}"),
    })
}

/// Deserializes a field that OCI may send as `null` (or leave out, with `#[serde(default)]`)
/// as its type's empty value.
pub(crate) fn null_as_empty<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

#[cfg(test)]
pub(crate) mod testing {
    //! Checks shared by the operation tests.

    use crate::client::Request;
    use crate::wire::query_string;

    /// The encoded query string of `request`, as the client puts it on the wire.
    pub fn wire_query(request: &Request) -> String {
        let pairs: Vec<(&str, &str)> = request
            .query
            .iter()
            .map(|(name, value)| (name.as_str(), value.as_str()))
            .collect();
        query_string(&pairs)
    }

    /// The body of `request` as text, `""` when it has none.
    pub fn body_text(request: &Request) -> String {
        request
            .body
            .as_ref()
            .map(|body| String::from_utf8(body.to_vec()).expect("bodies are UTF-8"))
            .unwrap_or_default()
    }

    /// `request`'s query as owned pairs, for comparing with a literal list.
    pub fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ocids_stay_as_they_are_in_paths_and_other_bytes_are_encoded() {
        assert_eq!(
            path_segment("ocid1.instance.oc1.iad.an_x-y"),
            "ocid1.instance.oc1.iad.an_x-y"
        );
        assert_eq!(path_segment("../x?a=b c"), "..%2Fx%3Fa%3Db%20c");
    }

    #[test]
    fn empty_and_dot_segments_are_refused() {
        for bad in ["", ".", ".."] {
            let error = check_path_segment(bad).expect_err(bad);
            assert_eq!(error.value, bad);
        }
        for good in ["...", "..a", "a..", "ocid1.instance.oc1..x", "~"] {
            check_path_segment(good).expect(good);
        }
    }

    #[test]
    fn null_and_missing_collections_read_as_empty() {
        #[derive(Deserialize)]
        struct Sample {
            #[serde(default, deserialize_with = "null_as_empty")]
            tags: FreeformTags,
            #[serde(default, deserialize_with = "null_as_empty")]
            ids: Vec<String>,
        }
        let sample: Sample = serde_json::from_str(r#"{"tags":null}"#).expect("parses");
        assert!(sample.tags.is_empty() && sample.ids.is_empty());
        let sample: Sample =
            serde_json::from_str(r#"{"tags":{"env":"prod"},"ids":["a"]}"#).expect("parses");
        assert_eq!(sample.tags["env"], "prod");
        assert_eq!(sample.ids, ["a"]);
    }
}
