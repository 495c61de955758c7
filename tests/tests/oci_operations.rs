//! Every typed operation of `oci_api::ops` end to end against the fake OCI: signed with an
//! API key, answered from the instances the test adds and the fixtures of
//! `tests/fixtures/oci/catalog/`, each list read two items a page (its three items
//! over two pages, the page token encoded in the query), and the answers parsed into the
//! models with the fixtures' values.

use std::path::Path;

use oci_api::ops::Timestamp;
use oci_api::ops::cloud_guard::ListProblems;
use oci_api::ops::compute::{
    InstanceAction, InstancePowerAction, ListBootVolumeAttachments, ListInstances,
    ListVnicAttachments,
};
use oci_api::ops::container_engine::{
    CreateKubeconfig, KubeconfigEndpoint, ListClusters, ListNodePools,
};
use oci_api::ops::database::{
    ListAutonomousDatabaseBackups, ListAutonomousDatabases, ListBackups, ListDbSystems,
};
use oci_api::ops::identity::{ListCompartments, ListIamResources, ListUsers};
use oci_api::ops::logging::SearchLogs;
use oci_api::ops::monitoring::{ListAlarms, ListAlarmsStatus, ListMetrics, SummarizeMetricsData};
use oci_api::ops::network::{ListInVcn, ListNetworkSecurityGroups, ListVcns};
use oci_api::ops::search::SearchResources;
use oci_api::ops::usage::{Granularity, RequestSummarizedUsages, UsageAggregation, UsageQueryType};
use oci_api::{Client, Error, Pages, Request, Service, ServiceError};
use ocimcp_tests::fake_oci::doc_key;
use ocimcp_tests::fake_oci::{FakeOci, Seen};
use serde::de::DeserializeOwned;

/// The compartment and tenancy of the fixtures (Appendix C of the reference).
const COMPARTMENT: &str = "ocid1.compartment.oc1..ccc";
const FIXTURE_TENANCY: &str = "ocid1.tenancy.oc1..t";
/// Items per page: every fixture list has three, so each is read over two pages.
const PAGE: u32 = 2;

/// A client signing with the doc key, which the fake trusts only when `trusted`.
async fn api_key_client(fake: &FakeOci, dir: &Path, trusted: bool) -> Client {
    if trusted {
        fake.trust_doc_key();
    }
    doc_key::client(fake, dir).await
}

/// Every item of a list asked for [`PAGE`] at a time, after checking it came in two pages.
async fn read_in_two_pages<T: DeserializeOwned>(mut pages: Pages<'_, T>) -> Vec<T> {
    let mut sizes = Vec::new();
    let mut items = Vec::new();
    while let Some(page) = pages.next().await {
        let page = page.expect("a page");
        sizes.push(page.items.len());
        items.extend(page.items);
    }
    assert_eq!(sizes, [2, 1], "items per page");
    items
}

/// One text field of each item that has it.
fn texts<'a, T>(items: &'a [T], field: impl Fn(&'a T) -> Option<&'a str>) -> Vec<&'a str> {
    items.iter().filter_map(field).collect()
}

/// The service error a call failed with.
fn service_error<T: std::fmt::Debug>(result: Result<T, Error>) -> ServiceError {
    match result {
        Err(Error::Service(error)) => error,
        other => panic!("expected a service error, got {other:?}"),
    }
}

/// The requests the fake saw at `path` (the target without its query).
fn requests_to(fake: &FakeOci, path: &str) -> Vec<Seen> {
    fake.seen()
        .into_iter()
        .filter(|seen| seen.target.split('?').next() == Some(path))
        .collect()
}

/// Every request the fake saw was signed with the API key and answered 200.
fn all_signed_and_answered(fake: &FakeOci) {
    let key_id = doc_key::key_id();
    for seen in fake.seen() {
        assert_eq!(seen.key_id.as_deref(), Some(key_id.as_str()), "{seen:?}");
        assert_eq!(seen.status, 200, "{seen:?}");
    }
}

