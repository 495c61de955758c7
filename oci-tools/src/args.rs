//! Argument rules every tool shares: OCIDs are checked by shape before any call, lists
//! take `limit` (capped) and an opaque `cursor`, and `response_format` picks markdown or
//! JSON. Arguments are flat, snake_case, and unknown ones are refused.

use schemars::JsonSchema;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use super::error::ToolError;

/// Items per page when a call gives no `limit`.
pub const DEFAULT_LIMIT: u32 = 50;
/// The most items one page may have; a larger `limit` is lowered to this.
pub const MAX_LIMIT: u32 = 100;

/// How the answer is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ResponseFormat {
    /// Compact markdown (tables), for a model's context.
    #[default]
    Markdown,
    /// JSON text, the same object as `structuredContent`.
    Json,
}

/// The page size to ask OCI for.
pub fn limit(limit: Option<u32>) -> u32 {
    limit.unwrap_or(DEFAULT_LIMIT).clamp(1, MAX_LIMIT)
}

/// Checks that `value` (argument `field`) is an OCID, of one of `kinds` when given
/// (`ocid1.<kind>.<realm>.[region].<unique id>`).
pub fn ocid(field: &str, value: &str, kinds: &[&str]) -> Result<(), ToolError> {
    let parts: Vec<&str> = value.split('.').collect();
    let shaped = parts.len() >= 5
        && parts[0] == "ocid1"
        && !parts[1].is_empty()
        && !parts[2].is_empty()
        && parts.last().is_some_and(|unique| !unique.is_empty())
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'));
    if !shaped {
        return Err(ToolError::invalid(format!(
            "`{field}` = `{value}` is not an OCID (they look like `ocid1.<type>.oc1.<region>.<id>`)"
        )));
    }
    if !kinds.is_empty() && !kinds.contains(&parts[1]) {
        return Err(ToolError::invalid(format!(
            "`{field}` = `{value}` is an OCID of type `{}`; expected type `{}`",
            parts[1],
            kinds.join("` or `")
        )));
    }
    Ok(())
}

/// The page of a list that `cursor` names (the first without one): its items and the
/// token of the next page, which the tool hands back as `next_cursor`.
pub async fn one_page<T: DeserializeOwned>(
    pages: oci_api::Pages<'_, T>,
    cursor: Option<String>,
) -> Result<(Vec<T>, Option<String>), ToolError> {
    Ok(pages
        .from_page(cursor)
        .next()
        .await
        .transpose()?
        .map(|page| (page.items, page.next_page))
        .unwrap_or_default())
}

/// `true`, for `#[serde(default = "...")]` on flags that are on unless turned off.
pub fn default_true() -> bool {
    true
}

/// Like [`ocid`] for an optional argument.
pub fn ocid_opt(field: &str, value: Option<&str>, kinds: &[&str]) -> Result<(), ToolError> {
    value.map_or(Ok(()), |value| ocid(field, value, kinds))
}

/// Splits `response_format` off the arguments and reads the rest as `A`, naming the
/// argument at fault when they do not fit.
pub fn parse<A: DeserializeOwned>(
    arguments: Option<Map<String, Value>>,
) -> Result<(A, ResponseFormat), ToolError> {
    let mut arguments = arguments.unwrap_or_default();
    let format = match arguments.remove("response_format") {
        None | Some(Value::Null) => ResponseFormat::default(),
        Some(value) => serde_json::from_value(value).map_err(|_| {
            ToolError::invalid("`response_format` must be \"markdown\" or \"json\"")
        })?,
    };
    let args = serde_path_to_error::deserialize(Value::Object(arguments)).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        if path == "." {
            ToolError::invalid(inner.to_string())
        } else {
            ToolError::invalid(format!("`{path}`: {inner}"))
        }
    })?;
    Ok((args, format))
}

/// No arguments (besides `response_format`).
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NoArgs {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ocids_are_checked_by_shape_and_kind() {
        assert!(ocid("id", "ocid1.instance.oc1.iad.abc", &["instance"]).is_ok());
        assert!(ocid("id", "ocid1.tenancy.oc1..aaa", &["compartment", "tenancy"]).is_ok());
        let wrong_kind = ocid("instance_id", "ocid1.vcn.oc1.iad.abc", &["instance"])
            .expect_err("a VCN is not an instance");
        assert!(
            wrong_kind
                .to_string()
                .contains("is an OCID of type `vcn`; expected type `instance`"),
            "{wrong_kind}"
        );
        for bad in [
            "",
            "i-123",
            "ocid1.instance",
            "ocid1.instance.oc1.iad.",
            "ocid1.x.oc1..a b",
        ] {
            assert!(ocid("id", bad, &[]).is_err(), "{bad}");
        }
    }

    #[test]
    fn limits_are_capped() {
        assert_eq!(limit(None), DEFAULT_LIMIT);
        assert_eq!(limit(Some(0)), 1);
        assert_eq!(limit(Some(1000)), MAX_LIMIT);
    }

    #[test]
    fn unknown_arguments_and_bad_formats_are_named() {
        let args = |v: Value| v.as_object().cloned();
        let e = parse::<NoArgs>(args(serde_json::json!({"x": 1}))).expect_err("unknown");
        assert!(e.to_string().contains("unknown field `x`"), "{e}");
        let e = parse::<NoArgs>(args(serde_json::json!({"response_format": "xml"})))
            .expect_err("bad format");
        assert!(e.to_string().contains("response_format"), "{e}");
        let (_, format) =
            parse::<NoArgs>(args(serde_json::json!({"response_format": "json"}))).expect("ok");
        assert_eq!(format, ResponseFormat::Json);
    }
}
