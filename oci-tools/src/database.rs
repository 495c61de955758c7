//! Database tools: Autonomous Databases (list; one in detail with its endpoints and
//! connection strings; start and stop), DB systems (list), backups (of one Autonomous
//! Database, of one DB-system database, or of a compartment) and the Monitoring metrics of
//! one database, always filtered to it (`resourceId`). [`get_autonomous`] is also what the
//! database troubleshooting skill reads. Nothing here reads wallets or passwords: the
//! connection strings are the public descriptors OCI shows on the database.

use std::collections::HashSet;

use oci_api::Client;
use oci_api::ops::database::{
    AutonomousDatabase, AutonomousDatabaseBackup, Backup, ConnectionStrings, ConnectionUrls,
    DbSystem, ListAutonomousDatabaseBackups, ListAutonomousDatabases, ListBackups, ListDbSystems,
};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::args::{self, ocid};
use super::error::ToolError;
use super::metrics::{self, ADB_NAMESPACE, MetricSummary, round2};
use super::output::{Markdown, Paged, Row, fields, opt, table};
use super::toolbox::{Call, Domain, Effect, ToolDef, tool};

/// Databases of DB systems: `CpuUtilization`, `StorageUtilization`, `CurrentLogons`, ...
const DATABASE_NAMESPACE: &str = "oci_database";
/// The hosts of DB systems: `CpuUtilization`, `MemoryUtilization`, `LoadAverage`, ...
const DB_CLUSTER_NAMESPACE: &str = "oci_database_cluster";

/// The metrics `oci_database_get_metrics` reads when none are named, per kind of database.
const ADB_METRICS: [&str; 4] = [
    "CpuUtilization",
    "StorageUtilization",
    "Sessions",
    "ExecuteCount",
];
const DATABASE_METRICS: [&str; 4] = [
    "CpuUtilization",
    "StorageUtilization",
    "CurrentLogons",
    "ExecuteCount",
];
const DB_SYSTEM_METRICS: [&str; 4] = [
    "CpuUtilization",
    "MemoryUtilization",
    "FilesystemUtilization",
    "LoadAverage",
];
/// The most metrics one call reads (one Monitoring query each).
const MAX_METRICS: usize = 10;
/// The metrics window when none is given, and the longest one, in hours.
const DEFAULT_HOURS: u32 = 24;
const MAX_HOURS: u32 = 168;

/// Gigabytes in the terabyte OCI sizes databases in.
const GB_PER_TB: f64 = 1024.0;

pub fn tools() -> Vec<ToolDef> {
    vec![
        tool(
            "oci_database_list_autonomous",
            Domain::Database,
            Effect::Read,
            "List Autonomous Databases in a compartment (default: the configured compartment, else the tenancy), optionally filtered by lifecycle state, workload type (OLTP, DW, AJD, APEX, LH) or display name: state, workload, ECPUs/OCPUs, storage, version, free tier. Pages with limit and cursor.",
            list_autonomous,
        ),
        tool(
            "oci_database_get_autonomous",
            Domain::Database,
            Effect::Read,
            "Get one Autonomous Database: state, workload, version, ECPUs/OCPUs and auto scaling, storage allocated and used, backup retention, free tier, network placement (private endpoint, subnet, NSGs, access control list, mTLS), connection strings and tool URLs. No wallet or password is read.",
            get_autonomous_tool,
        ),
        tool(
            "oci_database_start_autonomous",
            Domain::Database,
            Effect::Mutate,
            "Start a stopped Autonomous Database (StartAutonomousDatabase). Nothing is sent when it is already AVAILABLE or STARTING. Needs mutations enabled on the gateway.",
            start_autonomous,
        ),
        tool(
            "oci_database_stop_autonomous",
            Domain::Database,
            Effect::Mutate,
            "Stop an Autonomous Database (StopAutonomousDatabase); compute billing stops, storage stays. Nothing is sent when it is already STOPPED or STOPPING. Needs mutations enabled on the gateway.",
            stop_autonomous,
        ),
        tool(
            "oci_database_list_dbsystems",
            Domain::Database,
            Effect::Read,
            "List DB systems (Base Database Service) in a compartment (default: the configured compartment, else the tenancy), optionally filtered by lifecycle state, display name or availability domain: shape, database version and edition, node count, cores, memory, storage, state. Pages with limit and cursor.",
            list_dbsystems,
        ),
        tool(
            "oci_database_get_metrics",
            Domain::Database,
            Effect::Read,
            "Summarize the Monitoring metrics of ONE database over the last hours (latest, mean, min, max), every query filtered to that resource: an Autonomous Database (namespace oci_autonomous_database; default CpuUtilization, StorageUtilization, Sessions, ExecuteCount), a DB-system database (oci_database; default CpuUtilization, StorageUtilization, CurrentLogons, ExecuteCount) or a DB system's hosts (oci_database_cluster; default CpuUtilization, MemoryUtilization, FilesystemUtilization, LoadAverage).",
            get_metrics,
        ),
        tool(
            "oci_database_list_backups",
            Domain::Database,
            Effect::Read,
            "List database backups: of one Autonomous Database or one DB-system database (database_id), or of a compartment (database_type autonomous or db_system; default compartment: the configured one, else the tenancy), optionally filtered by lifecycle state and backup type: type, state, automatic or manual, size, start and end times, retention. Pages with limit and cursor.",
            list_backups,
        ),
    ]
}

/// `value` in upper case, as OCI's enumerations are.
fn upper(value: Option<String>) -> Option<String> {
    value.map(|v| v.trim().to_ascii_uppercase())
}