#[tokio::test]
async fn compute_and_network_operations_answer_the_fixtures_page_by_page() {
    let fake = FakeOci::start().await;
    fake.add_instances(COMPARTMENT, 3);
    let dir = tempfile::tempdir().expect("tempdir");
    let client = api_key_client(&fake, dir.path(), true).await;

    let instances = read_in_two_pages(client.list_instances(&ListInstances {
        limit: Some(PAGE),
        ..ListInstances::new(COMPARTMENT)
    }))
    .await;
    let ids = texts(&instances, |i| Some(i.id.as_str()));
    assert_eq!(
        ids,
        [
            "ocid1.instance.oc1..i0000",
            "ocid1.instance.oc1..i0001",
            "ocid1.instance.oc1..i0002"
        ]
    );
    let instance = client
        .get_instance("ocid1.instance.oc1..i0001")
        .await
        .expect("GetInstance");
    assert_eq!(instance.display_name.as_deref(), Some("instance-0001"));
    assert_eq!(instance.lifecycle_state.as_deref(), Some("RUNNING"));
    let stopping = client
        .instance_action(&InstanceAction::new(
            "ocid1.instance.oc1..i0001",
            InstancePowerAction::Stop,
        ))
        .await
        .expect("InstanceAction");
    assert_eq!(stopping.lifecycle_state.as_deref(), Some("STOPPING"));

    let of_aaa = client
        .list_vnic_attachments(&ListVnicAttachments::of_instance(
            COMPARTMENT,
            "ocid1.instance.oc1.iad.aaa",
        ))
        .collect(None)
        .await
        .expect("ListVnicAttachments of one instance");
    assert_eq!(of_aaa.len(), 2, "the fake filters by instanceId");
    let attachments = read_in_two_pages(client.list_vnic_attachments(&ListVnicAttachments {
        limit: Some(PAGE),
        ..ListVnicAttachments::new(COMPARTMENT)
    }))
    .await;
    let vnic_ids = texts(&attachments, |a| a.vnic_id.as_deref());
    assert_eq!(
        vnic_ids,
        [
            "ocid1.vnic.oc1.iad.n",
            "ocid1.vnic.oc1.iad.n2",
            "ocid1.vnic.oc1.iad.n3"
        ]
    );
    assert_eq!(attachments[1].nic_index, Some(1));
    let vnic = client.get_vnic(vnic_ids[0]).await.expect("GetVnic");
    assert_eq!(vnic.private_ip.as_deref(), Some("10.0.0.5"));
    assert_eq!(vnic.public_ip.as_deref(), Some("129.1.2.3"));
    assert_eq!(vnic.is_primary, Some(true));
    assert_eq!(vnic.hostname_label.as_deref(), Some("web-1"));

    let boot = read_in_two_pages(
        client.list_boot_volume_attachments(&ListBootVolumeAttachments {
            limit: Some(PAGE),
            ..ListBootVolumeAttachments::new("Uocm:US-ASHBURN-AD-1", COMPARTMENT)
        }),
    )
    .await;
    assert_eq!(
        boot[0].boot_volume_id.as_deref(),
        Some("ocid1.bootvolume.oc1.iad.b")
    );
    assert_eq!(
        boot[1].encryption_in_transit_type.as_deref(),
        Some("BM_ENCRYPTION_IN_TRANSIT")
    );
    assert_eq!(boot[2].lifecycle_state.as_deref(), Some("DETACHING"));

    let vcns = read_in_two_pages(client.list_vcns(&ListVcns {
        limit: Some(PAGE),
        ..ListVcns::new(COMPARTMENT)
    }))
    .await;
    let names = texts(&vcns, |v| v.display_name.as_deref());
    assert_eq!(names, ["vcn1", "vcn2", "vcn3"]);
    assert_eq!(vcns[1].cidr_blocks, ["10.1.0.0/16", "172.16.0.0/20"]);
    assert_eq!(vcns[1].freeform_tags["env"], "dev");

    let in_vcn = ListInVcn {
        limit: Some(PAGE),
        ..ListInVcn::of_vcn(COMPARTMENT, "ocid1.vcn.oc1.iad.v")
    };
    let subnets = read_in_two_pages(client.list_subnets(&in_vcn)).await;
    let private: Vec<Option<bool>> = subnets
        .iter()
        .map(|s| s.prohibit_public_ip_on_vnic)
        .collect();
    assert_eq!(private, [Some(false), Some(true), Some(false)]);
    assert_eq!(subnets[0].virtual_router_ip.as_deref(), Some("10.0.0.1"));
    assert_eq!(subnets[1].security_list_ids.len(), 2);

    let security_lists = read_in_two_pages(client.list_security_lists(&ListInVcn {
        limit: Some(PAGE),
        ..ListInVcn::new(COMPARTMENT)
    }))
    .await;
    let ssh = &security_lists[0].ingress_security_rules[0];
    assert_eq!(ssh.protocol.as_deref(), Some("6"));
    let ssh_ports = ssh
        .tcp_options
        .as_ref()
        .and_then(|tcp| tcp.destination_port_range);
    assert_eq!(
        ssh_ports.map(|range| (range.min, range.max)),
        Some((22, 22))
    );
    let icmp = security_lists[1].ingress_security_rules[1]
        .icmp_options
        .expect("ICMP options");
    assert_eq!((icmp.icmp_type, icmp.code), (Some(3), Some(4)));
    assert_eq!(
        security_lists[2].ingress_security_rules[0].is_stateless,
        Some(true)
    );

    let route_tables = read_in_two_pages(client.list_route_tables(&ListInVcn {
        limit: Some(PAGE),
        ..ListInVcn::new(COMPARTMENT)
    }))
    .await;
    assert_eq!(
        route_tables[0].route_rules[0].network_entity_id.as_deref(),
        Some("ocid1.internetgateway.oc1.iad.i")
    );
    assert_eq!(route_tables[1].route_rules.len(), 2);
    assert!(route_tables[2].route_rules.is_empty());

    let groups = read_in_two_pages(client.list_network_security_groups(
        &ListNetworkSecurityGroups {
            limit: Some(PAGE),
            ..ListNetworkSecurityGroups::in_compartment(COMPARTMENT)
        },
    ))
    .await;
    let names = texts(&groups, |g| g.display_name.as_deref());
    assert_eq!(names, ["nsg", "nsg-web", "nsg-db"]);

    all_signed_and_answered(&fake);
    // The second page of each list was asked for with the first's token, encoded.
    let vcn_requests = requests_to(&fake, "/20160918/vcns");
    assert_eq!(vcn_requests.len(), 2, "{vcn_requests:?}");
    assert!(
        !vcn_requests[0].target.contains("page="),
        "{vcn_requests:?}"
    );
    assert!(
        vcn_requests[1].target.contains("&page=vcns%2F2%2B%3D%3D"),
        "{vcn_requests:?}"
    );
    let subnet_requests = requests_to(&fake, "/20160918/subnets");
    assert!(
        subnet_requests[1]
            .target
            .ends_with("vcnId=ocid1.vcn.oc1.iad.v&page=subnets%2F2%2B%3D%3D"),
        "{subnet_requests:?}"
    );
}

