//! The aggregated catalog: every exposed tool, prompt, resource and resource template, and
//! the route from each exposed name back to its backend and original name. Built whole
//! from the backends' listings and never mutated; readers hold an `Arc` to a snapshot.

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::sync::Arc;

use ocimcp_proto::backend::BackendState;
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

/// One kind of exposed item (tools, prompts, ...) and the route behind each name.
#[derive(Debug)]
struct Section<T> {
    items: Vec<T>,
    routes: HashMap<String, Route>,
}

impl<T> Default for Section<T> {
    fn default() -> Self {
        Self {
            items: Vec::new(),
            routes: HashMap::new(),
        }
    }
}

impl<T: Clone> Section<T> {
    /// Exposes a copy of `item` as `exposed`, or returns the backend that already has it.
    fn add(
        &mut self,
        entry: &Arc<BackendEntry>,
        item: &T,
        original: &str,
        exposed: String,
        rename: impl FnOnce(&mut T, String),
    ) -> Result<(), String> {
        match self.routes.entry(exposed.clone()) {
            Entry::Occupied(owner) => Err(owner.get().backend.name().to_owned()),
            Entry::Vacant(slot) => {
                slot.insert(Route {
                    backend: entry.clone(),
                    original: original.to_owned(),
                });
                let mut item = item.clone();
                rename(&mut item, exposed);
                self.items.push(item);
                Ok(())
            }
        }
    }
}

/// A backend and the URI schemes of the resources and templates it lists.
#[derive(Debug)]
struct Schemes {
    backend: Arc<BackendEntry>,
    schemes: Vec<String>,
}

impl Schemes {
    fn lists(&self, scheme: &str) -> bool {
        self.schemes.iter().any(|s| s == scheme)
    }
}

#[derive(Debug, Default)]
pub struct Catalog {
    tools: Section<Tool>,
    prompts: Section<Prompt>,
    resources: Section<Resource>,
    templates: Section<ResourceTemplate>,
    /// Backends by (non-empty) namespace, with the URI schemes they list, for URIs not
    /// listed verbatim.
    namespaces: HashMap<String, Schemes>,
    /// Unprefixed backends in config order, with the URI schemes they list.
    unprefixed: Vec<Schemes>,
    /// Exposed names (tools, prompts, resource URIs) of quarantined backends, left out of
    /// the lists, so a call that still names one can say why it fails.
    withdrawn: HashMap<String, Route>,
}

/// What differs between two catalogs, as MCP's three list-changed notifications.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ListChanged {
    pub tools: bool,
    pub prompts: bool,
    pub resources: bool,
}

impl ListChanged {
    /// Everything: what to send when changes were missed.
    pub const ALL: ListChanged = ListChanged {
        tools: true,
        prompts: true,
        resources: true,
    };

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
            if entry.status().state == BackendState::Quarantined {
                catalog.withdraw(entry, &listing);
                continue;
            }
            let mut conflict = |message: String| {
                tracing::error!(backend = %spec.name, "{message}");
                conflicts.push(Conflict {
                    backend: spec.name.clone(),
                    message,
                });
            };
            let clash = |kind: &str, original: &str, exposed: &str, owner: &str| {
                format!(
                    "{kind} `{original}` would be exposed as `{exposed}`, which backend `{owner}` already provides; it is not exposed: give one of them a different namespace"
                )
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
                let plain = if namespace.is_empty() {
                    tool.name.to_string()
                } else {
                    format!("{namespace}_{}", tool.name)
                };
                if exposed != plain {
                    tracing::info!(backend = %spec.name, "tool `{}` is exposed as `{exposed}` (tool names are limited to 64 of [A-Za-z0-9_-])", tool.name);
                }
                if let Err(owner) =
                    catalog
                        .tools
                        .add(entry, tool, &tool.name, exposed.clone(), |t, name| {
                            t.name = name.into()
                        })
                {
                    conflict(clash("tool", &tool.name, &exposed, &owner));
                }
            }
            for prompt in &listing.prompts {
                let Some(exposed) = names::exposed_name(namespace, &prompt.name) else {
                    continue;
                };
                if let Err(owner) =
                    catalog
                        .prompts
                        .add(entry, prompt, &prompt.name, exposed.clone(), |p, name| {
                            p.name = name
                        })
                {
                    conflict(clash("prompt", &prompt.name, &exposed, &owner));
                }
            }
            for resource in &listing.resources {
                let exposed = names::exposed_uri(namespace, &resource.uri);
                if let Err(owner) = catalog.resources.add(
                    entry,
                    resource,
                    &resource.uri,
                    exposed.clone(),
                    |r, uri| r.uri = uri,
                ) {
                    conflict(clash("resource", &resource.uri, &exposed, &owner));
                }
            }
            for template in &listing.templates {
                let exposed = names::exposed_uri(namespace, &template.uri_template);
                let original = &template.uri_template;
                if let Err(owner) =
                    catalog
                        .templates
                        .add(entry, template, original, exposed.clone(), |t, uri| {
                            t.uri_template = uri
                        })
                {
                    conflict(clash("resource template", original, &exposed, &owner));
                }
            }

