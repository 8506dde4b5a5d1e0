//! `Cloud` for AWS: each method of the trait, mapped onto the service files (network,
//! rds, ec2, backup, iam, ssm, guard). Restores in flight are observed with one describe
//! per service and kind per round, whatever their number: every DB instance (standalone
//! or an Aurora cluster's) in one DescribeDBInstances, the clusters in one
//! DescribeDBClusters, volumes and instances in one DescribeVolumes and one
//! DescribeInstances, every AWS Backup job in one ListRestoreJobs. Calls to one service
//! take turns at most one a second (`pace`).

use std::collections::BTreeMap;

use jiff::Timestamp;

use super::AwsCloud;
use super::backup::Placement;
use super::errors::classify;
use crate::cloud::*;
use crate::scenario::{Isolation, RestoreSource};

impl AwsCloud {
    /// The zone of the environment's first subnet, where volumes and the runner go.
    async fn first_zone(&self, environment: &Environment) -> Result<String, CloudError> {
        let subnet = environment
            .subnet_ids
            .first()
            .ok_or(CloudError::Failed("the environment has no subnet".into()))?;
        let found = self
            .clients
            .ec2
            .describe_subnets()
            .subnet_ids(subnet)
            .send()
            .await
            .map_err(|e| classify("ec2:DescribeSubnets", &e))?;
        found
            .subnets()
            .first()
            .and_then(|s| s.availability_zone())
            .map(str::to_owned)
            .ok_or_else(|| CloudError::Failed(format!("subnet {subnet} has no zone")))
    }

    /// Replaces the harness's detection time with RDS's own event time where RDS has one
    /// that can be the restore's end (`completion_time`); `starts` are the restores'
    /// start times by id.
    async fn with_rds_completion(
        &self,
        statuses: &mut BTreeMap<String, RestoreStatus>,
        starts: &BTreeMap<String, Timestamp>,
    ) -> Result<(), CloudError> {
        let mut ready: Vec<ResourceRef> = Vec::new();
        for status in statuses.values() {
            if let RestoreStatus::Ready { resource, .. } = status {
                match resource.kind {
                    ResourceType::DbInstance => ready.push(resource.clone()),
                    ResourceType::DbCluster => {
                        // A cluster's end is its one instance's: their events are asked together.
                        ready.push(resource.clone());
                        let member = super::rds::cluster_instance_identifier(&resource.id);
                        ready.push(ResourceRef::new(ResourceType::DbInstance, member));
                    }
                    _ => {}
                }
            }
        }
        let Some(since) = ready.iter().filter_map(|r| starts.get(&r.id)).min().copied() else {
            return Ok(());
        };
        // RDS's event time refines the detection time; without it (a throttled or failed
        // DescribeEvents) the detection time stands, with its lag reported.
        let Ok(times) = self.rds_completion_times(&ready, since).await else {
            return Ok(());
        };
        for status in statuses.values_mut() {
            if let RestoreStatus::Ready {
                resource, completed_at, ..
            } = status
                && let Some(started) = starts.get(&resource.id)
            {
                *completed_at = completion_time(resource, &times, *started, *completed_at);
            }
        }
        Ok(())
    }
}

/// When a ready RDS restore of `resource`, started at `started` and seen ready at
/// `detected`, finished: RDS's own event time (`times`, by id) where it has one that can
/// be this restore's end, else `detected`. An event is this restore's end only if it lies
/// after the restore began and no later than it was seen ready: one from before the
/// start (a name reused, a clock's skew) would shrink the RTO to nothing. A cluster is up
/// when its one instance is ("DB cluster created" comes minutes before the instance
/// firedrill adds answers): its end is the later of the two events, and needs both.
pub(crate) fn completion_time(
    resource: &ResourceRef,
    times: &BTreeMap<String, Timestamp>,
    started: Timestamp,
    detected: Timestamp,
) -> Timestamp {
    let event = |id: &str| times.get(id).copied().filter(|at| *at > started && *at <= detected);
    let end = match resource.kind {
        ResourceType::DbCluster => {
            let member = super::rds::cluster_instance_identifier(&resource.id);
            event(&resource.id)
                .zip(event(&member))
                .map(|(cluster, instance)| cluster.max(instance))
        }
        _ => event(&resource.id),
    };
    end.unwrap_or(detected)
}

