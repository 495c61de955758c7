//! Database (`database` host, `/20160918`): Autonomous Databases (list, read, start, stop,
//! backups), DB systems (list, read) and their databases (read) with their backups.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{DefinedTags, FreeformTags, Timestamp, null_as_empty, path_segment, with_json_body};
use crate::client::{Client, Error, Pages, Request};
use crate::region::Service;

/// `ListAutonomousDatabases`.
#[derive(Debug, Clone, Default)]
pub struct ListAutonomousDatabases {
    pub compartment_id: String,
    pub autonomous_container_database_id: Option<String>,
    pub limit: Option<u32>,
    /// `TIMECREATED` or `DISPLAYNAME`.
    pub sort_by: Option<String>,
    /// `ASC` or `DESC`.
    pub sort_order: Option<String>,
    /// `CLOUD` or `CLOUD_AT_CUSTOMER`.
    pub infrastructure_type: Option<String>,
    /// `AVAILABLE`, `STOPPED`, ...
    pub lifecycle_state: Option<String>,
    pub lifecycle_state_not_equal_to: Option<String>,
    /// `OLTP`, `DW`, `AJD`, `APEX`, `LH`.
    pub db_workload: Option<String>,
    pub db_version: Option<String>,
    pub is_free_tier: Option<bool>,
    pub display_name: Option<String>,
    pub is_refreshable_clone: Option<bool>,
    pub is_data_guard_enabled: Option<bool>,
    pub is_resource_pool_leader: Option<bool>,
    pub resource_pool_leader_id: Option<String>,
}

impl ListAutonomousDatabases {
    pub fn new(compartment_id: impl Into<String>) -> Self {
        ListAutonomousDatabases {
            compartment_id: compartment_id.into(),
            ..Default::default()
        }
    }

    pub fn request(&self) -> Request {
        Request::get(
            "ListAutonomousDatabases",
            Service::Database,
            "/autonomousDatabases".to_owned(),
        )
        .query("compartmentId", &self.compartment_id)
        .query_opt(
            "autonomousContainerDatabaseId",
            self.autonomous_container_database_id.as_ref(),
        )
        .query_opt("limit", self.limit)
        .query_opt("sortBy", self.sort_by.as_ref())
        .query_opt("sortOrder", self.sort_order.as_ref())
        .query_opt("infrastructureType", self.infrastructure_type.as_ref())
        .query_opt("lifecycleState", self.lifecycle_state.as_ref())
        .query_opt(
            "lifecycleStateNotEqualTo",
            self.lifecycle_state_not_equal_to.as_ref(),
        )
        .query_opt("dbWorkload", self.db_workload.as_ref())
        .query_opt("dbVersion", self.db_version.as_ref())
        .query_opt("isFreeTier", self.is_free_tier)
        .query_opt("displayName", self.display_name.as_ref())
        .query_opt("isRefreshableClone", self.is_refreshable_clone)
        .query_opt("isDataGuardEnabled", self.is_data_guard_enabled)
        .query_opt("isResourcePoolLeader", self.is_resource_pool_leader)
        .query_opt(
            "resourcePoolLeaderId",
            self.resource_pool_leader_id.as_ref(),
        )
    }
}

/// `GetAutonomousDatabase`.
pub fn get_autonomous_database_request(autonomous_database_id: &str) -> Request {
    Request::get(
        "GetAutonomousDatabase",
        Service::Database,
        format!(
            "/autonomousDatabases/{}",
            path_segment(autonomous_database_id)
        ),
    )
}

/// `StartAutonomousDatabase`: no body. The answer's `opc-work-request-id` header names the
/// work request, for a caller that [`Client::send`]s this itself.
pub fn start_autonomous_database_request(autonomous_database_id: &str) -> Request {
    Request::post(
        "StartAutonomousDatabase",
        Service::Database,
        format!(
            "/autonomousDatabases/{}/actions/start",
            path_segment(autonomous_database_id)
        ),
    )
}

