//! Cloud Guard (`cloudguard-cp-api` host, `/20200131`): `ListProblems`, the security
//! problems its detectors found on resources.

use serde::Deserialize;

use super::{Timestamp, null_as_empty};
use crate::client::{Client, Pages, Request};
use crate::region::Service;

/// `ListProblems`.
#[derive(Debug, Clone, Default)]
pub struct ListProblems {
    pub compartment_id: String,
    pub time_last_detected_greater_than_or_equal_to: Option<Timestamp>,
    pub time_last_detected_less_than_or_equal_to: Option<Timestamp>,
    pub time_first_detected_greater_than_or_equal_to: Option<Timestamp>,
    pub time_first_detected_less_than_or_equal_to: Option<Timestamp>,
    /// `OPEN`, `RESOLVED`, `DISMISSED`, `DELETED`.
    pub lifecycle_detail: Option<String>,
    /// `ACTIVE` or `INACTIVE`.
    pub lifecycle_state: Option<String>,
    pub region: Option<String>,
    /// `CRITICAL`, `HIGH`, `MEDIUM`, `LOW`, `MINOR`.
    pub risk_level: Option<String>,
    pub resource_type: Option<String>,
    pub city: Option<String>,
    pub state: Option<String>,
    pub country: Option<String>,
    pub label: Option<String>,
    /// Sent as repeated `detectorRuleIdList` parameters.
    pub detector_rule_ids: Vec<String>,
    /// `IAAS_CONFIGURATION_DETECTOR`, `IAAS_ACTIVITY_DETECTOR`, ...
    pub detector_type: Option<String>,
    pub target_id: Option<String>,
    /// `SECURITY_ZONE`.
    pub problem_category: Option<String>,
    pub compartment_id_in_subtree: Option<bool>,
    /// `ACCESSIBLE` or `RESTRICTED`.
    pub access_level: Option<String>,
    pub resource_id: Option<String>,
    pub limit: Option<u32>,
    /// `ASC` or `DESC`.
    pub sort_order: Option<String>,
    /// `riskLevel`, `timeLastDetected` or `resourceName`.
    pub sort_by: Option<String>,
}

impl ListProblems {
    pub fn new(compartment_id: impl Into<String>) -> Self {
        ListProblems {
            compartment_id: compartment_id.into(),
            ..Default::default()
        }
    }

    pub fn request(&self) -> Request {
        let mut request = Request::get("ListProblems", Service::CloudGuard, "/problems".to_owned())
            .query_opt(
                "timeLastDetectedGreaterThanOrEqualTo",
                self.time_last_detected_greater_than_or_equal_to,
            )
            .query_opt(
                "timeLastDetectedLessThanOrEqualTo",
                self.time_last_detected_less_than_or_equal_to,
            )
            .query_opt(
                "timeFirstDetectedGreaterThanOrEqualTo",
                self.time_first_detected_greater_than_or_equal_to,
            )
            .query_opt(
                "timeFirstDetectedLessThanOrEqualTo",
                self.time_first_detected_less_than_or_equal_to,
            )
            .query_opt("lifecycleDetail", self.lifecycle_detail.as_ref())
            .query_opt("lifecycleState", self.lifecycle_state.as_ref())
            .query_opt("region", self.region.as_ref())
            .query("compartmentId", &self.compartment_id)
            .query_opt("riskLevel", self.risk_level.as_ref())
            .query_opt("resourceType", self.resource_type.as_ref())
            .query_opt("city", self.city.as_ref())
            .query_opt("state", self.state.as_ref())
            .query_opt("country", self.country.as_ref())
            .query_opt("label", self.label.as_ref());
        for rule in &self.detector_rule_ids {
            request = request.query("detectorRuleIdList", rule);
        }
        request
            .query_opt("detectorType", self.detector_type.as_ref())
            .query_opt("targetId", self.target_id.as_ref())
            .query_opt("problemCategory", self.problem_category.as_ref())
            .query_opt("compartmentIdInSubtree", self.compartment_id_in_subtree)
            .query_opt("accessLevel", self.access_level.as_ref())
            .query_opt("resourceId", self.resource_id.as_ref())
            .query_opt("limit", self.limit)
            .query_opt("sortOrder", self.sort_order.as_ref())
            .query_opt("sortBy", self.sort_by.as_ref())
    }
}

