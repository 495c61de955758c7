//! Security tools: IAM users (with MFA, capabilities, groups and API keys), groups and
//! policies, Cloud Guard problems, and a security audit that scores IAM findings (users
//! without MFA, dormant or blocked users, over-broad policies), open Cloud Guard problems
//! and risky ingress rules (the analysis of [`super::network`]); the audit is [`audit`].
//! Reads only.

mod audit;

use std::collections::BTreeMap;

use oci_api::ops::Timestamp;
use oci_api::ops::cloud_guard::{ListProblems, Problem};
use oci_api::ops::identity::{
    ApiKey, Group, ListIamResources, ListUserGroupMemberships, ListUsers, Policy, User,
    UserCapabilities,
};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::args::{self, ocid};
use super::error::ToolError;
use super::output::{Markdown, Paged, Row, fields, opt, page_footer, table};
use super::toolbox::{Call, Domain, Effect, ToolDef, tool};
use audit::security_audit;

pub fn tools() -> Vec<ToolDef> {
    vec![
        tool(
            "oci_security_list_users",
            Domain::Security,
            Effect::Read,
            "List IAM users of the tenancy (default-domain IAM endpoints) with email, state, whether MFA is on and the last successful login, optionally filtered by lifecycle state or exact name. Pages with limit and cursor.",
            list_users,
        ),
        tool(
            "oci_security_get_user",
            Domain::Security,
            Effect::Read,
            "Get one IAM user: state, email, MFA, last successful login, capabilities (console password, API keys, auth tokens, ...), the groups they belong to and their API keys (fingerprints, state, age).",
            get_user,
        ),
        tool(
            "oci_security_list_groups",
            Domain::Security,
            Effect::Read,
            "List IAM groups of the tenancy, optionally filtered by lifecycle state or exact name. Pages with limit and cursor.",
            list_groups,
        ),
        tool(
            "oci_security_list_policies",
            Domain::Security,
            Effect::Read,
            "List IAM policies with their statements, of the tenancy by default or of the given compartment, optionally filtered by lifecycle state or exact name. Pages with limit and cursor.",
            list_policies,
        ),
        tool(
            "oci_security_list_cloud_guard_problems",
            Domain::Security,
            Effect::Read,
            "List Cloud Guard problems of a compartment (default: the configured compartment, else the tenancy) and, unless include_subcompartments is false, its subcompartments; filter by risk level (CRITICAL, HIGH, MEDIUM, LOW, MINOR), lifecycle state (ACTIVE, INACTIVE) and lifecycle detail (OPEN, RESOLVED, DISMISSED). Pages with limit and cursor.",
            list_cloud_guard_problems,
        ),
        tool(
            "oci_security_audit",
            Domain::Security,
            Effect::Read,
            "Audit a compartment (default: the configured compartment, else the tenancy) and its subcompartments: IAM (active console users without MFA, users with no login for inactive_days, blocked users, policies granting `manage all-resources in tenancy` to groups other than Administrators, `manage all-resources` in a compartment, rights given to any-user or any-group), open Cloud Guard problems by risk level, and risky ingress rules in security lists and NSGs. Every finding has a severity; score = max(0, 100 - (10 x critical + 5 x high + 2 x medium + 1 x low)), overall and per area. Sends progress between the areas.",
            security_audit,
        ),
    ]
}

