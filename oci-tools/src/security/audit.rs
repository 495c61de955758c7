//! The security audit: IAM findings (active console users without MFA, dormant and
//! blocked users, over-broad policy statements), open Cloud Guard problems and risky
//! ingress rules ([`network::analyze_compartment`]), each with a severity, counted into a
//! documented score, overall and per area. An area that cannot be read is reported with
//! its error and left out of the score.

use std::collections::BTreeSet;

use oci_api::Client;
use oci_api::ops::Timestamp;
use oci_api::ops::cloud_guard::{ListProblems, Problem};
use oci_api::ops::identity::{Compartment, ListIamResources, ListUsers, Policy, User};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::super::args;
use super::super::error::ToolError;
use super::super::network::{self, Severity, SeverityCounts};
use super::super::output::{Markdown, opt, table};
use super::super::toolbox::Call;
use super::{ProblemItem, days_since, problems_in};

/// The score's weights per severity, and the formula as the output states it.
const WEIGHTS: [(Severity, u32); 4] = [
    (Severity::Critical, 10),
    (Severity::High, 5),
    (Severity::Medium, 2),
    (Severity::Low, 1),
];
const SCORE_FORMULA: &str = "max(0, 100 - (10 x critical + 5 x high + 2 x medium + 1 x low))";

/// 100 minus the weighted findings, at least 0.
fn score(counts: &SeverityCounts) -> u32 {
    let lost: usize = WEIGHTS
        .iter()
        .map(|(severity, weight)| {
            let count = match severity {
                Severity::Critical => counts.critical,
                Severity::High => counts.high,
                Severity::Medium => counts.medium,
                Severity::Low => counts.low,
            };
            count.saturating_mul(*weight as usize)
        })
        .sum();
    100u32.saturating_sub(u32::try_from(lost).unwrap_or(u32::MAX))
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct AuditArgs {
    /// The compartment to audit; default: the configured compartment, else the tenancy.
    /// IAM users and policies are read from the tenancy (this one when it is a tenancy).
    compartment_id: Option<String>,
    /// Also audit the subcompartments (policies, Cloud Guard, network) (default true).
    #[serde(default = "args::default_true")]
    include_subcompartments: bool,
    /// Check IAM users and policies (default true).
    #[serde(default = "args::default_true")]
    include_iam: bool,
    /// Count open Cloud Guard problems (default true).
    #[serde(default = "args::default_true")]
    include_cloud_guard: bool,
    /// Check ingress rules of security lists and NSGs (default true).
    #[serde(default = "args::default_true")]
    include_network: bool,
    /// An active user whose last successful login is older than this many days is dormant
    /// (default 90).
    inactive_days: Option<u32>,
}

/// One thing the audit found.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct AuditFinding {
    /// `iam`, `cloud_guard` or `network`; `compartments` when the sub-compartments could
    /// not be listed (then only the compartment itself was audited).
    pub area: String,
    /// CRITICAL, HIGH, MEDIUM or LOW.
    pub severity: String,
    /// What is wrong.
    pub finding: String,
    /// The resource it is about (name and OCID).
    pub resource: String,
    /// How to fix it.
    pub suggestion: String,
}

