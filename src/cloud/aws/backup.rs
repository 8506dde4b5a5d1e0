//! AWS Backup restores: the recovery point a source names (completed, in its vault), the
//! restore metadata AWS Backup gives for it with the network, names and identity
//! overridden into the isolated VPC, StartRestoreJob (no source tags copied; the job
//! takes no tags, so what it creates is tagged when it completes), and one
//! ListRestoreJobs per poll for every job in flight.

use std::collections::BTreeMap;

use aws_sdk_backup::types::RestoreJobStatus;
use jiff::Timestamp;

use super::errors::classify;
use super::rds::{cluster_instance_identifier, db_identifier};
use super::{AwsCloud, sdk_time, timestamp};
use crate::cloud::{CloudError, Environment, RecoveryPoint, ResourceRef, ResourceType, RestoreStatus, Tags};
use crate::scenario::{AwsBackupSource, Overrides, RecoveryPointSelector, ResourceKind};

/// The restore role AWS Backup uses by default in an account.
pub fn restore_role_arn(source: &AwsBackupSource, partition: &str, account: &str) -> String {
    source
        .restore_role
        .clone()
        .unwrap_or_else(|| format!("arn:{partition}:iam::{account}:role/firedrill-restore/firedrill-restore"))
}

/// AWS Backup's resource type names, as ListRestoreJobs and StartRestoreJob use them.
fn backup_type(kind: ResourceKind) -> &'static str {
    match kind {
        ResourceKind::RdsInstance => "RDS",
        ResourceKind::AuroraCluster => "Aurora",
        ResourceKind::EbsVolume => "EBS",
        ResourceKind::Ec2Instance => "EC2",
    }
}

fn kind_of_backup_type(name: &str) -> Option<ResourceKind> {
    Some(match name {
        "RDS" => ResourceKind::RdsInstance,
        "Aurora" => ResourceKind::AuroraCluster,
        "EBS" => ResourceKind::EbsVolume,
        "EC2" => ResourceKind::Ec2Instance,
        _ => return None,
    })
}

/// Where the restored copy goes and what it is called.
#[derive(Debug, Clone, PartialEq)]
pub struct Placement<'a> {
    pub environment: &'a Environment,
    /// The zone of the environment's first subnet (volumes must be where the runner is).
    pub zone: &'a str,
    pub token: &'a str,
    pub overrides: &'a Overrides,
}

/// The keys of AWS Backup's own restore metadata (GetRecoveryPointRestoreMetadata) that
/// are kept: what the copy is (engine, class, size), never where it goes. The rest of
/// that metadata names production's network (subnets, security groups, network
/// interfaces, zones), so it is left out rather than overridden key by key.
fn kept_keys(kind: ResourceKind) -> &'static [&'static str] {
    match kind {
        ResourceKind::RdsInstance => &[
            "DBInstanceClass",
            "Engine",
            "EngineVersion",
            "LicenseModel",
            "StorageType",
            "Iops",
            "StorageThroughput",
            "DBName",
            "OptionGroupName",
            "DBParameterGroupName",
        ],
        ResourceKind::AuroraCluster => &[
            "Engine",
            "EngineVersion",
            "EngineMode",
            "DatabaseName",
            "KmsKeyId",
            "DBClusterParameterGroupName",
        ],
        ResourceKind::EbsVolume => &[
            "volumeType",
            "volumeSize",
            "iops",
            "throughput",
            "encrypted",
            "kmsKeyId",
        ],
        ResourceKind::Ec2Instance => &["InstanceType"],
    }
}