/// Where IAM users and groups live: `given` (checked), else the tenancy.
async fn iam_compartment(call: &Call, given: Option<String>) -> Result<String, ToolError> {
    match given {
        Some(given) => {
            ocid("compartment_id", &given, &["compartment", "tenancy"])?;
            Ok(given)
        }
        None => Ok(call.client().await?.tenancy().to_owned()),
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct ListIamArgs {
    /// Where to list; default: the tenancy (users and groups always live there).
    compartment_id: Option<String>,
    /// CREATING, ACTIVE, INACTIVE, DELETING or DELETED.
    lifecycle_state: Option<String>,
    /// Only the one with exactly this name.
    name: Option<String>,
    /// Items per page (default 50, at most 100).
    limit: Option<u32>,
    /// `next_cursor` of the previous page.
    cursor: Option<String>,
}

impl ListIamArgs {
    async fn filter(self, call: &Call) -> Result<(ListIamResources, Option<String>), ToolError> {
        let compartment = iam_compartment(call, self.compartment_id).await?;
        let filter = ListIamResources {
            lifecycle_state: self.lifecycle_state.map(|s| s.to_ascii_uppercase()),
            name: self.name,
            limit: Some(args::limit(self.limit)),
            ..ListIamResources::new(compartment)
        };
        Ok((filter, self.cursor))
    }
}

/// A user as lists show it.
#[derive(Debug, Serialize, JsonSchema)]
pub struct UserItem {
    pub id: String,
    pub name: Option<String>,
    pub email: Option<String>,
    pub lifecycle_state: Option<String>,
    pub mfa_activated: Option<bool>,
    pub last_successful_login: Option<String>,
    pub time_created: Option<String>,
    pub description: Option<String>,
}

impl UserItem {
    fn of(user: User) -> Self {
        UserItem {
            id: user.id,
            name: user.name,
            email: user.email,
            lifecycle_state: user.lifecycle_state,
            mfa_activated: user.is_mfa_activated,
            last_successful_login: user.last_successful_login_time,
            time_created: user.time_created,
            description: user.description,
        }
    }
}

fn yes_no(value: Option<bool>) -> String {
    match value {
        Some(true) => "yes".to_owned(),
        Some(false) => "no".to_owned(),
        None => String::new(),
    }
}

impl Row for UserItem {
    const COLUMNS: &'static [&'static str] = &["name", "email", "state", "MFA", "last login", "id"];
    fn cells(&self) -> Vec<String> {
        vec![
            opt(self.name.as_deref()),
            opt(self.email.as_deref()),
            opt(self.lifecycle_state.as_deref()),
            yes_no(self.mfa_activated),
            opt(self.last_successful_login.as_deref()),
            self.id.clone(),
        ]
    }
}

async fn list_users(call: Call, args: ListIamArgs) -> Result<Paged<UserItem>, ToolError> {
    let (filter, cursor) = args.filter(&call).await?;
    let client = call.client().await?;
    let list = ListUsers {
        filter,
        ..Default::default()
    };
    let (users, next) = args::one_page(client.list_users(&list), cursor).await?;
    Ok(Paged::new(
        users.into_iter().map(UserItem::of).collect(),
        next,
    ))
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct GetUserArgs {
    /// User OCID.
    user_id: String,
    /// Also list the groups the user belongs to (default true).
    #[serde(default = "args::default_true")]
    include_groups: bool,
    /// Also list the user's API signing keys (default true).
    #[serde(default = "args::default_true")]
    include_api_keys: bool,
}

/// Which credentials a user may have.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Capabilities {
    pub console_password: Option<bool>,
    pub api_keys: Option<bool>,
    pub auth_tokens: Option<bool>,
    pub smtp_credentials: Option<bool>,
    pub db_credentials: Option<bool>,
    pub customer_secret_keys: Option<bool>,
    pub oauth2_client_credentials: Option<bool>,
}

impl Capabilities {
    fn of(c: UserCapabilities) -> Self {
        Capabilities {
            console_password: c.can_use_console_password,
            api_keys: c.can_use_api_keys,
            auth_tokens: c.can_use_auth_tokens,
            smtp_credentials: c.can_use_smtp_credentials,
            db_credentials: c.can_use_db_credentials,
            customer_secret_keys: c.can_use_customer_secret_keys,
            oauth2_client_credentials: c.can_use_oauth2_client_credentials,
        }
    }

    /// `console password, API keys`: the ones allowed.
    fn allowed(&self) -> String {
        [
            (self.console_password, "console password"),
            (self.api_keys, "API keys"),
            (self.auth_tokens, "auth tokens"),
            (self.smtp_credentials, "SMTP credentials"),
            (self.db_credentials, "DB credentials"),
            (self.customer_secret_keys, "customer secret keys"),
            (self.oauth2_client_credentials, "OAuth2 client credentials"),
        ]
        .iter()
        .filter(|(allowed, _)| *allowed == Some(true))
        .map(|(_, name)| *name)
        .collect::<Vec<_>>()
        .join(", ")
    }
}

/// A group a user is in.
#[derive(Debug, Serialize, JsonSchema)]
pub struct GroupRef {
    pub id: String,
    pub name: Option<String>,
}

/// An API signing key of a user.
#[derive(Debug, Serialize, JsonSchema)]
pub struct ApiKeyItem {
    pub fingerprint: Option<String>,
    pub lifecycle_state: Option<String>,
    pub time_created: Option<String>,
    /// Days since it was created.
    pub age_days: Option<i64>,
}

impl ApiKeyItem {
    fn of(key: ApiKey, now: Timestamp) -> Self {
        ApiKeyItem {
            age_days: key.time_created.as_deref().and_then(|t| days_since(t, now)),
            fingerprint: key.fingerprint,
            lifecycle_state: key.lifecycle_state,
            time_created: key.time_created,
        }
    }
}

/// Whole days from the RFC 3339 `time` to `now`.
fn days_since(time: &str, now: Timestamp) -> Option<i64> {
    let then = Timestamp::parse(time).ok()?;
    Some((now.unix_seconds() - then.unix_seconds()).div_euclid(86_400))
}

/// One user in detail.
#[derive(Debug, Serialize, JsonSchema)]
pub struct UserDetail {
    pub id: String,
    pub name: Option<String>,
    pub description: Option<String>,
    pub email: Option<String>,
    pub email_verified: Option<bool>,
    pub lifecycle_state: Option<String>,
    pub mfa_activated: Option<bool>,
    pub last_successful_login: Option<String>,
    pub time_created: Option<String>,
    pub compartment_id: Option<String>,
    /// Set for a user federated from an identity provider.
    pub identity_provider_id: Option<String>,
    pub capabilities: Option<Capabilities>,
    /// With `include_groups`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub groups: Option<Vec<GroupRef>>,
    /// With `include_api_keys`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub api_keys: Option<Vec<ApiKeyItem>>,
}

impl Markdown for UserDetail {
    fn markdown(&self) -> String {
        let mut text = format!("## User {}\n", self.name.as_deref().unwrap_or(&self.id));
        text.push_str(&fields(&[
            ("id", Some(self.id.clone())),
            ("state", self.lifecycle_state.clone()),
            ("email", self.email.clone()),
            (
                "email verified",
                self.email_verified.map(|v| yes_no(Some(v))),
            ),
            ("MFA", self.mfa_activated.map(|v| yes_no(Some(v)))),
            ("last successful login", self.last_successful_login.clone()),
            ("created", self.time_created.clone()),
            ("description", self.description.clone()),
            ("identity provider", self.identity_provider_id.clone()),
            (
                "may use",
                self.capabilities
                    .as_ref()
                    .map(Capabilities::allowed)
                    .map(|a| {
                        if a.is_empty() {
                            "nothing".to_owned()
                        } else {
                            a
                        }
                    }),
            ),
        ]));
        if let Some(groups) = &self.groups {
            text.push_str(&format!("\n### Groups ({})\n", groups.len()));
            text.push_str(&table(
                &["name", "id"],
                groups
                    .iter()
                    .map(|g| vec![opt(g.name.as_deref()), g.id.clone()]),
            ));
        }
        if let Some(keys) = &self.api_keys {
            text.push_str(&format!("\n### API keys ({})\n", keys.len()));
            text.push_str(&table(
                &["fingerprint", "state", "created", "age (days)"],
                keys.iter().map(|k| {
                    vec![
                        opt(k.fingerprint.as_deref()),
                        opt(k.lifecycle_state.as_deref()),
                        opt(k.time_created.as_deref()),
                        opt(k.age_days),
                    ]
                }),
            ));
        }
        text
    }
}

async fn get_user(call: Call, args: GetUserArgs) -> Result<UserDetail, ToolError> {
    ocid("user_id", &args.user_id, &["user"])?;
    let client = call.client().await?;
    let user = client.get_user(&args.user_id).await?;
    let tenancy = user
        .compartment_id
        .clone()
        .unwrap_or_else(|| client.tenancy().to_owned());
    let groups = if args.include_groups {
        let memberships = ListUserGroupMemberships {
            limit: Some(args::MAX_LIMIT),
            ..ListUserGroupMemberships::of_user(&tenancy, &user.id)
        };
        let memberships = client
            .list_user_group_memberships(&memberships)
            .collect(None)
            .await?;
        let names: BTreeMap<String, Option<String>> = if memberships.is_empty() {
            BTreeMap::new()
        } else {
            let all = ListIamResources {
                limit: Some(args::MAX_LIMIT),
                ..ListIamResources::new(&tenancy)
            };
            client
                .list_groups(&all)
                .collect(None)
                .await?
                .into_iter()
                .map(|g| (g.id, g.name))
                .collect()
        };
        Some(
            memberships
                .into_iter()
                .filter_map(|m| m.group_id)
                .map(|id| GroupRef {
                    name: names.get(&id).cloned().flatten(),
                    id,
                })
                .collect(),
        )
    } else {
        None
    };
    let api_keys = if args.include_api_keys {
        let now = call.now();
        let keys = client.list_api_keys(&user.id).await?;
        Some(keys.into_iter().map(|k| ApiKeyItem::of(k, now)).collect())
    } else {
        None
    };
    Ok(UserDetail {
        id: user.id,
        name: user.name,
        description: user.description,
        email: user.email,
        email_verified: user.email_verified,
        lifecycle_state: user.lifecycle_state,
        mfa_activated: user.is_mfa_activated,
        last_successful_login: user.last_successful_login_time,
        time_created: user.time_created,
        compartment_id: user.compartment_id,
        identity_provider_id: user.identity_provider_id,
        capabilities: user.capabilities.map(Capabilities::of),
        groups,
        api_keys,
    })
}

/// A group as lists show it.
#[derive(Debug, Serialize, JsonSchema)]
pub struct GroupItem {
    pub id: String,
    pub name: Option<String>,
    pub description: Option<String>,
    pub lifecycle_state: Option<String>,
    pub time_created: Option<String>,
}

impl Row for GroupItem {
    const COLUMNS: &'static [&'static str] = &["name", "description", "state", "created", "id"];
    fn cells(&self) -> Vec<String> {
        vec![
            opt(self.name.as_deref()),
            opt(self.description.as_deref()),
            opt(self.lifecycle_state.as_deref()),
            opt(self.time_created.as_deref()),
            self.id.clone(),
        ]
    }
}