/// What one area checked and found.
#[derive(Debug, Serialize, JsonSchema)]
pub struct AreaResult {
    /// `iam`, `cloud_guard` or `network`; `compartments` when the sub-compartments could
    /// not be listed (then only the compartment itself was audited).
    pub area: String,
    /// What was read (`3 users, 4 policies`).
    pub checked: String,
    pub findings: SeverityCounts,
    /// The same formula over this area's findings; absent when the area failed.
    pub score: Option<u32>,
    /// Why the area could not be checked; its findings are then missing from the score.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// The audit: a score, per-area results and every finding, worst first.
#[derive(Debug, Serialize, JsonSchema)]
pub struct AuditReport {
    pub compartment_id: String,
    /// Where IAM users and policies were read.
    pub tenancy_id: String,
    /// Compartments audited (the given one and, with `include_subcompartments`, those
    /// under it that the caller may inspect).
    pub compartments: usize,
    /// 0 to 100, from `score_formula`.
    pub score: u32,
    pub score_formula: String,
    pub summary: SeverityCounts,
    pub areas: Vec<AreaResult>,
    pub findings: Vec<AuditFinding>,
}

impl Markdown for AuditReport {
    fn markdown(&self) -> String {
        let mut text = format!("## Security audit of {}\n", self.compartment_id);
        text.push_str(&format!(
            "Score: **{}/100** = {}\nFindings: {} (over {} compartments; IAM of {})\n\n",
            self.score, self.score_formula, self.summary, self.compartments, self.tenancy_id
        ));
        text.push_str(&table(
            &[
                "area", "checked", "critical", "high", "medium", "low", "score",
            ],
            self.areas.iter().map(|a| {
                vec![
                    a.area.clone(),
                    match &a.error {
                        Some(error) => format!("failed: {error}"),
                        None => a.checked.clone(),
                    },
                    a.findings.critical.to_string(),
                    a.findings.high.to_string(),
                    a.findings.medium.to_string(),
                    a.findings.low.to_string(),
                    opt(a.score),
                ]
            }),
        ));
        text.push_str("\n### Findings\n");
        text.push_str(&table(
            &["severity", "area", "finding", "resource", "fix"],
            self.findings.iter().map(|f| {
                vec![
                    f.severity.clone(),
                    f.area.clone(),
                    f.finding.clone(),
                    f.resource.clone(),
                    f.suggestion.clone(),
                ]
            }),
        ));
        text
    }
}

fn finding(
    area: &str,
    severity: Severity,
    finding: String,
    resource: String,
    suggestion: &str,
) -> AuditFinding {
    AuditFinding {
        area: area.to_owned(),
        severity: severity.as_str().to_owned(),
        finding,
        resource,
        suggestion: suggestion.to_owned(),
    }
}

/// `name (ocid)`, or the OCID alone.
fn named(name: Option<&str>, id: &str) -> String {
    match name {
        Some(name) => format!("{name} ({id})"),
        None => id.to_owned(),
    }
}

/// The IAM findings about users.
fn user_findings(users: &[User], now: Timestamp, inactive_days: u32) -> Vec<AuditFinding> {
    let mut found = Vec::new();
    for user in users {
        let who = named(user.name.as_deref(), &user.id);
        match user.lifecycle_state.as_deref() {
            Some("ACTIVE") => {}
            Some("INACTIVE") => {
                found.push(finding(
                    "iam",
                    Severity::Low,
                    "blocked (INACTIVE) user still exists".to_owned(),
                    who,
                    "delete the user if it is no longer needed, or unblock it if it is",
                ));
                continue;
            }
            _ => continue,
        }
        let console = user
            .capabilities
            .as_ref()
            .and_then(|c| c.can_use_console_password)
            != Some(false);
        if console && user.is_mfa_activated != Some(true) {
            found.push(finding(
                "iam",
                Severity::High,
                "active user with console access has no MFA".to_owned(),
                who.clone(),
                "enable MFA for the user (or remove the console password of a service user)",
            ));
        }
        if let Some(days) = user
            .last_successful_login_time
            .as_deref()
            .and_then(|t| days_since(t, now))
            .filter(|days| *days > i64::from(inactive_days))
        {
            found.push(finding(
                "iam",
                Severity::Medium,
                format!("no successful login for {days} days (more than {inactive_days})"),
                who,
                "block or delete dormant users, and rotate their credentials",
            ));
        }
    }
    found
}

/// A policy statement's grant: who, what verb, on what, where.
#[derive(Debug, PartialEq, Eq)]
struct Grant {
    /// `group`, `dynamic-group`, `any-user`, `any-group`, `service`, ...
    subject_kind: String,
    /// The group names, without identity-domain prefixes or quotes.
    subjects: Vec<String>,
    verb: String,
    resource: String,
    /// `tenancy` or `compartment <name>`.
    location: String,
}

/// Reads an `Allow <subject> to <verb> <resource> in <location> [where ...]` statement;
/// other statements (`Endorse`, `Admit`, `Define`) give `None`.
fn parse_statement(statement: &str) -> Option<Grant> {
    let statement = statement.trim();
    // ASCII lower-casing keeps byte offsets, so `lower` finds the keywords and
    // `statement` keeps the names as written.
    let lower = statement.to_ascii_lowercase();
    if !lower.starts_with("allow ") {
        return None;
    }
    let start = "allow ".len();
    let to = lower[start..].find(" to ")? + start;
    let subject = &statement[start..to];
    let rest = &lower[to + " to ".len()..];
    let rest = rest.split(" where ").next().unwrap_or(rest);
    let mut words = rest.split_whitespace();
    let verb = words.next()?.to_owned();
    let resource = words.next()?.to_owned();
    let location = match words.next() {
        Some("in") => words.collect::<Vec<_>>().join(" "),
        _ => String::new(),
    };
    let subject = subject.trim();
    let (kind, names) = match subject.split_once(' ') {
        Some((kind, names)) => (kind.to_ascii_lowercase(), names),
        None => (subject.to_ascii_lowercase(), ""),
    };
    let subjects = names
        .split(',')
        .map(|name| {
            let name = name.trim();
            let name = name.rsplit('/').next().unwrap_or(name);
            name.trim_matches(|c| c == '\'' || c == '"').to_owned()
        })
        .filter(|name| !name.is_empty())
        .collect();
    Some(Grant {
        subject_kind: kind,
        subjects,
        verb,
        resource,
        location,
    })
}

/// What is over-broad in one statement, if anything.
fn statement_risk(statement: &str) -> Option<(Severity, String, &'static str)> {
    let grant = parse_statement(statement)?;
    let everything = grant.verb == "manage" && grant.resource == "all-resources";
    let anyone = matches!(grant.subject_kind.as_str(), "any-user" | "any-group");
    let others: Vec<&str> = grant
        .subjects
        .iter()
        .map(String::as_str)
        .filter(|name| !name.eq_ignore_ascii_case("administrators"))
        .collect();
    let in_tenancy = grant.location == "tenancy";
    if anyone {
        let severity = match (everything, grant.verb.as_str()) {
            (true, _) => Severity::Critical,
            (false, "manage" | "use") => Severity::High,
            _ => Severity::Medium,
        };
        return Some((
            severity,
            format!(
                "{} may {} {} in {}",
                grant.subject_kind, grant.verb, grant.resource, grant.location
            ),
            "grant the rights to a named group instead of any-user or any-group, or narrow them with a where condition",
        ));
    }
    if !everything || (grant.subject_kind == "group" && others.is_empty()) {
        return None;
    }
    let who = if grant.subject_kind == "group" {
        format!("group {}", others.join(", "))
    } else {
        format!("{} {}", grant.subject_kind, grant.subjects.join(", "))
    };
    if in_tenancy {
        Some((
            Severity::High,
            format!("{who} may manage all-resources in the whole tenancy"),
            "keep tenancy-wide manage all-resources for Administrators only; grant other groups the resource families they need, in their compartments",
        ))
    } else {
        Some((
            Severity::Medium,
            format!("{who} may manage all-resources in {}", grant.location),
            "grant the resource families the group needs rather than all-resources",
        ))
    }
}

fn policy_findings(policies: &[Policy]) -> Vec<AuditFinding> {
    policies
        .iter()
        .flat_map(|policy| {
            policy.statements.iter().filter_map(move |statement| {
                let (severity, what, fix) = statement_risk(statement)?;
                Some(finding(
                    "iam",
                    severity,
                    format!("{what}: `{statement}`"),
                    format!("policy {}", named(policy.name.as_deref(), &policy.id)),
                    fix,
                ))
            })
        })
        .collect()
}

fn problem_finding(problem: &Problem) -> AuditFinding {
    let severity = problem
        .risk_level
        .as_deref()
        .and_then(Severity::parse)
        .unwrap_or(Severity::Low);
    let item = ProblemItem::of(problem.clone());
    finding(
        "cloud_guard",
        severity,
        format!(
            "open Cloud Guard problem {} ({})",
            item.rule.as_deref().unwrap_or("(unnamed rule)"),
            item.id
        ),
        item.resource(),
        "follow the problem's recommendation in Cloud Guard, then resolve or dismiss it",
    )
}

fn network_finding(risk: network::IngressRisk) -> AuditFinding {
    AuditFinding {
        area: "network".to_owned(),
        severity: risk.severity,
        finding: format!(
            "{} from {} to {} {}",
            risk.reason, risk.source, risk.protocol, risk.ports
        ),
        resource: format!("{} ({})", risk.location, risk.location_id),
        suggestion: risk.suggestion,
    }
}

/// The compartments to audit: `root` and, with `subtree`, every active, inspectable one
/// below it in `tree`.
fn compartments_under(root: &str, tree: &[Compartment], subtree: bool) -> Vec<String> {
    let mut found = vec![root.to_owned()];
    if !subtree {
        return found;
    }
    let mut seen: BTreeSet<&str> = BTreeSet::from([root]);
    let mut next = 0;
    while next < found.len() {
        let parent = found[next].clone();
        next += 1;
        for child in tree {
            let usable = child.is_accessible != Some(false)
                && child
                    .lifecycle_state
                    .as_deref()
                    .is_none_or(|s| s == "ACTIVE");
            if usable
                && child.compartment_id.as_deref() == Some(parent.as_str())
                && seen.insert(child.id.as_str())
            {
                found.push(child.id.clone());
            }
        }
    }
    found
}

/// One area's result from its findings, or from the error that stopped it.
fn area_result(
    area: &str,
    outcome: Result<(String, Vec<AuditFinding>), ToolError>,
    findings: &mut Vec<AuditFinding>,
) -> AreaResult {
    match outcome {
        Ok((checked, found)) => {
            let counts = SeverityCounts::of(found.iter().map(|f| f.severity.as_str()));
            findings.extend(found);
            AreaResult {
                area: area.to_owned(),
                checked,
                score: Some(score(&counts)),
                findings: counts,
                error: None,
            }
        }
        Err(error) => AreaResult {
            area: area.to_owned(),
            checked: String::new(),
            findings: SeverityCounts::default(),
            score: None,
            error: Some(error.to_string()),
        },
    }
}

async fn audit_iam(
    client: &Client,
    tenancy: &str,
    compartments: &[String],
    inactive_days: u32,
    now: Timestamp,
) -> Result<(String, Vec<AuditFinding>), ToolError> {
    let users = client
        .list_users(&ListUsers {
            filter: ListIamResources {
                limit: Some(args::MAX_LIMIT),
                ..ListIamResources::new(tenancy)
            },
            ..Default::default()
        })
        .collect(None)
        .await?;
    let mut policies = Vec::new();
    let mut places: Vec<&str> = vec![tenancy];
    places.extend(
        compartments
            .iter()
            .map(String::as_str)
            .filter(|c| *c != tenancy),
    );
    for place in places {
        let list = ListIamResources {
            limit: Some(args::MAX_LIMIT),
            ..ListIamResources::new(place)
        };
        policies.extend(client.list_policies(&list).collect(None).await?);
    }
    let mut found = user_findings(&users, now, inactive_days);
    found.extend(policy_findings(&policies));
    let statements: usize = policies.iter().map(|p| p.statements.len()).sum();
    Ok((
        format!(
            "{} users, {} policies ({statements} statements)",
            users.len(),
            policies.len()
        ),
        found,
    ))
}

async fn audit_cloud_guard(
    client: &Client,
    compartment: &str,
    subtree: bool,
) -> Result<(String, Vec<AuditFinding>), ToolError> {
    let list = ListProblems {
        lifecycle_state: Some("ACTIVE".to_owned()),
        lifecycle_detail: Some("OPEN".to_owned()),
        limit: Some(args::MAX_LIMIT),
        ..problems_in(compartment.to_owned(), subtree)
    };
    let problems = client.list_problems(&list).collect(None).await?;
    Ok((
        format!("{} open problems", problems.len()),
        problems.iter().map(problem_finding).collect(),
    ))
}

async fn audit_network(
    client: &Client,
    compartments: &[String],
) -> Result<(String, Vec<AuditFinding>), ToolError> {
    let (mut lists, mut groups, mut rules) = (0, 0, 0);
    let mut found = Vec::new();
    for compartment in compartments {
        let analysis = network::analyze_compartment(
            client,
            compartment,
            None,
            true,
            format!("compartment {compartment}"),
        )
        .await?;
        lists += analysis.security_lists_checked;
        groups += analysis.nsgs_checked;
        rules += analysis.ingress_rules_checked;
        found.extend(analysis.findings.into_iter().map(network_finding));
    }
    Ok((
        format!("{lists} security lists, {groups} NSGs ({rules} ingress rules)"),
        found,
    ))
}

pub(super) async fn security_audit(call: Call, args: AuditArgs) -> Result<AuditReport, ToolError> {
    let compartment = call.compartment(args.compartment_id).await?;
    let client = call.client().await?;
    let tenancy = if compartment.starts_with("ocid1.tenancy.") {
        compartment.clone()
    } else {
        client.tenancy().to_owned()
    };
    let inactive_days = args.inactive_days.unwrap_or(90);
    let total = 1 + [
        args.include_iam,
        args.include_cloud_guard,
        args.include_network,
    ]
    .iter()
    .filter(|on| **on)
    .count() as u32;
    let mut step = 0;
    call.progress(step, total, "finding the compartments to audit")
        .await;
    let mut areas = Vec::new();
    let compartments = if args.include_subcompartments {
        // Without the tree (no `inspect compartments`), the one compartment is audited and
        // the answer says why the others were not.
        match call.compartment_tree().await {
            Ok(tree) => compartments_under(&compartment, &tree, true),
            Err(error) => {
                areas.push(AreaResult {
                    area: "compartments".to_owned(),
                    checked: format!(
                        "only {compartment}: its sub-compartments could not be listed"
                    ),
                    findings: SeverityCounts::default(),
                    score: None,
                    error: Some(error.to_string()),
                });
                vec![compartment.clone()]
            }
        }
    } else {
        vec![compartment.clone()]
    };
    let mut findings = Vec::new();
    if args.include_iam {
        step += 1;
        call.progress(step, total, "checking IAM users and policies")
            .await;
        let outcome = audit_iam(&client, &tenancy, &compartments, inactive_days, call.now()).await;
        areas.push(area_result("iam", outcome, &mut findings));
    }
    if args.include_cloud_guard {
        step += 1;
        call.progress(step, total, "reading open Cloud Guard problems")
            .await;
        let outcome = audit_cloud_guard(&client, &compartment, args.include_subcompartments).await;
        areas.push(area_result("cloud_guard", outcome, &mut findings));
    }
    if args.include_network {
        step += 1;
        call.progress(step, total, "analyzing ingress rules").await;
        let outcome = audit_network(&client, &compartments).await;
        areas.push(area_result("network", outcome, &mut findings));
    }
    if areas.iter().any(|a| a.area != "compartments") && areas.iter().all(|a| a.error.is_some()) {
        let reasons: Vec<String> = areas
            .iter()
            .filter_map(|a| Some(format!("{}: {}", a.area, a.error.as_deref()?)))
            .collect();
        return Err(ToolError::Failed(format!(
            "no area could be audited ({})",
            reasons.join("; ")
        )));
    }
    call.progress(total, total, "done").await;
    findings
        .sort_by_key(|f| std::cmp::Reverse(Severity::parse(&f.severity).unwrap_or(Severity::Low)));
    let summary = SeverityCounts::of(findings.iter().map(|f| f.severity.as_str()));
    Ok(AuditReport {
        compartment_id: compartment,
        tenancy_id: tenancy,
        compartments: compartments.len(),
        score: score(&summary),
        score_formula: SCORE_FORMULA.to_owned(),
        summary,
        areas,
        findings,
    })
}

#[cfg(test)]
mod tests {
    use oci_api::ops::identity::UserCapabilities;