/// Throttling that outlasted the SDK's own (adaptive) retries, in a step that creates
/// several things: retrying the whole step would create them again (a second VPC), so
/// it ends the step instead; what was made is journaled and torn down.
fn not_retried_whole(error: CloudError) -> CloudError {
    match error {
        CloudError::Throttled(message) => {
            CloudError::Failed(format!("{message} (still throttled after the SDK's retries)"))
        }
        other => other,
    }
}

impl Cloud for AwsCloud {
    fn api_calls(&self) -> BTreeMap<String, u64> {
        self.call_counts()
    }

    fn is_simulated(&self) -> bool {
        false
    }

    async fn find_recovery_point(&self, source: &RestoreSource) -> Result<RecoveryPoint, CloudError> {
        match source {
            RestoreSource::AwsBackup(source) => self.find_backup_point(source).await,
            RestoreSource::RdsSnapshot(source) => self.find_rds_snapshot(source).await,
            RestoreSource::RdsPointInTime(source) => self.find_rds_point_in_time(source).await,
            RestoreSource::AuroraClusterSnapshot(source) => self.find_aurora_snapshot(source).await,
            RestoreSource::AuroraPointInTime(source) => self.find_aurora_point_in_time(source).await,
            RestoreSource::EbsSnapshot(source) => self.find_ebs_snapshot(source).await,
            RestoreSource::Ami(source) => self.find_ami(source).await,
        }
    }

    async fn create_environment(
        &self,
        isolation: &Isolation,
        databases: bool,
        tags: &Tags,
        on_created: &dyn Fn(&ResourceRef),
    ) -> Result<Environment, CloudError> {
        let mut environment = self
            .create_network(isolation, databases, tags, on_created)
            .await
            .map_err(not_retried_whole)?;
        let run_id = tags.get(TAG_RUN_ID).cloned().unwrap_or_default();
        let on_profile = |name: &str| on_created(&ResourceRef::new(ResourceType::InstanceProfile, name));
        let profile = self
            .create_runner_identity(&run_id, tags, &on_profile)
            .await
            .map_err(not_retried_whole)?;
        environment
            .resources
            .push(ResourceRef::new(ResourceType::InstanceProfile, &profile));
        environment.instance_profile = Some(profile);
        Ok(environment)
    }

    async fn verify_isolation(&self, environment: &Environment) -> Result<IsolationReport, CloudError> {
        self.verify_network(environment).await
    }

    async fn start_restore(
        &self,
        environment: &Environment,
        request: &RestoreRequest,
    ) -> Result<RestoreHandle, CloudError> {
        let token = request.idempotency_token.as_str();
        let point = &request.recovery_point;
        let (overrides, tags) = (&request.overrides, &request.tags);
        let started_at = Timestamp::now();
        let (tracked, also_created, started_at) = match &request.source {
            RestoreSource::RdsSnapshot(_) => (
                self.restore_rds_snapshot(environment, &point.id, token, overrides, tags)
                    .await?,
                vec![],
                started_at,
            ),
            RestoreSource::RdsPointInTime(source) => (
                self.restore_rds_point_in_time(environment, source, point.data_time, token, overrides, tags)
                    .await?,
                vec![],
                started_at,
            ),
            RestoreSource::AuroraClusterSnapshot(_) => {
                let (cluster, instance) = self
                    .restore_aurora_snapshot(environment, &point.id, token, overrides, tags)
                    .await?;
                (cluster, vec![instance], started_at)
            }
            RestoreSource::AuroraPointInTime(source) => {
                let (cluster, instance) = self
                    .restore_aurora_point_in_time(environment, source, point.data_time, token, overrides, tags)
                    .await?;
                (cluster, vec![instance], started_at)
            }
            RestoreSource::EbsSnapshot(source) => (
                self.restore_ebs_snapshot(environment, source, &point.id, token, overrides, tags)
                    .await?,
                vec![],
                started_at,
            ),
            RestoreSource::Ami(source) => (
                self.launch_from_ami(environment, &source.image, token, overrides, tags)
                    .await?,
                vec![],
                started_at,
            ),
            RestoreSource::AwsBackup(source) => {
                let zone = self.first_zone(environment).await?;
                let placement = Placement {
                    environment,
                    zone: &zone,
                    token,
                    overrides,
                };
                let (job, created) = self.start_backup_restore(source, point, &placement, tags).await?;
                (job, vec![], created)
            }
        };
        Ok(RestoreHandle {
            restore: request.restore.clone(),
            tracked,
            started_at,
            also_created,
        })
    }

