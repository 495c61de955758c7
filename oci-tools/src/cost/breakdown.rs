//! The cost of a range of days: in total and per day or month (`oci_cost_get_summary`),
//! per service (`oci_cost_by_service`) and per compartment, named and placed in the
//! compartment tree (`oci_cost_by_compartment`).

use std::collections::HashMap;

use oci_api::ops::identity::Compartment;
use oci_api::ops::usage::Filter;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{
    Period, Range, SUMMARY_SERVICES, ServiceCost, UNKNOWN, Window, amount, currency, fetch, money,
    ranked, service_costs, service_of, service_table, share, top_n,
};
use crate::args::ocid_opt;
use crate::error::ToolError;
use crate::metrics::round2;
use crate::output::{Markdown, fields, opt, table};
use crate::toolbox::{Call, Domain, Effect, ToolDef, tool};

pub(super) fn tools() -> Vec<ToolDef> {
    vec![
        tool(
            "oci_cost_get_summary",
            Domain::Cost,
            Effect::Read,
            "Total cost of the tenancy over a range of days (start_date/end_date, or the last `days`, default 30, today included), with the cost of every day or month (granularity DAILY or MONTHLY; MONTHLY widens the range to whole months), the average per period, the top 5 services and the currency. Usage API, amounts summed from the usage items.",
            get_summary,
        ),
        tool(
            "oci_cost_by_service",
            Domain::Cost,
            Effect::Read,
            "Cost per OCI service over a range of days (default: the last 30, today included), sorted by cost, the top_n (default 10) with their share of the total and the rest summed; optionally only the cost of resources directly in one compartment.",
            by_service,
        ),
        tool(
            "oci_cost_by_compartment",
            Domain::Cost,
            Effect::Read,
            "Cost per compartment over a range of days (default: the last 30, today included), sorted by cost, the top_n (default 10) with name, path in the compartment tree and share of the total, the rest summed; optionally only one service's cost.",
            by_compartment,
        ),
    ]
}

/// What is left beyond the top N.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Rest {
    /// How many groups.
    pub count: usize,
    pub cost: f64,
    pub share_percent: f64,
}

fn rest_of(ranked: &[(String, f64)], shown: usize, total: f64) -> Option<Rest> {
    let rest = ranked.get(shown..).filter(|rest| !rest.is_empty())?;
    let cost: f64 = rest.iter().map(|(_, cost)| cost).sum();
    Some(Rest {
        count: rest.len(),
        cost: round2(cost),
        share_percent: share(cost, total),
    })
}