/// "2 ECPU", "1 OCPU", or the bare count when the model is unknown.
fn compute_text(count: Option<f64>, model: Option<&str>) -> Option<String> {
    let count = count?;
    Some(match model {
        Some(model) => format!("{count} {model}"),
        None => count.to_string(),
    })
}

/// An Autonomous Database's ECPUs or OCPUs, whichever fields OCI filled in.
fn adb_compute_count(adb: &AutonomousDatabase) -> Option<f64> {
    adb.compute_count
        .or(adb.ocpu_count)
        .or(adb.cpu_core_count.map(|c| c as f64))
}

/// One page of a list call, as `(items, next page token)`.

// ---------------------------------------------------------------------------------------
// oci_database_list_autonomous

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct ListAutonomousArgs {
    /// Compartment OCID; default: the configured compartment, else the tenancy.
    compartment_id: Option<String>,
    /// AVAILABLE, STOPPED, STARTING, STOPPING, PROVISIONING, UNAVAILABLE, TERMINATED, ...
    lifecycle_state: Option<String>,
    /// OLTP (Transaction Processing), DW (Data Warehouse), AJD (JSON), APEX or LH (Lakehouse).
    workload_type: Option<String>,
    /// Only databases with exactly this display name.
    display_name: Option<String>,
    /// Items per page (default 50, at most 100).
    limit: Option<u32>,
    /// `next_cursor` of the previous page.
    cursor: Option<String>,
}

/// An Autonomous Database as lists show it.
#[derive(Debug, Serialize, JsonSchema)]
pub struct AutonomousItem {
    pub id: String,
    pub name: Option<String>,
    pub db_name: Option<String>,
    pub lifecycle_state: Option<String>,
    /// OLTP, DW, AJD, APEX or LH.
    pub workload: Option<String>,
    /// ECPU or OCPU.
    pub compute_model: Option<String>,
    /// ECPUs or OCPUs, per `compute_model`.
    pub compute_count: Option<f64>,
    pub storage_tbs: Option<f64>,
    pub is_free_tier: Option<bool>,
    pub db_version: Option<String>,
    pub time_created: Option<String>,
}

impl From<AutonomousDatabase> for AutonomousItem {
    fn from(adb: AutonomousDatabase) -> Self {
        Self {
            compute_count: adb_compute_count(&adb),
            id: adb.id,
            name: adb.display_name,
            db_name: adb.db_name,
            lifecycle_state: adb.lifecycle_state,
            workload: adb.db_workload,
            compute_model: adb.compute_model,
            storage_tbs: adb.data_storage_size_in_tbs,
            is_free_tier: adb.is_free_tier,
            db_version: adb.db_version,
            time_created: adb.time_created,
        }
    }
}

impl Row for AutonomousItem {
    const COLUMNS: &'static [&'static str] = &[
        "name",
        "state",
        "workload",
        "compute",
        "storage (TB)",
        "version",
        "free tier",
        "id",
    ];
    fn cells(&self) -> Vec<String> {
        vec![
            opt(self.name.as_deref()),
            opt(self.lifecycle_state.as_deref()),
            opt(self.workload.as_deref()),
            opt(compute_text(
                self.compute_count,
                self.compute_model.as_deref(),
            )),
            opt(self.storage_tbs),
            opt(self.db_version.as_deref()),
            opt(self.is_free_tier),
            self.id.clone(),
        ]
    }
}

async fn list_autonomous(
    call: Call,
    args: ListAutonomousArgs,
) -> Result<Paged<AutonomousItem>, ToolError> {
    let compartment = call.compartment(args.compartment_id).await?;
    let client = call.client().await?;
    let list = ListAutonomousDatabases {
        lifecycle_state: upper(args.lifecycle_state),
        db_workload: upper(args.workload_type),
        display_name: args.display_name,
        limit: Some(args::limit(args.limit)),
        ..ListAutonomousDatabases::new(compartment)
    };
    let (databases, next) =
        args::one_page(client.list_autonomous_databases(&list), args.cursor).await?;
    Ok(Paged::new(
        databases.into_iter().map(AutonomousItem::from).collect(),
        next,
    ))
}

// ---------------------------------------------------------------------------------------
// oci_database_get_autonomous

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct DatabaseIdArgs {
    /// Autonomous Database OCID (`ocid1.autonomousdatabase...`).
    database_id: String,
}

/// One way to connect: a connect descriptor or EZConnect string (no credentials).
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ConnectionString {
    /// The profile or service name (`adb1_high`, `high`, ...).
    pub name: String,
    /// HIGH, MEDIUM, LOW, TP, TPURGENT, ...
    pub consumer_group: Option<String>,
    /// TCP or TCPS.
    pub protocol: Option<String>,
    /// MUTUAL (a wallet is needed) or SERVER (TLS without a wallet).
    pub tls_authentication: Option<String>,
    pub value: String,
}

/// One of the database's web tools.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ToolUrl {
    /// SQL Developer Web, APEX, ORDS, ...
    pub tool: String,
    pub url: String,
}

