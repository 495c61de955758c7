//! Identity (`identity` host, `/20160918`): the tenancy, its compartment tree, region
//! subscriptions and availability domains, and the IAM policies, users (with their group
//! memberships and API keys) and groups of the legacy (default-domain) endpoints.

use serde::Deserialize;

use super::{DefinedTags, FreeformTags, null_as_empty, path_segment};
use crate::client::{Client, Error, Pages, Request};
use crate::region::Service;

/// `ListCompartments`. Only the first level below `compartment_id`, unless
/// `compartment_id_in_subtree` is set and `compartment_id` is the tenancy; the whole tree
/// is `compartment_id_in_subtree` with `access_level` `ANY`. The tenancy itself is never in
/// the list.
#[derive(Debug, Clone, Default)]
pub struct ListCompartments {
    pub compartment_id: String,
    pub limit: Option<u32>,
    /// `ANY` or `ACCESSIBLE` (only what the caller may inspect).
    pub access_level: Option<String>,
    pub compartment_id_in_subtree: Option<bool>,
    pub name: Option<String>,
    /// `TIMECREATED` or `NAME`.
    pub sort_by: Option<String>,
    /// `ASC` or `DESC`.
    pub sort_order: Option<String>,
    /// `ACTIVE`, `DELETED`, ...
    pub lifecycle_state: Option<String>,
}

impl ListCompartments {
    pub fn new(compartment_id: impl Into<String>) -> Self {
        ListCompartments {
            compartment_id: compartment_id.into(),
            ..Default::default()
        }
    }

    /// Every compartment of the tenancy, at any depth.
    pub fn whole_tree(tenancy_id: impl Into<String>) -> Self {
        ListCompartments {
            access_level: Some("ANY".to_owned()),
            compartment_id_in_subtree: Some(true),
            ..ListCompartments::new(tenancy_id)
        }
    }

    pub fn request(&self) -> Request {
        Request::get(
            "ListCompartments",
            Service::Identity,
            "/compartments".to_owned(),
        )
        .query("compartmentId", &self.compartment_id)
        .query_opt("limit", self.limit)
        .query_opt("accessLevel", self.access_level.as_ref())
        .query_opt("compartmentIdInSubtree", self.compartment_id_in_subtree)
        .query_opt("name", self.name.as_ref())
        .query_opt("sortBy", self.sort_by.as_ref())
        .query_opt("sortOrder", self.sort_order.as_ref())
        .query_opt("lifecycleState", self.lifecycle_state.as_ref())
    }
}

/// `GetCompartment` (the tenancy's OCID reads the root compartment).
pub fn get_compartment_request(compartment_id: &str) -> Request {
    Request::get(
        "GetCompartment",
        Service::Identity,
        format!("/compartments/{}", path_segment(compartment_id)),
    )
}

/// `GetTenancy`.
pub fn get_tenancy_request(tenancy_id: &str) -> Request {
    Request::get(
        "GetTenancy",
        Service::Identity,
        format!("/tenancies/{}", path_segment(tenancy_id)),
    )
}

/// `ListRegionSubscriptions`: one unpaged list.
pub fn list_region_subscriptions_request(tenancy_id: &str) -> Request {
    Request::get(
        "ListRegionSubscriptions",
        Service::Identity,
        format!(
            "/tenancies/{}/regionSubscriptions",
            path_segment(tenancy_id)
        ),
    )
}

/// `ListAvailabilityDomains`: one unpaged list (of the region called).
pub fn list_availability_domains_request(compartment_id: &str) -> Request {
    Request::get(
        "ListAvailabilityDomains",
        Service::Identity,
        "/availabilityDomains".to_owned(),
    )
    .query("compartmentId", compartment_id)
}

/// The filters `ListPolicies`, `ListUsers` and `ListGroups` share. Users and groups live
/// in the tenancy (root compartment).
#[derive(Debug, Clone, Default)]
pub struct ListIamResources {
    pub compartment_id: String,
    pub limit: Option<u32>,
    pub name: Option<String>,
    /// `TIMECREATED` or `NAME`.
    pub sort_by: Option<String>,
    /// `ASC` or `DESC`.
    pub sort_order: Option<String>,
    pub lifecycle_state: Option<String>,
}

/// `ListUsers`: the IAM-resource filters and two user-only ones.
#[derive(Debug, Clone, Default)]
pub struct ListUsers {
    pub filter: ListIamResources,
    pub identity_provider_id: Option<String>,
    pub external_identifier: Option<String>,
}

impl ListIamResources {
    pub fn new(compartment_id: impl Into<String>) -> Self {
        ListIamResources {
            compartment_id: compartment_id.into(),
            ..Default::default()
        }
    }

