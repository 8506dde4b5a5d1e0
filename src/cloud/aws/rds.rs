//! RDS restores: the newest available snapshot of an instance (or a named one),
//! RestoreDBInstanceFromDBSnapshot into the isolated subnet group (never publicly
//! accessible, no deletion protection, tagged at creation), observed for many instances
//! with one filtered DescribeDBInstances, and deleted without a final snapshot.

use std::collections::BTreeMap;

use aws_sdk_rds::types::Filter;
use jiff::Timestamp;

use super::AwsCloud;
use super::errors::classify;
use super::network::rds_tags;
use crate::cloud::{CloudError, Environment, RecoveryPoint, ResourceRef, ResourceType, RestoreStatus, Tags};
use crate::scenario::{Overrides, RdsSnapshotSource, ResourceKind};

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
    name.truncate(63);
    name.trim_end_matches('-').to_owned()
}

fn time(value: Option<&aws_sdk_rds::primitives::DateTime>) -> Option<Timestamp> {
    let value = value?;
    Timestamp::new(value.secs(), value.subsec_nanos() as i32).ok()
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
        let found = request
            .send()
            .await
            .map_err(|e| classify("rds:DescribeDBSnapshots", &e))?;
        let newest = found
            .db_snapshots()
            .iter()
            .filter(|s| s.status() == Some("available"))
            .filter_map(|s| Some((time(s.snapshot_create_time())?, s.db_snapshot_identifier()?)))
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

    /// Starts the restore into the isolated environment; returns the new instance.
    pub async fn restore_rds_snapshot(
        &self,
        environment: &Environment,
        snapshot: &str,
        token: &str,
        overrides: &Overrides,
        tags: &Tags,
    ) -> Result<ResourceRef, CloudError> {
        let identifier = db_identifier(token);
        self.clients
            .rds
            .restore_db_instance_from_db_snapshot()
            .db_instance_identifier(&identifier)
            .db_snapshot_identifier(snapshot)
            .db_subnet_group_name(&environment.db_subnet_group)
            .vpc_security_group_ids(&environment.security_group_id)
            .publicly_accessible(false)
            .deletion_protection(false)
            .multi_az(false)
            .copy_tags_to_snapshot(false)
            .set_db_instance_class(overrides.instance_class.clone())
            .set_tags(Some(rds_tags(tags)))
            .send()
            .await
            .map_err(|e| classify("rds:RestoreDBInstanceFromDBSnapshot", &e))?;
        Ok(ResourceRef::new(ResourceType::DbInstance, identifier))
    }

    /// The state of many DB instances with one DescribeDBInstances per 100 (a filter on
    /// their identifiers); `now` stands in for the completion time RDS does not report.
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
                        let mut outputs = BTreeMap::new();
                        if let Some(endpoint) = instance.endpoint() {
                            outputs.insert("endpoint".to_owned(), endpoint.address().unwrap_or_default().to_owned());
                            outputs.insert("port".to_owned(), endpoint.port().unwrap_or(0).to_string());
                        }
                        outputs.insert("engine".to_owned(), instance.engine().unwrap_or_default().to_owned());
                        outputs.insert("id".to_owned(), id.to_owned());
                        if let Some(arn) = instance.db_instance_arn() {
                            outputs.insert("arn".to_owned(), arn.to_owned());
                        }
                        RestoreStatus::Ready {
                            resource: ResourceRef::new(ResourceType::DbInstance, id),
                            completed_at: now,
                            outputs,
                        }
                    }
                    failed @ ("failed" | "incompatible-restore" | "incompatible-parameters" | "storage-full") => {
                        RestoreStatus::Failed {
                            message: format!("the restored instance {id} is {failed}"),
                        }
                    }
                    _ => RestoreStatus::Running { expected_minutes: None },
                };
                statuses.insert(id.to_owned(), status);
            }
        }
        Ok(statuses)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn db_identifiers_follow_rds_rules() {
        assert_eq!(
            db_identifier("fd-demo-20261125T102113Z-scwsoe-orders-db"),
            "fd-demo-20261125t102113z-scwsoe-orders-db"
        );
        assert_eq!(db_identifier("9lives__x"), "fd-9lives-x");
        let long = db_identifier(&format!("fd-{}", "a".repeat(100)));
        assert_eq!(long.len(), 63);
        assert!(!db_identifier("fd-x-").ends_with('-'));
    }
}