/// One Autonomous Database in detail: what `oci_database_get_autonomous` answers and the
/// database troubleshooting skill reads.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct AutonomousDetail {
    pub id: String,
    pub name: Option<String>,
    pub db_name: Option<String>,
    /// AVAILABLE, STOPPED, STARTING, STOPPING, PROVISIONING, UNAVAILABLE, ...
    pub lifecycle_state: Option<String>,
    pub lifecycle_details: Option<String>,
    pub compartment_id: Option<String>,
    /// OLTP, DW, AJD, APEX or LH.
    pub workload: Option<String>,
    pub db_version: Option<String>,
    pub license_model: Option<String>,
    pub is_free_tier: Option<bool>,
    /// On dedicated Exadata infrastructure rather than shared.
    pub is_dedicated: Option<bool>,
    /// ECPU or OCPU.
    pub compute_model: Option<String>,
    /// ECPUs or OCPUs, per `compute_model`.
    pub compute_count: Option<f64>,
    pub is_auto_scaling_enabled: Option<bool>,
    /// Storage provisioned for data.
    pub data_storage_tbs: Option<f64>,
    pub data_storage_gbs: Option<f64>,
    /// Storage the data uses.
    pub used_storage_gbs: Option<f64>,
    /// Used over provisioned data storage, in percent (computed when OCI gives both).
    pub storage_used_percent: Option<f64>,
    /// Storage allocated to the database's files.
    pub allocated_storage_tbs: Option<f64>,
    pub is_storage_auto_scaling_enabled: Option<bool>,
    /// Days automatic backups are kept.
    pub backup_retention_days: Option<i64>,
    pub total_backup_storage_gbs: Option<f64>,
    /// READ_WRITE or READ_ONLY.
    pub open_mode: Option<String>,
    /// PRIMARY, STANDBY, ...
    pub role: Option<String>,
    pub is_data_guard_enabled: Option<bool>,
    /// The subnet of the private endpoint; absent for a public endpoint.
    pub subnet_id: Option<String>,
    /// Network security groups of the private endpoint.
    pub nsg_ids: Vec<String>,
    pub private_endpoint: Option<String>,
    pub private_endpoint_ip: Option<String>,
    pub public_endpoint: Option<String>,
    /// Whether only `access_control_list` may connect (public endpoint).
    pub is_access_control_enabled: Option<bool>,
    /// IPs, CIDR blocks and VCNs allowed to connect (OCI's `whitelistedIps`).
    pub access_control_list: Vec<String>,
    /// Whether clients need a wallet (mutual TLS).
    pub is_mtls_connection_required: Option<bool>,
    pub connection_strings: Vec<ConnectionString>,
    pub tool_urls: Vec<ToolUrl>,
    pub service_console_url: Option<String>,
    pub time_created: Option<String>,
    pub time_maintenance_begin: Option<String>,
    pub time_maintenance_end: Option<String>,
    /// When OCI deletes an Always Free database left stopped (free tier only).
    pub time_deletion_of_free_autonomous_database: Option<String>,
}

/// The connection strings OCI gives: the profiles (full descriptors with their protocol),
/// then the named services and `high`/`medium`/`low`/`dedicated` whose value no profile
/// already has.
fn connection_strings(strings: Option<ConnectionStrings>) -> Vec<ConnectionString> {
    let Some(strings) = strings else {
        return Vec::new();
    };
    let mut out: Vec<ConnectionString> = Vec::new();
    let mut seen = HashSet::new();
    for profile in strings.profiles {
        let Some(value) = profile.value else {
            continue;
        };
        if seen.insert(value.clone()) {
            out.push(ConnectionString {
                name: profile
                    .display_name
                    .or_else(|| profile.consumer_group.clone())
                    .unwrap_or_default(),
                consumer_group: profile.consumer_group,
                protocol: profile.protocol,
                tls_authentication: profile.tls_authentication,
                value,
            });
        }
    }
    let named = strings
        .all_connection_strings
        .into_iter()
        .map(|(group, value)| (group.to_ascii_lowercase(), group, value));
    let levels = [
        ("high", strings.high),
        ("medium", strings.medium),
        ("low", strings.low),
        ("dedicated", strings.dedicated),
    ]
    .into_iter()
    .filter_map(|(name, value)| Some((name.to_owned(), name.to_ascii_uppercase(), value?)));
    for (name, group, value) in named.chain(levels) {
        if seen.insert(value.clone()) {
            out.push(ConnectionString {
                name,
                consumer_group: Some(group),
                protocol: None,
                tls_authentication: None,
                value,
            });
        }
    }
    out
}

/// The web tools OCI gives URLs for.
fn tool_urls(urls: Option<ConnectionUrls>) -> Vec<ToolUrl> {
    let Some(urls) = urls else {
        return Vec::new();
    };
    [
        ("SQL Developer Web", urls.sql_dev_web_url),
        ("APEX", urls.apex_url),
        ("ORDS", urls.ords_url),
        ("Graph Studio", urls.graph_studio_url),
        ("MongoDB API", urls.mongo_db_url),
        (
            "Machine Learning user management",
            urls.machine_learning_user_management_url,
        ),
        (
            "Machine Learning notebooks",
            urls.machine_learning_notebook_url,
        ),
        ("Data Transforms", urls.database_transforms_url),
    ]
    .into_iter()
    .filter_map(|(tool, url)| {
        Some(ToolUrl {
            tool: tool.to_owned(),
            url: url?,
        })
    })
    .collect()
}

/// Used over provisioned storage in percent: by gigabytes when OCI gives both, else by
/// terabytes.
fn storage_used_percent(adb: &AutonomousDatabase) -> Option<f64> {
    let (used, size) = match (
        adb.used_data_storage_size_in_gbs,
        adb.data_storage_size_in_gbs,
    ) {
        (Some(used), Some(size)) => (used, size),
        _ => (
            adb.actual_used_data_storage_size_in_tbs
                .or(adb.used_data_storage_size_in_tbs)?,
            adb.data_storage_size_in_tbs?,
        ),
    };
    (size > 0.0).then(|| round2(used / size * 100.0))
}

