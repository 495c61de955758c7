//! The fake's fixture answers for the operations of `oci_api.md` §7 that `route` does not
//! serve from its state (all but the compute instances). `tests/fixtures/oci/catalog.json`,
//! loaded once, maps `"METHOD /apiVersion/path"` templates, where `{id}` stands for one
//! path segment, to the body OCI answers. A JSON array, or the `items` array of a
//! collection object (`results` for a log search), is paged by the `limit` query (default:
//! all) and the `page` token, with `opc-next-page` while items remain; the collection's
//! other fields are kept. A string is YAML text (the kubeconfig). Any other object is
//! answered as it is, but only for its own `id` when the path names one: another id is a
//! `404`, as OCI answers.

use std::collections::HashMap;
use std::sync::OnceLock;

use serde_json::{Map, Value};

use super::error_body;

/// Extra headers of an answer.
type Headers = Vec<(&'static str, String)>;

/// What `route` answers: status, body and extra headers.
type Answer = (u16, Value, Headers);

/// The fields of a collection object that hold its items, in the order they are looked for.
const ITEM_FIELDS: [&str; 2] = ["items", "results"];

/// One entry of the catalog.
struct Entry {
    method: String,
    /// The template's path segments; `{...}` matches any one segment.
    segments: Vec<String>,
    body: Value,
}

impl Entry {
    /// The segments that stood for the template's `{...}`, when `method` and `segments`
    /// are this entry's.
    fn bind<'p>(&self, method: &str, segments: &[&'p str]) -> Option<Vec<&'p str>> {
        if self.method != method || self.segments.len() != segments.len() {
            return None;
        }
        let mut bound = Vec::new();
        for (template, segment) in self.segments.iter().zip(segments) {
            if is_placeholder(template) && !segment.is_empty() {
                bound.push(*segment);
            } else if template != segment {
                return None;
            }
        }
        Some(bound)
    }

    /// How many segments must match literally: the more, the more specific the entry.
    fn literal_segments(&self) -> usize {
        self.segments.iter().filter(|s| !is_placeholder(s)).count()
    }

    /// The name page tokens of this list carry: its last literal segment (`vcns`).
    fn list_name(&self) -> &str {
        self.segments
            .iter()
            .rev()
            .find(|s| !is_placeholder(s))
            .map_or("", String::as_str)
    }
}

fn is_placeholder(segment: &str) -> bool {
    segment.starts_with('{') && segment.ends_with('}')
}

/// The catalog, read on first use; why it cannot be read, if it cannot.
fn catalog() -> &'static Result<Vec<Entry>, String> {
    static CATALOG: OnceLock<Result<Vec<Entry>, String>> = OnceLock::new();
    CATALOG.get_or_init(load)
}

fn load() -> Result<Vec<Entry>, String> {
    let path = crate::fixture("oci/catalog.json");
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let Value::Object(entries) =
        serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?
    else {
        return Err(format!("{} is not a JSON object", path.display()));
    };
    entries
        .into_iter()
        .map(|(key, body)| match key.split_once(' ') {
            Some((method, template)) if template.starts_with('/') => Ok(Entry {
                method: method.to_owned(),
                segments: template.split('/').map(str::to_owned).collect(),
                body,
            }),
            _ => Err(format!(
                "{}: `{key}` is not `METHOD /apiVersion/path`",
                path.display()
            )),
        })
        .collect()
}

/// The catalog's answer to `method path` (the path without its query), `None` when no
/// entry is for it.
pub(super) fn answer(method: &str, path: &str, query: &HashMap<String, String>) -> Option<Answer> {
    let entries = match catalog() {
        Ok(entries) => entries,
        Err(reason) => {
            return Some((500, error_body("InternalServerError", reason), Vec::new()));
        }
    };
    let segments: Vec<&str> = path.split('/').collect();
    let (entry, bound) = entries
        .iter()
        .filter_map(|entry| Some((entry, entry.bind(method, &segments)?)))
        .max_by_key(|(entry, _)| entry.literal_segments())?;
    let answer = match &entry.body {
        Value::Array(items) => page(items, entry.list_name(), query)
            .map(|(items, headers)| (200, Value::Array(items), headers)),
        Value::Object(fields) => match ITEM_FIELDS
            .iter()
            .find_map(|name| Some((*name, fields.get(*name)?.as_array()?)))
        {
            Some((name, items)) => page(items, entry.list_name(), query).map(|(items, headers)| {
                let mut collection: Map<String, Value> = fields.clone();
                collection.insert(name.to_owned(), Value::Array(items));
                (200, Value::Object(collection), headers)
            }),
            None => resource(&entry.body, bound.first().copied()),
        },
        Value::String(yaml) => Ok((
            200,
            Value::String(yaml.clone()),
            vec![("content-type", "application/x-yaml".to_owned())],
        )),
        other => Ok((200, other.clone(), Vec::new())),
    };
    Some(answer.unwrap_or_else(|refusal| refusal))
}

/// One resource, only under its own `id` when the path names one.
fn resource(body: &Value, path_id: Option<&str>) -> Result<Answer, Answer> {
    match (path_id, body.get("id").and_then(Value::as_str)) {
        (Some(asked), Some(id)) if asked != id => Err((
            404,
            error_body(
                "NotAuthorizedOrNotFound",
                "Authorization failed or requested resource not found.",
            ),
            Vec::new(),
        )),
        _ => Ok((200, body.clone(), Vec::new())),
    }
}

/// The page of `items` that the `limit` and `page` queries ask for, and `opc-next-page`
/// when items remain. Tokens are `<list>/<offset>+==`, so they must be encoded in a query.
fn page(
    items: &[Value],
    list: &str,
    query: &HashMap<String, String>,
) -> Result<(Vec<Value>, Headers), Answer> {
    let invalid = |message: &str| (400, error_body("InvalidParameter", message), Vec::new());
    let limit = match query.get("limit").map(|limit| limit.parse::<usize>()) {
        None => items.len().max(1),
        Some(Ok(limit)) if limit > 0 => limit,
        Some(_) => return Err(invalid("limit must be a positive integer")),
    };
    let start = match query.get("page") {
        None => 0,
        Some(token) => match token
            .strip_prefix(list)
            .and_then(|rest| rest.strip_prefix('/'))
            .and_then(|rest| rest.strip_suffix("+=="))
            .and_then(|offset| offset.parse::<usize>().ok())
            .filter(|offset| (1..items.len()).contains(offset))
        {
            Some(offset) => offset,
            None => return Err(invalid("not a page token of this list")),
        },
    };
    let end = start.saturating_add(limit).min(items.len());
    let headers = if end < items.len() {
        vec![("opc-next-page", format!("{list}/{end}+=="))]
    } else {
        Vec::new()
    };
    Ok((items[start..end].to_vec(), headers))
}
