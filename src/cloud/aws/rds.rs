//! RDS and Aurora restores: the newest available snapshot (or a named one), or a point in
//! time (the latest restorable time, or a given one), restored into the isolated subnet
//! group (never publicly accessible, no deletion protection, tagged at creation, named
//! from the restore's token); an Aurora cluster gets the one instance it needs. Many
//! instances and clusters are observed with one filtered describe each per 100, and the
//! completion time comes from RDS's own events.

use std::collections::BTreeMap;

use aws_sdk_rds::types::{Filter, SourceType};
use jiff::Timestamp;

use super::errors::classify;
use super::network::rds_tags;
use super::{AwsCloud, sdk_time, timestamp};
use crate::cloud::{CloudError, Environment, RecoveryPoint, ResourceRef, ResourceType, RestoreStatus, Tags};
use crate::scenario::{
    AuroraClusterSnapshotSource, AuroraPointInTimeSource, Overrides, RdsPointInTimeSource, RdsSnapshotSource,
    ResourceKind,
};

/// The instance class of the one instance added to a restored Aurora cluster when the
/// scenario names none: the smallest class both Aurora engines take.
const DEFAULT_AURORA_CLASS: &str = "db.t4g.medium";

/// A DB instance restore, private in the drill's subnet group and security group: never
/// publicly accessible, never Multi-AZ, no deletion protection, the run's tags at
/// creation, no tags copied to snapshots; the scenario's class and parameter group.
macro_rules! isolated_instance {
    ($request:expr, $environment:expr, $overrides:expr, $tags:expr) => {
        $request
            .db_subnet_group_name($environment.database_subnets()?)
            .vpc_security_group_ids(&$environment.security_group_id)
            .publicly_accessible(false)
            .deletion_protection(false)
            .multi_az(false)
            .copy_tags_to_snapshot(false)
            .set_db_instance_class($overrides.instance_class.clone())
            .set_db_parameter_group_name($overrides.parameter_group.clone())
            .set_tags(Some(rds_tags($tags)))
    };
}

/// A DB cluster restore, in the drill's subnet group and security group, without
/// deletion protection, the run's tags at creation; the scenario's key and parameter
/// group. (Its one instance is made private by `add_cluster_instance`.)
macro_rules! isolated_cluster {
    ($request:expr, $environment:expr, $overrides:expr, $tags:expr) => {
        $request
            .db_subnet_group_name($environment.database_subnets()?)
            .vpc_security_group_ids(&$environment.security_group_id)
            .deletion_protection(false)
            .copy_tags_to_snapshot(false)
            .set_kms_key_id($overrides.kms_key.clone())
            .set_db_cluster_parameter_group_name($overrides.parameter_group.clone())
            .set_tags(Some(rds_tags($tags)))
    };
}

/// A DB instance identifier from a restore's idempotency token: lower case, letters,
/// digits and single hyphens, starting with a letter, at most 63 characters. The same
/// token always gives the same name, so a restore whose answer was lost is found by it.
pub fn db_identifier(token: &str) -> String {
    let mut name = String::with_capacity(token.len());
    for c in token.to_lowercase().chars() {
        let c = if c.is_ascii_alphanumeric() { c } else { '-' };
        if !(c == '-' && (name.is_empty() || name.ends_with('-'))) {
            name.push(c);
        }
    }
    if !name.starts_with(|c: char| c.is_ascii_lowercase()) {
        name.insert_str(0, "fd-");
    }
    super::fit(name.trim_end_matches('-'), 63)
}

/// Whether a restored DB instance in `status` will not become available by itself:
/// the failure states of "Viewing Amazon RDS DB instance status"
/// (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/accessing-monitoring.html#Overview.DBInstance.Status),
/// plus deletion (the DBInstanceAvailable waiter's failure acceptors, that is someone
/// else deleting the copy). `inaccessible-encryption-credentials-recoverable` is one:
/// the KMS key is disabled or out of reach, and a drill does not wait up to 7 days for
/// it to be given back.
pub(super) fn instance_cannot_come_up(status: &str) -> bool {
    matches!(
        status,
        "failed"
            | "inaccessible-encryption-credentials"
            | "inaccessible-encryption-credentials-recoverable"
            | "incompatible-create"
            | "incompatible-network"
            | "incompatible-option-group"
            | "incompatible-parameters"
            | "incompatible-restore"
            | "insufficient-capacity"
            | "restore-error"
            | "storage-full"
            | "deleting"
            | "deleted"
    )
}