    async fn observe_restores(&self, handles: &[RestoreHandle]) -> Result<Vec<RestoreStatus>, CloudError> {
        let now = Timestamp::now();
        let ids = |kind: ResourceType| -> Vec<String> {
            handles
                .iter()
                .filter(|h| h.tracked.kind == kind)
                .map(|h| h.tracked.id.clone())
                .collect()
        };
        // The services are asked at once: each keeps its own pace, so a slow round on one
        // (RDS's events) does not delay the others.
        let rds = async {
            let mut statuses = BTreeMap::new();
            // Standalone instances and the clusters' instances in one DescribeDBInstances.
            let (instances, clusters) = (ids(ResourceType::DbInstance), ids(ResourceType::DbCluster));
            let members: Vec<String> = clusters
                .iter()
                .map(|c| super::rds::cluster_instance_identifier(c))
                .collect();
            let asked: Vec<String> = instances.iter().chain(&members).cloned().collect();
            if asked.is_empty() {
                return Ok(statuses);
            }
            let mut observed = self.observe_db_instances(&asked, now).await?;
            let members: BTreeMap<String, RestoreStatus> =
                members.iter().filter_map(|m| observed.remove_entry(m)).collect();
            statuses.extend(observed);
            if !clusters.is_empty() {
                statuses.extend(self.observe_db_clusters_with(&clusters, &members, now).await?);
            }
            let starts: BTreeMap<String, Timestamp> = handles
                .iter()
                .filter(|h| matches!(h.tracked.kind, ResourceType::DbInstance | ResourceType::DbCluster))
                .map(|h| (h.tracked.id.clone(), h.started_at))
                .collect();
            self.with_rds_completion(&mut statuses, &starts).await?;
            Ok::<_, CloudError>(statuses)
        };
        let ec2 = async {
            let (volumes, machines) = (ids(ResourceType::Volume), ids(ResourceType::Instance));
            if volumes.is_empty() && machines.is_empty() {
                return Ok(BTreeMap::new());
            }
            self.observe_ec2(&volumes, &machines, now).await
        };
        let backup = async {
            let jobs: Vec<(String, Timestamp)> = handles
                .iter()
                .filter(|h| h.tracked.kind == ResourceType::RestoreJob)
                .map(|h| (h.tracked.id.clone(), h.started_at))
                .collect();
            if jobs.is_empty() {
                return Ok(BTreeMap::new());
            }
            self.observe_backup_jobs(&jobs).await
        };
        let (rds, ec2, backup) = futures::join!(rds, ec2, backup);
        let mut statuses = rds?;
        statuses.extend(ec2?);
        statuses.extend(backup?);
        Ok(handles
            .iter()
            .map(|h| match (statuses.get(&h.tracked.id), h.tracked.kind) {
                (Some(status), _) => status.clone(),
                (None, kind @ (ResourceType::Volume | ResourceType::Instance)) => {
                    super::consistency::unseen(kind, &h.tracked.id, h.started_at, now)
                }
                (None, _) => RestoreStatus::Running { expected_minutes: None },
            })
            .collect())
    }