async fn list_groups(call: Call, args: ListIamArgs) -> Result<Paged<GroupItem>, ToolError> {
    let (filter, cursor) = args.filter(&call).await?;
    let client = call.client().await?;
    let (groups, next) = args::one_page(client.list_groups(&filter), cursor).await?;
    let items = groups
        .into_iter()
        .map(|g: Group| GroupItem {
            id: g.id,
            name: g.name,
            description: g.description,
            lifecycle_state: g.lifecycle_state,
            time_created: g.time_created,
        })
        .collect();
    Ok(Paged::new(items, next))
}

/// A policy with its statements.
#[derive(Debug, Serialize, JsonSchema)]
pub struct PolicyItem {
    pub id: String,
    pub name: Option<String>,
    pub compartment_id: Option<String>,
    pub description: Option<String>,
    pub lifecycle_state: Option<String>,
    pub statements: Vec<String>,
    pub time_created: Option<String>,
}

/// One page of policies.
#[derive(Debug, Serialize, JsonSchema)]
pub struct PolicyPage {
    pub items: Vec<PolicyItem>,
    /// Pass as `cursor` to read the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

impl Markdown for PolicyPage {
    fn markdown(&self) -> String {
        let mut text = String::new();
        for policy in &self.items {
            text.push_str(&format!(
                "### {} ({})\n",
                policy.name.as_deref().unwrap_or("(unnamed)"),
                policy.lifecycle_state.as_deref().unwrap_or("unknown state")
            ));
            text.push_str(&fields(&[
                ("id", Some(policy.id.clone())),
                ("compartment", policy.compartment_id.clone()),
                ("description", policy.description.clone()),
            ]));
            for statement in &policy.statements {
                text.push_str(&format!("  - `{statement}`\n"));
            }
            text.push('\n');
        }
        if self.items.is_empty() {
            text.push_str("(none)\n");
        }
        text.push_str(&page_footer(self.items.len(), self.next_cursor.as_deref()));
        text
    }
}

async fn list_policies(call: Call, args: ListIamArgs) -> Result<PolicyPage, ToolError> {
    let (filter, cursor) = args.filter(&call).await?;
    let client = call.client().await?;
    let (policies, next) = args::one_page(client.list_policies(&filter), cursor).await?;
    let items = policies
        .into_iter()
        .map(|p: Policy| PolicyItem {
            id: p.id,
            name: p.name,
            compartment_id: p.compartment_id,
            description: p.description,
            lifecycle_state: p.lifecycle_state,
            statements: p.statements,
            time_created: p.time_created,
        })
        .collect();
    Ok(PolicyPage {
        items,
        next_cursor: next,
    })
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct ListProblemsArgs {
    /// Compartment OCID; default: the configured compartment, else the tenancy.
    compartment_id: Option<String>,
    /// Also the problems of its subcompartments (default true).
    #[serde(default = "args::default_true")]
    include_subcompartments: bool,
    /// CRITICAL, HIGH, MEDIUM, LOW or MINOR.
    risk_level: Option<String>,
    /// ACTIVE or INACTIVE.
    lifecycle_state: Option<String>,
    /// OPEN, RESOLVED, DISMISSED or DELETED.
    lifecycle_detail: Option<String>,
    /// Items per page (default 50, at most 100).
    limit: Option<u32>,
    /// `next_cursor` of the previous page.
    cursor: Option<String>,
}

/// `value` upper-cased, when it is one of `allowed` (argument `field`).
fn choice(
    field: &str,
    value: Option<String>,
    allowed: &[&str],
) -> Result<Option<String>, ToolError> {
    let Some(value) = value else {
        return Ok(None);
    };
    let upper = value.to_ascii_uppercase();
    if allowed.contains(&upper.as_str()) {
        Ok(Some(upper))
    } else {
        Err(ToolError::invalid(format!(
            "`{field}` = `{value}` is not one of {}",
            allowed.join(", ")
        )))
    }
}

/// A Cloud Guard problem.
#[derive(Debug, Serialize, JsonSchema)]
pub struct ProblemItem {
    pub id: String,
    /// What was found (`BUCKET_IS_PUBLIC`).
    pub rule: Option<String>,
    pub risk_level: Option<String>,
    pub resource_name: Option<String>,
    pub resource_type: Option<String>,
    pub resource_id: Option<String>,
    pub compartment_id: Option<String>,
    pub lifecycle_state: Option<String>,
    /// OPEN, RESOLVED, DISMISSED or DELETED.
    pub lifecycle_detail: Option<String>,
    pub region: Option<String>,
    pub detector: Option<String>,
    pub labels: Vec<String>,
    pub time_first_detected: Option<String>,
    pub time_last_detected: Option<String>,
}

impl ProblemItem {
    fn of(problem: Problem) -> Self {
        ProblemItem {
            id: problem.id,
            rule: problem.detector_rule_id,
            risk_level: problem.risk_level,
            resource_name: problem.resource_name,
            resource_type: problem.resource_type,
            resource_id: problem.resource_id,
            compartment_id: problem.compartment_id,
            lifecycle_state: problem.lifecycle_state,
            lifecycle_detail: problem.lifecycle_detail,
            region: problem.region,
            detector: problem.detector_id,
            labels: problem.labels,
            time_first_detected: problem.time_first_detected,
            time_last_detected: problem.time_last_detected,
        }
    }

    fn resource(&self) -> String {
        match (&self.resource_name, &self.resource_type) {
            (Some(name), Some(kind)) => format!("{name} ({kind})"),
            (name, kind) => opt(name.as_deref().or(kind.as_deref())),
        }
    }
}

impl Row for ProblemItem {
    const COLUMNS: &'static [&'static str] = &[
        "risk",
        "problem",
        "resource",
        "status",
        "region",
        "last detected",
        "id",
    ];
    fn cells(&self) -> Vec<String> {
        let status = [&self.lifecycle_detail, &self.lifecycle_state]
            .iter()
            .filter_map(|s| s.as_deref())
            .collect::<Vec<_>>()
            .join(" / ");
        vec![
            opt(self.risk_level.as_deref()),
            opt(self.rule.as_deref()),
            self.resource(),
            status,
            opt(self.region.as_deref()),
            opt(self.time_last_detected.as_deref()),
            self.id.clone(),
        ]
    }
}

const RISK_LEVELS: [&str; 5] = ["CRITICAL", "HIGH", "MEDIUM", "LOW", "MINOR"];

/// The `ListProblems` of a compartment, with its subcompartments when `subtree`.
fn problems_in(compartment: String, subtree: bool) -> ListProblems {
    let mut list = ListProblems::new(compartment);
    if subtree {
        list.compartment_id_in_subtree = Some(true);
        list.access_level = Some("ACCESSIBLE".to_owned());
    }
    list
}

async fn list_cloud_guard_problems(
    call: Call,
    args: ListProblemsArgs,
) -> Result<Paged<ProblemItem>, ToolError> {
    let risk_level = choice("risk_level", args.risk_level, &RISK_LEVELS)?;
    let lifecycle_state = choice(
        "lifecycle_state",
        args.lifecycle_state,
        &["ACTIVE", "INACTIVE"],
    )?;
    let lifecycle_detail = choice(
        "lifecycle_detail",
        args.lifecycle_detail,
        &["OPEN", "RESOLVED", "DISMISSED", "DELETED"],
    )?;
    let compartment = call.compartment(args.compartment_id).await?;
    let client = call.client().await?;
    let list = ListProblems {
        risk_level,
        lifecycle_state,
        lifecycle_detail,
        limit: Some(args::limit(args.limit)),
        ..problems_in(compartment, args.include_subcompartments)
    };
    let (problems, next) = args::one_page(client.list_problems(&list), args.cursor).await?;
    Ok(Paged::new(
        problems.into_iter().map(ProblemItem::of).collect(),
        next,
    ))
}
