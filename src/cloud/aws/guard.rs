//! Tags and deletion, resource by resource: what each resource's describe says its tags
//! are (or that it is gone), and the delete call, made only when `may_delete` allows it
//! on tags read just before (DESIGN.md, invariant 1).

use aws_sdk_ec2::types::Tag;
use jiff::Timestamp;

use super::AwsCloud;
use super::errors::classify;
use crate::cloud::{CloudError, ResourceRef, ResourceType, Tags, may_delete};

fn from_ec2(tags: &[Tag]) -> Tags {
    tags.iter()
        .filter_map(|t| Some((t.key()?.to_owned(), t.value().unwrap_or_default().to_owned())))
        .collect()
}

/// A describe that failed with "not found" means the resource is gone.
pub(super) fn gone_or<T>(result: Result<T, CloudError>) -> Result<Option<T>, CloudError> {
    match result {
        Ok(value) => Ok(Some(value)),
        Err(CloudError::NotFound(_)) => Ok(None),
        Err(error) => Err(error),
    }
}

/// The resource types of EC2's DescribeTags that firedrill creates.
fn ec2_kind(resource_type: &str) -> Option<ResourceType> {
    Some(match resource_type {
        "vpc" => ResourceType::Vpc,
        "subnet" => ResourceType::Subnet,
        "security-group" => ResourceType::SecurityGroup,
        "vpc-endpoint" => ResourceType::VpcEndpoint,
        "instance" => ResourceType::Instance,
        "volume" => ResourceType::Volume,
        _ => return None,
    })
}