    /// `ListPolicies`.
    pub fn policies_request(&self) -> Request {
        self.request("ListPolicies", "/policies", None, None)
    }

    /// `ListGroups`.
    pub fn groups_request(&self) -> Request {
        self.request("ListGroups", "/groups", None, None)
    }

    /// The query in the SDK's order; the user-only filters sit after `limit`.
    fn request(
        &self,
        operation: &'static str,
        path: &str,
        identity_provider_id: Option<&String>,
        external_identifier: Option<&String>,
    ) -> Request {
        Request::get(operation, Service::Identity, path.to_owned())
            .query("compartmentId", &self.compartment_id)
            .query_opt("limit", self.limit)
            .query_opt("identityProviderId", identity_provider_id)
            .query_opt("externalIdentifier", external_identifier)
            .query_opt("name", self.name.as_ref())
            .query_opt("sortBy", self.sort_by.as_ref())
            .query_opt("sortOrder", self.sort_order.as_ref())
            .query_opt("lifecycleState", self.lifecycle_state.as_ref())
    }
}

impl ListUsers {
    pub fn new(tenancy_id: impl Into<String>) -> Self {
        ListUsers {
            filter: ListIamResources::new(tenancy_id),
            ..Default::default()
        }
    }

    pub fn request(&self) -> Request {
        self.filter.request(
            "ListUsers",
            "/users",
            self.identity_provider_id.as_ref(),
            self.external_identifier.as_ref(),
        )
    }
}

/// `GetUser`.
pub fn get_user_request(user_id: &str) -> Request {
    Request::get(
        "GetUser",
        Service::Identity,
        format!("/users/{}", path_segment(user_id)),
    )
}

/// `ListApiKeys`: one unpaged list. OCI's path ends with a `/`.
pub fn list_api_keys_request(user_id: &str) -> Request {
    Request::get(
        "ListApiKeys",
        Service::Identity,
        format!("/users/{}/apiKeys/", path_segment(user_id)),
    )
}

/// `ListUserGroupMemberships`: by user, by group, or both (in the tenancy).
#[derive(Debug, Clone, Default)]
pub struct ListUserGroupMemberships {
    pub compartment_id: String,
    pub user_id: Option<String>,
    pub group_id: Option<String>,
    pub limit: Option<u32>,
}

impl ListUserGroupMemberships {
    /// The groups `user_id` is in.
    pub fn of_user(tenancy_id: impl Into<String>, user_id: impl Into<String>) -> Self {
        ListUserGroupMemberships {
            compartment_id: tenancy_id.into(),
            user_id: Some(user_id.into()),
            ..Default::default()
        }
    }

    pub fn request(&self) -> Request {
        Request::get(
            "ListUserGroupMemberships",
            Service::Identity,
            "/userGroupMemberships".to_owned(),
        )
        .query("compartmentId", &self.compartment_id)
        .query_opt("userId", self.user_id.as_ref())
        .query_opt("groupId", self.group_id.as_ref())
        .query_opt("limit", self.limit)
    }
}

/// A compartment (`Compartment`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Compartment {
    pub id: String,
    /// The parent compartment.
    pub compartment_id: Option<String>,
    pub name: Option<String>,
    pub description: Option<String>,
    pub time_created: Option<String>,
    /// `ACTIVE`, `DELETED`, ...
    pub lifecycle_state: Option<String>,
    pub inactive_status: Option<i64>,
    /// False for a compartment the caller may not inspect (listed with `ANY`).
    pub is_accessible: Option<bool>,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub freeform_tags: FreeformTags,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub defined_tags: DefinedTags,
}

/// The tenancy (`Tenancy`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Tenancy {
    pub id: String,
    pub name: Option<String>,
    pub description: Option<String>,
    /// The home region's key, `IAD`.
    pub home_region_key: Option<String>,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub freeform_tags: FreeformTags,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub defined_tags: DefinedTags,
}

/// A region the tenancy uses (`RegionSubscription`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RegionSubscription {
    /// `IAD`.
    pub region_key: Option<String>,
    /// `us-ashburn-1`.
    pub region_name: Option<String>,
    /// `READY` or `IN_PROGRESS`.
    pub status: Option<String>,
    pub is_home_region: Option<bool>,
}

/// An availability domain (`AvailabilityDomain`), named as in `Uocm:US-ASHBURN-AD-1`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AvailabilityDomain {
    pub name: String,
    pub id: Option<String>,
    pub compartment_id: Option<String>,
}