/// `StopAutonomousDatabase`; `is_force_stop` goes in the optional body.
pub fn stop_autonomous_database_request(
    autonomous_database_id: &str,
    is_force_stop: Option<bool>,
) -> Result<Request, Error> {
    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    struct StopAutonomousDatabaseDetails {
        is_force_stop: bool,
    }
    let request = Request::post(
        "StopAutonomousDatabase",
        Service::Database,
        format!(
            "/autonomousDatabases/{}/actions/stop",
            path_segment(autonomous_database_id)
        ),
    );
    match is_force_stop {
        Some(is_force_stop) => {
            with_json_body(request, &StopAutonomousDatabaseDetails { is_force_stop })
        }
        None => Ok(request),
    }
}

/// `GetDbSystem`.
pub fn get_db_system_request(db_system_id: &str) -> Request {
    Request::get(
        "GetDbSystem",
        Service::Database,
        format!("/dbSystems/{}", path_segment(db_system_id)),
    )
}

/// `GetDatabase`: one database of a DB system (or of a VM cluster).
pub fn get_database_request(database_id: &str) -> Request {
    Request::get(
        "GetDatabase",
        Service::Database,
        format!("/databases/{}", path_segment(database_id)),
    )
}

/// `ListAutonomousDatabaseBackups`: OCI wants `autonomous_database_id` or `compartment_id`.
#[derive(Debug, Clone, Default)]
pub struct ListAutonomousDatabaseBackups {
    pub autonomous_database_id: Option<String>,
    pub compartment_id: Option<String>,
    pub limit: Option<u32>,
    /// `TIMECREATED` or `DISPLAYNAME`.
    pub sort_by: Option<String>,
    /// `ASC` or `DESC`.
    pub sort_order: Option<String>,
    pub lifecycle_state: Option<String>,
    pub display_name: Option<String>,
    /// `FULL`, `INCREMENTAL`, `LONGTERM`, ... (the `type` parameter).
    pub backup_type: Option<String>,
    pub backup_destination_id: Option<String>,
    pub key_store_id: Option<String>,
    pub infrastructure_type: Option<String>,
    pub is_pitr_eligible: Option<bool>,
}

impl ListAutonomousDatabaseBackups {
    /// The backups of one Autonomous Database.
    pub fn of_database(autonomous_database_id: impl Into<String>) -> Self {
        ListAutonomousDatabaseBackups {
            autonomous_database_id: Some(autonomous_database_id.into()),
            ..Default::default()
        }
    }

    pub fn in_compartment(compartment_id: impl Into<String>) -> Self {
        ListAutonomousDatabaseBackups {
            compartment_id: Some(compartment_id.into()),
            ..Default::default()
        }
    }

    pub fn request(&self) -> Request {
        Request::get(
            "ListAutonomousDatabaseBackups",
            Service::Database,
            "/autonomousDatabaseBackups".to_owned(),
        )
        .query_opt("autonomousDatabaseId", self.autonomous_database_id.as_ref())
        .query_opt("compartmentId", self.compartment_id.as_ref())
        .query_opt("limit", self.limit)
        .query_opt("sortBy", self.sort_by.as_ref())
        .query_opt("sortOrder", self.sort_order.as_ref())
        .query_opt("lifecycleState", self.lifecycle_state.as_ref())
        .query_opt("displayName", self.display_name.as_ref())
        .query_opt("type", self.backup_type.as_ref())
        .query_opt("backupDestinationId", self.backup_destination_id.as_ref())
        .query_opt("keyStoreId", self.key_store_id.as_ref())
        .query_opt("infrastructureType", self.infrastructure_type.as_ref())
        .query_opt("isPitrEligible", self.is_pitr_eligible)
    }
}

/// `ListDbSystems`.
#[derive(Debug, Clone, Default)]
pub struct ListDbSystems {
    pub compartment_id: String,
    pub limit: Option<u32>,
    pub backup_id: Option<String>,
    /// `TIMECREATED` or `DISPLAYNAME`.
    pub sort_by: Option<String>,
    /// `ASC` or `DESC`.
    pub sort_order: Option<String>,
    pub lifecycle_state: Option<String>,
    pub availability_domain: Option<String>,
    pub display_name: Option<String>,
}

impl ListDbSystems {
    pub fn new(compartment_id: impl Into<String>) -> Self {
        ListDbSystems {
            compartment_id: compartment_id.into(),
            ..Default::default()
        }
    }