/// Whether a restored Aurora cluster in `status` will not become available by itself
/// ("Viewing DB cluster status",
/// https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/accessing-monitoring.html#Aurora.Status),
/// plus deletion, as for instances.
pub(super) fn cluster_cannot_come_up(status: &str) -> bool {
    matches!(
        status,
        "failed"
            | "inaccessible-encryption-credentials"
            | "inaccessible-encryption-credentials-recoverable"
            | "incompatible-restore"
            | "incompatible-parameters"
            | "cloning-failed"
            | "migration-failed"
            | "deleting"
            | "deleted"
    )
}

/// The identifier of the instance firedrill adds to a restored Aurora cluster.
pub fn cluster_instance_identifier(cluster: &str) -> String {
    let mut name = cluster.to_owned();
    name.truncate(61);
    format!("{}-1", name.trim_end_matches('-'))
}

/// A point-in-time source's time: `latest` is the latest restorable time; a given time
/// must not be later than it.
fn restore_time(asked: &str, latest: Timestamp, source: &str) -> Result<Timestamp, CloudError> {
    if asked == "latest" {
        return Ok(latest);
    }
    let time: Timestamp = asked
        .parse()
        .map_err(|e| CloudError::Failed(format!("`{asked}` is not an RFC 3339 time: {e}")))?;
    if time > latest {
        return Err(CloudError::Failed(format!(
            "{source} can be restored up to {latest} only; {time} is later"
        )));
    }
    Ok(time)
}

pub(super) fn rds_tag_map(tags: &[aws_sdk_rds::types::Tag]) -> Tags {
    tags.iter()
        .filter_map(|t| Some((t.key()?.to_owned(), t.value().unwrap_or_default().to_owned())))
        .collect()
}

impl AwsCloud {
    /// The snapshot a source names: `latest` is the newest available one of its instance.
    pub async fn find_rds_snapshot(&self, source: &RdsSnapshotSource) -> Result<RecoveryPoint, CloudError> {
        let mut request = self.clients.rds.describe_db_snapshots();
        request = if source.snapshot == "latest" {
            let instance = source.instance.as_deref().unwrap_or_default();
            request.db_instance_identifier(instance)
        } else {
            request.db_snapshot_identifier(&source.snapshot)
        };
        let found: Vec<_> = request
            .into_paginator()
            .items()
            .send()
            .collect::<Vec<_>>()
            .await
            .into_iter()
            .collect::<Result<_, _>>()
            .map_err(|e| classify("rds:DescribeDBSnapshots", &e))?;
        let newest = found
            .iter()
            .filter(|s| s.status() == Some("available"))
            .filter_map(|s| Some((timestamp(s.snapshot_create_time())?, s.db_snapshot_identifier()?)))
            .max_by_key(|(created, _)| *created);
        let (data_time, id) = newest.ok_or_else(|| {
            CloudError::NotFound(format!(
                "no available RDS snapshot for {}",
                source.instance.as_deref().unwrap_or(&source.snapshot)
            ))
        })?;
        Ok(RecoveryPoint {
            id: id.to_owned(),
            data_time,
            kind: ResourceKind::RdsInstance,
            point_in_time: false,
        })
    }