#[tokio::test]
async fn monitoring_and_usage_operations_answer_the_fixtures_page_by_page() {
    let fake = FakeOci::start().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let client = api_key_client(&fake, dir.path(), true).await;

    let summarize = SummarizeMetricsData {
        start_time: Some(Timestamp::from_unix(1_714_564_800)),
        end_time: Some(Timestamp::from_unix(1_714_568_400)),
        resolution: Some("1m".to_owned()),
        ..SummarizeMetricsData::new(COMPARTMENT, "oci_computeagent", "CpuUtilization[1m].mean()")
    };
    let streams = client
        .summarize_metrics_data(&summarize)
        .await
        .expect("SummarizeMetricsData");
    assert_eq!(streams.len(), 3);
    assert_eq!(streams[0].name.as_deref(), Some("CpuUtilization"));
    assert_eq!(streams[0].dimensions["resourceDisplayName"], "web-1");
    assert_eq!(streams[0].metadata["unit"], "percent");
    assert_eq!(streams[0].aggregated_datapoints[0].value, 3.25);
    assert_eq!(
        streams[1].aggregated_datapoints[1].timestamp,
        "2024-05-01T12:01:00Z"
    );
    assert!(streams[2].aggregated_datapoints.is_empty());

    let metrics = read_in_two_pages(
        client
            .list_metrics(&ListMetrics {
                limit: Some(PAGE),
                namespace: Some("oci_computeagent".to_owned()),
                ..ListMetrics::new(COMPARTMENT)
            })
            .expect("ListMetrics"),
    )
    .await;
    let names = texts(&metrics, |m| m.name.as_deref());
    assert_eq!(
        names,
        [
            "CpuUtilization",
            "MemoryUtilization",
            "VnicFromNetworkBytes"
        ]
    );
    assert_eq!(metrics[2].resource_group.as_deref(), Some("web"));

    let alarms = read_in_two_pages(client.list_alarms(&ListAlarms {
        limit: Some(PAGE),
        ..ListAlarms::new(COMPARTMENT)
    }))
    .await;
    assert_eq!(
        alarms[0].query.as_deref(),
        Some("CpuUtilization[1m].mean() > 90")
    );
    assert_eq!(alarms[0].destinations, ["ocid1.onstopic.oc1.iad.t"]);
    assert_eq!(alarms[2].is_enabled, Some(false));
    let suppression = alarms[2].suppression.as_ref().expect("a suppression");
    assert_eq!(suppression.description.as_deref(), Some("maintenance"));

    let statuses = read_in_two_pages(client.list_alarms_status(&ListAlarmsStatus {
        limit: Some(PAGE),
        ..ListAlarmsStatus::new(COMPARTMENT)
    }))
    .await;
    let states = texts(&statuses, |s| s.status.as_deref());
    assert_eq!(states, ["FIRING", "OK", "SUSPENDED"]);
    assert_eq!(statuses[0].alarm_summary.as_deref(), Some("CPU > 90%"));

    let usage = RequestSummarizedUsages {
        query_type: Some(UsageQueryType::Cost),
        group_by: vec!["service".to_owned()],
        limit: Some(PAGE),
        ..RequestSummarizedUsages::new(
            FIXTURE_TENANCY,
            Timestamp::from_unix(1_714_521_600),
            Timestamp::from_unix(1_715_126_400),
            Granularity::Daily,
        )
    };
    let items = read_in_two_pages(
        client
            .request_summarized_usages(&usage)
            .expect("RequestSummarizedUsages"),
    )
    .await;
    let services = texts(&items, |i| i.service.as_deref());
    assert_eq!(services, ["COMPUTE", "BLOCK_STORAGE", "NETWORK"]);
    assert_eq!(items[0].computed_amount, Some(12.5));
    assert_eq!(items[0].computed_quantity, Some(240.0));
    assert_eq!(items[0].currency.as_deref(), Some("USD"));
    assert_eq!(items[1].tags[0].value.as_deref(), Some("alice@example.com"));
    // A page of the collection keeps its other fields.
    let first_page = client
        .send(&usage.request().expect("the usage request"))
        .await
        .expect("a page of usage");
    assert_eq!(first_page.next_page(), Some("usage/2+=="));
    let aggregation: UsageAggregation = first_page.json().expect("a UsageAggregation");
    assert_eq!(aggregation.group_by, ["service"]);
    assert_eq!(aggregation.items.len(), 2);

    all_signed_and_answered(&fake);
}