    pub fn request(&self) -> Request {
        Request::get("ListDbSystems", Service::Database, "/dbSystems".to_owned())
            .query("compartmentId", &self.compartment_id)
            .query_opt("limit", self.limit)
            .query_opt("backupId", self.backup_id.as_ref())
            .query_opt("sortBy", self.sort_by.as_ref())
            .query_opt("sortOrder", self.sort_order.as_ref())
            .query_opt("lifecycleState", self.lifecycle_state.as_ref())
            .query_opt("availabilityDomain", self.availability_domain.as_ref())
            .query_opt("displayName", self.display_name.as_ref())
    }
}

/// `ListBackups`: backups of DB-system databases (not Autonomous ones). OCI wants
/// `database_id` or `compartment_id`.
#[derive(Debug, Clone, Default)]
pub struct ListBackups {
    pub database_id: Option<String>,
    pub compartment_id: Option<String>,
    pub limit: Option<u32>,
    /// `SINGLENODE`, `VIRTUALMACHINE`, `EXADATA`, ...
    pub shape_family: Option<String>,
    pub version: Option<String>,
    /// `FULL`, `INCREMENTAL`, `VIRTUAL_FULL` (the `type` parameter).
    pub backup_type: Option<String>,
    pub lifecycle_state: Option<String>,
    pub time_expiry_scheduled_greater_than_or_equal_to: Option<Timestamp>,
    pub time_expiry_scheduled_less_than: Option<Timestamp>,
    pub backup_destination_type: Option<String>,
}

impl ListBackups {
    /// The backups of one database.
    pub fn of_database(database_id: impl Into<String>) -> Self {
        ListBackups {
            database_id: Some(database_id.into()),
            ..Default::default()
        }
    }

    pub fn in_compartment(compartment_id: impl Into<String>) -> Self {
        ListBackups {
            compartment_id: Some(compartment_id.into()),
            ..Default::default()
        }
    }

    pub fn request(&self) -> Request {
        Request::get("ListBackups", Service::Database, "/backups".to_owned())
            .query_opt("databaseId", self.database_id.as_ref())
            .query_opt("compartmentId", self.compartment_id.as_ref())
            .query_opt("limit", self.limit)
            .query_opt("shapeFamily", self.shape_family.as_ref())
            .query_opt("version", self.version.as_ref())
            .query_opt("type", self.backup_type.as_ref())
            .query_opt("lifecycleState", self.lifecycle_state.as_ref())
            .query_opt(
                "timeExpiryScheduledGreaterThanOrEqualTo",
                self.time_expiry_scheduled_greater_than_or_equal_to,
            )
            .query_opt(
                "timeExpiryScheduledLessThan",
                self.time_expiry_scheduled_less_than,
            )
            .query_opt(
                "backupDestinationType",
                self.backup_destination_type.as_ref(),
            )
    }
}