/// The metadata of a restore: the kept keys of AWS Backup's own metadata, then everything
/// that decides where the copy lands set by firedrill, so that it can only land inside
/// the isolated VPC, privately, without deletion protection, under a name made from the
/// token (AWS Backup takes the values as strings, lists as JSON arrays). A database
/// needs the environment's DB subnet group: without one it is an error, never a copy in
/// the default VPC.
pub fn restore_metadata(
    kind: ResourceKind,
    original: &BTreeMap<String, String>,
    placement: &Placement<'_>,
) -> Result<BTreeMap<String, String>, CloudError> {
    let mut metadata: BTreeMap<String, String> = original
        .iter()
        .filter(|(key, _)| kept_keys(kind).contains(&key.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let groups = serde_json::json!([placement.environment.security_group_id]).to_string();
    let mut set = |key: &str, value: String| {
        metadata.insert(key.to_owned(), value);
    };
    let overrides = placement.overrides;
    match kind {
        ResourceKind::RdsInstance => {
            set("DBInstanceIdentifier", db_identifier(placement.token));
            set(
                "DBSubnetGroupName",
                placement.environment.database_subnets()?.to_owned(),
            );
            set("VpcSecurityGroupIds", groups);
            set("PubliclyAccessible", "false".into());
            set("MultiAZ", "false".into());
            set("DeletionProtection", "false".into());
            set("CopyTagsToSnapshot", "false".into());
            if let Some(class) = &overrides.instance_class {
                set("DBInstanceClass", class.clone());
            }
            if let Some(group) = &overrides.parameter_group {
                set("DBParameterGroupName", group.clone());
            }
        }
        ResourceKind::AuroraCluster => {
            set("DBClusterIdentifier", db_identifier(placement.token));
            set(
                "DBSubnetGroupName",
                placement.environment.database_subnets()?.to_owned(),
            );
            set("VpcSecurityGroupIds", groups);
            set("DeletionProtection", "false".into());
            set("CopyTagsToSnapshot", "false".into());
            if let Some(key) = &overrides.kms_key {
                set("KmsKeyId", key.clone());
            }
            if let Some(group) = &overrides.parameter_group {
                set("DBClusterParameterGroupName", group.clone());
            }
        }
        ResourceKind::EbsVolume => {
            set("availabilityZone", placement.zone.to_owned());
            if let Some(key) = &overrides.kms_key {
                set("encrypted", "true".into());
                set("kmsKeyId", key.clone());
            }
        }
        ResourceKind::Ec2Instance => {
            set(
                "SubnetId",
                placement.environment.subnet_ids.first().cloned().unwrap_or_default(),
            );
            set("SecurityGroupIds", groups);
            set("RequireIMDSv2", "true".into());
            if let Some(profile) = &placement.environment.instance_profile {
                set("IamInstanceProfileName", profile.clone());
            }
            if let Some(instance_type) = &overrides.instance_type {
                set("InstanceType", instance_type.clone());
            }
        }
    }
    Ok(metadata)
}

/// What the run asked of an AWS Backup restore job it started, kept until the job's copy
/// is made the run's own.
#[derive(Debug, Clone)]
pub struct StartedJob {
    pub tags: crate::cloud::Tags,
    pub overrides: Overrides,
}

/// The resource an AWS Backup CreatedResourceArn names.
pub fn created_resource(arn: &str) -> Option<ResourceRef> {
    let resource = arn.splitn(6, ':').nth(5)?;
    let service = arn.split(':').nth(2)?;
    let (kind, id) = match (service, resource.split_once([':', '/'])?) {
        ("rds", ("db", id)) => (ResourceType::DbInstance, id),
        ("rds", ("cluster", id)) => (ResourceType::DbCluster, id),
        ("ec2", ("volume", id)) => (ResourceType::Volume, id),
        ("ec2", ("instance", id)) => (ResourceType::Instance, id),
        _ => return None,
    };
    Some(ResourceRef::new(kind, id))
}

/// The run's start, read back from a restore token (`fd-<scenario>-<utc time>-<random>-<restore>`).
fn run_start(token: &str) -> Option<Timestamp> {
    token.split('-').find_map(|part| {
        let civil = jiff::civil::DateTime::strptime("%Y%m%dT%H%M%SZ", part).ok()?;
        jiff::tz::TimeZone::UTC.to_timestamp(civil).ok()
    })
}

impl AwsCloud {
    /// The recovery point a source names, COMPLETED and in its vault.
    pub async fn find_backup_point(&self, source: &AwsBackupSource) -> Result<RecoveryPoint, CloudError> {
        let backup = &self.clients.backup;
        if let RecoveryPointSelector::Arn(arn) = &source.recovery_point {
            let point = backup
                .describe_recovery_point()
                .backup_vault_name(&source.vault)
                .recovery_point_arn(arn)
                .send()
                .await
                .map_err(|e| classify("backup:DescribeRecoveryPoint", &e))?;
            let status = point.status().map(|s| s.as_str()).unwrap_or("");
            if status != "COMPLETED" {
                return Err(CloudError::Failed(format!(
                    "recovery point {arn} is {status}, not COMPLETED: it cannot be restored"
                )));
            }
            let kind = point.resource_type().and_then(kind_of_backup_type).ok_or_else(|| {
                CloudError::Failed(format!("recovery point {arn} is of a kind firedrill cannot restore"))
            })?;
            return Ok(RecoveryPoint {
                id: arn.clone(),
                data_time: timestamp(point.creation_date())
                    .ok_or_else(|| CloudError::Failed(format!("recovery point {arn} has no creation date")))?,
                kind,
                point_in_time: false,
            });
        }
        let resource = source.resource_arn.as_deref().unwrap_or_default();
        let window = match &source.recovery_point {
            RecoveryPointSelector::Window(window) => Some((
                window
                    .from
                    .parse::<Timestamp>()
                    .map_err(|e| CloudError::Failed(e.to_string()))?,
                window
                    .to
                    .parse::<Timestamp>()
                    .map_err(|e| CloudError::Failed(e.to_string()))?,
            )),
            _ => None,
        };
        let mut pages = backup
            .list_recovery_points_by_resource()
            .resource_arn(resource)
            .into_paginator()
            .send();
        let mut newest: Option<(Timestamp, String)> = None;
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| classify("backup:ListRecoveryPointsByResource", &e))?;
            for point in page.recovery_points() {
                let completed = point.status().map(|s| s.as_str()) == Some("COMPLETED");
                let in_vault = point.backup_vault_name() == Some(source.vault.as_str());
                let (Some(created), Some(arn)) = (timestamp(point.creation_date()), point.recovery_point_arn()) else {
                    continue;
                };
                let in_window = window.is_none_or(|(from, to)| from <= created && created <= to);
                if completed && in_vault && in_window && newest.as_ref().is_none_or(|(t, _)| created > *t) {
                    newest = Some((created, arn.to_owned()));
                }
            }
        }
        let (data_time, id) = newest.ok_or_else(|| {
            CloudError::NotFound(format!(
                "no COMPLETED recovery point of {resource} in vault {}{}",
                source.vault,
                if window.is_some() { " inside the window" } else { "" }
            ))
        })?;
        let kind = crate::scenario::RestoreSource::AwsBackup(source.clone())
            .kind()
            .ok_or_else(|| CloudError::Failed(format!("cannot tell what kind of resource {resource} is")))?;
        Ok(RecoveryPoint {
            id,
            data_time,
            kind,
            point_in_time: false,
        })
    }

    /// Starts the restore job; returns its id and its CreationDate.
    pub async fn start_backup_restore(
        &self,
        source: &AwsBackupSource,
        point: &RecoveryPoint,
        placement: &Placement<'_>,
        tags: &Tags,
    ) -> Result<(ResourceRef, Timestamp), CloudError> {
        let backup = &self.clients.backup;
        let original = backup
            .get_recovery_point_restore_metadata()
            .backup_vault_name(&source.vault)
            .recovery_point_arn(&point.id)
            .send()
            .await
            .map_err(|e| classify("backup:GetRecoveryPointRestoreMetadata", &e))?;
        let original: BTreeMap<String, String> = original
            .restore_metadata()
            .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
            .unwrap_or_default();
        let metadata = restore_metadata(point.kind, &original, placement)?;
        let role = restore_role_arn(source, super::iam::partition(&self.region), &self.account().await?);
        let started = backup
            .start_restore_job()
            .recovery_point_arn(&point.id)
            .set_metadata(Some(metadata.into_iter().collect()))
            .iam_role_arn(role)
            .idempotency_token(super::fit(placement.token, 64))
            .resource_type(backup_type(point.kind))
            .copy_source_tags_to_restored_resource(false)
            .send()
            .await
            .map_err(|e| classify("backup:StartRestoreJob", &e))?;
        let job = started
            .restore_job_id()
            .ok_or_else(|| CloudError::Failed("StartRestoreJob returned no job id".into()))?
            .to_owned();
        self.job_tags.lock().unwrap_or_else(|p| p.into_inner()).insert(
            job.clone(),
            StartedJob {
                tags: tags.clone(),
                overrides: placement.overrides.clone(),
            },
        );
        // The job exists now, whatever happens next: a failed look at its start time
        // must not lose it (it could not be found again by its token), so the time of
        // the answer stands in for CreationDate then.
        let described = backup.describe_restore_job().restore_job_id(&job).send().await;
        let created = described
            .ok()
            .and_then(|d| timestamp(d.creation_date()))
            .unwrap_or_else(Timestamp::now);
        Ok((ResourceRef::new(ResourceType::RestoreJob, job), created))
    }

    /// Every job asked about, from one ListRestoreJobs (paged) of the jobs created since
    /// the earliest of them started.
    pub async fn observe_backup_jobs(
        &self,
        jobs: &[(String, Timestamp)],
    ) -> Result<BTreeMap<String, RestoreStatus>, CloudError> {
        let Some(since) = jobs.iter().map(|(_, t)| *t).min() else {
            return Ok(BTreeMap::new());
        };
        let since = since
            .saturating_sub(jiff::SignedDuration::from_mins(5))
            .unwrap_or(since);
        let mut listed = BTreeMap::new();
        // Paged by hand so that every page takes its turn.
        let mut next_token = None;
        loop {
            self.pace.turn("backup").await;
            let page = self
                .clients
                .backup
                .list_restore_jobs()
                .by_created_after(sdk_time(since))
                .set_next_token(next_token)
                .send()
                .await
                .map_err(|e| classify("backup:ListRestoreJobs", &e))?;
            for job in page.restore_jobs() {
                if let Some(id) = job.restore_job_id() {
                    listed.insert(id.to_owned(), job.clone());
                }
            }
            next_token = page.next_token().filter(|t| !t.is_empty()).map(str::to_owned);
            if next_token.is_none() {
                break;
            }
        }
        let mut statuses = BTreeMap::new();
        for (id, _) in jobs {
            let Some(job) = listed.get(id) else { continue };
            let status = match job.status() {
                Some(RestoreJobStatus::Completed) => self.completed_job(id, job).await?,
                _ => unfinished_status(id, job),
            };
            statuses.insert(id.clone(), status);
        }
        Ok(statuses)
    }

    /// A completed job's copy, described so that checks get its outputs; an Aurora
    /// cluster first gets its instance (tagged at creation) and is ready with it.
    async fn completed_job(
        &self,
        id: &str,
        job: &aws_sdk_backup::types::RestoreJobsListMember,
    ) -> Result<RestoreStatus, CloudError> {
        let arn = job.created_resource_arn().unwrap_or_default();
        let resource = created_resource(arn).ok_or_else(|| {
            CloudError::Failed(format!(
                "restore job {id} completed with a resource firedrill cannot read: `{arn}`"
            ))
        })?;
        let completed_at = timestamp(job.completion_date()).unwrap_or_else(Timestamp::now);
        // The copy is the run's from the moment the job completes, whatever state it is
        // in (a copy that came back broken must still be found by tag and deleted); once
        // tagged, the job's tags are dropped, so this happens once.
        let started = self.job_tags.lock().unwrap_or_else(|p| p.into_inner()).remove(id);
        let tags = started.as_ref().map(|s| &s.tags);
        if let Some(tags) = tags {
            self.add_tags(&resource, tags).await?;
        }
        let copy = match resource.kind {
            ResourceType::DbInstance => {
                self.observe_db_instances(std::slice::from_ref(&resource.id), completed_at)
                    .await?
            }
            ResourceType::DbCluster => {
                let instance = ResourceRef::new(ResourceType::DbInstance, cluster_instance_identifier(&resource.id));
                let has_instance = self.db_tags(&instance).await?.is_some();
                if let (Some(started), false) = (&started, has_instance) {
                    // The instance of the class the scenario asked for (AWS Backup's
                    // metadata has no place for it: the cluster comes without instances).
                    let engine = self.cluster_engine(&resource.id).await?;
                    self.add_cluster_instance(&resource.id, &engine, &started.overrides, &started.tags)
                        .await?;
                }
                if tags.is_none() && !has_instance {
                    // A job of another process (cleanup after a crash): the cluster as it
                    // is, so that it is tagged and deleted rather than waited for forever.
                    let mut ready = self
                        .observe_db_clusters(std::slice::from_ref(&resource.id), Timestamp::now())
                        .await?;
                    ready.insert(
                        resource.id.clone(),
                        RestoreStatus::Ready {
                            resource: resource.clone(),
                            completed_at,
                            outputs: BTreeMap::new(),
                            also_created: Vec::new(),
                        },
                    );
                    ready
                } else {
                    let mut copy = self
                        .observe_db_clusters(std::slice::from_ref(&resource.id), Timestamp::now())
                        .await?;
                    if let Some(RestoreStatus::Ready { also_created, .. }) = copy.get_mut(&resource.id) {
                        also_created.push(instance);
                    }
                    copy
                }
            }
            ResourceType::Instance => {
                // An EC2 copy comes with volumes of its own, made untagged by AWS Backup:
                // tagged as the run's too, so that teardown and cleanup find and delete
                // them (those not deleted on termination would otherwise stay, billed).
                let volumes = self.instance_volumes(&resource.id).await?;
                if let Some(tags) = tags {
                    for volume in &volumes {
                        self.add_tags(volume, tags).await?;
                    }
                }
                let mut copy = self
                    .observe_ec2(&[], std::slice::from_ref(&resource.id), completed_at)
                    .await?;
                if let Some(RestoreStatus::Ready { also_created, .. }) = copy.get_mut(&resource.id) {
                    also_created.extend(volumes);
                }
                copy
            }
            _ => {
                self.observe_ec2(std::slice::from_ref(&resource.id), &[], completed_at)
                    .await?
            }
        };
        Ok(copy
            .get(&resource.id)
            .cloned()
            .unwrap_or(RestoreStatus::Running { expected_minutes: None }))
    }

    /// The job started with `token`, found among the jobs created since the run began by
    /// the name the token gave its copy (RDS and Aurora copies are named from it). EBS and
    /// EC2 copies carry no such name: their lost starts cannot be told from others' jobs.
    pub async fn backup_job_by_token(&self, token: &str) -> Result<Option<ResourceRef>, CloudError> {
        let Some(start) = run_start(token) else {
            return Ok(None);
        };
        let since = start
            .saturating_sub(jiff::SignedDuration::from_mins(5))
            .unwrap_or(start);
        let name = db_identifier(token);
        let mut pages = self
            .clients
            .backup
            .list_restore_jobs()
            .by_created_after(sdk_time(since))
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| classify("backup:ListRestoreJobs", &e))?;
            for job in page.restore_jobs() {
                let created = job.created_resource_arn().and_then(created_resource);
                if created.is_some_and(|r| r.id == name)
                    && let Some(id) = job.restore_job_id()
                {
                    return Ok(Some(ResourceRef::new(ResourceType::RestoreJob, id)));
                }
            }
        }
        Ok(None)
    }

    /// The account the clients act in (STS GetCallerIdentity, asked once).
    pub async fn account(&self) -> Result<String, CloudError> {
        if let Some(account) = self.account.lock().unwrap_or_else(|p| p.into_inner()).clone() {
            return Ok(account);
        }
        let identity = self
            .clients
            .sts
            .get_caller_identity()
            .send()
            .await
            .map_err(|e| classify("sts:GetCallerIdentity", &e))?;
        let account = identity
            .account()
            .ok_or_else(|| CloudError::Failed("GetCallerIdentity returned no account".into()))?
            .to_owned();
        *self.account.lock().unwrap_or_else(|p| p.into_inner()) = Some(account.clone());
        Ok(account)
    }
}