/// An IAM policy (`Policy`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Policy {
    pub id: String,
    pub compartment_id: Option<String>,
    pub name: Option<String>,
    pub description: Option<String>,
    /// `Allow group X to manage all-resources in tenancy`, ...
    #[serde(default, deserialize_with = "null_as_empty")]
    pub statements: Vec<String>,
    pub version_date: Option<String>,
    pub time_created: Option<String>,
    pub lifecycle_state: Option<String>,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub freeform_tags: FreeformTags,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub defined_tags: DefinedTags,
}

/// An IAM user (`User`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct User {
    pub id: String,
    pub compartment_id: Option<String>,
    pub name: Option<String>,
    pub description: Option<String>,
    pub email: Option<String>,
    pub email_verified: Option<bool>,
    pub identity_provider_id: Option<String>,
    pub external_identifier: Option<String>,
    pub is_mfa_activated: Option<bool>,
    pub last_successful_login_time: Option<String>,
    pub time_created: Option<String>,
    pub lifecycle_state: Option<String>,
    pub capabilities: Option<UserCapabilities>,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub freeform_tags: FreeformTags,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub defined_tags: DefinedTags,
}

/// Which credentials a user may have (`UserCapabilities`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserCapabilities {
    pub can_use_console_password: Option<bool>,
    pub can_use_api_keys: Option<bool>,
    pub can_use_auth_tokens: Option<bool>,
    pub can_use_smtp_credentials: Option<bool>,
    pub can_use_db_credentials: Option<bool>,
    pub can_use_customer_secret_keys: Option<bool>,
    #[serde(rename = "canUseOAuth2ClientCredentials")]
    pub can_use_oauth2_client_credentials: Option<bool>,
}

/// An IAM group (`Group`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Group {
    pub id: String,
    pub compartment_id: Option<String>,
    pub name: Option<String>,
    pub description: Option<String>,
    pub time_created: Option<String>,
    pub lifecycle_state: Option<String>,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub freeform_tags: FreeformTags,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub defined_tags: DefinedTags,
}

/// A user's membership of a group (`UserGroupMembership`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserGroupMembership {
    pub id: String,
    pub compartment_id: Option<String>,
    pub group_id: Option<String>,
    pub user_id: Option<String>,
    pub time_created: Option<String>,
    pub lifecycle_state: Option<String>,
}

/// A user's API signing key (`ApiKey`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApiKey {
    /// `<tenancy>/<user>/<fingerprint>`.
    pub key_id: Option<String>,
    pub fingerprint: Option<String>,
    pub user_id: Option<String>,
    pub time_created: Option<String>,
    /// `CREATING`, `ACTIVE`, `INACTIVE`, `DELETING`, `DELETED`.
    pub lifecycle_state: Option<String>,
}

impl Client {
    pub async fn get_user(&self, user_id: &str) -> Result<User, Error> {
        self.call(&get_user_request(user_id)).await
    }

    pub async fn list_api_keys(&self, user_id: &str) -> Result<Vec<ApiKey>, Error> {
        self.call(&list_api_keys_request(user_id)).await
    }

    pub fn list_user_group_memberships(
        &self,
        list: &ListUserGroupMemberships,
    ) -> Pages<'_, UserGroupMembership> {
        self.pages(list.request())
    }

    pub fn list_compartments(&self, list: &ListCompartments) -> Pages<'_, Compartment> {
        self.pages(list.request())
    }

    pub async fn get_compartment(&self, compartment_id: &str) -> Result<Compartment, Error> {
        self.call(&get_compartment_request(compartment_id)).await
    }

    pub async fn get_tenancy(&self, tenancy_id: &str) -> Result<Tenancy, Error> {
        self.call(&get_tenancy_request(tenancy_id)).await
    }

    pub async fn list_region_subscriptions(
        &self,
        tenancy_id: &str,
    ) -> Result<Vec<RegionSubscription>, Error> {
        self.call(&list_region_subscriptions_request(tenancy_id))
            .await
    }

    pub async fn list_availability_domains(
        &self,
        compartment_id: &str,
    ) -> Result<Vec<AvailabilityDomain>, Error> {
        self.call(&list_availability_domains_request(compartment_id))
            .await
    }

    pub fn list_policies(&self, list: &ListIamResources) -> Pages<'_, Policy> {
        self.pages(list.policies_request())
    }

    pub fn list_users(&self, list: &ListUsers) -> Pages<'_, User> {
        self.pages(list.request())
    }

    pub fn list_groups(&self, list: &ListIamResources) -> Pages<'_, Group> {
        self.pages(list.groups_request())
    }
}

