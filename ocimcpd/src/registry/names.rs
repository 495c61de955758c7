//! How backend names become client-visible names, and back.
//!
//! Tools and prompts: `<namespace>_<name>`, then any character outside `[A-Za-z0-9_-]` is
//! replaced by `_`, and names over 64 characters are cut to 55 and given a `-` plus eight
//! hex digits of an FNV-1a hash of the full name, so the result is stable across restarts.
//! Resource URIs: `scheme://rest` becomes `scheme://<namespace>/rest`.

/// Clients reject tool names longer than this.
pub const MAX_NAME_LEN: usize = 64;

/// The exposed form of a tool or prompt name; `None` for an empty name.
pub fn exposed_name(namespace: &str, name: &str) -> Option<String> {
    if name.is_empty() {
        return None;
    }
    let joined = if namespace.is_empty() {
        name.to_owned()
    } else {
        format!("{namespace}_{name}")
    };
    let mut clean: String = joined
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if clean.len() > MAX_NAME_LEN {
        let hash = fnv1a(joined.as_bytes());
        clean.truncate(MAX_NAME_LEN - 9);
        clean.push('-');
        clean.push_str(&format!("{hash:08x}"));
    }
    Some(clean)
}

/// True when `name` is acceptable to clients as it is.
#[cfg(test)]
fn is_valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= MAX_NAME_LEN
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// The exposed form of a resource URI or URI template.
pub fn exposed_uri(namespace: &str, uri: &str) -> String {
    if namespace.is_empty() {
        return uri.to_owned();
    }
    match uri.split_once("://") {
        Some((scheme, rest)) => format!("{scheme}://{namespace}/{rest}"),
        None => uri.to_owned(),
    }
}

/// Splits an exposed `scheme://<namespace>/rest` into the namespace and the original URI.
pub fn split_exposed_uri(uri: &str) -> Option<(&str, String)> {
    let (scheme, rest) = uri.split_once("://")?;
    let (namespace, remainder) = rest.split_once('/').unwrap_or((rest, ""));
    Some((namespace, format!("{scheme}://{remainder}")))
}

/// The scheme of a URI (`test` in `test://x`), if it has one.
pub fn scheme(uri: &str) -> Option<&str> {
    uri.split_once(':').map(|(scheme, _)| scheme)
}

fn fnv1a(bytes: &[u8]) -> u32 {
    bytes.iter().fold(0x811c_9dc5u32, |hash, &b| {
        (hash ^ u32::from(b)).wrapping_mul(0x0100_0193)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_and_sanitizes() {
        assert_eq!(exposed_name("py", "echo").as_deref(), Some("py_echo"));
        assert_eq!(exposed_name("", "echo").as_deref(), Some("echo"));
        assert_eq!(
            exposed_name("jira", "issue.get").as_deref(),
            Some("jira_issue_get")
        );
        assert_eq!(exposed_name("a-b", "x y").as_deref(), Some("a-b_x_y"));
        assert_eq!(exposed_name("ns", ""), None);
    }

    #[test]
    fn long_names_are_shortened_stably() {
        let long = "a_very_long_tool_name_that_goes_on_and_on_and_on_past_the_limit";
        let exposed = exposed_name("namespace", long).unwrap();
        assert_eq!(exposed.len(), MAX_NAME_LEN);
        assert!(is_valid_name(&exposed));
        assert_eq!(exposed, exposed_name("namespace", long).unwrap());
        assert!(exposed.starts_with("namespace_a_very_long"));
        // Two names that share the first 55 characters still differ.
        let other = exposed_name("namespace", &format!("{long}2")).unwrap();
        assert_ne!(exposed, other);
    }

    #[test]
    fn uris_round_trip() {
        assert_eq!(
            exposed_uri("fs", "file:///etc/hosts"),
            "file://fs//etc/hosts"
        );
        assert_eq!(
            split_exposed_uri("file://fs//etc/hosts"),
            Some(("fs", "file:///etc/hosts".to_owned()))
        );
        assert_eq!(
            exposed_uri("t", "test://template/{id}/data"),
            "test://t/template/{id}/data"
        );
        assert_eq!(
            split_exposed_uri("test://t/template/7/data"),
            Some(("t", "test://template/7/data".to_owned()))
        );
        assert_eq!(exposed_uri("t", "urn:isbn:123"), "urn:isbn:123");
        assert_eq!(exposed_uri("", "test://x"), "test://x");
        assert_eq!(
            split_exposed_uri("test://t"),
            Some(("t", "test://".to_owned()))
        );
    }
}