impl From<AutonomousDatabase> for AutonomousDetail {
    fn from(adb: AutonomousDatabase) -> Self {
        Self {
            compute_count: adb_compute_count(&adb),
            storage_used_percent: storage_used_percent(&adb),
            used_storage_gbs: adb.used_data_storage_size_in_gbs.or(adb
                .actual_used_data_storage_size_in_tbs
                .map(|tb| round2(tb * GB_PER_TB))),
            connection_strings: connection_strings(adb.connection_strings),
            tool_urls: tool_urls(adb.connection_urls),
            id: adb.id,
            name: adb.display_name,
            db_name: adb.db_name,
            lifecycle_state: adb.lifecycle_state,
            lifecycle_details: adb.lifecycle_details,
            compartment_id: adb.compartment_id,
            workload: adb.db_workload,
            db_version: adb.db_version,
            license_model: adb.license_model,
            is_free_tier: adb.is_free_tier,
            is_dedicated: adb.is_dedicated,
            compute_model: adb.compute_model,
            is_auto_scaling_enabled: adb.is_auto_scaling_enabled,
            data_storage_tbs: adb.data_storage_size_in_tbs,
            data_storage_gbs: adb.data_storage_size_in_gbs,
            allocated_storage_tbs: adb.allocated_storage_size_in_tbs,
            is_storage_auto_scaling_enabled: adb.is_auto_scaling_for_storage_enabled,
            backup_retention_days: adb.backup_retention_period_in_days,
            total_backup_storage_gbs: adb.total_backup_storage_size_in_gbs,
            open_mode: adb.open_mode,
            role: adb.role,
            is_data_guard_enabled: adb.is_data_guard_enabled,
            subnet_id: adb.subnet_id,
            nsg_ids: adb.nsg_ids,
            private_endpoint: adb.private_endpoint,
            private_endpoint_ip: adb.private_endpoint_ip,
            public_endpoint: adb.public_endpoint,
            is_access_control_enabled: adb.is_access_control_enabled,
            access_control_list: adb.whitelisted_ips,
            is_mtls_connection_required: adb.is_mtls_connection_required,
            service_console_url: adb.service_console_url,
            time_created: adb.time_created,
            time_maintenance_begin: adb.time_maintenance_begin,
            time_maintenance_end: adb.time_maintenance_end,
            time_deletion_of_free_autonomous_database: adb
                .time_deletion_of_free_autonomous_database,
        }
    }
}

impl Markdown for AutonomousDetail {
    fn markdown(&self) -> String {
        let mut text = format!(
            "## Autonomous Database {}\n",
            self.name.as_deref().unwrap_or(&self.id)
        );
        let storage = self.data_storage_tbs.map(|tb| {
            let mut storage = format!("{tb} TB");
            if let Some(used) = self.used_storage_gbs {
                storage.push_str(&format!(", {used} GB used"));
            }
            if let Some(percent) = self.storage_used_percent {
                storage.push_str(&format!(" ({percent}%)"));
            }
            storage
        });
        let state =
            self.lifecycle_state
                .as_ref()
                .map(|state| match self.lifecycle_details.as_deref() {
                    Some(details) => format!("{state} ({details})"),
                    None => state.clone(),
                });
        let nsgs = (!self.nsg_ids.is_empty()).then(|| self.nsg_ids.join(", "));
        let acl =
            (!self.access_control_list.is_empty()).then(|| self.access_control_list.join(", "));
        text.push_str(&fields(&[
            ("id", Some(self.id.clone())),
            ("state", state),
            ("database name", self.db_name.clone()),
            ("compartment", self.compartment_id.clone()),
            ("workload", self.workload.clone()),
            ("version", self.db_version.clone()),
            (
                "compute",
                compute_text(self.compute_count, self.compute_model.as_deref()),
            ),
            (
                "compute auto scaling",
                self.is_auto_scaling_enabled.map(|b| b.to_string()),
            ),
            ("storage", storage),
            (
                "storage auto scaling",
                self.is_storage_auto_scaling_enabled.map(|b| b.to_string()),
            ),
            (
                "backup retention (days)",
                self.backup_retention_days.map(|d| d.to_string()),
            ),
            ("free tier", self.is_free_tier.map(|b| b.to_string())),
            ("dedicated", self.is_dedicated.map(|b| b.to_string())),
            ("license", self.license_model.clone()),
            ("open mode", self.open_mode.clone()),
            ("role", self.role.clone()),
            (
                "Data Guard",
                self.is_data_guard_enabled.map(|b| b.to_string()),
            ),
            ("private endpoint", self.private_endpoint.clone()),
            ("private endpoint IP", self.private_endpoint_ip.clone()),
            ("public endpoint", self.public_endpoint.clone()),
            ("subnet", self.subnet_id.clone()),
            ("NSGs", nsgs),
            (
                "access control",
                self.is_access_control_enabled.map(|b| b.to_string()),
            ),
            ("access control list", acl),
            (
                "mTLS required",
                self.is_mtls_connection_required.map(|b| b.to_string()),
            ),
            ("created", self.time_created.clone()),
            (
                "maintenance",
                self.time_maintenance_begin.as_ref().map(|begin| {
                    format!(
                        "{begin} to {}",
                        self.time_maintenance_end.as_deref().unwrap_or("?")
                    )
                }),
            ),
            (
                "free database deleted on",
                self.time_deletion_of_free_autonomous_database.clone(),
            ),
        ]));
        text.push_str("\n### Connection strings\n");
        text.push_str(&table(
            &["name", "consumer group", "protocol", "TLS", "value"],
            self.connection_strings.iter().map(|c| {
                vec![
                    c.name.clone(),
                    opt(c.consumer_group.as_deref()),
                    opt(c.protocol.as_deref()),
                    opt(c.tls_authentication.as_deref()),
                    c.value.clone(),
                ]
            }),
        ));
        if !self.tool_urls.is_empty() {
            text.push_str("\n### Tools\n");
            text.push_str(&table(
                &["tool", "URL"],
                self.tool_urls
                    .iter()
                    .map(|u| vec![u.tool.clone(), u.url.clone()]),
            ));
        }
        text
    }
}

