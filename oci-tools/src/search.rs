//! Search tools: OCI Resource Search (`SearchResources`) over every resource type of the
//! region, with a structured query (`query instance resources where displayName =~ 'web'`)
//! or free text, one page at a time with OCI's page token as the cursor.

use oci_api::ops::search::SearchResources;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::args;
use super::error::ToolError;
use super::output::{Paged, Row, opt};
use super::toolbox::{Call, Domain, Effect, ToolDef, tool};

pub fn tools() -> Vec<ToolDef> {
    vec![tool(
        "oci_search_resources",
        Domain::Search,
        Effect::Read,
        "Find OCI resources of any type in the region with Resource Search: a structured `query` (`query instance resources where displayName =~ 'web'`, `query all resources where lifecycleState = 'STOPPED'`, `query vcn, subnet resources`) or free `text` (matched against names, tags and other fields), exactly one of the two. Rows give type, name, state, compartment, creation time and OCID. Pages with limit and cursor. The fastest way to find anything by name.",
        search_resources,
    )]
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct SearchArgs {
    /// A structured query: `query <type>[, <type>...]|all resources [where <condition>]
    /// [sorted by <field> asc|desc]`; conditions compare fields (`displayName`,
    /// `lifecycleState`, `compartmentId`, `timeCreated`, tags) with `=`, `!=`, `=~`
    /// (contains, case-insensitive), `>`, `<`, joined by `&&` and `||`. Not with `text`.
    query: Option<String>,
    /// Free text to look for in any resource's fields. Not with `query`.
    text: Option<String>,
    /// Items per page (default 50, at most 100).
    limit: Option<u32>,
    /// `next_cursor` of the previous page.
    cursor: Option<String>,
}

/// A resource found.
#[derive(Debug, Serialize, JsonSchema)]
pub struct ResourceItem {
    /// `Instance`, `Vcn`, `Bucket`, `AutonomousDatabase`, ...
    pub resource_type: Option<String>,
    pub name: Option<String>,
    /// The resource's OCID.
    pub id: String,
    pub compartment_id: Option<String>,
    pub lifecycle_state: Option<String>,
    pub availability_domain: Option<String>,
    pub time_created: Option<String>,
}

impl Row for ResourceItem {
    const COLUMNS: &'static [&'static str] =
        &["type", "name", "state", "compartment", "created", "id"];
    fn cells(&self) -> Vec<String> {
        vec![
            opt(self.resource_type.as_deref()),
            opt(self.name.as_deref()),
            opt(self.lifecycle_state.as_deref()),
            opt(self.compartment_id.as_deref()),
            opt(self.time_created.as_deref()),
            self.id.clone(),
        ]
    }
}

/// The search the arguments ask for: exactly one of a structured query and free text.
fn search_of(query: Option<String>, text: Option<String>) -> Result<SearchResources, ToolError> {
    let given = |value: Option<String>| value.filter(|v| !v.trim().is_empty());
    match (given(query), given(text)) {
        (Some(_), Some(_)) => Err(ToolError::invalid(
            "give `query` (a structured query) or `text` (free text), not both",
        )),
        (None, None) => Err(ToolError::invalid(
            "give `query` (`query instance resources where displayName =~ 'web'`) or `text` (free text)",
        )),
        (Some(query), None) => {
            let starts_right = query
                .trim_start()
                .get(..6)
                .is_some_and(|word| word.eq_ignore_ascii_case("query "));
            if !starts_right {
                return Err(ToolError::invalid(format!(
                    "`query` = `{query}` is not a structured query: they start with `query <type> resources` (`query all resources where displayName =~ 'web'`); for free text use `text`"
                )));
            }
            Ok(SearchResources::structured(query))
        }
        (None, Some(text)) => Ok(SearchResources::free_text(text)),
    }
}

async fn search_resources(call: Call, args: SearchArgs) -> Result<Paged<ResourceItem>, ToolError> {
    let search = SearchResources {
        limit: Some(args::limit(args.limit)),
        ..search_of(args.query, args.text)?
    };
    let client = call.client().await?;
    let (found, next) = args::one_page(client.search_resources(&search)?, args.cursor).await?;
    let items = found
        .into_iter()
        .map(|resource| ResourceItem {
            resource_type: resource.resource_type,
            name: resource.display_name,
            id: resource.identifier,
            compartment_id: resource.compartment_id,
            lifecycle_state: resource.lifecycle_state,
            availability_domain: resource.availability_domain,
            time_created: resource.time_created,
        })
        .collect();
    Ok(Paged::new(items, next))
}

#[cfg(test)]
mod tests {
    use oci_api::ops::search::SearchDetails;

    use super::*;

    #[test]
    fn exactly_one_of_query_and_text_is_taken() {
        let structured = search_of(Some("QUERY all resources".into()), None).expect("a query");
        assert!(matches!(
            structured.details,
            SearchDetails::Structured { .. }
        ));
        let free = search_of(None, Some("web".into())).expect("a text");
        assert!(matches!(free.details, SearchDetails::FreeText { ref text, .. } if text == "web"));
        let both = search_of(Some("query all resources".into()), Some("web".into()));
        assert!(both.is_err_and(|e| e.to_string().contains("not both")));
        assert!(
            search_of(None, Some("  ".into())).is_err(),
            "blank is not given"
        );
        let loose = search_of(Some("instances named web".into()), None);
        assert!(loose.is_err_and(|e| e.to_string().contains("use `text`")));
    }
}