/// A problem (`ProblemSummary`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Problem {
    pub id: String,
    pub compartment_id: Option<String>,
    /// What was found, `BUCKET_IS_PUBLIC`.
    pub detector_rule_id: Option<String>,
    /// `IAAS_CONFIGURATION_DETECTOR`, ...
    pub detector_id: Option<String>,
    /// `CRITICAL`, `HIGH`, `MEDIUM`, `LOW`, `MINOR`.
    pub risk_level: Option<String>,
    pub risk_score: Option<f64>,
    pub resource_id: Option<String>,
    pub resource_name: Option<String>,
    pub resource_type: Option<String>,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub labels: Vec<String>,
    pub time_first_detected: Option<String>,
    pub time_last_detected: Option<String>,
    /// `ACTIVE` or `INACTIVE`.
    pub lifecycle_state: Option<String>,
    /// `OPEN`, `RESOLVED`, `DISMISSED`, `DELETED`.
    pub lifecycle_detail: Option<String>,
    pub region: Option<String>,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub regions: Vec<String>,
    pub target_id: Option<String>,
}

impl Client {
    /// The problems, page by page (the answer is a `{"items": [...]}` collection).
    pub fn list_problems(&self, list: &ListProblems) -> Pages<'_, Problem> {
        self.pages(list.request())
    }
}

#[cfg(test)]
mod tests {
    use http::Method;

    use super::*;
    use crate::ops::testing::{pairs, wire_query};

    #[test]
    fn list_problems_is_the_captured_sdk_request() {
        let request = ListProblems {
            time_last_detected_greater_than_or_equal_to: Some(
                Timestamp::parse("2024-05-01T00:00:00Z").expect("time"),
            ),
            lifecycle_detail: Some("OPEN".to_owned()),
            compartment_id_in_subtree: Some(true),
            access_level: Some("ACCESSIBLE".to_owned()),
            ..ListProblems::new("<c>")
        }
        .request();
        assert_eq!(request.method, Method::GET);
        assert_eq!(request.service, Service::CloudGuard);
        assert_eq!(request.path, "/problems");
        assert_eq!(
            wire_query(&request),
            "timeLastDetectedGreaterThanOrEqualTo=2024-05-01T00%3A00%3A00Z&lifecycleDetail=OPEN&compartmentId=%3Cc%3E&compartmentIdInSubtree=true&accessLevel=ACCESSIBLE"
        );
    }

    #[test]
    fn detector_rules_are_repeated_parameters_in_place() {
        let request = ListProblems {
            risk_level: Some("CRITICAL".to_owned()),
            detector_rule_ids: vec![
                "BUCKET_IS_PUBLIC".to_owned(),
                "VCN_HAS_NO_FLOW_LOGS".to_owned(),
            ],
            detector_type: Some("IAAS_CONFIGURATION_DETECTOR".to_owned()),
            limit: Some(100),
            sort_by: Some("riskLevel".to_owned()),
            ..ListProblems::new("c")
        }
        .request();
        assert_eq!(
            request.query,
            pairs(&[
                ("compartmentId", "c"),
                ("riskLevel", "CRITICAL"),
                ("detectorRuleIdList", "BUCKET_IS_PUBLIC"),
                ("detectorRuleIdList", "VCN_HAS_NO_FLOW_LOGS"),
                ("detectorType", "IAAS_CONFIGURATION_DETECTOR"),
                ("limit", "100"),
                ("sortBy", "riskLevel"),
            ])
        );
    }

    #[test]
    fn the_sample_problem_collection_parses() {
        #[derive(Deserialize)]
        struct ProblemCollection {
            items: Vec<Problem>,
        }
        let collection: ProblemCollection = serde_json::from_str(
            r#"{"items":[{"id":"ocid1.cloudguardproblem.oc1.iad.p","compartmentId":"ocid1.compartment.oc1..ccc","detectorRuleId":"BUCKET_IS_PUBLIC","riskLevel":"CRITICAL","resourceId":"ocid1.bucket...","resourceName":"b1","resourceType":"Bucket","timeFirstDetected":"2024-05-01T12:00:00Z","timeLastDetected":"2024-05-01T12:00:00Z","lifecycleState":"ACTIVE","lifecycleDetail":"OPEN","detectorId":"IAAS_CONFIGURATION_DETECTOR","region":"us-ashburn-1"}]}"#,
        )
        .expect("parses");
        let problem = &collection.items[0];
        assert_eq!(
            problem.detector_rule_id.as_deref(),
            Some("BUCKET_IS_PUBLIC")
        );
        assert_eq!(problem.risk_level.as_deref(), Some("CRITICAL"));
        assert_eq!(problem.resource_name.as_deref(), Some("b1"));
        assert_eq!(problem.lifecycle_detail.as_deref(), Some("OPEN"));
        assert_eq!(problem.region.as_deref(), Some("us-ashburn-1"));
        assert!(problem.labels.is_empty());
    }
}