    /// The time an instance is restored to, checked against its latest restorable time.
    pub async fn find_rds_point_in_time(&self, source: &RdsPointInTimeSource) -> Result<RecoveryPoint, CloudError> {
        let found = self
            .clients
            .rds
            .describe_db_instances()
            .db_instance_identifier(&source.instance)
            .send()
            .await
            .map_err(|e| classify("rds:DescribeDBInstances", &e))?;
        let instance = found
            .db_instances()
            .first()
            .ok_or_else(|| CloudError::NotFound(format!("no DB instance {}", source.instance)))?;
        let latest = timestamp(instance.latest_restorable_time()).ok_or_else(|| {
            CloudError::Failed(format!(
                "DB instance {} has no latest restorable time (are automated backups on?)",
                source.instance
            ))
        })?;
        Ok(RecoveryPoint {
            id: instance.db_instance_arn().unwrap_or(&source.instance).to_owned(),
            data_time: restore_time(&source.time, latest, &source.instance)?,
            kind: ResourceKind::RdsInstance,
            point_in_time: true,
        })
    }

    /// The cluster snapshot a source names: `latest` is the newest available one.
    pub async fn find_aurora_snapshot(
        &self,
        source: &AuroraClusterSnapshotSource,
    ) -> Result<RecoveryPoint, CloudError> {
        let mut request = self.clients.rds.describe_db_cluster_snapshots();
        request = if source.snapshot == "latest" {
            request.db_cluster_identifier(source.cluster.as_deref().unwrap_or_default())
        } else {
            request.db_cluster_snapshot_identifier(&source.snapshot)
        };
        let found: Vec<_> = request
            .into_paginator()
            .items()
            .send()
            .collect::<Vec<_>>()
            .await
            .into_iter()
            .collect::<Result<_, _>>()
            .map_err(|e| classify("rds:DescribeDBClusterSnapshots", &e))?;
        let newest = found
            .iter()
            .filter(|s| s.status() == Some("available"))
            .filter_map(|s| {
                Some((
                    timestamp(s.snapshot_create_time())?,
                    s.db_cluster_snapshot_identifier()?,
                ))
            })
            .max_by_key(|(created, _)| *created);
        let (data_time, id) = newest.ok_or_else(|| {
            CloudError::NotFound(format!(
                "no available Aurora cluster snapshot for {}",
                source.cluster.as_deref().unwrap_or(&source.snapshot)
            ))
        })?;
        Ok(RecoveryPoint {
            id: id.to_owned(),
            data_time,
            kind: ResourceKind::AuroraCluster,
            point_in_time: false,
        })
    }

    /// The time a cluster is restored to, checked against its latest restorable time.
    pub async fn find_aurora_point_in_time(
        &self,
        source: &AuroraPointInTimeSource,
    ) -> Result<RecoveryPoint, CloudError> {
        let cluster = self.describe_cluster(&source.cluster).await?;
        let latest = timestamp(cluster.latest_restorable_time()).ok_or_else(|| {
            CloudError::Failed(format!("DB cluster {} has no latest restorable time", source.cluster))
        })?;
        Ok(RecoveryPoint {
            id: cluster.db_cluster_arn().unwrap_or(&source.cluster).to_owned(),
            data_time: restore_time(&source.time, latest, &source.cluster)?,
            kind: ResourceKind::AuroraCluster,
            point_in_time: true,
        })
    }

    /// The engine of a cluster (what its copy's instance must run).
    pub(super) async fn cluster_engine(&self, id: &str) -> Result<String, CloudError> {
        Ok(self
            .describe_cluster(id)
            .await?
            .engine()
            .unwrap_or("aurora-postgresql")
            .to_owned())
    }

    async fn describe_cluster(&self, id: &str) -> Result<aws_sdk_rds::types::DbCluster, CloudError> {
        let found = self
            .clients
            .rds
            .describe_db_clusters()
            .db_cluster_identifier(id)
            .send()
            .await
            .map_err(|e| classify("rds:DescribeDBClusters", &e))?;
        found
            .db_clusters()
            .first()
            .cloned()
            .ok_or_else(|| CloudError::NotFound(format!("no DB cluster {id}")))
    }

