//! The fake's fixture answers for the operations of `oci_api.md` §7 that `route` does not
//! serve from its state (all but the compute instances). The files of
//! `tests/fixtures/oci/catalog/` (one per service), loaded once, map
//! `"METHOD /apiVersion/path"` templates, where `{id}` stands for one path segment, to the
//! body OCI answers; a test can plant its own answers over them ([`Overrides`]). A JSON
//! array, or the `items` array of a collection object (`results` for a log search), is
//! filtered by the query parameters its items have as fields (`compartmentId`,
//! `instanceId`, `vcnId`, `lifecycleState`, ...), then paged by the `limit` query (default:
//! all) and the `page` token, with `opc-next-page` while items remain; the collection's
//! other fields are kept. A string is YAML text (the kubeconfig). Any other object is
//! answered as it is, but only for its own `id` when the path names one: another id is a
//! `404`, as OCI answers. An array under a template ending in `{id}` is a set of
//! resources, each answered under its own `id`.

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
#[derive(Debug, Clone)]
pub(super) struct Entry {
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
    let folder = crate::fixture("oci/catalog");
    let mut files: Vec<_> = std::fs::read_dir(&folder)
        .map_err(|e| format!("{}: {e}", folder.display()))?
        .filter_map(|entry| Some(entry.ok()?.path()))
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .collect();
    files.sort();
    let mut entries = Vec::new();
    for path in files {
        let text =
            std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        let Value::Object(answers) =
            serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?
        else {
            return Err(format!("{} is not a JSON object", path.display()));
        };
        for (key, body) in answers {
            let entry = Entry::parse(&key, body)
                .map_err(|reason| format!("{}: {reason}", path.display()))?;
            if entries
                .iter()
                .any(|e: &Entry| e.method == entry.method && e.segments == entry.segments)
            {
                return Err(format!("{}: `{key}` is answered twice", path.display()));
            }
            entries.push(entry);
        }
    }
    Ok(entries)
}

impl Entry {
    /// The entry of `"METHOD /apiVersion/path"`.
    pub(super) fn parse(key: &str, body: Value) -> Result<Entry, String> {
        match key.split_once(' ') {
            Some((method, template)) if template.starts_with('/') => Ok(Entry {
                method: method.to_owned(),
                segments: template.split('/').map(str::to_owned).collect(),
                body,
            }),
            _ => Err(format!("`{key}` is not `METHOD /apiVersion/path`")),
        }
    }
}

/// The catalog's answer to `method path` (the path without its query), a planted one in
/// `overrides` first; `None` when no entry is for it.
pub(super) fn answer(
    method: &str,
    path: &str,
    pairs: &[(String, String)],
    overrides: &[Entry],
) -> Option<Answer> {
    let query: &HashMap<String, String> = &pairs.iter().cloned().collect();
    let entries = match catalog() {
        Ok(entries) => entries,
        Err(reason) => {
            return Some((500, error_body("InternalServerError", reason), Vec::new()));
        }
    };
    let segments: Vec<&str> = path.split('/').collect();
    let (entry, bound) =
        best(overrides, method, &segments).or_else(|| best(entries, method, &segments))?;
    let by_id = entry.segments.last().is_some_and(|s| is_placeholder(s));
    let answer = match &entry.body {
        Value::Array(items) if by_id => items
            .iter()
            .find(|item| item.get("id").and_then(Value::as_str) == bound.last().copied())
            .map(|item| (200, item.clone(), Vec::new()))
            .ok_or_else(not_found),
        Value::Array(items) => page(&filtered(items, pairs), entry.list_name(), query)
            .map(|(items, headers)| (200, Value::Array(items), headers)),
        Value::Object(fields) => match ITEM_FIELDS
            .iter()
            .find_map(|name| Some((*name, fields.get(*name)?.as_array()?)))
        {
            Some((name, items)) => {
                page(&filtered(items, pairs), entry.list_name(), query).map(|(items, headers)| {
                    let mut collection: Map<String, Value> = fields.clone();
                    collection.insert(name.to_owned(), Value::Array(items));
                    (200, Value::Object(collection), headers)
                })
            }
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

/// The most specific of `entries` for `method` and `segments`, with its bound segments;
/// the last of equally specific ones.
fn best<'e, 'p>(
    entries: &'e [Entry],
    method: &str,
    segments: &[&'p str],
) -> Option<(&'e Entry, Vec<&'p str>)> {
    entries
        .iter()
        .filter_map(|entry| Some((entry, entry.bind(method, segments)?)))
        .max_by_key(|(entry, _)| entry.literal_segments())
}

/// The query parameters that never filter items.
const NOT_FILTERS: [&str; 4] = ["limit", "page", "sortBy", "sortOrder"];

/// The items whose fields equal a value of every query parameter they have as a field
/// (OCI's list filters: `compartmentId`, `instanceId`, `vcnId`, `lifecycleState`, ...; a
/// repeated parameter matches any of its values). With `compartmentIdInSubtree=true` the
/// compartment is not a filter: items of its sub-compartments count too.
pub(super) fn filtered(items: &[Value], pairs: &[(String, String)]) -> Vec<Value> {
    let subtree = pairs
        .iter()
        .any(|(name, value)| name == "compartmentIdInSubtree" && value == "true");
    let mut filters: Vec<(&str, Vec<&str>)> = Vec::new();
    for (name, value) in pairs {
        if NOT_FILTERS.contains(&name.as_str()) || (subtree && name == "compartmentId") {
            continue;
        }
        match filters.iter_mut().find(|(n, _)| n == name) {
            Some((_, values)) => values.push(value),
            None => filters.push((name, vec![value])),
        }
    }
    items
        .iter()
        .filter(|item| {
            filters.iter().all(|(name, wanted)| match item.get(*name) {
                Some(Value::String(value)) => wanted.contains(&value.as_str()),
                _ => true,
            })
        })
        .cloned()
        .collect()
}

/// One resource, only under its own `id` when the path names one.
fn resource(body: &Value, path_id: Option<&str>) -> Result<Answer, Answer> {
    match (path_id, body.get("id").and_then(Value::as_str)) {
        (Some(asked), Some(id)) if asked != id => Err(not_found()),
        _ => Ok((200, body.clone(), Vec::new())),
    }
}

/// OCI's answer for an id it does not know (or may not show).
fn not_found() -> Answer {
    (
        404,
        error_body(
            "NotAuthorizedOrNotFound",
            "Authorization failed or requested resource not found.",
        ),
        Vec::new(),
    )
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