#[tokio::test]
async fn database_operations_answer_the_fixtures_page_by_page() {
    let fake = FakeOci::start().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let client = api_key_client(&fake, dir.path(), true).await;
    let adb = "ocid1.autonomousdatabase.oc1.iad.x";

    let databases = read_in_two_pages(client.list_autonomous_databases(&ListAutonomousDatabases {
        limit: Some(PAGE),
        ..ListAutonomousDatabases::new(COMPARTMENT)
    }))
    .await;
    let names = texts(&databases, |d| d.db_name.as_deref());
    assert_eq!(names, ["ADB1", "ADW2", "AJD3"]);
    assert_eq!(databases[0].id, adb);
    assert_eq!(databases[0].compute_count, Some(2.0));
    assert_eq!(databases[0].data_storage_size_in_tbs, Some(1.0));
    assert_eq!(databases[1].is_free_tier, Some(true));
    assert_eq!(
        databases[2].private_endpoint_ip.as_deref(),
        Some("10.0.1.20")
    );

    let database = client
        .get_autonomous_database(adb)
        .await
        .expect("GetAutonomousDatabase");
    assert_eq!(database.lifecycle_state.as_deref(), Some("AVAILABLE"));
    let strings = database.connection_strings.expect("connection strings");
    assert_eq!(
        strings.high.as_deref(),
        Some("adb.us-ashburn-1.oraclecloud.com:1522/x_adb1_high.adb.oraclecloud.com")
    );
    assert_eq!(
        strings.profiles[0].tls_authentication.as_deref(),
        Some("MUTUAL")
    );
    assert!(
        database
            .connection_urls
            .and_then(|urls| urls.sql_dev_web_url)
            .is_some_and(|url| url.ends_with("/ords/sql-developer"))
    );
    let starting = client
        .start_autonomous_database(adb)
        .await
        .expect("StartAutonomousDatabase");
    assert_eq!(starting.lifecycle_state.as_deref(), Some("STARTING"));
    let stopping = client
        .stop_autonomous_database(adb, Some(true))
        .await
        .expect("StopAutonomousDatabase");
    assert_eq!(stopping.lifecycle_state.as_deref(), Some("STOPPING"));

    let adb_backups = read_in_two_pages(client.list_autonomous_database_backups(
        &ListAutonomousDatabaseBackups {
            limit: Some(PAGE),
            ..ListAutonomousDatabaseBackups::of_database(adb)
        },
    ))
    .await;
    let types = texts(&adb_backups, |b| b.backup_type.as_deref());
    assert_eq!(types, ["INCREMENTAL", "FULL", "LONGTERM"]);
    assert_eq!(adb_backups[0].is_automatic, Some(true));
    assert_eq!(adb_backups[2].retention_period_in_days, Some(365));

    let systems = read_in_two_pages(client.list_db_systems(&ListDbSystems {
        limit: Some(PAGE),
        ..ListDbSystems::new(COMPARTMENT)
    }))
    .await;
    assert_eq!(systems[0].memory_size_in_gbs, Some(64.0));
    assert_eq!(systems[1].node_count, Some(2));
    assert_eq!(systems[1].cluster_name.as_deref(), Some("rac2"));
    assert_eq!(systems[2].compute_model.as_deref(), Some("ECPU"));

    let backups = read_in_two_pages(client.list_backups(&ListBackups {
        limit: Some(PAGE),
        ..ListBackups::in_compartment(COMPARTMENT)
    }))
    .await;
    let names = texts(&backups, |b| b.display_name.as_deref());
    assert_eq!(
        names,
        ["Automatic Backup", "before-upgrade", "Automatic Backup"]
    );
    assert_eq!(backups[0].database_size_in_gbs, Some(38.5));

    all_signed_and_answered(&fake);
    let stop = requests_to(
        &fake,
        &format!("/20160918/autonomousDatabases/{adb}/actions/stop"),
    );
    assert_eq!(stop.len(), 1, "a stop is sent once");
}