    use super::*;

    #[test]
    fn the_score_is_100_minus_weighted_findings_floored_at_0() {
        assert_eq!(score(&SeverityCounts::default()), 100);
        let some = SeverityCounts {
            critical: 1,
            high: 2,
            medium: 3,
            low: 4,
        };
        assert_eq!(score(&some), 100 - 10 - 10 - 6 - 4);
        let many = SeverityCounts {
            critical: 11,
            ..Default::default()
        };
        assert_eq!(score(&many), 0);
    }

    #[test]
    fn statements_are_parsed_into_grants() {
        assert!(
            parse_statement("Allow to manage all-resources in tenancy").is_none(),
            "no subject: no grant, and no panic"
        );
        let grant = parse_statement(
            "Allow group 'Default'/'NetAdmins', Ops to manage virtual-network-family in compartment prod where request.user.name = 'x'",
        )
        .expect("an allow statement");
        assert_eq!(
            grant,
            Grant {
                subject_kind: "group".into(),
                subjects: vec!["NetAdmins".into(), "Ops".into()],
                verb: "manage".into(),
                resource: "virtual-network-family".into(),
                location: "compartment prod".into(),
            }
        );
        assert!(parse_statement("Endorse group A to read objects in tenancy B").is_none());
        assert!(parse_statement("Define tenancy B as ocid1.tenancy.oc1..b").is_none());
    }

