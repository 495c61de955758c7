//! Resource Search (`query` host, `/20180409`): `SearchResources`, structured queries
//! (`query instance resources where lifecycleState = 'RUNNING'`) or free text over every
//! resource type of the region called. A POST search, paged with `page`.

use serde::{Deserialize, Serialize};

use super::{DefinedTags, FreeformTags, JsonObject, null_as_empty, with_json_body};
use crate::client::{Client, Error, Pages, Request};
use crate::region::Service;

/// Whether results say where the query matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum MatchingContextType {
    None,
    Highlights,
}

/// The body of `SearchResources` (`SearchDetails`), tagged by `type`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type")]
pub enum SearchDetails {
    /// `query <type|all> resources [where ...] [sorted by ...]`.
    #[serde(rename = "Structured", rename_all = "camelCase")]
    Structured {
        #[serde(skip_serializing_if = "Option::is_none")]
        matching_context_type: Option<MatchingContextType>,
        query: String,
    },
    #[serde(rename = "FreeText", rename_all = "camelCase")]
    FreeText {
        #[serde(skip_serializing_if = "Option::is_none")]
        matching_context_type: Option<MatchingContextType>,
        text: String,
    },
}

/// `SearchResources`.
#[derive(Debug, Clone)]
pub struct SearchResources {
    pub details: SearchDetails,
    /// Results per page, 1 to 1000.
    pub limit: Option<u32>,
    /// Search another tenancy the caller may read.
    pub tenant_id: Option<String>,
}

impl SearchResources {
    /// A structured query, no matching context.
    pub fn structured(query: impl Into<String>) -> Self {
        SearchResources {
            details: SearchDetails::Structured {
                matching_context_type: Some(MatchingContextType::None),
                query: query.into(),
            },
            limit: None,
            tenant_id: None,
        }
    }

    /// A free-text search, no matching context.
    pub fn free_text(text: impl Into<String>) -> Self {
        SearchResources {
            details: SearchDetails::FreeText {
                matching_context_type: Some(MatchingContextType::None),
                text: text.into(),
            },
            limit: None,
            tenant_id: None,
        }
    }

    pub fn request(&self) -> Result<Request, Error> {
        let request = Request::post(
            "SearchResources",
            Service::ResourceSearch,
            "/resources".to_owned(),
        )
        .read_only()
        .query_opt("limit", self.limit)
        .query_opt("tenantId", self.tenant_id.as_ref());
        with_json_body(request, &self.details)
    }
}

/// A resource found (`ResourceSummary`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResourceSummary {
    /// `Instance`, `Vcn`, `Bucket`, ...
    pub resource_type: Option<String>,
    /// The resource's OCID.
    pub identifier: String,
    pub compartment_id: Option<String>,
    pub display_name: Option<String>,
    pub availability_domain: Option<String>,
    pub lifecycle_state: Option<String>,
    pub time_created: Option<String>,
    pub search_context: Option<SearchContext>,
    /// With `return allAdditionalFields`: type-specific fields.
    #[serde(default, deserialize_with = "null_as_empty")]
    pub additional_details: JsonObject,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub identity_context: JsonObject,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub freeform_tags: FreeformTags,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub defined_tags: DefinedTags,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub system_tags: DefinedTags,
}

/// Where a result matched: field name to highlighted fragments.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct SearchContext {
    #[serde(default, deserialize_with = "null_as_empty")]
    pub highlights: std::collections::BTreeMap<String, Vec<String>>,
}

impl Client {
    /// The resources found, page by page (a POST search, retried like a read).
    pub fn search_resources(
        &self,
        search: &SearchResources,
    ) -> Result<Pages<'_, ResourceSummary>, Error> {
        Ok(self.pages(search.request()?))
    }
}

#[cfg(test)]
mod tests {
    use http::Method;

    use super::*;
    use crate::ops::testing::{body_text, pairs, wire_query};

    #[test]
    fn search_resources_is_the_captured_sdk_request() {
        let search = SearchResources {
            limit: Some(50),
            ..SearchResources::structured(
                "query instance resources where lifecycleState = 'RUNNING'",
            )
        };
        let request = search.request().expect("builds");
        assert_eq!(request.method, Method::POST);
        assert_eq!(request.service, Service::ResourceSearch);
        assert_eq!(request.path, "/resources");
        assert_eq!(wire_query(&request), "limit=50");
        assert_eq!(
            body_text(&request),
            r#"{"type":"Structured","matchingContextType":"NONE","query":"query instance resources where lifecycleState = 'RUNNING'"}"#
        );
        assert!(request.idempotent, "a search may be retried");
    }

    #[test]
    fn free_text_searches_and_other_tenancies() {
        let search = SearchResources {
            tenant_id: Some("ocid1.tenancy.oc1..other".to_owned()),
            details: SearchDetails::FreeText {
                matching_context_type: Some(MatchingContextType::Highlights),
                text: "web-server".to_owned(),
            },
            limit: None,
        };
        let request = search.request().expect("builds");
        assert_eq!(
            request.query,
            pairs(&[("tenantId", "ocid1.tenancy.oc1..other")])
        );
        assert_eq!(
            body_text(&request),
            r#"{"type":"FreeText","matchingContextType":"HIGHLIGHTS","text":"web-server"}"#
        );
        let bare = SearchDetails::Structured {
            matching_context_type: None,
            query: "query all resources".to_owned(),
        };
        assert_eq!(
            serde_json::to_string(&bare).expect("serializes"),
            r#"{"type":"Structured","query":"query all resources"}"#
        );
    }

    #[test]
    fn the_sample_resource_summary_collection_parses() {
        #[derive(Deserialize)]
        struct ResourceSummaryCollection {
            items: Vec<ResourceSummary>,
        }
        let collection: ResourceSummaryCollection = serde_json::from_str(
            r#"{"items":[{"resourceType":"Instance","identifier":"ocid1.instance.oc1.iad.aaa","compartmentId":"ocid1.compartment.oc1..ccc","timeCreated":"2024-05-01T12:00:00Z","displayName":"web-1","availabilityDomain":"Uocm:US-ASHBURN-AD-1","lifecycleState":"RUNNING","freeformTags":{},"definedTags":{},"systemTags":{},"identityContext":{},"additionalDetails":{}}]}"#,
        )
        .expect("parses");
        let found = &collection.items[0];
        assert_eq!(found.resource_type.as_deref(), Some("Instance"));
        assert_eq!(found.identifier, "ocid1.instance.oc1.iad.aaa");
        assert_eq!(found.display_name.as_deref(), Some("web-1"));
        assert_eq!(found.lifecycle_state.as_deref(), Some("RUNNING"));
        assert!(found.additional_details.is_empty() && found.search_context.is_none());
    }

    #[test]
    fn highlights_and_additional_details_parse() {
        let found: ResourceSummary = serde_json::from_str(
            r#"{"identifier":"ocid1.vcn.oc1.iad.v","searchContext":{"highlights":{"displayName":["<h1>web</h1>-vcn"]}},"additionalDetails":{"cidrBlock":"10.0.0.0/16"},"systemTags":null}"#,
        )
        .expect("parses");
        let highlights = found.search_context.expect("context").highlights;
        assert_eq!(highlights["displayName"], ["<h1>web</h1>-vcn"]);
        assert_eq!(found.additional_details["cidrBlock"], "10.0.0.0/16");
        assert!(found.system_tags.is_empty());
    }
}