#[cfg(test)]
mod tests {
    use http::Method;

    use super::*;
    use crate::ops::testing::{pairs, wire_query};

    #[test]
    fn list_compartments_is_the_captured_sdk_request() {
        let request = ListCompartments {
            limit: Some(1000),
            ..ListCompartments::whole_tree("<tenancy>")
        }
        .request();
        assert_eq!(request.method, Method::GET);
        assert_eq!(request.service, Service::Identity);
        assert_eq!(request.path, "/compartments");
        assert_eq!(
            wire_query(&request),
            "compartmentId=%3Ctenancy%3E&limit=1000&accessLevel=ANY&compartmentIdInSubtree=true"
        );
    }

    #[test]
    fn list_compartments_sends_only_the_filters_given() {
        let request = ListCompartments {
            lifecycle_state: Some("ACTIVE".to_owned()),
            name: Some("prod".to_owned()),
            ..ListCompartments::new("c")
        }
        .request();
        assert_eq!(
            request.query,
            pairs(&[
                ("compartmentId", "c"),
                ("name", "prod"),
                ("lifecycleState", "ACTIVE")
            ])
        );
    }

    #[test]
    fn single_reads_put_the_ocid_in_the_path() {
        let compartment = get_compartment_request("ocid1.compartment.oc1..c");
        assert_eq!(compartment.path, "/compartments/ocid1.compartment.oc1..c");
        assert_eq!(compartment.method, Method::GET);
        let tenancy = get_tenancy_request("ocid1.tenancy.oc1..t");
        assert_eq!(tenancy.path, "/tenancies/ocid1.tenancy.oc1..t");
        let regions = list_region_subscriptions_request("ocid1.tenancy.oc1..t");
        assert_eq!(
            regions.path,
            "/tenancies/ocid1.tenancy.oc1..t/regionSubscriptions"
        );
        assert!(regions.query.is_empty());
        let domains = list_availability_domains_request("ocid1.tenancy.oc1..t");
        assert_eq!(domains.path, "/availabilityDomains");
        assert_eq!(
            domains.query,
            pairs(&[("compartmentId", "ocid1.tenancy.oc1..t")])
        );
    }

    #[test]
    fn a_user_its_keys_and_its_memberships() {
        let user = get_user_request("ocid1.user.oc1..u");
        assert_eq!(
            (user.method, user.operation, user.path.as_str()),
            (Method::GET, "GetUser", "/users/ocid1.user.oc1..u")
        );
        assert!(user.query.is_empty());
        let keys = list_api_keys_request("ocid1.user.oc1..u");
        assert_eq!(
            (keys.operation, keys.path.as_str()),
            ("ListApiKeys", "/users/ocid1.user.oc1..u/apiKeys/")
        );
        let memberships = ListUserGroupMemberships {
            limit: Some(100),
            ..ListUserGroupMemberships::of_user("t", "ocid1.user.oc1..u")
        }
        .request();
        assert_eq!(memberships.service, Service::Identity);
        assert_eq!(memberships.path, "/userGroupMemberships");
        assert_eq!(
            memberships.query,
            pairs(&[
                ("compartmentId", "t"),
                ("userId", "ocid1.user.oc1..u"),
                ("limit", "100"),
            ])
        );
        let parsed: Vec<ApiKey> = serde_json::from_str(
            r#"[{"keyId":"t/u/aa:bb","fingerprint":"aa:bb","userId":"ocid1.user.oc1..u","timeCreated":"2024-05-01T12:00:00Z","lifecycleState":"ACTIVE","keyValue":"-----BEGIN PUBLIC KEY-----"}]"#,
        )
        .expect("parses");
        assert_eq!(parsed[0].fingerprint.as_deref(), Some("aa:bb"));
        let parsed: Vec<UserGroupMembership> = serde_json::from_str(
            r#"[{"id":"ocid1.groupmembership.oc1..m","compartmentId":"t","groupId":"ocid1.group.oc1..g","userId":"ocid1.user.oc1..u","lifecycleState":"ACTIVE","inactiveStatus":null}]"#,
        )
        .expect("parses");
        assert_eq!(parsed[0].group_id.as_deref(), Some("ocid1.group.oc1..g"));
    }

