//! What validating an AWS Backup restore testing job takes on AWS: DescribeRestoreJob,
//! one describe of the copy, and PutRestoreValidationResult. Read-only on everything
//! else: the copy is AWS Backup's, which deletes it itself.

use aws_sdk_backup::types::RestoreValidationStatus;

use super::backup::created_resource;
use super::errors::classify;
use super::guard::gone_or;
use super::{AwsCloud, timestamp};
use crate::cloud::{CloudError, ResourceType};
use crate::validator::{CopyState, Job};

impl AwsCloud {
    /// The restore job, as AWS Backup describes it.
    pub async fn restore_job(&self, id: &str) -> Result<Job, CloudError> {
        let job = self
            .clients
            .backup
            .describe_restore_job()
            .restore_job_id(id)
            .send()
            .await
            .map_err(|e| classify("backup:DescribeRestoreJob", &e))?;
        Ok(Job {
            id: id.to_owned(),
            plan_arn: job
                .created_by()
                .and_then(|c| c.restore_testing_plan_arn())
                .map(str::to_owned),
            status: job.status().map(|s| s.as_str().to_owned()).unwrap_or_default(),
            status_message: job.status_message().map(str::to_owned),
            resource_type: job.resource_type().map(str::to_owned),
            created_resource_arn: job.created_resource_arn().map(str::to_owned),
            recovery_point_arn: job.recovery_point_arn().map(str::to_owned),
            created_at: timestamp(job.creation_date())
                .ok_or_else(|| CloudError::Failed(format!("restore job {id} has no creation date")))?,
            completed_at: timestamp(job.completion_date()),
            recovery_point_created_at: timestamp(job.recovery_point_creation_date()),
        })
    }

    /// The state of the copy a job created, by one describe of its service.
    pub async fn copy_state(&self, arn: &str) -> Result<CopyState, CloudError> {
        let Some(resource) = created_resource(arn) else {
            return Ok(CopyState::Unsupported);
        };
        let (rds, ec2, id) = (&self.clients.rds, &self.clients.ec2, resource.id.as_str());
        let status = match resource.kind {
            ResourceType::DbInstance => {
                let found = rds.describe_db_instances().db_instance_identifier(id).send().await;
                gone_or(found.map_err(|e| classify("rds:DescribeDBInstances", &e)))?.and_then(|found| {
                    let instance = found.db_instances().first()?;
                    instance.db_instance_status().map(str::to_owned)
                })
            }
            ResourceType::DbCluster => {
                let found = rds.describe_db_clusters().db_cluster_identifier(id).send().await;
                gone_or(found.map_err(|e| classify("rds:DescribeDBClusters", &e)))?
                    .and_then(|found| found.db_clusters().first()?.status().map(str::to_owned))
            }
            ResourceType::Volume => {
                let found = ec2.describe_volumes().volume_ids(id).send().await;
                gone_or(found.map_err(|e| classify("ec2:DescribeVolumes", &e)))?
                    .and_then(|found| found.volumes().first()?.state().map(|s| s.as_str().to_owned()))
            }
            ResourceType::Instance => {
                let found = ec2.describe_instances().instance_ids(id).send().await;
                gone_or(found.map_err(|e| classify("ec2:DescribeInstances", &e)))?.and_then(|found| {
                    let instance = found.reservations().iter().flat_map(|r| r.instances()).next()?;
                    instance.state()?.name().map(|n| n.as_str().to_owned())
                })
            }
            _ => return Ok(CopyState::Unsupported),
        };
        Ok(match status {
            None => CopyState::Missing,
            Some(status) if matches!(status.as_str(), "available" | "in-use" | "running") => {
                CopyState::Ready { status }
            }
            Some(status) => CopyState::NotReady { status },
        })
    }

    /// Posts a verdict on a restore testing job: `None` for VALIDATING (in progress),
    /// else SUCCESSFUL or FAILED.
    pub async fn post_validation(&self, job: &str, passed: Option<bool>, message: &str) -> Result<(), CloudError> {
        let status = match passed {
            None => RestoreValidationStatus::Validating,
            Some(true) => RestoreValidationStatus::Successful,
            Some(false) => RestoreValidationStatus::Failed,
        };
        self.clients
            .backup
            .put_restore_validation_result()
            .restore_job_id(job)
            .validation_status(status)
            .validation_status_message(message)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| classify("backup:PutRestoreValidationResult", &e))
    }
}