    /// Starts the restore of a DB snapshot into the isolated environment.
    pub async fn restore_rds_snapshot(
        &self,
        environment: &Environment,
        snapshot: &str,
        token: &str,
        overrides: &Overrides,
        tags: &Tags,
    ) -> Result<ResourceRef, CloudError> {
        let identifier = db_identifier(token);
        let made = isolated_instance!(
            self.clients
                .rds
                .restore_db_instance_from_db_snapshot()
                .db_instance_identifier(&identifier)
                .db_snapshot_identifier(snapshot),
            environment,
            overrides,
            tags
        )
        .send()
        .await
        .map_err(|e| classify("rds:RestoreDBInstanceFromDBSnapshot", &e));
        ours_already(made)?;
        Ok(ResourceRef::new(ResourceType::DbInstance, identifier))
    }

    /// Starts the restore of an instance to `time` (the one chosen when the recovery
    /// point was found, so that the RPO says exactly what was restored).
    pub async fn restore_rds_point_in_time(
        &self,
        environment: &Environment,
        source: &RdsPointInTimeSource,
        time: Timestamp,
        token: &str,
        overrides: &Overrides,
        tags: &Tags,
    ) -> Result<ResourceRef, CloudError> {
        let identifier = db_identifier(token);
        let made = isolated_instance!(
            self.clients
                .rds
                .restore_db_instance_to_point_in_time()
                .source_db_instance_identifier(&source.instance)
                .target_db_instance_identifier(&identifier)
                .restore_time(sdk_time(time)),
            environment,
            overrides,
            tags
        )
        .send()
        .await
        .map_err(|e| classify("rds:RestoreDBInstanceToPointInTime", &e));
        ours_already(made)?;
        Ok(ResourceRef::new(ResourceType::DbInstance, identifier))
    }

    /// Restores a cluster snapshot, then adds the cluster's one instance; returns both.
    pub async fn restore_aurora_snapshot(
        &self,
        environment: &Environment,
        snapshot: &str,
        token: &str,
        overrides: &Overrides,
        tags: &Tags,
    ) -> Result<(ResourceRef, ResourceRef), CloudError> {
        let found = self
            .clients
            .rds
            .describe_db_cluster_snapshots()
            .db_cluster_snapshot_identifier(snapshot)
            .send()
            .await
            .map_err(|e| classify("rds:DescribeDBClusterSnapshots", &e))?;
        let found = found
            .db_cluster_snapshots()
            .first()
            .ok_or_else(|| CloudError::NotFound(format!("no cluster snapshot {snapshot}")))?;
        let engine = found
            .engine()
            .ok_or_else(|| CloudError::Failed(format!("cluster snapshot {snapshot} names no engine")))?
            .to_owned();
        let cluster = db_identifier(token);
        let made = isolated_cluster!(
            self.clients
                .rds
                .restore_db_cluster_from_snapshot()
                .db_cluster_identifier(&cluster)
                .snapshot_identifier(snapshot)
                .engine(&engine)
                // The snapshot's own version: without it RestoreDBClusterFromSnapshot
                // uses the engine's default version in the Region
                // (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_RestoreDBClusterFromSnapshot.html),
                // and the drill would prove a copy production never ran.
                .set_engine_version(found.engine_version().map(str::to_owned)),
            environment,
            overrides,
            tags
        )
        .send()
        .await
        .map_err(|e| classify("rds:RestoreDBClusterFromSnapshot", &e));
        ours_already(made)?;
        Ok(self.instance_once_available(cluster, engine, overrides, tags))
    }

    /// Restores a cluster to `time`, then adds its one instance; returns both.
    pub async fn restore_aurora_point_in_time(
        &self,
        environment: &Environment,
        source: &AuroraPointInTimeSource,
        time: Timestamp,
        token: &str,
        overrides: &Overrides,
        tags: &Tags,
    ) -> Result<(ResourceRef, ResourceRef), CloudError> {
        let engine = self.cluster_engine(&source.cluster).await?;
        let cluster = db_identifier(token);
        let made = isolated_cluster!(
            self.clients
                .rds
                .restore_db_cluster_to_point_in_time()
                .source_db_cluster_identifier(&source.cluster)
                .db_cluster_identifier(&cluster)
                .restore_to_time(sdk_time(time)),
            environment,
            overrides,
            tags
        )
        .send()
        .await
        .map_err(|e| classify("rds:RestoreDBClusterToPointInTime", &e));
        ours_already(made)?;
        Ok(self.instance_once_available(cluster, engine, overrides, tags))
    }