            let uris = listing
                .resources
                .iter()
                .map(|r| &r.uri)
                .chain(listing.templates.iter().map(|t| &t.uri_template));
            let mut schemes: Vec<String> = uris
                .filter_map(|uri| names::scheme(uri))
                .map(str::to_owned)
                .collect();
            schemes.sort();
            schemes.dedup();
            let schemes = Schemes {
                backend: entry.clone(),
                schemes,
            };
            if namespace.is_empty() {
                catalog.unprefixed.push(schemes);
            } else {
                catalog.namespaces.insert(namespace.to_owned(), schemes);
            }
        }
        (catalog, conflicts)
    }

    /// Remembers a quarantined backend's exposed names (first owner wins, as in the lists).
    fn withdraw(&mut self, entry: &Arc<BackendEntry>, listing: &super::Listing) {
        let spec = entry.spec();
        let namespace = spec.namespace.as_str();
        let tools = listing
            .tools
            .iter()
            .filter(|t| spec.tools.admits(&t.name))
            .filter_map(|t| Some((names::exposed_name(namespace, &t.name)?, t.name.to_string())));
        let prompts = listing
            .prompts
            .iter()
            .filter_map(|p| Some((names::exposed_name(namespace, &p.name)?, p.name.clone())));
        let resources = listing
            .resources
            .iter()
            .map(|r| (names::exposed_uri(namespace, &r.uri), r.uri.clone()));
        for (exposed, original) in tools.chain(prompts).chain(resources) {
            self.withdrawn.entry(exposed).or_insert_with(|| Route {
                backend: entry.clone(),
                original,
            });
        }
    }

    /// Where this exposed name (tool, prompt or resource of a quarantined backend) went
    /// before it was withdrawn.
    pub fn withdrawn(&self, exposed: &str) -> Option<&Route> {
        self.withdrawn.get(exposed)
    }

    pub fn tools(&self) -> &[Tool] {
        &self.tools.items
    }

    pub fn tool(&self, exposed: &str) -> Option<&Route> {
        self.tools.routes.get(exposed)
    }

    /// The exposed tools that route to `backend`, in catalog order.
    pub fn tools_of<'a>(&'a self, backend: &'a str) -> impl Iterator<Item = &'a Tool> + 'a {
        self.tools.items.iter().filter(move |tool| {
            self.tool(&tool.name)
                .is_some_and(|route| route.backend.name() == backend)
        })
    }

    /// How many exposed tools route to `backend`.
    pub fn tool_count(&self, backend: &str) -> usize {
        self.tools
            .routes
            .values()
            .filter(|r| r.backend.name() == backend)
            .count()
    }

    pub fn prompts(&self) -> &[Prompt] {
        &self.prompts.items
    }

    pub fn prompt(&self, exposed: &str) -> Option<&Route> {
        self.prompts.routes.get(exposed)
    }

    pub fn resources(&self) -> &[Resource] {
        &self.resources.items
    }

    pub fn templates(&self) -> &[ResourceTemplate] {
        &self.templates.items
    }

    /// The backend for a resource URI: a listed resource, then `scheme://<namespace>/...`,
    /// then an unprefixed backend that serves that scheme.
    pub fn resource(&self, uri: &str) -> Option<Route> {
        if let Some(route) = self.resources.routes.get(uri) {
            return Some(route.clone());
        }
        self.by_uri(uri)
    }

    /// The backend for a resource template (completion references name templates).
    pub fn template(&self, uri_template: &str) -> Option<Route> {
        if let Some(route) = self.templates.routes.get(uri_template) {
            return Some(route.clone());
        }
        self.by_uri(uri_template)
    }

    /// For a URI nobody listed verbatim, in order: the backend whose namespace the URI
    /// carries, if it lists that scheme; an unprefixed backend that lists it (so
    /// `db://users/7` from an unprefixed `db://{table}/{id}` is not taken by a backend
    /// namespaced `users`); the namespace alone (links a backend returned in results);
    /// the only unprefixed backend.
    fn by_uri(&self, uri: &str) -> Option<Route> {
        let scheme = names::scheme(uri)?;
        let namespaced = names::split_exposed_uri(uri)
            .and_then(|(namespace, original)| Some((self.namespaces.get(namespace)?, original)));
        if let Some((owner, original)) = &namespaced
            && owner.lists(scheme)
        {
            return Some(Route {
                backend: owner.backend.clone(),
                original: original.clone(),
            });
        }
        if let Some(owner) = self.unprefixed.iter().find(|u| u.lists(scheme)) {
            return Some(Route {
                backend: owner.backend.clone(),
                original: uri.to_owned(),
            });
        }
        if let Some((owner, original)) = namespaced {
            return Some(Route {
                backend: owner.backend.clone(),
                original,
            });
        }
        match self.unprefixed.as_slice() {
            [only] => Some(Route {
                backend: only.backend.clone(),
                original: uri.to_owned(),
            }),
            _ => None,
        }
    }

    /// Which lists differ from `older`'s.
    pub fn changes_since(&self, older: &Catalog) -> ListChanged {
        ListChanged {
            tools: self.tools.items != older.tools.items,
            prompts: self.prompts.items != older.prompts.items,
            resources: self.resources.items != older.resources.items
                || self.templates.items != older.templates.items,
        }
    }
}