#[tokio::test]
async fn logging_identity_and_cloud_guard_operations_answer_the_fixtures_page_by_page() {
    let fake = FakeOci::start().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let client = api_key_client(&fake, dir.path(), true).await;

    let search = SearchLogs {
        limit: Some(PAGE),
        ..SearchLogs::new(
            Timestamp::from_unix(1_714_564_800),
            Timestamp::from_unix(1_714_568_400),
            format!("search \"{COMPARTMENT}\" | sort by datetime desc"),
        )
    };
    let first = client.search_logs(&search, None).await.expect("SearchLogs");
    assert_eq!(first.response.results.len(), 2);
    assert_eq!(
        first.response.results[0].data["logContent"]["data"]["message"],
        "hello"
    );
    assert_eq!(
        first.response.results[0].data["logContent"]["oracle"]["logid"],
        "ocid1.log.oc1.iad.l"
    );
    let summary = first.response.summary.as_ref().expect("a summary");
    assert_eq!(summary.result_count, Some(3));
    assert!(first.request_id.is_some());
    let token = first.next_page.expect("a second page");
    let second = client
        .search_logs(&search, Some(&token))
        .await
        .expect("SearchLogs, page 2");
    assert_eq!(second.response.results.len(), 1);
    assert_eq!(
        second.response.results[0].data["logContent"]["data"]["message"],
        "connection refused: db-1:1521"
    );
    assert_eq!(second.next_page, None);

    let compartments = read_in_two_pages(client.list_compartments(&ListCompartments {
        limit: Some(PAGE),
        ..ListCompartments::whole_tree(FIXTURE_TENANCY)
    }))
    .await;
    let names = texts(&compartments, |c| c.name.as_deref());
    assert_eq!(names, ["prod", "dev", "prod-secrets"]);
    assert_eq!(compartments[2].is_accessible, Some(false));
    let compartment = client
        .get_compartment(COMPARTMENT)
        .await
        .expect("GetCompartment");
    assert_eq!(compartment.description.as_deref(), Some("Production"));
    assert_eq!(compartment.compartment_id.as_deref(), Some(FIXTURE_TENANCY));
    let tenancy = client
        .get_tenancy(FIXTURE_TENANCY)
        .await
        .expect("GetTenancy");
    assert_eq!(tenancy.name.as_deref(), Some("acme"));
    assert_eq!(tenancy.home_region_key.as_deref(), Some("IAD"));
    let regions = client
        .list_region_subscriptions(FIXTURE_TENANCY)
        .await
        .expect("ListRegionSubscriptions");
    let home: Vec<&str> = regions
        .iter()
        .filter(|r| r.is_home_region == Some(true))
        .filter_map(|r| r.region_name.as_deref())
        .collect();
    assert_eq!((regions.len(), home), (3, vec!["us-ashburn-1"]));
    let domains = client
        .list_availability_domains(FIXTURE_TENANCY)
        .await
        .expect("ListAvailabilityDomains");
    let names = texts(&domains, |d| Some(d.name.as_str()));
    assert_eq!(
        names,
        [
            "Uocm:US-ASHBURN-AD-1",
            "Uocm:US-ASHBURN-AD-2",
            "Uocm:US-ASHBURN-AD-3"
        ]
    );

    let in_tenancy = ListIamResources {
        limit: Some(PAGE),
        ..ListIamResources::new(FIXTURE_TENANCY)
    };
    let policies = read_in_two_pages(client.list_policies(&in_tenancy)).await;
    assert_eq!(
        policies[0].statements,
        ["Allow group Admins to manage all-resources in tenancy"]
    );
    assert_eq!(policies[1].statements.len(), 2);
    let users = read_in_two_pages(client.list_users(&ListUsers {
        filter: in_tenancy.clone(),
        ..ListUsers::new(FIXTURE_TENANCY)
    }))
    .await;
    let emails = texts(&users, |u| u.email.as_deref());
    assert_eq!(emails, ["alice@example.com", "bob@example.com"]);
    assert_eq!(users[0].is_mfa_activated, Some(true));
    let capabilities = users[1].capabilities.as_ref().expect("capabilities");
    assert_eq!(capabilities.can_use_api_keys, Some(true));
    assert_eq!(capabilities.can_use_oauth2_client_credentials, Some(false));
    assert_eq!(users[2].lifecycle_state.as_deref(), Some("INACTIVE"));
    let groups = read_in_two_pages(client.list_groups(&in_tenancy)).await;
    let names = texts(&groups, |g| g.name.as_deref());
    assert_eq!(names, ["Administrators", "NetworkAdmins", "Auditors"]);

    let problems = read_in_two_pages(client.list_problems(&ListProblems {
        lifecycle_detail: None,
        compartment_id_in_subtree: Some(true),
        access_level: Some("ACCESSIBLE".to_owned()),
        limit: Some(PAGE),
        ..ListProblems::new(COMPARTMENT)
    }))
    .await;
    let risks = texts(&problems, |p| p.risk_level.as_deref());
    assert_eq!(risks, ["CRITICAL", "HIGH", "MEDIUM"]);
    assert_eq!(
        problems[0].detector_rule_id.as_deref(),
        Some("BUCKET_IS_PUBLIC")
    );
    assert_eq!(problems[1].risk_score, Some(7.5));
    assert_eq!(problems[1].labels, ["CIS_OCI_V1.1_NETWORK"]);

    all_signed_and_answered(&fake);
    let searches = requests_to(&fake, "/20190909/search");
    assert_eq!(searches.len(), 2);
    assert!(
        searches[1]
            .target
            .ends_with("?limit=2&page=search%2F2%2B%3D%3D"),
        "{searches:?}"
    );
}