/// One Autonomous Database in detail (`GetAutonomousDatabase`), after checking the OCID.
pub async fn get_autonomous(client: &Client, id: &str) -> Result<AutonomousDetail, ToolError> {
    ocid("database_id", id, &["autonomousdatabase"])?;
    let adb = client.get_autonomous_database(id).await?;
    Ok(AutonomousDetail::from(adb))
}

async fn get_autonomous_tool(
    call: Call,
    args: DatabaseIdArgs,
) -> Result<AutonomousDetail, ToolError> {
    ocid("database_id", &args.database_id, &["autonomousdatabase"])?;
    let client = call.client().await?;
    get_autonomous(&client, &args.database_id).await
}

// ---------------------------------------------------------------------------------------
// oci_database_start_autonomous, oci_database_stop_autonomous

/// What a start or stop did.
#[derive(Debug, Serialize, JsonSchema)]
pub struct AutonomousActionResult {
    pub database_id: String,
    pub name: Option<String>,
    /// `start` or `stop`.
    pub action: String,
    /// Whether the request went to OCI (not when the database was already there).
    pub sent: bool,
    /// The state before.
    pub previous_state: Option<String>,
    /// The state OCI reported after accepting the request (or the unchanged state).
    pub lifecycle_state: Option<String>,
}

impl Markdown for AutonomousActionResult {
    fn markdown(&self) -> String {
        let name = self.name.as_deref().unwrap_or("Autonomous Database");
        let state = self.lifecycle_state.as_deref().unwrap_or("unknown");
        if self.sent {
            format!(
                "{} sent to {name} ({}); state {} → {state}\n",
                self.action,
                self.database_id,
                self.previous_state.as_deref().unwrap_or("unknown"),
            )
        } else {
            format!(
                "{name} ({}) is already {state}; no {} sent\n",
                self.database_id, self.action
            )
        }
    }
}

#[derive(Debug, Clone, Copy)]
enum Power {
    Start,
    Stop,
}

impl Power {
    fn name(self) -> &'static str {
        match self {
            Power::Start => "start",
            Power::Stop => "stop",
        }
    }

    /// The states in which the action has nothing left to do.
    fn done_in(self) -> [&'static str; 2] {
        match self {
            Power::Start => ["AVAILABLE", "STARTING"],
            Power::Stop => ["STOPPED", "STOPPING"],
        }
    }
}

/// Sends `power` unless the database is already where it leads; in any other state, OCI
/// decides (it refuses with `409 IncorrectState` what it cannot do).
async fn power(
    call: Call,
    database_id: String,
    power: Power,
) -> Result<AutonomousActionResult, ToolError> {
    ocid("database_id", &database_id, &["autonomousdatabase"])?;
    let client = call.client().await?;
    let current = client.get_autonomous_database(&database_id).await?;
    let previous_state = current.lifecycle_state.clone();
    if previous_state
        .as_deref()
        .is_some_and(|state| power.done_in().contains(&state))
    {
        return Ok(AutonomousActionResult {
            database_id,
            name: current.display_name,
            action: power.name().to_owned(),
            sent: false,
            lifecycle_state: previous_state.clone(),
            previous_state,
        });
    }
    let after = match power {
        Power::Start => client.start_autonomous_database(&database_id).await?,
        Power::Stop => client.stop_autonomous_database(&database_id, None).await?,
    };
    Ok(AutonomousActionResult {
        database_id,
        name: after.display_name.or(current.display_name),
        action: power.name().to_owned(),
        sent: true,
        previous_state,
        lifecycle_state: after.lifecycle_state,
    })
}

async fn start_autonomous(
    call: Call,
    args: DatabaseIdArgs,
) -> Result<AutonomousActionResult, ToolError> {
    power(call, args.database_id, Power::Start).await
}

async fn stop_autonomous(
    call: Call,
    args: DatabaseIdArgs,
) -> Result<AutonomousActionResult, ToolError> {
    power(call, args.database_id, Power::Stop).await
}

// ---------------------------------------------------------------------------------------
// oci_database_list_dbsystems

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct ListDbSystemsArgs {
    /// Compartment OCID; default: the configured compartment, else the tenancy.
    compartment_id: Option<String>,
    /// AVAILABLE, PROVISIONING, UPDATING, FAILED, TERMINATED, NEEDS_ATTENTION, ...
    lifecycle_state: Option<String>,
    /// Only DB systems with exactly this display name.
    display_name: Option<String>,
    /// Only DB systems in this availability domain (`Uocm:US-ASHBURN-AD-1`).
    availability_domain: Option<String>,
    /// Items per page (default 50, at most 100).
    limit: Option<u32>,
    /// `next_cursor` of the previous page.
    cursor: Option<String>,
}

/// A DB system as lists show it.
#[derive(Debug, Serialize, JsonSchema)]
pub struct DbSystemItem {
    pub id: String,
    pub name: Option<String>,
    pub lifecycle_state: Option<String>,
    pub lifecycle_details: Option<String>,
    pub shape: Option<String>,
    /// The database software version.
    pub version: Option<String>,
    pub database_edition: Option<String>,
    /// Nodes (more than one: a RAC cluster).
    pub node_count: Option<i64>,
    /// OCPU cores (OCPU compute model).
    pub cpu_core_count: Option<i64>,
    /// ECPU or OCPU, when OCI says.
    pub compute_model: Option<String>,
    pub compute_count: Option<f64>,
    pub memory_gbs: Option<f64>,
    pub data_storage_gbs: Option<f64>,
    pub availability_domain: Option<String>,
    pub hostname: Option<String>,
    pub subnet_id: Option<String>,
    pub license_model: Option<String>,
    pub time_created: Option<String>,
}