    async fn start_runner(
        &self,
        environment: &Environment,
        spec: &RunnerSpec,
        tags: &Tags,
    ) -> Result<RunnerHandle, CloudError> {
        match spec {
            RunnerSpec::Adopt(instance) => Ok(RunnerHandle {
                instance: instance.clone(),
                created: Vec::new(),
            }),
            RunnerSpec::Launch(launch) => {
                let token = format!("{}-runner", tags.get(TAG_RUN_ID).map(String::as_str).unwrap_or("fd"));
                let instance = self.launch_runner(environment, launch, &token, tags).await?;
                Ok(RunnerHandle {
                    instance: instance.clone(),
                    created: vec![instance],
                })
            }
        }
    }

    async fn runner_online(&self, runner: &RunnerHandle) -> Result<bool, CloudError> {
        self.ssm_online(&runner.instance.id).await
    }

    async fn run_command(&self, runner: &RunnerHandle, request: &CommandRequest) -> Result<CommandOutput, CloudError> {
        self.ssm_run(&runner.instance.id, request).await
    }

    async fn list_by_tag(&self, key: &str, value: Option<&str>) -> Result<Vec<(ResourceRef, Tags)>, CloudError> {
        self.tagged(key, value).await
    }

    async fn find_restore_job(&self, token: &str) -> Result<Option<ResourceRef>, CloudError> {
        self.backup_job_by_token(token).await
    }

    async fn read_tags(&self, resource: &ResourceRef) -> Result<Option<Tags>, CloudError> {
        if resource.kind == ResourceType::RestoreJob {
            // A job carries no tags; it is never deleted, only waited for.
            return Ok(Some(Tags::new()));
        }
        self.tags_of(resource).await
    }

    async fn tag(&self, resource: &ResourceRef, tags: &Tags) -> Result<(), CloudError> {
        self.add_tags(resource, tags).await
    }

    async fn await_deleted(&self, resources: &[ResourceRef]) -> Result<(), CloudError> {
        self.await_gone(resources).await
    }

    async fn delete(&self, resource: &ResourceRef, run_id: &str) -> Result<(), CloudError> {
        self.delete_guarded(resource, run_id, Timestamp::now()).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(time: &str) -> Timestamp {
        format!("2026-12-04T{time}Z").parse().unwrap()
    }

    #[test]
    fn an_rds_event_ends_a_restore_only_between_its_start_and_its_detection() {
        let db = ResourceRef::new(ResourceType::DbInstance, "fd-db");
        let times = |t: &str| BTreeMap::from([("fd-db".to_owned(), at(t))]);
        let (started, detected) = (at("10:00:00"), at("10:20:00"));
        assert_eq!(
            completion_time(&db, &times("10:18:30"), started, detected),
            at("10:18:30")
        );
        // At or before the start, or after it was seen ready: not this restore's end.
        for wrong in ["09:59:00", "10:00:00", "10:21:00"] {
            assert_eq!(
                completion_time(&db, &times(wrong), started, detected),
                detected,
                "{wrong}"
            );
        }
        assert_eq!(completion_time(&db, &BTreeMap::new(), started, detected), detected);
    }

    #[test]
    fn an_aurora_copy_ends_when_its_instance_is_up_not_when_its_cluster_was_made() {
        let cluster = ResourceRef::new(ResourceType::DbCluster, "fd-aurora");
        let member = super::super::rds::cluster_instance_identifier("fd-aurora");
        let (started, detected) = (at("10:00:00"), at("10:30:00"));
        let both = BTreeMap::from([("fd-aurora".to_owned(), at("10:06:00")), (member, at("10:27:00"))]);
        assert_eq!(completion_time(&cluster, &both, started, detected), at("10:27:00"));
        let cluster_only = BTreeMap::from([("fd-aurora".to_owned(), at("10:06:00"))]);
        assert_eq!(
            completion_time(&cluster, &cluster_only, started, detected),
            detected,
            "without the instance's event the detection time stands"
        );
    }
}