    #[test]
    fn over_broad_statements_are_found_and_administrators_are_not() {
        let admin = "Allow group Administrators to manage all-resources in tenancy";
        assert!(statement_risk(admin).is_none());
        let (severity, what, _) =
            statement_risk("Allow group Admins to manage all-resources in tenancy")
                .expect("tenancy admin rights for another group");
        assert_eq!(severity, Severity::High);
        assert!(what.contains("group Admins"), "{what}");
        let (severity, _, _) =
            statement_risk("Allow group Developers to manage all-resources in compartment prod")
                .expect("compartment-wide");
        assert_eq!(severity, Severity::Medium);
        let (severity, _, _) =
            statement_risk("Allow any-user to manage buckets in tenancy").expect("any-user");
        assert_eq!(severity, Severity::High);
        let (severity, _, _) = statement_risk("allow any-user to read buckets in compartment prod")
            .expect("any-user read");
        assert_eq!(severity, Severity::Medium);
        assert!(
            statement_risk("Allow group NetworkAdmins to manage virtual-network-family in tenancy")
                .is_none()
        );
        let (severity, _, _) =
            statement_risk("Allow dynamic-group Functions to manage all-resources in tenancy")
                .expect("dynamic group");
        assert_eq!(severity, Severity::High);
    }

    #[test]
    fn users_without_mfa_dormant_and_blocked_are_found() {
        let now = Timestamp::parse("2024-09-01T00:00:00Z").expect("time");
        let user = |id: &str, state: &str, mfa: bool, login: Option<&str>| User {
            id: id.into(),
            name: Some(id.into()),
            lifecycle_state: Some(state.into()),
            is_mfa_activated: Some(mfa),
            last_successful_login_time: login.map(str::to_owned),
            ..Default::default()
        };
        let api_only = User {
            capabilities: Some(UserCapabilities {
                can_use_console_password: Some(false),
                ..Default::default()
            }),
            ..user("svc", "ACTIVE", false, None)
        };
        let users = [
            user("ok", "ACTIVE", true, Some("2024-08-30T00:00:00Z")),
            user("nomfa", "ACTIVE", false, None),
            user("dormant", "ACTIVE", true, Some("2024-05-01T00:00:00Z")),
            user("blocked", "INACTIVE", false, None),
            api_only,
        ];
        let found = user_findings(&users, now, 90);
        let summary: Vec<(&str, &str)> = found
            .iter()
            .map(|f| (f.resource.as_str(), f.severity.as_str()))
            .collect();
        assert_eq!(
            summary,
            [
                ("nomfa (nomfa)", "HIGH"),
                ("dormant (dormant)", "MEDIUM"),
                ("blocked (blocked)", "LOW"),
            ]
        );
        assert!(
            found[1].finding.contains("123 days"),
            "{}",
            found[1].finding
        );
    }

    #[test]
    fn the_audited_compartments_are_the_subtree_that_may_be_inspected() {
        let c = |id: &str, parent: &str, accessible: bool| Compartment {
            id: id.into(),
            compartment_id: Some(parent.into()),
            is_accessible: Some(accessible),
            lifecycle_state: Some("ACTIVE".into()),
            ..Default::default()
        };
        let tree = [
            c("a", "t", true),
            c("b", "a", true),
            c("hidden", "a", false),
            c("other", "t", true),
        ];
        assert_eq!(compartments_under("a", &tree, true), ["a", "b"]);
        assert_eq!(
            compartments_under("t", &tree, true),
            ["t", "a", "other", "b"]
        );
        assert_eq!(compartments_under("a", &tree, false), ["a"]);
    }
}