    /// The restored cluster and the instance it will get: "you can create DB instances
    /// only after the DB cluster is available" (RestoreDBClusterFromSnapshot,
    /// https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_RestoreDBClusterFromSnapshot.html),
    /// so the instance is added by the observation that first sees the cluster available
    /// (`add_awaited_instances`); its name is known now, for teardown and the journal.
    fn instance_once_available(
        &self,
        cluster: String,
        engine: String,
        overrides: &Overrides,
        tags: &Tags,
    ) -> (ResourceRef, ResourceRef) {
        let instance = ResourceRef::new(ResourceType::DbInstance, cluster_instance_identifier(&cluster));
        self.awaited_instances.lock().unwrap_or_else(|p| p.into_inner()).insert(
            cluster.clone(),
            super::AwaitedInstance {
                engine,
                overrides: overrides.clone(),
                tags: tags.clone(),
            },
        );
        (ResourceRef::new(ResourceType::DbCluster, cluster), instance)
    }

    /// Adds the instance of each restored cluster that is now available and still waits
    /// for it. A cluster RDS still calls busy (`InvalidDBClusterStateFault`: its state
    /// lags) is tried again on the next round.
    async fn add_awaited_instances(&self, available: &[&str]) -> Result<(), CloudError> {
        for cluster in available {
            let awaited = self
                .awaited_instances
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .get(*cluster)
                .cloned();
            let Some(awaited) = awaited else { continue };
            match self
                .add_cluster_instance(cluster, &awaited.engine, &awaited.overrides, &awaited.tags)
                .await
            {
                Ok(_) => {
                    self.awaited_instances
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .remove(*cluster);
                }
                Err(CloudError::Failed(message)) if message.contains("InvalidDBClusterStateFault") => {}
                Err(error) => return Err(error),
            }
        }
        Ok(())
    }

    /// The one instance a restored Aurora cluster needs to answer (restores create a
    /// cluster without instances): private, tagged at creation.
    pub async fn add_cluster_instance(
        &self,
        cluster: &str,
        engine: &str,
        overrides: &Overrides,
        tags: &Tags,
    ) -> Result<ResourceRef, CloudError> {
        let identifier = cluster_instance_identifier(cluster);
        let made = self
            .clients
            .rds
            .create_db_instance()
            .db_instance_identifier(&identifier)
            .db_cluster_identifier(cluster)
            .engine(engine)
            .db_instance_class(overrides.instance_class.as_deref().unwrap_or(DEFAULT_AURORA_CLASS))
            .publicly_accessible(false)
            .set_tags(Some(rds_tags(tags)))
            .send()
            .await
            .map_err(|e| classify("rds:CreateDBInstance", &e));
        ours_already(made)?;
        Ok(ResourceRef::new(ResourceType::DbInstance, identifier))
    }

    /// The state of many DB instances with one DescribeDBInstances per 100 (a filter on
    /// their identifiers); the completion time is RDS's event for it, else `now`.
    pub async fn observe_db_instances(
        &self,
        instances: &[String],
        now: Timestamp,
    ) -> Result<BTreeMap<String, RestoreStatus>, CloudError> {
        let mut statuses = BTreeMap::new();
        for batch in instances.chunks(100) {
            let filter = Filter::builder()
                .name("db-instance-id")
                .set_values(Some(batch.to_vec()))
                .build();
            self.pace.turn("rds").await;
            let found = self
                .clients
                .rds
                .describe_db_instances()
                .filters(filter)
                .send()
                .await
                .map_err(|e| classify("rds:DescribeDBInstances", &e))?;
            for instance in found.db_instances() {
                let Some(id) = instance.db_instance_identifier() else {
                    continue;
                };
                let status = match instance.db_instance_status().unwrap_or("") {
                    "available" => {
                        let outputs = database_outputs(Database {
                            id,
                            endpoint: instance
                                .endpoint()
                                .map(|e| (e.address().unwrap_or_default(), e.port().unwrap_or(0))),
                            engine: instance.engine(),
                            database: instance.db_name(),
                            arn: instance.db_instance_arn(),
                        });
                        RestoreStatus::Ready {
                            resource: ResourceRef::new(ResourceType::DbInstance, id),
                            completed_at: now,
                            outputs,
                            also_created: Vec::new(),
                        }
                    }
                    failed if instance_cannot_come_up(failed) => RestoreStatus::Failed {
                        message: format!("the restored instance {id} is {failed}"),
                    },
                    _ => RestoreStatus::Running { expected_minutes: None },
                };
                statuses.insert(id.to_owned(), status);
            }
        }
        Ok(statuses)
    }