fn rest_line(rest: Option<&Rest>, noun: &str, currency: Option<&str>) -> String {
    rest.map(|r| {
        let plural = if r.count == 1 { "" } else { "s" };
        format!(
            "\n{} more {noun}{plural}: {} ({:.1}%)\n",
            r.count,
            money(r.cost, currency),
            r.share_percent
        )
    })
    .unwrap_or_default()
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct SummaryArgs {
    /// First day counted (YYYY-MM-DD, UTC); default: `days` days before the end.
    start_date: Option<String>,
    /// Last day counted (YYYY-MM-DD, UTC, included); default: today.
    end_date: Option<String>,
    /// The last N days up to `end_date` (1 to 366, default 30); not with `start_date`.
    days: Option<u32>,
    /// DAILY (default) or MONTHLY: one row per day or per month.
    granularity: Option<Period>,
}

/// The cost of one day or month.
#[derive(Debug, Serialize, JsonSchema)]
pub struct PeriodCost {
    /// `2024-05-01` (DAILY) or `2024-05` (MONTHLY).
    pub period: String,
    pub cost: f64,
}

/// `oci_cost_get_summary`'s answer.
#[derive(Debug, Serialize, JsonSchema)]
pub struct CostSummary {
    pub range: Range,
    pub granularity: Period,
    /// As OCI reports it (`USD`, `EUR`, ...); absent without any cost item.
    pub currency: Option<String>,
    pub total: f64,
    /// The total divided by the number of periods of the range.
    pub average_per_period: f64,
    /// Every period of the range, in order; periods without usage cost 0.
    pub periods: Vec<PeriodCost>,
    /// The most expensive services of the range.
    pub top_services: Vec<ServiceCost>,
}

impl Markdown for CostSummary {
    fn markdown(&self) -> String {
        let currency = self.currency.as_deref();
        let noun = self.granularity.noun();
        let mut text = format!("## Cost {}\n", self.range.text());
        text.push_str(&fields(&[
            ("total", Some(money(self.total, currency))),
            (
                &format!("average per {noun}"),
                Some(money(self.average_per_period, currency)),
            ),
            ("currency", self.currency.clone()),
        ]));
        text.push_str(&format!("\n### Per {noun}\n"));
        text.push_str(&table(
            &[noun, "cost"],
            self.periods
                .iter()
                .map(|p| vec![p.period.clone(), money(p.cost, currency)]),
        ));
        text.push_str("\n### Top services\n");
        text.push_str(&service_table(&self.top_services, currency));
        text
    }
}

async fn get_summary(call: Call, args: SummaryArgs) -> Result<CostSummary, ToolError> {
    let period = args.granularity.unwrap_or_default();
    let window = Window::of_dates(
        call.now(),
        args.start_date.as_deref(),
        args.end_date.as_deref(),
        args.days,
        period,
    )?;
    let items = fetch(&call, &window, &["service"], None).await?;
    let mut periods = window.zeros();
    let mut services: HashMap<String, f64> = HashMap::new();
    for item in &items {
        if let Some(at) = window.period_of(item) {
            *periods.entry(at).or_default() += amount(item);
            *services.entry(service_of(item)).or_default() += amount(item);
        }
    }
    let total: f64 = periods.values().sum();
    let count = periods.len().max(1);
    let mut top = ranked(services);
    top.truncate(SUMMARY_SERVICES);
    Ok(CostSummary {
        range: Range::of(&window),
        granularity: period,
        currency: currency(&items),
        total: round2(total),
        average_per_period: round2(total / count as f64),
        periods: periods
            .into_iter()
            .map(|(at, cost)| PeriodCost {
                period: period.label(at),
                cost: round2(cost),
            })
            .collect(),
        top_services: service_costs(&top, total),
    })
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct ByServiceArgs {
    /// First day counted (YYYY-MM-DD, UTC); default: `days` days before the end.
    start_date: Option<String>,
    /// Last day counted (YYYY-MM-DD, UTC, included); default: today.
    end_date: Option<String>,
    /// The last N days up to `end_date` (1 to 366, default 30); not with `start_date`.
    days: Option<u32>,
    /// How many services to list (1 to 50, default 10); the rest is summed.
    top_n: Option<u32>,
    /// Only the cost of resources directly in this compartment (not its children);
    /// default: the whole tenancy.
    compartment_id: Option<String>,
}

/// `oci_cost_by_service`'s answer.
#[derive(Debug, Serialize, JsonSchema)]
pub struct CostByService {
    pub range: Range,
    pub currency: Option<String>,
    /// The compartment the costs were limited to, when one was given.
    pub compartment_id: Option<String>,
    pub total: f64,
    /// The top services, most expensive first.
    pub services: Vec<ServiceCost>,
    /// The services beyond `top_n`, summed.
    pub rest: Option<Rest>,
}

impl Markdown for CostByService {
    fn markdown(&self) -> String {
        let currency = self.currency.as_deref();
        let mut text = format!("## Cost by service, {}\n", self.range.text());
        text.push_str(&fields(&[
            ("total", Some(money(self.total, currency))),
            ("compartment", self.compartment_id.clone()),
        ]));
        text.push('\n');
        text.push_str(&service_table(&self.services, currency));
        text.push_str(&rest_line(self.rest.as_ref(), "service", currency));
        text
    }
}

async fn by_service(call: Call, args: ByServiceArgs) -> Result<CostByService, ToolError> {
    ocid_opt(
        "compartment_id",
        args.compartment_id.as_deref(),
        &["compartment", "tenancy"],
    )?;
    let window = Window::of_dates(
        call.now(),
        args.start_date.as_deref(),
        args.end_date.as_deref(),
        args.days,
        Period::Daily,
    )?;
    let filter = args
        .compartment_id
        .as_ref()
        .map(|id| Filter::equals("compartmentId", id.clone()));
    let items = fetch(&call, &window, &["service"], filter).await?;
    let mut services: HashMap<String, f64> = HashMap::new();
    for item in &items {
        if window.period_of(item).is_some() {
            *services.entry(service_of(item)).or_default() += amount(item);
        }
    }
    let total: f64 = services.values().sum();
    let ranked = ranked(services);
    let shown = top_n(args.top_n).min(ranked.len());
    Ok(CostByService {
        range: Range::of(&window),
        currency: currency(&items),
        compartment_id: args.compartment_id,
        total: round2(total),
        services: service_costs(&ranked[..shown], total),
        rest: rest_of(&ranked, shown, total),
    })
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct ByCompartmentArgs {
    /// First day counted (YYYY-MM-DD, UTC); default: `days` days before the end.
    start_date: Option<String>,
    /// Last day counted (YYYY-MM-DD, UTC, included); default: today.
    end_date: Option<String>,
    /// The last N days up to `end_date` (1 to 366, default 30); not with `start_date`.
    days: Option<u32>,
    /// How many compartments to list (1 to 50, default 10); the rest is summed.
    top_n: Option<u32>,
    /// Only this service's cost, as the Usage API names it (`COMPUTE`, `BLOCK_STORAGE`, ...;
    /// see oci_cost_by_service).
    service: Option<String>,
}

/// A compartment and its cost.
#[derive(Debug, Serialize, JsonSchema)]
pub struct CompartmentCost {
    /// The compartment OCID (the tenancy OCID for the root compartment).
    pub compartment_id: Option<String>,
    pub name: String,
    /// Names from the root down (`prod/app`), when the compartment tree knows it.
    pub path: Option<String>,
    pub cost: f64,
    pub share_percent: f64,
}

/// `oci_cost_by_compartment`'s answer.
#[derive(Debug, Serialize, JsonSchema)]
pub struct CostByCompartment {
    pub range: Range,
    pub currency: Option<String>,
    /// The service the costs were limited to, when one was given.
    pub service: Option<String>,
    pub total: f64,
    /// The top compartments, most expensive first.
    pub compartments: Vec<CompartmentCost>,
    /// The compartments beyond `top_n`, summed.
    pub rest: Option<Rest>,
    /// Why names or paths may be missing (the compartment tree could not be read).
    pub note: Option<String>,
}

impl Markdown for CostByCompartment {
    fn markdown(&self) -> String {
        let currency = self.currency.as_deref();
        let mut text = format!("## Cost by compartment, {}\n", self.range.text());
        text.push_str(&fields(&[
            ("total", Some(money(self.total, currency))),
            ("service", self.service.clone()),
            ("note", self.note.clone()),
        ]));
        text.push('\n');
        text.push_str(&table(
            &["compartment", "path", "cost", "share", "id"],
            self.compartments.iter().map(|c| {
                vec![
                    c.name.clone(),
                    opt(c.path.as_deref()),
                    money(c.cost, currency),
                    format!("{:.1}%", c.share_percent),
                    opt(c.compartment_id.as_deref()),
                ]
            }),
        ));
        text.push_str(&rest_line(self.rest.as_ref(), "compartment", currency));
        text
    }
}

/// Names and paths of compartments, from the tenancy's compartment tree.
struct Tree {
    tenancy: String,
    by_id: HashMap<String, Compartment>,
}

impl Tree {
    /// Whether `id` is the root compartment: the tenancy (the tree's parents name it).
    fn is_root(&self, id: &str) -> bool {
        id == self.tenancy || (id.starts_with("ocid1.tenancy.") && !self.by_id.contains_key(id))
    }

    /// The name of `id`: `root` for the tenancy.
    fn name(&self, id: &str) -> Option<String> {
        if self.is_root(id) {
            return Some("root".to_owned());
        }
        self.by_id.get(id)?.name.clone()
    }

    /// `prod/app`: the names from below the root down to `id`.
    fn path(&self, id: &str) -> Option<String> {
        if self.is_root(id) {
            return Some("root".to_owned());
        }
        let mut names = Vec::new();
        let mut at = id;
        // OCI nests compartments six deep at most; the bound also stops a cycle.
        for _ in 0..10 {
            if self.is_root(at) {
                names.reverse();
                return Some(names.join("/"));
            }
            let compartment = self.by_id.get(at)?;
            names.push(compartment.name.clone()?);
            at = compartment.compartment_id.as_deref()?;
        }
        None
    }
}

async fn by_compartment(
    call: Call,
    args: ByCompartmentArgs,
) -> Result<CostByCompartment, ToolError> {
    let window = Window::of_dates(
        call.now(),
        args.start_date.as_deref(),
        args.end_date.as_deref(),
        args.days,
        Period::Daily,
    )?;
    let filter = args
        .service
        .as_ref()
        .map(|service| Filter::equals("service", service.clone()));
    // The tree first: names and paths as they are now (the usage data carries the name a
    // compartment had then). Costs do not need it, so a principal that may read costs but
    // not compartments still gets them, with a note.
    let tenancy = call.client().await?.tenancy().to_owned();
    let (tree, note) = match call.compartment_tree().await {
        Ok(compartments) => (
            Some(Tree {
                tenancy,
                by_id: compartments
                    .into_iter()
                    .map(|c| (c.id.clone(), c))
                    .collect(),
            }),
            None,
        ),
        Err(e) => (
            None,
            Some(format!(
                "names are the ones in the usage data and paths are missing: the compartment tree could not be read ({e})"
            )),
        ),
    };
    let items = fetch(
        &call,
        &window,
        &["compartmentId", "compartmentName"],
        filter,
    )
    .await?;
    let mut costs: HashMap<String, f64> = HashMap::new();
    let mut usage_names: HashMap<String, String> = HashMap::new();
    for item in &items {
        if window.period_of(item).is_none() {
            continue;
        }
        let key = item
            .compartment_id
            .clone()
            .or_else(|| item.compartment_name.clone())
            .unwrap_or_else(|| UNKNOWN.to_owned());
        if let Some(name) = item.compartment_name.clone().filter(|n| !n.is_empty()) {
            usage_names.entry(key.clone()).or_insert(name);
        }
        *costs.entry(key).or_default() += amount(item);
    }
    let total: f64 = costs.values().sum();
    let ranked = ranked(costs);
    let shown = top_n(args.top_n).min(ranked.len());
    let compartments = ranked[..shown]
        .iter()
        .map(|(key, cost)| {
            let is_id = key.starts_with("ocid1.");
            let from_tree = |f: fn(&Tree, &str) -> Option<String>| {
                tree.as_ref().filter(|_| is_id).and_then(|t| f(t, key))
            };
            CompartmentCost {
                compartment_id: is_id.then(|| key.clone()),
                name: from_tree(Tree::name)
                    .or_else(|| usage_names.get(key).cloned())
                    .unwrap_or_else(|| key.clone()),
                path: from_tree(Tree::path),
                cost: round2(*cost),
                share_percent: share(*cost, total),
            }
        })
        .collect();
    Ok(CostByCompartment {
        range: Range::of(&window),
        currency: currency(&items),
        service: args.service,
        total: round2(total),
        compartments,
        rest: rest_of(&ranked, shown, total),
        note,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compartment_paths_run_from_the_root_down() {
        let compartment = |id: &str, parent: &str, name: &str| Compartment {
            id: id.to_owned(),
            compartment_id: Some(parent.to_owned()),
            name: Some(name.to_owned()),
            ..Compartment::default()
        };
        let tree = Tree {
            tenancy: "t".to_owned(),
            by_id: [
                compartment("a", "t", "prod"),
                compartment("b", "a", "app"),
                compartment("x", "y", "loop"),
                compartment("y", "x", "pool"),
            ]
            .into_iter()
            .map(|c| (c.id.clone(), c))
            .collect(),
        };
        assert_eq!(tree.path("b").as_deref(), Some("prod/app"));
        assert_eq!(tree.name("t").as_deref(), Some("root"));
        let other_root = Tree {
            tenancy: "ocid1.tenancy.oc1..mine".to_owned(),
            by_id: [compartment("c", "ocid1.tenancy.oc1..fixture", "prod")]
                .into_iter()
                .map(|c| (c.id.clone(), c))
                .collect(),
        };
        assert_eq!(
            other_root.path("c").as_deref(),
            Some("prod"),
            "a parent tenancy is the root"
        );
        assert_eq!(tree.path("x"), None, "a cycle ends");
        assert_eq!(tree.path("gone"), None);
    }
}