/// An Autonomous Database: both `AutonomousDatabase` (one read) and the list items
/// `AutonomousDatabaseSummary`, which have the same fields.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AutonomousDatabase {
    pub id: String,
    pub display_name: Option<String>,
    pub db_name: Option<String>,
    pub compartment_id: Option<String>,
    /// `AVAILABLE`, `STOPPED`, `STARTING`, `STOPPING`, ...
    pub lifecycle_state: Option<String>,
    pub lifecycle_details: Option<String>,
    /// `OLTP`, `DW`, `AJD`, `APEX`, `LH`.
    pub db_workload: Option<String>,
    pub db_version: Option<String>,
    /// `ECPU` or `OCPU`.
    pub compute_model: Option<String>,
    pub compute_count: Option<f64>,
    pub cpu_core_count: Option<i64>,
    pub ocpu_count: Option<f64>,
    #[serde(rename = "dataStorageSizeInTBs")]
    pub data_storage_size_in_tbs: Option<f64>,
    #[serde(rename = "dataStorageSizeInGBs")]
    pub data_storage_size_in_gbs: Option<f64>,
    #[serde(rename = "usedDataStorageSizeInTBs")]
    pub used_data_storage_size_in_tbs: Option<f64>,
    #[serde(rename = "usedDataStorageSizeInGBs")]
    pub used_data_storage_size_in_gbs: Option<f64>,
    /// Storage allocated to the database's files (`allocatedStorageSizeInTBs`).
    #[serde(rename = "allocatedStorageSizeInTBs")]
    pub allocated_storage_size_in_tbs: Option<f64>,
    #[serde(rename = "actualUsedDataStorageSizeInTBs")]
    pub actual_used_data_storage_size_in_tbs: Option<f64>,
    #[serde(rename = "memoryPerComputeUnitInGBs")]
    pub memory_per_compute_unit_in_gbs: Option<f64>,
    /// Days automatic backups are kept.
    pub backup_retention_period_in_days: Option<i64>,
    #[serde(rename = "totalBackupStorageSizeInGBs")]
    pub total_backup_storage_size_in_gbs: Option<f64>,
    pub is_free_tier: Option<bool>,
    pub is_dedicated: Option<bool>,
    pub is_auto_scaling_enabled: Option<bool>,
    pub is_auto_scaling_for_storage_enabled: Option<bool>,
    pub license_model: Option<String>,
    pub infrastructure_type: Option<String>,
    pub open_mode: Option<String>,
    pub role: Option<String>,
    pub is_data_guard_enabled: Option<bool>,
    pub connection_strings: Option<ConnectionStrings>,
    pub connection_urls: Option<ConnectionUrls>,
    pub service_console_url: Option<String>,
    pub private_endpoint: Option<String>,
    pub private_endpoint_ip: Option<String>,
    pub private_endpoint_label: Option<String>,
    pub public_endpoint: Option<String>,
    pub subnet_id: Option<String>,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub nsg_ids: Vec<String>,
    /// Whether the access control list (`whitelisted_ips`) applies.
    pub is_access_control_enabled: Option<bool>,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub whitelisted_ips: Vec<String>,
    pub is_mtls_connection_required: Option<bool>,
    pub time_created: Option<String>,
    pub time_maintenance_begin: Option<String>,
    pub time_maintenance_end: Option<String>,
    pub time_reclamation_of_free_autonomous_database: Option<String>,
    pub time_deletion_of_free_autonomous_database: Option<String>,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub freeform_tags: FreeformTags,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub defined_tags: DefinedTags,
}

/// How to connect (`AutonomousDatabaseConnectionStrings`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConnectionStrings {
    pub high: Option<String>,
    pub medium: Option<String>,
    pub low: Option<String>,
    pub dedicated: Option<String>,
    /// Consumer group (`HIGH`, `TP`, ...) to connect string.
    #[serde(default, deserialize_with = "null_as_empty")]
    pub all_connection_strings: BTreeMap<String, String>,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub profiles: Vec<ConnectionStringProfile>,
}

/// One connect string and how it connects (`DatabaseConnectionStringProfile`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConnectionStringProfile {
    pub display_name: Option<String>,
    pub value: Option<String>,
    pub consumer_group: Option<String>,
    /// `TCP` or `TCPS`.
    pub protocol: Option<String>,
    /// `MUTUAL` (wallet) or `SERVER`.
    pub tls_authentication: Option<String>,
    pub host_format: Option<String>,
    pub session_mode: Option<String>,
    pub syntax_format: Option<String>,
    pub is_regional: Option<bool>,
}

/// The database's web tools (`AutonomousDatabaseConnectionUrls`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConnectionUrls {
    pub sql_dev_web_url: Option<String>,
    pub apex_url: Option<String>,
    pub machine_learning_user_management_url: Option<String>,
    pub machine_learning_notebook_url: Option<String>,
    pub graph_studio_url: Option<String>,
    pub mongo_db_url: Option<String>,
    pub ords_url: Option<String>,
    pub database_transforms_url: Option<String>,
}