    /// The state of many restored clusters: a cluster is ready when it and its one
    /// instance are available; its outputs are the cluster's (writer) endpoint.
    pub async fn observe_db_clusters(
        &self,
        clusters: &[String],
        now: Timestamp,
    ) -> Result<BTreeMap<String, RestoreStatus>, CloudError> {
        let members: Vec<String> = clusters.iter().map(|c| cluster_instance_identifier(c)).collect();
        let instances = self.observe_db_instances(&members, now).await?;
        self.observe_db_clusters_with(clusters, &instances, now).await
    }

    /// The state of many Aurora clusters given their instances' (observed in the same
    /// DescribeDBInstances as the round's other instances): one DescribeDBClusters per 100.
    pub async fn observe_db_clusters_with(
        &self,
        clusters: &[String],
        instances: &BTreeMap<String, RestoreStatus>,
        now: Timestamp,
    ) -> Result<BTreeMap<String, RestoreStatus>, CloudError> {
        let mut statuses = BTreeMap::new();
        for batch in clusters.chunks(100) {
            let filter = Filter::builder()
                .name("db-cluster-id")
                .set_values(Some(batch.to_vec()))
                .build();
            self.pace.turn("rds").await;
            let found = self
                .clients
                .rds
                .describe_db_clusters()
                .filters(filter)
                .send()
                .await
                .map_err(|e| classify("rds:DescribeDBClusters", &e))?;
            let available: Vec<&str> = found
                .db_clusters()
                .iter()
                .filter(|c| c.status() == Some("available"))
                .filter_map(|c| c.db_cluster_identifier())
                .collect();
            self.add_awaited_instances(&available).await?;
            for cluster in found.db_clusters() {
                let Some(id) = cluster.db_cluster_identifier() else {
                    continue;
                };
                let member = instances.get(&cluster_instance_identifier(id));
                let status = match (cluster.status().unwrap_or(""), member) {
                    (_, Some(RestoreStatus::Failed { message })) => RestoreStatus::Failed {
                        message: message.clone(),
                    },
                    ("available", Some(RestoreStatus::Ready { .. })) => {
                        let outputs = database_outputs(Database {
                            id,
                            endpoint: Some((cluster.endpoint().unwrap_or_default(), cluster.port().unwrap_or(0))),
                            engine: cluster.engine(),
                            database: cluster.database_name(),
                            arn: cluster.db_cluster_arn(),
                        });
                        RestoreStatus::Ready {
                            resource: ResourceRef::new(ResourceType::DbCluster, id),
                            completed_at: now,
                            outputs,
                            also_created: Vec::new(),
                        }
                    }
                    (failed, _) if cluster_cannot_come_up(failed) => RestoreStatus::Failed {
                        message: format!("the restored cluster {id} is {failed}"),
                    },
                    _ => RestoreStatus::Running { expected_minutes: None },
                };
                statuses.insert(id.to_owned(), status);
            }
        }
        Ok(statuses)
    }