impl From<DbSystem> for DbSystemItem {
    fn from(system: DbSystem) -> Self {
        Self {
            id: system.id,
            name: system.display_name,
            lifecycle_state: system.lifecycle_state,
            lifecycle_details: system.lifecycle_details,
            shape: system.shape,
            version: system.version,
            database_edition: system.database_edition,
            node_count: system.node_count,
            cpu_core_count: system.cpu_core_count,
            compute_model: system.compute_model,
            compute_count: system.compute_count,
            memory_gbs: system.memory_size_in_gbs,
            data_storage_gbs: system.data_storage_size_in_gbs,
            availability_domain: system.availability_domain,
            hostname: system.hostname,
            subnet_id: system.subnet_id,
            license_model: system.license_model,
            time_created: system.time_created,
        }
    }
}

impl Row for DbSystemItem {
    const COLUMNS: &'static [&'static str] = &[
        "name",
        "state",
        "shape",
        "version",
        "edition",
        "nodes",
        "compute",
        "memory (GB)",
        "storage (GB)",
        "id",
    ];
    fn cells(&self) -> Vec<String> {
        let compute = compute_text(self.compute_count, self.compute_model.as_deref())
            .or_else(|| self.cpu_core_count.map(|cores| format!("{cores} cores")));
        let state =
            self.lifecycle_state
                .as_ref()
                .map(|state| match self.lifecycle_details.as_deref() {
                    Some(details) => format!("{state} ({details})"),
                    None => state.clone(),
                });
        vec![
            opt(self.name.as_deref()),
            opt(state),
            opt(self.shape.as_deref()),
            opt(self.version.as_deref()),
            opt(self.database_edition.as_deref()),
            opt(self.node_count),
            opt(compute),
            opt(self.memory_gbs),
            opt(self.data_storage_gbs),
            self.id.clone(),
        ]
    }
}

async fn list_dbsystems(
    call: Call,
    args: ListDbSystemsArgs,
) -> Result<Paged<DbSystemItem>, ToolError> {
    let compartment = call.compartment(args.compartment_id).await?;
    let client = call.client().await?;
    let list = ListDbSystems {
        lifecycle_state: upper(args.lifecycle_state),
        display_name: args.display_name,
        availability_domain: args.availability_domain,
        limit: Some(args::limit(args.limit)),
        ..ListDbSystems::new(compartment)
    };
    let (systems, next) = args::one_page(client.list_db_systems(&list), args.cursor).await?;
    Ok(Paged::new(
        systems.into_iter().map(DbSystemItem::from).collect(),
        next,
    ))
}

// ---------------------------------------------------------------------------------------
// oci_database_get_metrics

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct GetMetricsArgs {
    /// OCID of an Autonomous Database (`ocid1.autonomousdatabase...`), a DB-system
    /// database (`ocid1.database...`) or a DB system (`ocid1.dbsystem...`).
    database_id: String,
    /// Metric names in the database's namespace (at most 10); default: per kind, see the
    /// tool's description.
    metric_names: Option<Vec<String>>,
    /// The window in hours, ending now (default 24, at most 168).
    hours: Option<u32>,
}

/// The metrics of one database.
#[derive(Debug, Serialize, JsonSchema)]
pub struct DatabaseMetrics {
    pub database_id: String,
    pub name: Option<String>,
    /// `autonomous_database`, `database` or `db_system`.
    pub kind: String,
    /// The Monitoring namespace read.
    pub namespace: String,
    pub compartment_id: String,
    pub hours: u32,
    pub metrics: Vec<MetricSummary>,
}

impl Markdown for DatabaseMetrics {
    fn markdown(&self) -> String {
        let mut text = format!(
            "## Metrics of {} ({}, {}, last {} h)\n",
            self.name.as_deref().unwrap_or(&self.database_id),
            self.kind,
            self.namespace,
            self.hours
        );
        text.push_str(&table(
            MetricSummary::COLUMNS,
            self.metrics.iter().map(Row::cells),
        ));
        text
    }
}

/// Whether `name` can be a metric name in an MQL query (letters, digits, `_`, `.`).
fn is_metric_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 256
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.'))
}