impl AwsCloud {
    /// Every live resource carrying the tag `key` (with `value`, when given), with all its
    /// tags: EC2's DescribeTags, RDS instances and clusters by their tag lists, firedrill's
    /// DB subnet groups and IAM instance profiles (which the tagging API does not list),
    /// each confirmed by its own describe (terminated instances and deleted endpoints stay
    /// listed by tag for a while).
    pub async fn tagged(&self, key: &str, value: Option<&str>) -> Result<Vec<(ResourceRef, Tags)>, CloudError> {
        let mut candidates = Vec::new();
        let mut pages = self
            .clients
            .ec2
            .describe_tags()
            .filters(aws_sdk_ec2::types::Filter::builder().name("key").values(key).build())
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| classify("ec2:DescribeTags", &e))?;
            for tag in page.tags() {
                let kind = tag.resource_type().and_then(|t| ec2_kind(t.as_str()));
                if let (Some(kind), Some(id)) = (kind, tag.resource_id()) {
                    candidates.push(ResourceRef::new(kind, id));
                }
            }
        }
        let groups = self
            .clients
            .rds
            .describe_db_subnet_groups()
            .into_paginator()
            .items()
            .send()
            .collect::<Vec<_>>()
            .await;
        for group in groups {
            let group = group.map_err(|e| classify("rds:DescribeDBSubnetGroups", &e))?;
            // firedrill names its groups after the run id; others need no tag lookup.
            if let Some(name) = group.db_subnet_group_name().filter(|n| n.starts_with("fd-")) {
                candidates.push(ResourceRef::new(ResourceType::DbSubnetGroup, name));
            }
        }
        let carries = |tags: &[aws_sdk_rds::types::Tag]| {
            tags.iter()
                .any(|t| t.key() == Some(key) && value.is_none_or(|v| t.value() == Some(v)))
        };
        let mut instances = self.clients.rds.describe_db_instances().into_paginator().items().send();
        while let Some(instance) = instances.next().await {
            let instance = instance.map_err(|e| classify("rds:DescribeDBInstances", &e))?;
            if let Some(id) = instance
                .db_instance_identifier()
                .filter(|_| carries(instance.tag_list()))
            {
                candidates.push(ResourceRef::new(ResourceType::DbInstance, id));
            }
        }
        let mut clusters = self.clients.rds.describe_db_clusters().into_paginator().items().send();
        while let Some(cluster) = clusters.next().await {
            let cluster = cluster.map_err(|e| classify("rds:DescribeDBClusters", &e))?;
            if let Some(id) = cluster.db_cluster_identifier().filter(|_| carries(cluster.tag_list())) {
                candidates.push(ResourceRef::new(ResourceType::DbCluster, id));
            }
        }
        for name in self.runner_profiles().await? {
            candidates.push(ResourceRef::new(ResourceType::InstanceProfile, name));
        }
        candidates.sort();
        candidates.dedup();
        let mut found = Vec::new();
        for resource in candidates {
            let Some(tags) = self.tags_of(&resource).await? else {
                continue;
            };
            if tags.get(key).is_some_and(|v| value.is_none_or(|value| v == value)) {
                found.push((resource, tags));
            }
        }
        Ok(found)
    }

    /// A resource's tags, or `None` when it no longer exists (terminated instances and
    /// deleted endpoints count as gone).
    pub async fn tags_of(&self, resource: &ResourceRef) -> Result<Option<Tags>, CloudError> {
        let ec2 = &self.clients.ec2;
        let id = resource.id.as_str();
        match resource.kind {
            ResourceType::Vpc => {
                let found = ec2.describe_vpcs().vpc_ids(id).send().await;
                let found = gone_or(found.map_err(|e| classify("ec2:DescribeVpcs", &e)))?;
                Ok(found.and_then(|f| f.vpcs().first().map(|v| from_ec2(v.tags()))))
            }
            ResourceType::Subnet => {
                let found = ec2.describe_subnets().subnet_ids(id).send().await;
                let found = gone_or(found.map_err(|e| classify("ec2:DescribeSubnets", &e)))?;
                Ok(found.and_then(|f| f.subnets().first().map(|s| from_ec2(s.tags()))))
            }
            ResourceType::SecurityGroup => {
                let found = ec2.describe_security_groups().group_ids(id).send().await;
                let found = gone_or(found.map_err(|e| classify("ec2:DescribeSecurityGroups", &e)))?;
                Ok(found.and_then(|f| f.security_groups().first().map(|g| from_ec2(g.tags()))))
            }
            ResourceType::VpcEndpoint => {
                let found = ec2.describe_vpc_endpoints().vpc_endpoint_ids(id).send().await;
                let found = gone_or(found.map_err(|e| classify("ec2:DescribeVpcEndpoints", &e)))?;
                Ok(found.and_then(|f| {
                    f.vpc_endpoints()
                        .first()
                        // The state reads "deleted" in lower case (moto, AWS): compare text.
                        .filter(|e| !e.state().is_some_and(|s| s.as_str().eq_ignore_ascii_case("deleted")))
                        .map(|e| from_ec2(e.tags()))
                }))
            }
            ResourceType::Instance => {
                let found = ec2.describe_instances().instance_ids(id).send().await;
                let found = gone_or(found.map_err(|e| classify("ec2:DescribeInstances", &e)))?;
                Ok(found.and_then(|f| {
                    f.reservations()
                        .iter()
                        .flat_map(|r| r.instances())
                        .find(|i| {
                            let state = i.state().and_then(|s| s.name()).map(|n| n.as_str()).unwrap_or("");
                            state != "terminated"
                        })
                        .map(|i| from_ec2(i.tags()))
                }))
            }
            ResourceType::Volume => {
                let found = ec2.describe_volumes().volume_ids(id).send().await;
                let found = gone_or(found.map_err(|e| classify("ec2:DescribeVolumes", &e)))?;
                Ok(found.and_then(|f| f.volumes().first().map(|v| from_ec2(v.tags()))))
            }
            ResourceType::DbSubnetGroup => self.subnet_group_tags(id).await,
            ResourceType::DbInstance | ResourceType::DbCluster => self.db_tags(resource).await,
            ResourceType::InstanceProfile => self.identity_tags(id).await,
            ResourceType::RestoreJob | ResourceType::RecoveryPoint => Err(CloudError::Failed(format!(
                "{resource} carries no tags firedrill reads (it is never deleted)"
            ))),
        }
    }

    async fn subnet_group_tags(&self, name: &str) -> Result<Option<Tags>, CloudError> {
        let rds = &self.clients.rds;
        let found = rds.describe_db_subnet_groups().db_subnet_group_name(name).send().await;
        let Some(found) = gone_or(found.map_err(|e| classify("rds:DescribeDBSubnetGroups", &e)))? else {
            return Ok(None);
        };
        let Some(arn) = found.db_subnet_groups().first().and_then(|g| g.db_subnet_group_arn()) else {
            return Ok(None);
        };
        let tags = rds
            .list_tags_for_resource()
            .resource_name(arn)
            .send()
            .await
            .map_err(|e| classify("rds:ListTagsForResource", &e))?;
        Ok(Some(super::rds::rds_tag_map(tags.tag_list())))
    }

    /// Deletes `resource` if its tags, read now, let `run_id` delete it; `NotFound` when
    /// it is already gone.
    pub async fn delete_guarded(&self, resource: &ResourceRef, run_id: &str, now: Timestamp) -> Result<(), CloudError> {
        let tags = self
            .tags_of(resource)
            .await?
            .ok_or_else(|| CloudError::NotFound(resource.to_string()))?;
        may_delete(resource, &tags, run_id, now)?;
        let ec2 = &self.clients.ec2;
        let id = resource.id.as_str();
        match resource.kind {
            ResourceType::Vpc => ec2
                .delete_vpc()
                .vpc_id(id)
                .send()
                .await
                .map(drop)
                .map_err(|e| classify("ec2:DeleteVpc", &e)),
            ResourceType::Subnet => ec2
                .delete_subnet()
                .subnet_id(id)
                .send()
                .await
                .map(drop)
                .map_err(|e| classify("ec2:DeleteSubnet", &e)),
            ResourceType::SecurityGroup => ec2
                .delete_security_group()
                .group_id(id)
                .send()
                .await
                .map(drop)
                .map_err(|e| classify("ec2:DeleteSecurityGroup", &e)),
            ResourceType::VpcEndpoint => {
                self.remember_interfaces(id).await?;
                ec2.delete_vpc_endpoints()
                    .vpc_endpoint_ids(id)
                    .send()
                    .await
                    .map_err(|e| classify("ec2:DeleteVpcEndpoints", &e))
                    .and_then(|answer| match answer.unsuccessful().first() {
                        // The call succeeds even when the endpoint was not deleted.
                        Some(item) => Err(CloudError::Failed(format!(
                            "ec2:DeleteVpcEndpoints: {id}: {}",
                            item.error().and_then(|e| e.message()).unwrap_or("not deleted")
                        ))),
                        None => Ok(()),
                    })
            }
            ResourceType::Instance => ec2
                .terminate_instances()
                .instance_ids(id)
                .send()
                .await
                .map(drop)
                .map_err(|e| classify("ec2:TerminateInstances", &e)),
            ResourceType::Volume => ec2
                .delete_volume()
                .volume_id(id)
                .send()
                .await
                .map(drop)
                .map_err(|e| classify("ec2:DeleteVolume", &e)),
            // No final snapshot and no automated backups kept: the copy leaves nothing.
            ResourceType::DbInstance => self
                .clients
                .rds
                .delete_db_instance()
                .db_instance_identifier(id)
                .skip_final_snapshot(true)
                .delete_automated_backups(true)
                .send()
                .await
                .map(drop)
                .map_err(|e| classify("rds:DeleteDBInstance", &e)),
            ResourceType::DbSubnetGroup => self
                .clients
                .rds
                .delete_db_subnet_group()
                .db_subnet_group_name(id)
                .send()
                .await
                .map(drop)
                .map_err(|e| classify("rds:DeleteDBSubnetGroup", &e)),
            ResourceType::DbCluster => self
                .clients
                .rds
                .delete_db_cluster()
                .db_cluster_identifier(id)
                .skip_final_snapshot(true)
                .send()
                .await
                .map(drop)
                .map_err(|e| classify("rds:DeleteDBCluster", &e)),
            ResourceType::InstanceProfile => self.delete_runner_identity(id, run_id).await,
            ResourceType::RestoreJob | ResourceType::RecoveryPoint => {
                Err(CloudError::Refused(format!("{resource} is not firedrill's to delete")))
            }
        }
    }

    /// The AWS-managed network interfaces of an endpoint, remembered before it is
    /// deleted: they are awaited, never deleted, before its subnets and group go.
    async fn remember_interfaces(&self, endpoint: &str) -> Result<(), CloudError> {
        let found = self
            .clients
            .ec2
            .describe_vpc_endpoints()
            .vpc_endpoint_ids(endpoint)
            .send()
            .await
            .map_err(|e| classify("ec2:DescribeVpcEndpoints", &e))?;
        let interfaces: Vec<String> = found
            .vpc_endpoints()
            .iter()
            .flat_map(|e| e.network_interface_ids().iter().cloned())
            .collect();
        self.managed_interfaces
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(endpoint.to_owned(), interfaces);
        Ok(())
    }

    /// Waits until each resource (deleted just before) is gone, and the managed network
    /// interfaces of deleted endpoints with them, for at most `waits.deletion`; what is
    /// still there then is left to the next rank's retries and the final look by tag.
    pub async fn await_gone(&self, resources: &[ResourceRef]) -> Result<(), CloudError> {
        let deadline = tokio::time::Instant::now() + self.waits.deletion;
        let mut interfaces: Vec<String> = {
            let mut remembered = self.managed_interfaces.lock().unwrap_or_else(|p| p.into_inner());
            resources
                .iter()
                .filter(|r| r.kind == ResourceType::VpcEndpoint)
                .filter_map(|r| remembered.remove(&r.id))
                .flatten()
                .collect()
        };
        let mut waiting: Vec<&ResourceRef> = resources.iter().collect();
        loop {
            let mut still = Vec::new();
            for resource in waiting {
                if self.still_there(resource).await? {
                    still.push(resource);
                }
            }
            waiting = still;
            if !interfaces.is_empty() {
                interfaces = self.existing_interfaces(&interfaces).await?;
            }
            if (waiting.is_empty() && interfaces.is_empty()) || tokio::time::Instant::now() >= deadline {
                return Ok(());
            }
            tokio::time::sleep(self.waits.poll).await;
        }
    }

    /// Whether a deleted resource still holds what comes after it: a DB instance or
    /// cluster still listed (`deleting` holds its subnet group), an instance
    /// `shutting-down` (its network interface holds the subnet), anything else still read.
    async fn still_there(&self, resource: &ResourceRef) -> Result<bool, CloudError> {
        let id = resource.id.as_str();
        match resource.kind {
            ResourceType::DbInstance => {
                let found = self
                    .clients
                    .rds
                    .describe_db_instances()
                    .db_instance_identifier(id)
                    .send()
                    .await;
                Ok(gone_or(found.map_err(|e| classify("rds:DescribeDBInstances", &e)))?
                    .is_some_and(|f| !f.db_instances().is_empty()))
            }
            ResourceType::DbCluster => {
                let found = self
                    .clients
                    .rds
                    .describe_db_clusters()
                    .db_cluster_identifier(id)
                    .send()
                    .await;
                Ok(gone_or(found.map_err(|e| classify("rds:DescribeDBClusters", &e)))?
                    .is_some_and(|f| !f.db_clusters().is_empty()))
            }
            ResourceType::Instance => {
                let found = self.clients.ec2.describe_instances().instance_ids(id).send().await;
                Ok(
                    gone_or(found.map_err(|e| classify("ec2:DescribeInstances", &e)))?.is_some_and(|f| {
                        f.reservations().iter().flat_map(|r| r.instances()).any(|i| {
                            let state = i.state().and_then(|s| s.name()).map(|n| n.as_str()).unwrap_or("");
                            state != "terminated"
                        })
                    }),
                )
            }
            _ => Ok(self.tags_of(resource).await?.is_some()),
        }
    }

    async fn existing_interfaces(&self, ids: &[String]) -> Result<Vec<String>, CloudError> {
        let filter = aws_sdk_ec2::types::Filter::builder()
            .name("network-interface-id")
            .set_values(Some(ids.to_vec()))
            .build();
        let found = self
            .clients
            .ec2
            .describe_network_interfaces()
            .filters(filter)
            .send()
            .await
            .map_err(|e| classify("ec2:DescribeNetworkInterfaces", &e))?;
        Ok(found
            .network_interfaces()
            .iter()
            .filter_map(|i| i.network_interface_id().map(str::to_owned))
            .collect())
    }

    /// Adds tags to a resource (what an AWS Backup job created, `firedrill:keep-until`),
    /// never changing its run id (`may_tag`).
    pub async fn add_tags(&self, resource: &ResourceRef, tags: &Tags) -> Result<(), CloudError> {
        let existing = self
            .tags_of(resource)
            .await?
            .ok_or_else(|| CloudError::NotFound(resource.to_string()))?;
        crate::cloud::may_tag(&existing, tags)?;
        let id = resource.id.as_str();
        match resource.kind {
            ResourceType::DbInstance | ResourceType::DbCluster | ResourceType::DbSubnetGroup => {
                let arn = self.rds_arn(resource).await?;
                self.clients
                    .rds
                    .add_tags_to_resource()
                    .resource_name(arn)
                    .set_tags(Some(super::network::rds_tags(tags)))
                    .send()
                    .await
                    .map(drop)
                    .map_err(|e| classify("rds:AddTagsToResource", &e))
            }
            ResourceType::InstanceProfile => {
                let tags: Vec<aws_sdk_iam::types::Tag> = tags
                    .iter()
                    .filter_map(|(k, v)| aws_sdk_iam::types::Tag::builder().key(k).value(v).build().ok())
                    .collect();
                self.clients
                    .iam
                    .tag_instance_profile()
                    .instance_profile_name(id)
                    .set_tags(Some(tags))
                    .send()
                    .await
                    .map(drop)
                    .map_err(|e| classify("iam:TagInstanceProfile", &e))
            }
            ResourceType::RestoreJob | ResourceType::RecoveryPoint => {
                Err(CloudError::Refused(format!("{resource} is not firedrill's to tag")))
            }
            _ => self
                .clients
                .ec2
                .create_tags()
                .resources(id)
                .set_tags(Some(
                    tags.iter()
                        .map(|(k, v)| Tag::builder().key(k).value(v).build())
                        .collect(),
                ))
                .send()
                .await
                .map(drop)
                .map_err(|e| classify("ec2:CreateTags", &e)),
        }
    }

    async fn rds_arn(&self, resource: &ResourceRef) -> Result<String, CloudError> {
        let rds = &self.clients.rds;
        let id = resource.id.as_str();
        let arn = match resource.kind {
            ResourceType::DbCluster => rds
                .describe_db_clusters()
                .db_cluster_identifier(id)
                .send()
                .await
                .map_err(|e| classify("rds:DescribeDBClusters", &e))?
                .db_clusters()
                .first()
                .and_then(|c| c.db_cluster_arn().map(str::to_owned)),
            ResourceType::DbSubnetGroup => rds
                .describe_db_subnet_groups()
                .db_subnet_group_name(id)
                .send()
                .await
                .map_err(|e| classify("rds:DescribeDBSubnetGroups", &e))?
                .db_subnet_groups()
                .first()
                .and_then(|g| g.db_subnet_group_arn().map(str::to_owned)),
            _ => rds
                .describe_db_instances()
                .db_instance_identifier(id)
                .send()
                .await
                .map_err(|e| classify("rds:DescribeDBInstances", &e))?
                .db_instances()
                .first()
                .and_then(|i| i.db_instance_arn().map(str::to_owned)),
        };
        arn.ok_or_else(|| CloudError::NotFound(resource.to_string()))
    }
}