#[tokio::test]
async fn container_engine_and_search_operations_answer_the_fixtures_page_by_page() {
    let fake = FakeOci::start().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let client = api_key_client(&fake, dir.path(), true).await;
    let cluster_id = "ocid1.cluster.oc1.iad.k";

    let clusters = read_in_two_pages(client.list_clusters(&ListClusters {
        lifecycle_states: vec!["ACTIVE".to_owned(), "CREATING".to_owned()],
        limit: Some(PAGE),
        ..ListClusters::new(COMPARTMENT)
    }))
    .await;
    let names = texts(&clusters, |c| c.name.as_deref());
    assert_eq!(names, ["oke1", "oke2", "oke3"]);
    assert_eq!(
        clusters[0].cluster_type.as_deref(),
        Some("ENHANCED_CLUSTER")
    );
    assert_eq!(clusters[1].available_kubernetes_upgrades, ["v1.30.1"]);
    let cluster = client
        .get_cluster(cluster_id, Some(true))
        .await
        .expect("GetCluster");
    let endpoints = cluster.endpoints.expect("endpoints");
    assert_eq!(endpoints.public_endpoint.as_deref(), Some("129.1.2.4:6443"));
    assert_eq!(cluster.kubernetes_version.as_deref(), Some("v1.30.1"));
    assert!(
        cluster
            .open_id_connect_discovery_endpoint
            .is_some_and(|url| url.starts_with("https://"))
    );

    let kubeconfig = CreateKubeconfig {
        endpoint: Some(KubeconfigEndpoint::PublicEndpoint),
        ..CreateKubeconfig::new(cluster_id)
    };
    let yaml = client
        .create_kubeconfig(&kubeconfig)
        .await
        .expect("CreateKubeconfig");
    assert!(yaml.starts_with("apiVersion: v1\nkind: \"\"\n"), "{yaml}");
    assert!(
        yaml.contains("    server: https://129.1.2.4:6443\n"),
        "{yaml}"
    );
    assert!(
        yaml.contains("--cluster-id, ocid1.cluster.oc1.iad.k, --region, us-ashburn-1]"),
        "{yaml}"
    );
    let answer = client
        .send(&kubeconfig.request().expect("the kubeconfig request"))
        .await
        .expect("CreateKubeconfig");
    assert_eq!(
        answer
            .headers
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("application/x-yaml")
    );

    let pools = read_in_two_pages(client.list_node_pools(&ListNodePools {
        limit: Some(PAGE),
        ..ListNodePools::of_cluster(COMPARTMENT, cluster_id)
    }))
    .await;
    let sizes: Vec<Option<i64>> = pools
        .iter()
        .map(|p| p.node_config_details.as_ref().and_then(|c| c.size))
        .collect();
    assert_eq!(sizes, [Some(3), Some(2), None]);
    assert_eq!(
        pools[0]
            .node_shape_config
            .as_ref()
            .and_then(|c| c.memory_in_gbs),
        Some(32.0)
    );
    assert_eq!(
        pools[1].initial_node_labels[0].value.as_deref(),
        Some("arm64")
    );

    let found = read_in_two_pages(
        client
            .search_resources(&SearchResources {
                limit: Some(PAGE),
                ..SearchResources::structured(
                    "query instance resources where lifecycleState = 'RUNNING'",
                )
            })
            .expect("SearchResources"),
    )
    .await;
    let identifiers = texts(&found, |r| Some(r.identifier.as_str()));
    assert_eq!(
        identifiers,
        [
            "ocid1.instance.oc1.iad.aaa",
            "ocid1.instance.oc1.iad.bbb",
            "ocid1.vcn.oc1.iad.v"
        ]
    );
    assert_eq!(found[0].display_name.as_deref(), Some("web-1"));
    let highlights = found[1].search_context.as_ref().expect("a search context");
    assert_eq!(highlights.highlights["displayName"], ["<hl>db</hl>-1"]);
    assert_eq!(found[2].additional_details["cidrBlock"], "10.0.0.0/16");

    all_signed_and_answered(&fake);
}

