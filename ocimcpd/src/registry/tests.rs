use std::path::Path;

use ocimcp_proto::backend::BackendState;
use rmcp::model::{Resource, ResourceTemplate, Tool};
use serde_json::json;

use super::*;
use crate::config::{self, BackendSpec, ConfigSource};

fn specs(toml: &str) -> Vec<BackendSpec> {
    let dir = tempfile::tempdir().unwrap();
    config::parse(
        ConfigSource::File("t.toml".into()),
        Path::new("t.toml"),
        toml,
        dir.path(),
    )
    .unwrap()
    .backends
}

fn with_backends(specs: Vec<BackendSpec>, reserved: Vec<&'static str>) -> Registry {
    let registry = Registry::new(reserved);
    for spec in specs {
        let enabled = Enabled::by_spec(&spec);
        registry.put(Arc::new(BackendEntry::new(spec, enabled)));
    }
    registry
}

fn tool(name: &str) -> Tool {
    serde_json::from_value(json!({"name": name, "description": format!("{name} tool"), "inputSchema": {"type": "object"}}))
        .unwrap()
}

fn listing(tools: &[&str]) -> Listing {
    Listing {
        tools: tools.iter().map(|t| tool(t)).collect(),
        ..Listing::default()
    }
}

fn names(catalog: &Catalog) -> Vec<&str> {
    catalog.tools().iter().map(|t| t.name.as_ref()).collect()
}

const TWO: &str =
    "[[backends]]\nname = \"a\"\ncommand = \"x\"\n[[backends]]\nname = \"b\"\ncommand = \"x\"\n";

#[test]
fn prefixes_and_routes() {
    let registry = with_backends(specs(TWO), vec!["gateway_health"]);
    registry.entries()[0].relisted(listing(&["echo", "add"]));
    registry.entries()[1].relisted(listing(&["echo"]));
    let changed = registry.rebuild();
    assert!(changed.tools && !changed.prompts && !changed.resources);
    let catalog = registry.catalog();
    assert_eq!(names(&catalog), ["a_echo", "a_add", "b_echo"]);
    let route = catalog.tool("b_echo").unwrap();
    assert_eq!(route.backend.name(), "b");
    assert_eq!(route.original, "echo");
    // Everything but the name passes through.
    assert_eq!(catalog.tools()[0].description.as_deref(), Some("echo tool"));
    assert!(catalog.tool("echo").is_none());
}

#[test]
fn unprefixed_clash_keeps_the_first_backend_and_reports_the_second() {
    let registry = with_backends(
        specs(
            "[[backends]]\nname = \"a\"\ncommand = \"x\"\nnamespace = \"\"\n[[backends]]\nname = \"b\"\ncommand = \"x\"\nnamespace = \"\"\n",
        ),
        vec!["gateway_health"],
    );
    registry.entries()[1].relisted(listing(&["echo", "gateway_health", "only_b"]));
    registry.rebuild();
    assert_eq!(names(&registry.catalog()), ["echo", "only_b"]);
    assert_eq!(registry.catalog().tool("echo").unwrap().backend.name(), "b");
    assert!(registry.entries()[1].status().conflicts[0].contains("the gateway's own tool"));

    // When `a` (earlier in config order) lists the same name, it takes it; `b` is told.
    registry.entries()[0].relisted(listing(&["echo"]));
    let changed = registry.rebuild();
    assert!(
        !changed.tools,
        "same names, same definitions: no list_changed"
    );
    assert_eq!(registry.catalog().tool("echo").unwrap().backend.name(), "a");
    let conflicts = registry.entries()[1].status().conflicts;
    assert!(
        conflicts
            .iter()
            .any(|c| c.contains("backend `a` already provides")),
        "{conflicts:?}"
    );
    assert!(registry.entries()[0].status().conflicts.is_empty());
}

#[test]
fn tool_filters_apply() {
    let registry = with_backends(
        specs(
            "[[backends]]\nname = \"a\"\ncommand = \"x\"\ntools = { allow = [\"get_*\", \"list_*\"], deny = [\"*_secret\"] }\n",
        ),
        vec![],
    );
    registry.entries()[0].relisted(listing(&["get_thing", "list_secret", "delete_thing"]));
    registry.rebuild();
    assert_eq!(names(&registry.catalog()), ["a_get_thing"]);
}

