//! The aggregated catalog: every exposed tool, prompt, resource and resource template, and
//! the route from each exposed name back to its backend and original name. Built whole
//! from the backends' listings and never mutated; readers hold an `Arc` to a snapshot.

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::sync::Arc;

use rmcp::model::{Prompt, Resource, ResourceTemplate, Tool};

use super::entry::BackendEntry;
use super::names;

/// Where an exposed name goes.
#[derive(Debug, Clone)]
pub struct Route {
    pub backend: Arc<BackendEntry>,
    /// The backend's own name or URI.
    pub original: String,
}

#[derive(Debug, Default)]
pub struct Catalog {
    tools: Vec<Tool>,
    tool_routes: HashMap<String, Route>,
    prompts: Vec<Prompt>,
    prompt_routes: HashMap<String, Route>,
    resources: Vec<Resource>,
    resource_routes: HashMap<String, Route>,
    templates: Vec<ResourceTemplate>,
    template_routes: HashMap<String, Route>,
    /// Backends by (non-empty) namespace, for URIs not listed verbatim.
    namespaces: HashMap<String, Arc<BackendEntry>>,
    /// Unprefixed backends in config order, with the URI schemes they list.
    unprefixed: Vec<(Arc<BackendEntry>, Vec<String>)>,
}

/// What differs between two catalogs, as MCP's three list-changed notifications.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ListChanged {
    pub tools: bool,
    pub prompts: bool,
    pub resources: bool,
}

impl ListChanged {
    pub fn any(self) -> bool {
        self.tools || self.prompts || self.resources
    }
}

/// A name a backend offers that could not be exposed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conflict {
    pub backend: String,
    pub message: String,
}

impl Catalog {
    /// Builds the catalog from the entries' listings, in config order: on a clash the
    /// earlier backend keeps the name and the later one gets a conflict. `reserved` are
    /// the gateway's own tool names.
    pub fn build(entries: &[Arc<BackendEntry>], reserved: &[&str]) -> (Catalog, Vec<Conflict>) {
        let mut catalog = Catalog::default();
        let mut conflicts = Vec::new();
        for entry in entries {
            let Some(listing) = entry.listing() else {
                continue;
            };
            let spec = entry.spec();
            let namespace = spec.namespace.as_str();
            let mut conflict = |message: String| {
                tracing::error!(backend = %spec.name, "{message}");
                conflicts.push(Conflict {
                    backend: spec.name.clone(),
                    message,
                });
            };

            for tool in listing.tools.iter().filter(|t| spec.tools.admits(&t.name)) {
                let Some(exposed) = names::exposed_name(namespace, &tool.name) else {
                    conflict("a tool with an empty name was skipped".to_owned());
                    continue;
                };
                if reserved.contains(&exposed.as_str()) {
                    conflict(format!(
                        "tool `{}` would be exposed as `{exposed}`, the gateway's own tool; it is not exposed: set a namespace",
                        tool.name
                    ));
                    continue;
                }
                match insert_route(&mut catalog.tool_routes, &exposed, entry, &tool.name) {
                    Ok(()) => {
                        let plain = if namespace.is_empty() {
                            tool.name.to_string()
                        } else {
                            format!("{namespace}_{}", tool.name)
                        };
                        if exposed != plain {
                            tracing::info!(backend = %spec.name, "tool `{}` is exposed as `{exposed}` (tool names are limited to 64 of [A-Za-z0-9_-])", tool.name);
                        }
                        let mut tool = tool.clone();
                        tool.name = exposed.into();
                        catalog.tools.push(tool);
                    }
                    Err(owner) => conflict(format!(
                        "tool `{}` would be exposed as `{exposed}`, which backend `{owner}` already provides; it is not exposed: give one of them a different namespace",
                        tool.name
                    )),
                }
            }

            for prompt in &listing.prompts {
                let Some(exposed) = names::exposed_name(namespace, &prompt.name) else {
                    continue;
                };
                match insert_route(&mut catalog.prompt_routes, &exposed, entry, &prompt.name) {
                    Ok(()) => {
                        let mut prompt = prompt.clone();
                        prompt.name = exposed;
                        catalog.prompts.push(prompt);
                    }
                    Err(owner) => conflict(format!(
                        "prompt `{}` would be exposed as `{exposed}`, which backend `{owner}` already provides; it is not exposed",
                        prompt.name
                    )),
                }
            }

            let mut schemes: Vec<String> = Vec::new();
            for resource in &listing.resources {
                let exposed = names::exposed_uri(namespace, &resource.uri);
                match insert_route(&mut catalog.resource_routes, &exposed, entry, &resource.uri) {
                    Ok(()) => {
                        schemes.extend(names::scheme(&resource.uri).map(str::to_owned));
                        let mut resource = resource.clone();
                        resource.uri = exposed;
                        catalog.resources.push(resource);
                    }
                    Err(owner) => conflict(format!(
                        "resource `{}` is already provided by backend `{owner}`; it is not exposed",
                        resource.uri
                    )),
                }
            }
            for template in &listing.templates {
                let exposed = names::exposed_uri(namespace, &template.uri_template);
                match insert_route(
                    &mut catalog.template_routes,
                    &exposed,
                    entry,
                    &template.uri_template,
                ) {
                    Ok(()) => {
                        schemes.extend(names::scheme(&template.uri_template).map(str::to_owned));
                        let mut template = template.clone();
                        template.uri_template = exposed;
                        catalog.templates.push(template);
                    }
                    Err(owner) => conflict(format!(
                        "resource template `{}` is already provided by backend `{owner}`; it is not exposed",
                        template.uri_template
                    )),
                }
            }

            if namespace.is_empty() {
                schemes.sort();
                schemes.dedup();
                catalog.unprefixed.push((entry.clone(), schemes));
            } else {
                catalog
                    .namespaces
                    .insert(namespace.to_owned(), entry.clone());
            }
        }
        (catalog, conflicts)
    }