/// An Autonomous Database backup (`AutonomousDatabaseBackupSummary`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AutonomousDatabaseBackup {
    pub id: String,
    pub autonomous_database_id: Option<String>,
    pub compartment_id: Option<String>,
    pub display_name: Option<String>,
    /// `FULL`, `INCREMENTAL`, `LONGTERM`, ...
    #[serde(rename = "type")]
    pub backup_type: Option<String>,
    pub is_automatic: Option<bool>,
    pub is_restorable: Option<bool>,
    pub lifecycle_state: Option<String>,
    pub lifecycle_details: Option<String>,
    pub time_started: Option<String>,
    pub time_ended: Option<String>,
    pub time_available_till: Option<String>,
    pub retention_period_in_days: Option<i64>,
    #[serde(rename = "databaseSizeInTBs")]
    pub database_size_in_tbs: Option<f64>,
    #[serde(rename = "sizeInTBs")]
    pub size_in_tbs: Option<f64>,
    pub db_version: Option<String>,
    pub region: Option<String>,
}

/// A DB system: both `DbSystem` (one read) and the list items `DbSystemSummary`, which
/// have the same fields.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DbSystem {
    pub id: String,
    pub display_name: Option<String>,
    pub compartment_id: Option<String>,
    pub availability_domain: Option<String>,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub fault_domains: Vec<String>,
    /// `AVAILABLE`, `PROVISIONING`, `FAILED`, ...
    pub lifecycle_state: Option<String>,
    pub lifecycle_details: Option<String>,
    pub shape: Option<String>,
    pub cpu_core_count: Option<i64>,
    pub compute_model: Option<String>,
    pub compute_count: Option<f64>,
    pub node_count: Option<i64>,
    #[serde(rename = "memorySizeInGBs")]
    pub memory_size_in_gbs: Option<f64>,
    #[serde(rename = "dataStorageSizeInGBs")]
    pub data_storage_size_in_gbs: Option<f64>,
    pub database_edition: Option<String>,
    pub version: Option<String>,
    pub os_version: Option<String>,
    pub license_model: Option<String>,
    pub hostname: Option<String>,
    pub domain: Option<String>,
    pub cluster_name: Option<String>,
    pub listener_port: Option<i64>,
    pub subnet_id: Option<String>,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub nsg_ids: Vec<String>,
    pub time_created: Option<String>,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub freeform_tags: FreeformTags,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub defined_tags: DefinedTags,
}

/// A database of a DB system (`Database`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Database {
    pub id: String,
    pub compartment_id: Option<String>,
    pub db_name: Option<String>,
    pub db_unique_name: Option<String>,
    pub db_home_id: Option<String>,
    pub db_system_id: Option<String>,
    pub vm_cluster_id: Option<String>,
    /// `AVAILABLE`, `PROVISIONING`, `BACKUP_IN_PROGRESS`, `FAILED`, ...
    pub lifecycle_state: Option<String>,
    pub lifecycle_details: Option<String>,
    pub character_set: Option<String>,
    pub pdb_name: Option<String>,
    pub is_cdb: Option<bool>,
    pub time_created: Option<String>,
    pub last_backup_timestamp: Option<String>,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub freeform_tags: FreeformTags,
}

/// A DB-system database backup (`BackupSummary`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Backup {
    pub id: String,
    pub database_id: Option<String>,
    pub compartment_id: Option<String>,
    pub display_name: Option<String>,
    /// `FULL`, `INCREMENTAL`, `VIRTUAL_FULL`.
    #[serde(rename = "type")]
    pub backup_type: Option<String>,
    pub lifecycle_state: Option<String>,
    pub lifecycle_details: Option<String>,
    pub availability_domain: Option<String>,
    pub time_started: Option<String>,
    pub time_ended: Option<String>,
    pub time_expiry_scheduled: Option<String>,
    #[serde(rename = "databaseSizeInGBs")]
    pub database_size_in_gbs: Option<f64>,
    pub database_edition: Option<String>,
    pub shape: Option<String>,
    pub version: Option<String>,
    pub retention_period_in_days: Option<i64>,
    pub backup_destination_type: Option<String>,
}