async fn get_metrics(call: Call, args: GetMetricsArgs) -> Result<DatabaseMetrics, ToolError> {
    const KINDS: [&str; 3] = ["autonomousdatabase", "database", "dbsystem"];
    ocid("database_id", &args.database_id, &KINDS)?;
    let names: Vec<String> = match args.metric_names {
        Some(names) if names.is_empty() => {
            return Err(ToolError::invalid(
                "`metric_names` is empty: leave it out for the defaults",
            ));
        }
        Some(names) if names.len() > MAX_METRICS => {
            return Err(ToolError::invalid(format!(
                "`metric_names` has {} names; at most {MAX_METRICS} per call",
                names.len()
            )));
        }
        Some(names) => {
            if let Some(bad) = names.iter().find(|name| !is_metric_name(name)) {
                return Err(ToolError::invalid(format!(
                    "`metric_names`: `{bad}` is not a metric name (letters, digits, `_` and `.`)"
                )));
            }
            names
        }
        None => Vec::new(),
    };
    let hours = args.hours.unwrap_or(DEFAULT_HOURS).clamp(1, MAX_HOURS);
    let client = call.client().await?;
    let kind = args.database_id.split('.').nth(1).unwrap_or_default();
    let (kind, namespace, defaults, name, compartment) = match kind {
        "autonomousdatabase" => {
            let adb = client.get_autonomous_database(&args.database_id).await?;
            (
                "autonomous_database",
                ADB_NAMESPACE,
                ADB_METRICS,
                adb.display_name,
                adb.compartment_id,
            )
        }
        "dbsystem" => {
            let system = client.get_db_system(&args.database_id).await?;
            (
                "db_system",
                DB_CLUSTER_NAMESPACE,
                DB_SYSTEM_METRICS,
                system.display_name,
                system.compartment_id,
            )
        }
        _ => {
            let database = client.get_database(&args.database_id).await?;
            (
                "database",
                DATABASE_NAMESPACE,
                DATABASE_METRICS,
                database.db_unique_name.or(database.db_name),
                database.compartment_id,
            )
        }
    };
    let compartment = compartment.unwrap_or_else(|| client.tenancy().to_owned());
    let names = if names.is_empty() {
        defaults.iter().map(|name| (*name).to_owned()).collect()
    } else {
        names
    };
    let mut metrics = Vec::with_capacity(names.len());
    for metric in &names {
        metrics.push(
            metrics::summarize(
                &client,
                &compartment,
                namespace,
                metric,
                &args.database_id,
                hours,
                call.now(),
            )
            .await?,
        );
    }
    Ok(DatabaseMetrics {
        database_id: args.database_id,
        name,
        kind: kind.to_owned(),
        namespace: namespace.to_owned(),
        compartment_id: compartment,
        hours,
        metrics,
    })
}

// ---------------------------------------------------------------------------------------
// oci_database_list_backups

/// Which backups a compartment listing reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
enum DatabaseType {
    /// Autonomous Database backups (ListAutonomousDatabaseBackups).
    Autonomous,
    /// Backups of DB-system databases (ListBackups).
    DbSystem,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct ListBackupsArgs {
    /// The backups of this database: an Autonomous Database (`ocid1.autonomousdatabase...`)
    /// or a DB-system database (`ocid1.database...`). Without it, a compartment's backups.
    database_id: Option<String>,
    /// Compartment OCID when no `database_id` is given; default: the configured
    /// compartment, else the tenancy.
    compartment_id: Option<String>,
    /// For a compartment: `autonomous` (default) or `db_system` backups.
    database_type: Option<DatabaseType>,
    /// ACTIVE, CREATING, FAILED, DELETING, DELETED, ...
    lifecycle_state: Option<String>,
    /// FULL, INCREMENTAL, LONGTERM (Autonomous), VIRTUAL_FULL, ...
    backup_type: Option<String>,
    /// Items per page (default 50, at most 100).
    limit: Option<u32>,
    /// `next_cursor` of the previous page.
    cursor: Option<String>,
}

/// One backup of either kind.
#[derive(Debug, Serialize, JsonSchema)]
pub struct BackupItem {
    pub id: String,
    pub name: Option<String>,
    /// The Autonomous Database or DB-system database backed up.
    pub database_id: Option<String>,
    /// `autonomous` or `db_system`.
    pub database_type: String,
    /// FULL, INCREMENTAL, LONGTERM, VIRTUAL_FULL, ...
    pub backup_type: Option<String>,
    pub lifecycle_state: Option<String>,
    /// Taken by OCI on schedule rather than asked for (Autonomous only).
    pub is_automatic: Option<bool>,
    /// Whether it can be restored from (Autonomous only).
    pub is_restorable: Option<bool>,
    /// The size of the database backed up.
    pub database_size_gbs: Option<f64>,
    /// The size of the backup itself, when OCI gives it (Autonomous only).
    pub backup_size_gbs: Option<f64>,
    pub retention_days: Option<i64>,
    pub time_started: Option<String>,
    pub time_ended: Option<String>,
    /// When it expires or stops being available.
    pub time_expires: Option<String>,
}

impl From<AutonomousDatabaseBackup> for BackupItem {
    fn from(backup: AutonomousDatabaseBackup) -> Self {
        Self {
            id: backup.id,
            name: backup.display_name,
            database_id: backup.autonomous_database_id,
            database_type: "autonomous".to_owned(),
            backup_type: backup.backup_type,
            lifecycle_state: backup.lifecycle_state,
            is_automatic: backup.is_automatic,
            is_restorable: backup.is_restorable,
            database_size_gbs: backup.database_size_in_tbs.map(|tb| round2(tb * GB_PER_TB)),
            backup_size_gbs: backup.size_in_tbs.map(|tb| round2(tb * GB_PER_TB)),
            retention_days: backup.retention_period_in_days,
            time_started: backup.time_started,
            time_ended: backup.time_ended,
            time_expires: backup.time_available_till,
        }
    }
}

impl From<Backup> for BackupItem {
    fn from(backup: Backup) -> Self {
        Self {
            id: backup.id,
            name: backup.display_name,
            database_id: backup.database_id,
            database_type: "db_system".to_owned(),
            backup_type: backup.backup_type,
            lifecycle_state: backup.lifecycle_state,
            is_automatic: None,
            is_restorable: None,
            database_size_gbs: backup.database_size_in_gbs,
            backup_size_gbs: None,
            retention_days: backup.retention_period_in_days,
            time_started: backup.time_started,
            time_ended: backup.time_ended,
            time_expires: backup.time_expiry_scheduled,
        }
    }
}

impl Row for BackupItem {
    const COLUMNS: &'static [&'static str] = &[
        "name",
        "type",
        "state",
        "automatic",
        "DB size (GB)",
        "started",
        "ended",
        "retention (days)",
        "database",
        "id",
    ];
    fn cells(&self) -> Vec<String> {
        vec![
            opt(self.name.as_deref()),
            opt(self.backup_type.as_deref()),
            opt(self.lifecycle_state.as_deref()),
            opt(self.is_automatic),
            opt(self.database_size_gbs),
            opt(self.time_started.as_deref()),
            opt(self.time_ended.as_deref()),
            opt(self.retention_days),
            opt(self.database_id.as_deref()),
            self.id.clone(),
        ]
    }
}