#[test]
fn resources_are_namespaced_and_routed_back() {
    let registry = with_backends(
        specs(
            "[[backends]]\nname = \"fs\"\ncommand = \"x\"\n[[backends]]\nname = \"conf\"\ncommand = \"x\"\nnamespace = \"\"\n",
        ),
        vec![],
    );
    let fs = Listing {
        resources: vec![Resource::new("file:///etc/hosts", "hosts")],
        templates: vec![ResourceTemplate::new("file:///logs/{day}", "logs")],
        ..Listing::default()
    };
    let conf = Listing {
        templates: vec![ResourceTemplate::new("test://template/{id}/data", "t")],
        ..Listing::default()
    };
    registry.entries()[0].relisted(fs);
    registry.entries()[1].relisted(conf);
    let changed = registry.rebuild();
    assert!(changed.resources && !changed.tools);
    let catalog = registry.catalog();
    assert_eq!(catalog.resources()[0].uri, "file://fs//etc/hosts");
    assert_eq!(catalog.templates()[0].uri_template, "file://fs//logs/{day}");

    let listed = catalog.resource("file://fs//etc/hosts").unwrap();
    assert_eq!(
        (listed.backend.name(), listed.original.as_str()),
        ("fs", "file:///etc/hosts")
    );
    let templated = catalog.resource("file://fs//logs/monday").unwrap();
    assert_eq!(
        (templated.backend.name(), templated.original.as_str()),
        ("fs", "file:///logs/monday")
    );
    let unprefixed = catalog.resource("test://template/7/data").unwrap();
    assert_eq!(
        (unprefixed.backend.name(), unprefixed.original.as_str()),
        ("conf", "test://template/7/data")
    );
    let template = catalog.template("file://fs//logs/{day}").unwrap();
    assert_eq!(template.original, "file:///logs/{day}");
}

#[test]
fn changes_are_broadcast_only_when_something_changed() {
    let registry = with_backends(specs(TWO), vec![]);
    let mut rx = registry.subscribe();
    registry.entries()[0].relisted(listing(&["echo"]));
    registry.rebuild();
    assert_eq!(
        rx.try_recv().unwrap(),
        ListChanged {
            tools: true,
            prompts: false,
            resources: false
        }
    );
    registry.rebuild();
    assert!(rx.try_recv().is_err());
    registry.entries()[0].ended(BackendState::Stopped);
    registry.rebuild();
    assert!(rx.try_recv().unwrap().tools);
    assert!(registry.catalog().tools().is_empty());
}

#[test]
fn uri_routing_prefers_a_backend_that_lists_the_scheme() {
    let registry = with_backends(
        specs(
            "[[backends]]\nname = \"db\"\ncommand = \"x\"\nnamespace = \"\"\n[[backends]]\nname = \"users\"\ncommand = \"x\"\n[[backends]]\nname = \"fs\"\ncommand = \"x\"\n",
        ),
        vec![],
    );
    let db = Listing {
        templates: vec![ResourceTemplate::new("db://{table}/{id}", "row")],
        ..Listing::default()
    };
    registry.entries()[0].relisted(db);
    registry.entries()[1].relisted(Listing {
        templates: vec![ResourceTemplate::new("users://{id}", "user")],
        ..Listing::default()
    });
    registry.entries()[2].relisted(listing(&["read"]));
    registry.rebuild();
    let catalog = registry.catalog();

    // `users` does not serve db:// URIs; the unprefixed backend that lists db:// does.
    let route = catalog.resource("db://users/7").unwrap();
    assert_eq!(
        (route.backend.name(), route.original.as_str()),
        ("db", "db://users/7")
    );
    // A namespaced backend that lists the scheme gets its own URIs.
    let route = catalog.resource("users://users/42").unwrap();
    assert_eq!(
        (route.backend.name(), route.original.as_str()),
        ("users", "users://42")
    );
    // A link `fs` returned in a result (file:///tmp/a, exposed as file://fs//tmp/a) routes
    // back to `fs` though it lists no file:// resources.
    let route = catalog.resource("file://fs//tmp/a").unwrap();
    assert_eq!(
        (route.backend.name(), route.original.as_str()),
        ("fs", "file:///tmp/a")
    );
}

/// /readyz and `settled` must not say "ready" in the moment between the listeners binding
/// and the configuration's backends going in (an empty registry has nothing pending).
#[test]
fn nothing_is_settled_before_the_configuration_is_loaded() {
    let registry = Registry::new(Vec::new());
    assert!(!registry.settled());
    registry.mark_loaded();
    assert!(registry.settled(), "loaded, with no backends to wait for");
}
