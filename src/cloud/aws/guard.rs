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
fn gone_or<T>(result: Result<T, CloudError>) -> Result<Option<T>, CloudError> {
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
    /// tags: EC2's DescribeTags and RDS's subnet groups (which the tagging API does not
    /// list), each confirmed by its own describe (terminated instances and deleted
    /// endpoints stay listed by tag for a while).
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
            if let Some(name) = group.db_subnet_group_name() {
                candidates.push(ResourceRef::new(ResourceType::DbSubnetGroup, name));
            }
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
            ResourceType::DbInstance => {
                let found = self
                    .clients
                    .rds
                    .describe_db_instances()
                    .db_instance_identifier(id)
                    .send()
                    .await;
                let found = gone_or(found.map_err(|e| classify("rds:DescribeDBInstances", &e)))?;
                Ok(found.and_then(|f| {
                    f.db_instances().first().map(|i| {
                        i.tag_list()
                            .iter()
                            .filter_map(|t| Some((t.key()?.to_owned(), t.value().unwrap_or_default().to_owned())))
                            .collect()
                    })
                }))
            }
            other => Err(CloudError::Failed(format!(
                "the AWS cloud cannot read the tags of a {other:?} yet (issue 5 in progress)"
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
        Ok(Some(
            tags.tag_list()
                .iter()
                .filter_map(|t| Some((t.key()?.to_owned(), t.value().unwrap_or_default().to_owned())))
                .collect(),
        ))
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
            ResourceType::VpcEndpoint => ec2
                .delete_vpc_endpoints()
                .vpc_endpoint_ids(id)
                .send()
                .await
                .map(drop)
                .map_err(|e| classify("ec2:DeleteVpcEndpoints", &e)),
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
            other => Err(CloudError::Failed(format!(
                "the AWS cloud cannot delete a {other:?} yet (issue 5 in progress)"
            ))),
        }
    }
}
