//! Preflight: what must hold before a drill creates anything in an account. Who we are
//! (STS), that every recovery point exists and can be restored, that AWS Backup's restore
//! role exists, that the drill identity may make every request the drill will make and
//! use the keys that encrypt its sources (`simulate`), and that RDS quotas have room for
//! the copies. Every problem is collected, each saying what to fix; any problem stops
//! the drill with nothing created.

use super::AwsCloud;
use super::errors::classify;
use crate::cloud::{Cloud, CloudError};
use crate::scenario::{ResourceKind, RestoreSource, Scenario};

/// What preflight found.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PreflightReport {
    /// The account and identity the drill acts as.
    pub identity: Option<String>,
    /// What must be fixed first; empty when the drill may start.
    pub problems: Vec<String>,
    /// What could not be checked (the drill still starts; AWS refuses at creation what
    /// is really out of bounds, and teardown removes what was made).
    pub warnings: Vec<String>,
}

/// Whether the account's quotas have room for the drill.
enum Quota {
    Room,
    Exhausted(String),
}

impl AwsCloud {
    /// Checks the account against the scenario; read-only calls only.
    pub async fn preflight(&self, scenario: &Scenario) -> PreflightReport {
        let mut report = PreflightReport::default();
        let (caller, account) = match self.clients.sts.get_caller_identity().send().await {
            Ok(identity) => {
                let (caller, account) = (identity.arn().unwrap_or("?"), identity.account().unwrap_or("?"));
                report.identity = Some(format!("{caller} in account {account}"));
                (caller.to_owned(), account.to_owned())
            }
            Err(error) => {
                report.problems.push(format!(
                    "cannot tell who the credentials are ({}): check AWS_PROFILE, SSO login or the instance role",
                    classify("sts:GetCallerIdentity", &error)
                ));
                return report;
            }
        };
        let mut points = Vec::new();
        for restore in &scenario.restores {
            match self.find_recovery_point(&restore.source).await {
                Ok(point) => points.push((restore, point)),
                Err(error) => report.problems.push(format!(
                    "restore `{}`: its recovery point cannot be used: {error}",
                    restore.id
                )),
            }
            if let Some(key) = &restore.overrides.kms_key
                && let Err(problem) = self.kms_key_usable(key).await
            {
                report.problems.push(format!("restore `{}`: {problem}", restore.id));
            }
            if let RestoreSource::AwsBackup(source) = &restore.source
                && let Err(problem) = self.restore_role_usable(source).await
            {
                report.problems.push(format!("restore `{}`: {problem}", restore.id));
            }
        }
        self.check_permissions(scenario, &caller, &account, &points, &mut report)
            .await;
        match self.rds_quotas(scenario).await {
            Ok(Quota::Room) => {}
            Ok(Quota::Exhausted(problem)) => report.problems.push(problem),
            Err(warning) => report.warnings.push(warning),
        }
        report
    }

    /// The role AWS Backup restores with exists (passing it needs `iam:PassRole`, which
    /// docs/iam-policy.json grants for it).
    async fn restore_role_usable(&self, source: &crate::scenario::AwsBackupSource) -> Result<(), String> {
        let account = self.account().await.map_err(|e| e.to_string())?;
        let role = super::backup::restore_role_arn(source, super::iam::partition(&self.region), &account);
        let name = role.rsplit('/').next().unwrap_or(&role);
        match self.clients.iam.get_role().role_name(name).send().await {
            Ok(_) => Ok(()),
            Err(error) => match classify("iam:GetRole", &error) {
                CloudError::NotFound(_) => Err(format!(
                    "AWS Backup's restore role {role} does not exist: install it with \
                     deploy/cloudformation (docs/iam-restore-role.json, path /firedrill-restore/) \
                     or name one under that path with `restore_role`"
                )),
                other => Err(format!("cannot read AWS Backup's restore role {role}: {other}")),
            },
        }
    }

    /// The KMS key a copy is encrypted with exists and is enabled.
    async fn kms_key_usable(&self, key: &str) -> Result<(), String> {
        let described = self.clients.kms.describe_key().key_id(key).send().await;
        let described = described.map_err(|e| match classify("kms:DescribeKey", &e) {
            CloudError::NotFound(_) => format!("the KMS key {key} does not exist in {}", self.region),
            other => format!("the KMS key {key} cannot be used: {other}"),
        })?;
        let metadata = described
            .key_metadata()
            .ok_or_else(|| format!("KMS returned nothing about the key {key}"))?;
        let state = metadata.key_state().map(|s| s.as_str()).unwrap_or("unknown");
        if !metadata.enabled() || state != "Enabled" {
            return Err(format!(
                "the KMS key {key} is {state}: enable it or name another in `overrides.kms_key`"
            ));
        }
        Ok(())
    }

    /// RDS's account quotas have room for the databases the drill restores.
    async fn rds_quotas(&self, scenario: &Scenario) -> Result<Quota, String> {
        let needed = |kinds: &[ResourceKind]| {
            scenario
                .restores
                .iter()
                .filter(|r| r.source.kind().is_some_and(|k| kinds.contains(&k)))
                .count() as i64
        };
        let instances = needed(&[ResourceKind::RdsInstance, ResourceKind::AuroraCluster]);
        let clusters = needed(&[ResourceKind::AuroraCluster]);
        if instances == 0 {
            return Ok(Quota::Room);
        }
        let attributes = self
            .clients
            .rds
            .describe_account_attributes()
            .send()
            .await
            .map_err(|e| {
                format!(
                    "RDS quotas not checked: {}",
                    classify("rds:DescribeAccountAttributes", &e)
                )
            })?;
        for quota in attributes.account_quotas() {
            let want = match quota.account_quota_name() {
                Some("DBInstances") => instances,
                Some("DBClusters") => clusters,
                Some("DBSubnetGroups") => 1,
                _ => continue,
            };
            let (used, max) = (quota.used().unwrap_or(0), quota.max().unwrap_or(i64::MAX));
            if want > 0 && used + want > max {
                return Ok(Quota::Exhausted(format!(
                    "RDS quota {} has {used} of {max} in use; the drill needs {want} more: ask for a raise in Service Quotas",
                    quota.account_quota_name().unwrap_or("?")
                )));
            }
        }
        Ok(Quota::Room)
    }
}