impl Client {
    pub fn list_autonomous_databases(
        &self,
        list: &ListAutonomousDatabases,
    ) -> Pages<'_, AutonomousDatabase> {
        self.pages(list.request())
    }

    pub async fn get_autonomous_database(
        &self,
        autonomous_database_id: &str,
    ) -> Result<AutonomousDatabase, Error> {
        self.call(&get_autonomous_database_request(autonomous_database_id))
            .await
    }

    /// Answers the database in `STARTING`. Sent once (no `opc-retry-token`).
    pub async fn start_autonomous_database(
        &self,
        autonomous_database_id: &str,
    ) -> Result<AutonomousDatabase, Error> {
        self.call(&start_autonomous_database_request(autonomous_database_id))
            .await
    }

    /// Answers the database in `STOPPING`. Sent once (no `opc-retry-token`).
    pub async fn stop_autonomous_database(
        &self,
        autonomous_database_id: &str,
        is_force_stop: Option<bool>,
    ) -> Result<AutonomousDatabase, Error> {
        self.call(&stop_autonomous_database_request(
            autonomous_database_id,
            is_force_stop,
        )?)
        .await
    }

    pub fn list_autonomous_database_backups(
        &self,
        list: &ListAutonomousDatabaseBackups,
    ) -> Pages<'_, AutonomousDatabaseBackup> {
        self.pages(list.request())
    }

    pub fn list_db_systems(&self, list: &ListDbSystems) -> Pages<'_, DbSystem> {
        self.pages(list.request())
    }

    pub async fn get_db_system(&self, db_system_id: &str) -> Result<DbSystem, Error> {
        self.call(&get_db_system_request(db_system_id)).await
    }

    pub async fn get_database(&self, database_id: &str) -> Result<Database, Error> {
        self.call(&get_database_request(database_id)).await
    }

    pub fn list_backups(&self, list: &ListBackups) -> Pages<'_, Backup> {
        self.pages(list.request())
    }
}

#[cfg(test)]
mod tests {
    use http::Method;

    use super::*;
    use crate::ops::testing::{body_text, pairs, wire_query};

    #[test]
    fn list_autonomous_databases_sends_its_filters_in_the_sdk_order() {
        let request = ListAutonomousDatabases {
            lifecycle_state: Some("AVAILABLE".to_owned()),
            db_workload: Some("OLTP".to_owned()),
            is_free_tier: Some(false),
            display_name: Some("adb1".to_owned()),
            limit: Some(100),
            ..ListAutonomousDatabases::new("c")
        }
        .request();
        assert_eq!(request.method, Method::GET);
        assert_eq!(request.service, Service::Database);
        assert_eq!(request.path, "/autonomousDatabases");
        assert_eq!(
            request.query,
            pairs(&[
                ("compartmentId", "c"),
                ("limit", "100"),
                ("lifecycleState", "AVAILABLE"),
                ("dbWorkload", "OLTP"),
                ("isFreeTier", "false"),
                ("displayName", "adb1"),
            ])
        );
    }