    /// When RDS says each restored instance or cluster finished (its newest event since
    /// `since`), so that the RTO does not depend on how often we look. One call per source
    /// type, for every resource that became ready in this round.
    pub async fn rds_completion_times(
        &self,
        ready: &[ResourceRef],
        since: Timestamp,
    ) -> Result<BTreeMap<String, Timestamp>, CloudError> {
        let mut times = BTreeMap::new();
        for (kind, source_type) in [
            (ResourceType::DbInstance, SourceType::DbInstance),
            (ResourceType::DbCluster, SourceType::DbCluster),
        ] {
            let ids: Vec<&str> = ready.iter().filter(|r| r.kind == kind).map(|r| r.id.as_str()).collect();
            if ids.is_empty() {
                continue;
            }
            // Paged by hand so that every page takes its turn.
            let mut marker = None;
            loop {
                self.pace.turn("rds").await;
                let page = self
                    .clients
                    .rds
                    .describe_events()
                    .source_type(source_type.clone())
                    // One resource: only its events, not every instance's in the account.
                    .set_source_identifier((ids.len() == 1).then(|| ids[0].to_owned()))
                    .start_time(sdk_time(since))
                    .set_marker(marker)
                    .send()
                    .await
                    .map_err(|e| classify("rds:DescribeEvents", &e))?;
                for event in page.events() {
                    let (Some(id), Some(at)) = (event.source_identifier(), timestamp(event.date())) else {
                        continue;
                    };
                    if ids.contains(&id) && is_completion(event.message().unwrap_or_default()) {
                        let newest = times.entry(id.to_owned()).or_insert(at);
                        *newest = (*newest).max(at);
                    }
                }
                marker = page.marker().filter(|m| !m.is_empty()).map(str::to_owned);
                if marker.is_none() {
                    break;
                }
            }
        }
        Ok(times)
    }

    /// The tags of a DB instance or cluster, or `None` when it is gone (or going).
    pub async fn db_tags(&self, resource: &ResourceRef) -> Result<Option<Tags>, CloudError> {
        let rds = &self.clients.rds;
        let id = resource.id.as_str();
        let (tags, status) = if resource.kind == ResourceType::DbCluster {
            let found = rds.describe_db_clusters().db_cluster_identifier(id).send().await;
            match found.map_err(|e| classify("rds:DescribeDBClusters", &e)) {
                Ok(found) => match found.db_clusters().first() {
                    Some(c) => (rds_tag_map(c.tag_list()), c.status().unwrap_or("").to_owned()),
                    None => return Ok(None),
                },
                Err(CloudError::NotFound(_)) => return Ok(None),
                Err(error) => return Err(error),
            }
        } else {
            let found = rds.describe_db_instances().db_instance_identifier(id).send().await;
            match found.map_err(|e| classify("rds:DescribeDBInstances", &e)) {
                Ok(found) => match found.db_instances().first() {
                    Some(i) => (
                        rds_tag_map(i.tag_list()),
                        i.db_instance_status().unwrap_or("").to_owned(),
                    ),
                    None => return Ok(None),
                },
                Err(CloudError::NotFound(_)) => return Ok(None),
                Err(error) => return Err(error),
            }
        };
        // Being deleted: as good as gone for teardown, which waits for it separately.
        if status == "deleting" {
            return Ok(None);
        }
        Ok(Some(tags))
    }
}

/// A create that answers "already exists" for a name made from this run's token found
/// what an earlier attempt of the same step made (its answer was throttled or lost):
/// that is the step done, not an error.
pub(super) fn ours_already<T>(made: Result<T, CloudError>) -> Result<(), CloudError> {
    match made {
        Ok(_) => Ok(()),
        Err(CloudError::Failed(message)) if message.contains("AlreadyExists") => Ok(()),
        Err(error) => Err(error),
    }
}

/// What RDS says of a restored instance or cluster, as far as checks care.
struct Database<'a> {
    id: &'a str,
    /// Address and port, where RDS gives an endpoint.
    endpoint: Option<(&'a str, i32)>,
    engine: Option<&'a str>,
    database: Option<&'a str>,
    arn: Option<&'a str>,
}