/// Where the backups are listed from.
enum BackupScope {
    Autonomous(ListAutonomousDatabaseBackups),
    DbSystem(ListBackups),
}

async fn list_backups(call: Call, args: ListBackupsArgs) -> Result<Paged<BackupItem>, ToolError> {
    let scope = match (args.database_id, args.compartment_id) {
        (Some(_), Some(_)) => {
            return Err(ToolError::invalid(
                "give `database_id` (one database's backups) or `compartment_id` (a compartment's), not both",
            ));
        }
        (Some(database_id), None) => {
            if database_id.starts_with("ocid1.dbsystem.") {
                return Err(ToolError::invalid(
                    "`database_id` is a DB system: backups belong to its databases; pass a database OCID (`ocid1.database...`), or list the compartment's with `database_type` = `db_system`",
                ));
            }
            ocid(
                "database_id",
                &database_id,
                &["autonomousdatabase", "database"],
            )?;
            let autonomous = database_id.starts_with("ocid1.autonomousdatabase.");
            match (autonomous, args.database_type) {
                (true, Some(DatabaseType::DbSystem)) | (false, Some(DatabaseType::Autonomous)) => {
                    return Err(ToolError::invalid(
                        "`database_type` does not match the kind of `database_id`; leave it out when giving a database",
                    ));
                }
                (true, _) => {
                    BackupScope::Autonomous(ListAutonomousDatabaseBackups::of_database(database_id))
                }
                (false, _) => BackupScope::DbSystem(ListBackups::of_database(database_id)),
            }
        }
        (None, compartment_id) => {
            let compartment = call.compartment(compartment_id).await?;
            match args.database_type.unwrap_or(DatabaseType::Autonomous) {
                DatabaseType::Autonomous => BackupScope::Autonomous(
                    ListAutonomousDatabaseBackups::in_compartment(compartment),
                ),
                DatabaseType::DbSystem => {
                    BackupScope::DbSystem(ListBackups::in_compartment(compartment))
                }
            }
        }
    };
    let client = call.client().await?;
    let limit = Some(args::limit(args.limit));
    let lifecycle_state = upper(args.lifecycle_state);
    let backup_type = upper(args.backup_type);
    let (items, next) = match scope {
        BackupScope::Autonomous(list) => {
            let list = ListAutonomousDatabaseBackups {
                limit,
                lifecycle_state,
                backup_type,
                ..list
            };
            let (backups, next) =
                args::one_page(client.list_autonomous_database_backups(&list), args.cursor).await?;
            (backups.into_iter().map(BackupItem::from).collect(), next)
        }
        BackupScope::DbSystem(list) => {
            let list = ListBackups {
                limit,
                lifecycle_state,
                backup_type,
                ..list
            };
            let (backups, next) = args::one_page(client.list_backups(&list), args.cursor).await?;
            (backups.into_iter().map(BackupItem::from).collect(), next)
        }
    };
    Ok(Paged::new(items, next))
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use oci_api::ops::database::ConnectionStringProfile;

    use super::*;

    #[test]
    fn connection_strings_keep_profiles_then_the_other_services_once() {
        let strings = ConnectionStrings {
            high: Some("host:1522/x_high".into()),
            low: Some("host:1522/x_low".into()),
            all_connection_strings: BTreeMap::from([("HIGH".into(), "host:1522/x_high".into())]),
            profiles: vec![ConnectionStringProfile {
                display_name: Some("x_tp".into()),
                value: Some("(description=...)".into()),
                consumer_group: Some("TP".into()),
                protocol: Some("TCPS".into()),
                tls_authentication: Some("MUTUAL".into()),
                ..ConnectionStringProfile::default()
            }],
            ..ConnectionStrings::default()
        };
        let out = connection_strings(Some(strings));
        let names: Vec<&str> = out.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["x_tp", "high", "low"]);
        assert_eq!(out[0].tls_authentication.as_deref(), Some("MUTUAL"));
        assert_eq!(out[1].consumer_group.as_deref(), Some("HIGH"));
        assert!(connection_strings(None).is_empty());
    }

    #[test]
    fn storage_use_is_computed_from_what_oci_gives() {
        let by_gb = AutonomousDatabase {
            data_storage_size_in_gbs: Some(1024.0),
            used_data_storage_size_in_gbs: Some(256.0),
            ..AutonomousDatabase::default()
        };
        assert_eq!(storage_used_percent(&by_gb), Some(25.0));
        let by_tb = AutonomousDatabase {
            data_storage_size_in_tbs: Some(2.0),
            actual_used_data_storage_size_in_tbs: Some(1.5),
            ..AutonomousDatabase::default()
        };
        assert_eq!(storage_used_percent(&by_tb), Some(75.0));
        assert_eq!(storage_used_percent(&AutonomousDatabase::default()), None);
    }

    #[test]
    fn compute_is_shown_with_its_model() {
        let ocpu = AutonomousDatabase {
            ocpu_count: Some(1.0),
            compute_model: Some("OCPU".into()),
            ..AutonomousDatabase::default()
        };
        let item = AutonomousItem::from(ocpu);
        assert_eq!(item.cells()[3], "1 OCPU");
        assert!(is_metric_name("CpuUtilization"));
        assert!(!is_metric_name("Cpu[1m]{x}"));
        assert!(!is_metric_name(""));
    }
}