    #[test]
    fn policies_users_and_groups_share_their_filters() {
        let filter = ListIamResources {
            limit: Some(50),
            name: Some("Administrators".to_owned()),
            sort_by: Some("NAME".to_owned()),
            ..ListIamResources::new("t")
        };
        let expected = pairs(&[
            ("compartmentId", "t"),
            ("limit", "50"),
            ("name", "Administrators"),
            ("sortBy", "NAME"),
        ]);
        let policies = filter.policies_request();
        assert_eq!(
            (policies.operation, policies.path.as_str()),
            ("ListPolicies", "/policies")
        );
        assert_eq!(policies.query, expected);
        let groups = filter.groups_request();
        assert_eq!(
            (groups.operation, groups.path.as_str()),
            ("ListGroups", "/groups")
        );
        assert_eq!(groups.query, expected);
        let users = ListUsers {
            filter,
            identity_provider_id: Some("idp".to_owned()),
            external_identifier: None,
        }
        .request();
        assert_eq!(
            (users.operation, users.path.as_str()),
            ("ListUsers", "/users")
        );
        assert_eq!(
            users.query,
            pairs(&[
                ("compartmentId", "t"),
                ("limit", "50"),
                ("identityProviderId", "idp"),
                ("name", "Administrators"),
                ("sortBy", "NAME"),
            ])
        );
    }

    #[test]
    fn the_sample_identity_answers_parse() {
        let compartments: Vec<Compartment> = serde_json::from_str(
            r#"[{"id":"ocid1.compartment.oc1..ccc","compartmentId":"ocid1.tenancy.oc1..t","name":"prod","description":"Production","timeCreated":"2024-05-01T12:00:00Z","lifecycleState":"ACTIVE","isAccessible":true}]"#,
        )
        .expect("parses");
        assert_eq!(compartments[0].name.as_deref(), Some("prod"));
        assert_eq!(
            compartments[0].compartment_id.as_deref(),
            Some("ocid1.tenancy.oc1..t")
        );
        assert_eq!(compartments[0].is_accessible, Some(true));

        let tenancy: Tenancy = serde_json::from_str(
            r#"{"id":"ocid1.tenancy.oc1..t","name":"acme","description":"x","homeRegionKey":"IAD"}"#,
        )
        .expect("parses");
        assert_eq!(tenancy.home_region_key.as_deref(), Some("IAD"));

        let regions: Vec<RegionSubscription> = serde_json::from_str(
            r#"[{"regionKey":"IAD","regionName":"us-ashburn-1","status":"READY","isHomeRegion":true}]"#,
        )
        .expect("parses");
        assert_eq!(regions[0].region_name.as_deref(), Some("us-ashburn-1"));
        assert_eq!(regions[0].is_home_region, Some(true));

        let policies: Vec<Policy> = serde_json::from_str(
            r#"[{"id":"ocid1.policy.oc1..p","compartmentId":"ocid1.tenancy.oc1..t","name":"p1","statements":["Allow group Admins to manage all-resources in tenancy"],"description":"d","timeCreated":"2024-05-01T12:00:00Z","lifecycleState":"ACTIVE"}]"#,
        )
        .expect("parses");
        assert_eq!(
            policies[0].statements,
            ["Allow group Admins to manage all-resources in tenancy"]
        );

        let users: Vec<User> = serde_json::from_str(
            r#"[{"id":"ocid1.user.oc1..u","compartmentId":"ocid1.tenancy.oc1..t","name":"alice@example.com","description":"Alice","email":"alice@example.com","timeCreated":"2024-05-01T12:00:00Z","lifecycleState":"ACTIVE","isMfaActivated":true,"capabilities":{"canUseApiKeys":true,"canUseOAuth2ClientCredentials":false}}]"#,
        )
        .expect("parses");
        assert_eq!(users[0].email.as_deref(), Some("alice@example.com"));
        assert_eq!(users[0].is_mfa_activated, Some(true));
        let capabilities = users[0].capabilities.as_ref().expect("capabilities");
        assert_eq!(capabilities.can_use_api_keys, Some(true));
        assert_eq!(capabilities.can_use_oauth2_client_credentials, Some(false));

        let groups: Vec<Group> = serde_json::from_str(
            r#"[{"id":"ocid1.group.oc1..g","compartmentId":"ocid1.tenancy.oc1..t","name":"Administrators","description":"admins","timeCreated":"2024-05-01T12:00:00Z","lifecycleState":"ACTIVE"}]"#,
        )
        .expect("parses");
        assert_eq!(groups[0].name.as_deref(), Some("Administrators"));

        let domains: Vec<AvailabilityDomain> = serde_json::from_str(
            r#"[{"name":"Uocm:US-ASHBURN-AD-1","id":"ocid1.availabilitydomain.oc1..a","compartmentId":"ocid1.tenancy.oc1..t"}]"#,
        )
        .expect("parses");
        assert_eq!(domains[0].name, "Uocm:US-ASHBURN-AD-1");
    }
}