    #[test]
    fn get_start_and_stop_address_one_database() {
        let id = "ocid1.autonomousdatabase.oc1.iad.x";
        let get = get_autonomous_database_request(id);
        assert_eq!(get.method, Method::GET);
        assert_eq!(get.path, format!("/autonomousDatabases/{id}"));

        let start = start_autonomous_database_request(id);
        assert_eq!(start.method, Method::POST);
        assert_eq!(
            start.path,
            format!("/autonomousDatabases/{id}/actions/start")
        );
        assert!(start.query.is_empty() && start.body.is_none());
        assert!(!start.idempotent);

        let stop = stop_autonomous_database_request(id, None).expect("builds");
        assert_eq!(stop.method, Method::POST);
        assert_eq!(stop.path, format!("/autonomousDatabases/{id}/actions/stop"));
        assert!(stop.body.is_none());
        let forced = stop_autonomous_database_request(id, Some(true)).expect("builds");
        assert_eq!(body_text(&forced), r#"{"isForceStop":true}"#);
        assert_eq!(forced.operation, "StopAutonomousDatabase");
    }

    #[test]
    fn db_systems_and_databases_are_read_by_id() {
        let system = get_db_system_request("ocid1.dbsystem.oc1.iad.d1");
        assert_eq!(system.method, Method::GET);
        assert_eq!(system.operation, "GetDbSystem");
        assert_eq!(system.path, "/dbSystems/ocid1.dbsystem.oc1.iad.d1");
        assert!(system.query.is_empty() && system.body.is_none());
        let database = get_database_request("ocid1.database.oc1.iad.db1");
        assert_eq!(database.operation, "GetDatabase");
        assert_eq!(database.path, "/databases/ocid1.database.oc1.iad.db1");
        assert_eq!(
            get_database_request("a/b?c").path,
            "/databases/a%2Fb%3Fc",
            "an id cannot reach another path"
        );
        let parsed: Database = serde_json::from_str(
            r#"{"id":"ocid1.database.oc1.iad.db1","compartmentId":"c","dbName":"SALES","dbSystemId":"ocid1.dbsystem.oc1.iad.d1","lifecycleState":"AVAILABLE","isCdb":true,"freeformTags":null}"#,
        )
        .expect("parses");
        assert_eq!(
            parsed.db_system_id.as_deref(),
            Some("ocid1.dbsystem.oc1.iad.d1")
        );
        assert_eq!(parsed.is_cdb, Some(true));
        assert!(parsed.freeform_tags.is_empty());
    }

    #[test]
    fn backup_lists_go_by_database_or_compartment() {
        let adb = ListAutonomousDatabaseBackups {
            backup_type: Some("LONGTERM".to_owned()),
            is_pitr_eligible: Some(true),
            ..ListAutonomousDatabaseBackups::of_database("adb")
        }
        .request();
        assert_eq!(adb.path, "/autonomousDatabaseBackups");
        assert_eq!(
            adb.query,
            pairs(&[
                ("autonomousDatabaseId", "adb"),
                ("type", "LONGTERM"),
                ("isPitrEligible", "true"),
            ])
        );
        let db = ListBackups {
            time_expiry_scheduled_greater_than_or_equal_to: Some(Timestamp::from_unix(
                1_714_521_600,
            )),
            lifecycle_state: Some("ACTIVE".to_owned()),
            ..ListBackups::in_compartment("c")
        }
        .request();
        assert_eq!(db.path, "/backups");
        assert_eq!(
            db.query,
            pairs(&[
                ("compartmentId", "c"),
                ("lifecycleState", "ACTIVE"),
                (
                    "timeExpiryScheduledGreaterThanOrEqualTo",
                    "2024-05-01T00:00:00Z"
                ),
            ])
        );
        assert_eq!(
            wire_query(&db),
            "compartmentId=c&lifecycleState=ACTIVE&timeExpiryScheduledGreaterThanOrEqualTo=2024-05-01T00%3A00%3A00Z"
        );
        assert_eq!(
            ListBackups::of_database("d").request().query,
            pairs(&[("databaseId", "d")])
        );
    }

    #[test]
    fn list_db_systems_sends_its_filters() {
        let request = ListDbSystems {
            availability_domain: Some("Uocm:US-ASHBURN-AD-1".to_owned()),
            sort_by: Some("TIMECREATED".to_owned()),
            ..ListDbSystems::new("c")
        }
        .request();
        assert_eq!(request.path, "/dbSystems");
        assert_eq!(
            request.query,
            pairs(&[
                ("compartmentId", "c"),
                ("sortBy", "TIMECREATED"),
                ("availabilityDomain", "Uocm:US-ASHBURN-AD-1"),
            ])
        );
    }

    #[test]
    fn the_sample_autonomous_databases_parse() {
        let databases: Vec<AutonomousDatabase> = serde_json::from_str(
            r#"[{"id":"ocid1.autonomousdatabase.oc1.iad.x","compartmentId":"ocid1.compartment.oc1..ccc","lifecycleState":"AVAILABLE","dbName":"ADB1","isFreeTier":false,"computeModel":"ECPU","computeCount":2.0,"dataStorageSizeInTBs":1,"timeCreated":"2024-05-01T12:00:00Z","displayName":"adb1","connectionStrings":{"high":"adb.us-ashburn-1.oraclecloud.com:1522/x_adb1_high.adb.oraclecloud.com","allConnectionStrings":{"HIGH":"..."}},"dbVersion":"19c","dbWorkload":"OLTP"}]"#,
        )
        .expect("parses");
        let adb = &databases[0];
        assert_eq!(adb.db_name.as_deref(), Some("ADB1"));
        assert_eq!(adb.lifecycle_state.as_deref(), Some("AVAILABLE"));
        assert_eq!(adb.compute_model.as_deref(), Some("ECPU"));
        assert_eq!(adb.compute_count, Some(2.0));
        assert_eq!(adb.data_storage_size_in_tbs, Some(1.0));
        assert_eq!(adb.is_free_tier, Some(false));
        let strings = adb.connection_strings.as_ref().expect("connection strings");
        assert_eq!(
            strings.high.as_deref(),
            Some("adb.us-ashburn-1.oraclecloud.com:1522/x_adb1_high.adb.oraclecloud.com")
        );
        assert_eq!(strings.all_connection_strings["HIGH"], "...");
    }

    #[test]
    fn an_autonomous_database_with_profiles_urls_and_nulls_parses() {
        let adb: AutonomousDatabase = serde_json::from_str(
            r#"{"id":"a","lifecycleState":"STOPPING","connectionStrings":{"profiles":[{"displayName":"adb1_tp","value":"(description=...)","consumerGroup":"TP","protocol":"TCPS","tlsAuthentication":"MUTUAL"}]},"connectionUrls":{"sqlDevWebUrl":"https://x/ords/sql-developer","apexUrl":"https://x/ords/apex"},"nsgIds":null,"whitelistedIps":null,"privateEndpoint":null,"backupRetentionPeriodInDays":60,"usedDataStorageSizeInGBs":312,"allocatedStorageSizeInTBs":0.4,"isAccessControlEnabled":true}"#,
        )
        .expect("parses");
        assert_eq!(adb.backup_retention_period_in_days, Some(60));
        assert_eq!(adb.used_data_storage_size_in_gbs, Some(312.0));
        assert_eq!(adb.allocated_storage_size_in_tbs, Some(0.4));
        assert_eq!(adb.is_access_control_enabled, Some(true));
        let profile = &adb.connection_strings.expect("strings").profiles[0];
        assert_eq!(profile.tls_authentication.as_deref(), Some("MUTUAL"));
        assert_eq!(profile.consumer_group.as_deref(), Some("TP"));
        assert_eq!(
            adb.connection_urls
                .and_then(|urls| urls.sql_dev_web_url)
                .as_deref(),
            Some("https://x/ords/sql-developer")
        );
        assert!(adb.nsg_ids.is_empty() && adb.whitelisted_ips.is_empty());
    }

    #[test]
    fn backups_and_db_systems_parse() {
        let adb_backups: Vec<AutonomousDatabaseBackup> = serde_json::from_str(
            r#"[{"id":"b","autonomousDatabaseId":"a","type":"INCREMENTAL","isAutomatic":true,"lifecycleState":"ACTIVE","timeStarted":"2024-05-01T00:00:00Z","timeEnded":"2024-05-01T00:10:00Z","databaseSizeInTBs":0.5,"isRestorable":true}]"#,
        )
        .expect("parses");
        assert_eq!(adb_backups[0].backup_type.as_deref(), Some("INCREMENTAL"));
        assert_eq!(adb_backups[0].database_size_in_tbs, Some(0.5));
        let backups: Vec<Backup> = serde_json::from_str(
            r#"[{"id":"b","databaseId":"d","type":"FULL","lifecycleState":"ACTIVE","databaseSizeInGBs":120.5,"databaseEdition":"ENTERPRISE_EDITION"}]"#,
        )
        .expect("parses");
        assert_eq!(backups[0].database_size_in_gbs, Some(120.5));
        let systems: Vec<DbSystem> = serde_json::from_str(
            r#"[{"id":"s","displayName":"db1","shape":"VM.Standard2.2","cpuCoreCount":2,"nodeCount":1,"memorySizeInGBs":30,"dataStorageSizeInGBs":256,"lifecycleState":"AVAILABLE","hostname":"db1","faultDomains":["FAULT-DOMAIN-1"]}]"#,
        )
        .expect("parses");
        assert_eq!(systems[0].cpu_core_count, Some(2));
        assert_eq!(systems[0].memory_size_in_gbs, Some(30.0));
        assert_eq!(systems[0].fault_domains, ["FAULT-DOMAIN-1"]);
    }
}