/// The status of a job that has not completed: aborted and failed jobs with AWS's reason;
/// any other job runs, with AWS's estimate of its total time where it gives one
/// (`ExpectedCompletionTimeMinutes` is optional in `ListRestoreJobs`' answer).
fn unfinished_status(id: &str, job: &aws_sdk_backup::types::RestoreJobsListMember) -> RestoreStatus {
    match job.status() {
        Some(status @ (RestoreJobStatus::Aborted | RestoreJobStatus::Failed)) => RestoreStatus::Failed {
            message: format!(
                "AWS Backup restore job {id} {}: {}",
                status.as_str(),
                job.status_message().unwrap_or("no reason given")
            ),
        },
        _ => RestoreStatus::Running {
            expected_minutes: job
                .expected_completion_time_minutes()
                .and_then(|m| u32::try_from(m).ok()),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn environment() -> Environment {
        Environment {
            vpc_id: "vpc-1".into(),
            subnet_ids: vec!["subnet-a".into(), "subnet-b".into()],
            security_group_id: "sg-iso".into(),
            db_subnet_group: Some("fd-x-subnets".into()),
            instance_profile: Some("fd-x-runner".into()),
            resources: vec![],
        }
    }

    fn original(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    #[test]
    fn an_ec2_copy_can_only_land_in_the_isolated_subnet() {
        let environment = environment();
        let placement = Placement {
            environment: &environment,
            zone: "us-east-1a",
            token: "fd-x-20261125T120000Z-abcdef-app",
            overrides: &Overrides::default(),
        };
        let metadata = restore_metadata(
            ResourceKind::Ec2Instance,
            &original(&[
                ("InstanceType", "m5.large"),
                ("SubnetId", "subnet-prod"),
                ("SecurityGroupIds", "[\"sg-prod\"]"),
                (
                    "NetworkInterfaces",
                    "[{\"SubnetId\":\"subnet-prod\",\"AssociatePublicIpAddress\":true}]",
                ),
                ("Placement", "{\"AvailabilityZone\":\"us-east-1c\"}"),
                ("IamInstanceProfileName", "prod-app"),
            ]),
            &placement,
        )
        .unwrap();
        assert_eq!(metadata["SubnetId"], "subnet-a");
        assert_eq!(metadata["SecurityGroupIds"], "[\"sg-iso\"]");
        assert_eq!(metadata["IamInstanceProfileName"], "fd-x-runner");
        assert_eq!(metadata["RequireIMDSv2"], "true");
        assert_eq!(metadata["InstanceType"], "m5.large", "kept unless overridden");
        assert!(!metadata.contains_key("NetworkInterfaces") && !metadata.contains_key("Placement"));
        assert!(!metadata.values().any(|v| v.contains("prod")), "{metadata:?}");
    }

    #[test]
    fn a_database_copy_is_private_named_from_the_token_and_deletable() {
        let environment = environment();
        let overrides = Overrides {
            instance_class: Some("db.t3.medium".into()),
            ..Overrides::default()
        };
        let placement = Placement {
            environment: &environment,
            zone: "us-east-1a",
            token: "fd-x-20261125T120000Z-abcdef-orders-db",
            overrides: &overrides,
        };
        let metadata = restore_metadata(
            ResourceKind::RdsInstance,
            &original(&[
                ("DBInstanceIdentifier", "orders-prod"),
                ("DBSubnetGroupName", "prod-subnets"),
                ("PubliclyAccessible", "true"),
                ("DeletionProtection", "true"),
                ("AvailabilityZone", "us-east-1c"),
                ("Engine", "postgres"),
            ]),
            &placement,
        )
        .unwrap();
        assert_eq!(
            metadata["DBInstanceIdentifier"],
            "fd-x-20261125t120000z-abcdef-orders-db"
        );
        assert_eq!(metadata["DBSubnetGroupName"], "fd-x-subnets");
        assert_eq!(metadata["PubliclyAccessible"], "false");
        assert_eq!(metadata["DeletionProtection"], "false");
        assert_eq!(metadata["DBInstanceClass"], "db.t3.medium");
        assert_eq!(metadata["Engine"], "postgres");
        assert!(!metadata.contains_key("AvailabilityZone"));
        let aurora = restore_metadata(
            ResourceKind::AuroraCluster,
            &original(&[
                ("DBClusterIdentifier", "orders"),
                ("AvailabilityZones", "[\"us-east-1c\"]"),
            ]),
            &placement,
        )
        .unwrap();
        assert_eq!(aurora["DBClusterIdentifier"], "fd-x-20261125t120000z-abcdef-orders-db");
        assert!(!aurora.contains_key("AvailabilityZones"));
    }

    #[test]
    fn a_volume_copy_is_made_in_the_runners_zone() {
        let environment = environment();
        let placement = Placement {
            environment: &environment,
            zone: "us-east-1a",
            token: "t",
            overrides: &Overrides::default(),
        };
        let metadata = restore_metadata(
            ResourceKind::EbsVolume,
            &original(&[
                ("availabilityZone", "us-east-1c"),
                ("volumeId", "vol-prod"),
                ("volumeType", "gp3"),
            ]),
            &placement,
        )
        .unwrap();
        assert_eq!(metadata["availabilityZone"], "us-east-1a");
        assert_eq!(metadata["volumeType"], "gp3");
        assert!(!metadata.contains_key("volumeId"));
    }

    #[test]
    fn created_resource_arns_are_read() {
        assert_eq!(
            created_resource("arn:aws:rds:us-east-1:123456789012:db:fd-x-orders-db"),
            Some(ResourceRef::new(ResourceType::DbInstance, "fd-x-orders-db"))
        );
        assert_eq!(
            created_resource("arn:aws:rds:us-east-1:123456789012:cluster:fd-x-aurora"),
            Some(ResourceRef::new(ResourceType::DbCluster, "fd-x-aurora"))
        );
        assert_eq!(
            created_resource("arn:aws:ec2:us-east-1:123456789012:volume/vol-0abc"),
            Some(ResourceRef::new(ResourceType::Volume, "vol-0abc"))
        );
        assert_eq!(
            created_resource("arn:aws:ec2:us-east-1:123456789012:instance/i-0abc"),
            Some(ResourceRef::new(ResourceType::Instance, "i-0abc"))
        );
        assert_eq!(created_resource("arn:aws:s3:::bucket"), None);
        assert_eq!(created_resource("nonsense"), None);
    }

    #[test]
    fn a_tokens_run_start_is_read_back() {
        assert_eq!(
            run_start("fd-orders-20261125T120000Z-abcdef-db"),
            Some("2026-11-25T12:00:00Z".parse().unwrap())
        );
        assert_eq!(run_start("no-time-here"), None);
    }

    #[test]
    fn an_unfinished_job_runs_with_aws_estimate_or_fails_with_its_reason() {
        use aws_sdk_backup::types::RestoreJobsListMember as Job;
        let job = |status: RestoreJobStatus, minutes: Option<i64>| {
            Job::builder()
                .status(status)
                .set_expected_completion_time_minutes(minutes)
                .build()
        };
        let running = |minutes| RestoreStatus::Running {
            expected_minutes: minutes,
        };
        assert_eq!(
            unfinished_status("j", &job(RestoreJobStatus::Running, Some(3))),
            running(Some(3))
        );
        assert_eq!(
            unfinished_status("j", &job(RestoreJobStatus::Pending, None)),
            running(None)
        );
        assert_eq!(
            unfinished_status("j", &job(RestoreJobStatus::Running, Some(-1))),
            running(None),
            "a nonsensical estimate is no estimate"
        );
        let failed = Job::builder()
            .status(RestoreJobStatus::Failed)
            .status_message("Insufficient capacity")
            .build();
        assert_eq!(
            unfinished_status("job-1", &failed),
            RestoreStatus::Failed {
                message: "AWS Backup restore job job-1 FAILED: Insufficient capacity".into()
            }
        );
        let aborted = job(RestoreJobStatus::Aborted, None);
        assert!(matches!(
            unfinished_status("job-2", &aborted),
            RestoreStatus::Failed { message } if message.ends_with("ABORTED: no reason given")
        ));
    }
}