#[tokio::test]
async fn the_fixture_operations_refuse_what_oci_refuses() {
    let fake = FakeOci::start().await;
    let dir = tempfile::tempdir().expect("tempdir");

    // A key the fake does not trust: every route checks the signature first.
    let stranger = api_key_client(&fake, dir.path(), false).await;
    let refused = service_error(stranger.get_tenancy(FIXTURE_TENANCY).await);
    assert_eq!(
        (refused.status, refused.code.as_str()),
        (401, "NotAuthenticated")
    );
    let refused = service_error(
        stranger
            .list_vcns(&ListVcns::new(COMPARTMENT))
            .collect(None)
            .await,
    );
    assert_eq!(refused.status, 401);

    let client = api_key_client(&fake, dir.path(), true).await;
    // A page token this list never gave, or another list's.
    for token in ["vcns/7+==", "subnets/2+==", "vcns%2F2%2B%3D%3D"] {
        let refused = service_error(
            client
                .list_vcns(&ListVcns::new(COMPARTMENT))
                .from_page(Some(token.to_owned()))
                .collect(None)
                .await,
        );
        assert_eq!(
            (refused.status, refused.code.as_str()),
            (400, "InvalidParameter"),
            "{token}"
        );
    }
    let refused = service_error(
        client
            .list_vcns(&ListVcns {
                limit: Some(0),
                ..ListVcns::new(COMPARTMENT)
            })
            .collect(None)
            .await,
    );
    assert_eq!(refused.status, 400);
    // One resource answers under its own id only.
    let missing = service_error(client.get_vnic("ocid1.vnic.oc1.iad.nosuch").await);
    assert_eq!(
        (missing.status, missing.code.as_str()),
        (404, "NotAuthorizedOrNotFound")
    );
    let missing = service_error(
        client
            .start_autonomous_database("ocid1.autonomousdatabase.oc1.iad.nosuch")
            .await,
    );
    assert_eq!(missing.status, 404);
    // A path no operation has.
    let nothing = Request::get("GetNothing", Service::Identity, "/nothings/n".to_owned());
    let unknown = service_error(client.send(&nothing).await);
    assert_eq!((unknown.status, unknown.code.as_str()), (404, "NotFound"));
}