    pub fn tools(&self) -> &[Tool] {
        &self.tools
    }

    pub fn tool(&self, exposed: &str) -> Option<&Route> {
        self.tool_routes.get(exposed)
    }

    /// How many exposed tools route to `backend`.
    pub fn tool_count(&self, backend: &str) -> usize {
        self.tool_routes
            .values()
            .filter(|r| r.backend.name() == backend)
            .count()
    }

    pub fn prompts(&self) -> &[Prompt] {
        &self.prompts
    }

    pub fn prompt(&self, exposed: &str) -> Option<&Route> {
        self.prompt_routes.get(exposed)
    }

    pub fn resources(&self) -> &[Resource] {
        &self.resources
    }

    pub fn templates(&self) -> &[ResourceTemplate] {
        &self.templates
    }

    /// The backend for a resource URI: a listed resource, then `scheme://<namespace>/...`,
    /// then an unprefixed backend that serves that scheme.
    pub fn resource(&self, uri: &str) -> Option<Route> {
        if let Some(route) = self.resource_routes.get(uri) {
            return Some(route.clone());
        }
        self.by_uri(uri)
    }

    /// The backend for a resource template (completion references name templates).
    pub fn template(&self, uri_template: &str) -> Option<Route> {
        if let Some(route) = self.template_routes.get(uri_template) {
            return Some(route.clone());
        }
        self.by_uri(uri_template)
    }

    fn by_uri(&self, uri: &str) -> Option<Route> {
        if let Some((namespace, original)) = names::split_exposed_uri(uri)
            && let Some(backend) = self.namespaces.get(namespace)
        {
            return Some(Route {
                backend: backend.clone(),
                original,
            });
        }
        let scheme = names::scheme(uri)?;
        let backend = self
            .unprefixed
            .iter()
            .find(|(_, schemes)| schemes.iter().any(|s| s == scheme))
            .or(match self.unprefixed.as_slice() {
                [only] => Some(only),
                _ => None,
            })?;
        Some(Route {
            backend: backend.0.clone(),
            original: uri.to_owned(),
        })
    }

    /// Which lists differ from `older`'s.
    pub fn changes_since(&self, older: &Catalog) -> ListChanged {
        ListChanged {
            tools: self.tools != older.tools,
            prompts: self.prompts != older.prompts,
            resources: self.resources != older.resources || self.templates != older.templates,
        }
    }
}

fn insert_route(
    routes: &mut HashMap<String, Route>,
    exposed: &str,
    entry: &Arc<BackendEntry>,
    original: &str,
) -> Result<(), String> {
    match routes.entry(exposed.to_owned()) {
        Entry::Occupied(owner) => Err(owner.get().backend.name().to_owned()),
        Entry::Vacant(slot) => {
            slot.insert(Route {
                backend: entry.clone(),
                original: original.to_owned(),
            });
            Ok(())
        }
    }
}