/// The outputs checks template from a database (`ResourceKind::outputs`): always `id`
/// and `engine`; `endpoint` and `port`, `database` and `arn` where RDS gives them.
fn database_outputs(db: Database<'_>) -> BTreeMap<String, String> {
    let mut outputs = BTreeMap::from([
        ("id".to_owned(), db.id.to_owned()),
        ("engine".to_owned(), db.engine.unwrap_or_default().to_owned()),
    ]);
    if let Some((address, port)) = db.endpoint {
        outputs.insert("endpoint".to_owned(), address.to_owned());
        outputs.insert("port".to_owned(), port.to_string());
    }
    for (key, value) in [("database", db.database), ("arn", db.arn)] {
        if let Some(value) = value {
            outputs.insert(key.to_owned(), value.to_owned());
        }
    }
    outputs
}

/// Whether an RDS event says a restore or creation finished.
fn is_completion(message: &str) -> bool {
    let message = message.to_lowercase();
    message.contains("restored from")
        || message.contains("point in time")
        || message.contains("db instance created")
        || message.contains("db cluster created")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rds_states_a_restore_cannot_leave_fail_it_and_passing_states_wait() {
        for failed in [
            "inaccessible-encryption-credentials",
            "inaccessible-encryption-credentials-recoverable",
            "incompatible-network",
            "incompatible-option-group",
            "incompatible-restore",
            "insufficient-capacity",
            "restore-error",
            "storage-full",
            "failed",
            "deleting",
        ] {
            assert!(instance_cannot_come_up(failed), "instance {failed}");
        }
        for failed in [
            "inaccessible-encryption-credentials",
            "inaccessible-encryption-credentials-recoverable",
            "cloning-failed",
            "deleting",
        ] {
            assert!(cluster_cannot_come_up(failed), "cluster {failed}");
        }
        for passing in [
            "creating",
            "backing-up",
            "modifying",
            "configuring-enhanced-monitoring",
            "rebooting",
        ] {
            assert!(!instance_cannot_come_up(passing), "instance {passing}");
            assert!(!cluster_cannot_come_up(passing), "cluster {passing}");
        }
    }

    #[test]
    fn point_in_time_is_latest_or_an_earlier_time() {
        let latest: Timestamp = "2026-11-25T12:00:00Z".parse().unwrap();
        assert_eq!(restore_time("latest", latest, "db").unwrap(), latest);
        assert_eq!(
            restore_time("2026-11-25T11:00:00Z", latest, "db").unwrap(),
            "2026-11-25T11:00:00Z".parse::<Timestamp>().unwrap()
        );
        let later = restore_time("2026-11-25T13:00:00Z", latest, "db").unwrap_err();
        assert!(later.to_string().contains("up to"), "{later}");
        assert!(restore_time("yesterday", latest, "db").is_err());
    }

    #[test]
    fn cluster_instances_are_named_after_their_cluster() {
        assert_eq!(cluster_instance_identifier("fd-aurora-x"), "fd-aurora-x-1");
        assert_eq!(cluster_instance_identifier(&"a".repeat(63)).len(), 63);
    }

    #[test]
    fn completion_events_are_recognised() {
        assert!(is_completion("Restored from snapshot orders-prod-newer"));
        assert!(is_completion(
            "Restored from DB instance orders-prod to 2026-11-25 11:00:00"
        ));
        assert!(is_completion("DB instance created"));
        assert!(!is_completion("Backing up DB instance"));
    }

    #[test]
    fn db_identifiers_follow_rds_rules() {
        assert_eq!(
            db_identifier("fd-demo-20261125T102113Z-scwsoe-orders-db"),
            "fd-demo-20261125t102113z-scwsoe-orders-db"
        );
        assert_eq!(db_identifier("9lives__x"), "fd-9lives-x");
        let long = db_identifier(&format!("fd-{}", "a".repeat(100)));
        assert_eq!(long.len(), 63);
        let (one, two) = (
            db_identifier(&format!("fd-{}-20261125T102113Z-aaaaaa-db", "s".repeat(40))),
            db_identifier(&format!("fd-{}-20261125T102113Z-bbbbbb-db", "s".repeat(40))),
        );
        assert!(one.len() <= 63 && two.len() <= 63);
        assert_ne!(one, two, "long names that share a start still differ");
        assert!(!db_identifier("fd-x-").ends_with('-'));
    }
}
